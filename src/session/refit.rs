//! After the search: the chosen configurations (the best, or the best of each family) are refitted on
//! every training row as [`Job::Refit`]s on the run's backend, each saved in its
//! [`ModelDir`] and scored once on the test set; the model card written last marks a folder done, so
//! a resumed run refits only what is missing.

use crate::data::schema::Coding;
use crate::evaluate::{Evaluator, Job, Status, TrialRecord};
use crate::execute::{self, Ending, Flow};
use crate::expand::Trial;
use crate::metrics::Metric;
use crate::models::folder::{FeatureImportance, KeptRows, ModelCard, ModelDir};
use crate::models::saved::FORMAT_VERSION;
use crate::results::columns;
use crate::results::leaderboard::{Contender, Standings};
use crate::results::manifest::RefitRecord;
use crate::spec::{Plan, Refit};
use anyhow::Result;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// Refits and saves the configurations `plan.refit()` asks for, chosen from the `standings` of the
/// run's trials, into `out`.
pub fn refit_models(
    evaluator: &Arc<Evaluator>,
    out: &Path,
    standings: &Standings,
    quiet: bool,
) -> Result<(Vec<RefitRecord>, Ending)> {
    let plan = &evaluator.plan;
    let per_model = match plan.refit() {
        Refit::None => return Ok((Vec::new(), Ending::Finished)),
        Refit::Best => false,
        Refit::PerModel => true,
    };
    let chosen = standings.chosen(per_model);
    let wanted: Vec<&str> = chosen.iter().map(|c| c.trial.key.as_str()).collect();
    let mut finished: HashMap<String, RefitRecord> = HashMap::new();
    let mut to_run = Vec::new();
    for c in chosen {
        let key = &c.trial.key;
        let folder = ModelDir::of_key(out, key);
        match folder.holding(key, &plan.data().dataset().hash) {
            Some(card) => {
                finished.insert(key.clone(), record_of(&card, &folder, out));
            }
            None => {
                // The key stays the recorded one (a halving rung's `@rows=` included), the seed is
                // the configuration's, and nothing of the search (stage, pruning bars) carries over.
                let mut trial = Trial::new(
                    plan.space(),
                    c.trial.index,
                    c.trial.entry,
                    c.trial.params.clone(),
                );
                trial.key = key.clone();
                to_run.push(Job::Refit { trial, folder });
            }
        }
    }
    let mut ending = Ending::Finished;
    if !to_run.is_empty() {
        if !quiet {
            let rows = plan.data().train_rows().len();
            match (plan.data().test(), plan.refit_on()) {
                (Some(test), crate::spec::RefitOn::All) => eprintln!(
                    "refitting {} on the {rows} training rows, scoring on the {} test rows, then refitting on all {}",
                    crate::error::count(to_run.len(), "model"),
                    test.rows.len(),
                    rows + test.rows.len()
                ),
                _ => eprintln!(
                    "refitting {} on all {rows} training rows",
                    crate::error::count(to_run.len(), "model")
                ),
            }
        }
        let mut ran: Vec<TrialRecord> = Vec::new();
        let mut sink = |record: TrialRecord| -> Result<Flow> {
            ran.push(record);
            Ok(Flow::Continue)
        };
        let ex = plan.execution();
        ending = execute::run_listed(evaluator, to_run, ex.backend, ex.jobs, &mut sink)?.0;
        for record in ran {
            let ranked = chosen.iter().find(|c| c.trial.key == record.trial.key);
            let folder = ModelDir::of_key(out, &record.trial.key);
            let saved = match (record.status, ranked) {
                (Status::Ok, Some(ranked)) => write_card(plan, &record, ranked, &folder)
                    .map(|card| record_of(&card, &folder, out)),
                _ => Err(anyhow::anyhow!("{}", record.error)),
            };
            let entry = saved.unwrap_or_else(|e| RefitRecord {
                key: record.trial.key.clone(),
                model: record.trial.model.clone(),
                dir: folder.relative_to(out),
                best: false,
                status: if record.status == Status::Ok {
                    Status::Failed
                } else {
                    record.status
                },
                error: format!("{e:#}"),
                fit_seconds: record.mean_fit_time,
                test: BTreeMap::new(),
            });
            finished.insert(entry.key.clone(), entry);
        }
    }
    if ending == Ending::Finished {
        ModelDir::remove_others(out, &wanted)?;
    }
    let records: Vec<RefitRecord> = chosen
        .iter()
        .enumerate()
        .filter_map(|(rank, c)| {
            let mut r = finished.remove(&c.trial.key)?;
            r.best = rank == 0;
            Some(r)
        })
        .collect();
    Ok((records, ending))
}

/// The record of a saved model (its `best` flag is set by the caller).
fn record_of(card: &ModelCard, folder: &ModelDir, out: &Path) -> RefitRecord {
    RefitRecord {
        key: card.key.clone(),
        model: card.family.clone(),
        dir: folder.relative_to(out),
        best: false,
        status: Status::Ok,
        error: String::new(),
        fit_seconds: card.refit_seconds,
        test: card.test.clone(),
    }
}

/// Reads back the model a refit saved (so a model that does not load is a failed refit, not a
/// surprise at predict time) and writes its model.json.
fn write_card(
    plan: &Plan,
    record: &TrialRecord,
    ranked: &Contender,
    folder: &ModelDir,
) -> Result<ModelCard> {
    let model = folder.load()?;
    let info = &model.info;
    let family = crate::models::find(&info.family)
        .ok_or_else(|| anyhow::anyhow!("unknown model family `{}`", info.family))?;
    let params = family
        .params()
        .iter()
        .map(|spec| {
            let value = info
                .params
                .iter()
                .find(|(n, _)| n == spec.name)
                .map_or_else(|| spec.default_value(), |(_, v)| v.clone());
            (spec.name.to_string(), value.to_json())
        })
        .collect();
    let features = plan.data().dataset().feature_names();
    let card = ModelCard {
        format_version: FORMAT_VERSION,
        tool_version: info.tool_version.clone(),
        family: info.family.clone(),
        key: info.key.clone(),
        params,
        seed: info.seed,
        task: info.schema.task.to_string(),
        target: info.schema.target.clone(),
        class_labels: info.schema.class_labels.clone(),
        input_schema: info
            .schema
            .columns
            .iter()
            .map(|c| {
                let mut column = json!({"name": c.name, "kind": c.coding.kind().name()});
                match &c.coding {
                    Coding::Category { levels } => column["categories"] = json!(levels),
                    Coding::Date { parts } => column["parts"] = json!(parts),
                    Coding::Number | Coding::Boolean => {}
                }
                column
            })
            .collect(),
        imputation: model
            .pipeline
            .fill_values()
            .filter(|(_, fill)| !fill.is_nan())
            .filter_map(|(f, fill)| Some((features.get(f)?.clone(), fill)))
            .collect(),
        cv: ranked
            .cv
            .iter()
            .filter(|(_, v)| !v.is_nan())
            .map(|&(m, v)| (columns::mean_test(m), v))
            .collect(),
        test: plan
            .space()
            .metrics()
            .iter()
            .zip(&record.means)
            .filter(|(_, v)| !v.is_nan())
            .map(|(&m, &v)| (columns::held_out(m), v))
            .collect(),
        test_set: plan.data().test().as_ref().map(|t| t.source.clone()),
        data_path: plan.data().dataset().path.clone(),
        data_sha256: info.data_sha256.clone(),
        training_rows: info.training_rows,
        trained_on: match (plan.data().test(), plan.refit_on()) {
            (Some(_), crate::spec::RefitOn::Train) => "train",
            _ => "all",
        }
        .to_string(),
        refit_seconds: record.mean_fit_time + record.mean_shared_fit_time,
        feature_importance: {
            let columns = model.pipeline.column_features();
            model
                .predictor
                .split_gains(columns.len())
                .map(|gains| FeatureImportance::from_gains(&gains, &columns, &features))
                .unwrap_or_default()
        },
        // A model that learnt the test rows cannot be judged on them.
        permutation_importance: match plan.refit_on() {
            crate::spec::RefitOn::Train => crate::evaluate::permutation_importance(plan, &model),
            crate::spec::RefitOn::All => Vec::new(),
        },
        model_bytes: std::fs::metadata(folder.model_file()).map_or(0, |m| m.len()),
        kept_rows: model
            .predictor
            .kept_rows()
            .map(|(rows, bytes)| KeptRows { rows, bytes }),
    };
    folder.save_card(&card)?;
    Ok(card)
}

/// The end-of-run lines about saved models: where each is, and its test scores.
pub fn summary(records: &[RefitRecord], out: &Path, primary: Metric) -> String {
    let mut text = String::new();
    for r in records {
        let place = out.join(&r.dir);
        match r.status {
            Status::Ok => {
                let test = r
                    .test
                    .get(&columns::held_out(primary))
                    .map_or(String::new(), |v| {
                        format!(", test {} {v:.4}", primary.name())
                    });
                text.push_str(&format!(
                    "model{}: {} ({}{test})\n",
                    if r.best { " (best)" } else { "" },
                    place.display(),
                    r.key
                ));
            }
            status => text.push_str(&format!(
                "refit of {} {}: {}\n",
                r.key,
                status.name(),
                r.error
            )),
        }
    }
    text
}
