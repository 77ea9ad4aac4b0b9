//! `sweep status DIR`: how far a run has come, from its folder alone (no scheduler needed): per shard
//! for a sharded run (done/total, failed, running or stopped), else the run's own counts.

use crate::error::Failure;
use crate::report::say;
use crate::results::manifest::Manifest;
use crate::results::merge::{shard_command, shard_states, SHARDS};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct StatusArgs {
    /// A results folder, or the folder of a sharded run (its --out).
    pub dir: PathBuf,
}

pub fn status(args: StatusArgs) -> Result<(), Failure> {
    let dir = &args.dir;
    if !dir.join(SHARDS).is_dir() {
        let m = Manifest::read(dir)?;
        let t = &m.trials;
        say(&format!(
            "{}: {}, {} of {} trials done ({} ok, {} failed, {} crashed, {} timed out, {} pruned)\n",
            dir.display(),
            m.status.name(),
            t.ok + t.failed + t.crashed + t.timeout + t.pruned,
            t.total,
            t.ok,
            t.failed,
            t.crashed,
            t.timeout,
            t.pruned
        ));
        return Ok(());
    }
    let states = shard_states(dir)?;
    let mut out = format!(
        "{:>9}  {:<10} {:>15} {:>7}\n",
        "shard", "state", "done/total", "failed"
    );
    let (mut done, mut total, mut failed, mut finished) = (0, 0, 0, 0);
    let mut todo = Vec::new();
    for s in &states {
        let shard_total = s.manifest.as_ref().map(|m| m.trials.total);
        let state = match (&s.manifest, s.running) {
            (_, true) => "running",
            (None, false) => "missing",
            (Some(_), false) if s.finished() => "finished",
            (Some(_), false) => "stopped",
        };
        if s.finished() {
            finished += 1;
        } else if !s.running {
            todo.push(shard_command(&states, s.shard, dir));
        }
        done += s.done;
        failed += s.failed;
        total += shard_total.unwrap_or(0);
        out.push_str(&format!(
            "{:>9}  {:<10} {:>15} {:>7}\n",
            s.shard.to_string(),
            state,
            format!(
                "{}/{}",
                s.done,
                shard_total.map_or("?".into(), |t| t.to_string())
            ),
            s.failed
        ));
    }
    out.push_str(&format!(
        "{finished} of {} shards finished; {done} of {total} trials done (shards not started count as 0), {failed} failed\n",
        states.len()
    ));
    let merged = Manifest::read(dir).is_ok_and(|m| {
        m.merged
            .as_ref()
            .is_some_and(|r| r.shards.len() == states.len())
    });
    if merged {
        out.push_str(&format!("merged into {}\n", dir.display()));
    } else if todo.is_empty() && finished == states.len() {
        out.push_str(&format!(
            "combine them with: sweep merge {}\n",
            dir.display()
        ));
    } else if !todo.is_empty() {
        out.push_str("to run (or continue) the others:\n");
        for command in todo {
            out.push_str(&format!("  {command}\n"));
        }
    }
    say(&out);
    Ok(())
}
