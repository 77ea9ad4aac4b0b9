//! `sweep run SWEEP`: plan the sweep, then run every trial into a new results folder; with `--shard
//! I/N`, only that shard's trials, into `OUT/shards/I-of-N/`, continuing it if it started before.

use crate::error::{Failure, InputError};
use crate::evaluate::Evaluator;
use crate::report::say;
use crate::results::default_out_dir;
use crate::results::manifest::{Manifest, RunStatus};
use crate::results::MANIFEST;
use crate::session::resume::{resume, ResumeOptions};
use crate::session::{run_fresh, Output};
use crate::spec::{ExecutionOverrides, Plan, PlanRequest, Shard, SweepText};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct RunArgs {
    /// The sweep file (YAML): data, cross-validation, metric and models to try.
    pub sweep: PathBuf,
    /// Results folder [default: results/<name>-<timestamp>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only shard I of N (e.g. 3/8) into OUT/shards/I-of-N/; a shard that started before continues.
    /// Combine the shards with `sweep merge OUT`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    #[command(flatten)]
    pub execution: ExecutionOverrides,
    #[command(flatten)]
    pub output: Output,
}

pub fn run(args: RunArgs) -> Result<(), Failure> {
    let output = args.output;
    let out = match (args.shard, &args.out) {
        (Some(shard), Some(out)) => out.join("shards").join(shard.folder()),
        (Some(shard), None) => {
            return Err(InputError::new(format!(
                "--shard {shard} needs --out DIR, the folder every shard of the sweep shares \
                 (each writes DIR/shards/I-of-N/)"
            ))
            .into())
        }
        (None, Some(out)) => out.clone(),
        (None, None) => PathBuf::new(),
    };
    if args.shard.is_some() && out.join(MANIFEST).is_file() {
        // A resubmitted shard (a node died, a time limit hit) continues where it stopped.
        if Manifest::read(&out)?.status == RunStatus::Finished {
            say(&format!("shard already finished: {}\n", out.display()));
            return Ok(());
        }
        return resume(
            &out,
            ResumeOptions {
                retry_failed: false,
                force: false,
                execution: args.execution,
                output,
            },
        );
    }
    let plan = Plan::build(PlanRequest {
        sweep: SweepText::read(&args.sweep)?,
        overrides: args.execution,
        shard: args.shard,
    })?;
    crate::report::warn(&plan.data().dataset().warnings);
    let out = match args.out {
        Some(_) => out,
        None => default_out_dir(plan.name()),
    };
    Ok(run_fresh(Evaluator::new(plan), &out, output)?)
}
