//! Binned features for split finding on large nodes (as scikit-learn's HistGradientBoosting and
//! LightGBM do): each feature of a training fold is cut once into at most [`MAX_BINS`] bins by its
//! quantiles, and a node then finds a feature's best split from per-bin statistics in one pass over
//! its rows instead of sorting them. A feature with at most `MAX_BINS` distinct values gets one bin per
//! value, so its splits are exactly the sorted scan's; for others the candidate thresholds are the bin
//! edges (the midpoints between neighbouring bins' values).

use super::impurity::{accumulator, add_row, side_impurity, XLog2X};
use super::split::{threshold_between, Criterion};
use crate::data::TargetSlice;
use ndarray::ArrayView2;

pub const MAX_BINS: usize = 256;

/// Per feature, each row's bin and the threshold between bin b and bin b + 1.
pub struct Bins {
    /// codes[f][row]
    codes: Vec<Vec<u8>>,
    /// edges[f][b]: a value between bin b's largest value and bin b + 1's smallest.
    edges: Vec<Vec<f64>>,
}

impl Bins {
    /// Bins each feature (a row of the feature-major `data`) from its rows in ascending order.
    pub fn new(data: ArrayView2<f64>, order: &[Vec<u32>]) -> Bins {
        let (codes, edges) = data
            .outer_iter()
            .zip(order)
            .map(|(column, rows)| {
                let values = column
                    .to_slice()
                    .expect("standard layout rows are contiguous");
                bin_feature(values, rows)
            })
            .unzip();
        Bins { codes, edges }
    }
}

/// One feature's bin per row and edges: bin j closes at the first change of value once the bins so
/// far hold (j + 1) / MAX_BINS of the rows, or at every change when there are few distinct values.
fn bin_feature(values: &[f64], sorted: &[u32]) -> (Vec<u8>, Vec<f64>) {
    let n = sorted.len();
    let distinct = 1 + sorted
        .windows(2)
        .filter(|w| values[w[1] as usize] > values[w[0] as usize])
        .count();
    let every_value = distinct <= MAX_BINS;
    let mut codes = vec![0u8; values.len()];
    let mut edges = Vec::new();
    for (k, &row) in sorted.iter().enumerate() {
        codes[row as usize] = edges.len() as u8;
        let Some(&next_row) = sorted.get(k + 1) else {
            break;
        };
        let (value, next) = (values[row as usize], values[next_row as usize]);
        let filled = (k + 1) * MAX_BINS >= (edges.len() + 1) * n;
        if next > value && (every_value || filled) && edges.len() + 1 < MAX_BINS {
            edges.push(threshold_between(value, next));
        }
    }
    (codes, edges)
}

/// The best split of one feature over a node's rows from its per-bin statistics: the lowest
/// weighted child impurity, the first edge on ties; `None` if every row is in one bin or no edge
/// leaves `min_leaf` rows on each side.
pub struct BinnedScan<'a> {
    pub bins: &'a Bins,
    pub target: TargetSlice<'a>,
    pub weights: &'a [f64],
    pub criterion: Criterion,
    pub xlx: &'a XLog2X,
    pub min_leaf: usize,
}

/// Per-bin statistics and row counts, reused across features and nodes.
#[derive(Default)]
pub struct Histogram {
    stats: Vec<f64>,
    rows: Vec<u32>,
    left: Vec<f64>,
    right: Vec<f64>,
}

/// A feature's best binned split: threshold, rows on the left, weighted child impurity.
pub struct BinnedSplit {
    pub threshold: f64,
    pub left_rows: usize,
    pub children_impurity: f64,
}

impl BinnedScan<'_> {
    pub fn best(
        &self,
        feature: usize,
        rows: &[u32],
        node_stats: &[f64],
        h: &mut Histogram,
    ) -> Option<BinnedSplit> {
        let width = node_stats.len();
        let edges = &self.bins.edges[feature];
        let n_bins = edges.len() + 1;
        if n_bins < 2 {
            return None;
        }
        let codes = &self.bins.codes[feature];
        h.stats.clear();
        h.stats.resize(n_bins * width, 0.0);
        h.rows.clear();
        h.rows.resize(n_bins, 0);
        for &r in rows {
            let b = codes[r as usize] as usize;
            add_row(
                self.target,
                &mut h.stats[b * width..(b + 1) * width],
                r,
                self.weights[r as usize],
            );
            h.rows[b] += 1;
        }
        h.left.clear();
        h.left.resize(width, 0.0);
        h.right.clear();
        h.right.resize(width, 0.0);
        let (n, last) = (rows.len(), width - 1);
        let mut left_rows = 0usize;
        let mut best: Option<BinnedSplit> = None;
        for (b, &edge) in edges.iter().enumerate() {
            if h.rows[b] == 0 {
                continue;
            }
            left_rows += h.rows[b] as usize;
            if left_rows == n {
                break;
            }
            for (l, s) in h.left.iter_mut().zip(&h.stats[b * width..(b + 1) * width]) {
                *l += s;
            }
            if left_rows < self.min_leaf || n - left_rows < self.min_leaf {
                continue;
            }
            for ((r, l), s) in h.right.iter_mut().zip(&h.left).zip(node_stats) {
                *r = s - l;
            }
            let side = |stats: &[f64]| {
                let acc = accumulator(self.criterion, stats, self.xlx);
                side_impurity(self.criterion, stats, acc, stats[last], self.xlx)
            };
            let children = side(&h.left) + side(&h.right);
            if best.as_ref().is_none_or(|s| children < s.children_impurity) {
                best = Some(BinnedSplit {
                    threshold: edge,
                    left_rows,
                    children_impurity: children,
                });
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(values: &[f64]) -> Vec<u32> {
        let mut rows: Vec<u32> = (0..values.len() as u32).collect();
        rows.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
        rows
    }

    #[test]
    fn few_distinct_values_get_one_bin_each_and_midpoint_edges() {
        let values = [3.0, 1.0, 2.0, 1.0, 3.0];
        let (codes, edges) = bin_feature(&values, &sorted(&values));
        assert_eq!(codes, [2, 0, 1, 0, 2]);
        assert_eq!(edges, [1.5, 2.5]);
    }

    #[test]
    fn many_distinct_values_are_cut_into_at_most_max_bins_ordered_bins() {
        let values: Vec<f64> = (0..10_000).map(|i| ((i * 7919) % 10_007) as f64).collect();
        let (codes, edges) = bin_feature(&values, &sorted(&values));
        assert_eq!(edges.len() + 1, MAX_BINS);
        // Bins follow value order and every edge separates its bins.
        for (&v, &c) in values.iter().zip(&codes) {
            let c = c as usize;
            assert!(c == 0 || v > edges[c - 1]);
            assert!(c == edges.len() || v <= edges[c]);
        }
    }
}
