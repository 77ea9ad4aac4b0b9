//! Leak statistics: a feature that gives the target away (nearly pure classes per value, or a
//! rank correlation near 1) is named in a warning.

use super::{Feature, FeatureValues, OwnedTargets, Targets, MISSING_CODE};

/// Features that give the target away: for a numeric target, a near-exact monotone function of it
/// (rank correlation >= 0.995, e.g. `logwage` beside `wage`); for classes, a feature whose values
/// alone name the class of 99.5% of rows while having far fewer values than rows.
pub(super) fn warnings(
    features: &[Feature],
    target: &OwnedTargets,
    target_name: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    for f in features {
        let verdict = match (target, &f.values) {
            (Targets::Values(y), FeatureValues::Numeric(x)) => {
                let rho = rank_correlation(x, y.as_slice().unwrap_or(&[]));
                (rho.abs() >= 0.995)
                    .then(|| format!("its rank correlation with the target is {rho:.4}"))
            }
            (Targets::Classes { y, n_classes }, values) => {
                let codes: Vec<Option<u64>> = match values {
                    FeatureValues::Categorical { codes, .. } => codes
                        .iter()
                        .map(|&c| (c != MISSING_CODE).then_some(u64::from(c)))
                        .collect(),
                    FeatureValues::Numeric(x) => x
                        .iter()
                        .map(|v| (!v.is_nan()).then_some(v.to_bits()))
                        .collect(),
                };
                let purity = class_purity(&codes, y.as_slice().unwrap_or(&[]), *n_classes);
                purity.map(|p| {
                    format!(
                        "its values alone give the class of {:.1}% of rows",
                        p * 100.0
                    )
                })
            }
            _ => None,
        };
        if let Some(why) = verdict {
            out.push(format!(
                "feature `{}` almost determines the target `{target_name}` ({why}); if it is derived from the \
                 target or not known at prediction time, leave it out with `drop: [{}]`",
                f.name, f.name
            ));
        }
    }
    out
}

/// The share of rows whose class is their value's majority class, when the feature has at most
/// a tenth as many values as rows and that share is at least 99.5%.
fn class_purity(values: &[Option<u64>], y: &[usize], n_classes: usize) -> Option<f64> {
    let mut counts: std::collections::HashMap<u64, Vec<usize>> = std::collections::HashMap::new();
    let mut present = 0usize;
    for (v, &c) in values.iter().zip(y) {
        if let Some(v) = v {
            counts.entry(*v).or_insert_with(|| vec![0; n_classes])[c] += 1;
            present += 1;
        }
    }
    if present < 20 || counts.len() * 10 > present || counts.len() < 2 {
        return None;
    }
    let majority: usize = counts
        .values()
        .map(|c| c.iter().max().copied().unwrap_or(0))
        .sum();
    let purity = majority as f64 / present as f64;
    (purity >= 0.995).then_some(purity)
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
    let ranks = |values: Vec<f64>| -> Vec<f64> {
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
    };
    let rx = ranks(pairs.iter().map(|p| p.0).collect());
    let ry = ranks(pairs.iter().map(|p| p.1).collect());
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}
