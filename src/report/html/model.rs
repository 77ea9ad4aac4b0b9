//! The best model of each run, as refitted and saved: what it is (size, rows it learnt), how it does
//! on rows it was not fitted on (the test set, or each fold's held-out rows: a confusion matrix and
//! per-class precision and recall, or predicted against actual values and residuals), and which
//! input columns it relies on (permutation importance on the test set, or the split gain of trees).

use super::super::runs::HeldOut;
use super::*;
use crate::data::Targets;
use crate::metrics::{score_all, Metric, Prediction};
use crate::models::folder::ModelCard;

/// Columns listed per model at most.
const TOP_FEATURES: usize = 15;
/// Width of the longest bar, in pixels.
const BAR: f64 = 240.0;
/// Classes a confusion matrix shows at most (the most common; the rest are counted together).
const MAX_CLASSES: usize = 20;

pub(super) fn model(page: &mut String, runs: &[Run]) -> anyhow::Result<()> {
    let cards: Vec<(&Run, &ModelCard)> = runs
        .iter()
        .filter_map(|r| Some((r, r.best_model.as_ref()?)))
        .collect();
    if cards.is_empty() {
        return Ok(());
    }
    page.push_str("<section id=\"model\"><h2>Best model</h2>\n");
    for (run, card) in cards {
        if runs.len() > 1 {
            let _ = writeln!(page, "<h3>{}</h3>", esc(&run.label));
        }
        let _ = writeln!(
            page,
            "<p><code>{}</code>: {}, fitted on {}{} in {}; model.bin is {}{}.</p>",
            esc(&card.key),
            esc(&card.family),
            count(card.training_rows, "row"),
            if card.trained_on == "all" && card.test_set.is_some() {
                " (training and test rows: its test scores are those of the same configuration fitted without the test rows)"
            } else {
                ""
            },
            seconds_text(card.refit_seconds),
            bytes_text(card.model_bytes),
            card.kept_rows.map_or(String::new(), |k| format!(
                ", of which {} are the {} it predicts from",
                bytes_text(k.bytes),
                count(k.rows, "training row")
            ))
        );
        if let Some(held) = &run.held_out {
            match run.manifest.task {
                Task::Classification => classes(page, card, held),
                Task::Regression => values(page, held)?,
            }
        }
        importance(page, card);
    }
    page.push_str("</section>\n");
    Ok(())
}

fn bytes_text(bytes: u64) -> String {
    match bytes {
        0 => "of unrecorded size".into(),
        b if b < 1 << 10 => format!("{b} bytes"),
        b if b < 1 << 20 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// Which rows the predictions are of, in words.
fn judged_on(held: &HeldOut) -> String {
    if held.on_test_set {
        format!("the {} held-out test rows", held.truth.len())
    } else {
        format!(
            "each cross-validation fold's held-out rows ({}; no test set was kept, so these are predictions of \
             the same configuration fitted on the rest of each fold)",
            count(held.truth.len(), "row")
        )
    }
}

/// A confusion matrix and per-class precision, recall and F1.
fn classes(page: &mut String, card: &ModelCard, held: &HeldOut) {
    let mut labels: Vec<String> = card.class_labels.clone();
    for l in held.truth.iter().chain(&held.predicted) {
        if !labels.contains(l) {
            labels.push(l.clone());
        }
    }
    let index = |l: &str| labels.iter().position(|x| x == l).unwrap_or(0);
    let n = labels.len();
    let mut matrix = vec![vec![0usize; n]; n];
    for (t, p) in held.truth.iter().zip(&held.predicted) {
        matrix[index(t)][index(p)] += 1;
    }
    let support: Vec<usize> = matrix.iter().map(|row| row.iter().sum()).collect();
    let predicted: Vec<usize> = (0..n)
        .map(|j| matrix.iter().map(|row| row[j]).sum())
        .collect();
    let correct: usize = (0..n).map(|i| matrix[i][i]).sum();
    let rows = held.truth.len().max(1);
    let _ = writeln!(
        page,
        "<h3>On {}</h3>\n<p>Accuracy {:.4} ({correct} of {} rows). Rows: the true class; columns: the predicted one.</p>",
        esc(&judged_on(held)),
        correct as f64 / rows as f64,
        held.truth.len()
    );
    // The most common classes when there are many; the others are summed in one row and column.
    let mut shown: Vec<usize> = (0..n).collect();
    shown.sort_by(|&a, &b| support[b].cmp(&support[a]).then(a.cmp(&b)));
    shown.truncate(MAX_CLASSES);
    shown.sort_unstable();
    let rest = n > shown.len();
    page.push_str("<table><tr><th>true \\ predicted</th>");
    for &j in &shown {
        let _ = write!(page, "<th>{}</th>", esc(&labels[j]));
    }
    if rest {
        page.push_str("<th>other classes</th>");
    }
    page.push_str("<th>recall</th></tr>\n");
    for &i in &shown {
        let _ = write!(page, "<tr><th>{}</th>", esc(&labels[i]));
        for &j in &shown {
            let shade = matrix[i][j] as f64 / support[i].max(1) as f64;
            let _ = write!(
                page,
                "<td class=\"num\" style=\"background:rgba(0,114,178,{:.2})\">{}</td>",
                shade * 0.6,
                matrix[i][j]
            );
        }
        if rest {
            let other: usize = (0..n)
                .filter(|j| !shown.contains(j))
                .map(|j| matrix[i][j])
                .sum();
            let _ = write!(page, "<td class=\"num\">{other}</td>");
        }
        let _ = writeln!(
            page,
            "<td class=\"num\">{}</td></tr>",
            ratio(matrix[i][i], support[i])
        );
    }
    page.push_str("</table>\n<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>rows</th></tr>\n");
    for i in 0..n {
        let precision = matrix[i][i] as f64 / predicted[i] as f64;
        let recall = matrix[i][i] as f64 / support[i] as f64;
        let f1 = 2.0 * precision * recall / (precision + recall);
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&labels[i]),
            ratio(matrix[i][i], predicted[i]),
            ratio(matrix[i][i], support[i]),
            if f1.is_finite() { format!("{f1:.3}") } else { "–".into() },
            support[i]
        );
    }
    page.push_str("</table>\n");
    if let Some(never) = (0..n).find(|&i| support[i] > 0 && matrix[i][i] == 0) {
        let _ = writeln!(
            page,
            "<p class=\"warn\">The model never predicts class <code>{}</code> right ({} rows of it): if that class \
             matters, rank by <code>balanced_accuracy</code> or <code>f1_macro</code>, or set <code>class_weight: \
             balanced</code>.</p>",
            esc(&labels[never]),
            support[never]
        );
    }
}

/// `a / b` to three places, `–` when `b` is 0.
fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        "–".into()
    } else {
        format!("{:.3}", a as f64 / b as f64)
    }
}

/// Predicted against actual values and residuals against predictions.
fn values(page: &mut String, held: &HeldOut) -> anyhow::Result<()> {
    let pairs: Vec<(f64, f64)> = held
        .truth
        .iter()
        .zip(&held.predicted)
        .filter_map(|(t, p)| Some((t.parse().ok()?, p.parse().ok()?)))
        .collect();
    if pairs.is_empty() {
        return Ok(());
    }
    // Scored as the sweep scores folds.
    let (truth, predicted): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    let prediction = Prediction {
        targets: Targets::Values(predicted.into()),
        scores: None,
    };
    let scores = score_all(
        &[Metric::R2, Metric::Rmse, Metric::Mae],
        None,
        Targets::Values(&truth),
        &prediction,
    );
    let _ = writeln!(
        page,
        "<h3>On {}</h3>\n<p>r2 {:.4}, rmse {:.4}, mae {:.4}.</p>",
        esc(&judged_on(held)),
        scores[0],
        scores[1],
        scores[2]
    );
    let (marks, sampled) = sample(pairs.iter().collect(), MAX_MARKS, |_| false);
    let colour = series_colour(0);
    let points = |f: &dyn Fn(f64, f64) -> (f64, f64)| Series {
        colour,
        marks: marks
            .iter()
            .map(|&&(t, p)| {
                let (x, y) = f(t, p);
                Mark { x, y, spread: 0.0 }
            })
            .collect(),
        points: true,
        line: None,
    };
    let (lo, hi) = pairs
        .iter()
        .flat_map(|&(t, p)| [t, p])
        .filter(|v| charts::drawable(*v))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let reference = |a: (f64, f64), b: (f64, f64)| Series {
        colour: plotters::style::RGBColor(150, 150, 150),
        marks: [a, b].map(|(x, y)| Mark { x, y, spread: 0.0 }).to_vec(),
        points: false,
        line: Some(Line::Straight),
    };
    let fitted = charts::scatter(
        &Scale::fit(pairs.iter().map(|p| p.0)),
        "predicted",
        "actual",
        &[points(&|t, p| (t, p)), reference((lo, lo), (hi, hi))],
    )?;
    let predicted = pairs.iter().map(|p| p.1);
    let (plo, phi) = predicted
        .clone()
        .filter(|v| charts::drawable(*v))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let residuals = charts::scatter(
        &Scale::fit(predicted),
        "actual − predicted",
        "predicted",
        &[
            points(&|t, p| (p, t - p)),
            reference((plo, 0.0), (phi, 0.0)),
        ],
    )?;
    let sampled = if sampled {
        format!("; an evenly spaced {} of the rows", marks.len())
    } else {
        String::new()
    };
    page.push_str("<div class=\"grid\">");
    figure(
        page,
        "predicted",
        &fitted,
        &format!("Predicted against actual (the grey line: exact){sampled}"),
    );
    figure(
        page,
        "residuals",
        &residuals,
        &format!("Residuals against predictions: a pattern is what the model missed{sampled}"),
    );
    page.push_str("</div>\n");
    Ok(())
}

/// Permutation importance on the test set when there is one, else the split gain of trees.
fn importance(page: &mut String, card: &ModelCard) {
    let rows: Vec<(String, f64, Option<f64>)> = if !card.permutation_importance.is_empty() {
        card.permutation_importance
            .iter()
            .map(|f| (f.feature.clone(), f.mean, Some(f.std)))
            .collect()
    } else {
        card.feature_importance
            .iter()
            .map(|f| (f.feature.clone(), f.importance, None))
            .collect()
    };
    if rows.is_empty() {
        return;
    }
    let permutation = !card.permutation_importance.is_empty();
    let shown = &rows[..rows.len().min(TOP_FEATURES)];
    let largest = shown.iter().map(|r| r.1).fold(f64::MIN_POSITIVE, f64::max);
    let _ = writeln!(
        page,
        "<h3>Feature importance</h3>\n<p class=\"note\">{}{}.</p>\n<table><tr><th>column</th><th>{}</th><th></th></tr>",
        if permutation {
            "Permutation importance on the test set: how much the metric drops when one column's values are \
             shuffled among the test rows (mean ± std over 5 shuffles; at or below 0: the model does not rely on it)"
        } else {
            "Each input column's share of the total split gain (the loss reduction of every split on it)"
        },
        if shown.len() < rows.len() {
            format!("; the top {} of {} columns", shown.len(), rows.len())
        } else {
            String::new()
        },
        if permutation { "drop" } else { "share" }
    );
    for (name, value, spread) in shown {
        let text = match spread {
            Some(s) => format!("{value:.4} ± {s:.4}"),
            None => format!("{:.1}%", value * 100.0),
        };
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td class=\"num\">{text}</td><td><div style=\"background:{};\
             height:.8em;width:{:.0}px\"></div></td></tr>",
            esc(name),
            hex(series_colour(0)),
            (value / largest).max(0.0) * BAR
        );
    }
    page.push_str("</table>\n");
}
