//! Refitting a configuration on every training row (what scikit-learn's `refit=True` gives as
//! `best_estimator_`), saving it as a model file, and scoring it once on the held-out test set.
//! The record it returns carries the refit's time and the test metrics in `means`.

use super::{Evaluator, Status, TrialRecord};
use crate::expand::Trial;
use crate::metrics::score_all;
use crate::models::folder::ModelDir;
use crate::models::saved::{Model, ModelInfo, PredictionWriter};
use crate::models::{measuring_shared_work, FoldCache, Params};
use crate::preprocess::FittedPipeline;
use std::time::Instant;

impl Evaluator {
    pub(super) fn refit(&self, trial: &Trial, folder: &ModelDir) -> Result<TrialRecord, String> {
        let plan = &self.plan;
        let ds = &plan.data().dataset();
        let entry = self.entry(trial)?;
        let family = entry.family;
        // Shared work grows only as far as this one configuration needs.
        let params = Params {
            given: &trial.params,
            specs: family.params(),
            largest: &[],
            class_names: &ds.class_labels,
            category_columns: &[],
        };
        let seeds = self.seeds(trial);
        let started = Instant::now();
        let (fitted, shared) = measuring_shared_work(|| {
            let (pipeline, x) = FittedPipeline::fit_transform(
                &entry.pipeline,
                &ds.features,
                plan.data().train_rows(),
            );
            let y = ds.target.select(plan.data().train_rows());
            let category_columns = pipeline.category_columns();
            let params = Params {
                category_columns: &category_columns,
                ..params
            };
            family
                .fit(&params, x.view(), y.view(), seeds, &FoldCache::default())
                .map(|predictor| (pipeline, predictor))
        });
        let (pipeline, predictor) = fitted?;
        let fit_time = (started.elapsed().as_secs_f64() - shared).max(0.0);
        let model = Model {
            info: ModelInfo {
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                family: family.name().to_string(),
                key: trial.key.clone(),
                params: trial.params.clone(),
                seed: trial.seed,
                data_sha256: ds.hash.clone(),
                training_rows: plan.data().train_rows().len(),
                schema: ds.schema(),
            },
            pipeline,
            predictor,
        };
        folder.save(&model)?;

        let started = Instant::now();
        let means = match &plan.data().test() {
            None => Vec::new(),
            Some(test) => {
                let features = test.features(ds);
                let prediction = model.apply(features, &test.rows, true);
                let probabilities = prediction.probabilities();
                let mut csv = PredictionWriter::new(
                    Vec::new(),
                    &model.info.schema,
                    None,
                    probabilities.is_some(),
                )
                .map_err(|e| e.to_string())?;
                csv.write(None, &prediction.targets, probabilities)
                    .map_err(|e| e.to_string())?;
                let text = csv.finish().map_err(|e| e.to_string())?;
                folder.save_test_predictions(&text)?;
                let truth = test
                    .target
                    .view()
                    .as_slices()
                    .ok_or("test targets must be contiguous")?;
                score_all(
                    plan.space().metrics(),
                    plan.data().positive(),
                    truth,
                    &prediction,
                )
            }
        };
        let warnings: Vec<String> = model.predictor.warning().into_iter().collect();
        let mut record = TrialRecord::bare(trial, Status::Ok, super::notes(&warnings));
        record.means = means;
        record.mean_fit_time = fit_time;
        record.mean_shared_fit_time = shared;
        record.mean_score_time = started.elapsed().as_secs_f64();
        Ok(record)
    }
}
