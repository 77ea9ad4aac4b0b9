//! `sweep bench`: runs a sample of a sweep's trials on threads and on processes, at one job and at
//! one job per core, measures each, checks they agree, and recommends a backend with the numbers.

use crate::error::{Failure, InputError, Interrupted};
use crate::evaluate::{Evaluator, Job, TrialRecord};
use crate::execute::processes::peak_rss;
use crate::execute::{self, Ending, Flow, PoolStats};
use crate::expand::{expand, Trial};
use crate::report::say;
use crate::report::terminal::progress_bar;
use crate::results::{self, default_out_dir};
use crate::seed::derive_seed;
use crate::spec::execution::cores;
use crate::spec::units::parse_duration;
use crate::spec::{
    Backend, BackendSettings, ExecutionOverrides, Plan, PlanRequest, ProcessLimits, SweepText,
};
use anyhow::{Context as _, Result};
use indicatif::ProgressBar;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Measures both backends itself, so it takes no backend, jobs or timeout.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// The sweep file (YAML) whose trials are sampled.
    pub sweep: PathBuf,
    /// Trials to sample [default: enough for about --budget in total].
    #[arg(long, conflicts_with = "all")]
    pub trials: Option<usize>,
    /// Use every trial of the sweep.
    #[arg(long)]
    pub all: bool,
    /// Approximate total time for the default sample, e.g. 20s.
    #[arg(long, default_value = "20s")]
    pub budget: String,
    /// Folder for bench.csv and bench.json [default: results/<name>-bench-<timestamp>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress display.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `sweep bench`: measure, write bench.csv and bench.json, print the table and recommendation.
pub fn bench_command(args: BenchArgs) -> Result<(), Failure> {
    let budget =
        parse_duration(&args.budget).map_err(|e| InputError::new(format!("--budget: {e}")))?;
    let report = bench(&args, budget)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&format!("{}-bench", report.sweep)));
    write_report(&dir, &report)?;
    say(&print_table(&report));
    say(&format!("bench.csv and bench.json: {}\n", dir.display()));
    Ok(())
}

/// One measured configuration.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    pub backend: Backend,
    pub jobs: usize,
    pub trials: usize,
    pub wall_seconds: f64,
    pub trials_per_second: f64,
    pub speedup_over_one_job: f64,
    pub parallel_efficiency: f64,
    /// Extra wall time per trial against threads at the same job count (processes only).
    pub overhead_ms_per_trial: Option<f64>,
    pub parent_peak_rss_mib: f64,
    pub worker_peak_rss_mib: Vec<f64>,
    pub worker_startup_ms: Vec<f64>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub sweep: String,
    pub cores: usize,
    pub sampled_trials: usize,
    pub total_trials: usize,
    pub identical_metrics: bool,
    pub measurements: Vec<Measurement>,
    pub recommendation: String,
}

const MIB: f64 = 1024.0 * 1024.0;

/// Restarts this process's peak-RSS count (VmHWM), so each measurement reports its own peak.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn bench(request: &BenchArgs, budget: Duration) -> Result<Report> {
    let plan_request = PlanRequest {
        sweep: SweepText::read(&request.sweep)?,
        overrides: ExecutionOverrides::default(),
        shard: None,
    };
    // Each measurement gets a fresh evaluator: nothing one run cached may speed up the next.
    let fresh = || -> Result<Arc<Evaluator>> {
        Ok(Arc::new(Evaluator::new(Plan::build(plan_request.clone())?)))
    };
    let first = fresh()?;
    // Process limits the sweep file sets still apply to the process runs.
    let limits = match first.plan.execution().backend {
        BackendSettings::Processes(limits) => limits,
        BackendSettings::Threads => ProcessLimits::default(),
    };
    let all = expand(first.plan.space());
    let (sweep_name, seed) = (first.plan.name().to_string(), first.plan.space().seed());
    // The parent keeps only the trial list: what runs cache is theirs.
    drop(first);
    let cores = cores();
    let mut order = all.clone();
    order.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(derive_seed(
        seed, "bench",
    )));

    // With a time budget the first run (threads, one job) works through the shuffled trials until
    // its share of the budget is spent, and the trials it finished are the sample the other three
    // runs take, each by a deadline in proportion (with some slack): the whole bench stays near
    // --budget and no separate pilot is needed. Runs are compared by trials per second.
    let runs_per_trial = 2.0 + 2.0 / cores as f64;
    let mut sample: Vec<Trial> = match (request.all, request.trials) {
        (true, _) => order,
        (false, Some(n)) => order.into_iter().take(n).collect(),
        (false, None) => order,
    };
    let mut deadline =
        (!request.all && request.trials.is_none()).then(|| budget.div_f64(runs_per_trial));
    let configurations = [
        (BackendSettings::Threads, 1),
        (BackendSettings::Threads, cores),
        (BackendSettings::Processes(limits), 1),
        (BackendSettings::Processes(limits), cores),
    ];
    let bar = (!request.quiet && std::io::stderr().is_terminal()).then(|| {
        // With a budget the length is known once the first run has chosen the sample.
        let runs = if deadline.is_some() {
            0
        } else {
            sample.len() * configurations.len()
        };
        progress_bar(
            runs as u64,
            "{bar:30.cyan/blue} {pos}/{len} trial runs  {msg}  [{elapsed} < {eta}]",
        )
    });
    let mut measurements = Vec::new();
    let mut metrics: Vec<BTreeMap<String, Vec<u64>>> = Vec::new();
    for (settings, jobs) in configurations {
        let backend = settings.backend();
        if let Some(bar) = &bar {
            bar.set_message(format!("{backend}, {jobs} job(s)"));
        } else if !request.quiet {
            let up_to = if measurements.is_empty() && deadline.is_some() {
                "up to "
            } else {
                ""
            };
            eprintln!(
                "bench: {up_to}{} on {backend} with {}",
                crate::error::count(sample.len(), "trial"),
                crate::error::count(jobs, "job")
            );
        }
        let evaluator = fresh()?;
        reset_peak_rss();
        let started = Instant::now();
        let (records, stats, ending) = measure(
            &evaluator,
            sample.clone(),
            settings,
            jobs,
            bar.as_ref(),
            deadline.map(|d| d.div_f64(jobs.min(cores) as f64)),
        )?;
        let wall = started.elapsed().as_secs_f64();
        if measurements.is_empty() && deadline.is_some() {
            sample = records.iter().map(|r| r.trial.clone()).collect();
            deadline = Some(Duration::from_secs_f64(1.2 * wall));
            if let Some(bar) = &bar {
                bar.set_length(records.len() as u64 * configurations.len() as u64);
            }
        }
        // What the run cached goes before the next run is measured.
        drop(evaluator);
        release_freed_memory();
        if ending == Ending::Interrupted {
            return Err(Interrupted.into());
        }
        metrics.push(
            records
                .iter()
                .map(|r| {
                    (
                        r.trial.key.clone(),
                        r.means.iter().map(|m| m.to_bits()).collect(),
                    )
                })
                .collect(),
        );
        measurements.push(Measurement {
            backend,
            jobs,
            trials: records.len(),
            wall_seconds: wall,
            trials_per_second: records.len() as f64 / wall,
            speedup_over_one_job: 1.0,
            parallel_efficiency: 1.0 / jobs as f64,
            overhead_ms_per_trial: None,
            parent_peak_rss_mib: peak_rss(std::process::id()).unwrap_or(0) as f64 / MIB,
            worker_peak_rss_mib: stats.peak_rss.iter().map(|&b| b as f64 / MIB).collect(),
            worker_startup_ms: stats
                .startup
                .iter()
                .map(|d| d.as_secs_f64() * 1000.0)
                .collect(),
        });
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    for i in 0..measurements.len() {
        let single = measurements
            .iter()
            .find(|m| m.backend == measurements[i].backend && m.jobs == 1)
            .map(|m| m.trials_per_second);
        let threads_same_jobs = measurements
            .iter()
            .find(|m| m.backend == Backend::Threads && m.jobs == measurements[i].jobs)
            .map(|m| m.trials_per_second);
        let m = &mut measurements[i];
        if let Some(single) = single {
            m.speedup_over_one_job = m.trials_per_second / single;
            m.parallel_efficiency = m.speedup_over_one_job / m.jobs as f64;
        }
        if let (Backend::Processes, Some(t)) = (m.backend, threads_same_jobs) {
            m.overhead_ms_per_trial = Some((1.0 / m.trials_per_second - 1.0 / t) * 1000.0);
        }
    }
    // Runs stopped at their deadline ran fewer trials: compare the trials they have in common.
    let identical_metrics = metrics.windows(2).all(|w| {
        w[0].iter()
            .all(|(key, values)| w[1].get(key).is_none_or(|other| other == values))
    });
    let recommendation = recommend(&measurements, cores, identical_metrics);
    Ok(Report {
        sweep: sweep_name,
        cores,
        sampled_trials: sample.len(),
        total_trials: all.len(),
        identical_metrics,
        measurements,
        recommendation,
    })
}

/// Returns freed heap pages to the system, so the next run's peak RSS is its own.
fn release_freed_memory() {
    // SAFETY: malloc_trim only walks glibc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Runs `trials`, stopping (after the running ones) once `deadline` has passed.
fn measure(
    evaluator: &Arc<Evaluator>,
    trials: Vec<Trial>,
    backend: BackendSettings,
    jobs: usize,
    bar: Option<&ProgressBar>,
    deadline: Option<Duration>,
) -> Result<(Vec<TrialRecord>, PoolStats, Ending)> {
    let mut records = Vec::with_capacity(trials.len());
    let started = Instant::now();
    let mut sink = |record: TrialRecord| -> Result<Flow> {
        records.push(record);
        if let Some(bar) = bar {
            bar.inc(1);
        }
        Ok(match deadline {
            Some(d) if started.elapsed() >= d => Flow::Stop,
            _ => Flow::Continue,
        })
    };
    let (ending, stats) = execute::run_listed(
        evaluator,
        trials.into_iter().map(Job::Trial).collect(),
        backend,
        jobs,
        &mut sink,
    )?;
    Ok((records, stats, ending))
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// A recommendation in plain words, every number in it measured in this run.
pub fn recommend(measurements: &[Measurement], cores: usize, identical: bool) -> String {
    let find = |backend: Backend, jobs: usize| {
        measurements
            .iter()
            .find(|m| m.backend == backend && m.jobs == jobs)
    };
    let (Some(threads), Some(procs)) = (
        find(Backend::Threads, cores),
        find(Backend::Processes, cores),
    ) else {
        return "not enough measurements to recommend".to_string();
    };
    let slower = (procs.wall_seconds / threads.wall_seconds - 1.0) * 100.0;
    let worker_mib = mean(&procs.worker_peak_rss_mib);
    let startup = mean(&procs.worker_startup_ms);
    let facts = format!(
        "threads: {:.2}x on {cores} cores ({:.0}% efficiency); processes {:.2}x, {} than threads ({:+.2} ms per trial), \
         {:.0} MiB peak per worker and {:.0} ms to start one",
        threads.speedup_over_one_job,
        threads.parallel_efficiency * 100.0,
        procs.speedup_over_one_job,
        if slower >= 0.0 { format!("{slower:.0}% slower") } else { format!("{:.0}% faster", -slower) },
        procs.overhead_ms_per_trial.unwrap_or(0.0),
        worker_mib,
        startup,
    );
    let choice = if slower <= 5.0 {
        "recommend processes: isolation costs little here, and a crashing, hanging or runaway trial cannot take the sweep down"
    } else {
        "recommend threads for speed; choose processes if trials may crash, hang or need a memory cap (timeout and memory_limit only work there)"
    };
    let agreement = if identical {
        "all four runs gave bit-identical metrics"
    } else {
        "WARNING: the runs gave different metrics"
    };
    format!("{facts}. {choice}. {agreement}.")
}

pub fn print_table(report: &Report) -> String {
    let mut out = format!(
        "{}: {} of {} trials, {} cores\n{:<10} {:>4} {:>9} {:>10} {:>8} {:>7} {:>13} {:>11} {:>14} {:>11}\n",
        report.sweep,
        report.sampled_trials,
        report.total_trials,
        report.cores,
        "backend",
        "jobs",
        "wall (s)",
        "trials/s",
        "speedup",
        "effic.",
        "overhead/trial",
        "parent MiB",
        "worker MiB",
        "startup ms"
    );
    for m in &report.measurements {
        let overhead = m
            .overhead_ms_per_trial
            .map_or("-".to_string(), |o| format!("{o:+.3} ms"));
        let worker = if m.worker_peak_rss_mib.is_empty() {
            "-".to_string()
        } else {
            format!("{:.1}", mean(&m.worker_peak_rss_mib))
        };
        let startup = if m.worker_startup_ms.is_empty() {
            "-".to_string()
        } else {
            format!("{:.1}", mean(&m.worker_startup_ms))
        };
        out.push_str(&format!(
            "{:<10} {:>4} {:>9.3} {:>10.1} {:>7.2}x {:>6.0}% {:>13} {:>11.1} {:>14} {:>11}\n",
            m.backend.to_string(),
            m.jobs,
            m.wall_seconds,
            m.trials_per_second,
            m.speedup_over_one_job,
            m.parallel_efficiency * 100.0,
            overhead,
            m.parent_peak_rss_mib,
            worker,
            startup
        ));
    }
    out.push_str(&format!("\n{}\n", report.recommendation));
    out
}

/// Writes bench.csv and bench.json into `dir`.
pub fn write_report(dir: &std::path::Path, report: &Report) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    results::write_atomic(
        &dir.join("bench.json"),
        serde_json::to_string_pretty(report)?.as_bytes(),
    )?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "backend",
        "jobs",
        "trials",
        "wall_seconds",
        "trials_per_second",
        "speedup_over_one_job",
        "parallel_efficiency",
        "overhead_ms_per_trial",
        "parent_peak_rss_mib",
        "worker_peak_rss_mib_mean",
        "worker_startup_ms_mean",
    ])?;
    for m in &report.measurements {
        let optional = |v: &[f64]| {
            if v.is_empty() {
                String::new()
            } else {
                mean(v).to_string()
            }
        };
        writer.write_record([
            m.backend.to_string(),
            m.jobs.to_string(),
            m.trials.to_string(),
            m.wall_seconds.to_string(),
            m.trials_per_second.to_string(),
            m.speedup_over_one_job.to_string(),
            m.parallel_efficiency.to_string(),
            m.overhead_ms_per_trial
                .map_or(String::new(), |o| o.to_string()),
            m.parent_peak_rss_mib.to_string(),
            optional(&m.worker_peak_rss_mib),
            optional(&m.worker_startup_ms),
        ])?;
    }
    results::write_atomic(
        &dir.join("bench.csv"),
        &writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(backend: Backend, jobs: usize, wall: f64, speedup: f64) -> Measurement {
        Measurement {
            backend,
            jobs,
            trials: 100,
            wall_seconds: wall,
            trials_per_second: 100.0 / wall,
            speedup_over_one_job: speedup,
            parallel_efficiency: speedup / jobs as f64,
            overhead_ms_per_trial: (backend == Backend::Processes).then_some(0.5),
            parent_peak_rss_mib: 10.0,
            worker_peak_rss_mib: if backend == Backend::Processes {
                vec![38.0, 40.0]
            } else {
                vec![]
            },
            worker_startup_ms: if backend == Backend::Processes {
                vec![12.0]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn recommendation_quotes_the_measured_numbers() {
        let ms = [
            m(Backend::Threads, 2, 1.0, 1.96),
            m(Backend::Processes, 2, 1.5, 1.9),
        ];
        let text = recommend(&ms, 2, true);
        assert!(
            text.contains("threads: 1.96x on 2 cores (98% efficiency)"),
            "{text}"
        );
        assert!(text.contains("50% slower"), "{text}");
        assert!(text.contains("39 MiB peak per worker"), "{text}");
        assert!(text.contains("recommend threads"), "{text}");
        let close = [
            m(Backend::Threads, 2, 1.0, 1.96),
            m(Backend::Processes, 2, 1.02, 1.9),
        ];
        assert!(recommend(&close, 2, true).contains("recommend processes"));
        assert!(recommend(&close, 2, false).contains("WARNING"));
    }
}
