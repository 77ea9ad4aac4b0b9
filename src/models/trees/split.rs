//! What a split is judged by and where its threshold falls, shared by the exact and binned scans.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Criterion {
    Gini,
    Entropy,
    SquaredError,
}

impl Criterion {
    pub fn parse(name: &str) -> Result<Criterion, String> {
        match name {
            "gini" => Ok(Criterion::Gini),
            "entropy" => Ok(Criterion::Entropy),
            "squared_error" => Ok(Criterion::SquaredError),
            other => Err(format!("unknown criterion `{other}`")),
        }
    }
}

/// midpoint rounds up to the higher (adjacent floats), so `<= threshold` still separates them.
pub fn threshold_between(value: f64, next: f64) -> f64 {
    let mid = value + (next - value) / 2.0;
    if mid >= next {
        value
    } else {
        mid
    }
}
