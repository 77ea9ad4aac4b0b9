//! One section per model family: score against each parameter, and which parameters matter.

use super::*;

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

pub(super) fn families(page: &mut String, runs: &[Run]) -> anyhow::Result<()> {
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
                "Parameter importance{whose}: the share of the variance of {} across {}{} that \
                 each parameter explains alone (η², fANOVA's first-order term estimated from the trials; \
                 interactions not counted).",
                r.metric.name(),
                count(trials.len(), "trial"),
                if halving { " of the first rung" } else { "" }
            ),
        );
    }
    Ok(())
}
