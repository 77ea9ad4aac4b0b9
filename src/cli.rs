//! Command-line interface: parses arguments, dispatches, maps errors to exit statuses
//! (0 ok, 1 runtime failure, 2 bad input, 130 interrupted).

use crate::bench::BenchRequest;
use crate::config::{Backend, Sweep};
use crate::error::{InputError, Interrupted, EXIT_INPUT, EXIT_INTERRUPTED};
use crate::expand::expand;
use crate::resume::{RerunRequest, ResumeRequest};
use crate::run::{Overrides, RunRequest};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "sweep",
    version,
    about = "Run machine-learning hyperparameter sweeps in parallel, crash-proof and reproducible"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Expand a sweep file into trials, train them in parallel and write a results folder.
    Run {
        /// The sweep file (YAML).
        sweep: PathBuf,
        /// Results folder [default: results/<name>-<timestamp>].
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        execution: ExecutionArgs,
        /// No progress display and no final table.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Continue an unfinished run in its results folder (finished trials are not run again).
    Resume {
        dir: PathBuf,
        /// Run failed, crashed and timed-out trials again too.
        #[arg(long)]
        retry_failed: bool,
        /// Resume although the sweep or its data changed, keeping the finished trials that still match.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        execution: ExecutionArgs,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run a finished run again from its manifest into a new folder and check every metric matches bit for bit.
    Rerun {
        dir: PathBuf,
        /// Folder for the new run [default: results/<name>-rerun-<timestamp>].
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        execution: ExecutionArgs,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Measure threads vs processes on a sample of a sweep's trials, at 1 job and 1 job per core, and recommend one.
    Bench {
        sweep: PathBuf,
        /// Trials to sample [default: enough for about --budget in total].
        #[arg(long, conflicts_with = "all")]
        trials: Option<usize>,
        /// Use every trial of the sweep.
        #[arg(long)]
        all: bool,
        /// Approximate total time for the default sample, e.g. 20s.
        #[arg(long, default_value = "20s")]
        budget: String,
        /// Folder for bench.csv and bench.json [default: results/<name>-bench-<timestamp>].
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        execution: ExecutionArgs,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the trials a sweep file expands to, without training.
    Expand { sweep: PathBuf },
    /// List every model with its parameters, types, defaults and valid values.
    Models,
    /// Rebuild leaderboard.csv from a results folder's trials.csv.
    Leaderboard { dir: PathBuf },
    /// Internal: a process-backend worker reading trials on stdin.
    #[command(hide = true)]
    Worker,
}

#[derive(Args, Clone, Default)]
struct ExecutionArgs {
    /// threads (shared memory, fastest) or processes (isolated, survives crashes; needed for timeouts and memory caps).
    #[arg(long, value_enum)]
    backend: Option<Backend>,
    /// Parallel jobs; 0 = one per core.
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Per-trial time limit, e.g. 30s or 5m (process backend).
    #[arg(long)]
    timeout: Option<String>,
    /// Per-worker memory cap, e.g. 2GiB (process backend).
    #[arg(long)]
    memory_limit: Option<String>,
    /// Stop cleanly after this many failed trials.
    #[arg(long)]
    max_failures: Option<usize>,
}

impl From<ExecutionArgs> for Overrides {
    fn from(a: ExecutionArgs) -> Overrides {
        Overrides {
            backend: a.backend,
            jobs: a.jobs,
            timeout: a.timeout,
            memory_limit: a.memory_limit,
            max_failures: a.max_failures,
        }
    }
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    crate::evaluate::install_panic_hook();
    let outcome = match cli.command {
        Command::Run {
            sweep,
            out,
            execution,
            quiet,
        } => {
            crate::execute::install_interrupt_handler();
            crate::run::run(&RunRequest {
                sweep_file: sweep,
                out,
                overrides: execution.into(),
                quiet,
            })
            .map(|_| ())
        }
        Command::Resume {
            dir,
            retry_failed,
            force,
            execution,
            quiet,
        } => {
            crate::execute::install_interrupt_handler();
            crate::resume::resume(&ResumeRequest {
                dir,
                overrides: execution.into(),
                retry_failed,
                force,
                quiet,
            })
        }
        Command::Rerun {
            dir,
            out,
            execution,
            quiet,
        } => {
            crate::execute::install_interrupt_handler();
            crate::resume::rerun(&RerunRequest {
                dir,
                out,
                overrides: execution.into(),
                quiet,
            })
        }
        Command::Bench {
            sweep,
            trials,
            all,
            budget,
            out,
            execution,
            quiet,
        } => {
            crate::execute::install_interrupt_handler();
            run_bench(sweep, trials, all, &budget, out, execution.into(), quiet)
        }
        Command::Expand { sweep } => print_expansion(&sweep),
        Command::Models => {
            crate::report::say(&crate::models::describe_all());
            Ok(())
        }
        Command::Leaderboard { dir } => crate::run::rebuild_leaderboard(&dir),
        Command::Worker => crate::execute::worker::main(),
    };
    match outcome {
        Ok(()) => 0,
        Err(e) if e.is::<Interrupted>() => EXIT_INTERRUPTED,
        Err(e) => match e.downcast_ref::<InputError>() {
            Some(input) => {
                eprintln!("error: {input}");
                EXIT_INPUT
            }
            None => {
                eprintln!("error: {e:#}");
                1
            }
        },
    }
}

fn run_bench(
    sweep_file: PathBuf,
    trials: Option<usize>,
    all: bool,
    budget: &str,
    out: Option<PathBuf>,
    overrides: Overrides,
    quiet: bool,
) -> anyhow::Result<()> {
    let budget = crate::config::parse_duration(budget)
        .map_err(|e| InputError::new(format!("--budget: {e}")))?;
    let request = BenchRequest {
        sweep_file,
        trials,
        all,
        budget,
        out,
        overrides,
        quiet,
    };
    let report = crate::bench::bench(&request)?;
    let dir = request
        .out
        .clone()
        .unwrap_or_else(|| crate::results::default_out_dir(&format!("{}-bench", report.sweep)));
    crate::bench::write_report(&dir, &report)?;
    crate::report::say(&crate::bench::print_table(&report));
    crate::report::say(&format!("bench.csv and bench.json: {}\n", dir.display()));
    Ok(())
}

fn print_expansion(path: &std::path::Path) -> anyhow::Result<()> {
    use std::fmt::Write;
    let sweep = Sweep::load(path)?;
    let trials = expand(&sweep);
    let mut text = format!("{}: {} trials\n", sweep.name, trials.len());
    for (i, entry) in sweep.models.iter().enumerate() {
        let count = trials.iter().filter(|t| t.entry == i).count();
        let _ = writeln!(text, "  {:<24} {count}", entry.model);
    }
    text.push('\n');
    for t in &trials {
        let _ = writeln!(text, "{:>5}  {}", t.index, t.key);
    }
    crate::report::say(&text);
    Ok(())
}
