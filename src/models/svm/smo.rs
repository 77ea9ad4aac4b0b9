//! C-support-vector classification and epsilon-support-vector regression solved by SMO with
//! second-order working-set selection (as libsvm).
//! Kernel rows come from a [`KernelRows`] source (in practice the process-wide cache of
//! [`kernel_cache`](super::kernel_cache)), as f32 like libsvm's cache.
//! `tol` has libsvm's meaning: stop when the maximal KKT violation gap drops below it.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Kernel {
    Rbf { gamma: f64 },
    Linear,
    Polynomial { gamma: f64, coef0: f64, degree: i32 },
}

impl Kernel {
    /// K(a, b) from <a, b>, |a|^2 and |b|^2 (the norms matter only for rbf).
    pub fn value(&self, dot: f64, norm_a: f64, norm_b: f64) -> f64 {
        match *self {
            Kernel::Linear => dot,
            Kernel::Polynomial {
                gamma,
                coef0,
                degree,
            } => (gamma * dot + coef0).powi(degree),
            Kernel::Rbf { gamma } => (-gamma * (norm_a + norm_b - 2.0 * dot).max(0.0)).exp(),
        }
    }

    /// K(a_i, b_j) for all rows of `a` and `b`, through one matrix product.
    /// Always in standard (row-major) layout, so rows are contiguous slices.
    pub fn matrix(&self, a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
        let mut k = a.dot(&b.t()).as_standard_layout().into_owned();
        let sq = |m: ArrayView2<f64>| m.map_axis(Axis(1), |r| r.dot(&r));
        let (na, nb) = (sq(a), sq(b));
        for ((i, j), v) in k.indexed_iter_mut() {
            *v = self.value(*v, na[i], nb[j]);
        }
        k
    }
}

/// Rows of a training kernel matrix, as the solver asks for them.
pub trait KernelRows {
    fn size(&self) -> usize;
    fn diagonal(&self, i: usize) -> f64;
    fn row(&self, i: usize) -> Arc<[f32]>;
}

/// A fitted binary machine: f(x) = sum_i coef_i K(sv_i, x) - rho; positive class when f(x) > 0.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BinarySvm {
    /// Indices of the support vectors among the training rows, and their coefficients alpha_i * y_i.
    pub support: Vec<usize>,
    pub coef: Array1<f64>,
    pub rho: f64,
}

impl BinarySvm {
    /// Decision values for test rows, given their kernel against all training rows.
    pub fn decision(&self, test_kernel: ArrayView2<f64>) -> Array1<f64> {
        test_kernel
            .outer_iter()
            .map(|row| {
                self.support
                    .iter()
                    .zip(&self.coef)
                    .map(|(&s, c)| c * row[s])
                    .sum::<f64>()
                    - self.rho
            })
            .collect()
    }
}

const TAU: f64 = 1e-12;

/// Solves the C-SVC dual for labels `positive[i]` (+1 when true) on kernel matrix `k`; row `t`'s
/// bound is `c` times its weight when rows are weighted (libsvm's per-class C, as scikit-learn's
/// `class_weight` sets it).
pub fn solve(
    k: &dyn KernelRows,
    positive: ArrayView1<bool>,
    c: f64,
    row_weights: Option<&[f64]>,
    tol: f64,
) -> Result<BinarySvm, String> {
    let n = positive.len();
    if n != k.size() {
        return Err(format!("kernel is for {} rows, targets for {n}", k.size()));
    }
    let y: Vec<f64> = positive
        .iter()
        .map(|&p| if p { 1.0 } else { -1.0 })
        .collect();
    if y.iter().all(|&v| v == y[0]) {
        // One class only in this training fold: a constant decision.
        return Ok(BinarySvm {
            support: Vec::new(),
            coef: Array1::zeros(0),
            rho: -y.first().copied().unwrap_or(1.0),
        });
    }
    let bound: Vec<f64> = match row_weights {
        Some(w) => w.iter().map(|w| c * w).collect(),
        None => vec![c; n],
    };
    solve_dual(k, &y, &vec![-1.0; n], &bound, tol)
}

/// Solves libsvm's epsilon-SVR dual for targets `z` on kernel matrix `k`: 2n variables, the first n
/// pushing predictions up (+1) and the last n down (-1), each row's pair sharing its kernel row;
/// the machine's coefficients are alpha_i - alpha*_i.
pub fn solve_regression(
    k: &dyn KernelRows,
    z: ArrayView1<f64>,
    c: f64,
    epsilon: f64,
    tol: f64,
) -> Result<BinarySvm, String> {
    let n = z.len();
    if n != k.size() {
        return Err(format!("kernel is for {} rows, targets for {n}", k.size()));
    }
    let y: Vec<f64> = [1.0, -1.0]
        .iter()
        .flat_map(|&s| std::iter::repeat_n(s, n))
        .collect();
    let linear: Vec<f64> = [-1.0, 1.0]
        .iter()
        .flat_map(|&s| z.iter().map(move |&zi| epsilon + s * zi))
        .collect();
    solve_dual(k, &y, &linear, &vec![c; 2 * n], tol)
}

/// SMO with second-order working-set selection on min 1/2 a'Qa + p'a, 0 <= a_t <= bound_t,
/// y'a = 0, where Q_st = y_s y_t K(s mod n, t mod n) for n kernel rows and y.len() a multiple of n.
fn solve_dual(
    k: &dyn KernelRows,
    y: &[f64],
    linear: &[f64],
    bound: &[f64],
    tol: f64,
) -> Result<BinarySvm, String> {
    let n = k.size();
    let m = y.len();
    let diag: Vec<f64> = (0..n).map(|i| k.diagonal(i)).collect();
    if let Some(bad) = diag.iter().find(|d| !d.is_finite()) {
        return Err(non_finite(&format!("kernel value {bad}")));
    }
    let mut alpha = vec![0.0; m];
    // v = -y * gradient, kept directly: selection and updates then need no sign flips.
    let mut v: Vec<f64> = y.iter().zip(linear).map(|(y, p)| -y * p).collect();
    let upper = |t: usize, a: f64| a >= bound[t];
    let lower = |a: f64| a <= 0.0;
    // I_up: alpha can move in the +y direction; I_low: in the -y direction.
    let in_up = |t: usize, a: f64| if y[t] > 0.0 { !upper(t, a) } else { !lower(a) };
    let in_low = |t: usize, a: f64| if y[t] > 0.0 { !lower(a) } else { !upper(t, a) };
    let mut up: Vec<bool> = (0..m).map(|t| in_up(t, 0.0)).collect();
    let mut low: Vec<bool> = (0..m).map(|t| in_low(t, 0.0)).collect();
    let max_iterations = (100 * m).max(10_000_000);
    for _ in 0..max_iterations {
        // Working set: i maximises v over I_up; j minimises the second-order objective over I_low.
        let (mut gmax, mut i) = (f64::NEG_INFINITY, usize::MAX);
        for (t, (&vt, &u)) in v.iter().zip(&up).enumerate() {
            if u && vt >= gmax {
                gmax = vt;
                i = t;
            }
        }
        if i == usize::MAX {
            break;
        }
        let ki = k.row(i % n);
        let ki: &[f32] = &ki;
        let diag_i = diag[i % n];
        let (mut gmin, mut j, mut best) = (f64::INFINITY, usize::MAX, f64::INFINITY);
        // Variable t = half * n + s reads kernel entry s.
        for (half, (vs, lows)) in v.chunks(n).zip(low.chunks(n)).enumerate() {
            for (s, ((&vt, &l), &kit)) in vs.iter().zip(lows).zip(ki).enumerate() {
                if !l {
                    continue;
                }
                gmin = gmin.min(vt);
                let diff = gmax - vt;
                if diff > 0.0 {
                    let quad = diag_i + diag[s] - 2.0 * f64::from(kit);
                    let objective = -(diff * diff) / if quad > 0.0 { quad } else { TAU };
                    if objective <= best {
                        best = objective;
                        j = half * n + s;
                    }
                }
            }
        }
        if gmax - gmin < tol || j == usize::MAX {
            break;
        }
        let kj = k.row(j % n);
        let kj: &[f32] = &kj;
        let (diag_j, k_ij) = (diag[j % n], f64::from(ki[j % n]));
        let q_ij = y[i] * y[j] * k_ij;
        let (grad_i, grad_j) = (-y[i] * v[i], -y[j] * v[j]);
        let (old_i, old_j) = (alpha[i], alpha[j]);
        let (c_i, c_j) = (bound[i], bound[j]);
        // libsvm's update of the pair, clipped to each one's bound.
        if y[i] != y[j] {
            let quad = (diag_i + diag_j + 2.0 * q_ij).max(TAU);
            let delta = (-grad_i - grad_j) / quad;
            let diff = alpha[i] - alpha[j];
            alpha[i] += delta;
            alpha[j] += delta;
            if diff > 0.0 {
                if alpha[j] < 0.0 {
                    alpha[j] = 0.0;
                    alpha[i] = diff;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = -diff;
            }
            if diff > c_i - c_j {
                if alpha[i] > c_i {
                    alpha[i] = c_i;
                    alpha[j] = c_i - diff;
                }
            } else if alpha[j] > c_j {
                alpha[j] = c_j;
                alpha[i] = c_j + diff;
            }
        } else {
            let quad = (diag_i + diag_j - 2.0 * q_ij).max(TAU);
            let delta = (grad_i - grad_j) / quad;
            let sum = alpha[i] + alpha[j];
            alpha[i] -= delta;
            alpha[j] += delta;
            if sum > c_i {
                if alpha[i] > c_i {
                    alpha[i] = c_i;
                    alpha[j] = sum - c_i;
                }
            } else if alpha[j] < 0.0 {
                alpha[j] = 0.0;
                alpha[i] = sum;
            }
            if sum > c_j {
                if alpha[j] > c_j {
                    alpha[j] = c_j;
                    alpha[i] = sum - c_j;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = sum;
            }
        }
        // G_t += y_t (K_ti y_i dA_i + K_tj y_j dA_j), so v_t = -y_t G_t drops by the bracket.
        let (si, sj) = (y[i] * (alpha[i] - old_i), y[j] * (alpha[j] - old_j));
        for vs in v.chunks_mut(n) {
            for ((vt, &a), &b) in vs.iter_mut().zip(ki).zip(kj) {
                *vt -= f64::from(a) * si + f64::from(b) * sj;
            }
        }
        for t in [i, j] {
            up[t] = in_up(t, alpha[t]);
            low[t] = in_low(t, alpha[t]);
        }
    }
    // rho: mean of y G over free variables, else the middle of the feasible interval.
    let (mut ub, mut lb, mut free_sum, mut free) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
    for t in 0..m {
        // y G = -v, as y^2 = 1.
        let yg = -v[t];
        if upper(t, alpha[t]) {
            if y[t] < 0.0 {
                ub = ub.min(yg)
            } else {
                lb = lb.max(yg)
            }
        } else if lower(alpha[t]) {
            if y[t] > 0.0 {
                ub = ub.min(yg)
            } else {
                lb = lb.max(yg)
            }
        } else {
            free += 1;
            free_sum += yg;
        }
    }
    let rho = if free > 0 {
        free_sum / free as f64
    } else {
        (ub + lb) / 2.0
    };
    let support: Vec<usize> = (0..n)
        .filter(|&s| (s..m).step_by(n).any(|t| alpha[t] > 0.0))
        .collect();
    let coef: Array1<f64> = support
        .iter()
        .map(|&s| (s..m).step_by(n).map(|t| alpha[t] * y[t]).sum())
        .collect();
    if !rho.is_finite() || coef.iter().any(|c: &f64| !c.is_finite()) {
        return Err(non_finite("solution"));
    }
    Ok(BinarySvm { support, coef, rho })
}

/// The error of a fit whose numbers overflowed: scoring it would record a meaningless result as ok.
fn non_finite(what: &str) -> String {
    format!(
        "the kernel or solver produced a non-finite {what} (numbers overflowed); \
         use a smaller gamma, degree or coef0, or scale the features"
    )
}

#[cfg(test)]
mod tests {
    use super::super::kernel_cache::SharedKernel;
    use super::*;
    use ndarray::array;

    #[test]
    fn separable_points_get_the_maximum_margin() {
        // 1-D points -2, -1 (negative) and 1, 2 (positive): the margin boundary is at 0, |f(+-1)| = 1.
        let x = array![[-2.0], [-1.0], [1.0], [2.0]];
        let y = array![false, false, true, true];
        let m = solve(
            &SharedKernel::new(Kernel::Linear, x.view()),
            y.view(),
            100.0,
            None,
            1e-6,
        )
        .unwrap();
        let f = m.decision(
            Kernel::Linear
                .matrix(array![[-1.0], [0.0], [1.0]].view(), x.view())
                .view(),
        );
        assert!(
            (f[0] + 1.0).abs() < 1e-4 && f[1].abs() < 1e-4 && (f[2] - 1.0).abs() < 1e-4,
            "{f}"
        );
        assert_eq!(m.support, vec![1, 2]);
    }

    #[test]
    fn rbf_kernel_matches_its_definition() {
        let a = array![[0.0, 1.0], [2.0, 3.0]];
        let k = Kernel::Rbf { gamma: 0.5 }.matrix(a.view(), a.view());
        assert!((k[[0, 1]] - (-0.5f64 * 8.0).exp()).abs() < 1e-12);
        assert!((k[[1, 1]] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn xor_is_learned_with_rbf() {
        let x = array![[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]];
        let y = array![false, false, true, true];
        let kernel = Kernel::Rbf { gamma: 2.0 };
        let m = solve(
            &SharedKernel::new(kernel, x.view()),
            y.view(),
            10.0,
            None,
            1e-3,
        )
        .unwrap();
        let f = m.decision(kernel.matrix(x.view(), x.view()).view());
        assert!(f[0] < 0.0 && f[1] < 0.0 && f[2] > 0.0 && f[3] > 0.0, "{f}");
    }

    /// The predictions and support-vector counts scikit-learn 1.9.1's SVR(gamma=0.3, tol=1e-6) gives
    /// on this table, for each kernel, C and epsilon.
    #[test]
    fn epsilon_regression_matches_scikit_learn() {
        let x = Array2::from_shape_fn((30, 3), |(r, c)| ((r * 7 + c * 3) % 11) as f64 / 3.0);
        let z = Array1::from_shape_fn(30, |r| (r as f64).sin() * 3.0 + (r % 5) as f64);
        let queries = array![[0.5, 1.0, 2.0], [3.0, 0.2, 1.1], [1.5, 2.5, 0.5]];
        let cases = [
            (
                Kernel::Rbf { gamma: 0.3 },
                1.0,
                0.1,
                [2.18367698, 2.89387718, 2.07181012],
                28,
            ),
            (
                Kernel::Rbf { gamma: 0.3 },
                10.0,
                0.5,
                [2.41216323, 3.06177113, 2.61227189],
                28,
            ),
            (
                Kernel::Linear,
                0.5,
                0.2,
                [2.3360158, 3.03820868, 1.93354083],
                29,
            ),
        ];
        for (kernel, c, epsilon, want, supports) in cases {
            let machine = solve_regression(
                &SharedKernel::new(kernel, x.view()),
                z.view(),
                c,
                epsilon,
                1e-6,
            )
            .unwrap();
            let f = machine.decision(kernel.matrix(queries.view(), x.view()).view());
            for (got, want) in f.iter().zip(want) {
                assert!(
                    (got - want).abs() < 1e-4,
                    "{kernel:?} C={c}: {f} != {want:?}"
                );
            }
            assert_eq!(machine.support.len(), supports, "{kernel:?} C={c}");
        }
    }
}
