//! `sweep resume DIR`: continue a killed or interrupted run in its folder; finished trials are kept
//! and not run again.

use crate::error::Failure;
use crate::session::resume::{resume as resume_run, ResumeOptions};
use crate::session::Output;
use crate::spec::ExecutionOverrides;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ResumeArgs {
    /// The results folder of the run to continue.
    pub dir: PathBuf,
    /// Run failed, crashed and timed-out trials again too.
    #[arg(long)]
    pub retry_failed: bool,
    /// Resume although the sweep or its data changed, keeping the finished trials that still match.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub execution: ExecutionOverrides,
    #[command(flatten)]
    pub output: Output,
}

pub fn resume(args: ResumeArgs) -> Result<(), Failure> {
    resume_run(
        &args.dir,
        ResumeOptions {
            retry_failed: args.retry_failed,
            force: args.force,
            execution: args.execution,
            output: args.output,
        },
    )
}
