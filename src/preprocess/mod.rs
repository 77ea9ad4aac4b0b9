//! Preprocessing by column kind, fitted on each training fold only so no test information leaks into
//! training (as scikit-learn's `ColumnTransformer` in a pipeline): numbers are imputed (and optionally
//! flagged when missing, then scaled), categories imputed and one-hot or ordinal encoded.

mod fitted;

pub use fitted::FittedPipeline;
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// How a missing number is filled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Impute {
    Mean,
    Median,
    Constant(f64),
    /// Left missing (NaN), for models that learn where missing values go.
    Keep,
}

/// How a missing category is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategoryImpute {
    /// The training fold's most frequent level.
    MostFrequent,
    /// A level of its own ("missing").
    Constant,
    /// Left missing (NaN, ordinal codes only), as are levels unseen in training.
    Keep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// One 0/1 column per level seen in training at least `min_frequency` times (at most
    /// `max_categories` columns, the rarest levels sharing the last); an unseen level is all zeros.
    OneHot {
        min_frequency: usize,
        max_categories: usize,
    },
    /// One column of level ranks among the training fold's levels (alphabetical); unseen is -1.
    Ordinal,
}

/// A family's default preprocessing: whether numbers are standardised and categories one-hot
/// encoded (else ordinal codes, as trees want), and whether missing cells stay missing (for models
/// that handle them natively) instead of being imputed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultPreprocessing {
    pub scaled: bool,
    pub one_hot: bool,
    pub keep_missing: bool,
}

/// The preprocessing a model entry gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub impute: Impute,
    pub indicator: bool,
    pub scalers: Vec<Scaler>,
    pub category_impute: CategoryImpute,
    pub encoding: Encoding,
}

/// One-hot columns a category gets by default, the last one shared by the rarest levels.
pub const DEFAULT_MAX_CATEGORIES: usize = 32;

impl Pipeline {
    /// A family's default: median imputation, most-frequent category; scaled and one-hot for models
    /// that need it (linear, SVM), unscaled ordinal codes for trees; nothing imputed for models that
    /// handle missing cells themselves.
    pub fn default_for(defaults: DefaultPreprocessing) -> Pipeline {
        let DefaultPreprocessing {
            scaled,
            one_hot,
            keep_missing,
        } = defaults;
        Pipeline {
            impute: if keep_missing {
                Impute::Keep
            } else {
                Impute::Median
            },
            indicator: false,
            scalers: if scaled {
                vec![Scaler::StandardScaler]
            } else {
                Vec::new()
            },
            category_impute: if keep_missing {
                CategoryImpute::Keep
            } else {
                CategoryImpute::MostFrequent
            },
            encoding: if one_hot {
                Encoding::OneHot {
                    min_frequency: 1,
                    max_categories: DEFAULT_MAX_CATEGORIES,
                }
            } else {
                Encoding::Ordinal
            },
        }
    }

    /// Identifies the pipeline among a sweep's, so entries with the same one share fitted folds.
    pub fn cache_key(&self) -> String {
        format!("{self:?}")
    }

    /// Whether the matrices it makes may hold missing cells (NaN).
    pub fn keeps_missing(&self) -> bool {
        self.impute == Impute::Keep || self.category_impute == CategoryImpute::Keep
    }

    /// Whether the pipeline leaves numeric features without missing values as they are.
    pub fn keeps_plain_numbers(&self) -> bool {
        self.scalers.is_empty()
    }
}
