//! Work done for a trial on a thread that is not running it: a fold or a tree an idle pool thread
//! picked up, a boosting fit's helper threads. Recorded as spans, so the report's timeline draws it
//! beside the trials and the busy time it shows accounts for the CPU the run used.

use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A stretch of work for some trial on a thread that was running no trial.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoolSpan {
    /// The lane it is drawn on: the pool thread (its index) or worker process (its pid); `None`
    /// for threads a fit started itself in the sweep's own process.
    pub worker: Option<u32>,
    /// Whether it ran on a thread beside the worker's own (a fit's helper thread), drawn on a lane
    /// of its own.
    pub helper: bool,
    /// Not work but a wait: this trial's own thread, done with its folds, waiting for folds other
    /// threads took (its bar has a gap there).
    pub waiting: Option<u64>,
    /// Wall-clock start and end, in seconds since the Unix epoch.
    pub started: f64,
    pub finished: f64,
}

/// What this thread is doing, as far as drawing it goes.
#[derive(Clone, Copy)]
struct Doing {
    /// It runs a trial (drawn as the trial's bar, but for the waits cut out of it).
    trial: bool,
    /// How deep it is inside folds of its own trial: work there is the trial's.
    own_fold: u32,
    /// It records a span already: work nested in it is part of that span.
    span: bool,
}

thread_local! {
    static DOING: Cell<Doing> = const {
        Cell::new(Doing { trial: false, own_fold: 0, span: false })
    };
}

static SPANS: Mutex<Vec<PoolSpan>> = Mutex::new(Vec::new());
/// Set by the backends while trials run, so nothing else (a test, a refit) collects spans.
static RECORDING: AtomicBool = AtomicBool::new(false);

/// Starts collecting spans in this process (a backend about to run trials).
pub fn start_recording() {
    RECORDING.store(true, Ordering::Relaxed);
}

/// Puts `DOING` back as it was, also when the work panics.
struct Restore(Doing);

impl Drop for Restore {
    fn drop(&mut self) {
        DOING.set(self.0);
    }
}

/// Runs `work` on this thread with what it is doing changed by `change`.
fn doing<T>(change: impl FnOnce(&mut Doing), work: impl FnOnce() -> T) -> T {
    let before = DOING.get();
    let _restore = Restore(before);
    let mut now = before;
    change(&mut now);
    DOING.set(now);
    work()
}

/// Runs a whole trial on this thread: its folds here are drawn as the trial.
pub fn running_trial<T>(trial: impl FnOnce() -> T) -> T {
    doing(
        |d| {
            d.trial = true;
            d.own_fold = 0;
        },
        trial,
    )
}

/// Runs one fold of the trial this thread runs.
pub fn own_fold<T>(fold: impl FnOnce() -> T) -> T {
    doing(|d| d.own_fold += 1, fold)
}

/// Runs `work` done for a trial; records its span unless it is part of what this thread's bar
/// already shows (a fold of its own trial, or a span being recorded). A thread running a trial but
/// between its own folds is waiting for folds other threads took: what it picks up then is recorded.
pub fn helping<T>(work: impl FnOnce() -> T) -> T {
    let now_doing = DOING.get();
    if now_doing.span
        || now_doing.trial && now_doing.own_fold > 0
        || !RECORDING.load(Ordering::Relaxed)
    {
        return work();
    }
    let _restore = Restore(now_doing);
    DOING.set(Doing {
        span: true,
        ..now_doing
    });
    let started = now();
    let out = work();
    let thread = rayon::current_thread_index().map(|i| i as u32);
    add([PoolSpan {
        worker: thread,
        helper: thread.is_none(),
        waiting: None,
        started,
        finished: now(),
    }]);
    out
}

/// `fold(k)` for every k below `n_folds`, in parallel on the pool, collected in fold order. When
/// idle threads took some folds and this thread finished its own first, the time it then waited is
/// recorded against `trial`, so the trial's bar does not count it as work.
pub fn folds_in_parallel<T: Send>(
    trial: usize,
    n_folds: usize,
    fold: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    let owner = rayon::current_thread_index();
    let own_done = Mutex::new(now());
    let out = (0..n_folds)
        .into_par_iter()
        .map(|k| {
            if rayon::current_thread_index() != owner {
                return fold(k);
            }
            let result = own_fold(|| fold(k));
            *own_done.lock().unwrap_or_else(|p| p.into_inner()) = now();
            result
        })
        .collect();
    let (started, finished) = (
        own_done.into_inner().unwrap_or_else(|p| p.into_inner()),
        now(),
    );
    if owner.is_some() && RECORDING.load(Ordering::Relaxed) && finished - started > 1e-3 {
        add([PoolSpan {
            worker: owner.map(|i| i as u32),
            helper: false,
            waiting: Some(trial as u64),
            started,
            finished,
        }]);
    }
    out
}

/// Adds spans recorded elsewhere (by a worker process).
pub fn add(spans: impl IntoIterator<Item = PoolSpan>) {
    SPANS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .extend(spans);
}

/// The spans recorded since the last call.
pub fn take() -> Vec<PoolSpan> {
    std::mem::take(&mut *SPANS.lock().unwrap_or_else(|p| p.into_inner()))
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
