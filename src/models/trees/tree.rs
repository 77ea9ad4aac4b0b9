//! A fitted CART tree and how it is read: nodes in a flat table, each holding a value, so one tree
//! grown without stopping rules can be read as if grown with them ([`Limits`]).

use crate::data::Targets;
use ndarray::{Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Width of a leaf's value: class proportions, or one mean.
pub fn outputs<C, V>(target: Targets<C, V>) -> usize {
    match target {
        Targets::Classes { n_classes, .. } => n_classes,
        Targets::Values(_) => 1,
    }
}

/// One node in 24 bytes, so a walk from root to leaf touches few cache lines.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub(super) struct Node {
    pub(super) threshold: f64,
    /// Where this node's value (class proportions or mean) starts in `values`; every node has one,
    /// so a tree can be cut at any depth without refitting.
    pub(super) value_at: u32,
    /// Training rows that reached the node.
    pub(super) rows: u32,
    pub(super) feature: u32,
    /// The left child (the right one follows it); 0 for a leaf, as the root is nobody's child.
    pub(super) left: u32,
}

/// Limits applied when reading a tree grown without them: a node deeper than `max_depth` or with
/// fewer than `min_samples_split` rows acts as a leaf. Both only stop growth, never change a split,
/// so the result equals a tree grown with them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
}

/// A fitted tree: nodes plus a flat table of node values (class proportions or a mean).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub(super) nodes: Vec<Node>,
    pub(super) values: Vec<f64>,
    pub(super) outputs: usize,
}

impl Tree {
    /// Whether prediction can walk this tree for rows of `width` columns and read `outputs` values
    /// at every node: each child lies after its parent (so every walk ends) and inside the tree,
    /// each split reads a column of the input, each node's values lie inside the value table.
    pub fn check(&self, width: usize, outputs: usize) -> Result<(), String> {
        if self.outputs != outputs {
            return Err(format!(
                "a tree has {} values per node where {outputs} are expected",
                self.outputs
            ));
        }
        if self.nodes.is_empty() {
            return Err("a tree has no nodes".to_string());
        }
        for (at, node) in self.nodes.iter().enumerate() {
            let values = node.value_at as usize;
            if values + outputs > self.values.len() {
                return Err(format!("tree node {at} has its values out of range"));
            }
            if node.left == 0 {
                continue;
            }
            let left = node.left as usize;
            if left <= at || left + 1 >= self.nodes.len() {
                return Err(format!(
                    "tree node {at} has children {left} and {} (the tree has {} nodes; a child \
                     follows its parent)",
                    left + 1,
                    self.nodes.len()
                ));
            }
            if node.feature as usize >= width {
                return Err(format!(
                    "tree node {at} splits on column {} of {width}",
                    node.feature
                ));
            }
        }
        Ok(())
    }

    /// The leaf values (class proportions or mean) reached by one row.
    pub fn leaf(&self, row: ArrayView1<f64>) -> &[f64] {
        self.leaf_within(
            row,
            Limits {
                max_depth: None,
                min_samples_split: 0,
            },
        )
    }

    /// The values of the node where one row stops when the tree is read with `limits`.
    pub fn leaf_within(&self, row: ArrayView1<f64>, limits: Limits) -> &[f64] {
        let (mut at, mut depth) = (0, 0);
        loop {
            let node = &self.nodes[at];
            let stop = limits.max_depth.is_some_and(|d| depth >= d)
                || (node.rows as usize) < limits.min_samples_split;
            if node.left != 0 && !stop {
                at = if row[node.feature as usize] <= node.threshold {
                    node.left as usize
                } else {
                    node.left as usize + 1
                };
                depth += 1;
                continue;
            }
            let at = node.value_at as usize;
            return &self.values[at..at + self.outputs];
        }
    }
}

/// The mean of the trees' leaf values (read with `limits`) for every row of `x`: rows x outputs.
/// Rows go in parallel chunks, each read tree by tree, so a tree's nodes stay in cache while the
/// chunk's rows walk it.
pub fn mean_leaf_values(trees: &[Arc<Tree>], x: ArrayView2<f64>, limits: Limits) -> Array2<f64> {
    const CHUNK: usize = 256;
    let outputs = trees.first().map_or(1, |t| t.outputs);
    let mut sums = vec![0.0; x.nrows() * outputs];
    sums.par_chunks_mut(CHUNK * outputs)
        .enumerate()
        .for_each(|(chunk, sums)| {
            let first = chunk * CHUNK;
            for tree in trees {
                for (k, sum) in sums.chunks_mut(outputs).enumerate() {
                    let leaf = tree.leaf_within(x.row(first + k), limits);
                    sum.iter_mut().zip(leaf).for_each(|(s, v)| *s += v);
                }
            }
        });
    let mut sums =
        Array2::from_shape_vec((x.nrows(), outputs), sums).expect("one row of sums per row of x");
    sums /= trees.len().max(1) as f64;
    sums
}

/// Picks the class with the largest value, the lowest index on ties.
pub fn majority(values: &[f64]) -> usize {
    crate::models::argmax(values.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::trees::cart::CartParams;
    use crate::models::trees::columns::Columns;

    #[test]
    fn a_tree_that_would_loop_or_read_out_of_range_is_refused() {
        let x = ndarray::array![[0.0, 5.0], [1.0, 4.0], [2.0, 3.0], [3.0, 2.0]];
        let columns = Columns::new(x.view());
        let y = [0usize, 0, 1, 1];
        let target = Targets::Classes {
            y: &y[..],
            n_classes: 2,
        };
        let tree = Tree::grow(&columns, target, &[1.0; 4], &CartParams::default());
        assert_eq!(tree.check(2, 2), Ok(()));
        assert!(
            tree.check(2, 3).is_err(),
            "leaf width differs from the class count"
        );
        let mut self_child = tree.clone();
        self_child.nodes[1].left = 1;
        assert!(self_child
            .check(2, 2)
            .unwrap_err()
            .contains("follows its parent"));
        let mut past_end = tree.clone();
        past_end.nodes[0].left = 1_000;
        assert!(past_end.check(2, 2).is_err());
        let mut wide = tree.clone();
        wide.nodes[0].feature = 7;
        assert!(wide.check(2, 2).unwrap_err().contains("column 7 of 2"));
        let mut values = tree;
        values.nodes[0].value_at = u32::MAX;
        assert!(values.check(2, 2).is_err());
    }
}
