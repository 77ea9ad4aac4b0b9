//! Leak checks: a feature that almost determines the target is named in a warning. Each
//! feature gets a one-split stump on a sample of rows (classification: the accuracy of the best
//! threshold, or of each value's majority class for a category with few values; regression: the
//! r2 of the best threshold), and numeric targets also a rank correlation (a monotone function of
//! the target such as `logwage` beside `wage`, which no single split reveals).

use super::{Feature, FeatureValues, OwnedTargets, Targets, MISSING_CODE};

/// Rows the stumps look at; more rows would not change a verdict this coarse.
const SAMPLE_ROWS: usize = 20_000;
/// A stump flags a classification feature when it is right for this share of rows...
pub const LEAK_ACCURACY: f64 = 0.97;
/// ...and removes this share of the errors of always predicting the most common class.
pub const LEAK_ERROR_REDUCTION: f64 = 0.8;
/// A stump flags a regression feature when one split explains this share of the variance.
pub const LEAK_R2: f64 = 0.9;
/// A feature whose ranks match the target's this closely is a function of it.
pub const LEAK_RANK_CORRELATION: f64 = 0.995;

/// One warning per feature that gives the target away.
pub(super) fn warnings(
    features: &[Feature],
    target: &OwnedTargets,
    target_name: &str,
) -> Vec<String> {
    let rows = sample_rows(target.len());
    features
        .iter()
        .filter_map(|f| {
            let why = verdict(f, target, &rows)?;
            Some(format!(
                "feature `{}` almost determines the target `{target_name}` ({why}); if it is derived \
                 from the target or not known at prediction time, leave it out with `drop: [{}]`",
                f.name, f.name
            ))
        })
        .collect()
}

/// Evenly spaced rows, all of them for small tables.
fn sample_rows(n: usize) -> Vec<usize> {
    let take = n.min(SAMPLE_ROWS);
    (0..take).map(|i| i * n / take).collect()
}

fn verdict(f: &Feature, target: &OwnedTargets, rows: &[usize]) -> Option<String> {
    match (target, &f.values) {
        (Targets::Values(y), values) => {
            let y: Vec<f64> = rows.iter().map(|&r| y[r]).collect();
            if let FeatureValues::Numeric(x) = values {
                let x: Vec<f64> = rows.iter().map(|&r| x[r]).collect();
                let rho = rank_correlation(&x, &y);
                if rho.abs() >= LEAK_RANK_CORRELATION {
                    return Some(format!("its rank correlation with the target is {rho:.4}"));
                }
            }
            let (r2, split) = regression_stump(&keys(values, rows), &y)?;
            (r2 >= LEAK_R2).then(|| {
                format!(
                    "one split, {}, explains {:.1}% of the target's variance",
                    split.describe(&f.name),
                    r2 * 100.0
                )
            })
        }
        (Targets::Classes { y, n_classes }, values) => {
            let y: Vec<usize> = rows.iter().map(|&r| y[r]).collect();
            let base = super::class_counts(&y, *n_classes)
                .into_iter()
                .max()
                .unwrap_or(0) as f64
                / y.len().max(1) as f64;
            let (accuracy, split) = classification_stump(&keys(values, rows), &y, *n_classes)?;
            let reduction = (accuracy - base) / (1.0 - base);
            (accuracy >= LEAK_ACCURACY && reduction >= LEAK_ERROR_REDUCTION).then(|| {
                format!(
                    "{} gives the class of {:.1}% of rows, against {:.1}% for always the most common class",
                    split.describe(&f.name),
                    accuracy * 100.0,
                    base * 100.0
                )
            })
        }
    }
}

/// A feature's sampled cells as sortable keys: numbers, or category codes; `None` when missing.
enum Keys {
    Numbers(Vec<Option<f64>>),
    Codes(Vec<Option<u32>>),
}

fn keys(values: &FeatureValues, rows: &[usize]) -> Keys {
    match values {
        FeatureValues::Numeric(x) => Keys::Numbers(
            rows.iter()
                .map(|&r| (!x[r].is_nan()).then_some(x[r]))
                .collect(),
        ),
        FeatureValues::Categorical { codes, .. } => Keys::Codes(
            rows.iter()
                .map(|&r| (codes[r] != MISSING_CODE).then_some(codes[r]))
                .collect(),
        ),
    }
}

/// The split a stump found, to name it in the warning.
enum Split {
    Threshold(f64),
    /// Each of this many values predicts its majority class.
    EachValue(usize),
}

impl Split {
    fn describe(&self, name: &str) -> String {
        match self {
            Split::Threshold(t) => format!("the single split `{name} <= {t}`"),
            Split::EachValue(values) => {
                format!("the majority class of each of its {values} values")
            }
        }
    }
}

/// The present rows in key order: (row in the sample, key) for numbers.
fn sorted_present(x: &[Option<f64>]) -> Vec<(usize, f64)> {
    let mut present: Vec<(usize, f64)> = x
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    present.sort_by(|a, b| a.1.total_cmp(&b.1));
    present
}

/// The best accuracy of a one-split stump on a number (missing cells a leaf of their own), or of
/// each value's majority class when the feature has at most a tenth as many values as rows
/// (categories, and numbers such as a severity code 0-6), whichever is higher.
fn classification_stump(keys: &Keys, y: &[usize], n_classes: usize) -> Option<(f64, Split)> {
    let each = match keys {
        Keys::Codes(codes) => each_value(codes.iter().map(|c| c.map(u64::from)), y, n_classes),
        Keys::Numbers(x) => each_value(x.iter().map(|v| v.map(f64::to_bits)), y, n_classes),
    }
    .map(|(a, values)| (a, Split::EachValue(values)));
    let threshold = match keys {
        Keys::Numbers(x) => threshold_stump(x, y, n_classes),
        Keys::Codes(_) => None,
    };
    match (each, threshold) {
        (Some(e), Some(t)) => Some(if e.0 > t.0 { e } else { t }),
        (e, t) => e.or(t),
    }
}

/// The accuracy of predicting each value's majority class (missing cells a value of their own),
/// and the number of values.
fn each_value(
    values: impl Iterator<Item = Option<u64>>,
    y: &[usize],
    n_classes: usize,
) -> Option<(f64, usize)> {
    let mut counts: std::collections::HashMap<Option<u64>, Vec<usize>> = Default::default();
    for (v, &c) in values.zip(y) {
        counts.entry(v).or_insert_with(|| vec![0; n_classes])[c] += 1;
    }
    let present = y.len() - counts.get(&None).map_or(0, |c| c.iter().sum());
    let levels = counts.keys().filter(|k| k.is_some()).count();
    if present < 20 || levels < 2 || levels * 10 > present {
        return None;
    }
    let right: usize = counts
        .values()
        .map(|c| c.iter().max().copied().unwrap_or(0))
        .sum();
    Some((right as f64 / y.len() as f64, levels))
}

/// The best accuracy of one threshold on a number, missing cells a leaf of their own.
fn threshold_stump(x: &[Option<f64>], y: &[usize], n_classes: usize) -> Option<(f64, Split)> {
    let present = sorted_present(x);
    if present.len() < 20 {
        return None;
    }
    let missing = super::class_counts(
        (0..y.len()).filter(|&i| x[i].is_none()).map(|i| &y[i]),
        n_classes,
    );
    let missing = missing.into_iter().max().unwrap_or(0);
    let mut left = vec![0usize; n_classes];
    let mut right = super::class_counts(present.iter().map(|&(i, _)| &y[i]), n_classes);
    let mut best: Option<(usize, f64)> = None;
    for k in 0..present.len() - 1 {
        let c = y[present[k].0];
        left[c] += 1;
        right[c] -= 1;
        if present[k].1 == present[k + 1].1 {
            continue;
        }
        let correct = left.iter().max().unwrap_or(&0) + right.iter().max().unwrap_or(&0);
        if best.is_none_or(|(b, _)| correct > b) {
            best = Some((correct, present[k].1));
        }
    }
    let (correct, threshold) = best?;
    Some((
        (correct + missing) as f64 / y.len() as f64,
        Split::Threshold(threshold),
    ))
}

/// The best r2 of a one-split stump over a numeric feature (missing cells a leaf of their own).
/// Categories are not split: their codes carry no order.
fn regression_stump(keys: &Keys, y: &[f64]) -> Option<(f64, Split)> {
    let Keys::Numbers(x) = keys else { return None };
    let present = sorted_present(x);
    if present.len() < 20 {
        return None;
    }
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let total: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    if total <= 0.0 {
        return None;
    }
    let missing: Vec<f64> = (0..y.len())
        .filter(|&i| x[i].is_none())
        .map(|i| y[i])
        .collect();
    let sse_of = |sum: f64, squares: f64, count: f64| {
        if count > 0.0 {
            squares - sum * sum / count
        } else {
            0.0
        }
    };
    let missing_sse = sse_of(
        missing.iter().sum(),
        missing.iter().map(|v| v * v).sum(),
        missing.len() as f64,
    );
    // Sums of y - mean keep the subtraction in sse_of well conditioned.
    let centred: Vec<f64> = present.iter().map(|&(i, _)| y[i] - mean).collect();
    let (all_sum, all_squares) = (
        centred.iter().sum::<f64>(),
        centred.iter().map(|v| v * v).sum::<f64>(),
    );
    let (mut sum, mut squares) = (0.0, 0.0);
    let mut best: Option<(f64, f64)> = None;
    for k in 0..present.len() - 1 {
        sum += centred[k];
        squares += centred[k] * centred[k];
        if present[k].1 == present[k + 1].1 {
            continue;
        }
        let left_n = (k + 1) as f64;
        let sse = sse_of(sum, squares, left_n)
            + sse_of(
                all_sum - sum,
                all_squares - squares,
                present.len() as f64 - left_n,
            );
        if best.is_none_or(|(b, _)| sse < b) {
            best = Some((sse, present[k].1));
        }
    }
    let (sse, threshold) = best?;
    Some((
        1.0 - (sse + missing_sse) / total,
        Split::Threshold(threshold),
    ))
}

/// Spearman's rank correlation over the rows where `x` is present.
fn rank_correlation(x: &[f64], y: &[f64]) -> f64 {
    let pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, _)| !a.is_nan())
        .map(|(&a, &b)| (a, b))
        .collect();
    if pairs.len() < 20 {
        return 0.0;
    }
    let rx = ranks(pairs.iter().map(|p| p.0).collect());
    let ry = ranks(pairs.iter().map(|p| p.1).collect());
    pearson(&rx, &ry)
}

/// Average ranks, ties sharing their mean rank.
pub(super) fn ranks(values: Vec<f64>) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0;
        for &k in &order[i..=j] {
            ranks[k] = average;
        }
        i = j + 1;
    }
    ranks
}

/// Pearson's correlation; 0 when either side is constant.
pub(super) fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use ndarray::Array1;

    /// A numeric feature for a test.
    pub(in crate::data) fn numeric(name: &str, x: Vec<f64>) -> Feature {
        Feature {
            name: name.into(),
            values: FeatureValues::Numeric(x),
        }
    }

    #[test]
    fn a_threshold_leak_on_a_continuous_column_is_flagged() {
        // As in the credit-card table: spending above zero means a card, with a few exceptions.
        let n = 1000;
        let y: Vec<usize> = (0..n).map(|i| usize::from(i % 9 != 0)).collect();
        let x: Vec<f64> = (0..n)
            .map(|i| {
                if y[i] == 1 && i % 50 != 1 {
                    10.0 + (i * 37 % 501) as f64
                } else {
                    0.0
                }
            })
            .collect();
        let target = Targets::Classes {
            y: Array1::from(y),
            n_classes: 2,
        };
        let w = warnings(&[numeric("spend", x)], &target, "card");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("`spend <= 0`") && w[0].contains("88.8%"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn an_informative_but_ordinary_column_is_not_flagged() {
        // Right for 90% of rows where the base rate is 50%: useful, not a leak.
        let n = 1000;
        let y: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let x: Vec<f64> = (0..n)
            .map(|i| {
                if (i % 2 == 1) != (i % 10 == 3) {
                    1.0 + i as f64
                } else {
                    -(i as f64)
                }
            })
            .collect();
        let target = Targets::Classes {
            y: Array1::from(y),
            n_classes: 2,
        };
        assert!(warnings(&[numeric("x", x)], &target, "y").is_empty());
    }

    #[test]
    fn a_two_level_regression_target_split_by_one_column_is_flagged() {
        let n = 400;
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| if i < 150 { 10.0 } else { 50.0 } + (i % 3) as f64)
            .collect();
        // Not monotone in ranks within each level, so only the stump can see it.
        let x_shuffled: Vec<f64> = x
            .iter()
            .map(|&v| if v < 150.0 { 149.0 - v } else { v })
            .collect();
        let w = warnings(
            &[numeric("x", x_shuffled)],
            &Targets::Values(Array1::from(y)),
            "y",
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("`x <= 149`"), "{}", w[0]);
    }

    #[test]
    fn a_monotone_function_of_the_target_is_flagged_by_rank() {
        let y: Vec<f64> = (0..100).map(|i| ((i * 7919) % 100) as f64 + 1.0).collect();
        let x: Vec<f64> = y.iter().map(|v| v.ln()).collect();
        let w = warnings(
            &[numeric("logy", x)],
            &Targets::Values(Array1::from(y)),
            "y",
        );
        assert!(
            w[0].contains("rank correlation with the target is 1.0000"),
            "{w:?}"
        );
    }

    #[test]
    fn a_category_with_many_values_is_not_a_leak_by_purity() {
        let n = 200;
        let codes: Vec<u32> = (0..n as u32).map(|i| i / 2).collect();
        let levels = (0..100).map(|i| i.to_string()).collect();
        let y: Vec<usize> = (0..n).map(|i| (i / 2) % 2).collect();
        let f = Feature {
            name: "id".into(),
            values: FeatureValues::Categorical { codes, levels },
        };
        let target = Targets::Classes {
            y: Array1::from(y),
            n_classes: 2,
        };
        assert!(warnings(&[f], &target, "y").is_empty());
    }
}
