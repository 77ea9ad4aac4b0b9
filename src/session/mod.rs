//! A session of trials into a results folder, shared by `run`, `resume` and `rerun`: record the
//! manifest, run the trials on the plan's backend writing each row as it finishes, then rank, refit
//! and save the chosen models ([`refit`]; not for a shard), finish the manifest, write report.html
//! and print the summary. [`resume`] continues a run that stopped (also a shard run again).

pub mod refit;
pub mod resume;

use crate::error::{InputError, Interrupted};
use crate::evaluate::{Evaluator, Status, TrialRecord};
use crate::execute::{self, Ending, Flow};
use crate::expand::{count_and_fingerprint, TrialStream};
use crate::models::pool_work;
use crate::report::{say, top_table, Best, Progress};
use crate::results::leaderboard::{write_leaderboard, Standings};
use crate::results::lock::lock_run_dir;
use crate::results::manifest::{Manifest, RunStatus};
use crate::results::trials::{Layout, TrialsWriter};
use crate::results::{write_atomic, CONFIG, TRIALS};
use crate::search::{self, Budgeted, Recorded};
use crate::spec::Search;
use anyhow::Result;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// What a session shows: the progress display and final table (unless quiet), and whether it writes
/// report.html at the end.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Output {
    /// No progress display and no final table.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not write report.html at the end.
    #[arg(long = "no-report", action = clap::ArgAction::SetFalse)]
    pub report: bool,
}

/// Runs every trial of a plan into a new results folder.
pub fn run_fresh(evaluator: Evaluator, out: &Path, output: Output) -> Result<()> {
    let plan = &evaluator.plan;
    let (total, fingerprint) = count_and_fingerprint(plan.space())?;
    let _lock = lock_run_dir(out)?;
    refuse_existing_run(out)?;
    // The manifest comes first: a folder that has one can always be resumed.
    let mut manifest = Manifest::new(plan, total, fingerprint, None);
    manifest.write(out, RunStatus::Running)?;
    let snapshot = if plan.request().sweep.in_manifest {
        serde_json::to_string_pretty(&plan.as_written())?
    } else {
        plan.request().sweep.text.clone()
    };
    write_atomic(&out.join(CONFIG), snapshot.as_bytes())?;
    let resumption = Resumption::none(plan);
    let evaluator = Arc::new(evaluator);
    run_trials(&evaluator, resumption, 0, None, out, manifest, output)
}

fn refuse_existing_run(out: &Path) -> Result<()> {
    if !out.join(TRIALS).exists() {
        return Ok(());
    }
    let finished = Manifest::read(out).is_ok_and(|m| m.status == RunStatus::Finished);
    let advice = if finished {
        format!(
            "it holds a finished run; choose another --out, or check it with `sweep rerun {}`",
            out.display()
        )
    } else {
        format!(
            "it holds an unfinished run; continue it with `sweep resume {}`",
            out.display()
        )
    };
    Err(InputError::new(format!("{}: {advice}", out.display())).into())
}

/// The trials a resumed run already has: replayed into an adaptive search's history, skipped (by key
/// hash) by a listed one, and the best of them per family.
pub struct Resumption {
    pub recorded: Vec<Recorded>,
    pub skip: HashSet<u64>,
    pub standings: Standings,
}

impl Resumption {
    /// A run with no trials yet.
    pub fn none(plan: &crate::spec::Plan) -> Resumption {
        Resumption {
            recorded: Vec::new(),
            skip: HashSet::new(),
            standings: Standings::new(plan.space().primary()),
        }
    }
}

/// Runs the sweep's trials into `out` (appending to its trials.csv), then ranks and reports.
/// `already_done` trials of the sweep (best of them: `best`) are in trials.csv from before. Returns
/// `Interrupted` after Ctrl-C.
pub fn run_trials(
    evaluator: &Arc<Evaluator>,
    resumption: Resumption,
    already_done: usize,
    best: Best,
    out: &Path,
    mut manifest: Manifest,
    output: Output,
) -> Result<()> {
    let quiet = output.quiet;
    let clock = Instant::now();
    let plan = &evaluator.plan;
    let ex = plan.execution();
    manifest.write(out, RunStatus::Running)?;

    let mut writer = TrialsWriter::open(
        out,
        Layout::new(plan.space()),
        manifest.epoch(),
        ex.backend.backend(),
    )?;
    let mut progress = Progress::new(
        manifest.trials.total,
        already_done,
        best,
        plan.space().primary(),
        plan.space().primary_index(),
        quiet,
    );
    if matches!(plan.space().search(), Search::Grid | Search::Random(_)) {
        let skip = &resumption.skip;
        progress.expect(
            TrialStream::new(plan.space())
                .filter(|t| !skip.contains(&crate::seed::key_hash(&t.key))),
            ex.jobs,
        );
    }
    let mut failed_here = 0;
    let lag = manifest.proposal_lag.unwrap_or(ex.jobs);
    let mut source = search::source(plan.space(), lag, resumption.recorded, resumption.skip);
    let mut standings = resumption.standings;
    // The budget is checked when a trial would start and when one finishes.
    if let Some(budget) = plan.time_budget() {
        source = Box::new(Budgeted {
            inner: source,
            clock,
            budget,
        });
    }
    let epoch = manifest.epoch();
    let mut sink = |record: TrialRecord| -> Result<Flow> {
        writer.append(&record)?;
        crate::results::pool_work::append(out, epoch, &pool_work::take())?;
        if !matches!(record.status, Status::Ok | Status::Pruned) {
            failed_here += 1;
        }
        progress.record(&record);
        standings.offer_record(&record, plan.space().metrics());
        Ok(match (ex.max_failures, plan.time_budget()) {
            (Some(limit), _) if failed_here >= limit => Flow::Stop,
            (_, Some(budget)) if clock.elapsed() >= budget => Flow::Drain,
            _ => Flow::Continue,
        })
    };
    // From here an interrupt stops the backend cleanly and is recorded, instead of exiting at once.
    crate::interrupt::record_on_interrupt();
    let cpu_before = cpu_seconds();
    let (mut ending, _) = execute::run(evaluator, source.as_mut(), ex.backend, ex.jobs, &mut sink)?;
    writer.sync()?;
    crate::results::pool_work::append(out, epoch, &pool_work::take())?;
    manifest.trials_cpu_seconds =
        Some(manifest.trials_cpu_seconds.unwrap_or(0.0) + cpu_seconds() - cpu_before);
    progress.finish();
    let baseline = manifest.baseline.clone();
    let mut board = write_leaderboard(out, plan.space().primary(), &[], baseline.as_ref())?;
    // A shard does not know the sweep's best: `sweep merge` ranks the whole sweep.
    if matches!(ending, Ending::Finished | Ending::Drained) && plan.space().shard().is_none() {
        let (models, refit_ending) = refit::refit_models(evaluator, out, &standings, quiet)?;
        if refit_ending != Ending::Finished {
            ending = refit_ending;
        }
        if models.iter().any(|m| !m.test.is_empty()) {
            board = write_leaderboard(out, plan.space().primary(), &models, baseline.as_ref())?;
        }
        manifest.models = models;
    }
    let counts = board.statuses.clone();
    manifest.finish(counts.clone(), clock.elapsed().as_secs_f64());
    let status = match ending {
        Ending::Finished => RunStatus::Finished,
        Ending::Stopped => RunStatus::Stopped,
        Ending::Drained => RunStatus::TimeBudget,
        Ending::Interrupted => RunStatus::Interrupted,
    };
    manifest.write(out, status)?;
    // The results are on disk by now: a report that cannot be drawn is a warning, not a failed run.
    let report = match (output.report, ending) {
        (false, _) | (_, Ending::Interrupted) => String::new(),
        (true, _) => match crate::report::html::write_report(out) {
            Ok(path) => format!("report: {}\n", path.display()),
            Err(e) => {
                eprintln!("warning: no report written: {e:#}");
                String::new()
            }
        },
    };

    if !quiet {
        say(&top_table(
            &board.top,
            plan.space().primary(),
            5,
            baseline.as_ref(),
        ));
        say(&refit::summary(
            &manifest.models,
            out,
            plan.space().primary(),
        ));
    }
    let pruned = if counts.pruned > 0 {
        format!(", {} pruned", counts.pruned)
    } else {
        String::new()
    };
    let summary = format!(
        "{} ok, {} failed, {} crashed, {} timed out{pruned} in {:.2}s",
        counts.ok,
        counts.failed,
        counts.crashed,
        counts.timeout,
        clock.elapsed().as_secs_f64()
    );
    match ending {
        Ending::Finished => say(&format!("{summary}\nresults: {}\n{report}", out.display())),
        Ending::Drained => say(&format!(
            "time budget {} reached: no more trials started\n{summary}\nresults: {} (run the rest with `sweep resume {}`)\n{report}",
            crate::spec::units::format_duration(plan.time_budget().unwrap_or_default()),
            out.display(),
            out.display()
        )),
        Ending::Stopped => say(&format!(
            "stopped after {failed_here} failed trials (max_failures)\n{summary}\nresults: {}\n{report}",
            out.display()
        )),
        Ending::Interrupted => {
            eprintln!(
                "interrupted: {summary}; results so far: {} (continue with `sweep resume {}`)",
                out.display(),
                out.display()
            );
            return Err(Interrupted.into());
        }
    }
    Ok(())
}

/// CPU seconds (user and system) this process and its finished child processes have used.
fn cpu_seconds() -> f64 {
    use nix::sys::resource::{getrusage, UsageWho};
    [UsageWho::RUSAGE_SELF, UsageWho::RUSAGE_CHILDREN]
        .into_iter()
        .filter_map(|who| getrusage(who).ok())
        .map(|u| {
            let seconds =
                |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 * 1e-6;
            seconds(u.user_time()) + seconds(u.system_time())
        })
        .sum()
}
