//! report.html: one self-contained page (inline CSS and SVG; no script, font or image fetched) about one
//! results folder, or comparing several side by side: the data checks' findings, a summary (test set
//! and test scores included), the top of the leaderboard, the best model (confusion matrix or residuals
//! on held-out rows, feature importance), the score against each parameter and parameter importance per
//! family, search history, score against cost, a timeline of the workers and the failures. Big runs are
//! sampled (said on the page).

mod cost;
mod failures;
mod families;
mod history;
mod leaderboard;
mod model;
mod summary;
mod timelines;

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
use {
    cost::cost, failures::failures, families::families, history::history, leaderboard::leaderboard,
    model::model, summary::summary, timelines::timelines,
};

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
    model(&mut page, runs)?;
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

use crate::error::count;

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

/// A trial's parameters as `name=value` text, `(defaults)` when it sets none.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(esc("<a href=\"x\">&"), "&lt;a href=&quot;x&quot;&gt;&amp;");
    }
}
