//! The edges a chaos campaign broke, each pinned: exit status, message and the files left behind.

mod common;
use common::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use predicates::prelude::*;
use std::time::{Duration, Instant};

fn iris_sweep(extra: &str, models: &str) -> String {
    format!(
        "name: t\ndata: {{path: {}, target: target}}\n{extra}models:\n{models}",
        data("iris.csv")
    )
}

/// Trials that sleep `seconds` each, `n` of them, so a run lasts long enough to be disturbed.
fn sleepy_sweep(n: usize, seconds: f64) -> String {
    let values: Vec<String> = (0..n)
        .map(|i| format!("{}", seconds + i as f64 * 1e-4))
        .collect();
    iris_sweep(
        "cv: {folds: 2}\n",
        &format!(
            "  - model: fault\n    params: {{kind: sleep, seconds: [{}]}}\n",
            values.join(", ")
        ),
    )
}

fn refused_with(sb: &Sandbox, args: &[&str], fragments: &[&str]) {
    let mut assert = sb.sweep(args).assert().code(2);
    for f in fragments {
        assert = assert.stderr(predicate::str::contains(*f));
    }
    assert.stderr(predicate::str::contains("panicked").not());
}

#[test]
fn a_run_killed_before_its_manifest_can_be_told_apart_and_started_again() {
    let sb = Sandbox::new();
    let config = sb.write("sweep.yaml", &iris_sweep("", "  - model: gaussian_nb\n"));
    std::fs::create_dir(sb.path("out")).unwrap();
    std::fs::write(sb.path("out/.lock"), "").unwrap();
    refused_with(
        &sb,
        &["resume", "out"],
        &["stopped before it wrote its manifest", "sweep run"],
    );
    sb.run_ok(&config, "out", &[]);
    // Kills at early moments leave either a resumable run or one that never started.
    for delay_ms in [1u64, 3, 6, 10, 15, 25] {
        let out = format!("early{delay_ms}");
        let mut child = sb.spawn(
            &["run", config.to_str().unwrap(), "--out", &out, "--quiet"],
            std::process::Stdio::null(),
        );
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        if sb.path(&out).join("manifest.json").exists() {
            sb.sweep(&["resume", &out, "--quiet"]).assert().success();
        } else if sb.path(&out).exists() {
            sb.sweep(&["resume", &out]).assert().code(2);
            sb.run_ok(&config, &out, &[]);
        }
    }
}

#[test]
fn ctrl_c_stops_a_huge_expansion_at_once() {
    let sb = Sandbox::new();
    let config = sb.write(
        "sweep.yaml",
        &iris_sweep(
            "",
            "  - model: decision_tree\n    params: {min_samples_leaf: {int_uniform: [1, 1000000]}}\n",
        ),
    );
    let mut child = sb.spawn(
        &["run", config.to_str().unwrap(), "--out", "out", "--quiet"],
        std::process::Stdio::null(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "{:?}",
        sent.elapsed()
    );
}

#[test]
fn ctrl_c_stops_a_run_while_it_reads_a_large_table() {
    let sb = Sandbox::new();
    let mut text = String::from("a,b,c,d,e,f,g,h,target\n");
    for i in 0..400_000u64 {
        let v = (i * 7919) % 1000;
        text.push_str(&format!(
            "{v},{},{},{},{},{},{},{},{}\n",
            v + 1,
            v + 2,
            v + 3,
            v + 4,
            v + 5,
            v + 6,
            v + 7,
            i % 2
        ));
    }
    let csv = sb.write("big.csv", &text);
    let config = sb.write(
        "sweep.yaml",
        &format!(
            "name: t\ndata: {{path: {}, target: target}}\nmodels:\n  - model: gaussian_nb\n",
            csv.display()
        ),
    );
    let mut child = sb.spawn(
        &["run", config.to_str().unwrap(), "--out", "out", "--quiet"],
        std::process::Stdio::null(),
    );
    std::thread::sleep(Duration::from_millis(100));
    let sent = Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        sent.elapsed() < Duration::from_millis(500),
        "{:?}",
        sent.elapsed()
    );
    assert!(
        !sb.path("out/trials.csv").exists(),
        "stopped before any trial"
    );
}

#[test]
fn durations_limits_and_job_counts_are_bounded() {
    let sb = Sandbox::new();
    let config = sb.write("sweep.yaml", &iris_sweep("", "  - model: gaussian_nb\n"));
    let c = config.to_str().unwrap();
    for timeout in ["1e30", "1e19", "18446744073709551615s"] {
        refused_with(
            &sb,
            &[
                "run",
                c,
                "--backend",
                "processes",
                "--timeout",
                timeout,
                "--out",
                "o",
            ],
            &["--timeout", "at most 7 days"],
        );
    }
    let in_file = sb.write(
        "file.yaml",
        &iris_sweep(
            "execution: {backend: processes, timeout: 1e19}\n",
            "  - model: gaussian_nb\n",
        ),
    );
    refused_with(
        &sb,
        &["run", in_file.to_str().unwrap(), "--out", "o"],
        &["execution.timeout"],
    );
    refused_with(
        &sb,
        &["run", c, "--max-failures", "0", "--out", "o"],
        &["--max-failures", "at least 1"],
    );
    refused_with(
        &sb,
        &[
            "run",
            c,
            "--backend",
            "processes",
            "--memory-limit",
            "1B",
            "--out",
            "o",
        ],
        &["--memory-limit", "128.0 MiB"],
    );
    refused_with(
        &sb,
        &["run", c, "--jobs", "3000", "--out", "o"],
        &["--jobs", "per core"],
    );
    assert!(!sb.path("o").exists(), "no folder for refused settings");
}

#[test]
fn a_results_folder_deleted_mid_run_stops_the_run() {
    let sb = Sandbox::new();
    let config = sb.write("sweep.yaml", &sleepy_sweep(40, 0.05));
    let child = run_until(&sb, &config, "out", 2, &["--jobs", "1"]);
    std::fs::remove_dir_all(sb.path("out")).unwrap();
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stopped at the next trial, not at the end"
    );
}

#[test]
fn the_deleted_file_is_named_in_the_error() {
    let sb = Sandbox::new();
    let config = sb.write("sweep.yaml", &sleepy_sweep(40, 0.05));
    let child = sb.spawn(
        &[
            "run",
            config.to_str().unwrap(),
            "--out",
            "out",
            "--quiet",
            "--jobs",
            "1",
        ],
        std::process::Stdio::piped(),
    );
    common::wait_for_rows(&sb.path("out/trials.csv"), 2, Duration::from_secs(30));
    std::fs::remove_file(sb.path("out/trials.csv")).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("out/trials.csv was deleted or replaced"),
        "{stderr}"
    );
}

#[test]
fn out_that_is_a_file_is_bad_input() {
    let sb = Sandbox::new();
    let config = sb.write("sweep.yaml", &iris_sweep("", "  - model: gaussian_nb\n"));
    sb.write("taken", "not a folder");
    refused_with(
        &sb,
        &["run", config.to_str().unwrap(), "--out", "taken"],
        &["is a file, not a folder"],
    );
    assert_eq!(
        std::fs::read_to_string(sb.path("taken")).unwrap(),
        "not a folder"
    );
}

#[test]
fn leaderboard_during_a_live_run_breaks_neither() {
    let sb = Sandbox::new();
    let config = sb.write("sweep.yaml", &sleepy_sweep(30, 0.02));
    let mut child = run_until(&sb, &config, "out", 1, &["--jobs", "2"]);
    let mut calls = 0;
    while child.try_wait().unwrap().is_none() {
        let output = sb.sweep(&["leaderboard", "out"]).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        csv::Reader::from_path(sb.path("out/leaderboard.csv"))
            .unwrap()
            .records()
            .for_each(|r| {
                r.unwrap();
            });
        calls += 1;
    }
    assert!(child.wait().unwrap().success());
    assert!(calls > 0);
    let manifest = std::fs::read_to_string(sb.path("out/manifest.json")).unwrap();
    assert!(manifest.contains("\"status\": \"finished\""));
    let leftovers: Vec<_> = std::fs::read_dir(sb.path("out"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn rerun_checks_the_recorded_trials_before_running() {
    let sb = Sandbox::new();
    let config = sb.write(
        "sweep.yaml",
        &iris_sweep(
            "",
            "  - model: gaussian_nb\n    params: {var_smoothing: [1.0e-9, 1.0e-8]}\n",
        ),
    );
    sb.run_ok(&config, "out", &[]);
    let path = sb.path("out/trials.csv");
    let original = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = original.lines().collect();
    lines.push(lines[1]);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    refused_with(
        &sb,
        &["rerun", "out", "--out", "r1"],
        &["appears more than once"],
    );
    let without_column: String = original
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.pop();
            cells.join(",") + "\n"
        })
        .collect();
    std::fs::write(&path, without_column).unwrap();
    refused_with(
        &sb,
        &["rerun", "out", "--out", "r2"],
        &["no `end_offset` column"],
    );
    std::fs::remove_file(&path).unwrap();
    refused_with(
        &sb,
        &["rerun", "out", "--out", "r3"],
        &["trials.csv", "cannot read the recorded trials"],
    );
    for r in ["r1", "r2", "r3"] {
        assert!(!sb.path(r).exists(), "{r}: nothing ran");
    }
}

#[test]
fn resume_drops_a_duplicated_row_with_a_warning() {
    let sb = Sandbox::new();
    let config = sb.write(
        "sweep.yaml",
        &iris_sweep(
            "",
            "  - model: gaussian_nb\n    params: {var_smoothing: [1.0e-9, 1.0e-8, 1.0e-7]}\n",
        ),
    );
    sb.run_ok(&config, "out", &[]);
    let path = sb.path("out/trials.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let second = text.lines().nth(1).unwrap().to_string();
    std::fs::write(&path, format!("{text}{second}\n")).unwrap();
    sb.sweep(&["resume", "out", "--quiet"])
        .assert()
        .success()
        .stderr(predicate::str::contains("appear more than once"));
    // Trials::read fails on a duplicated key.
    assert_eq!(Trials::read(&path).rows.len(), 3);
    let manifest = std::fs::read_to_string(sb.path("out/manifest.json")).unwrap();
    assert!(manifest.contains("\"ok\": 3"), "{manifest}");
}

#[test]
fn duplicate_columns_and_features_are_refused_naming_both() {
    let sb = Sandbox::new();
    let csv = sb.write("d.csv", "a,target,target\n1,0,1\n2,1,0\n3,0,1\n4,1,0\n");
    let yaml = format!(
        "name: t\ndata: {{path: {}, target: target}}\ncv: {{folds: 2}}\nmodels:\n  - model: gaussian_nb\n",
        csv.display()
    );
    let config = sb.write("sweep.yaml", &yaml);
    refused_with(
        &sb,
        &["run", config.to_str().unwrap()],
        &["columns 2 and 3 are both named `target`"],
    );
    let yaml = iris_sweep("", "  - model: gaussian_nb\n").replace(
        "target: target}",
        "target: target, features: [petal_width, petal_width]}",
    );
    let config = sb.write("twice.yaml", &yaml);
    refused_with(
        &sb,
        &["expand", config.to_str().unwrap()],
        &["names `petal_width` twice"],
    );
}

#[test]
fn huge_expansions_are_refused_with_the_count() {
    let sb = Sandbox::new();
    let grid = sb.write(
        "grid.yaml",
        &iris_sweep(
            "",
            "  - model: decision_tree\n    params: {min_samples_leaf: {int_uniform: [1, 1e12]}}\n",
        ),
    );
    refused_with(
        &sb,
        &["run", grid.to_str().unwrap(), "--out", "o"],
        &["1000000000000 trials", "1000000"],
    );
    refused_with(
        &sb,
        &["expand", grid.to_str().unwrap()],
        &["1000000000000 trials"],
    );
    let random = sb.write(
        "random.yaml",
        &iris_sweep(
            "search: {strategy: random, trials: 1000000000000000000}\n",
            "  - model: svm\n    params: {c: {log_uniform: [0.1, 10]}}\n",
        ),
    );
    refused_with(
        &sb,
        &["run", random.to_str().unwrap(), "--out", "o"],
        &["1000000000000000000 trials"],
    );
    assert!(!sb.path("o").exists());
}

#[test]
fn devices_and_pipes_are_not_read() {
    let sb = Sandbox::new();
    for path in ["/dev/zero", "/dev/urandom"] {
        refused_with(&sb, &["run", path], &[path, "not a regular file"]);
        let config = sb.write(
            "sweep.yaml",
            &iris_sweep("", "  - model: gaussian_nb\n").replace(&data("iris.csv"), path),
        );
        refused_with(
            &sb,
            &["expand", config.to_str().unwrap()],
            &[path, "not a regular file"],
        );
    }
    let fifo = sb.path("pipe.csv");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let config = sb.write(
        "fifo.yaml",
        &iris_sweep("", "  - model: gaussian_nb\n")
            .replace(&data("iris.csv"), fifo.to_str().unwrap()),
    );
    refused_with(
        &sb,
        &["run", config.to_str().unwrap()],
        &["pipe.csv", "not a regular file"],
    );
}

#[test]
fn an_overflowing_kernel_fails_the_trial_instead_of_scoring_it() {
    let sb = Sandbox::new();
    let config = sb.write(
        "sweep.yaml",
        &iris_sweep(
            "",
            "  - model: svm\n    params: {kernel: polynomial, gamma: [1.0e308, 0.1], degree: 3}\n",
        ),
    );
    let trials = sb.run_ok(&config, "out", &[]);
    let key = "svm(degree=3,gamma=1e308,kernel=polynomial)";
    assert_eq!(trials.get(key, "status"), "failed");
    assert!(
        trials.get(key, "error").contains("non-finite"),
        "{}",
        trials.get(key, "error")
    );
    assert_eq!(
        trials.get("svm(degree=3,gamma=0.1,kernel=polynomial)", "status"),
        "ok"
    );
}
