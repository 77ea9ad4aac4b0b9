//! Gaussian naive Bayes (linfa-bayes).

use crate::data::{TargetsView, Task};
use crate::models::{
    class_targets, DefaultPreprocessing, FamilyInfo, FoldCache, LinfaClassifier, ModelFamily,
    Params, Predictor, Seeds,
};
use crate::value::{Kind, ParamSpec};
use linfa::prelude::*;
use linfa_bayes::GaussianNb;
use ndarray::ArrayView2;

pub struct GaussianNbFamily;

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "var_smoothing",
    kind: Kind::Float {
        min: 0.0,
        max: f64::INFINITY,
        min_exclusive: false,
    },
    default: "1e-9",
    help: "share of the largest feature variance added to every variance, for stability",
}];

const INFO: FamilyInfo = FamilyInfo {
    name: "gaussian_nb",
    summary: "Gaussian naive Bayes (linfa-bayes)",
    tasks: &[Task::Classification],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: false,
        one_hot: true,
    },
};

impl ModelFamily for GaussianNbFamily {
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
        let model = GaussianNb::params()
            .var_smoothing(p.f64("var_smoothing")?)
            .fit(&DatasetBase::new(x, labels))
            .map_err(|e| e.to_string())?;
        Ok(Box::new(LinfaClassifier { model, n_classes }))
    }
}
