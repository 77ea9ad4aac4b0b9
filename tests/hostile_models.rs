//! Model files and `sweep predict` against someone who means harm or makes a slip: files edited
//! with their checksum recomputed, a model.bin from another folder, an `--out` that would replace
//! an input, a reader that stops listening, duplicated columns. Each case pins the exit status and
//! that nothing the user had is lost.

mod common;
use common::*;
use sha2::{Digest, Sha256};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A run on iris that saves one model per family (and, for regression, diabetes), returning the
/// model folders.
fn saved_models(sb: &Sandbox) -> Vec<PathBuf> {
    let iris = sb.write(
        "iris.yaml",
        &format!(
            "name: m\ndata: {{path: {}, target: target}}\ncv: {{folds: 3}}\nrefit: per_model\nmodels:\n\
             \x20 - model: decision_tree\n  - model: random_forest\n    params: {{n_estimators: 4}}\n\
             \x20 - model: svm\n  - model: logistic_regression\n  - model: gaussian_nb\n",
            data("iris.csv")
        ),
    );
    let diabetes = sb.write(
        "diabetes.yaml",
        &format!(
            "name: r\ndata: {{path: {}, target: target}}\ncv: {{folds: 3}}\nrefit: per_model\nmodels:\n\
             \x20 - model: linear_regression\n  - model: elastic_net\n  - model: decision_tree\n    params: {{max_depth: 4}}\n",
            data("diabetes.csv")
        ),
    );
    sb.run_ok(&iris, "iris", &[]);
    sb.run_ok(&diabetes, "diabetes", &[]);
    let mut dirs: Vec<PathBuf> = ["iris", "diabetes"]
        .iter()
        .flat_map(|run| std::fs::read_dir(sb.path(run).join("models")).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 8, "{dirs:?}");
    dirs
}

/// The file with its payload's length and checksum made to match, as a deliberate edit would.
fn rechecksummed(mut bytes: Vec<u8>) -> Vec<u8> {
    let length = (bytes.len() - 52) as u64;
    bytes[12..20].copy_from_slice(&length.to_le_bytes());
    let digest = Sha256::digest(&bytes[52..]);
    bytes[20..52].copy_from_slice(&digest);
    bytes
}

/// Runs `sweep predict` with a deadline; `None` when it had to be killed (a hang).
fn predict_within(
    sb: &Sandbox,
    model: &Path,
    table: &str,
    limit: Duration,
) -> Option<(i32, String, String)> {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sweep"))
        .current_dir(sb.path(""))
        .args(["predict", model.to_str().unwrap(), table])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            let _ = err.read_to_string(&mut stderr);
            return Some((status.code().unwrap_or(-1), reader.join().unwrap(), stderr));
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A small deterministic generator for the damage.
struct Damage(u64);

impl Damage {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn damaged_and_rechecksummed_model_files_are_refused_or_predict_never_hang_or_crash() {
    let sb = Sandbox::new();
    let mut damage = Damage(0x9E37_79B9_7F4A_7C15);
    let (mut refused, mut predicted) = (0, 0);
    for dir in saved_models(&sb) {
        let original = std::fs::read(dir.join("model.bin")).unwrap();
        let table = if dir.starts_with(sb.path("iris")) {
            data("iris.csv")
        } else {
            data("diabetes.csv")
        };
        let rows = std::fs::read_to_string(&table).unwrap().lines().count() - 1;
        let victim = sb.path("victim.bin");
        for round in 0..100 {
            let mut bytes = original.clone();
            let at = 52 + damage.below(bytes.len() - 52);
            match round % 5 {
                0 => bytes[at] ^= 1 << damage.below(8),
                1 => bytes[at] = 0xff,
                2 => bytes[at] = 0,
                3 => bytes[at] = damage.next() as u8,
                _ => bytes.truncate(at),
            }
            std::fs::write(&victim, rechecksummed(bytes)).unwrap();
            let Some((code, stdout, stderr)) =
                predict_within(&sb, &victim, &table, Duration::from_secs(30))
            else {
                panic!("{}: round {round} (byte {at}) hangs predict", dir.display());
            };
            assert!(
                !stderr.contains("panicked") && !stderr.contains("internal error"),
                "{}: round {round} (byte {at}): {stderr}",
                dir.display()
            );
            match code {
                2 => {
                    assert!(stdout.is_empty());
                    refused += 1;
                }
                0 => {
                    assert_eq!(stdout.lines().count(), rows + 1, "one prediction per row");
                    predicted += 1;
                }
                other => panic!("{}: round {round}: exit {other}: {stderr}", dir.display()),
            }
        }
    }
    eprintln!("{refused} refused, {predicted} predicted");
    assert!(refused > 250, "{refused} refused, {predicted} predicted");
}

#[test]
fn a_model_bin_from_another_folder_is_refused_by_predict_and_refitted_by_resume() {
    let sb = Sandbox::new();
    saved_models(&sb);
    let models = sb.path("iris/models");
    let (tree, forest) = (
        models.join("decision_tree"),
        models.join("random_forest-n_estimators=4"),
    );
    let own = std::fs::read(forest.join("model.bin")).unwrap();
    std::fs::copy(tree.join("model.bin"), forest.join("model.bin")).unwrap();
    let output = sb
        .sweep(&["predict", forest.to_str().unwrap(), &data("iris.csv")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("decision_tree") && stderr.contains("model.json"),
        "{stderr}"
    );

    sb.sweep(&["resume", "iris", "--force", "--quiet"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(forest.join("model.bin")).unwrap(),
        own,
        "resume refitted the configuration the folder is for"
    );
}

#[test]
fn model_files_are_byte_identical_between_identical_runs() {
    let sb = Sandbox::new();
    let config = sb.write(
        "nb.yaml",
        &format!(
            "name: nb\ndata: {{path: {}, target: target}}\nmodels:\n  - model: gaussian_nb\n",
            data("iris.csv")
        ),
    );
    let runs: Vec<Vec<u8>> = ["a", "b", "c"]
        .iter()
        .map(|out| {
            sb.run_ok(&config, out, &[]);
            std::fs::read(sb.path(out).join("models/gaussian_nb/model.bin")).unwrap()
        })
        .collect();
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0], runs[2]);
}

#[test]
fn an_implausible_format_version_says_corrupt() {
    let sb = Sandbox::new();
    saved_models(&sb);
    let dir = &sb.path("iris/models/gaussian_nb");
    let mut bytes = std::fs::read(dir.join("model.bin")).unwrap();
    bytes[8..12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    std::fs::write(dir.join("model.bin"), bytes).unwrap();
    let output = sb
        .sweep(&["predict", dir.to_str().unwrap(), &data("iris.csv")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("no sweep wrote") && !stderr.contains("upgrade"),
        "{stderr}"
    );
}

/// One best model on iris in `out`, its folder returned.
fn iris_model(sb: &Sandbox) -> PathBuf {
    let config = sb.write(
        "tree.yaml",
        &format!(
            "name: t\ndata: {{path: {}, target: target}}\nmodels:\n  - model: decision_tree\n",
            data("iris.csv")
        ),
    );
    sb.run_ok(&config, "out", &[]);
    sb.path("out/models/decision_tree")
}

#[test]
fn predict_never_replaces_its_inputs_and_checks_out_before_predicting() {
    let sb = Sandbox::new();
    let model = iris_model(&sb);
    let table = sb.path("rows.csv");
    std::fs::copy(data("iris.csv"), &table).unwrap();
    let table_bytes = std::fs::read(&table).unwrap();
    let model_bytes = std::fs::read(model.join("model.bin")).unwrap();
    std::os::unix::fs::symlink(&table, sb.path("link.csv")).unwrap();
    std::fs::hard_link(model.join("model.bin"), sb.path("hard.bin")).unwrap();
    let model_arg = model.to_str().unwrap();
    for (out, says) in [
        ("rows.csv", "is the file being read"),
        ("link.csv", "is the file being read"),
        ("hard.bin", "is the file being read"),
        (
            "out/models/decision_tree/model.bin",
            "is the file being read",
        ),
        ("out", "is a folder"),
        ("missing/p.csv", "does not exist"),
    ] {
        let output = sb
            .sweep(&["predict", model_arg, "rows.csv", "--out", out])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{out}: {stderr}");
        assert!(stderr.contains(says), "{out}: {stderr}");
        assert!(
            !stderr.contains("-0.tmp"),
            "no temporary file named: {out}: {stderr}"
        );
    }
    assert_eq!(std::fs::read(&table).unwrap(), table_bytes);
    assert_eq!(std::fs::read(model.join("model.bin")).unwrap(), model_bytes);
}

#[test]
fn predict_into_a_closed_pipe_ends_quietly() {
    let sb = Sandbox::new();
    let model = iris_model(&sb);
    let iris = std::fs::read_to_string(data("iris.csv")).unwrap();
    let mut many = String::from(iris.lines().next().unwrap());
    many.push('\n');
    for _ in 0..600 {
        for line in iris.lines().skip(1) {
            many.push_str(line);
            many.push('\n');
        }
    }
    let table = sb.write("many.csv", &many);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("sweep"))
        .args(["predict", model.to_str().unwrap(), table.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim(), "prediction");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn predict_refuses_a_table_with_a_duplicated_column() {
    let sb = Sandbox::new();
    let model = iris_model(&sb);
    let iris = std::fs::read_to_string(data("iris.csv")).unwrap();
    let doubled: String = iris
        .lines()
        .map(|l| format!("{l},{}\n", l.split(',').next().unwrap()))
        .collect();
    let table = sb.write("doubled.csv", &doubled);
    let output = sb
        .sweep(&["predict", model.to_str().unwrap(), table.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("are both named `sepal_length`"), "{stderr}");
}

#[test]
fn a_resumed_search_removes_the_model_it_superseded() {
    let sb = Sandbox::new();
    let config = sb.write(
        "budget.yaml",
        &format!(
            "name: b\ndata: {{path: {}, target: target}}\ncv: {{folds: 2}}\nsearch: {{time_budget: 1s}}\n\
             execution: {{jobs: 1}}\nmodels:\n  - model: decision_tree\n    params: {{max_depth: 1}}\n\
             \x20 - model: fault\n    params: {{kind: sleep, seconds: [0.6, 0.61]}}\n\
             \x20 - model: decision_tree\n    params: {{max_depth: 5}}\n",
            data("iris.csv")
        ),
    );
    sb.run_ok(&config, "out", &[]);
    let folders = || {
        let mut names: Vec<String> = std::fs::read_dir(sb.path("out/models"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        folders(),
        vec!["decision_tree-max_depth=1"],
        "the budget stopped before depth 5"
    );
    let manifest = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(sb.path("out/manifest.json")).unwrap())
            .unwrap()
    };
    for _ in 0..4 {
        if manifest()["status"] == "finished" {
            break;
        }
        sb.sweep(&["resume", "out", "--quiet"]).assert().success();
    }
    assert_eq!(manifest()["status"], "finished");
    assert_eq!(folders(), vec!["decision_tree-max_depth=5"]);
    assert_eq!(manifest()["models"].as_array().unwrap().len(), 1);
}
