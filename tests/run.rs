//! `sweep run` end to end on the thread backend: outputs, determinism, failures inside trials.

mod common;
use common::*;
use predicates::prelude::*;

#[test]
fn quickstart_writes_trials_leaderboard_manifest_and_config() {
    let sb = Sandbox::new();
    let config = repo().join("configs/quickstart.yaml");
    sb.sweep(&["run", config.to_str().unwrap(), "--out", "out"])
        .assert()
        .success()
        .stdout(predicate::str::contains("rank").and(predicate::str::contains("results: out")));
    let trials = Trials::read(&sb.path("out/trials.csv"));
    assert_eq!(trials.rows.len(), 22);
    for col in [
        "param_alpha",
        "mean_test_accuracy",
        "std_test_f1_macro",
        "split4_test_accuracy",
        "mean_fit_time",
        "seed",
    ] {
        assert!(
            trials.header.contains(&col.to_string()),
            "missing column {col}"
        );
    }
    assert!(trials.column("status").iter().all(|s| s == "ok"));
    // A model without a parameter leaves its column empty.
    assert_eq!(trials.get("gaussian_nb()", "param_alpha"), "");

    let board = std::fs::read_to_string(sb.path("out/leaderboard.csv")).unwrap();
    let mut lines = board.lines();
    assert!(lines.next().unwrap().starts_with("rank_test_accuracy,"));
    assert!(lines.next().unwrap().starts_with("1,"));

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path("out/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["status"], "finished");
    assert_eq!(manifest["trials"]["ok"], 22);
    assert_eq!(manifest["data"]["rows"], 150);
    assert_eq!(manifest["data"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        std::fs::read_to_string(sb.path("out/config.yaml")).unwrap(),
        std::fs::read_to_string(config).unwrap()
    );
}

#[test]
fn reference_sweep_gives_identical_results_with_one_and_two_jobs() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    let one = sb.run_ok(&config, "one", &["--jobs", "1"]);
    let two = sb.run_ok(&config, "two", &["--jobs", "2"]);
    assert_eq!(one.rows.len(), 57);
    assert_eq!(one.results(), two.results());
}

/// scikit-learn's best mean CV accuracy per family on the reference sweep (GridSearchCV, 5 stratified
/// shuffled folds), for fold seeds 0..6: bench/sklearn_grid.py with FOLD_SEED=0..5.
const SKLEARN_BEST: [(&str, [f64; 6]); 5] = [
    (
        "logistic_regression",
        [0.9789, 0.9789, 0.9789, 0.9824, 0.9842, 0.9789],
    ),
    (
        "decision_tree",
        [0.949, 0.9296, 0.9508, 0.9473, 0.9508, 0.9402],
    ),
    (
        "gaussian_nb",
        [0.9385, 0.9385, 0.9368, 0.942, 0.942, 0.9367],
    ),
    ("svm", [0.9807, 0.9824, 0.9737, 0.9842, 0.9807, 0.9807]),
    (
        "random_forest",
        [0.9649, 0.9631, 0.9561, 0.9596, 0.9579, 0.9631],
    ),
];

#[test]
fn reference_sweep_accuracy_matches_scikit_learn_over_fold_seeds() {
    // Folds cannot be assigned as scikit-learn assigns them, and one split moves a family's best
    // accuracy by up to two points either way; so compare means over six fold seeds each.
    let sb = Sandbox::new();
    let text = std::fs::read_to_string(reference_config(&sb)).unwrap();
    let mut ours: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for seed in 0..6 {
        let config = sb.write(
            &format!("seed{seed}.yaml"),
            &text.replace("seed: 0", &format!("seed: {seed}")),
        );
        let trials = sb.run_ok(&config, &format!("seed{seed}"), &[]);
        for (model, _) in SKLEARN_BEST {
            let best = trials
                .rows
                .keys()
                .filter(|k| k.starts_with(model))
                .map(|k| trials.get(k, "mean_test_accuracy").parse::<f64>().unwrap())
                .fold(f64::NEG_INFINITY, f64::max);
            ours.entry(model).or_default().push(best);
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    for (model, sklearn) in SKLEARN_BEST {
        let (a, b) = (mean(&ours[model]), mean(&sklearn));
        assert!(
            (a - b).abs() <= 0.01,
            "{model}: mean best {a:.4} vs scikit-learn {b:.4} ({:?})",
            ours[model]
        );
    }
}

#[test]
fn failing_and_panicking_trials_are_recorded_and_the_sweep_finishes() {
    let sb = Sandbox::new();
    let config = sb.write(
        "faults.yaml",
        &format!(
            "name: f\ndata: {{path: {}, target: target}}\nmodels:\n  - model: gaussian_nb\n  - model: fault\n    params: {{kind: [ok, error, panic]}}\n",
            data("iris.csv")
        ),
    );
    let trials = sb.run_ok(&config, "out", &["--jobs", "2"]);
    assert_eq!(trials.rows.len(), 4);
    assert_eq!(trials.get("fault(kind=error)", "status"), "failed");
    assert_eq!(
        trials.get("fault(kind=error)", "error"),
        "fault: error requested"
    );
    assert_eq!(trials.get("fault(kind=panic)", "status"), "failed");
    assert!(trials
        .get("fault(kind=panic)", "error")
        .starts_with("panic: fault: panic requested"));
    assert_eq!(trials.get("gaussian_nb()", "status"), "ok");
    let board = std::fs::read_to_string(sb.path("out/leaderboard.csv")).unwrap();
    let last_two: Vec<&str> = board.lines().rev().take(2).collect();
    assert!(
        last_two.iter().all(|l| l.starts_with(",")),
        "failed trials rank last, unranked: {board}"
    );
}

#[test]
fn max_failures_stops_the_sweep_cleanly() {
    let sb = Sandbox::new();
    let config = sb.write(
        "stop.yaml",
        &format!(
            "name: s\ndata: {{path: {}, target: target}}\nexecution: {{max_failures: 2, jobs: 1}}\nmodels:\n  - model: fault\n    params: {{kind: error, seconds: [1, 2, 3, 4, 5, 6]}}\n",
            data("iris.csv")
        ),
    );
    sb.sweep(&["run", config.to_str().unwrap(), "--out", "out", "-q"])
        .assert()
        .success()
        .stdout(predicate::str::contains("stopped after 2 failed trials"));
    let trials = Trials::read(&sb.path("out/trials.csv"));
    assert_eq!(trials.rows.len(), 2);
    let manifest = std::fs::read_to_string(sb.path("out/manifest.json")).unwrap();
    assert!(manifest.contains("\"status\": \"stopped\""));
}

#[test]
fn regression_sweep_ranks_by_rmse_lowest_first() {
    let sb = Sandbox::new();
    let config = sb.write(
        "reg.yaml",
        &format!(
            "name: r\ndata: {{path: {}, target: target, task: regression}}\nmetric: rmse\nmodels:\n  - model: linear_regression\n  - model: elastic_net\n    params: {{alpha: [0.01, 10]}}\n  - model: decision_tree\n    params: {{max_depth: [3]}}\n",
            data("diabetes.csv")
        ),
    );
    sb.run_ok(&config, "out", &[]);
    let board = Trials::read_board(&sb.path("out/leaderboard.csv"));
    let mut ranked: Vec<(u32, f64)> = board
        .rows
        .values()
        .map(|r| {
            (
                r[0].parse().unwrap(),
                r[board
                    .header
                    .iter()
                    .position(|h| h == "mean_test_rmse")
                    .unwrap()]
                .parse()
                .unwrap(),
            )
        })
        .collect();
    ranked.sort_by_key(|r| r.0);
    assert!(ranked.windows(2).all(|w| w[0].1 <= w[1].1), "{ranked:?}");
    assert!(board.header.contains(&"mean_test_r2".to_string()));
}

#[test]
fn leaderboard_ranks_several_runs_together_by_any_metric() {
    let sb = Sandbox::new();
    let config = repo().join("configs/quickstart.yaml");
    let first = sb.run_ok(&config, "a", &[]);
    // An unfinished run: a trials.csv without manifest or leaderboard.
    std::fs::create_dir(sb.path("b")).unwrap();
    std::fs::copy(sb.path("a/trials.csv"), sb.path("b/trials.csv")).unwrap();
    let output = sb
        .sweep(&[
            "leaderboard",
            "a",
            "b",
            "--by",
            "f1_macro",
            "--format",
            "csv",
            "--model",
            "svm",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let svm_trials = first.column("model").iter().filter(|m| *m == "svm").count();
    assert_eq!(rows.len(), 2 * svm_trials, "every svm trial of both runs");
    let scores: Vec<f64> = rows.iter().map(|r| r[4].parse().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    assert_eq!(&rows[0][0], "1");
    assert_eq!(
        &rows[1][0], "1",
        "the same trial in both runs shares its rank"
    );
    assert_ne!(&rows[0][1], &rows[1][1], "a run column tells them apart");
    assert_eq!(
        rows[0][4].parse::<f64>().unwrap(),
        first
            .get(&rows[0][2], "mean_test_f1_macro")
            .parse::<f64>()
            .unwrap()
    );
    let json = sb
        .sweep(&[
            "leaderboard",
            "b",
            "--by",
            "accuracy",
            "--format",
            "json",
            "--top",
            "3",
        ])
        .output()
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 3);
    let refused = sb.sweep(&["leaderboard", "b"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "no manifest and no --by");
    let wrong = sb
        .sweep(&["leaderboard", "a", "--by", "rmse"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("accuracy, balanced_accuracy"));
}

#[test]
fn leaderboard_can_be_rebuilt_from_trials_csv() {
    let sb = Sandbox::new();
    let config = repo().join("configs/quickstart.yaml");
    sb.run_ok(&config, "out", &[]);
    let before = std::fs::read_to_string(sb.path("out/leaderboard.csv")).unwrap();
    std::fs::remove_file(sb.path("out/leaderboard.csv")).unwrap();
    sb.sweep(&["leaderboard", "out"]).assert().success();
    assert_eq!(
        std::fs::read_to_string(sb.path("out/leaderboard.csv")).unwrap(),
        before
    );
}

#[test]
fn expand_lists_trials_without_training() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    sb.sweep(&["expand", config.to_str().unwrap()])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("breast-cancer-grid: 57 trials").and(
                predicate::str::contains("svm+standard_scaler(c=100.0,gamma=1.0,kernel=rbf)"),
            ),
        );
    assert!(!sb.path("results").exists());
}

#[test]
fn models_lists_every_family_with_parameters() {
    Sandbox::new().sweep(&["models"]).assert().success().stdout(
        predicate::str::contains("random_forest")
            .and(predicate::str::contains("max_features"))
            .and(predicate::str::contains("number > 0")),
    );
}
