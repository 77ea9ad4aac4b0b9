//! A results folder as the report reads it: its manifest and its trials, typed, streamed from
//! trials.csv (so a running or killed run can be reported too).

use crate::evaluate::Status;
use crate::metrics::Metric;
use crate::models::folder::{ModelCard, ModelDir, OUT_OF_FOLD, TEST_PREDICTIONS};
use crate::models::pool_work::PoolSpan;
use crate::results::columns::{self, TrialColumns, MEAN_FIT_TIME};
use crate::results::manifest::Manifest;
use crate::results::{open_complete, trials_file};
use crate::spec::Strategy;
use anyhow::Result;
use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// A parameter's value in one trial: a number, or anything else as text (`None`, `true`, `gini`).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Number(f64),
    Text(String),
}

impl ParamValue {
    pub fn number(&self) -> Option<f64> {
        match self {
            ParamValue::Number(x) => Some(*x),
            ParamValue::Text(_) => None,
        }
    }

    fn parse(cell: &str) -> Option<ParamValue> {
        match cell {
            "" => None,
            _ => Some(match cell.parse::<f64>() {
                Ok(x) if x.is_finite() => ParamValue::Number(x),
                _ => ParamValue::Text(cell.to_string()),
            }),
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Number(x) => write!(f, "{x}"),
            ParamValue::Text(t) => f.write_str(t),
        }
    }
}

/// One row of trials.csv, typed.
#[derive(Debug, Clone)]
pub struct TrialRow {
    pub index: usize,
    pub key: String,
    pub model: String,
    pub status: Status,
    pub error: String,
    /// One per [`Run::params`]; `None` where the trial's model has no such parameter.
    pub params: Vec<Option<ParamValue>>,
    /// The primary metric's mean over folds, for ok trials.
    pub score: Option<f64>,
    /// Its standard deviation over folds.
    pub spread: f64,
    /// Seconds per fold: fitting, building what trials share (e.g. a forest's trees) and scoring.
    pub cost: f64,
    /// Successive halving's rung.
    pub rung: Option<usize>,
    pub worker: Option<u32>,
    /// The shard that ran it, in a merged sharded run.
    pub shard: Option<usize>,
    /// Seconds since the run started.
    pub span: Option<(f64, f64)>,
}

/// A results folder: what ran (the manifest) and every complete trial row.
pub struct Run {
    pub dir: PathBuf,
    /// Short name for legends: the folder's name.
    pub label: String,
    pub manifest: Manifest,
    pub metric: Metric,
    pub strategy: Strategy,
    /// Parameter names, from the `param_*` columns.
    pub params: Vec<String>,
    pub trials: Vec<TrialRow>,
    /// Held-out test score (primary metric) of each refitted trial, by key.
    pub test_scores: HashMap<String, f64>,
    /// The model card (model.json) of the best refitted model, when it was saved.
    pub best_model: Option<ModelCard>,
    /// What the best model predicted for rows it was not fitted on.
    pub held_out: Option<HeldOut>,
    /// Work threads did for trials they were not running (offsets after the run's start).
    pub pool_work: Vec<PoolSpan>,
}

/// Rows a model was judged on: the test set (test_predictions.csv) or, without one, each fold's
/// held-out rows (out_of_fold.csv), with the true and the predicted target as written.
pub struct HeldOut {
    pub on_test_set: bool,
    pub truth: Vec<String>,
    pub predicted: Vec<String>,
}

impl HeldOut {
    /// The predictions saved beside a model, if any (a folder from before they were saved has none).
    fn load(folder: &Path) -> Option<HeldOut> {
        let (file, on_test_set) = [(TEST_PREDICTIONS, true), (OUT_OF_FOLD, false)]
            .into_iter()
            .find(|(f, _)| folder.join(f).is_file())?;
        let mut reader = csv::Reader::from_path(folder.join(file)).ok()?;
        let header = reader.headers().ok()?.clone();
        if header.get(0) != Some("row") {
            return None;
        }
        // out_of_fold.csv says each row's fold after its number.
        let at = usize::from(header.get(1) == Some("fold")) + 1;
        let (mut truth, mut predicted) = (Vec::new(), Vec::new());
        for record in reader.records() {
            let record = record.ok()?;
            truth.push(record.get(at)?.to_string());
            predicted.push(record.get(at + 1)?.to_string());
        }
        Some(HeldOut {
            on_test_set,
            truth,
            predicted,
        })
    }
}

impl Run {
    pub fn load(dir: &Path) -> Result<Run> {
        let manifest = Manifest::read(dir)?;
        let metric = manifest.metric;
        let strategy = manifest.strategy;
        let path = trials_file(dir)?;
        let (file, complete) = open_complete(&path)?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(BufReader::new(file.take(complete)));
        let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
        let columns = TrialColumns::resolve_with(&header, metric)
            .and_then(|c| match c.has_costs() {
                true => Ok(c),
                false => Err(format!("no `{MEAN_FIT_TIME}` column")),
            })
            .map_err(|e| anyhow::anyhow!("{} is not a trials table: {e}", path.display()))?;
        let params = columns.param_names().map(String::from).collect();
        let mut records = Vec::new();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record)? {
            // A row cut short by a kill never finished.
            if record.len() == header.len() {
                records.push(record.clone());
            }
        }
        let costs = columns.costs(&records);
        let trials = records
            .iter()
            .zip(costs)
            .filter_map(|(record, cost)| trial_row(&columns, record, metric, cost))
            .collect();
        let test_name = columns::held_out(metric);
        let test_scores = manifest
            .models
            .iter()
            .filter_map(|m| Some((m.key.clone(), *m.test.get(&test_name)?)))
            .collect();
        let best_folder = manifest
            .models
            .iter()
            .find(|m| m.best && m.status == Status::Ok)
            .map(|m| dir.join(&m.dir));
        let best_model = best_folder
            .as_ref()
            .and_then(|f| ModelDir::at(f).card().ok().flatten())
            .map(|(card, _)| card);
        let held_out = best_folder.as_deref().and_then(HeldOut::load);
        let label = dir
            .file_name()
            .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
        Ok(Run {
            dir: dir.to_path_buf(),
            label,
            manifest,
            metric,
            strategy,
            params,
            trials,
            test_scores,
            best_model,
            held_out,
            pool_work: crate::results::pool_work::read(dir),
        })
    }

    /// Model families in the order of their best score (best first), then those with no ok trial.
    pub fn families(&self) -> Vec<String> {
        let mut best: Vec<(String, Option<f64>)> = Vec::new();
        for t in &self.trials {
            let at = match best.iter().position(|(m, _)| *m == t.model) {
                Some(at) => at,
                None => {
                    best.push((t.model.clone(), None));
                    best.len() - 1
                }
            };
            if let Some(s) = t.score {
                if best[at].1.is_none_or(|b| self.better(s, b)) {
                    best[at].1 = Some(s);
                }
            }
        }
        best.sort_by(|a, b| match (a.1, b.1) {
            (Some(x), Some(y)) => self.order(x, y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        best.into_iter().map(|(m, _)| m).collect()
    }

    /// Whether score `a` beats `b` on this run's metric.
    pub fn better(&self, a: f64, b: f64) -> bool {
        self.order(a, b) == std::cmp::Ordering::Less
    }

    /// Better scores first.
    pub fn order(&self, a: f64, b: f64) -> std::cmp::Ordering {
        self.metric.order(a, b)
    }

    /// The best ok trial of a family (the last halving rung first, as the leaderboard ranks).
    pub fn best_of(&self, family: &str) -> Option<&TrialRow> {
        self.best_where(|t| t.model == family)
    }

    /// The best ok trial of the run.
    pub fn best(&self) -> Option<&TrialRow> {
        self.best_where(|_| true)
    }

    fn best_where(&self, keep: impl Fn(&TrialRow) -> bool) -> Option<&TrialRow> {
        self.trials
            .iter()
            .filter(|t| keep(t) && t.score.is_some())
            .min_by(|a, b| {
                b.rung
                    .cmp(&a.rung)
                    .then(self.order(a.score.unwrap_or(0.0), b.score.unwrap_or(0.0)))
                    .then(a.key.cmp(&b.key))
            })
    }

    /// Number of trials with each status, in [`Status::ALL`] order.
    pub fn status_counts(&self) -> Vec<(Status, usize)> {
        Status::ALL
            .iter()
            .map(|&s| (s, self.trials.iter().filter(|t| t.status == s).count()))
            .collect()
    }
}

/// One trials.csv row typed; `None` for a row whose trial number or status cannot be read.
fn trial_row(
    columns: &TrialColumns,
    record: &csv::StringRecord,
    metric: Metric,
    cost: f64,
) -> Option<TrialRow> {
    Some(TrialRow {
        index: columns.trial(record)?,
        key: columns.key(record).to_string(),
        model: columns.model(record).to_string(),
        status: columns.status(record)?,
        error: columns.error(record).to_string(),
        params: columns
            .param_cells(record)
            .map(|(_, cell)| ParamValue::parse(cell))
            .collect(),
        score: columns.score(record, metric).filter(|s| s.is_finite()),
        spread: columns.std(record, metric).unwrap_or(0.0),
        cost,
        rung: columns.rung(record),
        worker: columns.worker(record),
        shard: columns.shard(record),
        span: columns.span(record),
    })
}
