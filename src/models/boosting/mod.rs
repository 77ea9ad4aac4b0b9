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
    check_target, class_weight_spec, decode, encode, softmax_over, DefaultPreprocessing,
    FamilyInfo, FoldCache, ModelFamily, Params, Predictor, Scores, Seeds,
};
use crate::value::{Kind, ParamSpec};
use bins::Binned;
use grow::{Growth, Tree};
use loss::{sigmoid, Loss};
use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

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
        name: "max_bins",
        kind: int(2, 255, false),
        default: "255",
        help: "bins per feature (missing cells get one more)",
    },
    ParamSpec {
        name: "early_stopping",
        kind: Kind::Choice(&["auto", "true", "false"]),
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
        kind: Kind::Choice(&["auto", "squared_error", "poisson"]),
        default: "auto",
        help: "regression loss (auto: squared_error); classification uses log-loss",
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
    },
    scores: Scores::Probabilities,
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
            },
            max_iter: p.usize("max_iter")?,
            max_bins: p.usize("max_bins")?,
            early_stopping: match p.str("early_stopping")?.as_str() {
                "true" => Some(true),
                "false" => Some(false),
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
        for (row, mut out) in x.outer_iter().zip(raw.outer_iter_mut()) {
            for iteration in &self.trees {
                for (k, tree) in iteration.iter().enumerate() {
                    out[k] += tree.value(row);
                }
            }
        }
        raw
    }
}

impl Predictor for Fitted {
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        let raw = self.raw(x);
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

    fn probabilities(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        let Targets::Classes { n_classes, .. } = self.shape else {
            return None;
        };
        let raw = self.raw(x);
        Some(match self.loss {
            Loss::Binary => {
                let mut out = Array2::zeros((x.nrows(), n_classes));
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

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }

    fn check(&self, width: usize, target: TargetShape) -> Result<(), String> {
        check_target(self.shape, target)?;
        let outputs = match (self.shape, self.loss) {
            (Targets::Classes { n_classes, .. }, Loss::Multinomial) => n_classes,
            (Targets::Classes { n_classes: 2, .. }, Loss::Binary) => 1,
            (Targets::Values(_), Loss::Squared | Loss::Poisson) => 1,
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
                if !children_ok || (split && node.feature as usize >= width) {
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
        let (targets, loss, outputs, weights) = match y {
            Targets::Classes { y, n_classes } => {
                let targets: Vec<f64> = y.iter().map(|&c| c as f64).collect();
                let weights = p.row_weights(y, n_classes)?;
                if n_classes < 2 {
                    return Err("gradient_boosting needs at least two classes".to_string());
                }
                if n_classes == 2 {
                    (targets, Loss::Binary, 1, weights)
                } else {
                    (targets, Loss::Multinomial, n_classes, weights)
                }
            }
            Targets::Values(v) => {
                if !matches!(p.get("class_weight"), crate::value::Value::Null) {
                    return Err(
                        "class_weight weighs classes; a regression target has none".to_string()
                    );
                }
                let loss = match s.loss.as_str() {
                    "poisson" => {
                        if v.iter().any(|&t| t < 0.0) || v.sum() <= 0.0 {
                            return Err(
                                "loss poisson needs targets >= 0 with a positive sum".to_string()
                            );
                        }
                        Loss::Poisson
                    }
                    _ => Loss::Squared,
                };
                (v.to_vec(), loss, 1, None)
            }
        };
        let n = targets.len();
        let weights = weights.unwrap_or_else(|| vec![1.0; n]);
        let binned = cache.get_or_compute(&format!("boosting-bins {}", s.max_bins), || {
            Binned::new(x, s.max_bins)
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
        let mut raw: Vec<f64> = (0..n).flat_map(|_| baseline.iter().copied()).collect();
        let (mut gradients, mut hessians) =
            (vec![vec![0.0; n]; outputs], vec![vec![0.0; n]; outputs]);
        let mut trees: Vec<Vec<Tree>> = Vec::new();
        let validation_targets = pick(&validation, &targets);
        let validation_weights = pick(&validation, &weights);
        let validation_loss = |raw: &[f64]| {
            let rows: Vec<f64> = validation
                .iter()
                .flat_map(|&r| raw[r as usize * outputs..(r as usize + 1) * outputs].to_vec())
                .collect();
            loss.mean(&validation_targets, &rows, outputs, &validation_weights)
        };
        let mut history = vec![validation_loss(&raw)];
        for _ in 0..s.max_iter {
            for k in 0..outputs {
                loss.derivatives(
                    &targets,
                    &raw,
                    outputs,
                    k,
                    &mut gradients[k],
                    &mut hessians[k],
                );
                for ((g, h), w) in gradients[k].iter_mut().zip(&mut hessians[k]).zip(&weights) {
                    *g *= w;
                    *h *= w;
                }
            }
            let iteration: Vec<Tree> = (0..outputs)
                .map(|k| {
                    grow::grow(
                        &binned,
                        train.clone(),
                        &gradients[k],
                        &hessians[k],
                        &s.growth,
                    )
                })
                .collect();
            for (r, row) in x.outer_iter().enumerate() {
                for (k, tree) in iteration.iter().enumerate() {
                    raw[r * outputs + k] += tree.value(row);
                }
            }
            trees.push(iteration);
            if stopping {
                history.push(validation_loss(&raw));
                if stalled(&history, s.n_iter_no_change, s.tol) {
                    break;
                }
            }
        }
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
}
