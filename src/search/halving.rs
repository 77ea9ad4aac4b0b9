//! Successive halving (scikit-learn's `HalvingGridSearchCV` / `HalvingRandomSearchCV`): every
//! candidate runs at the first rung's resource, the best `1 / factor` of each rung go on to the next
//! with `factor` times the resource. Rungs follow one another in trial order, so rung k's trials are
//! proposed once every trial of rung k - 1 has finished.

use super::{History, Proposal, Proposer};
use crate::evaluate::Status;
use crate::expand::{Stage, TrialStream};
use crate::metrics::Metric;
use crate::spec::{Resource, Rung, Space};
use crate::value::Value;

pub struct Halving {
    resource: Resource,
    metric: Metric,
    /// Every candidate: model entry and parameters.
    candidates: Vec<(usize, Vec<(String, Value)>)>,
    rungs: Vec<Rung>,
    /// Index of each rung's first trial.
    starts: Vec<usize>,
    /// Per rung computed so far: the candidates it runs, best of the previous rung first.
    chosen: Vec<Vec<usize>>,
}

impl Halving {
    pub fn new(space: &Space, settings: crate::spec::Halving) -> Halving {
        let candidates: Vec<_> = TrialStream::new(space)
            .map(|t| (t.entry, t.params))
            .collect();
        let rungs = settings.schedule(candidates.len());
        let starts = rungs
            .iter()
            .scan(0, |start, r| {
                let this = *start;
                *start += r.candidates;
                Some(this)
            })
            .collect();
        Halving {
            resource: settings.resource,
            metric: space.primary(),
            chosen: vec![(0..candidates.len()).collect()],
            candidates,
            rungs,
            starts,
        }
    }

    fn rung_of(&self, index: usize) -> Option<usize> {
        let rung = self
            .starts
            .partition_point(|&s| s <= index)
            .checked_sub(1)?;
        (index < self.starts[rung] + self.rungs[rung].candidates).then_some(rung)
    }

    /// Rung `rung`'s candidates: the best of rung `rung - 1` by mean score (ok trials first, ties to
    /// the earlier trial), as scikit-learn keeps its top k.
    fn choose(&self, rung: usize, history: &History) -> Vec<usize> {
        let previous = rung - 1;
        let start = self.starts[previous];
        let mut ranked: Vec<(usize, Option<f64>)> = self.chosen[previous]
            .iter()
            .enumerate()
            .map(|(position, &candidate)| {
                let score = history
                    .get(start + position)
                    .and_then(|p| p.outcome.as_ref())
                    .filter(|o| o.status == Status::Ok)
                    .and_then(|o| o.score)
                    .filter(|s| !s.is_nan())
                    .map(|s| self.metric.loss(s));
                (candidate, score)
            })
            .collect();
        // Stable sort: trials without a score last, in their order.
        ranked.sort_by(|a, b| match (a.1, b.1) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        ranked
            .into_iter()
            .take(self.rungs[rung].candidates)
            .map(|(c, _)| c)
            .collect()
    }
}

impl Proposer for Halving {
    fn needs(&self, index: usize) -> usize {
        self.rung_of(index).map_or(0, |r| self.starts[r])
    }

    fn propose(&mut self, index: usize, history: &History) -> Option<Proposal> {
        let rung = self.rung_of(index)?;
        while self.chosen.len() <= rung {
            let next = self.choose(self.chosen.len(), history);
            self.chosen.push(next);
        }
        let candidate = self.chosen[rung][index - self.starts[rung]];
        let (entry, mut params) = self.candidates[candidate].clone();
        let resource = self.rungs[rung].resource;
        if let Resource::Param(name) = self.resource {
            // Parameters stay sorted by name, as in every key.
            let at = params.partition_point(|(n, _)| n.as_str() < name);
            params.insert(at, (name.to_string(), Value::Int(resource as i64)));
        }
        Some(Proposal {
            entry,
            params,
            stage: Some(Stage { rung, resource }),
        })
    }
}
