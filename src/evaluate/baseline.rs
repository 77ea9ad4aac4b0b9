//! The trivial model every sweep is scored against, on the same folds: scikit-learn's
//! `DummyClassifier()` (predicts the training fold's most frequent class, the lowest on a tie, and
//! gives the training fold's class shares as probabilities) or `DummyRegressor()` (predicts the
//! training fold's mean). Never refitted or ranked; a sweep whose best trial does not clearly beat it
//! is told so.

use crate::data::{class_counts, OwnedTargets, Targets};
use crate::metrics::{mean_std, score_all, ClassScores, Metric, Prediction};
use crate::spec::Plan;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

/// The baseline's scores on the plan's folds, and the target's class balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// What it predicts, in words.
    pub description: String,
    /// Per metric of the plan (in its order): name, mean and standard deviation over folds.
    pub scores: Vec<(Metric, f64, f64)>,
    /// The primary metric on each fold.
    pub splits: Vec<f64>,
    /// Per class (classification): its label and rows, in class order.
    pub class_balance: Vec<(String, usize)>,
}

impl Baseline {
    /// Scores the trivial model on every fold of `plan`.
    pub fn score(plan: &Plan) -> Baseline {
        let data = plan.data();
        let dataset = data.dataset();
        let metrics = plan.space().metrics();
        let per_fold: Vec<Vec<f64>> = data
            .folds()
            .iter()
            .map(|fold| {
                let train = dataset.target.select(&fold.train);
                let truth = dataset.target.select(&fold.test);
                let prediction = trivial(&train, fold.test.len());
                let truth = truth.view();
                let truth = truth.as_slices().expect("selected targets are contiguous");
                score_all(metrics, data.positive(), truth, &prediction)
            })
            .collect();
        let scores = metrics
            .iter()
            .enumerate()
            .map(|(m, &metric)| {
                let defined: Vec<f64> = per_fold
                    .iter()
                    .map(|f| f[m])
                    .filter(|s| !s.is_nan())
                    .collect();
                let (mean, std) = mean_std(&defined);
                (metric, mean, std)
            })
            .collect();
        let primary = plan.space().primary_index();
        let class_balance = match &dataset.target {
            Targets::Classes { y, n_classes } => {
                let counts = class_counts(y, *n_classes);
                dataset.class_labels.iter().cloned().zip(counts).collect()
            }
            Targets::Values(_) => Vec::new(),
        };
        Baseline {
            description: describe(&class_balance),
            scores,
            splits: per_fold.iter().map(|f| f[primary]).collect(),
            class_balance,
        }
    }

    /// The mean and standard deviation of `metric`, when the plan scored it.
    pub fn get(&self, metric: Metric) -> Option<(f64, f64)> {
        self.scores
            .iter()
            .find(|(m, ..)| *m == metric)
            .map(|&(_, mean, std)| (mean, std))
    }

    /// A sentence when `best` (mean and fold standard deviation of the primary metric) does not beat
    /// the baseline by more than its own spread over folds (at least 0.001): the search found
    /// nothing better than the trivial model.
    pub fn verdict(&self, primary: Metric, best: Option<(f64, f64)>) -> Option<String> {
        let (baseline, _) = self.get(primary)?;
        let clear = |(mean, std): (f64, f64)| {
            primary.better(mean, primary.worse_by(baseline, -std.max(1e-3)))
        };
        match best {
            Some(b) if clear(b) => None,
            Some((mean, _)) => Some(format!(
                "the best trial's {} ({mean:.4}) does not clearly beat the baseline ({baseline:.4}), \
                 a model that {}: no model here has learned more than the class balance or the mean; \
                 {}",
                primary.name(),
                self.description,
                if self.class_balance.is_empty() {
                    "look for features that carry signal"
                } else {
                    "rank by balanced_accuracy or roc_auc, or try class_weight: balanced"
                }
            )),
            None => None,
        }
    }
}

/// The training fold's most frequent class (with its shares as probabilities), or its mean, for
/// `rows` rows.
fn trivial(train: &OwnedTargets, rows: usize) -> Prediction {
    match train {
        Targets::Classes { y, n_classes } => {
            let counts = class_counts(y, *n_classes);
            let majority = crate::models::argmax(counts.iter().map(|&c| c as f64));
            let shares =
                Array1::from_iter(counts.iter().map(|&c| c as f64 / y.len().max(1) as f64));
            Prediction {
                targets: Targets::Classes {
                    y: Array1::from_elem(rows, majority),
                    n_classes: *n_classes,
                },
                scores: Some(ClassScores {
                    values: Array2::from_shape_fn((rows, *n_classes), |(_, c)| shares[c]),
                    probabilities: true,
                }),
            }
        }
        Targets::Values(v) => Prediction {
            targets: Targets::Values(Array1::from_elem(rows, v.mean().unwrap_or(0.0))),
            scores: None,
        },
    }
}

/// What the baseline predicts, from the class balance (empty for regression).
fn describe(class_balance: &[(String, usize)]) -> String {
    let rows: usize = class_balance.iter().map(|(_, n)| n).sum();
    let majority = crate::models::argmax(class_balance.iter().map(|&(_, n)| n as f64));
    match class_balance.get(majority) {
        Some((label, n)) => format!(
            "always predicts `{label}` ({:.1}% of the rows)",
            100.0 * *n as f64 / rows.max(1) as f64
        ),
        None => "always predicts the training mean".to_string(),
    }
}
