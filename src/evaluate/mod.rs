//! Evaluating one trial: fit and score its model on every fold of the plan. Fold data (and its scaled
//! versions) is sliced once per sweep and shared by every trial, so a trial copies nothing it does
//! not change. A successive-halving trial over rows runs on its rung's subsample of each fold's training
//! rows (fold sets of their own, built once per rung); a trial with pruning bars runs its folds in order
//! and stops, status `pruned`, once its running mean falls short of a bar. Errors and panics inside a
//! trial become a failed record of that trial only. The backends run [`Job`]s: a trial, or a refit
//! ([`refit`]) of a chosen configuration on every training row, saved in its model folder.

pub mod baseline;
pub mod permutation;
pub mod record;
pub mod refit;

use crate::data::{OwnedTargets, Targets};
use crate::expand::{entry_label, Trial};
use crate::metrics::{mean_std, score_all, Metric, Needs};
use crate::models::folder::ModelDir;
use crate::models::pool_work::{self, helping, running_trial};
use crate::models::{
    measuring_shared_work, predict, FoldCache, Params, Predictor, Seeds, SharedSeconds,
};
use crate::preprocess::FittedPipeline;
use crate::seed::derive_seed;
use crate::spec::{Axis as ParamAxis, Plan, Resource, Search};
use crate::value::Value;
use ndarray::{Array2, Axis};
pub use permutation::permutation_importance;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
pub use record::{unix_now, Status, TrialRecord};
use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What a backend runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Job {
    /// A trial over the folds (or its halving rung, or until pruned).
    Trial(Trial),
    /// A chosen configuration fitted on every training row, saved in `folder` and scored once on
    /// the held-out test set.
    Refit { trial: Trial, folder: ModelDir },
}

impl Job {
    pub fn trial(&self) -> &Trial {
        match self {
            Job::Trial(trial) | Job::Refit { trial, .. } => trial,
        }
    }
}

struct FoldData {
    train: Vec<usize>,
    test: Vec<usize>,
    /// The fold's rows of the plain matrix, when the data is all numbers without gaps.
    plain: Option<Arc<Matrices>>,
    y_train: OwnedTargets,
    y_test: OwnedTargets,
}

/// A fold's training and test rows as a model reads them, and which columns hold category codes.
struct Matrices {
    train: Array2<f64>,
    test: Array2<f64>,
    category_columns: Vec<usize>,
}

/// What one fold gave.
/// One fold's fitted model, with the matrices it was fitted on and scores.
struct FoldFit {
    model: Box<dyn Predictor>,
    matrices: Arc<Matrices>,
    shared: SharedSeconds,
    fit_time: f64,
}

struct FoldOutcome {
    /// Every metric of the plan (NaN where the model gives no scores for it or the fold leaves it
    /// undefined).
    scores: Vec<f64>,
    /// Seconds of own fitting, shared work and scoring.
    fit: f64,
    shared: SharedSeconds,
    score: f64,
    /// What the user should know about this fold: a solver's stop, an undefined metric.
    warnings: Vec<String>,
    /// Iterations the fit ran, for families that iterate.
    n_iter: Option<usize>,
}

/// Fold slices and what trials share on them: per model entry and fold, values trials of that entry
/// share (kernel matrices, presorted columns, trees); per fold, the encoded train and test rows of
/// each preprocessing pipeline, fitted on the fold's training rows.
struct FoldSet {
    folds: Vec<FoldData>,
    caches: Vec<Vec<FoldCache>>,
    encoded: Vec<FoldCache>,
}

impl FoldSet {
    fn new(plan: &Plan, folds: &[(Vec<usize>, Vec<usize>)]) -> FoldSet {
        let ds = &plan.data().dataset();
        let folds: Vec<FoldData> = folds
            .iter()
            .map(|(train, test)| FoldData {
                plain: ds.plain.as_ref().map(|x| {
                    Arc::new(Matrices {
                        train: x.select(Axis(0), train),
                        test: x.select(Axis(0), test),
                        category_columns: Vec::new(),
                    })
                }),
                train: train.clone(),
                test: test.clone(),
                y_train: ds.target.select(train),
                y_test: ds.target.select(test),
            })
            .collect();
        FoldSet {
            caches: plan
                .space()
                .models()
                .iter()
                .map(|_| folds.iter().map(|_| FoldCache::default()).collect())
                .collect(),
            encoded: folds.iter().map(|_| FoldCache::default()).collect(),
            folds,
        }
    }
}

/// Whether any of `metrics` reads class scores, so models are asked for them.
pub(crate) fn needs_scores(metrics: &[Metric]) -> bool {
    metrics.iter().any(|m| m.needs() != Needs::Labels)
}

/// A trial's warnings as its record's note: `warning: ...`, several joined by `; `.
pub(crate) fn notes(warnings: &[String]) -> String {
    if warnings.is_empty() {
        String::new()
    } else {
        format!("warning: {}", warnings.join("; "))
    }
}

/// Row subsamples kept at once: a halving rung's and the next one's.
const SUBSETS_KEPT: usize = 2;

/// A plan with what every trial shares: fold slices and per-fold caches.
pub struct Evaluator {
    pub plan: Plan,
    full: FoldSet,
    /// Successive halving over rows: fold sets whose training rows are subsampled, by row budget.
    subsets: Mutex<Vec<(u64, Arc<FoldSet>)>>,
    /// Per model entry: the seed its trials share (common random numbers across a grid).
    shared_seeds: Vec<u64>,
    /// Per model entry: the largest value of each integer parameter over its trials.
    largest: Vec<Vec<(String, Option<i64>)>>,
    /// Per model entry: the values of each numeric parameter given as a list.
    listed: Vec<Vec<(String, Vec<f64>)>>,
}

/// The largest value an integer axis takes (`None` when a value is null or not an integer).
fn largest_value(axis: &ParamAxis) -> Option<i64> {
    match axis {
        ParamAxis::Values(values) => values.iter().try_fold(i64::MIN, |m, v| match v {
            Value::Int(i) => Some(m.max(*i)),
            _ => None,
        }),
        ParamAxis::IntUniform(_, hi) => Some(*hi),
        ParamAxis::Uniform(..) | ParamAxis::LogUniform(..) => None,
    }
}

/// Per model entry, the summary of each parameter axis that `summary` gives one for.
fn per_entry<T>(plan: &Plan, summary: impl Fn(&ParamAxis) -> Option<T>) -> Vec<Vec<(String, T)>> {
    let entries = plan.space().models().iter();
    entries
        .map(|m| {
            m.params
                .iter()
                .filter_map(|(name, axis)| Some((name.clone(), summary(axis)?)))
                .collect()
        })
        .collect()
}

/// The numbers of an axis given as a list (`None` for a distribution or a list with other values).
fn listed_numbers(axis: &ParamAxis) -> Option<Vec<f64>> {
    match axis {
        ParamAxis::Values(values) => values.iter().map(Value::as_f64).collect(),
        _ => None,
    }
}

impl Evaluator {
    pub fn new(plan: Plan) -> Evaluator {
        crate::models::svm::kernel_cache::set_budget(plan.execution().cache_memory_per_process());
        let folds: Vec<_> = plan
            .data()
            .folds()
            .iter()
            .map(|f| (f.train.clone(), f.test.clone()))
            .collect();
        let full = FoldSet::new(&plan, &folds);
        // The shared seed follows the model and its preprocessing, not its parameters.
        let shared_seeds = plan
            .space()
            .models()
            .iter()
            .map(|m| {
                derive_seed(
                    plan.space().seed(),
                    &format!("shared/{}", entry_label(m.name(), &m.label)),
                )
            })
            .collect();
        let largest = per_entry(&plan, |axis| Some(largest_value(axis)));
        let listed = per_entry(&plan, listed_numbers);
        Evaluator {
            largest,
            listed,
            full,
            subsets: Mutex::new(Vec::new()),
            plan,
            shared_seeds,
        }
    }

    /// The folds a trial runs on: all training rows, or a halving rung's subsample of them (the same
    /// rows for every trial of the rung; a smaller rung's rows are among a larger one's).
    fn fold_set(&self, trial: &Trial) -> Option<Arc<FoldSet>> {
        let (Some(stage), Search::Halving(h)) = (trial.stage, self.plan.space().search()) else {
            return None;
        };
        if h.resource != Resource::Rows
            || stage.resource >= self.plan.data().train_rows().len() as u64
        {
            return None;
        }
        let mut subsets = self.subsets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, set)) = subsets.iter().find(|(rows, _)| *rows == stage.resource) {
            return Some(Arc::clone(set));
        }
        let fraction = stage.resource as f64 / self.plan.data().train_rows().len() as f64;
        let folds: Vec<_> = self
            .plan
            .data()
            .folds()
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(
                    self.plan.space().seed(),
                    &format!("halving/rows/{k}"),
                ));
                let mut train = f.train.clone();
                train.shuffle(&mut rng);
                // scikit-learn keeps int(fraction * n) of each fold's training rows.
                train.truncate((fraction * f.train.len() as f64) as usize);
                train.sort_unstable();
                (train, f.test.clone())
            })
            .collect();
        let set = Arc::new(FoldSet::new(&self.plan, &folds));
        if subsets.len() == SUBSETS_KEPT {
            subsets.remove(0);
        }
        subsets.push((stage.resource, Arc::clone(&set)));
        Some(set)
    }

    /// Runs a job: fits and scores a trial on every fold, or refits and saves a configuration.
    /// Errors and panics become a failed record.
    pub fn evaluate(&self, job: &Job) -> TrialRecord {
        let started = unix_now();
        let mut record = running_trial(|| self.evaluate_caught(job));
        record.started = started;
        record.finished = unix_now();
        record
    }

    fn evaluate_caught(&self, job: &Job) -> TrialRecord {
        let _running = RunningTrial::start();
        IN_TRIAL.with(|t| *t.borrow_mut() = Some(String::new()));
        let trial = job.trial();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match job {
            Job::Trial(trial) => self.try_evaluate(trial),
            Job::Refit { trial, folder } => self.refit(trial, folder),
        }));
        let location = IN_TRIAL.with(|t| t.borrow_mut().take()).unwrap_or_default();
        match outcome {
            Ok(Ok(record)) => record,
            Ok(Err(message)) => TrialRecord::bare(trial, Status::Failed, message),
            Err(payload) => TrialRecord::bare(
                trial,
                Status::Failed,
                format!("panic: {}{location}", panic_message(&*payload)),
            ),
        }
    }

    fn entry(&self, trial: &Trial) -> Result<&crate::spec::ModelEntry, String> {
        self.plan.space().models().get(trial.entry).ok_or_else(|| {
            format!(
                "trial refers to model entry {} which the sweep does not have",
                trial.entry
            )
        })
    }

    /// The trial's own seed and the seed its model entry shares.
    fn seeds(&self, trial: &Trial) -> Seeds {
        Seeds {
            trial: trial.seed,
            shared: self.shared_seeds[trial.entry],
        }
    }

    /// The parameters of `trial` as its fits read them, with what its entry's other trials share.
    fn params<'a>(&'a self, trial: &'a Trial) -> Result<Params<'a>, String> {
        let entry = self.entry(trial)?;
        Ok(Params {
            given: &trial.params,
            specs: entry.family.params(),
            largest: &self.largest[trial.entry],
            listed: &self.listed[trial.entry],
            class_names: &self.plan.data().dataset().class_labels,
            category_columns: &[],
        })
    }

    /// Fits fold `k` of `set` on the fold's caches: the model, the fold's matrices, the shared work
    /// in the fit and the seconds the fit took besides.
    fn fit_fold(
        &self,
        set: &FoldSet,
        k: usize,
        trial: &Trial,
        params: &Params,
    ) -> Result<FoldFit, String> {
        let plan = &self.plan;
        let entry = self.entry(trial)?;
        let fold = &set.folds[k];
        let cache = &set.caches[trial.entry][k];
        let started = Instant::now();
        let (outcome, shared) = measuring_shared_work(|| {
            // The fold's (train, test) matrices: the plain ones, or encoded by the pipeline.
            let matrices = match &fold.plain {
                Some(plain) if entry.pipeline.keeps_plain_numbers() => Arc::clone(plain),
                _ => {
                    let features = &plan.data().dataset().features;
                    set.encoded[k].get_or_compute(&entry.pipeline.cache_key(), || {
                        let (fitted, train) =
                            FittedPipeline::fit_transform(&entry.pipeline, features, &fold.train);
                        Matrices {
                            train,
                            test: fitted.transform(features, &fold.test),
                            category_columns: fitted.category_columns(),
                        }
                    })
                }
            };
            let params = Params {
                category_columns: &matrices.category_columns,
                ..*params
            };
            entry
                .family
                .fit(
                    &params,
                    matrices.train.view(),
                    fold.y_train.view(),
                    self.seeds(trial),
                    cache,
                )
                .map(|model| (model, matrices))
        });
        let (model, matrices) = outcome?;
        let fit_time = (started.elapsed().as_secs_f64() - shared.built - shared.waited).max(0.0);
        Ok(FoldFit {
            model,
            matrices,
            shared,
            fit_time,
        })
    }

    /// Fits and scores fold `k` of `set`.
    fn run_fold(
        &self,
        set: &FoldSet,
        k: usize,
        trial: &Trial,
        params: &Params,
    ) -> Result<FoldOutcome, String> {
        let plan = &self.plan;
        let entry = self.entry(trial)?;
        let fold = &set.folds[k];
        let FoldFit {
            model,
            matrices,
            shared,
            fit_time,
        } = self.fit_fold(set, k, trial, params)?;
        let keeps_missing = entry.pipeline.keeps_missing();
        for (rows, x) in [("training", &matrices.train), ("test", &matrices.test)] {
            if let Some(column) = non_finite_column(x.view(), keeps_missing) {
                return Err(format!(
                    "preprocessing made column {} of the {rows} rows not a finite number (a value \
                     overflowed while imputing or scaling: the numbers are too large); scale the column \
                     down in the data or choose another scaler",
                    column + 1
                ));
            }
        }
        let x_test = matrices.test.view();
        let started = Instant::now();
        let metrics = plan.space().metrics();
        let prediction = predict(&*model, x_test, needs_scores(metrics));
        let truth = fold
            .y_test
            .view()
            .as_slices()
            .ok_or("fold targets must be contiguous")?;
        if let Targets::Values(values) = &prediction.targets {
            let bad = values.iter().filter(|v| !v.is_finite()).count();
            if bad > 0 {
                return Err(format!(
                    "the model predicted {bad} value(s) that are not finite numbers (of {}): the fit overflowed",
                    values.len()
                ));
            }
        }
        let scores = score_all(metrics, plan.data().positive(), truth, &prediction);
        let mut warnings: Vec<String> = model.warning().into_iter().collect();
        for (metric, score) in metrics.iter().zip(&scores) {
            // NaN from scores of the kind the metric needs: the fold, not the family, lacks something.
            let scored = prediction
                .scores
                .as_ref()
                .is_some_and(|s| s.probabilities || metric.needs() != Needs::Probabilities);
            if score.is_nan() && metric.needs() != Needs::Labels && scored {
                warnings.push(format!(
                    "{} is undefined on fold {} (its rows hold one class only), left out of the mean",
                    metric.name(),
                    k + 1
                ));
            }
        }
        if let Some((metric, score)) = metrics
            .iter()
            .zip(&scores)
            .find(|(m, s)| !s.is_finite() && m.needs() == Needs::Labels)
        {
            return Err(format!(
                "{} is {score} on a fold: the errors overflowed (the targets or predictions are too large \
                 for floating point); scale the target down",
                metric.name()
            ));
        }
        Ok(FoldOutcome {
            scores,
            fit: fit_time,
            shared,
            score: started.elapsed().as_secs_f64(),
            warnings,
            n_iter: model.n_iter(),
        })
    }

    fn try_evaluate(&self, trial: &Trial) -> Result<TrialRecord, String> {
        let plan = &self.plan;
        let params = self.params(trial)?;
        let subset = self.fold_set(trial);
        let set = subset.as_deref().unwrap_or(&self.full);
        let primary = plan.space().primary_index();
        let n_folds = set.folds.len();
        let mut pruned = false;
        let folds: Vec<Result<FoldOutcome, String>> = match &trial.prune_bars {
            // Folds run in parallel when the pool has idle threads (few, long trials); results are
            // collected in fold order, so they do not depend on the number of threads.
            None => pool_work::folds_in_parallel(trial.index, n_folds, |k| {
                helping(|| self.run_fold(set, k, trial, &params))
            }),
            // Pruning goes fold by fold, stopping once the running mean falls short of its bar.
            Some(bars) => {
                let mut done = Vec::new();
                let mut sum = 0.0;
                for k in 0..n_folds {
                    let outcome = pool_work::own_fold(|| self.run_fold(set, k, trial, &params))?;
                    sum += outcome.scores[primary];
                    done.push(Ok(outcome));
                    let bar = bars.get(k).copied().unwrap_or(f64::NAN);
                    let mean = sum / (k + 1) as f64;
                    if k + 1 < n_folds && plan.space().primary().better(bar, mean) {
                        pruned = true;
                        break;
                    }
                }
                done
            }
        };
        let mut per_fold = Vec::with_capacity(folds.len());
        let (mut fit_times, mut score_times) = (Vec::new(), Vec::new());
        let (mut shared_times, mut warnings) = (Vec::new(), Vec::<String>::new());
        let mut iterations = Vec::new();
        for fold in folds {
            let fold = fold?;
            per_fold.push(fold.scores);
            fit_times.push(fold.fit);
            shared_times.push(fold.shared);
            iterations.extend(fold.n_iter.map(|n| n as f64));
            score_times.push(fold.score);
            for warning in fold.warnings {
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
        }
        // A metric undefined on some folds is the mean of the others (NaN when none has it).
        let (means, stds) = (0..plan.space().metrics().len())
            .map(|m| {
                let defined: Vec<f64> = per_fold
                    .iter()
                    .map(|f| f[m])
                    .filter(|s| !s.is_nan())
                    .collect();
                mean_std(&defined)
            })
            .unzip();
        let (mean_fit_time, std_fit_time) = mean_std(&fit_times);
        let (mean_score_time, std_score_time) = mean_std(&score_times);
        Ok(TrialRecord {
            trial: trial.clone(),
            status: if pruned { Status::Pruned } else { Status::Ok },
            error: if pruned {
                format!(
                    "pruned after {} of {n_folds} folds: mean {} worse than the median of earlier trials",
                    per_fold.len(),
                    plan.space().primary().name()
                )
            } else {
                notes(&warnings)
            },
            means,
            stds,
            splits: per_fold.iter().map(|f| f[primary]).collect(),
            mean_fit_time,
            std_fit_time,
            mean_shared_fit_time: mean_std(
                &shared_times.iter().map(|s| s.built).collect::<Vec<_>>(),
            )
            .0,
            mean_shared_read_time: mean_std(
                &shared_times.iter().map(|s| s.read).collect::<Vec<_>>(),
            )
            .0,
            mean_n_iter: (!iterations.is_empty()).then(|| mean_std(&iterations).0),
            mean_score_time,
            std_score_time,
            worker: None,
            // Set by `evaluate`, around everything the trial did.
            started: 0.0,
            finished: 0.0,
        })
    }
}

/// The column of the first value of `x` (row by row, as the matrices are laid out) that is not a
/// finite number (or, when the pipeline keeps missing cells, an infinity).
fn non_finite_column(x: ndarray::ArrayView2<f64>, keeps_missing: bool) -> Option<usize> {
    x.indexed_iter()
        .find(|(_, v)| !(v.is_finite() || keeps_missing && v.is_nan()))
        .map(|((_, column), _)| column)
}

thread_local! {
    /// Set while a trial runs on this thread: the panic hook stores the panic's location here
    /// instead of printing it over the progress display.
    static IN_TRIAL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Trials running in this process: while any does, a panic on a pool thread is part of one (a
/// fold, a tree) and comes back to it as its failure.
static TRIALS_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Counts a trial as running for as long as it lives.
struct RunningTrial;

impl RunningTrial {
    fn start() -> RunningTrial {
        TRIALS_RUNNING.fetch_add(1, Ordering::SeqCst);
        RunningTrial
    }
}

impl Drop for RunningTrial {
    fn drop(&mut self) {
        TRIALS_RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A panic's message, when it has one in words.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_string())
}

/// Whether a panic belongs to a trial (and so is recorded on it, not printed): it happened in a
/// trial's own code, or on a pool thread while trials run (a fold or tree of one, which the trial's
/// join brings back to it). A pool thread's panic with no trial running (`predict` applying a model)
/// is nobody's: it must be said.
fn is_trial_work(in_trial: bool, pool_thread: bool, trials_running: usize) -> bool {
    in_trial || (pool_thread && trials_running > 0)
}

/// Keeps panics inside trials quiet (they are recorded on the trial); any other panic is a bug in
/// `command` and is said in one line naming it, on whichever thread it happens.
pub fn install_panic_hook(command: &'static str) {
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
        let pool_thread = rayon::current_thread_index().is_some();
        if is_trial_work(captured, pool_thread, TRIALS_RUNNING.load(Ordering::SeqCst)) {
            return;
        }
        let message = panic_message(info.payload());
        let at = info.location().map_or(String::new(), |l| {
            format!(" (at {}:{})", l.file(), l.line())
        });
        eprintln!(
            "error: `sweep {command}` stopped on an internal error: {}{at}; this is a bug in sweep, \
             please report it with the command that caused it",
            crate::error::printable(&message)
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_panics_of_trials_are_kept_quiet() {
        assert!(is_trial_work(true, false, 1), "a trial's own code");
        assert!(
            is_trial_work(false, true, 2),
            "a fold or tree of a running trial"
        );
        assert!(
            !is_trial_work(false, true, 0),
            "a pool thread outside any trial"
        );
        assert!(!is_trial_work(false, false, 3), "the main thread");
    }

    #[test]
    fn shared_trees_grow_only_as_deep_as_the_deepest_trial() {
        let ints = |v: &[i64]| ParamAxis::Values(v.iter().map(|&i| Value::Int(i)).collect());
        assert_eq!(largest_value(&ints(&[2, 8, 4])), Some(8));
        assert_eq!(largest_value(&ParamAxis::IntUniform(1, 5)), Some(5));
        let with_null = ParamAxis::Values(vec![Value::Int(2), Value::Null]);
        assert_eq!(largest_value(&with_null), None, "null is unlimited");
    }

    #[test]
    fn only_lists_of_numbers_are_listed_for_warm_starts() {
        let listed = ParamAxis::Values(vec![Value::Float(0.1), Value::Int(10), Value::Float(1.0)]);
        assert_eq!(listed_numbers(&listed), Some(vec![0.1, 10.0, 1.0]));
        let with_null = ParamAxis::Values(vec![Value::Float(0.1), Value::Null]);
        assert_eq!(listed_numbers(&with_null), None);
        assert_eq!(listed_numbers(&ParamAxis::LogUniform(0.1, 10.0)), None);
    }
}
