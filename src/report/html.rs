//! report.html: one self-contained page (inline CSS and SVG; no script, font or image fetched) about one
//! results folder, or comparing several side by side: a summary, the top of the leaderboard, the score
//! against each parameter and parameter importance per family, search history, score against cost, a
//! timeline of the workers and the failures. Big runs are sampled (said on the page).

use super::charts::{self, hex, series_colour, status_colour, Line, Mark, Scale, Series, Span};
use super::importance::{eta_squared, MIN_TRIALS};
use super::runs::{ParamValue, Run, TrialRow};
use crate::data::folds::CvPlan;
use crate::data::Task;
use crate::evaluate::Status;
use crate::results::manifest::Manifest;
use crate::spec::Strategy;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;

/// Marks drawn per chart at most; beyond, an evenly spaced sample (plus the best trials).
pub const MAX_MARKS: usize = 1500;
/// Timeline bars drawn per run at most before neighbours on a lane are merged.
const MAX_BARS: usize = 3000;
/// Rows of the leaderboard shown.
const TOP: usize = 20;

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px;background:#fff}
h1,h2,h3,p,li{overflow-wrap:anywhere}h1{font-size:1.6em;margin:.4em 0 .1em}h2{font-size:1.25em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{font-size:1.05em;margin:1.2em 0 .3em}
p,li{line-height:1.45}.note{color:#555;font-size:.92em}
table{border-collapse:collapse;margin:.4em 0;font-size:.9em;max-width:100%}
th,td{border-bottom:1px solid #e4e4e4;padding:3px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f3f3;overflow-wrap:normal}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(500px,1fr));gap:8px 16px}
figure{margin:0;min-width:0}figure svg{max-width:100%;height:auto;display:block}
figcaption{font-size:.85em;color:#444;margin:2px 0 8px}
.key{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 .8em;vertical-align:baseline;border-radius:2px}
.legend{font-size:.85em;margin:2px 0}
.warn{background:#fff4e5;border-left:4px solid #e69f00;padding:6px 10px}
code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:.88em;overflow-wrap:anywhere}
details{margin:.3em 0}
@media print{body{background:#fff}main{max-width:none;padding:0}section,figure{break-inside:avoid}details>*{display:block}}
";

/// The report file a results folder gets.
pub const REPORT: &str = "report.html";

/// Draws `dir`'s report into `dir`/report.html; returns its path.
pub fn write_report(dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let page = render(&[Run::load(dir)?])?;
    let path = dir.join(REPORT);
    crate::results::write_atomic(&path, page.as_bytes())?;
    Ok(path)
}

/// The whole page for these runs (one, or several compared).
pub fn render(runs: &[Run]) -> anyhow::Result<String> {
    let mut page = String::with_capacity(1 << 16);
    let title = if runs.len() == 1 {
        format!("{}: sweep report", runs[0].manifest.name)
    } else {
        format!("{} runs compared: sweep report", runs.len())
    };
    let _ = writeln!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>\n<h1>{}</h1>",
        esc(&title),
        esc(&title)
    );
    summary(&mut page, runs);
    leaderboard(&mut page, runs);
    families(&mut page, runs)?;
    history(&mut page, runs)?;
    cost(&mut page, runs)?;
    timelines(&mut page, runs)?;
    failures(&mut page, runs);
    page.push_str("</main></body></html>\n");
    Ok(page)
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            // Controls, bidi overrides included, are shown, never obeyed: a name holding U+202E
            // would otherwise reverse the page's own text after it.
            c => crate::error::push_escaped(&mut out, c),
        }
    }
    out
}

/// `1 trial`, `3 trials`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn score_text(x: f64) -> String {
    format!("{x:.4}")
}

fn seconds_text(s: f64) -> String {
    if s < 0.001 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} min", s / 60.0)
    }
}

fn legend(page: &mut String, entries: &[(String, plotters::style::RGBColor)]) {
    if entries.len() < 2 {
        return;
    }
    page.push_str("<p class=\"legend\">");
    for (name, colour) in entries {
        let _ = write!(
            page,
            "<span class=\"key\" style=\"background:{}\"></span>{}",
            hex(*colour),
            esc(name)
        );
    }
    page.push_str("</p>\n");
}

fn figure(page: &mut String, id: &str, svg: &str, caption: &str) {
    let id = if id.is_empty() {
        String::new()
    } else {
        format!(" id=\"{id}\"")
    };
    let _ = writeln!(
        page,
        "<figure{id}>{svg}<figcaption>{caption}</figcaption></figure>"
    );
}

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

fn params_text(run: &Run, t: &TrialRow) -> String {
    let parts: Vec<String> = run
        .params
        .iter()
        .zip(&t.params)
        .filter_map(|(name, v)| Some(format!("{name}={}", v.as_ref()?)))
        .collect();
    if parts.is_empty() {
        "(defaults)".into()
    } else {
        parts.join(", ")
    }
}

fn summary(page: &mut String, runs: &[Run]) {
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
            "<code>{}</code>: {} rows{dropped}, {} features",
            esc(&name),
            d.rows,
            d.features.len()
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
        match (r.manifest.task, classes) {
            (Task::Classification, Some(k)) => format!("classification, {k} classes"),
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
        page.push_str(&format!(
            "<table><tr><th>family</th><th>{}</th><th>trial</th><th>parameters</th></tr>\n",
            r.metric.name()
        ));
        for family in r.families() {
            match r.best_of(&family) {
                Some(t) => {
                    let _ = writeln!(
                        page,
                        "<tr><td>{}</td><td class=\"num\">{} ± {:.4}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                        esc(&family),
                        score_text(t.score.unwrap_or(f64::NAN)),
                        t.spread,
                        t.index,
                        esc(&params_text(r, t))
                    );
                }
                None => {
                    let _ = writeln!(
                        page,
                        "<tr><td>{}</td><td>no ok trial</td><td></td><td></td></tr>",
                        esc(&family)
                    );
                }
            }
        }
        page.push_str("</table>\n");
    }
    page.push_str("</section>\n");
}

fn leaderboard(page: &mut String, runs: &[Run]) {
    let metric = runs[0].metric;
    let mut ranked: Vec<(usize, &TrialRow)> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.metric == metric)
        .flat_map(|(i, r)| {
            r.trials
                .iter()
                .filter(|t| t.score.is_some())
                .map(move |t| (i, t))
        })
        .collect();
    let first = &runs[0];
    ranked.sort_by(|(ra, a), (rb, b)| {
        b.rung
            .cmp(&a.rung)
            .then(first.order(a.score.unwrap_or(0.0), b.score.unwrap_or(0.0)))
            .then(ra.cmp(rb))
            .then(a.key.cmp(&b.key))
    });
    let total = ranked.len();
    ranked.truncate(TOP);
    let tested = runs.iter().any(|r| !r.test_scores.is_empty());
    let _ = writeln!(
        page,
        "<section id=\"leaderboard\"><h2>Leaderboard</h2>\n<p class=\"note\">The best {} of {total} ok \
         trials by mean {} over folds{}.</p>\n<table><tr><th>rank</th>{}<th>trial</th><th>family</th>\
         <th>{}</th>{}<th>time / fold</th></tr>",
        ranked.len(),
        metric.name(),
        if first.strategy == Strategy::Halving {
            " (the last rung first, as the leaderboard ranks)"
        } else {
            ""
        },
        if runs.len() > 1 { "<th>run</th>" } else { "" },
        metric.name(),
        if tested { "<th>test</th>" } else { "" },
    );
    for (rank, (run, t)) in ranked.iter().enumerate() {
        let r = &runs[*run];
        let run_cell = if runs.len() > 1 {
            format!("<td>{}</td>", esc(&r.label))
        } else {
            String::new()
        };
        let test_cell = if tested {
            format!(
                "<td class=\"num\">{}</td>",
                r.test_scores
                    .get(&t.key)
                    .map_or(String::new(), |s| score_text(*s))
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            page,
            "<tr><td class=\"num\">{}</td>{run_cell}<td><code>{}</code></td><td>{}</td>\
             <td class=\"num\">{} ± {:.4}</td>{test_cell}<td class=\"num\">{}</td></tr>",
            rank + 1,
            esc(&t.key),
            esc(&t.model),
            score_text(t.score.unwrap_or(f64::NAN)),
            t.spread,
            seconds_text(t.cost)
        );
    }
    page.push_str("</table></section>\n");
}

/// Every `k`-th item so at most `max` remain, keeping those `keep` says to; whether it sampled.
fn sample<T>(items: Vec<&T>, max: usize, keep: impl Fn(&T) -> bool) -> (Vec<&T>, bool) {
    if items.len() <= max {
        return (items, false);
    }
    let stride = items.len().div_ceil(max);
    let kept = items
        .into_iter()
        .enumerate()
        .filter(|(i, t)| i % stride == 0 || keep(t))
        .map(|(_, t)| t)
        .collect();
    (kept, true)
}

/// Trials of a family that scored, from each run; for halving, `rung_zero` keeps the first rung only,
/// where every candidate ran on the same resource.
fn scored<'a>(run: &'a Run, family: &str, rung_zero: bool) -> Vec<&'a TrialRow> {
    run.trials
        .iter()
        .filter(|t| t.model == family && t.score.is_some())
        .filter(|t| !rung_zero || t.rung.unwrap_or(0) == 0)
        .collect()
}

/// The x scale of a parameter's values: numeric, or categories in order (numbers first, by value).
fn param_scale(values: &[&ParamValue]) -> Scale {
    let numbers: Option<Vec<f64>> = values.iter().map(|v| v.number()).collect();
    match numbers {
        Some(xs) => Scale::fit(xs.into_iter()),
        None => {
            let mut numbers: Vec<f64> = Vec::new();
            let mut texts: Vec<String> = Vec::new();
            for v in values {
                match v {
                    ParamValue::Number(x) => numbers.push(*x),
                    ParamValue::Text(t) => texts.push(t.clone()),
                }
            }
            numbers.sort_by(f64::total_cmp);
            numbers.dedup();
            texts.sort();
            texts.dedup();
            Scale::Categories(numbers.iter().map(|x| x.to_string()).chain(texts).collect())
        }
    }
}

/// Where a value sits on its scale; categories get a small spread by trial number so equal values
/// do not hide each other.
fn position(scale: &Scale, v: &ParamValue, index: usize) -> Option<f64> {
    match scale {
        Scale::Categories(names) => {
            let at = names.iter().position(|n| *n == v.to_string())? as f64;
            let jitter = ((index.wrapping_mul(2_654_435_761) % 1000) as f64 / 1000.0 - 0.5) * 0.36;
            Some(at + jitter)
        }
        _ => v.number(),
    }
}

/// The distinct items, in the order first seen.
fn distinct_in_order(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn families(page: &mut String, runs: &[Run]) -> anyhow::Result<()> {
    let names = distinct_in_order(runs.iter().flat_map(|r| r.families()));
    let param_names = distinct_in_order(runs.iter().flat_map(|r| r.params.iter().cloned()));
    page.push_str(
        "<section id=\"families\"><h2>Score against each parameter, per family</h2>\n<p class=\"note\">\
         Each point is one ok trial's mean score over the folds, its bar ± one standard deviation over \
         the folds. Categorical values are spread a little sideways so equal ones stay visible.</p>\n",
    );
    let halving_single = runs.len() == 1 && runs[0].strategy == Strategy::Halving;
    let mut legend_entries: Vec<(String, plotters::style::RGBColor)> = Vec::new();
    if runs.len() > 1 {
        legend_entries = runs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.label.clone(), series_colour(i)))
            .collect();
    }
    for family in &names {
        let _ = writeln!(
            page,
            "<h3 id=\"family-{}\">{}</h3>",
            esc(family),
            esc(family)
        );
        for r in runs {
            if let Some(best) = r.best_of(family) {
                let _ = writeln!(
                    page,
                    "<p class=\"note\">{}best: {} {} with {}</p>",
                    if runs.len() > 1 {
                        format!("{}: ", esc(&r.label))
                    } else {
                        String::new()
                    },
                    r.metric.name(),
                    score_text(best.score.unwrap_or(f64::NAN)),
                    esc(&params_text(r, best))
                );
            }
        }
        let mut charted = 0;
        let mut sampled_any = false;
        let mut grid = String::new();
        for name in &param_names {
            // The values this family's trials took, over every run.
            let mut values: Vec<&ParamValue> = Vec::new();
            for r in runs {
                let Some(p) = r.params.iter().position(|n| n == name) else {
                    continue;
                };
                values.extend(
                    scored(r, family, false)
                        .iter()
                        .filter_map(|t| t.params[p].as_ref()),
                );
            }
            let distinct: HashSet<String> = values.iter().map(|v| v.to_string()).collect();
            if distinct.len() < 2 {
                continue;
            }
            let scale = param_scale(&values);
            let mut series = Vec::new();
            for (i, r) in runs.iter().enumerate() {
                let Some(p) = r.params.iter().position(|n| n == name) else {
                    continue;
                };
                let trials = scored(r, family, false);
                let best = r.best_of(family).map(|b| b.index);
                let (trials, sampled) = sample(trials, MAX_MARKS, |t| Some(t.index) == best);
                sampled_any |= sampled;
                let mark = |t: &TrialRow| {
                    Some(Mark {
                        x: position(&scale, t.params[p].as_ref()?, t.index)?,
                        y: t.score?,
                        spread: t.spread,
                    })
                };
                if halving_single {
                    let rungs: BTreeSet<usize> =
                        trials.iter().map(|t| t.rung.unwrap_or(0)).collect();
                    for rung in rungs {
                        series.push(Series {
                            colour: series_colour(rung),
                            marks: trials
                                .iter()
                                .filter(|t| t.rung.unwrap_or(0) == rung)
                                .filter_map(|t| mark(t))
                                .collect(),
                            points: true,
                            line: None,
                        });
                    }
                } else {
                    series.push(Series {
                        colour: series_colour(i),
                        marks: trials.iter().filter_map(|t| mark(t)).collect(),
                        points: true,
                        line: None,
                    });
                }
            }
            let metric = runs[0].metric.name();
            let svg = charts::scatter(&scale, metric, name, &series)?;
            let log = if matches!(scale, Scale::Log(..)) {
                " (log axis)"
            } else {
                ""
            };
            figure(
                &mut grid,
                "",
                &svg,
                &format!("{} against {}{log}", esc(metric), esc(name)),
            );
            charted += 1;
        }
        if charted == 0 {
            page.push_str(
                "<p class=\"note\">No parameter of this family took two values in ok trials.</p>\n",
            );
            continue;
        }
        if halving_single {
            let rungs: BTreeSet<usize> = runs[0]
                .trials
                .iter()
                .filter(|t| t.model == *family)
                .filter_map(|t| t.rung)
                .collect();
            let entries: Vec<(String, plotters::style::RGBColor)> = rungs
                .iter()
                .map(|&r| (format!("rung {r}"), series_colour(r)))
                .collect();
            legend(page, &entries);
        } else {
            legend(page, &legend_entries);
        }
        if sampled_any {
            let _ = writeln!(
                page,
                "<p class=\"note\">More than {MAX_MARKS} trials: each chart shows an evenly spaced sample \
                 of them and the family's best.</p>"
            );
        }
        page.push_str("<div class=\"grid\">");
        page.push_str(&grid);
        importance(page, runs, family)?;
        page.push_str("</div>\n");
    }
    page.push_str("</section>\n");
    Ok(())
}

/// η² of each parameter of a family, one chart per run.
fn importance(page: &mut String, runs: &[Run], family: &str) -> anyhow::Result<()> {
    for (i, r) in runs.iter().enumerate() {
        let halving = r.strategy == Strategy::Halving;
        let trials = scored(r, family, halving);
        if trials.len() < MIN_TRIALS {
            continue;
        }
        let scores: Vec<f64> = trials.iter().filter_map(|t| t.score).collect();
        let mut shares: Vec<(String, f64)> = Vec::new();
        for (p, name) in r.params.iter().enumerate() {
            let values: Vec<&ParamValue> =
                trials.iter().filter_map(|t| t.params[p].as_ref()).collect();
            let distinct: HashSet<String> = values.iter().map(|v| v.to_string()).collect();
            if values.len() == trials.len() && distinct.len() >= 2 {
                if let Some(share) = eta_squared(&values, &scores) {
                    shares.push((name.clone(), share));
                }
            }
        }
        if shares.is_empty() {
            continue;
        }
        shares.sort_by(|a, b| b.1.total_cmp(&a.1));
        let names: Vec<String> = shares.iter().map(|s| s.0.clone()).collect();
        let values: Vec<f64> = shares.iter().map(|s| s.1).collect();
        let svg = charts::bars(
            &names,
            &values,
            "share of the score's variance (η²)",
            series_colour(i),
        )?;
        let whose = if runs.len() > 1 {
            format!(" ({})", esc(&r.label))
        } else {
            String::new()
        };
        figure(
            page,
            "",
            &svg,
            &format!(
                "Parameter importance{whose}: the share of the variance of {} across {} trials{} that \
                 each parameter explains alone (η², fANOVA's first-order term estimated from the trials; \
                 interactions not counted).",
                r.metric.name(),
                trials.len(),
                if halving { " of the first rung" } else { "" }
            ),
        );
    }
    Ok(())
}

fn history(page: &mut String, runs: &[Run]) -> anyhow::Result<()> {
    page.push_str("<section id=\"history\"><h2>Search history</h2>\n");
    let searched: Vec<(usize, &Run)> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.strategy != Strategy::Grid)
        .collect();
    if searched.is_empty() {
        page.push_str(
            "<p class=\"note\">A grid runs every configuration in a fixed order, so there is no search \
             to follow; random, TPE and halving runs show their best score so far here.</p></section>\n",
        );
        return Ok(());
    }
    let metric = runs[0].metric.name();
    let mut by_trial = Vec::new();
    let mut by_time = Vec::new();
    let mut sampled_any = false;
    for &(i, r) in &searched {
        let mut ok: Vec<&TrialRow> = r.trials.iter().filter(|t| t.score.is_some()).collect();
        ok.sort_by_key(|t| t.index);
        let best_line = |x: &dyn Fn(&TrialRow) -> Option<f64>, ok: &[&TrialRow]| {
            let mut sorted: Vec<(f64, f64)> =
                ok.iter().filter_map(|t| Some((x(t)?, t.score?))).collect();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut best: Option<f64> = None;
            let mut line = Vec::new();
            for (x, s) in sorted {
                if best.is_none_or(|b| r.better(s, b)) {
                    best = Some(s);
                    line.push(Mark {
                        x,
                        y: s,
                        spread: 0.0,
                    });
                }
            }
            if let (Some(last), Some(b)) = (ok.iter().filter_map(|t| x(t)).reduce(f64::max), best) {
                line.push(Mark {
                    x: last,
                    y: b,
                    spread: 0.0,
                });
            }
            line
        };
        let trial_x = |t: &TrialRow| Some(t.index as f64);
        let time_x = |t: &TrialRow| t.span.map(|s| s.1);
        let (shown, sampled) = sample(ok.clone(), MAX_MARKS, |_| false);
        sampled_any |= sampled;
        let colour = series_colour(i);
        let dots = |x: &dyn Fn(&TrialRow) -> Option<f64>| Series {
            colour: plotters::style::RGBColor(170, 170, 170),
            marks: shown
                .iter()
                .filter_map(|t| {
                    Some(Mark {
                        x: x(t)?,
                        y: t.score?,
                        spread: 0.0,
                    })
                })
                .collect(),
            points: true,
            line: None,
        };
        by_trial.push(dots(&trial_x));
        by_trial.push(Series {
            colour,
            marks: best_line(&trial_x, &ok),
            points: false,
            line: Some(Line::Steps),
        });
        by_time.push(dots(&time_x));
        by_time.push(Series {
            colour,
            marks: best_line(&time_x, &ok),
            points: false,
            line: Some(Line::Steps),
        });
    }
    let xs = |series: &[Series]| -> Vec<f64> {
        series
            .iter()
            .flat_map(|s| s.marks.iter().map(|m| m.x))
            .collect()
    };
    let linear = |values: Vec<f64>| match Scale::fit(values.into_iter()) {
        Scale::Log(a, b) | Scale::Linear(a, b) => Scale::Linear(a.min(0.0), b),
        other => other,
    };
    legend(
        page,
        &searched
            .iter()
            .map(|(i, r)| (r.label.clone(), series_colour(*i)))
            .collect::<Vec<_>>(),
    );
    if sampled_any {
        let _ = writeln!(
            page,
            "<p class=\"note\">Grey points: a sample of at most {MAX_MARKS} trials per run; the line uses every trial.</p>"
        );
    }
    page.push_str("<div class=\"grid\">");
    let svg = charts::scatter(&linear(xs(&by_trial)), metric, "trial number", &by_trial)?;
    figure(
        page,
        "history-trials",
        &svg,
        &format!("Best {metric} so far against trial number (grey: each ok trial)."),
    );
    let svg = charts::scatter(
        &linear(xs(&by_time)),
        metric,
        "seconds since the run started",
        &by_time,
    )?;
    figure(
        page,
        "history-time",
        &svg,
        &format!("Best {metric} so far against wall time (when each trial ended)."),
    );
    page.push_str("</div></section>\n");
    Ok(())
}

/// Trials no other beats on both cost and score: sorted by cost, each better than all cheaper ones.
fn front<'a>(run: &Run, trials: &[&'a TrialRow]) -> Vec<&'a TrialRow> {
    let mut sorted = trials.to_vec();
    sorted.sort_by(|a, b| {
        a.cost
            .total_cmp(&b.cost)
            .then(run.order(a.score.unwrap_or(0.0), b.score.unwrap_or(0.0)))
    });
    let mut best: Option<f64> = None;
    sorted
        .into_iter()
        .filter(|t| {
            let s = t.score.unwrap_or(f64::NAN);
            let keep = best.is_none_or(|b| run.better(s, b));
            if keep {
                best = Some(s);
            }
            keep
        })
        .collect()
}

/// A trial on the cost chart (a log axis: no zero times).
fn cost_mark(t: &TrialRow) -> Mark {
    Mark {
        x: t.cost.max(1e-7),
        y: t.score.unwrap_or(f64::NAN),
        spread: 0.0,
    }
}

fn cost(page: &mut String, runs: &[Run]) -> anyhow::Result<()> {
    page.push_str("<section id=\"cost\"><h2>Score against cost</h2>\n");
    let metric = runs[0].metric.name();
    let mut series = Vec::new();
    let mut entries = Vec::new();
    let mut front_rows = String::new();
    let mut sampled_any = false;
    let mut shown_total = 0;
    for (i, r) in runs.iter().enumerate() {
        let ok: Vec<&TrialRow> = r.trials.iter().filter(|t| t.score.is_some()).collect();
        let on_front = front(r, &ok);
        let front_keys: HashSet<usize> = on_front.iter().map(|t| t.index).collect();
        let groups: Vec<String> = if runs.len() > 1 {
            vec![String::new()]
        } else {
            r.families()
        };
        for (g, family) in groups.iter().enumerate() {
            let members: Vec<&TrialRow> = ok
                .iter()
                .copied()
                .filter(|t| family.is_empty() || t.model == *family)
                .collect();
            if members.is_empty() {
                continue;
            }
            let (members, sampled) = sample(members, MAX_MARKS, |t| front_keys.contains(&t.index));
            sampled_any |= sampled;
            shown_total += members.len();
            let colour = series_colour(if runs.len() > 1 { i } else { g });
            entries.push((
                if runs.len() > 1 {
                    r.label.clone()
                } else {
                    family.clone()
                },
                colour,
            ));
            series.push(Series {
                colour,
                marks: members.iter().map(|t| cost_mark(t)).collect(),
                points: true,
                line: None,
            });
        }
        series.push(Series {
            colour: plotters::style::RGBColor(40, 40, 40),
            marks: on_front.iter().map(|t| cost_mark(t)).collect(),
            points: false,
            line: Some(Line::Straight),
        });
        for t in &on_front {
            let _ = writeln!(
                front_rows,
                "<tr>{}<td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                if runs.len() > 1 {
                    format!("<td>{}</td>", esc(&r.label))
                } else {
                    String::new()
                },
                esc(&t.key),
                score_text(t.score.unwrap_or(f64::NAN)),
                seconds_text(t.cost)
            );
        }
    }
    if shown_total == 0 {
        page.push_str("<p class=\"note\">No trial finished ok.</p></section>\n");
        return Ok(());
    }
    legend(page, &entries);
    if sampled_any {
        let _ = writeln!(
            page,
            "<p class=\"note\">Showing {shown_total} trials: an evenly spaced sample of at most {MAX_MARKS} per \
             series, plus every trial on the front.</p>"
        );
    }
    let scale = Scale::fit(
        series
            .iter()
            .flat_map(|s| s.marks.iter().map(|m| m.x))
            .collect::<Vec<_>>()
            .into_iter(),
    );
    let svg = charts::scatter(
        &scale,
        metric,
        "seconds per fold (fit, shared work, scoring)",
        &series,
    )?;
    page.push_str("<div class=\"grid\">");
    figure(
        page,
        "cost-chart",
        &svg,
        &format!(
            "{metric} against time per fold (fitting, the trial's share of work trials share such as a forest's trees, and scoring), one point per ok trial{}. The dark line joins the \
             front: trials no other trial beats on both time and score.",
            if matches!(scale, Scale::Log(..)) {
                " (log axis)"
            } else {
                ""
            }
        ),
    );
    let _ = write!(
        page,
        "<div><table><tr>{}<th>on the front</th><th>{metric}</th><th>time / fold</th></tr>\n{front_rows}</table></div>",
        if runs.len() > 1 { "<th>run</th>" } else { "" }
    );
    page.push_str("</div></section>\n");
    Ok(())
}

/// A timeline lane: the shard (in a merged sharded run) and the worker.
type Lane = (Option<usize>, u32);

/// A lane's name: the thread's index in the pool, or the worker process's id (and its shard, in a
/// merged sharded run).
fn lane_name(run: &Run, (shard, worker): Lane) -> String {
    let worker = match run.manifest.execution.backend {
        Some(crate::spec::Backend::Processes) => format!("pid {worker}"),
        _ => format!("thread {worker}"),
    };
    match shard {
        Some(s) => format!("shard {s} · {worker}"),
        None => worker,
    }
}

fn timelines(page: &mut String, runs: &[Run]) -> anyhow::Result<()> {
    page.push_str(
        "<section id=\"timeline\"><h2>Workers over time</h2>\n<p class=\"note\">One lane per worker (a \
         thread of the pool, or a worker process), one bar per trial from its start to its end, coloured \
         by how it ended.</p>\n",
    );
    let entries: Vec<(String, plotters::style::RGBColor)> = Status::ALL
        .iter()
        .map(|&s| (s.name().to_string(), status_colour(s)))
        .collect();
    legend(page, &entries);
    for r in runs {
        let timed: Vec<(Lane, (f64, f64), Status)> = r
            .trials
            .iter()
            .filter_map(|t| Some(((t.shard, t.worker?), t.span?, t.status)))
            .collect();
        if runs.len() > 1 {
            let _ = writeln!(page, "<h3>{}</h3>", esc(&r.label));
        }
        if timed.is_empty() {
            page.push_str("<p class=\"note\">No trial has a recorded start, end and worker.</p>\n");
            continue;
        }
        let workers: BTreeSet<Lane> = timed.iter().map(|t| t.0).collect();
        let lanes: Vec<Lane> = workers.into_iter().collect();
        let end = timed.iter().map(|t| t.1 .1).fold(0.0, f64::max);
        let start = timed.iter().map(|t| t.1 .0).fold(f64::INFINITY, f64::min);
        let mut spans: Vec<Span> = timed
            .iter()
            .map(|&(w, (s, e), status)| Span {
                lane: lanes.binary_search(&w).unwrap_or(0),
                start: s.max(0.0),
                end: e.max(0.0),
                status,
            })
            .collect();
        let busy = busy_seconds(&spans);
        let merged = spans.len() > MAX_BARS;
        if merged {
            spans = merge_spans(spans, (end - start.min(end)) / 1000.0);
        }
        let names: Vec<String> = lanes.iter().map(|&w| lane_name(r, w)).collect();
        let svg = charts::timeline(&names, &spans, end)?;
        let window = (end - start).max(f64::MIN_POSITIVE);
        figure(
            page,
            "timeline-chart",
            &svg,
            &format!(
                "{} on {}; the workers were busy {:.0}% of the time from the first trial's start to \
                 the last one's end{}.",
                count(timed.len(), "trial"),
                count(lanes.len(), "lane"),
                100.0 * busy / (window * lanes.len() as f64),
                if merged {
                    "; neighbouring bars of the same status closer than a thousandth of the run are drawn as one"
                } else {
                    ""
                }
            ),
        );
    }
    page.push_str("</section>\n");
    Ok(())
}

/// Seconds during which each lane ran something, summed over lanes (overlaps within a lane count once).
fn busy_seconds(spans: &[Span]) -> f64 {
    let mut by_lane: BTreeMap<usize, Vec<(f64, f64)>> = BTreeMap::new();
    for s in spans {
        by_lane.entry(s.lane).or_default().push((s.start, s.end));
    }
    let mut total = 0.0;
    for (_, mut v) in by_lane {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut current: Option<(f64, f64)> = None;
        for (s, e) in v {
            current = match current {
                Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
                Some((cs, ce)) => {
                    total += ce - cs;
                    Some((s, e))
                }
                None => Some((s, e)),
            };
        }
        if let Some((cs, ce)) = current {
            total += ce - cs;
        }
    }
    total
}

/// Joins bars on the same lane with the same status whose gap is below `gap`.
fn merge_spans(mut spans: Vec<Span>, gap: f64) -> Vec<Span> {
    spans.sort_by(|a, b| a.lane.cmp(&b.lane).then(a.start.total_cmp(&b.start)));
    let mut out: Vec<Span> = Vec::new();
    for s in spans {
        match out.last_mut() {
            Some(last)
                if last.lane == s.lane && last.status == s.status && s.start - last.end <= gap =>
            {
                last.end = last.end.max(s.end);
            }
            _ => out.push(s),
        }
    }
    out
}

/// An error message with its numbers (pids, sizes, times) taken out, so like failures group together.
fn error_shape(message: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

fn failures(page: &mut String, runs: &[Run]) {
    page.push_str("<section id=\"failures\"><h2>Failures</h2>\n");
    // (status, message shape) -> (count, first message, example trials)
    let mut groups: BTreeMap<(&str, String), (usize, String, Vec<String>)> = BTreeMap::new();
    for r in runs {
        for t in r
            .trials
            .iter()
            .filter(|t| !matches!(t.status, Status::Ok | Status::Pruned))
        {
            let g = groups
                .entry((t.status.name(), error_shape(&t.error)))
                .or_insert_with(|| (0, t.error.clone(), Vec::new()));
            g.0 += 1;
            if g.2.len() < 3 {
                g.2.push(if runs.len() > 1 {
                    format!("{}: {}", r.label, t.key)
                } else {
                    t.key.clone()
                });
            }
        }
    }
    if groups.is_empty() {
        page.push_str("<p>No trial failed, crashed or timed out.</p></section>\n");
        return;
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.1 .0));
    page.push_str(
        "<table><tr><th>status</th><th>trials</th><th>message</th><th>for example</th></tr>\n",
    );
    for ((status, _), (count, message, examples)) in groups {
        let _ = writeln!(
            page,
            "<tr><td>{status}</td><td class=\"num\">{count}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&charts::truncate(&message, 400)),
            examples
                .iter()
                .map(|k| format!("<code>{}</code>", esc(k)))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    page.push_str("</table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_group_by_their_words_not_their_numbers() {
        assert_eq!(
            error_shape("worker 1234 killed by SIGSEGV after 2.5s"),
            error_shape("worker 99 killed by SIGSEGV after 10.25s")
        );
        assert_ne!(
            error_shape("killed by SIGSEGV"),
            error_shape("killed by SIGKILL")
        );
        assert_eq!(esc("<a href=\"x\">&"), "&lt;a href=&quot;x&quot;&gt;&amp;");
    }

    #[test]
    fn busy_time_counts_overlaps_once_and_merging_keeps_lanes_and_statuses_apart() {
        let span = |lane, start, end, status| Span {
            lane,
            start,
            end,
            status,
        };
        let spans = vec![
            span(0, 0.0, 1.0, Status::Ok),
            span(0, 0.5, 2.0, Status::Ok),
            span(1, 0.0, 1.0, Status::Ok),
            span(0, 2.001, 3.0, Status::Ok),
            span(0, 3.0, 4.0, Status::Failed),
        ];
        assert!((busy_seconds(&spans) - (2.0 + 1.0 + 0.999 + 1.0)).abs() < 1e-9);
        let merged = merge_spans(spans, 0.01);
        assert_eq!(merged.len(), 3, "{merged:?}");
        assert_eq!((merged[0].start, merged[0].end), (0.0, 3.0));
        assert_eq!(merged[1].status, Status::Failed);
        assert_eq!(merged[2].lane, 1);
    }
}
