//! Model families behind one trait, and the registry that lists them.
//! Adding a family is one file implementing [`ModelFamily`] plus one line in [`REGISTRY`].

use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, Targets, TargetsView, Task};
use crate::metrics::{ClassScores, Needs, Prediction};
use crate::value::{Kind, ParamSpec, Value};
use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{de::DeserializeOwned, Serialize};
use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

pub mod boosting;
pub mod elastic_net;
pub mod fault;
pub mod folder;
pub mod knn;
pub mod lbfgs;
pub mod linear_regression;
pub mod linfa;
pub mod logistic_regression;
pub mod pool_work;
pub mod saved;
pub mod svm;
pub mod trees;

/// Every model family `sweep` knows, in the order `sweep models` lists them.
pub static REGISTRY: &[&dyn ModelFamily] = &[
    &logistic_regression::LogisticRegressionFamily,
    &trees::decision_tree::DecisionTreeFamily,
    &linfa::gaussian_nb::GaussianNbFamily,
    &svm::SvmFamily,
    &trees::random_forest::RandomForestFamily,
    &boosting::GradientBoostingFamily,
    &knn::KnnFamily,
    &linear_regression::LinearRegressionFamily,
    &elastic_net::ElasticNetFamily,
    &fault::FaultFamily,
];

pub fn find(name: &str) -> Option<&'static dyn ModelFamily> {
    REGISTRY.iter().copied().find(|m| m.name() == name)
}

/// What the fit running on this thread spent on, and read of, work trials share.
#[derive(Clone, Copy, Default)]
struct SharedClock {
    /// Seconds spent building shared work, outermost [`shared_work`] only, waits left out.
    built: f64,
    depth: u32,
    /// Seconds spent waiting for shared work another fit was building.
    waited: f64,
    /// What the shared values this fit read cost to build, whoever built them.
    read: f64,
    /// How many [`ComputeOnce`] computations this thread is inside: reads within one are part of
    /// that value's own cost.
    computing: u32,
}

thread_local! {
    static SHARED_WORK: Cell<SharedClock> = const {
        Cell::new(SharedClock { built: 0.0, depth: 0, waited: 0.0, read: 0.0, computing: 0 })
    };
}

/// Runs `work` that builds (or waits for) something shared between trials (presorted columns, a
/// Gram matrix, a set of trees, kernel rows, encoded folds), counting its wall time, but for what
/// it [`waited`], as shared work of the fit running on this thread rather than as its own time.
pub fn shared_work<T>(work: impl FnOnce() -> T) -> T {
    let before = SHARED_WORK.get();
    SHARED_WORK.set(SharedClock {
        depth: before.depth + 1,
        ..before
    });
    let started = Instant::now();
    let out = work();
    let clock = SHARED_WORK.get();
    let spent = if clock.depth == 1 {
        (started.elapsed().as_secs_f64() - (clock.waited - before.waited)).max(0.0)
    } else {
        0.0
    };
    SHARED_WORK.set(SharedClock {
        built: clock.built + spent,
        depth: clock.depth - 1,
        ..clock
    });
    out
}

/// Notes that the fit on this thread spent `seconds` waiting for shared work another was building:
/// neither its own time nor shared work it did.
pub fn waited(seconds: f64) {
    let clock = SHARED_WORK.get();
    SHARED_WORK.set(SharedClock {
        waited: clock.waited + seconds,
        ..clock
    });
}

/// Notes that the fit on this thread read a shared value that cost `seconds` to build (by this fit
/// or another), so shared work can be divided among the trials that read it.
pub fn read_shared(seconds: f64) {
    let clock = SHARED_WORK.get();
    if clock.computing == 0 {
        SHARED_WORK.set(SharedClock {
            read: clock.read + seconds,
            ..clock
        });
    }
}

/// Seconds of shared work inside one fit: what it spent building shared values, waiting for
/// values another fit was building, and what the shared values it read cost to build.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SharedSeconds {
    pub built: f64,
    pub waited: f64,
    pub read: f64,
}

/// Runs `fit` and returns its result with its [`SharedSeconds`]; whatever was being measured on
/// this thread before (a fit that lent the thread to this one) is restored after, even if `fit`
/// panics.
pub fn measuring_shared_work<T>(fit: impl FnOnce() -> T) -> (T, SharedSeconds) {
    struct Restore(SharedClock);
    impl Drop for Restore {
        fn drop(&mut self) {
            SHARED_WORK.set(self.0);
        }
    }
    let restore = Restore(SHARED_WORK.replace(SharedClock::default()));
    let out = fit();
    let clock = SHARED_WORK.get();
    drop(restore);
    (
        out,
        SharedSeconds {
            built: clock.built,
            waited: clock.waited,
            read: clock.read,
        },
    )
}

/// A fitted model.
pub trait Predictor: Send + Sync {
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets;

    /// Class probabilities, one column per class of the training target, each row summing to 1;
    /// `None` for a family that has none.
    fn probabilities(&self, _x: ArrayView2<f64>) -> Option<Array2<f64>> {
        None
    }

    /// Predictions and class probabilities together; a family whose two share their work
    /// computes it once.
    fn predict_with_probabilities(
        &self,
        x: ArrayView2<f64>,
    ) -> (OwnedTargets, Option<Array2<f64>>) {
        (self.predict(x), self.probabilities(x))
    }

    /// Per-class decision values (higher: more likely that class), one column per class of the
    /// training target; `None` for a family that has none or gives probabilities.
    fn decision_values(&self, _x: ArrayView2<f64>) -> Option<Array2<f64>> {
        None
    }

    /// Predictions and class scores (probabilities, else decision values); a family whose
    /// predictions come from its decision values computes them once.
    fn predict_with_scores(&self, x: ArrayView2<f64>) -> (OwnedTargets, Option<ClassScores>) {
        let (targets, probabilities) = self.predict_with_probabilities(x);
        let scores = probabilities
            .map(|values| ClassScores {
                values,
                probabilities: true,
            })
            .or_else(|| {
                self.decision_values(x).map(|values| ClassScores {
                    values,
                    probabilities: false,
                })
            });
        (targets, scores)
    }

    /// What the user should know about this fit (a solver stopped at its iteration limit), noted
    /// on the trial's record; not saved with the model.
    fn warning(&self) -> Option<String> {
        None
    }

    /// Each input column's total split gain (the loss reduction of every split on it), for
    /// families whose trees record it.
    fn split_gains(&self, _width: usize) -> Option<Vec<f64>> {
        None
    }

    /// The iterations the fit ran (scikit-learn's `n_iter_`), for families that iterate: early
    /// stopping and solvers stop before their limit. Not saved with the model.
    fn n_iter(&self) -> Option<usize> {
        None
    }

    /// Training rows the model keeps to predict from, and their bytes in memory (k-nearest
    /// neighbours).
    fn kept_rows(&self) -> Option<(usize, u64)> {
        None
    }

    /// The fitted state as bytes its family's [`ModelFamily::load`] reads back.
    fn save(&self) -> Result<Vec<u8>, String>;

    /// Whether a loaded model can predict rows of `width` columns for `target` without reading out
    /// of range or looping: a model file's checksum is not a signature, so a file edited on purpose
    /// (checksum recomputed) must be refused here, never trusted by prediction.
    fn check(&self, width: usize, target: TargetShape) -> Result<(), String>;
}

/// Refuses a loaded model whose declared target differs from the schema's.
pub fn check_target(fitted: TargetShape, expected: TargetShape) -> Result<(), String> {
    if fitted == expected {
        Ok(())
    } else {
        Err(format!(
            "the fitted model predicts {} but the schema says {}",
            describe_target(fitted),
            describe_target(expected)
        ))
    }
}

fn describe_target(target: TargetShape) -> String {
    match target {
        Targets::Classes { n_classes, .. } => format!("{n_classes} classes"),
        Targets::Values(_) => "values".to_string(),
    }
}

/// Refuses a loaded model whose coefficients (or similar per-column values) do not match the input width.
pub fn check_width(what: &str, found: usize, width: usize) -> Result<(), String> {
    if found == width {
        Ok(())
    } else {
        Err(format!(
            "{what} has {found} entries for {width} input columns"
        ))
    }
}

/// A fitted model's state in the compact encoding model files use (f64s bit-exact).
pub fn encode<T: Serialize>(fitted: &T) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(fitted).map_err(|e| format!("cannot encode the fitted model: {e}"))
}

/// A fitted model read back from [`encode`]'s bytes. Decoding builds plain data and runs no code.
pub fn decode<T: DeserializeOwned + Predictor + 'static>(
    bytes: &[u8],
) -> Result<Box<dyn Predictor>, String> {
    postcard::from_bytes::<T>(bytes)
        .map(|fitted| Box::new(fitted) as Box<dyn Predictor>)
        .map_err(|e| format!("the fitted model does not decode: {e}"))
}

/// The logistic function, without overflow for large |z|.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Class probabilities over `n_classes` columns from per-class scores of the classes a model saw
/// (`scores[:, k]` for class `classes[k]`): a softmax, shifted by each row's maximum so large
/// scores neither overflow nor underflow; classes the model did not see get 0.
pub fn softmax_over(scores: ArrayView2<f64>, classes: &[usize], n_classes: usize) -> Array2<f64> {
    let mut out = Array2::zeros((scores.nrows(), n_classes));
    for (row, mut probs) in scores.outer_iter().zip(out.outer_iter_mut()) {
        let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = row.iter().map(|s| (s - top).exp()).sum();
        for (&class, s) in classes.iter().zip(row) {
            probs[class] = (s - top).exp() / total;
        }
    }
    out
}

/// What a model family declares about itself.
pub struct FamilyInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub tasks: &'static [Task],
    pub params: &'static [ParamSpec],
    /// Preprocessing when the sweep file gives none.
    pub preprocessing: DefaultPreprocessing,
    /// What its classifiers give beyond labels.
    pub scores: Scores,
    /// Whether its fits report the iterations they ran ([`Predictor::n_iter`]), trials.csv's
    /// `mean_n_iter`.
    pub iterates: bool,
    /// Parameters whose listed values share work on a fold in turn (the svm's solution at one C
    /// starts the next): a grid varies them fastest, so the trials sharing it run back to back
    /// while what they share is still in memory.
    pub varied_fastest: &'static [&'static str],
}

/// What a family's classifiers give beyond labels, which decides the metrics it can be ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scores {
    Labels,
    /// Per-class decision values ([`Predictor::decision_values`]): they rank rows but are not
    /// probabilities.
    DecisionValues,
    /// Class probabilities ([`Predictor::probabilities`]).
    Probabilities,
}

impl Scores {
    /// Whether these scores serve a metric needing `needs`.
    pub fn serve(self, needs: Needs) -> bool {
        match needs {
            Needs::Labels => true,
            Needs::Ranking => self != Scores::Labels,
            Needs::Probabilities => self == Scores::Probabilities,
        }
    }

    /// What these are, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Scores::Labels => "labels only",
            Scores::DecisionValues => "labels and decision values (no probabilities)",
            Scores::Probabilities => "labels and class probabilities",
        }
    }
}

/// A model's output on `x`, with its class scores (probabilities, else decision values) when
/// `with_scores`.
pub fn predict(model: &dyn Predictor, x: ArrayView2<f64>, with_scores: bool) -> Prediction {
    if !with_scores {
        return Prediction {
            targets: model.predict(x),
            scores: None,
        };
    }
    let (targets, scores) = model.predict_with_scores(x);
    Prediction { targets, scores }
}

pub use crate::preprocess::DefaultPreprocessing;

/// A model family: its parameters and how to fit one parameter set.
pub trait ModelFamily: Send + Sync {
    fn info(&self) -> &'static FamilyInfo;

    fn name(&self) -> &'static str {
        self.info().name
    }
    fn summary(&self) -> &'static str {
        self.info().summary
    }
    fn tasks(&self) -> &'static [Task] {
        self.info().tasks
    }
    fn params(&self) -> &'static [ParamSpec] {
        self.info().params
    }
    /// Fits on one training fold. `seeds` drive every random choice the model makes; `cache` holds
    /// what other trials on the same fold (and preprocessing) already computed.
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: TargetsView,
        seeds: Seeds,
        cache: &FoldCache,
    ) -> Result<Box<dyn Predictor>, String>;

    /// A model this family fitted, from the bytes its [`Predictor::save`] gave.
    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String>;
}

/// The seeds a trial's model may draw from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeds {
    /// Derived from the master seed and the trial key: this trial's own randomness.
    pub trial: u64,
    /// Derived from the master seed and the model entry: the same for every trial of the entry, for
    /// randomness that should not differ between grid points (common random numbers, as one
    /// scikit-learn random_state across a grid), so trials can share work.
    pub shared: u64,
}

type Shared = Arc<dyn Any + Send + Sync>;

/// A value computed once by whichever caller claims it first. Other callers wait for it while
/// running other work of the rayon pool, so a pool thread never sits blocked behind another
/// trial's computation (a plain `OnceLock` would block it and serialise the sweep).
pub struct ComputeOnce<T> {
    claimed: AtomicBool,
    /// The value and the seconds computing it took.
    value: OnceLock<(T, f64)>,
}

impl<T> Default for ComputeOnce<T> {
    fn default() -> Self {
        ComputeOnce {
            claimed: AtomicBool::new(false),
            value: OnceLock::new(),
        }
    }
}

impl<T> ComputeOnce<T> {
    /// Computes the value if nobody has claimed it yet; returns at once otherwise.
    pub fn compute_if_unclaimed(&self, compute: impl FnOnce() -> T) {
        if !self.claimed.swap(true, Ordering::AcqRel) {
            self.fill(compute);
        }
    }

    /// Computes and stores the value; the caller holds the claim. If `compute` panics, the claim
    /// is released so a waiter computes (and fails) in turn instead of waiting forever.
    fn fill(&self, compute: impl FnOnce() -> T) {
        struct Release<'a>(&'a AtomicBool, u32);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                SHARED_WORK.set(SharedClock {
                    computing: self.1,
                    ..SHARED_WORK.get()
                });
                if std::thread::panicking() {
                    self.0.store(false, Ordering::Release);
                }
            }
        }
        let clock = SHARED_WORK.get();
        let _release = Release(&self.claimed, clock.computing);
        SHARED_WORK.set(SharedClock {
            computing: clock.computing + 1,
            ..clock
        });
        let started = Instant::now();
        let value = compute();
        let _ = self.value.set((value, started.elapsed().as_secs_f64()));
    }

    /// The value, computing it here if nobody has claimed it, else waiting for whoever did; the
    /// seconds it took to compute count as read by the fit on this thread ([`read_shared`]).
    pub fn get_or_compute(&self, compute: impl FnOnce() -> T) -> &T {
        let mut compute = Some(compute);
        let mut waiting: Option<Instant> = None;
        loop {
            if let Some((value, seconds)) = self.value.get() {
                if let Some(since) = waiting {
                    waited(since.elapsed().as_secs_f64());
                }
                read_shared(*seconds);
                return value;
            }
            // The closure is only used up by a claim, which either stores the value or panics out.
            if let Some(f) = compute.take() {
                if self.claimed.swap(true, Ordering::AcqRel) {
                    compute = Some(f);
                } else {
                    self.fill(f);
                    continue;
                }
            }
            waiting.get_or_insert_with(Instant::now);
            if rayon::yield_now() != Some(rayon::Yield::Executed) {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }
    }
}

/// Values shared by every trial on one fold, such as kernel matrices, each computed once.
/// Bounded in entries, so sweeps over continuous parameters do not grow it without end: a new
/// entry evicts the one used longest ago (a later trial that needs it computes it again).
#[derive(Default)]
pub struct FoldCache {
    entries: Mutex<CacheEntries>,
}

#[derive(Default)]
struct CacheEntries {
    cells: HashMap<String, (Arc<ComputeOnce<Shared>>, u64)>,
    /// Counts uses, to find the entry used longest ago.
    clock: u64,
}

impl FoldCache {
    /// Kernels and the solutions at each C of an SVM grid are entries (per kernel setting).
    const MAX_ENTRIES: usize = 32;

    /// The value stored under `key`, computing it on first use (once, even with concurrent callers).
    pub fn get_or_compute<T: Any + Send + Sync>(
        &self,
        key: &str,
        compute: impl FnOnce() -> T,
    ) -> Arc<T> {
        shared_work(|| self.get_or_compute_untimed(key, compute))
    }

    fn get_or_compute_untimed<T: Any + Send + Sync>(
        &self,
        key: &str,
        compute: impl FnOnce() -> T,
    ) -> Arc<T> {
        let cell = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            entries.clock += 1;
            let now = entries.clock;
            if !entries.cells.contains_key(key) && entries.cells.len() >= Self::MAX_ENTRIES {
                let oldest = entries
                    .cells
                    .iter()
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    entries.cells.remove(&k);
                }
            }
            let (cell, used) = entries.cells.entry(key.to_string()).or_default();
            *used = now;
            Arc::clone(cell)
        };
        let shared = cell.get_or_compute(|| Arc::new(compute()) as Shared);
        Arc::clone(shared)
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable_type(key))
    }
}

fn unreachable_type<T>(key: &str) -> Arc<T> {
    panic!("fold cache entry `{key}` was stored with another type")
}

/// The `class_weight` parameter every classifier that weighs rows declares.
pub const fn class_weight_spec() -> ParamSpec {
    ParamSpec {
        name: "class_weight",
        kind: Kind::ClassWeight,
        default: "null",
        help:
            "weight of each class's rows: null (all 1), balanced (rows / (classes x class rows), \
               per training fold) or a map such as {dead: 10} (unlisted classes 1)",
    }
}

/// A trial's parameter values, already checked against the family's specs; absent ones take their default.
#[derive(Clone, Copy)]
pub struct Params<'a> {
    pub given: &'a [(String, Value)],
    pub specs: &'static [ParamSpec],
    /// For integer parameters the sweep varies: the largest value any trial of this model entry
    /// takes (`None`: some trial leaves it unlimited). Shared work grows only as far as that.
    pub largest: &'a [(String, Option<i64>)],
    /// For numeric parameters given as a list: every value listed for this model entry. A fit may
    /// start from the solution at the listed value below its own (the same for any run order).
    pub listed: &'a [(String, Vec<f64>)],
    /// The target's class names by class index (what a `class_weight` map names); empty for regression.
    pub class_names: &'a [String],
    /// Columns of the training matrix holding a category's ordinal code (NaN: missing or unseen),
    /// for families that split on category sets.
    pub category_columns: &'a [usize],
}

impl Params<'_> {
    pub fn get(&self, name: &str) -> Value {
        if let Some((_, v)) = self.given.iter().find(|(n, _)| n == name) {
            return v.clone();
        }
        self.specs
            .iter()
            .find(|s| s.name == name)
            .map(ParamSpec::default_value)
            .unwrap_or(Value::Null)
    }

    pub fn f64(&self, name: &str) -> Result<f64, String> {
        self.get(name)
            .as_f64()
            .ok_or_else(|| format!("parameter `{name}` must be a number"))
    }

    pub fn usize(&self, name: &str) -> Result<usize, String> {
        match self.get(name) {
            Value::Int(i) if i >= 0 => Ok(i as usize),
            other => Err(format!("parameter `{name}` must be a count, got `{other}`")),
        }
    }

    /// The largest value of a count with `null` = no limit over every trial of this model entry
    /// (`None`: unlimited for some trial), for work trials share.
    pub fn largest_opt_usize(&self, name: &str) -> Result<Option<usize>, String> {
        match self.largest.iter().find(|(n, _)| n == name) {
            Some((_, bound)) => Ok(bound.and_then(|b| usize::try_from(b).ok())),
            None => self.opt_usize(name),
        }
    }

    /// Every value listed for `name` in this model entry, when it is given as a list of numbers.
    pub fn listed(&self, name: &str) -> Option<&[f64]> {
        self.listed
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, values)| values.as_slice())
    }

    /// A count where `null` means "no limit".
    pub fn opt_usize(&self, name: &str) -> Result<Option<usize>, String> {
        match self.get(name) {
            Value::Null => Ok(None),
            _ => self.usize(name).map(Some),
        }
    }

    pub fn bool(&self, name: &str) -> Result<bool, String> {
        match self.get(name) {
            Value::Bool(b) => Ok(b),
            other => Err(format!(
                "parameter `{name}` must be true or false, got `{other}`"
            )),
        }
    }

    /// Per-class weights from `class_weight` on a training fold's labels, scikit-learn's meaning:
    /// `balanced` gives class c `rows / (classes present x rows of c)`; a map gives its classes
    /// their weight and the others 1. `None` when rows are not weighted.
    pub fn class_weights(
        &self,
        labels: ArrayView1<usize>,
        n_classes: usize,
    ) -> Result<Option<Vec<f64>>, String> {
        match self.get("class_weight") {
            Value::Null => Ok(None),
            Value::Str(s) if s == "balanced" => {
                let counts = crate::data::class_counts(labels, n_classes);
                let present = counts.iter().filter(|&&n| n > 0).count() as f64;
                let rows = labels.len() as f64;
                Ok(Some(
                    counts
                        .iter()
                        .map(|&n| {
                            if n > 0 {
                                rows / (present * n as f64)
                            } else {
                                1.0
                            }
                        })
                        .collect(),
                ))
            }
            Value::Str(s) => {
                let pairs = crate::value::class_weight_map(&s)
                    .ok_or_else(|| format!("class_weight `{s}` is not a map of class to weight"))?;
                let mut weights = vec![1.0; n_classes];
                for (name, weight) in pairs {
                    let class =
                        self.class_names
                            .iter()
                            .position(|c| c == name)
                            .ok_or_else(|| {
                                format!("class_weight names `{name}`, not a class of the target")
                            })?;
                    weights[class] = weight;
                }
                Ok(Some(weights))
            }
            other => Err(format!(
                "class_weight `{other}` is not null, balanced or a map"
            )),
        }
    }

    /// Each training row's weight from [`Params::class_weights`]; `None` when rows are not
    /// weighted. A regression target has no classes, so its `class_weight` must be null.
    pub fn row_weights(&self, y: TargetsView) -> Result<Option<Vec<f64>>, String> {
        match y {
            Targets::Classes {
                y: labels,
                n_classes,
            } => Ok(self
                .class_weights(labels, n_classes)?
                .map(|w| labels.iter().map(|&c| w[c]).collect())),
            Targets::Values(_) => match self.get("class_weight") {
                Value::Null => Ok(None),
                other => Err(format!(
                    "class_weight `{other}` weighs classes; a regression target has none"
                )),
            },
        }
    }

    pub fn str(&self, name: &str) -> Result<String, String> {
        match self.get(name) {
            Value::Str(s) => Ok(s),
            other => Err(format!("parameter `{name}` must be a name, got `{other}`")),
        }
    }
}

/// Class labels of a classification target, or an error naming the model that needs them.
pub fn class_targets<'a>(
    y: TargetsView<'a>,
    model: &str,
) -> Result<(ArrayView1<'a, usize>, usize), String> {
    match y {
        Targets::Classes { y, n_classes } => Ok((y, n_classes)),
        Targets::Values(_) => Err(format!("{model} needs a classification target")),
    }
}

/// Real-valued targets, or an error naming the model that needs them.
pub fn value_targets<'a>(y: TargetsView<'a>, model: &str) -> Result<ArrayView1<'a, f64>, String> {
    match y {
        Targets::Values(v) => Ok(v),
        Targets::Classes { .. } => Err(format!("{model} needs a regression target")),
    }
}

/// Index of the largest value; the first one on ties, so predictions never depend on anything but the data.
pub fn argmax(values: impl IntoIterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.into_iter().enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// The `sweep models` listing: every family, its tasks, and each parameter's values and default.
pub fn describe_all() -> String {
    let mut out = String::new();
    for model in REGISTRY {
        let tasks: Vec<String> = model.tasks().iter().map(|t| t.to_string()).collect();
        out.push_str(&format!(
            "{}  [{}]\n  {}\n",
            model.name(),
            tasks.join(", "),
            model.summary()
        ));
        for p in model.params() {
            out.push_str(&format!(
                "    {:<22} {} (default {})\n    {:<22} {}\n",
                p.name,
                p.describe(),
                p.default,
                "",
                p.help
            ));
        }
        out.push('\n');
    }
    out.push_str(
        "linfa has no regression trees or forests; decision_tree and random_forest here are this project's own\n\
         CART implementation and support both tasks; gradient_boosting is this project's histogram boosting;\n\
         svm is this project's own SMO solver on shared kernels.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_computation_leaves_the_value_to_the_next_caller() {
        let cell = ComputeOnce::<u32>::default();
        let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            cell.get_or_compute(|| panic!("first caller fails"));
        }));
        assert!(failed.is_err());
        assert_eq!(*cell.get_or_compute(|| 7), 7);
        assert_eq!(*cell.get_or_compute(|| 8), 7, "computed once");
    }

    /// A full cache makes room by dropping the entry used longest ago; one in use stays.
    #[test]
    fn a_full_fold_cache_evicts_the_entry_used_longest_ago() {
        let cache = FoldCache::default();
        let computed = std::sync::atomic::AtomicUsize::new(0);
        let get = |key: &str| {
            *cache.get_or_compute(key, || {
                computed.fetch_add(1, Ordering::Relaxed);
                key.len()
            })
        };
        for i in 0..FoldCache::MAX_ENTRIES {
            get(&format!("entry {i}"));
        }
        get("entry 0");
        get("one more");
        let before = computed.load(Ordering::Relaxed);
        get("entry 0");
        assert_eq!(
            computed.load(Ordering::Relaxed),
            before,
            "recently used: kept"
        );
        get("entry 1");
        assert_eq!(
            computed.load(Ordering::Relaxed),
            before + 1,
            "oldest: evicted, computed again"
        );
    }

    #[test]
    fn registry_names_are_unique_and_defaults_are_valid() {
        let mut names: Vec<_> = REGISTRY.iter().map(|m| m.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len());
        for model in REGISTRY {
            for spec in model.params() {
                let default = spec.default_value();
                assert_eq!(
                    spec.check(&default),
                    Ok(default.clone()),
                    "{}.{} default",
                    model.name(),
                    spec.name
                );
            }
        }
    }

    #[test]
    fn families_declare_probabilities_exactly_when_they_give_them() {
        let x = ndarray::array![
            [0.0, 1.0],
            [1.0, 0.0],
            [2.0, 1.0],
            [3.0, 0.0],
            [4.0, 1.0],
            [5.0, 0.0]
        ];
        let y = ndarray::array![0usize, 0, 1, 1, 2, 2];
        for family in REGISTRY
            .iter()
            .filter(|f| f.tasks().contains(&Task::Classification) && f.name() != "fault")
        {
            let params = Params {
                given: &[],
                specs: family.params(),
                largest: &[],
                listed: &[],
                class_names: &[],
                category_columns: &[],
            };
            let target = Targets::Classes {
                y: y.view(),
                n_classes: 3,
            };
            let seeds = Seeds {
                trial: 1,
                shared: 2,
            };
            let fitted = family
                .fit(&params, x.view(), target, seeds, &FoldCache::default())
                .unwrap();
            let proba = fitted.probabilities(x.view());
            assert_eq!(
                proba.is_some(),
                family.info().scores == Scores::Probabilities,
                "{}",
                family.name()
            );
            assert_eq!(
                fitted.decision_values(x.view()).is_some(),
                family.info().scores == Scores::DecisionValues,
                "{}",
                family.name()
            );
            if let Some(p) = proba {
                assert_eq!(p.dim(), (6, 3), "{}", family.name());
                for row in p.outer_iter() {
                    assert!((row.sum() - 1.0).abs() < 1e-12, "{}: {row}", family.name());
                }
            }
            let reloaded = family.load(&fitted.save().unwrap()).unwrap();
            assert_eq!(
                reloaded.predict(x.view()),
                fitted.predict(x.view()),
                "{}",
                family.name()
            );
        }
    }

    #[test]
    fn softmax_is_stable_for_large_log_likelihoods() {
        let scores = ndarray::array![[-2000.0, -2001.0]];
        let p = softmax_over(scores.view(), &[0, 2], 3);
        assert!((p[(0, 0)] - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-15);
        assert_eq!(p[(0, 1)], 0.0, "an unseen class");
        assert!((p.row(0).sum() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn argmax_breaks_ties_towards_the_first() {
        assert_eq!(argmax([1.0, 3.0, 3.0]), 1);
        assert_eq!(argmax([f64::NAN, 0.0]), 1);
    }
}
