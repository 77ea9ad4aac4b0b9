//! A sharded run's folder (`OUT/shards/I-of-N/`, one per `sweep run --shard I/N`): finding its shards,
//! checking they belong to one sweep, and combining them into one results folder. Rows are streamed
//! shard by shard, so merging holds one row and an 8-byte hash per trial, whatever the trial count.

use super::columns::{TrialColumns, SHARD};
use super::lock::is_locked;
use super::manifest::{Manifest, MergeRecord, RunStatus, TrialCounts};
use super::{open_complete, replace_file, MANIFEST, TRIALS};
use crate::error::InputError;
use crate::evaluate::Status;
use crate::expand::fingerprint_text;
use crate::seed::key_hash;
use crate::spec::Shard;
use anyhow::Result;
use std::collections::HashSet;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// The folder under a sharded run's folder that holds one folder per shard.
pub const SHARDS: &str = "shards";

/// One shard's folder and what it holds so far.
pub struct ShardState {
    pub shard: Shard,
    pub dir: PathBuf,
    /// `None` before the shard wrote its manifest (not started, or failed at once).
    pub manifest: Option<Manifest>,
    /// Complete rows in its trials.csv.
    pub done: usize,
    /// Rows that did not end ok or pruned.
    pub failed: usize,
    /// A command holds its lock: it is running now.
    pub running: bool,
}

impl ShardState {
    pub fn finished(&self) -> bool {
        self.manifest
            .as_ref()
            .is_some_and(|m| m.status == RunStatus::Finished)
    }
}

/// Every shard of the sharded run in `dir`, 1 to N (missing ones without a manifest), after checking
/// they are shards of one sweep: one shard count, the same sweep as written, the same data.
pub fn shard_states(dir: &Path) -> Result<Vec<ShardState>> {
    let root = dir.join(SHARDS);
    let entries = std::fs::read_dir(&root).map_err(|e| {
        InputError::new(format!(
            "{}: {e}; give the --out folder of `sweep run --shard I/N` (or of `sweep slurm`)",
            root.display()
        ))
    })?;
    let mut found: Vec<Shard> = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        if let Some(shard) = Shard::from_folder(&name.to_string_lossy()) {
            found.push(shard);
        }
    }
    let counts: std::collections::BTreeSet<usize> = found.iter().map(|s| s.count).collect();
    let count = match counts.len() {
        0 => {
            return Err(InputError::new(format!(
                "{}: no shard folders (named I-of-N)",
                root.display()
            ))
            .into())
        }
        1 => counts.into_iter().next().unwrap_or(1),
        _ => {
            return Err(InputError::new(format!(
                "{}: shards of different splits ({}); one sharded run has one shard count",
                root.display(),
                counts
                    .iter()
                    .map(|n| format!("of {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into())
        }
    };
    let mut states = Vec::with_capacity(count);
    let mut reference: Option<(PathBuf, Manifest)> = None;
    for index in 1..=count {
        let shard = Shard { index, count };
        let shard_dir = root.join(shard.folder());
        let manifest = if shard_dir.join(MANIFEST).is_file() {
            Some(Manifest::read(&shard_dir)?)
        } else {
            None
        };
        if let Some(m) = &manifest {
            match &reference {
                None => reference = Some((shard_dir.clone(), m.clone())),
                Some((first_dir, first)) => same_sweep(first_dir, first, &shard_dir, m)?,
            }
        }
        let (done, failed) = count_rows(&shard_dir.join(TRIALS))?;
        states.push(ShardState {
            shard,
            running: is_locked(&shard_dir),
            dir: shard_dir,
            manifest,
            done,
            failed,
        });
    }
    Ok(states)
}

/// Refuses two shards whose sweep, data or split differ.
fn same_sweep(a_dir: &Path, a: &Manifest, b_dir: &Path, b: &Manifest) -> Result<()> {
    let differ = if a.sweep != b.sweep || a.seed != b.seed {
        Some("the sweep (its file changed between shards, or they come from different sweeps)")
    } else if a.data.sha256 != b.data.sha256 {
        Some("the data (the file's sha256 differs)")
    } else {
        None
    };
    match differ {
        None => Ok(()),
        Some(what) => Err(InputError::new(format!(
            "{} and {} differ in {what}: they are not shards of one sweep; merge only shards of the same \
             sweep and data (run the others again with `sweep run SWEEP --shard I/N`)",
            a_dir.display(),
            b_dir.display()
        ))
        .into()),
    }
}

/// Complete rows of a trials.csv and how many of them failed; (0, 0) when there is none yet.
fn count_rows(path: &Path) -> Result<(usize, usize)> {
    if !path.is_file() {
        return Ok((0, 0));
    }
    let (file, complete) = open_complete(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::new(file.take(complete)));
    let header = reader.headers()?.clone();
    let header_names: Vec<&str> = header.iter().collect();
    let columns = TrialColumns::resolve(&header_names).ok();
    let (mut done, mut failed) = (0, 0);
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        if record.len() != header.len() {
            continue;
        }
        done += 1;
        let status = columns.as_ref().and_then(|c| c.status(&record));
        if !matches!(status, None | Some(Status::Ok | Status::Pruned)) {
            failed += 1;
        }
    }
    Ok((done, failed))
}

/// The command that runs (or continues) a shard.
pub fn shard_command(states: &[ShardState], shard: Shard, out: &Path) -> String {
    let config = states.iter().find_map(|s| s.manifest.as_ref()).map_or_else(
        || "SWEEP.yaml".to_string(),
        |m| m.config_file.display().to_string(),
    );
    format!("sweep run {config} --shard {shard} --out {}", out.display())
}

/// What was merged.
pub struct Merged {
    pub manifest: Manifest,
    pub rows: usize,
}

/// Combines the finished shards (all of them unless `partial`) of the sharded run in `dir` into
/// `dir`'s trials.csv and manifest.json. Unfinished or missing shards are an input error listing the
/// commands that would run them, unless `partial`.
pub fn merge_shards(dir: &Path, states: &[ShardState], partial: bool) -> Result<Merged> {
    let unfinished: Vec<&ShardState> = states.iter().filter(|s| !s.finished()).collect();
    if !unfinished.is_empty() && !partial {
        let lines: Vec<String> = unfinished
            .iter()
            .map(|s| {
                let state = match (&s.manifest, s.running) {
                    (_, true) => format!("running, {} trials done", s.done),
                    (None, false) => "not started".to_string(),
                    (Some(m), false) => {
                        format!("{} of {} trials done, stopped", s.done, m.trials.total)
                    }
                };
                format!(
                    "  shard {} ({state}): {}",
                    s.shard,
                    shard_command(states, s.shard, dir)
                )
            })
            .collect();
        return Err(InputError::new(format!(
            "{}: {} of {} shards not finished; run them (a stopped shard continues where it stopped), \
             or merge what is there with --partial:\n{}",
            dir.display(),
            unfinished.len(),
            states.len(),
            lines.join("\n")
        ))
        .into());
    }
    let merged: Vec<&ShardState> = states
        .iter()
        .filter(|s| s.manifest.is_some() && (s.finished() || partial))
        .collect();
    let Some(first) = merged.first().and_then(|s| s.manifest.clone()) else {
        return Err(InputError::new(format!("{}: no shard has started yet", dir.display())).into());
    };
    let epoch = merged
        .iter()
        .filter_map(|s| s.manifest.as_ref())
        .map(Manifest::epoch)
        .fold(f64::INFINITY, f64::min);
    let mut header: Option<csv::StringRecord> = None;
    let mut seen: HashSet<u64> = HashSet::new();
    let mut counts = TrialCounts::default();
    let mut fingerprint_sum = 0u64;
    let mut total = 0;
    let mut end = epoch;
    replace_file(&dir.join(TRIALS), |file| {
        let mut writer = csv::Writer::from_writer(file);
        for state in &merged {
            let Some(m) = &state.manifest else { continue };
            total += m.trials.total;
            end = end.max(m.epoch() + m.elapsed_seconds.unwrap_or(0.0));
            let shift = m.epoch() - epoch;
            let copied = copy_rows(
                state,
                shift,
                &mut header,
                &mut writer,
                &mut seen,
                &mut counts,
            )?;
            if state.finished() {
                check_complete(state, m, copied)?;
            }
            fingerprint_sum = fingerprint_sum.wrapping_add(copied.1);
        }
        writer.flush()?;
        Ok(())
    })?;
    let mut manifest = first;
    counts.total = total;
    // From the rows written, so the merged run says what it holds, not what the shards claimed.
    counts.keys_fingerprint = fingerprint_text(total, fingerprint_sum);
    manifest.trials = counts;
    manifest.shard = None;
    manifest.models = Vec::new();
    manifest.merged = Some(MergeRecord {
        count: states.len(),
        shards: merged.iter().map(|s| s.shard.index).collect(),
    });
    manifest.started_at = chrono::DateTime::from_timestamp_millis((epoch * 1000.0) as i64)
        .map_or(manifest.started_at.clone(), |t| t.to_rfc3339());
    manifest.elapsed_seconds = Some(end - epoch);
    manifest.finished_at = Some(chrono::Local::now().to_rfc3339());
    let complete = merged.len() == states.len();
    manifest.write(
        dir,
        if complete {
            RunStatus::Finished
        } else {
            RunStatus::Partial
        },
    )?;
    Ok(Merged {
        rows: seen.len(),
        manifest,
    })
}

/// Refuses a finished shard whose rows are not the trials its manifest lists: as many rows as
/// trials, and the same keys (their fingerprint, recomputed from the rows).
fn check_complete(state: &ShardState, m: &Manifest, (rows, sum): (usize, u64)) -> Result<()> {
    let path = state.dir.join(TRIALS);
    let expected = fingerprint_text(m.trials.total, sum);
    if rows != m.trials.total || m.trials.keys_fingerprint != expected {
        return Err(InputError::new(format!(
            "{}: shard {} is finished with {} trials, but its trials.csv holds {rows} rows{}; the file was \
             edited or mixed with another run's: run the shard again into a new folder (`sweep run SWEEP \
             --shard {} --out NEW`) and merge that",
            path.display(),
            state.shard,
            m.trials.total,
            if rows == m.trials.total {
                " whose keys are not the shard's trials"
            } else {
                ""
            },
            state.shard,
        ))
        .into());
    }
    Ok(())
}

/// Appends one shard's complete rows, with its number in a `shard` column and its start and end
/// offsets moved to the merged run's start; returns how many rows it copied and the sum of their
/// key hashes. Every row must be whole, of a known status and one of this shard's trials.
fn copy_rows<W: Write>(
    state: &ShardState,
    shift: f64,
    header: &mut Option<csv::StringRecord>,
    writer: &mut csv::Writer<W>,
    seen: &mut HashSet<u64>,
    counts: &mut TrialCounts,
) -> Result<(usize, u64)> {
    let (shard, path) = (state.shard, state.dir.join(TRIALS));
    let refuse = |why: String| -> anyhow::Error {
        InputError::new(format!(
            "{}: {why}; the shard's results are damaged: run it again into a new folder (`sweep run SWEEP \
             --shard {shard} --out NEW`) and merge that",
            path.display()
        ))
        .into()
    };
    if !path.is_file() {
        return Err(refuse(format!(
            "shard {shard} has a manifest but no trials.csv"
        )));
    }
    let (file, complete) = open_complete(&path)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::new(file.take(complete)));
    let own = reader.headers()?.clone();
    let own_names: Vec<&str> = own.iter().collect();
    let columns = TrialColumns::resolve(&own_names).map_err(refuse)?;
    match header {
        None => {
            let mut merged = own.clone();
            merged.push_field(SHARD);
            writer.write_record(&merged)?;
            *header = Some(own.clone());
        }
        Some(h) if *h != own => {
            return Err(InputError::new(format!(
            "{}: its columns differ from the first shard's; it is not a shard of the same sweep",
            path.display()
        ))
            .into())
        }
        Some(_) => {}
    }
    let offsets = columns
        .offset_columns()
        .map_or([None, None], |(s, e)| [Some(s), Some(e)]);
    let (mut rows, mut sum) = (0usize, 0u64);
    let mut record = csv::StringRecord::new();
    let mut out = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != own.len() {
            return Err(refuse(format!(
                "line {line} has {} fields where the header has {}",
                record.len(),
                own.len()
            )));
        }
        if !columns.trial(&record).is_some_and(|n| shard.holds(n)) {
            return Err(refuse(format!(
                "line {line}: trial `{}` is not a trial number of shard {shard}",
                columns.trial_text(&record)
            )));
        }
        let hash = key_hash(columns.key(&record));
        if !seen.insert(hash) {
            return Err(InputError::new(format!(
                "{}: trial `{}` is also in an earlier shard; shards of one sweep never share a trial",
                path.display(),
                columns.key(&record)
            ))
            .into());
        }
        match columns.status(&record) {
            Some(status) => counts.add(status),
            None => {
                return Err(refuse(format!(
                    "line {line}: status `{}` is not one of {}",
                    crate::error::shortened(columns.status_text(&record)),
                    Status::ALL.map(Status::name).join(", ")
                )))
            }
        }
        rows += 1;
        sum = sum.wrapping_add(hash);
        out.clear();
        for (c, cell) in record.iter().enumerate() {
            let offset = offsets.contains(&Some(c)).then(|| cell.parse::<f64>().ok());
            match offset.flatten() {
                Some(v) => out.push_field(&format!("{:.3}", v + shift)),
                None => out.push_field(cell),
            }
        }
        out.push_field(&shard.index.to_string());
        writer.write_record(&out)?;
    }
    Ok((rows, sum))
}
