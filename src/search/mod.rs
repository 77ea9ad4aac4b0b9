//! Where a running sweep's trials come from. Grid and random search list their trials in advance;
//! TPE ([`tpe`]) and successive halving ([`halving`]) propose each trial from the results of earlier
//! ones, and fold pruning ([`prune`]) gives each trial the bars it must clear.
//!
//! Proposals are deterministic whatever the backend and timing: proposal `n` may use the results of
//! trials `0..needs(n)` only, and waits ([`Next::Wait`]) until exactly those have finished. For TPE
//! and pruning `needs(n) = n + 1 - lag` with `lag` the number of jobs the run started with, so every
//! worker stays busy while results arrive in any order; halving's rung `k` needs all of rung `k - 1`.

pub mod halving;
pub mod parzen;
pub mod prune;
pub mod tpe;

use crate::evaluate::{Job, Status, TrialRecord};
use crate::expand::{Stage, Trial, TrialStream};
use crate::spec::{Resource, Search, Space};
use crate::value::Value;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// What a source has for a backend asking for work.
#[derive(Debug)]
pub enum Next {
    Job(Box<Job>),
    /// Nothing until more running trials finish.
    Wait,
    /// No more trials.
    Done,
}

/// Trials on demand. The backend reports every finished record back with `observe`, on the
/// thread that calls `next`.
pub trait TrialSource {
    fn next(&mut self) -> Next;
    fn observe(&mut self, record: &TrialRecord);
}

/// Trials listed in advance (grid, random, refits): never waits, learns nothing.
pub struct Listed<I>(pub I);

impl<I: Iterator<Item = Job>> TrialSource for Listed<I> {
    fn next(&mut self) -> Next {
        match self.0.next() {
            Some(job) => Next::Job(Box::new(job)),
            None => Next::Done,
        }
    }

    fn observe(&mut self, _: &TrialRecord) {}
}

/// How a finished trial ended, as the search uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    /// The mean primary metric of an ok trial.
    pub score: Option<f64>,
    /// The primary metric of each fold it ran.
    pub splits: Vec<f64>,
}

impl Outcome {
    pub fn of(record: &TrialRecord, primary: usize) -> Outcome {
        Outcome {
            status: record.status,
            score: (record.status == Status::Ok)
                .then(|| record.means.get(primary).copied())
                .flatten(),
            splits: record.splits.clone(),
        }
    }
}

/// One proposed trial as the search remembers it.
#[derive(Debug, Clone)]
pub struct Past {
    pub entry: usize,
    pub params: Vec<(String, Value)>,
    pub key: String,
    pub stage: Option<Stage>,
    /// `None` while it runs.
    pub outcome: Option<Outcome>,
}

impl Past {
    fn of(trial: &Trial) -> Past {
        Past {
            entry: trial.entry,
            params: trial.params.clone(),
            key: trial.key.clone(),
            stage: trial.stage,
            outcome: None,
        }
    }
}

/// Every trial proposed so far, by index.
#[derive(Default)]
pub struct History {
    pub pasts: Vec<Option<Past>>,
    /// Trials `0..finished` have all finished.
    finished: usize,
    /// The key hash of every trial proposed so far.
    keys: HashSet<u64>,
}

impl History {
    fn put(&mut self, index: usize, past: Past) {
        if self.pasts.len() <= index {
            self.pasts.resize(index + 1, None);
        }
        self.keys.insert(crate::seed::key_hash(&past.key));
        self.pasts[index] = Some(past);
        self.advance();
    }

    /// Records a proposed trial's outcome (or the whole trial, if it was not proposed here).
    fn finish(&mut self, trial: &Trial, outcome: Outcome) {
        match self.pasts.get_mut(trial.index) {
            Some(Some(past)) if past.key == trial.key => {
                past.outcome = Some(outcome);
                self.advance();
            }
            _ => {
                let mut past = Past::of(trial);
                past.outcome = Some(outcome);
                self.put(trial.index, past);
            }
        }
    }

    fn advance(&mut self) {
        while self
            .pasts
            .get(self.finished)
            .is_some_and(|p| p.as_ref().is_some_and(|p| p.outcome.is_some()))
        {
            self.finished += 1;
        }
    }

    pub fn get(&self, index: usize) -> Option<&Past> {
        self.pasts.get(index).and_then(Option::as_ref)
    }

    /// Whether a trial with this key hash was proposed.
    pub fn has_key(&self, hash: u64) -> bool {
        self.keys.contains(&hash)
    }
}

/// A trial's configuration, as a strategy proposes it.
pub struct Proposal {
    pub entry: usize,
    pub params: Vec<(String, Value)>,
    pub stage: Option<Stage>,
}

/// A strategy that proposes trial `index` from earlier results.
pub trait Proposer {
    /// How many leading trials must have finished before trial `index` is proposed.
    fn needs(&self, index: usize) -> usize;
    /// Trial `index`, knowing the results of trials `0..needs(index)` and the configurations of all
    /// before it; `None` when the search is over.
    fn propose(&mut self, index: usize, history: &History) -> Option<Proposal>;
    /// Whether proposals must be made one after another from 0 (a stream), even for trials a resumed
    /// run already has.
    fn sequential(&self) -> bool {
        false
    }
}

/// A listed stream as a proposer: needs nothing (used when pruning needs a history).
struct Streamed(TrialStream);

impl Proposer for Streamed {
    fn needs(&self, _: usize) -> usize {
        0
    }

    fn propose(&mut self, _: usize, _: &History) -> Option<Proposal> {
        self.0.next().map(|t| Proposal {
            entry: t.entry,
            params: t.params,
            stage: None,
        })
    }

    fn sequential(&self) -> bool {
        true
    }
}

/// The source of a search that learns: proposals from a strategy, recorded trials of a resumed run
/// replayed into its history (not run again), pruning bars attached.
pub struct Adaptive<'a> {
    space: &'a Space,
    proposer: Box<dyn Proposer + 'a>,
    history: History,
    prune: Option<prune::Bars>,
    next_index: usize,
    lag: usize,
    done: bool,
}

impl<'a> Adaptive<'a> {
    fn needs(&self, index: usize) -> usize {
        let mut needs = self.proposer.needs(index);
        if self.prune.is_some() {
            needs = needs.max((index + 1).saturating_sub(self.lag));
        }
        needs
    }
}

impl TrialSource for Adaptive<'_> {
    fn next(&mut self) -> Next {
        loop {
            if self.done {
                return Next::Done;
            }
            let index = self.next_index;
            // A recorded trial of a resumed run stands as it was.
            if self.history.get(index).is_some_and(|p| p.outcome.is_some()) {
                if self.proposer.sequential()
                    && self.proposer.propose(index, &self.history).is_none()
                {
                    self.done = true;
                }
                self.next_index += 1;
                continue;
            }
            let needs = self.needs(index);
            if self.history.finished < needs {
                return Next::Wait;
            }
            let Some(proposal) = self.proposer.propose(index, &self.history) else {
                self.done = true;
                return Next::Done;
            };
            let mut trial = Trial::new(self.space, index, proposal.entry, proposal.params);
            trial.stage = proposal.stage;
            if let (Some(stage), Search::Halving(h)) = (proposal.stage, self.space.search()) {
                // A rows rung is not in the parameters; the key tells the rungs apart. The seed stays
                // the configuration's.
                if h.resource == Resource::Rows {
                    trial.key.push_str(&format!("@rows={}", stage.resource));
                }
            }
            if let Some(bars) = &mut self.prune {
                trial.prune_bars = bars.for_trial(&self.history, needs);
            }
            self.history.put(index, Past::of(&trial));
            self.next_index += 1;
            return Next::Job(Box::new(Job::Trial(trial)));
        }
    }

    fn observe(&mut self, record: &TrialRecord) {
        let outcome = Outcome::of(record, self.space.primary_index());
        self.history.finish(&record.trial, outcome);
    }
}

/// A finished trial read back from a run's trials.csv.
pub struct Recorded {
    pub index: usize,
    pub past: Past,
}

/// The source for a run of `plan`: `lag` is the number of jobs the run started with; `recorded`
/// are the trials a resumed run already has (skipped); `skip` the keys a listed search skips.
pub fn source<'a>(
    space: &'a Space,
    lag: usize,
    recorded: Vec<Recorded>,
    skip: HashSet<u64>,
) -> Box<dyn TrialSource + 'a> {
    let lag = lag.max(1);
    let proposer: Box<dyn Proposer + 'a> = match space.search() {
        Search::Tpe(settings) => Box::new(tpe::Tpe::new(space, settings, lag)),
        Search::Halving(settings) => Box::new(halving::Halving::new(space, settings)),
        Search::Grid | Search::Random(_) if space.prune().is_some() => {
            Box::new(Streamed(TrialStream::new(space)))
        }
        Search::Grid | Search::Random(_) => {
            let stream = TrialStream::new(space)
                .filter(move |t| !skip.contains(&crate::seed::key_hash(&t.key)));
            return Box::new(Listed(stream.map(Job::Trial)));
        }
    };
    let mut history = History::default();
    for r in recorded {
        history.put(r.index, r.past);
    }
    Box::new(Adaptive {
        space,
        proposer,
        history,
        prune: space.prune().map(|p| prune::Bars::new(p, space)),
        next_index: 0,
        lag,
        done: false,
    })
}

/// A source that starts nothing after `budget` (checked whenever a backend asks for a trial).
pub struct Budgeted<'a> {
    pub inner: Box<dyn TrialSource + 'a>,
    pub clock: Instant,
    pub budget: Duration,
}

impl TrialSource for Budgeted<'_> {
    fn next(&mut self) -> Next {
        if self.clock.elapsed() >= self.budget {
            return Next::Done;
        }
        self.inner.next()
    }

    fn observe(&mut self, record: &TrialRecord) {
        self.inner.observe(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trials of a sweep, planned without a table (100 rows of two classes, two folds).
    fn plan(yaml: &str) -> Space {
        crate::spec::testing::space(yaml, crate::data::Task::Classification, 100, 2)
    }

    /// A toy objective: svm is best near c = 10 (in log space), trees are poor.
    fn score(trial: &Trial) -> f64 {
        match trial.model.as_str() {
            "svm" => {
                let c = trial.params[0].1.as_f64().unwrap();
                0.9 - 0.05 * (c.log10() - 1.0).powi(2)
            }
            _ => 0.5,
        }
    }

    /// Runs a search to the end with `jobs` trials in flight, finishing the newest first (`lifo`) or
    /// the oldest first; returns every trial in index order.
    fn drive(space: &Space, jobs: usize, lifo: bool) -> Vec<Trial> {
        let mut source = source(space, jobs, Vec::new(), HashSet::new());
        let mut running: Vec<Trial> = Vec::new();
        let mut all = Vec::new();
        loop {
            let mut done = false;
            while running.len() < jobs {
                match source.next() {
                    Next::Job(job) => running.push(job.trial().clone()),
                    Next::Wait => break,
                    Next::Done => {
                        done = true;
                        break;
                    }
                }
            }
            if running.is_empty() {
                assert!(done, "the source waits with nothing running");
                break;
            }
            let trial = if lifo {
                running.pop().unwrap()
            } else {
                running.remove(0)
            };
            let mut record = TrialRecord::bare(&trial, Status::Ok, String::new());
            record.means = vec![score(&trial); space.metrics().len()];
            record.splits = vec![score(&trial); space.n_folds()];
            source.observe(&record);
            all.push(trial);
        }
        all.sort_by_key(|t| t.index);
        all
    }

    const SPACE: &str = "models:\n  - model: svm\n    params: {c: {log_uniform: [0.001, 1000]}}\n  - model: decision_tree\n    params: {max_depth: {int_uniform: [1, 6]}, criterion: [gini, entropy]}\n";

    #[test]
    fn tpe_proposals_depend_on_seed_and_jobs_not_on_finishing_order() {
        let p = plan(&format!(
            "search: {{strategy: tpe, trials: 40, startup_trials: 8}}\n{SPACE}"
        ));
        let keys = |ts: Vec<Trial>| ts.into_iter().map(|t| t.key).collect::<Vec<_>>();
        let fifo = keys(drive(&p, 3, false));
        assert_eq!(fifo.len(), 40);
        assert_eq!(
            fifo,
            keys(drive(&p, 3, true)),
            "finishing order changed the trials"
        );
        assert_ne!(
            fifo,
            keys(drive(&p, 1, false)),
            "jobs set the lag, so the trials"
        );
    }

    #[test]
    fn tpe_parameters_belong_to_their_family_and_respect_log_and_integer_axes() {
        let p = plan(&format!(
            "search: {{strategy: tpe, trials: 60, startup_trials: 10}}\n{SPACE}"
        ));
        let trials = drive(&p, 2, false);
        for t in &trials {
            let names: Vec<&str> = t.params.iter().map(|(n, _)| n.as_str()).collect();
            match t.model.as_str() {
                "svm" => {
                    assert_eq!(names, ["c"]);
                    let c = t.params[0].1.as_f64().unwrap();
                    assert!((0.001..=1000.0).contains(&c), "{c}");
                }
                _ => {
                    assert_eq!(names, ["criterion", "max_depth"]);
                    assert!(matches!(t.params[1].1, Value::Int(1..=6)), "{:?}", t.params);
                }
            }
        }
        // After the random start TPE spends its trials on the better family, near c = 10 in log
        // space: closer than the random start got.
        let distance = |ts: &[Trial]| {
            let mut d: Vec<f64> = ts
                .iter()
                .filter(|t| t.model == "svm")
                .map(|t| (t.params[0].1.as_f64().unwrap().log10() - 1.0).abs())
                .collect();
            d.sort_by(f64::total_cmp);
            d[d.len() / 2]
        };
        let later = &trials[30..];
        assert!(later.iter().filter(|t| t.model == "svm").count() >= 24);
        assert!(
            distance(later) < 0.5,
            "median log10 distance {}",
            distance(later)
        );
        assert!(distance(later) < distance(&trials[..10]));
    }

    #[test]
    fn halving_waits_for_a_whole_rung_and_promotes_the_best() {
        let p = plan(
            "search: {strategy: halving, factor: 2, resource: n_estimators, max_resource: 8}\nmodels:\n  - model: random_forest\n    params: {max_depth: [1, 2, 3, 4]}\n",
        );
        let mut source = source(&p, 4, Vec::new(), HashSet::new());
        let first: Vec<Trial> = (0..4)
            .map(|_| match source.next() {
                Next::Job(job) => job.trial().clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(matches!(source.next(), Next::Wait));
        assert!(first.iter().all(|t| t.stage.unwrap().rung == 0));
        // Shallower trees score better here; results arrive out of order.
        for t in first.iter().rev() {
            let mut record = TrialRecord::bare(t, Status::Ok, String::new());
            let depth = t.params[0].1.as_f64().unwrap();
            record.means = vec![-depth; p.metrics().len()];
            source.observe(&record);
        }
        let Next::Job(next) = source.next() else {
            panic!("rung 1 did not start")
        };
        assert_eq!(next.trial().stage.unwrap().rung, 1);
        assert_eq!(
            next.trial().key,
            "random_forest(max_depth=1,n_estimators=4)"
        );
    }
}
