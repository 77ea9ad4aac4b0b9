//! Scoring metrics. Every metric of the task is computed for every trial; one of them ranks.

use crate::data::{OwnedTargets, TargetSlice, Targets, Task};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Accuracy,
    BalancedAccuracy,
    F1Macro,
    PrecisionMacro,
    RecallMacro,
    MatthewsCorrcoef,
    R2,
    Rmse,
    Mae,
    MedianAbsoluteError,
    Mape,
}

pub const CLASSIFICATION: &[Metric] = &[
    Metric::Accuracy,
    Metric::BalancedAccuracy,
    Metric::F1Macro,
    Metric::PrecisionMacro,
    Metric::RecallMacro,
    Metric::MatthewsCorrcoef,
];
pub const REGRESSION: &[Metric] = &[
    Metric::R2,
    Metric::Rmse,
    Metric::Mae,
    Metric::MedianAbsoluteError,
    Metric::Mape,
];

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::BalancedAccuracy => "balanced_accuracy",
            Metric::F1Macro => "f1_macro",
            Metric::PrecisionMacro => "precision_macro",
            Metric::RecallMacro => "recall_macro",
            Metric::MatthewsCorrcoef => "matthews_corrcoef",
            Metric::R2 => "r2",
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::MedianAbsoluteError => "median_absolute_error",
            Metric::Mape => "mape",
        }
    }

    pub fn task(self) -> Task {
        if REGRESSION.contains(&self) {
            Task::Regression
        } else {
            Task::Classification
        }
    }

    pub fn higher_is_better(self) -> bool {
        !matches!(
            self,
            Metric::Rmse | Metric::Mae | Metric::MedianAbsoluteError | Metric::Mape
        )
    }

    /// The one rule of which score is better; every ranking, search strategy and pruning bar uses
    /// it. Better scores first (a total order, so sorting is stable; callers leave NaN out).
    pub fn order(self, a: f64, b: f64) -> std::cmp::Ordering {
        if self.higher_is_better() {
            b.total_cmp(&a)
        } else {
            a.total_cmp(&b)
        }
    }

    /// Whether `a` is strictly better than `b` (never when either is NaN).
    pub fn better(self, a: f64, b: f64) -> bool {
        if self.higher_is_better() {
            a > b
        } else {
            a < b
        }
    }

    /// The score as a loss, lower better, for strategies that minimise.
    pub fn loss(self, score: f64) -> f64 {
        if self.higher_is_better() {
            -score
        } else {
            score
        }
    }

    /// A score `margin` worse than `score`.
    pub fn worse_by(self, score: f64, margin: f64) -> f64 {
        if self.higher_is_better() {
            score - margin
        } else {
            score + margin
        }
    }

    pub fn for_task(task: Task) -> &'static [Metric] {
        match task {
            Task::Classification => CLASSIFICATION,
            Task::Regression => REGRESSION,
        }
    }

    pub fn default_for(task: Task) -> Metric {
        Metric::for_task(task)[0]
    }

    /// The metric called `name`, as written in a sweep file.
    pub fn from_name(name: &str) -> Option<Metric> {
        CLASSIFICATION
            .iter()
            .chain(REGRESSION)
            .copied()
            .find(|m| m.name() == name)
    }

    /// Every metric name, classification first.
    pub fn names() -> impl Iterator<Item = &'static str> {
        CLASSIFICATION.iter().chain(REGRESSION).map(|m| m.name())
    }
}

/// Every metric of `metrics` for one fold, in the same order. A prediction of the wrong kind scores NaN.
pub fn score_all(metrics: &[Metric], truth: TargetSlice, predicted: &OwnedTargets) -> Vec<f64> {
    match (truth, predicted) {
        (Targets::Classes { y, n_classes }, Targets::Classes { y: p, .. }) => {
            let p = p.as_slice().unwrap_or(&[]);
            let c = Confusion::new(y, p, n_classes);
            metrics.iter().map(|&m| c.score(m)).collect()
        }
        (Targets::Values(y), Targets::Values(p)) => {
            let p = p.as_slice().unwrap_or(&[]);
            metrics.iter().map(|&m| regression_score(m, y, p)).collect()
        }
        _ => vec![f64::NAN; metrics.len()],
    }
}

struct Confusion {
    /// counts[true][predicted]
    counts: Vec<Vec<usize>>,
    total: usize,
}

impl Confusion {
    fn new(y: &[usize], p: &[usize], n_classes: usize) -> Confusion {
        let width = n_classes.max(p.iter().max().map_or(0, |m| m + 1));
        let mut counts = vec![vec![0; width]; width];
        for (&t, &q) in y.iter().zip(p) {
            counts[t][q] += 1;
        }
        Confusion {
            counts,
            total: y.len(),
        }
    }

    /// Per-class (true positives, actual, predicted) for classes present in truth or predictions,
    /// the label set scikit-learn's macro averages use.
    fn per_class(&self) -> Vec<(f64, f64, f64)> {
        (0..self.counts.len())
            .map(|c| {
                let tp = self.counts[c][c] as f64;
                let actual = self.counts[c].iter().sum::<usize>() as f64;
                let predicted = self.counts.iter().map(|row| row[c]).sum::<usize>() as f64;
                (tp, actual, predicted)
            })
            .filter(|&(_, actual, predicted)| actual > 0.0 || predicted > 0.0)
            .collect()
    }

    fn score(&self, metric: Metric) -> f64 {
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let mean = |v: Vec<f64>| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        let classes = self.per_class();
        match metric {
            Metric::Accuracy => {
                let correct: usize = (0..self.counts.len()).map(|c| self.counts[c][c]).sum();
                ratio(correct as f64, self.total as f64)
            }
            Metric::BalancedAccuracy => mean(
                classes
                    .iter()
                    .filter(|c| c.1 > 0.0)
                    .map(|&(tp, actual, _)| tp / actual)
                    .collect(),
            ),
            Metric::RecallMacro => mean(classes.iter().map(|&(tp, a, _)| ratio(tp, a)).collect()),
            Metric::PrecisionMacro => {
                mean(classes.iter().map(|&(tp, _, p)| ratio(tp, p)).collect())
            }
            Metric::F1Macro => mean(
                classes
                    .iter()
                    .map(|&(tp, a, p)| ratio(2.0 * tp, a + p))
                    .collect(),
            ),
            // scikit-learn's multiclass form (Gorodkin's R_K); 0 when a side has one class only.
            Metric::MatthewsCorrcoef => {
                let s = self.total as f64;
                let correct: f64 = classes.iter().map(|c| c.0).sum();
                let dot = |f: &dyn Fn(&(f64, f64, f64)) -> f64| classes.iter().map(f).sum::<f64>();
                let covariance = correct * s - dot(&|c| c.1 * c.2);
                let predicted = s * s - dot(&|c| c.2 * c.2);
                let actual = s * s - dot(&|c| c.1 * c.1);
                if predicted * actual == 0.0 {
                    0.0
                } else {
                    covariance / (predicted * actual).sqrt()
                }
            }
            _ => f64::NAN,
        }
    }
}

fn regression_score(metric: Metric, y: &[f64], p: &[f64]) -> f64 {
    let n = y.len() as f64;
    let sq: f64 = y.iter().zip(p).map(|(a, b)| (a - b) * (a - b)).sum();
    match metric {
        Metric::Rmse => (sq / n).sqrt(),
        Metric::Mae => y.iter().zip(p).map(|(a, b)| (a - b).abs()).sum::<f64>() / n,
        Metric::MedianAbsoluteError => {
            let mut errors: Vec<f64> = y.iter().zip(p).map(|(a, b)| (a - b).abs()).collect();
            errors.sort_by(f64::total_cmp);
            let mid = errors.len() / 2;
            match errors.len() {
                0 => f64::NAN,
                len if len % 2 == 1 => errors[mid],
                _ => (errors[mid - 1] + errors[mid]) / 2.0,
            }
        }
        // scikit-learn's mean_absolute_percentage_error: a zero truth divides by the smallest f64 step.
        Metric::Mape => {
            y.iter()
                .zip(p)
                .map(|(a, b)| (a - b).abs() / a.abs().max(f64::EPSILON))
                .sum::<f64>()
                / n
        }
        Metric::R2 => {
            let mean = y.iter().sum::<f64>() / n;
            let total: f64 = y.iter().map(|a| (a - mean) * (a - mean)).sum();
            if total > 0.0 {
                1.0 - sq / total
            } else if sq == 0.0 {
                1.0
            } else {
                0.0
            }
        }
        _ => f64::NAN,
    }
}

/// Mean and population standard deviation (as scikit-learn's std_test_* columns).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    fn classify(y: &[usize], p: &[usize], n: usize) -> Vec<f64> {
        score_all(
            CLASSIFICATION,
            Targets::Classes { y, n_classes: n },
            &Targets::Classes {
                y: Array1::from(p.to_vec()),
                n_classes: n,
            },
        )
    }

    #[test]
    fn classification_metrics_match_scikit_learn() {
        // sklearn: y=[0,0,0,1,1,2], p=[0,0,1,1,2,2]
        // accuracy 4/6; balanced (2/3+1/2+1)/3; precision (1+1/2+1/2)/3; recall = balanced;
        // f1 (0.8 + 0.5 + 2/3)/3
        let s = classify(&[0, 0, 0, 1, 1, 2], &[0, 0, 1, 1, 2, 2], 3);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(s[0], 4.0 / 6.0));
        assert!(close(s[1], (2.0 / 3.0 + 0.5 + 1.0) / 3.0));
        assert!(close(s[2], (0.8 + 0.5 + 2.0 / 3.0) / 3.0));
        assert!(close(s[3], (1.0 + 0.5 + 0.5) / 3.0));
        assert!(close(s[4], s[1]));
    }

    #[test]
    fn class_absent_from_fold_is_not_averaged() {
        // Class 2 exists in the dataset but neither in this fold's truth nor predictions.
        let s = classify(&[0, 1], &[0, 1], 3);
        assert_eq!(
            s,
            vec![1.0; CLASSIFICATION.len()],
            "every metric is perfect"
        );
    }

    #[test]
    fn regression_metrics() {
        let y = [1.0, 2.0, 3.0, 4.0];
        let p = Targets::Values(Array1::from(vec![1.0, 2.0, 3.0, 6.0]));
        let s = score_all(REGRESSION, Targets::Values(&y), &p);
        assert!((s[0] - (1.0 - 4.0 / 5.0)).abs() < 1e-12);
        assert!((s[1] - 1.0).abs() < 1e-12);
        assert!((s[2] - 0.5).abs() < 1e-12);
        assert_eq!(s[3], 0.0, "median of the errors 0, 0, 0, 2");
        assert!((s[4] - 0.125).abs() < 1e-12, "mean of 0, 0, 0, 2/4");
    }

    /// matthews_corrcoef as scikit-learn gives it: its documentation's binary example (-1/3), a
    /// 3-class case (0.25 exactly by the multiclass formula), perfect (1), inverted (-1) and a constant
    /// prediction (0).
    #[test]
    fn matthews_corrcoef_matches_scikit_learn() {
        let mcc = |t: &[usize], p: &[usize], k| classify(t, p, k)[5];
        assert!((mcc(&[1, 1, 1, 0], &[1, 0, 1, 1], 2) + 1.0 / 3.0).abs() < 1e-15);
        assert!((mcc(&[0, 0, 1, 1, 2, 2], &[0, 1, 1, 2, 2, 0], 3) - 0.25).abs() < 1e-15);
        assert_eq!(mcc(&[0, 1, 0, 1], &[0, 1, 0, 1], 2), 1.0);
        assert_eq!(mcc(&[0, 1, 0, 1], &[1, 0, 1, 0], 2), -1.0);
        assert_eq!(mcc(&[0, 1, 0, 1], &[0, 0, 0, 0], 2), 0.0);
    }

    /// The examples scikit-learn's documentation prints for median_absolute_error (0.5) and
    /// mean_absolute_percentage_error (0.3273809523809524; a zero truth gives a huge value, not NaN).
    #[test]
    fn median_absolute_error_and_mape_match_scikit_learn() {
        let y = [3.0, -0.5, 2.0, 7.0];
        let p = Targets::Values(Array1::from(vec![2.5, 0.0, 2.0, 8.0]));
        let s = score_all(
            &[Metric::MedianAbsoluteError, Metric::Mape],
            Targets::Values(&y),
            &p,
        );
        assert_eq!(s[0], 0.5);
        assert!((s[1] - 0.327_380_952_380_952_4).abs() < 1e-15, "{}", s[1]);
        let zero = [0.0, 1.0];
        let p = Targets::Values(Array1::from(vec![1.0, 1.0]));
        let s = score_all(&[Metric::Mape], Targets::Values(&zero), &p);
        assert!(s[0] > 1e15 && s[0].is_finite(), "{}", s[0]);
        let odd = [1.0, 2.0, 3.0];
        let p = Targets::Values(Array1::from(vec![2.0, 2.0, 0.0]));
        let s = score_all(&[Metric::MedianAbsoluteError], Targets::Values(&odd), &p);
        assert_eq!(s[0], 1.0, "the middle of 1, 0, 3");
    }

    #[test]
    fn direction_is_known_per_metric() {
        assert!(Metric::Accuracy.higher_is_better());
        assert!(Metric::R2.higher_is_better());
        assert!(!Metric::Rmse.higher_is_better());
        assert_eq!(Metric::R2.order(0.9, 0.5), std::cmp::Ordering::Less);
        assert_eq!(Metric::Rmse.order(0.9, 0.5), std::cmp::Ordering::Greater);
        assert!(Metric::Accuracy.better(0.9, 0.5) && !Metric::Mae.better(0.9, 0.5));
        assert!(!Metric::Accuracy.better(f64::NAN, 0.5) && !Metric::Accuracy.better(0.5, f64::NAN));
        assert_eq!(Metric::Accuracy.loss(0.75), -0.75);
        assert_eq!(Metric::Rmse.worse_by(2.0, 0.5), 2.5);
        assert_eq!(Metric::R2.worse_by(0.5, 0.25), 0.25);
        assert_eq!(Metric::Mae.task(), Task::Regression);
        assert_eq!(Metric::from_name("f1_macro"), Some(Metric::F1Macro));
        assert_eq!(Metric::from_name("roc_auc"), None);
    }
}
