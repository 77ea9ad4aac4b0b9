//! The dataset: a table file read as published ([`read`]), its columns typed ([`infer`]), the
//! features it yields (numbers with NaN for missing cells, categories as codes, dates expanded) and
//! the target, with errors naming file, row and column. Folds live in [`folds`].

pub mod folds;
pub mod infer;
mod leaks;
pub mod limits;
mod quality;
pub mod read;
pub mod schema;
pub mod target;

use crate::error::{closest_names, shortened, InputError};
use infer::{is_missing, looks_like_id, profile, stray_warning, Kind};
use ndarray::Array2;
use read::read_table;
pub use schema::{InputColumn, InputSchema, UNSEEN_CODE};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
pub use target::{class_counts, OwnedTargets, TargetSlice, Targets, TargetsView, Task};

/// A target with at most this many distinct integer values is taken as class labels when neither
/// the sweep file's `task:` nor its metric says otherwise.
pub const MAX_INFERRED_CLASSES: usize = 50;

/// Which file to read, how, and which columns to use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSpec {
    pub path: PathBuf,
    pub target: String,
    pub task: Option<Task>,
    /// The task the sweep's metric implies, and the metric's name, used when `task` is not given.
    pub task_hint: Option<(Task, String)>,
    pub features: Option<Vec<String>>,
    pub drop: Vec<String>,
    /// `columns:` overrides of inferred kinds.
    pub columns: Vec<(String, Kind)>,
    pub delimiter: Option<u8>,
}

/// One feature's values over the dataset's rows.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureValues {
    /// NaN where the cell was missing.
    Numeric(Vec<f64>),
    /// Codes into `levels` (sorted); [`MISSING_CODE`] where the cell was missing.
    Categorical {
        codes: Vec<u32>,
        levels: Vec<String>,
    },
}

pub const MISSING_CODE: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub name: String,
    pub values: FeatureValues,
}

impl Feature {
    pub fn has_missing(&self) -> bool {
        match &self.values {
            FeatureValues::Numeric(v) => v.iter().any(|x| x.is_nan()),
            FeatureValues::Categorical { codes, .. } => codes.contains(&MISSING_CODE),
        }
    }
}

/// What became of one column of the file, for `sweep inspect` and the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnReport {
    pub name: String,
    pub kind: Kind,
    /// Whether the kind came from the sweep file's `columns:`.
    pub overridden: bool,
    pub missing: usize,
    pub distinct: usize,
    /// How the column is used: the target, a feature and its encoding, or why it is left out.
    pub role: String,
}

#[derive(Debug, Clone)]
pub struct Dataset {
    pub features: Vec<Feature>,
    /// The columns the features come from and how each is coded, in feature order.
    pub inputs: Vec<InputColumn>,
    /// The delimiter the sweep file gave, if any.
    pub delimiter: Option<u8>,
    pub target: OwnedTargets,
    /// The target column's name.
    pub target_name: String,
    /// The original text of each class, indexed by class; empty for regression.
    pub class_labels: Vec<String>,
    pub path: PathBuf,
    /// sha256 of the file's bytes, so a run can tell whether its data changed.
    pub hash: String,
    /// Whether the target column held integers only (a hint for errors about classes).
    pub integer_target: bool,
    /// Rows left out because their target was missing.
    pub dropped_rows: usize,
    /// Each dataset row's place among the file's data rows (0 = the first), where rows without a
    /// target were left out: what names a row to the user.
    pub file_rows: Vec<usize>,
    pub columns: Vec<ColumnReport>,
    /// Things the user should know (IDs left out, leaking columns, the task chosen), one line each.
    pub warnings: Vec<String>,
    /// Every feature as one matrix, when all are numbers without a missing cell: what a model gets
    /// when its preprocessing has nothing to do.
    pub plain: Option<Array2<f64>>,
}

impl Dataset {
    pub fn task(&self) -> Task {
        self.target.task()
    }

    pub fn n_rows(&self) -> usize {
        self.target.len()
    }

    /// What a model trained on this data reads from a table.
    pub fn schema(&self) -> InputSchema {
        InputSchema {
            columns: self.inputs.clone(),
            target: self.target_name.clone(),
            task: self.task(),
            class_labels: self.class_labels.clone(),
            delimiter: self.delimiter,
        }
    }

    pub fn feature_names(&self) -> Vec<String> {
        self.features.iter().map(|f| f.name.clone()).collect()
    }

    pub fn load(spec: &DataSpec) -> Result<Dataset, InputError> {
        let path = &spec.path;
        let bytes = read_regular_file(path, "data file")?;
        let hash = sha256_hex(&bytes);
        let table = read_table(path, bytes, spec.delimiter)?;
        refuse_duplicate_names(path, &table.names)?;
        let target_col = column_index(path, &table.names, &spec.target, "the target")?;
        let chosen = select_features(path, &table.names, target_col, spec)?;
        for (name, _) in &spec.columns {
            column_index(path, &table.names, name, "named in `columns`")?;
        }
        let left_out = |c: &usize| {
            spec.columns
                .iter()
                .any(|(n, k)| *n == table.names[*c] && matches!(k, Kind::Drop | Kind::Id))
        };
        let read: Vec<usize> = std::iter::once(target_col)
            .chain(chosen.iter().copied().filter(|c| !left_out(c)))
            .collect();
        table.refuse_nested(path, &read)?;

        // Rows whose target is missing cannot be scored: they are left out, and said so.
        let target_cells = &table.columns[target_col];
        let rows: Vec<usize> = (0..table.n_rows())
            .filter(|&r| !is_missing(target_cells.get(r)))
            .collect();
        let dropped_rows = table.n_rows() - rows.len();
        if rows.is_empty() {
            return Err(InputError::new(format!(
                "{}: no data rows with a target value (column `{}`); the sweep needs at least one row per fold",
                path.display(),
                spec.target
            )));
        }
        let mut warnings = Vec::new();
        if dropped_rows > 0 {
            warnings.push(format!(
                "{dropped_rows} of {} rows have no `{}` value and are left out",
                table.n_rows(),
                spec.target
            ));
        }
        let (target, class_labels, integer_target) =
            target::build(path, spec, &table, target_col, &rows, &mut warnings)?;

        let mut features = Vec::new();
        let mut inputs = Vec::new();
        let mut columns = Vec::new();
        for (c, name) in table.names.iter().enumerate() {
            let cells = &table.columns[c];
            let seen = profile(cells);
            let given = spec
                .columns
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, k)| *k);
            let mut report = ColumnReport {
                name: name.clone(),
                kind: given.unwrap_or(seen.kind),
                overridden: given.is_some(),
                missing: seen.missing,
                distinct: seen.distinct,
                role: String::new(),
            };
            if c == target_col {
                report.role = format!("target ({})", target.task());
            } else if !chosen.contains(&c) {
                report.role = "left out (features/drop)".to_string();
            } else if given.is_none()
                && seen.distinct <= 1
                && (seen.missing == 0 || seen.distinct == 0)
            {
                report.role = "left out: constant".to_string();
                warnings.push(match seen.distinct {
                    0 => format!("column `{name}` is empty in every row and is left out"),
                    _ => format!(
                        "column `{name}` holds one value (`{}`) in every row and is left out: it cannot inform a model",
                        shortened(cells.get(0))
                    ),
                });
            } else if given.is_none() && looks_like_id(name, &seen, cells) {
                report.kind = Kind::Id;
                report.role = "left out: looks like an ID".to_string();
                warnings.push(format!(
                    "column `{name}` looks like an ID ({} distinct values in {} rows) and is left out; \
                     to use it, set `columns: {{{name}: {}}}` under `data:`",
                    seen.distinct,
                    cells.len(),
                    if seen.kind == Kind::Number { "number" } else { "category" }
                ));
            } else {
                warnings.extend(quality::mostly_missing(name, seen.missing, cells.len()));
                if let (None, Some(stray)) = (given, &seen.stray) {
                    warnings.push(stray_warning(name, stray, &table.place(stray.row)));
                }
                let why = if report.overridden {
                    "as `columns:` says"
                } else {
                    "inferred from its other cells"
                };
                let typed = InputColumn::fit(path, &table, c, report.kind, why, &rows)?;
                let (input, typed) = match typed {
                    Some((input, typed)) => (Some(input), typed),
                    None => (None, Vec::new()),
                };
                report.role = match report.kind {
                    Kind::Id => "left out: an ID".to_string(),
                    Kind::Drop => "left out (columns: drop)".to_string(),
                    Kind::Date => format!(
                        "feature: expanded to {}",
                        typed
                            .iter()
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Kind::Category => {
                        "feature: one-hot (linear, svm, naive Bayes) or ordinal codes (trees)"
                            .to_string()
                    }
                    Kind::Boolean => "feature: 0/1".to_string(),
                    Kind::Number => "feature".to_string(),
                };
                inputs.extend(input);
                features.extend(typed);
            }
            columns.push(report);
        }
        if features.is_empty() {
            return Err(InputError::new(format!(
                "{}: no feature columns left besides the target `{}`",
                path.display(),
                spec.target
            )));
        }
        warnings.extend(leaks::warnings(&features, &target, &spec.target));
        warnings.extend(quality::duplicates(&features, rows.len()));
        let plain = plain_matrix(&features, rows.len());
        Ok(Dataset {
            features,
            inputs,
            delimiter: spec.delimiter,
            target,
            target_name: spec.target.clone(),
            class_labels,
            path: path.clone(),
            hash,
            integer_target,
            dropped_rows,
            file_rows: rows,
            columns,
            warnings,
            plain,
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

/// The sha256 of `bytes` in hex, as files are identified in manifests and model cards.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Two columns with one name would make every later reference to it ambiguous (and a second
/// `target` would silently become a feature).
pub fn refuse_duplicate_names(path: &Path, headers: &[String]) -> Result<(), InputError> {
    let mut first = std::collections::HashMap::with_capacity(headers.len());
    for (i, name) in headers.iter().enumerate() {
        if let Some(j) = first.insert(name.as_str(), i) {
            return Err(InputError::new(format!(
                "{}: line 1: columns {} and {} are both named `{}`; column names must be unique \
                 (rename one in the header)",
                path.display(),
                j + 1,
                i + 1,
                shortened(name)
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
        InputError::new(format!(
            "{}: no column `{}` ({role}); the columns are, closest first: {}",
            path.display(),
            shortened(name),
            closest_names(name, headers.iter().map(String::as_str))
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
    Ok(chosen
        .into_iter()
        .filter(|&c| c != target_col && !spec.drop.contains(&headers[c]))
        .collect())
}

fn plain_matrix(features: &[Feature], rows: usize) -> Option<Array2<f64>> {
    let mut x = Array2::zeros((rows, features.len()));
    for (j, f) in features.iter().enumerate() {
        match &f.values {
            FeatureValues::Numeric(v) if !v.iter().any(|x| x.is_nan()) => {
                x.column_mut(j)
                    .assign(&ndarray::ArrayView1::from(v.as_slice()));
            }
            _ => return None,
        }
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(csv: &str, task: Option<Task>) -> Result<Dataset, InputError> {
        load_ranked_by(csv, task, None)
    }

    /// Loads `csv` for a sweep whose metric implies a task (`hint`: task and metric name).
    fn load_ranked_by(
        csv: &str,
        task: Option<Task>,
        hint: Option<(Task, &str)>,
    ) -> Result<Dataset, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, csv).unwrap();
        Dataset::load(&DataSpec {
            path,
            target: "y".into(),
            task,
            task_hint: hint.map(|(task, metric)| (task, metric.to_string())),
            features: None,
            drop: vec![],
            columns: vec![],
            delimiter: None,
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

    /// A table of `rows` rows whose integer target takes `distinct` values.
    fn integer_target(rows: usize, distinct: usize) -> String {
        let body: String = (0..rows)
            .map(|r| format!("{},{}\n", r % 7, r % distinct))
            .collect();
        format!("x,y\n{body}")
    }

    #[test]
    fn an_integer_target_reads_as_classes_only_when_it_looks_like_labels() {
        let task = |rows, distinct, hint| {
            load_ranked_by(&integer_target(rows, distinct), None, hint)
                .map(|ds| ds.task())
                .map_err(|e| e.0)
        };
        let accuracy = Some((Task::Classification, "accuracy"));
        // Inferred: at most 50 values and at most half as many values as rows read as classes.
        assert_eq!(task(100, 50, None), Ok(Task::Classification));
        assert_eq!(task(100, 51, None), Ok(Task::Regression), "more than 50");
        assert_eq!(
            task(20, 11, None),
            Ok(Task::Regression),
            "over half as many as rows"
        );
        assert_eq!(
            task(3, 2, None),
            Ok(Task::Classification),
            "two values always"
        );
        // A classification metric follows the same rule, refusing what looks like a quantity.
        assert_eq!(task(100, 50, accuracy), Ok(Task::Classification));
        for (rows, distinct) in [(2000, 1032), (20, 11)] {
            let err = task(rows, distinct, accuracy).unwrap_err();
            assert!(
                err.contains(&format!("{distinct} distinct integers"))
                    && err.contains("`metric: accuracy`")
                    && err.contains("task: classification"),
                "{err}"
            );
        }
        // Insisting with `task: classification` is kept.
        let insisted = load_ranked_by(
            &integer_target(20, 11),
            Some(Task::Classification),
            accuracy,
        );
        assert_eq!(insisted.unwrap().task(), Task::Classification);
        // A regression metric reads integers as amounts whatever their count.
        assert_eq!(
            task(100, 3, Some((Task::Regression, "rmse"))),
            Ok(Task::Regression)
        );
    }

    #[test]
    fn a_folder_is_not_read_as_data() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular_file(dir.path(), "data file").unwrap_err();
        assert!(err.0.contains("not a regular file"), "{err}");
    }
}
