//! Data checks: leaks a single column gives away, constant, mostly missing and duplicate columns,
//! said by `inspect`, `expand` and `run`, and kept in the manifest.

mod common;
use common::*;

/// The warnings `sweep inspect` prints for a table and target, without their `warning: ` prefix.
fn inspect_warnings(sb: &Sandbox, path: &str, target: &str) -> Vec<String> {
    let out = sb
        .sweep(&["inspect", path, "--target", target])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .chain(String::from_utf8_lossy(&out.stdout).lines())
        .filter_map(|l| l.strip_prefix("warning: ").map(str::to_string))
        .collect()
}

fn assert_warnings(got: &[String], expected: &[&str]) {
    assert_eq!(got.len(), expected.len(), "warnings:\n{}", got.join("\n"));
    for (line, start) in got.iter().zip(expected) {
        assert!(
            line.starts_with(start),
            "expected `{start}...`, got `{line}`"
        );
    }
}

/// Every real table in data/ with its natural target, and every warning it gets, reviewed: the
/// known leaks (wage's `logwage`, nasscds' `injSeverity`) and true facts about the tables (IDs,
/// a constant column, charge = minutes x rate), and nothing about their ordinary columns.
#[test]
fn every_real_table_gets_exactly_its_reviewed_warnings() {
    let sb = Sandbox::new();
    let id = |name: &str| format!("column `rownames` looks like an ID{name}");
    let tables: [(&str, &str, Vec<String>); 7] = [
        (
            "mlc_churn.csv.gz",
            "churn",
            vec![
                id(""),
                "features `total_day_minutes` and `total_day_charge` are near duplicates (correlation 1.0000)".into(),
                "features `total_eve_minutes` and `total_eve_charge` are near duplicates".into(),
                "features `total_night_minutes` and `total_night_charge` are near duplicates".into(),
                "features `total_intl_minutes` and `total_intl_charge` are near duplicates".into(),
            ],
        ),
        (
            "collegedistance.csv.gz",
            "education",
            vec![
                "the target `education` holds 7 distinct integers".into(),
                id(""),
            ],
        ),
        (
            "wage.csv.gz",
            "wage",
            vec![
                id(""),
                "column `region` holds one value (`2. Middle Atlantic`) in every row and is left out".into(),
                "feature `logwage` almost determines the target `wage` (its rank correlation with the target is 1.0000)".into(),
            ],
        ),
        (
            "hotel_rates.csv.gz",
            "avg_price_per_room",
            vec![
                id(""),
                "features `arrival_date.epoch` and `arrival_date_num` are near duplicates".into(),
            ],
        ),
        (
            "nasscds.csv.gz",
            "dead",
            vec![
                id(""),
                "column `caseid` looks like an ID".into(),
                "feature `injSeverity` almost determines the target `dead` (the majority class of each of its 7 values".into(),
            ],
        ),
        ("cps1988.csv.gz", "wage", vec![id("")]),
        (
            "flights_30k.csv.gz",
            "arr_delay",
            vec![
                "618 of 30000 rows have no `arr_delay` value".into(),
                id(""),
                "column `year` holds one value (`2013`)".into(),
                "features `month` and `time_hour.month` are near duplicates".into(),
                "features `sched_dep_time` and `hour` are near duplicates".into(),
            ],
        ),
    ];
    for (file, target, expected) in tables {
        let got = inspect_warnings(&sb, &data(&format!("real/{file}")), target);
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_warnings(&got, &expected);
    }
}

#[test]
fn the_credit_card_leak_is_flagged_by_expand_run_and_the_manifest() {
    let sb = Sandbox::new();
    let config = sb.write(
        "sweep.yaml",
        &format!(
            "name: credit\ndata: {{path: {}, target: card}}\ncv: {{folds: 3}}\nmodels:\n  - model: decision_tree\n",
            data("credit_leak.csv")
        ),
    );
    let leak = "feature `expenditure` almost determines the target `card` (the single split `expenditure <= 0` gives the class of 98.0% of rows, against 78.7% for always the most common class)";
    let expand = sb
        .sweep(&["expand", config.to_str().unwrap()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&expand.stderr);
    assert!(said.contains(leak), "{said}");
    assert!(said.contains("feature `share` almost determines"), "{said}");
    // The applicant's ordinary columns are not flagged.
    assert_eq!(said.matches("almost determines").count(), 2, "{said}");

    sb.run_ok(&config, "out", &[]);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.path("out/manifest.json")).unwrap())
            .unwrap();
    let warnings = manifest["data"]["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().starts_with(leak)),
        "{warnings:?}"
    );
}

#[test]
fn constant_mostly_missing_and_duplicate_columns_are_said_and_constants_left_out() {
    let sb = Sandbox::new();
    let mut text = String::from("x,copy,flat,sparse,y\n");
    for i in 0..100 {
        let x = (i * 37 % 101) as f64;
        let sparse = if i % 5 == 0 {
            format!("{}", i % 7)
        } else {
            String::new()
        };
        let y = if (i * 13) % 7 > 3 { "a" } else { "b" };
        text.push_str(&format!("{x},{},7,{sparse},{y}\n", x * 2.5 + 1.0));
    }
    let csv = sb.write("t.csv", &text);
    let got = inspect_warnings(&sb, csv.to_str().unwrap(), "y");
    assert_warnings(
        &got,
        &[
            "column `flat` holds one value (`7`) in every row and is left out",
            "column `sparse` is empty in 80% of rows (80 of 100)",
            "features `x` and `copy` are near duplicates (correlation 1.0000)",
        ],
    );
    let listing = sb.stdout_ok(&["inspect", csv.to_str().unwrap(), "--target", "y"]);
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("flat") && l.ends_with("left out: constant")),
        "{listing}"
    );
    // A model trained without the constant column predicts a table that lacks it.
    let config = sb.write(
        "sweep.yaml",
        &format!(
            "name: t\ndata: {{path: {}, target: y}}\ncv: {{folds: 3}}\nmodels:\n  - model: decision_tree\n",
            csv.display()
        ),
    );
    sb.run_ok(&config, "out", &[]);
    let model = std::fs::read_dir(sb.path("out/models"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let without = sb.write("new.csv", "x,copy,sparse\n3,8.5,\n50,126,2\n");
    let predicted = sb.stdout_ok(&[
        "predict",
        model.to_str().unwrap(),
        without.to_str().unwrap(),
    ]);
    assert_eq!(predicted.lines().count(), 3, "{predicted}");
}
