//! What one trial produced, and how it ended.

use crate::expand::Trial;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// The model returned an error or panicked.
    Failed,
    /// The worker process died (signal or exit).
    Crashed,
    /// The trial ran past the time limit and its worker was killed.
    Timeout,
    /// Fold pruning stopped it after some folds: clearly worse than earlier trials.
    Pruned,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::Failed,
        Status::Crashed,
        Status::Timeout,
        Status::Pruned,
    ];

    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Crashed => "crashed",
            Status::Timeout => "timeout",
            Status::Pruned => "pruned",
        }
    }
}

/// What one trial produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    pub trial: Trial,
    pub status: Status,
    pub error: String,
    /// Mean and standard deviation over folds of every metric of the task, in `Metric::for_task` order.
    pub means: Vec<f64>,
    pub stds: Vec<f64>,
    /// The primary metric on each fold.
    pub splits: Vec<f64>,
    /// Seconds per fold: mean and standard deviation of fitting this configuration (given what is
    /// shared between trials) and of scoring.
    pub mean_fit_time: f64,
    pub std_fit_time: f64,
    /// Seconds per fold this trial spent building what trials share (encoded folds, presorted and
    /// binned columns, Gram matrices, grown trees, kernel rows); waiting while another trial built
    /// it is in none of the times.
    pub mean_shared_fit_time: f64,
    /// Seconds per fold the shared values this trial read took to build, whoever built them: its
    /// share of shared work is this much of what trials reading the same values spent in all.
    pub mean_shared_read_time: f64,
    pub mean_score_time: f64,
    pub std_score_time: f64,
    /// Mean over folds of the iterations each fit ran (families that iterate).
    pub mean_n_iter: Option<f64>,
    /// The thread (index in the pool) or worker process (pid) that ran it.
    pub worker: Option<u32>,
    /// Wall-clock start and end, in seconds since the Unix epoch (processes share the clock).
    pub started: f64,
    pub finished: f64,
}

/// Now, in seconds since the Unix epoch.
pub fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl TrialRecord {
    /// A record with no scores or times yet: a failure, or a start to fill in.
    pub fn bare(trial: &Trial, status: Status, error: String) -> TrialRecord {
        TrialRecord {
            trial: trial.clone(),
            status,
            error,
            means: Vec::new(),
            stds: Vec::new(),
            splits: Vec::new(),
            mean_fit_time: 0.0,
            std_fit_time: 0.0,
            mean_shared_fit_time: 0.0,
            mean_shared_read_time: 0.0,
            mean_score_time: 0.0,
            std_score_time: 0.0,
            mean_n_iter: None,
            worker: None,
            started: 0.0,
            finished: 0.0,
        }
    }
}
