//! Running trials: on a rayon thread pool (`threads`) or a pool of worker processes (`processes`).
//! Both hand each finished record to the caller in completion order, on the calling thread, so the
//! caller writes it to disk before the next one is reported.

pub mod processes;
pub mod threads;
pub mod worker;

use crate::evaluate::TrialRecord;
use std::sync::atomic::{AtomicBool, Ordering};

/// What the caller wants after a record: keep going, or stop dispatching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Why a backend returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Finished,
    /// The caller asked to stop (e.g. too many failures).
    Stopped,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

/// Settings both backends share.
#[derive(Debug, Clone)]
pub struct Settings {
    pub jobs: usize,
    pub timeout: Option<std::time::Duration>,
    pub memory_limit: Option<u64>,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Routes Ctrl-C and SIGTERM to a flag the backends poll, so they can stop cleanly.
pub fn install_interrupt_handler() {
    // An error here means a handler is already installed (e.g. a second run in one process): keep it.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The number of parallel jobs: `0` means one per core.
pub fn resolve_jobs(jobs: usize) -> usize {
    if jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        jobs
    }
}

pub type Sink<'a> = dyn FnMut(TrialRecord) -> anyhow::Result<Flow> + 'a;

/// The trials to run, produced on demand (see [`crate::expand::TrialStream`]).
pub type TrialSource = Box<dyn Iterator<Item = crate::expand::Trial> + Send>;
