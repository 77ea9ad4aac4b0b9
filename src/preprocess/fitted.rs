//! A [`Pipeline`] fitted on one training fold: fill values, scaler statistics and category slots,
//! applied to any rows (the fold's test rows, a refit's test set, a table given to `predict`).

use super::{CategoryImpute, Encoding, FittedScaler, Impute, Pipeline};
use crate::data::schema::FeatureShape;
use crate::data::{Feature, FeatureValues, MISSING_CODE};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// A numeric feature's fill value and whether it gets a missing-indicator column.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NumericStep {
    feature: usize,
    fill: f64,
    indicator: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum CategoryStep {
    OneHot {
        feature: usize,
        /// Output slot of each level code (`None`: unseen in training, all zeros).
        slots: Vec<Option<usize>>,
        /// Slot of a missing cell.
        missing: Option<usize>,
        width: usize,
    },
    Ordinal {
        feature: usize,
        ranks: Vec<f64>,
        missing: f64,
    },
}

/// A pipeline fitted on one training fold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedPipeline {
    numeric: Vec<NumericStep>,
    scalers: Vec<FittedScaler>,
    categories: Vec<CategoryStep>,
}

/// The features' values at `rows`, numeric ones only (others NaN), as one matrix.
fn numeric_block(features: &[Feature], steps: &[NumericStep], rows: &[usize]) -> Array2<f64> {
    let mut x = Array2::zeros((rows.len(), steps.len()));
    for (j, step) in steps.iter().enumerate() {
        if let FeatureValues::Numeric(v) = &features[step.feature].values {
            for (i, &r) in rows.iter().enumerate() {
                let value = v[r];
                x[(i, j)] = if value.is_nan() { step.fill } else { value };
            }
        }
    }
    x
}

impl FittedPipeline {
    /// The width of the matrix this pipeline yields from features of these shapes, or why it
    /// cannot transform them: fitting makes one step per feature in order (numbers, then
    /// categories), scalers as wide as the numbers, and encodings inside their block; a pipeline
    /// read from a file edited on purpose is refused here rather than indexing out of range.
    pub fn check(&self, features: &[FeatureShape]) -> Result<usize, String> {
        let numeric: Vec<usize> = (0..features.len())
            .filter(|&f| features[f] == FeatureShape::Numeric)
            .collect();
        if self
            .numeric
            .iter()
            .map(|s| s.feature)
            .ne(numeric.iter().copied())
        {
            return Err("its numeric steps do not match the schema's numeric features".into());
        }
        for scaler in &self.scalers {
            if scaler.shift.len() != numeric.len() || scaler.scale.len() != numeric.len() {
                return Err(format!(
                    "a scaler has {} columns for {} numeric features",
                    scaler.shift.len(),
                    numeric.len()
                ));
            }
        }
        let categorical = features
            .iter()
            .enumerate()
            .filter_map(|(f, shape)| match shape {
                FeatureShape::Categorical { levels } => Some((f, *levels)),
                FeatureShape::Numeric => None,
            });
        let mut width = numeric.len() + self.numeric.iter().filter(|s| s.indicator).count();
        let mut steps = self.categories.iter();
        for (f, levels) in categorical {
            let mismatch = || format!("its encoding of feature {f} does not match the schema");
            width += match steps.next().ok_or_else(mismatch)? {
                CategoryStep::OneHot {
                    feature,
                    slots,
                    missing,
                    width,
                } => {
                    let inside = |slot: &Option<usize>| slot.is_none_or(|s| s < *width);
                    let fits = *feature == f
                        && slots.len() == levels
                        && *width <= levels + 1
                        && slots.iter().all(inside)
                        && inside(missing);
                    fits.then_some(*width).ok_or_else(mismatch)?
                }
                CategoryStep::Ordinal { feature, ranks, .. } => (*feature == f
                    && ranks.len() == levels)
                    .then_some(1)
                    .ok_or_else(mismatch)?,
            };
        }
        if steps.next().is_some() {
            return Err("it encodes more categories than the schema has".into());
        }
        Ok(width)
    }

    /// The feature each encoded column comes from, in column order.
    pub fn column_features(&self) -> Vec<usize> {
        let mut out: Vec<usize> = self.numeric.iter().map(|s| s.feature).collect();
        out.extend(
            self.numeric
                .iter()
                .filter(|s| s.indicator)
                .map(|s| s.feature),
        );
        for step in &self.categories {
            match step {
                CategoryStep::OneHot { feature, width, .. } => {
                    out.extend(std::iter::repeat_n(*feature, *width));
                }
                CategoryStep::Ordinal { feature, .. } => out.push(*feature),
            }
        }
        out
    }

    /// The encoded columns that hold a category's ordinal code (its rank among the training levels),
    /// for models that split on category sets.
    pub fn category_columns(&self) -> Vec<usize> {
        let mut column = self.numeric.len() + self.numeric.iter().filter(|s| s.indicator).count();
        let mut out = Vec::new();
        for step in &self.categories {
            match step {
                CategoryStep::OneHot { width, .. } => column += width,
                CategoryStep::Ordinal { .. } => {
                    out.push(column);
                    column += 1;
                }
            }
        }
        out
    }

    /// The value each numeric feature's missing cells are filled with, by feature index.
    pub fn fill_values(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.numeric.iter().map(|s| (s.feature, s.fill))
    }

    /// Fits `pipeline` on the training `rows` of `features`, returning it with those rows encoded
    /// (the scaled numbers fitting needs are the training matrix's first columns, so they are kept).
    pub fn fit_transform(
        pipeline: &Pipeline,
        features: &[Feature],
        rows: &[usize],
    ) -> (FittedPipeline, Array2<f64>) {
        let mut numeric = Vec::new();
        let mut categories = Vec::new();
        for (f, feature) in features.iter().enumerate() {
            match &feature.values {
                FeatureValues::Numeric(v) => {
                    let present: Vec<f64> =
                        rows.iter().map(|&r| v[r]).filter(|x| !x.is_nan()).collect();
                    let missing_in_training = present.len() < rows.len();
                    numeric.push(NumericStep {
                        feature: f,
                        fill: fill_value(pipeline.impute, present),
                        indicator: pipeline.indicator && missing_in_training,
                    });
                }
                FeatureValues::Categorical { codes, levels } => {
                    categories.push(fit_category(pipeline, f, codes, levels.len(), rows));
                }
            }
        }
        let mut fitted = FittedPipeline {
            numeric,
            scalers: Vec::new(),
            categories,
        };
        let mut train = numeric_block(features, &fitted.numeric, rows);
        for &scaler in &pipeline.scalers {
            let scaled = FittedScaler::fit(scaler, train.view());
            train = scaled.transform(train.view());
            fitted.scalers.push(scaled);
        }
        let encoded = fitted.append_encoded(train, features, rows);
        (fitted, encoded)
    }

    /// The encoded rows: scaled numbers, then missing indicators, then encoded categories.
    pub fn transform(&self, features: &[Feature], rows: &[usize]) -> Array2<f64> {
        let mut numbers = numeric_block(features, &self.numeric, rows);
        for scaler in &self.scalers {
            numbers = scaler.transform(numbers.view());
        }
        self.append_encoded(numbers, features, rows)
    }

    /// `numbers` (the scaled numeric block of `rows`) followed by indicators and encoded categories.
    fn append_encoded(
        &self,
        numbers: Array2<f64>,
        features: &[Feature],
        rows: &[usize],
    ) -> Array2<f64> {
        let indicators: Vec<&NumericStep> = self.numeric.iter().filter(|s| s.indicator).collect();
        let category_width: usize = self
            .categories
            .iter()
            .map(|c| match c {
                CategoryStep::OneHot { width, .. } => *width,
                CategoryStep::Ordinal { .. } => 1,
            })
            .sum();
        if indicators.is_empty() && category_width == 0 {
            return numbers;
        }
        let width = numbers.ncols() + indicators.len() + category_width;
        let mut x = Array2::zeros((rows.len(), width));
        x.slice_mut(ndarray::s![.., ..numbers.ncols()])
            .assign(&numbers);
        let mut column = numbers.ncols();
        for step in indicators {
            if let FeatureValues::Numeric(v) = &features[step.feature].values {
                for (i, &r) in rows.iter().enumerate() {
                    x[(i, column)] = f64::from(u8::from(v[r].is_nan()));
                }
            }
            column += 1;
        }
        for step in &self.categories {
            match step {
                CategoryStep::OneHot {
                    feature,
                    slots,
                    missing,
                    width,
                } => {
                    let codes = category_codes(&features[*feature]);
                    for (i, &r) in rows.iter().enumerate() {
                        let code = codes[r];
                        // Codes past the training levels are unseen: no column.
                        let slot = if code == MISSING_CODE {
                            *missing
                        } else {
                            slots.get(code as usize).copied().flatten()
                        };
                        if let Some(s) = slot {
                            x[(i, column + s)] = 1.0;
                        }
                    }
                    column += width;
                }
                CategoryStep::Ordinal {
                    feature,
                    ranks,
                    missing,
                } => {
                    let codes = category_codes(&features[*feature]);
                    for (i, &r) in rows.iter().enumerate() {
                        let code = codes[r];
                        // Codes past the training levels are unseen (missing when kept).
                        let unseen = if missing.is_nan() { f64::NAN } else { -1.0 };
                        x[(i, column)] = if code == MISSING_CODE {
                            *missing
                        } else {
                            ranks.get(code as usize).copied().unwrap_or(unseen)
                        };
                    }
                    column += 1;
                }
            }
        }
        x
    }
}

fn category_codes(feature: &Feature) -> &[u32] {
    match &feature.values {
        FeatureValues::Categorical { codes, .. } => codes,
        FeatureValues::Numeric(_) => &[],
    }
}

fn fill_value(impute: Impute, mut present: Vec<f64>) -> f64 {
    if present.is_empty() {
        return match impute {
            Impute::Constant(c) => c,
            Impute::Mean | Impute::Median => 0.0,
            Impute::Keep => f64::NAN,
        };
    }
    match impute {
        Impute::Constant(c) => c,
        Impute::Keep => f64::NAN,
        Impute::Mean => present.iter().sum::<f64>() / present.len() as f64,
        Impute::Median => {
            present.sort_by(f64::total_cmp);
            let n = present.len();
            if n % 2 == 1 {
                present[n / 2]
            } else {
                (present[n / 2 - 1] + present[n / 2]) / 2.0
            }
        }
    }
}

/// Encodes one categorical feature from its training rows.
fn fit_category(
    pipeline: &Pipeline,
    feature: usize,
    codes: &[u32],
    n_levels: usize,
    rows: &[usize],
) -> CategoryStep {
    let mut counts = vec![0usize; n_levels];
    let mut missing = 0usize;
    for &r in rows {
        match codes[r] {
            MISSING_CODE => missing += 1,
            c => counts[c as usize] += 1,
        }
    }
    // The most frequent training level, the first (alphabetically) on ties.
    let most_frequent = counts
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        .filter(|(_, &n)| n > 0)
        .map(|(c, _)| c);
    match pipeline.encoding {
        Encoding::Ordinal => {
            // Unseen levels are -1, or missing when missing cells are kept.
            let unseen = if pipeline.category_impute == CategoryImpute::Keep {
                f64::NAN
            } else {
                -1.0
            };
            let mut ranks = vec![unseen; n_levels];
            let mut next = 0.0;
            for (code, &n) in counts.iter().enumerate() {
                if n > 0 {
                    ranks[code] = next;
                    next += 1.0;
                }
            }
            let missing_rank = match pipeline.category_impute {
                CategoryImpute::MostFrequent => most_frequent.map_or(-1.0, |c| ranks[c]),
                CategoryImpute::Constant => next,
                CategoryImpute::Keep => f64::NAN,
            };
            CategoryStep::Ordinal {
                feature,
                ranks,
                missing: missing_rank,
            }
        }
        Encoding::OneHot {
            min_frequency,
            max_categories,
        } => {
            if pipeline.category_impute == CategoryImpute::MostFrequent {
                if let Some(c) = most_frequent {
                    counts[c] += missing;
                }
            }
            let mut kept: Vec<usize> = (0..n_levels)
                .filter(|&c| counts[c] >= min_frequency.max(1))
                .collect();
            let mut slots = vec![None; n_levels];
            let rare: Vec<usize> = if kept.len() > max_categories {
                // The most frequent levels keep their own column; the rest share the last one.
                kept.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
                let rest = kept.split_off(max_categories.saturating_sub(1));
                kept.sort_unstable();
                rest
            } else {
                Vec::new()
            };
            let (levels_seen, infrequent): (Vec<usize>, Vec<usize>) =
                ((0..n_levels).filter(|&c| counts[c] > 0).collect(), rare);
            for (slot, &c) in kept.iter().enumerate() {
                slots[c] = Some(slot);
            }
            let mut width = kept.len();
            let shared = (!infrequent.is_empty()
                || levels_seen.iter().any(|&c| slots[c].is_none()))
            .then(|| {
                width += 1;
                width - 1
            });
            for &c in &levels_seen {
                if slots[c].is_none() {
                    slots[c] = shared;
                }
            }
            let missing_slot = match pipeline.category_impute {
                CategoryImpute::MostFrequent => most_frequent.and_then(|c| slots[c]),
                CategoryImpute::Constant if missing > 0 => {
                    width += 1;
                    Some(width - 1)
                }
                CategoryImpute::Constant | CategoryImpute::Keep => None,
            };
            CategoryStep::OneHot {
                feature,
                slots,
                missing: missing_slot,
                width,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults(scaled: bool, one_hot: bool, keep_missing: bool) -> Pipeline {
        Pipeline::default_for(crate::preprocess::DefaultPreprocessing {
            scaled,
            one_hot,
            keep_missing,
        })
    }
    use crate::preprocess::Scaler;
    use ndarray::array;

    #[test]
    fn standard_scaler_uses_training_statistics_only() {
        let train = array![[1.0, 5.0], [3.0, 5.0]];
        let s = FittedScaler::fit(Scaler::StandardScaler, train.view());
        assert_eq!(s.transform(train.view()), array![[-1.0, 0.0], [1.0, 0.0]]);
        // Test rows are mapped with the training mean/std, not their own.
        assert_eq!(s.transform(array![[5.0, 6.0]].view()), array![[3.0, 1.0]]);
    }

    fn features() -> Vec<Feature> {
        vec![
            Feature {
                name: "n".into(),
                values: FeatureValues::Numeric(vec![1.0, f64::NAN, 3.0, 100.0]),
            },
            Feature {
                name: "c".into(),
                values: FeatureValues::Categorical {
                    codes: vec![0, 1, MISSING_CODE, 2],
                    levels: vec!["a".into(), "b".into(), "z".into()],
                },
            },
        ]
    }

    #[test]
    fn imputation_and_encoding_see_only_the_training_rows() {
        let train = [0, 1, 2];
        let one_hot = defaults(false, true, false);
        let (fitted, _) = FittedPipeline::fit_transform(&one_hot, &features(), &train);
        // Median of the training numbers (1, 3) fills the gap; row 3's 100 is never seen.
        let x = fitted.transform(&features(), &[1]);
        assert_eq!(x.row(0).to_vec(), vec![2.0, 0.0, 1.0]);
        // Level `z` appears only in the test row: all zeros.
        let x = fitted.transform(&features(), &[3]);
        assert_eq!(x.row(0).to_vec(), vec![100.0, 0.0, 0.0]);
        // A missing category takes the most frequent training level (a tie: the first, `a`).
        let x = fitted.transform(&features(), &[2]);
        assert_eq!(x.row(0).to_vec(), vec![3.0, 1.0, 0.0]);
        let (ordinal, _) =
            FittedPipeline::fit_transform(&defaults(false, false, false), &features(), &train);
        assert_eq!(
            ordinal.transform(&features(), &[3]).row(0).to_vec(),
            vec![100.0, -1.0]
        );
    }

    /// Kept missing cells stay NaN, and a level unseen in training is missing too; the category's
    /// column is reported for category splits.
    #[test]
    fn kept_missing_cells_and_unseen_levels_are_nan() {
        let (fitted, x) =
            FittedPipeline::fit_transform(&defaults(false, false, true), &features(), &[0, 1, 2]);
        assert!(x[(1, 0)].is_nan() && x[(2, 1)].is_nan());
        assert_eq!((x[(0, 0)], x[(0, 1)], x[(1, 1)]), (1.0, 0.0, 1.0));
        let unseen = fitted.transform(&features(), &[3]);
        assert_eq!(unseen[(0, 0)], 100.0);
        assert!(unseen[(0, 1)].is_nan(), "level z was not in training");
        assert_eq!(fitted.category_columns(), [1]);
        assert_eq!(fitted.column_features(), [0, 1]);
        assert_eq!(fitted.fill_values().filter(|(_, f)| !f.is_nan()).count(), 0);
    }

    #[test]
    fn rare_levels_share_the_last_column() {
        let codes: Vec<u32> = (0..10)
            .map(|i| if i < 6 { 0 } else { i as u32 - 5 })
            .collect();
        let feature = vec![Feature {
            name: "c".into(),
            values: FeatureValues::Categorical {
                codes,
                levels: (0..5).map(|i| i.to_string()).collect(),
            },
        }];
        let mut pipeline = defaults(false, true, false);
        pipeline.encoding = Encoding::OneHot {
            min_frequency: 1,
            max_categories: 3,
        };
        let rows: Vec<usize> = (0..10).collect();
        let (fitted, x) = FittedPipeline::fit_transform(&pipeline, &feature, &rows);
        assert_eq!(
            fitted.transform(&feature, &rows),
            x,
            "fitting encodes the training rows as transform does"
        );
        assert_eq!(x.ncols(), 3);
        assert_eq!(x.row(0).to_vec(), vec![1.0, 0.0, 0.0]);
        assert_eq!(
            x.row(9).to_vec(),
            vec![0.0, 0.0, 1.0],
            "a rare level in the shared column"
        );
        assert_eq!(
            fitted.column_features(),
            [0, 0, 0],
            "one-hot columns name their feature"
        );
    }

    #[test]
    fn min_max_scaler_maps_training_range_to_unit() {
        let train = array![[2.0], [4.0], [6.0]];
        let s = FittedScaler::fit(Scaler::MinMaxScaler, train.view());
        assert_eq!(s.transform(train.view()), array![[0.0], [0.5], [1.0]]);
    }
}
