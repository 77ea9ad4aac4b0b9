//! svm on a regression table (epsilon-SVR) through the binary: the same numbers on both backends and
//! any job count, every C and epsilon of a kernel reading one set of shared kernel rows, and a fit
//! that learns something.

mod common;
use common::*;

#[test]
fn svr_gives_the_same_numbers_on_both_backends_and_any_job_count() {
    let sb = Sandbox::new();
    let config = sb.write(
        "svr.yaml",
        &format!(
            "name: svr\ndata: {{path: {}, target: target}}\ncv: {{folds: 3}}\nmetric: r2\nrefit: none\n\
             models:\n  - model: svm\n    params: {{c: [1, 100], epsilon: [0.1, 10], gamma: [0.05, 0.5]}}\n",
            data("diabetes.csv")
        ),
    );
    let one = sb.run_ok(&config, "one", &["--jobs", "1"]);
    let two = sb.run_ok(&config, "two", &["--jobs", "2"]);
    let processes = sb.run_ok(&config, "processes", &["--backend", "processes"]);
    assert_eq!(one.results(), two.results());
    assert_eq!(one.results(), processes.results());
    assert_eq!(one.rows.len(), 8);
    assert!(one.column("status").iter().all(|s| s == "ok"));
    let r2 = |key: &str| one.get(key, "mean_test_r2").parse::<f64>().unwrap();
    // diabetes' targets run 25-346: C = 100 learns, C = 1 barely moves from the mean.
    let good = r2("svm(c=100.0,epsilon=10.0,gamma=0.05)");
    assert!(good > 0.4, "r2 {good}");
    assert!(r2("svm(c=1.0,epsilon=10.0,gamma=0.05)") < good);
    // Every trial of the entry reads the kernel rows its gamma computed.
    assert!(one
        .column("mean_shared_read_time")
        .iter()
        .all(|t| t.parse::<f64>().unwrap() > 0.0));
}
