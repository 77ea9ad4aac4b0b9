//! Decision tree family (classification and regression), backed by [`cart`](super::cart).

use super::cart::{majority, CartParams, Columns, Criterion, Limits, Tree, TreeTarget};
use super::{FamilyInfo, FoldCache, ModelFamily, Params, Predictions, Predictor, Seeds, Targets};
use crate::data::Task;
use crate::expand::derive_seed;
use crate::value::{resolve_max_features, Kind, ParamSpec};
use ndarray::ArrayView2;
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

/// The tree-level view of the targets, and the task they imply.
pub fn tree_target<'a>(y: &Targets<'a>) -> Result<(TreeTarget<'a>, Task), String> {
    let not_contiguous = || "targets must be contiguous".to_string();
    Ok(match y {
        Targets::Classes { labels, n_classes } => (
            TreeTarget::Classes {
                labels: labels.to_slice().ok_or_else(not_contiguous)?,
                n_classes: *n_classes,
            },
            Task::Classification,
        ),
        Targets::Values(v) => (
            TreeTarget::Values(v.to_slice().ok_or_else(not_contiguous)?),
            Task::Regression,
        ),
    })
}

/// Turns averaged leaf values into predictions: the majority class, or the mean.
pub fn leaf_predictions(
    x: ArrayView2<f64>,
    task: Task,
    leaf_value: impl Fn(ndarray::ArrayView1<f64>) -> Vec<f64>,
) -> Predictions {
    match task {
        Task::Classification => {
            Predictions::Classes(x.outer_iter().map(|r| majority(&leaf_value(r))).collect())
        }
        Task::Regression => Predictions::Values(x.outer_iter().map(|r| leaf_value(r)[0]).collect()),
    }
}

struct Fitted {
    tree: Arc<Tree>,
    limits: Limits,
    task: Task,
}

impl Predictor for Fitted {
    fn predict(&self, x: ArrayView2<f64>) -> Predictions {
        leaf_predictions(x, self.task, |row| {
            self.tree.leaf_within(row, self.limits).to_vec()
        })
    }
}

const INFO: FamilyInfo = FamilyInfo {
    name: "decision_tree",
    summary: "CART decision tree, deterministic (own implementation behind linfa's Fit/Predict)",
    tasks: &[Task::Classification, Task::Regression],
    params: PARAMS,
};

impl ModelFamily for DecisionTreeFamily {
    fn info(&self) -> &'static FamilyInfo {
        &INFO
    }

    fn fit(
        &self,
        p: &Params,
        x: ArrayView2<f64>,
        y: Targets,
        seeds: Seeds,
        cache: &FoldCache,
    ) -> Result<Box<dyn Predictor>, String> {
        let (target, task) = tree_target(&y)?;
        let params = cart_params(p, task, x.ncols())?;
        let columns = cache.get_or_compute(COLUMNS_KEY, || Columns::new(x));
        let limits = Limits {
            max_depth: params.max_depth,
            min_samples_split: params.min_samples_split,
        };
        // Stopping rules never change a split, so trials differing only in them share one tree grown
        // without them, each cutting it when reading. Its (tie-breaking) feature orders are seeded from
        // the shared seed and the parameters that shape splits, so that tree is the same for all.
        let unlimited = CartParams {
            max_depth: None,
            min_samples_split: 2,
            ..params
        };
        let key = format!("cart-tree {unlimited:?}");
        let unlimited = CartParams {
            seed: derive_seed(seeds.shared, &key),
            ..unlimited
        };
        let tree = cache.get_or_compute(&key, || {
            Tree::grow(&columns, target, &vec![1.0; x.nrows()], &unlimited)
        });
        Ok(Box::new(Fitted { tree, limits, task }))
    }
}
