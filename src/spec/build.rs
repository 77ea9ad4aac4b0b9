//! [`Plan::build`]: every check of a sweep file, its execution settings and its data, in the order
//! a user would fix them, each error naming the file and place.

use super::search::{Budget, Listing, Prune};
use super::sweep_file::{self, RawModel, RawSweep, Strategy};
use super::{axis, preprocess, scoring, search, test_set, units};
use super::{
    Data, Execution, ExecutionOverrides, ModelEntry, Plan, PlanRequest, Search, Shard, Space,
    TestSet, MAX_TRIALS,
};
use crate::data::folds::{make_folds, CvPlan, Fold};
use crate::data::infer::Kind as ColumnKind;
use crate::data::{DataSpec, Dataset, OwnedTargets, Targets, Task};
use crate::error::{closest_first, InputError};
use crate::metrics::Metric;
use crate::models;
use serde_saphyr::Spanned;
use std::path::Path;

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

        // What needs no data is checked in one pass, so every mistake there is reported at once.
        let execution =
            Execution::check(
                &raw.execution.then(&request.overrides),
                |setting| match setting_flag(setting, &request.overrides) {
                    Some(flag) => flag,
                    None => format!("{}: execution.{setting}", file.display()),
                },
            )
            .map_err(InputError::new);
        let entries = entries(&raw, &at, &in_file);
        let time_budget = match &raw.search.time_budget {
            None => Ok(None),
            Some(t) => units::parse_duration(&t.value)
                .map(Some)
                .map_err(|e| at(&t.referenced, format!("search.time_budget: {e}"))),
        };
        let (execution, (models, prune), time_budget) = match (execution, entries, time_budget) {
            (Ok(e), Ok(m), Ok(t)) => (e, m, t),
            (e, m, t) => {
                let mut errors: Vec<InputError> = e.err().into_iter().chain(t.err()).collect();
                errors.extend(m.err().unwrap_or_default());
                return Err(InputError::all(errors).expect("one of them failed"));
            }
        };

        let data_spec = data_spec(&raw, &source.base_dir, &at)?;
        let mut dataset = Dataset::load(&data_spec)?;
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
            Some(m) => scoring::check_metric(m, &dataset, &data_spec.target, &task_hint, &at)?,
        };
        if let Some(warning) = scoring::majority_warning(&dataset, primary) {
            dataset.warnings.push(warning);
        }
        let positive = scoring::positive_class(&raw, &dataset, &at)?;
        scoring::check_models(&raw, primary, &dataset, &at)?;
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
        let space = space(
            &raw,
            (models, prune),
            (task, primary),
            &shape,
            request.shard,
            &at,
            &in_file,
        )?;
        Ok(Plan {
            name: raw.name,
            as_written,
            space,
            data: Data {
                dataset,
                task,
                cv,
                train_rows,
                test,
                folds,
                positive,
            },
            time_budget,
            refit: raw.refit,
            refit_on: raw.refit_on,
            execution,
            request,
        })
    }
}

/// The checked `models:` entries and pruning of a sweep: what needs no data.
pub(super) fn entries(
    raw: &RawSweep,
    at: &At,
    in_file: &InFile,
) -> Result<(Vec<ModelEntry>, Option<Prune>), Vec<InputError>> {
    // Grid-listed strategies need discrete axes; others sample.
    let listed_grid = matches!(
        (raw.search.strategy, &raw.search.candidates),
        (Strategy::Grid, _) | (Strategy::Halving, None)
    );
    let prune = search::check_prune(raw.search.prune.as_ref(), at);
    if raw.models.is_empty() {
        return Err(vec![in_file(
            "`models` is empty; list at least one model (see `sweep models`)".to_string(),
        )]);
    }
    let mut models = Vec::new();
    let mut errors: Vec<InputError> = prune.as_ref().err().cloned().into_iter().collect();
    for m in &raw.models {
        match check_model(m, raw.preprocess.as_ref(), listed_grid, at) {
            Ok(entries) => models.extend(entries),
            Err(found) => errors.extend(found),
        }
    }
    match prune {
        Ok(prune) if errors.is_empty() => Ok((models, prune)),
        _ => Err(errors),
    }
}

/// The trials of a sweep, once its entries, task, primary metric and data shape are known.
pub(super) fn space(
    raw: &RawSweep,
    (models, prune): (Vec<ModelEntry>, Option<Prune>),
    (task, primary): (Task, Metric),
    shape: &search::DataShape,
    shard: Option<Shard>,
    at: &At,
    in_file: &InFile,
) -> Result<Space, InputError> {
    let search = search::check_search(&raw.search, &models, shape, at, in_file)?;
    check_trial_count(&models, search, in_file)?;
    if let Some(shard) = shard {
        check_shard(shard, search, prune.is_some(), in_file)?;
    }
    Ok(Space {
        models,
        search,
        prune,
        seed: raw.seed,
        search_seed: raw.search.seed.unwrap_or(raw.seed),
        shard,
        metrics: Metric::for_target(task, shape.classes),
        primary,
        folds: shape.folds,
    })
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

pub(super) type At<'a> = dyn Fn(&serde_saphyr::Location, String) -> InputError + 'a;
pub(super) type InFile<'a> = dyn Fn(String) -> InputError + 'a;

/// The entries a `models:` item stands for: one, or one per preprocessing alternative.
fn check_model(
    raw: &RawModel,
    sweep_default: Option<&Spanned<serde_json::Value>>,
    grid: bool,
    at: &At,
) -> Result<Vec<ModelEntry>, Vec<InputError>> {
    let name = raw.model.value.as_str();
    let family = models::find(name).ok_or_else(|| {
        let names = closest_first(name, models::REGISTRY.iter().map(|m| m.name()));
        vec![at(
            &raw.model.referenced,
            format!(
                "unknown model `{name}`; valid models: {} (see `sweep models`)",
                names.join(", ")
            ),
        )]
    })?;
    let mut params = Vec::new();
    let mut errors = Vec::new();
    for (param, value) in &raw.params {
        let here = |message: String| at(&value.referenced, message);
        let checked = family
            .params()
            .iter()
            .find(|s| s.name == param)
            .ok_or_else(|| {
                let names = closest_first(param, family.params().iter().map(|s| s.name));
                format!(
                    "model `{name}` has no parameter `{param}`; valid parameters: {}",
                    names.join(", ")
                )
            })
            .and_then(|spec| {
                let axis = axis::parse_axis(&value.value)?;
                axis::check_axis(name, spec, axis, grid)
            });
        match checked {
            Ok(axis) => params.push((param.clone(), axis)),
            Err(message) => errors.push(here(message)),
        }
    }
    let written = raw.preprocess.as_ref().or(sweep_default);
    let pipelines = preprocess::parse_all(written.map(|w| &w.value), family.info().preprocessing)
        .map_err(|e| match written {
            Some(w) => at(&w.referenced, format!("{name}: {e}")),
            None => at(&raw.model.referenced, e),
        });
    let pipelines = match pipelines {
        Ok(p) if errors.is_empty() => p,
        Ok(_) => return Err(errors),
        Err(e) => {
            errors.push(e);
            return Err(errors);
        }
    };
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

fn check_trial_count(
    models: &[ModelEntry],
    search: Search,
    in_file: &InFile,
) -> Result<(), InputError> {
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
    Ok(())
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
        .map(|m| (m.task(), m.name().to_string()));
    if let (Some(given), Some((hint, _)), Some(m)) = (raw.data.task, &task_hint, &raw.metric) {
        if given != *hint {
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
                let counts = crate::data::class_counts(y, *n_classes);
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
