//! Scoring metrics. Every metric of the target (binary targets add the binary-only ones) is
//! computed for every trial; one of them ranks. Metrics on class scores ([`ranking`]) are computed
//! for the families that give probabilities or decision values, and left empty for the others.

pub mod ranking;

use crate::data::{OwnedTargets, TargetSlice, Targets, Task};
use ndarray::Array2;
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
    RocAuc,
    AveragePrecision,
    LogLoss,
    Precision,
    Recall,
    F1,
    BrierScore,
    R2,
    Rmse,
    Mae,
    MedianAbsoluteError,
    Mape,
}

/// Every classification metric: a binary target's, in report order.
pub const CLASSIFICATION: &[Metric] = &[
    Metric::Accuracy,
    Metric::BalancedAccuracy,
    Metric::F1Macro,
    Metric::PrecisionMacro,
    Metric::RecallMacro,
    Metric::MatthewsCorrcoef,
    Metric::RocAuc,
    Metric::AveragePrecision,
    Metric::LogLoss,
    Metric::Precision,
    Metric::Recall,
    Metric::F1,
    Metric::BrierScore,
];
/// A target with more than two classes: the binary-only metrics left out.
pub const MULTICLASS: &[Metric] = CLASSIFICATION.split_at(9).0;
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
            Metric::RocAuc => "roc_auc",
            Metric::AveragePrecision => "average_precision",
            Metric::LogLoss => "log_loss",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::F1 => "f1",
            Metric::BrierScore => "brier_score",
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
            Metric::Rmse
                | Metric::Mae
                | Metric::MedianAbsoluteError
                | Metric::Mape
                | Metric::LogLoss
                | Metric::BrierScore
        )
    }

    /// What a model must give beyond labels for this metric.
    pub fn needs(self) -> Needs {
        match self {
            Metric::RocAuc | Metric::AveragePrecision => Needs::Ranking,
            Metric::LogLoss | Metric::BrierScore => Needs::Probabilities,
            _ => Needs::Labels,
        }
    }

    /// Whether the metric is defined for two classes only (scored for the positive class).
    pub fn binary_only(self) -> bool {
        self.task() == Task::Classification && !MULTICLASS.contains(&self)
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

    /// The metrics a target is scored by: the binary-only ones only for two classes.
    pub fn for_target(task: Task, n_classes: Option<usize>) -> &'static [Metric] {
        match (task, n_classes) {
            (Task::Classification, Some(n)) if n > 2 => MULTICLASS,
            _ => Metric::for_task(task),
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

/// What a model needs to give beyond labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Labels,
    /// Scores that rank rows per class: probabilities or decision values.
    Ranking,
    Probabilities,
}

/// Per-class scores of some rows (one column per class of the target): probabilities, or decision
/// values that only rank.
pub struct ClassScores {
    pub values: Array2<f64>,
    pub probabilities: bool,
}

/// A model's output on some rows: labels (or values) and, when it gives them, class scores.
pub struct Prediction {
    pub targets: OwnedTargets,
    pub scores: Option<ClassScores>,
}

impl Prediction {
    /// The class probabilities, when the scores are probabilities.
    pub fn probabilities(&self) -> Option<&Array2<f64>> {
        self.scores
            .as_ref()
            .filter(|s| s.probabilities)
            .map(|s| &s.values)
    }
}

/// Every metric of `metrics` for one fold, in the same order; `positive` is the class the binary
/// metrics score. A prediction of the wrong kind, or a metric the prediction has no scores for or
/// the fold leaves undefined, scores NaN.
pub fn score_all(
    metrics: &[Metric],
    positive: Option<usize>,
    truth: TargetSlice,
    prediction: &Prediction,
) -> Vec<f64> {
    match (truth, &prediction.targets) {
        (Targets::Classes { y, n_classes }, Targets::Classes { y: p, .. }) => {
            let p = p.as_slice().unwrap_or(&[]);
            let c = Confusion::new(y, p, n_classes);
            let is_positive: Vec<bool> =
                positive.map_or_else(Vec::new, |pos| y.iter().map(|&t| t == pos).collect());
            metrics
                .iter()
                .map(|&m| match (m.needs(), &prediction.scores, positive) {
                    (Needs::Labels, _, _) => c.score(m, positive),
                    (_, None, _) => f64::NAN,
                    (Needs::Probabilities, Some(s), _) if !s.probabilities => f64::NAN,
                    (_, Some(s), pos) => class_score(m, y, &is_positive, s, pos),
                })
                .collect()
        }
        (Targets::Values(y), Targets::Values(p)) => {
            let p = p.as_slice().unwrap_or(&[]);
            metrics.iter().map(|&m| regression_score(m, y, p)).collect()
        }
        _ => vec![f64::NAN; metrics.len()],
    }
}

/// A metric on class scores: for the positive class when a binary target has one, else macro
/// one-vs-rest (roc_auc, average_precision) or over all classes (log_loss).
fn class_score(
    metric: Metric,
    truth: &[usize],
    is_positive: &[bool],
    scores: &ClassScores,
    positive: Option<usize>,
) -> f64 {
    let values = scores.values.view();
    match (metric, positive) {
        (Metric::LogLoss, _) => ranking::log_loss(truth, values),
        (Metric::RocAuc, Some(pos)) => ranking::roc_auc(is_positive, values.column(pos)),
        (Metric::AveragePrecision, Some(pos)) => {
            ranking::average_precision(is_positive, values.column(pos))
        }
        (Metric::BrierScore, Some(pos)) => ranking::brier_score(is_positive, values.column(pos)),
        (Metric::RocAuc, None) => ranking::one_vs_rest(truth, values, ranking::roc_auc),
        (Metric::AveragePrecision, None) => {
            ranking::one_vs_rest(truth, values, ranking::average_precision)
        }
        _ => f64::NAN,
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

    fn score(&self, metric: Metric, positive: Option<usize>) -> f64 {
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
            Metric::Precision | Metric::Recall | Metric::F1 => {
                let Some(pos) = positive.filter(|&p| p < self.counts.len()) else {
                    return f64::NAN;
                };
                let tp = self.counts[pos][pos] as f64;
                let actual = self.counts[pos].iter().sum::<usize>() as f64;
                let predicted = self.counts.iter().map(|row| row[pos]).sum::<usize>() as f64;
                match metric {
                    Metric::Precision => ratio(tp, predicted),
                    Metric::Recall => ratio(tp, actual),
                    _ => ratio(2.0 * tp, actual + predicted),
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

    fn labels(p: &[usize], n: usize) -> Prediction {
        Prediction {
            targets: Targets::Classes {
                y: Array1::from(p.to_vec()),
                n_classes: n,
            },
            scores: None,
        }
    }

    /// The label metrics (the first six) for class 1 positive.
    fn classify(y: &[usize], p: &[usize], n: usize) -> Vec<f64> {
        score_all(
            &CLASSIFICATION[..6],
            Some(1),
            Targets::Classes { y, n_classes: n },
            &labels(p, n),
        )
    }

    fn values(p: Vec<f64>) -> Prediction {
        Prediction {
            targets: Targets::Values(Array1::from(p)),
            scores: None,
        }
    }

    const BINARY_TRUTH: [usize; 8] = [0, 0, 1, 1, 0, 1, 1, 0];
    /// The positive class's probability, with ties at 0.4.
    const BINARY_P1: [f64; 8] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.4, 0.2];

    fn binary_prediction(probabilities: bool) -> Prediction {
        let values = Array2::from_shape_fn((8, 2), |(r, c)| {
            if c == 1 {
                BINARY_P1[r]
            } else {
                1.0 - BINARY_P1[r]
            }
        });
        Prediction {
            targets: Targets::Classes {
                y: BINARY_P1.iter().map(|&p| usize::from(p > 0.5)).collect(),
                n_classes: 2,
            },
            scores: Some(ClassScores {
                values,
                probabilities,
            }),
        }
    }

    fn binary_scores(positive: usize, prediction: &Prediction) -> Vec<f64> {
        let truth = Targets::Classes {
            y: &BINARY_TRUTH[..],
            n_classes: 2,
        };
        score_all(&CLASSIFICATION[6..], Some(positive), truth, prediction)
    }

    /// Numbers scikit-learn 1.9.1 printed for roc_auc_score, average_precision_score, log_loss,
    /// precision/recall/f1_score and brier_score_loss on these rows, for either positive class.
    #[test]
    fn score_metrics_match_scikit_learn_with_ties_and_either_positive_class() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        let s = binary_scores(1, &binary_prediction(true));
        let expected = [
            0.8125,
            0.8166666666666667,
            0.4555965297311108,
            1.0,
            0.5,
            2.0 / 3.0,
            0.1503125,
        ];
        for (i, (a, b)) in s.iter().zip(expected).enumerate() {
            assert!(
                close(*a, b),
                "{}: {a} against {b}",
                CLASSIFICATION[6 + i].name()
            );
        }
        let s = binary_scores(0, &binary_prediction(true));
        let expected = [
            0.8125,
            0.8333333333333333,
            0.4555965297311108,
            2.0 / 3.0,
            1.0,
            0.8,
            0.1503125,
        ];
        for (i, (a, b)) in s.iter().zip(expected).enumerate() {
            assert!(
                close(*a, b),
                "{} (class 0): {a} against {b}",
                CLASSIFICATION[6 + i].name()
            );
        }
        // Decision values rank but are not probabilities: log_loss and brier_score stay empty.
        let s = binary_scores(1, &binary_prediction(false));
        assert!(close(s[0], 0.8125) && close(s[1], 0.8166666666666667));
        assert!(s[2].is_nan() && s[6].is_nan(), "{s:?}");
        // No scores at all: only the label metrics.
        let s = binary_scores(1, &labels(&[0; 8], 2));
        assert!(s[0].is_nan() && s[2].is_nan() && s[3] == 0.0, "{s:?}");
    }

    #[test]
    fn multiclass_scores_are_one_vs_rest_macro_means_as_in_scikit_learn() {
        let truth = [0usize, 1, 2, 2, 1, 0, 2, 1];
        let values = ndarray::array![
            [0.7, 0.2, 0.1],
            [0.2, 0.5, 0.3],
            [0.1, 0.3, 0.6],
            [0.3, 0.5, 0.2],
            [0.4, 0.4, 0.2],
            [0.5, 0.25, 0.25],
            [0.2, 0.2, 0.6],
            [0.5, 0.3, 0.2]
        ];
        let prediction = Prediction {
            targets: labels(&[0; 8], 3).targets,
            scores: Some(ClassScores {
                values,
                probabilities: true,
            }),
        };
        let metrics = [Metric::RocAuc, Metric::AveragePrecision, Metric::LogLoss];
        let y = Targets::Classes {
            y: &truth[..],
            n_classes: 3,
        };
        let s = score_all(&metrics, None, y, &prediction);
        for (a, b) in s
            .iter()
            .zip([0.8527777777777777, 0.743915343915344, 0.8117902501530995])
        {
            assert!((a - b).abs() < 1e-12, "{a} against {b}");
        }
    }

    #[test]
    fn perfect_inverted_single_class_and_certain_but_wrong() {
        let truth = [false, false, true, true];
        let rising = ndarray::array![0.1, 0.2, 0.3, 0.4];
        assert_eq!(ranking::roc_auc(&truth, rising.view()), 1.0);
        assert_eq!(ranking::roc_auc(&truth, (-&rising).view()), 0.0);
        assert_eq!(ranking::average_precision(&truth, rising.view()), 1.0);
        assert!(
            ranking::roc_auc(&[true; 4], rising.view()).is_nan(),
            "one class: undefined"
        );
        assert!(ranking::average_precision(&[false; 4], rising.view()).is_nan());
        // scikit-learn's log_loss([0, 1], [[1, 0], [1, 0]]) = 18.021826694558577: clipped, not infinite.
        let certain = ndarray::array![[1.0, 0.0], [1.0, 0.0]];
        let loss = ranking::log_loss(&[0, 1], certain.view());
        assert!((loss - 18.021826694558577).abs() < 1e-9, "{loss}");
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
        assert_eq!(s, vec![1.0; 6], "every metric is perfect");
    }

    #[test]
    fn regression_metrics() {
        let y = [1.0, 2.0, 3.0, 4.0];
        let p = values(vec![1.0, 2.0, 3.0, 6.0]);
        let s = score_all(REGRESSION, None, Targets::Values(&y), &p);
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
        let p = values(vec![2.5, 0.0, 2.0, 8.0]);
        let s = score_all(
            &[Metric::MedianAbsoluteError, Metric::Mape],
            None,
            Targets::Values(&y),
            &p,
        );
        assert_eq!(s[0], 0.5);
        assert!((s[1] - 0.327_380_952_380_952_4).abs() < 1e-15, "{}", s[1]);
        let zero = [0.0, 1.0];
        let p = values(vec![1.0, 1.0]);
        let s = score_all(&[Metric::Mape], None, Targets::Values(&zero), &p);
        assert!(s[0] > 1e15 && s[0].is_finite(), "{}", s[0]);
        let odd = [1.0, 2.0, 3.0];
        let p = values(vec![2.0, 2.0, 0.0]);
        let s = score_all(
            &[Metric::MedianAbsoluteError],
            None,
            Targets::Values(&odd),
            &p,
        );
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
        assert_eq!(Metric::from_name("roc_auc"), Some(Metric::RocAuc));
        assert_eq!(Metric::from_name("auc"), None);
        assert!(!Metric::LogLoss.higher_is_better() && !Metric::BrierScore.higher_is_better());
        assert!(Metric::F1.binary_only() && !Metric::RocAuc.binary_only());
        assert_eq!(
            Metric::for_target(Task::Classification, Some(3)),
            MULTICLASS
        );
        assert_eq!(
            Metric::for_target(Task::Classification, Some(2)),
            CLASSIFICATION
        );
    }
}
