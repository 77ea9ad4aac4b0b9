//! How input columns become features, fixed when the training table is read and applied unchanged to
//! any later table (a test set, rows to predict): a number, a boolean, a date's parts, or a category's
//! levels (a level training never saw gets its own code, which encoders treat as unseen).

use super::infer::{is_missing, parse_bool, parse_date, parse_number, Kind};
use super::read::TextTable;
use super::{Feature, FeatureValues, OwnedTargets, Targets, Task, MISSING_CODE};
use crate::error::{closest_names, shortened, InputError};
use ndarray::Array1;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The code of a category level the training data did not have.
pub const UNSEEN_CODE: u32 = u32::MAX - 1;

/// What a feature is to a fitted pipeline: a number, or a category with this many levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureShape {
    Numeric,
    Categorical { levels: usize },
}

/// One input column and how it is coded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    pub name: String,
    pub coding: Coding,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Coding {
    Number,
    /// true/false, yes/no and the like, as 1/0.
    Boolean,
    /// A date or datetime, as the parts that varied in training (`year`, `month`, ... `epoch`).
    Date {
        parts: Vec<String>,
    },
    /// Levels seen in the training table, sorted; a feature's codes index them.
    Category {
        levels: Vec<String>,
    },
}

impl Coding {
    pub fn kind(&self) -> Kind {
        match self {
            Coding::Number => Kind::Number,
            Coding::Boolean => Kind::Boolean,
            Coding::Date { .. } => Kind::Date,
            Coding::Category { .. } => Kind::Category,
        }
    }
}

type DatePart = fn(&chrono::NaiveDateTime) -> f64;

/// A date's parts as numbers a model can use: weekday counts from Monday = 0, epoch is seconds since 1970.
const DATE_PARTS: [(&str, DatePart); 6] = {
    use chrono::{Datelike, Timelike};
    [
        ("year", |t| f64::from(t.year())),
        ("month", |t| f64::from(t.month())),
        ("day", |t| f64::from(t.day())),
        ("weekday", |t| f64::from(t.weekday().num_days_from_monday())),
        ("hour", |t| f64::from(t.hour())),
        ("epoch", |t| t.and_utc().timestamp() as f64),
    ]
};

/// Column `c` of a table at `rows`, read as `kind` (`why`: where that kind came from).
struct Cells<'a> {
    path: &'a Path,
    table: &'a TextTable,
    c: usize,
    rows: &'a [usize],
    kind: Kind,
    why: &'a str,
}

impl Cells<'_> {
    /// The cells parsed (`missing` for a missing cell); a cell that does not parse is an error naming
    /// its place.
    fn parse<T: Clone>(
        &self,
        missing: T,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, InputError> {
        let (table, kind) = (self.table, self.kind);
        let name = &table.names[self.c];
        let cells = &table.columns[self.c];
        let expected = match kind {
            Kind::Boolean => "true/false or yes/no",
            Kind::Date => "a date (YYYY-MM-DD, optionally with a time)",
            _ => "a finite number",
        };
        self.rows
            .iter()
            .map(|&r| {
                let cell = cells.get(r);
                if is_missing(cell) {
                    return Ok(missing.clone());
                }
                parse(cell).ok_or_else(|| {
                    // A table read through a trained model's schema cannot change the column's kind.
                    let remedy = if self.why == WHY {
                        "correct the cell, or empty it to have the model treat it as a missing value".to_string()
                    } else {
                        format!("set `columns: {{{name}: category}}` under `data:` to read it as text")
                    };
                    InputError::new(format!(
                        "{}: {}, column `{name}`: `{cell}` is not {expected}; the column is read as {} ({}); {remedy}",
                        self.path.display(),
                        table.place(r),
                        kind.name(),
                        self.why,
                    ))
                })
            })
            .collect()
    }

    fn dates(&self) -> Result<Vec<Option<chrono::NaiveDateTime>>, InputError> {
        self.parse(None, |cell| parse_date(cell).map(Some))
    }
}

fn date_features(
    name: &str,
    stamps: &[Option<chrono::NaiveDateTime>],
    parts: &[String],
) -> Vec<Feature> {
    parts
        .iter()
        .filter_map(|part| DATE_PARTS.iter().find(|(p, _)| p == part))
        .map(|(part, f)| Feature {
            name: format!("{name}.{part}"),
            values: FeatureValues::Numeric(
                stamps
                    .iter()
                    .map(|t| t.as_ref().map_or(f64::NAN, f))
                    .collect(),
            ),
        })
        .collect()
}

impl InputColumn {
    /// Reads column `c` of the training table at `rows` as `kind`, fixing its coding from them: a
    /// category's levels, a date's parts that vary (an hour in a dates-only column is left out).
    /// `None` for IDs and dropped columns.
    pub fn fit(
        path: &Path,
        table: &TextTable,
        c: usize,
        kind: Kind,
        why: &str,
        rows: &[usize],
    ) -> Result<Option<(InputColumn, Vec<Feature>)>, InputError> {
        let name = table.names[c].clone();
        let coding = match kind {
            Kind::Id | Kind::Drop => return Ok(None),
            Kind::Number => Coding::Number,
            Kind::Boolean => Coding::Boolean,
            Kind::Date => {
                let cells = Cells {
                    path,
                    table,
                    c,
                    rows,
                    kind,
                    why,
                };
                let stamps = cells.dates()?;
                let all: Vec<String> = DATE_PARTS.iter().map(|(p, _)| p.to_string()).collect();
                let varying: Vec<Feature> = date_features(&name, &stamps, &all)
                    .into_iter()
                    .filter(|f| match &f.values {
                        FeatureValues::Numeric(v) => {
                            let first = v.iter().find(|x| !x.is_nan());
                            v.iter().any(|x| !x.is_nan() && Some(x) != first)
                        }
                        FeatureValues::Categorical { .. } => true,
                    })
                    .collect();
                let parts = varying
                    .iter()
                    .map(|f| f.name[name.len() + 1..].to_string())
                    .collect();
                return Ok(Some((
                    InputColumn {
                        name,
                        coding: Coding::Date { parts },
                    },
                    varying,
                )));
            }
            Kind::Category => {
                let cells = &table.columns[c];
                let mut levels: Vec<&str> = rows
                    .iter()
                    .map(|&r| cells.get(r))
                    .filter(|c| !is_missing(c))
                    .collect();
                levels.sort_unstable();
                levels.dedup();
                Coding::Category {
                    levels: levels.into_iter().map(String::from).collect(),
                }
            }
        };
        let column = InputColumn { name, coding };
        let features = column.read(path, table, c, rows, why)?;
        Ok(Some((column, features)))
    }

    /// The features of column `c` of `table` at `rows`, coded as in training.
    pub fn read(
        &self,
        path: &Path,
        table: &TextTable,
        c: usize,
        rows: &[usize],
        why: &str,
    ) -> Result<Vec<Feature>, InputError> {
        let cells = Cells {
            path,
            table,
            c,
            rows,
            kind: self.coding.kind(),
            why,
        };
        let one = |values| {
            vec![Feature {
                name: self.name.clone(),
                values,
            }]
        };
        Ok(match &self.coding {
            Coding::Number => one(FeatureValues::Numeric(cells.parse(f64::NAN, parse_number)?)),
            Coding::Boolean => one(FeatureValues::Numeric(
                cells.parse(f64::NAN, |cell| parse_bool(cell).map(f64::from))?,
            )),
            Coding::Date { parts } => date_features(&self.name, &cells.dates()?, parts),
            Coding::Category { levels } => {
                let cells = &table.columns[c];
                let codes = rows
                    .iter()
                    .map(|&r| {
                        let cell = cells.get(r);
                        if is_missing(cell) {
                            MISSING_CODE
                        } else {
                            levels
                                .binary_search_by(|l| l.as_str().cmp(cell))
                                .map_or(UNSEEN_CODE, |i| i as u32)
                        }
                    })
                    .collect();
                one(FeatureValues::Categorical {
                    codes,
                    levels: levels.clone(),
                })
            }
        })
    }
}

/// What a fitted model reads from a table: its input columns and coding, and its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSchema {
    pub columns: Vec<InputColumn>,
    pub target: String,
    pub task: Task,
    /// The original text of each class, by class index; empty for regression.
    pub class_labels: Vec<String>,
    /// The training file's delimiter, when the sweep file gave one.
    pub delimiter: Option<u8>,
}

/// Where a later table holds the schema's columns.
pub struct Located {
    /// Position of each input column, in schema order.
    pub positions: Vec<usize>,
    /// Position of the target column, when the table has it.
    pub target: Option<usize>,
    /// Columns the model does not read.
    pub ignored: Vec<String>,
}

const WHY: &str = "as in the training data";

impl InputSchema {
    /// The shape of each feature the schema's columns yield (what a fitted pipeline reads), or why
    /// a schema read from a model file cannot be applied: category levels must be strictly sorted
    /// (cells are looked up by binary search), date parts known and distinct, class labels present
    /// exactly for a classification target.
    pub fn feature_shapes(&self) -> Result<Vec<FeatureShape>, String> {
        match self.task {
            Task::Classification if self.class_labels.len() < 2 => {
                return Err("a classification model with fewer than 2 class labels".into())
            }
            Task::Regression if !self.class_labels.is_empty() => {
                return Err("a regression model with class labels".into())
            }
            _ => {}
        }
        let mut shapes = Vec::new();
        for column in &self.columns {
            let bad = |what: &str| Err(format!("column `{}`: {what}", column.name));
            match &column.coding {
                Coding::Number | Coding::Boolean => shapes.push(FeatureShape::Numeric),
                Coding::Category { levels } => {
                    if levels.windows(2).any(|w| w[0] >= w[1]) {
                        return bad("its categories are not in sorted order");
                    }
                    shapes.push(FeatureShape::Categorical {
                        levels: levels.len(),
                    });
                }
                Coding::Date { parts } => {
                    for (i, part) in parts.iter().enumerate() {
                        if !DATE_PARTS.iter().any(|(p, _)| p == part) || parts[..i].contains(part) {
                            return bad("its date parts are unknown or repeated");
                        }
                        shapes.push(FeatureShape::Numeric);
                    }
                }
            }
        }
        Ok(shapes)
    }

    /// Finds the input columns in a table's header; a missing one is an error naming it.
    pub fn locate(&self, path: &Path, names: &[String]) -> Result<Located, InputError> {
        let position: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .rev()
            .map(|(c, n)| (n.as_str(), c))
            .collect();
        let positions = self
            .columns
            .iter()
            .map(|column| {
                position.get(column.name.as_str()).copied().ok_or_else(|| {
                    let needed: Vec<String> = self
                        .columns
                        .iter()
                        .map(|c| format!("`{}`", shortened(&c.name)))
                        .collect();
                    InputError::new(format!(
                        "{}: no column `{}`, which the model reads (as a {}); the model needs every column it \
                         was trained on: {}; this file has, closest first: {}",
                        path.display(),
                        shortened(&column.name),
                        column.coding.kind().name(),
                        closest_names("", needed.iter().map(String::as_str)),
                        closest_names(&column.name, names.iter().map(String::as_str))
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let target = names.iter().position(|n| *n == self.target);
        let read: std::collections::HashSet<usize> = positions.iter().copied().collect();
        let ignored = (0..names.len())
            .filter(|c| !read.contains(c) && Some(*c) != target)
            .map(|c| names[c].clone())
            .collect();
        Ok(Located {
            positions,
            target,
            ignored,
        })
    }

    /// Every feature of `rows` of `table`, in training order.
    pub fn features(
        &self,
        path: &Path,
        table: &TextTable,
        at: &Located,
        rows: &[usize],
    ) -> Result<Vec<Feature>, InputError> {
        table.refuse_nested(path, &at.positions)?;
        let mut features = Vec::new();
        for (column, &c) in self.columns.iter().zip(&at.positions) {
            features.extend(column.read(path, table, c, rows, WHY)?);
        }
        Ok(features)
    }

    /// The target of a table that has it, over the rows with a target value (returned with them):
    /// classes must be ones training saw.
    pub fn targets(
        &self,
        path: &Path,
        table: &TextTable,
        at: &Located,
    ) -> Result<(OwnedTargets, Vec<usize>), InputError> {
        let c = at.target.ok_or_else(|| {
            InputError::new(format!(
                "{}: no target column `{}`; a test set needs it to be scored",
                path.display(),
                self.target
            ))
        })?;
        let cells = &table.columns[c];
        let rows: Vec<usize> = (0..table.n_rows())
            .filter(|&r| !is_missing(cells.get(r)))
            .collect();
        let bad = |r: usize, expected: String| {
            InputError::new(format!(
                "{}: {}, column `{}`: `{}` {expected}",
                path.display(),
                table.place(r),
                self.target,
                cells.get(r)
            ))
        };
        match self.task {
            Task::Regression => {
                let values = rows
                    .iter()
                    .map(|&r| {
                        parse_number(cells.get(r))
                            .ok_or_else(|| bad(r, "is not a number; the target is numeric".into()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((Targets::Values(Array1::from(values)), rows))
            }
            Task::Classification => {
                let numeric: Option<Vec<f64>> =
                    self.class_labels.iter().map(|l| parse_number(l)).collect();
                let class_of = |cell: &str| match &numeric {
                    Some(values) => {
                        parse_number(cell).and_then(|v| values.iter().position(|&l| l == v))
                    }
                    None => self.class_labels.iter().position(|l| l == cell),
                };
                let y = rows
                    .iter()
                    .map(|&r| {
                        class_of(cells.get(r)).ok_or_else(|| {
                            bad(
                                r,
                                format!(
                                    "is not a class the training data has ({})",
                                    self.class_labels.join(", ")
                                ),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((
                    Targets::Classes {
                        y: Array1::from(y),
                        n_classes: self.class_labels.len(),
                    },
                    rows,
                ))
            }
        }
    }
}
