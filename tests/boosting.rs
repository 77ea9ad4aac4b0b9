//! gradient_boosting through the binary: binary, multiclass (with missing cells and text columns) and
//! regression sweeps give the same numbers on both backends and any job count, early stopping is
//! seeded, and a saved model predicts after loading what it predicted in memory.

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
            "{max_iter: [30], loss: [squared_error, poisson], l2_regularization: [0, 1]}",
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
    let models = sb.path("out/models");
    let folder = std::fs::read_dir(&models)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let predict = |extra: &[&str]| {
        let mut args = vec!["predict", folder.to_str().unwrap()];
        let table = data("classes9.csv");
        args.push(&table);
        args.extend_from_slice(extra);
        let out = sb.sweep(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
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
