//! report.html: written by every run, drawn again by `sweep report`, parsed here and checked for what
//! it says: one mark per ok trial on the cost chart, one timeline lane per worker, every family and its
//! best parameters, nothing fetched from anywhere; and in a real browser (headless Chromium): no
//! console error, no element outside the page.

mod common;

use common::{repo, Sandbox};
use scraper::{Html, Selector};
use std::collections::BTreeSet;
use std::path::Path;

fn page(path: &Path) -> Html {
    let text = std::fs::read_to_string(path).expect("report.html");
    let html = Html::parse_document(&text);
    assert!(
        html.errors.is_empty(),
        "HTML parse errors: {:?}",
        html.errors
    );
    html
}

fn select<'a>(html: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&Selector::parse(css).unwrap()).collect()
}

fn text(e: &scraper::ElementRef) -> String {
    e.text().collect::<String>().trim().to_string()
}

/// Every `<text>` of an SVG, trimmed.
fn svg_texts(html: &Html, css: &str) -> Vec<String> {
    select(html, &format!("{css} svg text"))
        .iter()
        .map(text)
        .filter(|t| !t.is_empty())
        .collect()
}

/// Nothing on the page can make the browser fetch: no scripts, links, images, frames, CSS urls.
fn assert_self_contained(html: &Html, raw: &str) {
    for css in [
        "script", "link", "img", "iframe", "object", "embed", "[src]", "image",
    ] {
        assert!(select(html, css).is_empty(), "the page has {css}");
    }
    for e in select(html, "[href]") {
        let href = e.value().attr("href").unwrap();
        assert!(href.starts_with('#'), "the page links to {href}");
    }
    assert!(!raw.contains("url("), "CSS fetches a url");
    assert!(!raw.contains("@import"), "CSS imports");
}

#[test]
fn a_run_writes_a_report_that_names_every_family_marks_every_ok_trial_and_every_worker() {
    let sb = Sandbox::new();
    let config = repo().join("configs/quickstart.yaml");
    let out = sb.path("run");
    let output = sb
        .sweep(&[
            "run",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--backend",
            "processes",
            "--jobs",
            "2",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(output).unwrap();
    assert!(stdout.contains("report.html"), "{stdout}");
    let trials = common::Trials::read(&out.join("trials.csv"));
    let raw = std::fs::read_to_string(out.join("report.html")).unwrap();
    let html = page(&out.join("report.html"));
    assert_self_contained(&html, &raw);

    // One circle per ok trial on the cost chart.
    let ok = trials
        .column("status")
        .iter()
        .filter(|s| *s == "ok")
        .count();
    assert!(ok > 10);
    assert_eq!(select(&html, "#cost-chart svg circle").len(), ok);

    // One lane per worker process, named by the pids trials.csv records.
    let pids: BTreeSet<String> = trials
        .column("worker")
        .into_iter()
        .map(|p| format!("pid {p}"))
        .collect();
    let lanes: BTreeSet<String> = svg_texts(&html, "#timeline-chart")
        .into_iter()
        .filter(|t| t.starts_with("pid "))
        .collect();
    assert_eq!(lanes, pids);

    // Every family, with the best parameters trials.csv gives it.
    let best_table = select(&html, "#summary table")
        .into_iter()
        .find(|t| text(t).contains("parameters"))
        .expect("best-per-family table");
    let summary = text(&best_table);
    for family in [
        "logistic_regression",
        "decision_tree",
        "gaussian_nb",
        "svm",
        "random_forest",
    ] {
        assert!(summary.contains(family), "{family} missing from {summary}");
        assert!(!select(&html, &format!("h3#family-{family}")).is_empty());
    }
    let mut board = csv::Reader::from_path(out.join("leaderboard.csv")).unwrap();
    let key_col = board
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "key")
        .unwrap();
    let best_key = board.records().next().unwrap().unwrap()[key_col].to_string();
    // e.g. logistic_regression+standard_scaler(alpha=0.01) -> alpha=0.01
    let params = best_key.split('(').nth(1).unwrap().trim_end_matches(')');
    assert!(summary.contains(params), "{params} missing from {summary}");

    // A parameter spanning decades gets a log axis; the leaderboard shows the top 20, then the
    // baseline (the summary says what it predicts and the class balance).
    assert!(raw.contains("against alpha (log axis)"));
    assert_eq!(select(&html, "#leaderboard tr").len(), 22);
    let baseline = text(&select(&html, "#leaderboard tr.baseline")[0]);
    assert!(baseline.contains("baseline: always predicts"), "{baseline}");
    assert!(text(&select(&html, "#summary")[0]).contains("scikit-learn's DummyClassifier"));
}

#[test]
fn reports_of_a_search_of_a_failed_run_and_of_several_runs_say_what_they_have() {
    let sb = Sandbox::new();
    let tpe = repo().join("configs/breast_cancer_tpe.yaml");
    sb.sweep(&["run", tpe.to_str().unwrap(), "--out", "tpe", "--quiet"])
        .assert()
        .success();
    let html = page(&sb.path("tpe/report.html"));
    // A search has a history: the best so far against trial number and time.
    assert_eq!(select(&html, "#history-trials svg").len(), 1);
    assert_eq!(select(&html, "#history-time svg").len(), 1);

    // Every trial failing still gives a page, which lists the failures grouped.
    let failing = sb.write(
        "failing.yaml",
        &format!(
            "name: failing\ndata:\n  path: {}\n  target: target\ncv:\n  folds: 3\nmodels:\n  - model: fault\n    params:\n      kind: [error]\n      seconds: [1, 2, 3]\n",
            common::data("iris.csv")
        ),
    );
    sb.sweep(&[
        "run",
        failing.to_str().unwrap(),
        "--out",
        "failing",
        "--quiet",
    ])
    .assert()
    .success();
    let raw = std::fs::read_to_string(sb.path("failing/report.html")).unwrap();
    let html = page(&sb.path("failing/report.html"));
    let rows = select(&html, "#failures tr");
    assert_eq!(rows.len(), 2, "one group for three like failures: {raw}");
    assert!(text(&rows[1]).contains('3'));
    assert!(raw.contains("No trial finished ok."));

    // Two runs on one page, each named; --no-report leaves the folder without one.
    let quick = repo().join("configs/quickstart.yaml");
    sb.sweep(&[
        "run",
        quick.to_str().unwrap(),
        "--out",
        "quick",
        "--quiet",
        "--no-report",
    ])
    .assert()
    .success();
    assert!(!sb.path("quick/report.html").exists());
    sb.sweep(&["report", "quick", "tpe", "--out", "both.html"])
        .assert()
        .success();
    let html = page(&sb.path("both.html"));
    let header = text(&select(&html, "#summary tr")[0]);
    assert!(
        header.contains("quick") && header.contains("tpe"),
        "{header}"
    );
    assert!(text(&select(&html, "#summary")[0]).contains("different data"));
    sb.sweep(&["report", "nowhere"]).assert().code(2);
}

/// Chromium, as Debian installs it.
fn chromium() -> std::path::PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(path) = which(name) {
            return path;
        }
    }
    panic!(
        "headless Chromium is needed to check the report in a real browser: install Debian's \
         `chromium` package (tests/install-system-packages.sh does)"
    );
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

/// Runs in the page before anything else: collects errors and console errors, then on load every
/// element sticking out of the page's width and every resource the page fetched, into `#check`.
const PROBE: &str = r#"<script>
window.__problems = [];
window.addEventListener('error', e => window.__problems.push('error: ' + (e.message || (e.target && e.target.outerHTML))), true);
const consoleError = console.error;
console.error = (...a) => { window.__problems.push('console.error: ' + a.join(' ')); consoleError(...a); };
window.addEventListener('load', () => {
  const width = document.documentElement.clientWidth;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) {
      window.__problems.push('outside the page: <' + el.tagName.toLowerCase() + ' id=' + el.id + ' class=' + el.className + '> ' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + width);
    }
  }
  if (document.documentElement.scrollWidth > width) window.__problems.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + width);
  for (const r of performance.getEntriesByType('resource')) window.__problems.push('fetched: ' + r.name);
  const out = document.createElement('pre');
  out.id = 'check';
  out.textContent = JSON.stringify({problems: window.__problems, svgs: document.querySelectorAll('svg').length});
  document.body.appendChild(out);
});
</script>"#;

/// Renders `page` in headless Chromium at `width` pixels and returns what the probe found.
fn browse(page: &Path, width: u32) -> (Vec<String>, usize) {
    let text = std::fs::read_to_string(page).unwrap();
    let probed = page.with_extension(format!("probe{width}.html"));
    std::fs::write(
        &probed,
        text.replacen("<head>", &format!("<head>{PROBE}"), 1),
    )
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
            &format!("--user-data-dir={}", profile.path().display()),
            &format!("--window-size={width},900"),
            "--dump-dom",
            &format!("file://{}", probed.display()),
        ])
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let html = Html::parse_document(&dom);
    let check = select(&html, "pre#check");
    assert_eq!(
        check.len(),
        1,
        "the page never loaded; chromium said: {stderr}"
    );
    let found: serde_json::Value = serde_json::from_str(&text_of(&check[0])).unwrap();
    let problems = found["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .chain(
            stderr
                .lines()
                .filter(|l| l.contains("CONSOLE"))
                .map(String::from),
        )
        .collect();
    (problems, found["svgs"].as_u64().unwrap() as usize)
}

fn text_of(e: &scraper::ElementRef) -> String {
    e.text().collect()
}

/// A classification run with a leak and a test set, and a regression run without one.
fn model_runs(sb: &Sandbox) -> (std::path::PathBuf, std::path::PathBuf) {
    let credit = sb.write(
        "credit.yaml",
        &format!(
            "name: credit\nseed: 2\ndata: {{path: {}, target: card}}\ncv: {{folds: 3, test_fraction: 0.25}}\n\
             refit: per_model\nmodels:\n  - model: logistic_regression\n  - model: decision_tree\n    params: {{max_depth: [2, 4]}}\n",
            common::data("credit_leak.csv")
        ),
    );
    let diabetes = sb.write(
        "diabetes.yaml",
        &format!(
            "name: diabetes\ndata: {{path: {}, target: target}}\ncv: {{folds: 4}}\nmetric: r2\nmodels:\n  - model: gradient_boosting\n    params: {{max_iter: [30]}}\n",
            common::data("diabetes.csv")
        ),
    );
    sb.run_ok(&credit, "credit", &[]);
    sb.run_ok(&diabetes, "diabetes", &[]);
    (sb.path("credit"), sb.path("diabetes"))
}

#[test]
fn the_report_is_about_the_model_data_checks_test_set_confusion_matrix_residuals_importance() {
    let sb = Sandbox::new();
    let (credit, diabetes) = model_runs(&sb);
    let html = page(&credit.join("report.html"));
    // The data checks come first, naming the leak.
    let checks = text(&select(&html, "#checks")[0]);
    assert!(
        checks.contains("feature `expenditure` almost determines the target `card`"),
        "{checks}"
    );
    let sections: Vec<String> = select(&html, "section")
        .iter()
        .map(|s| s.value().attr("id").unwrap_or("").to_string())
        .collect();
    assert_eq!(
        sections.first().map(String::as_str),
        Some("checks"),
        "{sections:?}"
    );
    // The test set: how it was drawn, its rows and class balance; test scores per family.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(credit.join("manifest.json")).unwrap())
            .unwrap();
    let test_rows = manifest["test"]["rows"].as_u64().unwrap();
    let summary = text(&select(&html, "#summary")[0]);
    assert!(
        summary.contains(&format!("25% of the rows held out before the search (stratified by class, seed 2): {test_rows} rows")),
        "{summary}"
    );
    let best_of_family = &select(&html, "#summary > table")[1];
    let header = text(&select_in(best_of_family, "tr")[0]);
    assert!(header.contains("accuracy (test set)"), "{header}");
    for model in manifest["models"].as_array().unwrap() {
        let score = format!("{:.4}", model["test"]["test_accuracy"].as_f64().unwrap());
        let family = model["model"].as_str().unwrap();
        let row = select_in(best_of_family, "tr")
            .into_iter()
            .find(|r| text(r).starts_with(family))
            .unwrap();
        assert!(
            text(&row).contains(&score),
            "{family}: {} lacks {score}",
            text(&row)
        );
    }
    // The confusion matrix counts every test row once.
    let model = &select(&html, "#model")[0];
    let matrix = &select_in(model, "table")[0];
    let counted: u64 = select_in(matrix, "td")
        .iter()
        .filter_map(|td| text(td).parse::<u64>().ok())
        .sum();
    assert_eq!(counted, test_rows, "{}", text(matrix));
    assert!(
        text(model).contains(&format!("On the {test_rows} held-out test rows")),
        "{}",
        text(model)
    );
    let per_class = text(&select_in(model, "table")[1]);
    assert!(
        per_class.contains("precision") && per_class.contains("recall"),
        "{per_class}"
    );
    // Permutation importance names the table's columns, and the leak is what the model relies on.
    let importance = &select_in(model, "table")[2];
    let first = text(&select_in(importance, "td")[0]);
    assert!(
        first == "expenditure" || first == "share",
        "the leak leads: {}",
        text(importance)
    );

    // Without a test set: out-of-fold predictions of every row, drawn against the truth.
    let html = page(&diabetes.join("report.html"));
    let model = text(&select(&html, "#model")[0]);
    assert!(
        model.contains("On each cross-validation fold's held-out rows (442 rows"),
        "{model}"
    );
    assert_eq!(select(&html, "#model figure#predicted svg").len(), 1);
    assert_eq!(select(&html, "#model figure#residuals svg").len(), 1);
    let folder = std::fs::read_dir(diabetes.join("models"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let out_of_fold = folder.join("out_of_fold.csv");
    let folds = common::column_of(out_of_fold.to_str().unwrap(), "fold");
    let mut rows = common::column_of(out_of_fold.to_str().unwrap(), "row");
    assert!(folds.windows(2).all(|w| w[0] <= w[1]), "fold by fold");
    assert_eq!(folds.last().map(String::as_str), Some("3"), "four folds");
    rows.sort_by_key(|r| r.parse::<usize>().unwrap());
    assert_eq!(
        rows,
        (0..442).map(|r| r.to_string()).collect::<Vec<_>>(),
        "each row once"
    );
}

fn select_in<'a>(e: &scraper::ElementRef<'a>, css: &str) -> Vec<scraper::ElementRef<'a>> {
    e.select(&Selector::parse(css).unwrap()).collect()
}

#[test]
#[ignore = "needs Chromium: tests/install-system-packages.sh, then cargo test -- --include-ignored"]
fn the_report_renders_in_a_browser_without_errors_and_stays_within_the_page() {
    let sb = Sandbox::new();
    let config = repo().join("configs/breast_cancer_halving.yaml");
    sb.sweep(&["run", config.to_str().unwrap(), "--out", "run", "--quiet"])
        .assert()
        .success();
    let (credit, diabetes) = model_runs(&sb);
    // The search's charts, and the model's sections: data checks, confusion matrix, residuals.
    for (report, least) in [
        (sb.path("run/report.html"), 9),
        (credit.join("report.html"), 3),
        (diabetes.join("report.html"), 4),
    ] {
        let html = page(&report);
        let svgs = html.select(&Selector::parse("svg").unwrap()).count();
        assert!(svgs >= least, "{}: {svgs} charts", report.display());
        for width in [1280, 800] {
            let (problems, rendered) = browse(&report, width);
            assert!(
                problems.is_empty(),
                "{} at {width} px: {problems:#?}",
                report.display()
            );
            assert_eq!(rendered, svgs, "every chart is in the rendered page");
        }
    }
}
