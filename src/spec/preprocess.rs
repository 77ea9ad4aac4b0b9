//! A model entry's `preprocess:` as written: the list form (`[standard_scaler]`, scalers over the
//! family's defaults) or the map form by column kind, checked into a [`Pipeline`].
//!
//! ```yaml
//! preprocess:
//!   numeric: [{impute: median}, missing_indicator, standard_scaler]   # impute: mean | median | {constant: 0}
//!   categorical: [{impute: most_frequent}, one_hot]                   # one_hot | {one_hot: {min_frequency: 5, max_categories: 20}} | ordinal
//!   datetime: [expand]
//! ```
//!
//! In the map form a step may list alternatives, which are grid axes like a model's parameters:
//! `{impute: [mean, median]}` or `[one_hot, ordinal]` make one model entry per combination.

use crate::models::DefaultPreprocessing;
use crate::preprocess::{
    CategoryImpute, Encoding, Impute, Pipeline, Scaler, DEFAULT_MAX_CATEGORIES,
};
use serde_json::Value as J;

/// Every pipeline the written preprocessing stands for (one per combination of listed alternatives),
/// each with the words it adds to trial keys.
pub fn parse_all(
    value: Option<&J>,
    defaults: DefaultPreprocessing,
) -> Result<Vec<(Pipeline, Vec<String>)>, String> {
    match value {
        Some(J::Object(map)) => alternatives(map)
            .iter()
            .map(|one| parse(Some(one), defaults))
            .collect(),
        other => Ok(vec![parse(other, defaults)?]),
    }
}

/// The map form with each listed alternative chosen, in every combination: sections in name order,
/// the last step varying fastest (as grid axes do).
fn alternatives(map: &serde_json::Map<String, J>) -> Vec<J> {
    // Every step becomes a list of its choices.
    let mut slots: Vec<(String, usize, Vec<J>)> = Vec::new();
    for (section, steps) in map {
        for (i, item) in steps.as_array().into_iter().flatten().enumerate() {
            let choices = match item {
                J::Array(options) if !options.is_empty() => options.clone(),
                J::Object(one) if one.len() == 1 => match one.iter().next() {
                    Some((name, J::Array(options))) if !options.is_empty() => options
                        .iter()
                        .map(|o| serde_json::json!({ name.clone(): o.clone() }))
                        .collect(),
                    _ => vec![item.clone()],
                },
                _ => vec![item.clone()],
            };
            slots.push((section.clone(), i, choices));
        }
    }
    let mut combos = vec![map.clone()];
    for (section, i, choices) in slots {
        combos = combos
            .into_iter()
            .flat_map(|combo| {
                choices
                    .iter()
                    .map(|choice| {
                        let mut next = combo.clone();
                        if let Some(J::Array(steps)) = next.get_mut(&section) {
                            steps[i] = choice.clone();
                        }
                        next
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    combos.into_iter().map(J::Object).collect()
}

/// The pipeline and the words it adds to trial keys (none for a family's defaults, so keys of
/// sweeps without `preprocess:` do not change).
fn parse(
    value: Option<&J>,
    defaults: DefaultPreprocessing,
) -> Result<(Pipeline, Vec<String>), String> {
    let mut pipeline = Pipeline::default_for(defaults);
    let Some(value) = value else {
        return Ok((pipeline, Vec::new()));
    };
    match value {
        J::Array(items) => {
            pipeline.scalers = items.iter().map(scaler).collect::<Result<_, _>>()?;
            let label = pipeline.scalers.iter().map(|s| s.name().to_string()).collect();
            Ok((pipeline, label))
        }
        J::Object(map) => {
            for (kind, steps) in map {
                let steps = steps
                    .as_array()
                    .ok_or_else(|| format!("preprocess.{kind} must be a list of steps"))?;
                match kind.as_str() {
                    "numeric" => numeric(&mut pipeline, steps, defaults)?,
                    "categorical" => categorical(&mut pipeline, steps, defaults)?,
                    "datetime" => {
                        if steps.iter().any(|s| s.as_str() != Some("expand")) {
                            return Err("preprocess.datetime takes `[expand]` (year, month, day, weekday, hour, seconds since 1970)".to_string());
                        }
                    }
                    other => {
                        return Err(format!(
                            "unknown preprocess section `{other}`; valid: numeric, categorical, datetime"
                        ))
                    }
                }
            }
            let label = vec![describe(&pipeline)];
            Ok((pipeline, label))
        }
        _ => Err(
            "preprocess must be a list of scalers (e.g. `[standard_scaler]`) or a map with numeric, categorical, datetime"
                .to_string(),
        ),
    }
}

fn scaler(item: &J) -> Result<Scaler, String> {
    match item.as_str() {
        Some("standard_scaler") => Ok(Scaler::StandardScaler),
        Some("min_max_scaler") => Ok(Scaler::MinMaxScaler),
        _ => Err(format!(
            "unknown scaler `{item}`; valid: standard_scaler, min_max_scaler"
        )),
    }
}

/// A step `name` or `{name: argument}`.
fn step(item: &J) -> Result<(&str, Option<&J>), String> {
    match item {
        J::String(name) => Ok((name, None)),
        J::Object(map) if map.len() == 1 => {
            let (name, argument) = map.iter().next().expect("one entry");
            Ok((name, Some(argument)))
        }
        _ => Err(format!(
            "a preprocess step is a name or a one-key map, got `{item}`"
        )),
    }
}

/// `impute: none` keeps missing cells, for the families that handle them.
fn keep_missing(defaults: DefaultPreprocessing, section: &str) -> Result<(), String> {
    if defaults.keep_missing {
        Ok(())
    } else {
        Err(format!(
            "{section} impute `none` leaves missing cells in, which only gradient_boosting handles; \
             this family needs them filled"
        ))
    }
}

fn numeric(
    pipeline: &mut Pipeline,
    steps: &[J],
    defaults: DefaultPreprocessing,
) -> Result<(), String> {
    pipeline.scalers.clear();
    pipeline.impute = Pipeline::default_for(defaults).impute;
    for item in steps {
        match step(item)? {
            ("impute", Some(J::String(how))) if how == "none" => {
                keep_missing(defaults, "numeric")?;
                pipeline.impute = Impute::Keep;
            }
            ("impute", Some(J::String(how))) if how == "mean" => pipeline.impute = Impute::Mean,
            ("impute", Some(J::String(how))) if how == "median" => pipeline.impute = Impute::Median,
            ("impute", Some(J::Object(c))) if c.len() == 1 && c.get("constant").and_then(J::as_f64).is_some() => {
                pipeline.impute = Impute::Constant(c["constant"].as_f64().unwrap_or(0.0));
            }
            ("impute", Some(J::String(how))) if how == "constant" => pipeline.impute = Impute::Constant(0.0),
            ("impute", other) => {
                return Err(format!(
                    "numeric impute `{}`: valid are mean, median, constant (0), {{constant: 1.5}} or none \
                     (gradient_boosting only)",
                    other.map_or("(none)".to_string(), J::to_string)
                ))
            }
            ("missing_indicator", None) => pipeline.indicator = true,
            (name @ ("standard_scaler" | "min_max_scaler"), None) => {
                pipeline.scalers.push(scaler(&J::String(name.to_string()))?);
            }
            (name, _) => {
                return Err(format!(
                    "unknown numeric step `{name}`; valid: {{impute: mean|median|constant}}, missing_indicator, \
                     standard_scaler, min_max_scaler"
                ))
            }
        }
    }
    Ok(())
}

fn categorical(
    pipeline: &mut Pipeline,
    steps: &[J],
    defaults: DefaultPreprocessing,
) -> Result<(), String> {
    let default = Pipeline::default_for(defaults);
    pipeline.category_impute = default.category_impute;
    pipeline.encoding = default.encoding;
    for item in steps {
        match step(item)? {
            ("impute", Some(J::String(how))) if how == "none" => {
                keep_missing(defaults, "categorical")?;
                pipeline.category_impute = CategoryImpute::Keep;
            }
            ("impute", Some(J::String(how))) if how == "most_frequent" => {
                pipeline.category_impute = CategoryImpute::MostFrequent;
            }
            ("impute", Some(J::String(how))) if how == "constant" => {
                pipeline.category_impute = CategoryImpute::Constant;
            }
            ("impute", _) => {
                return Err("categorical impute: valid are most_frequent, constant (missing as its own level), none \
                            (gradient_boosting only)".to_string())
            }
            ("ordinal", None) => pipeline.encoding = Encoding::Ordinal,
            ("one_hot", None) => {
                pipeline.encoding = Encoding::OneHot {
                    min_frequency: 1,
                    max_categories: DEFAULT_MAX_CATEGORIES,
                }
            }
            ("one_hot", Some(J::Object(options))) => {
                let count = |key: &str, default: usize| -> Result<usize, String> {
                    match options.get(key) {
                        None => Ok(default),
                        Some(v) => v
                            .as_u64()
                            .filter(|&n| n >= 1)
                            .map(|n| n as usize)
                            .ok_or_else(|| format!("one_hot.{key} must be a whole number >= 1, got `{v}`")),
                    }
                };
                if let Some(unknown) = options.keys().find(|k| !["min_frequency", "max_categories"].contains(&k.as_str())) {
                    return Err(format!("one_hot has no option `{unknown}`; valid: min_frequency, max_categories"));
                }
                pipeline.encoding = Encoding::OneHot {
                    min_frequency: count("min_frequency", 1)?,
                    max_categories: count("max_categories", DEFAULT_MAX_CATEGORIES)?.max(2),
                };
            }
            (name, _) => {
                return Err(format!(
                    "unknown categorical step `{name}`; valid: {{impute: most_frequent|constant}}, one_hot, ordinal"
                ))
            }
        }
    }
    Ok(())
}

/// The pipeline in a few words, for trial keys.
fn describe(p: &Pipeline) -> String {
    let mut words = vec![match p.impute {
        Impute::Mean => "mean".to_string(),
        Impute::Median => "median".to_string(),
        Impute::Constant(c) => format!("fill{c}"),
        Impute::Keep => "none".to_string(),
    }];
    if p.indicator {
        words.push("indicator".to_string());
    }
    words.extend(p.scalers.iter().map(|s| s.name().to_string()));
    match p.category_impute {
        CategoryImpute::Constant => words.push("missing_level".to_string()),
        CategoryImpute::Keep => words.push("missing_kept".to_string()),
        CategoryImpute::MostFrequent => {}
    }
    words.push(match p.encoding {
        Encoding::Ordinal => "ordinal".to_string(),
        Encoding::OneHot {
            min_frequency: 1,
            max_categories: DEFAULT_MAX_CATEGORIES,
        } => "one_hot".to_string(),
        Encoding::OneHot {
            min_frequency,
            max_categories,
        } => format!("one_hot{min_frequency}-{max_categories}"),
    });
    words.join("+")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINEAR: DefaultPreprocessing = DefaultPreprocessing {
        scaled: true,
        one_hot: true,
        keep_missing: false,
    };

    #[test]
    fn the_list_form_keeps_its_key_words_and_defaults_add_none() {
        let (p, label) = parse(Some(&serde_json::json!(["standard_scaler"])), LINEAR).unwrap();
        assert_eq!(p.scalers, vec![Scaler::StandardScaler]);
        assert_eq!(label, vec!["standard_scaler".to_string()]);
        let (p, label) = parse(None, LINEAR).unwrap();
        assert!(label.is_empty());
        assert_eq!(p, Pipeline::default_for(LINEAR));
    }

    #[test]
    fn listed_alternatives_are_a_grid_of_pipelines() {
        let map = serde_json::json!({
            "numeric": [{"impute": ["mean", "median"]}, "standard_scaler"],
            "categorical": [["one_hot", "ordinal"]]
        });
        let all = parse_all(Some(&map), LINEAR).unwrap();
        let labels: Vec<String> = all.iter().map(|(_, l)| l[0].clone()).collect();
        assert_eq!(
            labels,
            [
                "mean+standard_scaler+one_hot",
                "median+standard_scaler+one_hot",
                "mean+standard_scaler+ordinal",
                "median+standard_scaler+ordinal"
            ]
        );
    }

    #[test]
    fn the_map_form_is_checked_step_by_step() {
        let map = serde_json::json!({
            "numeric": [{"impute": "mean"}, "missing_indicator", "min_max_scaler"],
            "categorical": [{"impute": "constant"}, {"one_hot": {"min_frequency": 5}}],
            "datetime": ["expand"]
        });
        let (p, label) = parse(Some(&map), LINEAR).unwrap();
        assert_eq!(p.impute, Impute::Mean);
        assert!(p.indicator);
        assert_eq!(p.category_impute, CategoryImpute::Constant);
        assert_eq!(
            label,
            vec!["mean+indicator+min_max_scaler+missing_level+one_hot5-32".to_string()]
        );
        let bad = serde_json::json!({"numeric": [{"impute": "mode"}]});
        assert!(parse(Some(&bad), LINEAR)
            .unwrap_err()
            .contains("valid are mean, median"));
        let bad = serde_json::json!({"categorical": ["target_encoding"]});
        assert!(parse(Some(&bad), LINEAR)
            .unwrap_err()
            .contains("one_hot, ordinal"));
    }
}
