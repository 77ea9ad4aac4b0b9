//! Permutation importance of a refitted model on the held-out test set (scikit-learn's
//! `permutation_importance`): how much the primary metric drops when one input column's values are
//! shuffled among the test rows, the model left as it is. Per column of the table (a date's parts
//! are their own columns), so it speaks of what the user gave, not of encoded columns.

use crate::data::{Feature, FeatureValues};
use crate::metrics::{mean_std, score_all};
use crate::models::folder::PermutationImportance;
use crate::models::saved::Model;
use crate::seed::{child_seed, derive_seed};
use crate::spec::Plan;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Shuffles per column: scikit-learn's default `n_repeats`.
const REPEATS: u64 = 5;
/// Test rows used at most (evenly spaced): the ranking of columns settles long before.
const MAX_ROWS: usize = 5_000;

/// Each input column's mean drop of the primary metric (positive = the model relies on it) and its
/// spread over the repeats, largest first; empty without a test set.
pub fn permutation_importance(plan: &Plan, model: &Model) -> Vec<PermutationImportance> {
    let Some(test) = plan.data().test() else {
        return Vec::new();
    };
    let ds = plan.data().dataset();
    let take = test.rows.len().min(MAX_ROWS);
    let picked: Vec<usize> = (0..take).map(|i| i * test.rows.len() / take).collect();
    let source_rows: Vec<usize> = picked.iter().map(|&i| test.rows[i]).collect();
    let mut features: Vec<Feature> = test
        .features(ds)
        .iter()
        .map(|f| Feature {
            name: f.name.clone(),
            values: select(&f.values, &source_rows),
        })
        .collect();
    let truth = test.target.select(&picked);
    let Some(truth) = truth.view().as_slices() else {
        return Vec::new();
    };
    let rows: Vec<usize> = (0..take).collect();
    let primary = plan.space().primary();
    let score = |features: &[Feature]| -> f64 {
        let prediction = model.apply(features, &rows, true);
        score_all(&[primary], plan.data().positive(), truth, &prediction)[0]
    };
    let base = score(&features);
    if !base.is_finite() {
        return Vec::new();
    }
    let seed = derive_seed(plan.space().seed(), "permutation importance");
    let mut out = Vec::new();
    for j in 0..features.len() {
        let original = features[j].values.clone();
        let drops: Vec<f64> = (0..REPEATS)
            .map(|repeat| {
                let mut order: Vec<usize> = (0..take).collect();
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(child_seed(
                    seed,
                    j as u64 * REPEATS + repeat,
                ));
                order.shuffle(&mut rng);
                features[j].values = select(&original, &order);
                let permuted = score(&features);
                if primary.higher_is_better() {
                    base - permuted
                } else {
                    permuted - base
                }
            })
            .collect();
        features[j].values = original;
        let (mean, std) = mean_std(&drops);
        out.push(PermutationImportance {
            feature: features[j].name.clone(),
            mean,
            std,
        });
    }
    out.sort_by(|a, b| b.mean.total_cmp(&a.mean));
    out
}

fn select(values: &FeatureValues, rows: &[usize]) -> FeatureValues {
    match values {
        FeatureValues::Numeric(x) => FeatureValues::Numeric(rows.iter().map(|&r| x[r]).collect()),
        FeatureValues::Categorical { codes, levels } => FeatureValues::Categorical {
            codes: rows.iter().map(|&r| codes[r]).collect(),
            levels: levels.clone(),
        },
    }
}
