//! Expansion of a sweep into trials: grid products or random samples, each with a stable key
//! (model + preprocessing + parameters) and a seed derived from the master seed and that key alone,
//! so a trial's numbers never depend on its position, the number of jobs or the backend.

use crate::error::Interrupted;
use crate::interrupt::interrupted;
use crate::seed::{derive_seed, key_hash};
use crate::spec::{drawn, Axis, Budget, Listing, ModelEntry, Search, Shard, Space};
use crate::value::Value;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
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
    /// Successive halving: the trial's rung and resource.
    pub stage: Option<Stage>,
    /// Fold pruning: per fold count k (at k - 1), the running mean of the primary metric the trial
    /// must reach to go on (NaN: no bar there yet).
    pub prune_bars: Option<Vec<f64>>,
}

/// A successive-halving trial's rung (0 first) and resource: training rows, or the value of the
/// resource parameter (which is also among its params).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub rung: usize,
    pub resource: u64,
}

impl Trial {
    /// A trial of model entry `entry` with these parameters, keyed and seeded as every trial is.
    pub fn new(space: &Space, index: usize, entry: usize, params: Vec<(String, Value)>) -> Trial {
        let model = &space.models()[entry];
        let key = trial_key(model.name(), &model.label, &params);
        Trial {
            index,
            seed: derive_seed(space.seed(), &key),
            key,
            entry,
            model: model.name().to_string(),
            params,
            stage: None,
            prune_bars: None,
        }
    }
}

/// A model entry's part of its trial keys: `model+scaler+...`.
pub fn entry_label(model: &str, preprocess: &[String]) -> String {
    let mut label = String::from(model);
    for step in preprocess {
        label.push('+');
        label.push_str(step);
    }
    label
}

pub fn trial_key(model: &str, preprocess: &[String], params: &[(String, Value)]) -> String {
    let mut key = entry_label(model, preprocess);
    let body: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
    key.push('(');
    key.push_str(&body.join(","));
    key.push(')');
    key
}

type ParamSets = Box<dyn Iterator<Item = Vec<(String, Value)>> + Send>;

/// One `models:` entry's parameter sets, generated on demand.
struct EntryStream {
    model: String,
    scalers: Vec<String>,
    sets: ParamSets,
    /// Random search: samples to produce for this entry.
    limit: Option<usize>,
}

/// A sweep's trials, generated one at a time in a deterministic order (grid points with the last axis
/// varying fastest, or seeded random samples), skipping duplicate keys; memory stays bounded by the
/// 8-byte hashes kept for the duplicate check. With `--shard`, only the shard's trials (numbered as in
/// the whole sweep).
pub struct TrialStream {
    seed: u64,
    entries: Vec<EntryStream>,
    current: usize,
    produced_in_entry: usize,
    seen: HashSet<u64>,
    index: usize,
    shard: Option<Shard>,
}

impl TrialStream {
    /// The trials the strategy lists (TPE: random samples over its budget; halving: its candidates).
    pub fn new(space: &Space) -> TrialStream {
        TrialStream::listing(space, space.search().listing())
    }

    pub fn listing(space: &Space, listing: Listing) -> TrialStream {
        let limits = random_limits(space.models(), listing);
        let entries = space
            .models()
            .iter()
            .enumerate()
            .map(|(entry_index, entry)| {
                let params = entry.params.clone();
                let (sets, limit): (ParamSets, _) = match limits.as_ref().map(|l| l[entry_index]) {
                    None => (
                        Box::new(Grid::new(params, entry.family.info().varied_fastest)),
                        None,
                    ),
                    Some(limit) => {
                        let label = format!("random/{entry_index}");
                        let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(
                            space.search_seed(),
                            &label,
                        ));
                        // Small discrete spaces run out of new points: give up after many repeats.
                        let attempts = limit.saturating_mul(20);
                        let sets = (0..attempts).map(move |_| sample(&params, &mut rng));
                        (Box::new(sets), Some(limit))
                    }
                };
                EntryStream {
                    model: entry.name().to_string(),
                    scalers: entry.label.clone(),
                    sets,
                    limit,
                }
            })
            .collect();
        TrialStream {
            seed: space.seed(),
            entries,
            current: 0,
            produced_in_entry: 0,
            seen: HashSet::new(),
            index: 0,
            shard: space.shard(),
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
            if self.shard.is_some_and(|s| !s.holds(self.index - 1)) {
                continue;
            }
            return Some(Trial {
                index: self.index - 1,
                seed: derive_seed(self.seed, &key),
                key,
                entry: self.current,
                model: entry.model.clone(),
                params,
                stage: None,
                prune_bars: None,
            });
        }
    }
}

/// Random search: the trials each model entry gets; `None` for grid search. A total budget is dealt
/// out one trial at a time over the entries in order, skipping entries whose discrete space is
/// exhausted, so it is spread evenly and deterministically.
pub fn random_limits(models: &[ModelEntry], listing: Listing) -> Option<Vec<usize>> {
    let budget = match listing {
        Listing::Grid => return None,
        Listing::Random(budget) => budget,
    };
    let capacity: Vec<u64> = models
        .iter()
        .map(|m| m.size().unwrap_or(u64::MAX))
        .collect();
    Some(match budget {
        Budget::PerModel(n) => capacity.iter().map(|&c| n.min(c as usize)).collect(),
        Budget::Total(mut left) => {
            let mut limits = vec![0usize; models.len()];
            while left > 0 {
                let before = left;
                for (limit, &cap) in limits.iter_mut().zip(&capacity) {
                    if left > 0 && (*limit as u64) < cap {
                        *limit += 1;
                        left -= 1;
                    }
                }
                if left == before {
                    break;
                }
            }
            limits
        }
    })
}

/// All trials of a sweep, in a deterministic order, without duplicate keys.
pub fn expand(space: &Space) -> Vec<Trial> {
    TrialStream::new(space).collect()
}

/// The key hash of every trial, in one streaming pass; `Err` when Ctrl-C stops it (a million-trial
/// sweep takes a moment).
pub fn key_hashes(space: &Space) -> Result<Vec<u64>, Interrupted> {
    let mut hashes = Vec::new();
    for (i, trial) in TrialStream::new(space).enumerate() {
        if i % 4096 == 0 && interrupted() {
            return Err(Interrupted);
        }
        hashes.push(key_hash(&trial.key));
    }
    Ok(hashes)
}

/// The number of trials and an order-independent fingerprint of their keys. An adaptive search
/// cannot list its trials: its fingerprint is its listing's (TPE: random samples of its budget;
/// halving: its candidates) with the strategy and total, and its total is its budget (TPE) or the
/// sum of its rungs.
pub fn count_and_fingerprint(space: &Space) -> Result<(usize, String), Interrupted> {
    let (listed, fp) = fingerprint(key_hashes(space)?.into_iter());
    Ok(match space.search() {
        Search::Tpe(tpe) => (tpe.trials, format!("{fp}-tpe{}", tpe.trials)),
        Search::Halving(h) => {
            let total = h.schedule(listed).iter().map(|r| r.candidates).sum();
            (total, format!("{fp}-halving{total}"))
        }
        Search::Grid | Search::Random(_) => (listed, fp),
    })
}

/// The count and order-independent fingerprint of distinct trial-key hashes.
pub fn fingerprint(key_hashes: impl Iterator<Item = u64>) -> (usize, String) {
    let (count, sum) = key_hashes.fold((0usize, 0u64), |(n, sum), h| (n + 1, sum.wrapping_add(h)));
    (count, fingerprint_text(count, sum))
}

/// A keys fingerprint as manifests write it: the count and the wrapping sum of the key hashes.
pub fn fingerprint_text(count: usize, sum: u64) -> String {
    format!("{count}-{sum:016x}")
}

/// The cartesian product of every axis's values, one point at a time, the last axis varying fastest
/// except that the family's `varied_fastest` axes vary faster still; points list the axes in their
/// written order either way. Values are computed from positions, so a long integer range is never
/// held in memory.
struct Grid {
    axes: Vec<(String, Axis, u64)>,
    position: Vec<u64>,
    /// Axis indices, the fastest varying first.
    advance: Vec<usize>,
    done: bool,
}

impl Grid {
    /// The plan allows only discrete axes in grid search.
    fn new(axes: Vec<(String, Axis)>, varied_fastest: &[&str]) -> Grid {
        let axes: Vec<(String, Axis, u64)> = axes
            .into_iter()
            .map(|(name, axis)| {
                let size = axis.size().unwrap_or(0);
                (name, axis, size)
            })
            .collect();
        let done = axes.iter().any(|(_, _, size)| *size == 0);
        let fastest = |a: &usize| varied_fastest.contains(&axes[*a].0.as_str());
        let (mut advance, rest): (Vec<usize>, Vec<usize>) =
            (0..axes.len()).rev().partition(fastest);
        advance.extend(rest);
        Grid {
            position: vec![0; axes.len()],
            axes,
            advance,
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
            .map(|((name, axis, _), &i)| (name.clone(), axis.value_at(i)))
            .collect();
        // Advance the mixed-radix counter, fastest axis first.
        self.done = true;
        for &axis in &self.advance {
            let i = &mut self.position[axis];
            *i += 1;
            if *i < self.axes[axis].2 {
                self.done = false;
                break;
            }
            *i = 0;
        }
        Some(point)
    }
}

/// One uniform draw from every axis.
pub fn sample(axes: &[(String, Axis)], rng: &mut Xoshiro256PlusPlus) -> Vec<(String, Value)> {
    axes.iter()
        .map(|(name, axis)| {
            let value = match axis {
                Axis::Values(values) => values[rng.gen_range(0..values.len())].clone(),
                Axis::Uniform(lo, hi) => drawn(rng.gen_range(*lo..*hi), *lo, *hi),
                Axis::LogUniform(lo, hi) => drawn(rng.gen_range(lo.ln()..hi.ln()).exp(), *lo, *hi),
                Axis::IntUniform(lo, hi) => Value::Int(rng.gen_range(*lo..=*hi)),
            };
            (name.clone(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trials of a sweep, planned without a table (100 rows of two classes, two folds).
    fn sweep(extra: &str, models: &str) -> Space {
        let yaml = format!("{extra}models:\n{models}");
        crate::spec::testing::space(&yaml, crate::data::Task::Classification, 100, 2)
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
    fn a_familys_shared_work_axis_varies_fastest() {
        let trials = expand(&sweep(
            "",
            "  - model: svm\n    params: {gamma: [0.1, 1], c: [1, 10], kernel: rbf}\n",
        ));
        let keys: Vec<&str> = trials.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "svm(c=1.0,gamma=0.1,kernel=rbf)",
                "svm(c=10.0,gamma=0.1,kernel=rbf)",
                "svm(c=1.0,gamma=1.0,kernel=rbf)",
                "svm(c=10.0,gamma=1.0,kernel=rbf)",
            ]
        );
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
        let fp = |s: &Space| count_and_fingerprint(s).unwrap();
        assert_eq!(fp(&a), fp(&b));
        assert_eq!(fp(&a).0, 4);
        let c = sweep(
            "",
            "  - model: svm\n    params: {c: [1, 10, 100], gamma: [0.1, 1]}\n",
        );
        assert_ne!(fp(&a).1, fp(&c).1);
    }

    #[test]
    fn a_grid_and_a_per_model_budget_expand_to_their_counts() {
        let grid = sweep(
            "",
            "  - model: svm\n    params: {c: [1, 10], kernel: rbf}\n",
        );
        assert_eq!(expand(&grid).len(), 2);
        let budget = sweep(
            "search: {strategy: random, trials_per_model: 3}\n",
            "  - model: svm\n    params: {c: {log_uniform: [0.1, 10]}}\n  - model: gaussian_nb\n    params: {var_smoothing: {log_uniform: [1.0e-10, 1.0e-8]}}\n",
        );
        let trials = expand(&budget);
        assert_eq!(trials.len(), 6);
        assert_eq!(trials.iter().filter(|t| t.model == "svm").count(), 3);
    }

    #[test]
    fn random_search_over_a_small_discrete_space_stops_at_its_size() {
        let s = sweep(
            "search: {strategy: random, trials_per_model: 10}\n",
            "  - model: svm\n    params: {kernel: [rbf, linear]}\n",
        );
        assert_eq!(expand(&s).len(), 2);
    }

    #[test]
    fn a_total_budget_is_spread_over_models_and_moves_past_small_spaces() {
        let models = "  - model: svm\n    params: {kernel: [rbf, linear]}\n  - model: svm\n    params: {c: {log_uniform: [0.1, 10]}}\n  - model: gaussian_nb\n    params: {var_smoothing: {log_uniform: [1.0e-10, 1.0e-8]}}\n";
        let s = sweep("search: {strategy: random, trials: 11}\n", models);
        assert_eq!(
            random_limits(s.models(), s.search().listing()),
            Some(vec![2, 5, 4])
        );
        let trials = expand(&s);
        assert_eq!(trials.len(), 11);
        let per_model = |e: usize| trials.iter().filter(|t| t.entry == e).count();
        assert_eq!((per_model(0), per_model(1), per_model(2)), (2, 5, 4));
    }

    #[test]
    fn a_long_integer_range_is_walked_lazily() {
        let s = sweep(
            "",
            "  - model: decision_tree\n    params: {min_samples_leaf: {int_uniform: [1, 900000]}}\n",
        );
        let mut stream = TrialStream::new(&s);
        assert_eq!(stream.nth(41).unwrap().params[0].1, Value::Int(42));
    }

    /// Each shard's trials of the plan, as (key, entry), by running the stream with the shard set.
    fn shard_trials(space: &mut Space, count: usize) -> Vec<Vec<(String, usize)>> {
        let shards = (1..=count)
            .map(|index| {
                space.set_shard(Some(Shard { index, count }));
                TrialStream::new(space).map(|t| (t.key, t.entry)).collect()
            })
            .collect();
        space.set_shard(None);
        shards
    }

    #[test]
    fn shards_hold_every_trial_of_a_100k_random_sweep_once_and_balance_each_family() {
        let mut p = sweep(
            "search: {strategy: random, trials: 100000}\n",
            "  - model: gaussian_nb\n    params: {var_smoothing: {log_uniform: [1.0e-12, 1.0e-2]}}\n  \
             - model: logistic_regression\n    params: {alpha: {log_uniform: [1.0e-4, 10]}}\n  \
             - model: svm\n    params: {c: {log_uniform: [0.01, 100]}, gamma: {log_uniform: [1.0e-4, 1]}}\n  \
             - model: random_forest\n    params: {max_features: {uniform: [0.1, 0.9]}}\n",
        );
        let all: Vec<(String, usize)> = TrialStream::new(&p).map(|t| (t.key, t.entry)).collect();
        assert_eq!(all.len(), 100_000);
        for count in [1, 3, 8] {
            let shards = shard_trials(&mut p, count);
            let mut union: Vec<&String> = shards.iter().flatten().map(|(k, _)| k).collect();
            assert_eq!(union.len(), all.len(), "{count} shards");
            union.sort();
            union.dedup();
            assert_eq!(union.len(), all.len(), "a trial in two of {count} shards");
            for entry in 0..4 {
                let per_shard: Vec<usize> = shards
                    .iter()
                    .map(|s| s.iter().filter(|(_, e)| *e == entry).count())
                    .collect();
                let (lo, hi) = (per_shard.iter().min(), per_shard.iter().max());
                assert!(hi.zip(lo).is_some_and(|(h, l)| h - l <= 1), "{per_shard:?}");
            }
        }
    }

    #[test]
    fn shard_costs_differ_by_at_most_one_trial_of_each_family() {
        // The reference grid's shape, with per-trial costs far apart: forests 50, svm 10, trees 2,
        // logistic 1, naive Bayes 0.2.
        let mut p = sweep(
            "",
            "  - model: logistic_regression\n    params: {alpha: [0.0001, 0.001, 0.01, 0.1, 1, 10]}\n  \
             - model: decision_tree\n    params: {max_depth: [2, 4, 6, 8, 10, null], criterion: [gini, entropy]}\n  \
             - model: gaussian_nb\n    params: {var_smoothing: [1.0e-11, 1.0e-10, 1.0e-9, 1.0e-8, 1.0e-7]}\n  \
             - model: svm\n    params: {c: [0.1, 1, 10, 100], gamma: [0.001, 0.01, 0.1, 1]}\n  \
             - model: random_forest\n    params: {n_estimators: [50, 100], max_depth: [4, 8, null]}\n",
        );
        let weight = [1.0, 2.0, 0.2, 10.0, 50.0];
        for count in 2..=8 {
            let costs: Vec<f64> = shard_trials(&mut p, count)
                .iter()
                .map(|s| s.iter().map(|(_, e)| weight[*e]).sum())
                .collect();
            let spread = costs.iter().cloned().fold(f64::MIN, f64::max)
                - costs.iter().cloned().fold(f64::MAX, f64::min);
            assert!(
                spread <= weight.iter().sum::<f64>(),
                "{count} shards: {costs:?}"
            );
        }
    }
}
