//! The thread backend: trials on a rayon pool sharing the dataset in memory. Cheapest per trial; a trial
//! that crashes the process (segfault, abort, out of memory) takes the whole sweep with it.
//!
//! The calling thread keeps up to `jobs` trials running, asking the source for the next one whenever a
//! slot frees; trials are spawned on the pool detached, so an interrupted sweep can return while
//! trials that cannot be cancelled still run.

use super::{Ending, Flow, Sink};
use crate::evaluate::Evaluator;
use crate::interrupt::interrupted;
use crate::models::pool_work;
use crate::search::{Next, TrialSource};
use anyhow::Result;
use std::sync::{mpsc, Arc};
use std::time::Duration;

pub fn run(
    evaluator: &Arc<Evaluator>,
    source: &mut dyn TrialSource,
    jobs: usize,
    sink: &mut Sink,
) -> Result<Ending> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    pool_work::start_recording();
    let (sender, receiver) = mpsc::channel();
    let mut running = 0;
    let mut exhausted = false;
    let mut draining = false;
    loop {
        if interrupted() {
            return Ok(Ending::Interrupted);
        }
        while !exhausted && !draining && running < jobs {
            match source.next() {
                Next::Job(job) => {
                    let (evaluator, sender) = (Arc::clone(evaluator), sender.clone());
                    pool.spawn(move || {
                        let mut record = evaluator.evaluate(&job);
                        record.worker = rayon::current_thread_index().map(|i| i as u32);
                        // The receiver is gone only when the caller stopped: nothing left to report to.
                        let _ = sender.send(record);
                    });
                    running += 1;
                }
                Next::Wait => break,
                Next::Done => exhausted = true,
            }
        }
        if running == 0 {
            if exhausted || draining {
                return Ok(if draining {
                    Ending::Drained
                } else {
                    Ending::Finished
                });
            }
            anyhow::bail!("the search waits for results, but no trial is running");
        }
        match receiver.recv_timeout(Duration::from_millis(50)) {
            Ok(record) => {
                running -= 1;
                source.observe(&record);
                match sink(record)? {
                    Flow::Continue => {}
                    Flow::Stop => return Ok(Ending::Stopped),
                    // Trials not started yet are skipped; the running ones still report.
                    Flow::Drain => draining = true,
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                anyhow::bail!("trial result channel closed")
            }
        }
    }
}
