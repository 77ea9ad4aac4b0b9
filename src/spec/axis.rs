//! Parameter axes: where a parameter's values come from (a list, or a distribution for random search),
//! parsed from the sweep file and checked against the model's declared parameters.

use crate::value::{Kind, ParamSpec, Value};

/// Where a parameter's values come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Axis {
    /// A fixed value or a list: a grid axis, or a uniform choice in random search.
    Values(Vec<Value>),
    Uniform(f64, f64),
    LogUniform(f64, f64),
    IntUniform(i64, i64),
}

impl Axis {
    /// How many distinct values the axis has; `None` for a continuous distribution.
    pub fn size(&self) -> Option<u64> {
        match self {
            Axis::Values(values) => Some(values.len() as u64),
            Axis::IntUniform(lo, hi) => Some(hi.abs_diff(*lo).saturating_add(1)),
            Axis::Uniform(..) | Axis::LogUniform(..) => None,
        }
    }

    /// The value at `index` of a discrete axis, in order.
    pub fn value_at(&self, index: u64) -> Value {
        match self {
            Axis::Values(values) => values[index as usize].clone(),
            Axis::IntUniform(lo, _) => Value::Int(lo.saturating_add_unsigned(index)),
            Axis::Uniform(..) | Axis::LogUniform(..) => {
                unreachable!("the plan refuses continuous axes where values are enumerated")
            }
        }
    }
}

/// A parameter as written: scalar, list, or a one-key distribution map.
pub fn parse_axis(value: &serde_json::Value) -> Result<Axis, String> {
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
                        if lo < hi && lo.is_finite() && hi.is_finite() {
                            Ok((lo, hi))
                        } else {
                            Err(format!(
                                "`{kind}` needs finite [low, high] with low < high, got [{lo}, {hi}]"
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
                    let integral = |x: f64| x.fract() == 0.0 && x.abs() < 9.0e15;
                    if !integral(lo) || !integral(hi) {
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

/// Checks an axis against the parameter it sets; `grid` refuses continuous distributions.
/// Values come back in the parameter's canonical type (e.g. `1` for a float parameter -> `1.0`).
pub fn check_axis(model: &str, spec: &ParamSpec, axis: Axis, grid: bool) -> Result<Axis, String> {
    let param = spec.name;
    let continuous = match axis {
        Axis::Values(values) => {
            return Ok(Axis::Values(
                values
                    .iter()
                    .map(|v| spec.check(v).map_err(|e| format!("{model}: {e}")))
                    .collect::<Result<_, _>>()?,
            ))
        }
        continuous => continuous,
    };
    if grid && !matches!(continuous, Axis::IntUniform(..)) {
        return Err(format!(
            "{model}.{param}: a continuous distribution cannot be enumerated by grid search; \
             list the values (e.g. `{param}: [0.1, 1, 10]`), set `search: {{strategy: random, trials: N}}` \
             (or `tpe`), or give halving `search.candidates: N` to sample them"
        ));
    }
    let (lo, hi) = match continuous {
        Axis::Uniform(lo, hi) | Axis::LogUniform(lo, hi) => (lo, hi),
        Axis::IntUniform(lo, hi) => (lo as f64, hi as f64),
        Axis::Values(_) => unreachable!("returned above"),
    };
    let integer_param = matches!(spec.kind, Kind::Int { .. });
    if integer_param != matches!(continuous, Axis::IntUniform(..))
        && !matches!(spec.kind, Kind::MaxFeatures)
    {
        return Err(format!(
            "{model}.{param}: expected {}; use {} for it",
            spec.describe(),
            if integer_param {
                "int_uniform"
            } else {
                "uniform or log_uniform"
            }
        ));
    }
    if !spec.accepts_range(lo, hi) {
        return Err(format!(
            "{model}.{param}: range [{lo}, {hi}] is outside the valid values: {}",
            spec.describe()
        ));
    }
    Ok(continuous)
}

/// A real drawn from a continuous axis as trials carry it: six significant digits, so keys and model
/// folder names stay readable (`c=0.0123457`, not 16 digits), kept within the axis' range.
pub fn drawn(x: f64, lo: f64, hi: f64) -> Value {
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    Value::Float(rounded.clamp(lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_integer_ranges_are_sized_without_enumerating() {
        let axis = parse_axis(&serde_json::json!({"int_uniform": [1, 1e12]})).unwrap();
        assert_eq!(axis.size(), Some(1_000_000_000_000));
        assert_eq!(axis.value_at(41), Value::Int(42));
    }
}
