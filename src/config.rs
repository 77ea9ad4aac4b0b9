//! The sweep file: its YAML schema, and validation into typed settings the rest of the code trusts.

use crate::data::{CvPlan, DataSpec, Task};
use crate::error::{closest_first, InputError};
use crate::metrics::Metric;
use crate::models::{self, ModelFamily};
use crate::preprocess::Scaler;
use crate::value::{Kind, Value};
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: String,
    #[serde(default)]
    seed: u64,
    data: RawData,
    #[serde(default)]
    cv: RawCv,
    metric: Option<Spanned<Metric>>,
    #[serde(default)]
    search: RawSearch,
    #[serde(default)]
    execution: RawExecution,
    models: Vec<RawModel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    path: String,
    target: String,
    task: Option<Task>,
    features: Option<Vec<String>>,
    #[serde(default)]
    drop: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCv {
    folds: Option<usize>,
    stratified: Option<bool>,
    shuffle: Option<bool>,
    holdout: Option<RawHoldout>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoldout {
    test_fraction: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    #[default]
    Grid,
    Random,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSearch {
    #[serde(default)]
    strategy: Strategy,
    trials: Option<Spanned<usize>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    #[default]
    Threads,
    Processes,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Threads => "threads",
            Backend::Processes => "processes",
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExecution {
    #[serde(default)]
    backend: Backend,
    jobs: Option<usize>,
    timeout: Option<Spanned<String>>,
    memory_limit: Option<Spanned<String>>,
    max_failures: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    model: Spanned<String>,
    #[serde(default)]
    preprocess: Vec<Scaler>,
    #[serde(default)]
    params: BTreeMap<String, Spanned<serde_json::Value>>,
}

/// Where a parameter's values come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// A fixed value or a list: a grid axis, or a uniform choice in random search.
    Values(Vec<Value>),
    Uniform(f64, f64),
    LogUniform(f64, f64),
    IntUniform(i64, i64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub model: String,
    pub preprocess: Vec<Scaler>,
    pub params: Vec<(String, Axis)>,
}

impl ModelEntry {
    pub fn family(&self) -> &'static dyn ModelFamily {
        models::find(&self.model).unwrap_or(&models::fault::FaultFamily)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    pub strategy: Strategy,
    /// Random search: samples per model family.
    pub trials: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub backend: Backend,
    /// 0 = all cores.
    pub jobs: usize,
    #[serde(with = "humantime_serde_opt")]
    pub timeout: Option<Duration>,
    pub memory_limit: Option<u64>,
    pub max_failures: Option<usize>,
}

/// Cross-validation as written; stratification's default depends on the task, known after loading data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvSpec {
    pub folds: usize,
    pub stratified: Option<bool>,
    pub shuffle: bool,
    pub holdout: Option<f64>,
}

impl CvSpec {
    pub fn plan(&self, task: Task) -> CvPlan {
        let stratified = self.stratified.unwrap_or(task == Task::Classification);
        match self.holdout {
            Some(test_fraction) => CvPlan::Holdout {
                test_fraction,
                stratified,
                shuffle: self.shuffle,
            },
            None => CvPlan::KFold {
                folds: self.folds,
                stratified,
                shuffle: self.shuffle,
            },
        }
    }
}

/// A validated sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    pub name: String,
    pub seed: u64,
    pub source: PathBuf,
    pub data: DataSpec,
    pub cv: CvSpec,
    pub metric: Option<Metric>,
    /// Where `metric:` was written, for errors found once the task is known.
    #[serde(skip)]
    pub metric_place: (u64, u64),
    pub search: Search,
    pub execution: Execution,
    pub models: Vec<ModelEntry>,
}

mod humantime_serde_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| humantime::parse_duration(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

impl Sweep {
    pub fn load(path: &Path) -> Result<Sweep, InputError> {
        Sweep::parse(path, &read_sweep_file(path)?)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Sweep, InputError> {
        if text.trim().is_empty() {
            return Err(InputError::new(format!(
                "{}: the sweep file is empty; it needs at least `name`, `data` and `models` (see configs/quickstart.yaml)",
                path.display()
            )));
        }
        let raw: RawSweep = serde_saphyr::from_str(text).map_err(|e| {
            InputError::new(format!(
                "{}: invalid sweep file: {}",
                path.display(),
                with_field_hint(&e.to_string())
            ))
        })?;
        validate(path, raw)
    }
}

/// The text of a sweep file, or an input error naming it.
pub fn read_sweep_file(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path)
        .map_err(|e| InputError::new(format!("{}: cannot read sweep file: {e}", path.display())))
}

/// serde-saphyr's message, with the closest valid name added when it reports an unknown field.
fn with_field_hint(message: &str) -> String {
    let message = message.strip_prefix("error: ").unwrap_or(message);
    let Some(rest) = message.split("unknown field `").nth(1) else {
        return message.to_string();
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

fn place(
    file: &Path,
    spanned_line: u64,
    spanned_col: u64,
    message: impl std::fmt::Display,
) -> InputError {
    InputError::at(file, spanned_line, spanned_col, message)
}

fn validate(file: &Path, raw: RawSweep) -> Result<Sweep, InputError> {
    let base = file.parent().unwrap_or(Path::new("."));
    // Absolute, so a resumed or rerun sweep finds its data from any working directory.
    let data_path = std::path::absolute(base.join(&raw.data.path))
        .unwrap_or_else(|_| base.join(&raw.data.path));
    let search = match (raw.search.strategy, raw.search.trials) {
        (Strategy::Grid, _) => Search { strategy: Strategy::Grid, trials: 0 },
        (Strategy::Random, Some(t)) if t.value >= 1 => Search { strategy: Strategy::Random, trials: t.value },
        (Strategy::Random, Some(t)) => {
            return Err(place(file, t.referenced.line(), t.referenced.column(), "search.trials must be at least 1"))
        }
        (Strategy::Random, None) => {
            return Err(InputError::new(format!(
                "{}: search.strategy is random but search.trials is missing; add e.g. `trials: 50` (samples per model)",
                file.display()
            )))
        }
    };
    let execution = Execution {
        backend: raw.execution.backend,
        jobs: raw.execution.jobs.unwrap_or(0),
        timeout: raw
            .execution
            .timeout
            .map(|t| {
                parse_duration(&t.value)
                    .map_err(|e| place(file, t.referenced.line(), t.referenced.column(), e))
            })
            .transpose()?,
        memory_limit: raw
            .execution
            .memory_limit
            .map(|m| {
                parse_bytes(&m.value)
                    .map_err(|e| place(file, m.referenced.line(), m.referenced.column(), e))
            })
            .transpose()?,
        max_failures: raw.execution.max_failures,
    };
    if let Some(f) = raw.cv.holdout.as_ref().map(|h| h.test_fraction) {
        if !(f > 0.0 && f < 1.0) {
            return Err(InputError::new(format!(
                "{}: cv.holdout.test_fraction = {f}: expected a fraction strictly between 0 and 1",
                file.display()
            )));
        }
    }
    if raw.models.is_empty() {
        return Err(InputError::new(format!(
            "{}: `models` is empty; list at least one model (see `sweep models`)",
            file.display()
        )));
    }
    let models = raw
        .models
        .into_iter()
        .map(|m| validate_model(file, m, search.strategy))
        .collect::<Result<Vec<_>, _>>()?;
    let (metric, metric_place) = match raw.metric {
        Some(m) => (Some(m.value), (m.referenced.line(), m.referenced.column())),
        None => (None, (0, 0)),
    };
    Ok(Sweep {
        name: raw.name,
        seed: raw.seed,
        source: file.to_path_buf(),
        data: DataSpec {
            path: data_path,
            target: raw.data.target,
            task: raw.data.task,
            features: raw.data.features,
            drop: raw.data.drop,
        },
        cv: CvSpec {
            folds: raw.cv.folds.unwrap_or(5),
            stratified: raw.cv.stratified,
            shuffle: raw.cv.shuffle.unwrap_or(true),
            holdout: raw.cv.holdout.map(|h| h.test_fraction),
        },
        metric,
        metric_place,
        search,
        execution,
        models,
    })
}

fn validate_model(
    file: &Path,
    raw: RawModel,
    strategy: Strategy,
) -> Result<ModelEntry, InputError> {
    let name = raw.model.value.as_str();
    let family = models::find(name).ok_or_else(|| {
        let names = closest_first(name, models::REGISTRY.iter().map(|m| m.name()));
        place(
            file,
            raw.model.referenced.line(),
            raw.model.referenced.column(),
            format!(
                "unknown model `{name}`; valid models: {} (see `sweep models`)",
                names.join(", ")
            ),
        )
    })?;
    let mut params = Vec::new();
    for (param, value) in raw.params {
        let at = |message: String| {
            place(
                file,
                value.referenced.line(),
                value.referenced.column(),
                message,
            )
        };
        let spec = family
            .params()
            .iter()
            .find(|s| s.name == param)
            .ok_or_else(|| {
                let names = closest_first(&param, family.params().iter().map(|s| s.name));
                at(format!(
                    "model `{name}` has no parameter `{param}`; valid parameters: {}",
                    names.join(", ")
                ))
            })?;
        let axis = parse_axis(&value.value).map_err(&at)?;
        let axis = match axis {
            Axis::Values(values) => Axis::Values(
                values
                    .iter()
                    .map(|v| spec.check(v).map_err(|e| at(format!("{name}: {e}"))))
                    .collect::<Result<_, _>>()?,
            ),
            continuous => {
                if strategy == Strategy::Grid && !matches!(continuous, Axis::IntUniform(..)) {
                    return Err(at(format!(
                        "{name}.{param}: a continuous distribution cannot be enumerated by grid search; \
                         list the values (e.g. `{param}: [0.1, 1, 10]`) or set `search: {{strategy: random, trials: N}}`"
                    )));
                }
                let (lo, hi) = match continuous {
                    Axis::Uniform(lo, hi) | Axis::LogUniform(lo, hi) => (lo, hi),
                    Axis::IntUniform(lo, hi) => (lo as f64, hi as f64),
                    Axis::Values(_) => unreachable!("handled above"),
                };
                let integer_param = matches!(spec.kind, Kind::Int { .. });
                if integer_param != matches!(continuous, Axis::IntUniform(..))
                    && !matches!(spec.kind, Kind::MaxFeatures)
                {
                    return Err(at(format!(
                        "{name}.{param}: expected {}; use {} for it",
                        spec.describe(),
                        if integer_param {
                            "int_uniform"
                        } else {
                            "uniform or log_uniform"
                        }
                    )));
                }
                if !spec.accepts_range(lo, hi) {
                    return Err(at(format!(
                        "{name}.{param}: range [{lo}, {hi}] is outside the valid values: {}",
                        spec.describe()
                    )));
                }
                continuous
            }
        };
        params.push((param, axis));
    }
    Ok(ModelEntry {
        model: name.to_string(),
        preprocess: raw.preprocess,
        params,
    })
}

/// A parameter as written: scalar, list, or a one-key distribution map.
fn parse_axis(value: &serde_json::Value) -> Result<Axis, String> {
    use serde_json::Value as J;
    let scalar =
        |v: &J| Value::from_json(v).ok_or_else(|| format!("expected a scalar value, got `{v}`"));
    match value {
        J::Array(items) if items.is_empty() => {
            Err("an empty list gives no values to try".to_string())
        }
        J::Array(items) => Ok(Axis::Values(
            items.iter().map(scalar).collect::<Result<_, _>>()?,
        )),
        J::Object(map) => {
            let (kind, args) = match map.iter().next() {
                Some(entry) if map.len() == 1 => entry,
                _ => return Err(distribution_help()),
            };
            let pair = || -> Result<(f64, f64), String> {
                match args
                    .as_array()
                    .map(|a| a.iter().map(J::as_f64).collect::<Vec<_>>())
                {
                    Some(bounds) if bounds.len() == 2 && bounds.iter().all(Option::is_some) => {
                        let (lo, hi) = (bounds[0].unwrap_or(0.0), bounds[1].unwrap_or(0.0));
                        if lo < hi {
                            Ok((lo, hi))
                        } else {
                            Err(format!(
                                "`{kind}` needs [low, high] with low < high, got [{lo}, {hi}]"
                            ))
                        }
                    }
                    _ => Err(format!("`{kind}` needs two numbers [low, high]")),
                }
            };
            match kind.as_str() {
                "uniform" => pair().map(|(lo, hi)| Axis::Uniform(lo, hi)),
                "log_uniform" => {
                    let (lo, hi) = pair()?;
                    if lo <= 0.0 {
                        return Err(format!(
                            "`log_uniform` needs a positive low bound, got {lo}"
                        ));
                    }
                    Ok(Axis::LogUniform(lo, hi))
                }
                "int_uniform" => {
                    let (lo, hi) = pair()?;
                    if lo.fract() != 0.0 || hi.fract() != 0.0 {
                        return Err(format!(
                            "`int_uniform` needs integer bounds, got [{lo}, {hi}]"
                        ));
                    }
                    Ok(Axis::IntUniform(lo as i64, hi as i64))
                }
                "choice" => match args {
                    J::Array(items) if !items.is_empty() => Ok(Axis::Values(
                        items.iter().map(scalar).collect::<Result<_, _>>()?,
                    )),
                    _ => Err("`choice` needs a non-empty list".to_string()),
                },
                _ => Err(distribution_help()),
            }
        }
        v => Ok(Axis::Values(vec![scalar(v)?])),
    }
}

fn distribution_help() -> String {
    "a parameter map must be one distribution: {uniform: [lo, hi]}, {log_uniform: [lo, hi]}, \
     {int_uniform: [lo, hi]} or {choice: [a, b, ...]}"
        .to_string()
}

/// `30s`, `5m`, `1h 30m`, `250ms`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let parsed = match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds.is_finite() => Ok(Duration::from_secs_f64(seconds)),
        _ => humantime::parse_duration(text),
    };
    match parsed {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!(
            "invalid duration `{text}`: expected e.g. `30s`, `5m`, `1h`"
        )),
    }
}

/// `2GiB`, `512MiB`, `1G`; a bare number is bytes.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    match text.trim().parse::<bytesize::ByteSize>() {
        Ok(b) if b.as_u64() > 0 => Ok(b.as_u64()),
        _ => Err(format!(
            "invalid memory size `{text}`: expected e.g. `512MiB`, `2GiB`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Sweep, InputError> {
        Sweep::parse(Path::new("configs/t.yaml"), text)
    }

    const BASE: &str = "name: t\ndata: {path: ../data/iris.csv, target: target}\n";

    #[test]
    fn reference_shape_parses_with_defaults() {
        let s = parse(&format!(
            "{BASE}models:\n  - model: svm\n    params: {{c: [1, 10], kernel: rbf}}\n"
        ))
        .unwrap();
        assert_eq!(s.cv.folds, 5);
        assert!(s.cv.shuffle);
        assert!(s.data.path.is_absolute() && s.data.path.ends_with("configs/../data/iris.csv"));
        assert_eq!(
            s.models[0].params[0],
            (
                "c".to_string(),
                Axis::Values(vec![Value::Float(1.0), Value::Float(10.0)])
            )
        );
    }

    #[test]
    fn unknown_key_names_the_closest_valid_one() {
        let err = parse(&format!("{BASE}modles: []\n")).unwrap_err();
        assert!(err.0.contains("modles"), "{err}");
        assert!(err.0.contains("did you mean `models`"), "{err}");
    }

    #[test]
    fn unknown_model_and_parameter_list_valid_names_with_location() {
        let err = parse(&format!("{BASE}models:\n  - model: random_forrest\n")).unwrap_err();
        assert!(err.0.contains("configs/t.yaml:4:"), "{err}");
        assert!(err.0.contains("valid models: random_forest,"), "{err}");
        let err = parse(&format!(
            "{BASE}models:\n  - model: svm\n    params: {{gama: 1}}\n"
        ))
        .unwrap_err();
        assert!(err.0.contains("valid parameters: gamma"), "{err}");
    }

    #[test]
    fn impossible_values_and_grid_distributions_are_refused() {
        let err = parse(&format!(
            "{BASE}models:\n  - model: svm\n    params: {{c: [1, 0]}}\n"
        ))
        .unwrap_err();
        assert!(
            err.0
                .contains("invalid value `0` for parameter `c`: expected number > 0"),
            "{err}"
        );
        let err = parse(&format!(
            "{BASE}models:\n  - model: svm\n    params: {{c: {{log_uniform: [0.1, 10]}}}}\n"
        ))
        .unwrap_err();
        assert!(err.0.contains("list the values"), "{err}");
        let ok = parse(&format!(
            "{BASE}search: {{strategy: random, trials: 5}}\nmodels:\n  - model: svm\n    params: {{c: {{log_uniform: [0.1, 10]}}}}\n"
        ));
        assert!(ok.is_ok());
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_bytes("2GiB"), Ok(2 << 30));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert!(parse_bytes("lots").is_err());
    }
}
