//! Support vector classifier (linfa-svm), one-vs-rest for more than two classes.

use super::{argmax, class_targets, ModelFamily, Params, Predictions, Predictor, Targets};
use crate::data::Task;
use crate::value::{Kind, ParamSpec};
use linfa::prelude::*;
use linfa_svm::Svm;
use ndarray::{Array1, Array2, ArrayView2};

pub struct SvmFamily;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "c",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: true,
        },
        default: "1.0",
        help: "penalty on margin violations",
    },
    ParamSpec {
        name: "kernel",
        kind: Kind::Choice(&["rbf", "linear", "polynomial"]),
        default: "rbf",
        help: "rbf: exp(-gamma |x-y|^2); polynomial: (gamma <x,y> + coef0)^degree",
    },
    ParamSpec {
        name: "gamma",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: true,
        },
        default: "0.1",
        help: "kernel coefficient (rbf, polynomial)",
    },
    ParamSpec {
        name: "degree",
        kind: Kind::Int {
            min: 1,
            max: 10,
            nullable: false,
        },
        default: "3",
        help: "polynomial degree",
    },
    ParamSpec {
        name: "coef0",
        kind: Kind::Float {
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
            min_exclusive: false,
        },
        default: "0.0",
        help: "polynomial constant term",
    },
    ParamSpec {
        name: "tol",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: true,
        },
        default: "0.001",
        help: "SMO stopping tolerance (scikit-learn's tol)",
    },
];

/// One binary SVM per class (or a single one for two classes), scored by decision value.
struct Fitted {
    machines: Vec<Svm<f64, bool>>,
    /// Polynomial kernels fold gamma into the inputs: (gamma <x,y> + c) = (<sx, sy> + c) with s = sqrt(gamma).
    input_scale: f64,
}

impl Fitted {
    fn decision(machine: &Svm<f64, bool>, row: ndarray::ArrayView1<f64>) -> f64 {
        machine.weighted_sum(&row) - machine.rho
    }
}

impl Predictor for Fitted {
    fn predict(&self, x: ArrayView2<f64>) -> Predictions {
        let x = x.mapv(|v| v * self.input_scale);
        let labels: Array1<usize> = x
            .outer_iter()
            .map(|row| match self.machines.as_slice() {
                [single] => usize::from(Self::decision(single, row) >= 0.0),
                many => argmax(many.iter().map(|m| Self::decision(m, row))),
            })
            .collect();
        Predictions::Classes(labels)
    }
}

impl ModelFamily for SvmFamily {
    fn name(&self) -> &'static str {
        "svm"
    }
    fn summary(&self) -> &'static str {
        "C-support vector classifier, SMO solver (linfa-svm), one-vs-rest for >2 classes"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Classification]
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn fit(
        &self,
        p: &Params,
        x: ArrayView2<f64>,
        y: Targets,
        _seed: u64,
    ) -> Result<Box<dyn Predictor>, String> {
        let (labels, n_classes) = class_targets(y, self.name())?;
        let c = p.f64("c")?;
        let gamma = p.f64("gamma")?;
        let base = Svm::<f64, bool>::params()
            .pos_neg_weights(c, c)
            .eps(p.f64("tol")?);
        let (base, input_scale) = match p.str("kernel")?.as_str() {
            "rbf" => (base.gaussian_kernel(1.0 / gamma), 1.0),
            "linear" => (base.linear_kernel(), 1.0),
            _ => (
                base.polynomial_kernel(p.f64("coef0")?, p.usize("degree")? as f64),
                gamma.sqrt(),
            ),
        };
        let records: Array2<f64> = x.mapv(|v| v * input_scale);
        let positives: Vec<usize> = if n_classes <= 2 {
            vec![1]
        } else {
            (0..n_classes).collect()
        };
        let machines = positives
            .into_iter()
            .map(|class| {
                let is_class: Array1<bool> = labels.mapv(|l| l == class);
                base.fit(&DatasetBase::new(records.view(), is_class.view()))
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        Ok(Box::new(Fitted {
            machines,
            input_scale,
        }))
    }
}
