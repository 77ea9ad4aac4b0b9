//! The learning task and per-row targets. One enum, generic over storage, serves the dataset's
//! target, each fold's slices, what a model is trained on, what it predicts and what it is scored against.

use ndarray::{Array1, ArrayView1, Axis};
use serde::{Deserialize, Serialize};

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
