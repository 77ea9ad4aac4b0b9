//! gradient_boosting through the binary: binary, multiclass (with missing cells and text columns) and
//! regression sweeps give the same numbers on both backends and any job count, on every shared real
//! table's shape; early stopping stops and says when; missing cells and text columns reach the model
//! as they are; a saved model predicts after loading what it predicted in memory.

mod common;
use common::*;

fn sweep(
    sb: &Sandbox,
    name: &str,
    data_file: &str,
    target: &str,
    params: &str,
) -> std::path::PathBuf {
    sb.write(
        &format!("{name}.yaml"),
        &format!(
            "name: {name}\ndata: {{path: {}, target: {target}}}\ncv: {{folds: 3}}\nrefit: best\nmodels:\n  \
             - model: gradient_boosting\n    params: {params}\n",
            data(data_file)
        ),
    )
}

/// The one model folder a run with `refit: best` saved.
fn saved_model(sb: &Sandbox, out: &str) -> std::path::PathBuf {
    let models = sb.path(&format!("{out}/models"));
    let mut folders = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().path());
    let folder = folders.next().unwrap();
    assert!(
        folders.next().is_none(),
        "one model in {}",
        models.display()
    );
    folder
}

#[test]
fn boosting_gives_the_same_numbers_on_both_backends_and_any_job_count() {
    let sb = Sandbox::new();
    let cases = [
        (
            "binary",
            "breast_cancer.csv",
            "target",
            "{max_iter: [20, 40], learning_rate: [0.1, 0.3]}",
        ),
        (
            "nine",
            "classes9.csv",
            "category",
            "{max_iter: [15], max_leaf_nodes: [7, 31], early_stopping: [true]}",
        ),
        (
            "values",
            "diabetes.csv",
            "target",
            "{max_iter: [30], loss: [squared_error, absolute_error, huber, poisson], l2_regularization: [0, 1]}",
        ),
    ];
    for (name, file, target, params) in cases {
        let config = sweep(&sb, name, file, target, params);
        let one = sb.run_ok(&config, &format!("{name}-1"), &["--jobs", "1"]);
        let two = sb.run_ok(&config, &format!("{name}-2"), &["--jobs", "2"]);
        let processes = sb.run_ok(&config, &format!("{name}-p"), &["--backend", "processes"]);
        assert_eq!(one.results(), two.results(), "{name}");
        assert_eq!(one.results(), processes.results(), "{name}");
        for key in one.rows.keys() {
            assert_eq!(
                one.get(key, "status"),
                "ok",
                "{name} {key}: {}",
                one.get(key, "error")
            );
        }
    }
    // Learning something: breast_cancer well above its 62.7% majority class, diabetes above r2 0.3.
    let binary = Trials::read(&sb.path("binary-1/trials.csv"));
    let best: f64 = binary
        .column("mean_test_accuracy")
        .iter()
        .map(|s| s.parse::<f64>().unwrap())
        .fold(0.0, f64::max);
    assert!(best > 0.93, "{best}");
    let values = Trials::read(&sb.path("values-1/trials.csv"));
    let r2: f64 = values
        .column("mean_test_r2")
        .iter()
        .map(|s| s.parse::<f64>().unwrap())
        .fold(f64::MIN, f64::max);
    assert!(r2 > 0.3, "{r2}");
}

#[test]
fn a_saved_booster_predicts_what_it_predicted_in_memory() {
    let sb = Sandbox::new();
    let config = sweep(&sb, "nine", "classes9.csv", "category", "{max_iter: [10]}");
    sb.run_ok(&config, "out", &[]);
    let folder = saved_model(&sb, "out");
    let predict = |extra: &[&str]| {
        let mut args = vec!["predict", folder.to_str().unwrap()];
        let table = data("classes9.csv");
        args.push(&table);
        args.extend_from_slice(extra);
        sb.stdout_ok(&args)
    };
    let first = predict(&["--proba"]);
    assert_eq!(first, predict(&["--proba"]));
    let header = first.lines().next().unwrap();
    assert!(header.starts_with("prediction,proba_class_a,"), "{header}");
    assert_eq!(first.lines().count(), 4001);
    // The training fit itself is better than the 18% majority class.
    let truth = column_of(&data("classes9.csv"), "category");
    let right = first
        .lines()
        .skip(1)
        .zip(&truth)
        .filter(|(line, t)| line.split(',').next() == Some(t.as_str()))
        .count();
    assert!(right as f64 / 4000.0 > 0.5, "{right} of 4000");
}

/// Each real table in data/real (text with gaps, booleans, dates, IDs, 30,000 rows) on both
/// backends: the same numbers, every trial ok and better than the baseline row.
#[test]
fn boosting_runs_on_every_shared_real_table_on_both_backends() {
    let sb = Sandbox::new();
    let tables = [
        ("collegedistance", "education", "", ""),
        ("cps1988", "wage", "", ""),
        ("flights_30k", "arr_delay", "", ""),
        ("hotel_rates", "avg_price_per_room", "", ""),
        ("mlc_churn", "churn", "", ""),
        // 95.5% survive: accuracy hardly moves in 16 small steps, the ranking does.
        (
            "nasscds",
            "dead",
            ", drop: [injSeverity]",
            "metric: roc_auc\n",
        ),
        ("wage", "wage", ", drop: [logwage]", ""),
    ];
    for (name, target, drop, metric) in tables {
        let config = sb.write(
            &format!("{name}.yaml"),
            &format!(
                "name: {name}\ndata: {{path: {}, target: {target}{drop}}}\n{metric}cv: {{folds: 2}}\nrefit: none\n\
                 models:\n  - model: gradient_boosting\n    params: {{max_iter: [8, 16], max_leaf_nodes: 15, \
                 early_stopping: false}}\n",
                data(&format!("real/{name}.csv.gz"))
            ),
        );
        let threads = sb.run_ok(&config, &format!("{name}-t"), &["--jobs", "2"]);
        let processes = sb.run_ok(&config, &format!("{name}-p"), &["--backend", "processes"]);
        assert_eq!(threads.results(), processes.results(), "{name}");
        let board = Trials::read(&sb.path(&format!("{name}-t/leaderboard.csv")));
        let primary = board.header[0].trim_start_matches("rank_test_").to_string();
        let score = |key: &str| -> f64 {
            board
                .get(key, &format!("mean_test_{primary}"))
                .parse()
                .unwrap()
        };
        for key in board.rows.keys().filter(|k| *k != "baseline") {
            assert_eq!(board.get(key, "status"), "ok", "{name} {key}");
            assert!(
                score(key) > score("baseline"),
                "{name} {key}: {} against {}",
                score(key),
                score("baseline")
            );
        }
    }
}

/// Early stopping ends the fit before max_iter and trials.csv says at which iteration; without it
/// every fit runs max_iter.
#[test]
fn early_stopping_stops_and_records_the_iteration() {
    let sb = Sandbox::new();
    let config = sweep(
        &sb,
        "stop",
        "classes9.csv",
        "category",
        "{max_iter: 400, learning_rate: 0.3, early_stopping: [true, false], max_leaf_nodes: 7}",
    );
    let trials = sb.run_ok(&config, "out", &[]);
    let n_iter = |stopping: bool| -> f64 {
        let key = format!(
            "gradient_boosting(early_stopping={stopping},learning_rate=0.3,max_iter=400,max_leaf_nodes=7)"
        );
        trials.get(&key, "mean_n_iter").parse().unwrap()
    };
    let stopped = n_iter(true);
    assert!(stopped > 10.0 && stopped < 200.0, "{stopped}");
    assert_eq!(n_iter(false), 400.0);
}

/// The default preprocessing leaves missing cells and text columns to the model: nothing is
/// imputed (model.json lists no fill values), text columns are split on (they carry split gain),
/// and a table with a level never seen in training and an empty cell predicts.
#[test]
fn missing_cells_and_text_columns_reach_the_model_as_they_are() {
    let sb = Sandbox::new();
    let config = sweep(&sb, "nine", "classes9.csv", "category", "{max_iter: [20]}");
    sb.run_ok(&config, "out", &[]);
    let card = saved_model(&sb, "out").join("model.json");
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&card).unwrap()).unwrap();
    assert_eq!(card["imputation"], serde_json::json!({}), "nothing imputed");
    let importance = card["feature_importance"].as_array().unwrap();
    let share = |column: &str| {
        importance
            .iter()
            .find(|f| f["feature"] == column)
            .map_or(0.0, |f| f["importance"].as_f64().unwrap())
    };
    let total: f64 = importance
        .iter()
        .map(|f| f["importance"].as_f64().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    assert!(share("basin") > 0.0, "{importance:?}");
    let table = sb.write(
        "new.csv",
        "wind,pressure,lat,long,month,basin,system,landfall\n\
         35,,25.1,-80.2,9,atlantis,tropical storm,yes\n\
         ,1002,,-80.2,9,,,\n",
    );
    let folder = saved_model(&sb, "out");
    let predicted = sb.stdout_ok(&["predict", folder.to_str().unwrap(), table.to_str().unwrap()]);
    assert_eq!(predicted.lines().count(), 3);
}

/// Halving over max_iter: a candidate's later rung boosts on from its earlier rung, and scores what a
/// fresh fit of that many iterations scores, bit for bit.
#[test]
fn halving_over_max_iter_continues_and_matches_fresh_fits() {
    let sb = Sandbox::new();
    let grid =
        "learning_rate: [0.05, 0.1, 0.3], max_leaf_nodes: [7, 15, 31], early_stopping: false";
    let halving = sb.write(
        "halving.yaml",
        &format!(
            "name: h\ndata: {{path: {}, target: target}}\ncv: {{folds: 3}}\nrefit: none\nsearch: {{strategy: halving, \
             factor: 3, resource: max_iter, min_resource: 10, max_resource: 90}}\nmodels:\n  - model: gradient_boosting\n    \
             params: {{{grid}}}\n",
            data("breast_cancer.csv")
        ),
    );
    let fresh = sb.write(
        "fresh.yaml",
        &format!(
            "name: f\ndata: {{path: {}, target: target}}\ncv: {{folds: 3}}\nrefit: none\nmodels:\n  - model: gradient_boosting\n    \
             params: {{{grid}, max_iter: [10, 30, 90]}}\n",
            data("breast_cancer.csv")
        ),
    );
    let halved = sb.run_ok(&halving, "halving", &[]);
    let grid = sb.run_ok(&fresh, "fresh", &[]);
    let params = |t: &Trials, key: &str| -> serde_json::Value {
        serde_json::from_str(&t.get(key, "params")).unwrap()
    };
    let mut compared = 0;
    for key in halved.rows.keys() {
        let mut wanted = params(&halved, key);
        wanted["max_iter"] = serde_json::json!(halved.get(key, "resource").parse::<i64>().unwrap());
        let twin = grid
            .rows
            .keys()
            .find(|k| params(&grid, k) == wanted)
            .unwrap_or_else(|| panic!("no grid trial with {wanted}"));
        assert_eq!(
            halved.get(key, "mean_test_accuracy"),
            grid.get(twin, "mean_test_accuracy"),
            "{key} against {twin}"
        );
        compared += 1;
    }
    assert_eq!(compared, 9 + 3 + 1, "three rungs: 9, 3 and 1 candidates");
}
