//! Logistic regression (linfa-logistic): binary, or multinomial for more classes.

use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, Targets, TargetsView, Task};
use crate::models::{
    check_target, check_width, class_targets, decode, encode, DefaultPreprocessing, FamilyInfo,
    FoldCache, ModelFamily, Params, Predictor, Seeds,
};
use crate::value::{Kind, ParamSpec};
use linfa::prelude::*;
use linfa_logistic::{
    FittedLogisticRegression, LogisticRegression, MultiFittedLogisticRegression,
    MultiLogisticRegression,
};
use ndarray::{Array2, ArrayView2};
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
        help: "L2 penalty weight on the summed log-loss (scikit-learn's C = 1/alpha)",
    },
    ParamSpec {
        name: "max_iterations",
        kind: Kind::Int {
            min: 1,
            max: 1_000_000,
            nullable: false,
        },
        default: "100",
        help: "L-BFGS iteration limit",
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
        help: "gradient tolerance per training row (the summed loss's tolerance is tol x rows)",
    },
];

#[derive(Serialize, Deserialize)]
enum Model {
    Binary(FittedLogisticRegression<f64, usize>),
    Multi(MultiFittedLogisticRegression<f64, usize>),
}

#[derive(Serialize, Deserialize)]
struct Fitted {
    model: Model,
    n_classes: usize,
}

impl Predictor for Fitted {
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        Targets::Classes {
            y: match &self.model {
                Model::Binary(m) => m.predict(&x),
                Model::Multi(m) => m.predict(&x),
            },
            n_classes: self.n_classes,
        }
    }

    fn probabilities(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        let mut out = Array2::zeros((x.nrows(), self.n_classes));
        match &self.model {
            Model::Binary(m) => {
                let (pos, neg) = (m.labels().pos.class, m.labels().neg.class);
                for (mut row, p) in out.outer_iter_mut().zip(m.predict_probabilities(&x)) {
                    row[pos] = p;
                    row[neg] = 1.0 - p;
                }
            }
            Model::Multi(m) => {
                for (k, column) in m
                    .predict_probabilities(&x)
                    .columns()
                    .into_iter()
                    .enumerate()
                {
                    out.column_mut(m.classes()[k]).assign(&column);
                }
            }
        }
        Some(out)
    }

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }

    fn check(&self, width: usize, target: TargetShape) -> Result<(), String> {
        let n_classes = self.n_classes;
        check_target(TargetShape::classes(n_classes), target)?;
        let classes = match &self.model {
            Model::Binary(m) => {
                check_width("the coefficient vector", m.params().len(), width)?;
                vec![m.labels().pos.class, m.labels().neg.class]
            }
            Model::Multi(m) => {
                let (rows, columns) = m.params().dim();
                check_width("the coefficient matrix", rows, width)?;
                check_width("the intercept", m.intercept().len(), columns)?;
                check_width("the class list", m.classes().len(), columns)?;
                m.classes().to_vec()
            }
        };
        if let Some(class) = classes.iter().find(|&&c| c >= n_classes) {
            return Err(format!("class {class} of {n_classes} is out of range"));
        }
        Ok(())
    }
}

const INFO: FamilyInfo = FamilyInfo {
    name: "logistic_regression",
    summary: "L2-regularised logistic regression (linfa-logistic, L-BFGS)",
    tasks: &[Task::Classification],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: true,
        one_hot: true,
    },
    probabilities: true,
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
        let Settings {
            alpha,
            max_iterations,
            fit_intercept,
            tol,
        } = Settings::read(p)?;
        let iterations = max_iterations as u64;
        let intercept = fit_intercept;
        let tolerance = tol * x.nrows() as f64;
        let dataset = DatasetBase::new(x, labels);
        // The binary and multinomial builders are different types with the same settings.
        macro_rules! fit_with {
            ($builder:expr) => {
                $builder
                    .alpha(alpha)
                    .max_iterations(iterations)
                    .with_intercept(intercept)
                    .gradient_tolerance(tolerance)
                    .fit(&dataset)
                    .map_err(|e| e.to_string())?
            };
        }
        let model = if n_classes <= 2 {
            Model::Binary(fit_with!(LogisticRegression::default()))
        } else {
            Model::Multi(fit_with!(MultiLogisticRegression::default()))
        };
        Ok(Box::new(Fitted { model, n_classes }))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Fitted>(bytes)
    }
}
