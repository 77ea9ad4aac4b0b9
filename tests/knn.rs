//! knn through the binary: classification and regression sweeps give the same numbers on both
//! backends and any job count; every n_neighbors of an entry reads one set of neighbour lists per
//! fold; the saved model says it keeps its training rows, and how large they are.

mod common;
use common::*;

fn sweep(sb: &Sandbox, name: &str, file: &str, params: &str) -> std::path::PathBuf {
    sb.write(
        &format!("{name}.yaml"),
        &format!(
            "name: {name}\ndata: {{path: {}, target: target}}\ncv: {{folds: 3}}\nrefit: best\n\
             models:\n  - model: knn\n    params: {params}\n",
            data(file)
        ),
    )
}

#[test]
fn knn_gives_the_same_numbers_on_both_backends_and_any_job_count() {
    let sb = Sandbox::new();
    for (name, file, columns) in [("classes", "wine.csv", 13), ("values", "diabetes.csv", 10)] {
        let config = sweep(
            &sb,
            name,
            file,
            "{n_neighbors: [1, 5, 15, 40], weights: [uniform, distance], p: [1, 2]}",
        );
        let one = sb.run_ok(&config, &format!("{name}-1"), &["--jobs", "1"]);
        let two = sb.run_ok(&config, &format!("{name}-2"), &["--jobs", "2"]);
        let processes = sb.run_ok(&config, &format!("{name}-p"), &["--backend", "processes"]);
        assert_eq!(one.results(), two.results(), "{name}");
        assert_eq!(one.results(), processes.results(), "{name}");
        assert_eq!(one.rows.len(), 16);
        assert!(one.column("status").iter().all(|s| s == "ok"), "{name}");
        // n_neighbors = 1 with distance weights is n_neighbors = 1 uniform: one neighbour decides.
        let metric = if name == "classes" {
            "mean_test_accuracy"
        } else {
            "mean_test_r2"
        };
        for p in [1, 2] {
            let key = |w: &str| format!("knn(n_neighbors=1,p={p},weights={w})");
            assert_eq!(
                one.get(&key("uniform"), metric),
                one.get(&key("distance"), metric)
            );
        }
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(sb.path(&format!("{name}-1/manifest.json"))).unwrap(),
        )
        .unwrap();
        let folder = manifest["models"][0]["dir"].as_str().unwrap().to_string();
        let card: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(sb.path(&format!("{name}-1/{folder}/model.json"))).unwrap(),
        )
        .unwrap();
        let rows = card["training_rows"].as_u64().unwrap();
        assert_eq!(card["kept_rows"]["rows"].as_u64(), Some(rows), "{card}");
        assert_eq!(
            card["kept_rows"]["bytes"].as_u64(),
            Some(rows * columns * 8)
        );
    }
}

#[test]
fn n_neighbors_above_the_training_rows_fails_that_trial_only() {
    let sb = Sandbox::new();
    // iris: 150 rows, 100 per training fold.
    let config = sweep(&sb, "big", "iris.csv", "{n_neighbors: [3, 120]}");
    let trials = sb.run_ok(&config, "out", &[]);
    let status = |k: i64| trials.get(&format!("knn(n_neighbors={k})"), "status");
    assert_eq!(status(3), "ok");
    assert_eq!(status(120), "failed");
    assert!(trials
        .get("knn(n_neighbors=120)", "error")
        .contains("n_neighbors = 120 is more than the 100 training rows"));
}
