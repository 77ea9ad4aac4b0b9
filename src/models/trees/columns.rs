//! Training columns laid out for tree growth: feature-major values and each feature's rows presorted,
//! built once per training fold and shared by every tree and forest grown on it.

use super::histogram::Bins;
use super::impurity::XLog2X;
use ndarray::{Array2, ArrayView2};

/// Feature-major copy of the records (one feature's column is contiguous) and, per feature, the rows
/// in ascending order of that feature. Built once per training fold and shared by every tree on it.
pub struct Columns {
    data: Array2<f64>,
    pub(super) order: Vec<Vec<u32>>,
    /// rank[f][row]: the row's position in `order[f]`, so sorting rows by a feature is sorting integers.
    pub(super) rank: Vec<Vec<u32>>,
    /// x log2 x for the weights a tree on these rows can see (entropy scans look it up).
    pub(super) x_log2_x: XLog2X,
    /// Binned features for split finding on large nodes; only for folds of at least
    /// [`BINNED_MIN_ROWS`] rows, where sorting each node's rows costs more than a histogram pass.
    pub(super) bins: Option<Bins>,
}

/// Folds smaller than this always split exactly.
pub const BINNED_MIN_ROWS: usize = 2048;

impl Columns {
    pub fn new(x: ArrayView2<f64>) -> Columns {
        let data = x.t().as_standard_layout().into_owned();
        let order = data
            .outer_iter()
            .map(|column| {
                let mut rows: Vec<u32> = (0..column.len() as u32).collect();
                rows.sort_unstable_by(|&a, &b| {
                    column[a as usize]
                        .total_cmp(&column[b as usize])
                        .then(a.cmp(&b))
                });
                rows
            })
            .collect::<Vec<Vec<u32>>>();
        let rank = order
            .iter()
            .map(|rows| {
                let mut rank = vec![0u32; rows.len()];
                for (position, &r) in rows.iter().enumerate() {
                    rank[r as usize] = position as u32;
                }
                rank
            })
            .collect();
        let n_rows = data.ncols();
        let bins = (n_rows >= BINNED_MIN_ROWS).then(|| Bins::new(data.view(), &order));
        Columns {
            bins,
            data,
            order,
            rank,
            x_log2_x: XLog2X::up_to(n_rows),
        }
    }

    pub fn n_rows(&self) -> usize {
        self.data.ncols()
    }

    pub(super) fn n_features(&self) -> usize {
        self.data.nrows()
    }

    pub(super) fn column(&self, f: usize) -> &[f64] {
        self.data
            .row(f)
            .to_slice()
            .expect("standard layout rows are contiguous")
    }
}
