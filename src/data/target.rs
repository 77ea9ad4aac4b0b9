//! The learning task and per-row targets. One enum, generic over storage, serves the dataset's
//! target, each fold's slices, what a model is trained on, what it predicts and what it is scored
//! against; [`build`] makes the dataset's from its column.

use super::infer::parse_number;
use super::read::TextTable;
use super::{DataSpec, MAX_INFERRED_CLASSES};
use crate::error::InputError;
use ndarray::{Array1, ArrayView1, Axis};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Rows of each class among `labels` (class indices below `n_classes`).
pub fn class_counts<'a>(
    labels: impl IntoIterator<Item = &'a usize>,
    n_classes: usize,
) -> Vec<usize> {
    let mut counts = vec![0usize; n_classes];
    labels.into_iter().for_each(|&c| counts[c] += 1);
    counts
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Classification,
    Regression,
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        })
    }
}

/// Per-row targets: class indices `0..n_classes`, or real values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Targets<C, V> {
    Classes { y: C, n_classes: usize },
    Values(V),
}

/// Owned targets: a dataset's or a fold's target column, and a model's predictions.
pub type OwnedTargets = Targets<Array1<usize>, Array1<f64>>;
/// Borrowed targets as linfa-backed models take them.
pub type TargetsView<'a> = Targets<ArrayView1<'a, usize>, ArrayView1<'a, f64>>;
/// Borrowed contiguous targets, for hot loops (tree growth, metrics).
pub type TargetSlice<'a> = Targets<&'a [usize], &'a [f64]>;
/// The kind of target without its rows: what a fitted model must predict.
pub type TargetShape = Targets<(), ()>;

impl TargetShape {
    /// The shape of a classification target with `n_classes` classes.
    pub fn classes(n_classes: usize) -> TargetShape {
        Targets::Classes { y: (), n_classes }
    }
}

impl<C, V> Targets<C, V> {
    pub fn task(&self) -> Task {
        match self {
            Targets::Classes { .. } => Task::Classification,
            Targets::Values(_) => Task::Regression,
        }
    }

    pub fn shape(&self) -> TargetShape {
        match self {
            Targets::Classes { n_classes, .. } => Targets::Classes {
                y: (),
                n_classes: *n_classes,
            },
            Targets::Values(_) => Targets::Values(()),
        }
    }

    pub fn n_classes(&self) -> usize {
        match self {
            Targets::Classes { n_classes, .. } => *n_classes,
            Targets::Values(_) => 0,
        }
    }
}

impl OwnedTargets {
    pub fn view(&self) -> TargetsView<'_> {
        match self {
            Targets::Classes { y, n_classes } => Targets::Classes {
                y: y.view(),
                n_classes: *n_classes,
            },
            Targets::Values(v) => Targets::Values(v.view()),
        }
    }

    /// The rows at `rows`, in that order.
    pub fn select(&self, rows: &[usize]) -> OwnedTargets {
        match self {
            Targets::Classes { y, n_classes } => Targets::Classes {
                y: y.select(Axis(0), rows),
                n_classes: *n_classes,
            },
            Targets::Values(v) => Targets::Values(v.select(Axis(0), rows)),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Targets::Classes { y, .. } => y.len(),
            Targets::Values(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a> TargetsView<'a> {
    /// The same rows as slices, or `None` when the view is not contiguous.
    pub fn as_slices(&self) -> Option<TargetSlice<'a>> {
        Some(match *self {
            Targets::Classes { y, n_classes } => Targets::Classes {
                y: y.to_slice()?,
                n_classes,
            },
            Targets::Values(v) => Targets::Values(v.to_slice()?),
        })
    }
}
/// The target column over `rows` as classes or values, its class labels, and whether it held
/// integers only. The task is the sweep file's, else the metric's, else inferred (and said so when
/// an integer target could be either).
pub(super) fn build(
    path: &Path,
    spec: &DataSpec,
    table: &TextTable,
    target_col: usize,
    rows: &[usize],
    warnings: &mut Vec<String>,
) -> Result<(OwnedTargets, Vec<String>, bool), InputError> {
    let name = &spec.target;
    let cells: Vec<&str> = rows
        .iter()
        .map(|&r| table.columns[target_col].get(r))
        .collect();
    let numbers: Option<Vec<f64>> = cells.iter().map(|c| parse_number(c)).collect();
    let integral = numbers
        .as_ref()
        .is_some_and(|values| values.iter().all(|v| v.fract() == 0.0));
    // The metric decides only between readings the cells allow: integers can be classes or amounts.
    let task = match (spec.task, &numbers, &spec.task_hint) {
        (Some(task), _, _) => task,
        (None, None, _) => Task::Classification,
        (None, Some(_), _) if !integral => Task::Regression,
        (None, Some(values), Some((Task::Classification, metric))) => {
            let distinct = sorted_distinct(values).len();
            if !look_like_classes(distinct, values.len()) {
                return Err(InputError::new(format!(
                    "{}: column `{name}` holds {distinct} distinct integers in {} rows: it looks like a \
                     quantity, not classes, but `metric: {metric}` is a classification metric; use a \
                     regression metric such as `metric: rmse`, or set `task: classification` under \
                     `data:` to insist",
                    path.display(),
                    values.len()
                )));
            }
            Task::Classification
        }
        (None, Some(_), Some((hint, _))) => *hint,
        (None, Some(values), None) => {
            let distinct = sorted_distinct(values).len();
            if look_like_classes(distinct, values.len()) {
                if distinct > 2 {
                    warnings.push(format!(
                        "the target `{name}` holds {distinct} distinct integers: predicting them as classes \
                         (classification); if it is a quantity, set `task: regression` under `data:` or a \
                         regression metric such as `metric: rmse`"
                    ));
                }
                Task::Classification
            } else {
                if distinct <= MAX_INFERRED_CLASSES {
                    warnings.push(format!(
                        "the target `{name}` holds {distinct} distinct integers in {} rows: predicting it as a \
                         quantity (regression); if they are labels, set `task: classification` under `data:`",
                        values.len()
                    ));
                }
                Task::Regression
            }
        }
    };
    match task {
        Task::Regression => match numbers {
            Some(values) => Ok((Targets::Values(Array1::from(values)), Vec::new(), integral)),
            None => {
                let at = cells
                    .iter()
                    .position(|c| parse_number(c).is_none())
                    .unwrap_or(0);
                Err(InputError::new(format!(
                    "{}: {}, column `{name}`: `{}` is not a number; a regression target must be numeric",
                    path.display(),
                    table.place(rows[at]),
                    cells[at]
                )))
            }
        },
        Task::Classification => {
            // Numeric labels are ordered by value ("2" before "10"), others by text.
            let (labels, y): (Vec<String>, Vec<usize>) = match &numbers {
                Some(values) => {
                    let distinct = sorted_distinct(values);
                    let index =
                        |v: &f64| distinct.binary_search_by(|d| d.total_cmp(v)).unwrap_or(0);
                    (
                        distinct.iter().map(|v| format!("{v}")).collect(),
                        values.iter().map(index).collect(),
                    )
                }
                None => {
                    let mut distinct: Vec<&str> = cells.clone();
                    distinct.sort_unstable();
                    distinct.dedup();
                    let index = |c: &&str| distinct.binary_search(c).unwrap_or(0);
                    (
                        distinct.iter().map(|l| l.to_string()).collect(),
                        cells.iter().map(index).collect(),
                    )
                }
            };
            if labels.len() < 2 {
                return Err(InputError::new(format!(
                    "{}: column `{name}` has a single class ({}); classification needs at least two{}",
                    path.display(),
                    labels.first().map_or("none", String::as_str),
                    if integral { "; if it is a quantity to predict, set `task: regression` under `data:`" } else { "" }
                )));
            }
            let n_classes = labels.len();
            Ok((
                Targets::Classes {
                    y: Array1::from(y),
                    n_classes,
                },
                labels,
                integral,
            ))
        }
    }
}

/// Whether `distinct` integer values over `rows` rows read as class labels: at most
/// [`MAX_INFERRED_CLASSES`], and (beyond two) at most half as many values as rows; more look like
/// amounts. The one rule for inferring the task and for refusing a classification metric.
fn look_like_classes(distinct: usize, rows: usize) -> bool {
    distinct <= MAX_INFERRED_CLASSES && (distinct <= 2 || distinct * 2 <= rows)
}

fn sorted_distinct(values: &[f64]) -> Vec<f64> {
    let mut distinct = values.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    distinct
}
