//! Running trials: on a rayon thread pool (`threads`) or a pool of worker processes (`processes`),
//! chosen in one place, [`run`]. Both hand each finished record to the caller in completion order, on
//! the calling thread, so the caller writes it to disk before the next one is reported. Trials come
//! from a [`TrialSource`], which may answer "wait" until running trials finish (adaptive search).

pub mod processes;
pub mod protocol;
pub mod threads;
pub mod worker;

use crate::evaluate::{Evaluator, TrialRecord};
use crate::search::{Listed, TrialSource};
use crate::spec::BackendSettings;
use std::sync::Arc;
use std::time::Duration;

/// What the caller wants after a record: keep going, stop dispatching, or start no more trials but
/// report the running ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
    Drain,
}

/// Why a backend returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Finished,
    /// The caller asked to stop (e.g. too many failures).
    Stopped,
    /// The caller asked to start no more trials (e.g. a time budget); the running ones were reported.
    Drained,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

/// What the process pool measured about its workers (empty on threads), for `sweep bench`.
#[derive(Debug, Clone, Default)]
pub struct PoolStats {
    /// Time from starting a worker to its Ready message (process start + data loading).
    pub startup: Vec<Duration>,
    /// Peak resident memory of each worker, in bytes, read just before it was ended.
    pub peak_rss: Vec<u64>,
}

pub type Sink<'a> = dyn FnMut(TrialRecord) -> anyhow::Result<Flow> + 'a;

/// Runs the trials of `source` on the chosen backend with `jobs` in parallel, reporting each record
/// to the source and then to `sink`.
pub fn run(
    evaluator: &Arc<Evaluator>,
    source: &mut dyn TrialSource,
    backend: BackendSettings,
    jobs: usize,
    sink: &mut Sink,
) -> anyhow::Result<(Ending, PoolStats)> {
    match backend {
        BackendSettings::Threads => Ok((
            threads::run(evaluator, source, jobs, sink)?,
            PoolStats::default(),
        )),
        BackendSettings::Processes(limits) => processes::run(evaluator, source, jobs, limits, sink),
    }
}

/// Runs a fixed list of jobs (refits, benchmark samples).
pub fn run_listed(
    evaluator: &Arc<Evaluator>,
    jobs_to_run: Vec<crate::evaluate::Job>,
    backend: BackendSettings,
    jobs: usize,
    sink: &mut Sink,
) -> anyhow::Result<(Ending, PoolStats)> {
    run(
        evaluator,
        &mut Listed(jobs_to_run.into_iter()),
        backend,
        jobs,
        sink,
    )
}
