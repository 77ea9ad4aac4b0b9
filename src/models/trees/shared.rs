//! What the two tree families share: their parameters, the fold's presorted columns, and turning
//! averaged leaf values into predictions.

use super::cart::CartParams;
use super::split::Criterion;
use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, TargetSlice, Targets, TargetsView, Task};
use crate::models::{class_weight_spec, Params};
use crate::value::{resolve_max_features, Kind, ParamSpec};
use ndarray::Array2;

/// Fold cache key of the presorted training columns, shared by all trees and forests of a fold.
pub const COLUMNS_KEY: &str = "cart-columns";

/// Parameters shared by trees and forests.
pub const TREE_PARAMS: [ParamSpec; 7] = [
    ParamSpec {
        name: "max_depth",
        kind: Kind::Int { min: 1, max: i64::MAX, nullable: true },
        default: "null",
        help: "deepest level a tree may grow to",
    },
    ParamSpec {
        name: "criterion",
        kind: Kind::Choice(&["gini", "entropy", "squared_error"]),
        default: "gini",
        help: "split quality: gini/entropy (classification), squared_error (regression, used automatically)",
    },
    ParamSpec {
        name: "min_samples_leaf",
        kind: Kind::Int { min: 1, max: i64::MAX, nullable: false },
        default: "1",
        help: "fewest training rows in a leaf",
    },
    ParamSpec {
        name: "min_samples_split",
        kind: Kind::Int { min: 2, max: i64::MAX, nullable: false },
        default: "2",
        help: "fewest rows a node needs to be split",
    },
    ParamSpec {
        name: "min_impurity_decrease",
        kind: Kind::Float { min: 0.0, max: f64::INFINITY, min_exclusive: false },
        default: "0.0",
        help: "a split must lower weighted impurity by at least this much",
    },
    ParamSpec {
        name: "max_features",
        kind: Kind::MaxFeatures,
        default: "null",
        help: "features examined per split",
    },
    class_weight_spec(),
];

/// Tree settings from a trial's parameters (seed 0; the caller seeds); regression always uses
/// squared error.
pub fn cart_params(p: &Params, task: Task, n_features: usize) -> Result<CartParams, String> {
    let criterion = match task {
        Task::Regression => Criterion::SquaredError,
        Task::Classification => match Criterion::parse(&p.str("criterion")?)? {
            Criterion::SquaredError => {
                return Err(
                    "criterion squared_error is for regression; use gini or entropy".to_string(),
                )
            }
            c => c,
        },
    };
    let max_features = match p.get("max_features") {
        crate::value::Value::Null => None,
        v => Some(resolve_max_features(&v, n_features)),
    };
    Ok(CartParams {
        criterion,
        max_depth: p.opt_usize("max_depth")?,
        min_samples_split: p.usize("min_samples_split")?,
        min_samples_leaf: p.usize("min_samples_leaf")?,
        min_impurity_decrease: p.f64("min_impurity_decrease")?,
        max_features,
        seed: 0,
    })
}

/// The targets as contiguous slices for tree growth.
pub fn tree_target<'a>(y: &TargetsView<'a>) -> Result<TargetSlice<'a>, String> {
    y.as_slices()
        .ok_or_else(|| "targets must be contiguous".to_string())
}

/// Turns averaged leaf values (rows x outputs) into predictions: the majority class, or the mean.
pub fn leaf_predictions(values: Array2<f64>, target: TargetShape) -> OwnedTargets {
    match target {
        Targets::Classes { n_classes, .. } => Targets::Classes {
            y: values
                .outer_iter()
                .map(|v| crate::models::argmax(v.iter().copied()))
                .collect(),
            n_classes,
        },
        Targets::Values(_) => Targets::Values(values.column(0).to_owned()),
    }
}

/// A classifier's leaf values are its class proportions; a regressor has none.
pub fn class_proportions(values: Array2<f64>, target: TargetShape) -> Option<Array2<f64>> {
    matches!(target, Targets::Classes { .. }).then_some(values)
}
