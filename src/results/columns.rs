//! The vocabulary of trials.csv and leaderboard.csv: the column names (as scikit-learn's
//! `cv_results_` where one exists), used by the writer's header, and [`TrialColumns`], a header
//! resolved once into typed accessors for every reader. No other code names a column.

use crate::evaluate::Status;
use crate::metrics::Metric;
use std::collections::HashMap;

pub const TRIAL: &str = "trial";
pub const KEY: &str = "key";
pub const MODEL: &str = "model";
pub const STATUS: &str = "status";
pub const ERROR: &str = "error";
pub const PARAMS: &str = "params";
pub const RUNG: &str = "rung";
pub const RESOURCE: &str = "resource";
pub const MEAN_FIT_TIME: &str = "mean_fit_time";
pub const MEAN_SHARED_FIT_TIME: &str = "mean_shared_fit_time";
/// What the shared values a trial read cost to build, whoever built them.
pub const MEAN_SHARED_READ_TIME: &str = "mean_shared_read_time";
pub const MEAN_SCORE_TIME: &str = "mean_score_time";
/// Seconds per fold, in header order.
pub const TIMES: [&str; 6] = [
    MEAN_FIT_TIME,
    "std_fit_time",
    MEAN_SHARED_FIT_TIME,
    MEAN_SHARED_READ_TIME,
    MEAN_SCORE_TIME,
    "std_score_time",
];
/// Mean over folds of the iterations a fit ran (scikit-learn's `n_iter_`), when a family iterates.
pub const MEAN_N_ITER: &str = "mean_n_iter";
pub const SEED: &str = "seed";
pub const BACKEND: &str = "backend";
pub const WORKER: &str = "worker";
pub const START_OFFSET: &str = "start_offset";
pub const END_OFFSET: &str = "end_offset";
/// Added by `sweep merge`: the shard a trial ran in.
pub const SHARD: &str = "shard";
/// The key, model and status of leaderboard.csv's baseline row.
pub const BASELINE: &str = "baseline";
/// A column of leaderboard.csv and `sweep leaderboard`'s CSV: which folder a trial comes from.
pub const RUN: &str = "run";

/// Columns that legitimately differ between two runs of the same sweep: times and where it ran.
pub const RUN_SPECIFIC: [&str; 11] = [
    TIMES[0],
    TIMES[1],
    TIMES[2],
    TIMES[3],
    TIMES[4],
    TIMES[5],
    BACKEND,
    WORKER,
    START_OFFSET,
    END_OFFSET,
    SHARD,
];

pub fn param(name: &str) -> String {
    format!("param_{name}")
}

pub fn mean_test(metric: Metric) -> String {
    format!("mean_test_{}", metric.name())
}

pub fn std_test(metric: Metric) -> String {
    format!("std_test_{}", metric.name())
}

pub fn split_test(fold: usize, metric: Metric) -> String {
    format!("split{fold}_test_{}", metric.name())
}

/// leaderboard.csv's first column.
pub fn rank_test(metric: Metric) -> String {
    format!("rank_test_{}", metric.name())
}

/// A refitted model's score on the held-out test set (leaderboard.csv's last columns).
pub fn held_out(metric: Metric) -> String {
    format!("test_{}", metric.name())
}

/// A row of cells, however it was read.
pub trait Cells {
    fn cell(&self, column: usize) -> &str;
}

impl Cells for [String] {
    fn cell(&self, column: usize) -> &str {
        &self[column]
    }
}

impl Cells for Vec<String> {
    fn cell(&self, column: usize) -> &str {
        &self[column]
    }
}

impl Cells for [&str] {
    fn cell(&self, column: usize) -> &str {
        self[column]
    }
}

impl Cells for csv::StringRecord {
    fn cell(&self, column: usize) -> &str {
        &self[column]
    }
}

/// Where each field is in a trials.csv or leaderboard.csv header, resolved once.
#[derive(Debug, Clone)]
pub struct TrialColumns {
    trial: usize,
    key: usize,
    model: usize,
    status: usize,
    error: usize,
    params: usize,
    /// `param_<name>` columns, in header order.
    param_columns: Vec<(String, usize)>,
    /// `mean_test_<metric>` and `std_test_<metric>` columns.
    metrics: Vec<(Metric, usize, Option<usize>)>,
    /// `split<k>_test_<metric>` columns, by fold.
    splits: Vec<(Metric, Vec<usize>)>,
    times: [Option<usize>; 6],
    rung: Option<usize>,
    resource: Option<usize>,
    worker: Option<usize>,
    shard: Option<usize>,
    offsets: Option<(usize, usize)>,
    rank: Option<usize>,
    held_out: Vec<(Metric, usize)>,
}

impl TrialColumns {
    /// Resolves a header; a missing identity column (trial, key, model, status, error, params) is
    /// an error naming it.
    pub fn resolve(header: &[impl AsRef<str>]) -> Result<TrialColumns, String> {
        let find = |name: &str| header.iter().position(|h| h.as_ref() == name);
        let need = |name: &str| find(name).ok_or_else(|| format!("no `{name}` column"));
        let named = |prefix: &str, suffix: &str| -> Vec<(String, usize)> {
            header
                .iter()
                .enumerate()
                .filter_map(|(c, h)| {
                    let inner = h.as_ref().strip_prefix(prefix)?.strip_suffix(suffix)?;
                    Some((inner.to_string(), c))
                })
                .collect()
        };
        let metric_columns = |prefix: &str| -> Vec<(Metric, usize)> {
            named(prefix, "")
                .into_iter()
                .filter_map(|(name, c)| Some((Metric::from_name(&name)?, c)))
                .collect()
        };
        let means = metric_columns("mean_test_");
        let mut splits: Vec<(Metric, Vec<usize>)> = Vec::new();
        for &(metric, _) in &means {
            let by_fold: Vec<usize> = (0..).map_while(|k| find(&split_test(k, metric))).collect();
            if !by_fold.is_empty() {
                splits.push((metric, by_fold));
            }
        }
        Ok(TrialColumns {
            trial: need(TRIAL)?,
            key: need(KEY)?,
            model: need(MODEL)?,
            status: need(STATUS)?,
            error: need(ERROR)?,
            params: need(PARAMS)?,
            param_columns: named("param_", ""),
            metrics: means
                .into_iter()
                .map(|(m, c)| (m, c, find(&std_test(m))))
                .collect(),
            splits,
            times: TIMES.map(find),
            rung: find(RUNG),
            resource: find(RESOURCE),
            worker: find(WORKER),
            shard: find(SHARD),
            offsets: find(START_OFFSET).zip(find(END_OFFSET)),
            rank: header
                .first()
                .filter(|h| h.as_ref().starts_with("rank_test_"))
                .map(|_| 0),
            held_out: metric_columns("test_"),
        })
    }

    /// Like [`resolve`](Self::resolve), and the metric's mean column must be there too.
    pub fn resolve_with(
        header: &[impl AsRef<str>],
        metric: Metric,
    ) -> Result<TrialColumns, String> {
        let columns = Self::resolve(header)?;
        if !columns.has(metric) {
            return Err(format!("no `{}` column", mean_test(metric)));
        }
        Ok(columns)
    }

    pub fn trial(&self, row: &(impl Cells + ?Sized)) -> Option<usize> {
        row.cell(self.trial).parse().ok()
    }

    pub fn trial_text<'r>(&self, row: &'r (impl Cells + ?Sized)) -> &'r str {
        row.cell(self.trial)
    }

    pub fn key<'r>(&self, row: &'r (impl Cells + ?Sized)) -> &'r str {
        row.cell(self.key)
    }

    pub fn model<'r>(&self, row: &'r (impl Cells + ?Sized)) -> &'r str {
        row.cell(self.model)
    }

    /// `None` for a status that is not one of [`Status::ALL`].
    pub fn status(&self, row: &(impl Cells + ?Sized)) -> Option<Status> {
        Status::from_name(row.cell(self.status))
    }

    pub fn status_text<'r>(&self, row: &'r (impl Cells + ?Sized)) -> &'r str {
        row.cell(self.status)
    }

    pub fn error<'r>(&self, row: &'r (impl Cells + ?Sized)) -> &'r str {
        row.cell(self.error)
    }

    /// The parameter set as the JSON object text it was written as.
    pub fn params<'r>(&self, row: &'r (impl Cells + ?Sized)) -> &'r str {
        row.cell(self.params)
    }

    /// The `param_<name>` columns: name and cell, in header order.
    pub fn param_cells<'r>(
        &'r self,
        row: &'r (impl Cells + ?Sized),
    ) -> impl Iterator<Item = (&'r str, &'r str)> + 'r {
        self.param_columns
            .iter()
            .map(move |(name, c)| (name.as_str(), row.cell(*c)))
    }

    pub fn param_names(&self) -> impl Iterator<Item = &str> {
        self.param_columns.iter().map(|(n, _)| n.as_str())
    }

    /// Whether the header holds the metric's mean.
    pub fn has(&self, metric: Metric) -> bool {
        self.metrics.iter().any(|(m, _, _)| *m == metric)
    }

    /// The metrics with a mean column, in header order.
    pub fn metrics(&self) -> impl Iterator<Item = Metric> + '_ {
        self.metrics.iter().map(|(m, _, _)| *m)
    }

    /// The metric's mean over folds as written (any status); `None` when empty or not a number.
    pub fn mean(&self, row: &(impl Cells + ?Sized), metric: Metric) -> Option<f64> {
        let (_, c, _) = self.metrics.iter().find(|(m, _, _)| *m == metric)?;
        row.cell(*c).parse().ok()
    }

    pub fn std(&self, row: &(impl Cells + ?Sized), metric: Metric) -> Option<f64> {
        let (_, _, c) = self.metrics.iter().find(|(m, _, _)| *m == metric)?;
        row.cell((*c)?).parse().ok()
    }

    /// The score a ranking uses: the metric's mean of an ok trial, never NaN.
    pub fn score(&self, row: &(impl Cells + ?Sized), metric: Metric) -> Option<f64> {
        (self.status(row) == Some(Status::Ok))
            .then(|| self.mean(row, metric))
            .flatten()
            .filter(|s| !s.is_nan())
    }

    /// How many `split<k>_test_<metric>` columns the header has.
    pub fn folds(&self, metric: Metric) -> usize {
        self.splits
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(0, |(_, c)| c.len())
    }

    /// The metric on each fold the trial finished, in fold order.
    pub fn splits(&self, row: &(impl Cells + ?Sized), metric: Metric) -> Vec<f64> {
        self.splits
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(&[][..], |(_, c)| c.as_slice())
            .iter()
            .map_while(|&c| row.cell(c).parse().ok())
            .collect()
    }

    /// Seconds per fold of [`TIMES`]`[i]`.
    fn time(&self, row: &(impl Cells + ?Sized), i: usize) -> Option<f64> {
        row.cell(self.times[i]?).parse().ok()
    }

    pub fn fit_time(&self, row: &(impl Cells + ?Sized)) -> Option<f64> {
        self.time(row, 0)
    }

    /// What each of `rows` cost per fold: its own fitting and scoring, plus its share of the work
    /// trials share. The shared work of one model entry (whoever built it, in any worker) is
    /// divided among the entry's trials in proportion to what the values each read cost to build,
    /// so near-identical trials cost alike whichever of them happened to build the shared trees.
    /// Rows written before reads were recorded keep the shared work they built.
    pub fn costs<R: Cells>(&self, rows: &[R]) -> Vec<f64> {
        let time = |row: &R, i: usize| self.time(row, i).unwrap_or(0.0);
        let entry = |row: &R| {
            self.key(row)
                .split('(')
                .next()
                .unwrap_or_default()
                .to_string()
        };
        let mut totals: HashMap<String, (f64, f64)> = HashMap::new();
        for row in rows {
            let (built, read) = totals.entry(entry(row)).or_default();
            *built += time(row, 2);
            *read += time(row, 3);
        }
        rows.iter()
            .map(|row| {
                let (built, read) = totals[&entry(row)];
                let shared = match self.time(row, 3) {
                    Some(mine) if read > 0.0 => mine * built / read,
                    _ => time(row, 2),
                };
                time(row, 0) + shared + time(row, 4)
            })
            .collect()
    }

    /// Whether the header has the three cost columns.
    pub fn has_costs(&self) -> bool {
        [0, 2, 4].iter().all(|&i| self.times[i].is_some())
    }

    pub fn rung(&self, row: &(impl Cells + ?Sized)) -> Option<usize> {
        row.cell(self.rung?).parse().ok()
    }

    pub fn resource(&self, row: &(impl Cells + ?Sized)) -> Option<u64> {
        row.cell(self.resource?).parse().ok()
    }

    pub fn worker(&self, row: &(impl Cells + ?Sized)) -> Option<u32> {
        row.cell(self.worker?).parse().ok()
    }

    pub fn shard(&self, row: &(impl Cells + ?Sized)) -> Option<usize> {
        row.cell(self.shard?).parse().ok()
    }

    /// Start and end, seconds after the run began.
    pub fn span(&self, row: &(impl Cells + ?Sized)) -> Option<(f64, f64)> {
        let (s, e) = self.offsets?;
        Some((row.cell(s).parse().ok()?, row.cell(e).parse().ok()?))
    }

    /// Where the start and end offsets are, for rewriting them.
    pub fn offset_columns(&self) -> Option<(usize, usize)> {
        self.offsets
    }

    /// A leaderboard row's rank; empty for a trial without one.
    pub fn rank<'r>(&self, row: &'r (impl Cells + ?Sized)) -> &'r str {
        self.rank.map_or("", |c| row.cell(c))
    }

    /// A refitted model's held-out score; `None` when empty or the header has no such column.
    pub fn held_out(&self, row: &(impl Cells + ?Sized), metric: Metric) -> Option<f64> {
        let (_, c) = self.held_out.iter().find(|(m, _)| *m == metric)?;
        row.cell(*c).parse().ok()
    }

    pub fn has_held_out(&self, metric: Metric) -> bool {
        self.held_out.iter().any(|(m, _)| *m == metric)
    }

    /// The metric means of a row, by column name (`mean_test_<metric>`), where they are numbers.
    pub fn means(&self, row: &(impl Cells + ?Sized)) -> Vec<(Metric, f64)> {
        self.metrics()
            .filter_map(|m| Some((m, self.mean(row, m)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_resolves_to_typed_fields_and_missing_ones_are_named() {
        let header = [
            "rank_test_accuracy",
            TRIAL,
            KEY,
            MODEL,
            STATUS,
            ERROR,
            PARAMS,
            "param_c",
            "mean_test_accuracy",
            "std_test_accuracy",
            "split0_test_accuracy",
            "split1_test_accuracy",
            MEAN_FIT_TIME,
            WORKER,
            "test_accuracy",
        ];
        let columns = TrialColumns::resolve_with(&header, Metric::Accuracy).unwrap();
        let row: Vec<String> = [
            "1", "4", "svm(c=1)", "svm", "ok", "", "{}", "1", "0.9", "0.1", "0.8", "1.0", "0.5",
            "42", "0.95",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(columns.rank(&row), "1");
        assert_eq!(columns.trial(&row), Some(4));
        assert_eq!(columns.key(&row), "svm(c=1)");
        assert_eq!(columns.status(&row), Some(Status::Ok));
        assert_eq!(columns.score(&row, Metric::Accuracy), Some(0.9));
        assert_eq!(columns.std(&row, Metric::Accuracy), Some(0.1));
        assert_eq!(columns.splits(&row, Metric::Accuracy), [0.8, 1.0]);
        assert_eq!(columns.folds(Metric::Accuracy), 2);
        assert_eq!(columns.param_cells(&row).collect::<Vec<_>>(), [("c", "1")]);
        assert_eq!(columns.worker(&row), Some(42));
        assert_eq!(columns.held_out(&row, Metric::Accuracy), Some(0.95));
        assert_eq!(columns.span(&row), None);
        let mut failed = row.clone();
        failed[4] = "failed".into();
        assert_eq!(
            columns.score(&failed, Metric::Accuracy),
            None,
            "only ok trials rank"
        );
        assert_eq!(
            TrialColumns::resolve_with(&header, Metric::F1Macro).unwrap_err(),
            "no `mean_test_f1_macro` column"
        );
        assert_eq!(
            TrialColumns::resolve(&header[2..]).unwrap_err(),
            "no `trial` column"
        );
    }

    #[test]
    fn shared_work_is_divided_within_an_entry_by_what_each_trial_read() {
        let header = [
            TRIAL,
            KEY,
            MODEL,
            STATUS,
            ERROR,
            PARAMS,
            "mean_test_accuracy",
        ]
        .into_iter()
        .chain(TIMES)
        .collect::<Vec<_>>();
        let columns = TrialColumns::resolve_with(&header, Metric::Accuracy).unwrap();
        // fit, std fit, shared built, shared read, score, std score
        let row = |key: &str, times: [&str; 6]| -> Vec<String> {
            ["0", key, "m", "ok", "", "{}", "0.9"]
                .into_iter()
                .chain(times)
                .map(String::from)
                .collect()
        };
        let rows = vec![
            // Three forests reading the same 2 s of trees, which the first one grew.
            row("rf(max_depth=4)", ["0.1", "0", "2", "2", "0.2", "0"]),
            row("rf(max_depth=8)", ["0.1", "0", "0", "2", "0.2", "0"]),
            // One reading twice as many trees, grown by itself (2 s more).
            row("rf(max_depth=12)", ["0.1", "0", "2", "4", "0.2", "0"]),
            // Another entry, built alone; and a row from before reads were recorded.
            row("svm(c=1)", ["1", "0", "0.5", "0.5", "0.5", "0"]),
            row("old(c=1)", ["1", "0", "0.25", "", "0.5", "0"]),
        ];
        let costs = columns.costs(&rows);
        let want = [0.3 + 1.0, 0.3 + 1.0, 0.3 + 2.0, 1.0 + 0.5 + 0.5, 1.5 + 0.25];
        for (got, want) in costs.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{costs:?}");
        }
    }
}
