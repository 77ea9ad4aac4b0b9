//! leaderboard.csv: trials ranked by the primary metric, streamed from trials.csv.

use super::columns::{self, TrialColumns, BASELINE};
use super::manifest::{RefitRecord, TrialCounts};
use super::trials::TrialsTable;
use super::{open_complete, replace_file, LEADERBOARD, TRIALS};
use crate::error::InputError;
use crate::evaluate::baseline::Baseline;
use crate::evaluate::{Status, TrialRecord};
use crate::expand::Trial;
use crate::metrics::Metric;
use anyhow::Result;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::path::PathBuf;

/// The leaderboard as written: its header, its first rows (for the final table), row count and the
/// number of trials per status.
pub struct Board {
    pub top: TrialsTable,
    pub rows: usize,
    pub statuses: TrialCounts,
}

/// How many leaderboard rows [`write_leaderboard`] keeps in memory for display.
const TOP_ROWS: usize = 20;

/// One trial's place in the ranking: its score (if ok), its key, and where its row is in trials.csv.
struct Entry {
    /// Successive halving's rung (0 for other strategies): later rungs rank first.
    rung: usize,
    score: Option<f64>,
    key: String,
    start: u64,
    end: u64,
}

/// Sorts best first and ranks: the last halving rung first (as scikit-learn picks its best there),
/// then by score; equal scores share a rank (the lowest), ties are then ordered by trial key; trials
/// that did not finish ok come last without a rank.
fn rank(entries: &mut [Entry], primary: Metric) -> Vec<Option<usize>> {
    entries.sort_by(|a, b| match (a.score, b.score) {
        (Some(x), Some(y)) => ranking(primary, (a.rung, x, &a.key), (b.rung, y, &b.key)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.key.cmp(&b.key),
    });
    shared_ranks(entries.iter().map(|e| e.score.map(|s| (e.rung, s))))
}

/// The leaderboard's order of two ok trials (rung, score, key), the better first.
fn ranking(metric: Metric, a: (usize, f64, &str), b: (usize, f64, &str)) -> std::cmp::Ordering {
    b.0.cmp(&a.0)
        .then(metric.order(a.1, b.1))
        .then_with(|| a.2.cmp(b.2))
}

/// A trial that may be chosen for refitting: where it ranks, and the configuration.
#[derive(Debug, Clone)]
pub struct Contender {
    pub rung: usize,
    pub score: f64,
    pub trial: Trial,
    /// Every metric's cross-validated mean.
    pub cv: Vec<(Metric, f64)>,
}

/// The best ok trial of each model family so far, by the leaderboard's ranking, kept as trials
/// finish so the refit knows its configurations without reading the results back.
pub struct Standings {
    metric: Metric,
    /// Best first.
    best: Vec<Contender>,
}

impl Standings {
    pub fn new(metric: Metric) -> Standings {
        Standings {
            metric,
            best: Vec::new(),
        }
    }

    /// Whether an ok trial of `model` at (rung, score, key) would be its family's best.
    pub fn would_take(&self, model: &str, rung: usize, score: f64, key: &str) -> bool {
        !score.is_nan()
            && self
                .best
                .iter()
                .find(|c| c.trial.model == model)
                .is_none_or(|c| ranking(self.metric, (rung, score, key), c.position()).is_lt())
    }

    pub fn offer(&mut self, contender: Contender) {
        let (rung, score) = (contender.rung, contender.score);
        if !self.would_take(&contender.trial.model, rung, score, &contender.trial.key) {
            return;
        }
        self.best.retain(|c| c.trial.model != contender.trial.model);
        self.best.push(contender);
        let metric = self.metric;
        self.best
            .sort_by(|a, b| ranking(metric, a.position(), b.position()));
    }

    /// A finished trial of this session (`metrics`: the task's, in record order).
    pub fn offer_record(&mut self, record: &TrialRecord, metrics: &[Metric]) {
        let Some(at) = metrics.iter().position(|&m| m == self.metric) else {
            return;
        };
        let Some(&score) = record.means.get(at).filter(|_| record.status == Status::Ok) else {
            return;
        };
        self.offer(Contender {
            rung: record.trial.stage.map_or(0, |s| s.rung),
            score,
            trial: record.trial.clone(),
            cv: metrics
                .iter()
                .copied()
                .zip(record.means.iter().copied())
                .collect(),
        });
    }

    /// The best trial, or the best of each family (`per_model`), best first.
    pub fn chosen(&self, per_model: bool) -> &[Contender] {
        &self.best[..self.best.len().min(if per_model { usize::MAX } else { 1 })]
    }
}

impl Contender {
    fn position(&self) -> (usize, f64, &str) {
        (self.rung, self.score, &self.trial.key)
    }
}

/// Ranks of scores already sorted best first: 1-based positions, equal scores sharing the first one's;
/// `None` (no score) stays unranked.
fn shared_ranks<T: PartialEq + Copy>(
    sorted: impl Iterator<Item = Option<T>>,
) -> Vec<Option<usize>> {
    let mut previous: Option<(T, usize)> = None;
    sorted
        .enumerate()
        .map(|(position, score)| match (score, previous) {
            (Some(s), Some((p, r))) if s == p => Some(r),
            (Some(s), _) => {
                previous = Some((s, position + 1));
                Some(position + 1)
            }
            (None, _) => None,
        })
        .collect()
}

/// Ranks trials.csv into leaderboard.csv without holding the rows in memory: one pass collects each
/// trial's score, key and byte range, the ranking sorts those, a second pass copies rows in rank order.
/// Refitted trials with test scores (`models`) get them in `test_<metric>` columns at the end; the
/// `baseline`, when given, is the last row (status `baseline`, no rank).
pub fn write_leaderboard(
    dir: &Path,
    primary: Metric,
    models: &[RefitRecord],
    baseline: Option<&Baseline>,
) -> Result<Board> {
    let (mut source, complete) = open_complete(&dir.join(TRIALS))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::new((&source).take(complete)));
    let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    let columns = TrialColumns::resolve_with(&header, primary)
        .map_err(|e| anyhow::anyhow!("{TRIALS}: {e}"))?;
    let mut entries = Vec::new();
    let mut statuses = TrialCounts::default();
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte();
        if !reader.read_record(&mut record)? {
            break;
        }
        if record.len() != header.len() {
            continue;
        }
        if let Some(status) = columns.status(&record) {
            statuses.add(status);
        }
        entries.push(Entry {
            rung: columns.rung(&record).unwrap_or(0),
            score: columns.score(&record, primary),
            key: columns.key(&record).to_string(),
            start,
            end: reader.position().byte(),
        });
    }
    drop(reader);
    let ranks = rank(&mut entries, primary);

    let mut board_header = vec![columns::rank_test(primary)];
    board_header.extend(header.iter().cloned());
    // The held-out metrics some refitted model has, in the task's order.
    let test_columns: Vec<String> = Metric::for_task(primary.task())
        .iter()
        .map(|&m| columns::held_out(m))
        .filter(|c| models.iter().any(|m| m.test.contains_key(c)))
        .collect();
    board_header.extend(test_columns.iter().cloned());
    let tests: HashMap<&str, &BTreeMap<String, f64>> =
        models.iter().map(|m| (m.key.as_str(), &m.test)).collect();
    let mut top = Vec::new();
    replace_file(&dir.join(LEADERBOARD), |out| {
        let mut writer = csv::Writer::from_writer(&mut *out);
        writer.write_record(&board_header)?;
        writer.flush()?;
        drop(writer);
        let mut row = Vec::new();
        for (entry, rank) in entries.iter().zip(&ranks) {
            row.resize((entry.end - entry.start) as usize, 0);
            source.seek(SeekFrom::Start(entry.start))?;
            source.read_exact(&mut row)?;
            // A trials.csv row is already a CSV record: copied as it is, between its rank and its
            // test scores (numbers, which need no quoting).
            let body = row.strip_suffix(b"\n").unwrap_or(&row);
            let body = body.strip_suffix(b"\r").unwrap_or(body);
            let rank = rank.map_or(String::new(), |r| r.to_string());
            out.write_all(rank.as_bytes())?;
            out.write_all(b",")?;
            out.write_all(body)?;
            let test = tests.get(entry.key.as_str());
            for c in &test_columns {
                let cell = test
                    .and_then(|t| t.get(c))
                    .map_or(String::new(), |v| v.to_string());
                out.write_all(b",")?;
                out.write_all(cell.as_bytes())?;
            }
            out.write_all(b"\n")?;
            if top.len() < TOP_ROWS {
                let mut one = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(body);
                one.read_record(&mut record)?;
                let mut shown = vec![rank];
                shown.extend(record.iter().map(String::from));
                shown.extend(test_columns.iter().map(|c| {
                    test.and_then(|t| t.get(c))
                        .map_or(String::new(), |v| v.to_string())
                }));
                top.push(shown);
            }
        }
        if let Some(baseline) = baseline {
            let mut writer = csv::Writer::from_writer(&mut *out);
            writer.write_record(baseline_row(&board_header, primary, baseline))?;
            writer.flush()?;
        }
        Ok(out.flush()?)
    })?;
    Ok(Board {
        top: TrialsTable {
            header: board_header,
            rows: top,
        },
        rows: entries.len(),
        statuses,
    })
}

/// The baseline as a leaderboard row: its scores under their columns, the rest empty.
fn baseline_row(header: &[String], primary: Metric, baseline: &Baseline) -> Vec<String> {
    let mut cells: HashMap<String, String> = HashMap::new();
    for name in [columns::KEY, columns::MODEL, columns::STATUS] {
        cells.insert(name.to_string(), BASELINE.to_string());
    }
    cells.insert(columns::ERROR.to_string(), baseline.description.clone());
    cells.insert(columns::PARAMS.to_string(), "{}".to_string());
    for &(metric, mean, std) in &baseline.scores {
        if !mean.is_nan() {
            cells.insert(columns::mean_test(metric), mean.to_string());
            cells.insert(columns::std_test(metric), std.to_string());
        }
    }
    for (k, score) in baseline.splits.iter().enumerate() {
        if !score.is_nan() {
            cells.insert(columns::split_test(k, primary), score.to_string());
        }
    }
    header
        .iter()
        .map(|name| cells.remove(name).unwrap_or_default())
        .collect()
}

/// One trial of [`rank_runs`]: its run folder, identity, score and cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunTrial {
    pub rank: usize,
    pub run: String,
    pub key: String,
    pub model: String,
    pub score: f64,
    pub std: f64,
    pub mean_fit_time: f64,
    /// Seconds per fold in all: fitting, shared work and scoring.
    pub cost_per_fold: f64,
    /// The parameter set as one JSON object.
    pub params: serde_json::Value,
}

/// The ok trials of several results folders ranked together by `metric` (read from each trials.csv
/// only, so unfinished runs count), best first; equal scores share a rank, then run and key order.
/// `model` keeps one family. A folder without the metric's column is an input error naming the
/// metrics it has.
///
/// With `on_test_set`, only the refitted trials count, ranked by their score on the held-out test set
/// (`test_<metric>` in the manifest's models), their std left empty.
pub fn rank_runs(
    dirs: &[PathBuf],
    metric: Metric,
    on_test_set: bool,
    model: Option<&str>,
) -> Result<Vec<RunTrial>> {
    let mut trials = Vec::new();
    for dir in dirs {
        let path = super::trials_file(dir)?;
        let table = TrialsTable::read(&path)?;
        let columns = TrialColumns::resolve(&table.header)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let tested: Option<std::collections::HashMap<String, f64>> = if on_test_set {
            let manifest = super::manifest::Manifest::read(dir)?;
            let name = columns::held_out(metric);
            let scores: std::collections::HashMap<String, f64> = manifest
                .models
                .iter()
                .filter_map(|m| Some((m.key.clone(), *m.test.get(&name)?)))
                .collect();
            if scores.is_empty() {
                return Err(InputError::new(format!(
                    "{}: no refitted model has a {name} score (the sweep has no test set, or {} is not \
                     one of its metrics); rank by cross-validation with --by {}",
                    dir.display(),
                    metric.name(),
                    metric.name()
                ))
                .into());
            }
            Some(scores)
        } else {
            None
        };
        if tested.is_none() && !columns.has(metric) {
            let have: Vec<&str> = columns.metrics().map(Metric::name).collect();
            return Err(InputError::new(format!(
                "{}: no column {}; its trials have the metrics: {}",
                path.display(),
                columns::mean_test(metric),
                have.join(", ")
            ))
            .into());
        }
        let run = dir.display().to_string();
        let costs = columns.costs(&table.rows);
        for (row, cost_per_fold) in table.rows.iter().zip(costs) {
            let value = match &tested {
                Some(scores) => scores.get(columns.key(row)).copied(),
                None => columns.score(row, metric),
            };
            let Some(value) = value else {
                continue;
            };
            if model.is_some_and(|m| m != columns.model(row)) {
                continue;
            }
            trials.push(RunTrial {
                rank: 0,
                run: run.clone(),
                key: columns.key(row).to_string(),
                model: columns.model(row).to_string(),
                score: value,
                std: match tested {
                    Some(_) => f64::NAN,
                    None => columns.std(row, metric).unwrap_or(f64::NAN),
                },
                mean_fit_time: columns.fit_time(row).unwrap_or(f64::NAN),
                cost_per_fold,
                params: serde_json::from_str(columns.params(row))
                    .unwrap_or(serde_json::Value::Null),
            });
        }
    }
    trials.sort_by(|a, b| {
        metric
            .order(a.score, b.score)
            .then_with(|| a.run.cmp(&b.run))
            .then_with(|| a.key.cmp(&b.key))
    });
    let ranks = shared_ranks(trials.iter().map(|t| Some(t.score)));
    for (t, rank) in trials.iter_mut().zip(ranks) {
        t.rank = rank.unwrap_or(0);
    }
    Ok(trials)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a trials.csv of (key, status, score) rows and ranks it.
    fn ranked(
        metric: Metric,
        rows: &[(&str, &str, &str)],
        tail: &str,
    ) -> (tempfile::TempDir, Board) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = format!(
            "trial,key,model,status,error,params,mean_test_{}\n",
            metric.name()
        );
        for (k, s, v) in rows {
            text.push_str(&format!("0,{k},m,{s},,{{}},{v}\n"));
        }
        text.push_str(tail);
        std::fs::write(dir.path().join(TRIALS), text).unwrap();
        let board = write_leaderboard(dir.path(), metric, &[], None).unwrap();
        (dir, board)
    }

    #[test]
    fn ties_share_a_rank_and_failures_come_last() {
        let rows = [
            ("d", "failed", ""),
            ("c", "ok", "0.9"),
            ("a", "ok", "0.95"),
            ("b", "ok", "0.9"),
        ];
        let (dir, board) = ranked(Metric::Accuracy, &rows, "");
        let written = std::fs::read_to_string(dir.path().join(LEADERBOARD)).unwrap();
        let expected = "rank_test_accuracy,trial,key,model,status,error,params,mean_test_accuracy\n\
                        1,0,a,m,ok,,{},0.95\n2,0,b,m,ok,,{},0.9\n2,0,c,m,ok,,{},0.9\n,0,d,m,failed,,{},\n";
        assert_eq!(written, expected);
        assert_eq!(board.rows, 4);
        assert_eq!(board.statuses.ok, 3);
        assert_eq!(board.top.rows[0][2], "a");
    }

    #[test]
    fn lower_is_better_for_error_metrics_and_a_torn_row_is_skipped() {
        let (_dir, board) = ranked(
            Metric::Rmse,
            &[("a", "ok", "3.0"), ("b", "ok", "1.0")],
            "0,c,m,ok,,{},0.",
        );
        assert_eq!(board.rows, 2);
        assert_eq!(board.top.rows[0][2], "b");
    }

    #[test]
    fn torn_last_row_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TRIALS);
        std::fs::write(&path, "key,status,mean_test_accuracy\na,ok,0.5\nb,o").unwrap();
        let t = TrialsTable::read(&path).unwrap();
        assert_eq!(t.rows.len(), 1);
    }
}
