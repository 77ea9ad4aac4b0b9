//! `sweep inspect DATA [--target T]`: what `sweep` reads in a table: each column's inferred kind,
//! missing and distinct counts and how it will be used, with the warnings a sweep would print.

use crate::data::infer::{looks_like_id, profile, stray_warning, Kind};
use crate::data::read::read_table;
use crate::data::{read_regular_file, ColumnReport, DataSpec, Dataset};
use crate::error::{shortened, Failure};
use crate::report::{say, warn};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct InspectArgs {
    /// The table: CSV (any common delimiter), .csv.gz or Parquet.
    pub data: PathBuf,
    /// The column to predict; with it, the task, dropped rows and leak warnings are shown too.
    #[arg(long)]
    pub target: Option<String>,
}

pub fn inspect(args: InspectArgs) -> Result<(), Failure> {
    let path = std::path::absolute(&args.data).unwrap_or(args.data.clone());
    let (columns, rows, notes) = match &args.target {
        Some(target) => {
            let dataset = Dataset::load(&DataSpec {
                path: path.clone(),
                target: target.clone(),
                task: None,
                task_hint: None,
                features: None,
                drop: Vec::new(),
                columns: Vec::new(),
                delimiter: None,
            })?;
            let rows = format!(
                "{} used ({} without a target left out), {} after typing, task: {}",
                crate::error::count(dataset.n_rows(), "row"),
                dataset.dropped_rows,
                crate::error::count(dataset.features.len(), "feature"),
                dataset.task()
            );
            (dataset.columns, rows, dataset.warnings)
        }
        None => {
            let bytes = read_regular_file(&path, "data file")?;
            let table = read_table(&path, bytes, None)?;
            let mut notes = Vec::new();
            let columns = table
                .names
                .iter()
                .zip(&table.columns)
                .map(|(name, cells)| {
                    let seen = profile(cells);
                    let id = looks_like_id(name, &seen, cells);
                    if let (false, Some(stray)) = (id, &seen.stray) {
                        notes.push(stray_warning(name, stray, &table.place(stray.row)));
                    }
                    ColumnReport {
                        name: name.clone(),
                        kind: if id { Kind::Id } else { seen.kind },
                        overridden: false,
                        missing: seen.missing,
                        distinct: seen.distinct,
                        role: if id {
                            "left out: looks like an ID".to_string()
                        } else {
                            "feature (give --target to see the rest)".to_string()
                        },
                    }
                })
                .collect();
            (columns, format!("{} rows", table.n_rows()), notes)
        }
    };
    let names: Vec<String> = columns.iter().map(|c| shortened(&c.name)).collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut text = format!(
        "{}: {rows}\n{:<width$}  {:<9} {:>8} {:>9}  use\n",
        path.display(),
        "column",
        "kind",
        "missing",
        "distinct"
    );
    for (c, name) in columns.iter().zip(&names) {
        text.push_str(&format!(
            "{:<width$}  {:<9} {:>8} {:>9}  {}\n",
            name,
            c.kind.name(),
            c.missing,
            c.distinct,
            c.role
        ));
    }
    say(&text);
    warn(&notes);
    Ok(())
}
