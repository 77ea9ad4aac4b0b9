//! Fold pruning's bars: for each fold count k, the median running mean (of the primary metric over
//! the first k folds) of the trials in a trial's reference set, moved by the margin. The reference set
//! of trial n is the trials before `needs(n)` (see the module above), fixed by index, so a trial's
//! bars never depend on which trials happened to finish first.

use super::History;
use crate::evaluate::Status;
use crate::metrics::Metric;
use crate::spec::{Prune, Space, PRUNE_MIN_FOLDS};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// An f64 ordered by `total_cmp`, for heaps.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ordered(f64);

impl Eq for Ordered {}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The median of a growing multiset in O(log n) per value: the lower half in a max-heap, the
/// upper half in a min-heap.
#[derive(Default)]
pub struct RunningMedian {
    lower: BinaryHeap<Ordered>,
    upper: BinaryHeap<Reverse<Ordered>>,
}

impl RunningMedian {
    pub fn push(&mut self, x: f64) {
        match self.lower.peek() {
            Some(top) if x > top.0 => self.upper.push(Reverse(Ordered(x))),
            _ => self.lower.push(Ordered(x)),
        }
        if self.lower.len() > self.upper.len() + 1 {
            let moved = self.lower.pop().expect("lower is not empty");
            self.upper.push(Reverse(moved));
        } else if self.upper.len() > self.lower.len() {
            let Reverse(moved) = self.upper.pop().expect("upper is not empty");
            self.lower.push(moved);
        }
    }

    pub fn count(&self) -> usize {
        self.lower.len() + self.upper.len()
    }

    /// numpy's median: the middle value, or the mean of the two middle ones.
    pub fn median(&self) -> Option<f64> {
        let low = self.lower.peek()?.0;
        if self.lower.len() > self.upper.len() {
            Some(low)
        } else {
            self.upper.peek().map(|Reverse(high)| (low + high.0) / 2.0)
        }
    }
}

pub struct Bars {
    settings: Prune,
    metric: Metric,
    folds: usize,
    /// Per fold count k (at k - 1): running means of the trials counted so far.
    medians: Vec<RunningMedian>,
    /// Trials `0..counted` are in `medians`.
    counted: usize,
}

impl Bars {
    pub fn new(settings: Prune, space: &Space) -> Bars {
        let folds = space.n_folds();
        Bars {
            settings,
            metric: space.primary(),
            folds,
            medians: (0..folds).map(|_| RunningMedian::default()).collect(),
            counted: 0,
        }
    }

    /// The bars of a trial whose reference set is trials `0..reference` (all finished).
    pub fn for_trial(&mut self, history: &History, reference: usize) -> Option<Vec<f64>> {
        while self.counted < reference {
            let outcome = history.get(self.counted).and_then(|p| p.outcome.as_ref());
            if let Some(o) = outcome.filter(|o| matches!(o.status, Status::Ok | Status::Pruned)) {
                let mut sum = 0.0;
                for (k, split) in o.splits.iter().enumerate().take(self.folds) {
                    sum += split;
                    self.medians[k].push(sum / (k + 1) as f64);
                }
            }
            self.counted += 1;
        }
        let bars = (0..self.folds)
            .map(|k| {
                let folds_done = k + 1;
                let reference = &self.medians[k];
                // Never before PRUNE_MIN_FOLDS folds, nor after the last (the trial is complete).
                let allowed = folds_done >= PRUNE_MIN_FOLDS
                    && folds_done < self.folds
                    && reference.count() >= self.settings.startup_trials.max(1);
                match reference.median().filter(|_| allowed) {
                    Some(m) => self.metric.worse_by(m, self.settings.margin),
                    None => f64::NAN,
                }
            })
            .collect();
        Some(bars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_median_matches_sorting() {
        let values = [5.0, -1.0, 3.5, 3.5, 10.0, 0.0, 7.25, 2.0];
        let mut m = RunningMedian::default();
        for (i, &v) in values.iter().enumerate() {
            m.push(v);
            let mut sorted = values[..=i].to_vec();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            let expected = if n % 2 == 1 {
                sorted[n / 2]
            } else {
                (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
            };
            assert_eq!(m.median(), Some(expected), "after {} values", i + 1);
        }
        assert_eq!(m.count(), values.len());
    }
}

#[cfg(test)]
mod bar_tests {
    use super::*;
    use crate::search::{Outcome, Past};

    #[test]
    fn bars_never_prune_before_two_folds_or_at_the_last() {
        let mut history = History::default();
        for i in 0..6 {
            history.put(
                i,
                Past {
                    entry: 0,
                    params: Vec::new(),
                    key: format!("t{i}"),
                    stage: None,
                    outcome: Some(Outcome {
                        status: Status::Ok,
                        score: Some(0.5),
                        splits: vec![0.1 * i as f64; 4],
                    }),
                },
            );
        }
        let mut bars = Bars {
            settings: Prune {
                margin: 0.01,
                startup_trials: 5,
            },
            metric: crate::metrics::Metric::Accuracy,
            folds: 4,
            medians: (0..4).map(|_| RunningMedian::default()).collect(),
            counted: 0,
        };
        let few = bars.for_trial(&history, 4).unwrap();
        assert!(
            few.iter().all(|b| b.is_nan()),
            "4 trials < 5 startup: {few:?}"
        );
        let b = bars.for_trial(&history, 6).unwrap();
        assert!(b[0].is_nan() && b[3].is_nan(), "{b:?}");
        // Median of 0.0, 0.1, ..., 0.5 is 0.25, less the margin.
        assert!(
            (b[1] - 0.24).abs() < 1e-12 && (b[2] - 0.24).abs() < 1e-12,
            "{b:?}"
        );
    }
}
