//! Ordinary least squares with the minimum-norm solution when columns are collinear (as
//! scikit-learn's `LinearRegression`, through `lstsq`): one-hot levels beside an intercept, or a date
//! beside its own numeric form, would make the normal equations singular. The Gram matrix's
//! eigendecomposition (linfa-linalg) gives the pseudo-inverse, dropping directions whose
//! eigenvalue is below `max eigenvalue x columns x machine epsilon`.

use crate::data::target::TargetShape;
use crate::data::OwnedTargets;
use crate::data::{Targets, TargetsView, Task};
use crate::models::{
    check_target, check_width, decode, encode, value_targets, DefaultPreprocessing, FamilyInfo,
    FoldCache, ModelFamily, Params, Predictor, Scores, Seeds,
};
use crate::value::{Kind, ParamSpec};
use linfa_linalg::eigh::Eigh;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

pub struct LinearRegressionFamily;

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "fit_intercept",
    kind: Kind::Bool,
    default: "true",
    help: "learn an intercept",
}];

const INFO: FamilyInfo = FamilyInfo {
    name: "linear_regression",
    summary: "ordinary least squares, minimum-norm solution for collinear columns (pseudo-inverse via linfa-linalg)",
    tasks: &[Task::Regression],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: true,
        one_hot: true,
        keep_missing: false,
    },
    scores: Scores::Labels,
    iterates: false,
    varied_fastest: &[],
};

/// Column means and the centred cross products a linear fit needs: with an intercept the data are
/// centred first, so the intercept is `y_mean - x_mean . coef`. Shared by the alphas of one fold.
pub(super) struct CenteredMoments {
    pub x_mean: Array1<f64>,
    pub y_mean: f64,
    /// Xc^T Xc
    pub gram: Array2<f64>,
    /// Xc^T yc
    pub moment: Array1<f64>,
    /// yc^T yc
    pub y_norm2: f64,
}

impl CenteredMoments {
    pub fn new(x: ArrayView2<f64>, y: ArrayView1<f64>, intercept: bool) -> CenteredMoments {
        let d = x.ncols();
        let (x_mean, y_mean) = if intercept {
            (
                x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d)),
                y.mean().unwrap_or(0.0),
            )
        } else {
            (Array1::zeros(d), 0.0)
        };
        // Centred in blocks of rows, so no centred copy of the whole matrix is ever held.
        const BLOCK: usize = 4096;
        let (mut gram, mut moment, mut y_norm2) = (Array2::zeros((d, d)), Array1::zeros(d), 0.0);
        for start in (0..x.nrows()).step_by(BLOCK) {
            let rows = start..(start + BLOCK).min(x.nrows());
            let xc = &x.slice(ndarray::s![rows.clone(), ..]) - &x_mean;
            let yc = y.slice(ndarray::s![rows]).mapv(|v| v - y_mean);
            gram += &xc.t().dot(&xc);
            moment += &xc.t().dot(&yc);
            y_norm2 += yc.dot(&yc);
        }
        CenteredMoments {
            gram,
            moment,
            y_norm2,
            x_mean,
            y_mean,
        }
    }
}

/// A fitted linear model: `x . coef + intercept`.
#[derive(Serialize, Deserialize)]
pub(super) struct Linear {
    pub coef: Array1<f64>,
    pub intercept: f64,
}

impl Predictor for Linear {
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        Targets::Values(x.dot(&self.coef) + self.intercept)
    }

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }

    fn check(&self, width: usize, target: TargetShape) -> Result<(), String> {
        check_target(Targets::Values(()), target)?;
        check_width("the coefficient vector", self.coef.len(), width)
    }
}

impl Linear {
    pub fn from_centered(m: &CenteredMoments, coef: Array1<f64>) -> Result<Linear, String> {
        if coef.iter().any(|c| !c.is_finite()) {
            return Err("the fit produced non-finite coefficients".to_string());
        }
        let intercept = m.y_mean - m.x_mean.dot(&coef);
        Ok(Linear { coef, intercept })
    }
}

/// The least-squares coefficients and intercept of `y` on `x`.
pub(super) fn least_squares(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    intercept: bool,
) -> Result<Linear, String> {
    let m = CenteredMoments::new(x, y, intercept);
    let d = x.ncols();
    let (values, vectors) = m.gram.eigh().map_err(|e| format!("least squares: {e}"))?;
    let largest = values.iter().fold(0.0f64, |m, &v| m.max(v));
    let cutoff = largest * d as f64 * f64::EPSILON;
    // coef = V diag(1/lambda) V^T X^T y over the kept directions.
    let projected = vectors.t().dot(&m.moment);
    let scaled: Array1<f64> = projected
        .iter()
        .zip(&values)
        .map(|(&p, &l)| if l > cutoff { p / l } else { 0.0 })
        .collect();
    Linear::from_centered(&m, vectors.dot(&scaled))
}

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
        let fitted = least_squares(x, values, p.bool("fit_intercept")?)?;
        Ok(Box::new(fitted))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Linear>(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn exact_data_is_fitted_exactly() {
        let x = array![[1.0, 0.0], [2.0, 1.0], [3.0, 0.0], [4.0, 1.0]];
        let y: Array1<f64> = x
            .rows()
            .into_iter()
            .map(|r| 3.0 * r[0] - 2.0 * r[1] + 5.0)
            .collect();
        let f = least_squares(x.view(), y.view(), true).unwrap();
        assert!(
            (f.coef[0] - 3.0).abs() < 1e-9 && (f.coef[1] + 2.0).abs() < 1e-9,
            "{:?}",
            f.coef
        );
        assert!((f.intercept - 5.0).abs() < 1e-9);
    }

    #[test]
    fn collinear_columns_get_the_minimum_norm_solution() {
        // Two one-hot levels that always sum to one, beside an intercept: singular normal equations.
        let x = array![[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]];
        let y = array![1.0, 3.0, 1.0, 3.0];
        let f = least_squares(x.view(), y.view(), true).unwrap();
        let predicted = x.dot(&f.coef) + f.intercept;
        for (p, t) in predicted.iter().zip(&y) {
            assert!((p - t).abs() < 1e-9, "{predicted}");
        }
        assert!(
            (f.coef[0] + f.coef[1]).abs() < 1e-9,
            "minimum norm splits the contrast: {:?}",
            f.coef
        );
    }
}
