//! Helpers shared by the integration tests: run the real binary in a temporary folder.
#![allow(dead_code)]

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn data(name: &str) -> String {
    repo().join("data").join(name).display().to_string()
}

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write file");
        path
    }

    /// `sweep <args>` with the sandbox as working directory.
    pub fn sweep(&self, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("sweep").expect("binary");
        cmd.current_dir(self.dir.path()).args(args);
        cmd
    }

    /// Starts `sweep <args>` in the background, stdout discarded, stderr to `stderr`.
    pub fn spawn(&self, args: &[&str], stderr: Stdio) -> Child {
        Process::new(assert_cmd::cargo::cargo_bin("sweep"))
            .current_dir(self.dir.path())
            .args(args)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start sweep")
    }

    /// Runs `sweep <args>`, which must succeed (else its stderr is the failure), and returns its stdout.
    pub fn stdout_ok(&self, args: &[&str]) -> String {
        let out = self.sweep(args).output().expect("run sweep");
        assert!(
            out.status.success(),
            "sweep {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs a sweep file into `out` and returns its trials keyed by trial key.
    pub fn run_ok(&self, config: &Path, out: &str, extra: &[&str]) -> Trials {
        let mut args = vec!["run", config.to_str().unwrap(), "--out", out, "--quiet"];
        args.extend_from_slice(extra);
        self.sweep(&args).assert().success();
        Trials::read(&self.path(out).join("trials.csv"))
    }
}

/// Every cell of one column of a CSV file, in row order.
pub fn column_of(path: &str, name: &str) -> Vec<String> {
    let mut table = csv::Reader::from_path(path).unwrap();
    let column = table
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == name)
        .unwrap();
    table
        .records()
        .map(|r| r.unwrap()[column].to_string())
        .collect()
}

/// trials.csv as a map from trial key to its columns.
pub struct Trials {
    pub header: Vec<String>,
    pub rows: BTreeMap<String, Vec<String>>,
}

impl Trials {
    pub fn read(path: &Path) -> Trials {
        let mut reader = csv::Reader::from_path(path).expect("trials.csv");
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        let key = header.iter().position(|h| h == "key").unwrap();
        let mut rows = BTreeMap::new();
        for record in reader.records() {
            let row: Vec<String> = record.unwrap().iter().map(String::from).collect();
            assert!(
                rows.insert(row[key].clone(), row).is_none(),
                "duplicate trial key in {}",
                path.display()
            );
        }
        Trials { header, rows }
    }

    /// A leaderboard.csv's ranked trials: its last row, the unranked baseline, checked and left out.
    pub fn read_board(path: &Path) -> Trials {
        let text = std::fs::read_to_string(path).expect("leaderboard.csv");
        let last = text.lines().last().unwrap_or_default();
        assert!(
            last.starts_with(",,baseline,baseline,baseline,"),
            "the baseline closes {}: {last}",
            path.display()
        );
        let mut board = Trials::read(path);
        board.rows.remove("baseline");
        board
    }

    pub fn get(&self, key: &str, column: &str) -> String {
        let c = self
            .header
            .iter()
            .position(|h| h == column)
            .unwrap_or_else(|| panic!("no column {column}"));
        self.rows
            .get(key)
            .unwrap_or_else(|| panic!("no trial {key}"))[c]
            .clone()
    }

    /// Every column except those that legitimately differ between runs (times, backend, worker pid).
    pub fn results(&self) -> BTreeMap<String, Vec<(String, String)>> {
        let varying = sweep::results::columns::RUN_SPECIFIC;
        self.rows
            .iter()
            .map(|(k, row)| {
                let kept = self
                    .header
                    .iter()
                    .zip(row)
                    .filter(|(h, _)| !varying.contains(&h.as_str()))
                    .map(|(h, v)| (h.clone(), v.clone()))
                    .collect();
                (k.clone(), kept)
            })
            .collect()
    }

    pub fn column(&self, column: &str) -> Vec<String> {
        let c = self.header.iter().position(|h| h == column).unwrap();
        self.rows.values().map(|r| r[c].clone()).collect()
    }
}

/// Whether a process with this pid still exists (and is not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

/// The reference sweep shipped in configs/, pointed at the repository's data.
pub fn reference_config(sandbox: &Sandbox) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("configs/breast_cancer.yaml")).unwrap();
    sandbox.write(
        "reference.yaml",
        &text.replace("../data/breast_cancer.csv", &data("breast_cancer.csv")),
    )
}

/// Rows in a trials.csv (0 when it does not exist).
pub fn rows_in(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count().saturating_sub(1))
}

/// Waits until the trials.csv (or leaderboard) at `path` has at least `rows` rows; fails after `limit`.
pub fn wait_for_rows(path: &std::path::Path, rows: usize, limit: Duration) {
    let started = Instant::now();
    while rows_in(path) < rows {
        assert!(
            started.elapsed() < limit,
            "{} never reached {rows} rows",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A sweep on iris of four quick naive Bayes trials, then fault trials that sleep these seconds each.
pub fn slow_sweep(sb: &Sandbox, seconds: &[f64]) -> PathBuf {
    let seconds: Vec<String> = seconds.iter().map(|s| s.to_string()).collect();
    sb.write(
        "slow.yaml",
        &format!(
            "name: slow\ndata: {{path: {}, target: target}}\ncv: {{folds: 2}}\nmodels:\n  - model: gaussian_nb\n    params: {{var_smoothing: [1.0e-9, 1.0e-8, 1.0e-7, 1.0e-6]}}\n  - model: fault\n    params: {{kind: sleep, seconds: [{}]}}\n",
            data("iris.csv"),
            seconds.join(", ")
        ),
    )
}

/// Starts `sweep run` into `out` and returns once trials.csv has at least `rows` rows.
pub fn run_until(
    sb: &Sandbox,
    config: &std::path::Path,
    out: &str,
    rows: usize,
    extra: &[&str],
) -> Child {
    let mut args = vec!["run", config.to_str().unwrap(), "--out", out, "--quiet"];
    args.extend_from_slice(extra);
    let mut child = sb.spawn(&args, Stdio::null());
    let started = Instant::now();
    while rows_in(&sb.path(out).join("trials.csv")) < rows {
        if started.elapsed() > Duration::from_secs(60) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the sweep ended or stalled before {rows} rows");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child
}
