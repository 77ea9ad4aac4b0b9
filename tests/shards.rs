//! Sharded runs on one machine: `run --shard I/N` shards add up to the single-machine run, `merge`
//! combines them (refusing missing shards unless --partial, and shards of different sweeps), `status`
//! shows them, a re-run shard continues where it stopped, and dependent searches refuse to shard.

mod common;

use common::{reference_config, Sandbox, Trials};
use std::time::Duration;

fn shard(sb: &Sandbox, config: &std::path::Path, shard: &str, out: &str) {
    sb.sweep(&[
        "run",
        config.to_str().unwrap(),
        "--shard",
        shard,
        "--out",
        out,
        "--quiet",
        "--no-report",
    ])
    .assert()
    .success();
}

#[test]
fn merged_shards_equal_the_single_machine_run_in_every_result() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    let single = sb.run_ok(&config, "single", &["--no-report"]);
    for i in 1..=3 {
        shard(&sb, &config, &format!("{i}/3"), "sharded");
    }
    let status = sb.sweep(&["status", "sharded"]).assert().success();
    let text = String::from_utf8_lossy(&status.get_output().stdout).to_string();
    assert!(text.contains("3 of 3 shards finished"), "{text}");
    sb.sweep(&["merge", "sharded"]).assert().success();
    let merged = Trials::read(&sb.path("sharded/trials.csv"));
    assert_eq!(merged.results(), single.results());
    let shards: std::collections::BTreeSet<String> = merged.column("shard").into_iter().collect();
    assert_eq!(shards.len(), 3);
    // Same ranking, same fingerprint as one machine's.
    let board = |dir: &str| -> Vec<String> {
        std::fs::read_to_string(sb.path(dir).join("leaderboard.csv"))
            .unwrap()
            .lines()
            .map(|l| l.split(',').take(3).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(board("sharded"), board("single"));
    let manifest = |dir: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(sb.path(dir).join("manifest.json")).unwrap())
            .unwrap()
    };
    assert_eq!(
        manifest("sharded")["trials"]["keys_fingerprint"],
        manifest("single")["trials"]["keys_fingerprint"]
    );
    assert_eq!(manifest("sharded")["status"], "finished");
    // The report draws one lane per shard's worker.
    let report = std::fs::read_to_string(sb.path("sharded/report.html")).unwrap();
    assert!(report.contains("shard 3 · thread"));
}

#[test]
fn merge_lists_missing_shards_merges_partially_on_request_and_refuses_other_sweeps() {
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    shard(&sb, &config, "1/3", "out");
    shard(&sb, &config, "2/3", "out");
    let refused = sb.sweep(&["merge", "out"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(stderr.contains("1 of 3 shards not finished"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "sweep run {} --shard 3/3 --out out",
            config.display()
        )),
        "{stderr}"
    );
    let status = sb.sweep(&["status", "out"]).assert().success();
    let text = String::from_utf8_lossy(&status.get_output().stdout).to_string();
    assert!(
        text.contains("missing") && text.contains("--shard 3/3"),
        "{text}"
    );

    sb.sweep(&["merge", "out", "--partial", "--no-report"])
        .assert()
        .success();
    let rows = |p: &str| common::rows_in(&sb.path(p));
    assert_eq!(
        rows("out/trials.csv"),
        rows("out/shards/1-of-3/trials.csv") + rows("out/shards/2-of-3/trials.csv")
    );
    let manifest = std::fs::read_to_string(sb.path("out/manifest.json")).unwrap();
    assert!(manifest.contains("\"status\": \"partial\""), "{manifest}");

    // A third shard from an edited sweep (another seed) is not a shard of the same sweep.
    let other = sb.write(
        "other.yaml",
        &std::fs::read_to_string(&config)
            .unwrap()
            .replace("seed: 0", "seed: 1"),
    );
    shard(&sb, &other, "3/3", "out");
    let refused = sb.sweep(&["merge", "out"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(stderr.contains("not shards of one sweep"), "{stderr}");
}

#[test]
fn a_shard_run_again_after_a_kill_continues_where_it_stopped() {
    let sb = Sandbox::new();
    let config = common::slow_sweep(&sb, &[0.3, 0.31, 0.32, 0.33]);
    let single = sb.run_ok(&config, "single", &["--no-report", "--jobs", "1"]);
    let args = [
        "run",
        config.to_str().unwrap(),
        "--shard",
        "1/2",
        "--out",
        "out",
        "--quiet",
        "--jobs",
        "1",
        "--no-report",
    ];
    let mut child = sb.spawn(&args, std::process::Stdio::null());
    let trials = sb.path("out/shards/1-of-2/trials.csv");
    common::wait_for_rows(&trials, 2, Duration::from_secs(60));
    child.kill().unwrap();
    child.wait().unwrap();
    let before = common::rows_in(&trials);
    assert!(before < 4, "the shard finished before the kill");
    let loud: Vec<&str> = args.iter().copied().filter(|a| *a != "--quiet").collect();
    let again = sb.sweep(&loud).assert().success();
    let stderr = String::from_utf8_lossy(&again.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!("{before} of 4 trials done")),
        "{stderr}"
    );
    shard(&sb, &config, "2/2", "out");
    // A finished shard run again does nothing.
    let done = sb.sweep(&args).assert().success();
    assert!(String::from_utf8_lossy(&done.get_output().stdout).contains("already finished"));
    sb.sweep(&["merge", "out", "--no-report"])
        .assert()
        .success();
    assert_eq!(
        Trials::read(&sb.path("out/trials.csv")).results(),
        single.results()
    );
}

#[test]
fn searches_whose_trials_depend_on_each_other_refuse_to_shard() {
    let sb = Sandbox::new();
    let tpe = common::repo().join("configs/breast_cancer_tpe.yaml");
    let refused = sb
        .sweep(&["run", tpe.to_str().unwrap(), "--shard", "1/2", "--out", "x"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(
        stderr.contains("--shard 1/2") && stderr.contains("tpe"),
        "{stderr}"
    );
    let refused = sb
        .sweep(&[
            "slurm",
            tpe.to_str().unwrap(),
            "--shards",
            "4",
            "--out",
            "x",
        ])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&refused.get_output().stderr).contains("proposes each trial"));
    // --shard needs the folder all shards share; and I/N must make sense.
    let quick = common::repo().join("configs/quickstart.yaml");
    sb.sweep(&["run", quick.to_str().unwrap(), "--shard", "1/2"])
        .assert()
        .code(2);
    sb.sweep(&[
        "run",
        quick.to_str().unwrap(),
        "--shard",
        "3/2",
        "--out",
        "x",
    ])
    .assert()
    .code(2);
}

#[test]
fn merging_many_shards_streams_them() {
    // 400 shard folders of 25 trials each, generated from one real shard's manifest: each holds its
    // own trial numbers, and its manifest the fingerprint of its keys, as a real shard would.
    let sb = Sandbox::new();
    let config = reference_config(&sb);
    shard(&sb, &config, "1/400", "one");
    let template: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(sb.path("one/shards/1-of-400/manifest.json")).unwrap(),
    )
    .unwrap();
    let header = std::fs::read_to_string(sb.path("one/shards/1-of-400/trials.csv"))
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let columns: Vec<&str> = header.split(',').collect();
    for i in 1..=400usize {
        let dir = sb.path(&format!("many/shards/{i}-of-400"));
        std::fs::create_dir_all(&dir).unwrap();
        let key = |t: usize| format!("gaussian_nb(var_smoothing={i}.{t})");
        let sum = (0..25).fold(0u64, |sum, t| {
            sum.wrapping_add(sweep::seed::key_hash(&key(t)))
        });
        let mut manifest = template.clone();
        manifest["shard"]["index"] = i.into();
        manifest["trials"]["total"] = 25.into();
        manifest["trials"]["keys_fingerprint"] = format!("25-{sum:016x}").into();
        std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
        let mut text = header.clone() + "\n";
        for t in 0..25 {
            let row: Vec<String> = columns
                .iter()
                .map(|c| match *c {
                    "trial" => (t * 400 + i - 1).to_string(),
                    "key" => key(t),
                    "model" => "gaussian_nb".into(),
                    "status" => "ok".into(),
                    "params" => "{}".into(),
                    c if c.starts_with("mean_test_") || c.starts_with("split") => {
                        format!("0.{}", (i * 31 + t * 7) % 1000)
                    }
                    _ => "0".into(),
                })
                .collect();
            text.push_str(&row.join(","));
            text.push('\n');
        }
        std::fs::write(dir.join("trials.csv"), text).unwrap();
    }
    sb.sweep(&["merge", "many", "--no-report"])
        .assert()
        .success();
    assert_eq!(common::rows_in(&sb.path("many/trials.csv")), 10_000);
    // Every trial, then the baseline.
    assert_eq!(common::rows_in(&sb.path("many/leaderboard.csv")), 10_001);
}
