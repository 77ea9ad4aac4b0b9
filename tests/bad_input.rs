//! Every kind of bad input exits with status 2 and a message naming the file, the place and what is valid.

mod common;
use common::*;
use predicates::prelude::*;

fn iris_header() -> &'static str {
    "sepal_length,sepal_width,petal_length,petal_width,target\n"
}

/// Runs `sweep run` on a sweep file and asserts exit 2 with every fragment in stderr, and no results
/// folder; `sweep expand`, the dry run, must refuse it the same way.
fn refused(sb: &Sandbox, yaml: &str, fragments: &[&str]) {
    let config = sb.write("sweep.yaml", yaml);
    let mut dry = sb
        .sweep(&["expand", config.to_str().unwrap()])
        .assert()
        .code(2);
    for f in fragments {
        dry = dry.stderr(predicate::str::contains(*f));
    }
    let mut assert = sb
        .sweep(&["run", config.to_str().unwrap(), "--out", "out"])
        .assert()
        .code(2);
    for f in fragments {
        assert = assert.stderr(predicate::str::contains(*f));
    }
    assert.stderr(predicate::str::contains("panicked").not());
    assert!(
        !sb.path("out/trials.csv").exists(),
        "a refused sweep leaves no partial results"
    );
}

fn iris_sweep(models: &str) -> String {
    format!(
        "name: t\ndata: {{path: {}, target: target}}\nmodels:\n{models}",
        data("iris.csv")
    )
}

#[test]
fn malformed_yaml_names_line_and_column() {
    let sb = Sandbox::new();
    refused(
        &sb,
        "name: t\nmodels:\n  - model: svm\n   params: {c: 1}\n",
        &["sweep.yaml", "line 4 column 4"],
    );
}

#[test]
fn empty_sweep_file() {
    let sb = Sandbox::new();
    refused(&sb, "", &["sweep.yaml", "empty"]);
}

#[test]
fn unknown_key_suggests_the_nearest_valid_one() {
    let sb = Sandbox::new();
    refused(
        &sb,
        &format!(
            "{}metirc: accuracy\n",
            iris_sweep("  - model: gaussian_nb\n")
        ),
        &["sweep.yaml", "metirc", "did you mean `metric`"],
    );
}

#[test]
fn wrong_type_is_located() {
    let sb = Sandbox::new();
    let yaml = iris_sweep("  - model: gaussian_nb\n").replace("name: t\n", "name: t\nseed: many\n");
    refused(&sb, &yaml, &["sweep.yaml", "line 2", "seed"]);
}

#[test]
fn unknown_model_lists_closest_first() {
    let sb = Sandbox::new();
    refused(
        &sb,
        &iris_sweep("  - model: svn\n"),
        &["sweep.yaml:4:", "unknown model `svn`", "valid models: svm"],
    );
}

#[test]
fn unknown_parameter_lists_valid_ones() {
    let sb = Sandbox::new();
    refused(
        &sb,
        &iris_sweep("  - model: decision_tree\n    params: {depth: 3}\n"),
        &["no parameter `depth`", "valid parameters: max_depth"],
    );
}

#[test]
fn impossible_parameter_value() {
    let sb = Sandbox::new();
    refused(
        &sb,
        &iris_sweep("  - model: svm\n    params:\n      c: [1, -1]\n"),
        &[
            "sweep.yaml:6:",
            "invalid value `-1` for parameter `c`",
            "number > 0",
        ],
    );
}

#[test]
fn continuous_distribution_in_grid_search() {
    let sb = Sandbox::new();
    refused(
        &sb,
        &iris_sweep("  - model: svm\n    params: {c: {uniform: [0.1, 10]}}\n"),
        &["grid search", "list the values", "strategy: random"],
    );
}

#[test]
fn missing_target_column() {
    let sb = Sandbox::new();
    let yaml = iris_sweep("  - model: gaussian_nb\n").replace("target: target", "target: species");
    refused(&sb, &yaml, &["iris.csv", "no column `species`", "target"]);
}

/// Writes `csv` as d.csv and refuses a gaussian_nb sweep on it (with `extra` sweep keys).
fn refused_data(csv: &str, extra: &str, fragments: &[&str]) {
    let sb = Sandbox::new();
    let csv = sb.write("d.csv", csv);
    let yaml = format!(
        "name: t\ndata: {{path: {}, target: target}}\n{extra}models: [{{model: gaussian_nb}}]\n",
        csv.display()
    );
    refused(&sb, &yaml, fragments);
}

#[test]
fn a_text_cell_in_a_column_declared_numeric_names_row_and_column() {
    let csv = format!("{}5.1,3.5,1.4,0.2,0\n4.9,abc,1.4,0.2,1\n", iris_header());
    let sb = Sandbox::new();
    let path = sb.write("d.csv", &csv);
    let yaml = format!(
        "name: t\ndata: {{path: {}, target: target, columns: {{sepal_width: number}}}}\nmodels: [{{model: gaussian_nb}}]\n",
        path.display()
    );
    refused(
        &sb,
        &yaml,
        &[
            "d.csv",
            "line 3",
            "`sepal_width`",
            "`abc` is not a finite number",
        ],
    );
}

#[test]
fn an_unknown_column_kind_lists_the_valid_ones() {
    let yaml = iris_sweep("  - model: gaussian_nb\n").replace(
        "target: target}",
        "target: target, columns: {sepal_width: text}}",
    );
    refused(
        &Sandbox::new(),
        &yaml,
        &[
            "sweep.yaml:2:",
            "unknown kind `text`",
            "category, number, date, drop, id",
        ],
    );
}

#[test]
fn empty_csv() {
    refused_data("", "", &["d.csv", "empty"]);
}

#[test]
fn header_only_csv() {
    refused_data(iris_header(), "", &["d.csv", "no data rows"]);
}

#[test]
fn single_class_target() {
    let rows: String = (0..10).map(|i| format!("{i},1,1,1,0\n")).collect();
    refused_data(
        &format!("{}{rows}", iris_header()),
        "",
        &["d.csv", "single class"],
    );
}

#[test]
fn more_folds_than_rows_of_a_class() {
    let rows: String = (0..10)
        .map(|i| format!("{i},1,1,1,{}\n", usize::from(i < 3)))
        .collect();
    refused_data(
        &format!("{}{rows}", iris_header()),
        "cv: {folds: 5}\n",
        &["sweep.yaml", "class `1` has only 3 rows", "lower `folds`"],
    );
}

#[test]
fn metric_of_the_wrong_task() {
    let sb = Sandbox::new();
    refused(
        &sb,
        &format!(
            "{}metric: rmse\n",
            iris_sweep("  - model: gaussian_nb\n")
                .replace("target: target}", "target: target, task: classification}")
        ),
        &[
            "sweep.yaml:5:9",
            "metric `rmse` is for regression",
            "accuracy",
        ],
    );
}

#[test]
fn model_that_cannot_do_the_task() {
    let sb = Sandbox::new();
    refused(
        &sb,
        &iris_sweep("  - model: linear_regression\n"),
        &["linear_regression", "does not support classification"],
    );
}

#[test]
fn timeout_on_the_thread_backend_points_to_processes() {
    let sb = Sandbox::new();
    let config = sb.write("sweep.yaml", &iris_sweep("  - model: gaussian_nb\n"));
    sb.sweep(&["run", config.to_str().unwrap(), "--timeout", "10s"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--backend processes"));
}

#[test]
fn missing_sweep_file() {
    Sandbox::new()
        .sweep(&["run", "nope.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope.yaml").and(predicate::str::contains("cannot read")));
}

#[test]
fn every_mistake_the_sweep_file_has_before_the_data_is_read_is_reported_at_once() {
    let sb = Sandbox::new();
    let yaml = format!(
        "name: t\ndata: {{path: {}, target: target}}\nsearch: {{time_budget: 5 parsecs}}\nmodels:\n  \
         - model: random_forrest\n  - model: svm\n    params:\n      c: [1, -2]\n      gama: 0.1\n  \
         - model: decision_tree\n    params: {{max_depth: [3, x]}}\n",
        data("iris.csv")
    );
    refused(
        &sb,
        &yaml,
        &[
            "5 problems:",
            "sweep.yaml:3:23: search.time_budget",
            "sweep.yaml:5:12: unknown model `random_forrest`",
            "sweep.yaml:8:10: svm: invalid value `-2` for parameter `c`",
            "sweep.yaml:9:13: model `svm` has no parameter `gama`",
            "sweep.yaml:11:25: decision_tree: invalid value `x`",
        ],
    );
}
