//! A sweep run from start to finish: validate, prepare, expand, execute, record, rank, report.

use crate::config::{Backend, Sweep};
use crate::error::{InputError, Interrupted};
use crate::evaluate::{Context, Status};
use crate::execute::{self, Ending, Flow, Settings};
use crate::expand::{expand, Trial};
use crate::report::{top_table, Progress};
use crate::results::{self, Layout, TrialsWriter};
use anyhow::{Context as _, Result};
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
#[derive(Debug, Default, Clone, Copy)]
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
}

pub fn run(request: &RunRequest) -> Result<PathBuf> {
    let text = std::fs::read_to_string(&request.sweep_file).map_err(|e| {
        InputError::new(format!(
            "{}: cannot read sweep file: {e}",
            request.sweep_file.display()
        ))
    })?;
    let mut sweep = Sweep::parse(&request.sweep_file, &text)?;
    request.overrides.apply(&mut sweep)?;
    let ctx = Arc::new(Context::prepare(sweep)?);
    let trials = expand(&ctx.sweep);
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| results::default_out_dir(&ctx.sweep.name));
    if out.join(results::TRIALS).exists() {
        return Err(InputError::new(format!(
            "{}: this folder already holds a run (trials.csv); choose another --out",
            out.display()
        ))
        .into());
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    results::write_atomic(&out.join(results::CONFIG), text.as_bytes())?;
    execute_trials(&ctx, trials, &out, request.quiet)?;
    Ok(out)
}

/// Runs trials into `out`, then ranks and reports. Returns an `Interrupted` error after Ctrl-C.
pub fn execute_trials(
    ctx: &Arc<Context>,
    trials: Vec<Trial>,
    out: &Path,
    quiet: bool,
) -> Result<()> {
    let started_at = chrono::Local::now();
    let clock = Instant::now();
    let ex = &ctx.sweep.execution;
    let settings = Settings {
        jobs: execute::resolve_jobs(ex.jobs),
        timeout: ex.timeout,
        memory_limit: ex.memory_limit,
    };
    let mut manifest = Manifest::new(ctx, &settings, trials.len(), started_at);
    manifest.write(out, "running", None)?;

    let layout = Layout::new(ctx);
    let mut writer = TrialsWriter::open(out, layout)?;
    let mut progress = Progress::new(trials.len(), 0, ctx.primary, ctx.primary_index(), quiet);
    let mut tally = Tally::default();
    let max_failures = ex.max_failures;
    let mut sink = |record: crate::evaluate::TrialRecord| -> Result<Flow> {
        writer.append(&record)?;
        tally.add(record.status);
        progress.record(&record);
        Ok(match max_failures {
            Some(limit) if tally.not_ok() >= limit => Flow::Stop,
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
    let status = match ending {
        Ending::Finished => "finished",
        Ending::Stopped => "stopped",
        Ending::Interrupted => "interrupted",
    };
    manifest.tally = tally;
    manifest.write(out, status, Some(clock.elapsed().as_secs_f64()))?;

    if !quiet {
        print!("{}", top_table(&board, ctx.primary, 5));
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
        Ending::Finished => println!("{summary}\nresults: {}", out.display()),
        Ending::Stopped => println!(
            "stopped after {} failed trials (max_failures)\n{summary}\nresults: {}",
            tally.not_ok(),
            out.display()
        ),
        Ending::Interrupted => {
            eprintln!("interrupted: {summary}; results so far: {}", out.display());
            return Err(Interrupted.into());
        }
    }
    Ok(())
}

/// manifest.json: everything needed to know what ran and to run it again.
struct Manifest {
    body: serde_json::Value,
    tally: Tally,
}

impl Manifest {
    fn new(
        ctx: &Context,
        settings: &Settings,
        total: usize,
        started_at: chrono::DateTime<chrono::Local>,
    ) -> Manifest {
        let ds = &ctx.dataset;
        let body = json!({
            "tool": "sweep",
            "version": env!("CARGO_PKG_VERSION"),
            "git_revision": git_revision(ctx.sweep.source.parent().unwrap_or(Path::new("."))),
            "config_file": ctx.sweep.source,
            "sweep": ctx.sweep,
            "seed": ctx.sweep.seed,
            "metric": ctx.primary,
            "task": ctx.task,
            "cv": ctx.sweep.cv.plan(ctx.task),
            "folds": ctx.n_folds(),
            "backend": ctx.sweep.execution.backend,
            "jobs": settings.jobs,
            "cores": execute::resolve_jobs(0),
            "started_at": started_at.to_rfc3339(),
            "data": {
                "path": ds.path,
                "rows": ds.n_rows(),
                "columns": ds.feature_names.len() + 1,
                "features": ds.feature_names,
                "sha256": ds.hash,
            },
            "trials": {"total": total},
        });
        Manifest {
            body,
            tally: Tally::default(),
        }
    }

    fn write(&mut self, out: &Path, status: &str, elapsed: Option<f64>) -> Result<()> {
        self.body["status"] = json!(status);
        if let Some(seconds) = elapsed {
            self.body["finished_at"] = json!(chrono::Local::now().to_rfc3339());
            self.body["elapsed_seconds"] = json!(seconds);
            let t = &self.tally;
            let total = self.body["trials"]["total"].clone();
            self.body["trials"] = json!({
                "total": total, "ok": t.ok, "failed": t.failed, "crashed": t.crashed, "timeout": t.timeout,
            });
        }
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
    let manifest_path = dir.join(results::MANIFEST);
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        InputError::new(format!(
            "{}: cannot read manifest: {e}",
            manifest_path.display()
        ))
    })?;
    let manifest: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        InputError::new(format!(
            "{}: invalid manifest: {e}",
            manifest_path.display()
        ))
    })?;
    let primary: crate::metrics::Metric = serde_json::from_value(manifest["metric"].clone())
        .map_err(|e| {
            InputError::new(format!(
                "{}: no valid `metric`: {e}",
                manifest_path.display()
            ))
        })?;
    let board = results::write_leaderboard(dir, primary)?;
    print!("{}", top_table(&board, primary, 5));
    println!(
        "{} trials ranked into {}",
        board.rows.len(),
        dir.join(results::LEADERBOARD).display()
    );
    Ok(())
}
