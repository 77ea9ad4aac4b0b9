//! The dataset: a CSV read into a feature matrix and a target, with errors naming file, line and column.
//! What is read is decided by [`DataSpec`] (checked by the plan); folds live in [`folds`].

pub mod folds;
pub mod target;

use crate::error::{closest_first, InputError};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
pub use target::{OwnedTargets, TargetSlice, Targets, TargetsView, Task};

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
pub struct Dataset {
    pub x: Array2<f64>,
    pub target: OwnedTargets,
    /// The original text of each class, indexed by class; empty for regression.
    pub class_labels: Vec<String>,
    pub feature_names: Vec<String>,
    pub path: PathBuf,
    /// sha256 of the file's bytes, so a run can tell whether its data changed.
    pub hash: String,
    /// Whether the target column held integers only (a hint for errors about classes).
    pub integer_target: bool,
}

impl Dataset {
    pub fn task(&self) -> Task {
        self.target.task()
    }

    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    pub fn load(spec: &DataSpec) -> Result<Dataset, InputError> {
        let path = &spec.path;
        let bytes = read_regular_file(path, "data file")?;
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
        refuse_duplicate_names(path, &headers)?;
        let target_col = column_index(path, &headers, &spec.target, "the target")?;
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
                    "{}: line {line}, column `{}`: missing target value; every row needs a target \
                     (remove the row, or fill it in)",
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
        let (target, class_labels, integer_target) =
            build_target(path, &spec.target, spec.task, &raw_target)?;
        Ok(Dataset {
            x,
            target,
            class_labels,
            feature_names: feature_cols.iter().map(|&c| headers[c].clone()).collect(),
            path: path.clone(),
            hash,
            integer_target,
        })
    }
}

/// The bytes of a regular file. Devices, FIFOs and folders are refused before reading, so a path
/// like /dev/zero or a pipe can neither exhaust memory nor hang the sweep.
pub fn read_regular_file(path: &Path, what: &str) -> Result<Vec<u8>, InputError> {
    let cannot =
        |e: std::io::Error| InputError::new(format!("{}: cannot read {what}: {e}", path.display()));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(InputError::new(format!(
            "{}: cannot read {what}: it is not a regular file (a folder, device or pipe); give the path of a file",
            path.display()
        )));
    }
    std::fs::read(path).map_err(cannot)
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

/// Two columns with one name would make every later reference to it ambiguous (and a second
/// `target` would silently become a feature).
fn refuse_duplicate_names(path: &Path, headers: &[String]) -> Result<(), InputError> {
    for (i, name) in headers.iter().enumerate() {
        if let Some(j) = headers[..i].iter().position(|h| h == name) {
            return Err(InputError::new(format!(
                "{}: line 1: columns {} and {} are both named `{name}`; column names must be unique \
                 (rename one in the header)",
                path.display(),
                j + 1,
                i + 1
            )));
        }
    }
    Ok(())
}

/// The index of the column `name`; `role` says where the name came from, e.g. "named in `features`".
fn column_index(
    path: &Path,
    headers: &[String],
    name: &str,
    role: &str,
) -> Result<usize, InputError> {
    headers.iter().position(|h| h == name).ok_or_else(|| {
        let names = closest_first(name, headers.iter().map(String::as_str));
        InputError::new(format!(
            "{}: no column `{name}` ({role}); the columns are, closest first: {}",
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
        column_index(path, headers, name, "named in `drop`")?;
    }
    let chosen: Vec<usize> = match &spec.features {
        Some(names) => names
            .iter()
            .map(|n| column_index(path, headers, n, "named in `features`"))
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

/// The target column as classes or values, its class labels, and whether it held integers only.
fn build_target(
    path: &Path,
    name: &str,
    task: Option<Task>,
    cells: &[(u64, String)],
) -> Result<(OwnedTargets, Vec<String>, bool), InputError> {
    let numbers: Option<Vec<f64>> = cells
        .iter()
        .map(|(_, c)| c.parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect();
    let integral = numbers
        .as_ref()
        .is_some_and(|values| values.iter().all(|v| v.fract() == 0.0));
    let task = task.unwrap_or_else(|| match &numbers {
        None => Task::Classification,
        Some(values) => {
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
                Some(values) => Ok((Targets::Values(Array1::from(values)), Vec::new(), integral)),
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
                    "{}: column `{name}` has a single class ({}); classification needs at least two{}",
                    path.display(),
                    labels.first().map_or("none", String::as_str),
                    if integral { "; if it is a quantity to predict, set `task: regression` under `data:`" } else { "" }
                )));
            }
            let n_classes = labels.len();
            Ok((
                Targets::Classes {
                    y: Array1::from(y),
                    n_classes,
                },
                labels,
                integral,
            ))
        }
    }
}

fn sorted_distinct(values: &[f64]) -> Vec<f64> {
    let mut distinct = values.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    distinct
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(csv: &str, task: Option<Task>) -> Result<Dataset, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, csv).unwrap();
        Dataset::load(&DataSpec {
            path,
            target: "y".into(),
            task,
            features: None,
            drop: vec![],
        })
    }

    fn labels_of(target_cells: &[&str]) -> (Vec<String>, Vec<usize>) {
        let rows: String = target_cells
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{i},{t}\n"))
            .collect();
        let ds = load(&format!("x,y\n{rows}"), None).unwrap();
        match ds.target {
            Targets::Classes { y, .. } => (ds.class_labels, y.to_vec()),
            Targets::Values(_) => panic!("expected classes"),
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
    fn duplicate_column_names_are_refused_with_both_positions() {
        let err = load("x,y,y\n1,0,1\n2,1,0\n", None).unwrap_err();
        assert!(
            err.0.contains("columns 2 and 3 are both named `y`"),
            "{err}"
        );
    }

    #[test]
    fn a_single_integer_class_suggests_regression() {
        let err = load("x,y\n1,3\n2,3\n", None).unwrap_err();
        assert!(err.0.contains("task: regression"), "{err}");
    }

    #[test]
    fn a_folder_is_not_read_as_data() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular_file(dir.path(), "data file").unwrap_err();
        assert!(err.0.contains("not a regular file"), "{err}");
    }
}
