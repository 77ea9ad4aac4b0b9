//! `sweep rerun DIR`: run a finished run again from the sweep its manifest records, into a new folder,
//! and check every metric of every trial matches bit for bit.

use crate::error::{Failure, InputError};
use crate::evaluate::Evaluator;
use crate::report::say;
use crate::results::columns::{KEY, RUN_SPECIFIC, TRIAL};
use crate::results::manifest::Manifest;
use crate::results::trials::{Layout, TrialsTable};
use crate::results::{default_out_dir, TRIALS};
use crate::session::{run_fresh, Output};
use crate::spec::{ExecutionOverrides, Plan, PlanRequest};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct RerunArgs {
    /// The results folder of the finished run to repeat.
    pub dir: PathBuf,
    /// Folder for the new run [default: results/<name>-rerun-<timestamp>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub execution: ExecutionOverrides,
    /// No progress display and no final table.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn rerun(args: RerunArgs) -> Result<(), Failure> {
    let dir = &args.dir;
    let manifest = Manifest::read(dir)?;
    let plan = Plan::build(PlanRequest {
        sweep: manifest.recorded_sweep(dir)?,
        overrides: manifest.execution.then(&args.execution),
        shard: manifest.shard,
    })?;
    // The record to compare against is checked before anything runs.
    let recorded_path = dir.join(TRIALS);
    let before = TrialsTable::read(&recorded_path).map_err(|e| {
        InputError::new(format!(
            "{}: cannot read the recorded trials: {e:#}",
            recorded_path.display()
        ))
    })?;
    let problems = before.shape_problems(&Layout::new(plan.space()).header());
    if !problems.is_empty() {
        return Err(InputError::new(format!(
            "{}: not a complete record of this run to compare against: {}",
            recorded_path.display(),
            problems.join("; ")
        ))
        .into());
    }
    if manifest.data.sha256 != plan.data().dataset().hash {
        eprintln!(
            "warning: {} changed since the original run; metrics cannot match",
            plan.data().dataset().path.display()
        );
    }
    let out = args
        .out
        .unwrap_or_else(|| default_out_dir(&format!("{}-rerun", plan.name())));
    run_fresh(
        Evaluator::new(plan),
        &out,
        Output {
            quiet: args.quiet,
            report: true,
        },
    )?;
    let after = TrialsTable::read(&out.join(TRIALS))?;
    let differences = compare(&before, &after);
    if differences.is_empty() {
        say(&format!(
            "rerun matches: {} bit-identical metrics\n",
            match after.rows.len() {
                1 => "the 1 trial has".to_string(),
                n => format!("all {n} trials have"),
            }
        ));
        Ok(())
    } else {
        for d in differences.iter().take(20) {
            eprintln!("  {d}");
        }
        Err(anyhow::anyhow!(
            "rerun differs from {} in {} places (first ones above)",
            dir.display(),
            differences.len()
        )
        .into())
    }
}

/// Every difference between two trials tables, by trial key and column, ignoring run-specific columns.
pub fn compare(before: &TrialsTable, after: &TrialsTable) -> Vec<String> {
    let by_key = |t: &TrialsTable| -> BTreeMap<String, BTreeMap<String, String>> {
        let key = t.column(KEY).unwrap_or(0);
        t.rows
            .iter()
            .map(|r| {
                let cells = t
                    .header
                    .iter()
                    .zip(r)
                    .filter(|(h, _)| h.as_str() != TRIAL && !RUN_SPECIFIC.contains(&h.as_str()))
                    .map(|(h, v)| (h.clone(), v.clone()))
                    .collect();
                (r[key].clone(), cells)
            })
            .collect()
    };
    let (a, b) = (by_key(before), by_key(after));
    let mut out = Vec::new();
    for (key, cells) in &a {
        match b.get(key) {
            None => out.push(format!("{key}: missing from the rerun")),
            Some(other) => {
                for (column, value) in cells {
                    let new = other.get(column).map_or("(no column)", String::as_str);
                    if new != value {
                        out.push(format!("{key}: {column} was {value}, now {new}"));
                    }
                }
            }
        }
    }
    out.extend(
        b.keys()
            .filter(|k| !a.contains_key(*k))
            .map(|k| format!("{k}: only in the rerun")),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[[&str; 4]]) -> TrialsTable {
        TrialsTable {
            header: ["key", "mean_test_accuracy", "mean_fit_time", "worker"]
                .map(String::from)
                .to_vec(),
            rows: rows.iter().map(|r| r.map(String::from).to_vec()).collect(),
        }
    }

    #[test]
    fn compare_ignores_times_and_workers_but_not_metrics() {
        let a = table(&[["a", "0.9", "0.1", "10"], ["b", "0.8", "0.1", "10"]]);
        let same = table(&[["b", "0.8", "0.3", "12"], ["a", "0.9", "0.2", "11"]]);
        assert!(compare(&a, &same).is_empty());
        let other = table(&[
            ["a", "0.9000000000000001", "0.1", "10"],
            ["c", "0.8", "0.1", "10"],
        ]);
        let d = compare(&a, &other);
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d[0].starts_with("a: mean_test_accuracy was 0.9"));
    }
}
