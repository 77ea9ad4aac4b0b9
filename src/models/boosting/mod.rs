//! Gradient boosting on histograms (scikit-learn's HistGradientBoosting): each fold's features are
//! binned once ([`bins`], shared by every trial of the entry), each iteration fits one tree per output
//! to the loss's gradients and hessians ([`loss`]), grown leaf-wise on per-bin sums ([`grow`]), and
//! adds its shrunk leaf values. Binary log-loss, multinomial log-loss (one tree per class per
//! iteration), squared error and Poisson; early stopping on a seeded (stratified) validation share
//! of the training fold.

pub mod bins;
pub mod grow;
pub mod loss;

use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, Targets, TargetsView, Task};
use crate::models::{
    check_target, class_weight_spec, decode, encode, read_shared, shared_work, sigmoid,
    softmax_over, waited, DefaultPreprocessing, FamilyInfo, FoldCache, ModelFamily, Params,
    Predictor, Scores, Seeds,
};
use crate::seed::child_seed;
use crate::value::{Kind, ParamSpec};
use bins::Binned;
use grow::{Growth, Tree};
use loss::Loss;
use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Instant;

pub struct GradientBoostingFamily;

const fn float(min: f64, max: f64, min_exclusive: bool) -> Kind {
    Kind::Float {
        min,
        max,
        min_exclusive,
    }
}

const fn int(min: i64, max: i64, nullable: bool) -> Kind {
    Kind::Int { min, max, nullable }
}

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "learning_rate",
        kind: float(0.0, f64::INFINITY, true),
        default: "0.1",
        help: "shrinkage of each tree's leaf values",
    },
    ParamSpec {
        name: "max_iter",
        kind: int(1, 100_000, false),
        default: "100",
        help: "boosting iterations (trees per output)",
    },
    ParamSpec {
        name: "max_leaf_nodes",
        kind: int(2, 1_000_000, true),
        default: "31",
        help: "leaves per tree, grown best first (null: no limit)",
    },
    ParamSpec {
        name: "max_depth",
        kind: int(1, 1_000, true),
        default: "null",
        help: "deepest level of a tree (null: no limit)",
    },
    ParamSpec {
        name: "min_samples_leaf",
        kind: int(1, i64::MAX, false),
        default: "20",
        help: "fewest training rows in a leaf",
    },
    ParamSpec {
        name: "l2_regularization",
        kind: float(0.0, f64::INFINITY, false),
        default: "0.0",
        help: "L2 penalty on leaf values",
    },
    ParamSpec {
        name: "max_features",
        kind: float(0.0, 1.0, true),
        default: "1.0",
        help: "share of the features each split considers (drawn per split, seeded)",
    },
    ParamSpec {
        name: "max_bins",
        kind: int(2, 255, false),
        default: "255",
        help: "bins per feature (missing cells get one more)",
    },
    ParamSpec {
        name: "early_stopping",
        kind: Kind::AutoBool,
        default: "auto",
        help: "stop when the validation loss stops improving; auto: on above 10,000 training rows",
    },
    ParamSpec {
        name: "validation_fraction",
        kind: float(0.0, 1.0, true),
        default: "0.1",
        help: "share of the training fold held out for early stopping (stratified, seeded)",
    },
    ParamSpec {
        name: "n_iter_no_change",
        kind: int(1, 100_000, false),
        default: "10",
        help: "iterations without an improvement of more than tol before early stopping",
    },
    ParamSpec {
        name: "tol",
        kind: float(0.0, f64::INFINITY, false),
        default: "1e-7",
        help: "improvement of the validation loss that counts for early stopping",
    },
    ParamSpec {
        name: "loss",
        kind: Kind::Choice(&[
            "auto",
            "squared_error",
            "absolute_error",
            "huber",
            "poisson",
        ]),
        default: "auto",
        help:
            "regression loss (auto: squared_error; huber: squared within the 0.9 quantile of the \
               residuals, absolute beyond); classification uses log-loss",
    },
    class_weight_spec(),
];

const INFO: FamilyInfo = FamilyInfo {
    name: "gradient_boosting",
    summary: "histogram gradient boosting, leaf-wise trees (scikit-learn's HistGradientBoosting; own implementation)",
    tasks: &[Task::Classification, Task::Regression],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: false,
        one_hot: false,
        keep_missing: true,
    },
    scores: Scores::Probabilities,
    iterates: true,
    varied_fastest: &[],
};

/// A trial's settings, read once from its parameters.
struct Settings {
    growth: Growth,
    max_iter: usize,
    max_bins: usize,
    early_stopping: Option<bool>,
    validation_fraction: f64,
    n_iter_no_change: usize,
    tol: f64,
    loss: String,
}

impl Settings {
    fn read(p: &Params) -> Result<Settings, String> {
        Ok(Settings {
            growth: Growth {
                max_leaf_nodes: p.opt_usize("max_leaf_nodes")?,
                max_depth: p.opt_usize("max_depth")?,
                min_samples_leaf: p.usize("min_samples_leaf")?,
                l2_regularization: p.f64("l2_regularization")?,
                learning_rate: p.f64("learning_rate")?,
                max_features: p.f64("max_features")?,
            },
            max_iter: p.usize("max_iter")?,
            max_bins: p.usize("max_bins")?,
            early_stopping: match p.get("early_stopping") {
                crate::value::Value::Bool(b) => Some(b),
                _ => None,
            },
            validation_fraction: p.f64("validation_fraction")?,
            n_iter_no_change: p.usize("n_iter_no_change")?,
            tol: p.f64("tol")?,
            loss: p.str("loss")?,
        })
    }
}

/// A boosted model: starting raw predictions and, per iteration, one tree per output.
#[derive(Serialize, Deserialize)]
struct Fitted {
    loss: Loss,
    baseline: Vec<f64>,
    trees: Vec<Vec<Tree>>,
    shape: TargetShape,
}

impl Fitted {
    /// Raw predictions, `outputs` per row.
    fn raw(&self, x: ArrayView2<f64>) -> Array2<f64> {
        let outputs = self.baseline.len();
        let mut raw = Array2::from_shape_fn((x.nrows(), outputs), |(_, k)| self.baseline[k]);
        // Tree by tree over every row: one tree stays in cache while the rows stream past.
        for iteration in &self.trees {
            for (k, tree) in iteration.iter().enumerate() {
                for (row, mut out) in x.outer_iter().zip(raw.outer_iter_mut()) {
                    out[k] += tree.value(row);
                }
            }
        }
        raw
    }
}

impl Fitted {
    fn labels(&self, raw: &Array2<f64>) -> OwnedTargets {
        match (self.shape, self.loss) {
            (Targets::Classes { n_classes, .. }, Loss::Binary) => Targets::Classes {
                y: raw.column(0).mapv(|z| usize::from(z > 0.0)),
                n_classes,
            },
            (Targets::Classes { n_classes, .. }, _) => Targets::Classes {
                y: raw
                    .outer_iter()
                    .map(|r| super::argmax(r.iter().copied()))
                    .collect(),
                n_classes,
            },
            (Targets::Values(_), Loss::Poisson) => Targets::Values(raw.column(0).mapv(f64::exp)),
            (Targets::Values(_), _) => Targets::Values(raw.column(0).to_owned()),
        }
    }

    fn class_probabilities(&self, raw: &Array2<f64>) -> Option<Array2<f64>> {
        let Targets::Classes { n_classes, .. } = self.shape else {
            return None;
        };
        Some(match self.loss {
            Loss::Binary => {
                let mut out = Array2::zeros((raw.nrows(), n_classes));
                for (mut row, z) in out.outer_iter_mut().zip(raw.column(0)) {
                    let p = sigmoid(*z);
                    row[1] = p;
                    row[0] = 1.0 - p;
                }
                out
            }
            _ => softmax_over(raw.view(), &(0..n_classes).collect::<Vec<_>>(), n_classes),
        })
    }
}

impl Predictor for Fitted {
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        self.labels(&self.raw(x))
    }

    fn probabilities(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        self.class_probabilities(&self.raw(x))
    }

    fn predict_with_probabilities(
        &self,
        x: ArrayView2<f64>,
    ) -> (OwnedTargets, Option<Array2<f64>>) {
        let raw = self.raw(x);
        (self.labels(&raw), self.class_probabilities(&raw))
    }

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }

    fn n_iter(&self) -> Option<usize> {
        Some(self.trees.len())
    }

    fn split_gains(&self, width: usize) -> Option<Vec<f64>> {
        let mut gains = vec![0.0; width];
        for node in self.trees.iter().flatten().flat_map(|t| &t.nodes) {
            if node.left != 0 {
                gains[node.feature as usize] += node.gain;
            }
        }
        Some(gains)
    }

    fn check(&self, width: usize, target: TargetShape) -> Result<(), String> {
        check_target(self.shape, target)?;
        let outputs = match (self.shape, self.loss) {
            (Targets::Classes { n_classes, .. }, Loss::Multinomial) => n_classes,
            (Targets::Classes { n_classes: 2, .. }, Loss::Binary) => 1,
            (
                Targets::Values(_),
                Loss::Squared | Loss::Poisson | Loss::Absolute | Loss::Huber { .. },
            ) => 1,
            _ => return Err(format!("loss {:?} does not fit the target", self.loss)),
        };
        if self.baseline.len() != outputs || self.trees.iter().any(|t| t.len() != outputs) {
            return Err(format!("an iteration does not hold {outputs} trees"));
        }
        for tree in self.trees.iter().flatten() {
            for (at, node) in tree.nodes.iter().enumerate() {
                let split = node.left != 0;
                // Children come after their parent: a walk always ends.
                let children_ok = !split
                    || (node.left as usize > at
                        && node.right as usize > at
                        && (node.right as usize) < tree.nodes.len()
                        && (node.left as usize) < tree.nodes.len());
                let set_ok = node
                    .categories
                    .is_none_or(|set| (set as usize) < tree.category_sets.len());
                if !children_ok || !set_ok || (split && node.feature as usize >= width) {
                    return Err(format!(
                        "tree node {at} points outside its tree or the {width} columns"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Rows held out for early stopping: `fraction` of the rows (per class when classifying), drawn
/// with `seed`; the rest train.
fn validation_split(
    labels: &[f64],
    classify: bool,
    fraction: f64,
    seed: u64,
) -> (Vec<u32>, Vec<u32>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut groups: Vec<Vec<u32>> = if classify {
        let n = labels.iter().fold(0.0f64, |m, &v| m.max(v)) as usize + 1;
        let mut groups = vec![Vec::new(); n];
        labels
            .iter()
            .enumerate()
            .for_each(|(r, &c)| groups[c as usize].push(r as u32));
        groups
    } else {
        vec![(0..labels.len() as u32).collect()]
    };
    let (mut train, mut validation) = (Vec::new(), Vec::new());
    for group in &mut groups {
        group.shuffle(&mut rng);
        let held = (group.len() as f64 * fraction).round() as usize;
        validation.extend_from_slice(&group[..held]);
        train.extend_from_slice(&group[held..]);
    }
    train.sort_unstable();
    validation.sort_unstable();
    (train, validation)
}

impl ModelFamily for GradientBoostingFamily {
    fn info(&self) -> &'static FamilyInfo {
        &INFO
    }

    fn fit(
        &self,
        p: &Params,
        x: ArrayView2<f64>,
        y: TargetsView,
        seeds: Seeds,
        cache: &FoldCache,
    ) -> Result<Box<dyn Predictor>, String> {
        let s = Settings::read(p)?;
        let shape = y.shape();
        let weights = p.row_weights(y)?;
        let (targets, loss, outputs) = match y {
            Targets::Classes { y, n_classes } => {
                let targets: Vec<f64> = y.iter().map(|&c| c as f64).collect();
                if n_classes < 2 {
                    return Err("gradient_boosting needs at least two classes".to_string());
                }
                if n_classes == 2 {
                    (targets, Loss::Binary, 1)
                } else {
                    (targets, Loss::Multinomial, n_classes)
                }
            }
            Targets::Values(v) => {
                let loss = match s.loss.as_str() {
                    "poisson" => {
                        if v.iter().any(|&t| t < 0.0) || v.sum() <= 0.0 {
                            return Err(
                                "loss poisson needs targets >= 0 with a positive sum".to_string()
                            );
                        }
                        Loss::Poisson
                    }
                    "absolute_error" => Loss::Absolute,
                    "huber" => Loss::Huber { delta: 0.0 },
                    _ => Loss::Squared,
                };
                (v.to_vec(), loss, 1)
            }
        };
        let n = targets.len();
        let weights = weights.unwrap_or_else(|| vec![1.0; n]);
        let binned = cache.get_or_compute(&format!("boosting-bins {}", s.max_bins), || {
            Binned::new(x, s.max_bins, p.category_columns)
        });
        let stopping = s.early_stopping.unwrap_or(n > 10_000);
        let (train, validation) = if stopping {
            let classify = matches!(loss, Loss::Binary | Loss::Multinomial);
            validation_split(&targets, classify, s.validation_fraction, seeds.shared)
        } else {
            ((0..n as u32).collect(), Vec::new())
        };
        let pick = |rows: &[u32], values: &[f64]| -> Vec<f64> {
            rows.iter().map(|&r| values[r as usize]).collect()
        };
        let baseline = loss.baseline(&pick(&train, &targets), &pick(&train, &weights), outputs);
        // Huber's first delta, from the residuals of the baseline (its validation loss keeps it).
        let start = vec![baseline[0]; if loss.refits_leaves() { n } else { 0 }];
        let loss = loss.refreshed(&targets, &start, &train, &weights);
        let job = Boosting {
            x: x.view(),
            binned: &binned,
            targets: &targets,
            weights: &weights,
            loss,
            outputs,
            train: &train,
            validation: &validation,
            growth: s.growth,
            baseline: &baseline,
            seed: seeds.shared,
        };
        let trees = if stopping {
            let mut sequence = job.start();
            job.extend(&mut sequence, s.max_iter, Some((s.n_iter_no_change, s.tol)));
            sequence.trees
        } else {
            // Trials differing only in max_iter read one boosted sequence per fold: each takes its
            // prefix, boosting on from where the sequence stands when it needs more (a longer
            // max_iter, a halving candidate's next rung).
            let key = format!(
                "boosting-sequence {:?} bins {} loss {} class_weight {}",
                s.growth,
                s.max_bins,
                s.loss,
                p.get("class_weight")
            );
            let sequence = cache.get_or_compute(&key, || Mutex::new(job.start()));
            shared_work(|| {
                let asked = Instant::now();
                let mut sequence = sequence.lock().unwrap_or_else(|e| e.into_inner());
                waited(asked.elapsed().as_secs_f64());
                let have = sequence.trees.len();
                if have < s.max_iter {
                    let started = Instant::now();
                    job.extend(&mut sequence, s.max_iter - have, None);
                    // Each new iteration's share of the time boosting on took.
                    let added = sequence.trees.len() - have;
                    let each = started.elapsed().as_secs_f64() / added.max(1) as f64;
                    let last = sequence.seconds.last().copied().unwrap_or(0.0);
                    sequence
                        .seconds
                        .extend((1..=added).map(|i| last + each * i as f64));
                }
                let used = s.max_iter.min(sequence.seconds.len());
                read_shared(used.checked_sub(1).map_or(0.0, |i| sequence.seconds[i]));
                sequence.trees[..s.max_iter].to_vec()
            })
        };
        Ok(Box::new(Fitted {
            loss,
            baseline,
            trees,
            shape,
        }))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Fitted>(bytes)
    }
}

/// One boosting run's inputs: a training fold, its bins, and the rows that train and validate.
struct Boosting<'a> {
    x: ArrayView2<'a, f64>,
    binned: &'a Binned,
    targets: &'a [f64],
    weights: &'a [f64],
    loss: Loss,
    outputs: usize,
    train: &'a [u32],
    validation: &'a [u32],
    growth: Growth,
    baseline: &'a [f64],
    /// Seeds each tree's feature draws (shared by the entry's trials, so prefixes agree).
    seed: u64,
}

impl Boosting<'_> {
    /// A sequence with no trees yet: every row at the baseline.
    fn start(&self) -> Sequence {
        let n = self.targets.len();
        Sequence {
            trees: Vec::new(),
            seconds: Vec::new(),
            raw: (0..n).flat_map(|_| self.baseline.iter().copied()).collect(),
            history: Vec::new(),
        }
    }

    /// Up to `iterations` more iterations of trees (one per output) on `sequence`; with `stop`
    /// (n_iter_no_change, tol), fewer once the validation loss stalls. Boosting on from a sequence's
    /// end gives what one longer run gives, bit for bit.
    fn extend(&self, sequence: &mut Sequence, iterations: usize, stop: Option<(usize, f64)>) {
        let _fitting = grow::Fitting::start();
        let (n, outputs, loss) = (self.targets.len(), self.outputs, self.loss);
        let pick = |values: &[f64]| -> Vec<f64> {
            self.validation
                .iter()
                .map(|&r| values[r as usize])
                .collect()
        };
        let (validation_targets, validation_weights) = (pick(self.targets), pick(self.weights));
        let validation_loss = |raw: &[f64]| {
            let rows: Vec<f64> = self
                .validation
                .iter()
                .flat_map(|&r| raw[r as usize * outputs..(r as usize + 1) * outputs].to_vec())
                .collect();
            loss.mean(&validation_targets, &rows, outputs, &validation_weights)
        };
        let Sequence {
            trees,
            raw,
            history,
            ..
        } = sequence;
        let (mut gradients, mut hessians) =
            (vec![vec![0.0; n]; outputs], vec![vec![0.0; n]; outputs]);
        if stop.is_some() && history.is_empty() {
            history.push(validation_loss(raw));
        }
        for _ in 0..iterations {
            let current = loss.refreshed(self.targets, raw, self.train, self.weights);
            for k in 0..outputs {
                current.derivatives(
                    self.targets,
                    raw,
                    outputs,
                    k,
                    &mut gradients[k],
                    &mut hessians[k],
                );
                for ((g, h), w) in gradients[k]
                    .iter_mut()
                    .zip(&mut hessians[k])
                    .zip(self.weights)
                {
                    *g *= w;
                    *h *= w;
                }
            }
            let mut grown: Vec<grow::Grown> = (0..outputs)
                .map(|k| {
                    let rows = self.train.to_vec();
                    let seed = child_seed(self.seed, (trees.len() * outputs + k) as u64);
                    let (g, h) = (&gradients[k], &hessians[k]);
                    grow::grow(self.binned, rows, g, h, &self.growth, seed)
                })
                .collect();
            if current.refits_leaves() {
                let only = &mut grown[0];
                for (node, rows) in &only.leaves {
                    let residuals: Vec<f64> = rows
                        .iter()
                        .map(|&r| self.targets[r as usize] - raw[r as usize])
                        .collect();
                    let weights: Vec<f64> =
                        rows.iter().map(|&r| self.weights[r as usize]).collect();
                    let value = current.leaf_value(&residuals, &weights);
                    only.tree.nodes[*node].value = self.growth.learning_rate * value;
                }
            }
            // Training rows take their leaf's value; validation rows walk the tree.
            for (k, g) in grown.iter().enumerate() {
                for (node, rows) in &g.leaves {
                    let value = g.tree.nodes[*node].value;
                    rows.iter()
                        .for_each(|&r| raw[r as usize * outputs + k] += value);
                }
                for &r in self.validation {
                    raw[r as usize * outputs + k] += g.tree.value(self.x.row(r as usize));
                }
            }
            trees.push(grown.into_iter().map(|g| g.tree).collect());
            if let Some((n_iter_no_change, tol)) = stop {
                history.push(validation_loss(raw));
                if stalled(history, n_iter_no_change, tol) {
                    break;
                }
            }
        }
    }
}

/// A boosted sequence so far: its trees, every row's raw prediction after them, and (with early
/// stopping) the validation loss after each iteration.
struct Sequence {
    trees: Vec<Vec<Tree>>,
    /// Seconds boosting took up to and including each iteration.
    seconds: Vec<f64>,
    raw: Vec<f64>,
    history: Vec<f64>,
}

/// scikit-learn's rule: stop when none of the last `n` losses beats the one before them by more
/// than `tol`.
fn stalled(history: &[f64], n: usize, tol: f64) -> bool {
    if history.len() <= n {
        return false;
    }
    let reference = history[history.len() - 1 - n];
    history[history.len() - n..]
        .iter()
        .all(|&l| l > reference - tol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_stopping_waits_n_iterations_without_improvement() {
        assert!(!stalled(&[1.0, 0.9, 0.8], 2, 1e-7));
        assert!(stalled(&[1.0, 0.9, 0.9, 0.9], 2, 1e-7));
        assert!(!stalled(&[1.0, 0.9, 0.9, 0.85], 2, 1e-7));
    }

    #[test]
    fn the_validation_split_is_stratified_and_seeded() {
        let labels: Vec<f64> = (0..100).map(|r| f64::from(u8::from(r % 4 == 0))).collect();
        let (train, validation) = validation_split(&labels, true, 0.2, 3);
        assert_eq!((train.len(), validation.len()), (80, 20));
        let ones = validation
            .iter()
            .filter(|&&r| labels[r as usize] == 1.0)
            .count();
        assert_eq!(ones, 5, "a fifth of each class");
        assert_eq!(validation_split(&labels, true, 0.2, 3).1, validation);
        assert_ne!(validation_split(&labels, true, 0.2, 4).1, validation);
    }

    /// A trial reading the first 10 iterations of a sequence grown to 40 for another trial is bit for
    /// bit the model a fit of 10 iterations alone gives, and a sequence continued from 10 to 25 is
    /// the fit of 25.
    #[test]
    fn prefix_of_a_shared_sequence_equals_a_separate_fit() {
        let x = Array2::from_shape_fn((300, 4), |(r, c)| ((r * (c + 3) * 7919) % 101) as f64);
        let y: Vec<usize> = (0..300).map(|r| (r * 13 % 7 + r % 3) % 3).collect();
        let y = ndarray::Array1::from(y);
        let target = || Targets::Classes {
            y: y.view(),
            n_classes: 3,
        };
        let seeds = Seeds {
            trial: 1,
            shared: 2,
        };
        let fit = |max_iter: i64, largest: Option<i64>, cache: &FoldCache| {
            let given = [("max_iter".to_string(), crate::value::Value::Int(max_iter))];
            let largest = [("max_iter".to_string(), largest)];
            let params = Params {
                given: &given,
                specs: PARAMS,
                largest: &largest,
                listed: &[],
                class_names: &[],
                category_columns: &[],
            };
            let model = GradientBoostingFamily.fit(&params, x.view(), target(), seeds, cache);
            model.unwrap().save().unwrap()
        };
        let shared = FoldCache::default();
        let long = fit(40, Some(40), &shared);
        let prefix = fit(10, Some(40), &shared);
        let alone = fit(10, Some(10), &FoldCache::default());
        assert_eq!(prefix, alone);
        assert_ne!(prefix, long);
        // A halving candidate's next rung boosts on from its previous rung's sequence: the same
        // model as a fresh fit of the larger max_iter.
        let rungs = FoldCache::default();
        fit(10, None, &rungs);
        let continued = fit(25, None, &rungs);
        assert_eq!(continued, fit(25, None, &FoldCache::default()));
        assert_eq!(fit(40, None, &rungs), long);
    }
}
