//! Against a real Slurm: a one-node cluster started by tests/slurm/cluster.sh (Debian's slurm-wlm and
//! munge). `sweep slurm --shards 4 --submit` runs a sweep as a job array plus a merge job, and the
//! merged results equal a single-machine run in every result column; one array task cancelled mid-run
//! and resubmitted continues, and the merge is then complete and identical. The cluster not starting
//! fails the test. The test stops the daemons it started.

mod common;

use common::{reference_config, Sandbox, Trials};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Starts the cluster for the test's life; stops it on drop (also when the test fails).
struct Cluster;

impl Cluster {
    fn start() -> Cluster {
        let script = common::repo().join("tests/slurm/cluster.sh");
        let output = Command::new("bash")
            .arg(&script)
            .arg("start")
            .output()
            .expect("run tests/slurm/cluster.sh");
        assert!(
            output.status.success(),
            "the one-node Slurm cluster did not start (needs root and Debian's slurm-wlm and munge, \
             which tests/install-system-packages.sh installs):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Cluster
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let script = common::repo().join("tests/slurm/cluster.sh");
        let _ = Command::new("bash").arg(&script).arg("stop").status();
    }
}

/// Whether Slurm still lists any of these jobs (pending or running).
fn queued(jobs: &[&str]) -> bool {
    let output = Command::new("squeue")
        .args(["-h", "-o", "%i", "-j", &jobs.join(",")])
        .output()
        .expect("squeue");
    !String::from_utf8_lossy(&output.stdout).trim().is_empty()
}

fn wait_for(jobs: &[&str], what: &str) {
    let started = Instant::now();
    while queued(jobs) {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "{what}: jobs {jobs:?} still queued after 4 minutes"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The job ids `sweep slurm --submit` printed: (array, merge).
fn submitted(stdout: &str) -> (String, String) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("submitted:"))
        .unwrap_or_else(|| panic!("no job ids in: {stdout}"));
    let ids: Vec<String> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    (ids[0].clone(), ids[1].clone())
}

fn submit(sb: &Sandbox, config: &Path, out: &str) -> (String, String) {
    let run = sb
        .sweep(&[
            "slurm",
            config.to_str().unwrap(),
            "--shards",
            "4",
            "--out",
            out,
            "--submit",
        ])
        .assert()
        .success();
    submitted(&String::from_utf8_lossy(&run.get_output().stdout))
}

fn leaderboard(path: &Path) -> Vec<String> {
    // rank, trial, key, then the scores: everything but the run-specific columns at the end.
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&c| !sweep::results::columns::RUN_SPECIFIC.contains(&&header[c]))
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            keep.iter().map(|&c| &r[c]).collect::<Vec<_>>().join(",")
        })
        .collect()
}

#[test]
#[ignore = "needs Slurm and root: tests/install-system-packages.sh, then cargo test -- --include-ignored"]
fn a_sweep_runs_as_a_slurm_job_array_and_a_cancelled_task_resubmitted_completes_it() {
    let _cluster = Cluster::start();
    let sb = Sandbox::new();

    // The reference sweep: four shards and a merge, equal to one machine's run.
    let config = reference_config(&sb);
    let single = sb.run_ok(&config, "single", &["--no-report"]);
    let (array, merge) = submit(&sb, &config, "cluster");
    wait_for(&[&array, &merge], "reference sweep");
    let merged_log = std::fs::read_to_string(sb.path("cluster/slurm/logs/merge.out")).unwrap();
    assert!(merged_log.contains("merged 4 of 4 shards"), "{merged_log}");
    let merged = Trials::read(&sb.path("cluster/trials.csv"));
    assert_eq!(merged.results(), single.results());
    assert_eq!(
        leaderboard(&sb.path("cluster/leaderboard.csv")),
        leaderboard(&sb.path("single/leaderboard.csv"))
    );

    // A slower sweep (each shard sleeps in two trials); shard 2 is cancelled mid-run.
    let slow = common::slow_sweep(&sb, &[2.0, 2.01, 2.02, 2.03, 2.04, 2.05, 2.06, 2.07]);
    let single = sb.run_ok(&slow, "slow-single", &["--no-report", "--jobs", "2"]);
    let (array, merge) = submit(&sb, &slow, "slow");
    let shard2 = sb.path("slow/shards/2-of-4/trials.csv");
    common::wait_for_rows(&shard2, 1, Duration::from_secs(120));
    let cancel = Command::new("scancel")
        .arg(format!("{array}_2"))
        .status()
        .unwrap();
    assert!(cancel.success());
    wait_for(&[&array, &merge], "slow sweep");
    let cut = common::rows_in(&shard2);
    assert!(
        cut < 3,
        "shard 2 finished ({cut} rows) before it was cancelled"
    );
    // The merge job ran after the array and refused: shard 2 is not finished.
    let merged_log = std::fs::read_to_string(sb.path("slow/slurm/logs/merge.out")).unwrap();
    assert!(merged_log.contains("--shard 2/4"), "{merged_log}");

    // Resubmitting array index 2 continues the shard; then the merge is complete and identical.
    let resubmit = Command::new("sbatch")
        .args(["--parsable", "--array=2"])
        .arg(sb.path("slow/slurm/shards.sbatch"))
        .output()
        .unwrap();
    assert!(resubmit.status.success());
    let job = String::from_utf8_lossy(&resubmit.stdout).trim().to_string();
    wait_for(&[&job], "resubmitted shard");
    let log = std::fs::read_to_string(sb.path("slow/slurm/logs/shard-2.out")).unwrap_or_default();
    assert!(!log.contains("error"), "{log}");
    sb.sweep(&["merge", "slow", "--no-report"])
        .assert()
        .success();
    let merged = Trials::read(&sb.path("slow/trials.csv"));
    assert_eq!(merged.results(), single.results());
}
