//! Refitting a configuration on every training row (what scikit-learn's `refit=True` gives as
//! `best_estimator_`), saving it as a model file, and scoring it once on the held-out test set.
//! The record it returns carries the refit's time and the test metrics in `means`.

use super::{Evaluator, Status, TrialRecord};
use crate::data::{Feature, OwnedTargets, Targets};
use crate::expand::Trial;
use crate::metrics::{score_all, Prediction};
use crate::models::folder::{ModelDir, OUT_OF_FOLD, TEST_PREDICTIONS};
use crate::models::saved::{Model, ModelInfo, PredictionWriter};
use crate::models::{measuring_shared_work, predict, FoldCache, Params};
use crate::preprocess::FittedPipeline;
use crate::spec::RefitOn;
use std::time::Instant;

impl Evaluator {
    pub(super) fn refit(&self, trial: &Trial, folder: &ModelDir) -> Result<TrialRecord, String> {
        let plan = &self.plan;
        let ds = &plan.data().dataset();
        let train = plan.data().train_rows();
        // Without held-out rows the report judges the model by its cross-validation predictions,
        // made alongside the refit.
        let (refitted, out_of_fold) = rayon::join(
            || {
                let started = Instant::now();
                let fitted = self.fit_model(trial, &ds.features, train, &ds.target.select(train));
                (fitted, started.elapsed().as_secs_f64())
            },
            || match plan.data().test() {
                None => Some(self.out_of_fold(trial)),
                Some(_) => None,
            },
        );
        let ((model, shared), seconds) = (refitted.0?, refitted.1);
        let mut fit_time = (seconds - shared).max(0.0);
        folder.save(&model)?;

        let started = Instant::now();
        let means = match &plan.data().test() {
            None => {
                let parts = out_of_fold.ok_or("no cross-validation predictions")??;
                let parts: Vec<_> = parts
                    .iter()
                    .map(|(rows, truth, p)| ((&rows[..], truth), p))
                    .collect();
                folder.save_predictions(OUT_OF_FOLD, &predictions_csv(&model, &parts, true)?)?;
                Vec::new()
            }
            Some(test) => {
                let prediction = model.apply(test.features(ds), &test.rows, true);
                let truth = (&test.file_rows[..], &test.target);
                folder.save_predictions(
                    TEST_PREDICTIONS,
                    &predictions_csv(&model, &[(truth, &prediction)], false)?,
                )?;
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
        let score_time = started.elapsed().as_secs_f64();
        let mut model = model;
        let mut shared_total = shared;
        if let (Some(test), RefitOn::All) = (plan.data().test(), plan.refit_on()) {
            // The test scores above are the train-only fit's; what is saved also learns the test rows.
            let started = Instant::now();
            let (features, rows, target) = test.joined(ds, train);
            let (all, shared) = self.fit_model(trial, &features, &rows, &target)?;
            fit_time += (started.elapsed().as_secs_f64() - shared).max(0.0);
            shared_total += shared;
            folder.save(&all)?;
            model = all;
        }
        let warnings: Vec<String> = model.predictor.warning().into_iter().collect();
        let mut record = TrialRecord::bare(trial, Status::Ok, super::notes(&warnings));
        record.means = means;
        record.mean_fit_time = fit_time;
        record.mean_shared_fit_time = shared_total;
        record.mean_shared_read_time = shared_total;
        record.mean_score_time = score_time;
        Ok(record)
    }

    /// out_of_fold.csv's parts: each cross-validation fold's held-out rows (their numbers in the
    /// file, true targets and predictions) as the configuration's trial predicted them, refitted on
    /// the sweep's fold caches (so shared work the trials did is read, not redone), folds in
    /// parallel when the pool has idle threads.
    fn out_of_fold(
        &self,
        trial: &Trial,
    ) -> Result<Vec<(Vec<usize>, OwnedTargets, Prediction)>, String> {
        use rayon::prelude::*;
        let ds = self.plan.data().dataset();
        let params = self.params(trial)?;
        let set = &self.full;
        (0..set.folds.len())
            .into_par_iter()
            .map(|k| {
                let fitted = self.fit_fold(set, k, trial, &params)?;
                let prediction = predict(&*fitted.model, fitted.matrices.test.view(), true);
                let fold = &set.folds[k];
                let rows = fold.test.iter().map(|&r| ds.file_rows[r]).collect();
                Ok((rows, fold.y_test.clone(), prediction))
            })
            .collect()
    }

    /// Fits `trial`'s configuration on `rows` of `features` (targets `y`, one per row) as a model
    /// ready to save, with the seconds of shared work inside the fit.
    fn fit_model(
        &self,
        trial: &Trial,
        features: &[Feature],
        rows: &[usize],
        y: &OwnedTargets,
    ) -> Result<(Model, f64), String> {
        let plan = &self.plan;
        let ds = &plan.data().dataset();
        let entry = self.entry(trial)?;
        let family = entry.family;
        let trial_params = self.params(trial)?;
        let (fitted, shared) = measuring_shared_work(|| {
            let (pipeline, x) = FittedPipeline::fit_transform(&entry.pipeline, features, rows);
            let category_columns = pipeline.category_columns();
            // Shared work grows only as far as this one configuration needs.
            let params = Params {
                largest: &[],
                listed: &[],
                category_columns: &category_columns,
                ..trial_params
            };
            family
                .fit(
                    &params,
                    x.view(),
                    y.view(),
                    self.seeds(trial),
                    &FoldCache::default(),
                )
                .map(|predictor| (pipeline, predictor))
        });
        let (pipeline, predictor) = fitted?;
        let model = Model {
            info: ModelInfo {
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                family: family.name().to_string(),
                key: trial.key.clone(),
                params: trial.params.clone(),
                seed: trial.seed,
                data_sha256: ds.hash.clone(),
                training_rows: rows.len(),
                schema: ds.schema(),
            },
            pipeline,
            predictor,
        };
        Ok((model, shared.built + shared.waited))
    }
}

/// Predictions as CSV: per row, its place in its file (`row`, 0 = the first data row), its true
/// target, the prediction and the class probabilities; `parts` are (rows and truth, prediction).
/// With `folds`, part k is fold k's held-out rows and a `fold` column says so.
fn predictions_csv(
    model: &Model,
    parts: &[((&[usize], &OwnedTargets), &Prediction)],
    folds: bool,
) -> Result<Vec<u8>, String> {
    let schema = &model.info.schema;
    let with_probabilities = parts.iter().all(|(_, p)| p.probabilities().is_some());
    let lead: Vec<&str> = ["row"]
        .into_iter()
        .chain(folds.then_some("fold"))
        .chain([schema.target.as_str()])
        .collect();
    let mut csv = PredictionWriter::new(Vec::new(), schema, &lead, with_probabilities)
        .map_err(|e| e.to_string())?;
    for (fold, ((rows, truth), prediction)) in parts.iter().enumerate() {
        let mut lead = vec![rows.iter().map(usize::to_string).collect::<Vec<String>>()];
        if folds {
            lead.push(vec![fold.to_string(); rows.len()]);
        }
        let truth: Vec<String> = match truth {
            Targets::Classes { y, .. } => {
                y.iter().map(|&c| schema.class_labels[c].clone()).collect()
            }
            Targets::Values(v) => v.iter().map(f64::to_string).collect(),
        };
        let probabilities = prediction.probabilities().filter(|_| with_probabilities);
        lead.push(truth);
        csv.write(&lead, &prediction.targets, probabilities)
            .map_err(|e| e.to_string())?;
    }
    csv.finish().map_err(|e| e.to_string())
}
