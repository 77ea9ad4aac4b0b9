//! The held-out test set, as careful users keep one: rows split off before the search
//! (`cv.test_fraction`, stratified by class and seeded) or a separate file (`data.test`, read through
//! the training data's schema). The search never sees these rows; each refitted model is scored on
//! them once.

pub use crate::data::folds::TestSource;
use crate::data::folds::{make_folds, CvPlan};
use crate::data::read::read_table;
use crate::data::{read_regular_file, sha256_hex, Dataset, Feature, OwnedTargets, Task};
use crate::error::InputError;
use crate::seed::derive_seed;

use std::path::Path;

pub struct TestSet {
    pub source: TestSource,
    /// The test file's features; `None` when the rows are the data file's.
    own_features: Option<Vec<Feature>>,
    /// Rows of those features that are test rows.
    pub rows: Vec<usize>,
    pub target: OwnedTargets,
}

impl TestSet {
    /// The features `rows` index.
    pub fn features<'a>(&'a self, dataset: &'a Dataset) -> &'a [Feature] {
        self.own_features.as_deref().unwrap_or(&dataset.features)
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
        target,
    })
}
