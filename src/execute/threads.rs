//! The thread backend: trials on a rayon pool sharing the dataset in memory. Cheapest per trial; a trial
//! that crashes the process (segfault, abort, out of memory) takes the whole sweep with it.

use super::{Ending, Flow, Sink, TrialSource};
use crate::evaluate::Evaluator;
use crate::interrupt::interrupted;
use anyhow::Result;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

pub fn run(
    evaluator: &Arc<Evaluator>,
    trials: TrialSource,
    jobs: usize,
    sink: &mut Sink,
) -> Result<Ending> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let stop = Arc::new(AtomicBool::new(false));
    // Bounded: if writing falls behind, trials wait instead of piling up in memory.
    let (sender, receiver) = mpsc::sync_channel(1024);
    // Detached, so an interrupted sweep can return while trials that cannot be cancelled still run.
    let producer = {
        let (evaluator, stop) = (Arc::clone(evaluator), Arc::clone(&stop));
        std::thread::spawn(move || {
            pool.install(|| {
                let source_stop = Arc::clone(&stop);
                trials
                    .take_while(move |_| !source_stop.load(Ordering::SeqCst))
                    .par_bridge()
                    .for_each_with(sender, |sender, trial| {
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        let mut record = evaluator.evaluate(&trial);
                        record.backend = "threads".to_string();
                        // The receiver is gone only when the caller stopped: nothing left to report to.
                        let _ = sender.send(record);
                    })
            })
        })
    };
    let mut ending = Ending::Finished;
    loop {
        if interrupted() {
            ending = Ending::Interrupted;
            break;
        }
        match receiver.recv_timeout(Duration::from_millis(50)) {
            Ok(record) => match sink(record)? {
                Flow::Continue => {}
                Flow::Stop => {
                    ending = Ending::Stopped;
                    break;
                }
                // Trials not started yet are skipped; the running ones still report.
                Flow::Drain => {
                    ending = Ending::Drained;
                    stop.store(true, Ordering::SeqCst);
                }
            },
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    stop.store(true, Ordering::SeqCst);
    if ending != Ending::Interrupted {
        drop(receiver);
        let _ = producer.join();
    }
    Ok(ending)
}
