//! The worker side of the process backend: `sweep worker`, started by the parent with pipes.
//!
//! Protocol: frames of a 4-byte little-endian length followed by a postcard-encoded message (postcard
//! keeps every f64 bit-exact). The parent sends `Init` once, then `Trial`s; the worker answers `Ready`,
//! then one `Done` per trial, in order. The worker exits when its stdin closes, so it never outlives
//! its parent, even while a trial is still running.

use crate::config::Sweep;
use crate::evaluate::{Context, TrialRecord};
use crate::expand::Trial;
use anyhow::{Context as _, Result};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};

#[derive(Debug, Serialize, Deserialize)]
pub enum ToWorker {
    Init {
        sweep: Box<Sweep>,
        data_hash: String,
        memory_limit: Option<u64>,
    },
    Trial(Trial),
}

#[derive(Debug, Serialize, Deserialize)]
pub enum FromWorker {
    Ready { pid: u32 },
    InitError(String),
    Done(Box<TrialRecord>),
}

/// Largest frame accepted: far above any real message, small enough to refuse garbage lengths.
const MAX_FRAME: usize = 256 << 20;

pub fn write_frame<T: Serialize>(out: &mut impl Write, message: &T) -> Result<()> {
    let body = postcard::to_allocvec(message)?;
    out.write_all(&(body.len() as u32).to_le_bytes())?;
    out.write_all(&body)?;
    out.flush()?;
    Ok(())
}

/// The next message, or `None` at a clean end of stream.
pub fn read_frame<T: DeserializeOwned>(input: &mut impl Read) -> Result<Option<T>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_le_bytes(len) as usize;
    anyhow::ensure!(
        len <= MAX_FRAME,
        "frame of {len} bytes is larger than the protocol allows"
    );
    let mut body = vec![0u8; len];
    input.read_exact(&mut body)?;
    Ok(Some(postcard::from_bytes(&body)?))
}

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
        sweep,
        data_hash,
        memory_limit,
    }) = receiver.recv()
    else {
        anyhow::bail!("worker: expected Init as the first message");
    };
    // One core per worker, as `jobs` promises: folds and trees inside a trial run sequentially here.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()?;
    let ctx = match Context::prepare(*sweep) {
        Ok(ctx) if ctx.dataset.hash == data_hash => ctx,
        Ok(ctx) => {
            let message = format!(
                "{} changed since the sweep started (sha256 {} != {data_hash})",
                ctx.dataset.path.display(),
                ctx.dataset.hash
            );
            return write_frame(&mut out, &FromWorker::InitError(message));
        }
        Err(e) => return write_frame(&mut out, &FromWorker::InitError(e.to_string())),
    };
    if let Some(bytes) = memory_limit {
        nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_AS, bytes, bytes)
            .context("cannot set the memory limit")?;
    }
    write_frame(
        &mut out,
        &FromWorker::Ready {
            pid: std::process::id(),
        },
    )?;
    for message in receiver {
        if let ToWorker::Trial(trial) = message {
            let record = ctx.evaluate(&trial);
            write_frame(&mut out, &FromWorker::Done(Box::new(record)))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::Status;
    use crate::value::Value;

    #[test]
    fn frames_round_trip_bit_exact_including_nan() {
        let trial = Trial {
            index: 3,
            key: "svm(c=1.0)".into(),
            entry: 0,
            model: "svm".into(),
            params: vec![("c".into(), Value::Float(1.0))],
            seed: u64::MAX,
        };
        let mut record = TrialRecord::failed(&trial, Status::Ok, String::new());
        record.means = vec![0.1 + 0.2, f64::NAN, -0.0];
        let mut buffer = Vec::new();
        write_frame(&mut buffer, &FromWorker::Done(Box::new(record.clone()))).unwrap();
        write_frame(&mut buffer, &FromWorker::Ready { pid: 7 }).unwrap();
        let mut input = buffer.as_slice();
        let Some(FromWorker::Done(back)) = read_frame::<FromWorker>(&mut input).unwrap() else {
            panic!("not Done")
        };
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.means), bits(&record.means));
        assert_eq!(back.trial, trial);
        assert!(matches!(
            read_frame::<FromWorker>(&mut input).unwrap(),
            Some(FromWorker::Ready { pid: 7 })
        ));
        assert!(read_frame::<FromWorker>(&mut input).unwrap().is_none());
    }

    #[test]
    fn oversized_frame_is_refused() {
        let mut input: &[u8] = &[0xff, 0xff, 0xff, 0xff];
        assert!(read_frame::<FromWorker>(&mut input).is_err());
    }
}
