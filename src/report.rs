//! What the user sees: a progress bar (or plain lines when stderr is not a terminal) and the final table.

use crate::evaluate::{Status, TrialRecord};
use crate::metrics::Metric;
use crate::results::TrialsTable;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::io::Write;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    total: usize,
    done: usize,
    failed: usize,
    best: Option<(f64, String)>,
    primary: Metric,
    primary_index: usize,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    pub fn new(
        total: usize,
        already_done: usize,
        primary: Metric,
        primary_index: usize,
        quiet: bool,
    ) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30.cyan/blue} {pos}/{len} trials  {msg}  [{elapsed} < {eta}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_position(already_done as u64);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            plain: !quiet && !terminal,
            total,
            done: already_done,
            failed: 0,
            best: None,
            primary,
            primary_index,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    pub fn record(&mut self, r: &TrialRecord) {
        self.done += 1;
        if r.status == Status::Ok {
            if let Some(&score) = r.means.get(self.primary_index) {
                let better = match &self.best {
                    None => true,
                    Some((b, _)) => {
                        if self.primary.higher_is_better() {
                            score > *b
                        } else {
                            score < *b
                        }
                    }
                };
                if better && !score.is_nan() {
                    self.best = Some((score, r.trial.key.clone()));
                }
            }
        } else {
            self.failed += 1;
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

    fn message(&self) -> String {
        let best = match &self.best {
            Some((score, key)) => format!("best {} {score:.4} {key}", self.primary.name()),
            None => String::from("no result yet"),
        };
        format!("{} failed, {best}", self.failed)
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The top `n` rows of a leaderboard as an aligned text table.
pub fn top_table(board: &TrialsTable, primary: Metric, n: usize) -> String {
    let col = |name: &str| board.column(name);
    let (Some(rank), Some(key), Some(mean), Some(std), Some(fit)) = (
        col(&format!("rank_test_{}", primary.name())),
        col("key"),
        col(&format!("mean_test_{}", primary.name())),
        col(&format!("std_test_{}", primary.name())),
        col("mean_fit_time"),
    ) else {
        return String::new();
    };
    let mut out = format!(
        "{:>4}  {:>17}  {:>9}  trial\n",
        "rank",
        primary.name(),
        "fit (ms)"
    );
    for row in board.rows.iter().filter(|r| !r[rank].is_empty()).take(n) {
        let number = |i: usize| row[i].parse::<f64>().unwrap_or(f64::NAN);
        out.push_str(&format!(
            "{:>4}  {:>8.4} ± {:<6.4}  {:>9.2}  {}\n",
            row[rank],
            number(mean),
            number(std),
            number(fit) * 1000.0,
            row[key]
        ));
    }
    out
}

/// Writes to stdout, ignoring a closed pipe (`sweep models | head`): by the time anything is printed the
/// results are on disk, and a reader that stopped listening is not an error worth a panic.
pub fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}
