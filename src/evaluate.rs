//! Evaluating one trial: fit and score its model on every fold. Fold data (and its scaled versions) is
//! sliced once per sweep and shared by every trial, so a trial copies nothing it does not change.

use crate::config::Sweep;
use crate::data::{make_folds, Dataset, Target, Task};
use crate::error::InputError;
use crate::expand::Trial;
use crate::metrics::{mean_std, score_all, Metric, Truth};
use crate::models::{FoldCache, Params, Seeds, Targets};
use crate::preprocess::FittedScaler;
use ndarray::{Array1, Array2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

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
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Crashed => "crashed",
            Status::Timeout => "timeout",
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
    pub mean_fit_time: f64,
    pub mean_score_time: f64,
    pub backend: String,
    pub worker: Option<u32>,
}

impl TrialRecord {
    pub fn failed(trial: &Trial, status: Status, error: String) -> TrialRecord {
        TrialRecord {
            trial: trial.clone(),
            status,
            error,
            means: Vec::new(),
            stds: Vec::new(),
            splits: Vec::new(),
            mean_fit_time: 0.0,
            mean_score_time: 0.0,
            backend: String::new(),
            worker: None,
        }
    }
}

struct FoldData {
    x_train: Array2<f64>,
    x_test: Array2<f64>,
    y_train: TargetData,
    y_test: TargetData,
}

/// One fold's scores (every metric), fit seconds and score seconds.
type FoldOutcome = (Vec<f64>, f64, f64);

enum TargetData {
    Classes(Array1<usize>),
    Values(Array1<f64>),
}

/// Everything a trial needs that is the same for all trials of a sweep.
pub struct Context {
    pub sweep: Sweep,
    pub dataset: Dataset,
    pub task: Task,
    pub metrics: &'static [Metric],
    pub primary: Metric,
    n_classes: usize,
    folds: Vec<FoldData>,
    /// Per model entry and fold: values trials of that entry share (scaled fold data, kernel
    /// matrices, presorted columns, trees).
    caches: Vec<Vec<FoldCache>>,
}

impl Context {
    /// Loads the data and checks everything that needs it (task, metric, models, folds).
    pub fn prepare(sweep: Sweep) -> Result<Context, InputError> {
        let dataset = Dataset::load(&sweep.data)?;
        let task = dataset.task();
        let primary = sweep.metric.unwrap_or(Metric::default_for(task));
        let (line, col) = sweep.metric_place;
        if primary.task() != task {
            let valid: Vec<&str> = Metric::for_task(task).iter().map(|m| m.name()).collect();
            return Err(InputError::at(
                &sweep.source,
                line,
                col,
                format!("metric `{}` is for {}, but the target `{}` makes this a {task} sweep; use one of: {}", primary.name(), primary.task(), sweep.data.target, valid.join(", ")),
            ));
        }
        for entry in &sweep.models {
            let family = entry.family();
            if !family.tasks().contains(&task) {
                return Err(InputError::new(format!(
                    "{}: model `{}` does not support {task} (the target `{}` is {task}); see `sweep models`",
                    sweep.source.display(),
                    entry.model,
                    sweep.data.target
                )));
            }
        }
        let plan = sweep.cv.plan(task);
        let folds = make_folds(&dataset, &plan, sweep.seed)
            .map_err(|e| InputError::new(format!("{}: {e}", sweep.source.display())))?;
        let n_classes = match &dataset.target {
            Target::Classes { labels, .. } => labels.len(),
            Target::Values(_) => 0,
        };
        let slice = |rows: &[usize]| match &dataset.target {
            Target::Classes { y, .. } => TargetData::Classes(y.select(Axis(0), rows)),
            Target::Values(y) => TargetData::Values(y.select(Axis(0), rows)),
        };
        let folds: Vec<FoldData> = folds
            .iter()
            .map(|f| FoldData {
                x_train: dataset.x.select(Axis(0), &f.train),
                x_test: dataset.x.select(Axis(0), &f.test),
                y_train: slice(&f.train),
                y_test: slice(&f.test),
            })
            .collect();
        let caches = sweep
            .models
            .iter()
            .map(|_| folds.iter().map(|_| FoldCache::default()).collect())
            .collect();
        Ok(Context {
            caches,
            metrics: Metric::for_task(task),
            primary,
            task,
            n_classes,
            folds,
            dataset,
            sweep,
        })
    }

    pub fn n_folds(&self) -> usize {
        self.folds.len()
    }

    pub fn primary_index(&self) -> usize {
        self.metrics
            .iter()
            .position(|&m| m == self.primary)
            .unwrap_or(0)
    }

    /// Fits and scores a trial on every fold. Errors and panics become a failed record.
    pub fn evaluate(&self, trial: &Trial) -> TrialRecord {
        IN_TRIAL.with(|t| *t.borrow_mut() = Some(String::new()));
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| self.try_evaluate(trial)));
        let location = IN_TRIAL.with(|t| t.borrow_mut().take()).unwrap_or_default();
        match outcome {
            Ok(Ok(record)) => record,
            Ok(Err(message)) => TrialRecord::failed(trial, Status::Failed, message),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-text panic payload".to_string());
                TrialRecord::failed(trial, Status::Failed, format!("panic: {message}{location}"))
            }
        }
    }

    fn try_evaluate(&self, trial: &Trial) -> Result<TrialRecord, String> {
        let entry = self.sweep.models.get(trial.entry).ok_or_else(|| {
            format!(
                "trial refers to model entry {} which the sweep does not have",
                trial.entry
            )
        })?;
        let family = entry.family();
        let params = Params {
            given: &trial.params,
            specs: family.params(),
        };
        // The shared seed follows the model and its preprocessing (the key before its parameters).
        let family_key = trial.key.split('(').next().unwrap_or(&trial.model);
        let seeds = Seeds {
            trial: trial.seed,
            shared: crate::expand::derive_seed(self.sweep.seed, &format!("shared/{family_key}")),
        };
        // Folds run in parallel when the pool has idle threads (few, long trials); results are
        // collected in fold order, so they do not depend on the number of threads.
        let folds: Vec<Result<FoldOutcome, String>> = self
            .folds
            .par_iter()
            .enumerate()
            .map(|(k, fold)| {
                let cache = &self.caches[trial.entry][k];
                let scaled;
                let (x_train, x_test) = if entry.preprocess.is_empty() {
                    (fold.x_train.view(), fold.x_test.view())
                } else {
                    scaled = cache.get_or_compute("scaled fold", || {
                        let mut train = fold.x_train.clone();
                        let mut test = fold.x_test.clone();
                        for &scaler in &entry.preprocess {
                            let fitted = FittedScaler::fit(scaler, train.view());
                            train = fitted.transform(train.view());
                            test = fitted.transform(test.view());
                        }
                        (train, test)
                    });
                    (scaled.0.view(), scaled.1.view())
                };
                let y = match &fold.y_train {
                    TargetData::Classes(y) => Targets::Classes {
                        labels: y.view(),
                        n_classes: self.n_classes,
                    },
                    TargetData::Values(y) => Targets::Values(y.view()),
                };
                let started = Instant::now();
                let model = family.fit(&params, x_train, y, seeds, cache)?;
                let fit_time = started.elapsed().as_secs_f64();
                let started = Instant::now();
                let predicted = model.predict(x_test);
                let truth = match &fold.y_test {
                    TargetData::Classes(y) => Truth::Classes {
                        y: y.as_slice().unwrap_or(&[]),
                        n_classes: self.n_classes,
                    },
                    TargetData::Values(y) => Truth::Values(y.as_slice().unwrap_or(&[])),
                };
                let scores = score_all(self.metrics, &truth, &predicted);
                Ok((scores, fit_time, started.elapsed().as_secs_f64()))
            })
            .collect();
        let mut per_fold = Vec::with_capacity(folds.len());
        let (mut fit_time, mut score_time) = (0.0, 0.0);
        for fold in folds {
            let (scores, fit, score) = fold?;
            per_fold.push(scores);
            fit_time += fit;
            score_time += score;
        }
        let n = self.folds.len() as f64;
        let (means, stds) = (0..self.metrics.len())
            .map(|m| mean_std(&per_fold.iter().map(|f| f[m]).collect::<Vec<_>>()))
            .unzip();
        let primary = self.primary_index();
        Ok(TrialRecord {
            trial: trial.clone(),
            status: Status::Ok,
            error: String::new(),
            means,
            stds,
            splits: per_fold.iter().map(|f| f[primary]).collect(),
            mean_fit_time: fit_time / n,
            mean_score_time: score_time / n,
            backend: String::new(),
            worker: None,
        })
    }
}

thread_local! {
    /// Set while a trial runs on this thread: the panic hook stores the panic's location here
    /// instead of printing it over the progress display.
    static IN_TRIAL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps panics inside trials quiet (they are recorded on the trial); others print as usual.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let captured = IN_TRIAL.with(|t| match t.borrow_mut().as_mut() {
            Some(slot) => {
                if let Some(loc) = info.location() {
                    *slot = format!(" (at {}:{})", loc.file(), loc.line());
                }
                true
            }
            None => false,
        });
        // Everything on a rayon worker thread is trial work (folds, trees): recorded, not printed.
        if !captured && rayon::current_thread_index().is_none() {
            default(info);
        }
    }));
}
