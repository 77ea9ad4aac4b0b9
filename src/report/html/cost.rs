//! Score against cost per trial, with the front of trials no other beats on both.

use super::*;

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

pub(super) fn cost(page: &mut String, runs: &[Run]) -> anyhow::Result<()> {
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
