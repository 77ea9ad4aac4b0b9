//! Ordinary least squares (linfa-linear).

use crate::data::{TargetsView, Task};
use crate::models::{
    value_targets, DefaultPreprocessing, FamilyInfo, FoldCache, LinfaRegressor, ModelFamily,
    Params, Predictor, Seeds,
};
use crate::value::{Kind, ParamSpec};
use linfa::prelude::*;
use linfa_linear::LinearRegression;
use ndarray::ArrayView2;

pub struct LinearRegressionFamily;

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "fit_intercept",
    kind: Kind::Bool,
    default: "true",
    help: "learn an intercept",
}];

const INFO: FamilyInfo = FamilyInfo {
    name: "linear_regression",
    summary: "ordinary least squares (linfa-linear)",
    tasks: &[Task::Regression],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: true,
        one_hot: true,
    },
};

impl ModelFamily for LinearRegressionFamily {
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
        let model = LinearRegression::new()
            .with_intercept(p.bool("fit_intercept")?)
            .fit(&DatasetBase::new(x, values))
            .map_err(|e| e.to_string())?;
        Ok(Box::new(LinfaRegressor(model)))
    }
}
