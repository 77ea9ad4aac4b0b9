//! Losses of gradient boosting as scikit-learn's HistGradientBoosting defines them: the starting raw
//! prediction, and each row's gradient and hessian of the loss at the current raw prediction.

use crate::models::sigmoid;

/// One loss over raw predictions (`outputs` per row: one, or one per class for log-loss on more
/// than two classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Loss {
    /// Binary log-loss on the raw log-odds of class 1.
    Binary,
    /// Multinomial log-loss on per-class raw scores (softmax).
    Multinomial,
    /// Half squared error.
    Squared,
    /// Half Poisson deviance on the raw log of the mean.
    Poisson,
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
        let cases: [(Loss, usize, Vec<f64>, Vec<f64>); 4] = [
            (Loss::Binary, 1, vec![1.0, 0.0], vec![0.3, -1.2]),
            (
                Loss::Multinomial,
                3,
                vec![2.0, 0.0],
                vec![0.2, -0.5, 1.1, 0.4, 0.0, -0.3],
            ),
            (Loss::Squared, 1, vec![2.5, -1.0], vec![0.7, 0.2]),
            (Loss::Poisson, 1, vec![3.0, 0.0], vec![0.4, -0.2]),
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
                    assert!(
                        (h[r] - numeric_h).abs() < 1e-3,
                        "{loss:?} h[{r}][{k}]: {} vs {numeric_h}",
                        h[r]
                    );
                }
            }
        }
    }
}
