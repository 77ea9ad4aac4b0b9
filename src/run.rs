//! A sweep run from start to finish: validate, prepare, expand, execute, record, rank, report.

use crate::config::{Backend, Sweep};
use crate::error::{InputError, Interrupted};
use crate::evaluate::{Context, Status};
use crate::execute::{self, Ending, Flow, Settings, TrialSource};
use crate::expand::{count_and_fingerprint, TrialStream};
use crate::report::{top_table, Progress};
use crate::results::{self, Layout, TrialsWriter};
use anyhow::Result;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Command-line settings that override the sweep file's `execution:` section.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub backend: Option<Backend>,
    pub jobs: Option<usize>,
    pub timeout: Option<String>,
    pub memory_limit: Option<String>,
    pub max_failures: Option<usize>,
}

impl Overrides {
    pub fn apply(&self, sweep: &mut Sweep) -> Result<(), InputError> {
        let flag = |name: &str, e: String| InputError::new(format!("--{name}: {e}"));
        let ex = &mut sweep.execution;
        if let Some(b) = self.backend {
            ex.backend = b;
        }
        if let Some(j) = self.jobs {
            ex.jobs = j;
        }
        if let Some(t) = &self.timeout {
            ex.timeout = Some(crate::config::parse_duration(t).map_err(|e| flag("timeout", e))?);
        }
        if let Some(m) = &self.memory_limit {
            ex.memory_limit =
                Some(crate::config::parse_bytes(m).map_err(|e| flag("memory-limit", e))?);
        }
        if let Some(n) = self.max_failures {
            ex.max_failures = Some(n);
        }
        if ex.backend == Backend::Threads && (ex.timeout.is_some() || ex.memory_limit.is_some()) {
            return Err(InputError::new(format!(
                "{}: timeout and memory_limit need the process backend: a thread cannot be killed or capped \
                 without taking the whole sweep with it; use `--backend processes` (or `execution: {{backend: processes}}`)",
                sweep.source.display()
            )));
        }
        Ok(())
    }
}

pub struct RunRequest {
    pub sweep_file: PathBuf,
    pub out: Option<PathBuf>,
    pub overrides: Overrides,
    pub quiet: bool,
}

/// Counts of finished trials by status.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub ok: usize,
    pub failed: usize,
    pub crashed: usize,
    pub timeout: usize,
}

impl Tally {
    fn add(&mut self, status: Status) {
        match status {
            Status::Ok => self.ok += 1,
            Status::Failed => self.failed += 1,
            Status::Crashed => self.crashed += 1,
            Status::Timeout => self.timeout += 1,
        }
    }

    pub fn not_ok(&self) -> usize {
        self.failed + self.crashed + self.timeout
    }

    fn of_board(board: &results::Board) -> Tally {
        let count = |status: Status| board.statuses.get(status.name()).copied().unwrap_or(0);
        Tally {
            ok: count(Status::Ok),
            failed: count(Status::Failed),
            crashed: count(Status::Crashed),
            timeout: count(Status::Timeout),
        }
    }
}

pub fn run(request: &RunRequest) -> Result<PathBuf> {
    let text = crate::config::read_sweep_file(&request.sweep_file)?;
    let mut sweep = Sweep::parse(&request.sweep_file, &text)?;
    request.overrides.apply(&mut sweep)?;
    let ctx = Arc::new(Context::prepare(sweep)?);
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| results::default_out_dir(&ctx.sweep.name));
    run_fresh(&ctx, &out, text.as_bytes(), request.quiet)?;
    Ok(out)
}

/// Runs every trial of a prepared sweep into a new results folder, keeping `config` there as the
/// snapshot of the sweep file.
pub fn run_fresh(ctx: &Arc<Context>, out: &Path, config: &[u8], quiet: bool) -> Result<()> {
    let _lock = results::lock_run_dir(out)?;
    refuse_existing_run(out)?;
    results::write_atomic(&out.join(results::CONFIG), config)?;
    let (total, fingerprint) = count_and_fingerprint(&ctx.sweep);
    let manifest = Manifest::new(ctx, total, fingerprint, None);
    execute_trials(
        ctx,
        Box::new(TrialStream::new(&ctx.sweep)),
        0,
        out,
        manifest,
        quiet,
    )
}

fn refuse_existing_run(out: &Path) -> Result<()> {
    if !out.join(results::TRIALS).exists() {
        return Ok(());
    }
    let finished = read_manifest(out).is_ok_and(|m| m["status"] == "finished");
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

pub fn read_manifest(dir: &Path) -> Result<serde_json::Value> {
    let path = dir.join(results::MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        InputError::new(format!(
            "{}: cannot read manifest ({e}); is this a sweep results folder?",
            path.display()
        ))
    })?;
    Ok(serde_json::from_str(&text)
        .map_err(|e| InputError::new(format!("{}: invalid manifest: {e}", path.display())))?)
}

/// Runs `trials` into `out` (appending to its trials.csv), then ranks and reports.
/// `already_done` trials of the sweep are in trials.csv from before. Returns `Interrupted` after Ctrl-C.
pub fn execute_trials(
    ctx: &Arc<Context>,
    trials: TrialSource,
    already_done: usize,
    out: &Path,
    mut manifest: Manifest,
    quiet: bool,
) -> Result<()> {
    let clock = Instant::now();
    let ex = &ctx.sweep.execution;
    let settings = Settings {
        jobs: execute::resolve_jobs(ex.jobs),
        timeout: ex.timeout,
        memory_limit: ex.memory_limit,
    };
    manifest.body["jobs"] = json!(settings.jobs);
    manifest.write(out, "running")?;

    let mut writer = TrialsWriter::open(out, Layout::new(ctx))?;
    let mut progress = Progress::new(
        manifest.total(),
        already_done,
        ctx.primary,
        ctx.primary_index(),
        quiet,
    );
    let mut session = Tally::default();
    let max_failures = ex.max_failures;
    let mut sink = |record: crate::evaluate::TrialRecord| -> Result<Flow> {
        writer.append(&record)?;
        session.add(record.status);
        progress.record(&record);
        Ok(match max_failures {
            Some(limit) if session.not_ok() >= limit => Flow::Stop,
            _ => Flow::Continue,
        })
    };
    let ending = match ex.backend {
        Backend::Threads => execute::threads::run(ctx, trials, &settings, &mut sink)?,
        Backend::Processes => execute::processes::run(ctx, trials, &settings, &mut sink)?,
    };
    writer.sync()?;
    progress.finish();
    let board = results::write_leaderboard(out, ctx.primary)?;
    let tally = Tally::of_board(&board);
    manifest.finish(&tally, clock.elapsed().as_secs_f64());
    let status = match ending {
        Ending::Finished => "finished",
        Ending::Stopped => "stopped",
        Ending::Interrupted => "interrupted",
    };
    manifest.write(out, status)?;

    if !quiet {
        crate::report::say(&top_table(&board.top, ctx.primary, 5));
    }
    let summary = format!(
        "{} ok, {} failed, {} crashed, {} timed out in {:.2}s",
        tally.ok,
        tally.failed,
        tally.crashed,
        tally.timeout,
        clock.elapsed().as_secs_f64()
    );
    match ending {
        Ending::Finished => crate::report::say(&format!("{summary}\nresults: {}\n", out.display())),
        Ending::Stopped => crate::report::say(&format!(
            "stopped after {} failed trials (max_failures)\n{summary}\nresults: {}\n",
            session.not_ok(),
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

/// manifest.json: everything needed to know what ran and to run it again.
pub struct Manifest {
    pub body: serde_json::Value,
}

impl Manifest {
    /// A manifest for a new run, or for a resumed one carrying over `previous`'s history.
    pub fn new(
        ctx: &Context,
        total: usize,
        fingerprint: String,
        previous: Option<&serde_json::Value>,
    ) -> Manifest {
        let ds = &ctx.dataset;
        let now = chrono::Local::now().to_rfc3339();
        let mut body = json!({
            "tool": "sweep",
            "version": env!("CARGO_PKG_VERSION"),
            "git_revision": git_revision(ctx.sweep.source.parent().unwrap_or(Path::new("."))),
            "config_file": std::path::absolute(&ctx.sweep.source).unwrap_or_else(|_| ctx.sweep.source.clone()),
            "sweep": ctx.sweep,
            "seed": ctx.sweep.seed,
            "metric": ctx.primary,
            "task": ctx.task,
            "cv": ctx.sweep.cv.plan(ctx.task),
            "folds": ctx.n_folds(),
            "backend": ctx.sweep.execution.backend,
            "cores": execute::resolve_jobs(0),
            "started_at": now,
            "resumed_at": [],
            "data": {
                "path": ds.path,
                "rows": ds.n_rows(),
                "columns": ds.feature_names.len() + 1,
                "features": ds.feature_names,
                "sha256": ds.hash,
            },
            "trials": {"total": total, "keys_fingerprint": fingerprint},
        });
        if let Some(previous) = previous {
            body["started_at"] = previous["started_at"].clone();
            let mut resumed = previous["resumed_at"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            resumed.push(json!(now));
            body["resumed_at"] = json!(resumed);
        }
        Manifest { body }
    }

    /// Trials in the whole sweep.
    pub fn total(&self) -> usize {
        self.body["trials"]["total"].as_u64().unwrap_or(0) as usize
    }

    fn finish(&mut self, tally: &Tally, elapsed: f64) {
        self.body["finished_at"] = json!(chrono::Local::now().to_rfc3339());
        self.body["elapsed_seconds"] = json!(elapsed);
        let trials = &mut self.body["trials"];
        trials["ok"] = json!(tally.ok);
        trials["failed"] = json!(tally.failed);
        trials["crashed"] = json!(tally.crashed);
        trials["timeout"] = json!(tally.timeout);
    }

    fn write(&mut self, out: &Path, status: &str) -> Result<()> {
        self.body["status"] = json!(status);
        results::write_atomic(
            &out.join(results::MANIFEST),
            serde_json::to_string_pretty(&self.body)?.as_bytes(),
        )
    }
}

fn git_revision(dir: &Path) -> Option<String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// `sweep leaderboard DIR`: rank trials.csv again using the metric recorded in the manifest.
pub fn rebuild_leaderboard(dir: &Path) -> Result<()> {
    let manifest = read_manifest(dir)?;
    let primary: crate::metrics::Metric = serde_json::from_value(manifest["metric"].clone())
        .map_err(|e| {
            InputError::new(format!(
                "{}: no valid `metric`: {e}",
                dir.join(results::MANIFEST).display()
            ))
        })?;
    let board = results::write_leaderboard(dir, primary)?;
    crate::report::say(&top_table(&board.top, primary, 5));
    crate::report::say(&format!(
        "{} trials ranked into {}\n",
        board.rows,
        dir.join(results::LEADERBOARD).display()
    ));
    Ok(())
}
