//! Binning a training fold for gradient boosting (scikit-learn's `_BinMapper`): each feature's
//! non-missing values are cut into at most `max_bins` bins (one per distinct value when there are
//! few, else at the value quantiles), and missing cells get a bin of their own, [`MISSING`]. A
//! category column (ordinal codes 0..L-1, L <= `max_bins`) gets one bin per level, bin = code, and
//! is split on sets of levels.

use ndarray::ArrayView2;

/// The bin of a missing cell, after every value bin (`max_bins` is at most 255).
pub const MISSING: u8 = 255;

/// Feature-major bin codes of a fold's training rows and the thresholds between bins.
pub struct Binned {
    /// codes[f][row]
    pub codes: Vec<Vec<u8>>,
    /// thresholds[f][b]: values up to it fall in bins 0..=b, larger ones in later bins.
    pub thresholds: Vec<Vec<f64>>,
    /// Whether feature f is a category column split on sets of levels (its bin is its code).
    pub categorical: Vec<bool>,
}

impl Binned {
    /// Bins the columns of `x`; `category_columns` hold ordinal category codes (NaN: missing).
    pub fn new(x: ArrayView2<f64>, max_bins: usize, category_columns: &[usize]) -> Binned {
        let mut binned = Binned {
            codes: Vec::new(),
            thresholds: Vec::new(),
            categorical: Vec::new(),
        };
        for (f, column) in x.columns().into_iter().enumerate() {
            let values: Vec<f64> = column.iter().copied().collect();
            let thresholds = thresholds(&values, max_bins);
            binned.categorical.push(
                category_columns.contains(&f) && are_level_codes(&values, thresholds.len() + 1),
            );
            binned
                .codes
                .push(values.iter().map(|&v| code(v, &thresholds)).collect());
            binned.thresholds.push(thresholds);
        }
        binned
    }

    pub fn n_features(&self) -> usize {
        self.codes.len()
    }
}

/// Whether the values (NaN aside) are exactly the codes 0..levels-1, each a bin of its own. A column
/// with more levels than bins is split as ordered numbers instead.
fn are_level_codes(values: &[f64], levels: usize) -> bool {
    let mut seen = vec![false; levels];
    for &v in values.iter().filter(|v| !v.is_nan()) {
        match seen.get_mut(v as usize) {
            Some(slot) if v >= 0.0 && v.fract() == 0.0 => *slot = true,
            _ => return false,
        }
    }
    seen.iter().all(|&s| s)
}

/// A value's bin: the first whose threshold it does not exceed.
fn code(value: f64, thresholds: &[f64]) -> u8 {
    if value.is_nan() {
        MISSING
    } else {
        thresholds.partition_point(|&t| t < value) as u8
    }
}

/// scikit-learn's thresholds: midpoints between distinct values when at most `max_bins`, else the
/// midpoint-interpolated percentiles at k / max_bins (duplicates dropped).
fn thresholds(values: &[f64], max_bins: usize) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    if distinct.len() <= max_bins {
        return distinct.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    }
    let n = sorted.len();
    let mut out: Vec<f64> = (1..max_bins)
        .map(|k| {
            // numpy's percentile with method="midpoint".
            let position = k as f64 / max_bins as f64 * (n - 1) as f64;
            let (lo, hi) = (position.floor() as usize, position.ceil() as usize);
            (sorted[lo] + sorted[hi]) / 2.0
        })
        .collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_values_get_a_bin_each_and_missing_its_own() {
        let x = ndarray::array![[3.0], [1.0], [f64::NAN], [2.0], [1.0]];
        let b = Binned::new(x.view(), 255, &[]);
        assert_eq!(b.thresholds[0], [1.5, 2.5]);
        assert_eq!(b.codes[0], [2, 0, MISSING, 1, 0]);
    }

    #[test]
    fn a_category_column_gets_a_bin_per_level() {
        let x = ndarray::array![[2.0, 0.5], [0.0, 1.5], [f64::NAN, 0.5], [1.0, 2.5]];
        let b = Binned::new(x.view(), 255, &[0, 1]);
        assert_eq!(b.categorical, [true, false], "0.5, 1.5 are not level codes");
        assert_eq!(b.codes[0], [2, 0, MISSING, 1]);
    }

    #[test]
    fn many_values_are_cut_at_quantiles_into_at_most_max_bins() {
        let x = ndarray::Array2::from_shape_fn((1000, 1), |(r, _)| ((r * 7919) % 1000) as f64);
        let b = Binned::new(x.view(), 10, &[0]);
        assert!(
            !b.categorical[0],
            "1,000 levels do not fit 10 bins: split as numbers"
        );
        assert_eq!(b.thresholds[0].len(), 9);
        let mut counts = [0usize; 10];
        b.codes[0].iter().for_each(|&c| counts[c as usize] += 1);
        assert!(counts.iter().all(|&c| c == 100), "{counts:?}");
    }
}
