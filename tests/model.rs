//! From sweep to model: refitted models saved by one process (a worker) and loaded by another
//! (`sweep predict`) predict bit for bit what the refit predicted in memory, for every family and both
//! tasks; predict refuses what it cannot apply; resume refits only what is missing.

mod common;

use common::{column_of, data, Sandbox};
use std::path::{Path, PathBuf};

/// A table with every column kind and gaps: numbers (some missing), a category (a level in the test
/// half that training never saw), a boolean and a date; the class follows the numbers and category.
fn mixed_table(rows: usize, offset: usize, unseen: bool) -> String {
    let mut text = String::from("x1,x2,colour,member,day,label\n");
    for i in offset..offset + rows {
        let x1 = (i * 37 % 101) as f64 / 10.0;
        let x2 = (i * 53 % 89) as f64 / 7.0;
        let colour = match i % 4 {
            0 => "red",
            1 => "green",
            2 if unseen && i % 3 == 0 => "purple",
            2 => "blue",
            _ => "",
        };
        let label = if x1 + if colour == "red" { 3.0 } else { 0.0 } > 6.0 {
            "yes"
        } else if x2 > 8.0 {
            "maybe"
        } else {
            "no"
        };
        let x1_cell = if i % 11 == 0 {
            "NA".to_string()
        } else {
            x1.to_string()
        };
        text.push_str(&format!(
            "{x1_cell},{x2},{colour},{},2024-{:02}-{:02},{label}\n",
            if i % 2 == 0 { "yes" } else { "no" },
            i % 12 + 1,
            i % 28 + 1
        ));
    }
    text
}

/// Every model folder of a run.
fn model_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(out.join("models"))
        .expect("models folder")
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs
}

fn family_of(dir: &Path) -> String {
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap();
    card["family"].as_str().unwrap().to_string()
}

/// Runs `sweep predict` and returns its CSV output.
fn predict(sandbox: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["predict"];
    all.extend_from_slice(args);
    let output = sandbox.sweep(&all).output().unwrap();
    assert!(
        output.status.success(),
        "predict {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Checks each model folder: predict in a new process on the test file gives the refit's
/// in-memory test predictions byte for byte; probabilities sum to 1.
fn check_saved_models(sandbox: &Sandbox, out: &str, test: &Path, families: &[&str]) {
    let dirs = model_dirs(&sandbox.path(out));
    let mut seen: Vec<String> = dirs.iter().map(|d| family_of(d)).collect();
    seen.sort();
    let mut wanted: Vec<String> = families.iter().map(|f| f.to_string()).collect();
    wanted.sort();
    assert_eq!(seen, wanted, "one refitted model per family");
    for dir in &dirs {
        let family = family_of(dir);
        let written = std::fs::read_to_string(dir.join("test_predictions.csv")).unwrap();
        // `row` and the true target lead; the rest is what `sweep predict` writes.
        let path = dir.join("test_predictions.csv");
        let rows = column_of(path.to_str().unwrap(), "row");
        assert_eq!(
            rows,
            (0..rows.len()).map(|r| r.to_string()).collect::<Vec<_>>(),
            "{family}"
        );
        let in_memory: String = written
            .lines()
            .map(|l| format!("{}\n", l.splitn(3, ',').nth(2).unwrap()))
            .collect();
        let has_proba = in_memory.lines().next().unwrap().contains("proba_");
        let mut args = vec![dir.to_str().unwrap(), test.to_str().unwrap()];
        if has_proba {
            args.push("--proba");
        }
        let loaded = predict(sandbox, &args);
        assert_eq!(
            loaded, in_memory,
            "{family}: saved and loaded model differs"
        );
        // Small chunks cross many chunk boundaries and must not change a row.
        args.extend(["--chunk-rows", "7"]);
        assert_eq!(predict(sandbox, &args), in_memory, "{family}: chunked");
        if has_proba {
            for line in loaded.lines().skip(1) {
                let sum: f64 = line
                    .split(',')
                    .skip(1)
                    .map(|p| p.parse::<f64>().unwrap())
                    .sum();
                assert!((sum - 1.0).abs() < 1e-9, "{family}: row sums to {sum}");
            }
        }
    }
}

#[test]
fn saved_classifiers_predict_what_they_predicted_in_memory() {
    let sandbox = Sandbox::new();
    sandbox.write("train.csv", &mixed_table(240, 0, false));
    let test = sandbox.write("test.csv", &mixed_table(90, 1000, true));
    let config = sandbox.write(
        "s.yaml",
        "name: mixed\nseed: 4\ndata: {path: train.csv, target: label, test: test.csv}\ncv: {folds: 3}\n\
         refit: per_model\nexecution: {backend: processes, jobs: 2}\nmodels:\n\
         \x20 - model: logistic_regression\n    params: {alpha: [0.1, 1]}\n\
         \x20 - model: decision_tree\n    params: {max_depth: [3, null]}\n\
         \x20 - model: gaussian_nb\n\
         \x20 - model: svm\n    params: {c: [1, 10]}\n\
         \x20 - model: random_forest\n    params: {n_estimators: [15]}\n\
         \x20 - model: knn\n    params: {n_neighbors: [3, 9], weights: [uniform, distance]}\n",
    );
    sandbox.run_ok(&config, "out", &[]);
    check_saved_models(
        &sandbox,
        "out",
        &test,
        &[
            "decision_tree",
            "gaussian_nb",
            "knn",
            "logistic_regression",
            "random_forest",
            "svm",
        ],
    );
    let board = std::fs::read_to_string(sandbox.path("out/leaderboard.csv")).unwrap();
    let header = board.lines().next().unwrap();
    let held_out = "test_accuracy,test_balanced_accuracy,test_f1_macro,test_precision_macro,\
                    test_recall_macro,test_matthews_corrcoef,test_roc_auc,test_average_precision,\
                    test_log_loss";
    assert!(header.ends_with(held_out), "{header}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sandbox.path("out/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["test"]["rows"], 90);
    let models = manifest["models"].as_array().unwrap();
    assert_eq!(models.len(), 6);
    assert_eq!(models.iter().filter(|m| m["best"] == true).count(), 1);
    assert!(models.iter().all(|m| m["status"] == "ok"));
    let best = models.iter().find(|m| m["best"] == true).unwrap();
    assert!(
        best["test"]["test_accuracy"].as_f64().unwrap() > 0.8,
        "{best}"
    );
}

#[test]
fn saved_regressors_predict_what_they_predicted_in_memory() {
    let sandbox = Sandbox::new();
    let text = std::fs::read_to_string(data("diabetes.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (train, test): (Vec<&str>, Vec<&str>) = (
        lines[1..].iter().step_by(2).copied().collect(),
        lines[2..].iter().step_by(2).copied().collect(),
    );
    sandbox.write(
        "train.csv",
        &format!("{}\n{}\n", lines[0], train.join("\n")),
    );
    let test = sandbox.write("test.csv", &format!("{}\n{}\n", lines[0], test.join("\n")));
    let config = sandbox.write(
        "s.yaml",
        "name: reg\nseed: 2\ndata: {path: train.csv, target: target, test: test.csv}\ncv: {folds: 3}\n\
         refit: per_model\nexecution: {backend: processes, jobs: 2}\nmodels:\n\
         \x20 - model: linear_regression\n\
         \x20 - model: elastic_net\n    params: {alpha: [0.01, 0.1]}\n\
         \x20 - model: decision_tree\n    params: {max_depth: [3]}\n\
         \x20 - model: random_forest\n    params: {n_estimators: [10], max_depth: [4]}\n\
         \x20 - model: knn\n    params: {n_neighbors: [5, 15], weights: [distance]}\n\
         \x20 - model: svm\n    params: {c: [1, 10], epsilon: [0.1], gamma: [0.05]}\n",
    );
    sandbox.run_ok(&config, "out", &[]);
    check_saved_models(
        &sandbox,
        "out",
        &test,
        &[
            "decision_tree",
            "elastic_net",
            "knn",
            "svm",
            "linear_regression",
            "random_forest",
        ],
    );
}

#[test]
fn an_unlimited_tree_reproduces_its_training_labels() {
    let sandbox = Sandbox::new();
    one_model_run(&sandbox, "breast_cancer.csv", "decision_tree");
    let predicted = predict(&sandbox, &["out", &data("breast_cancer.csv")]);
    let mut reader = csv::Reader::from_path(data("breast_cancer.csv")).unwrap();
    let target = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "target")
        .unwrap();
    let labels: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[target].to_string())
        .collect();
    let predictions: Vec<&str> = predicted.lines().skip(1).collect();
    assert_eq!(predictions.len(), labels.len());
    assert_eq!(
        predictions, labels,
        "a tree grown to purity recalls every training row"
    );
}

/// Runs one model with its defaults on `table` (target `target`) into `out`; returns its model folder.
fn one_model_run(sandbox: &Sandbox, table: &str, model: &str) -> PathBuf {
    let config = sandbox.write(
        "s.yaml",
        &format!(
            "name: one\ndata: {{path: {}, target: target}}\ncv: {{folds: 3}}\nmodels:\n  - model: {model}\n",
            data(table)
        ),
    );
    sandbox.run_ok(&config, "out", &[]);
    model_dirs(&sandbox.path("out")).remove(0)
}

/// A finished run with the best model saved, for the refusal tests.
fn finished_run(sandbox: &Sandbox) -> PathBuf {
    one_model_run(sandbox, "iris.csv", "gaussian_nb")
}

fn refused(sandbox: &Sandbox, args: &[&str], says: &str) {
    let mut all = vec!["predict"];
    all.extend_from_slice(args);
    let output = sandbox.sweep(&all).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(says), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "nothing written on refusal");
}

#[test]
fn predict_refuses_a_missing_column_a_corrupt_model_and_a_newer_format() {
    let sandbox = Sandbox::new();
    let dir = finished_run(&sandbox);
    let model = dir.join("model.bin");
    let iris = std::fs::read_to_string(data("iris.csv")).unwrap();
    let without: String = iris
        .lines()
        .map(|l| l.split(',').skip(1).collect::<Vec<_>>().join(","))
        .collect::<Vec<_>>()
        .join("\n");
    let partial = sandbox.write("partial.csv", &without);
    refused(
        &sandbox,
        &["out", partial.to_str().unwrap()],
        "no column `sepal_length`",
    );
    refused(
        &sandbox,
        &["out", &data("iris.csv"), "--id", "nope"],
        "--id",
    );
    refused(
        &sandbox,
        &["out", &data("iris.csv"), "--proba", "--id", "x"],
        "--id",
    );

    let bytes = std::fs::read(&model).unwrap();
    let mut corrupt = bytes.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0x40;
    std::fs::write(&model, &corrupt).unwrap();
    refused(&sandbox, &["out", &data("iris.csv")], "corrupt");
    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&3u32.to_le_bytes());
    std::fs::write(&model, &newer).unwrap();
    refused(
        &sandbox,
        &[dir.to_str().unwrap(), &data("iris.csv")],
        "newer sweep",
    );
    std::fs::write(&model, &bytes).unwrap();
    assert!(!predict(&sandbox, &["out", &data("iris.csv")]).is_empty());
}

#[test]
fn predictions_are_a_plain_csv_in_input_order_with_ids_and_extra_columns_ignored() {
    let sandbox = Sandbox::new();
    finished_run(&sandbox);
    let iris = std::fs::read_to_string(data("iris.csv")).unwrap();
    let with_extra: String = iris
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("row_id,{l},note")
            } else {
                format!("r{i},{l},\"a, b\"")
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let input = sandbox.write("new.csv", &with_extra);
    let output = sandbox
        .sweep(&[
            "predict",
            "out",
            input.to_str().unwrap(),
            "--id",
            "row_id",
            "--proba",
            "--out",
            "p.csv",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains(", note"));
    let mut reader = csv::Reader::from_path(sandbox.path("p.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        ["row_id", "prediction", "proba_0", "proba_1", "proba_2"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), iris.lines().count() - 1);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(&row[0], format!("r{}", i + 1), "input order");
        assert_eq!(row.len(), header.len());
        for cell in row.iter().skip(2) {
            let p: f64 = cell.parse().unwrap();
            assert!((0.0..=1.0).contains(&p));
        }
    }
}

#[test]
fn resume_refits_only_the_models_that_are_missing() {
    let sandbox = Sandbox::new();
    let config = sandbox.write(
        "s.yaml",
        &format!(
            "name: two\nseed: 1\ndata: {{path: {}, target: target}}\ncv: {{folds: 3, test_fraction: 0.25}}\n\
             refit: per_model\nmodels:\n  - model: gaussian_nb\n  - model: decision_tree\n    params: {{max_depth: [2, 4]}}\n",
            data("iris.csv")
        ),
    );
    sandbox.run_ok(&config, "out", &[]);
    let dirs = model_dirs(&sandbox.path("out"));
    assert_eq!(dirs.len(), 2);
    let card = |d: &Path| std::fs::read_to_string(d.join("model.json")).unwrap();
    let before: Vec<String> = dirs.iter().map(|d| card(d)).collect();
    let kept_bin = std::fs::read(dirs[1].join("model.bin")).unwrap();
    std::fs::remove_dir_all(&dirs[0]).unwrap();
    std::fs::remove_file(dirs[1].join("model.bin")).unwrap();
    std::fs::write(dirs[1].join("model.bin"), &kept_bin).unwrap();
    let marker = std::fs::metadata(dirs[1].join("model.bin"))
        .unwrap()
        .modified()
        .unwrap();
    sandbox
        .sweep(&["resume", "out", "--quiet"])
        .assert()
        .success();
    let after: Vec<String> = dirs.iter().map(|d| card(d)).collect();
    let strip = |c: &str| {
        let mut v: serde_json::Value = serde_json::from_str(c).unwrap();
        v["refit_seconds"] = serde_json::Value::Null;
        v
    };
    assert_eq!(
        strip(&after[0]),
        strip(&before[0]),
        "the missing model is refitted the same"
    );
    assert_eq!(after[1], before[1]);
    assert_eq!(
        std::fs::metadata(dirs[1].join("model.bin"))
            .unwrap()
            .modified()
            .unwrap(),
        marker,
        "a finished model is not refitted"
    );
}

#[test]
fn held_out_rows_are_named_by_their_place_in_the_file_and_refit_on_all_learns_them() {
    let sandbox = Sandbox::new();
    // Every 10th row has no target: dataset rows and file rows differ from the first gap on.
    let mut text = String::from("x,y\n");
    for i in 0..120 {
        let y = if i % 10 == 9 {
            String::new()
        } else {
            format!("{}", i % 3)
        };
        text.push_str(&format!("{},{y}\n", i * 7 % 31));
    }
    let table = sandbox.write("t.csv", &text);
    let sweep = |refit_on: &str| {
        format!(
            "name: t\nseed: 4\ndata: {{path: {}, target: y, task: classification}}\ncv: {{folds: 3, test_fraction: 0.25}}\n\
             refit_on: {refit_on}\nmodels:\n  - model: decision_tree\n",
            table.display()
        )
    };
    let train = sandbox.write("train.yaml", &sweep("train"));
    let all = sandbox.write("all.yaml", &sweep("all"));
    sandbox.run_ok(&train, "train", &[]);
    sandbox.run_ok(&all, "all", &[]);

    let dir = model_dirs(&sandbox.path("train")).remove(0);
    let predictions = dir.join("test_predictions.csv");
    let rows: Vec<usize> = column_of(predictions.to_str().unwrap(), "row")
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
    let truth = column_of(predictions.to_str().unwrap(), "y");
    assert_eq!(rows.len(), 27, "a quarter of the 108 rows with a target");
    let file_y: Vec<String> = column_of(table.to_str().unwrap(), "y");
    for (row, y) in rows.iter().zip(&truth) {
        assert!(
            row % 10 != 9,
            "row {row} has no target and cannot be a test row"
        );
        assert_eq!(&file_y[*row], y, "row {row} names the file's row");
    }
    let manifest = |run: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(sandbox.path(run).join("manifest.json")).unwrap(),
        )
        .unwrap()
    };
    let test = &manifest("train")["test"];
    assert_eq!(test["split_seed"], 4);
    let listed: String = rows.iter().map(|r| format!("{r}\n")).collect();
    let digest = {
        use sha2::Digest;
        sha2::Sha256::digest(listed.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(test["rows_sha256"], digest.as_str());

    let card = |run: &str| -> serde_json::Value {
        let dir = model_dirs(&sandbox.path(run)).remove(0);
        serde_json::from_str(&std::fs::read_to_string(dir.join("model.json")).unwrap()).unwrap()
    };
    let (held, every) = (card("train"), card("all"));
    assert_eq!(
        (held["trained_on"].as_str(), held["training_rows"].as_u64()),
        (Some("train"), Some(81))
    );
    assert_eq!(
        (
            every["trained_on"].as_str(),
            every["training_rows"].as_u64()
        ),
        (Some("all"), Some(108))
    );
    // The test scores are the train-only fit's in both runs.
    assert_eq!(held["test"], every["test"]);
    // An unlimited tree fitted on every row reproduces the test rows' labels.
    let right_on_test_rows = |run: &str| {
        let dir = model_dirs(&sandbox.path(run)).remove(0);
        let predicted = predict(&sandbox, &[dir.to_str().unwrap(), table.to_str().unwrap()]);
        let predicted: Vec<&str> = predicted.lines().skip(1).collect();
        rows.iter()
            .zip(&truth)
            .filter(|(r, y)| predicted[**r] == y.as_str())
            .count()
    };
    let (reproduced, guessed) = (right_on_test_rows("all"), right_on_test_rows("train"));
    assert!(
        reproduced > guessed,
        "refit on all rows learns the test rows: {reproduced} vs {guessed}"
    );
}

#[test]
fn refit_on_all_joins_a_test_file_with_levels_the_training_rows_never_had() {
    let sandbox = Sandbox::new();
    let colours = ["red", "blue", "green"];
    let mut train = String::from("x,c,y\n");
    for i in 0..90 {
        train.push_str(&format!(
            "{},{},{}\n",
            i % 13,
            colours[i % 3],
            u8::from(i % 13 > 6)
        ));
    }
    let mut test = String::from("x,c,y\n");
    for i in 0..30 {
        let colour = if i % 5 == 0 { "purple" } else { colours[i % 3] };
        test.push_str(&format!("{},{colour},{}\n", i % 13, u8::from(i % 13 > 6)));
    }
    let (train, test) = (
        sandbox.write("train.csv", &train),
        sandbox.write("test.csv", &test),
    );
    let config = sandbox.write(
        "s.yaml",
        &format!(
            "name: t\ndata: {{path: {}, target: y, test: {}}}\ncv: {{folds: 3}}\nrefit_on: all\nrefit: per_model\n\
             models:\n  - model: logistic_regression\n  - model: gradient_boosting\n",
            train.display(),
            test.display()
        ),
    );
    sandbox.run_ok(&config, "out", &[]);
    for dir in model_dirs(&sandbox.path("out")) {
        let card: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("model.json")).unwrap())
                .unwrap();
        assert_eq!(card["training_rows"], 120, "{}", dir.display());
        assert_eq!(card["test"]["test_accuracy"], 1.0, "{}", dir.display());
        let rows = column_of(dir.join("test_predictions.csv").to_str().unwrap(), "row");
        assert_eq!(rows.len(), 30);
    }
}
