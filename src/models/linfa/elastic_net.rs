//! Elastic net regression (linfa-elasticnet, coordinate descent).

use crate::data::{TargetsView, Task};
use crate::models::{
    value_targets, DefaultPreprocessing, FamilyInfo, FoldCache, LinfaRegressor, ModelFamily,
    Params, Predictor, Seeds,
};
use crate::value::{Kind, ParamSpec};
use linfa::prelude::*;
use linfa_elasticnet::ElasticNet;
use ndarray::ArrayView2;

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
    summary: "linear regression with L1 + L2 penalty (linfa-elasticnet)",
    tasks: &[Task::Regression],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: true,
        one_hot: true,
    },
};

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
        _cache: &FoldCache,
    ) -> Result<Box<dyn Predictor>, String> {
        let values = value_targets(y, self.name())?;
        let model = ElasticNet::params()
            .penalty(p.f64("alpha")?)
            .l1_ratio(p.f64("l1_ratio")?)
            .with_intercept(p.bool("fit_intercept")?)
            .max_iterations(p.usize("max_iterations")? as u32)
            .tolerance(p.f64("tol")?)
            .fit(&DatasetBase::new(x, values))
            .map_err(|e| e.to_string())?;
        Ok(Box::new(LinfaRegressor(model)))
    }
}
