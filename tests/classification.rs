//! Classification done right, through the binary: logistic regression reaches scikit-learn's
//! optimum on the 9-class table, a solver stopped at its limit says so, class weights and every
//! score metric run on both backends with the same numbers, and each run carries its baseline.

mod common;
use common::*;

/// scikit-learn's training log-loss of `LogisticRegression(C=10, tol=1e-12)` behind the default
/// preprocessing (the yes/no column a standardised 0/1 number) on all of data/classes9.csv, printed
/// by bench/logistic_reference.py.
const SKLEARN_OPTIMUM_LOG_LOSS: f64 = 1.1947485530666;

fn classes9_sweep(sb: &Sandbox, params: &str) -> std::path::PathBuf {
    sb.write(
        "sweep.yaml",
        &format!(
            "name: nine\ndata: {{path: {}, target: category}}\ncv: {{folds: 3}}\nmodels:\n  \
             - model: logistic_regression\n    params: {params}\n",
            data("classes9.csv")
        ),
    )
}

/// Mean negative log-probability of each row's class, from `sweep predict --proba` output.
fn log_loss(predictions: &str, truth: &[String]) -> f64 {
    let mut reader = csv::Reader::from_reader(predictions.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let mut total = 0.0;
    for (row, class) in reader.records().zip(truth) {
        let row = row.unwrap();
        let column = header
            .iter()
            .position(|h| *h == format!("proba_{class}"))
            .unwrap();
        total -= row[column].parse::<f64>().unwrap().ln();
    }
    total / truth.len() as f64
}

#[test]
fn multinomial_logistic_regression_reaches_scikit_learns_optimum() {
    let sb = Sandbox::new();
    let config = classes9_sweep(&sb, "{alpha: 0.1, tol: 1.0e-10, max_iterations: 10000}");
    for backend in ["threads", "processes"] {
        let trials = sb.run_ok(&config, backend, &["--backend", backend]);
        let (key, _) = trials.rows.iter().next().unwrap();
        assert_eq!(
            trials.get(key, "error"),
            "",
            "{backend}: converged without a warning"
        );
        let model = sb.path(backend).join("models");
        let folder = std::fs::read_dir(&model)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let predicted = sb.stdout_ok(&[
            "predict",
            folder.to_str().unwrap(),
            &data("classes9.csv"),
            "--proba",
        ]);
        let truth = column_of(&data("classes9.csv"), "category");
        let loss = log_loss(&predicted, &truth);
        assert!(
            (loss - SKLEARN_OPTIMUM_LOG_LOSS).abs() < 1e-7,
            "{backend}: training log-loss {loss} against scikit-learn's {SKLEARN_OPTIMUM_LOG_LOSS}"
        );
    }
}

#[test]
fn a_solver_stopped_at_its_limit_is_noted_on_the_trial() {
    let sb = Sandbox::new();
    let config = classes9_sweep(&sb, "{alpha: 0.1, max_iterations: 3}");
    let trials = sb.run_ok(&config, "out", &[]);
    let (key, _) = trials.rows.iter().next().unwrap();
    assert_eq!(trials.get(key, "status"), "ok");
    let note = trials.get(key, "error");
    assert!(
        note.starts_with("warning: logistic_regression stopped at max_iterations = 3"),
        "{note}"
    );
}

const METRICS: [&str; 13] = [
    "accuracy",
    "balanced_accuracy",
    "f1_macro",
    "precision_macro",
    "recall_macro",
    "matthews_corrcoef",
    "roc_auc",
    "average_precision",
    "log_loss",
    "precision",
    "recall",
    "f1",
    "brier_score",
];

#[test]
fn class_weights_and_every_metric_give_the_same_numbers_on_both_backends() {
    let sb = Sandbox::new();
    let config = sb.write(
        "sweep.yaml",
        &format!(
            "name: weighted\ndata: {{path: {}, target: target}}\nmetric: roc_auc\ncv: {{folds: 3}}\nmodels:\n  \
             - model: logistic_regression\n    params: {{class_weight: [null, balanced]}}\n  \
             - model: decision_tree\n    params: {{max_depth: [3], class_weight: [null, balanced, {{0: 4}}]}}\n  \
             - model: random_forest\n    params: {{n_estimators: [10], class_weight: [balanced]}}\n  \
             - model: svm\n    params: {{class_weight: [null, balanced]}}\n  \
             - model: gaussian_nb\n",
            data("breast_cancer.csv")
        ),
    );
    let threads = sb.run_ok(&config, "threads", &["--backend", "threads"]);
    let processes = sb.run_ok(&config, "processes", &["--backend", "processes"]);
    assert_eq!(threads.results(), processes.results());
    assert_eq!(threads.rows.len(), 9);
    for key in threads.rows.keys() {
        assert_eq!(threads.get(key, "status"), "ok", "{key}");
        for metric in METRICS {
            let cell = threads.get(key, &format!("mean_test_{metric}"));
            let given =
                !(key.starts_with("svm") && (metric == "log_loss" || metric == "brier_score"));
            assert_eq!(!cell.is_empty(), given, "{key} {metric}: `{cell}`");
        }
        // A metric the family cannot give (svm: no probabilities) is no fold's fault.
        let note = threads.get(key, "error");
        assert!(!note.contains("one class only"), "{key}: {note}");
    }
    // Weights change the model: a balanced tree is not the unweighted one.
    let tree = |w: &str| {
        threads.get(
            &format!("decision_tree(class_weight={w},max_depth=3)"),
            "mean_test_balanced_accuracy",
        )
    };
    assert_ne!(tree("null"), tree("balanced"));
    assert_ne!(tree("balanced"), tree("0:4"));
    // The baseline: last row of the leaderboard, unranked, a coin toss by roc_auc.
    let board = std::fs::read_to_string(sb.path("threads/leaderboard.csv")).unwrap();
    let last = board.lines().last().unwrap();
    assert!(
        last.starts_with(",,baseline,baseline,baseline,always predicts `1` (62.7% of the rows),{}"),
        "{last}"
    );
    let baseline = Trials::read(&sb.path("threads/leaderboard.csv"));
    assert_eq!(baseline.get("baseline", "mean_test_roc_auc"), "0.5");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path("threads/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["data"]["positive_class"], "0");
    assert_eq!(
        manifest["baseline"]["class_balance"],
        serde_json::json!([["0", 212], ["1", 357]])
    );
}

#[test]
fn a_sweep_that_does_not_beat_the_baseline_says_so() {
    let sb = Sandbox::new();
    // Noise features only: nothing can be learned.
    let mut rows = String::from("a,b,y\n");
    for i in 0..200u64 {
        let noise =
            |k: u64| (i.wrapping_mul(2654435761).wrapping_add(k * 97) % 1000) as f64 / 1000.0;
        rows.push_str(&format!(
            "{},{},{}\n",
            noise(1),
            noise(2),
            if i % 10 == 0 { "rare" } else { "common" }
        ));
    }
    sb.write("noise.csv", &rows);
    let config = sb.write(
        "sweep.yaml",
        "name: noise\ndata: {path: noise.csv, target: y}\nmodels:\n  - model: decision_tree\n    params: {max_depth: [1]}\n",
    );
    let out = sb
        .sweep(&["run", config.to_str().unwrap(), "--out", "out"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("baseline: always predicts `common` (90.0% of the rows)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("does not clearly beat the baseline (0.9000)"),
        "{stdout}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("class `common` is 90.0% of the rows"),
        "{stderr}"
    );
}

/// A fold whose rows hold one class leaves roc_auc undefined: an empty cell, never a crash or a 0,
/// and the trial says why.
#[test]
fn a_fold_that_leaves_a_metric_undefined_gives_an_empty_cell_and_a_warning() {
    let sb = Sandbox::new();
    // Unshuffled folds take every other row, so each fold's rows are one class.
    let mut rows = String::from("a,y\n");
    for i in 0..12 {
        rows.push_str(&format!("{i},{}\n", if i % 2 == 0 { "no" } else { "yes" }));
    }
    sb.write("sorted.csv", &rows);
    let config = sb.write(
        "sweep.yaml",
        "name: sorted\ndata: {path: sorted.csv, target: y}\ncv: {folds: 2, stratified: false, shuffle: false}\n\
         refit: none\nmodels:\n  - model: gaussian_nb\n",
    );
    let trials = sb.run_ok(&config, "out", &[]);
    let key = "gaussian_nb()";
    assert_eq!(trials.get(key, "status"), "ok");
    assert_eq!(trials.get(key, "mean_test_roc_auc"), "");
    assert_eq!(trials.get(key, "mean_test_accuracy"), "0");
    let note = trials.get(key, "error");
    assert!(
        note.contains("roc_auc is undefined on fold 1 (its rows hold one class only)"),
        "{note}"
    );
}

#[test]
fn out_of_fold_predictions_are_the_ones_each_fold_was_scored_by() {
    let sb = Sandbox::new();
    // A chain of C values: the best trial's fold solutions start from the ones below, which a
    // refit from zero would not reproduce bit for bit.
    let config = sb.write(
        "sweep.yaml",
        &format!(
            "name: oof\ndata: {{path: {}, target: target}}\ncv: {{folds: 3}}\nmodels:\n  \
             - model: svm\n    params: {{c: [0.3, 3, 30], gamma: [0.01, 0.3]}}\n",
            data("breast_cancer.csv")
        ),
    );
    let trials = sb.run_ok(&config, "out", &[]);
    let board = Trials::read_board(&sb.path("out/leaderboard.csv"));
    let best = board
        .rows
        .keys()
        .find(|k| board.get(k, "rank_test_accuracy") == "1")
        .unwrap()
        .clone();
    let oof = sb
        .path("out/models")
        .read_dir()
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let oof = oof.join("out_of_fold.csv");
    let oof = oof.to_str().unwrap();
    let (folds, truth, predicted) = (
        column_of(oof, "fold"),
        column_of(oof, "target"),
        column_of(oof, "prediction"),
    );
    for k in 0..3 {
        let rows: Vec<usize> = (0..folds.len())
            .filter(|&r| folds[r] == k.to_string())
            .collect();
        let right = rows.iter().filter(|&&r| truth[r] == predicted[r]).count();
        let scored: f64 = trials
            .get(&best, &format!("split{k}_test_accuracy"))
            .parse()
            .unwrap();
        assert_eq!(right as f64 / rows.len() as f64, scored, "{best} fold {k}");
    }
}
