//! pool_work.csv: stretches of work threads did for trials they were not running, and stretches a
//! trial's own thread waited for its folds on other threads (see [`crate::models::pool_work`]),
//! appended while the run goes, for the report's timeline.

use crate::models::pool_work::PoolSpan;
use anyhow::{Context as _, Result};
use std::path::Path;

pub const POOL_WORK: &str = "pool_work.csv";

const HEADER: [&str; 5] = [
    "worker",
    "helper",
    "start_offset",
    "end_offset",
    "waiting_trial",
];

/// Appends `spans` to `dir`'s pool_work.csv, offsets in seconds after `epoch`.
pub fn append(dir: &Path, epoch: f64, spans: &[PoolSpan]) -> Result<()> {
    if spans.is_empty() {
        return Ok(());
    }
    let path = dir.join(POOL_WORK);
    let new = !path.exists();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let mut writer = csv::Writer::from_writer(file);
    if new {
        writer.write_record(HEADER)?;
    }
    for s in spans {
        writer.write_record([
            s.worker.map_or(String::new(), |w| w.to_string()),
            s.helper.to_string(),
            format!("{:.3}", s.started - epoch),
            format!("{:.3}", s.finished - epoch),
            s.waiting.map_or(String::new(), |t| t.to_string()),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// The spans of `dir`'s pool_work.csv (none when it has no such file), times as offsets after the
/// run's start; rows cut short or unreadable are skipped.
pub fn read(dir: &Path) -> Vec<PoolSpan> {
    let Ok(mut reader) = csv::Reader::from_path(dir.join(POOL_WORK)) else {
        return Vec::new();
    };
    reader
        .records()
        .filter_map(|row| {
            let row = row.ok()?;
            Some(PoolSpan {
                worker: row.get(0)?.parse().ok(),
                helper: row.get(1)?.parse().ok()?,
                started: row.get(2)?.parse().ok()?,
                finished: row.get(3)?.parse().ok()?,
                waiting: row.get(4).and_then(|t| t.parse().ok()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_back_as_offsets_across_appends() {
        let dir = tempfile::tempdir().unwrap();
        let span = |worker, helper, started, waiting| PoolSpan {
            worker,
            helper,
            waiting,
            started,
            finished: started + 0.5,
        };
        append(dir.path(), 100.0, &[span(Some(1), false, 101.0, None)]).unwrap();
        append(dir.path(), 100.0, &[]).unwrap();
        append(dir.path(), 100.0, &[span(None, true, 102.25, Some(7))]).unwrap();
        assert_eq!(
            read(dir.path()),
            vec![
                span(Some(1), false, 1.0, None),
                span(None, true, 2.25, Some(7))
            ]
        );
    }
}
