//! Scores in the order trials finished, with the best so far.

use super::*;

pub(super) fn history(page: &mut String, runs: &[Run]) -> anyhow::Result<()> {
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
