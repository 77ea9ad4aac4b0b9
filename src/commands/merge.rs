//! `sweep merge DIR`: combine the shard folders of a sharded run (`sweep run --shard I/N --out DIR`)
//! into one results folder: trials.csv, leaderboard.csv, manifest.json and report.html in DIR.

use crate::error::Failure;
use crate::report::{say, top_table};
use crate::results::leaderboard::write_leaderboard;
use crate::results::lock::lock_run_dir;
use crate::results::merge::{merge_shards, shard_states};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The folder the shards were run into (their --out).
    pub dir: PathBuf,
    /// Merge the shards that finished (and, of unfinished ones, their finished trials) even if some
    /// are missing or still running.
    #[arg(long)]
    pub partial: bool,
    /// Do not write report.html.
    #[arg(long)]
    pub no_report: bool,
}

pub fn merge(args: MergeArgs) -> Result<(), Failure> {
    let dir = &args.dir;
    let _lock = lock_run_dir(dir)?;
    let states = shard_states(dir)?;
    let merged = merge_shards(dir, &states, args.partial)?;
    let metric = merged.manifest.metric;
    let baseline = merged.manifest.baseline.as_ref();
    let board = write_leaderboard(dir, metric, &[], baseline)?;
    let report = if args.no_report {
        String::new()
    } else {
        let path = crate::report::html::write_report(dir)?;
        format!("report: {}\n", path.display())
    };
    let t = &merged.manifest.trials;
    let shards = merged
        .manifest
        .merged
        .as_ref()
        .map_or(0, |m| m.shards.len());
    say(&top_table(&board.top, metric, 5, baseline));
    say(&format!(
        "merged {shards} of {} shards: {} trials of {} ({} ok, {} failed, {} crashed, {} timed out)\nresults: {}\n{report}",
        states.len(),
        merged.rows,
        t.total,
        t.ok,
        t.failed,
        t.crashed,
        t.timeout,
        dir.display()
    ));
    Ok(())
}
