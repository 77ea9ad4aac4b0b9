//! Column checks beside the leak checks: columns mostly missing and features that duplicate
//! another. (Constant columns are left out where columns are typed, in the dataset's loader.)

use super::leaks::pearson;
use super::{Feature, FeatureValues};

/// A column missing in at least this share of rows is named.
pub const MOSTLY_MISSING: f64 = 0.5;
/// Two numeric features with at least this absolute correlation are near duplicates.
pub const DUPLICATE_CORRELATION: f64 = 0.999;
/// Two category features whose values map one to one on at least this share of rows are too.
pub const DUPLICATE_AGREEMENT: f64 = 0.999;
/// Rows and features the duplicate check looks at: pairs cost rows x features^2.
const SAMPLE_ROWS: usize = 10_000;
const MAX_FEATURES: usize = 300;

/// The warning for a column with `missing` of `rows` cells empty, if that is most of them.
pub fn mostly_missing(name: &str, missing: usize, rows: usize) -> Option<String> {
    let share = missing as f64 / rows.max(1) as f64;
    (rows > 0 && missing < rows && share >= MOSTLY_MISSING).then(|| {
        format!(
            "column `{name}` is empty in {:.0}% of rows ({missing} of {rows}); models see it imputed \
             (gradient_boosting keeps the gaps), so a model may learn mostly whether it is present; if \
             that is not meaningful, leave it out with `drop: [{name}]`",
            share * 100.0
        )
    })
}

/// One warning per pair of features that carry the same information.
pub fn duplicates(features: &[Feature], n_rows: usize) -> Vec<String> {
    if features.len() > MAX_FEATURES {
        return Vec::new();
    }
    let take = n_rows.min(SAMPLE_ROWS);
    let rows: Vec<usize> = (0..take).map(|i| i * n_rows / take).collect();
    let mut out = Vec::new();
    for (i, a) in features.iter().enumerate() {
        for b in &features[i + 1..] {
            if let Some(how) = duplicate(&a.values, &b.values, &rows) {
                out.push(format!(
                    "features `{}` and `{}` are near duplicates ({how}); the second adds nothing to most \
                     models and splits a linear model's weight between them; consider `drop: [{}]`",
                    a.name, b.name, b.name
                ));
            }
        }
    }
    out
}

fn duplicate(a: &FeatureValues, b: &FeatureValues, rows: &[usize]) -> Option<String> {
    match (a, b) {
        (FeatureValues::Numeric(x), FeatureValues::Numeric(y)) => {
            let (xs, ys): (Vec<f64>, Vec<f64>) = rows
                .iter()
                .filter(|&&r| !x[r].is_nan() && !y[r].is_nan())
                .map(|&r| (x[r], y[r]))
                .unzip();
            if xs.len() < 20 || xs.len() * 10 < rows.len() * 9 {
                return None;
            }
            let r = pearson(&xs, &ys);
            (r.abs() >= DUPLICATE_CORRELATION).then(|| format!("correlation {r:.4}"))
        }
        (
            FeatureValues::Categorical {
                codes: x,
                levels: lx,
            },
            FeatureValues::Categorical {
                codes: y,
                levels: ly,
            },
        ) => {
            if lx.len() < 2 || ly.len() < 2 {
                return None;
            }
            let pairs: Vec<(u32, u32)> = rows.iter().map(|&r| (x[r], y[r])).collect();
            let agreement = one_to_one_share(&pairs).min(one_to_one_share(
                &pairs.iter().map(|&(p, q)| (q, p)).collect::<Vec<_>>(),
            ));
            (pairs.len() >= 20 && agreement >= DUPLICATE_AGREEMENT).then(|| {
                format!(
                    "each value of one names the value of the other in {:.1}% of rows",
                    agreement * 100.0
                )
            })
        }
        _ => None,
    }
}

/// The share of rows whose second code is the most common one for their first code (missing cells
/// count as a value of their own).
fn one_to_one_share(pairs: &[(u32, u32)]) -> f64 {
    let mut counts: std::collections::HashMap<u32, std::collections::HashMap<u32, usize>> =
        Default::default();
    for &(p, q) in pairs {
        *counts.entry(p).or_default().entry(q).or_default() += 1;
    }
    let agreeing: usize = counts
        .values()
        .map(|by| by.values().max().copied().unwrap_or(0))
        .sum();
    agreeing as f64 / pairs.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::super::leaks::tests::numeric;
    use super::*;

    #[test]
    fn a_rescaled_copy_is_a_near_duplicate_and_a_related_column_is_not() {
        let minutes: Vec<f64> = (0..500).map(|i| ((i * 7919) % 311) as f64).collect();
        let charge: Vec<f64> = minutes
            .iter()
            .map(|m| (m * 0.17 * 100.0).round() / 100.0)
            .collect();
        let calls: Vec<f64> = minutes
            .iter()
            .enumerate()
            .map(|(i, m)| m + (i % 37) as f64 * 3.0)
            .collect();
        let w = duplicates(
            &[
                numeric("minutes", minutes),
                numeric("charge", charge),
                numeric("calls", calls),
            ],
            500,
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("features `minutes` and `charge`"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn renamed_levels_are_a_near_duplicate() {
        let codes: Vec<u32> = (0..100).map(|i| i % 3).collect();
        let renamed: Vec<u32> = codes.iter().map(|c| 2 - c).collect();
        let feature = |name: &str, codes: Vec<u32>| Feature {
            name: name.into(),
            values: FeatureValues::Categorical {
                codes,
                levels: vec!["a".into(), "b".into(), "c".into()],
            },
        };
        let finer: Vec<u32> = (0..100)
            .map(|i| i % 6 / 2 + 3 * u32::from(i % 2 == 0))
            .collect();
        let w = duplicates(
            &[feature("region", codes.clone()), feature("area", renamed)],
            100,
        );
        assert_eq!(w.len(), 1, "{w:?}");
        // A finer column names the coarser one, but not the other way round.
        assert!(duplicates(&[feature("region", codes), feature("finer", finer)], 100).is_empty());
    }

    #[test]
    fn mostly_missing_is_said_with_its_share() {
        assert!(mostly_missing("company", 40, 100).is_none());
        let w = mostly_missing("company", 83, 100).unwrap();
        assert!(w.contains("83% of rows (83 of 100)"), "{w}");
        assert!(mostly_missing("blank", 100, 100).is_none());
    }
}
