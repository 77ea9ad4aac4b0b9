//! Gaussian naive Bayes (linfa-bayes).

use crate::data::{OwnedTargets, Targets, TargetsView, Task};
use crate::models::{
    argmax, class_targets, decode, encode, softmax_over, DefaultPreprocessing, FamilyInfo,
    FoldCache, ModelFamily, Params, Predictor, Seeds,
};
use crate::value::{Kind, ParamSpec};
use linfa::prelude::*;
use linfa_bayes::{GaussianNb, NaiveBayes};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

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

#[derive(Serialize, Deserialize)]
struct Fitted {
    model: GaussianNb<f64, usize>,
    n_classes: usize,
}

impl Fitted {
    /// Per row, each seen class's joint log-likelihood, columns in class order, with those classes.
    fn scores(&self, x: ArrayView2<f64>) -> (Array2<f64>, Vec<usize>) {
        let by_class = self.model.joint_log_likelihood(x);
        let mut classes: Vec<usize> = by_class.keys().map(|&&c| c).collect();
        classes.sort_unstable();
        let mut scores = Array2::zeros((x.nrows(), classes.len()));
        for (k, class) in classes.iter().enumerate() {
            scores.column_mut(k).assign(&by_class[class]);
        }
        (scores, classes)
    }
}

impl Predictor for Fitted {
    /// The most likely class, the lowest on ties (linfa's own prediction breaks ties in hash order).
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        let (scores, classes) = self.scores(x);
        Targets::Classes {
            y: scores
                .outer_iter()
                .map(|row| classes[argmax(row.iter().copied())])
                .collect(),
            n_classes: self.n_classes,
        }
    }

    fn probabilities(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        let (scores, classes) = self.scores(x);
        Some(softmax_over(scores.view(), &classes, self.n_classes))
    }

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }
}

const INFO: FamilyInfo = FamilyInfo {
    name: "gaussian_nb",
    summary: "Gaussian naive Bayes (linfa-bayes)",
    tasks: &[Task::Classification],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: false,
        one_hot: true,
    },
    probabilities: true,
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
        Ok(Box::new(Fitted { model, n_classes }))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Fitted>(bytes)
    }
}
