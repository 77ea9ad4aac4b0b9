//! C-support-vector classification and epsilon-support-vector regression solved by SMO with
//! second-order working-set selection (as libsvm).
//! Kernel rows come from a [`KernelRows`] source (in practice the process-wide cache of
//! [`kernel_cache`](super::kernel_cache)), as f32 like libsvm's cache.
//! `tol` has libsvm's meaning: stop when the maximal KKT violation gap drops below it.

use super::scan::{self, TAU};
use super::vector::rbf_in_place;
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

    /// Turns dot products `<a, b_j>` into K(a, b_j), given |a|^2 and every |b_j|^2.
    pub fn apply(&self, dots: &mut [f64], norm_a: f64, norms_b: &[f64]) {
        match *self {
            Kernel::Linear => {}
            Kernel::Polynomial { .. } => {
                for d in dots.iter_mut() {
                    *d = self.value(*d, 0.0, 0.0);
                }
            }
            Kernel::Rbf { gamma } => rbf_in_place(dots, gamma, norm_a, norms_b),
        }
    }

    /// K(a_i, b_j) for all rows of `a` and `b`, through one matrix product.
    /// Always in standard (row-major) layout, so rows are contiguous slices.
    pub fn matrix(&self, a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
        let mut k = a.dot(&b.t()).as_standard_layout().into_owned();
        let sq = |m: ArrayView2<f64>| m.map_axis(Axis(1), |r| r.dot(&r));
        let (na, nb) = (sq(a), sq(b));
        let nb = nb.as_slice().expect("a fresh array is contiguous");
        for (mut row, &norm_a) in k.outer_iter_mut().zip(&na) {
            let row = row.as_slice_mut().expect("standard layout");
            self.apply(row, norm_a, nb);
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

/// Kernel rows a solve keeps at hand besides the shared store (see [`Dual::rows_of`]).
const RECENT_ROWS: usize = 4;

/// The kernel row variable `t` of a dual with `n` kernel rows reads.
#[inline(always)]
fn row_index(t: usize, n: usize) -> usize {
    if t >= n {
        t - n
    } else {
        t
    }
}

/// A solved dual: the machine, and every variable's alpha (to start a solve at a larger C from).
pub struct Solved {
    pub machine: BinarySvm,
    pub alpha: Vec<f64>,
}

/// Solves the C-SVC dual for labels `positive[i]` (+1 when true) on kernel matrix `k`; row `t`'s
/// bound is `c` times its weight when rows are weighted (libsvm's per-class C, as scikit-learn's
/// `class_weight` sets it). `start` is a solution of the same problem at a smaller C, if any, and
/// the ratio of this C to that one.
pub fn solve(
    k: &dyn KernelRows,
    positive: ArrayView1<bool>,
    c: f64,
    row_weights: Option<&[f64]>,
    tol: f64,
    start: Option<(&[f64], f64)>,
) -> Result<Solved, String> {
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
        return Ok(Solved {
            machine: BinarySvm {
                support: Vec::new(),
                coef: Array1::zeros(0),
                rho: -y.first().copied().unwrap_or(1.0),
            },
            alpha: Vec::new(),
        });
    }
    let bound: Vec<f64> = match row_weights {
        Some(w) => w.iter().map(|w| c * w).collect(),
        None => vec![c; n],
    };
    solve_dual(k, &y, &vec![-1.0; n], &bound, tol, start)
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
    start: Option<(&[f64], f64)>,
) -> Result<Solved, String> {
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
    solve_dual(k, &y, &linear, &vec![c; 2 * n], tol, start)
}

/// SMO with second-order working-set selection and shrinking (libsvm's `Solver`) on
/// min 1/2 a'Qa + p'a, 0 <= a_t <= bound_t, y'a = 0, where Q_st = y_s y_t K(s mod n, t mod n) for
/// n kernel rows and n or 2n variables. With `start` (the solution at a bound `ratio` times
/// smaller) the solver begins from it scaled by the ratio (alpha seeding, DeCoste and Wagstaff
/// 2000): still feasible, variables at their bound stay there. Measured on mlc_churn's folds (rbf,
/// C 0.1 -> 1 -> 10) this took fewer iterations than starting from the unscaled solution.
fn solve_dual(
    k: &dyn KernelRows,
    y: &[f64],
    linear: &[f64],
    bound: &[f64],
    tol: f64,
    start: Option<(&[f64], f64)>,
) -> Result<Solved, String> {
    let diag: Vec<f64> = (0..k.size()).map(|i| k.diagonal(i)).collect();
    if let Some(bad) = diag.iter().find(|d| !d.is_finite()) {
        return Err(non_finite(&format!("kernel value {bad}")));
    }
    let mut dual = Dual::new(k, y, linear, bound, diag);
    if let Some((alpha, ratio)) = start.filter(|(a, r)| a.len() == y.len() && *r >= 1.0) {
        let seed: Vec<f64> = alpha
            .iter()
            .zip(bound)
            .map(|(a, b)| (a * ratio).min(*b))
            .collect();
        dual.start_at(&seed);
    }
    dual.optimise(tol);
    Ok(Solved {
        machine: dual.machine()?,
        alpha: dual.alpha,
    })
}

/// The state of one SMO solve. Variables are indexed 0..m; variable t reads kernel row t mod n.
struct Dual<'a> {
    k: &'a dyn KernelRows,
    n: usize,
    y: &'a [f64],
    bound: &'a [f64],
    diag: Vec<f64>,
    alpha: Vec<f64>,
    /// v = -y * gradient, kept directly: selection and updates then need no sign flips. Exact for
    /// inactive variables up to shrinking (`reconstruct` brings them up to date); the active ones'
    /// are in `packed` while the solver iterates.
    v: Vec<f64>,
    /// v at alpha = 0, i.e. -y * p.
    v_start: Vec<f64>,
    /// The part of v that variables at their upper bound contribute, kept for every variable so that
    /// `reconstruct` only has to add the free ones (libsvm's G_bar).
    v_bar: Vec<f64>,
    /// In I_up: alpha can move in the +y direction; in I_low: in the -y direction.
    up: Vec<bool>,
    low: Vec<bool>,
    /// The variables selection and updates look at, ascending; the others sit at a bound that the
    /// gradient says they will keep (libsvm's shrinking).
    active: Vec<usize>,
    /// The active variables' state at their positions in `active`.
    packed: Packed,
    /// Whether the active set was already reset once the gap came near the tolerance.
    unshrunk: bool,
    /// The position in `active` of the variable of I_up with the largest v, and that v, when known
    /// (the last step's pass over v finds it; packing forgets it).
    largest_up: Option<(usize, f64)>,
    /// The kernel rows fetched last, most recent first.
    recent: Vec<RecentRow>,
}

/// The active variables' v, sides and kernel diagonal side by side in the order of `active`, so that
/// the scans of an iteration read contiguous memory (libsvm swaps variables to the same end).
#[derive(Default)]
struct Packed {
    v: Vec<f64>,
    up: Vec<bool>,
    low: Vec<bool>,
    diag: Vec<f64>,
    layout: Layout,
}

/// Where a kernel row's entries go among the packed positions.
#[derive(Default)]
enum Layout {
    /// Position k holds variable k, one per kernel row entry: rows are read as they are.
    #[default]
    AsStored,
    /// Every variable of a 2n-variable dual is active: the row, then the row again.
    Twice,
    /// The kernel row entry of each position.
    Gathered(Vec<u32>),
}

/// A kernel row a solve fetched, and its entries at the active variables' positions once asked for
/// (forgotten when the active set changes).
struct RecentRow {
    index: usize,
    row: Arc<[f32]>,
    packed: Option<Arc<[f32]>>,
}

/// The working set an iteration chose: positions in `active`, and the first one's kernel row as
/// stored and packed.
struct Pair {
    i: usize,
    j: usize,
    ki: Arc<[f32]>,
    ki_packed: Arc<[f32]>,
}

impl<'a> Dual<'a> {
    fn new(
        k: &'a dyn KernelRows,
        y: &'a [f64],
        linear: &[f64],
        bound: &'a [f64],
        diag: Vec<f64>,
    ) -> Dual<'a> {
        let m = y.len();
        let v_start: Vec<f64> = y.iter().zip(linear).map(|(y, p)| -y * p).collect();
        let mut dual = Dual {
            k,
            n: k.size(),
            y,
            bound,
            diag,
            alpha: vec![0.0; m],
            v: v_start.clone(),
            v_start,
            v_bar: vec![0.0; m],
            up: vec![false; m],
            low: vec![false; m],
            active: (0..m).collect(),
            packed: Packed::default(),
            unshrunk: false,
            largest_up: None,
            recent: Vec::with_capacity(RECENT_ROWS),
        };
        for t in 0..m {
            dual.set_sides(t);
        }
        dual
    }

    /// Moves to `alpha` (feasible), bringing v and v_bar up to date from the kernel rows of its
    /// nonzero variables.
    fn start_at(&mut self, alpha: &[f64]) {
        self.alpha.copy_from_slice(alpha);
        let n = self.n;
        for (s, &a) in alpha.iter().enumerate() {
            if a <= 0.0 {
                continue;
            }
            let row = self.k.row(self.row_of(s));
            let weight = self.y[s] * a;
            for vs in self.v.chunks_mut(n) {
                for (v, &kt) in vs.iter_mut().zip(row.iter()) {
                    *v -= weight * f64::from(kt);
                }
            }
            if self.at_upper(s) {
                let weight = self.bound[s] * self.y[s];
                for vbs in self.v_bar.chunks_mut(n) {
                    for (vb, &kt) in vbs.iter_mut().zip(row.iter()) {
                        *vb -= weight * f64::from(kt);
                    }
                }
            }
        }
        for t in 0..alpha.len() {
            self.set_sides(t);
        }
    }

    /// The kernel row variable `t` reads (there are n or 2n variables).
    fn row_of(&self, t: usize) -> usize {
        row_index(t, self.n)
    }

    /// The kernel row variable `t` reads, as stored and at the active variables' positions. Taken
    /// from the rows this solve fetched last when it is one of them: SMO often picks the same
    /// variable again, and the shared store takes a lock per fetch.
    fn rows_of(&mut self, t: usize) -> (Arc<[f32]>, Arc<[f32]>) {
        let index = self.row_of(t);
        let mut recent = match self.recent.iter().position(|r| r.index == index) {
            Some(at) => self.recent.remove(at),
            None => {
                self.recent.truncate(RECENT_ROWS - 1);
                RecentRow {
                    index,
                    row: self.k.row(index),
                    packed: None,
                }
            }
        };
        let row = Arc::clone(&recent.row);
        let packed = match &recent.packed {
            Some(packed) => Arc::clone(packed),
            None => match &self.packed.layout {
                Layout::AsStored => Arc::clone(&row),
                Layout::Twice => row.iter().chain(row.iter()).copied().collect(),
                Layout::Gathered(entries) => entries.iter().map(|&s| row[s as usize]).collect(),
            },
        };
        recent.packed = Some(Arc::clone(&packed));
        self.recent.insert(0, recent);
        (row, packed)
    }

    fn at_upper(&self, t: usize) -> bool {
        self.alpha[t] >= self.bound[t]
    }

    fn set_sides(&mut self, t: usize) {
        let (upper, lower) = (self.at_upper(t), self.alpha[t] <= 0.0);
        let positive = self.y[t] > 0.0;
        self.up[t] = if positive { !upper } else { !lower };
        self.low[t] = if positive { !lower } else { !upper };
    }

    /// Gathers the active variables' state into `packed`.
    fn pack(&mut self) {
        let active = &self.active;
        let gather = |from: &[bool]| active.iter().map(|&t| from[t]).collect();
        self.packed = Packed {
            v: active.iter().map(|&t| self.v[t]).collect(),
            up: gather(&self.up),
            low: gather(&self.low),
            diag: active
                .iter()
                .map(|&t| self.diag[row_index(t, self.n)])
                .collect(),
            layout: match (active.len() == self.y.len(), self.y.len() == self.n) {
                (true, true) => Layout::AsStored,
                (true, false) => Layout::Twice,
                (false, _) => Layout::Gathered(
                    active
                        .iter()
                        .map(|&t| row_index(t, self.n) as u32)
                        .collect(),
                ),
            },
        };
        for recent in &mut self.recent {
            recent.packed = None;
        }
        self.largest_up = None;
    }

    /// Writes the active variables' v back to `v`.
    fn unpack(&mut self) {
        for (&t, &v) in self.active.iter().zip(&self.packed.v) {
            self.v[t] = v;
        }
    }

    fn optimise(&mut self, tol: f64) {
        let m = self.y.len();
        let max_iterations = (100 * m).max(10_000_000);
        let mut counter = m.min(1000) + 1;
        self.pack();
        for _ in 0..max_iterations {
            counter -= 1;
            if counter == 0 {
                counter = m.min(1000);
                if std::env::var_os("NOSHRINK").is_none() {
                    self.shrink(tol);
                }
            }
            let pair = match self.select(tol) {
                Some(pair) => pair,
                None if self.active.len() == m => break,
                None => {
                    // Optimal on the active set: check the whole problem before stopping.
                    self.reconstruct();
                    match self.select(tol) {
                        Some(pair) => {
                            counter = 1;
                            pair
                        }
                        None => break,
                    }
                }
            };
            self.step(pair);
        }
        self.reconstruct();
    }

    /// The working set: i maximises v over I_up; j minimises the second-order objective over I_low
    /// (Fan, Chen and Lin 2005). None when the KKT gap is below `tol`.
    fn select(&mut self, tol: f64) -> Option<Pair> {
        let (i, gmax) = self.largest_up.unwrap_or_else(|| {
            let packed = &self.packed;
            let (mut gmax, mut i) = (f64::NEG_INFINITY, usize::MAX);
            for (k, (&v, &up)) in packed.v.iter().zip(&packed.up).enumerate() {
                if up && v >= gmax {
                    (gmax, i) = (v, k);
                }
            }
            (i, gmax)
        });
        if i == usize::MAX {
            return None;
        }
        let (ki, ki_packed) = self.rows_of(self.active[i]);
        let packed = &self.packed;
        let (j, gmin) = scan::second(
            &packed.v,
            &packed.low,
            &packed.diag,
            &ki_packed,
            gmax,
            packed.diag[i],
        );
        if gmax - gmin < tol || j == usize::MAX {
            return None;
        }
        Some(Pair {
            i,
            j,
            ki,
            ki_packed,
        })
    }

    /// Moves the pair to its optimum along the constraint, clipped to each one's bound (libsvm's
    /// update), and updates v.
    fn step(&mut self, pair: Pair) {
        let Pair {
            i: pi,
            j: pj,
            ki,
            ki_packed,
        } = pair;
        let (i, j) = (self.active[pi], self.active[pj]);
        let (kj, kj_packed) = self.rows_of(j);
        let y = self.y;
        let (diag_i, diag_j) = (self.packed.diag[pi], self.packed.diag[pj]);
        let q_ij = y[i] * y[j] * f64::from(ki[self.row_of(j)]);
        let (grad_i, grad_j) = (-y[i] * self.packed.v[pi], -y[j] * self.packed.v[pj]);
        let alpha = &mut self.alpha;
        let (old_i, old_j) = (alpha[i], alpha[j]);
        let (c_i, c_j) = (self.bound[i], self.bound[j]);
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
        let (si, sj) = (y[i] * (alpha[i] - old_i), y[j] * (alpha[j] - old_j));
        for (t, at, row, old) in [(i, pi, &ki, old_i), (j, pj, &kj, old_j)] {
            let was_upper = old >= self.bound[t];
            if self.at_upper(t) != was_upper {
                // Every variable's v_bar gains or loses this one's C y K.
                let change = if was_upper { 1.0 } else { -1.0 } * self.bound[t] * y[t];
                for vs in self.v_bar.chunks_mut(self.n) {
                    for (vb, &kt) in vs.iter_mut().zip(row.iter()) {
                        *vb += change * f64::from(kt);
                    }
                }
            }
            self.set_sides(t);
            self.packed.up[at] = self.up[t];
            self.packed.low[at] = self.low[t];
        }
        // G_t += y_t (K_ti y_i dA_i + K_tj y_j dA_j), so v_t = -y_t G_t drops by the bracket; the
        // same pass finds the next i.
        let packed = &mut self.packed;
        let (next, gmax) = scan::update(&mut packed.v, &packed.up, &ki_packed, &kj_packed, si, sj);
        self.largest_up = Some((next, gmax));
    }

    /// Drops from the active set the variables at a bound whose gradient pushes them further
    /// into it beyond the current gap (libsvm's `do_shrinking`); the first time the gap comes within
    /// 10 tol, the whole set is made active again so that early guesses are undone.
    fn shrink(&mut self, tol: f64) {
        self.unpack();
        let (mut gmax_up, mut gmax_low) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for &t in &self.active {
            if self.up[t] {
                gmax_up = gmax_up.max(self.v[t]);
            }
            if self.low[t] {
                gmax_low = gmax_low.max(-self.v[t]);
            }
        }
        if !self.unshrunk && gmax_up + gmax_low <= tol * 10.0 {
            self.unshrunk = true;
            self.reconstruct();
        }
        let (up, low, v) = (&self.up, &self.low, &self.v);
        self.active.retain(|&t| match (up[t], low[t]) {
            (true, true) => true,
            (false, _) => v[t] <= gmax_up,
            (true, false) => -v[t] <= gmax_low,
        });
        self.pack();
    }

    /// Brings v of every variable up to date (the active ones' from `packed`, the shrunk ones' from
    /// v_bar and the free variables) and makes every variable active again: v = v_start + v_bar -
    /// (the free variables' part), summed in whichever order reads fewer kernel entries (as libsvm's
    /// `reconstruct_gradient`).
    fn reconstruct(&mut self) {
        self.unpack();
        let m = self.y.len();
        if self.active.len() == m {
            return;
        }
        let mut active = vec![false; m];
        for &t in &self.active {
            active[t] = true;
        }
        let inactive: Vec<usize> = (0..m).filter(|&t| !active[t]).collect();
        for &t in &inactive {
            self.v[t] = self.v_start[t] + self.v_bar[t];
        }
        // Shrunk variables sit at a bound, so every free one is active.
        let free: Vec<usize> = self
            .active
            .iter()
            .copied()
            .filter(|&t| self.up[t] && self.low[t])
            .collect();
        if free.len() * m > 2 * self.active.len() * inactive.len() {
            for &t in &inactive {
                let row = self.k.row(self.row_of(t));
                let sum: f64 = free
                    .iter()
                    .map(|&s| self.alpha[s] * self.y[s] * f64::from(row[self.row_of(s)]))
                    .sum();
                self.v[t] -= sum;
            }
        } else {
            for &s in &free {
                let row = self.k.row(self.row_of(s));
                let weight = self.alpha[s] * self.y[s];
                for &t in &inactive {
                    self.v[t] -= weight * f64::from(row[self.row_of(t)]);
                }
            }
        }
        self.active = (0..m).collect();
        self.pack();
    }

    /// The machine: rho as the mean of y G over free variables, else the middle of the feasible
    /// interval; coefficients summed over each kernel row's variables.
    fn machine(&self) -> Result<BinarySvm, String> {
        let (m, n, y, alpha) = (self.y.len(), self.n, self.y, &self.alpha);
        let (mut ub, mut lb, mut free_sum, mut free) =
            (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
        for t in 0..m {
            // y G = -v, as y^2 = 1.
            let yg = -self.v[t];
            if self.at_upper(t) {
                if y[t] < 0.0 {
                    ub = ub.min(yg)
                } else {
                    lb = lb.max(yg)
                }
            } else if alpha[t] <= 0.0 {
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
            None,
        )
        .unwrap()
        .machine;
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
            None,
        )
        .unwrap()
        .machine;
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
                None,
            )
            .unwrap()
            .machine;
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

    /// A solve started from the solution at a smaller C (scaled) ends where a solve from zero does.
    #[test]
    fn a_seeded_solve_reaches_the_same_machine() {
        let x = Array2::from_shape_fn((60, 3), |(r, c)| ((r * 7 + c * 5) % 13) as f64 / 4.0);
        let positive = Array1::from_shape_fn(60, |r| (r * 3) % 7 < 3);
        let z = Array1::from_shape_fn(60, |r| (r as f64).cos() * 2.0 + (r % 4) as f64);
        let kernel = Kernel::Rbf { gamma: 0.4 };
        let rows = SharedKernel::new(kernel, x.view());
        let test = kernel.matrix(x.view(), x.view());
        let classify = |c: f64, start: Option<(&[f64], f64)>| {
            solve(&rows, positive.view(), c, None, 1e-8, start).unwrap()
        };
        let regress = |c: f64, start: Option<(&[f64], f64)>| {
            solve_regression(&rows, z.view(), c, 0.2, 1e-8, start).unwrap()
        };
        for solve_at in [
            &classify as &dyn Fn(f64, Option<(&[f64], f64)>) -> Solved,
            &regress,
        ] {
            let below = solve_at(1.0, None);
            let seeded = solve_at(10.0, Some((&below.alpha, 10.0)));
            let fresh = solve_at(10.0, None);
            assert_ne!(
                below.alpha, fresh.alpha,
                "the seed differs from the solution"
            );
            let (a, b) = (
                seeded.machine.decision(test.view()),
                fresh.machine.decision(test.view()),
            );
            for (a, b) in a.iter().zip(&b) {
                assert!((a - b).abs() < 1e-4, "{a} != {b}");
            }
        }
    }
}
