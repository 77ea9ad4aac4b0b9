//! The sweep file's schema as written: every key, with the positions errors point at. Read from a
//! YAML sweep file, or from the `sweep` section of a results folder's manifest.json (JSON is YAML).

use super::execution::ExecutionOverrides;
use crate::data::Task;
use crate::error::{closest_first, InputError};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSweep {
    pub name: String,
    #[serde(default)]
    pub seed: u64,
    pub data: RawData,
    #[serde(default)]
    pub cv: RawCv,
    pub metric: Option<Spanned<String>>,
    #[serde(default)]
    pub search: RawSearch,
    #[serde(default)]
    pub execution: ExecutionOverrides,
    /// Preprocessing for every model that gives none of its own.
    pub preprocess: Option<Spanned<serde_json::Value>>,
    pub models: Vec<RawModel>,
    /// Which configurations are refitted on all training rows and saved after the search.
    #[serde(default)]
    pub refit: Refit,
    /// Which rows the saved models are finally fitted on.
    #[serde(default)]
    pub refit_on: RefitOn,
}

/// The rows a refitted model is saved fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefitOn {
    /// The rows the search saw: the test scores are the saved model's.
    #[default]
    Train,
    /// Training and test rows, refitted after the test scores were taken from the train-only fit.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refit {
    /// The best trial by the primary metric.
    #[default]
    Best,
    /// The best trial of each model family.
    PerModel,
    None,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawData {
    pub path: String,
    pub target: String,
    pub task: Option<Task>,
    pub features: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub drop: Vec<String>,
    /// Kinds for columns whose inferred kind is wrong: category, number, date, drop or id.
    pub columns: Option<Spanned<BTreeMap<String, String>>>,
    /// The CSV field separator, when sniffing it is not wanted.
    pub delimiter: Option<Spanned<String>>,
    /// A held-out test file with the same columns, scored once by each refitted model.
    pub test: Option<Spanned<String>>,
    /// The class binary metrics score (precision, recall, f1, roc_auc, ...); default the minority.
    pub pos_label: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCv {
    pub folds: Option<Spanned<usize>>,
    pub stratified: Option<bool>,
    pub shuffle: Option<bool>,
    pub holdout: Option<RawHoldout>,
    /// Rows held out from the search as a test set, scored once by each refitted model.
    pub test_fraction: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHoldout {
    pub test_fraction: Spanned<f64>,
}

/// How trials are chosen (`search.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    #[default]
    Grid,
    Random,
    Tpe,
    Halving,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Grid => "grid",
            Strategy::Random => "random",
            Strategy::Tpe => "tpe",
            Strategy::Halving => "halving",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSearch {
    #[serde(default)]
    pub strategy: Strategy,
    /// Random search and TPE: trials in the whole sweep.
    pub trials: Option<Spanned<usize>>,
    /// Random search: trials per model entry.
    pub trials_per_model: Option<Spanned<usize>>,
    /// TPE: trials sampled at random before the model of good and bad trials is used.
    pub startup_trials: Option<Spanned<usize>>,
    /// Halving: keep one in `factor` candidates per rung, multiplying the resource by it.
    pub factor: Option<Spanned<u64>>,
    /// Halving: what grows from rung to rung (`rows`, or an integer parameter such as `n_estimators`).
    pub resource: Option<Spanned<String>>,
    /// Halving: the first rung's resource, a number or `exhaust` / `smallest`.
    pub min_resource: Option<Spanned<serde_json::Value>>,
    /// Halving: the largest resource (default for `rows`: every training row).
    pub max_resource: Option<Spanned<u64>>,
    /// Halving: candidates sampled at random (default: the grid).
    pub candidates: Option<Spanned<usize>>,
    /// The seed of the search's own random choices (random samples, TPE); default: the sweep's.
    pub seed: Option<u64>,
    /// Stop evaluating a trial's folds once it is clearly worse than the median (`median`).
    pub prune: Option<Spanned<serde_json::Value>>,
    /// Start no trial after this long (`90s`, `10m`, `2h`); running trials finish.
    pub time_budget: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub model: Spanned<String>,
    pub preprocess: Option<Spanned<serde_json::Value>>,
    #[serde(default)]
    pub params: BTreeMap<String, Spanned<serde_json::Value>>,
}

/// A results folder's manifest, read only for the sweep it records.
#[derive(Deserialize)]
struct ManifestSweep {
    sweep: RawSweep,
}

/// Parses a sweep file's text; `in_manifest` reads the `sweep` section of a manifest.json instead.
pub fn parse(origin: &Path, text: &str, in_manifest: bool) -> Result<RawSweep, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::new(format!(
            "{}: the sweep file is empty; it needs at least `name`, `data` and `models` (see configs/quickstart.yaml)",
            origin.display()
        )));
    }
    let parsed = if in_manifest {
        serde_saphyr::from_str::<ManifestSweep>(text).map(|m| m.sweep)
    } else {
        serde_saphyr::from_str::<RawSweep>(text)
    };
    parsed.map_err(|e| {
        InputError::new(format!(
            "{}: invalid sweep file: {}",
            origin.display(),
            readable(&e.to_string(), origin)
        ))
    })
}

/// The sweep as written, as plain JSON (`0.01`, `null`, `"gini"`), for the manifest.
pub fn as_written(
    origin: &Path,
    text: &str,
    in_manifest: bool,
) -> Result<serde_json::Value, InputError> {
    let value: serde_json::Value = serde_saphyr::from_str(text).map_err(|e| {
        InputError::new(format!(
            "{}: invalid sweep file: {}",
            origin.display(),
            readable(&e.to_string(), origin)
        ))
    })?;
    Ok(if in_manifest {
        value["sweep"].clone()
    } else {
        value
    })
}

/// serde-saphyr's message with the file named instead of `<input>`, enum errors said in words,
/// and the closest valid name added when it reports an unknown field.
fn readable(message: &str, origin: &Path) -> String {
    let message = message.strip_prefix("error: ").unwrap_or(message);
    if message.contains("missing field `models`") {
        // serde points at the last key it read, which is not where anything is wrong.
        return "there is no `models:` list, the model families to try; add one, for example\n\
                models:\n  - model: random_forest\n    params: {n_estimators: [100, 300]}\n  - model: logistic_regression\n\
                (configs/quickstart.yaml is a whole sweep file)"
            .to_string();
    }
    let message = message.replace("<input>", &origin.display().to_string());
    let Some(rest) = message.split("unknown field `").nth(1) else {
        return message.replace("unknown variant", "unknown value");
    };
    let unknown = rest.split('`').next().unwrap_or("");
    let expected: Vec<&str> = rest
        .split("expected one of ")
        .nth(1)
        .and_then(|e| e.lines().next())
        .map(|e| e.split(", ").map(|n| n.trim_matches('`')).collect())
        .unwrap_or_default();
    match closest_first(unknown, expected).first() {
        Some(best) => format!("did you mean `{best}`? {message}"),
        None => message.to_string(),
    }
}
