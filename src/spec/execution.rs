//! How trials run: the backend and its settings, as checked from the sweep file's `execution:`
//! section, a run's recorded settings and command-line flags (later layers override earlier ones).

use super::units::{format_duration, parse_bytes, parse_duration};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    #[default]
    Threads,
    Processes,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Threads => "threads",
            Backend::Processes => "processes",
        })
    }
}

/// Execution settings as given (sweep file, recorded run or flags), each optional, values unchecked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, clap::Args)]
pub struct ExecutionOverrides {
    /// threads (shared memory, fastest) or processes (isolated, survives crashes; needed for timeouts and memory caps).
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
    /// Parallel jobs; 0 = one per core (at most 8 per core).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Per-trial time limit, e.g. 30s or 5m (process backend; at most 7 days).
    #[arg(long)]
    pub timeout: Option<String>,
    /// Per-worker memory cap, e.g. 2GiB (process backend; at least 128MiB).
    #[arg(long)]
    pub memory_limit: Option<String>,
    /// Stop cleanly after this many failed trials (at least 1).
    #[arg(long)]
    pub max_failures: Option<usize>,
    /// Memory for kernel rows shared between trials, e.g. 512MiB, for the whole sweep (split between
    /// worker processes); least recently used rows are dropped beyond it. Default 256MiB.
    #[arg(long)]
    pub cache_memory: Option<String>,
}

impl ExecutionOverrides {
    /// These settings with every one that `over` gives replaced by it.
    pub fn then(&self, over: &ExecutionOverrides) -> ExecutionOverrides {
        ExecutionOverrides {
            backend: over.backend.or(self.backend),
            jobs: over.jobs.or(self.jobs),
            timeout: over.timeout.clone().or_else(|| self.timeout.clone()),
            memory_limit: over
                .memory_limit
                .clone()
                .or_else(|| self.memory_limit.clone()),
            max_failures: over.max_failures.or(self.max_failures),
            cache_memory: over
                .cache_memory
                .clone()
                .or_else(|| self.cache_memory.clone()),
        }
    }
}

/// Limits only a worker process can enforce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessLimits {
    pub timeout: Option<Duration>,
    pub memory_limit: Option<u64>,
}

/// A backend with the settings that mean something for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendSettings {
    Threads,
    Processes(ProcessLimits),
}

impl BackendSettings {
    pub fn backend(&self) -> Backend {
        match self {
            BackendSettings::Threads => Backend::Threads,
            BackendSettings::Processes(_) => Backend::Processes,
        }
    }
}

/// Checked execution settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Execution {
    pub backend: BackendSettings,
    /// Parallel jobs, resolved (never 0).
    pub jobs: usize,
    pub max_failures: Option<usize>,
    /// Bytes of shared kernel rows for the whole sweep.
    pub cache_memory: u64,
}

pub use crate::models::svm::kernel_cache::DEFAULT_CACHE_MEMORY;
/// Below this a kernel cache holds too few rows to help.
pub const MIN_CACHE_MEMORY: u64 = 16 << 20;

/// A worker holds the binary, its data and a fold cache; below this it cannot start.
pub const MIN_MEMORY_LIMIT: u64 = 128 << 20;
/// More jobs than this per core only add contention (and thousands of threads stall a sweep).
pub const MAX_JOBS_PER_CORE: usize = 8;

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Execution {
    /// Checks the settings; `Err` names the setting (as `what(setting)` renders it) and the valid values.
    pub fn check(
        given: &ExecutionOverrides,
        what: impl Fn(&str) -> String,
    ) -> Result<Execution, String> {
        let cores = cores();
        let jobs = match given.jobs.unwrap_or(0) {
            0 => cores,
            j if j <= MAX_JOBS_PER_CORE * cores => j,
            j => {
                return Err(format!(
                    "{}: {j} jobs on {cores} cores; use at most {} ({MAX_JOBS_PER_CORE} per core), or 0 for one per core",
                    what("jobs"),
                    MAX_JOBS_PER_CORE * cores
                ))
            }
        };
        if given.max_failures == Some(0) {
            return Err(format!(
                "{}: 0 would stop before any trial ran; give at least 1, or leave it out to never stop on failures",
                what("max_failures")
            ));
        }
        let limits = ProcessLimits {
            timeout: given
                .timeout
                .as_deref()
                .map(parse_duration)
                .transpose()
                .map_err(|e| format!("{}: {e}", what("timeout")))?,
            memory_limit: given
                .memory_limit
                .as_deref()
                .map(|m| parse_bytes(m, MIN_MEMORY_LIMIT))
                .transpose()
                .map_err(|e| format!("{}: {e}", what("memory_limit")))?,
        };
        let backend = match given.backend.unwrap_or_default() {
            Backend::Processes => BackendSettings::Processes(limits),
            Backend::Threads if limits == ProcessLimits::default() => BackendSettings::Threads,
            Backend::Threads => {
                return Err(format!(
                    "{}: timeout and memory_limit need the process backend: a thread cannot be killed or capped \
                     without taking the whole sweep with it; use `--backend processes` (or `execution: {{backend: processes}}`)",
                    what("backend")
                ))
            }
        };
        let cache_memory = given
            .cache_memory
            .as_deref()
            .map(|m| parse_bytes(m, MIN_CACHE_MEMORY))
            .transpose()
            .map_err(|e| format!("{}: {e}", what("cache_memory")))?;
        // A worker holds its cache within its memory limit: a cache as large as the limit would end
        // every SVM trial out of memory. The default shrinks to fit; a given size is refused.
        let cache_memory = match (cache_memory, limits.memory_limit) {
            (Some(cache), Some(limit)) if cache >= limit => {
                return Err(format!(
                    "{}: {} of kernel cache in workers limited to {} would end every SVM trial out of memory; \
                     give a cache_memory below memory_limit (at most half of it leaves room for the data)",
                    what("cache_memory"),
                    bytesize::ByteSize(cache).display().iec(),
                    bytesize::ByteSize(limit).display().iec()
                ))
            }
            (Some(cache), _) => cache,
            (None, Some(limit)) => DEFAULT_CACHE_MEMORY.min(limit / 2).max(MIN_CACHE_MEMORY),
            (None, None) => DEFAULT_CACHE_MEMORY,
        };
        Ok(Execution {
            backend,
            jobs,
            max_failures: given.max_failures,
            cache_memory,
        })
    }

    /// The settings in the form [`Execution::check`] reads back: what a run records to be resumed with.
    pub fn as_overrides(&self) -> ExecutionOverrides {
        let limits = match self.backend {
            BackendSettings::Processes(limits) => limits,
            BackendSettings::Threads => ProcessLimits::default(),
        };
        ExecutionOverrides {
            backend: Some(self.backend.backend()),
            jobs: Some(self.jobs),
            timeout: limits.timeout.map(format_duration),
            memory_limit: limits.memory_limit.map(|b| b.to_string()),
            max_failures: self.max_failures,
            cache_memory: Some(self.cache_memory.to_string()),
        }
    }

    /// Kernel-row memory per process: the sweep's budget split between the workers that hold one.
    pub fn cache_memory_per_process(&self) -> u64 {
        match self.backend {
            BackendSettings::Threads => self.cache_memory,
            BackendSettings::Processes(_) => self.cache_memory / self.jobs as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(given: ExecutionOverrides) -> Result<Execution, String> {
        Execution::check(&given, |s| format!("--{s}"))
    }

    #[test]
    fn recorded_settings_read_back_identically() {
        let given = ExecutionOverrides {
            backend: Some(Backend::Processes),
            jobs: Some(1),
            timeout: Some("1m 30s".into()),
            memory_limit: Some("1GiB".into()),
            max_failures: Some(3),
            cache_memory: Some("64MiB".into()),
        };
        let checked = check(given).unwrap();
        assert_eq!(check(checked.as_overrides()), Ok(checked));
    }

    #[test]
    fn flags_override_and_limits_need_processes() {
        let file = ExecutionOverrides {
            backend: Some(Backend::Processes),
            timeout: Some("10s".into()),
            ..Default::default()
        };
        let flags = ExecutionOverrides {
            backend: Some(Backend::Threads),
            ..Default::default()
        };
        let err = check(file.then(&flags)).unwrap_err();
        assert!(err.contains("--backend processes"), "{err}");
        assert!(check(ExecutionOverrides {
            max_failures: Some(0),
            ..Default::default()
        })
        .is_err());
        let err = check(ExecutionOverrides {
            jobs: Some(3000),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.contains("per core"), "{err}");
    }
}
