//! Unconstrained minimisation by L-BFGS (Nocedal and Wright, algorithms 7.4 and 7.5) with a line
//! search that satisfies the strong Wolfe conditions (their algorithms 3.5 and 3.6, cubic
//! interpolation), stopping as scipy's L-BFGS-B does: the largest gradient entry at most `gtol`, or
//! a relative decrease of the objective at most `ftol`, or `max_iterations` iterations.

/// When to stop.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub max_iterations: usize,
    /// Largest absolute gradient entry at which the minimum counts as reached.
    pub gtol: f64,
    /// Relative decrease of the objective in one iteration below which progress has stopped.
    pub ftol: f64,
}

/// Why the minimisation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The gradient or the objective's decrease fell below its tolerance.
    Converged,
    /// `max_iterations` were used up first.
    IterationLimit,
    /// No step along the search direction lowered the objective enough (rounding noise near the
    /// minimum, usually).
    LineSearchFailed,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub x: Vec<f64>,
    pub value: f64,
    pub iterations: usize,
    pub stop: Stop,
    /// The largest absolute gradient entry at `x`.
    pub gradient_max: f64,
}

/// Correction pairs kept (scipy's default).
const MEMORY: usize = 10;
/// Objective evaluations allowed per line search (scikit-learn's `maxls`).
const MAX_LINE_EVALUATIONS: usize = 50;
const C1: f64 = 1e-4;
const C2: f64 = 0.9;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// Minimises `objective`, which returns the value at `x` and writes the gradient into its second
/// argument, starting from `x`.
pub fn minimize(
    mut objective: impl FnMut(&[f64], &mut [f64]) -> f64,
    mut x: Vec<f64>,
    options: Options,
) -> Outcome {
    let n = x.len();
    let mut gradient = vec![0.0; n];
    let mut value = objective(&x, &mut gradient);
    let mut pairs: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::with_capacity(MEMORY);
    let mut iterations = 0;
    let stop = loop {
        if max_abs(&gradient) <= options.gtol {
            break Stop::Converged;
        }
        if iterations >= options.max_iterations {
            break Stop::IterationLimit;
        }
        let mut direction = two_loop(&gradient, &pairs);
        let mut slope = dot(&direction, &gradient);
        if slope >= 0.0 || !slope.is_finite() {
            // Not a descent direction (lost curvature): restart from steepest descent.
            pairs.clear();
            direction = gradient.iter().map(|g| -g).collect();
            slope = dot(&direction, &gradient);
        }
        let first_step = if pairs.is_empty() {
            (1.0 / dot(&direction, &direction).sqrt()).min(1.0)
        } else {
            1.0
        };
        let line = LineSearch {
            x: &x,
            direction: &direction,
            value,
            slope,
        };
        let Some(found) = line.run(&mut objective, first_step) else {
            break Stop::LineSearchFailed;
        };
        iterations += 1;
        let s: Vec<f64> = found.x.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = found
            .gradient
            .iter()
            .zip(&gradient)
            .map(|(a, b)| a - b)
            .collect();
        let sy = dot(&s, &y);
        if sy > f64::EPSILON * dot(&y, &y) {
            if pairs.len() == MEMORY {
                pairs.remove(0);
            }
            pairs.push((s, y, 1.0 / sy));
        }
        let decrease = value - found.value;
        x = found.x;
        gradient = found.gradient;
        let previous = value;
        value = found.value;
        if decrease <= options.ftol * previous.abs().max(value.abs()).max(1.0) {
            break Stop::Converged;
        }
    };
    Outcome {
        gradient_max: max_abs(&gradient),
        x,
        value,
        iterations,
        stop,
    }
}

/// The L-BFGS direction `-H g` from the stored pairs (initial Hessian scaled by the newest pair).
fn two_loop(gradient: &[f64], pairs: &[(Vec<f64>, Vec<f64>, f64)]) -> Vec<f64> {
    let mut q: Vec<f64> = gradient.to_vec();
    let mut alphas = vec![0.0; pairs.len()];
    for (i, (s, y, rho)) in pairs.iter().enumerate().rev() {
        alphas[i] = rho * dot(s, &q);
        q.iter_mut().zip(y).for_each(|(q, y)| *q -= alphas[i] * y);
    }
    if let Some((_, y, rho)) = pairs.last() {
        let gamma = 1.0 / (rho * dot(y, y));
        q.iter_mut().for_each(|q| *q *= gamma);
    }
    for (i, (s, y, rho)) in pairs.iter().enumerate() {
        let beta = rho * dot(y, &q);
        q.iter_mut()
            .zip(s)
            .for_each(|(q, s)| *q += (alphas[i] - beta) * s);
    }
    q.iter_mut().for_each(|q| *q = -*q);
    q
}

struct LineSearch<'a> {
    x: &'a [f64],
    direction: &'a [f64],
    value: f64,
    slope: f64,
}

struct Point {
    step: f64,
    x: Vec<f64>,
    value: f64,
    gradient: Vec<f64>,
    slope: f64,
}

impl LineSearch<'_> {
    fn evaluate(&self, objective: &mut impl FnMut(&[f64], &mut [f64]) -> f64, step: f64) -> Point {
        let x: Vec<f64> = self
            .x
            .iter()
            .zip(self.direction)
            .map(|(x, d)| x + step * d)
            .collect();
        let mut gradient = vec![0.0; x.len()];
        let value = objective(&x, &mut gradient);
        let slope = dot(&gradient, self.direction);
        Point {
            step,
            x,
            value,
            gradient,
            slope,
        }
    }

    fn sufficient_decrease(&self, p: &Point) -> bool {
        p.value.is_finite() && p.value <= self.value + C1 * p.step * self.slope
    }

    fn curvature(&self, p: &Point) -> bool {
        p.slope.abs() <= -C2 * self.slope
    }

    /// A step satisfying the strong Wolfe conditions, or `None` after too many evaluations.
    fn run(
        &self,
        objective: &mut impl FnMut(&[f64], &mut [f64]) -> f64,
        first_step: f64,
    ) -> Option<Point> {
        let mut previous = (0.0, self.value, self.slope);
        let mut step = first_step;
        for evaluation in 0..MAX_LINE_EVALUATIONS {
            let p = self.evaluate(objective, step);
            if !self.sufficient_decrease(&p) || (evaluation > 0 && p.value >= previous.1) {
                return self.zoom(objective, previous, (p.step, p.value, p.slope), evaluation);
            }
            if self.curvature(&p) {
                return Some(p);
            }
            if p.slope >= 0.0 {
                return self.zoom(objective, (p.step, p.value, p.slope), previous, evaluation);
            }
            previous = (p.step, p.value, p.slope);
            step *= 2.0;
        }
        None
    }

    /// Narrows `[lo, hi]` (each a step with its value and slope; `lo` the lower value) to a step
    /// satisfying the strong Wolfe conditions.
    fn zoom(
        &self,
        objective: &mut impl FnMut(&[f64], &mut [f64]) -> f64,
        mut lo: (f64, f64, f64),
        mut hi: (f64, f64, f64),
        used: usize,
    ) -> Option<Point> {
        for _ in used..MAX_LINE_EVALUATIONS {
            let step = interpolate(lo, hi);
            let p = self.evaluate(objective, step);
            if !self.sufficient_decrease(&p) || p.value >= lo.1 {
                hi = (p.step, p.value, p.slope);
            } else {
                if self.curvature(&p) {
                    return Some(p);
                }
                if p.slope * (hi.0 - lo.0) >= 0.0 {
                    hi = lo;
                }
                lo = (p.step, p.value, p.slope);
            }
            if (hi.0 - lo.0).abs() <= f64::EPSILON * lo.0.abs().max(1e-300) {
                break;
            }
        }
        // The bracket collapsed: accept its low end when it lowered the objective at all.
        if lo.0 > 0.0 && lo.1 < self.value {
            Some(self.evaluate(objective, lo.0))
        } else {
            None
        }
    }
}

/// The minimiser of the cubic through two points with their slopes, kept inside the middle 80% of
/// the interval (bisection when the cubic has no usable minimum or the values are not finite).
fn interpolate(a: (f64, f64, f64), b: (f64, f64, f64)) -> f64 {
    let (lo, hi) = (a.0.min(b.0), a.0.max(b.0));
    let width = hi - lo;
    let d1 = a.2 + b.2 - 3.0 * (a.1 - b.1) / (a.0 - b.0);
    let root = d1 * d1 - a.2 * b.2;
    let step = if root >= 0.0 && b.1.is_finite() && a.1.is_finite() {
        let d2 = (b.0 - a.0).signum() * root.sqrt();
        b.0 - (b.0 - a.0) * (b.2 + d2 - d1) / (b.2 - a.2 + 2.0 * d2)
    } else {
        f64::NAN
    };
    if step.is_finite() && step >= lo + 0.1 * width && step <= hi - 0.1 * width {
        step
    } else {
        lo + 0.5 * width
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIGHT: Options = Options {
        max_iterations: 1000,
        gtol: 1e-10,
        ftol: 0.0,
    };

    #[test]
    fn minimises_the_rosenbrock_function() {
        let rosenbrock = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let out = minimize(rosenbrock, vec![-1.2, 1.0], TIGHT);
        assert_eq!(out.stop, Stop::Converged);
        assert!(
            (out.x[0] - 1.0).abs() < 1e-8 && (out.x[1] - 1.0).abs() < 1e-8,
            "{out:?}"
        );
    }

    #[test]
    fn stops_at_the_iteration_limit_and_says_so() {
        let bowl = |x: &[f64], g: &mut [f64]| {
            g.iter_mut()
                .zip(x)
                .enumerate()
                .for_each(|(i, (g, x))| *g = (i + 1) as f64 * x);
            x.iter()
                .enumerate()
                .map(|(i, x)| 0.5 * (i + 1) as f64 * x * x)
                .sum()
        };
        let out = minimize(
            bowl,
            vec![1.0; 50],
            Options {
                max_iterations: 2,
                ..TIGHT
            },
        );
        assert_eq!((out.stop, out.iterations), (Stop::IterationLimit, 2));
        let out = minimize(bowl, vec![1.0; 50], TIGHT);
        assert_eq!(out.stop, Stop::Converged);
        assert!(out.gradient_max <= 1e-10);
    }
}
