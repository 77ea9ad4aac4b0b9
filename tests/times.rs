//! Times a reviewer can compare: shared work divided among the trials that read it, work threads
//! do for trials they are not running drawn on the timeline, and the CPU the run used recorded.

mod common;
use common::*;

fn forests(sb: &Sandbox, folds: usize, depths: &str) -> std::path::PathBuf {
    sb.write(
        "forests.yaml",
        &format!(
            "name: forests\ndata: {{path: {}, target: target}}\ncv: {{folds: {folds}}}\nrefit: none\n\
             models:\n  - model: random_forest\n    params: {{n_estimators: 40, max_depth: {depths}}}\n",
            data("breast_cancer.csv")
        ),
    )
}

#[test]
fn trials_reading_the_same_shared_trees_are_charged_alike_whichever_grew_them() {
    let sb = Sandbox::new();
    // The thread pool shares one set of trees; so does a single worker process (each worker
    // grows its own, and what it cost there is what its trials read).
    for (backend, jobs) in [("threads", "2"), ("processes", "1")] {
        let config = forests(&sb, 3, "[3, 5, null]");
        let trials = sb.run_ok(&config, backend, &["--jobs", jobs, "--backend", backend]);
        let number = |key: &str, column: &str| -> f64 { trials.get(key, column).parse().unwrap() };
        let keys: Vec<String> = trials.rows.keys().cloned().collect();
        assert_eq!(keys.len(), 3);
        let read = number(&keys[0], "mean_shared_read_time");
        assert!(read > 0.0, "{backend}: the trees' cost is recorded as read");
        for key in &keys {
            assert_eq!(
                number(key, "mean_shared_read_time"),
                read,
                "{backend}: {key} reads the same 40 trees (grown once, to the deepest limit)"
            );
        }
        let built: f64 = keys.iter().map(|k| number(k, "mean_shared_fit_time")).sum();
        assert!(built > 0.0, "{backend}: some trial grew the trees");
        // Costs divide what was built by what was read: equal reads, equal shares.
        let dir = sb.path(backend);
        let board = sb.stdout_ok(&["leaderboard", dir.to_str().unwrap(), "--format", "json"]);
        let board: Vec<serde_json::Value> = serde_json::from_str(&board).unwrap();
        assert_eq!(board.len(), 3);
        for t in &board {
            let key = t["key"].as_str().unwrap();
            let share = t["cost_per_fold"].as_f64().unwrap()
                - number(key, "mean_fit_time")
                - number(key, "mean_score_time");
            assert!(
                (share - built / 3.0).abs() < 1e-9,
                "{backend}: {key} is charged {share} s of shared work, not a third of {built}"
            );
        }
    }
}

#[test]
fn idle_threads_helping_a_trial_are_drawn_and_the_runs_cpu_is_recorded() {
    let sb = Sandbox::new();
    // One trial, five folds, two threads: the idle thread takes folds of the running trial.
    let config = forests(&sb, 5, "null");
    sb.run_ok(&config, "one", &["--jobs", "2", "--backend", "threads"]);
    let dir = sb.path("one");
    let trial_worker = column_of(dir.join("trials.csv").to_str().unwrap(), "worker");
    let pool = dir.join("pool_work.csv");
    let workers = column_of(pool.to_str().unwrap(), "worker");
    assert!(
        workers.iter().any(|w| w != &trial_worker[0]),
        "the other thread's work is recorded: {workers:?} (trial on {trial_worker:?})"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let cpu = manifest["trials_cpu_seconds"].as_f64().unwrap();
    assert!(cpu > 0.0);
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        report.contains("work for another lane&#39;s trial")
            || report.contains("work for another lane's trial")
    );
    assert!(
        report.contains("s of CPU while trials ran"),
        "the timeline states the CPU used"
    );
}
