//! Elastic net regression by cyclic coordinate descent on the centred Gram matrix (scikit-learn's
//! `ElasticNet` objective, its `precompute=True` path and its duality-gap stopping rule):
//! `1/(2n) |y - Xw - b|^2 + alpha l1_ratio |w|_1 + alpha (1 - l1_ratio) / 2 |w|^2`.
//! The Gram matrix is built once per fold and entry and shared by every alpha and l1_ratio, so a
//! sweep costs one O(n p^2) product plus O(p^2) per coordinate pass, whatever the rows.

use super::linear_regression::{CenteredMoments, Linear};
use crate::data::{TargetsView, Task};
use crate::models::{
    decode, value_targets, DefaultPreprocessing, FamilyInfo, FoldCache, ModelFamily, Params,
    Predictor, Scores, Seeds,
};
use crate::value::{Kind, ParamSpec};
use ndarray::{Array1, ArrayView2};

pub struct ElasticNetFamily;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "alpha",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: false,
        },
        default: "1.0",
        help: "overall penalty strength (scikit-learn's alpha)",
    },
    ParamSpec {
        name: "l1_ratio",
        kind: Kind::Float {
            min: 0.0,
            max: 1.0,
            min_exclusive: false,
        },
        default: "0.5",
        help: "share of L1 in the penalty: 1 = lasso, 0 = ridge",
    },
    ParamSpec {
        name: "fit_intercept",
        kind: Kind::Bool,
        default: "true",
        help: "learn an intercept",
    },
    ParamSpec {
        name: "max_iterations",
        kind: Kind::Int {
            min: 1,
            max: 1_000_000,
            nullable: false,
        },
        default: "1000",
        help: "coordinate descent sweeps",
    },
    ParamSpec {
        name: "tol",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: true,
        },
        default: "0.0001",
        help: "convergence tolerance",
    },
];

const INFO: FamilyInfo = FamilyInfo {
    name: "elastic_net",
    summary: "linear regression with L1 + L2 penalty, coordinate descent (own implementation)",
    tasks: &[Task::Regression],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: true,
        one_hot: true,
        keep_missing: false,
    },
    scores: Scores::Labels,
    iterates: false,
    varied_fastest: &[],
};

/// A trial's settings, read once from its parameters.
struct Settings {
    fit_intercept: bool,
    alpha: f64,
    l1_ratio: f64,
    max_iterations: usize,
    tol: f64,
}

impl Settings {
    fn read(p: &Params) -> Result<Settings, String> {
        Ok(Settings {
            fit_intercept: p.bool("fit_intercept")?,
            alpha: p.f64("alpha")?,
            l1_ratio: p.f64("l1_ratio")?,
            max_iterations: p.usize("max_iterations")?,
            tol: p.f64("tol")?,
        })
    }
}

impl ModelFamily for ElasticNetFamily {
    fn info(&self) -> &'static FamilyInfo {
        &INFO
    }

    fn fit(
        &self,
        p: &Params,
        x: ArrayView2<f64>,
        y: TargetsView,
        _seeds: Seeds,
        cache: &FoldCache,
    ) -> Result<Box<dyn Predictor>, String> {
        let values = value_targets(y, self.name())?;
        let s = Settings::read(p)?;
        let intercept = s.fit_intercept;
        let moments = cache.get_or_compute(&format!("centred moments {intercept}"), || {
            CenteredMoments::new(x, values, intercept)
        });
        let penalty = Penalty {
            l1: s.alpha * s.l1_ratio,
            l2: s.alpha * (1.0 - s.l1_ratio),
        };
        let coef = coordinate_descent(&moments, x.nrows(), penalty, s.max_iterations, s.tol);
        Ok(Box::new(Linear::from_centered(&moments, coef)?))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Linear>(bytes)
    }
}

/// Per-row penalty weights: `l1 |w|_1 + l2 / 2 |w|^2`.
#[derive(Clone, Copy)]
struct Penalty {
    l1: f64,
    l2: f64,
}

/// Minimises the elastic net objective over centred data given by its moments; stops when a pass
/// moves no coefficient by more than `tol x max |w|` and the duality gap is below `tol x |yc|^2`
/// (scikit-learn's rule), or after `max_passes` passes.
fn coordinate_descent(
    m: &CenteredMoments,
    n_rows: usize,
    penalty: Penalty,
    max_passes: usize,
    tol: f64,
) -> Array1<f64> {
    let d = m.moment.len();
    let n = n_rows as f64;
    // scikit-learn's unnormalised form: 1/2 |r|^2 + a |w|_1 + b/2 |w|^2.
    let (a, b) = (penalty.l1 * n, penalty.l2 * n);
    let mut w = Array1::<f64>::zeros(d);
    // h = G w, kept up to date as coefficients move.
    let mut h = Array1::<f64>::zeros(d);
    let gap_tol = tol * m.y_norm2;
    for _ in 0..max_passes {
        let (mut largest_step, mut largest_w) = (0.0f64, 0.0f64);
        for j in 0..d {
            let g_jj = m.gram[[j, j]];
            if g_jj == 0.0 {
                continue;
            }
            let old = w[j];
            let rho = m.moment[j] - h[j] + g_jj * old;
            let new = soft_threshold(rho, a) / (g_jj + b);
            if new != old {
                let step = new - old;
                h.scaled_add(step, &m.gram.column(j));
                w[j] = new;
            }
            largest_step = largest_step.max((new - old).abs());
            largest_w = largest_w.max(new.abs());
        }
        let settled = largest_w == 0.0 || largest_step / largest_w < tol;
        if settled && duality_gap(m, &w, &h, a, b) < gap_tol {
            break;
        }
    }
    w
}

fn soft_threshold(x: f64, t: f64) -> f64 {
    x.signum() * (x.abs() - t).max(0.0)
}

/// The duality gap of the unnormalised problem at `w` (with `h = G w`), as scikit-learn computes it.
fn duality_gap(m: &CenteredMoments, w: &Array1<f64>, h: &Array1<f64>, a: f64, b: f64) -> f64 {
    let q_w = m.moment.dot(w);
    let residual_norm2 = (m.y_norm2 + w.dot(h) - 2.0 * q_w).max(0.0);
    let dual_norm = m
        .moment
        .iter()
        .zip(h)
        .zip(w)
        .map(|((q, h), w)| (q - h - b * w).abs())
        .fold(0.0f64, f64::max);
    let (scale, mut gap) = if dual_norm > a {
        let scale = a / dual_norm;
        (scale, 0.5 * residual_norm2 * (1.0 + scale * scale))
    } else {
        (1.0, residual_norm2)
    };
    let l1: f64 = w.iter().map(|v| v.abs()).sum();
    gap += a * l1 - scale * (m.y_norm2 - q_w) + 0.5 * b * (1.0 + scale * scale) * w.dot(w);
    gap
}

#[cfg(test)]
mod tests {
    use super::super::linear_regression::least_squares;
    use super::*;
    use ndarray::{array, Array2};

    fn fit(x: &Array2<f64>, y: &Array1<f64>, alpha: f64, l1_ratio: f64) -> Linear {
        let m = CenteredMoments::new(x.view(), y.view(), true);
        let penalty = Penalty {
            l1: alpha * l1_ratio,
            l2: alpha * (1.0 - l1_ratio),
        };
        let coef = coordinate_descent(&m, x.nrows(), penalty, 10_000, 1e-10);
        Linear::from_centered(&m, coef).unwrap()
    }

    #[test]
    fn without_penalty_it_is_least_squares() {
        let x = array![[1.0, 0.5], [2.0, 1.0], [3.0, 0.0], [4.0, 1.5], [5.0, 0.2]];
        let y = array![1.0, -2.0, 0.5, 4.0, 3.0];
        let (f, exact) = (
            fit(&x, &y, 0.0, 0.5),
            least_squares(x.view(), y.view(), true).unwrap(),
        );
        for (a, b) in f.coef.iter().zip(&exact.coef) {
            assert!((a - b).abs() < 1e-6, "{:?} vs {:?}", f.coef, exact.coef);
        }
        assert!((f.intercept - exact.intercept).abs() < 1e-6);
    }

    #[test]
    fn matches_scikit_learn_on_a_small_problem() {
        // sklearn.linear_model.ElasticNet(alpha=0.5, l1_ratio=0.7, tol=1e-10).fit(x, y):
        // coef_ = [0.46902655, -0.02654867], intercept_ = 0.8230088495601403
        let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]];
        let y = array![0.0, 2.0, 1.0, 3.0];
        let f = fit(&x, &y, 0.5, 0.7);
        assert!((f.coef[0] - 0.46902655).abs() < 1e-7, "{:?}", f.coef);
        assert!((f.coef[1] + 0.02654867).abs() < 1e-7, "{:?}", f.coef);
        assert!(
            (f.intercept - 0.8230088495601403).abs() < 1e-7,
            "{}",
            f.intercept
        );
    }

    #[test]
    fn a_large_alpha_zeroes_every_coefficient() {
        let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]];
        let y = array![0.0, 2.0, 1.0, 3.0];
        let f = fit(&x, &y, 100.0, 1.0);
        assert!(f.coef.iter().all(|&c| c == 0.0));
        assert!((f.intercept - 1.5).abs() < 1e-12);
    }
}
