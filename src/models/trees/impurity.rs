//! Impurity arithmetic for split scans: per-node statistics (class weights, or weight, sum and sum
//! of squares) and O(1) updates of gini, entropy and squared error as rows move between sides.

use super::split::Criterion;
use crate::data::{TargetSlice, Targets};

pub(super) fn stat_width(target: TargetSlice) -> usize {
    match target {
        Targets::Classes { n_classes, .. } => n_classes + 1,
        Targets::Values(_) => 3,
    }
}

/// Adds (or with negative `w`, removes) one row's contribution to node statistics.
pub(super) fn add_row(target: TargetSlice, stats: &mut [f64], row: u32, w: f64) {
    let last = stats.len() - 1;
    match target {
        Targets::Classes { y: labels, .. } => stats[labels[row as usize]] += w,
        Targets::Values(values) => {
            let v = values[row as usize];
            stats[0] += w * v;
            stats[1] += w * v * v;
        }
    }
    stats[last] += w;
}

pub(super) fn x_log2_x(x: f64) -> f64 {
    if x > 0.0 {
        x * x.log2()
    } else {
        0.0
    }
}

/// x log2 x, looked up for the whole counts that unit and bootstrap weights produce.
pub(super) struct XLog2X(Vec<f64>);

impl XLog2X {
    pub(super) fn up_to(n: usize) -> XLog2X {
        XLog2X((0..=n).map(|i| x_log2_x(i as f64)).collect())
    }

    pub(super) fn at(&self, x: f64) -> f64 {
        let i = x as usize;
        match self.0.get(i) {
            Some(&v) if i as f64 == x => v,
            _ => x_log2_x(x),
        }
    }
}

/// The per-class sum a split scan keeps up to date: sum c^2 (gini) or sum c log2 c (entropy).
pub(super) fn accumulator(criterion: Criterion, stats: &[f64], xlx: &XLog2X) -> f64 {
    let counts = &stats[..stats.len() - 1];
    match criterion {
        Criterion::Gini => counts.iter().map(|c| c * c).sum(),
        Criterion::Entropy => counts.iter().map(|&c| xlx.at(c)).sum(),
        Criterion::SquaredError => 0.0,
    }
}

/// Change of the accumulator when weight `w` joins a class that had weight `count` on this side.
pub(super) fn moved_in(criterion: Criterion, count: f64, w: f64, xlx: &XLog2X) -> f64 {
    match criterion {
        Criterion::Gini => w * (2.0 * count + w),
        Criterion::Entropy => xlx.at(count + w) - xlx.at(count),
        Criterion::SquaredError => 0.0,
    }
}

/// Weight x impurity of one side of a split, from its statistics and accumulator, in O(1).
pub(super) fn side_impurity(
    criterion: Criterion,
    stats: &[f64],
    acc: f64,
    w: f64,
    xlx: &XLog2X,
) -> f64 {
    if w <= 0.0 {
        return 0.0;
    }
    match criterion {
        Criterion::Gini => w - acc / w,
        Criterion::Entropy => xlx.at(w) - acc,
        Criterion::SquaredError => (stats[1] - stats[0] * stats[0] / w).max(0.0),
    }
}
