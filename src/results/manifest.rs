//! manifest.json: what ran, with what, on which data, and how it ended; enough to resume or rerun it.
//! A typed, versioned record written and read by this one module.

use super::{write_atomic, MANIFEST};
use crate::data::folds::CvPlan;
use crate::data::{ColumnReport, Task};
use crate::error::InputError;
use crate::evaluate::baseline::Baseline;
use crate::evaluate::Status;
use crate::metrics::Metric;
use crate::spec::execution::cores;
use crate::spec::{ExecutionOverrides, Plan, Refit, Strategy, SweepText, TestSource};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bumped whenever a field changes meaning; a newer manifest is refused rather than misread.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Finished,
    /// Stopped after `max_failures` failed trials.
    Stopped,
    /// `search.time_budget` ran out: trials that had not started are left for `sweep resume`.
    TimeBudget,
    Interrupted,
    /// Merged from only some of its shards (`sweep merge --partial`).
    Partial,
}

impl RunStatus {
    /// As manifest.json writes it.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Stopped => "stopped",
            RunStatus::TimeBudget => "time_budget",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Partial => "partial",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
    /// The source revision the binary was built from, when known.
    pub build_revision: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataRecord {
    pub path: PathBuf,
    /// Rows used (those with a target value).
    pub rows: usize,
    /// Rows left out because their target was missing.
    pub dropped_rows: usize,
    /// Features after typing (a date column gives several).
    pub features: Vec<String>,
    pub sha256: String,
    /// Every column of the file: kind, missing and distinct counts, and how it is used.
    pub columns: Vec<ColumnReport>,
    pub warnings: Vec<String>,
    /// The class binary metrics score (`data.pos_label`, else the minority), for two classes.
    #[serde(default)]
    pub positive_class: Option<String>,
}

/// Trials of the whole sweep, and how the finished ones ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrialCounts {
    pub total: usize,
    /// Count and order-independent hash of the trial keys, to notice a changed sweep.
    pub keys_fingerprint: String,
    pub ok: usize,
    pub failed: usize,
    pub crashed: usize,
    pub timeout: usize,
    #[serde(default)]
    pub pruned: usize,
}

impl TrialCounts {
    /// Counts one finished trial.
    pub fn add(&mut self, status: Status) {
        *match status {
            Status::Ok => &mut self.ok,
            Status::Failed => &mut self.failed,
            Status::Crashed => &mut self.crashed,
            Status::Timeout => &mut self.timeout,
            Status::Pruned => &mut self.pruned,
        } += 1;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub tool: Tool,
    pub status: RunStatus,
    pub name: String,
    /// The sweep file as given (absolute); relative data paths in `sweep` are relative to its folder.
    pub config_file: PathBuf,
    /// The revision of the repository holding the sweep file, when it is in one.
    pub config_revision: Option<String>,
    /// The sweep as written.
    pub sweep: serde_json::Value,
    /// How trials were chosen (filled from `sweep` when reading a manifest written before it).
    #[serde(default)]
    pub strategy: Strategy,
    /// The execution settings the run used, in the form the command line takes them.
    pub execution: ExecutionOverrides,
    pub seed: u64,
    pub metric: Metric,
    pub task: Task,
    pub cv: CvPlan,
    pub folds: usize,
    pub cores: usize,
    pub started_at: String,
    pub resumed_at: Vec<String>,
    pub finished_at: Option<String>,
    pub elapsed_seconds: Option<f64>,
    /// CPU seconds the sweep's processes (its own and its workers) used while trials ran, summed
    /// over the sessions of a resumed run.
    #[serde(default)]
    pub trials_cpu_seconds: Option<f64>,
    pub data: DataRecord,
    pub trials: TrialCounts,
    /// Which configurations are refitted and saved after the search.
    #[serde(default)]
    pub refit: Refit,
    /// The held-out test set, if the sweep has one.
    #[serde(default)]
    pub test: Option<TestRecord>,
    /// The refitted models, best first.
    #[serde(default)]
    pub models: Vec<RefitRecord>,
    /// Adaptive search and pruning: proposal n uses the results of trials before n + 1 - lag (the
    /// jobs the run started with), kept when it is resumed with other jobs.
    #[serde(default)]
    pub proposal_lag: Option<usize>,
    /// `--shard I/N`: the run holds only this shard of the sweep's trials.
    #[serde(default)]
    pub shard: Option<crate::spec::Shard>,
    /// `sweep merge`: the shards this run was combined from.
    #[serde(default)]
    pub merged: Option<MergeRecord>,
    /// The trivial model's scores on the same folds.
    #[serde(default)]
    pub baseline: Option<Baseline>,
}

/// Which shards of how many a merged run holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeRecord {
    pub count: usize,
    pub shards: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRecord {
    pub source: TestSource,
    pub rows: usize,
    /// sha256 of the test rows' places in their file, one number per line in test order (the `row`
    /// column of each model's test_predictions.csv lists them).
    #[serde(default)]
    pub rows_sha256: String,
    /// For a split: the sweep seed that draws the same rows from the same file.
    #[serde(default)]
    pub split_seed: Option<u64>,
}

/// One refitted configuration: where its model is, how the refit went, and its test scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefitRecord {
    pub key: String,
    pub model: String,
    /// The model folder, relative to the results folder.
    pub dir: PathBuf,
    /// The best configuration of the sweep (what `sweep predict RUN_DIR` uses).
    pub best: bool,
    pub status: Status,
    pub error: String,
    pub fit_seconds: f64,
    /// `test_<metric>` -> score on the test set.
    pub test: BTreeMap<String, f64>,
}

impl Manifest {
    /// The manifest of a new run of `plan`, or of a resumed one carrying over `previous`'s history.
    pub fn new(
        plan: &Plan,
        total: usize,
        keys_fingerprint: String,
        previous: Option<&Manifest>,
    ) -> Manifest {
        let ds = &plan.data().dataset();
        let now = chrono::Local::now().to_rfc3339();
        let origin = plan.origin();
        let config_file = if plan.request().sweep.in_manifest {
            previous.map_or_else(|| origin.to_path_buf(), |p| p.config_file.clone())
        } else {
            std::path::absolute(origin).unwrap_or_else(|_| origin.to_path_buf())
        };
        let mut resumed_at = previous.map_or_else(Vec::new, |p| p.resumed_at.clone());
        if previous.is_some() {
            resumed_at.push(now.clone());
        }
        Manifest {
            format_version: FORMAT_VERSION,
            tool: Tool {
                name: "sweep".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                build_revision: option_env!("SWEEP_BUILD_REVISION").map(String::from),
            },
            status: RunStatus::Running,
            name: plan.name().to_string(),
            config_revision: git_revision(&plan.request().sweep.base_dir),
            config_file,
            sweep: plan.as_written().clone(),
            strategy: plan.space().search().strategy(),
            execution: plan.execution().as_overrides(),
            seed: plan.space().seed(),
            metric: plan.space().primary(),
            task: plan.data().task(),
            cv: plan.data().cv().clone(),
            folds: plan.space().n_folds(),
            cores: cores(),
            started_at: previous.map_or(now, |p| p.started_at.clone()),
            resumed_at,
            finished_at: None,
            elapsed_seconds: None,
            trials_cpu_seconds: None,
            data: DataRecord {
                path: ds.path.clone(),
                rows: ds.n_rows(),
                dropped_rows: ds.dropped_rows,
                features: ds.feature_names(),
                sha256: ds.hash.clone(),
                columns: ds.columns.clone(),
                warnings: ds.warnings.clone(),
                positive_class: plan.data().positive().map(|c| ds.class_labels[c].clone()),
            },
            trials: TrialCounts {
                total,
                keys_fingerprint,
                ..TrialCounts::default()
            },
            refit: plan.refit(),
            test: plan.data().test().as_ref().map(|t| TestRecord {
                source: t.source.clone(),
                rows: t.rows.len(),
                rows_sha256: t.rows_sha256(),
                split_seed: matches!(t.source, TestSource::Split { .. })
                    .then(|| plan.space().seed()),
            }),
            models: Vec::new(),
            proposal_lag: previous.and_then(|p| p.proposal_lag).or_else(|| {
                (plan.space().search().is_adaptive() || plan.space().prune().is_some())
                    .then_some(plan.execution().jobs)
            }),
            shard: plan.space().shard(),
            merged: None,
            baseline: Some(Baseline::score(plan)),
        }
    }

    /// Reads `dir`'s manifest; an input error when it is missing, corrupt or from a newer version.
    pub fn read(dir: &Path) -> Result<Manifest, InputError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let hint = if dir.join(super::lock::LOCK).exists() {
                "the run in this folder stopped before it wrote its manifest, so before any trial ran; \
                 start it again with `sweep run SWEEP --out DIR`"
            } else {
                "is this a sweep results folder?"
            };
            InputError::new(format!("{}: cannot read manifest ({e}); {hint}", path.display()))
        })?;
        let invalid =
            |e: String| InputError::new(format!("{}: invalid manifest: {e}", path.display()));
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        match value.get("format_version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(invalid(format!(
                    "format_version {v}, but this sweep {} reads version {FORMAT_VERSION}; use the sweep version that wrote it",
                    env!("CARGO_PKG_VERSION")
                )))
            }
            None => return Err(invalid("no format_version; it was not written by sweep".to_string())),
        }
        let mut value = value;
        if value.get("strategy").is_none() {
            let written = value.pointer("/sweep/search/strategy").cloned();
            value["strategy"] = written.unwrap_or_else(|| serde_json::json!("grid"));
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }

    /// The manifest's own text, for reading the recorded sweep with positions.
    /// The folder a recorded sweep's relative data paths resolve from: the original file's.
    pub fn sweep_base_dir(&self, dir: &Path) -> PathBuf {
        self.config_file
            .parent()
            .map_or_else(|| dir.to_path_buf(), Path::to_path_buf)
    }

    /// The sweep as the manifest of the results folder `dir` holds it.
    pub fn recorded_sweep(&self, dir: &Path) -> Result<SweepText, InputError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            InputError::new(format!("{}: cannot read manifest ({e})", path.display()))
        })?;
        Ok(SweepText {
            origin: path,
            text,
            base_dir: self.sweep_base_dir(dir),
            in_manifest: true,
        })
    }

    pub fn write(&mut self, dir: &Path, status: RunStatus) -> Result<()> {
        self.status = status;
        write_atomic(
            &dir.join(MANIFEST),
            serde_json::to_string_pretty(self)?.as_bytes(),
        )
    }

    /// When the run first started, in Unix seconds (what trials.csv's offsets count from).
    pub fn epoch(&self) -> f64 {
        chrono::DateTime::parse_from_rfc3339(&self.started_at)
            .map_or(0.0, |t| t.timestamp_millis() as f64 / 1000.0)
    }

    /// Records how the run ended.
    pub fn finish(&mut self, counts: TrialCounts, elapsed_seconds: f64) {
        self.finished_at = Some(chrono::Local::now().to_rfc3339());
        self.elapsed_seconds = Some(elapsed_seconds);
        self.trials = TrialCounts {
            total: self.trials.total,
            keys_fingerprint: std::mem::take(&mut self.trials.keys_fingerprint),
            ..counts
        };
    }
}

/// The commit checked out in the repository holding `dir`, if any.
fn git_revision(dir: &Path) -> Option<String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_are_what_the_manifest_writes() {
        for status in [
            RunStatus::Running,
            RunStatus::Finished,
            RunStatus::Stopped,
            RunStatus::TimeBudget,
            RunStatus::Interrupted,
            RunStatus::Partial,
        ] {
            assert_eq!(serde_json::to_value(status).unwrap(), status.name());
        }
    }
}
