//! The one boundary where input is checked. A sweep file (or the sweep a results folder recorded),
//! execution settings from the file, a recorded run and the command line, and the data file become a
//! [`Plan`]. Every check of user input happens in [`Plan::build`]; code downstream trusts a Plan and
//! cannot make one any other way.

pub mod axis;
mod build;
pub mod execution;
pub mod preprocess;
mod scoring;
pub mod search;
pub mod shard;
pub mod sweep_file;
pub mod test_set;
pub mod units;

use crate::data::folds::{CvPlan, Fold};
use crate::data::{read_regular_file, Dataset, Task};
use crate::error::InputError;
use crate::metrics::Metric;
use crate::models::ModelFamily;
use crate::preprocess::Pipeline;
pub use axis::{drawn, Axis};
pub use execution::{Backend, BackendSettings, Execution, ExecutionOverrides, ProcessLimits};
pub use search::{Budget, Halving, Listing, Prune, Resource, Rung, Search, Tpe, PRUNE_MIN_FOLDS};
use serde::{Deserialize, Serialize};
pub use shard::Shard;
use std::path::{Path, PathBuf};
pub use sweep_file::Strategy;
pub use sweep_file::{Refit, RefitOn};
pub use test_set::{TestSet, TestSource};

/// The most trials one sweep may expand to; beyond it a sweep would never finish (and a typo such as
/// `int_uniform: [1, 1e12]` in a grid is far more likely than intent).
pub const MAX_TRIALS: u64 = 1_000_000;

/// The text a sweep is read from, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepText {
    /// The file named in messages (the sweep file, its snapshot, or a manifest.json).
    pub origin: PathBuf,
    pub text: String,
    /// The folder relative data paths are resolved from: the original sweep file's.
    pub base_dir: PathBuf,
    /// The text is a manifest.json whose `sweep` section holds the sweep.
    pub in_manifest: bool,
}

impl SweepText {
    /// A sweep file on disk.
    pub fn read(path: &Path) -> Result<SweepText, InputError> {
        let bytes = read_regular_file(path, "sweep file")?;
        let text = String::from_utf8(bytes).map_err(|_| {
            InputError::new(format!(
                "{}: cannot read sweep file: it is not UTF-8 text",
                path.display()
            ))
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(SweepText {
            origin: path.to_path_buf(),
            text,
            base_dir: std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf()),
            in_manifest: false,
        })
    }
}

/// Everything a plan is built from: what a worker process receives to build the same plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRequest {
    pub sweep: SweepText,
    /// Execution settings over the sweep file's own (a recorded run's, then the command line's).
    pub overrides: ExecutionOverrides,
    /// Run only this shard of the trials.
    pub shard: Option<Shard>,
}

/// One `models:` entry, checked: a known family, its preprocessing, and valid axes for its parameters.
#[derive(Clone)]
pub struct ModelEntry {
    pub family: &'static dyn ModelFamily,
    pub pipeline: Pipeline,
    /// What the preprocessing adds to trial keys (`+standard_scaler`); empty for the family default.
    pub label: Vec<String>,
    pub params: Vec<(String, Axis)>,
}

impl ModelEntry {
    pub fn name(&self) -> &'static str {
        self.family.name()
    }

    /// Distinct parameter sets the entry has; `None` when a distribution is continuous.
    pub fn size(&self) -> Option<u64> {
        self.params.iter().try_fold(1u64, |n, (_, axis)| {
            axis.size().map(|s| n.saturating_mul(s))
        })
    }
}

/// A checked sweep: nothing in it needs checking again. Made only by [`Plan::build`]; its parts are
/// what each stage reads: the [`Space`] of trials (expansion, search), the [`Data`] they are scored
/// on (evaluation) and the [`Execution`] settings (backends).
pub struct Plan {
    name: String,
    /// What the plan was built from.
    request: PlanRequest,
    /// The sweep as written, as plain JSON, for the manifest.
    as_written: serde_json::Value,
    space: Space,
    data: Data,
    /// `search.time_budget`: no trial starts after this long into a session (run or resume).
    time_budget: Option<std::time::Duration>,
    refit: Refit,
    refit_on: RefitOn,
    execution: Execution,
}

impl Plan {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn request(&self) -> &PlanRequest {
        &self.request
    }
    pub fn as_written(&self) -> &serde_json::Value {
        &self.as_written
    }
    pub fn space(&self) -> &Space {
        &self.space
    }
    pub fn data(&self) -> &Data {
        &self.data
    }
    pub fn time_budget(&self) -> Option<std::time::Duration> {
        self.time_budget
    }
    pub fn refit(&self) -> Refit {
        self.refit
    }
    pub fn refit_on(&self) -> RefitOn {
        self.refit_on
    }
    pub fn execution(&self) -> Execution {
        self.execution
    }
    /// The sweep file named in messages.
    pub fn origin(&self) -> &Path {
        &self.request.sweep.origin
    }
}

/// The trials a sweep stands for: its model entries, how they are searched and pruned, the seeds,
/// the shard, and what a trial is judged by.
pub struct Space {
    models: Vec<ModelEntry>,
    search: Search,
    /// `search.prune`: stop a trial's folds early when it is clearly worse than earlier ones.
    prune: Option<Prune>,
    /// Seeds the folds and every trial's model (from its key).
    seed: u64,
    /// Seeds the search's own choices: random samples and TPE proposals (`search.seed`, default
    /// `seed`), so a search can be repeated on the same folds with other choices.
    search_seed: u64,
    /// `--shard I/N`: only the trials of this shard run.
    shard: Option<Shard>,
    /// Every metric of the task, in report order; `primary` ranks.
    metrics: &'static [Metric],
    primary: Metric,
    folds: usize,
}

impl Space {
    pub fn models(&self) -> &[ModelEntry] {
        &self.models
    }
    pub fn search(&self) -> Search {
        self.search
    }
    pub fn prune(&self) -> Option<Prune> {
        self.prune
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn search_seed(&self) -> u64 {
        self.search_seed
    }
    pub fn shard(&self) -> Option<Shard> {
        self.shard
    }
    pub fn metrics(&self) -> &'static [Metric] {
        self.metrics
    }
    pub fn primary(&self) -> Metric {
        self.primary
    }
    pub fn primary_index(&self) -> usize {
        self.metrics
            .iter()
            .position(|&m| m == self.primary)
            .unwrap_or(0)
    }
    /// Cross-validation splits a trial runs.
    pub fn n_folds(&self) -> usize {
        self.folds
    }
}

/// What trials are scored on: the table, its task, the splits and the held-out test set.
pub struct Data {
    dataset: Dataset,
    task: Task,
    cv: CvPlan,
    /// The rows the search sees: all, or those left after the test set is split off.
    train_rows: Vec<usize>,
    /// Rows the search never sees, scored once by each refitted model.
    test: Option<TestSet>,
    /// Cross-validation splits of `train_rows`, as row indices into the dataset.
    folds: Vec<Fold>,
    /// The class binary metrics score, for a two-class target.
    positive: Option<usize>,
}

impl Data {
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }
    pub fn task(&self) -> Task {
        self.task
    }
    pub fn cv(&self) -> &CvPlan {
        &self.cv
    }
    pub fn train_rows(&self) -> &[usize] {
        &self.train_rows
    }
    pub fn positive(&self) -> Option<usize> {
        self.positive
    }
    pub fn test(&self) -> Option<&TestSet> {
        self.test.as_ref()
    }
    pub fn folds(&self) -> &[Fold] {
        &self.folds
    }
}

/// Plans for unit tests, over a small two-class table (`a`, `b`, target `y`) in a temporary folder.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Builds `name: t`, `seed: 3`, the table, two folds (unless `yaml` has a `cv:`), then `yaml`.
    pub(crate) fn build(yaml: &str) -> Result<Plan, InputError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("d.csv"),
            "a,b,y\n1,2,0\n2,3,1\n3,4,0\n4,5,1\n5,6,0\n6,7,1\n7,8,0\n8,9,1\n9,10,0\n10,11,1\n",
        )
        .unwrap();
        let path = dir.path().join("t.yaml");
        std::fs::write(
            &path,
            format!(
                "name: t\nseed: 3\ndata: {{path: d.csv, target: y}}\n{}{yaml}",
                if yaml.contains("cv:") {
                    ""
                } else {
                    "cv: {folds: 2}\n"
                }
            ),
        )
        .unwrap();
        Plan::build(PlanRequest {
            sweep: SweepText::read(&path)?,
            overrides: ExecutionOverrides::default(),
            shard: None,
        })
    }

    pub(crate) fn plan(yaml: &str) -> Plan {
        build(yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The space of a sweep without any data: `yaml` after `name: t`, `seed: 3` and a data section
    /// that is never read, planned as `task` over `rows` rows in `folds` folds (two classes).
    pub(crate) fn space(yaml: &str, task: Task, rows: usize, folds: usize) -> Space {
        let text = format!("name: t\nseed: 3\ndata: {{path: none.csv, target: y}}\n{yaml}");
        let file = Path::new("t.yaml");
        let raw = sweep_file::parse(file, &text, false).unwrap_or_else(|e| panic!("{e}"));
        let at = |span: &serde_saphyr::Location, message: String| {
            InputError::at(file, span.line(), span.column(), message)
        };
        let in_file = |message: String| InputError::new(message);
        let entries = build::entries(&raw, &at, &in_file)
            .unwrap_or_else(|e| panic!("{}", InputError::all(e).expect("errors")));
        let primary = raw
            .metric
            .as_ref()
            .and_then(|m| Metric::from_name(&m.value))
            .unwrap_or(Metric::default_for(task));
        let shape = search::DataShape {
            rows,
            folds,
            classes: (task == Task::Classification).then_some(2),
        };
        build::space(&raw, entries, (task, primary), &shape, None, &at, &in_file)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    impl Space {
        pub(crate) fn set_shard(&mut self, shard: Option<Shard>) {
            self.shard = shard;
        }
    }

    /// The error a sweep that must be refused gets.
    pub(crate) fn refused(yaml: &str) -> InputError {
        match build(yaml) {
            Ok(_) => panic!("accepted: {yaml}"),
            Err(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{plan, refused};
    use super::*;

    #[test]
    fn a_reference_shaped_sweep_is_planned() {
        let plan = plan("models:\n  - model: svm\n    params: {c: [1, 10], kernel: rbf}\n");
        assert_eq!(plan.space().n_folds(), 2);
        assert_eq!(plan.space().primary(), Metric::Accuracy);
        assert_eq!(
            plan.space().models()[0].params[0],
            (
                "c".to_string(),
                Axis::Values(vec![
                    crate::value::Value::Float(1.0),
                    crate::value::Value::Float(10.0)
                ])
            )
        );
    }

    #[test]
    fn unknown_metric_is_named_with_its_place_and_the_valid_ones() {
        let err = refused("metric: roc_aux\nmodels:\n  - model: svm\n");
        assert!(err.0.contains("t.yaml:5:9"), "{err}");
        assert!(err.0.contains("unknown metric `roc_aux`"), "{err}");
        assert!(err.0.contains("(all metrics: roc_auc"), "{err}");
        assert!(err.0.contains("accuracy, balanced_accuracy"), "{err}");
    }

    #[test]
    fn unknown_key_names_the_closest_valid_one_and_the_file() {
        let err = refused("modles: []\n");
        assert!(err.0.contains("did you mean `models`"), "{err}");
        assert!(!err.0.contains("<input>"), "{err}");
    }

    #[test]
    fn huge_grids_are_refused_before_anything_runs() {
        let err = refused(
            "models:\n  - model: decision_tree\n    params: {min_samples_leaf: {int_uniform: [1, 1000000000000]}}\n",
        );
        assert!(err.0.contains("1000000000000 trials"), "{err}");
    }

    #[test]
    fn the_test_split_never_overlaps_the_rows_the_search_sees() {
        let plan = plan("cv: {folds: 2, test_fraction: 0.3}\nmodels:\n  - model: gaussian_nb\n");
        let test = &plan.data().test().unwrap().rows;
        assert_eq!(test.len(), 4, "30% of each class of 5 rows rounds to 2");
        for fold in plan.data().folds() {
            for row in fold.train.iter().chain(&fold.test) {
                assert!(!test.contains(row), "test row {row} in a fold");
            }
        }
        let mut seen: Vec<usize> = plan
            .data()
            .folds()
            .iter()
            .flat_map(|f| f.test.clone())
            .collect();
        seen.extend(test);
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..10).collect::<Vec<_>>(),
            "every row is in exactly one place"
        );
        assert_eq!(plan.data().train_rows().len(), 6);
        let silly = refused("cv: {folds: 2, test_fraction: 1.5}\nmodels:\n  - model: svm\n");
        assert!(silly.0.contains("strictly between 0 and 1"), "{silly}");
    }

    #[test]
    fn a_time_budget_is_a_duration_named_at_its_place() {
        let plan = plan("search: {time_budget: 90s}\nmodels:\n  - model: svm\n");
        assert_eq!(plan.time_budget(), Some(std::time::Duration::from_secs(90)));
        let err = refused("search: {time_budget: soon}\nmodels:\n  - model: svm\n");
        assert!(
            err.0.contains("t.yaml:5:") && err.0.contains("search.time_budget"),
            "{err}"
        );
    }

    #[test]
    fn trials_and_trials_per_model_are_exclusive() {
        let err = refused(
            "search: {strategy: random, trials: 4, trials_per_model: 2}\nmodels:\n  - model: svm\n",
        );
        assert!(err.0.contains("not both"), "{err}");
        let plan = plan(
            "search: {strategy: random, trials_per_model: 3}\nmodels:\n  - model: svm\n  - model: gaussian_nb\n",
        );
        assert_eq!(plan.space().search(), Search::Random(Budget::PerModel(3)));
    }
}
