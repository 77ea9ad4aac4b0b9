//! Random forests of [`cart`](super::cart) trees, classification and regression.
//!
//! Each tree gets its own seed derived from the forest seed and its index, draws its bootstrap rows and
//! its per-split feature subsets from that seed alone, so the forest is the same whatever the number of
//! threads that train it, and a forest of n trees is the first n trees of a larger one with the same
//! seed. Classification averages the trees' class proportions (soft vote, as scikit-learn does) and
//! picks the lowest class index on ties.

use super::cart::CartParams;
use super::columns::Columns;
use super::tree::{mean_leaf_values, Limits, Tree};
use crate::data::TargetSlice;
use crate::models::pool_work::helping;
use crate::models::ComputeOnce;
use crate::seed::child_seed;
use ndarray::{Array2, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForestParams {
    pub n_estimators: usize,
    pub tree: CartParams,
    pub bootstrap: bool,
    /// Rows drawn per tree, as a fraction of the training rows (with bootstrap).
    pub max_samples: f64,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forest {
    trees: Vec<Arc<Tree>>,
    /// Read every tree as if grown with these limits (see [`Limits`]).
    limits: Limits,
}

/// The trees of one forest seed, grown on demand without stopping rules (but `max_depth` down to the
/// deepest any trial asks for) and shared by every trial that needs a prefix of them cut to its own
/// limits: trials differing in n_estimators, max_depth or min_samples_split. Trials running at once
/// split the growing between them: each claims trees nobody has started, then waits for the rest
/// while helping with other pool work, so no pool thread sits blocked.
#[derive(Default)]
pub struct SharedTrees {
    trees: Mutex<Vec<Arc<TreeCell>>>,
}

type TreeCell = ComputeOnce<Arc<Tree>>;

impl SharedTrees {
    /// The forest of the first `params.n_estimators` trees, growing those not grown yet to
    /// `grown_depth` (at least as deep as `params` asks); `row_weights` (class weights) multiply
    /// each tree's bootstrap counts, and must be the same for every caller of these trees.
    pub fn forest(
        &self,
        columns: &Columns,
        target: TargetSlice,
        params: &ForestParams,
        grown_depth: Option<usize>,
        row_weights: Option<&[f64]>,
    ) -> Forest {
        let unlimited = ForestParams {
            tree: params.tree.grown_to(grown_depth),
            ..*params
        };
        let cells: Vec<Arc<TreeCell>> = {
            let mut trees = self.trees.lock().unwrap_or_else(|p| p.into_inner());
            if trees.len() < params.n_estimators {
                trees.resize_with(params.n_estimators, Default::default);
            }
            trees[..params.n_estimators].to_vec()
        };
        let grow = |i: usize| Arc::new(grow_tree(columns, target, &unlimited, i, row_weights));
        cells
            .par_iter()
            .enumerate()
            .for_each(|(i, cell)| helping(|| cell.compute_if_unclaimed(|| grow(i))));
        Forest {
            trees: cells
                .iter()
                .enumerate()
                .map(|(i, cell)| Arc::clone(cell.get_or_compute(|| grow(i))))
                .collect(),
            limits: Limits {
                max_depth: params.tree.max_depth,
                min_samples_split: params.tree.min_samples_split,
            },
        }
    }
}

/// Tree `index` of a forest: its bootstrap sample and its feature samples come from its own seed.
/// Row weights (class weights) as scikit-learn applies them: with bootstrap, rows are drawn with
/// probability in proportion to their weight and count as often as drawn; without, each row counts
/// its weight.
fn grow_tree(
    columns: &Columns,
    target: TargetSlice,
    params: &ForestParams,
    index: usize,
    row_weights: Option<&[f64]>,
) -> Tree {
    let n_rows = columns.n_rows();
    let seed = tree_seed(params.seed, index);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(child_seed(seed, 0));
    let mut weights = vec![0.0; n_rows];
    let draws = ((params.max_samples * n_rows as f64).round() as usize).max(1);
    match (params.bootstrap, row_weights) {
        (true, None) => {
            for _ in 0..draws {
                weights[rng.gen_range(0..n_rows)] += 1.0;
            }
        }
        (true, Some(row_weights)) => {
            let mut cumulative = Vec::with_capacity(n_rows);
            let mut total = 0.0;
            for w in row_weights {
                total += w;
                cumulative.push(total);
            }
            for _ in 0..draws {
                let u = rng.gen::<f64>() * total;
                let row = cumulative.partition_point(|&c| c <= u).min(n_rows - 1);
                weights[row] += 1.0;
            }
        }
        (false, None) => weights.iter_mut().for_each(|w| *w = 1.0),
        (false, Some(row_weights)) => weights.copy_from_slice(row_weights),
    }
    Tree::grow(
        columns,
        target,
        &weights,
        &CartParams {
            seed,
            ..params.tree
        },
    )
}

/// The seed of tree `index` of a forest seeded with `forest_seed`: its bootstrap draws and its
/// per-split feature samples come from this alone.
pub fn tree_seed(forest_seed: u64, index: usize) -> u64 {
    child_seed(forest_seed, index as u64)
}

impl Forest {
    pub fn grow(columns: &Columns, target: TargetSlice, params: &ForestParams) -> Forest {
        let trees = (0..params.n_estimators)
            .into_par_iter()
            .map(|i| Arc::new(grow_tree(columns, target, params, i, None)))
            .collect();
        Forest {
            trees,
            limits: Limits {
                max_depth: None,
                min_samples_split: 0,
            },
        }
    }

    /// Whether every tree can be walked (see [`Tree::check`]); a forest has at least one.
    pub fn check(&self, width: usize, outputs: usize) -> Result<(), String> {
        if self.trees.is_empty() {
            return Err("the forest has no trees".to_string());
        }
        self.trees.iter().try_for_each(|t| t.check(width, outputs))
    }

    /// The trees' leaf values averaged per row of `x`: class proportions or the mean prediction.
    pub fn average(&self, x: ArrayView2<f64>) -> Array2<f64> {
        mean_leaf_values(&self.trees, x, self.limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Targets;
    use crate::models::trees::cart::tests::labelled_rows;
    use proptest::prelude::*;

    fn params(
        n_estimators: usize,
        bootstrap: bool,
        max_features: Option<usize>,
        seed: u64,
    ) -> ForestParams {
        ForestParams {
            n_estimators,
            tree: CartParams {
                max_features,
                ..CartParams::default()
            },
            bootstrap,
            max_samples: 1.0,
            seed,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        // The bodies are plain functions so rustfmt formats them (it leaves macro bodies alone).
        #[test]
        fn predictions_do_not_depend_on_thread_count(
            (x, y) in labelled_rows(false),
            seed in any::<u64>(),
        ) {
            same_on_any_thread_count(&x, &y, seed)?;
        }

        #[test]
        fn a_forest_of_one_tree_without_bootstrap_is_that_tree(
            (x, y) in labelled_rows(false),
            seed in any::<u64>(),
        ) {
            one_tree_forest_is_the_tree(&x, &y, seed)?;
        }
    }

    fn same_on_any_thread_count(
        x: &Array2<f64>,
        y: &[usize],
        seed: u64,
    ) -> Result<(), TestCaseError> {
        let columns = Columns::new(x.view());
        let target = Targets::Classes { y, n_classes: 3 };
        let p = params(8, true, Some(1), seed);
        let grow_on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
            pool.unwrap().install(|| Forest::grow(&columns, target, &p))
        };
        prop_assert_eq!(grow_on(1), grow_on(4));
        Ok(())
    }

    fn one_tree_forest_is_the_tree(
        x: &Array2<f64>,
        y: &[usize],
        seed: u64,
    ) -> Result<(), TestCaseError> {
        let columns = Columns::new(x.view());
        let target = Targets::Classes { y, n_classes: 3 };
        let p = params(1, false, None, seed);
        let forest = Forest::grow(&columns, target, &p);
        let single = CartParams {
            seed: tree_seed(seed, 0),
            ..p.tree
        };
        let tree = Tree::grow(&columns, target, &vec![1.0; y.len()], &single);
        for (row, averaged) in x.outer_iter().zip(forest.average(x.view()).outer_iter()) {
            prop_assert_eq!(averaged.to_vec(), tree.leaf(row).to_vec());
        }
        Ok(())
    }

    /// With bootstrap, rows are drawn in proportion to their weight (scikit-learn's weighted
    /// bootstrap): rows weighing 0 are never drawn, so every tree sees class 1 only; without
    /// bootstrap, each row counts its weight in the leaf proportions.
    #[test]
    fn row_weights_steer_the_bootstrap_draws_and_the_leaf_proportions() {
        let x = Array2::from_shape_fn((40, 1), |(r, _)| (r % 2) as f64);
        let y: Vec<usize> = (0..40).map(|r| usize::from(r % 4 == 0)).collect();
        let columns = Columns::new(x.view());
        let target = Targets::Classes {
            y: &y[..],
            n_classes: 2,
        };
        let only_ones: Vec<f64> = y.iter().map(|&c| c as f64).collect();
        let trees = SharedTrees::default();
        let forest = trees.forest(
            &columns,
            target,
            &params(5, true, None, 7),
            None,
            Some(&only_ones),
        );
        for row in forest.average(x.view()).outer_iter() {
            assert_eq!(row.to_vec(), [0.0, 1.0]);
        }
        // Even rows: 10 of class 1, 10 of class 0; class 1 weighing 3 makes its share 3/4.
        let triple: Vec<f64> = y.iter().map(|&c| if c == 1 { 3.0 } else { 1.0 }).collect();
        let trees = SharedTrees::default();
        let forest = trees.forest(
            &columns,
            target,
            &params(1, false, None, 7),
            None,
            Some(&triple),
        );
        let even = forest.average(x.view()).row(0).to_vec();
        assert_eq!(even, [0.25, 0.75]);
    }
}
