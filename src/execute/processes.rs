//! The process backend: a persistent pool of `sweep worker` child processes, each holding the dataset.
//!
//! A trial that panics or errors fails alone (its worker stays). A worker that aborts, segfaults,
//! exits or runs out of memory marks its running trial `crashed` and is replaced; a trial past the
//! timeout has its worker killed and is marked `timeout`. While trials are short each worker has two in
//! flight, so it never waits for the parent between them; a trial queued behind a crash is re-sent.
//! A worker keeps to one model entry while it can, since that entry's per-fold caches live in it.
//! Workers run in their own process group, so Ctrl-C reaches only the parent, which ends them.

use super::protocol::{read_frame, write_frame, FromWorker, ToWorker};
use super::{Ending, Flow, PoolStats, Sink};
use crate::evaluate::Job;
use crate::evaluate::{unix_now, Evaluator, Status, TrialRecord};
use crate::interrupt::interrupted;
use crate::models::pool_work::{self, PoolSpan};
use crate::search::{Next, TrialSource};
use crate::spec::ProcessLimits;
use anyhow::{Context as _, Result};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Trials a worker may hold: two while trials are short, so it never waits for the parent between
/// them; one when they are long, so the last trials are not queued behind a busy worker.
const PIPELINE_DEPTH: usize = 2;
/// Mean trial time above which the pipeline depth drops to one.
const SHORT_TRIAL: Duration = Duration::from_millis(20);
/// Lines of a worker's stderr kept for crash reports.
const STDERR_TAIL: usize = 12;

enum Event {
    Message(u64, FromWorker),
    /// The worker's stdout closed: it exited or was killed.
    Closed(u64),
}

struct Worker {
    /// Unique per spawned process, so events of a replaced worker are recognised as stale.
    id: u64,
    child: Child,
    stdin: BufWriter<ChildStdin>,
    in_flight: VecDeque<Job>,
    /// The model entry of the last trial sent, for cache affinity.
    last_entry: Option<usize>,
    spawned: Instant,
    /// When the first trial in flight started (as far as the parent can tell).
    running_since: Option<Instant>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl Worker {
    fn spawn(id: u64, init: &ToWorker, events: &Sender<Event>) -> Result<Worker> {
        let exe =
            std::env::current_exe().context("cannot find the sweep executable to start workers")?;
        let mut child = Command::new(exe)
            .arg("worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .context("cannot start a worker process")?;
        let stdout = child.stdout.take().context("worker stdout")?;
        let stderr = child.stderr.take().context("worker stderr")?;
        let stdin = child.stdin.take().context("worker stdin")?;
        let events = events.clone();
        std::thread::spawn(move || {
            let mut input = BufReader::new(stdout);
            while let Ok(Some(message)) = read_frame::<FromWorker>(&mut input) {
                if events.send(Event::Message(id, message)).is_err() {
                    return;
                }
            }
            let _ = events.send(Event::Closed(id));
        });
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail = Arc::clone(&stderr_tail);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                if tail.len() == STDERR_TAIL {
                    tail.pop_front();
                }
                tail.push_back(line);
            }
        });
        let mut worker = Worker {
            id,
            child,
            stdin: BufWriter::new(stdin),
            in_flight: VecDeque::new(),
            last_entry: None,
            spawned: Instant::now(),
            running_since: None,
            stderr_tail,
        };
        // A failed write means the worker already died; its Closed event reports that.
        let _ = write_frame(&mut worker.stdin, init);
        Ok(worker)
    }

    fn send(&mut self, job: Job) {
        let _ = write_frame(&mut self.stdin, &ToWorker::Job(job.clone()));
        if self.in_flight.is_empty() {
            self.running_since = Some(Instant::now());
        }
        self.last_entry = Some(job.trial().entry);
        self.in_flight.push_back(job);
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn kill(&mut self) -> Option<ExitStatus> {
        let _ = self.child.kill();
        self.child.wait().ok()
    }

    /// Waits briefly for the exit status of a worker whose pipe closed.
    fn reap(&mut self) -> Option<ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.kill()
    }

    fn stderr_text(&self) -> String {
        // Give the stderr reader a moment to drain what the dying worker wrote.
        std::thread::sleep(Duration::from_millis(20));
        let tail = self.stderr_tail.lock().unwrap_or_else(|p| p.into_inner());
        tail.iter().cloned().collect::<Vec<_>>().join(" | ")
    }
}

/// Names the way a worker died, e.g. "killed by SIGSEGV" or "exited with status 3".
fn describe_exit(status: Option<ExitStatus>) -> String {
    match status {
        Some(s) => match (s.signal(), s.code()) {
            (Some(sig), _) => match nix::sys::signal::Signal::try_from(sig) {
                Ok(signal) => format!("killed by {}", signal.as_str()),
                Err(_) => format!("killed by signal {sig}"),
            },
            (None, Some(code)) => format!("exited with status {code}"),
            (None, None) => "ended".to_string(),
        },
        None => "ended (status unknown)".to_string(),
    }
}

/// Peak resident set size of a process (VmHWM), in bytes.
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

struct Pool {
    init: ToWorker,
    /// Sum of finished trials' compute times and their count, to tell short trials from long ones.
    trial_seconds: f64,
    trials_done: usize,
    stats: PoolStats,
    events: Sender<Event>,
    workers: Vec<Worker>,
    next_id: u64,
    jobs: usize,
    limits: ProcessLimits,
}

impl Pool {
    fn spawn(&mut self) -> Result<()> {
        self.next_id += 1;
        let worker = Worker::spawn(self.next_id, &self.init, &self.events)?;
        self.workers.push(worker);
        Ok(())
    }

    fn position(&self, id: u64) -> Option<usize> {
        self.workers.iter().position(|w| w.id == id)
    }

    fn end_all(&mut self) {
        for w in &mut self.workers {
            self.stats.peak_rss.extend(peak_rss(w.pid()));
            w.kill();
        }
        self.workers.clear();
    }

    /// The earliest moment a running trial exceeds the timeout.
    fn next_deadline(&self) -> Option<(Instant, usize)> {
        let timeout = self.limits.timeout?;
        self.workers
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.running_since.map(|s| (s + timeout, i)))
            .min()
    }

    /// Removes a dead or killed worker: its running trial gets `status`, trials queued behind it go
    /// back to `pending`.
    fn retire(
        &mut self,
        at: usize,
        status: Status,
        error: String,
        pending: &mut VecDeque<Job>,
    ) -> Option<TrialRecord> {
        let mut worker = self.workers.swap_remove(at);
        let running = worker.in_flight.pop_front();
        for job in worker.in_flight.drain(..).rev() {
            pending.push_front(job);
        }
        let pid = worker.pid();
        let ran_for = worker
            .running_since
            .map_or(0.0, |s| s.elapsed().as_secs_f64());
        running.map(|job| {
            let mut record = TrialRecord::bare(job.trial(), status, error);
            record.worker = Some(pid);
            record.finished = unix_now();
            record.started = record.finished - ran_for;
            record
        })
    }
}

/// How far down the queue a worker looks for a trial of a preferred model entry.
const AFFINITY_WINDOW: usize = 4096;

/// The next trial for worker `w`. Trials of one model entry share per-fold work (kernels, presorted
/// columns, tree sets) that lives in the worker that computed it, so a worker keeps to the entry it
/// last ran, else takes up an entry no other worker is on, else the oldest pending trial.
fn next_for(w: usize, workers: &[Worker], pending: &mut VecDeque<Job>) -> Option<Job> {
    let window = || pending.iter().take(AFFINITY_WINDOW);
    let taken: Vec<usize> = workers
        .iter()
        .enumerate()
        .filter(|&(other, _)| other != w)
        .filter_map(|(_, worker)| worker.last_entry)
        .collect();
    let at = workers[w]
        .last_entry
        .and_then(|entry| window().position(|j| j.trial().entry == entry))
        .or_else(|| window().position(|j| !taken.contains(&j.trial().entry)))
        .unwrap_or(0);
    pending.remove(at)
}

/// Runs `trials` on `jobs` workers; returns why it stopped and what was measured about the workers.
pub fn run(
    evaluator: &Evaluator,
    source: &mut dyn TrialSource,
    jobs: usize,
    limits: ProcessLimits,
    sink: &mut Sink,
) -> Result<(Ending, PoolStats)> {
    let (events, receiver): (Sender<Event>, Receiver<Event>) = mpsc::channel();
    let mut pool = Pool {
        init: ToWorker::Init {
            plan: Box::new(evaluator.plan.request().clone()),
            data_hash: evaluator.plan.data().dataset().hash.clone(),
            memory_limit: limits.memory_limit,
        },
        events,
        stats: PoolStats::default(),
        trial_seconds: 0.0,
        trials_done: 0,
        workers: Vec::new(),
        next_id: 0,
        jobs,
        limits,
    };
    let mut pending = VecDeque::new();
    let mut exhausted = read_ahead(&mut pending, source);
    for _ in 0..jobs.min(pending.len()) {
        pool.spawn()?;
    }
    let ending = drive(
        &mut pool,
        &mut pending,
        source,
        &mut exhausted,
        &receiver,
        sink,
    );
    pool.end_all();
    Ok((ending?, pool.stats))
}

/// Pending trials are a window read ahead from the source (plus any a dead worker left queued), so a
/// sweep of any size is dispatched in bounded memory. Returns whether the source is done.
fn read_ahead(pending: &mut VecDeque<Job>, source: &mut dyn TrialSource) -> bool {
    while pending.len() < AFFINITY_WINDOW {
        match source.next() {
            Next::Job(job) => pending.push_back(*job),
            Next::Wait => return false,
            Next::Done => return true,
        }
    }
    false
}

fn drive(
    pool: &mut Pool,
    pending: &mut VecDeque<Job>,
    source: &mut dyn TrialSource,
    exhausted: &mut bool,
    events: &Receiver<Event>,
    sink: &mut Sink,
) -> Result<Ending> {
    let mut draining = false;
    loop {
        if interrupted() {
            return Ok(Ending::Interrupted);
        }
        if draining {
            pending.clear();
        } else if !*exhausted {
            *exhausted = read_ahead(pending, source);
        }
        // Keep every worker's pipeline full; start replacements while work remains.
        while pool.workers.len() < pool.jobs && !pending.is_empty() {
            pool.spawn()?;
        }
        let mean_trial = pool.trial_seconds / pool.trials_done.max(1) as f64;
        let depth = if mean_trial < SHORT_TRIAL.as_secs_f64() {
            PIPELINE_DEPTH
        } else {
            1
        };
        for w in 0..pool.workers.len() {
            while pool.workers[w].in_flight.len() < depth {
                match next_for(w, &pool.workers, pending) {
                    Some(trial) => pool.workers[w].send(trial),
                    None => break,
                }
            }
        }
        if pending.is_empty() && pool.workers.iter().all(|w| w.in_flight.is_empty()) {
            if draining {
                return Ok(Ending::Drained);
            }
            if *exhausted {
                return Ok(Ending::Finished);
            }
            anyhow::bail!("the search waits for results, but no trial is running");
        }
        let deadline = pool.next_deadline();
        let wait = deadline
            .map_or(Duration::from_millis(100), |(d, _)| {
                d.saturating_duration_since(Instant::now())
            })
            .min(Duration::from_millis(100));
        let record = match events.recv_timeout(wait) {
            Ok(Event::Message(id, FromWorker::Done(mut record, helped))) => {
                let Some(at) = pool.position(id) else {
                    continue;
                };
                let worker = &mut pool.workers[at];
                let pid = worker.pid();
                pool_work::add(helped.into_iter().map(|span| PoolSpan {
                    worker: Some(pid),
                    helper: true,
                    ..span
                }));
                worker.in_flight.pop_front();
                worker.running_since = (!worker.in_flight.is_empty()).then(Instant::now);
                record.worker = Some(worker.pid());
                let folds = record.splits.len().max(1) as f64;
                pool.trial_seconds += (record.mean_fit_time + record.mean_score_time) * folds;
                pool.trials_done += 1;
                Some(*record)
            }
            Ok(Event::Message(id, FromWorker::Ready)) => {
                if let Some(at) = pool.position(id) {
                    let startup = pool.workers[at].spawned.elapsed();
                    pool.stats.startup.push(startup);
                }
                None
            }
            Ok(Event::Message(_, FromWorker::InitError(message))) => {
                anyhow::bail!("a worker could not load the sweep: {message}")
            }
            Ok(Event::Closed(id)) => {
                let Some(at) = pool.position(id) else {
                    continue;
                };
                let status = pool.workers[at].reap();
                let stderr = pool.workers[at].stderr_text();
                let mut error = format!(
                    "worker {} {}",
                    pool.workers[at].pid(),
                    describe_exit(status)
                );
                if stderr.contains("memory allocation of") {
                    let limit = pool.limits.memory_limit.map_or(String::new(), |b| {
                        format!(
                            " (memory_limit {})",
                            bytesize::ByteSize::b(b).display().iec()
                        )
                    });
                    error = format!("out of memory{limit}: {error}");
                }
                if !stderr.is_empty() {
                    error.push_str(&format!("; stderr: {stderr}"));
                }
                pool.retire(at, Status::Crashed, error, pending)
            }
            Err(RecvTimeoutError::Timeout) => match pool.next_deadline() {
                Some((d, at)) if d <= Instant::now() => {
                    let timeout = pool.limits.timeout.unwrap_or_default();
                    pool.workers[at].kill();
                    let error = format!(
                        "timed out after {}; worker {} killed",
                        humantime::format_duration(timeout),
                        pool.workers[at].pid()
                    );
                    pool.retire(at, Status::Timeout, error, pending)
                }
                _ => None,
            },
            Err(RecvTimeoutError::Disconnected) => anyhow::bail!("worker event channel closed"),
        };
        if let Some(record) = record {
            source.observe(&record);
            match sink(record)? {
                Flow::Continue => {}
                Flow::Stop => return Ok(Ending::Stopped),
                Flow::Drain => draining = true,
            }
        }
    }
}
