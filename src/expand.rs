//! Expansion of a sweep into trials: grid products or random samples, each with a stable key
//! (model + preprocessing + parameters) and a seed derived from the master seed and that key alone,
//! so a trial's numbers never depend on its position, the number of jobs or the backend.

use crate::config::{Axis, Strategy, Sweep};
use crate::value::Value;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// Position in expansion order.
    pub index: usize,
    /// Stable identity: `model+scaler(name=value,...)`, parameters sorted by name.
    pub key: String,
    /// Which `models:` entry it came from.
    pub entry: usize,
    pub model: String,
    pub params: Vec<(String, Value)>,
    pub seed: u64,
}

pub fn trial_key(model: &str, preprocess: &[&str], params: &[(String, Value)]) -> String {
    let mut key = String::from(model);
    for scaler in preprocess {
        key.push('+');
        key.push_str(scaler);
    }
    let body: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
    key.push('(');
    key.push_str(&body.join(","));
    key.push(')');
    key
}

/// 64 bits of sha256 over the master seed and a label: stable across platforms and releases.
pub fn derive_seed(master: u64, label: &str) -> u64 {
    let digest = Sha256::digest(format!("{master}/{label}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

/// All trials of a sweep, in a deterministic order, without duplicate keys.
pub fn expand(sweep: &Sweep) -> Vec<Trial> {
    let mut trials = Vec::new();
    let mut seen = HashSet::new();
    for (entry_index, entry) in sweep.models.iter().enumerate() {
        let scalers: Vec<&str> = entry.preprocess.iter().map(|s| s.name()).collect();
        let param_sets = match sweep.search.strategy {
            Strategy::Grid => grid(&entry.params),
            Strategy::Random => {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(
                    sweep.seed,
                    &format!("random/{entry_index}"),
                ));
                // Small discrete spaces run out of new points: give up after many repeats.
                (0..sweep.search.trials * 20)
                    .map(|_| sample(&entry.params, &mut rng))
                    .filter(|set| seen.insert(trial_key(&entry.model, &scalers, set)))
                    .take(sweep.search.trials)
                    .collect()
            }
        };
        for params in param_sets {
            let key = trial_key(&entry.model, &scalers, &params);
            if sweep.search.strategy == Strategy::Grid && !seen.insert(key.clone()) {
                continue;
            }
            trials.push(Trial {
                index: trials.len(),
                seed: derive_seed(sweep.seed, &key),
                key,
                entry: entry_index,
                model: entry.model.clone(),
                params,
            });
        }
    }
    trials
}

/// The cartesian product of every axis's values, last axis varying fastest.
fn grid(axes: &[(String, Axis)]) -> Vec<Vec<(String, Value)>> {
    let mut sets: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (name, axis) in axes {
        let values: Vec<Value> = match axis {
            Axis::Values(values) => values.clone(),
            Axis::IntUniform(lo, hi) => (*lo..=*hi).map(Value::Int).collect(),
            // Config validation refuses continuous axes in grid search.
            Axis::Uniform(..) | Axis::LogUniform(..) => Vec::new(),
        };
        sets = sets
            .into_iter()
            .flat_map(|set| {
                values.iter().map(move |v| {
                    let mut next = set.clone();
                    next.push((name.clone(), v.clone()));
                    next
                })
            })
            .collect();
    }
    sets
}

fn sample(axes: &[(String, Axis)], rng: &mut Xoshiro256PlusPlus) -> Vec<(String, Value)> {
    axes.iter()
        .map(|(name, axis)| {
            let value = match axis {
                Axis::Values(values) => values[rng.gen_range(0..values.len())].clone(),
                Axis::Uniform(lo, hi) => Value::Float(rng.gen_range(*lo..*hi)),
                Axis::LogUniform(lo, hi) => Value::Float(rng.gen_range(lo.ln()..hi.ln()).exp()),
                Axis::IntUniform(lo, hi) => Value::Int(rng.gen_range(*lo..=*hi)),
            };
            (name.clone(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sweep(extra: &str, models: &str) -> Sweep {
        let text =
            format!("name: t\nseed: 3\ndata: {{path: d.csv, target: y}}\n{extra}models:\n{models}");
        Sweep::parse(Path::new("t.yaml"), &text).unwrap()
    }

    #[test]
    fn grid_is_the_product_of_axes_with_stable_keys() {
        let s = sweep("", "  - model: decision_tree\n    params: {max_depth: [2, null], criterion: [gini, entropy], min_samples_leaf: 5}\n");
        let trials = expand(&s);
        assert_eq!(trials.len(), 4);
        assert_eq!(
            trials[0].key,
            "decision_tree(criterion=gini,max_depth=2,min_samples_leaf=5)"
        );
        assert_eq!(
            trials[3].key,
            "decision_tree(criterion=entropy,max_depth=null,min_samples_leaf=5)"
        );
        assert!(trials.iter().enumerate().all(|(i, t)| t.index == i));
    }

    #[test]
    fn seeds_follow_the_key_not_the_position() {
        let a = expand(&sweep("", "  - model: svm\n    params: {c: [1, 10]}\n"));
        let b = expand(&sweep(
            "",
            "  - model: gaussian_nb\n  - model: svm\n    params: {c: [10, 1]}\n",
        ));
        let find = |ts: &[Trial], key: &str| ts.iter().find(|t| t.key == key).map(|t| t.seed);
        assert_eq!(find(&a, "svm(c=10.0)"), find(&b, "svm(c=10.0)"));
        assert_ne!(find(&a, "svm(c=10.0)"), find(&a, "svm(c=1.0)"));
        assert_eq!(a[0].seed, derive_seed(3, "svm(c=1.0)"));
    }

    #[test]
    fn preprocessing_is_part_of_the_key() {
        let t = expand(&sweep(
            "",
            "  - model: svm\n    preprocess: [standard_scaler]\n  - model: svm\n",
        ));
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].key, "svm+standard_scaler()");
        assert_ne!(t[0].seed, t[1].seed);
    }

    #[test]
    fn random_search_samples_within_bounds_reproducibly() {
        let models = "  - model: svm\n    params: {c: {log_uniform: [0.01, 100]}, kernel: {choice: [rbf, linear]}}\n";
        let s = sweep("search: {strategy: random, trials: 30}\n", models);
        let a = expand(&s);
        assert_eq!(a.len(), 30);
        assert_eq!(a, expand(&s));
        for t in &a {
            let c = t.params[0].1.as_f64().unwrap();
            assert!((0.01..100.0).contains(&c));
        }
    }

    #[test]
    fn random_search_over_a_small_discrete_space_stops_at_its_size() {
        let s = sweep(
            "search: {strategy: random, trials: 10}\n",
            "  - model: svm\n    params: {kernel: [rbf, linear]}\n",
        );
        assert_eq!(expand(&s).len(), 2);
    }
}
