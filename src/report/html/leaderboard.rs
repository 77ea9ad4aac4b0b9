//! The leaderboard table: the best trials of each run, with their parameters.

use super::*;

pub(super) fn leaderboard(page: &mut String, runs: &[Run]) {
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
        if tested { "<th>test set (refitted models)</th>" } else { "" },
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
    if let Some((b, (mean, std))) = first
        .manifest
        .baseline
        .as_ref()
        .and_then(|b| Some((b, b.get(metric)?)))
    {
        let _ = writeln!(
            page,
            "<tr class=\"baseline\"><td></td>{}<td>baseline: {}</td><td></td>\
             <td class=\"num\">{} ± {std:.4}</td>{}<td></td></tr>",
            if runs.len() > 1 { "<td></td>" } else { "" },
            esc(&b.description),
            score_text(mean),
            if tested { "<td></td>" } else { "" },
        );
    }
    page.push_str("</table></section>\n");
}
