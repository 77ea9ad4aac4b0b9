//! The summary table: what ran, on what data, how it was judged, and how it ended.

use super::*;

fn cv_text(cv: &CvPlan) -> String {
    match cv {
        CvPlan::KFold {
            folds,
            stratified,
            shuffle,
        } => format!(
            "{folds}-fold{}{}",
            if *stratified { ", stratified" } else { "" },
            if *shuffle { ", shuffled" } else { "" }
        ),
        CvPlan::Holdout {
            test_fraction,
            stratified,
            shuffle,
        } => format!(
            "hold-out {:.0}%{}{}",
            test_fraction * 100.0,
            if *stratified { ", stratified" } else { "" },
            if *shuffle { ", shuffled" } else { "" }
        ),
    }
}

/// `number ×4, category ×2` and the columns left out, from the data's column report.
fn column_kinds(m: &Manifest) -> String {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &m.data.columns {
        if !c.role.starts_with("target") {
            *kinds.entry(c.kind.name()).or_insert(0) += 1;
        }
    }
    kinds
        .iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the data checks found, first on the page: a leak or a column left out changes how every
/// score below reads.
fn data_checks(page: &mut String, runs: &[Run]) {
    if runs.iter().all(|r| r.manifest.data.warnings.is_empty()) {
        return;
    }
    page.push_str("<section id=\"checks\"><h2>Data checks</h2>\n");
    for r in runs.iter().filter(|r| !r.manifest.data.warnings.is_empty()) {
        let _ = write!(
            page,
            "<div class=\"warn\">{}<ul>",
            if runs.len() > 1 {
                format!("<b>{}</b>", esc(&r.label))
            } else {
                String::new()
            }
        );
        for w in &r.manifest.data.warnings {
            let _ = write!(page, "<li>{}</li>", esc(w));
        }
        page.push_str("</ul></div>\n");
    }
    page.push_str("</section>\n");
}

/// `; <code>no</code> 859 (85.9%); ...`: each class's rows and share.
fn balance_text<'a>(counts: impl Iterator<Item = (&'a str, usize)> + Clone) -> String {
    let rows: usize = counts.clone().map(|(_, n)| n).sum();
    counts
        .map(|(label, n)| {
            format!(
                "; <code>{}</code> {n} ({:.1}%)",
                esc(label),
                100.0 * n as f64 / rows.max(1) as f64
            )
        })
        .collect()
}

/// How the test set was drawn and what is in it.
fn test_set_text(r: &Run) -> String {
    let Some(test) = &r.manifest.test else {
        return "none: the scores are cross-validation means (set <code>cv.test_fraction</code> or \
                <code>data.test</code> to hold rows out)"
            .into();
    };
    let drawn = match &test.source {
        crate::spec::TestSource::Split { fraction } => format!(
            "{:.0}% of the rows held out before the search ({}seed {})",
            fraction * 100.0,
            if r.manifest.task == Task::Classification {
                "stratified by class, "
            } else {
                ""
            },
            r.manifest.seed
        ),
        crate::spec::TestSource::File { path, .. } => {
            format!("the file <code>{}</code>", esc(&path.display().to_string()))
        }
    };
    let balance = match (&r.held_out, r.manifest.task) {
        (Some(held), Task::Classification) if held.on_test_set => {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for t in &held.truth {
                *counts.entry(t).or_insert(0) += 1;
            }
            balance_text(counts.iter().map(|(label, n)| (*label, *n)))
        }
        _ => String::new(),
    };
    format!(
        "{drawn}: {}{balance}; the search never saw them, each saved model is scored on them once \
         (test_predictions.csv names each row)",
        count(test.rows, "row")
    )
}

pub(super) fn summary(page: &mut String, runs: &[Run]) {
    data_checks(page, runs);
    page.push_str("<section id=\"summary\"><h2>Summary</h2>\n");
    let shas: BTreeSet<&str> = runs
        .iter()
        .map(|r| r.manifest.data.sha256.as_str())
        .collect();
    if shas.len() > 1 {
        page.push_str(
            "<p class=\"warn\">These runs used different data (the files' sha256 differ): their scores \
             are not comparable.</p>\n",
        );
    }
    let metrics: BTreeSet<&str> = runs.iter().map(|r| r.metric.name()).collect();
    if metrics.len() > 1 {
        page.push_str(
            "<p class=\"warn\">These runs rank by different metrics; each is shown with its own.</p>\n",
        );
    }
    page.push_str("<table><tr><th></th>");
    for r in runs {
        let _ = write!(page, "<th>{}</th>", esc(&r.label));
    }
    page.push_str("</tr>\n");
    let row = |page: &mut String, name: &str, cell: &dyn Fn(&Run) -> String| {
        let _ = write!(page, "<tr><th>{name}</th>");
        for r in runs {
            let _ = write!(page, "<td>{}</td>", cell(r));
        }
        page.push_str("</tr>\n");
    };
    row(page, "sweep", &|r| esc(&r.manifest.name));
    row(page, "folder", &|r| {
        format!("<code>{}</code>", esc(&r.dir.display().to_string()))
    });
    row(page, "status", &|r| r.manifest.status.name().to_string());
    row(page, "data", &|r| {
        let d = &r.manifest.data;
        let name = d.path.file_name().map_or_else(
            || d.path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        let dropped = if d.dropped_rows > 0 {
            format!(" ({} without a target left out)", d.dropped_rows)
        } else {
            String::new()
        };
        format!(
            "<code>{}</code>: {}{dropped}, {}",
            esc(&name),
            count(d.rows, "row"),
            count(d.features.len(), "feature")
        )
    });
    row(page, "task", &|r| {
        let classes = r
            .manifest
            .data
            .columns
            .iter()
            .find(|c| c.role.starts_with("target"))
            .map(|c| c.distinct);
        let balance = r.manifest.baseline.as_ref().map_or(String::new(), |b| {
            balance_text(
                b.class_balance
                    .iter()
                    .map(|(label, n)| (label.as_str(), *n)),
            )
        });
        let positive = r
            .manifest
            .data
            .positive_class
            .as_ref()
            .map_or(String::new(), |p| {
                format!("; positive class <code>{}</code>", esc(p))
            });
        match (r.manifest.task, classes) {
            (Task::Classification, Some(k)) => {
                format!("classification, {k} classes{balance}{positive}")
            }
            (task, _) => task.to_string(),
        }
    });
    row(page, "columns", &|r| {
        let m = &r.manifest;
        let mut table = String::from(
            "<table><tr><th>column</th><th>kind</th><th>missing</th><th>distinct</th><th>use</th></tr>",
        );
        for c in &m.data.columns {
            let _ = write!(
                table,
                "<tr><td>{}</td><td>{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&c.name),
                c.kind.name(),
                if c.overridden { " (set)" } else { "" },
                c.missing,
                c.distinct,
                esc(&c.role)
            );
        }
        table.push_str("</table>");
        format!(
            "{}<details><summary>every column</summary>{table}</details>",
            esc(&column_kinds(m))
        )
    });
    row(page, "cross-validation", &|r| esc(&cv_text(&r.manifest.cv)));
    row(page, "test set", &test_set_text);
    row(page, "metric", &|r| {
        format!(
            "{} ({} is better)",
            r.metric.name(),
            if r.metric.higher_is_better() {
                "higher"
            } else {
                "lower"
            }
        )
    });
    row(page, "baseline", &|r| baseline_text(r));
    row(page, "search", &|r| esc(r.strategy.name()));
    row(page, "backend, jobs", &|r| {
        let ex = &r.manifest.execution;
        format!(
            "{}, {} on {} cores",
            ex.backend.map_or("threads".into(), |b| b.to_string()),
            ex.jobs.unwrap_or(1),
            r.manifest.cores
        )
    });
    row(page, "wall time", &|r| match r.manifest.elapsed_seconds {
        Some(s) => seconds_text(s),
        None => "not finished".into(),
    });
    row(page, "trials", &|r| {
        let counts: Vec<String> = r
            .status_counts()
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .map(|(s, n)| format!("{n} {}", s.name()))
            .collect();
        format!(
            "{} of {}: {}",
            r.trials.len(),
            r.manifest.trials.total,
            if counts.is_empty() {
                "none yet".into()
            } else {
                counts.join(", ")
            }
        )
    });
    page.push_str("</table>\n");

    page.push_str("<h3>Best trial of each family</h3>\n");
    for r in runs {
        if runs.len() > 1 {
            let _ = write!(page, "<p><b>{}</b></p>", esc(&r.label));
        }
        // Test scores exist for the refitted trials (the best, or the best of each family).
        let tested = r.manifest.test.is_some();
        let test_cell = |key: &str| -> String {
            if !tested {
                return String::new();
            }
            match r.test_scores.get(key) {
                Some(&v) => format!("<td class=\"num\">{}</td>", score_text(v)),
                None => "<td class=\"note\">not refitted</td>".into(),
            }
        };
        page.push_str(&format!(
            "<table><tr><th>family</th><th>{} (cross-validation)</th>{}<th>trial</th><th>parameters</th></tr>\n",
            r.metric.name(),
            if tested {
                format!("<th>{} (test set)</th>", r.metric.name())
            } else {
                String::new()
            }
        ));
        for family in r.families() {
            match r.best_of(&family) {
                Some(t) => {
                    let _ = writeln!(
                        page,
                        "<tr><td>{}</td><td class=\"num\">{} ± {:.4}</td>{}<td class=\"num\">{}</td><td>{}</td></tr>",
                        esc(&family),
                        score_text(t.score.unwrap_or(f64::NAN)),
                        t.spread,
                        test_cell(&t.key),
                        t.index,
                        esc(&params_text(r, t))
                    );
                }
                None => {
                    let _ = writeln!(
                        page,
                        "<tr><td>{}</td><td>no ok trial</td>{}<td></td><td></td></tr>",
                        esc(&family),
                        if tested { "<td></td>" } else { "" }
                    );
                }
            }
        }
        if let Some((mean, std)) = r.manifest.baseline.as_ref().and_then(|b| b.get(r.metric)) {
            let _ = writeln!(
                page,
                "<tr><td>baseline</td><td class=\"num\">{} ± {std:.4}</td>{}<td></td><td>{}</td></tr>",
                score_text(mean),
                if tested { "<td></td>" } else { "" },
                esc(r.manifest.baseline.as_ref().map_or("", |b| &b.description))
            );
        }
        page.push_str("</table>\n");
        if let Some(verdict) = r.manifest.baseline.as_ref().and_then(|b| {
            let best = r.best().map(|t| (t.score.unwrap_or(f64::NAN), t.spread));
            b.verdict(r.metric, best)
        }) {
            let _ = writeln!(page, "<p class=\"warn\">{}</p>", esc(&verdict));
        }
    }
    page.push_str("</section>\n");
}

/// The trivial model's score and what it predicts.
fn baseline_text(r: &Run) -> String {
    match r.manifest.baseline.as_ref() {
        Some(b) => {
            match b.get(r.metric) {
                Some((mean, std)) => {
                    format!(
                "{} {} ± {std:.4}: a model that {} (scikit-learn's Dummy{}, on the same folds)",
                r.metric.name(),
                score_text(mean),
                esc(&b.description),
                if b.class_balance.is_empty() { "Regressor" } else { "Classifier" }
            )
                }
                None => esc(&b.description),
            }
        }
        None => "not recorded (a run from before baselines)".to_string(),
    }
}
