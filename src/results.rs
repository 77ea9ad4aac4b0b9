//! The results folder: `trials.csv` (append-only, one row per finished trial, durable), `leaderboard.csv`
//! (rebuilt from trials.csv alone), `manifest.json` and `config.yaml`.

use crate::evaluate::{Context, Status, TrialRecord};
use crate::metrics::Metric;
use anyhow::{Context as _, Result};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const TRIALS: &str = "trials.csv";
pub const LEADERBOARD: &str = "leaderboard.csv";
pub const MANIFEST: &str = "manifest.json";
pub const CONFIG: &str = "config.yaml";

/// The columns of trials.csv, named as scikit-learn's `cv_results_` where one exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub params: Vec<String>,
    pub metrics: Vec<Metric>,
    pub primary: Metric,
    pub folds: usize,
}

impl Layout {
    pub fn new(ctx: &Context) -> Layout {
        let mut params: Vec<String> = ctx
            .sweep
            .models
            .iter()
            .flat_map(|m| m.params.iter().map(|(n, _)| n.clone()))
            .collect();
        params.sort();
        params.dedup();
        Layout {
            params,
            metrics: ctx.metrics.to_vec(),
            primary: ctx.primary,
            folds: ctx.n_folds(),
        }
    }

    pub fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = ["trial", "key", "model", "status", "error"]
            .map(String::from)
            .to_vec();
        h.extend(self.params.iter().map(|p| format!("param_{p}")));
        for m in &self.metrics {
            h.push(format!("mean_test_{}", m.name()));
            h.push(format!("std_test_{}", m.name()));
        }
        h.extend((0..self.folds).map(|k| format!("split{k}_test_{}", self.primary.name())));
        h.extend(
            [
                "mean_fit_time",
                "mean_score_time",
                "seed",
                "backend",
                "worker",
            ]
            .map(String::from),
        );
        h
    }

    pub fn row(&self, r: &TrialRecord) -> Vec<String> {
        let num = |x: Option<&f64>| x.map_or(String::new(), |v| v.to_string());
        let mut row = vec![
            r.trial.index.to_string(),
            r.trial.key.clone(),
            r.trial.model.clone(),
            r.status.name().to_string(),
            r.error.replace(['\n', '\r'], " | "),
        ];
        for p in &self.params {
            row.push(
                r.trial
                    .params
                    .iter()
                    .find(|(n, _)| n == p)
                    .map_or(String::new(), |(_, v)| v.to_string()),
            );
        }
        for i in 0..self.metrics.len() {
            row.push(num(r.means.get(i)));
            row.push(num(r.stds.get(i)));
        }
        row.extend((0..self.folds).map(|k| num(r.splits.get(k))));
        let timed = r.status == Status::Ok;
        row.push(if timed {
            r.mean_fit_time.to_string()
        } else {
            String::new()
        });
        row.push(if timed {
            r.mean_score_time.to_string()
        } else {
            String::new()
        });
        row.push(r.trial.seed.to_string());
        row.push(r.backend.clone());
        row.push(r.worker.map_or(String::new(), |w| w.to_string()));
        row
    }
}

/// Appends trial rows to trials.csv: each row is flushed to the OS as it is written and fsynced at
/// least once a second and on close, so a killed run loses at most the row being written.
pub struct TrialsWriter {
    writer: csv::Writer<File>,
    layout: Layout,
    last_sync: Instant,
}

impl TrialsWriter {
    pub fn open(dir: &Path, layout: Layout) -> Result<TrialsWriter> {
        let path = dir.join(TRIALS);
        let is_new = !path.exists() || std::fs::metadata(&path)?.len() == 0;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(file);
        if is_new {
            writer.write_record(layout.header())?;
            writer.flush()?;
        }
        Ok(TrialsWriter {
            writer,
            layout,
            last_sync: Instant::now(),
        })
    }

    pub fn append(&mut self, record: &TrialRecord) -> Result<()> {
        self.writer.write_record(self.layout.row(record))?;
        self.writer.flush()?;
        if self.last_sync.elapsed() >= Duration::from_secs(1) {
            self.sync()?;
        }
        Ok(())
    }

    pub fn sync(&mut self) -> Result<()> {
        self.writer.flush()?;
        self.writer.get_ref().sync_data()?;
        self.last_sync = Instant::now();
        Ok(())
    }
}

/// Replaces a file atomically: `write` fills a temporary beside it, which is fsynced, then renamed
/// over the target.
fn replace_file(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let file = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let mut out = BufWriter::new(file);
    write(&mut out)?;
    let file = out.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename into {}", path.display()))?;
    Ok(())
}

/// Writes a file atomically (see [`replace_file`]).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    replace_file(path, |out| Ok(out.write_all(contents)?))
}

/// trials.csv opened for reading up to its last complete line: a kill can leave the last row
/// half-written, and that row never finished.
fn open_complete(path: &Path) -> Result<(File, u64)> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let complete = complete_file_len(&mut file)?;
    file.seek(SeekFrom::Start(0))?;
    Ok((file, complete))
}

/// trials.csv as read back: header plus complete rows.
pub struct TrialsTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl TrialsTable {
    pub fn read(path: &Path) -> Result<TrialsTable> {
        let (file, complete) = open_complete(path)?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(BufReader::new(file.take(complete)));
        let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record?;
            // A row cut short by a kill has fewer fields than the header: it never finished.
            if record.len() == header.len() {
                rows.push(record.iter().map(String::from).collect());
            }
        }
        Ok(TrialsTable { header, rows })
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    pub fn to_csv(&self) -> Result<Vec<u8>> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&self.header)?;
        for row in &self.rows {
            writer.write_record(row)?;
        }
        writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The rows re-laid under another header, matching columns by name (missing ones empty).
    pub fn relayout(&self, header: Vec<String>) -> TrialsTable {
        let sources: Vec<Option<usize>> = header.iter().map(|h| self.column(h)).collect();
        let rows = self
            .rows
            .iter()
            .map(|row| {
                sources
                    .iter()
                    .map(|s| s.map_or(String::new(), |i| row[i].clone()))
                    .collect()
            })
            .collect();
        TrialsTable { header, rows }
    }
}

/// The leaderboard as written: its header, its first rows (for the final table), row count and the
/// number of trials per status.
pub struct Board {
    pub top: TrialsTable,
    pub rows: usize,
    pub statuses: BTreeMap<String, usize>,
}

/// How many leaderboard rows [`write_leaderboard`] keeps in memory for display.
const TOP_ROWS: usize = 20;

/// One trial's place in the ranking: its score (if ok), its key, and where its row is in trials.csv.
struct Entry {
    score: Option<f64>,
    key: String,
    start: u64,
    end: u64,
}

/// Sorts best first and ranks: equal scores share a rank (the lowest), ties are then ordered by trial
/// key; trials that did not finish ok come last without a rank.
fn rank(entries: &mut [Entry], primary: Metric) -> Vec<Option<usize>> {
    let better = |a: f64, b: f64| {
        if primary.higher_is_better() {
            b.total_cmp(&a)
        } else {
            a.total_cmp(&b)
        }
    };
    entries.sort_by(|a, b| {
        let by_score = match (a.score, b.score) {
            (Some(x), Some(y)) => better(x, y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        by_score.then_with(|| a.key.cmp(&b.key))
    });
    let mut previous: Option<(f64, usize)> = None;
    entries
        .iter()
        .enumerate()
        .map(|(position, e)| match (e.score, previous) {
            (Some(s), Some((p, r))) if s == p => Some(r),
            (Some(s), _) => {
                previous = Some((s, position + 1));
                Some(position + 1)
            }
            (None, _) => None,
        })
        .collect()
}

/// Length of trials.csv up to its last complete line, reading only its end.
fn complete_file_len(file: &mut File) -> Result<u64> {
    let mut end = file.metadata()?.len();
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let piece = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(piece)?;
        if let Some(i) = piece.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Ranks trials.csv into leaderboard.csv without holding the rows in memory: one pass collects each
/// trial's score, key and byte range, the ranking sorts those, a second pass copies rows in rank order.
pub fn write_leaderboard(dir: &Path, primary: Metric) -> Result<Board> {
    let (mut source, complete) = open_complete(&dir.join(TRIALS))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::new((&source).take(complete)));
    let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("trials.csv has no {name} column"))
    };
    let score_col = column(&format!("mean_test_{}", primary.name()))?;
    let (status_col, key_col) = (column("status")?, column("key")?);
    let mut entries = Vec::new();
    let mut statuses = BTreeMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte();
        if !reader.read_record(&mut record)? {
            break;
        }
        if record.len() != header.len() {
            continue;
        }
        let status = &record[status_col];
        *statuses.entry(status.to_string()).or_insert(0) += 1;
        let score = (status == "ok")
            .then(|| record[score_col].parse::<f64>().ok())
            .flatten()
            .filter(|s| !s.is_nan());
        entries.push(Entry {
            score,
            key: record[key_col].to_string(),
            start,
            end: reader.position().byte(),
        });
    }
    drop(reader);
    let ranks = rank(&mut entries, primary);

    let mut board_header = vec![format!("rank_test_{}", primary.name())];
    board_header.extend(header.iter().cloned());
    let mut top = Vec::new();
    replace_file(&dir.join(LEADERBOARD), |out| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(&board_header)?;
        let mut row = Vec::new();
        for (entry, rank) in entries.iter().zip(&ranks) {
            row.resize((entry.end - entry.start) as usize, 0);
            source.seek(SeekFrom::Start(entry.start))?;
            source.read_exact(&mut row)?;
            let mut one = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(row.as_slice());
            one.read_record(&mut record)?;
            let mut out = vec![rank.map_or(String::new(), |r| r.to_string())];
            out.extend(record.iter().map(String::from));
            writer.write_record(&out)?;
            if top.len() < TOP_ROWS {
                top.push(out);
            }
        }
        Ok(writer.flush()?)
    })?;
    Ok(Board {
        top: TrialsTable {
            header: board_header,
            rows: top,
        },
        rows: entries.len(),
        statuses,
    })
}

/// Holds an exclusive advisory lock on a results folder while a run writes to it.
pub struct RunLock {
    _file: File,
}

/// Locks `dir` for writing, or explains which process holds it.
pub fn lock_run_dir(dir: &Path) -> Result<RunLock> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(".lock");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            write!(file, "{}", std::process::id())?;
            file.sync_data()?;
            Ok(RunLock { _file: file })
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            Err(crate::error::InputError::new(format!(
                "{}: another sweep (pid {}) is writing to this folder; wait for it to finish or stop it",
                dir.display(),
                holder.trim()
            ))
            .into())
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Cuts a torn last row (from a kill mid-write) off trials.csv, so appending resumes on a line boundary.
pub fn drop_torn_tail(path: &Path) -> Result<()> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let complete = complete_file_len(&mut file)?;
    if complete < file.metadata()?.len() {
        file.set_len(complete)?;
        file.sync_all()?;
    }
    Ok(())
}

/// Replaces trials.csv with `table` (atomically).
pub fn rewrite_trials(dir: &Path, table: &TrialsTable) -> Result<()> {
    write_atomic(&dir.join(TRIALS), &table.to_csv()?)
}

/// `results/<name>-<timestamp>` under the current folder.
pub fn default_out_dir(name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from("results").join(format!(
        "{safe}-{}",
        chrono::Local::now().format("%Y%m%d-%H%M%S")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a trials.csv of (key, status, score) rows and ranks it.
    fn ranked(
        metric: Metric,
        rows: &[(&str, &str, &str)],
        tail: &str,
    ) -> (tempfile::TempDir, Board) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = format!("key,status,mean_test_{}\n", metric.name());
        for (k, s, v) in rows {
            text.push_str(&format!("{k},{s},{v}\n"));
        }
        text.push_str(tail);
        std::fs::write(dir.path().join(TRIALS), text).unwrap();
        let board = write_leaderboard(dir.path(), metric).unwrap();
        (dir, board)
    }

    #[test]
    fn ties_share_a_rank_and_failures_come_last() {
        let rows = [
            ("d", "failed", ""),
            ("c", "ok", "0.9"),
            ("a", "ok", "0.95"),
            ("b", "ok", "0.9"),
        ];
        let (dir, board) = ranked(Metric::Accuracy, &rows, "");
        let written = std::fs::read_to_string(dir.path().join(LEADERBOARD)).unwrap();
        let expected = "rank_test_accuracy,key,status,mean_test_accuracy\n1,a,ok,0.95\n2,b,ok,0.9\n2,c,ok,0.9\n,d,failed,\n";
        assert_eq!(written, expected);
        assert_eq!(board.rows, 4);
        assert_eq!(board.statuses["ok"], 3);
        assert_eq!(board.top.rows[0][1], "a");
    }

    #[test]
    fn lower_is_better_for_error_metrics_and_a_torn_row_is_skipped() {
        let (_dir, board) = ranked(
            Metric::Rmse,
            &[("a", "ok", "3.0"), ("b", "ok", "1.0")],
            "c,ok,0.",
        );
        assert_eq!(board.rows, 2);
        assert_eq!(board.top.rows[0][1], "b");
    }

    #[test]
    fn torn_last_row_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TRIALS);
        std::fs::write(&path, "key,status,mean_test_accuracy\na,ok,0.5\nb,o").unwrap();
        let t = TrialsTable::read(&path).unwrap();
        assert_eq!(t.rows.len(), 1);
    }
}
