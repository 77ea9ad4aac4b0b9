//! The dataset: CSV loading with precise errors, the learning task, and cross-validation splits.

use crate::error::InputError;
use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Classification,
    Regression,
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        })
    }
}

/// A target with at most this many distinct integer values is taken as class labels when the
/// sweep file does not say `task:`.
pub const MAX_INFERRED_CLASSES: usize = 50;

/// Which columns to read and how to read the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSpec {
    pub path: PathBuf,
    pub target: String,
    pub task: Option<Task>,
    pub features: Option<Vec<String>>,
    pub drop: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Target {
    /// Class indices `0..labels.len()`, with the original label text of each class.
    Classes {
        y: Array1<usize>,
        labels: Vec<String>,
    },
    Values(Array1<f64>),
}

#[derive(Debug, Clone)]
pub struct Dataset {
    pub x: Array2<f64>,
    pub target: Target,
    pub feature_names: Vec<String>,
    pub path: PathBuf,
    /// sha256 of the file's bytes, so a run can tell whether its data changed.
    pub hash: String,
}

impl Dataset {
    pub fn task(&self) -> Task {
        match self.target {
            Target::Classes { .. } => Task::Classification,
            Target::Values(_) => Task::Regression,
        }
    }

    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    pub fn load(spec: &DataSpec) -> Result<Dataset, InputError> {
        let path = &spec.path;
        let bytes = std::fs::read(path).map_err(|e| {
            InputError::new(format!("{}: cannot read data file: {e}", path.display()))
        })?;
        let hash = hex(&Sha256::digest(&bytes));
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes.as_slice());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(InputError::new(format!(
                "{}: the file is empty; expected a header row naming the columns, then one row per sample",
                path.display()
            )));
        }
        let target_col = column_index(path, &headers, &spec.target, "target")?;
        let feature_cols = select_features(path, &headers, target_col, spec)?;

        let mut features = Vec::new();
        let mut raw_target = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| csv_error(path, e))?;
            let line = record.position().map_or(i as u64 + 2, |p| p.line());
            for &c in &feature_cols {
                let cell = record.get(c).unwrap_or("");
                let value = cell.parse::<f64>().ok().filter(|v| v.is_finite());
                features.push(value.ok_or_else(|| {
                    InputError::new(format!(
                        "{}: line {line}, column `{}`: {} ; every feature cell must be a finite number \
                         (select columns with `features:` or `drop:` in the sweep file)",
                        path.display(),
                        headers[c],
                        if cell.is_empty() { "missing value".to_string() } else { format!("`{cell}` is not a number") }
                    ))
                })?);
            }
            let cell = record.get(target_col).unwrap_or("");
            if cell.is_empty() {
                return Err(InputError::new(format!(
                    "{}: line {line}, column `{}`: missing target value",
                    path.display(),
                    spec.target
                )));
            }
            raw_target.push((line, cell.to_string()));
        }
        if raw_target.is_empty() {
            return Err(InputError::new(format!(
                "{}: no data rows after the header; the sweep needs at least one row per fold",
                path.display()
            )));
        }
        let x = Array2::from_shape_vec((raw_target.len(), feature_cols.len()), features)
            .expect("one value per selected column per row");
        let target = build_target(path, &spec.target, spec.task, &raw_target)?;
        Ok(Dataset {
            x,
            target,
            feature_names: feature_cols.iter().map(|&c| headers[c].clone()).collect(),
            path: path.clone(),
            hash,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn csv_error(path: &Path, e: csv::Error) -> InputError {
    let place = e
        .position()
        .map(|p| format!("line {}: ", p.line()))
        .unwrap_or_default();
    InputError::new(format!("{}: {place}malformed CSV: {e}", path.display()))
}

fn column_index(
    path: &Path,
    headers: &[String],
    name: &str,
    role: &str,
) -> Result<usize, InputError> {
    headers.iter().position(|h| h == name).ok_or_else(|| {
        let names = crate::error::closest_first(name, headers.iter().map(String::as_str));
        InputError::new(format!(
            "{}: no column `{name}` (the {role}); the columns are: {}",
            path.display(),
            names.join(", ")
        ))
    })
}

fn select_features(
    path: &Path,
    headers: &[String],
    target_col: usize,
    spec: &DataSpec,
) -> Result<Vec<usize>, InputError> {
    for name in &spec.drop {
        column_index(path, headers, name, "in `drop`")?;
    }
    let chosen: Vec<usize> = match &spec.features {
        Some(names) => names
            .iter()
            .map(|n| column_index(path, headers, n, "in `features`"))
            .collect::<Result<_, _>>()?,
        None => (0..headers.len()).filter(|&c| c != target_col).collect(),
    };
    let chosen: Vec<usize> = chosen
        .into_iter()
        .filter(|&c| c != target_col && !spec.drop.contains(&headers[c]))
        .collect();
    if chosen.is_empty() {
        return Err(InputError::new(format!(
            "{}: no feature columns left besides the target `{}`",
            path.display(),
            spec.target
        )));
    }
    Ok(chosen)
}

fn build_target(
    path: &Path,
    name: &str,
    task: Option<Task>,
    cells: &[(u64, String)],
) -> Result<Target, InputError> {
    let numbers: Option<Vec<f64>> = cells
        .iter()
        .map(|(_, c)| c.parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect();
    let task = task.unwrap_or_else(|| match &numbers {
        None => Task::Classification,
        Some(values) => {
            let integral = values.iter().all(|v| v.fract() == 0.0);
            if integral && sorted_distinct(values).len() <= MAX_INFERRED_CLASSES {
                Task::Classification
            } else {
                Task::Regression
            }
        }
    });
    match task {
        Task::Regression => {
            let (line, cell) = cells
                .iter()
                .find(|(_, c)| c.parse::<f64>().map_or(true, |v| !v.is_finite()))
                .map_or((0, ""), |(l, c)| (*l, c.as_str()));
            match numbers {
                Some(values) => Ok(Target::Values(Array1::from(values))),
                None => Err(InputError::new(format!(
                    "{}: line {line}, column `{name}`: `{cell}` is not a number; a regression target must be numeric",
                    path.display()
                ))),
            }
        }
        Task::Classification => {
            // Numeric labels are ordered by value ("2" before "10"), others by text.
            let (labels, y): (Vec<String>, Vec<usize>) = match &numbers {
                Some(values) => {
                    let distinct = sorted_distinct(values);
                    let index =
                        |v: &f64| distinct.binary_search_by(|d| d.total_cmp(v)).unwrap_or(0);
                    (
                        distinct.iter().map(|v| format!("{v}")).collect(),
                        values.iter().map(index).collect(),
                    )
                }
                None => {
                    let mut distinct: Vec<&str> = cells.iter().map(|(_, c)| c.as_str()).collect();
                    distinct.sort_unstable();
                    distinct.dedup();
                    let index =
                        |(_, c): &(u64, String)| distinct.binary_search(&c.as_str()).unwrap_or(0);
                    (
                        distinct.iter().map(|l| l.to_string()).collect(),
                        cells.iter().map(index).collect(),
                    )
                }
            };
            if labels.len() < 2 {
                return Err(InputError::new(format!(
                    "{}: column `{name}` has a single class ({}); classification needs at least two",
                    path.display(),
                    labels.first().map_or("none", String::as_str)
                )));
            }
            Ok(Target::Classes {
                y: Array1::from(y),
                labels,
            })
        }
    }
}

fn sorted_distinct(values: &[f64]) -> Vec<f64> {
    let mut distinct = values.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    distinct
}

/// How trials are scored: k folds or one holdout split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CvPlan {
    KFold {
        folds: usize,
        stratified: bool,
        shuffle: bool,
    },
    Holdout {
        test_fraction: f64,
        stratified: bool,
        shuffle: bool,
    },
}

/// One train/test split, as row indices into the dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Fold {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// The splits of a sweep: computed once from the master seed, the same for every trial.
pub fn make_folds(dataset: &Dataset, plan: &CvPlan, seed: u64) -> Result<Vec<Fold>, InputError> {
    let n = dataset.n_rows();
    let (stratified, shuffle) = match plan {
        CvPlan::KFold {
            stratified,
            shuffle,
            ..
        }
        | CvPlan::Holdout {
            stratified,
            shuffle,
            ..
        } => (*stratified, *shuffle),
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // Groups whose rows are dealt out together: one per class when stratified.
    let mut groups: Vec<Vec<usize>> = match (&dataset.target, stratified) {
        (Target::Classes { y, labels }, true) => {
            let mut g = vec![Vec::new(); labels.len()];
            for (i, &c) in y.iter().enumerate() {
                g[c].push(i);
            }
            g
        }
        _ => vec![(0..n).collect()],
    };
    if shuffle {
        for g in &mut groups {
            g.shuffle(&mut rng);
        }
    }
    match *plan {
        CvPlan::KFold { folds, .. } => {
            if folds < 2 || folds > n {
                return Err(InputError::new(format!(
                    "cv.folds = {folds} is impossible with {n} rows: use 2..={n} folds"
                )));
            }
            if let (Target::Classes { labels, .. }, true) = (&dataset.target, stratified) {
                if let Some((class, size)) = groups
                    .iter()
                    .enumerate()
                    .map(|(c, g)| (c, g.len()))
                    .find(|&(_, s)| s < folds)
                {
                    return Err(InputError::new(format!(
                        "cv.folds = {folds} but class `{}` has only {size} rows; stratified folds need at \
                         least as many rows per class as folds: lower `folds`, or set `stratified: false`",
                        labels[class]
                    )));
                }
            }
            let mut assignment = vec![0usize; n];
            // Deal each group's rows round-robin, continuing where the previous group stopped,
            // so fold sizes differ by at most one.
            let mut next = 0;
            for g in &groups {
                for &row in g {
                    assignment[row] = next % folds;
                    next += 1;
                }
            }
            Ok((0..folds)
                .map(|k| Fold {
                    train: (0..n).filter(|&r| assignment[r] != k).collect(),
                    test: (0..n).filter(|&r| assignment[r] == k).collect(),
                })
                .collect())
        }
        CvPlan::Holdout { test_fraction, .. } => {
            let mut test = Vec::new();
            let mut train = Vec::new();
            for g in &groups {
                let k = ((g.len() as f64) * test_fraction).round() as usize;
                test.extend_from_slice(&g[..k]);
                train.extend_from_slice(&g[k..]);
            }
            if test.is_empty() || train.is_empty() {
                return Err(InputError::new(format!(
                    "cv.holdout.test_fraction = {test_fraction} leaves an empty train or test set with {n} rows"
                )));
            }
            test.sort_unstable();
            train.sort_unstable();
            Ok(vec![Fold { train, test }])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(y: Vec<usize>) -> Dataset {
        let n = y.len();
        Dataset {
            x: Array2::zeros((n, 1)),
            target: Target::Classes {
                y: Array1::from(y),
                labels: vec!["0".into(), "1".into()],
            },
            feature_names: vec!["f".into()],
            path: PathBuf::from("t.csv"),
            hash: String::new(),
        }
    }

    fn labels_of(target_cells: &[&str]) -> (Vec<String>, Vec<usize>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        let rows: String = target_cells
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{i},{t}\n"))
            .collect();
        std::fs::write(&path, format!("x,y\n{rows}")).unwrap();
        let spec = DataSpec {
            path,
            target: "y".into(),
            task: None,
            features: None,
            drop: vec![],
        };
        match Dataset::load(&spec).unwrap().target {
            Target::Classes { y, labels } => (labels, y.to_vec()),
            Target::Values(_) => panic!("expected classes"),
        }
    }

    #[test]
    fn class_labels_order_numbers_by_value_and_text_alphabetically() {
        assert_eq!(
            labels_of(&["10", "2", "10"]),
            (vec!["2".to_string(), "10".to_string()], vec![1, 0, 1])
        );
        assert_eq!(
            labels_of(&["b", "a", "b"]),
            (vec!["a".to_string(), "b".to_string()], vec![1, 0, 1])
        );
    }

    #[test]
    fn kfold_partitions_rows_and_stratifies() {
        let y: Vec<usize> = (0..100).map(|i| usize::from(i % 4 == 0)).collect();
        let ds = dataset(y.clone());
        let plan = CvPlan::KFold {
            folds: 5,
            stratified: true,
            shuffle: true,
        };
        let folds = make_folds(&ds, &plan, 7).unwrap();
        let mut seen = vec![0; 100];
        for f in &folds {
            assert_eq!(f.train.len() + f.test.len(), 100);
            for &r in &f.test {
                seen[r] += 1;
            }
            let positives = f.test.iter().filter(|&&r| y[r] == 1).count();
            assert_eq!(positives, 5, "each fold gets a fifth of the 25 positives");
        }
        assert!(
            seen.iter().all(|&s| s == 1),
            "every row is tested exactly once"
        );
    }

    #[test]
    fn folds_depend_on_the_seed_only() {
        let ds = dataset((0..50).map(|i| i % 2).collect());
        let plan = CvPlan::KFold {
            folds: 5,
            stratified: true,
            shuffle: true,
        };
        assert_eq!(
            make_folds(&ds, &plan, 1).unwrap(),
            make_folds(&ds, &plan, 1).unwrap()
        );
        assert_ne!(
            make_folds(&ds, &plan, 1).unwrap(),
            make_folds(&ds, &plan, 2).unwrap()
        );
    }

    #[test]
    fn too_many_folds_for_a_class_is_an_input_error() {
        let ds = dataset(vec![0, 0, 0, 0, 1, 1]);
        let plan = CvPlan::KFold {
            folds: 3,
            stratified: true,
            shuffle: false,
        };
        let err = make_folds(&ds, &plan, 0).unwrap_err();
        assert!(err.0.contains("class `1` has only 2 rows"), "{err}");
    }

    #[test]
    fn holdout_keeps_the_fraction_per_class() {
        let ds = dataset((0..100).map(|i| usize::from(i < 20)).collect());
        let plan = CvPlan::Holdout {
            test_fraction: 0.25,
            stratified: true,
            shuffle: true,
        };
        let folds = make_folds(&ds, &plan, 3).unwrap();
        assert_eq!(folds[0].test.len(), 25);
        assert_eq!(folds[0].test.iter().filter(|&&r| r < 20).count(), 5);
    }
}
