//! Metrics on class scores rather than labels, as scikit-learn computes them: `roc_auc` (binary, or
//! one-vs-rest macro over the classes of the fold), `average_precision` (the same averaging),
//! `log_loss` and `brier_score` (probabilities only). `NaN` where a fold leaves one undefined (one
//! class in its rows), which the caller reports.

use ndarray::{ArrayView1, ArrayView2};

/// Area under the ROC curve of `score` for rows where `positive` holds: the Mann-Whitney
/// statistic with tied scores counted half, which equals scikit-learn's trapezoidal area.
pub fn roc_auc(positive: &[bool], score: ArrayView1<f64>) -> f64 {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return f64::NAN;
    }
    let order = sorted_rows(score, false);
    // Sum of the positives' ranks (1-based), tied runs sharing their mean rank.
    let mut rank_sum = 0.0;
    for run in tied_runs(&order, score) {
        let mean_rank = (run.start + run.end + 1) as f64 / 2.0;
        rank_sum += mean_rank * order[run].iter().filter(|&&r| positive[r]).count() as f64;
    }
    let (p, n) = (n_pos as f64, n_neg as f64);
    (rank_sum - p * (p + 1.0) / 2.0) / (p * n)
}

/// scikit-learn's average precision: the sum over score thresholds (highest first, tied scores one
/// threshold) of precision times the recall gained.
pub fn average_precision(positive: &[bool], score: ArrayView1<f64>) -> f64 {
    let n_pos = positive.iter().filter(|&&p| p).count();
    if n_pos == 0 {
        return f64::NAN;
    }
    let order = sorted_rows(score, true);
    let (mut tp, mut seen, mut recalled, mut total) = (0usize, 0usize, 0.0, 0.0);
    for run in tied_runs(&order, score) {
        seen += run.len();
        tp += order[run].iter().filter(|&&r| positive[r]).count();
        let recall = tp as f64 / n_pos as f64;
        total += (recall - recalled) * (tp as f64 / seen as f64);
        recalled = recall;
    }
    total
}

/// Row indices by score, ascending or (`descending`) highest first.
fn sorted_rows(score: ArrayView1<f64>, descending: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..score.len()).collect();
    if descending {
        order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    } else {
        order.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    }
    order
}

/// The runs of equal scores in `order`, as position ranges.
fn tied_runs(order: &[usize], score: ArrayView1<f64>) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && score[order[end]] == score[order[start]] {
            end += 1;
        }
        runs.push(start..end);
        start = end;
    }
    runs
}

/// The macro mean of a one-vs-rest `metric` over the classes present in `truth` (columns of
/// `scores` by class); `NaN` when fewer than two classes are present.
pub fn one_vs_rest(
    truth: &[usize],
    scores: ArrayView2<f64>,
    metric: fn(&[bool], ArrayView1<f64>) -> f64,
) -> f64 {
    let mut present: Vec<usize> = truth.to_vec();
    present.sort_unstable();
    present.dedup();
    if present.len() < 2 {
        return f64::NAN;
    }
    let per_class: Vec<f64> = present
        .iter()
        .map(|&class| {
            let positive: Vec<bool> = truth.iter().map(|&t| t == class).collect();
            metric(&positive, scores.column(class))
        })
        .collect();
    per_class.iter().sum::<f64>() / per_class.len() as f64
}

/// Mean negative log-probability of the true class, probabilities clipped to [eps, 1 - eps] as
/// scikit-learn's `log_loss` does.
pub fn log_loss(truth: &[usize], probabilities: ArrayView2<f64>) -> f64 {
    let eps = f64::EPSILON;
    let total: f64 = truth
        .iter()
        .zip(probabilities.outer_iter())
        .map(|(&t, row)| -row[t].clamp(eps, 1.0 - eps).ln())
        .sum();
    total / truth.len() as f64
}

/// Mean squared difference between the positive class's probability and whether a row is positive.
pub fn brier_score(positive: &[bool], probability: ArrayView1<f64>) -> f64 {
    let total: f64 = positive
        .iter()
        .zip(probability)
        .map(|(&p, q)| (q - f64::from(u8::from(p))).powi(2))
        .sum();
    total / positive.len() as f64
}
