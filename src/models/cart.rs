//! CART decision trees (classification and regression), deterministic and node-local.
//!
//! Each node sorts only its own rows on each candidate feature, so work is proportional to the node's
//! size; class counts live in flat arrays; ties between equally good splits go to the first candidate
//! in the (seeded) feature order, so a tree depends only on data, parameters and seed.
//! `CartParams` implements linfa's `Fit`, and `Tree` linfa's `PredictInplace`.

use linfa::dataset::DatasetBase;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    Gini,
    Entropy,
    SquaredError,
}

impl Criterion {
    pub fn parse(name: &str) -> Result<Criterion, String> {
        match name {
            "gini" => Ok(Criterion::Gini),
            "entropy" => Ok(Criterion::Entropy),
            "squared_error" => Ok(Criterion::SquaredError),
            other => Err(format!("unknown criterion `{other}`")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CartParams {
    pub criterion: Criterion,
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub min_impurity_decrease: f64,
    /// Features examined per split; `None` = all.
    pub max_features: Option<usize>,
    pub seed: u64,
}

impl Default for CartParams {
    fn default() -> Self {
        CartParams {
            criterion: Criterion::Gini,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            min_impurity_decrease: 0.0,
            max_features: None,
            seed: 0,
        }
    }
}

/// Training targets as the tree sees them.
#[derive(Debug, Clone, Copy)]
pub enum TreeTarget<'a> {
    Classes {
        labels: &'a [usize],
        n_classes: usize,
    },
    Values(&'a [f64]),
}

impl TreeTarget<'_> {
    /// Width of a leaf's value: class proportions, or one mean.
    fn outputs(&self) -> usize {
        match self {
            TreeTarget::Classes { n_classes, .. } => *n_classes,
            TreeTarget::Values(_) => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Leaf {
        value_at: usize,
    },
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
}

/// A fitted tree: nodes plus a flat table of leaf values (class proportions or a mean).
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    nodes: Vec<Node>,
    leaf_values: Vec<f64>,
    outputs: usize,
}

/// Feature-major copy of the records, so one feature's column is contiguous.
pub struct Columns {
    data: Array2<f64>,
}

impl Columns {
    pub fn new(x: ArrayView2<f64>) -> Columns {
        Columns {
            data: x.t().as_standard_layout().into_owned(),
        }
    }

    fn n_features(&self) -> usize {
        self.data.nrows()
    }

    fn column(&self, f: usize) -> &[f64] {
        self.data
            .row(f)
            .to_slice()
            .expect("standard layout rows are contiguous")
    }
}

/// A candidate split and its score (lower weighted child impurity is better).
struct Split {
    feature: usize,
    threshold: f64,
    left_rows: usize,
    children_impurity: f64,
}

struct Grower<'a> {
    columns: &'a Columns,
    target: TreeTarget<'a>,
    weights: &'a [f64],
    params: &'a CartParams,
    total_weight: f64,
    rng: Xoshiro256PlusPlus,
    // Scratch buffers reused across nodes.
    pairs: Vec<(f64, u32)>,
    left_stats: Vec<f64>,
    right_stats: Vec<f64>,
}

impl Tree {
    /// Grows a tree on the rows listed in `rows`, each weighted by `weights[row]` (bootstrap counts).
    pub fn grow(
        columns: &Columns,
        target: TreeTarget,
        rows: &mut [u32],
        weights: &[f64],
        params: &CartParams,
    ) -> Tree {
        let total_weight = rows.iter().map(|&r| weights[r as usize]).sum();
        let outputs = target.outputs();
        let mut grower = Grower {
            columns,
            target,
            weights,
            params,
            total_weight,
            rng: Xoshiro256PlusPlus::seed_from_u64(params.seed),
            pairs: Vec::with_capacity(rows.len()),
            left_stats: vec![0.0; stat_width(target)],
            right_stats: vec![0.0; stat_width(target)],
        };
        let mut tree = Tree {
            nodes: Vec::new(),
            leaf_values: Vec::new(),
            outputs,
        };
        // Depth-first, left child first: (node slot, row range, depth).
        tree.nodes.push(Node::Leaf { value_at: 0 });
        let mut stack = vec![(0usize, 0usize, rows.len(), 0usize)];
        while let Some((slot, start, end, depth)) = stack.pop() {
            let node_rows = &mut rows[start..end];
            let stats = grower.stats(node_rows);
            let impurity = grower.impurity(&stats);
            let split = if grower.may_split(node_rows.len(), depth, impurity) {
                grower.best_split(node_rows, &stats, impurity)
            } else {
                None
            };
            match split {
                Some(split) => {
                    let column = columns.column(split.feature);
                    let (left_part, right_part): (Vec<u32>, Vec<u32>) = node_rows
                        .iter()
                        .partition(|&&r| column[r as usize] <= split.threshold);
                    node_rows[..left_part.len()].copy_from_slice(&left_part);
                    node_rows[left_part.len()..].copy_from_slice(&right_part);
                    let left = tree.nodes.len();
                    tree.nodes.push(Node::Leaf { value_at: 0 });
                    tree.nodes.push(Node::Leaf { value_at: 0 });
                    tree.nodes[slot] = Node::Split {
                        feature: split.feature,
                        threshold: split.threshold,
                        left,
                        right: left + 1,
                    };
                    let mid = start + split.left_rows;
                    stack.push((left + 1, mid, end, depth + 1));
                    stack.push((left, start, mid, depth + 1));
                }
                None => {
                    tree.nodes[slot] = Node::Leaf {
                        value_at: tree.leaf_values.len(),
                    };
                    tree.leaf_values.extend(grower.leaf_value(&stats));
                }
            }
        }
        tree
    }

    /// The leaf values (class proportions or mean) reached by one row.
    pub fn leaf(&self, row: ArrayView1<f64>) -> &[f64] {
        let mut at = 0;
        loop {
            match self.nodes[at] {
                Node::Leaf { value_at } => {
                    return &self.leaf_values[value_at..value_at + self.outputs]
                }
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    at = if row[feature] <= threshold {
                        left
                    } else {
                        right
                    }
                }
            }
        }
    }

    pub fn n_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Leaf { .. }))
            .count()
    }
}

impl Grower<'_> {
    fn may_split(&self, n_rows: usize, depth: usize, impurity: f64) -> bool {
        let p = self.params;
        n_rows >= p.min_samples_split
            && n_rows >= 2 * p.min_samples_leaf
            && p.max_depth.is_none_or(|d| depth < d)
            && impurity > 1e-12
    }

    /// Node statistics: weighted class counts (classification) or [sum, sum of squares]
    /// (regression), with the total weight in the last slot.
    fn stats(&self, rows: &[u32]) -> Vec<f64> {
        let mut stats = vec![0.0; stat_width(self.target)];
        for &r in rows {
            add_row(self.target, &mut stats, r, self.weights[r as usize]);
        }
        stats
    }

    fn impurity(&self, stats: &[f64]) -> f64 {
        impurity(self.params.criterion, stats)
    }

    fn leaf_value(&self, stats: &[f64]) -> Vec<f64> {
        let w = stats[stats.len() - 1].max(f64::MIN_POSITIVE);
        match self.target {
            TreeTarget::Classes { n_classes, .. } => {
                stats[..n_classes].iter().map(|c| c / w).collect()
            }
            TreeTarget::Values(_) => vec![stats[0] / w],
        }
    }

    /// The best split of a node's rows, looking at features in a seeded random order until at least
    /// `max_features` have been examined and one valid split was found (as scikit-learn does).
    fn best_split(&mut self, rows: &[u32], stats: &[f64], node_impurity: f64) -> Option<Split> {
        let n_features = self.columns.n_features();
        let wanted = self
            .params
            .max_features
            .unwrap_or(n_features)
            .min(n_features);
        let mut features: Vec<usize> = (0..n_features).collect();
        features.shuffle(&mut self.rng);
        let min_leaf = self.params.min_samples_leaf.max(1);
        let node_weight = stats[stats.len() - 1];
        let mut best: Option<Split> = None;
        for (visited, &feature) in features.iter().enumerate() {
            if visited >= wanted && best.is_some() {
                break;
            }
            let column = self.columns.column(feature);
            self.pairs.clear();
            self.pairs
                .extend(rows.iter().map(|&r| (column[r as usize], r)));
            self.pairs
                .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            if self.pairs[0].0 == self.pairs[self.pairs.len() - 1].0 {
                continue;
            }
            self.left_stats.iter_mut().for_each(|s| *s = 0.0);
            self.right_stats.copy_from_slice(stats);
            let n = self.pairs.len();
            for k in 0..n - 1 {
                let (value, row) = self.pairs[k];
                let w = self.weights[row as usize];
                add_row(self.target, &mut self.left_stats, row, w);
                add_row(self.target, &mut self.right_stats, row, -w);
                let left_rows = k + 1;
                let next = self.pairs[k + 1].0;
                if next <= value || left_rows < min_leaf || n - left_rows < min_leaf {
                    continue;
                }
                let criterion = self.params.criterion;
                let children = self.left_stats[self.left_stats.len() - 1]
                    * impurity(criterion, &self.left_stats)
                    + self.right_stats[self.right_stats.len() - 1]
                        * impurity(criterion, &self.right_stats);
                if best.as_ref().is_none_or(|b| children < b.children_impurity) {
                    let mid = value + (next - value) / 2.0;
                    best = Some(Split {
                        feature,
                        threshold: if mid >= next { value } else { mid },
                        left_rows,
                        children_impurity: children,
                    });
                }
            }
        }
        let best = best?;
        let decrease = node_weight / self.total_weight
            * (node_impurity - best.children_impurity / node_weight);
        (decrease + 1e-12 >= self.params.min_impurity_decrease).then_some(best)
    }
}

fn stat_width(target: TreeTarget) -> usize {
    match target {
        TreeTarget::Classes { n_classes, .. } => n_classes + 1,
        TreeTarget::Values(_) => 3,
    }
}

/// Adds (or with negative `w`, removes) one row's contribution to node statistics.
fn add_row(target: TreeTarget, stats: &mut [f64], row: u32, w: f64) {
    let last = stats.len() - 1;
    match target {
        TreeTarget::Classes { labels, .. } => stats[labels[row as usize]] += w,
        TreeTarget::Values(values) => {
            let v = values[row as usize];
            stats[0] += w * v;
            stats[1] += w * v * v;
        }
    }
    stats[last] += w;
}

/// Impurity of a node from its statistics (see [`Grower::stats`]).
fn impurity(criterion: Criterion, stats: &[f64]) -> f64 {
    let (counts, w) = stats.split_at(stats.len() - 1);
    let w = w[0];
    if w <= 0.0 {
        return 0.0;
    }
    match criterion {
        Criterion::Gini => 1.0 - counts.iter().map(|c| (c / w) * (c / w)).sum::<f64>(),
        Criterion::Entropy => -counts
            .iter()
            .filter(|&&c| c > 0.0)
            .map(|c| (c / w) * (c / w).log2())
            .sum::<f64>(),
        Criterion::SquaredError => {
            let mean = counts[0] / w;
            (counts[1] / w - mean * mean).max(0.0)
        }
    }
}

/// Picks the class with the largest value, the lowest index on ties.
pub fn majority(values: &[f64]) -> usize {
    crate::models::argmax(values.iter().copied())
}

impl Fit<Array2<f64>, Array1<usize>, linfa::Error> for CartParams {
    type Object = Tree;

    fn fit(&self, dataset: &DatasetBase<Array2<f64>, Array1<usize>>) -> Result<Tree, linfa::Error> {
        let labels = dataset
            .targets
            .as_slice()
            .ok_or_else(|| linfa::Error::Parameters("targets must be contiguous".to_string()))?;
        let n_classes = labels.iter().max().map_or(0, |m| m + 1);
        let columns = Columns::new(dataset.records.view());
        let mut rows: Vec<u32> = (0..labels.len() as u32).collect();
        let weights = vec![1.0; labels.len()];
        Ok(Tree::grow(
            &columns,
            TreeTarget::Classes { labels, n_classes },
            &mut rows,
            &weights,
            self,
        ))
    }
}

impl PredictInplace<Array2<f64>, Array1<usize>> for Tree {
    fn predict_inplace(&self, x: &Array2<f64>, y: &mut Array1<usize>) {
        for (row, out) in x.outer_iter().zip(y.iter_mut()) {
            *out = majority(self.leaf(row));
        }
    }

    fn default_target(&self, x: &Array2<f64>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}
