//! `search.time_budget`: no trial starts after the budget, running ones finish and are recorded, the
//! run is marked `time_budget`, and `sweep resume` runs the rest to the same trials.csv as a run
//! without a budget.

mod common;

use common::{data, Sandbox, Trials};
use std::time::{Duration, Instant};

/// Eight trials of about 0.4 s each (a model that sleeps), one job at a time: a grid, or TPE
/// proposing the sleep time (`tpe`).
fn search_config(
    sandbox: &Sandbox,
    backend: &str,
    budget: Option<&str>,
    tpe: bool,
) -> std::path::PathBuf {
    let budget = budget.map_or(String::new(), |b| format!("time_budget: {b}, "));
    let (strategy, seconds) = if tpe {
        (
            "strategy: tpe, trials: 8, startup_trials: 3",
            "{uniform: [0.2, 0.21]}",
        )
    } else {
        (
            "strategy: grid",
            "[0.2, 0.201, 0.202, 0.203, 0.204, 0.205, 0.206, 0.207]",
        )
    };
    sandbox.write(
        &format!("{backend}-{}-{tpe}.yaml", budget.len()),
        &format!(
            "name: budget\ndata: {{path: {}, target: target}}\ncv: {{folds: 2}}\nsearch: {{{budget}{strategy}}}\n\
             refit: none\nexecution: {{backend: {backend}, jobs: 1}}\nmodels:\n  - model: fault\n    params:\n      \
             kind: sleep\n      seconds: {seconds}\n",
            data("iris.csv")
        ),
    )
}

fn status(sandbox: &Sandbox, out: &str) -> String {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sandbox.path(out).join("manifest.json")).unwrap(),
    )
    .unwrap();
    manifest["status"].as_str().unwrap().to_string()
}

#[test]
fn a_time_budget_stops_starting_trials_and_resume_finishes_the_same_sweep() {
    for (backend, tpe) in [
        ("threads", false),
        ("processes", false),
        ("threads", true),
        ("processes", true),
    ] {
        let sandbox = Sandbox::new();
        let started = Instant::now();
        let partial = sandbox.run_ok(
            &search_config(&sandbox, backend, Some("1s"), tpe),
            "out",
            &[],
        );
        let took = started.elapsed();
        let ran = partial.rows.len();
        // Each trial sleeps 0.2 s per fold: 0.4 s, so about three fit in a second.
        assert!((1..8).contains(&ran), "{backend}: {ran} trials ran in 1 s");
        assert!(
            took < Duration::from_secs(4),
            "{backend}: the run went on for {took:?}"
        );
        assert_eq!(status(&sandbox, "out"), "time_budget", "{backend}");
        let mut resumes = 0;
        while status(&sandbox, "out") != "finished" {
            sandbox
                .sweep(&["resume", "out", "--quiet"])
                .assert()
                .success();
            resumes += 1;
            assert!(resumes < 8, "{backend}: resume makes progress");
        }
        let resumed = Trials::read(&sandbox.path("out").join("trials.csv"));
        let whole = sandbox.run_ok(&search_config(&sandbox, backend, None, tpe), "whole", &[]);
        assert_eq!(
            resumed.rows.keys().collect::<Vec<_>>(),
            whole.rows.keys().collect::<Vec<_>>(),
            "{backend}: the same trials"
        );
        for key in whole.rows.keys() {
            assert_eq!(
                resumed.get(key, "mean_test_accuracy"),
                whole.get(key, "mean_test_accuracy"),
                "{backend}: {key}"
            );
        }
    }
}
