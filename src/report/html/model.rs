//! The best model of each run, as refitted and saved: which columns its trees split on most (the
//! share of the total split gain per input column, from model.json).

use super::*;

/// Columns listed per model at most.
const TOP_FEATURES: usize = 15;
/// Width of the longest bar, in pixels.
const BAR: f64 = 240.0;

pub(super) fn model(page: &mut String, runs: &[Run]) {
    let cards: Vec<(&Run, &crate::models::folder::ModelCard)> = runs
        .iter()
        .filter_map(|r| Some((r, r.best_model.as_ref()?)))
        .filter(|(_, card)| !card.feature_importance.is_empty())
        .collect();
    if cards.is_empty() {
        return;
    }
    page.push_str("<section id=\"model\"><h2>Best model: feature importance</h2>\n");
    for (run, card) in cards {
        let shown = &card.feature_importance[..card.feature_importance.len().min(TOP_FEATURES)];
        let largest = shown.first().map_or(1.0, |f| f.importance);
        let _ = writeln!(
            page,
            "<p class=\"note\">{}<code>{}</code>, refitted on {} in {}: each input column's share of \
             the total split gain (the loss reduction of every split on it){}.</p>\n<table><tr>\
             <th>column</th><th>share</th><th></th></tr>",
            if runs.len() > 1 {
                format!("{}: ", esc(&run.label))
            } else {
                String::new()
            },
            esc(&card.key),
            count(card.training_rows, "row"),
            seconds_text(card.refit_seconds),
            if shown.len() < card.feature_importance.len() {
                format!(
                    "; the top {} of {} columns it splits on",
                    shown.len(),
                    card.feature_importance.len()
                )
            } else {
                String::new()
            }
        );
        for f in shown {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td class=\"num\">{:.1}%</td><td><div style=\"background:{};\
                 height:.8em;width:{:.0}px\"></div></td></tr>",
                esc(&f.feature),
                f.importance * 100.0,
                hex(series_colour(0)),
                f.importance / largest * BAR
            );
        }
        page.push_str("</table>\n");
    }
    page.push_str("</section>\n");
}
