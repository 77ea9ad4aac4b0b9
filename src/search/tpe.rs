//! TPE, the tree-structured Parzen estimator (Bergstra et al. 2011; Optuna's `TPESampler` with
//! `multivariate=True, group=True, constant_liar=True` and its defaults). The model family is a
//! categorical choice of its own; each family's parameters form a group estimated only from trials
//! of that family. Finished trials split into good (the best `gamma(n)`) and bad; a proposal draws 24
//! candidates from the good trials' estimator l and keeps the one with the largest l(x) / g(x).
//! Trials proposed but outside the reference window count as bad (constant liar), so parallel
//! proposals spread out. Each proposal has its own random stream, derived from the seed and its index.

use super::parzen::{default_gamma, Dim, Parzen};
use super::{History, Proposal, Proposer};
use crate::evaluate::Status;
use crate::expand::sample;
use crate::seed::{derive_seed, key_hash};
use crate::spec::{drawn, Axis, Space};
use crate::value::Value;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Candidates drawn per proposal (Optuna's `n_ei_candidates`).
const CANDIDATES: usize = 24;
/// Random draws tried for a configuration not run yet, once every candidate repeats one.
const FRESH_ATTEMPTS: usize = 200;

pub struct Tpe<'a> {
    space: &'a Space,
    settings: crate::spec::Tpe,
    lag: usize,
    /// Per model entry, its parameters' dimensions.
    spaces: Vec<Vec<Dim>>,
}

/// An axis as an estimator dimension.
fn dim(axis: &Axis) -> Dim {
    match axis {
        Axis::Values(values) => Dim::Categorical {
            choices: values.len(),
        },
        Axis::Uniform(lo, hi) => Dim::Numeric {
            low: *lo,
            high: *hi,
            step: None,
        },
        Axis::LogUniform(lo, hi) => Dim::Numeric {
            low: lo.ln(),
            high: hi.ln(),
            step: None,
        },
        Axis::IntUniform(lo, hi) => Dim::Numeric {
            low: *lo as f64,
            high: *hi as f64,
            step: Some(1.0),
        },
    }
}

/// A parameter value in the estimator's coordinates (`None` if the axis could not have produced it).
fn internal(axis: &Axis, value: &Value) -> Option<f64> {
    match axis {
        Axis::Values(values) => values.iter().position(|v| v == value).map(|i| i as f64),
        Axis::Uniform(..) => value.as_f64(),
        Axis::LogUniform(..) => value.as_f64().map(f64::ln),
        Axis::IntUniform(..) => value.as_f64(),
    }
}

/// A point in the estimator's coordinates as a parameter value.
fn external(axis: &Axis, x: f64) -> Value {
    match axis {
        Axis::Values(values) => values[(x as usize).min(values.len() - 1)].clone(),
        Axis::Uniform(lo, hi) => drawn(x, *lo, *hi),
        Axis::LogUniform(lo, hi) => drawn(x.exp(), *lo, *hi),
        Axis::IntUniform(lo, hi) => Value::Int((x.round() as i64).clamp(*lo, *hi)),
    }
}

/// Which trials count as good and which as bad, each oldest first.
struct Split {
    good: Vec<usize>,
    bad: Vec<usize>,
}

impl<'a> Tpe<'a> {
    pub fn new(space: &'a Space, settings: crate::spec::Tpe, lag: usize) -> Tpe<'a> {
        let spaces = space
            .models()
            .iter()
            .map(|m| m.params.iter().map(|(_, axis)| dim(axis)).collect())
            .collect();
        Tpe {
            space,
            settings,
            lag,
            spaces,
        }
    }

    /// Ok trials of the reference window ranked by score, then pruned ones; trials proposed after
    /// the window are bad (constant liar). Failed trials are left out.
    fn split(&self, index: usize, history: &History) -> Option<Split> {
        let window = self.needs(index);
        let mut complete: Vec<(f64, usize)> = Vec::new();
        let mut pruned = Vec::new();
        for i in 0..window {
            let Some(outcome) = history.get(i).and_then(|p| p.outcome.as_ref()) else {
                continue;
            };
            match (outcome.status, outcome.score) {
                (Status::Ok, Some(score)) if !score.is_nan() => {
                    complete.push((self.space.primary().loss(score), i))
                }
                (Status::Pruned, _) => pruned.push(i),
                _ => {}
            }
        }
        if complete.is_empty() {
            return None;
        }
        complete.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let ranked: Vec<usize> = complete.iter().map(|c| c.1).chain(pruned).collect();
        let n_good = default_gamma(ranked.len());
        let mut good = ranked[..n_good].to_vec();
        let mut bad = ranked[n_good..].to_vec();
        bad.extend((window..index).filter(|&i| history.get(i).is_some()));
        good.sort_unstable();
        bad.sort_unstable();
        Some(Split { good, bad })
    }

    /// Draws candidates from the good estimator and returns them best first by l(x) / g(x).
    fn ranked_candidates(
        dims: &[Dim],
        good: &[Vec<f64>],
        bad: &[Vec<f64>],
        rng: &mut Xoshiro256PlusPlus,
    ) -> Vec<Vec<f64>> {
        let l = Parzen::new(dims, good);
        let g = Parzen::new(dims, bad);
        let mut scored: Vec<(f64, Vec<f64>)> = l
            .sample(rng, CANDIDATES)
            .into_iter()
            .map(|x| (l.log_pdf(&x) - g.log_pdf(&x), x))
            .collect();
        // Stable: equal scores keep their draw order, as numpy's argmax takes the first.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().map(|(_, x)| x).collect()
    }

    fn random(&self, entry: Option<usize>, rng: &mut Xoshiro256PlusPlus) -> Proposal {
        let entry = entry.unwrap_or_else(|| rng.gen_range(0..self.space.models().len()));
        Proposal {
            entry,
            params: sample(&self.space.models()[entry].params, rng),
            stage: None,
        }
    }

    fn key_of(&self, p: &Proposal) -> u64 {
        let m = &self.space.models()[p.entry];
        key_hash(&crate::expand::trial_key(m.name(), &m.label, &p.params))
    }

    /// A proposal not run yet: the first fresh one of `preferred`, else random draws (in `entry`,
    /// then anywhere); `None` once the space seems exhausted.
    fn fresh(
        &self,
        preferred: Vec<Proposal>,
        entry: usize,
        history: &History,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Option<Proposal> {
        let is_fresh = |p: &Proposal| !history.has_key(self.key_of(p));
        if let Some(p) = preferred.into_iter().find(is_fresh) {
            return Some(p);
        }
        for attempt in 0..2 * FRESH_ATTEMPTS {
            let p = self.random((attempt < FRESH_ATTEMPTS).then_some(entry), rng);
            if is_fresh(&p) {
                return Some(p);
            }
        }
        None
    }
}

impl Proposer for Tpe<'_> {
    fn needs(&self, index: usize) -> usize {
        if index < self.settings.startup_trials {
            0
        } else {
            (index + 1).saturating_sub(self.lag)
        }
    }

    fn propose(&mut self, index: usize, history: &History) -> Option<Proposal> {
        if index >= self.settings.trials {
            return None;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(
            self.space.search_seed(),
            &format!("tpe/{index}"),
        ));
        let split = if index < self.settings.startup_trials {
            None
        } else {
            self.split(index, history)
        };
        let Some(split) = split else {
            let first = self.random(None, &mut rng);
            let entry = first.entry;
            return self.fresh(vec![first], entry, history, &mut rng);
        };
        let past = |i: &usize| history.get(*i).expect("split indices were proposed");
        // The family first, as a categorical parameter of its own.
        let models = self.space.models().len();
        let entry = if models == 1 {
            0
        } else {
            let dims = [Dim::Categorical { choices: models }];
            let obs = |ids: &[usize]| -> Vec<Vec<f64>> {
                ids.iter().map(|i| vec![past(i).entry as f64]).collect()
            };
            Self::ranked_candidates(&dims, &obs(&split.good), &obs(&split.bad), &mut rng)[0][0]
                as usize
        };
        // Then its parameters, from the trials of that family only.
        let axes = &self.space.models()[entry].params;
        let obs = |ids: &[usize]| -> Vec<Vec<f64>> {
            ids.iter()
                .map(past)
                .filter(|p| p.entry == entry)
                .filter_map(|p| {
                    axes.iter()
                        .map(|(name, axis)| {
                            let value = p.params.iter().find(|(n, _)| n == name)?;
                            internal(axis, &value.1)
                        })
                        .collect()
                })
                .collect()
        };
        let candidates = if axes.is_empty() {
            vec![Vec::new()]
        } else {
            Self::ranked_candidates(
                &self.spaces[entry],
                &obs(&split.good),
                &obs(&split.bad),
                &mut rng,
            )
        };
        let preferred = candidates
            .into_iter()
            .map(|x| Proposal {
                entry,
                params: axes
                    .iter()
                    .zip(&x)
                    .map(|((name, axis), &xi)| (name.clone(), external(axis, xi)))
                    .collect(),
                stage: None,
            })
            .collect();
        self.fresh(preferred, entry, history, &mut rng)
    }
}
