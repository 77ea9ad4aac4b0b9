//! Decision tree family (classification and regression), backed by [`cart`](super::cart).

use super::cart::CartParams;
use super::columns::Columns;
use super::shared::{
    cart_params, class_proportions, leaf_predictions, tree_target, COLUMNS_KEY, TREE_PARAMS,
};
use super::tree::{mean_leaf_values, outputs, Limits, Tree};
use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, TargetsView, Task};
use crate::models::{
    check_target, decode, encode, DefaultPreprocessing, FamilyInfo, FoldCache, ModelFamily, Params,
    Predictor, Scores, Seeds,
};
use crate::seed::derive_seed;
use crate::value::ParamSpec;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub struct DecisionTreeFamily;

const PARAMS: &[ParamSpec] = &TREE_PARAMS;

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

const INFO: FamilyInfo = FamilyInfo {
    name: "decision_tree",
    summary: "CART decision tree, deterministic (own implementation)",
    tasks: &[Task::Classification, Task::Regression],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: false,
        one_hot: false,
        keep_missing: false,
    },
    scores: Scores::Probabilities,
    iterates: false,
    varied_fastest: &[],
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
        let unlimited = params.grown_to(None);
        let row_weights = p.row_weights(y)?;
        let key = format!(
            "cart-tree {unlimited:?} class_weight {}",
            p.get("class_weight")
        );
        let shared = CartParams {
            seed: derive_seed(seeds.shared, &key),
            ..params.grown_to(p.largest_opt_usize("max_depth")?)
        };
        let tree = cache.get_or_compute(&format!("{key} to {:?}", shared.max_depth), || {
            let unit = || vec![1.0; x.nrows()];
            Tree::grow(&columns, target, &row_weights.unwrap_or_else(unit), &shared)
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
