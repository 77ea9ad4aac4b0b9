//! The held-out test set, as careful users keep one: rows split off before the search
//! (`cv.test_fraction`, stratified by class and seeded) or a separate file (`data.test`, read through
//! the training data's schema). The search never sees these rows; each refitted model is scored on
//! them once.

pub use crate::data::folds::TestSource;
use crate::data::folds::{make_folds, CvPlan};
use crate::data::read::read_table;
use crate::data::{
    read_regular_file, sha256_hex, Dataset, Feature, FeatureValues, OwnedTargets, Targets, Task,
    MISSING_CODE, UNSEEN_CODE,
};
use crate::error::InputError;
use crate::seed::derive_seed;
use std::borrow::Cow;

use std::path::Path;

pub struct TestSet {
    pub source: TestSource,
    /// The test file's features; `None` when the rows are the data file's.
    own_features: Option<Vec<Feature>>,
    /// Rows of those features that are test rows.
    pub rows: Vec<usize>,
    /// Each test row's place among its file's data rows (0 = the first): the data file's for a
    /// split, the test file's for `data.test`.
    pub file_rows: Vec<usize>,
    pub target: OwnedTargets,
}

impl TestSet {
    /// The features `rows` index.
    pub fn features<'a>(&'a self, dataset: &'a Dataset) -> &'a [Feature] {
        self.own_features.as_deref().unwrap_or(&dataset.features)
    }

    /// The training rows and the test rows as one table (features, rows of them, targets): what
    /// `refit_on: all` fits once the test scores are taken. A test file's levels the training
    /// data never had stay unknown to the model: they count as missing cells.
    pub fn joined<'a>(
        &self,
        dataset: &'a Dataset,
        train: &[usize],
    ) -> (Cow<'a, [Feature]>, Vec<usize>, OwnedTargets) {
        let Some(own) = &self.own_features else {
            let rows: Vec<usize> = train.iter().chain(&self.rows).copied().collect();
            let target = dataset.target.select(&rows);
            return (Cow::Borrowed(&dataset.features), rows, target);
        };
        let features = dataset
            .features
            .iter()
            .zip(own)
            .map(|(a, b)| Feature {
                name: a.name.clone(),
                values: match (&a.values, &b.values) {
                    (FeatureValues::Numeric(x), FeatureValues::Numeric(z)) => {
                        FeatureValues::Numeric(
                            train
                                .iter()
                                .map(|&r| x[r])
                                .chain(self.rows.iter().map(|&r| z[r]))
                                .collect(),
                        )
                    }
                    (
                        FeatureValues::Categorical { codes, levels },
                        FeatureValues::Categorical { codes: test, .. },
                    ) => FeatureValues::Categorical {
                        codes: train
                            .iter()
                            .map(|&r| codes[r])
                            .chain(self.rows.iter().map(|&r| match test[r] {
                                UNSEEN_CODE => MISSING_CODE,
                                code => code,
                            }))
                            .collect(),
                        levels: levels.clone(),
                    },
                    _ => unreachable!("a test file is read through the training data's schema"),
                },
            })
            .collect();
        let target = match (dataset.target.select(train), &self.target) {
            (Targets::Classes { y, n_classes }, Targets::Classes { y: test, .. }) => {
                Targets::Classes {
                    y: y.iter().chain(test).copied().collect(),
                    n_classes,
                }
            }
            (Targets::Values(v), Targets::Values(test)) => {
                Targets::Values(v.iter().chain(test).copied().collect())
            }
            _ => unreachable!("a test file's target is read as the training data's task"),
        };
        let rows = (0..target.len()).collect();
        (Cow::Owned(features), rows, target)
    }

    /// The sha256 of the test rows' places in their file (one number per line, in test order), so
    /// a manifest can name the rows without listing them.
    pub fn rows_sha256(&self) -> String {
        let text: String = self.file_rows.iter().map(|r| format!("{r}\n")).collect();
        sha256_hex(text.as_bytes())
    }
}

/// Splits `fraction` of the rows off as the test set (stratified for classification, from a seed
/// of its own): the rows left for the search, and the test set.
pub fn split(dataset: &Dataset, fraction: f64, seed: u64) -> (Vec<usize>, TestSet) {
    let plan = CvPlan::Holdout {
        test_fraction: fraction,
        stratified: dataset.task() == Task::Classification,
        shuffle: true,
    };
    let split = make_folds(&dataset.target, &plan, derive_seed(seed, "test split"))
        .pop()
        .unwrap_or_else(|| unreachable!("a holdout plan makes one split"));
    let test = TestSet {
        source: TestSource::Split { fraction },
        own_features: None,
        target: dataset.target.select(&split.test),
        file_rows: split.test.iter().map(|&r| dataset.file_rows[r]).collect(),
        rows: split.test,
    };
    (split.train, test)
}

/// Reads a test file through the training data's schema: the same columns, coded the same way;
/// rows without a target are left out.
pub fn read_file(path: &Path, dataset: &Dataset) -> Result<TestSet, InputError> {
    let bytes = read_regular_file(path, "test file")?;
    let sha256 = sha256_hex(&bytes);
    let table = read_table(path, bytes, dataset.delimiter)?;
    let schema = dataset.schema();
    let located = schema.locate(path, &table.names)?;
    let (target, rows) = schema.targets(path, &table, &located)?;
    if rows.is_empty() {
        return Err(InputError::new(format!(
            "{}: no rows with a target value (column `{}`); a test set needs at least one",
            path.display(),
            schema.target
        )));
    }
    let features = schema.features(path, &table, &located, &rows)?;
    Ok(TestSet {
        source: TestSource::File {
            path: path.to_path_buf(),
            sha256,
        },
        own_features: Some(features),
        rows: (0..target.len()).collect(),
        file_rows: rows,
        target,
    })
}
