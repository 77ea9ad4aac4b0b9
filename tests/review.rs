//! The small things a careful reviewer trips over: leaderboards by test score and across tables,
//! messages that give the advice that applies, `None` copied back from trials.csv, readable keys
//! from continuous draws, and counts in the right number.

mod common;
use common::*;

fn run(sb: &Sandbox, name: &str, body: &str) -> std::path::PathBuf {
    let config = sb.write(&format!("{name}.yaml"), &format!("name: {name}\n{body}"));
    sb.run_ok(&config, name, &[]);
    sb.path(name)
}

fn failure(sb: &Sandbox, args: &[&str]) -> (String, String) {
    let out = sb.sweep(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn leaderboards_rank_by_test_scores_refuse_a_missing_metric_before_writing_and_warn_across_tables()
{
    let sb = Sandbox::new();
    let iris = run(
        &sb,
        "iris",
        &format!(
            "data: {{path: {}, target: target}}\ncv: {{folds: 3, test_fraction: 0.3}}\nrefit: per_model\n\
             models:\n  - model: decision_tree\n  - model: gaussian_nb\n",
            data("iris.csv")
        ),
    );
    let wine = run(
        &sb,
        "wine",
        &format!(
            "data: {{path: {}, target: target}}\ncv: {{folds: 3}}\nmodels:\n  - model: gaussian_nb\n",
            data("wine.csv")
        ),
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(iris.join("manifest.json")).unwrap())
            .unwrap();
    let mut tested: Vec<(f64, String)> = manifest["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["test"]["test_accuracy"].as_f64().unwrap(),
                m["key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    tested.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let table = sb.stdout_ok(&[
        "leaderboard",
        iris.to_str().unwrap(),
        "--by",
        "test_accuracy",
    ]);
    let listed: Vec<&str> = table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert_eq!(
        listed[..2],
        [tested[0].1.as_str(), tested[1].1.as_str()],
        "{table}"
    );
    assert!(table.contains("ranked by test_accuracy"), "{table}");
    assert!(table.contains(&format!("{:.4}", tested[0].0)), "{table}");

    // A metric the run lacks is refused before leaderboard.csv is rebuilt.
    let before = std::fs::metadata(wine.join("leaderboard.csv"))
        .unwrap()
        .modified()
        .unwrap();
    let (_, said) = failure(&sb, &["leaderboard", wine.to_str().unwrap(), "--by", "r2"]);
    assert!(!said.contains("rebuilt"), "{said}");
    assert_eq!(
        std::fs::metadata(wine.join("leaderboard.csv"))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
    let (_, said) = failure(
        &sb,
        &[
            "leaderboard",
            wine.to_str().unwrap(),
            "--by",
            "test_accuracy",
        ],
    );
    assert!(
        said.contains("no refitted model has a test_accuracy score"),
        "{said}"
    );

    let out = sb
        .sweep(&[
            "leaderboard",
            iris.to_str().unwrap(),
            wine.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("these runs used different data"), "{said}");
}

#[test]
fn messages_give_the_advice_that_applies() {
    let sb = Sandbox::new();
    let diabetes = run(
        &sb,
        "diabetes",
        &format!(
            "data: {{path: {}, target: target}}\ncv: {{folds: 3}}\nmodels:\n  - model: linear_regression\n",
            data("diabetes.csv")
        ),
    );
    let model = diabetes.join("models/linear_regression");
    let (_, said) = failure(
        &sb,
        &[
            "predict",
            model.to_str().unwrap(),
            &data("diabetes.csv"),
            "--proba",
        ],
    );
    assert!(
        said.contains("this is a regression model") && !said.contains("refit one of"),
        "{said}"
    );

    // One text cell in a numeric column at predict time: the column's kind is the model's.
    let header = std::fs::read_to_string(data("diabetes.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let first = header.split(',').next().unwrap().to_string();
    let width = header.split(',').count();
    let row = |cell: &str| {
        std::iter::once(cell.to_string())
            .chain((1..width).map(|_| "0.01".to_string()))
            .collect::<Vec<_>>()
            .join(",")
    };
    let table = sb.write(
        "new.csv",
        &format!("{header}\n{}\n{}\n", row("0.02"), row("n/k")),
    );
    let (_, said) = failure(
        &sb,
        &["predict", model.to_str().unwrap(), table.to_str().unwrap()],
    );
    assert!(
        said.contains(&format!(
            "line 3, column `{first}`: `n/k` is not a finite number"
        )),
        "{said}"
    );
    assert!(
        said.contains("correct the cell") && !said.contains("columns:"),
        "{said}"
    );

    let config = sb.write(
        "nomodels.yaml",
        &format!(
            "name: t\ndata: {{path: {}, target: target}}\n",
            data("iris.csv")
        ),
    );
    let (_, said) = failure(&sb, &["expand", config.to_str().unwrap()]);
    assert!(
        said.contains("there is no `models:` list") && said.contains("  - model: random_forest"),
        "{said}"
    );
}

#[test]
fn none_as_trials_csv_writes_it_reads_back_as_null_and_draws_have_readable_keys() {
    let sb = Sandbox::new();
    let config = sb.write(
        "none.yaml",
        &format!(
            "name: t\ndata: {{path: {}, target: target}}\nmodels:\n  - model: decision_tree\n    params: {{max_depth: [2, None]}}\n",
            data("iris.csv")
        ),
    );
    let listing = sb.stdout_ok(&["expand", config.to_str().unwrap()]);
    assert!(
        listing.contains("decision_tree(max_depth=null)"),
        "{listing}"
    );
    assert!(
        listing.starts_with("t: 2 trials, 5 folds each, 150 rows of"),
        "{listing}"
    );

    let config = sb.write(
        "random.yaml",
        &format!(
            "name: r\nseed: 3\ndata: {{path: {}, target: target}}\nsearch: {{strategy: random, trials: 1}}\n\
             models:\n  - model: logistic_regression\n    params: {{alpha: {{log_uniform: [0.0001, 10]}}}}\n",
            data("iris.csv")
        ),
    );
    let listing = sb.stdout_ok(&["expand", config.to_str().unwrap()]);
    assert!(listing.starts_with("r: 1 trial, 5 folds each"), "{listing}");
    let alpha = listing
        .split("alpha=")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap();
    let digits = alpha
        .split('e')
        .next()
        .unwrap()
        .trim_start_matches("0.")
        .trim_start_matches('0')
        .replace('.', "");
    assert!(
        digits.len() <= 6,
        "alpha={alpha}: at most six significant digits"
    );
}
