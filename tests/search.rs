//! Adaptive search on the real binary: TPE and successive halving give the same trials on both
//! backends, resume exactly after kill -9, halving ranks its last rung, pruning stops trials after
//! two folds or more, and bad search settings exit 2 with the place.

mod common;
use common::*;
use predicates::prelude::*;
use std::path::PathBuf;

fn kill_9(child: &mut std::process::Child) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();
}

fn tpe_config(sb: &Sandbox) -> PathBuf {
    sb.write(
        "tpe.yaml",
        &format!(
            "name: tpe\nseed: 5\ndata: {{path: {}, target: target}}\ncv: {{folds: 4}}\n\
             search: {{strategy: tpe, trials: 36, startup_trials: 8, prune: median}}\nrefit: none\nmodels:\n\
             \x20 - model: logistic_regression\n    preprocess: [standard_scaler]\n    params: {{alpha: {{log_uniform: [1.0e-4, 10]}}}}\n\
             \x20 - model: decision_tree\n    params: {{max_depth: {{int_uniform: [1, 10]}}, criterion: [gini, entropy]}}\n\
             \x20 - model: random_forest\n    params: {{n_estimators: {{int_uniform: [20, 60]}}, max_depth: {{int_uniform: [2, 8]}}}}\n",
            data("breast_cancer.csv")
        ),
    )
}

fn halving_config(sb: &Sandbox) -> PathBuf {
    sb.write(
        "halving.yaml",
        &format!(
            "name: halving\nseed: 1\ndata: {{path: {}, target: target}}\ncv: {{folds: 3}}\n\
             search: {{strategy: halving, factor: 3, resource: rows}}\nrefit: best\nmodels:\n\
             \x20 - model: decision_tree\n    params: {{max_depth: [1, 2, 3, 4, 6, 8], min_samples_leaf: [1, 5, 20]}}\n\
             \x20 - model: random_forest\n    params: {{n_estimators: [20, 40], max_depth: [3, 6, null]}}\n",
            data("breast_cancer.csv")
        ),
    )
}

/// Kills a run after `rows` trials, checks it stopped mid-run, resumes it and checks it equals the
/// uninterrupted reference.
fn kill_and_resume(
    sb: &Sandbox,
    config: &std::path::Path,
    out: &str,
    rows: usize,
    extra: &[&str],
    reference: &Trials,
) {
    let mut child = run_until(sb, config, out, rows, extra);
    kill_9(&mut child);
    let partial = rows_in(&sb.path(out).join("trials.csv"));
    assert!(
        partial < reference.rows.len(),
        "{out}: the kill came after the run finished"
    );
    // Resuming with other jobs keeps the proposals of the jobs the run started with.
    sb.sweep(&["resume", out, "--quiet", "--jobs", "1"])
        .assert()
        .success();
    let resumed = Trials::read(&sb.path(out).join("trials.csv"));
    assert_eq!(
        resumed.results(),
        reference.results(),
        "{out} after {partial} rows"
    );
}

#[test]
fn tpe_is_identical_on_both_backends_and_resumes_exactly_after_kill_9() {
    let sb = Sandbox::new();
    let config = tpe_config(&sb);
    let reference = sb.run_ok(&config, "threads", &["--jobs", "2", "--backend", "threads"]);
    assert_eq!(reference.rows.len(), 36);
    let processes = sb.run_ok(
        &config,
        "processes",
        &["--jobs", "2", "--backend", "processes"],
    );
    assert_eq!(processes.results(), reference.results());

    // Conditional parameters: each trial fills only its family's columns.
    for key in reference.rows.keys() {
        let filled = |p: &str| !reference.get(key, &format!("param_{p}")).is_empty();
        let model = reference.get(key, "model");
        assert_eq!(filled("alpha"), model == "logistic_regression", "{key}");
        assert_eq!(filled("criterion"), model == "decision_tree", "{key}");
        assert_eq!(filled("n_estimators"), model == "random_forest", "{key}");
    }
    // Pruned trials ran at least two folds and stopped before the last.
    let statuses = reference.column("status");
    let pruned: Vec<&String> = reference
        .rows
        .keys()
        .filter(|k| reference.get(k, "status") == "pruned")
        .collect();
    assert!(!pruned.is_empty(), "nothing pruned: {statuses:?}");
    for key in pruned {
        let folds_run = (0..4)
            .filter(|k| {
                !reference
                    .get(key, &format!("split{k}_test_accuracy"))
                    .is_empty()
            })
            .count();
        assert!((2..4).contains(&folds_run), "{key} ran {folds_run} folds");
    }
    let manifest = std::fs::read_to_string(sb.path("threads").join("manifest.json")).unwrap();
    assert!(manifest.contains("\"pruned\": "), "{manifest}");

    kill_and_resume(
        &sb,
        &config,
        "killed-threads",
        10,
        &["--jobs", "2", "--backend", "threads"],
        &reference,
    );
    kill_and_resume(
        &sb,
        &config,
        "killed-processes",
        20,
        &["--jobs", "2", "--backend", "processes"],
        &reference,
    );
}

#[test]
fn halving_runs_rungs_ranks_the_last_and_resumes_mid_rung() {
    let sb = Sandbox::new();
    let config = halving_config(&sb);
    let reference = sb.run_ok(&config, "threads", &["--jobs", "2", "--backend", "threads"]);
    // 24 candidates, factor 3, 569 rows, 3 folds, 2 classes: scikit-learn's rungs are
    // (24, 63), (8, 189), (3, 567).
    let mut per_rung = std::collections::BTreeMap::new();
    for key in reference.rows.keys() {
        *per_rung
            .entry((reference.get(key, "rung"), reference.get(key, "resource")))
            .or_insert(0) += 1;
    }
    let expected: Vec<((String, String), i32)> =
        [("0", "63", 24), ("1", "189", 8), ("2", "567", 3)]
            .iter()
            .map(|(r, s, n)| ((r.to_string(), s.to_string()), *n))
            .collect();
    assert_eq!(per_rung.into_iter().collect::<Vec<_>>(), expected);
    let processes = sb.run_ok(
        &config,
        "processes",
        &["--jobs", "2", "--backend", "processes"],
    );
    assert_eq!(processes.results(), reference.results());

    // The leaderboard's first row is the best of the last rung, and that is what was refitted.
    let board = std::fs::read_to_string(sb.path("threads").join("leaderboard.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(board.as_bytes());
    let header = reader.headers().unwrap().clone();
    let rung_col = header.iter().position(|h| h == "rung").unwrap();
    let key_col = header.iter().position(|h| h == "key").unwrap();
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[rung_col], "2");
    assert!(first[key_col].ends_with("@rows=567"), "{}", &first[key_col]);
    let manifest = std::fs::read_to_string(sb.path("threads").join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"status\": \"ok\""),
        "the best model was refitted"
    );

    kill_and_resume(
        &sb,
        &config,
        "killed",
        28,
        &["--jobs", "2", "--backend", "processes"],
        &reference,
    );
}

#[test]
fn halving_over_a_count_parameter_sets_it_per_rung() {
    let sb = Sandbox::new();
    let config = sb.write(
        "trees.yaml",
        &format!(
            "name: trees\ndata: {{path: {}, target: target}}\ncv: {{folds: 3}}\nrefit: none\n\
             search: {{strategy: halving, resource: n_estimators, max_resource: 90, factor: 3}}\nmodels:\n\
             \x20 - model: random_forest\n    params: {{max_depth: [2, 4, 8, null], max_features: [sqrt, 0.5]}}\n",
            data("breast_cancer.csv")
        ),
    );
    let trials = sb.run_ok(&config, "out", &[]);
    // 8 candidates: 2 rungs (log3(8) = 1.9), exhausting max_resource: 30 then 90 trees.
    assert_eq!(trials.rows.len(), 8 + 3);
    for key in trials.rows.keys() {
        assert_eq!(
            trials.get(key, "param_n_estimators"),
            trials.get(key, "resource"),
            "{key}"
        );
    }
}

#[test]
fn adaptive_strategies_are_described_by_expand_and_checked_at_the_boundary() {
    let sb = Sandbox::new();
    sb.sweep(&["expand", tpe_config(&sb).to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("36 trials"))
        .stdout(predicate::str::contains("first 8 sampled at random"))
        .stdout(predicate::str::contains("alpha log_uniform [0.0001, 10]"))
        .stdout(predicate::str::contains("fold pruning"));
    sb.sweep(&["expand", halving_config(&sb).to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "rung 0: 24 candidates with 63 rows",
        ))
        .stdout(predicate::str::contains(
            "rung 2: 3 candidates with 567 rows",
        ));

    let base = format!(
        "name: bad\ndata: {{path: {}, target: target}}\n",
        data("breast_cancer.csv")
    );
    let cases = [
        (
            "search: {strategy: tpe}\nmodels:\n  - model: gaussian_nb\n",
            "gives no trial count",
        ),
        (
            "search:\n  strategy: halving\n  resource: n_estimators\n  max_resource: 50\nmodels:\n  - model: gaussian_nb\n",
            "bad.yaml:5:13: search.resource `n_estimators` is not an integer parameter of model `gaussian_nb`",
        ),
        (
            "search:\n  strategy: halving\n  resource: n_estimators\n  max_resource: 50\nmodels:\n  - model: random_forest\n    params: {n_estimators: [10, 20]}\n",
            "also searched over in model `random_forest`",
        ),
        (
            "search:\n  strategy: grid\n  prune: mean\nmodels:\n  - model: gaussian_nb\n",
            "bad.yaml:5:10: search.prune must be `median`",
        ),
        (
            "search:\n  strategy: grid\n  startup_trials: 3\nmodels:\n  - model: gaussian_nb\n",
            "search.startup_trials applies to `strategy: tpe`, not `grid`",
        ),
        (
            "search:\n  strategy: halving\n  factor: 1\nmodels:\n  - model: gaussian_nb\n",
            "search.factor must be at least 2",
        ),
    ];
    for (search, message) in cases {
        let path = sb.write("bad.yaml", &format!("{base}{search}"));
        sb.sweep(&["expand", path.to_str().unwrap()])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
    }
}
