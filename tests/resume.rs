//! Nothing lost: kills at any moment, resume, torn rows, locking, changed sweeps, exact reruns.

mod common;
use common::*;
use predicates::prelude::*;
use std::process::Child;

fn signal(child: &Child, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), sig).unwrap();
}

fn assert_complete_and_equal(sb: &Sandbox, out: &str, reference: &Trials) {
    // Trials::read refuses duplicate keys: every trial appears exactly once.
    let resumed = Trials::read(&sb.path(out).join("trials.csv"));
    assert_eq!(resumed.results(), reference.results(), "{out}");
    let board = Trials::read_board(&sb.path(out).join("leaderboard.csv"));
    assert_eq!(board.rows.len(), reference.rows.len());
}

#[test]
fn kill_9_at_several_points_then_resume_gives_the_uninterrupted_results() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    let reference = sb.run_ok(&config, "reference", &["--jobs", "2"]);
    // The sweep file names the other backend, so a resume that forgot the command line's would show.
    let text = std::fs::read_to_string(&config).unwrap();
    let processes_file = sb.write(
        "processes_default.yaml",
        &format!("{text}\nexecution: {{backend: processes}}\n"),
    );
    for (i, (rows, backend)) in [
        (1, "threads"),
        (15, "threads"),
        (40, "threads"),
        (25, "processes"),
    ]
    .into_iter()
    .enumerate()
    {
        let out = format!("killed{i}");
        let file = if backend == "threads" {
            &processes_file
        } else {
            &config
        };
        let mut child = run_until(
            &sb,
            file,
            &out,
            rows,
            &["--jobs", "1", "--backend", backend],
        );
        signal(&child, nix::sys::signal::Signal::SIGKILL);
        child.wait().unwrap();
        sb.sweep(&["run", file.to_str().unwrap(), "--out", &out])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("sweep resume"));
        sb.sweep(&["resume", &out, "--quiet"]).assert().success();
        assert_complete_and_equal(&sb, &out, &reference);
        let manifest = std::fs::read_to_string(sb.path(&out).join("manifest.json")).unwrap();
        assert!(
            manifest.contains(&format!("\"backend\": \"{backend}\"")),
            "resume keeps the backend it started with"
        );
        let ran_on = Trials::read(&sb.path(&out).join("trials.csv")).column("backend");
        assert!(
            ran_on.iter().all(|b| b == backend),
            "every trial, before and after the kill, ran on {backend}: {ran_on:?}"
        );
    }
}

#[test]
fn sigint_then_resume_gives_the_uninterrupted_results() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    let reference = sb.run_ok(&config, "reference", &[]);
    let mut child = run_until(&sb, &config, "out", 20, &["--jobs", "1"]);
    signal(&child, nix::sys::signal::Signal::SIGINT);
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let manifest = std::fs::read_to_string(sb.path("out/manifest.json")).unwrap();
    assert!(manifest.contains("\"status\": \"interrupted\""));
    let partial = Trials::read_board(&sb.path("out/leaderboard.csv"))
        .rows
        .len();
    assert!(
        (20..57).contains(&partial),
        "leaderboard of what finished: {partial} rows"
    );
    sb.sweep(&["resume", "out", "--quiet"]).assert().success();
    assert_complete_and_equal(&sb, "out", &reference);
}

#[test]
fn a_truncated_trials_csv_resumes_and_reruns_the_torn_trial() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    let reference = sb.run_ok(&config, "out", &[]);
    let path = sb.path("out/trials.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    // Cut in the middle of the 31st line (header + 30 rows + part of one).
    let cut: usize = text.lines().take(31).map(|l| l.len() + 1).sum::<usize>() + 25;
    std::fs::write(&path, &text[..cut]).unwrap();
    sb.sweep(&["resume", "out", "--quiet"]).assert().success();
    assert_complete_and_equal(&sb, "out", &reference);
}

#[test]
fn a_second_process_cannot_write_to_a_running_folder() {
    let sb = Sandbox::new();
    let config = sb.write(
        "slow.yaml",
        &format!(
            "name: slow\ndata: {{path: {}, target: target}}\nmodels:\n  - model: gaussian_nb\n  - model: fault\n    params: {{kind: sleep, seconds: [3, 3.1]}}\n",
            data("iris.csv")
        ),
    );
    let mut first = run_until(&sb, &config, "out", 1, &["--jobs", "2"]);
    let refusal = predicate::str::contains(format!("another sweep (pid {})", first.id()));
    sb.sweep(&["run", config.to_str().unwrap(), "--out", "out"])
        .assert()
        .code(2)
        .stderr(refusal.clone());
    sb.sweep(&["resume", "out"])
        .assert()
        .code(2)
        .stderr(refusal);
    assert!(first.wait().unwrap().success());
    assert_eq!(Trials::read(&sb.path("out/trials.csv")).rows.len(), 3);
}

#[test]
fn a_changed_sweep_is_refused_unless_forced_which_keeps_what_still_matches() {
    let sb = Sandbox::new();
    let text = format!(
        "name: c\ndata: {{path: {}, target: target}}\nmodels:\n  - model: decision_tree\n    params: {{max_depth: [1, 2, 3]}}\n",
        data("iris.csv")
    );
    let config = sb.write("c.yaml", &text);
    let before = sb.run_ok(&config, "out", &[]);
    sb.write("c.yaml", &text.replace("[1, 2, 3]", "[2, 3, 4]"));
    sb.sweep(&["resume", "out"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("changed").and(predicate::str::contains("--force")));
    sb.sweep(&["resume", "out", "--force", "--quiet"])
        .assert()
        .success();
    let after = Trials::read(&sb.path("out/trials.csv"));
    let keys: Vec<&String> = after.rows.keys().collect();
    assert_eq!(
        keys,
        [
            "decision_tree(max_depth=2)",
            "decision_tree(max_depth=3)",
            "decision_tree(max_depth=4)"
        ]
    );
    assert_eq!(
        after.get("decision_tree(max_depth=2)", "trial"),
        before.get("decision_tree(max_depth=2)", "trial")
    );
}

#[test]
fn failed_trials_are_retried_only_when_asked() {
    let sb = Sandbox::new();
    let config = sb.write(
        "f.yaml",
        &format!(
            "name: f\ndata: {{path: {}, target: target}}\nmodels:\n  - model: gaussian_nb\n  - model: fault\n    params: {{kind: error}}\n",
            data("iris.csv")
        ),
    );
    sb.run_ok(&config, "out", &[]);
    let fit_time_before =
        Trials::read(&sb.path("out/trials.csv")).get("gaussian_nb()", "mean_fit_time");
    sb.sweep(&["resume", "out", "--quiet"]).assert().success();
    assert_eq!(Trials::read(&sb.path("out/trials.csv")).rows.len(), 2);
    sb.sweep(&["resume", "out", "--retry-failed", "--quiet"])
        .assert()
        .success();
    let after = Trials::read(&sb.path("out/trials.csv"));
    assert_eq!(after.rows.len(), 2, "one row per trial after a retry");
    assert_eq!(
        after.get("gaussian_nb()", "mean_fit_time"),
        fit_time_before,
        "the ok trial was not run again"
    );
    assert_eq!(after.get("fault(kind=error)", "status"), "failed");
}

#[test]
fn rerun_matches_bit_for_bit_on_either_backend_and_catches_a_difference() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    sb.run_ok(&config, "out", &[]);
    sb.sweep(&[
        "rerun",
        "out",
        "--out",
        "again",
        "--backend",
        "processes",
        "--quiet",
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains(
        "all 57 trials have bit-identical metrics",
    ));
    // Tamper with one metric: the rerun must notice.
    let path = sb.path("out/trials.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let row = text.lines().nth(1).unwrap();
    let tampered_row = row.replacen(",0.9", ",0.8", 1);
    assert_ne!(row, tampered_row);
    std::fs::write(&path, text.replacen(row, &tampered_row, 1)).unwrap();
    sb.sweep(&["rerun", "out", "--out", "third", "--quiet"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("rerun differs"));
}
