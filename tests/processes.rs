//! The process backend: identical numbers to threads, survival of crashing/hanging/runaway trials,
//! clean shutdown on Ctrl-C, and no worker outliving its parent.

mod common;
use common::*;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn two_persistent_workers_run_every_trial_of_the_reference_sweep() {
    // That the numbers equal the thread backend's is tests/determinism.rs's property.
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    let two = sb.run_ok(&config, "p2", &["--backend", "processes", "--jobs", "2"]);
    assert_eq!(two.rows.len(), 57);
    assert!(two.column("backend").iter().all(|b| b == "processes"));
    let pids: std::collections::BTreeSet<String> = two.column("worker").into_iter().collect();
    assert_eq!(
        pids.len(),
        2,
        "two persistent workers ran all 57 trials: {pids:?}"
    );
}

fn fault_sweep(sb: &Sandbox) -> std::path::PathBuf {
    sb.write(
        "faults.yaml",
        &format!(
            "name: faults\ndata: {{path: {}, target: target}}\n\
             execution: {{backend: processes, jobs: 2, timeout: 2s, memory_limit: 512MiB}}\n\
             models:\n  - model: gaussian_nb\n  - model: decision_tree\n    params: {{max_depth: [1, 2, 3, 4]}}\n\
             \x20 - model: fault\n    params: {{kind: [ok, error, panic, abort, segfault, oom, hang, exit]}}\n",
            data("iris.csv")
        ),
    )
}

#[test]
fn crashing_hanging_and_runaway_trials_are_recorded_and_the_sweep_goes_on() {
    let sb = Sandbox::new();
    let config = fault_sweep(&sb);
    let trials = sb.run_ok(&config, "out", &[]);
    assert_eq!(trials.rows.len(), 13);
    let status = |kind: &str| trials.get(&format!("fault(kind={kind})"), "status");
    let error = |kind: &str| trials.get(&format!("fault(kind={kind})"), "error");
    assert_eq!(status("ok"), "ok");
    assert_eq!(
        (status("error").as_str(), error("error").as_str()),
        ("failed", "fault: error requested")
    );
    assert_eq!(status("panic"), "failed");
    assert!(error("panic").contains("panic: fault: panic requested"));
    assert_eq!(status("abort"), "crashed");
    assert!(
        error("abort").contains("killed by SIGABRT"),
        "{}",
        error("abort")
    );
    assert_eq!(status("segfault"), "crashed");
    assert!(
        error("segfault").contains("killed by SIGSEGV"),
        "{}",
        error("segfault")
    );
    assert_eq!(status("exit"), "crashed");
    assert!(
        error("exit").contains("exited with status 3"),
        "{}",
        error("exit")
    );
    assert_eq!(status("oom"), "crashed");
    assert!(
        error("oom").starts_with("out of memory (memory_limit 512.0 MiB)"),
        "{}",
        error("oom")
    );
    assert!(
        error("oom").contains("memory allocation of"),
        "{}",
        error("oom")
    );
    assert_eq!(status("hang"), "timeout");
    assert!(
        error("hang").contains("timed out after 2s"),
        "{}",
        error("hang")
    );

    // Every good trial has the numbers the thread backend gives it.
    let good = sb.write(
        "good.yaml",
        &format!(
            "name: good\ndata: {{path: {}, target: target}}\nmodels:\n  - model: gaussian_nb\n  - model: decision_tree\n    params: {{max_depth: [1, 2, 3, 4]}}\n",
            data("iris.csv")
        ),
    );
    let reference = sb.run_ok(&good, "threads", &[]).results();
    let with_faults = trials.results();
    for (key, row) in &reference {
        let strip = |r: &Vec<(String, String)>| {
            r.iter()
                .filter(|(h, _)| !h.starts_with("param_") && h != "trial")
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(row), strip(&with_faults[key]), "{key}");
    }

    for pid in trials.column("worker") {
        let pid: u32 = pid.parse().expect("every trial names its worker");
        assert!(!alive(pid), "worker {pid} outlived the sweep");
    }
}

/// Pids of the direct children of `pid`.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn hanging_sweep(sb: &Sandbox) -> std::path::PathBuf {
    sb.write(
        "hang.yaml",
        &format!(
            "name: hang\ndata: {{path: {}, target: target}}\nexecution: {{backend: processes, jobs: 2, timeout: 5m}}\n\
             models:\n  - model: gaussian_nb\n  - model: fault\n    params: {{kind: hang, seconds: [1, 2, 3, 4]}}\n",
            data("iris.csv")
        ),
    )
}

/// A sweep process that is killed and reaped if a test fails before it ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a sweep whose workers hang, and waits until both workers are running.
fn start_hanging(sb: &Sandbox) -> (Running, Vec<u32>) {
    let config = hanging_sweep(sb);
    let child = Command::new(assert_cmd::cargo::cargo_bin("sweep"))
        .current_dir(sb.dir.path())
        .args(["run", config.to_str().unwrap(), "--out", "out", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Running)
        .unwrap();
    let started = Instant::now();
    loop {
        let workers = children(child.0.id());
        let trials = std::fs::read_to_string(sb.path("out/trials.csv")).unwrap_or_default();
        if workers.len() == 2 && trials.contains("gaussian_nb()") {
            return (child, workers);
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "workers did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_gone(pids: &[u32]) {
    let started = Instant::now();
    while pids.iter().any(|&p| alive(p)) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "workers {pids:?} outlived their parent"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ctrl_c_ends_workers_writes_the_leaderboard_and_exits_130() {
    let sb = Sandbox::new();
    let (mut child, workers) = start_hanging(&sb);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.0.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.0.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    wait_gone(&workers);
    let board = Trials::read_board(&sb.path("out/leaderboard.csv"));
    assert_eq!(board.rows.keys().collect::<Vec<_>>(), ["gaussian_nb()"]);
    let manifest = std::fs::read_to_string(sb.path("out/manifest.json")).unwrap();
    assert!(manifest.contains("\"status\": \"interrupted\""));
}

#[test]
fn workers_exit_when_their_parent_is_killed() {
    let sb = Sandbox::new();
    let (mut child, workers) = start_hanging(&sb);
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    wait_gone(&workers);
}

#[test]
fn on_threads_a_segfault_takes_the_whole_sweep_down() {
    // The documented trade-off: threads share one process, so this is what the process backend is for.
    let sb = Sandbox::new();
    let config = sb.write(
        "segv.yaml",
        &format!("name: s\ndata: {{path: {}, target: target}}\nmodels:\n  - model: fault\n    params: {{kind: segfault}}\n", data("iris.csv")),
    );
    let status = Command::new(assert_cmd::cargo::cargo_bin("sweep"))
        .current_dir(sb.dir.path())
        .args(["run", config.to_str().unwrap(), "--out", "out", "--quiet"])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGSEGV));
}
