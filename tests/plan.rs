//! The checked plan as a newcomer meets it: the dry run refuses what `run` refuses, messages name
//! the file and what is valid, trials.csv and the manifest carry what cv_results_ users reach for.

mod common;
use common::*;
use predicates::prelude::*;

fn iris_sweep(extra: &str, models: &str) -> String {
    format!(
        "name: t\ndata: {{path: {}, target: target}}\n{extra}models:\n{models}",
        data("iris.csv")
    )
}

fn expand_refuses(sb: &Sandbox, yaml: &str, fragments: &[&str]) {
    let config = sb.write("sweep.yaml", yaml);
    let mut assert = sb
        .sweep(&["expand", config.to_str().unwrap()])
        .assert()
        .code(2);
    for f in fragments {
        assert = assert.stderr(predicate::str::contains(*f));
    }
}

#[test]
fn expand_is_a_dry_run_that_refuses_what_run_refuses() {
    let sb = Sandbox::new();
    expand_refuses(
        &sb,
        "name: t\ndata: {path: missing.csv, target: target}\nmodels:\n  - model: svm\n",
        &["missing.csv", "cannot read data file"],
    );
    expand_refuses(
        &sb,
        &iris_sweep("metric: rmse\n", "  - model: svm\n")
            .replace("target: target}", "target: target, task: classification}"),
        &["sweep.yaml:3:9", "metric `rmse` is for regression"],
    );
    expand_refuses(
        &sb,
        &iris_sweep("cv: {folds: 60}\n", "  - model: svm\n"),
        &["sweep.yaml:3:13", "class `0` has only 50 rows"],
    );
}

#[test]
fn unknown_metric_names_the_file_and_the_valid_metrics() {
    let sb = Sandbox::new();
    expand_refuses(
        &sb,
        &iris_sweep("metric: roc_aux\n", "  - model: svm\n"),
        &[
            "sweep.yaml:3:9",
            "unknown metric `roc_aux`",
            "balanced_accuracy",
            "(all metrics: roc_auc",
        ],
    );
    let config = sb.write(
        "sweep.yaml",
        &iris_sweep("metric: roc_aux\n", "  - model: svm\n"),
    );
    sb.sweep(&["run", config.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<input>").not());
}

#[test]
fn a_misspelled_feature_is_named_with_the_closest_columns() {
    let sb = Sandbox::new();
    let yaml = format!(
        "name: t\ndata: {{path: {}, target: target, features: [sepal_lenght]}}\nmodels:\n  - model: svm\n",
        data("iris.csv")
    );
    expand_refuses(
        &sb,
        &yaml,
        &[
            "no column `sepal_lenght` (named in `features`)",
            "closest first: sepal_length",
        ],
    );
}

#[test]
fn trials_is_the_total_budget_and_expand_says_so() {
    let sb = Sandbox::new();
    let models = "  - model: svm\n    params: {c: {log_uniform: [0.1, 10]}}\n  - model: logistic_regression\n    params: {alpha: {log_uniform: [0.001, 1]}}\n";
    let config = sb.write(
        "sweep.yaml",
        &iris_sweep("search: {strategy: random, trials: 7}\n", models),
    );
    sb.sweep(&["expand", config.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("t: 7 trials"))
        .stdout(predicate::str::contains(
            "random search: 7 trials in total (search.trials), spread over 2 models",
        ))
        .stdout(predicate::str::is_match(r"svm\s+4\n\s+logistic_regression\s+3").unwrap());
    let per_model = sb.write(
        "per.yaml",
        &iris_sweep("search: {strategy: random, trials_per_model: 3}\n", models),
    );
    sb.sweep(&["expand", per_model.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("t: 6 trials"))
        .stdout(predicate::str::contains("3 trials per model"));
}

#[test]
fn trials_csv_has_params_json_time_spreads_and_none_for_null() {
    let sb = Sandbox::new();
    let config = sb.write(
        "sweep.yaml",
        &iris_sweep(
            "",
            "  - model: decision_tree\n    params: {max_depth: [2, null]}\n  - model: gaussian_nb\n",
        ),
    );
    let trials = sb.run_ok(&config, "out", &[]);
    for column in ["params", "std_fit_time", "std_score_time"] {
        assert!(trials.header.iter().any(|h| h == column), "no {column}");
    }
    let unlimited = "decision_tree(max_depth=null)";
    assert_eq!(trials.get(unlimited, "param_max_depth"), "None");
    assert_eq!(trials.get("gaussian_nb()", "param_max_depth"), "");
    assert_eq!(trials.get(unlimited, "params"), r#"{"max_depth":null}"#);
    assert_eq!(
        trials.get("decision_tree(max_depth=2)", "params"),
        r#"{"max_depth":2}"#
    );
    let spread: f64 = trials.get(unlimited, "std_fit_time").parse().unwrap();
    assert!(spread >= 0.0 && spread.is_finite());
}

#[test]
fn the_manifest_is_typed_versioned_and_records_plain_values_and_versions() {
    let sb = Sandbox::new();
    let config = sb.write(
        "sweep.yaml",
        &iris_sweep(
            "",
            "  - model: decision_tree\n    params: {max_depth: [2, null], criterion: gini}\n",
        ),
    );
    sb.run_ok(&config, "out", &[]);
    let text = std::fs::read_to_string(sb.path("out/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest["format_version"], 1);
    assert_eq!(manifest["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(manifest["tool"]["build_revision"].is_string(), "{text}");
    let params = &manifest["sweep"]["models"][0]["params"];
    assert_eq!(params["max_depth"], serde_json::json!([2, null]));
    assert_eq!(params["criterion"], "gini");
    assert!(
        !text.contains("\"Float\"") && !text.contains("\"Null\""),
        "{text}"
    );
}

#[test]
fn a_newer_manifest_is_refused() {
    let sb = Sandbox::new();
    let config = sb.write("sweep.yaml", &iris_sweep("", "  - model: gaussian_nb\n"));
    sb.run_ok(&config, "out", &[]);
    let path = sb.path("out/manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("\"format_version\": 1", "\"format_version\": 99"),
    )
    .unwrap();
    sb.sweep(&["leaderboard", "out"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("format_version 99"));
}

#[test]
fn rerun_of_a_manifest_naming_an_unknown_model_is_refused_with_its_place() {
    let sb = Sandbox::new();
    let config = sb.write("sweep.yaml", &iris_sweep("", "  - model: gaussian_nb\n"));
    sb.run_ok(&config, "out", &[]);
    let path = sb.path("out/manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\"gaussian_nb\"", "\"gaussian_bn\"")).unwrap();
    sb.sweep(&["rerun", "out", "--out", "again", "--quiet"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("manifest.json:"))
        .stderr(predicate::str::contains("unknown model `gaussian_bn`"))
        .stderr(predicate::str::contains("gaussian_nb"));
    assert!(!sb.path("again").exists(), "nothing ran");
}

#[test]
fn help_describes_every_argument_and_bench_takes_no_backend_flags() {
    let sb = Sandbox::new();
    for command in ["run", "expand", "resume", "rerun", "bench", "leaderboard"] {
        let output = sb.sweep(&[command, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        let arguments = help
            .split("Arguments:")
            .nth(1)
            .and_then(|a| a.split("Options:").next())
            .unwrap_or_else(|| panic!("{command} --help has no arguments:\n{help}"));
        for line in arguments.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                line.split_whitespace().count() > 1,
                "{command}: argument without a description: {line}"
            );
        }
        if help.contains("--quiet") {
            assert!(
                help.lines()
                    .any(|l| l.contains("--quiet") && l.split_whitespace().count() > 2),
                "{command}: -q without a description"
            );
        }
    }
    let output = sb.sweep(&["bench", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in ["--backend", "--jobs", "--timeout"] {
        assert!(!help.contains(flag), "bench lists {flag}");
    }
}

#[test]
fn accuracy_on_a_target_with_a_dominant_class_is_warned_about_up_front() {
    let sb = Sandbox::new();
    // 85 rows of class `good`, 15 of `bad`.
    let rows: String = (0..100)
        .map(|r| format!("{},{}\n", r % 9, if r % 20 < 17 { "good" } else { "bad" }))
        .collect();
    let table = sb.write("loans.csv", &format!("x,y\n{rows}"));
    let sweep = |metric: &str| {
        format!(
            "name: t\ndata: {{path: {}, target: y}}\n{metric}models:\n  - model: gaussian_nb\n",
            table.display()
        )
    };
    let warned =
        "class `good` is 85.0% of the rows: a model that always predicts it scores accuracy 0.850";
    for metric in ["", "metric: accuracy\n"] {
        let config = sb.write("sweep.yaml", &sweep(metric));
        sb.sweep(&["expand", config.to_str().unwrap()])
            .assert()
            .success()
            .stderr(predicate::str::contains(warned))
            .stderr(predicate::str::contains("metric: balanced_accuracy"));
    }
    let config = sb.write("sweep.yaml", &sweep("metric: balanced_accuracy\n"));
    sb.sweep(&["expand", config.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("% of the rows").not());
}

/// A ranking metric the listed families cannot all give, a binary metric on three classes, and
/// class weights or a positive class naming no class are refused before anything runs.
#[test]
fn metrics_and_class_weights_are_checked_against_the_models_and_the_target() {
    let sb = Sandbox::new();
    expand_refuses(
        &sb,
        &iris_sweep("metric: log_loss\n", "  - model: gaussian_nb\n  - model: svm\n"),
        &[
            "sweep.yaml:6:12",
            "metric `log_loss` needs class probabilities, and `svm` gives labels and decision values",
            "roc_auc",
        ],
    );
    expand_refuses(
        &sb,
        &iris_sweep("metric: f1\n", "  - model: svm\n"),
        &[
            "metric `f1` scores one positive class",
            "has 3 classes",
            "f1_macro",
        ],
    );
    expand_refuses(
        &sb,
        &iris_sweep(
            "",
            "  - model: decision_tree\n    params: {class_weight: [balanced, {0: 2, rose: 3}]}\n",
        ),
        &["class_weight names `rose`", "its classes are `0`, `1`, `2`"],
    );
    let binary = format!(
        "name: t\ndata: {{path: {}, target: target, pos_label: maybe}}\nmodels:\n  - model: svm\n",
        data("breast_cancer.csv")
    );
    expand_refuses(
        &sb,
        &binary,
        &["data.pos_label `maybe` is not a class of `target`"],
    );
    let iris_positive = format!(
        "name: t\ndata: {{path: {}, target: target, pos_label: 0}}\nmodels:\n  - model: svm\n",
        data("iris.csv")
    );
    expand_refuses(&sb, &iris_positive, &["has 3 classes"]);
}

/// `expand` names the positive class: the minority by default, or `data.pos_label`.
#[test]
fn the_positive_class_is_said_by_expand() {
    let sb = Sandbox::new();
    for (extra, said) in [
        ("", "positive class `0` for precision"),
        (", pos_label: 1", "positive class `1` for precision"),
    ] {
        let yaml = format!(
            "name: t\ndata: {{path: {}, target: target{extra}}}\nmetric: roc_auc\nmodels:\n  - model: svm\n",
            data("breast_cancer.csv")
        );
        let config = sb.write("sweep.yaml", &yaml);
        sb.sweep(&["expand", config.to_str().unwrap()])
            .assert()
            .success()
            .stdout(predicate::str::contains(said));
    }
}
