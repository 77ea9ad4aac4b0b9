//! L2-regularised logistic regression, scikit-learn's `LogisticRegression(solver="lbfgs")`: binary
//! (one coefficient vector, the later class positive) or multinomial (one vector per class) over the
//! classes of the training fold, minimising `mean weighted log-loss + alpha / (2 W) |w|^2` (`W` the
//! summed row weights; scikit-learn's `C = 1 / alpha`, intercepts unpenalised) by L-BFGS with a strong
//! Wolfe line search, stopped by scikit-learn's rule: the largest gradient entry at most `tol`.

use super::lbfgs::{self, Stop};
use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, Targets, TargetsView, Task};
use crate::models::{
    check_target, check_width, class_targets, class_weight_spec, decode, encode, sigmoid,
    softmax_over, DefaultPreprocessing, FamilyInfo, FoldCache, ModelFamily, Params, Predictor,
    Scores, Seeds,
};
use crate::value::{Kind, ParamSpec};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

pub struct LogisticRegressionFamily;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "alpha",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: false,
        },
        default: "1.0",
        help: "L2 penalty strength, scikit-learn's 1 / C",
    },
    ParamSpec {
        name: "max_iterations",
        kind: Kind::Int {
            min: 1,
            max: 1_000_000,
            nullable: false,
        },
        default: "100",
        help: "L-BFGS iteration limit (scikit-learn's max_iter); reaching it is noted on the trial",
    },
    ParamSpec {
        name: "fit_intercept",
        kind: Kind::Bool,
        default: "true",
        help: "learn an unpenalised intercept",
    },
    ParamSpec {
        name: "tol",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: true,
        },
        default: "0.0001",
        help: "stop when no gradient entry of the mean loss exceeds tol (scikit-learn's tol)",
    },
    class_weight_spec(),
];

/// A fitted model: `coef[:, k]` and `intercept[k]` score class `classes[k]`; a binary model has
/// one score column (for `classes[1]`), a fold with one class none.
#[derive(Serialize, Deserialize)]
struct Fitted {
    coef: Array2<f64>,
    intercept: Array1<f64>,
    classes: Vec<usize>,
    n_classes: usize,
    /// Set when the solver stopped before scikit-learn's rule was met (its ConvergenceWarning).
    #[serde(skip)]
    warning: Option<String>,
    /// L-BFGS iterations the fit ran.
    #[serde(skip)]
    n_iter: usize,
}

impl Fitted {
    fn scores(&self, x: ArrayView2<f64>) -> Array2<f64> {
        x.dot(&self.coef) + &self.intercept
    }
}

impl Predictor for Fitted {
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        let y = match self.classes.len() {
            1 => Array1::from_elem(x.nrows(), self.classes[0]),
            2 => self
                .scores(x)
                .column(0)
                .mapv(|z| self.classes[usize::from(z > 0.0)]),
            _ => self
                .scores(x)
                .outer_iter()
                .map(|row| self.classes[super::argmax(row.iter().copied())])
                .collect(),
        };
        Targets::Classes {
            y,
            n_classes: self.n_classes,
        }
    }

    fn probabilities(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        let mut out = Array2::zeros((x.nrows(), self.n_classes));
        match self.classes.len() {
            1 => out.column_mut(self.classes[0]).fill(1.0),
            2 => {
                for (mut row, z) in out.outer_iter_mut().zip(self.scores(x).column(0)) {
                    let p = sigmoid(*z);
                    row[self.classes[1]] = p;
                    row[self.classes[0]] = 1.0 - p;
                }
            }
            _ => out = softmax_over(self.scores(x).view(), &self.classes, self.n_classes),
        }
        Some(out)
    }

    fn warning(&self) -> Option<String> {
        self.warning.clone()
    }

    fn n_iter(&self) -> Option<usize> {
        Some(self.n_iter)
    }

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }

    fn check(&self, width: usize, target: TargetShape) -> Result<(), String> {
        check_target(TargetShape::classes(self.n_classes), target)?;
        let (rows, columns) = self.coef.dim();
        check_width("the coefficient matrix", rows, width)?;
        check_width("the intercept", self.intercept.len(), columns)?;
        let expected = match columns {
            0 => 1,
            1 => 2,
            k => k,
        };
        check_width("the class list", self.classes.len(), expected)?;
        if let Some(class) = self.classes.iter().find(|&&c| c >= self.n_classes) {
            return Err(format!(
                "class {class} of {} is out of range",
                self.n_classes
            ));
        }
        Ok(())
    }
}

const INFO: FamilyInfo = FamilyInfo {
    name: "logistic_regression",
    summary: "L2-regularised logistic regression, binary or multinomial (L-BFGS, scikit-learn's objective)",
    tasks: &[Task::Classification],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: true,
        one_hot: true,
        keep_missing: false,
    },
    scores: Scores::Probabilities,
    iterates: true,
    varied_fastest: &[],
};

/// A trial's settings, read once from its parameters.
struct Settings {
    alpha: f64,
    max_iterations: usize,
    fit_intercept: bool,
    tol: f64,
}

impl Settings {
    fn read(p: &Params) -> Result<Settings, String> {
        Ok(Settings {
            alpha: p.f64("alpha")?,
            max_iterations: p.usize("max_iterations")?,
            fit_intercept: p.bool("fit_intercept")?,
            tol: p.f64("tol")?,
        })
    }
}

/// The penalised mean log-loss over one training fold, as a function of the flattened
/// coefficients (`width x columns`, row-major) followed by the intercepts.
struct Objective<'a> {
    x: ArrayView2<'a, f64>,
    /// Per row: the index of its class among the fitted ones.
    class: Vec<usize>,
    /// Per row: its weight divided by the summed weights.
    weight: Vec<f64>,
    /// The penalty on the mean loss: alpha / summed weights.
    l2: f64,
    columns: usize,
    intercept: bool,
}

impl Objective<'_> {
    fn split<'v>(&self, theta: &'v [f64]) -> (ArrayView2<'v, f64>, &'v [f64]) {
        let width = self.x.ncols();
        let coef = ArrayView2::from_shape((width, self.columns), &theta[..width * self.columns])
            .expect("the coefficient block has width x columns entries");
        (coef, &theta[width * self.columns..])
    }

    fn value_and_gradient(&self, theta: &[f64], gradient: &mut [f64]) -> f64 {
        let (coef, intercept) = self.split(theta);
        let mut scores = self.x.dot(&coef);
        if self.intercept {
            scores += &ArrayView1::from(intercept);
        }
        // Each row's loss, and in place of its scores the loss's derivative by them, weighted.
        let mut loss = 0.0;
        for ((mut row, &class), &w) in scores.outer_iter_mut().zip(&self.class).zip(&self.weight) {
            if self.columns == 1 {
                let z = row[0];
                let y = class as f64;
                // log(1 + e^z) - y z, without overflow.
                loss += w * (z.max(0.0) + (-z.abs()).exp().ln_1p() - y * z);
                row[0] = w * (sigmoid(z) - y);
            } else {
                let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let total: f64 = row.iter().map(|z| (z - top).exp()).sum();
                let log_total = top + total.ln();
                loss += w * (log_total - row[class]);
                row.mapv_inplace(|z| w * (z - log_total).exp());
                row[class] -= w;
            }
        }
        let width = self.x.ncols();
        let coef_gradient = self.x.t().dot(&scores) + &(self.l2 * &coef);
        gradient[..width * self.columns]
            .iter_mut()
            .zip(coef_gradient.iter())
            .for_each(|(g, v)| *g = *v);
        let tail = &mut gradient[width * self.columns..];
        if self.intercept {
            tail.iter_mut()
                .zip(scores.sum_axis(Axis(0)))
                .for_each(|(g, v)| *g = v);
        }
        loss + 0.5 * self.l2 * coef.iter().map(|c| c * c).sum::<f64>()
    }
}

impl ModelFamily for LogisticRegressionFamily {
    fn info(&self) -> &'static FamilyInfo {
        &INFO
    }

    fn fit(
        &self,
        p: &Params,
        x: ArrayView2<f64>,
        y: TargetsView,
        _seeds: Seeds,
        _cache: &FoldCache,
    ) -> Result<Box<dyn Predictor>, String> {
        let (labels, n_classes) = class_targets(y, self.name())?;
        let settings = Settings::read(p)?;
        let row_weights = p.row_weights(y)?;
        let mut classes: Vec<usize> = labels.to_vec();
        classes.sort_unstable();
        classes.dedup();
        let columns = match classes.len() {
            0 => return Err("the training fold has no rows".to_string()),
            1 => 0,
            2 => 1,
            k => k,
        };
        if columns == 0 {
            return Ok(Box::new(Fitted {
                coef: Array2::zeros((x.ncols(), 0)),
                intercept: Array1::zeros(0),
                classes,
                n_classes,
                warning: None,
                n_iter: 0,
            }));
        }
        let mut index = vec![0; n_classes];
        for (k, &c) in classes.iter().enumerate() {
            index[c] = k;
        }
        let total: f64 = row_weights
            .as_ref()
            .map_or(labels.len() as f64, |w| w.iter().sum());
        let objective = Objective {
            x,
            class: labels.iter().map(|&c| index[c]).collect(),
            weight: match &row_weights {
                Some(w) => w.iter().map(|w| w / total).collect(),
                None => vec![1.0 / total; labels.len()],
            },
            l2: settings.alpha / total,
            columns,
            intercept: settings.fit_intercept,
        };
        let width = x.ncols();
        let size = width * columns + if settings.fit_intercept { columns } else { 0 };
        let outcome = lbfgs::minimize(
            |theta, gradient| objective.value_and_gradient(theta, gradient),
            vec![0.0; size],
            lbfgs::Options {
                max_iterations: settings.max_iterations,
                gtol: settings.tol,
                ftol: 64.0 * f64::EPSILON,
            },
        );
        let warning = match outcome.stop {
            Stop::Converged => None,
            Stop::IterationLimit => Some(format!(
                "logistic_regression stopped at max_iterations = {} before converging (largest \
                 gradient entry {:.2e} > tol {}); raise max_iterations or scale the data",
                settings.max_iterations, outcome.gradient_max, settings.tol
            )),
            Stop::LineSearchFailed => Some(format!(
                "logistic_regression's line search stalled after {} iterations (largest gradient \
                 entry {:.2e} > tol {}): the solution is as precise as rounding allows",
                outcome.iterations, outcome.gradient_max, settings.tol
            )),
        };
        let (coef, intercept) = objective.split(&outcome.x);
        let intercept = if settings.fit_intercept {
            Array1::from(intercept.to_vec())
        } else {
            Array1::zeros(columns)
        };
        Ok(Box::new(Fitted {
            coef: coef.to_owned(),
            intercept,
            classes,
            n_classes,
            warning,
            n_iter: outcome.iterations,
        }))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Fitted>(bytes)
    }
}

#[cfg(test)]
mod tests;
