//! Continuing and checking finished work: `sweep resume DIR` picks up a killed or interrupted run,
//! `sweep rerun DIR` runs it again from its manifest and checks every metric matches bit for bit.

use crate::config::{Execution, Sweep};
use crate::error::InputError;
use crate::evaluate::Context;
use crate::expand::{fingerprint, key_hash, TrialStream};
use crate::results::{self, Layout, TrialsTable};
use crate::run::{execute_trials, read_manifest, run_fresh, Manifest, Overrides};
use anyhow::{Context as _, Result};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct ResumeRequest {
    pub dir: PathBuf,
    pub overrides: Overrides,
    pub retry_failed: bool,
    pub force: bool,
    pub quiet: bool,
}

/// The sweep a results folder ran: its original file if it is still there (so edits are noticed),
/// else the snapshot in the folder; with the execution settings the run used.
fn recorded_sweep(dir: &Path, manifest: &serde_json::Value) -> Result<Sweep> {
    let source = manifest["config_file"]
        .as_str()
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join(results::CONFIG));
    let text = std::fs::read_to_string(&source)
        .or_else(|_| std::fs::read_to_string(dir.join(results::CONFIG)))
        .with_context(|| {
            format!(
                "{}: cannot read the sweep file or its snapshot",
                dir.display()
            )
        })?;
    let mut sweep = Sweep::parse(&source, &text)?;
    if let Ok(execution) =
        serde_json::from_value::<Execution>(manifest["sweep"]["execution"].clone())
    {
        sweep.execution = execution;
    }
    Ok(sweep)
}

pub fn resume(request: &ResumeRequest) -> Result<()> {
    let dir = &request.dir;
    let _lock = results::lock_run_dir(dir)?;
    let manifest = read_manifest(dir)?;
    let mut sweep = recorded_sweep(dir, &manifest)?;
    request.overrides.apply(&mut sweep)?;
    let ctx = Arc::new(Context::prepare(sweep)?);
    // One pass over the expansion gives the trial set, its size and its fingerprint.
    let wanted: HashSet<u64> = TrialStream::new(&ctx.sweep)
        .map(|t| key_hash(&t.key))
        .collect();
    let (total, fingerprint) = fingerprint(wanted.iter().copied());

    let mut changes = Vec::new();
    let data_changed = manifest["data"]["sha256"] != ctx.dataset.hash.as_str();
    if data_changed {
        changes.push(format!(
            "the data file {} changed (other sha256)",
            ctx.dataset.path.display()
        ));
    }
    if manifest["trials"]["keys_fingerprint"] != fingerprint.as_str() {
        changes.push(format!(
            "the sweep now expands to other trials ({total} now, {} before)",
            manifest["trials"]["total"]
        ));
    }
    if !changes.is_empty() && !request.force {
        return Err(InputError::new(format!(
            "{}: the sweep changed since this run started: {}; use --force to keep the finished trials that still \
             match and run the rest, or start a new run with another --out",
            dir.display(),
            changes.join("; ")
        ))
        .into());
    }

    let trials_path = dir.join(results::TRIALS);
    if trials_path.exists() {
        results::drop_torn_tail(&trials_path)?;
    }
    let table = if trials_path.exists() {
        TrialsTable::read(&trials_path)?
    } else {
        TrialsTable {
            header: Layout::new(&ctx).header(),
            rows: Vec::new(),
        }
    };
    let (key_col, status_col) = (table.column("key"), table.column("status"));
    let keep = |row: &Vec<String>| {
        let key = key_col.map_or("", |c| row[c].as_str());
        let status = status_col.map_or("", |c| row[c].as_str());
        !data_changed
            && wanted.contains(&key_hash(key))
            && !(request.retry_failed && status != "ok")
    };
    let kept: Vec<Vec<String>> = table.rows.iter().filter(|r| keep(r)).cloned().collect();
    let header = Layout::new(&ctx).header();
    if kept.len() != table.rows.len() || table.header != header {
        let kept = TrialsTable {
            header: table.header.clone(),
            rows: kept.clone(),
        };
        results::rewrite_trials(dir, &kept.relayout(header))?;
    }
    let done: HashSet<u64> = kept
        .iter()
        .filter_map(|r| key_col.map(|c| key_hash(&r[c])))
        .collect();
    let finished = done.len();
    if !request.quiet {
        eprintln!(
            "resuming {}: {finished} of {total} trials done, {} to run",
            dir.display(),
            total - finished
        );
    }
    let remaining = TrialStream::new(&ctx.sweep).filter(move |t| !done.contains(&key_hash(&t.key)));
    let manifest = Manifest::new(&ctx, total, fingerprint, Some(&manifest));
    execute_trials(
        &ctx,
        Box::new(remaining),
        finished,
        dir,
        manifest,
        request.quiet,
    )
}

pub struct RerunRequest {
    pub dir: PathBuf,
    pub out: Option<PathBuf>,
    pub overrides: Overrides,
    pub quiet: bool,
}

/// Columns that legitimately differ between two runs of the same sweep.
const RUN_SPECIFIC: [&str; 5] = [
    "trial",
    "mean_fit_time",
    "mean_score_time",
    "backend",
    "worker",
];

pub fn rerun(request: &RerunRequest) -> Result<()> {
    let manifest = read_manifest(&request.dir)?;
    let mut sweep: Sweep = serde_json::from_value(manifest["sweep"].clone()).map_err(|e| {
        InputError::new(format!(
            "{}: manifest has no usable `sweep`: {e}",
            request.dir.display()
        ))
    })?;
    request.overrides.apply(&mut sweep)?;
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| results::default_out_dir(&format!("{}-rerun", sweep.name)));
    let ctx = Arc::new(Context::prepare(sweep)?);
    if manifest["data"]["sha256"] != ctx.dataset.hash.as_str() {
        eprintln!(
            "warning: {} changed since the original run; metrics cannot match",
            ctx.dataset.path.display()
        );
    }
    let snapshot = std::fs::read(request.dir.join(results::CONFIG))
        .with_context(|| format!("{}: cannot read its config.yaml", request.dir.display()))?;
    run_fresh(&ctx, &out, &snapshot, request.quiet)?;
    let before = TrialsTable::read(&request.dir.join(results::TRIALS))?;
    let after = TrialsTable::read(&out.join(results::TRIALS))?;
    let differences = compare(&before, &after);
    if differences.is_empty() {
        crate::report::say(&format!(
            "rerun matches: all {} trials have bit-identical metrics\n",
            after.rows.len()
        ));
        Ok(())
    } else {
        for d in differences.iter().take(20) {
            eprintln!("  {d}");
        }
        anyhow::bail!(
            "rerun differs from {} in {} places (first ones above)",
            request.dir.display(),
            differences.len()
        )
    }
}

/// Every difference between two trials tables, by trial key and column, ignoring run-specific columns.
pub fn compare(before: &TrialsTable, after: &TrialsTable) -> Vec<String> {
    let by_key = |t: &TrialsTable| -> BTreeMap<String, BTreeMap<String, String>> {
        let key = t.column("key").unwrap_or(0);
        t.rows
            .iter()
            .map(|r| {
                let cells = t
                    .header
                    .iter()
                    .zip(r)
                    .filter(|(h, _)| !RUN_SPECIFIC.contains(&h.as_str()))
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
