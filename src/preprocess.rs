//! Feature scaling, fitted on each training fold only so no test information leaks into training.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaler {
    StandardScaler,
    MinMaxScaler,
}

impl Scaler {
    pub fn name(self) -> &'static str {
        match self {
            Scaler::StandardScaler => "standard_scaler",
            Scaler::MinMaxScaler => "min_max_scaler",
        }
    }
}

/// A scaler fitted on training rows: x' = (x - shift) / scale, column by column.
pub struct FittedScaler {
    shift: Array1<f64>,
    scale: Array1<f64>,
}

impl FittedScaler {
    pub fn fit(kind: Scaler, x: ArrayView2<f64>) -> FittedScaler {
        let (shift, scale) = match kind {
            Scaler::StandardScaler => {
                let mean = x
                    .mean_axis(Axis(0))
                    .unwrap_or_else(|| Array1::zeros(x.ncols()));
                let std = x.std_axis(Axis(0), 0.0);
                (mean, std)
            }
            Scaler::MinMaxScaler => {
                let min = x.fold_axis(Axis(0), f64::INFINITY, |a, &b| a.min(b));
                let max = x.fold_axis(Axis(0), f64::NEG_INFINITY, |a, &b| a.max(b));
                let range = &max - &min;
                (min, range)
            }
        };
        // A constant column is left unscaled (as scikit-learn does) instead of dividing by zero.
        let scale = scale.mapv(|s| if s > 0.0 && s.is_finite() { s } else { 1.0 });
        FittedScaler { shift, scale }
    }

    pub fn transform(&self, x: ArrayView2<f64>) -> Array2<f64> {
        (&x - &self.shift) / &self.scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn standard_scaler_uses_training_statistics_only() {
        let train = array![[1.0, 5.0], [3.0, 5.0]];
        let s = FittedScaler::fit(Scaler::StandardScaler, train.view());
        assert_eq!(s.transform(train.view()), array![[-1.0, 0.0], [1.0, 0.0]]);
        // Test rows are mapped with the training mean/std, not their own.
        assert_eq!(s.transform(array![[5.0, 6.0]].view()), array![[3.0, 1.0]]);
    }

    #[test]
    fn min_max_scaler_maps_training_range_to_unit() {
        let train = array![[2.0], [4.0], [6.0]];
        let s = FittedScaler::fit(Scaler::MinMaxScaler, train.view());
        assert_eq!(s.transform(train.view()), array![[0.0], [0.5], [1.0]]);
    }
}
