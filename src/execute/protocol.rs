//! The process backend's wire protocol: frames of a 4-byte little-endian length followed by a
//! postcard-encoded message (postcard keeps every f64 bit-exact). The parent sends `Init` once, then
//! `Job`s; the worker answers `Ready`, then one `Done` per job, in order.

use crate::evaluate::{Job, TrialRecord};
use crate::models::pool_work::PoolSpan;
use crate::spec::PlanRequest;
use anyhow::Result;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::io::{Read, Write};

#[derive(Debug, Serialize, Deserialize)]
pub enum ToWorker {
    /// Build this plan (through the same checks as the parent) and expect this data.
    Init {
        plan: Box<PlanRequest>,
        data_hash: String,
        memory_limit: Option<u64>,
    },
    Job(Job),
}

#[derive(Debug, Serialize, Deserialize)]
pub enum FromWorker {
    Ready,
    InitError(String),
    /// A trial's record, and the spans the worker's helper threads worked meanwhile.
    Done(Box<TrialRecord>, Vec<PoolSpan>),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::Status;
    use crate::expand::Trial;
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
            stage: Some(crate::expand::Stage {
                rung: 1,
                resource: 40,
            }),
            prune_bars: Some(vec![f64::NAN, 0.5]),
        };
        let mut record = TrialRecord::bare(&trial, Status::Ok, String::new());
        record.means = vec![0.1 + 0.2, f64::NAN, -0.0];
        let mut buffer = Vec::new();
        let helped = vec![PoolSpan {
            worker: None,
            helper: true,
            waiting: None,
            started: 1.5,
            finished: 2.25,
        }];
        let done = FromWorker::Done(Box::new(record.clone()), helped.clone());
        write_frame(&mut buffer, &done).unwrap();
        write_frame(&mut buffer, &FromWorker::Ready).unwrap();
        let mut input = buffer.as_slice();
        let Some(FromWorker::Done(back, spans)) = read_frame::<FromWorker>(&mut input).unwrap()
        else {
            panic!("not Done")
        };
        assert_eq!(spans, helped);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.means), bits(&record.means));
        assert_eq!(back.trial.key, trial.key);
        assert_eq!(back.trial.stage, trial.stage);
        assert_eq!(
            bits(back.trial.prune_bars.as_deref().unwrap()),
            bits(&[f64::NAN, 0.5])
        );
        assert!(matches!(
            read_frame::<FromWorker>(&mut input).unwrap(),
            Some(FromWorker::Ready)
        ));
        assert!(read_frame::<FromWorker>(&mut input).unwrap().is_none());
    }

    #[test]
    fn oversized_frame_is_refused() {
        let mut input: &[u8] = &[0xff, 0xff, 0xff, 0xff];
        assert!(read_frame::<FromWorker>(&mut input).is_err());
    }
}
