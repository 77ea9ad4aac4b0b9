//! The one boundary where input is checked. A sweep file (or the sweep a results folder recorded),
//! execution settings from the file, a recorded run and the command line, and the data file become a
//! [`Plan`]. Every check of user input happens in [`Plan::build`]; code downstream trusts a Plan and
//! cannot make one any other way.

pub mod axis;
pub mod execution;
pub mod preprocess;
pub mod search;
pub mod shard;
pub mod sweep_file;
pub mod test_set;
pub mod units;

use crate::data::folds::{make_folds, CvPlan, Fold};
use crate::data::infer::Kind as ColumnKind;
use crate::data::{read_regular_file, DataSpec, Dataset, OwnedTargets, Targets, Task};
use crate::error::{closest_first, InputError};
use crate::metrics::Metric;
use crate::models::{self, ModelFamily};
use crate::preprocess::Pipeline;
pub use axis::Axis;
pub use execution::{Backend, BackendSettings, Execution, ExecutionOverrides, ProcessLimits};
pub use search::{Budget, Halving, Listing, Prune, Resource, Rung, Search, Tpe, PRUNE_MIN_FOLDS};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
pub use shard::Shard;
use std::path::{Path, PathBuf};
pub use sweep_file::Refit;
pub use sweep_file::Strategy;
use sweep_file::{RawModel, RawSweep};
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

/// A checked sweep: nothing in it needs checking again.
pub struct Plan {
    pub name: String,
    /// Seeds the folds and every trial's model (from its key).
    pub seed: u64,
    /// Seeds the search's own choices: random samples and TPE proposals (`search.seed`, default
    /// `seed`), so a search can be repeated on the same folds with other choices.
    pub search_seed: u64,
    /// What the plan was built from.
    pub request: PlanRequest,
    /// The sweep as written, as plain JSON, for the manifest.
    pub as_written: serde_json::Value,
    pub dataset: Dataset,
    pub task: Task,
    /// Every metric of the task, in report order; `primary` ranks.
    pub metrics: &'static [Metric],
    pub primary: Metric,
    pub cv: CvPlan,
    /// The rows the search sees: all, or those left after the test set is split off.
    pub train_rows: Vec<usize>,
    /// Rows the search never sees, scored once by each refitted model.
    pub test: Option<TestSet>,
    /// Cross-validation splits of `train_rows`, as row indices into the dataset.
    pub folds: Vec<Fold>,
    pub search: Search,
    /// `search.prune`: stop a trial's folds early when it is clearly worse than earlier ones.
    pub prune: Option<Prune>,
    /// `search.time_budget`: no trial starts after this long into a session (run or resume).
    pub time_budget: Option<std::time::Duration>,
    /// `--shard I/N`: only the trials of this shard run.
    pub shard: Option<Shard>,
    pub refit: Refit,
    pub execution: Execution,
    pub models: Vec<ModelEntry>,
    /// Trials the sweep expands to (at most [`MAX_TRIALS`]).
    pub total_trials: u64,
    /// Only [`Plan::build`] can make a plan: no code outside this module can name this field's type.
    _checked: Checked,
}

/// The proof a plan went through [`Plan::build`].
struct Checked;

/// Sharding splits a list of independent trials; a search whose trials depend on earlier results
/// (TPE, halving's rungs, pruning's bars) would search differently on each shard, so it is refused.
fn check_shard(
    shard: Shard,
    search: Search,
    prune: bool,
    in_file: &dyn Fn(String) -> InputError,
) -> Result<(), InputError> {
    let dependent = match search {
        Search::Tpe(_) => {
            Some("`search.strategy: tpe` proposes each trial from the results before it")
        }
        Search::Halving(_) => Some(
            "`search.strategy: halving` picks each rung's candidates from the whole previous rung",
        ),
        Search::Grid | Search::Random(_) if prune => {
            Some("`search.prune` stops trials by comparing them with every earlier trial")
        }
        Search::Grid | Search::Random(_) => None,
    };
    match dependent {
        None => Ok(()),
        Some(why) => Err(in_file(format!(
            "--shard {shard}: {why}, so its shards would not add up to the single-machine search; \
             shard a grid or random search (without pruning), or run this one on one machine with \
             more jobs (`sweep run --jobs N`)"
        ))),
    }
}

impl Plan {
    /// Checks a sweep, its execution settings and its data, and makes the folds.
    pub fn build(request: PlanRequest) -> Result<Plan, InputError> {
        let source = &request.sweep;
        let file = source.origin.as_path();
        let raw = sweep_file::parse(file, &source.text, source.in_manifest)?;
        let as_written = sweep_file::as_written(file, &source.text, source.in_manifest)?;
        let at = |span: &serde_saphyr::Location, message: String| {
            InputError::at(file, span.line(), span.column(), message)
        };
        let in_file = |message: String| InputError::new(format!("{}: {message}", file.display()));

        let execution =
            Execution::check(
                &raw.execution.then(&request.overrides),
                |setting| match setting_flag(setting, &request.overrides) {
                    Some(flag) => flag,
                    None => format!("{}: execution.{setting}", file.display()),
                },
            )
            .map_err(InputError::new)?;

        // Grid-listed strategies need discrete axes; others sample.
        let listed_grid = matches!(
            (raw.search.strategy, &raw.search.candidates),
            (Strategy::Grid, _) | (Strategy::Halving, None)
        );
        let prune = search::check_prune(raw.search.prune.as_ref(), &at)?;
        let time_budget = match &raw.search.time_budget {
            None => None,
            Some(t) => Some(
                units::parse_duration(&t.value)
                    .map_err(|e| at(&t.referenced, format!("search.time_budget: {e}")))?,
            ),
        };
        if raw.models.is_empty() {
            return Err(in_file(
                "`models` is empty; list at least one model (see `sweep models`)".to_string(),
            ));
        }
        let mut models = Vec::new();
        for m in &raw.models {
            models.extend(check_model(m, raw.preprocess.as_ref(), listed_grid, &at)?);
        }

        let data_spec = data_spec(&raw, &source.base_dir, &at)?;
        let dataset = Dataset::load(&data_spec)?;
        let task = dataset.task();
        let task_hint = if dataset.integer_target && task == Task::Classification {
            format!(
                " (the integer target `{}` was read as class labels; if it is a quantity, set `task: regression` under `data:`)",
                data_spec.target
            )
        } else {
            String::new()
        };
        let primary = match &raw.metric {
            None => Metric::default_for(task),
            Some(m) => check_metric(m, task, &data_spec.target, &task_hint, &at)?,
        };
        for (entry, raw_model) in models.iter().zip(&raw.models) {
            if !entry.family.tasks().contains(&task) {
                return Err(at(
                    &raw_model.model.referenced,
                    format!(
                        "model `{}` does not support {task} (the target `{}` is {task}){task_hint}; see `sweep models`",
                        entry.name(),
                        data_spec.target
                    ),
                ));
            }
        }
        let cv = cv_plan(&raw, task);
        let (train_rows, test) = test_set(&raw, &source.base_dir, &dataset, &at)?;
        let train_target = dataset.target.select(&train_rows);
        check_folds_fit(
            &raw,
            &cv,
            &train_target,
            &dataset,
            &task_hint,
            &at,
            &in_file,
        )?;
        let folds = make_folds(&train_target, &cv, raw.seed)
            .into_iter()
            .map(|f| Fold {
                train: f.train.iter().map(|&r| train_rows[r]).collect(),
                test: f.test.iter().map(|&r| train_rows[r]).collect(),
            })
            .collect::<Vec<_>>();
        if let Some(h) = &raw.cv.holdout {
            if folds
                .iter()
                .any(|f| f.train.is_empty() || f.test.is_empty())
            {
                return Err(at(
                    &h.test_fraction.referenced,
                    format!(
                        "cv.holdout.test_fraction = {} leaves an empty train or test set with {} rows",
                        h.test_fraction.value,
                        train_rows.len()
                    ),
                ));
            }
        }
        let shape = search::DataShape {
            rows: train_rows.len(),
            folds: folds.len(),
            classes: match &train_target {
                Targets::Classes { n_classes, .. } => Some(*n_classes),
                Targets::Values(_) => None,
            },
        };
        let search = search::check_search(&raw.search, &models, &shape, &at, &in_file)?;
        let total_trials = count_trials(&models, search, &in_file)?;
        if let Some(shard) = request.shard {
            check_shard(shard, search, prune.is_some(), &in_file)?;
        }
        Ok(Plan {
            name: raw.name,
            seed: raw.seed,
            search_seed: raw.search.seed.unwrap_or(raw.seed),
            as_written,
            dataset,
            task,
            metrics: Metric::for_task(task),
            primary,
            cv,
            train_rows,
            test,
            folds,
            search,
            prune,
            time_budget,
            refit: raw.refit,
            execution,
            models,
            total_trials,
            shard: request.shard,
            request,
            _checked: Checked,
        })
    }

    pub fn primary_index(&self) -> usize {
        self.metrics
            .iter()
            .position(|&m| m == self.primary)
            .unwrap_or(0)
    }

    pub fn n_folds(&self) -> usize {
        self.folds.len()
    }

    /// The sweep file named in messages.
    pub fn origin(&self) -> &Path {
        &self.request.sweep.origin
    }
}

/// The flag a setting came from, when the command line gave it.
fn setting_flag(setting: &str, flags: &ExecutionOverrides) -> Option<String> {
    let given = match setting {
        "jobs" => flags.jobs.is_some(),
        "timeout" => flags.timeout.is_some(),
        "memory_limit" => flags.memory_limit.is_some(),
        "max_failures" => flags.max_failures.is_some(),
        "cache_memory" => flags.cache_memory.is_some(),
        "backend" => flags.backend.is_some() || flags.timeout.is_some(),
        _ => false,
    };
    given.then(|| format!("--{}", setting.replace('_', "-")))
}

type At<'a> = dyn Fn(&serde_saphyr::Location, String) -> InputError + 'a;
type InFile<'a> = dyn Fn(String) -> InputError + 'a;

/// The entries a `models:` item stands for: one, or one per preprocessing alternative.
fn check_model(
    raw: &RawModel,
    sweep_default: Option<&Spanned<serde_json::Value>>,
    grid: bool,
    at: &At,
) -> Result<Vec<ModelEntry>, InputError> {
    let name = raw.model.value.as_str();
    let family = models::find(name).ok_or_else(|| {
        let names = closest_first(name, models::REGISTRY.iter().map(|m| m.name()));
        at(
            &raw.model.referenced,
            format!(
                "unknown model `{name}`; valid models: {} (see `sweep models`)",
                names.join(", ")
            ),
        )
    })?;
    let mut params = Vec::new();
    for (param, value) in &raw.params {
        let here = |message: String| at(&value.referenced, message);
        let spec = family
            .params()
            .iter()
            .find(|s| s.name == param)
            .ok_or_else(|| {
                let names = closest_first(param, family.params().iter().map(|s| s.name));
                here(format!(
                    "model `{name}` has no parameter `{param}`; valid parameters: {}",
                    names.join(", ")
                ))
            })?;
        let axis = axis::parse_axis(&value.value).map_err(&here)?;
        params.push((
            param.clone(),
            axis::check_axis(name, spec, axis, grid).map_err(&here)?,
        ));
    }
    let written = raw.preprocess.as_ref().or(sweep_default);
    let pipelines = preprocess::parse_all(written.map(|w| &w.value), family.info().preprocessing)
        .map_err(|e| match written {
        Some(w) => at(&w.referenced, format!("{name}: {e}")),
        None => at(&raw.model.referenced, e),
    })?;
    Ok(pipelines
        .into_iter()
        .map(|(pipeline, label)| ModelEntry {
            family,
            pipeline,
            label,
            params: params.clone(),
        })
        .collect())
}

fn count_trials(
    models: &[ModelEntry],
    search: Search,
    in_file: &InFile,
) -> Result<u64, InputError> {
    let listed = match search.listing() {
        Listing::Grid => models
            .iter()
            .map(|m| m.size().unwrap_or(u64::MAX))
            .fold(0u64, u64::saturating_add),
        Listing::Random(Budget::Total(n)) => n as u64,
        Listing::Random(Budget::PerModel(n)) => (n as u64).saturating_mul(models.len() as u64),
    };
    let total = match search {
        Search::Halving(h) if listed <= MAX_TRIALS => h
            .schedule(listed as usize)
            .iter()
            .map(|r| r.candidates as u64)
            .sum(),
        _ => listed,
    };
    if total > MAX_TRIALS {
        let shown = if total == u64::MAX {
            "more than 18 quintillion".to_string()
        } else {
            total.to_string()
        };
        return Err(in_file(format!(
            "the sweep expands to {shown} trials, more than the {MAX_TRIALS} one sweep may run; \
             list fewer values (a grid's size is the product of its lists and int_uniform ranges), \
             or use `search: {{strategy: random, trials: N}}`"
        )));
    }
    Ok(total)
}

fn data_spec(raw: &RawSweep, base_dir: &Path, at: &At) -> Result<DataSpec, InputError> {
    let features = match &raw.data.features {
        None => None,
        Some(list) => {
            for (i, name) in list.value.iter().enumerate() {
                if let Some(j) = list.value[..i].iter().position(|n| n == name) {
                    return Err(at(
                        &list.referenced,
                        format!(
                            "data.features names `{name}` twice (entries {} and {}); name each column once",
                            j + 1,
                            i + 1
                        ),
                    ));
                }
            }
            Some(list.value.clone())
        }
    };
    let columns = match &raw.data.columns {
        None => Vec::new(),
        Some(map) => map
            .value
            .iter()
            .map(|(name, kind)| {
                ColumnKind::from_name(kind)
                    .filter(|k| ColumnKind::OVERRIDES.contains(k))
                    .map(|k| (name.clone(), k))
                    .ok_or_else(|| {
                        at(
                            &map.referenced,
                            format!(
                                "data.columns.{name}: unknown kind `{kind}`; valid: {}",
                                ColumnKind::OVERRIDES.map(|k| k.name()).join(", ")
                            ),
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
    };
    let delimiter = match &raw.data.delimiter {
        None => None,
        Some(d) => Some(match d.value.as_str() {
            "\t" | "tab" => b'\t',
            one if one.len() == 1 && one.is_ascii() => one.as_bytes()[0],
            other => {
                return Err(at(
                    &d.referenced,
                    format!(
                    "data.delimiter `{other}`: give one character such as `,`, `;`, `|` or `tab`"
                ),
                ))
            }
        }),
    };
    let task_hint = raw
        .metric
        .as_ref()
        .and_then(|m| Metric::from_name(&m.value))
        .map(Metric::task);
    if let (Some(given), Some(hint), Some(m)) = (raw.data.task, task_hint, &raw.metric) {
        if given != hint {
            let valid: Vec<&str> = Metric::for_task(given).iter().map(|m| m.name()).collect();
            return Err(at(
                &m.referenced,
                format!(
                    "metric `{}` is for {hint}, but `data.task` is {given}; use one of: {}",
                    m.value,
                    valid.join(", ")
                ),
            ));
        }
    }
    let path = base_dir.join(&raw.data.path);
    Ok(DataSpec {
        // Absolute, so a resumed or rerun sweep finds its data from any working directory.
        path: std::path::absolute(&path).unwrap_or(path),
        target: raw.data.target.clone(),
        task: raw.data.task,
        task_hint,
        features,
        drop: raw.data.drop.clone(),
        columns,
        delimiter,
    })
}

fn check_metric(
    m: &Spanned<String>,
    task: Task,
    target: &str,
    task_hint: &str,
    at: &At,
) -> Result<Metric, InputError> {
    let valid: Vec<&str> = Metric::for_task(task).iter().map(|m| m.name()).collect();
    let metric = Metric::from_name(&m.value).ok_or_else(|| {
        at(
            &m.referenced,
            format!(
                "unknown metric `{}`; valid metrics for this {task} sweep: {} (all metrics: {})",
                m.value,
                valid.join(", "),
                closest_first(&m.value, Metric::names()).join(", ")
            ),
        )
    })?;
    if metric.task() != task {
        return Err(at(
            &m.referenced,
            format!(
                "metric `{}` is for {}, but the target `{target}` makes this a {task} sweep{task_hint}; use one of: {}",
                metric.name(),
                metric.task(),
                valid.join(", ")
            ),
        ));
    }
    Ok(metric)
}

fn cv_plan(raw: &RawSweep, task: Task) -> CvPlan {
    let stratified = raw.cv.stratified.unwrap_or(task == Task::Classification);
    let shuffle = raw.cv.shuffle.unwrap_or(true);
    match &raw.cv.holdout {
        Some(h) => CvPlan::Holdout {
            test_fraction: h.test_fraction.value,
            stratified,
            shuffle,
        },
        None => CvPlan::KFold {
            folds: raw.cv.folds.as_ref().map_or(5, |f| f.value),
            stratified,
            shuffle,
        },
    }
}

/// The rows the search sees and the held-out test set, if the sweep file asks for one.
fn test_set(
    raw: &RawSweep,
    base_dir: &Path,
    dataset: &Dataset,
    at: &At,
) -> Result<(Vec<usize>, Option<TestSet>), InputError> {
    let all = || (0..dataset.n_rows()).collect::<Vec<_>>();
    match (&raw.data.test, &raw.cv.test_fraction) {
        (None, None) => Ok((all(), None)),
        (Some(_), Some(f)) => Err(at(
            &f.referenced,
            "give either data.test (a test file) or cv.test_fraction (rows split off), not both"
                .to_string(),
        )),
        (Some(path), None) => {
            let path = base_dir.join(&path.value);
            let path = std::path::absolute(&path).unwrap_or(path);
            Ok((all(), Some(test_set::read_file(&path, dataset)?)))
        }
        (None, Some(f)) => {
            let fraction = f.value;
            if !(fraction > 0.0 && fraction < 1.0) {
                return Err(at(
                    &f.referenced,
                    format!("cv.test_fraction = {fraction}: expected a fraction strictly between 0 and 1, such as 0.2"),
                ));
            }
            let (train, test) = test_set::split(dataset, fraction, raw.seed);
            if train.is_empty() || test.rows.is_empty() {
                return Err(at(
                    &f.referenced,
                    format!(
                        "cv.test_fraction = {fraction} leaves no rows for the {} with {} rows",
                        if train.is_empty() {
                            "search"
                        } else {
                            "test set"
                        },
                        dataset.n_rows()
                    ),
                ));
            }
            Ok((train, Some(test)))
        }
    }
}

/// Whether the splits of the search's rows (`target`) can be made: enough rows for the folds, and
/// per class when stratified.
fn check_folds_fit(
    raw: &RawSweep,
    cv: &CvPlan,
    target: &OwnedTargets,
    dataset: &Dataset,
    task_hint: &str,
    at: &At,
    in_file: &InFile,
) -> Result<(), InputError> {
    let here = |message: String| match &raw.cv.folds {
        Some(f) => at(&f.referenced, message),
        None => in_file(message),
    };
    let n = target.len();
    match *cv {
        CvPlan::Holdout { test_fraction, .. } => {
            let place = raw.cv.holdout.as_ref().map(|h| &h.test_fraction.referenced);
            if !(test_fraction > 0.0 && test_fraction < 1.0) {
                let message = format!(
                    "cv.holdout.test_fraction = {test_fraction}: expected a fraction strictly between 0 and 1"
                );
                return Err(match place {
                    Some(p) => at(p, message),
                    None => in_file(message),
                });
            }
            Ok(())
        }
        CvPlan::KFold {
            folds, stratified, ..
        } => {
            if folds < 2 || folds > n {
                return Err(here(format!(
                    "cv.folds = {folds} is impossible with {n} rows: use 2..={n} folds"
                )));
            }
            if let (Targets::Classes { y, n_classes }, true) = (target, stratified) {
                let mut counts = vec![0usize; *n_classes];
                for &c in y {
                    counts[c] += 1;
                }
                if let Some((class, &size)) = counts.iter().enumerate().find(|&(_, &s)| s < folds) {
                    return Err(here(format!(
                        "cv.folds = {folds} but class `{}` has only {size} rows; stratified folds need at \
                         least as many rows per class as folds: lower `folds`, or set `stratified: false`{task_hint}",
                        dataset.class_labels[class]
                    )));
                }
            }
            Ok(())
        }
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
        assert_eq!(plan.total_trials, 2);
        assert_eq!(plan.n_folds(), 2);
        assert_eq!(plan.primary, Metric::Accuracy);
        assert_eq!(
            plan.models[0].params[0],
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
        let err = refused("metric: roc_auc\nmodels:\n  - model: svm\n");
        assert!(err.0.contains("t.yaml:5:9"), "{err}");
        assert!(err.0.contains("unknown metric `roc_auc`"), "{err}");
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
        let test = &plan.test.as_ref().unwrap().rows;
        assert_eq!(test.len(), 4, "30% of each class of 5 rows rounds to 2");
        for fold in &plan.folds {
            for row in fold.train.iter().chain(&fold.test) {
                assert!(!test.contains(row), "test row {row} in a fold");
            }
        }
        let mut seen: Vec<usize> = plan.folds.iter().flat_map(|f| f.test.clone()).collect();
        seen.extend(test);
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..10).collect::<Vec<_>>(),
            "every row is in exactly one place"
        );
        assert_eq!(plan.train_rows.len(), 6);
        let silly = refused("cv: {folds: 2, test_fraction: 1.5}\nmodels:\n  - model: svm\n");
        assert!(silly.0.contains("strictly between 0 and 1"), "{silly}");
    }

    #[test]
    fn a_time_budget_is_a_duration_named_at_its_place() {
        let plan = plan("search: {time_budget: 90s}\nmodels:\n  - model: svm\n");
        assert_eq!(plan.time_budget, Some(std::time::Duration::from_secs(90)));
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
        let plan = plan("search: {strategy: random, trials_per_model: 3}\nmodels:\n  - model: svm\n  - model: gaussian_nb\n",
        );
        assert_eq!(plan.total_trials, 6);
    }
}
