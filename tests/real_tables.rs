//! Tables as people have them: text, missing cells, booleans, dates, IDs, gzip and Parquet, read
//! without cleaning, preprocessed per training fold, with warnings where a sweep could go wrong.

mod common;
use common::*;
use predicates::prelude::*;
use std::io::Write;

/// A small mixed table: an ID, text with gaps, numbers with gaps, booleans in many spellings, a
/// date, a label that follows `size` and `color`.
fn mixed_csv() -> String {
    let colors = ["red", "blue", "green"];
    let flags = ["yes", "No", "TRUE", "false", "Y", "n"];
    let mut text = String::from("rownames,color,size,flag,when,score,label\n");
    for i in 0..90 {
        let color = if i % 17 == 5 { "NA" } else { colors[i % 3] };
        let size = if i % 13 == 4 {
            String::new()
        } else {
            format!("{}", (i * 7) % 23)
        };
        let score = if i % 11 == 3 {
            "NA".to_string()
        } else {
            format!("{:.1}", (i % 9) as f64 * 1.5)
        };
        let when = format!("2020-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
        let label = if (i * 7) % 23 > 11 || colors[i % 3] == "red" {
            "high"
        } else {
            "low"
        };
        text.push_str(&format!(
            "{},{color},{size},{},{when},{score},{label}\n",
            i + 1,
            flags[i % 6]
        ));
    }
    text
}

fn sweep_on(path: &str, target: &str, extra: &str, models: &str) -> String {
    format!("name: t\ndata: {{path: {path}, target: {target}}}\n{extra}models:\n{models}")
}

const MIXED_MODELS: &str = "  - model: decision_tree\n    params: {max_depth: [2, 4]}\n  - model: logistic_regression\n  - model: svm\n  - model: gaussian_nb\n";

#[test]
fn a_mixed_table_runs_as_published_with_every_kind_typed() {
    let sb = Sandbox::new();
    let csv = sb.write("mixed.csv", &mixed_csv());
    let config = sb.write(
        "sweep.yaml",
        &sweep_on(csv.to_str().unwrap(), "label", "", MIXED_MODELS),
    );
    sb.sweep(&["run", config.to_str().unwrap(), "--out", "out", "--quiet"])
        .assert()
        .success()
        .stderr(predicate::str::contains("`rownames` looks like an ID"));
    let trials = Trials::read(&sb.path("out/trials.csv"));
    assert!(
        trials.column("status").iter().all(|s| s == "ok"),
        "{:?}",
        trials.column("error")
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path("out/manifest.json")).unwrap())
            .unwrap();
    let kinds: Vec<(String, String)> = manifest["data"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("rownames", "id"),
        ("color", "category"),
        ("size", "number"),
        ("flag", "boolean"),
        ("when", "date"),
        ("score", "number"),
    ];
    for (name, kind) in expected {
        assert!(
            kinds.contains(&(name.to_string(), kind.to_string())),
            "{name}: {kinds:?}"
        );
    }
    let features = manifest["data"]["features"].to_string();
    assert!(
        features.contains("when.month") && !features.contains("rownames"),
        "{features}"
    );
}

#[test]
fn inspect_shows_kinds_missing_counts_and_use() {
    let sb = Sandbox::new();
    let csv = sb.write("mixed.csv", &mixed_csv());
    sb.sweep(&["inspect", csv.to_str().unwrap(), "--target", "label"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"color\s+category\s+5\s+3\s+feature: one-hot").unwrap())
        .stdout(predicate::str::is_match(r"size\s+number\s+7\s+").unwrap())
        .stdout(predicate::str::contains("label"))
        .stdout(predicate::str::contains("target (classification)"))
        .stderr(predicate::str::contains("looks like an ID"));
}

#[test]
fn rows_without_a_target_are_left_out_and_counted() {
    let sb = Sandbox::new();
    let mut text = mixed_csv();
    text = text
        .replacen(",high\n", ",\n", 3)
        .replacen(",low\n", ",NA\n", 2);
    let csv = sb.write("gaps.csv", &text);
    let config = sb.write(
        "sweep.yaml",
        &sweep_on(
            csv.to_str().unwrap(),
            "label",
            "",
            "  - model: decision_tree\n",
        ),
    );
    sb.sweep(&["run", config.to_str().unwrap(), "--out", "out", "--quiet"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "5 of 90 rows have no `label` value and are left out",
        ));
    let manifest = std::fs::read_to_string(sb.path("out/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"dropped_rows\": 5") && manifest.contains("\"rows\": 85"),
        "{manifest}"
    );
}

#[test]
fn a_category_seen_only_in_a_test_fold_is_handled() {
    let sb = Sandbox::new();
    // `violet` appears once: whichever fold tests it never trained on it.
    let text = mixed_csv().replacen("\n2,blue", "\n2,violet", 1);
    let csv = sb.write("rare.csv", &text);
    let config = sb.write(
        "sweep.yaml",
        &sweep_on(csv.to_str().unwrap(), "label", "", MIXED_MODELS),
    );
    let trials = sb.run_ok(&config, "out", &[]);
    assert!(trials.column("status").iter().all(|s| s == "ok"));
}

#[test]
fn a_leaking_feature_is_warned_about_and_kept() {
    let sb = Sandbox::new();
    let mut text = String::from("x,logy,y\n");
    for i in 0..60 {
        let y = 10.0 + (i * 37 % 50) as f64;
        text.push_str(&format!("{},{},{y}\n", i % 7, y.ln()));
    }
    let csv = sb.write("leak.csv", &text);
    let config = sb.write(
        "sweep.yaml",
        &sweep_on(csv.to_str().unwrap(), "y", "", "  - model: decision_tree\n"),
    );
    sb.sweep(&["expand", config.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "feature `logy` almost determines the target `y`",
        ))
        .stderr(predicate::str::contains("drop: [logy]"));
}

#[test]
fn an_integer_target_is_a_quantity_with_a_regression_metric_and_says_how_otherwise() {
    let sb = Sandbox::new();
    let mut text = String::from("x,hp\n");
    for i in 0..60 {
        text.push_str(&format!("{},{}\n", i * 3, 50 + (i % 12) * 10));
    }
    let csv = sb.write("cars.csv", &text);
    let regression = sb.write(
        "r.yaml",
        &sweep_on(
            csv.to_str().unwrap(),
            "hp",
            "metric: rmse\n",
            "  - model: decision_tree\n",
        ),
    );
    let trials = sb.run_ok(&regression, "r", &[]);
    assert!(trials.header.iter().any(|h| h == "mean_test_rmse"));
    let guessed = sb.write(
        "g.yaml",
        &sweep_on(
            csv.to_str().unwrap(),
            "hp",
            "",
            "  - model: decision_tree\n",
        ),
    );
    sb.sweep(&["expand", guessed.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::contains("12 distinct integers"))
        .stderr(predicate::str::contains("task: regression"));
    let folds = sb.write(
        "f.yaml",
        &sweep_on(
            csv.to_str().unwrap(),
            "hp",
            "cv: {folds: 10}\n",
            "  - model: decision_tree\n",
        ),
    );
    sb.sweep(&["expand", folds.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("task: regression"));
}

/// Runs one sweep on `data` and returns its metric columns.
fn metrics_of(
    sb: &Sandbox,
    data: &std::path::Path,
    out: &str,
) -> std::collections::BTreeMap<String, Vec<(String, String)>> {
    let config = sb.write(
        &format!("{out}.yaml"),
        &sweep_on(data.to_str().unwrap(), "label", "", MIXED_MODELS),
    );
    sb.run_ok(&config, out, &[]).results()
}

#[test]
fn gzip_and_parquet_give_the_same_results_as_the_csv() {
    let sb = Sandbox::new();
    let text = mixed_csv();
    let csv = sb.write("mixed.csv", &text);
    let gz = sb.path("mixed.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    let parquet = sb.path("mixed.parquet");
    write_parquet(&text, &parquet);
    let from_csv = metrics_of(&sb, &csv, "csv");
    assert_eq!(metrics_of(&sb, &gz, "gz"), from_csv);
    assert_eq!(metrics_of(&sb, &parquet, "parquet"), from_csv);
}

/// The table as Parquet with typed columns (numbers as doubles, text as strings, nulls for gaps).
fn write_parquet(csv_text: &str, path: &std::path::Path) {
    use parquet::data_type::{ByteArray, ByteArrayType, DoubleType};
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let names: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let numeric: Vec<bool> = (0..names.len())
        .map(|c| {
            rows.iter()
                .all(|r| r[c].is_empty() || r[c] == "NA" || r[c].parse::<f64>().is_ok())
        })
        .collect();
    let fields: Vec<String> = names
        .iter()
        .zip(&numeric)
        .map(|(n, &num)| {
            if num {
                format!("OPTIONAL DOUBLE {n};")
            } else {
                format!("OPTIONAL BYTE_ARRAY {n} (UTF8);")
            }
        })
        .collect();
    let schema = Arc::new(
        parquet::schema::parser::parse_message_type(&format!(
            "message t {{ {} }}",
            fields.join(" ")
        ))
        .unwrap(),
    );
    let file = std::fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, Default::default()).unwrap();
    let mut group = writer.next_row_group().unwrap();
    for c in 0..names.len() {
        let present: Vec<usize> = (0..rows.len())
            .filter(|&r| !rows[r][c].is_empty() && rows[r][c] != "NA")
            .collect();
        let levels: Vec<i16> = (0..rows.len())
            .map(|r| i16::from(present.contains(&r)))
            .collect();
        let mut column = group.next_column().unwrap().unwrap();
        if numeric[c] {
            let values: Vec<f64> = present
                .iter()
                .map(|&r| rows[r][c].parse().unwrap())
                .collect();
            column
                .typed::<DoubleType>()
                .write_batch(&values, Some(&levels), None)
                .unwrap();
        } else {
            let values: Vec<ByteArray> = present
                .iter()
                .map(|&r| ByteArray::from(rows[r][c].as_str()))
                .collect();
            column
                .typed::<ByteArrayType>()
                .write_batch(&values, Some(&levels), None)
                .unwrap();
        }
        column.close().unwrap();
    }
    group.close().unwrap();
    writer.close().unwrap();
}

#[test]
fn a_published_table_gives_identical_metrics_on_both_backends() {
    let sb = Sandbox::new();
    let config = sb.write(
        "churn.yaml",
        &sweep_on(
            &data("real/mlc_churn.csv.gz"),
            "churn",
            "cv: {folds: 3}\n",
            "  - model: decision_tree\n    params: {max_depth: [3, 6]}\n  - model: logistic_regression\n    params: {max_iterations: 100}\n",
        ),
    );
    let threads = sb.run_ok(&config, "threads", &["--jobs", "2"]);
    let processes = sb.run_ok(
        &config,
        "processes",
        &["--backend", "processes", "--jobs", "2"],
    );
    assert_eq!(threads.results(), processes.results());
    assert!(threads.column("status").iter().all(|s| s == "ok"));
}

#[test]
fn a_bad_cell_in_an_overridden_column_names_row_column_and_kind() {
    let sb = Sandbox::new();
    let csv = sb.write("mixed.csv", &mixed_csv());
    let config = sb.write(
        "sweep.yaml",
        &format!(
            "name: t\ndata: {{path: {}, target: label, columns: {{color: number}}}}\nmodels:\n  - model: decision_tree\n",
            csv.display()
        ),
    );
    sb.sweep(&["run", config.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "line 2, column `color`: `red` is not a finite number",
        ))
        .stderr(predicate::str::contains(
            "read as number (as `columns:` says)",
        ));
}

#[test]
fn preprocessing_choices_are_grid_axes_with_their_own_trial_keys() {
    let sb = Sandbox::new();
    let csv = sb.write("mixed.csv", &mixed_csv());
    let models = "  - model: logistic_regression\n    preprocess:\n      numeric: [{impute: [mean, median]}, standard_scaler]\n      categorical: [[one_hot, ordinal]]\n";
    let config = sb.write(
        "sweep.yaml",
        &sweep_on(csv.to_str().unwrap(), "label", "", models),
    );
    let trials = sb.run_ok(&config, "out", &[]);
    let keys: Vec<&String> = trials.rows.keys().collect();
    assert_eq!(
        keys,
        [
            "logistic_regression+mean+standard_scaler+one_hot()",
            "logistic_regression+mean+standard_scaler+ordinal()",
            "logistic_regression+median+standard_scaler+one_hot()",
            "logistic_regression+median+standard_scaler+ordinal()",
        ]
    );
    assert!(trials.column("status").iter().all(|s| s == "ok"));
    let scores: std::collections::BTreeSet<String> =
        trials.column("mean_test_accuracy").into_iter().collect();
    assert!(
        scores.len() > 1,
        "the choices change the results: {scores:?}"
    );
}

#[test]
fn a_semicolon_table_is_sniffed_and_a_given_delimiter_is_used() {
    let sb = Sandbox::new();
    let text = mixed_csv().replace(',', ";");
    let csv = sb.write("semi.csv", &text);
    let sniffed = sb.write(
        "sniffed.yaml",
        &sweep_on(
            csv.to_str().unwrap(),
            "label",
            "",
            "  - model: decision_tree\n",
        ),
    );
    let a = sb.run_ok(&sniffed, "a", &[]);
    let given = sb.write(
        "given.yaml",
        &sweep_on(
            csv.to_str().unwrap(),
            "label",
            "",
            "  - model: decision_tree\n",
        )
        .replace("target: label}", "target: label, delimiter: \";\"}"),
    );
    assert_eq!(sb.run_ok(&given, "b", &[]).results(), a.results());
    let wrong = sb.write(
        "wrong.yaml",
        &sweep_on(
            csv.to_str().unwrap(),
            "label",
            "",
            "  - model: decision_tree\n",
        )
        .replace("target: label}", "target: label, delimiter: \"|\"}"),
    );
    sb.sweep(&["run", wrong.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no column `label`"));
}
