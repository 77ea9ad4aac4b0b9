//! `sweep run SWEEP`: plan the sweep, then run every trial into a new results folder.

use crate::error::Failure;
use crate::evaluate::Evaluator;
use crate::results::default_out_dir;
use crate::session::{run_fresh, Output};
use crate::spec::{ExecutionOverrides, Plan, PlanRequest, SweepText};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct RunArgs {
    /// The sweep file (YAML): data, cross-validation, metric and models to try.
    pub sweep: PathBuf,
    /// Results folder [default: results/<name>-<timestamp>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub execution: ExecutionOverrides,
    /// No progress display and no final table.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not write report.html at the end.
    #[arg(long)]
    pub no_report: bool,
}

pub fn run(args: RunArgs) -> Result<(), Failure> {
    let plan = Plan::build(PlanRequest {
        sweep: SweepText::read(&args.sweep)?,
        overrides: args.execution,
    })?;
    crate::report::warn(&plan.dataset.warnings);
    let out = args.out.unwrap_or_else(|| default_out_dir(&plan.name));
    Ok(run_fresh(
        Evaluator::new(plan),
        &out,
        Output {
            quiet: args.quiet,
            report: !args.no_report,
        },
    )?)
}
