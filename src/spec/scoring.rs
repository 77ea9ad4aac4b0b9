//! What the ranking metric asks of the target and the models: the metric fits the task (and a
//! binary-only metric a two-class target), the positive class binary metrics score, every listed
//! family gives what the metric needs (probabilities or decision values), `class_weight` maps name
//! classes of the target, and the warning when accuracy would rank a majority-class model first.

use super::build::At;
use super::sweep_file::RawSweep;
use crate::data::{Dataset, Targets, Task};
use crate::error::{closest_first, InputError};
use crate::metrics::{Metric, Needs};
use crate::models;
use crate::value::{class_weight_map, Value};
use serde_saphyr::Spanned;

/// The ranking metric named in the sweep file, checked against the task and the class count.
pub(super) fn check_metric(
    m: &Spanned<String>,
    dataset: &Dataset,
    target: &str,
    task_hint: &str,
    at: &At,
) -> Result<Metric, InputError> {
    let task = dataset.task();
    let n_classes = class_count(dataset);
    let valid: Vec<&str> = Metric::for_target(task, n_classes)
        .iter()
        .map(|m| m.name())
        .collect();
    let metric = Metric::from_name(&m.value).ok_or_else(|| {
        at(
            &m.referenced,
            format!(
                "unknown metric `{}`; valid metrics for this {task} sweep: {} (all metrics: {})",
                m.value,
                valid.join(", "),
                closest_first(&m.value, Metric::names()).join(", ")
            ),
        )
    })?;
    if metric.task() != task {
        return Err(at(
            &m.referenced,
            format!(
                "metric `{}` is for {}, but the target `{target}` makes this a {task} sweep{task_hint}; use one of: {}",
                metric.name(),
                metric.task(),
                valid.join(", ")
            ),
        ));
    }
    if let (true, Some(n)) = (metric.binary_only(), n_classes.filter(|&n| n > 2)) {
        return Err(at(
            &m.referenced,
            format!(
                "metric `{}` scores one positive class of a two-class target, but `{target}` has {n} \
                 classes; use one of: {}",
                metric.name(),
                valid.join(", ")
            ),
        ));
    }
    Ok(metric)
}

fn class_count(dataset: &Dataset) -> Option<usize> {
    match &dataset.target {
        Targets::Classes { n_classes, .. } => Some(*n_classes),
        Targets::Values(_) => None,
    }
}

/// The class binary metrics score: `data.pos_label`, else the class with the fewest rows (the
/// later one on a tie). `None` unless the target has two classes.
pub(super) fn positive_class(
    raw: &RawSweep,
    dataset: &Dataset,
    at: &At,
) -> Result<Option<usize>, InputError> {
    let given = raw.data.pos_label.as_ref();
    let Targets::Classes { y, n_classes: 2 } = &dataset.target else {
        return match given {
            None => Ok(None),
            Some(label) => Err(at(
                &label.referenced,
                format!(
                    "data.pos_label names the positive class of a two-class target, but `{}` {}; \
                     remove it (multiclass metrics average over every class)",
                    dataset.target_name,
                    match class_count(dataset) {
                        Some(n) => format!("has {n} classes"),
                        None => "is a regression target".to_string(),
                    }
                ),
            )),
        };
    };
    if let Some(label) = given {
        return dataset
            .class_labels
            .iter()
            .position(|c| *c == label.value)
            .map(Some)
            .ok_or_else(|| {
                at(
                    &label.referenced,
                    format!(
                        "data.pos_label `{}` is not a class of `{}`; its classes are {}",
                        label.value,
                        dataset.target_name,
                        quoted(&dataset.class_labels)
                    ),
                )
            });
    }
    let ones = y.iter().filter(|&&c| c == 1).count();
    Ok(Some(if ones * 2 <= y.len() { 1 } else { 0 }))
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Refuses a ranking metric that a listed family cannot compute, and `class_weight` values that
/// name no class of the target (or weigh a regression target).
pub(super) fn check_models(
    raw: &RawSweep,
    primary: Metric,
    dataset: &Dataset,
    at: &At,
) -> Result<(), InputError> {
    for m in &raw.models {
        let Some(family) = models::find(&m.model.value) else {
            continue;
        };
        let gives = family.info().scores;
        if !gives.serve(primary.needs()) {
            let what = match primary.needs() {
                Needs::Probabilities => "class probabilities",
                _ => "class probabilities or decision values",
            };
            return Err(at(
                &m.model.referenced,
                format!(
                    "metric `{}` needs {what}, and `{}` gives {}; rank by a metric it can give \
                     (accuracy, balanced_accuracy, f1_macro{}) or leave `{}` out",
                    primary.name(),
                    family.name(),
                    gives.describe(),
                    if gives.serve(Needs::Ranking) {
                        ", roc_auc, average_precision"
                    } else {
                        ""
                    },
                    family.name()
                ),
            ));
        }
        if let Some(weights) = m.params.get("class_weight") {
            check_class_weight(weights, dataset, at)?;
        }
    }
    Ok(())
}

fn check_class_weight(
    weights: &Spanned<serde_json::Value>,
    dataset: &Dataset,
    at: &At,
) -> Result<(), InputError> {
    let values: Vec<Value> = match &weights.value {
        serde_json::Value::Array(list) => list.iter().filter_map(Value::from_json).collect(),
        one => Value::from_json(one).into_iter().collect(),
    };
    for value in values {
        let Value::Str(text) = &value else { continue };
        if dataset.task() == Task::Regression && !matches!(value, Value::Null) {
            return Err(at(
                &weights.referenced,
                format!(
                    "class_weight `{text}` weighs classes, but `{}` is a regression target; remove it",
                    dataset.target_name
                ),
            ));
        }
        let Some(pairs) = class_weight_map(text) else {
            continue;
        };
        if let Some((name, _)) = pairs
            .iter()
            .find(|(name, _)| !dataset.class_labels.iter().any(|c| c == name))
        {
            return Err(at(
                &weights.referenced,
                format!(
                    "class_weight names `{name}`, which is not a class of `{}`; its classes are {}",
                    dataset.target_name,
                    quoted(&dataset.class_labels)
                ),
            ));
        }
    }
    Ok(())
}

/// A warning when accuracy ranks and one class is over 80% of the rows: a model that always
/// predicts it would look good.
pub(super) fn majority_warning(dataset: &Dataset, primary: Metric) -> Option<String> {
    let Targets::Classes { y, n_classes } = &dataset.target else {
        return None;
    };
    if primary != Metric::Accuracy || y.is_empty() {
        return None;
    }
    let counts = crate::data::class_counts(y, *n_classes);
    let (class, &largest) = counts.iter().enumerate().max_by_key(|&(_, n)| *n)?;
    let share = largest as f64 / y.len() as f64;
    (share > 0.8).then(|| {
        format!(
            "class `{}` is {:.1}% of the rows: a model that always predicts it scores accuracy {share:.3}; \
             to rank models by how well they find the other classes, use `metric: balanced_accuracy`, \
             `metric: roc_auc` or `metric: f1_macro`, and consider `class_weight: balanced`",
            dataset.class_labels[class],
            share * 100.0
        )
    })
}
