//! The terminal while and after a sweep runs: a one-line progress display (plain lines when stderr is
//! not a terminal) and the final table.

use crate::evaluate::baseline::Baseline;
use crate::evaluate::{Status, TrialRecord};
use crate::expand::Trial;
use crate::metrics::Metric;
use crate::results::columns::TrialColumns;
use crate::results::trials::TrialsTable;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::io::Write;
use std::time::{Duration, Instant};

/// The best score so far and the trial that got it.
pub type Best = Option<(f64, String)>;

pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    total: usize,
    done: usize,
    /// Trials finished by this session (a resumed run's earlier ones excluded), for the rate.
    done_here: usize,
    failed: usize,
    best: Best,
    primary: Metric,
    primary_index: usize,
    started: Instant,
    last_line: Instant,
    /// The trials still to run when they are known in advance (a grid or a random listing).
    expected: Option<ExpectedCost>,
}

/// What the remaining trials of a listed sweep should cost, from what finished trials of the same
/// model entry with the same parameter values took: a sweep whose costly trials come last gets an
/// ETA that grows when the first of them finishes, not one from the cheap trials' rate.
struct ExpectedCost {
    /// Trials not finished yet, by key: their model entry and `name=value` of each parameter.
    pending: HashMap<String, (usize, Vec<String>)>,
    jobs: usize,
    /// Seconds and count of finished trials: per model entry, and per entry and parameter value.
    by_entry: HashMap<usize, (f64, usize)>,
    by_value: HashMap<usize, HashMap<String, (f64, usize)>>,
    all: (f64, usize),
    /// The last answer of [`ExpectedCost::left`] and how many trials had finished then: it walks
    /// every pending trial, so it is redone once a thousandth of them has finished, not per trial.
    last: std::cell::Cell<Option<(usize, Option<Duration>)>>,
    finished: usize,
}

impl ExpectedCost {
    /// Trials listed beyond this many are not kept: the ETA then follows the rate alone.
    const MAX_PENDING: usize = 100_000;

    fn new(pending: impl Iterator<Item = Trial>, jobs: usize) -> Option<ExpectedCost> {
        let mut kept = HashMap::new();
        for trial in pending {
            if kept.len() == Self::MAX_PENDING {
                return None;
            }
            let values = trial
                .params
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            kept.insert(trial.key, (trial.entry, values));
        }
        Some(ExpectedCost {
            pending: kept,
            jobs: jobs.max(1),
            by_entry: HashMap::new(),
            by_value: HashMap::new(),
            all: (0.0, 0),
            last: std::cell::Cell::new(None),
            finished: 0,
        })
    }

    fn finished(&mut self, key: &str, seconds: f64) {
        let Some((entry, values)) = self.pending.remove(key) else {
            return;
        };
        let add = |slot: &mut (f64, usize)| {
            slot.0 += seconds;
            slot.1 += 1;
        };
        add(&mut self.all);
        self.finished += 1;
        add(self.by_entry.entry(entry).or_default());
        for value in values {
            add(self
                .by_value
                .entry(entry)
                .or_default()
                .entry(value)
                .or_default());
        }
    }

    /// Expected seconds of one pending trial: the mean over its parameter values of what finished
    /// trials of its entry with that value took (the entry's mean for values not seen yet), or the
    /// mean of every finished trial while its entry has none.
    fn estimate(&self, entry: usize, values: &[String]) -> Option<f64> {
        let mean = |&(sum, n): &(f64, usize)| (n > 0).then(|| sum / n as f64);
        let Some(entry_mean) = self.by_entry.get(&entry).and_then(mean) else {
            return mean(&self.all);
        };
        if values.is_empty() {
            return Some(entry_mean);
        }
        let sum: f64 = values
            .iter()
            .map(|v| {
                self.by_value
                    .get(&entry)
                    .and_then(|values| values.get(v))
                    .and_then(mean)
                    .unwrap_or(entry_mean)
            })
            .sum();
        Some(sum / values.len() as f64)
    }

    /// Wall time the pending trials should take on `jobs` workers: their expected seconds shared
    /// out, but never less than the longest of them.
    fn left(&self) -> Option<Duration> {
        let every = (self.pending.len() / 1000).max(1);
        if let Some((at, left)) = self.last.get() {
            if self.finished - at < every {
                return left;
            }
        }
        let left = self.walk();
        self.last.set(Some((self.finished, left)));
        left
    }

    /// [`ExpectedCost::left`] worked out afresh over every pending trial.
    fn walk(&self) -> Option<Duration> {
        let mut total = 0.0;
        let mut longest = 0.0f64;
        for (entry, values) in self.pending.values() {
            let seconds = self.estimate(*entry, values)?;
            total += seconds;
            longest = longest.max(seconds);
        }
        Some(Duration::from_secs_f64(
            (total / self.jobs as f64).max(longest),
        ))
    }
}

impl Progress {
    /// `already_done` trials (with their `best`) finished before this session started.
    pub fn new(
        total: usize,
        already_done: usize,
        best: Best,
        primary: Metric,
        primary_index: usize,
        quiet: bool,
    ) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            // wide_msg shrinks to the terminal's width, so the line never wraps.
            let bar = progress_bar(total as u64, "{bar:20.cyan/blue} {pos}/{len} {wide_msg}");
            bar.set_position(already_done as u64);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let progress = Progress {
            bar,
            plain: !quiet && !terminal,
            total,
            done: already_done,
            done_here: 0,
            failed: 0,
            best,
            primary,
            primary_index,
            started: Instant::now(),
            last_line: Instant::now(),
            expected: None,
        };
        if let Some(bar) = &progress.bar {
            bar.set_message(progress.message());
        }
        progress
    }

    /// Bases the ETA on what each of `pending` trials should cost, on `jobs` workers.
    pub fn expect(&mut self, pending: impl Iterator<Item = Trial>, jobs: usize) {
        self.expected = ExpectedCost::new(pending, jobs);
    }

    pub fn record(&mut self, r: &TrialRecord) {
        self.done += 1;
        self.done_here += 1;
        if let Some(expected) = &mut self.expected {
            expected.finished(&r.trial.key, (r.finished - r.started).max(0.0));
        }
        match r.status {
            Status::Ok => {
                if let Some(&score) = r.means.get(self.primary_index) {
                    self.best = better_best(self.best.take(), score, &r.trial.key, self.primary);
                }
            }
            // Pruning is the search working, not a failure.
            Status::Pruned => {}
            _ => self.failed += 1,
        }
        let message = self.message();
        if let Some(bar) = &self.bar {
            bar.set_position(self.done as u64);
            bar.set_message(message);
        } else if self.plain
            && (self.last_line.elapsed() >= Duration::from_secs(2) || self.done == self.total)
        {
            eprintln!(
                "[{:>6.1}s] {}/{} trials, {message}",
                self.started.elapsed().as_secs_f64(),
                self.done,
                self.total
            );
            self.last_line = Instant::now();
        }
    }

    /// Time left: by the expected cost of the trials left when they are known, else at this
    /// session's rate so far; unknown before the first trial finishes.
    fn eta(&self) -> Option<Duration> {
        if self.done_here == 0 {
            return None;
        }
        if let Some(left) = self.expected.as_ref().and_then(ExpectedCost::left) {
            return Some(left);
        }
        let per_trial = self.started.elapsed().as_secs_f64() / self.done_here as f64;
        Some(Duration::from_secs_f64(
            per_trial * self.total.saturating_sub(self.done) as f64,
        ))
    }

    fn message(&self) -> String {
        let eta = match self.eta() {
            Some(left) => format!("~{} left", compact(left)),
            None => "estimating".to_string(),
        };
        let best = match &self.best {
            Some((score, key)) => format!("best {score:.4} {key}"),
            None => String::from("no result yet"),
        };
        let failed = if self.failed > 0 {
            format!("{} failed  ", self.failed)
        } else {
            String::new()
        };
        format!("{eta}  {failed}{best}")
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `best` updated with `score` of trial `key` when it is better (NaN never is).
pub fn better_best(best: Best, score: f64, key: &str, metric: Metric) -> Best {
    let better = match &best {
        None => !score.is_nan(),
        Some((b, _)) => metric.better(score, *b),
    };
    if better {
        Some((score, key.to_string()))
    } else {
        best
    }
}

/// `42s`, `3m05s`, `1h02m`.
fn compact(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// A progress bar of `len` steps drawn with an indicatif `template`.
pub fn progress_bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// The top `n` rows of a leaderboard as an aligned text table.
/// The first `n` ranked rows of a leaderboard, then the baseline's score and, when the best trial
/// does not clearly beat it, a sentence saying so.
pub fn top_table(
    board: &TrialsTable,
    primary: Metric,
    n: usize,
    baseline: Option<&Baseline>,
) -> String {
    let Ok(columns) = TrialColumns::resolve_with(&board.header, primary) else {
        return String::new();
    };
    // Refitted trials' held-out scores, when the sweep has a test set.
    let test = columns.has_held_out(primary);
    let mut out = format!(
        "{:>4}  {:>17}  {}{:>9}  trial\n",
        "rank",
        primary.name(),
        if test { "      test  " } else { "" },
        "ms / fold"
    );
    let costs = columns.costs(&board.rows);
    for (row, cost) in board
        .rows
        .iter()
        .zip(costs)
        .filter(|(r, _)| !columns.rank(*r).is_empty())
        .take(n)
    {
        let test = match (test, columns.held_out(row, primary)) {
            (false, _) => String::new(),
            (true, None) => format!("{:>10}  ", ""),
            (true, Some(score)) => format!("{score:>10.4}  "),
        };
        out.push_str(&format!(
            "{:>4}  {:>8.4} ± {:<6.4}  {test}{:>9.2}  {}\n",
            columns.rank(row),
            columns.mean(row, primary).unwrap_or(f64::NAN),
            columns.std(row, primary).unwrap_or(f64::NAN),
            // The whole cost: fitting, the trial's share of work trials share, and scoring.
            cost * 1000.0,
            columns.key(row)
        ));
    }
    if let Some((baseline, (mean, std))) = baseline.and_then(|b| Some((b, b.get(primary)?))) {
        out.push_str(&format!(
            "{:>4}  {mean:>8.4} ± {std:<6.4}  {}{:>9}  baseline: {}\n",
            "-",
            if test {
                format!("{:>10}  ", "")
            } else {
                String::new()
            },
            "",
            baseline.description
        ));
        let best = board
            .rows
            .iter()
            .find(|r| columns.rank(*r) == "1")
            .and_then(|r| Some((columns.mean(r, primary)?, columns.std(r, primary)?)));
        if let Some(verdict) = baseline.verdict(primary, best) {
            out.push_str(&format!("note: {verdict}\n"));
        }
    }
    out
}

/// Prints what the user should know about the data, one `warning:` line each, on stderr.
pub fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {}", crate::error::printable(w));
    }
}

/// Writes to stdout, ignoring a closed pipe (`sweep models | head`): by the time anything is printed the
/// results are on disk, and a reader that stopped listening is not an error worth a panic.
pub fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let text = crate::error::printable(text);
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_follows_this_sessions_rate_and_best_respects_direction() {
        let mut p = Progress::new(10, 4, None, Metric::Rmse, 1, true);
        assert_eq!(p.eta(), None);
        p.done_here = 2;
        p.done = 6;
        p.started = Instant::now() - Duration::from_secs(4);
        let eta = p.eta().unwrap().as_secs_f64();
        assert!((7.9..8.5).contains(&eta), "{eta}: 4 left at 2 s each");
        let best = better_best(None, 3.0, "a", Metric::Rmse);
        let best = better_best(best, 2.0, "b", Metric::Rmse);
        assert_eq!(
            better_best(best, f64::NAN, "c", Metric::Rmse),
            Some((2.0, "b".into()))
        );
        assert_eq!(compact(Duration::from_secs(185)), "3m05s");
    }

    /// A grid whose costly trials come last: 12 trials of 0.1 s, then 3 of a slow family.
    #[test]
    fn eta_weighs_the_trials_left_by_what_their_entry_and_values_cost() {
        let trial = |index: usize, entry: usize, seconds: f64| Trial {
            index,
            key: format!("t{index}"),
            entry,
            model: "fault".into(),
            params: vec![("seconds".into(), crate::value::Value::Float(seconds))],
            seed: 0,
            stage: None,
            prune_bars: None,
        };
        let trials: Vec<Trial> = (0..15)
            .map(|i| match i {
                0..12 => trial(i, 0, 0.1),
                _ => trial(i, 1, 5.0 + i as f64),
            })
            .collect();
        let mut p = Progress::new(15, 0, None, Metric::Rmse, 0, true);
        p.expect(trials.clone().into_iter(), 1);
        let finish = |p: &mut Progress, t: &Trial, took: f64| {
            let mut r = TrialRecord::bare(t, Status::Ok, String::new());
            (r.started, r.finished) = (100.0, 100.0 + took);
            p.record(&r);
        };
        for t in &trials[..12] {
            finish(&mut p, t, 0.1);
        }
        let eta = p.eta().unwrap().as_secs_f64();
        assert!((eta - 0.3).abs() < 1e-6, "{eta}: no slow trial seen yet");
        finish(&mut p, &trials[12], 5.0);
        let eta = p.eta().unwrap().as_secs_f64();
        assert!((eta - 10.0).abs() < 1e-6, "{eta}: two more of 5 s each");
        let mut two_jobs = Progress::new(15, 0, None, Metric::Rmse, 0, true);
        two_jobs.expect(trials.clone().into_iter(), 2);
        for t in &trials[..13] {
            finish(&mut two_jobs, t, if t.entry == 0 { 0.1 } else { 5.0 });
        }
        let eta = two_jobs.eta().unwrap().as_secs_f64();
        assert!(
            (eta - 5.0).abs() < 1e-6,
            "{eta}: two trials of 5 s on two jobs"
        );
    }
}
