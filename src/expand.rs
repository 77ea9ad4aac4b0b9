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

/// 64 bits identifying a trial key, for duplicate checks and fingerprints without keeping the keys.
pub fn key_hash(key: &str) -> u64 {
    derive_seed(0, key)
}

type ParamSets = Box<dyn Iterator<Item = Vec<(String, Value)>> + Send>;

/// One `models:` entry's parameter sets, generated on demand.
struct EntryStream {
    model: String,
    scalers: Vec<&'static str>,
    sets: ParamSets,
    /// Random search: samples to produce for this entry.
    limit: Option<usize>,
}

/// A sweep's trials, generated one at a time in a deterministic order (grid points with the last axis
/// varying fastest, or seeded random samples), skipping duplicate keys; memory stays bounded by the
/// 8-byte hashes kept for the duplicate check.
pub struct TrialStream {
    seed: u64,
    entries: Vec<EntryStream>,
    current: usize,
    produced_in_entry: usize,
    seen: HashSet<u64>,
    index: usize,
}

impl TrialStream {
    pub fn new(sweep: &Sweep) -> TrialStream {
        let entries = sweep
            .models
            .iter()
            .enumerate()
            .map(|(entry_index, entry)| {
                let params = entry.params.clone();
                let (sets, limit): (ParamSets, _) = match sweep.search.strategy {
                    Strategy::Grid => (Box::new(Grid::new(&params)), None),
                    Strategy::Random => {
                        let label = format!("random/{entry_index}");
                        let mut rng =
                            Xoshiro256PlusPlus::seed_from_u64(derive_seed(sweep.seed, &label));
                        // Small discrete spaces run out of new points: give up after many repeats.
                        let attempts = sweep.search.trials * 20;
                        let sets = (0..attempts).map(move |_| sample(&params, &mut rng));
                        (Box::new(sets), Some(sweep.search.trials))
                    }
                };
                EntryStream {
                    model: entry.model.clone(),
                    scalers: entry.preprocess.iter().map(|s| s.name()).collect(),
                    sets,
                    limit,
                }
            })
            .collect();
        TrialStream {
            seed: sweep.seed,
            entries,
            current: 0,
            produced_in_entry: 0,
            seen: HashSet::new(),
            index: 0,
        }
    }
}

impl Iterator for TrialStream {
    type Item = Trial;

    fn next(&mut self) -> Option<Trial> {
        loop {
            let entry = self.entries.get_mut(self.current)?;
            let exhausted = entry
                .limit
                .is_some_and(|limit| self.produced_in_entry >= limit);
            let Some(params) = (!exhausted).then(|| entry.sets.next()).flatten() else {
                self.current += 1;
                self.produced_in_entry = 0;
                continue;
            };
            let key = trial_key(&entry.model, &entry.scalers, &params);
            if !self.seen.insert(key_hash(&key)) {
                continue;
            }
            self.produced_in_entry += 1;
            self.index += 1;
            return Some(Trial {
                index: self.index - 1,
                seed: derive_seed(self.seed, &key),
                key,
                entry: self.current,
                model: entry.model.clone(),
                params,
            });
        }
    }
}

/// All trials of a sweep, in a deterministic order, without duplicate keys.
pub fn expand(sweep: &Sweep) -> Vec<Trial> {
    TrialStream::new(sweep).collect()
}

/// The number of trials and an order-independent fingerprint of their keys, in one streaming pass.
pub fn count_and_fingerprint(sweep: &Sweep) -> (usize, String) {
    fingerprint(TrialStream::new(sweep).map(|t| key_hash(&t.key)))
}

/// The count and order-independent fingerprint of distinct trial-key hashes.
pub fn fingerprint(key_hashes: impl Iterator<Item = u64>) -> (usize, String) {
    let (count, sum) = key_hashes.fold((0usize, 0u64), |(n, sum), h| (n + 1, sum.wrapping_add(h)));
    (count, format!("{count}-{sum:016x}"))
}

/// The cartesian product of every axis's values, last axis varying fastest, one point at a time.
struct Grid {
    axes: Vec<(String, Vec<Value>)>,
    position: Vec<usize>,
    done: bool,
}

impl Grid {
    fn new(axes: &[(String, Axis)]) -> Grid {
        let axes: Vec<(String, Vec<Value>)> = axes
            .iter()
            .map(|(name, axis)| {
                let values = match axis {
                    Axis::Values(values) => values.clone(),
                    Axis::IntUniform(lo, hi) => (*lo..=*hi).map(Value::Int).collect(),
                    // Config validation refuses continuous axes in grid search.
                    Axis::Uniform(..) | Axis::LogUniform(..) => Vec::new(),
                };
                (name.clone(), values)
            })
            .collect();
        let done = axes.iter().any(|(_, values)| values.is_empty());
        Grid {
            position: vec![0; axes.len()],
            axes,
            done,
        }
    }
}

impl Iterator for Grid {
    type Item = Vec<(String, Value)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let point = self
            .axes
            .iter()
            .zip(&self.position)
            .map(|((name, values), &i)| (name.clone(), values[i].clone()))
            .collect();
        // Advance the mixed-radix counter, last axis first.
        self.done = true;
        for (axis, i) in self.position.iter_mut().enumerate().rev() {
            *i += 1;
            if *i < self.axes[axis].1.len() {
                self.done = false;
                break;
            }
            *i = 0;
        }
        Some(point)
    }
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
    fn streaming_counts_and_fingerprints_without_depending_on_order() {
        let a = sweep(
            "",
            "  - model: svm\n    params: {c: [1, 10], gamma: [0.1, 1]}\n",
        );
        let b = sweep(
            "",
            "  - model: svm\n    params: {gamma: [1, 0.1], c: [10, 1]}\n",
        );
        assert_eq!(count_and_fingerprint(&a), count_and_fingerprint(&b));
        assert_eq!(count_and_fingerprint(&a).0, 4);
        let c = sweep(
            "",
            "  - model: svm\n    params: {c: [1, 10, 100], gamma: [0.1, 1]}\n",
        );
        assert_ne!(count_and_fingerprint(&a).1, count_and_fingerprint(&c).1);
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
