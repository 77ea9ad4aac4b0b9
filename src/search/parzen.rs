//! The Parzen estimator of TPE: a weighted mixture with one kernel per observation plus a prior
//! kernel, over numeric dimensions (truncated normals, discrete for integers, in log space for
//! log-scaled ones) and categorical ones. Kernels are products over dimensions sharing one mixture
//! component (Optuna's `multivariate=True`); bandwidths, prior and clipping follow Optuna's
//! `_ParzenEstimator` with its defaults (prior weight 1, magic clip, no endpoints).

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// One dimension of a search space, in the estimator's internal coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dim {
    /// Index of one of `choices` values.
    Categorical { choices: usize },
    /// A number in `[low, high]` (natural logs of the bounds for a log-scaled axis); `step` is 1 for
    /// integers, which are then drawn from a discretised kernel.
    Numeric {
        low: f64,
        high: f64,
        step: Option<f64>,
    },
}

const PRIOR_WEIGHT: f64 = 1.0;
/// A component whose log density is this far below the largest adds less than e^-50 to the sum.
const NEGLIGIBLE: f64 = 50.0;
/// ln(sqrt(2 pi)).
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_7;
/// Optuna's `SIGMA0_MAGNITUDE` for multivariate bandwidths.
const SIGMA0: f64 = 0.2;

enum Kernels {
    /// Per component, the probability of each choice.
    Categorical(Vec<Vec<f64>>),
    Numeric {
        mus: Vec<f64>,
        sigmas: Vec<f64>,
        /// Per component, the log of what normalises its density over [low, high]: the mass of the
        /// truncated range, and for continuous kernels also sigma and sqrt(2 pi).
        log_norms: Vec<f64>,
        /// Per component, the constant of its log density at x when that is -z^2 / 2 + constant
        /// (continuous kernels, and integer ones by the midpoint rule); `None`: the exact mass.
        constants: Vec<Option<f64>>,
        low: f64,
        high: f64,
        step: Option<f64>,
    },
}

pub struct Parzen {
    /// Mixture weights, summing to 1; the last component is the prior.
    weights: Vec<f64>,
    log_weights: Vec<f64>,
    dims: Vec<Kernels>,
    /// Per categorical dimension (others empty), per component, the log of each choice's probability.
    log_choices: Vec<Vec<Vec<f64>>>,
}

/// Integer kernels at least this many steps wide (one standard deviation) have their mass on
/// [x - step/2, x + step/2] taken by the midpoint rule, density x step: relative error below
/// (z^2 + 1) / 2400, against two erfc evaluations.
const MIDPOINT_STEPS_PER_SIGMA: f64 = 10.0;

/// Optuna's default observation weights: flat for the 25 newest, a ramp from 1/n for older ones.
/// `n` observations in trial order, oldest first.
pub fn default_weights(n: usize) -> Vec<f64> {
    if n < 25 {
        return vec![1.0; n];
    }
    let ramp = n - 25;
    let mut w: Vec<f64> = (0..ramp)
        .map(|i| {
            if ramp == 1 {
                1.0 / n as f64
            } else {
                1.0 / n as f64 + (1.0 - 1.0 / n as f64) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    w.extend(std::iter::repeat_n(1.0, 25));
    w
}

/// Optuna's default gamma: how many of `n` finished trials count as good.
pub fn default_gamma(n: usize) -> usize {
    n.div_ceil(10).min(25)
}

impl Parzen {
    /// The estimator of `observations` (each a point over `dims`, oldest first).
    pub fn new(dims: &[Dim], observations: &[Vec<f64>]) -> Parzen {
        let n = observations.len();
        let mut weights = default_weights(n);
        weights.push(PRIOR_WEIGHT);
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        let n_kernels = n + 1;
        let kernels: Vec<Kernels> = dims
            .iter()
            .enumerate()
            .map(|(d, dim)| match *dim {
                Dim::Categorical { choices } => {
                    let mut rows: Vec<Vec<f64>> = observations
                        .iter()
                        .map(|obs| {
                            let mut row = vec![PRIOR_WEIGHT / n_kernels as f64; choices];
                            row[obs[d] as usize] += 1.0;
                            let sum: f64 = row.iter().sum();
                            row.iter().map(|p| p / sum).collect()
                        })
                        .collect();
                    rows.push(vec![1.0 / choices as f64; choices]);
                    Kernels::Categorical(rows)
                }
                Dim::Numeric { low, high, step } => {
                    let width = high - low + step.unwrap_or(0.0);
                    let sigma =
                        SIGMA0 * (n.max(1) as f64).powf(-1.0 / (dims.len() as f64 + 4.0)) * width;
                    let min_sigma = width / 100f64.min(1.0 + n_kernels as f64);
                    let sigma = sigma.clamp(min_sigma, width);
                    let mut mus: Vec<f64> = observations.iter().map(|obs| obs[d]).collect();
                    let mut sigmas = vec![sigma; n];
                    mus.push(0.5 * (low + high));
                    sigmas.push(width);
                    let half = step.unwrap_or(0.0) / 2.0;
                    let log_norms: Vec<f64> = mus
                        .iter()
                        .zip(&sigmas)
                        .map(|(&mu, &sigma)| {
                            let mass = log_mass(low - half, high + half, mu, sigma);
                            match step {
                                Some(_) => mass,
                                None => mass + sigma.ln() + HALF_LN_2PI,
                            }
                        })
                        .collect();
                    let constants = sigmas
                        .iter()
                        .zip(&log_norms)
                        .map(|(&sigma, &norm)| match step {
                            None => Some(-norm),
                            Some(s) if sigma >= MIDPOINT_STEPS_PER_SIGMA * s => {
                                Some((s / sigma).ln() - HALF_LN_2PI - norm)
                            }
                            Some(_) => None,
                        })
                        .collect();
                    Kernels::Numeric {
                        mus,
                        sigmas,
                        log_norms,
                        constants,
                        low,
                        high,
                        step,
                    }
                }
            })
            .collect();
        let log_choices = kernels
            .iter()
            .map(|k| match k {
                Kernels::Categorical(rows) => rows
                    .iter()
                    .map(|row| row.iter().map(|p| p.ln()).collect())
                    .collect(),
                Kernels::Numeric { .. } => Vec::new(),
            })
            .collect();
        Parzen {
            log_weights: weights.iter().map(|w| w.ln()).collect(),
            weights,
            dims: kernels,
            log_choices,
        }
    }

    /// `n` points drawn from the mixture.
    pub fn sample(&self, rng: &mut Xoshiro256PlusPlus, n: usize) -> Vec<Vec<f64>> {
        (0..n)
            .map(|_| {
                let component = pick(&self.weights, rng.gen::<f64>());
                self.dims
                    .iter()
                    .map(|kernels| match kernels {
                        Kernels::Categorical(rows) => {
                            pick(&rows[component], rng.gen::<f64>()) as f64
                        }
                        Kernels::Numeric {
                            mus,
                            sigmas,
                            low,
                            high,
                            step,
                            ..
                        } => {
                            let half = step.unwrap_or(0.0) / 2.0;
                            let x = truncnorm_sample(
                                mus[component],
                                sigmas[component],
                                low - half,
                                high + half,
                                rng.gen::<f64>(),
                            );
                            match step {
                                Some(s) => (low + ((x - low) / s).round() * s).clamp(*low, *high),
                                None => x.clamp(*low, *high),
                            }
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The mixture's log density at `x`: each component's log density, one dimension at a time over
    /// all components (the loop a proposal spends its time in), then a log-sum-exp.
    pub fn log_pdf(&self, x: &[f64]) -> f64 {
        let mut logs = self.log_weights.clone();
        for (d, (kernels, &xd)) in self.dims.iter().zip(x).enumerate() {
            match kernels {
                Kernels::Categorical(_) => {
                    let choice = xd as usize;
                    for (log, row) in logs.iter_mut().zip(&self.log_choices[d]) {
                        *log += row[choice];
                    }
                }
                Kernels::Numeric {
                    mus,
                    sigmas,
                    log_norms,
                    constants,
                    step,
                    ..
                } => {
                    let half = step.unwrap_or(0.0) / 2.0;
                    for (k, log) in logs.iter_mut().enumerate() {
                        let (mu, sigma) = (mus[k], sigmas[k]);
                        *log += match constants[k] {
                            Some(c) => {
                                let z = (xd - mu) / sigma;
                                -0.5 * z * z + c
                            }
                            None => log_mass(xd - half, xd + half, mu, sigma) - log_norms[k],
                        };
                    }
                }
            }
        }
        let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if max == f64::NEG_INFINITY {
            return max;
        }
        let sum: f64 = logs
            .iter()
            .filter(|&&log| log > max - NEGLIGIBLE)
            .map(|log| (log - max).exp())
            .sum();
        max + sum.ln()
    }
}

/// The index `u` (uniform in [0, 1)) falls on in the cumulative `weights`.
fn pick(weights: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if u < acc {
            return i;
        }
    }
    weights.len() - 1
}

/// The standard normal's cumulative distribution.
fn phi(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// log of the normal(mu, sigma) mass on [a, b], computed on the side of the mean that keeps
/// precision in the tails.
fn log_mass(a: f64, b: f64, mu: f64, sigma: f64) -> f64 {
    let (za, zb) = ((a - mu) / sigma, (b - mu) / sigma);
    // Beyond 9 sigma a tail's mass is below 1e-18: a side that far out needs no erfc.
    let mass = if za < -9.0 && zb > 9.0 {
        return 0.0;
    } else if za < -9.0 {
        phi(zb)
    } else if zb > 9.0 {
        phi(-za)
    } else if za > 0.0 {
        phi(-za) - phi(-zb)
    } else {
        phi(zb) - phi(za)
    };
    mass.max(f64::MIN_POSITIVE).ln()
}

/// The standard normal quantile (Acklam's approximation, refined by one Halley step).
fn phi_inverse(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    let e = phi(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// A draw from normal(mu, sigma) truncated to [low, high], by inverting the CDF with `u` uniform;
/// intervals above the mean are mirrored so their tail mass keeps its precision.
fn truncnorm_sample(mu: f64, sigma: f64, low: f64, high: f64, u: f64) -> f64 {
    let (za, zb) = ((low - mu) / sigma, (high - mu) / sigma);
    let z = if za > 0.0 {
        let (pa, pb) = (phi(-zb), phi(-za));
        -phi_inverse(pa + u * (pb - pa))
    } else {
        let (pa, pb) = (phi(za), phi(zb));
        phi_inverse(pa + u * (pb - pa))
    };
    (mu + sigma * z).clamp(low, high)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn weights_and_gamma_follow_optuna() {
        assert_eq!(default_weights(3), vec![1.0; 3]);
        let w = default_weights(30);
        assert_eq!(w.len(), 30);
        assert!((w[0] - 1.0 / 30.0).abs() < 1e-15 && w[4] == 1.0 && w[29] == 1.0);
        assert!(w.windows(2).all(|p| p[0] <= p[1]));
        assert_eq!(
            (default_gamma(1), default_gamma(10), default_gamma(11)),
            (1, 1, 2)
        );
        assert_eq!(default_gamma(1000), 25);
    }

    #[test]
    fn wide_integer_kernels_match_the_exact_mass() {
        let dims = [Dim::Numeric {
            low: 1.0,
            high: 1000.0,
            step: Some(1.0),
        }];
        let parzen = Parzen::new(&dims, &[vec![500.0], vec![20.0]]);
        let Kernels::Numeric {
            mus,
            sigmas,
            log_norms,
            ..
        } = &parzen.dims[0]
        else {
            unreachable!()
        };
        assert!(sigmas[0] >= MIDPOINT_STEPS_PER_SIGMA);
        for x in [1.0, 20.0, 480.0, 500.0, 700.0, 1000.0] {
            let exact: Vec<f64> = (0..3)
                .map(|k| {
                    parzen.log_weights[k] + log_mass(x - 0.5, x + 0.5, mus[k], sigmas[k])
                        - log_norms[k]
                })
                .collect();
            let max = exact.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let exact = max + exact.iter().map(|t| (t - max).exp()).sum::<f64>().ln();
            assert!((parzen.log_pdf(&[x]) - exact).abs() < 1e-3, "x={x}");
        }
    }

    #[test]
    fn quantile_inverts_the_cdf() {
        for p in [1e-12, 1e-5, 0.01, 0.3, 0.5, 0.77, 0.999, 1.0 - 1e-9] {
            let x = phi_inverse(p);
            assert!((phi(x) - p).abs() <= 1e-12 * p.max(1e-3), "p={p}");
        }
    }

    #[test]
    fn samples_stay_in_bounds_and_integers_on_the_grid() {
        let dims = [
            Dim::Numeric {
                low: 0.01f64.ln(),
                high: 100f64.ln(),
                step: None,
            },
            Dim::Numeric {
                low: 1.0,
                high: 9.0,
                step: Some(1.0),
            },
            Dim::Categorical { choices: 3 },
        ];
        let obs = vec![vec![0.0, 3.0, 2.0], vec![4.5, 9.0, 0.0]];
        let parzen = Parzen::new(&dims, &obs);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for x in parzen.sample(&mut rng, 500) {
            assert!((0.01f64.ln()..=100f64.ln()).contains(&x[0]));
            assert!((1.0..=9.0).contains(&x[1]) && x[1].fract() == 0.0);
            assert!([0.0, 1.0, 2.0].contains(&x[2]));
            assert!(parzen.log_pdf(&x).is_finite());
        }
    }

    #[test]
    fn the_density_is_highest_near_observations() {
        let dims = [Dim::Numeric {
            low: 0.0,
            high: 10.0,
            step: None,
        }];
        let obs: Vec<Vec<f64>> = (0..20).map(|_| vec![2.0]).collect();
        let parzen = Parzen::new(&dims, &obs);
        assert!(parzen.log_pdf(&[2.0]) > parzen.log_pdf(&[8.0]) + 2.0);
        // A discrete kernel's masses over the integers sum to 1.
        let ints = Parzen::new(
            &[Dim::Numeric {
                low: 0.0,
                high: 4.0,
                step: Some(1.0),
            }],
            &[vec![1.0]],
        );
        let total: f64 = (0..=4).map(|i| ints.log_pdf(&[i as f64]).exp()).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }
}
