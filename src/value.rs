//! Parameter values: what a sweep file can give a model, how each is checked against the model's
//! declared parameters, and the canonical text form that trial keys are built from.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One parameter value after validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl fmt::Display for Value {
    /// The canonical form used in trial keys and CSV cells: `null`, `true`, `3`, `0.1`, `1e-11`, `gini`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

impl Value {
    /// A YAML-ish scalar from its text form: used for declared defaults.
    pub fn parse_scalar(text: &str) -> Value {
        match text {
            "null" | "~" => Value::Null,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => {
                if let Ok(i) = text.parse::<i64>() {
                    Value::Int(i)
                } else if let Ok(x) = text.parse::<f64>() {
                    Value::Float(x)
                } else {
                    Value::Str(text.to_string())
                }
            }
        }
    }

    /// From a JSON value as read from YAML; `None` for lists. A map of names to numbers (a
    /// `class_weight`) becomes its canonical text, `name:weight` pairs joined by commas.
    pub fn from_json(v: &serde_json::Value) -> Option<Value> {
        Some(match v {
            serde_json::Value::Object(map) => {
                let pairs: Option<Vec<String>> = map
                    .iter()
                    .map(|(k, w)| Some(format!("{k}:{}", Value::from_json(w)?)))
                    .collect();
                Value::Str(pairs?.join(","))
            }
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64()?),
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            _ => return None,
        })
    }

    /// As plain JSON: `null`, `true`, `3`, `0.1`, `"gini"` (for trials.csv's `params` and the manifest).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(x) => serde_json::Number::from_f64(*x)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Str(s) => serde_json::Value::String(s.clone()),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(x) => Some(*x),
            _ => None,
        }
    }
}

/// What values a parameter accepts.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A real number in a range; `min_exclusive` makes the lower bound open (e.g. c > 0).
    Float {
        min: f64,
        max: f64,
        min_exclusive: bool,
    },
    /// An integer in a closed range; `nullable` allows `null` ("no limit").
    Int {
        min: i64,
        max: i64,
        nullable: bool,
    },
    Bool,
    /// One of a fixed set of names.
    Choice(&'static [&'static str]),
    /// Features tried per split: `sqrt`, `log2`, a fraction in (0, 1], a count >= 1, or null (all).
    MaxFeatures,
    /// Class weights: null (all 1), `balanced`, or a map of class names to positive weights.
    ClassWeight,
    /// `auto` (the family decides), true or false.
    AutoBool,
}

/// A parameter a model declares: its name, accepted values, default (as text) and meaning.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub default: &'static str,
    pub help: &'static str,
}

impl ParamSpec {
    pub fn default_value(&self) -> Value {
        Value::parse_scalar(self.default)
    }

    /// Human description of the valid values, used in `sweep models` and in error messages.
    pub fn describe(&self) -> String {
        match self.kind {
            Kind::Float {
                min,
                max,
                min_exclusive,
            } => {
                let lower = if min_exclusive { "> " } else { ">= " };
                if max.is_finite() {
                    format!("number {lower}{min} and <= {max}")
                } else {
                    format!("number {lower}{min}")
                }
            }
            Kind::Int { min, max, nullable } => {
                let range = if max == i64::MAX {
                    format!("integer >= {min}")
                } else {
                    format!("integer in [{min}, {max}]")
                };
                if nullable {
                    format!("{range} or null (no limit)")
                } else {
                    range
                }
            }
            Kind::Bool => "true or false".to_string(),
            Kind::Choice(names) => format!("one of {}", names.join(" | ")),
            Kind::MaxFeatures => {
                "sqrt | log2 | fraction in (0, 1] | count >= 1 | null (all)".to_string()
            }
            Kind::AutoBool => "auto | true | false".to_string(),
            Kind::ClassWeight => {
                "null (all 1) | balanced | a map of class to weight > 0, e.g. {dead: 10}"
                    .to_string()
            }
        }
    }

    /// Checks a value and converts it to this parameter's canonical type (e.g. `1` for a float -> `1.0`).
    /// `None` means null where null is valid: trials.csv writes null so (as `cv_results_` does), and a
    /// value copied from there back into a sweep file means the same.
    pub fn check(&self, value: &Value) -> Result<Value, String> {
        if matches!(value, Value::Str(s) if s == "None") && self.check(&Value::Null).is_ok() {
            return Ok(Value::Null);
        }
        let invalid = || {
            Err(format!(
                "invalid value `{value}` for parameter `{}`: expected {}",
                self.name,
                self.describe()
            ))
        };
        match (self.kind, value) {
            (
                Kind::Float {
                    min,
                    max,
                    min_exclusive,
                },
                Value::Int(_) | Value::Float(_),
            ) => {
                let x = value.as_f64().unwrap_or(f64::NAN);
                let above_min = if min_exclusive { x > min } else { x >= min };
                if x.is_finite() && above_min && x <= max {
                    Ok(Value::Float(x))
                } else {
                    invalid()
                }
            }
            (Kind::Int { min, max, .. }, Value::Int(i)) if (min..=max).contains(i) => {
                Ok(value.clone())
            }
            (Kind::Int { nullable: true, .. }, Value::Null) => Ok(Value::Null),
            (Kind::Bool, Value::Bool(_)) => Ok(value.clone()),
            (Kind::Choice(names), Value::Str(s)) if names.contains(&s.as_str()) => {
                Ok(value.clone())
            }
            (Kind::MaxFeatures, Value::Null) => Ok(Value::Null),
            (Kind::MaxFeatures, Value::Str(s)) if s == "sqrt" || s == "log2" => Ok(value.clone()),
            (Kind::MaxFeatures, Value::Int(i)) if *i >= 1 => Ok(value.clone()),
            (Kind::MaxFeatures, Value::Float(x)) if *x > 0.0 && *x <= 1.0 => Ok(value.clone()),
            (Kind::AutoBool, Value::Bool(_)) => Ok(value.clone()),
            (Kind::AutoBool, Value::Str(s)) if s == "auto" => Ok(value.clone()),
            (Kind::ClassWeight, Value::Null) => Ok(Value::Null),
            (Kind::ClassWeight, Value::Str(s)) if s == "balanced" => Ok(value.clone()),
            (Kind::ClassWeight, Value::Str(s)) if class_weight_map(s).is_some() => {
                Ok(value.clone())
            }
            _ => invalid(),
        }
    }

    /// Whether a continuous distribution over [lo, hi] fits this parameter.
    pub fn accepts_range(&self, lo: f64, hi: f64) -> bool {
        match self.kind {
            Kind::Float {
                min,
                max,
                min_exclusive,
            } => (if min_exclusive { lo > min } else { lo >= min }) && hi <= max,
            Kind::Int { min, max, .. } => lo >= min as f64 && hi <= max as f64,
            Kind::MaxFeatures => lo > 0.0 && hi <= 1.0,
            _ => false,
        }
    }
}

/// The `name:weight` pairs of a class-weight map's canonical text; `None` unless every weight is a
/// finite number above 0 and no class repeats.
pub fn class_weight_map(text: &str) -> Option<Vec<(&str, f64)>> {
    let mut pairs: Vec<(&str, f64)> = Vec::new();
    for pair in text.split(',') {
        let (name, weight) = pair.rsplit_once(':')?;
        let weight: f64 = weight.trim().parse().ok()?;
        let name = name.trim();
        if !(weight.is_finite() && weight > 0.0) || pairs.iter().any(|(n, _)| *n == name) {
            return None;
        }
        pairs.push((name, weight));
    }
    Some(pairs)
}

/// How many features a split considers, resolved against the number of features.
pub fn resolve_max_features(value: &Value, n_features: usize) -> usize {
    let n = n_features as f64;
    let k = match value {
        Value::Str(s) if s == "sqrt" => n.sqrt().floor(),
        Value::Str(s) if s == "log2" => n.log2().floor(),
        Value::Int(i) => *i as f64,
        Value::Float(x) => (x * n).floor(),
        _ => n,
    };
    (k as usize).clamp(1, n_features.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: ParamSpec = ParamSpec {
        name: "c",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: true,
        },
        default: "1.0",
        help: "",
    };

    #[test]
    fn float_parameter_accepts_integers_and_rejects_bounds() {
        assert_eq!(C.check(&Value::Int(10)), Ok(Value::Float(10.0)));
        let err = C.check(&Value::Float(0.0)).unwrap_err();
        assert!(err.contains("> 0"), "{err}");
        assert!(C.check(&Value::Str("big".into())).is_err());
    }

    #[test]
    fn none_as_trials_csv_writes_it_is_null_where_null_is_valid() {
        let depth = ParamSpec {
            name: "max_depth",
            kind: Kind::Int {
                min: 1,
                max: 100,
                nullable: true,
            },
            default: "null",
            help: "",
        };
        assert_eq!(depth.check(&Value::Str("None".into())), Ok(Value::Null));
        let leaves = ParamSpec {
            kind: Kind::Int {
                min: 1,
                max: 100,
                nullable: false,
            },
            ..depth
        };
        assert!(leaves.check(&Value::Str("None".into())).is_err());
    }

    #[test]
    fn nullable_int_takes_null_but_plain_int_does_not() {
        let depth = ParamSpec {
            name: "max_depth",
            kind: Kind::Int {
                min: 1,
                max: i64::MAX,
                nullable: true,
            },
            default: "null",
            help: "",
        };
        assert_eq!(depth.check(&Value::Null), Ok(Value::Null));
        assert!(depth.check(&Value::Int(0)).is_err());
        let plain = ParamSpec {
            kind: Kind::Int {
                min: 1,
                max: 10,
                nullable: false,
            },
            ..depth
        };
        assert!(plain.check(&Value::Null).is_err());
    }

    #[test]
    fn canonical_text_round_trips() {
        for text in ["null", "true", "3", "0.1", "1e-11", "gini"] {
            let v = Value::parse_scalar(text);
            assert_eq!(Value::parse_scalar(&v.to_string()), v);
        }
        assert_eq!(Value::Float(1.0).to_string(), "1.0");
        assert_eq!(Value::Float(1e-11).to_string(), "1e-11");
    }

    #[test]
    fn max_features_resolves_like_scikit_learn() {
        assert_eq!(resolve_max_features(&Value::Str("sqrt".into()), 30), 5);
        assert_eq!(resolve_max_features(&Value::Str("log2".into()), 30), 4);
        assert_eq!(resolve_max_features(&Value::Float(0.5), 30), 15);
        assert_eq!(resolve_max_features(&Value::Int(100), 30), 30);
        assert_eq!(resolve_max_features(&Value::Null, 30), 30);
    }

    #[test]
    fn class_weight_takes_null_balanced_or_a_map_of_positive_weights() {
        const CW: ParamSpec = ParamSpec {
            name: "class_weight",
            kind: Kind::ClassWeight,
            default: "null",
            help: "",
        };
        let map: serde_json::Value = serde_json::json!({"dead": 10, "alive": 0.5});
        let written = Value::from_json(&map).unwrap();
        assert_eq!(written, Value::Str("alive:0.5,dead:10".into()));
        assert_eq!(CW.check(&written), Ok(written.clone()));
        assert_eq!(
            class_weight_map("alive:0.5,dead:10"),
            Some(vec![("alive", 0.5), ("dead", 10.0)])
        );
        for ok in [Value::Null, Value::Str("balanced".into())] {
            assert_eq!(CW.check(&ok), Ok(ok.clone()));
        }
        for bad in ["dead:0", "dead:-1", "dead", "dead:x", "a:1,a:2", "balance"] {
            assert!(CW.check(&Value::Str(bad.into())).is_err(), "{bad}");
        }
        assert!(CW.check(&Value::Int(3)).is_err());
    }

    #[test]
    fn auto_bool_takes_auto_true_or_false() {
        const AB: ParamSpec = ParamSpec {
            name: "early_stopping",
            kind: Kind::AutoBool,
            default: "auto",
            help: "",
        };
        for ok in [
            Value::Str("auto".into()),
            Value::Bool(true),
            Value::Bool(false),
        ] {
            assert_eq!(AB.check(&ok), Ok(ok.clone()));
        }
        assert!(AB.check(&Value::Str("yes".into())).is_err());
        assert!(AB.check(&Value::Int(1)).is_err());
    }
}
