//! Same config + seed, same numbers: repeated runs on both backends and job counts agree byte for byte.

mod common;
use common::*;
use predicates::prelude::*;

#[test]
fn twenty_runs_on_both_backends_and_job_counts_give_identical_metrics() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    let reference = sb.run_ok(&config, "run0", &[]).results();
    let settings = [
        ("threads", "1"),
        ("threads", "2"),
        ("processes", "1"),
        ("processes", "2"),
    ];
    for run in 1..20 {
        let (backend, jobs) = settings[run % settings.len()];
        let out = format!("run{run}");
        let trials = sb.run_ok(&config, &out, &["--backend", backend, "--jobs", jobs]);
        assert_eq!(
            trials.results(),
            reference,
            "run {run} on {backend} with {jobs} jobs differs"
        );
    }
}

#[test]
fn another_master_seed_changes_folds_and_model_randomness() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    let text = std::fs::read_to_string(&config).unwrap();
    let other = sb.write("other.yaml", &text.replace("seed: 0", "seed: 1"));
    let a = sb.run_ok(&config, "a", &[]);
    let b = sb.run_ok(&other, "b", &[]);
    let key = "random_forest(max_depth=4,n_estimators=50)";
    assert_ne!(
        a.get(key, "split0_test_accuracy"),
        b.get(key, "split0_test_accuracy")
    );
    assert_ne!(a.get(key, "seed"), b.get(key, "seed"));
}

#[test]
fn bench_measures_both_backends_and_recommends_with_numbers() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    sb.sweep(&[
        "bench",
        config.to_str().unwrap(),
        "--trials",
        "12",
        "--out",
        "bench",
        "--quiet",
    ])
    .assert()
    .success()
    .stdout(
        predicate::str::contains("12 of 57 trials")
            .and(predicate::str::contains("recommend"))
            .and(predicate::str::contains(
                "all four runs gave bit-identical metrics",
            )),
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path("bench/bench.json")).unwrap())
            .unwrap();
    let runs = report["measurements"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    assert!(runs
        .iter()
        .all(|m| m["trials"] == 12 && m["wall_seconds"].as_f64().unwrap() > 0.0));
    let processes: Vec<_> = runs
        .iter()
        .filter(|m| m["backend"] == "processes")
        .collect();
    assert!(processes
        .iter()
        .all(|m| !m["worker_peak_rss_mib"].as_array().unwrap().is_empty()));
    assert!(processes
        .iter()
        .all(|m| m["overhead_ms_per_trial"].is_number()));
    let csv = std::fs::read_to_string(sb.path("bench/bench.csv")).unwrap();
    assert_eq!(csv.lines().count(), 5);
}

/// The paths only large folds take: forests splitting on binned features (folds of 4000 rows), SVM
/// kernel rows through the shared cache (a 16 MiB budget drops rows mid-solve: 4000 rows of 16 KB
/// each, two kernels at once), and elastic net on a shared Gram matrix.
#[test]
fn large_fold_paths_give_identical_results_on_both_backends_and_any_budget() {
    let sb = Sandbox::new();
    let churn = sb.write(
        "churn.yaml",
        &format!(
            "name: churn\ndata: {{path: {}, target: churn}}\nmodels:\n  \
             - model: random_forest\n    params: {{n_estimators: 8, max_depth: [6, null]}}\n  \
             - model: svm\n    params: {{c: [1, 10], gamma: [0.02, 0.2]}}\n",
            data("real/mlc_churn.csv.gz")
        ),
    );
    let wage = sb.write(
        "wage.yaml",
        &format!(
            "name: wage\ndata: {{path: {}, target: wage, drop: [logwage]}}\nmodels:\n  \
             - model: elastic_net\n    params: {{alpha: [0.01, 0.1, 1], l1_ratio: [0.2, 0.9]}}\n",
            data("real/wage.csv.gz")
        ),
    );
    for (name, config) in [("churn", &churn), ("wage", &wage)] {
        let reference = sb.run_ok(config, &format!("{name}-0"), &[]).results();
        let settings: [&[&str]; 3] = [
            &["--jobs", "1", "--cache-memory", "16MiB"],
            &["--backend", "processes", "--jobs", "2"],
            &["--jobs", "2", "--cache-memory", "1GiB"],
        ];
        for (run, extra) in settings.iter().enumerate() {
            let trials = sb.run_ok(config, &format!("{name}-{}", run + 1), extra);
            assert_eq!(trials.results(), reference, "{name} with {extra:?} differs");
        }
    }
}
