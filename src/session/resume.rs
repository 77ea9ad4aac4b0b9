//! Continuing a killed or interrupted run in its folder (`sweep resume`, and `sweep run --shard` on a
//! shard that started before): finished trials are kept and not run again.

use super::{run_trials, Output, Resumption};
use crate::error::{Failure, InputError};
use crate::evaluate::Evaluator;
use crate::evaluate::Status;
use crate::expand::{count_and_fingerprint, fingerprint, key_hashes, Trial};
use crate::metrics::Metric;
use crate::report::{better_best, Best};
use crate::results::columns::TrialColumns;
use crate::results::leaderboard::{Contender, Standings};
use crate::results::lock::lock_run_dir;
use crate::results::manifest::Manifest;
use crate::results::trials::{
    drop_torn_tail, recorded_trial, recorded_trials, rewrite_trials, Layout, TrialsTable,
};
use crate::results::{CONFIG, TRIALS};
use crate::seed::key_hash;
use crate::spec::{ExecutionOverrides, Plan, PlanRequest, SweepText};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

/// How to continue: which finished trials to run again, what to accept, and with what settings.
pub struct ResumeOptions {
    /// Run failed, crashed and timed-out trials again too.
    pub retry_failed: bool,
    /// Resume although the sweep or its data changed, keeping the finished trials that still match.
    pub force: bool,
    pub execution: ExecutionOverrides,
    pub output: Output,
}

/// The sweep a results folder ran: its original file if it is still there (so edits are noticed),
/// else the snapshot in the folder, else the copy in the manifest.
fn recorded_sweep(dir: &Path, manifest: &Manifest) -> Result<SweepText, InputError> {
    if let Ok(original) = SweepText::read(&manifest.config_file) {
        return Ok(original);
    }
    let snapshot = dir.join(CONFIG);
    match std::fs::read_to_string(&snapshot) {
        Ok(text) => Ok(SweepText {
            origin: snapshot,
            text,
            base_dir: manifest.sweep_base_dir(dir),
            in_manifest: false,
        }),
        Err(_) => manifest.recorded_sweep(dir),
    }
}

pub fn resume(dir: &Path, args: ResumeOptions) -> Result<(), Failure> {
    if !dir.is_dir() {
        return Err(InputError::new(format!(
            "{}: no such results folder; give the folder a `sweep run --out` wrote",
            dir.display()
        ))
        .into());
    }
    let _lock = lock_run_dir(dir)?;
    let manifest = Manifest::read(dir)?;
    let plan = Plan::build(PlanRequest {
        sweep: recorded_sweep(dir, &manifest)?,
        overrides: manifest.execution.then(&args.execution),
        shard: manifest.shard,
    })?;
    let adaptive = plan.space().search().is_adaptive();
    if adaptive && args.retry_failed {
        return Err(InputError::new(format!(
            "{}: --retry-failed cannot be used with `strategy: {}`: later trials were proposed knowing \
             those failed; start a new run with another --out instead",
            dir.display(),
            plan.space().search().name()
        ))
        .into());
    }
    // One pass over the expansion gives the trial set, its size and its fingerprint; an adaptive
    // search's trials are not known in advance, so its recorded rows are all kept.
    let (wanted, total, fingerprint) = if adaptive {
        let (total, fingerprint) = count_and_fingerprint(plan.space())?;
        (None, total, fingerprint)
    } else {
        let wanted: HashSet<u64> = key_hashes(plan.space())?.into_iter().collect();
        let (total, fingerprint) = fingerprint(wanted.iter().copied());
        (Some(wanted), total, fingerprint)
    };

    let mut changes = Vec::new();
    let data_changed = manifest.data.sha256 != plan.data().dataset().hash;
    if data_changed {
        changes.push(format!(
            "the data file {} changed (other sha256)",
            plan.data().dataset().path.display()
        ));
    }
    if manifest.trials.keys_fingerprint != fingerprint {
        changes.push(format!(
            "the sweep now expands to other trials ({total} now, {} before)",
            manifest.trials.total
        ));
    }
    if !changes.is_empty() && adaptive && args.force {
        return Err(InputError::new(format!(
            "{}: the sweep changed since this run started: {}; the trials of `strategy: {}` depend on \
             each other, so none can be kept; start a new run with another --out",
            dir.display(),
            changes.join("; "),
            plan.space().search().name()
        ))
        .into());
    }
    if !changes.is_empty() && !args.force {
        return Err(InputError::new(format!(
            "{}: the sweep changed since this run started: {}; use --force to keep the finished trials that still \
             match and run the rest, or start a new run with another --out",
            dir.display(),
            changes.join("; ")
        ))
        .into());
    }

    let layout = Layout::new(plan.space());
    let trials_path = dir.join(TRIALS);
    let mut table = if trials_path.exists() {
        drop_torn_tail(&trials_path)?;
        TrialsTable::read(&trials_path)?
    } else {
        TrialsTable {
            header: layout.header(),
            rows: Vec::new(),
        }
    };
    let before = table.rows.len();
    let duplicates = table.drop_duplicate_keys();
    if !duplicates.is_empty() {
        eprintln!(
            "warning: {}: {} trial(s) appear more than once (first: {}); keeping the first row of each",
            trials_path.display(),
            duplicates.len(),
            duplicates[0]
        );
    }
    let columns = TrialColumns::resolve(&table.header)
        .map_err(|e| InputError::new(format!("{}: {e}", trials_path.display())))?;
    let keep = |row: &Vec<String>| {
        !data_changed
            && wanted
                .as_ref()
                .is_none_or(|w| w.contains(&key_hash(columns.key(row))))
            && !(args.retry_failed && columns.status(row) != Some(Status::Ok))
    };
    table.rows.retain(keep);
    let header = layout.header();
    if table.rows.len() != before || table.header != header {
        rewrite_trials(dir, &table.relayout(header))?;
    }
    let best = best_recorded(&table, &columns, plan.space().primary());
    let recorded = if adaptive || plan.space().prune().is_some() {
        recorded_trials(&table, plan.space())
            .map_err(|e| InputError::new(format!("{}: {e:#}", dir.display())))?
    } else {
        Vec::new()
    };
    let standings = standings_of(&table, &columns, &plan)
        .map_err(|e| InputError::new(format!("{}: {e:#}", dir.display())))?;
    let skip: HashSet<u64> = table
        .rows
        .iter()
        .map(|r| key_hash(columns.key(r)))
        .collect();
    let finished = table.rows.len();
    if !args.output.quiet {
        eprintln!(
            "resuming {}: {finished} of {total} trials done, {} to run",
            dir.display(),
            total - finished
        );
    }
    let manifest = Manifest::new(&plan, total, fingerprint, Some(&manifest));
    let evaluator = Arc::new(Evaluator::new(plan));
    Ok(run_trials(
        &evaluator,
        Resumption {
            recorded,
            skip,
            standings,
        },
        finished,
        best,
        dir,
        manifest,
        args.output,
    )?)
}

/// The best of each family among the finished trials kept, as the refit chooses from them.
fn standings_of(
    table: &TrialsTable,
    columns: &TrialColumns,
    plan: &Plan,
) -> anyhow::Result<Standings> {
    let mut standings = Standings::new(plan.space().primary());
    for row in &table.rows {
        let Some(score) = columns.score(row, plan.space().primary()) else {
            continue;
        };
        let rung = columns.rung(row).unwrap_or(0);
        if !standings.would_take(columns.model(row), rung, score, columns.key(row)) {
            continue;
        }
        let recorded = recorded_trial(columns, row, plan.space())?;
        let mut trial = Trial::new(
            plan.space(),
            recorded.index,
            recorded.past.entry,
            recorded.past.params,
        );
        trial.key = recorded.past.key;
        standings.offer(Contender {
            rung,
            score,
            trial,
            cv: columns.means(row),
        });
    }
    Ok(standings)
}

/// The best primary score among the finished trials kept, so progress shows the run's best so far.
fn best_recorded(table: &TrialsTable, columns: &TrialColumns, primary: Metric) -> Best {
    table
        .rows
        .iter()
        .filter_map(|r| Some((columns.score(r, primary)?, columns.key(r))))
        .fold(None, |best, (score, key)| {
            better_best(best, score, key, primary)
        })
}
