//! The worker side of the process backend: `sweep worker`, started by the parent with pipes, speaking
//! [`protocol`](super::protocol). The worker exits when its stdin closes, so it never outlives its
//! parent, even while a trial is still running.

use super::protocol::{read_frame, write_frame, FromWorker, ToWorker};
use crate::evaluate::Evaluator;
use crate::models::pool_work;
use crate::spec::Plan;
use anyhow::{Context as _, Result};
use std::os::fd::{AsFd, OwnedFd};

/// Takes over stdout for the protocol and points fd 1 at stderr, so anything a model prints cannot
/// corrupt the message stream.
fn claim_stdout() -> Result<std::fs::File> {
    let protocol: OwnedFd = std::io::stdout().as_fd().try_clone_to_owned()?;
    nix::unistd::dup2_stdout(std::io::stderr().as_fd())?;
    Ok(std::fs::File::from(protocol))
}

pub fn main() -> Result<()> {
    let mut out = std::io::BufWriter::new(claim_stdout()?);
    let (sender, receiver) = std::sync::mpsc::channel::<ToWorker>();
    std::thread::spawn(move || {
        let mut input = std::io::BufReader::new(std::io::stdin().lock());
        while let Ok(Some(message)) = read_frame::<ToWorker>(&mut input) {
            if sender.send(message).is_err() {
                break;
            }
        }
        // The parent closed our stdin (or died): nothing more will be asked, stop even mid-trial.
        std::process::exit(0);
    });
    let Ok(ToWorker::Init {
        plan,
        data_hash,
        memory_limit,
    }) = receiver.recv()
    else {
        anyhow::bail!("worker: expected Init as the first message");
    };
    // One core per worker, as `jobs` promises: folds and trees inside a trial run sequentially on
    // this pool's one thread, which runs the trial itself.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    pool_work::start_recording();
    let evaluator = match Plan::build(*plan) {
        Ok(plan) if plan.data().dataset().hash == data_hash => Evaluator::new(plan),
        Ok(plan) => {
            let message = format!(
                "{} changed since the sweep started (sha256 {} != {data_hash})",
                plan.data().dataset().path.display(),
                plan.data().dataset().hash
            );
            return write_frame(&mut out, &FromWorker::InitError(message));
        }
        Err(e) => return write_frame(&mut out, &FromWorker::InitError(e.to_string())),
    };
    if let Some(bytes) = memory_limit {
        nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_AS, bytes, bytes)
            .context("cannot set the memory limit")?;
    }
    write_frame(&mut out, &FromWorker::Ready)?;
    for message in receiver {
        if let ToWorker::Job(job) = message {
            let record = pool.install(|| evaluator.evaluate(&job));
            write_frame(
                &mut out,
                &FromWorker::Done(Box::new(record), pool_work::take()),
            )?;
        }
    }
    Ok(())
}
