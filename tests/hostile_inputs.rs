//! Hostile tables, numbers, shard folders and results folders: each is refused with exit 2 naming
//! the place, or said in a warning, or drawn; never a silent wrong result, a hang or a panic.

mod common;
use common::*;
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// `sweep <args>`: exit code and stderr.
fn outcome(sb: &Sandbox, args: &[&str]) -> (i32, String, String) {
    let output = sb.sweep(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    )
}

fn sweep_on(path: &str, target: &str, extra: &str, models: &str) -> String {
    format!("name: h\ndata: {{path: {path}, target: {target}}}\n{extra}models:\n{models}")
}

/// 40 rows: `a` numbers, `d` dates, `y` two classes.
fn table(a: impl Fn(usize) -> String, d: impl Fn(usize) -> String) -> String {
    let mut text = String::from("a,d,y\n");
    for i in 0..40 {
        text.push_str(&format!("{},{},{}\n", a(i), d(i), i % 2));
    }
    text
}

#[test]
fn a_few_stray_cells_in_a_numeric_or_date_column_are_said_and_the_override_names_them() {
    let sb = Sandbox::new();
    let number = |i: usize| format!("{}.25", i * 7 % 13);
    let date = |i: usize| format!("2020-01-{:02}", i % 28 + 1);
    for (stray, column, line) in [
        ("1e400", "a", 9),
        ("inf", "a", 9),
        ("-Infinity", "a", 9),
        ("abc", "a", 9),
        ("2020-02-30", "d", 9),
        ("24:00:00", "d", 9),
    ] {
        let text = if column == "a" {
            table(|i| if i == 7 { stray.into() } else { number(i) }, date)
        } else {
            table(number, |i| if i == 7 { stray.into() } else { date(i) })
        };
        let path = sb.write("t.csv", &text);
        let config = sb.write(
            "t.yaml",
            &sweep_on(path.to_str().unwrap(), "y", "", "  - model: gaussian_nb\n"),
        );
        let (code, _, stderr) = outcome(&sb, &["expand", config.to_str().unwrap()]);
        assert_eq!(code, 0, "{stray}: {stderr}");
        assert!(
            stderr.contains(&format!("column `{column}`"))
                && stderr.contains(&format!("line {line}: `{stray}`"))
                && stderr.contains("1 cell(s)"),
            "{stray}: {stderr}"
        );
        let kind = if column == "a" { "number" } else { "date" };
        let strict = sb.write(
            "s.yaml",
            &sweep_on(path.to_str().unwrap(), "y", "", "  - model: gaussian_nb\n").replace(
                "target: y}",
                &format!("target: y, columns: {{{column}: {kind}}}}}"),
            ),
        );
        let (code, _, stderr) = outcome(&sb, &["expand", strict.to_str().unwrap()]);
        assert_eq!(code, 2, "{stray}: {stderr}");
        assert!(
            stderr.contains(&format!("line {line}")),
            "{stray}: {stderr}"
        );
    }
}

#[test]
fn fits_that_overflow_fail_their_trial_with_the_reason() {
    let sb = Sandbox::new();
    let mut huge = String::from("a,b,y\n");
    for i in 0..40 {
        let sign = if i % 2 == 0 { "" } else { "-" };
        huge.push_str(&format!("{sign}1.7e308,{sign}1.6e308,{}\n", i % 2));
    }
    let path = sb.write("huge.csv", &huge);
    let config = sb.write(
        "svm.yaml",
        &sweep_on(
            path.to_str().unwrap(),
            "y",
            "cv: {folds: 2}\nrefit: none\n",
            "  - model: svm\n    preprocess: [min_max_scaler]\n",
        ),
    );
    let trials = sb.run_ok(&config, "svm", &[]);
    assert_eq!(trials.column("status"), vec!["failed"]);
    assert!(trials.column("error")[0].contains("not a finite number"));

    let mut targets = String::from("a,y\n");
    for i in 0..40 {
        let sign = if i % 2 == 0 { "" } else { "-" };
        targets.push_str(&format!("{}.5,{sign}1.5e308\n", i % 5));
    }
    let path = sb.write("targets.csv", &targets);
    let config = sb.write(
        "tree.yaml",
        &sweep_on(
            path.to_str().unwrap(),
            "y",
            "cv: {folds: 2}\nrefit: none\n",
            "  - model: decision_tree\n    params: {max_depth: 1}\n",
        )
        .replace("target: y}", "target: y, task: regression}"),
    );
    let trials = sb.run_ok(&config, "tree", &[]);
    assert_eq!(trials.column("status"), vec!["failed"]);
    assert!(
        trials.column("error")[0].contains("overflowed"),
        "{:?}",
        trials.column("error")
    );
}

#[test]
fn a_gzip_bomb_is_refused_before_it_fills_memory() {
    let sb = Sandbox::new();
    let path = sb.path("bomb.csv.gz");
    // One compressed row of half a MiB, repeated as gzip members: 150 MiB of text in a small file.
    let member = |text: &[u8]| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(text).unwrap();
        encoder.finish().unwrap()
    };
    let row = member(format!("{},0\n", "7".repeat(512 << 10)).as_bytes());
    let mut bomb = member(b"a,y\n");
    for _ in 0..300 {
        bomb.extend_from_slice(&row);
    }
    std::fs::write(&path, bomb).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
    let (code, _, stderr) = outcome(&sb, &["inspect", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("bomb.csv.gz") && stderr.contains("decompression bomb"),
        "{stderr}"
    );
}

#[test]
fn huge_cells_and_headers_are_refused_or_read_quickly_with_short_messages() {
    let sb = Sandbox::new();
    let one_line = sb.write("line.csv", &"x".repeat(3 << 20));
    let (code, _, stderr) = outcome(&sb, &["inspect", one_line.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("line 1") && stderr.len() < 1000, "{stderr}");

    let endless = sb.write("endless.csv", &format!("a,y\n{}", "7,".repeat(33 << 20)));
    let (code, _, stderr) = outcome(&sb, &["inspect", endless.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("line 2: more than 64 MiB without a line break"),
        "{stderr}"
    );

    let cell = sb.write(
        "cell.csv",
        &format!("a,y\n1,0\n{},1\n", "7".repeat(2 << 20)),
    );
    let (code, _, stderr) = outcome(&sb, &["inspect", cell.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("line 3, field 1"), "{stderr}");

    let names: Vec<String> = (0..100_000).map(|i| format!("column_{i}")).collect();
    let mut wide = names.join(",");
    wide.push('\n');
    wide.push_str(&vec!["1"; names.len()].join(","));
    wide.push('\n');
    let wide = sb.write("wide.csv", &wide);
    let config = sb.write(
        "wide.yaml",
        &sweep_on(
            wide.to_str().unwrap(),
            "no_such_column",
            "",
            "  - model: gaussian_nb\n",
        ),
    );
    let started = Instant::now();
    let (code, _, stderr) = outcome(&sb, &["expand", config.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("and 99988 more") && stderr.len() < 2000,
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn halving_refuses_a_resource_past_the_parameters_bound() {
    let sb = Sandbox::new();
    for max in ["1000000000", "18446744073709551615", "100001"] {
        let config = sb.write(
            "h.yaml",
            &sweep_on(
                &data("iris.csv"),
                "target",
                &format!(
                    "search: {{strategy: halving, resource: n_estimators, max_resource: {max}}}\n"
                ),
                "  - model: random_forest\n    params: {max_depth: [2, 3]}\n",
            ),
        );
        let (code, _, stderr) = outcome(&sb, &["expand", config.to_str().unwrap()]);
        assert_eq!(code, 2, "{max}: {stderr}");
        assert!(stderr.contains("at most 100000"), "{max}: {stderr}");
    }
}

#[test]
fn cache_memory_at_or_above_the_memory_limit_is_refused() {
    let sb = Sandbox::new();
    let config = sb.write(
        "c.yaml",
        &sweep_on(
            &data("iris.csv"),
            "target",
            "execution: {backend: processes, memory_limit: 512MiB, cache_memory: 1GiB}\n",
            "  - model: svm\n",
        ),
    );
    let (code, _, stderr) = outcome(&sb, &["expand", config.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cache_memory"), "{stderr}");
}

#[test]
fn malformed_crlf_files_name_the_right_line_without_record_numbers() {
    let sb = Sandbox::new();
    let mut text = String::from("a,y\r\n");
    for i in 0..30 {
        text.push_str(&format!("{i},{}\r\n", i % 2));
    }
    text.push_str("5\r\n");
    let path = sb.write("crlf.csv", &text);
    let (code, _, stderr) = outcome(&sb, &["inspect", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("line 32:") && !stderr.contains("record"),
        "{stderr}"
    );
}

#[test]
fn control_characters_in_names_reach_the_terminal_escaped() {
    let sb = Sandbox::new();
    let mut text = String::from("\"evil\x1b]0;pwned\x07\x1b[2J\",\"rtl\u{202e}name\",y\n");
    for i in 0..30 {
        text.push_str(&format!("{}.5,{},{}\n", i, i % 3, i % 2));
    }
    let path = sb.write("evil.csv", &text);
    let (code, stdout, stderr) = outcome(&sb, &["inspect", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    for shown in [&stdout, &stderr] {
        assert!(!shown.contains('\x1b') && !shown.contains('\x07') && !shown.contains('\u{202e}'));
    }
    assert!(stdout.contains("evil\\u{1b}]0;pwned\\u{7}"), "{stdout}");
    let config = sb.write(
        "e.yaml",
        &sweep_on(
            path.to_str().unwrap(),
            "nope\x1b[2J",
            "",
            "  - model: gaussian_nb\n",
        ),
    );
    let (code, _, stderr) = outcome(&sb, &["expand", config.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        !stderr.contains('\x1b') && stderr.contains("\\u{1b}"),
        "{stderr}"
    );
}

#[test]
fn a_report_of_a_folder_with_extreme_numbers_ends_and_says_what_it_left_out() {
    let sb = Sandbox::new();
    let config = sb.write(
        "q.yaml",
        &sweep_on(
            &data("iris.csv"),
            "target",
            "name_suffix: x\n",
            "  - model: decision_tree\n    params: {max_depth: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}\n",
        )
        .replace("name_suffix: x\n", "")
        .replace("name: h", "name: \"rev\u{202e}ersed\""),
    );
    sb.run_ok(&config, "out", &["--no-report"]);
    let path = sb.path("out/trials.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&header).unwrap();
    for (i, row) in rows.iter().enumerate() {
        let edited: Vec<String> = header
            .iter()
            .zip(row.iter())
            .map(|(h, cell)| {
                let extreme = [
                    "std_test_accuracy",
                    "mean_fit_time",
                    "mean_test_accuracy",
                    "param_max_depth",
                    "start_offset",
                    "end_offset",
                ];
                if extreme.contains(&h) {
                    if i % 2 == 0 { "1e308" } else { "-1e308" }.to_string()
                } else {
                    cell.to_string()
                }
            })
            .collect();
        writer.write_record(&edited).unwrap();
    }
    writer.flush().unwrap();
    let mut child = sb.spawn(&["report", "out"], Stdio::null());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("sweep report does not end on a folder with ±1e308 cells");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    let page = std::fs::read_to_string(sb.path("out/report.html")).unwrap();
    assert!(page.contains("not drawn"));
    assert!(!page.contains('\u{202e}') && page.contains("rev\\u{202e}ersed"));
}

/// Three shards of the quickstart merged once, to tamper with copies.
fn sharded(sb: &Sandbox) -> std::path::PathBuf {
    let config = repo().join("configs/quickstart.yaml");
    for i in 1..=3 {
        let shard = format!("{i}/3");
        sb.sweep(&[
            "run",
            config.to_str().unwrap(),
            "--shard",
            &shard,
            "--out",
            "sharded",
            "--quiet",
            "--no-report",
        ])
        .assert()
        .success();
    }
    sb.path("sharded")
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn merge_refuses_shards_whose_rows_are_missing_foreign_edited_or_unreadable() {
    let sb = Sandbox::new();
    let original = sharded(&sb);
    let rows = |text: &str| text.lines().map(String::from).collect::<Vec<_>>();
    let shard_one = |dir: &std::path::Path| dir.join("shards/1-of-3/trials.csv");
    let other = std::fs::read_to_string(original.join("shards/2-of-3/trials.csv")).unwrap();
    type Edit = Box<dyn Fn(Vec<String>) -> Option<Vec<String>>>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "a missing row",
            Box::new(|mut r| {
                r.remove(2);
                Some(r)
            }),
            "holds 7 rows",
        ),
        (
            "a foreign row",
            Box::new(move |mut r| {
                r.push(rows(&other)[1].clone());
                Some(r)
            }),
            "not a trial number of shard 1/3",
        ),
        (
            "an extra field",
            Box::new(|mut r| {
                r[2].push_str(",extra");
                Some(r)
            }),
            "fields where the header has",
        ),
        (
            "an unknown status",
            Box::new(|mut r| {
                r[2] = r[2].replacen(",ok,", ",great,", 1);
                Some(r)
            }),
            "status `great`",
        ),
        (
            "an edited trial number",
            Box::new(|mut r| {
                let rest = r[2].split_once(',').unwrap().1.to_string();
                r[2] = format!("2,{rest}");
                Some(r)
            }),
            "not a trial number",
        ),
        ("no trials.csv", Box::new(|_| None), "no trials.csv"),
        (
            "no status column",
            Box::new(|mut r| {
                r[0] = r[0].replacen("status", "state", 1);
                Some(r)
            }),
            "no `status` column",
        ),
    ];
    for (what, edit, says) in cases {
        let dir = sb.path(&format!("case-{}", what.replace(' ', "-")));
        copy_dir(&original, &dir);
        let text = std::fs::read_to_string(shard_one(&dir)).unwrap();
        match edit(rows(&text)) {
            Some(lines) => std::fs::write(shard_one(&dir), lines.join("\n") + "\n").unwrap(),
            None => std::fs::remove_file(shard_one(&dir)).unwrap(),
        }
        let (code, _, stderr) = outcome(&sb, &["merge", dir.to_str().unwrap(), "--no-report"]);
        assert_eq!(code, 2, "{what}: {stderr}");
        assert!(
            stderr.contains(says) && stderr.contains("1-of-3"),
            "{what}: {stderr}"
        );
        assert!(
            !dir.join("manifest.json").exists(),
            "{what}: nothing marked finished"
        );
    }
    let (code, _, stderr) = outcome(&sb, &["merge", original.to_str().unwrap(), "--no-report"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_parquet_nested_column_is_refused_only_when_read() {
    use parquet::data_type::{DoubleType, Int32Type};
    use parquet::file::writer::SerializedFileWriter;
    let sb = Sandbox::new();
    let path = sb.path("nested.parquet");
    let schema = std::sync::Arc::new(
        parquet::schema::parser::parse_message_type(
            "message t { REQUIRED DOUBLE a; REQUIRED INT32 y; OPTIONAL group tags { OPTIONAL INT32 v; } }",
        )
        .unwrap(),
    );
    let mut writer = SerializedFileWriter::new(
        std::fs::File::create(&path).unwrap(),
        schema,
        Default::default(),
    )
    .unwrap();
    let mut group = writer.next_row_group().unwrap();
    let n = 40;
    let a: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
    let y: Vec<i32> = (0..n).map(|i| i32::from(i >= n / 2)).collect();
    let mut column = group.next_column().unwrap().unwrap();
    column
        .typed::<DoubleType>()
        .write_batch(&a, None, None)
        .unwrap();
    column.close().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    column
        .typed::<Int32Type>()
        .write_batch(&y, None, None)
        .unwrap();
    column.close().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    let v: Vec<i32> = (0..n).map(|i| i as i32).collect();
    column
        .typed::<Int32Type>()
        .write_batch(&v, Some(&vec![2i16; n]), None)
        .unwrap();
    column.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();

    let models = "  - model: gaussian_nb\n";
    let reads = sb.write(
        "reads.yaml",
        &sweep_on(path.to_str().unwrap(), "y", "", models),
    );
    let (code, _, stderr) = outcome(&sb, &["expand", reads.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`tags`") && stderr.contains("drop"),
        "{stderr}"
    );
    let skips = sb.write(
        "skips.yaml",
        &sweep_on(path.to_str().unwrap(), "y", "", models)
            .replace("target: y}", "target: y, drop: [tags]}"),
    );
    let (code, _, stderr) = outcome(&sb, &["expand", skips.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
}
