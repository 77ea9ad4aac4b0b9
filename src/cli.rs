//! The command line: parses arguments, dispatches to one command, maps its failure to an exit status
//! (0 ok, 1 runtime failure, 2 bad input, 130 interrupted).

use crate::commands::bench::BenchArgs;
use crate::commands::expand::ExpandArgs;
use crate::commands::inspect::InspectArgs;
use crate::commands::leaderboard::LeaderboardArgs;
use crate::commands::merge::MergeArgs;
use crate::commands::predict::PredictArgs;
use crate::commands::report::ReportArgs;
use crate::commands::rerun::RerunArgs;
use crate::commands::resume::ResumeArgs;
use crate::commands::run::RunArgs;
use crate::commands::slurm::SlurmArgs;
use crate::commands::status::StatusArgs;
use crate::commands::{
    bench, expand, inspect, leaderboard, merge, models, predict, report, rerun, resume, run, slurm,
    status,
};
use crate::error::Failure;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "sweep",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SWEEP_BUILD_REVISION_OR_UNKNOWN"), ")"),
    about = "Run machine-learning hyperparameter sweeps in parallel, crash-proof and reproducible"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Expand a sweep file into trials, train them in parallel and write a results folder.
    Run(RunArgs),
    /// Continue an unfinished run in its results folder (finished trials are not run again).
    Resume(ResumeArgs),
    /// Run a finished run again from its manifest into a new folder and check every metric matches bit for bit.
    Rerun(RerunArgs),
    /// Measure threads vs processes on a sample of a sweep's trials, at 1 job and 1 job per core, and recommend one.
    Bench(BenchArgs),
    /// Check a sweep file and its data as `run` would, and list the trials it expands to, without training.
    Expand(ExpandArgs),
    /// Show how a table's columns are read: inferred kind, missing and distinct counts, and use.
    Inspect(InspectArgs),
    /// List every model with its parameters, types, defaults and valid values.
    Models,
    /// Rank the trials of one or more results folders together (and rebuild a single folder's leaderboard.csv).
    Leaderboard(LeaderboardArgs),
    /// Draw a results folder's HTML report (charts, leaderboard, timeline, failures), or one comparing several.
    Report(ReportArgs),
    /// Combine the shard folders of a sharded run (`run --shard I/N`) into one results folder.
    Merge(MergeArgs),
    /// Show a run's progress from its folder, per shard for a sharded run (no scheduler needed).
    Status(StatusArgs),
    /// Write (and with --submit, submit) Slurm job scripts running a sweep as an array of shards, then merging.
    Slurm(SlurmArgs),
    /// Apply a saved model (a run's best, or any model folder) to a new table and write its predictions.
    Predict(PredictArgs),
    /// Internal: a process-backend worker reading trials on stdin.
    #[command(hide = true)]
    Worker,
}

impl Command {
    /// The subcommand as typed, for messages.
    fn name(&self) -> &'static str {
        match self {
            Command::Run(_) => "run",
            Command::Resume(_) => "resume",
            Command::Rerun(_) => "rerun",
            Command::Bench(_) => "bench",
            Command::Expand(_) => "expand",
            Command::Inspect(_) => "inspect",
            Command::Models => "models",
            Command::Leaderboard(_) => "leaderboard",
            Command::Report(_) => "report",
            Command::Merge(_) => "merge",
            Command::Status(_) => "status",
            Command::Slurm(_) => "slurm",
            Command::Predict(_) => "predict",
            Command::Worker => "worker",
        }
    }
}

pub fn main() -> i32 {
    // Ctrl-C must work from the first moment, also while data loads or a sweep expands.
    crate::interrupt::install_handler();
    let cli = Cli::parse();
    crate::evaluate::install_panic_hook(cli.command.name());
    let outcome: Result<(), Failure> = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Resume(args) => resume::resume(args),
        Command::Rerun(args) => rerun::rerun(args),
        Command::Bench(args) => bench::bench_command(args),
        Command::Expand(args) => expand::expand(args),
        Command::Inspect(args) => inspect::inspect(args),
        Command::Models => models::models(),
        Command::Leaderboard(args) => leaderboard::leaderboard(args),
        Command::Report(args) => report::report(args),
        Command::Merge(args) => merge::merge(args),
        Command::Status(args) => status::status(args),
        Command::Slurm(args) => slurm::slurm(args),
        Command::Predict(args) => predict::predict(args),
        Command::Worker => crate::execute::worker::main().map_err(Failure::from),
    };
    match outcome {
        Ok(()) => 0,
        Err(failure) => {
            if !matches!(failure, Failure::Interrupted) {
                eprintln!("error: {}", crate::error::printable(&failure.to_string()));
            }
            failure.exit_code()
        }
    }
}
