//! trials.csv: its layout (the columns of [`columns`](super::columns) a sweep has), the appending
//! writer that makes each row durable, and reading it back.

use super::columns::{
    self, Cells, TrialColumns, BACKEND, END_OFFSET, ERROR, KEY, MEAN_N_ITER, MODEL, PARAMS,
    RESOURCE, RUNG, SEED, START_OFFSET, STATUS, TIMES, TRIAL, WORKER,
};
use super::{complete_file_len, open_complete, write_atomic, TRIALS};
use crate::evaluate::{Status, TrialRecord};
use crate::metrics::Metric;
use crate::search::{Outcome, Past, Recorded};
use crate::spec::{Backend, Space};
use crate::value::Value;
use anyhow::{Context as _, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The columns of trials.csv, named as scikit-learn's `cv_results_` where one exists.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub params: Vec<String>,
    pub metrics: Vec<Metric>,
    pub primary: Metric,
    pub folds: usize,
    /// Successive halving: `rung` and `resource` columns.
    pub staged: bool,
    /// A family that iterates is in the sweep: a `mean_n_iter` column.
    pub iterations: bool,
}

/// A parameter's cell: its canonical text, `None` for null (as `cv_results_` shows it), and empty
/// when the trial's model has no such parameter.
fn param_cell(value: Option<&Value>) -> String {
    match value {
        None => String::new(),
        Some(Value::Null) => "None".to_string(),
        Some(v) => v.to_string(),
    }
}

impl Layout {
    pub fn new(space: &Space) -> Layout {
        let mut params: Vec<String> = space
            .models()
            .iter()
            .flat_map(|m| m.params.iter().map(|(n, _)| n.clone()))
            .collect();
        if let crate::spec::Search::Halving(h) = space.search() {
            if let crate::spec::Resource::Param(name) = h.resource {
                params.push(name.to_string());
            }
        }
        params.sort();
        params.dedup();
        Layout {
            params,
            metrics: space.metrics().to_vec(),
            primary: space.primary(),
            folds: space.n_folds(),
            staged: matches!(space.search(), crate::spec::Search::Halving(_)),
            iterations: space.models().iter().any(|m| m.family.info().iterates),
        }
    }

    pub fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = [TRIAL, KEY, MODEL, STATUS, ERROR, PARAMS]
            .map(String::from)
            .to_vec();
        if self.staged {
            h.extend([RUNG, RESOURCE].map(String::from));
        }
        h.extend(self.params.iter().map(|p| columns::param(p)));
        for &m in &self.metrics {
            h.push(columns::mean_test(m));
            h.push(columns::std_test(m));
        }
        h.extend((0..self.folds).map(|k| columns::split_test(k, self.primary)));
        if self.iterations {
            h.push(MEAN_N_ITER.to_string());
        }
        h.extend(TIMES.map(String::from));
        h.extend([SEED, BACKEND, WORKER, START_OFFSET, END_OFFSET].map(String::from));
        h
    }

    /// `epoch`: when the run started (Unix seconds), which the start and end offsets count from;
    /// `backend`: the one this session runs trials on.
    pub fn row(&self, r: &TrialRecord, epoch: f64, backend: Backend) -> Vec<String> {
        // An undefined score (NaN) is an empty cell.
        let num = |x: Option<&f64>| {
            x.filter(|v| !v.is_nan())
                .map_or(String::new(), |v| v.to_string())
        };
        let params: serde_json::Map<String, serde_json::Value> = r
            .trial
            .params
            .iter()
            .map(|(n, v)| (n.clone(), v.to_json()))
            .collect();
        let mut row = vec![
            r.trial.index.to_string(),
            r.trial.key.clone(),
            r.trial.model.clone(),
            r.status.name().to_string(),
            r.error.replace(['\n', '\r'], " | "),
            serde_json::Value::Object(params).to_string(),
        ];
        if self.staged {
            let stage = r.trial.stage;
            row.push(stage.map_or(String::new(), |s| s.rung.to_string()));
            row.push(stage.map_or(String::new(), |s| s.resource.to_string()));
        }
        for p in &self.params {
            let value = r.trial.params.iter().find(|(n, _)| n == p).map(|(_, v)| v);
            row.push(param_cell(value));
        }
        for i in 0..self.metrics.len() {
            row.push(num(r.means.get(i)));
            row.push(num(r.stds.get(i)));
        }
        row.extend((0..self.folds).map(|k| num(r.splits.get(k))));
        if self.iterations {
            row.push(num(r.mean_n_iter.as_ref()));
        }
        let timed = matches!(r.status, Status::Ok | Status::Pruned);
        for seconds in [
            r.mean_fit_time,
            r.std_fit_time,
            r.mean_shared_fit_time,
            r.mean_shared_read_time,
            r.mean_score_time,
            r.std_score_time,
        ] {
            row.push(if timed {
                seconds.to_string()
            } else {
                String::new()
            });
        }
        row.push(r.trial.seed.to_string());
        row.push(backend.to_string());
        row.push(r.worker.map_or(String::new(), |w| w.to_string()));
        for at in [r.started, r.finished] {
            row.push(format!("{:.3}", at - epoch));
        }
        row
    }
}

/// Appends trial rows to trials.csv: each row is flushed to the OS as it is written and fsynced at
/// least once a second and on close, so a killed run loses at most the row being written. Before each
/// row it checks the file is still the one it opened: a folder deleted or replaced mid-run stops the
/// sweep at once instead of losing every later result.
pub struct TrialsWriter {
    writer: csv::Writer<File>,
    layout: Layout,
    path: PathBuf,
    /// Device and inode of the file opened.
    identity: (u64, u64),
    last_sync: Instant,
    epoch: f64,
    backend: Backend,
}

impl TrialsWriter {
    /// `epoch`: when the run first started (Unix seconds), for the rows' start and end offsets;
    /// `backend`: what this session's trials run on.
    pub fn open(dir: &Path, layout: Layout, epoch: f64, backend: Backend) -> Result<TrialsWriter> {
        let path = dir.join(TRIALS);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let meta = file
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?;
        let is_new = meta.len() == 0;
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(file);
        if is_new {
            writer
                .write_record(layout.header())
                .and_then(|()| Ok(writer.flush()?))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(TrialsWriter {
            writer,
            layout,
            identity: (meta.dev(), meta.ino()),
            path,
            last_sync: Instant::now(),
            epoch,
            backend,
        })
    }

    pub fn append(&mut self, record: &TrialRecord) -> Result<()> {
        let on_disk = std::fs::metadata(&self.path).map(|m| (m.dev(), m.ino()));
        if on_disk.as_ref().ok() != Some(&self.identity) {
            anyhow::bail!(
                "{} was deleted or replaced while the sweep ran; stopping so no more results are lost \
                 (the trials already written went with it)",
                self.path.display()
            );
        }
        self.writer
            .write_record(self.layout.row(record, self.epoch, self.backend))
            .and_then(|()| Ok(self.writer.flush()?))
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        if self.last_sync.elapsed() >= Duration::from_secs(1) {
            self.sync()?;
        }
        Ok(())
    }

    pub fn sync(&mut self) -> Result<()> {
        self.writer
            .flush()
            .map_err(anyhow::Error::from)
            .and_then(|()| Ok(self.writer.get_ref().sync_data()?))
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.last_sync = Instant::now();
        Ok(())
    }
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

impl TrialsTable {
    /// Keeps the first row of each trial key; returns the keys whose later copies were dropped.
    pub fn drop_duplicate_keys(&mut self) -> Vec<String> {
        let Some(key) = self.column(KEY) else {
            return Vec::new();
        };
        let mut seen = std::collections::HashSet::new();
        let mut dropped = Vec::new();
        self.rows.retain(|row| {
            let first = seen.insert(row[key].clone());
            if !first {
                dropped.push(row[key].clone());
            }
            first
        });
        dropped
    }

    /// What keeps this table from being a complete record with the `expected` columns: missing
    /// columns and repeated trial keys.
    pub fn shape_problems(&self, expected: &[String]) -> Vec<String> {
        let mut problems: Vec<String> = expected
            .iter()
            .filter(|c| self.column(c).is_none())
            .map(|c| format!("no `{c}` column"))
            .collect();
        if let Some(key) = self.column(KEY) {
            let mut seen = std::collections::HashSet::new();
            problems.extend(
                self.rows
                    .iter()
                    .filter(|row| !seen.insert(row[key].as_str()))
                    .map(|row| format!("trial `{}` appears more than once", row[key])),
            );
        }
        problems
    }
}

/// trials.csv's columns checked for replaying trials: the primary metric's mean and every fold.
fn recorded_columns(header: &[impl AsRef<str>], space: &Space) -> Result<TrialColumns> {
    let columns = TrialColumns::resolve_with(header, space.primary())
        .map_err(|e| anyhow::anyhow!("{TRIALS}: {e}"))?;
    if columns.folds(space.primary()) != space.n_folds() {
        anyhow::bail!(
            "{TRIALS} has {} fold columns of {} where the sweep has {} folds",
            columns.folds(space.primary()),
            space.primary().name(),
            space.n_folds()
        );
    }
    Ok(columns)
}

/// One finished trial as an adaptive search replays it.
pub fn recorded_trial(
    columns: &TrialColumns,
    row: &(impl Cells + ?Sized),
    space: &Space,
) -> Result<Recorded> {
    let key = columns.key(row);
    let bad = |what: &str| anyhow::anyhow!("{TRIALS}: trial `{key}` has an unreadable {what}");
    let label = key.split('(').next().unwrap_or("");
    let entry = space
        .models()
        .iter()
        .position(|m| crate::expand::entry_label(m.name(), &m.label) == label)
        .ok_or_else(|| bad("model"))?;
    let params: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(columns.params(row)).map_err(|_| bad("params cell"))?;
    let params = params
        .iter()
        .map(|(n, v)| Some((n.clone(), Value::from_json(v)?)))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("params cell"))?;
    let status = columns.status(row).ok_or_else(|| bad("status"))?;
    let stage = columns.rung(row).zip(columns.resource(row));
    Ok(Recorded {
        index: columns.trial(row).ok_or_else(|| bad("trial number"))?,
        past: Past {
            entry,
            params,
            key: key.to_string(),
            stage: stage.map(|(rung, resource)| crate::expand::Stage { rung, resource }),
            outcome: Some(Outcome {
                status,
                score: (status == Status::Ok)
                    .then(|| columns.mean(row, space.primary()))
                    .flatten(),
                splits: columns.splits(row, space.primary()),
            }),
        },
    })
}

/// The finished trials of a table, as an adaptive search (or pruning) replays them on resume.
pub fn recorded_trials(table: &TrialsTable, space: &Space) -> Result<Vec<Recorded>> {
    let columns = recorded_columns(&table.header, space)?;
    table
        .rows
        .iter()
        .map(|row| recorded_trial(&columns, row, space))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(keys: &[&str]) -> TrialsTable {
        TrialsTable {
            header: vec![KEY.into(), STATUS.into()],
            rows: keys
                .iter()
                .map(|k| vec![k.to_string(), "ok".into()])
                .collect(),
        }
    }

    #[test]
    fn duplicates_are_found_and_dropped_keeping_the_first() {
        let mut t = table(&["a", "b", "a"]);
        let expected = vec!["key".to_string(), "mean_test_accuracy".to_string()];
        let problems = t.shape_problems(&expected);
        assert_eq!(
            problems,
            vec![
                "no `mean_test_accuracy` column".to_string(),
                "trial `a` appears more than once".to_string()
            ]
        );
        assert_eq!(t.drop_duplicate_keys(), vec!["a".to_string()]);
        assert_eq!(t.rows.len(), 2);
    }

    #[test]
    fn a_full_disk_is_reported_with_the_file_it_hit() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/full", dir.path().join(TRIALS)).unwrap();
        let layout = Layout {
            params: vec![],
            metrics: vec![Metric::Accuracy],
            primary: Metric::Accuracy,
            folds: 1,
            staged: false,
            iterations: false,
        };
        let err = match TrialsWriter::open(dir.path(), layout, 0.0, Backend::Threads) {
            Ok(_) => panic!("writing to a full device succeeded"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains("trials.csv"), "{err}");
        assert!(err.contains("No space left on device"), "{err}");
    }

    #[test]
    fn null_parameters_read_as_none_and_absent_ones_as_empty() {
        assert_eq!(param_cell(Some(&Value::Null)), "None");
        assert_eq!(param_cell(None), "");
        assert_eq!(param_cell(Some(&Value::Float(0.5))), "0.5");
    }
}
