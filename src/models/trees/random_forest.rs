//! Random forest family (classification and regression), backed by [`forest`](super::forest).

use super::columns::Columns;
use super::forest::{Forest, ForestParams, SharedTrees};
use super::shared::{
    cart_params, class_proportions, leaf_predictions, tree_target, COLUMNS_KEY, TREE_PARAMS,
};
use super::tree::outputs;
use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, TargetsView, Task};
use crate::models::{
    check_target, decode, encode, shared_work, DefaultPreprocessing, FamilyInfo, FoldCache,
    ModelFamily, Params, Predictor, Scores, Seeds,
};
use crate::seed::derive_seed;
use crate::value::{Kind, ParamSpec};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

pub struct RandomForestFamily;

static PARAMS: LazyLock<Vec<ParamSpec>> = LazyLock::new(|| {
    let mut params = vec![
        ParamSpec {
            name: "n_estimators",
            kind: Kind::Int {
                min: 1,
                max: 100_000,
                nullable: false,
            },
            default: "100",
            help: "number of trees",
        },
        ParamSpec {
            name: "bootstrap",
            kind: Kind::Bool,
            default: "true",
            help: "train each tree on rows drawn with replacement",
        },
        ParamSpec {
            name: "max_samples",
            kind: Kind::Float {
                min: 0.0,
                max: 1.0,
                min_exclusive: true,
            },
            default: "1.0",
            help: "rows drawn per tree, as a fraction of the training rows (with bootstrap)",
        },
    ];
    params.extend(TREE_PARAMS.iter().map(|spec| match spec.name {
        "max_features" => ParamSpec {
            default: "sqrt",
            help: "features examined per split (regression forests default to sqrt too)",
            ..*spec
        },
        _ => *spec,
    }));
    params
});

#[derive(Serialize, Deserialize)]
struct Fitted {
    forest: Forest,
    /// Classification (with its class count) or regression.
    shape: TargetShape,
}

impl Predictor for Fitted {
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        leaf_predictions(self.forest.average(x), self.shape)
    }

    fn probabilities(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        class_proportions(self.forest.average(x), self.shape)
    }

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }

    fn check(&self, width: usize, target: TargetShape) -> Result<(), String> {
        check_target(self.shape, target)?;
        self.forest.check(width, outputs(target))
    }
}

static INFO: LazyLock<FamilyInfo> = LazyLock::new(|| FamilyInfo {
    name: "random_forest",
    summary: "random forest, features sampled per split, soft vote (own implementation)",
    tasks: &[Task::Classification, Task::Regression],
    params: PARAMS.as_slice(),
    preprocessing: DefaultPreprocessing {
        scaled: false,
        one_hot: false,
        keep_missing: false,
    },
    scores: Scores::Probabilities,
    iterates: false,
    varied_fastest: &[],
});

impl ModelFamily for RandomForestFamily {
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
        let tree = cart_params(p, task, x.ncols())?;
        let (bootstrap, max_samples) = (p.bool("bootstrap")?, p.f64("max_samples")?);
        let n_estimators = p.usize("n_estimators")?;
        // Trials differing only in n_estimators, max_depth or min_samples_split read prefixes of one
        // set of unlimited trees, seeded from the shared seed and the parameters that shape them.
        let shape = ForestParams {
            n_estimators: 0,
            tree: tree.grown_to(None),
            bootstrap,
            max_samples,
            seed: 0,
        };
        let row_weights = p.row_weights(y)?;
        // Class weights change every tree, so trees are shared only between trials with the same.
        let key = format!("forest {shape:?} class_weight {}", p.get("class_weight"));
        let params = ForestParams {
            n_estimators,
            tree,
            bootstrap,
            max_samples,
            seed: derive_seed(seeds.shared, &key),
        };
        let columns = cache.get_or_compute(COLUMNS_KEY, || Columns::new(x));
        let depth = p.largest_opt_usize("max_depth")?;
        let trees = cache.get_or_compute(&format!("{key} to {depth:?}"), SharedTrees::default);
        let forest =
            shared_work(|| trees.forest(&columns, target, &params, depth, row_weights.as_deref()));
        Ok(Box::new(Fitted {
            forest,
            shape: target.shape(),
        }))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Fitted>(bytes)
    }
}
