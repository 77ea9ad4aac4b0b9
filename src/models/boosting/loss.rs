//! Losses of gradient boosting as scikit-learn defines them: the starting raw prediction, each row's
//! gradient and hessian of the loss at the current raw prediction, and for absolute error and Huber
//! the leaf values refitted to the rows' residuals after a tree is grown (scikit-learn's
//! `_update_leaves_values`, Friedman's Huber step).

use crate::models::sigmoid;

/// One loss over raw predictions (`outputs` per row: one, or one per class for log-loss on more
/// than two classes).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Loss {
    /// Binary log-loss on the raw log-odds of class 1.
    Binary,
    /// Multinomial log-loss on per-class raw scores (softmax).
    Multinomial,
    /// Half squared error.
    Squared,
    /// Half Poisson deviance on the raw log of the mean.
    Poisson,
    /// Absolute error; leaves take the median residual of their rows.
    Absolute,
    /// Huber: squared within `delta` of the target, absolute beyond. `delta` is the 0.9 quantile of
    /// the absolute residuals, updated every iteration (scikit-learn's GradientBoostingRegressor).
    Huber { delta: f64 },
}

/// The share of residuals inside Huber's `delta` (scikit-learn's `alpha`).
pub const HUBER_QUANTILE: f64 = 0.9;

/// The `q` quantile of `values` (numpy's linear interpolation when the weights are equal, else the
/// smallest value whose cumulative weight reaches `q` of the total, as scikit-learn's
/// `_weighted_percentile`).
pub fn quantile(values: &[f64], weights: &[f64], q: f64) -> f64 {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    if order.is_empty() {
        return 0.0;
    }
    if weights.iter().all(|&w| w == weights[0]) {
        let at = q * (order.len() - 1) as f64;
        let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
        let (a, b) = (values[order[lo]], values[order[hi]]);
        return a + (b - a) * (at - lo as f64);
    }
    let total: f64 = weights.iter().sum();
    let mut cumulative = 0.0;
    for &i in &order {
        cumulative += weights[i];
        if cumulative >= q * total {
            return values[i];
        }
    }
    values[order[order.len() - 1]]
}

impl Loss {
    /// The constant raw prediction that minimises the loss on the targets (`y`: class index or
    /// value; `weights`: row weights), one per output.
    pub fn baseline(self, y: &[f64], weights: &[f64], outputs: usize) -> Vec<f64> {
        let total: f64 = weights.iter().sum();
        let mean = |f: &dyn Fn(f64) -> f64| {
            y.iter().zip(weights).map(|(&v, w)| w * f(v)).sum::<f64>() / total
        };
        match self {
            Loss::Binary => {
                let p = mean(&|v| v).clamp(1e-12, 1.0 - 1e-12);
                vec![(p / (1.0 - p)).ln()]
            }
            Loss::Multinomial => (0..outputs)
                .map(|k| {
                    mean(&|v| f64::from(u8::from(v as usize == k)))
                        .max(1e-12)
                        .ln()
                })
                .collect(),
            Loss::Squared => vec![mean(&|v| v)],
            Loss::Poisson => vec![mean(&|v| v).max(1e-12).ln()],
            // The median, as scikit-learn's default init for both.
            Loss::Absolute | Loss::Huber { .. } => vec![quantile(y, weights, 0.5)],
        }
    }

    /// Whether leaves are refitted to their rows' residuals after growing ([`Loss::leaf_value`]).
    pub fn refits_leaves(self) -> bool {
        matches!(self, Loss::Absolute | Loss::Huber { .. })
    }

    /// The constant that minimises the loss of `residuals` (target minus raw prediction): their
    /// median, plus for Huber the mean of the deviations from it clipped to `delta`.
    pub fn leaf_value(self, residuals: &[f64], weights: &[f64]) -> f64 {
        let median = quantile(residuals, weights, 0.5);
        match self {
            Loss::Huber { delta } => {
                let total: f64 = weights.iter().sum();
                let clipped: f64 = residuals
                    .iter()
                    .zip(weights)
                    .map(|(&r, &w)| w * (r - median).clamp(-delta, delta))
                    .sum();
                median + clipped / total
            }
            _ => median,
        }
    }

    /// The loss for the next iteration: Huber's `delta` from the current absolute residuals of the
    /// training `rows`; others as they are.
    pub fn refreshed(self, y: &[f64], raw: &[f64], rows: &[u32], weights: &[f64]) -> Loss {
        match self {
            Loss::Huber { .. } => {
                let pick = |r: &u32| *r as usize;
                let residuals: Vec<f64> = rows
                    .iter()
                    .map(|r| (y[pick(r)] - raw[pick(r)]).abs())
                    .collect();
                let w: Vec<f64> = rows.iter().map(|r| weights[pick(r)]).collect();
                Loss::Huber {
                    delta: quantile(&residuals, &w, HUBER_QUANTILE),
                }
            }
            other => other,
        }
    }

    /// Writes each row's gradient and hessian for output `k` (row-major `raw`: `outputs` per row).
    pub fn derivatives(
        self,
        y: &[f64],
        raw: &[f64],
        outputs: usize,
        k: usize,
        gradients: &mut [f64],
        hessians: &mut [f64],
    ) {
        for (r, &target) in y.iter().enumerate() {
            let scores = &raw[r * outputs..(r + 1) * outputs];
            let (g, h) = match self {
                Loss::Binary => {
                    let p = sigmoid(scores[0]);
                    (p - target, (p * (1.0 - p)).max(1e-16))
                }
                Loss::Multinomial => {
                    let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let total: f64 = scores.iter().map(|s| (s - top).exp()).sum();
                    let p = (scores[k] - top).exp() / total;
                    let is = f64::from(u8::from(target as usize == k));
                    (p - is, (p * (1.0 - p)).max(1e-16))
                }
                Loss::Squared => (scores[0] - target, 1.0),
                Loss::Poisson => {
                    let mu = scores[0].exp();
                    (mu - target, mu.max(1e-16))
                }
                // Constant hessians: the leaves are refitted to the residuals afterwards.
                Loss::Absolute => ((scores[0] - target).signum(), 1.0),
                Loss::Huber { delta } => ((scores[0] - target).clamp(-delta, delta), 1.0),
            };
            gradients[r] = g;
            hessians[r] = h;
        }
    }

    /// The mean loss of raw predictions (early stopping's validation score), row-weighted.
    pub fn mean(self, y: &[f64], raw: &[f64], outputs: usize, weights: &[f64]) -> f64 {
        let total: f64 = weights.iter().sum();
        let sum: f64 = y
            .iter()
            .enumerate()
            .map(|(r, &target)| {
                let s = &raw[r * outputs..(r + 1) * outputs];
                let loss = match self {
                    Loss::Binary => s[0].max(0.0) + (-s[0].abs()).exp().ln_1p() - target * s[0],
                    Loss::Multinomial => {
                        let top = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        top + s.iter().map(|v| (v - top).exp()).sum::<f64>().ln()
                            - s[target as usize]
                    }
                    Loss::Squared => 0.5 * (s[0] - target).powi(2),
                    Loss::Poisson => s[0].exp() - target * s[0],
                    Loss::Absolute => (s[0] - target).abs(),
                    Loss::Huber { delta } => {
                        let d = (s[0] - target).abs();
                        if d <= delta {
                            0.5 * d * d
                        } else {
                            delta * (d - 0.5 * delta)
                        }
                    }
                };
                weights[r] * loss
            })
            .sum();
        sum / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every loss's gradient and hessian against central finite differences of its mean loss.
    #[test]
    fn gradients_and_hessians_match_finite_differences() {
        let cases: [(Loss, usize, Vec<f64>, Vec<f64>); 6] = [
            (Loss::Binary, 1, vec![1.0, 0.0], vec![0.3, -1.2]),
            (
                Loss::Multinomial,
                3,
                vec![2.0, 0.0],
                vec![0.2, -0.5, 1.1, 0.4, 0.0, -0.3],
            ),
            (Loss::Squared, 1, vec![2.5, -1.0], vec![0.7, 0.2]),
            (Loss::Poisson, 1, vec![3.0, 0.0], vec![0.4, -0.2]),
            (Loss::Absolute, 1, vec![2.5, -1.0], vec![0.7, 0.2]),
            (
                Loss::Huber { delta: 1.0 },
                1,
                vec![2.5, -1.0, 0.5],
                vec![0.7, 0.2, 0.1],
            ),
        ];
        let eps = 1e-5;
        for (loss, outputs, y, raw) in cases {
            let unit = vec![1.0; y.len()];
            for k in 0..outputs {
                let (mut g, mut h) = (vec![0.0; y.len()], vec![0.0; y.len()]);
                loss.derivatives(&y, &raw, outputs, k, &mut g, &mut h);
                for r in 0..y.len() {
                    let at = |delta: f64| {
                        let mut moved = raw.clone();
                        moved[r * outputs + k] += delta;
                        // The mean times the rows is this row's loss plus constants.
                        loss.mean(&y, &moved, outputs, &unit) * y.len() as f64
                    };
                    let numeric_g = (at(eps) - at(-eps)) / (2.0 * eps);
                    let numeric_h = (at(eps) - 2.0 * at(0.0) + at(-eps)) / (eps * eps);
                    assert!(
                        (g[r] - numeric_g).abs() < 1e-6,
                        "{loss:?} g[{r}][{k}]: {} vs {numeric_g}",
                        g[r]
                    );
                    // Absolute error and Huber take unit hessians and refit their leaves instead.
                    let h_expected = if loss.refits_leaves() { 1.0 } else { numeric_h };
                    assert!(
                        (h[r] - h_expected).abs() < 1e-3,
                        "{loss:?} h[{r}][{k}]: {} vs {numeric_h}",
                        h[r]
                    );
                }
            }
        }
    }

    /// Medians and quantiles as numpy and scikit-learn compute them (numbers printed by numpy 2 and
    /// scikit-learn 1.9's `_weighted_percentile`).
    #[test]
    fn quantiles_and_leaf_values_match_numpy() {
        let v = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0];
        let unit = [1.0; 6];
        assert_eq!(quantile(&v, &unit, 0.5), 3.5);
        assert!((quantile(&v, &unit, 0.9) - 7.0).abs() < 1e-12);
        assert_eq!(quantile(&v, &[1.0, 1.0, 1.0, 1.0, 1.0, 10.0], 0.5), 9.0);
        assert_eq!(Loss::Absolute.leaf_value(&v, &unit), 3.5);
        // Huber: median 3.5, deviations -0.5 -2.5 0.5 -2.5 1.5 5.5 clipped to 2: mean -0.5/6.
        let huber = Loss::Huber { delta: 2.0 }.leaf_value(&v, &unit);
        assert!((huber - (3.5 - 0.5 / 6.0)).abs() < 1e-12, "{huber}");
    }
}
