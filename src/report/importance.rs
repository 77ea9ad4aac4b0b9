//! Parameter importance: how much of the score's variation across a family's trials each parameter
//! explains on its own.
//!
//! The measure is the correlation ratio η²: group the trials by the parameter's value, then divide the
//! variance of the group means (weighted by group size) by the variance of the scores. It is the
//! first-order (main-effect) term of an fANOVA variance decomposition, estimated from the trials
//! themselves rather than from a surrogate model: exact on a full grid, an estimate on a random or
//! adaptive sample. Interactions are not counted, so the shares of a family can sum to less than 1.
//! With few trials every value would be its own group and explain everything, so there are at most a
//! quarter as many groups as trials: numbers with more distinct values are grouped into equal-count
//! bins (at most [`BINS`] with the texts), a text among numbers (`None` for null) is a group of its
//! own, and a text parameter with more values than that is left out.

use super::runs::ParamValue;
use std::collections::BTreeMap;

/// Groups a numeric parameter with many values falls into, at most.
pub const BINS: usize = 10;

/// Trials a family needs before importance means anything.
pub const MIN_TRIALS: usize = 8;

/// η² of one parameter: `values[i]` is trial i's value, `scores[i]` its score. 0 when the scores do
/// not vary or the parameter takes a single value; `None` when there are too few trials for its values
/// (fewer than [`MIN_TRIALS`], or a text parameter with more values than a quarter of the trials).
pub fn eta_squared(values: &[&ParamValue], scores: &[f64]) -> Option<f64> {
    let n = scores.len();
    if n < MIN_TRIALS || values.len() != n {
        return None;
    }
    let groups = group_of_each(values, (n / 4).clamp(2, BINS))?;
    let mean = scores.iter().sum::<f64>() / n as f64;
    let total: f64 = scores.iter().map(|s| (s - mean).powi(2)).sum();
    if total <= f64::EPSILON * mean.abs().max(1.0) * n as f64 {
        return Some(0.0);
    }
    let mut sums: BTreeMap<usize, (f64, usize)> = BTreeMap::new();
    for (g, s) in groups.iter().zip(scores) {
        let e = sums.entry(*g).or_insert((0.0, 0));
        e.0 += s;
        e.1 += 1;
    }
    if sums.len() < 2 {
        return Some(0.0);
    }
    let between: f64 = sums
        .values()
        .map(|&(sum, count)| count as f64 * (sum / count as f64 - mean).powi(2))
        .sum();
    Some((between / total).clamp(0.0, 1.0))
}

/// The group of each value: one per distinct value, or, when there are more distinct values than
/// `bins`, equal-count bins of the numbers (equal values always share a bin) with each text (a null
/// written `None`) a group of its own; `None` when the texts alone are more than `bins`.
fn group_of_each(values: &[&ParamValue], bins: usize) -> Option<Vec<usize>> {
    let mut distinct: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() <= bins {
        return Some(
            values
                .iter()
                .map(|v| distinct.binary_search(&v.to_string()).unwrap_or(0))
                .collect(),
        );
    }
    let mut texts: Vec<String> = values
        .iter()
        .filter(|v| v.number().is_none())
        .map(|v| v.to_string())
        .collect();
    texts.sort();
    texts.dedup();
    let number_bins = bins.saturating_sub(texts.len());
    if number_bins < 2 {
        return None;
    }
    let mut sorted: Vec<f64> = values.iter().filter_map(|v| v.number()).collect();
    sorted.sort_by(f64::total_cmp);
    // The bin of x: how many of the quantile cut points lie at or below it.
    let cuts: Vec<f64> = (1..number_bins)
        .map(|b| sorted[b * sorted.len() / number_bins])
        .collect();
    Some(
        values
            .iter()
            .map(|v| match v.number() {
                Some(x) => cuts.iter().filter(|&&c| c <= x).count(),
                None => number_bins + texts.binary_search(&v.to_string()).unwrap_or(0),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(xs: &[f64]) -> Vec<ParamValue> {
        xs.iter().map(|&x| ParamValue::Number(x)).collect()
    }

    #[test]
    fn a_parameter_that_decides_the_score_explains_all_of_it_and_an_unrelated_one_none() {
        // Full 2x2 grid, twice: a moves the score by 1, b does nothing.
        let a = numbers(&[0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]);
        let b = numbers(&[5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0]);
        let scores = [0.5, 0.5, 1.5, 1.5, 0.5, 0.5, 1.5, 1.5];
        assert_eq!(
            eta_squared(&a.iter().collect::<Vec<_>>(), &scores),
            Some(1.0)
        );
        assert_eq!(
            eta_squared(&b.iter().collect::<Vec<_>>(), &scores),
            Some(0.0)
        );
        // Too few trials to say.
        assert_eq!(
            eta_squared(&a[..4].iter().collect::<Vec<_>>(), &scores[..4]),
            None
        );
    }

    #[test]
    fn additive_effects_split_the_variance_by_their_size() {
        // score = 2a + b on a balanced grid: variances 4 : 1 of 5.
        let mut a = Vec::new();
        let mut b = Vec::new();
        let mut scores = Vec::new();
        for i in 0..2 {
            for j in 0..2 {
                for _repeat in 0..2 {
                    a.push(ParamValue::Number(i as f64));
                    b.push(ParamValue::Text(format!("v{j}")));
                    scores.push(2.0 * i as f64 + j as f64);
                }
            }
        }
        let ea = eta_squared(&a.iter().collect::<Vec<_>>(), &scores).unwrap();
        let eb = eta_squared(&b.iter().collect::<Vec<_>>(), &scores).unwrap();
        assert!((ea - 0.8).abs() < 1e-12, "{ea}");
        assert!((eb - 0.2).abs() < 1e-12, "{eb}");
    }

    /// A depth drawn from many integers or left unlimited (`None` in trials.csv): the unlimited
    /// trials are a group of their own, and when they alone score higher the parameter explains it.
    #[test]
    fn null_is_a_level_of_its_own_beside_binned_numbers() {
        let mut values: Vec<ParamValue> = numbers(&(0..40).map(f64::from).collect::<Vec<_>>());
        values.extend((0..10).map(|_| ParamValue::Text("None".into())));
        let refs: Vec<&ParamValue> = values.iter().collect();
        let groups = group_of_each(&refs, BINS).unwrap();
        assert!(groups[40..].iter().all(|&g| g == BINS - 1), "{groups:?}");
        assert!(groups[..40].iter().all(|&g| g < BINS - 1));
        let scores: Vec<f64> = (0..50).map(|i| if i >= 40 { 0.77 } else { 0.70 }).collect();
        let share = eta_squared(&refs, &scores).unwrap();
        assert!((share - 1.0).abs() < 1e-9, "{share}");
    }

    #[test]
    fn many_distinct_numbers_fall_into_equal_count_bins() {
        let xs: Vec<ParamValue> = numbers(&(0..100).map(f64::from).collect::<Vec<_>>());
        let groups = group_of_each(&xs.iter().collect::<Vec<_>>(), BINS).unwrap();
        let mut counts = [0; BINS];
        for g in groups {
            counts[g] += 1;
        }
        assert_eq!(counts, [10; BINS]);
        // Constant scores: nothing to explain.
        let flat = vec![1.0; 100];
        assert_eq!(
            eta_squared(&xs.iter().collect::<Vec<_>>(), &flat),
            Some(0.0)
        );
        // Twelve trials of twelve distinct words: no grouping is fair.
        let words: Vec<ParamValue> = (0..12).map(|i| ParamValue::Text(format!("w{i}"))).collect();
        let scores: Vec<f64> = (0..12).map(f64::from).collect();
        assert_eq!(
            eta_squared(&words.iter().collect::<Vec<_>>(), &scores),
            None
        );
    }
}
