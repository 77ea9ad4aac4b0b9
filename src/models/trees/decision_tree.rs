//! Decision tree family (classification and regression), backed by [`cart`](super::cart).

use super::cart::{mean_leaf_values, outputs, CartParams, Criterion, Limits, Tree};
use super::columns::Columns;
use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, TargetSlice, Targets, TargetsView, Task};
use crate::models::{
    check_target, decode, encode, DefaultPreprocessing, FamilyInfo, FoldCache, ModelFamily, Params,
    Predictor, Seeds,
};
use crate::seed::derive_seed;
use crate::value::{resolve_max_features, Kind, ParamSpec};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub struct DecisionTreeFamily;

/// Fold cache key of the presorted training columns, shared by all trees and forests of a fold.
pub const COLUMNS_KEY: &str = "cart-columns";

/// Parameters shared by trees and forests.
pub const TREE_PARAMS: [ParamSpec; 6] = [
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
];

const PARAMS: &[ParamSpec] = &TREE_PARAMS;

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

#[derive(Serialize, Deserialize)]
struct Fitted {
    tree: Arc<Tree>,
    limits: Limits,
    /// Classification (with its class count) or regression.
    shape: TargetShape,
}

impl Predictor for Fitted {
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        leaf_predictions(self.leaf_values(x), self.shape)
    }

    fn probabilities(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        class_proportions(self.leaf_values(x), self.shape)
    }

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }

    fn check(&self, width: usize, target: TargetShape) -> Result<(), String> {
        check_target(self.shape, target)?;
        self.tree.check(width, outputs(target))
    }
}

impl Fitted {
    fn leaf_values(&self, x: ArrayView2<f64>) -> Array2<f64> {
        mean_leaf_values(std::slice::from_ref(&self.tree), x, self.limits)
    }
}

/// A classifier's leaf values are its class proportions; a regressor has none.
pub fn class_proportions(values: Array2<f64>, target: TargetShape) -> Option<Array2<f64>> {
    matches!(target, Targets::Classes { .. }).then_some(values)
}

const INFO: FamilyInfo = FamilyInfo {
    name: "decision_tree",
    summary: "CART decision tree, deterministic (own implementation)",
    tasks: &[Task::Classification, Task::Regression],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: false,
        one_hot: false,
    },
    probabilities: true,
};

impl ModelFamily for DecisionTreeFamily {
    fn info(&self) -> &'static FamilyInfo {
        &INFO
    }

    fn fit(
        &self,
        p: &Params,
        x: ArrayView2<f64>,
        y: TargetsView,
        seeds: Seeds,
        cache: &FoldCache,
    ) -> Result<Box<dyn Predictor>, String> {
        let target = tree_target(&y)?;
        let task = target.task();
        let params = cart_params(p, task, x.ncols())?;
        let columns = cache.get_or_compute(COLUMNS_KEY, || Columns::new(x));
        let limits = Limits {
            max_depth: params.max_depth,
            min_samples_split: params.min_samples_split,
        };
        // Stopping rules never change a split, so trials differing only in them share one tree grown
        // without them (down to the deepest max_depth any of them asks for), each cutting it when
        // reading. Its (tie-breaking) feature orders are seeded from the shared seed and the
        // parameters that shape splits, so that tree is the same for all.
        let unlimited = CartParams {
            max_depth: None,
            min_samples_split: 2,
            ..params
        };
        let key = format!("cart-tree {unlimited:?}");
        let shared = CartParams {
            seed: derive_seed(seeds.shared, &key),
            max_depth: p.largest_opt_usize("max_depth")?,
            ..unlimited
        };
        let tree = cache.get_or_compute(&format!("{key} to {:?}", shared.max_depth), || {
            Tree::grow(&columns, target, &vec![1.0; x.nrows()], &shared)
        });
        Ok(Box::new(Fitted {
            tree,
            limits,
            shape: target.shape(),
        }))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Fitted>(bytes)
    }
}
