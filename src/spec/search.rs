//! The search strategy, checked: grid, random, TPE or successive halving, with fold pruning.

use super::build::{At, InFile};
use super::sweep_file::{RawSearch, Strategy};
use super::ModelEntry;
use crate::error::InputError;
use crate::value::{Kind, ParamSpec};

/// How random search spends its trials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// `search.trials`: the total for the sweep, spread over the model entries.
    Total(usize),
    /// `search.trials_per_model`: the same number for each model entry.
    PerModel(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    Grid,
    Random(Budget),
    Tpe(Tpe),
    Halving(Halving),
}

/// Where a strategy's candidates come from when they can be listed: every grid point, or samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Grid,
    Random(Budget),
}

impl Search {
    /// How candidates are listed: the strategy's own listing, TPE's random startup sampling over
    /// its budget, halving's first rung.
    pub fn listing(&self) -> Listing {
        match *self {
            Search::Grid => Listing::Grid,
            Search::Random(budget) => Listing::Random(budget),
            Search::Tpe(tpe) => Listing::Random(Budget::Total(tpe.trials)),
            Search::Halving(h) => match h.candidates {
                None => Listing::Grid,
                Some(n) => Listing::Random(Budget::Total(n)),
            },
        }
    }

    /// Whether a trial's configuration depends on the results of earlier trials.
    pub fn is_adaptive(&self) -> bool {
        matches!(self, Search::Tpe(_) | Search::Halving(_))
    }

    pub fn name(&self) -> &'static str {
        self.strategy().name()
    }

    pub fn strategy(&self) -> Strategy {
        match self {
            Search::Grid => Strategy::Grid,
            Search::Random(_) => Strategy::Random,
            Search::Tpe(_) => Strategy::Tpe,
            Search::Halving(_) => Strategy::Halving,
        }
    }
}

/// Tree-structured Parzen estimator settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tpe {
    pub trials: usize,
    /// Trials sampled at random before the estimator is used (Optuna's `n_startup_trials`).
    pub startup_trials: usize,
}

/// What successive halving gives more of at each rung.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Training rows of each fold (scikit-learn's `n_samples`).
    Rows,
    /// An integer parameter every model of the sweep has (`n_estimators`, `max_iterations`).
    Param(&'static str),
}

impl Resource {
    pub fn name(&self) -> &'static str {
        match self {
            Resource::Rows => "rows",
            Resource::Param(name) => name,
        }
    }
}

/// Successive halving with scikit-learn's semantics (`HalvingGridSearchCV`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Halving {
    pub factor: u64,
    pub resource: Resource,
    /// The first rung's resource before `exhaust` raises it.
    pub min_resource: u64,
    /// `min_resource: exhaust` (the default): start as high as lets the last rung use `max_resource`.
    pub exhaust: bool,
    pub max_resource: u64,
    /// Random candidates; `None` for the grid.
    pub candidates: Option<usize>,
}

/// One rung of successive halving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rung {
    pub candidates: usize,
    pub resource: u64,
}

impl Halving {
    /// The rungs for `n` candidates, computed as scikit-learn's `BaseSuccessiveHalving._run_search`
    /// does (including its floating-point `log`, so the numbers match it exactly).
    pub fn schedule(&self, n: usize) -> Vec<Rung> {
        if n == 0 {
            return Vec::new();
        }
        let factor = self.factor as f64;
        let log = |x: u64| (x as f64).ln() / factor.ln();
        let required = 1 + log(n as u64).floor() as u32;
        let mut min = self.min_resource;
        if self.exhaust {
            min = min.max(self.max_resource / self.factor.pow(required - 1));
        }
        let possible = 1 + log(self.max_resource / min).floor() as u32;
        let mut rungs = Vec::new();
        let mut candidates = n;
        for i in 0..required.min(possible) {
            let resource = ((factor.powi(i as i32) * min as f64) as u64).min(self.max_resource);
            rungs.push(Rung {
                candidates,
                resource,
            });
            candidates = candidates.div_ceil(self.factor as usize);
        }
        rungs
    }
}

/// Fold pruning: stop a trial's folds once its running mean is worse than the median of earlier
/// trials at the same fold count by more than `margin` (in the primary metric's units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prune {
    pub margin: f64,
    /// Trials a fold count needs in its reference set before any trial is pruned there.
    pub startup_trials: usize,
}

/// Pruning never acts before this many folds.
pub const PRUNE_MIN_FOLDS: usize = 2;

/// What the data gives halving: training rows, folds and classes (for the `smallest` resource).
pub struct DataShape {
    pub rows: usize,
    pub folds: usize,
    pub classes: Option<usize>,
}

pub fn check_search(
    raw: &RawSearch,
    models: &[ModelEntry],
    shape: &DataShape,
    at: &At,
    in_file: &InFile,
) -> Result<Search, InputError> {
    let s = raw;
    let positive = |n: &serde_saphyr::Spanned<usize>, key: &str| {
        if n.value == 0 {
            Err(at(
                &n.referenced,
                format!("search.{key} must be at least 1"),
            ))
        } else {
            Ok(n.value)
        }
    };
    // Keys that belong to another strategy are refused rather than ignored.
    let foreign: [(&str, Option<&serde_saphyr::Location>, &[Strategy]); 8] = [
        (
            "trials",
            s.trials.as_ref().map(|v| &v.referenced),
            &[Strategy::Random, Strategy::Tpe],
        ),
        (
            "trials_per_model",
            s.trials_per_model.as_ref().map(|v| &v.referenced),
            &[Strategy::Random],
        ),
        (
            "startup_trials",
            s.startup_trials.as_ref().map(|v| &v.referenced),
            &[Strategy::Tpe],
        ),
        (
            "factor",
            s.factor.as_ref().map(|v| &v.referenced),
            &[Strategy::Halving],
        ),
        (
            "resource",
            s.resource.as_ref().map(|v| &v.referenced),
            &[Strategy::Halving],
        ),
        (
            "min_resource",
            s.min_resource.as_ref().map(|v| &v.referenced),
            &[Strategy::Halving],
        ),
        (
            "candidates",
            s.candidates.as_ref().map(|v| &v.referenced),
            &[Strategy::Halving],
        ),
        (
            "max_resource",
            s.max_resource.as_ref().map(|v| &v.referenced),
            &[Strategy::Halving],
        ),
    ];
    for (key, place, strategies) in foreign {
        if let Some(place) = place {
            if !strategies.contains(&s.strategy) {
                let names: Vec<&str> = strategies.iter().map(|s| s.name()).collect();
                return Err(at(
                    place,
                    format!(
                        "search.{key} applies to `strategy: {}`, not `{}`",
                        names.join("` or `"),
                        s.strategy.name()
                    ),
                ));
            }
        }
    }
    match s.strategy {
        Strategy::Grid => Ok(Search::Grid),
        Strategy::Random => match (&s.trials, &s.trials_per_model) {
            (Some(_), Some(n)) => Err(at(
                &n.referenced,
                "give either search.trials (the total for the sweep) or search.trials_per_model, not both"
                    .to_string(),
            )),
            (Some(n), None) => Ok(Search::Random(Budget::Total(positive(n, "trials")?))),
            (None, Some(n)) => Ok(Search::Random(Budget::PerModel(positive(
                n,
                "trials_per_model",
            )?))),
            (None, None) => Err(in_file(
                "search.strategy is random but gives no trial count; add `trials: 50` (the total for the sweep) \
                 or `trials_per_model: 20`"
                    .to_string(),
            )),
        },
        Strategy::Tpe => {
            let trials = match &s.trials {
                Some(n) => positive(n, "trials")?,
                None => {
                    return Err(in_file(
                        "search.strategy is tpe but gives no trial count; add `trials: 100` (the total for the sweep)"
                            .to_string(),
                    ))
                }
            };
            Ok(Search::Tpe(Tpe {
                trials,
                startup_trials: s.startup_trials.as_ref().map_or(10, |n| n.value),
            }))
        }
        Strategy::Halving => check_halving(s, models, shape, at).map(Search::Halving),
    }
}

fn check_halving(
    s: &RawSearch,
    models: &[ModelEntry],
    shape: &DataShape,
    at: &At,
) -> Result<Halving, InputError> {
    let factor = match &s.factor {
        None => 3,
        Some(f) if f.value >= 2 => f.value,
        Some(f) => {
            return Err(at(
                &f.referenced,
                format!("search.factor must be at least 2, got {}", f.value),
            ))
        }
    };
    // The largest value the resource parameter may take in every model, with its model.
    let mut resource_bound = None;
    let resource = match &s.resource {
        None => Resource::Rows,
        Some(r) if r.value == "rows" => Resource::Rows,
        Some(r) => {
            let (name, largest) = check_resource_param(&r.value, models, &r.referenced, at)?;
            resource_bound = Some((name, largest));
            Resource::Param(name)
        }
    };
    let smallest = match (resource, shape.classes) {
        // scikit-learn: 2 rows per fold (per class for a classifier).
        (Resource::Rows, classes) => (2 * shape.folds * classes.unwrap_or(1)) as u64,
        (Resource::Param(_), _) => 1,
    };
    let (min_resource, exhaust) = match &s.min_resource {
        None => (smallest, true),
        Some(m) => match &m.value {
            serde_json::Value::String(w) if w == "exhaust" => (smallest, true),
            serde_json::Value::String(w) if w == "smallest" => (smallest, false),
            v => match v.as_u64() {
                Some(n) if n >= 1 => (n, false),
                _ => {
                    return Err(at(
                        &m.referenced,
                        format!("search.min_resource must be a positive integer, `exhaust` or `smallest`, got `{v}`"),
                    ))
                }
            },
        },
    };
    let max_resource = match (&s.max_resource, resource) {
        (Some(m), _) if m.value >= 1 => m.value,
        (Some(m), _) => {
            return Err(at(
                &m.referenced,
                "search.max_resource must be at least 1".to_string(),
            ))
        }
        (None, Resource::Rows) => shape.rows as u64,
        (None, Resource::Param(name)) => {
            let place = s.resource.as_ref().map(|r| &r.referenced);
            let message = format!(
                "search.resource `{name}` needs search.max_resource (the {name} of the last rung, e.g. `max_resource: 300`)"
            );
            return Err(match place {
                Some(p) => at(p, message),
                None => InputError::new(message),
            });
        }
    };
    if let (Some((name, (model, largest))), Some(m)) = (&resource_bound, &s.max_resource) {
        if max_resource > *largest {
            return Err(at(
                &m.referenced,
                format!(
                    "search.max_resource = {max_resource}, but `{name}` of model `{model}` is at most {largest}; \
                     give a max_resource of at most {largest}"
                ),
            ));
        }
    }
    if resource == Resource::Rows && max_resource > shape.rows as u64 {
        let m = s
            .max_resource
            .as_ref()
            .expect("given, as it differs from the default");
        return Err(at(
            &m.referenced,
            format!(
                "search.max_resource = {max_resource} rows, but the search has {} training rows",
                shape.rows
            ),
        ));
    }
    if min_resource > max_resource {
        let message = format!(
            "search.min_resource = {min_resource} is more than search.max_resource = {max_resource}{}",
            if resource == Resource::Rows {
                " (the smallest rows resource is 2 rows per fold and class, as in scikit-learn)"
            } else {
                ""
            }
        );
        return Err(match (&s.min_resource, &s.max_resource) {
            (Some(m), _) => at(&m.referenced, message),
            (None, Some(m)) => at(&m.referenced, message),
            (None, None) => InputError::new(message),
        });
    }
    let candidates = match &s.candidates {
        Some(n) if n.value == 0 => {
            return Err(at(
                &n.referenced,
                "search.candidates must be at least 1".to_string(),
            ))
        }
        c => c.as_ref().map(|n| n.value),
    };
    Ok(Halving {
        factor,
        resource,
        min_resource,
        exhaust,
        max_resource,
        candidates,
    })
}

/// An integer parameter every model entry has and none searches over.
fn check_resource_param(
    name: &str,
    models: &[ModelEntry],
    place: &serde_saphyr::Location,
    at: &At,
) -> Result<(&'static str, (String, u64)), InputError> {
    let mut found: Option<(&'static str, (String, u64))> = None;
    for entry in models {
        let spec = entry.family.params().iter().find(|p| p.name == name);
        match spec {
            Some(ParamSpec {
                name,
                kind: Kind::Int { max, .. },
                ..
            }) => {
                let largest = u64::try_from(*max).unwrap_or(0);
                if found.as_ref().is_none_or(|(_, (_, l))| largest < *l) {
                    found = Some((name, (entry.name().to_string(), largest)));
                }
            }
            _ => {
                return Err(at(
                    place,
                    format!(
                        "search.resource `{name}` is not an integer parameter of model `{}`; use `rows`, or a count \
                         every model has (`n_estimators` for random_forest, `max_iterations` for elastic_net)",
                        entry.name()
                    ),
                ))
            }
        }
        if entry.params.iter().any(|(p, _)| p == name) {
            return Err(at(
                place,
                format!(
                    "search.resource `{name}` is also searched over in model `{}`; halving sets it per rung, \
                     so remove it from that model's params",
                    entry.name()
                ),
            ));
        }
    }
    found.ok_or_else(|| at(place, "no models to take the resource".to_string()))
}

/// `search.prune`: `median`, or `{strategy: median, margin: 0.01, startup_trials: 5}`.
pub fn check_prune(
    raw: Option<&serde_saphyr::Spanned<serde_json::Value>>,
    at: &At,
) -> Result<Option<Prune>, InputError> {
    let Some(raw) = raw else { return Ok(None) };
    let help =
        "search.prune must be `median` or `{strategy: median, margin: 0.01, startup_trials: 5}`";
    let bad = |detail: String| at(&raw.referenced, format!("{help}; {detail}"));
    let mut prune = Prune {
        margin: 0.0,
        startup_trials: 5,
    };
    match &raw.value {
        serde_json::Value::String(s) if s == "median" => {}
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match key.as_str() {
                    "strategy" if value.as_str() == Some("median") => {}
                    "margin" => match value.as_f64() {
                        Some(m) if m >= 0.0 && m.is_finite() => prune.margin = m,
                        _ => {
                            return Err(bad(format!("margin must be a number >= 0, got `{value}`")))
                        }
                    },
                    "startup_trials" => match value.as_u64() {
                        Some(n) => prune.startup_trials = n as usize,
                        None => {
                            return Err(bad(format!(
                                "startup_trials must be a whole number, got `{value}`"
                            )))
                        }
                    },
                    _ => return Err(bad(format!("`{key}: {value}` is not understood"))),
                }
            }
        }
        other => return Err(bad(format!("got `{other}`"))),
    }
    Ok(Some(prune))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn halving(factor: u64, min: u64, exhaust: bool, max: u64) -> Halving {
        Halving {
            factor,
            resource: Resource::Rows,
            min_resource: min,
            exhaust,
            max_resource: max,
            candidates: None,
        }
    }

    fn rungs(h: Halving, n: usize) -> Vec<(usize, u64)> {
        h.schedule(n)
            .iter()
            .map(|r| (r.candidates, r.resource))
            .collect()
    }

    /// The rungs scikit-learn 1.x prints (`verbose=1`: n_iterations, n_resources, n_candidates) for
    /// the same inputs; see bench/halving_schedule.py.
    #[test]
    fn rungs_match_scikit_learn() {
        // HalvingGridSearchCV, 5-fold, 2 classes, 455 rows, 24 candidates, factor 3, exhaust.
        assert_eq!(
            rungs(halving(3, 20, true, 455), 24),
            vec![(24, 50), (8, 150), (3, 450)]
        );
        // Same with min_resources='smallest'.
        assert_eq!(
            rungs(halving(3, 20, false, 455), 24),
            vec![(24, 20), (8, 60), (3, 180)]
        );
        // 243 candidates: log(243, 3) is 4.999... in floating point, so 5 rungs, not 6.
        assert_eq!(
            rungs(halving(3, 1, true, 1000), 243),
            vec![(243, 12), (81, 36), (27, 108), (9, 324), (3, 972)]
        );
        // The reference grid's 57 candidates on the 455 rows left by a 20% test split.
        assert_eq!(
            rungs(halving(3, 20, true, 455), 57),
            vec![(57, 20), (19, 60), (7, 180)]
        );
        // Few resources: rungs stop when the resource would pass max_resource.
        assert_eq!(
            rungs(halving(2, 10, false, 50), 40),
            vec![(40, 10), (20, 20), (10, 40)]
        );
        // One candidate: one rung, at the largest resource under exhaust.
        assert_eq!(rungs(halving(3, 20, true, 455), 1), vec![(1, 455)]);
    }
}
