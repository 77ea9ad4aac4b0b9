//! After the search: the chosen configurations (the best, or the best of each family) are refitted on
//! every training row on the run's backend, each saved in `DIR/models/<key-slug>/` — `model.bin` (the
//! model), `model.json` (what it is, readable) and `test_predictions.csv` (when there is a test set) —
//! and scored once on the test set. `model.json` is written last: a folder that has one matching the
//! configuration and the data is done, so a resumed run refits only what is missing.

use crate::data::schema::Coding;
use crate::evaluate::refit::MODEL_FILE;
use crate::evaluate::{Evaluator, Status, TrialRecord};
use crate::execute::{self, Ending, Flow};
use crate::expand::Trial;
use crate::metrics::Metric;
use crate::models::saved::{Model, ModelInfo, FORMAT_VERSION};
use crate::results::columns;
use crate::results::leaderboard::{best_trials, RankedTrial};
use crate::results::manifest::RefitRecord;
use crate::results::trials::find_recorded;
use crate::results::write_atomic;
use crate::seed::key_hash;
use crate::spec::{Plan, Refit, TestSource};
use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const MODELS: &str = "models";
pub const MODEL_JSON: &str = "model.json";

/// model.json: a refitted model described for people (and for resuming: key, data and scores).
#[derive(Debug, Serialize, Deserialize)]
pub struct ModelCard {
    /// The format of the model.bin beside it.
    pub format_version: u32,
    pub tool_version: String,
    pub family: String,
    pub key: String,
    /// Every parameter, defaults included.
    pub params: serde_json::Map<String, serde_json::Value>,
    pub seed: u64,
    pub task: String,
    pub target: String,
    pub class_labels: Vec<String>,
    /// The input columns in the order the model reads them: kind, and categories or date parts.
    pub input_schema: Vec<serde_json::Value>,
    /// What fills a missing number, per feature (fitted on the training rows).
    pub imputation: BTreeMap<String, f64>,
    /// `mean_test_<metric>` of the configuration in cross-validation.
    pub cv: BTreeMap<String, f64>,
    /// `test_<metric>` on the held-out test set (empty without one).
    pub test: BTreeMap<String, f64>,
    pub test_set: Option<TestSource>,
    pub data_path: PathBuf,
    pub data_sha256: String,
    pub training_rows: usize,
    pub refit_seconds: f64,
}

impl ModelCard {
    /// The first of family, configuration and training data on which this card and the model
    /// file's own record disagree (what, the card's value, the file's value): a model.bin copied in
    /// from another folder.
    pub fn mismatch<'a>(&'a self, info: &'a ModelInfo) -> Option<(&'static str, &'a str, &'a str)> {
        [
            ("the family", &self.family, &info.family),
            ("the configuration", &self.key, &info.key),
            (
                "the training data's sha256",
                &self.data_sha256,
                &info.data_sha256,
            ),
        ]
        .into_iter()
        .find(|(_, card, file)| card != file)
        .map(|(what, card, file)| (what, card.as_str(), file.as_str()))
    }
}

/// A model folder's name: the trial key with only characters safe in file names, shortened (with a
/// hash of the key, so different keys stay apart) when long.
pub fn key_slug(key: &str) -> String {
    let mut slug: String = key
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '=' | '_' | '-' => c,
            _ => '-',
        })
        .collect::<String>()
        .trim_end_matches('-')
        .to_string();
    if slug.len() > 96 {
        slug.truncate(80);
        slug.push_str(&format!("-{:016x}", key_hash(key)));
    }
    slug
}

/// Refits and saves the configurations `plan.refit` asks for, from the ranked leaderboard in `out`.
pub fn refit_models(
    evaluator: &Arc<Evaluator>,
    out: &Path,
    quiet: bool,
) -> Result<(Vec<RefitRecord>, Ending)> {
    let plan = &evaluator.plan;
    let per_model = match plan.refit {
        Refit::None => return Ok((Vec::new(), Ending::Finished)),
        Refit::Best => false,
        Refit::PerModel => true,
    };
    let chosen = best_trials(out, per_model)?;
    let wanted: Vec<&str> = chosen.iter().map(|c| c.key.as_str()).collect();
    // Rebuilt from the recorded rows (adaptive searches cannot list their trials); the key stays the
    // recorded one (a halving rung's `@rows=` included) and the seed the configuration's.
    let mut trials: HashMap<String, Trial> = find_recorded(out, plan, &wanted)?
        .into_iter()
        .map(|r| {
            let mut trial = Trial::new(plan, r.index, r.past.entry, r.past.params);
            trial.key = r.past.key;
            (trial.key.clone(), trial)
        })
        .collect();
    let mut finished: HashMap<String, RefitRecord> = HashMap::new();
    let mut to_run = Vec::new();
    for c in &chosen {
        let dir = out.join(MODELS).join(key_slug(&c.key));
        match done(&dir, &c.key, &plan.dataset.hash) {
            Some(card) => {
                finished.insert(c.key.clone(), record_of(&card, &dir, out));
            }
            None => {
                if let Some(mut trial) = trials.remove(&c.key) {
                    trial.refit = Some(dir);
                    to_run.push(trial);
                }
            }
        }
    }
    let mut ending = Ending::Finished;
    if !to_run.is_empty() {
        if !quiet {
            eprintln!(
                "refitting {} on all {} training rows",
                plural(to_run.len(), "model"),
                plan.train_rows.len()
            );
        }
        let mut ran: Vec<TrialRecord> = Vec::new();
        let mut sink = |record: TrialRecord| -> Result<Flow> {
            ran.push(record);
            Ok(Flow::Continue)
        };
        let ex = plan.execution;
        ending = execute::run_listed(evaluator, to_run, ex.backend, ex.jobs, &mut sink)?.0;
        for record in ran {
            let ranked = chosen.iter().find(|c| c.key == record.trial.key);
            let dir = out.join(MODELS).join(key_slug(&record.trial.key));
            let saved = match (record.status, ranked) {
                (Status::Ok, Some(ranked)) => {
                    write_card(plan, &record, ranked, &dir).map(|card| record_of(&card, &dir, out))
                }
                _ => Err(anyhow::anyhow!("{}", record.error)),
            };
            let entry = saved.unwrap_or_else(|e| RefitRecord {
                key: record.trial.key.clone(),
                model: record.trial.model.clone(),
                dir: relative(&dir, out),
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
    let kept: Vec<String> = chosen.iter().map(|c| key_slug(&c.key)).collect();
    if ending == Ending::Finished {
        remove_superseded(&out.join(MODELS), &kept)?;
    }
    let records: Vec<RefitRecord> = chosen
        .iter()
        .enumerate()
        .filter_map(|(rank, c)| {
            let mut r = finished.remove(&c.key)?;
            r.best = rank == 0;
            Some(r)
        })
        .collect();
    Ok((records, ending))
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn relative(dir: &Path, out: &Path) -> PathBuf {
    dir.strip_prefix(out).unwrap_or(dir).to_path_buf()
}

/// The card of a model folder that already holds this configuration refitted on this data: its
/// model.json and its model.bin (which loads, and is that configuration: a file copied in from
/// another folder is refitted over) both say so.
fn done(dir: &Path, key: &str, data_sha256: &str) -> Option<ModelCard> {
    let text = std::fs::read_to_string(dir.join(MODEL_JSON)).ok()?;
    let card: ModelCard = serde_json::from_str(&text).ok()?;
    let model = Model::read(&dir.join(MODEL_FILE)).ok()?;
    (card.key == key
        && card.data_sha256 == data_sha256
        && card.format_version == FORMAT_VERSION
        && card.mismatch(&model.info).is_none())
    .then_some(card)
}

/// Removes the model folders under `models` that hold none of the `kept` configurations (a best
/// model a resumed search has since beaten), so the folder lists exactly what the manifest does.
/// Only folders that look like model folders (a model.bin or model.json in them) are touched.
fn remove_superseded(models: &Path, kept: &[String]) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(models) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let model_folder = dir.join(MODEL_FILE).exists() || dir.join(MODEL_JSON).exists();
        if model_folder && dir.is_dir() && !kept.contains(&name) {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove the superseded model {}", dir.display()))?;
        }
    }
    Ok(())
}

/// The record of a saved model (its `best` flag is set by the caller).
fn record_of(card: &ModelCard, dir: &Path, out: &Path) -> RefitRecord {
    RefitRecord {
        key: card.key.clone(),
        model: card.family.clone(),
        dir: relative(dir, out),
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
    ranked: &RankedTrial,
    dir: &Path,
) -> Result<ModelCard> {
    let model = Model::read(&dir.join(MODEL_FILE))?;
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
    let features = plan.dataset.feature_names();
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
            .filter_map(|(f, fill)| Some((features.get(f)?.clone(), fill)))
            .collect(),
        cv: ranked
            .cv
            .iter()
            .map(|&(m, v)| (columns::mean_test(m), v))
            .collect(),
        test: plan
            .metrics
            .iter()
            .zip(&record.means)
            .map(|(&m, &v)| (columns::held_out(m), v))
            .collect(),
        test_set: plan.test.as_ref().map(|t| t.source.clone()),
        data_path: plan.dataset.path.clone(),
        data_sha256: info.data_sha256.clone(),
        training_rows: info.training_rows,
        refit_seconds: record.mean_fit_time + record.mean_shared_fit_time,
    };
    write_atomic(
        &dir.join(MODEL_JSON),
        serde_json::to_string_pretty(&card)?.as_bytes(),
    )?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_names_and_long_keys_stay_distinct() {
        assert_eq!(
            key_slug("svm+min_max_scaler(c=1.0,kernel=rbf)"),
            "svm-min_max_scaler-c=1.0-kernel=rbf"
        );
        let long = |v: &str| format!("random_forest({}x={v})", "a".repeat(120));
        let (a, b) = (key_slug(&long("1")), key_slug(&long("2")));
        assert_ne!(a, b);
        assert!(a.len() <= 97, "{a}");
        assert!(!key_slug("m(p=a/b)").contains('/'));
    }
}
