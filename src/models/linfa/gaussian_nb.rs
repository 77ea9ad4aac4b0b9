//! Gaussian naive Bayes (linfa-bayes).

use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, Targets, TargetsView, Task};
use crate::models::{
    argmax, check_target, check_width, class_targets, decode, encode, softmax_over,
    DefaultPreprocessing, FamilyInfo, FoldCache, ModelFamily, Params, Predictor, Scores, Seeds,
};
use crate::value::{Kind, ParamSpec};
use linfa::prelude::*;
use linfa_bayes::GaussianNb;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// One class's fitted statistics, as linfa computes them.
#[derive(Serialize, Deserialize)]
struct ClassStats {
    prior: f64,
    theta: Array1<f64>,
    sigma: Array1<f64>,
}

/// The classes linfa saw, in class order: kept sorted (linfa's own hash map writes them in a
/// different order every run, so model files would differ between identical runs).
#[derive(Serialize, Deserialize)]
struct Fitted {
    classes: Vec<(usize, ClassStats)>,
    n_classes: usize,
}

/// linfa's fitted model as its serde form reads, with its classes in a sorted map.
#[derive(Deserialize)]
struct LinfaNb {
    class_info: BTreeMap<usize, ClassStats>,
}

impl Fitted {
    /// The statistics of linfa's fitted model, through its serde form (its fields are private).
    fn of(model: &GaussianNb<f64, usize>, n_classes: usize) -> Result<Fitted, String> {
        let form = serde_json::to_value(model).map_err(|e| e.to_string())?;
        let linfa: LinfaNb = serde_json::from_value(form)
            .map_err(|e| format!("the fitted statistics are not finite numbers ({e})"))?;
        Ok(Fitted {
            classes: linfa.class_info.into_iter().collect(),
            n_classes,
        })
    }

    /// Per row, each seen class's joint log-likelihood, columns in class order, with those classes:
    /// linfa's formula, step by step, so the numbers are the same to the bit.
    fn scores(&self, x: ArrayView2<f64>) -> (Array2<f64>, Vec<usize>) {
        let mut scores = Array2::zeros((x.nrows(), self.classes.len()));
        for (k, (_, info)) in self.classes.iter().enumerate() {
            let prior = info.prior.ln();
            let normaliser = -0.5
                * info
                    .sigma
                    .mapv(|v| 2.0 * std::f64::consts::PI * v)
                    .mapv(f64::ln)
                    .sum();
            let likelihood = ((x.to_owned() - &info.theta).mapv(|v| v.powi(2)) / &info.sigma)
                .sum_axis(Axis(1))
                .mapv(|v| v * 0.5)
                .mapv(|v| normaliser - v);
            scores.column_mut(k).assign(&(likelihood + prior));
        }
        (scores, self.classes.iter().map(|(c, _)| *c).collect())
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

    fn check(&self, width: usize, target: TargetShape) -> Result<(), String> {
        check_target(TargetShape::classes(self.n_classes), target)?;
        if self.classes.is_empty() {
            return Err("no class statistics".to_string());
        }
        let mut previous = None;
        for (class, info) in &self.classes {
            if *class >= self.n_classes || previous.is_some_and(|p| p >= *class) {
                return Err(format!(
                    "class {class} of {} is out of order or range",
                    self.n_classes
                ));
            }
            previous = Some(*class);
            check_width("a class mean", info.theta.len(), width)?;
            check_width("a class variance", info.sigma.len(), width)?;
        }
        Ok(())
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
        keep_missing: false,
    },
    scores: Scores::Probabilities,
    iterates: false,
    varied_fastest: &[],
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
        Ok(Box::new(Fitted::of(&model, n_classes)?))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Fitted>(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa_bayes::NaiveBayes;
    use rand::{Rng, SeedableRng};

    #[test]
    fn scores_are_linfas_to_the_bit_with_classes_in_order() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let x = Array2::from_shape_fn((90, 4), |(r, c)| {
            rng.gen::<f64>() * (c + 1) as f64 + (r % 3) as f64
        });
        let y: ndarray::Array1<usize> = (0..90).map(|r| [2, 0, 3][r % 3]).collect();
        let model = GaussianNb::params()
            .var_smoothing(1e-9)
            .fit(&DatasetBase::new(x.view(), y.view()))
            .unwrap();
        let fitted = Fitted::of(&model, 4).unwrap();
        let (scores, classes) = fitted.scores(x.view());
        assert_eq!(classes, vec![0, 2, 3]);
        let linfa = model.joint_log_likelihood(x.view());
        for (k, class) in classes.iter().enumerate() {
            let theirs = &linfa[class];
            for (ours, theirs) in scores.column(k).iter().zip(theirs) {
                assert_eq!(ours.to_bits(), theirs.to_bits(), "class {class}");
            }
        }
    }
}
