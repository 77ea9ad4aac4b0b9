//! k-nearest neighbours for both tasks (scikit-learn's `KNeighborsClassifier` and
//! `KNeighborsRegressor`, exact search). A fitted model keeps its training rows; prediction finds
//! each row's nearest training rows (Minkowski distance, p = 1 or 2; ties by training row order)
//! and votes, or averages, over the first `n_neighbors`, evenly or by inverse distance.
//!
//! Trials of one model entry on one fold share the neighbour lists: the first prediction on a set
//! of rows finds, for each row, the nearest training rows up to the largest `n_neighbors` the entry
//! asks for, and every other trial with the same `p` reads its first k from those lists.

use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, Targets, TargetsView, Task};
use crate::models::{
    argmax, check_target, check_width, encode, shared_work, ComputeOnce, DefaultPreprocessing,
    FamilyInfo, FoldCache, ModelFamily, Params, Predictor, Scores, Seeds,
};
use crate::value::{Kind, ParamSpec};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

pub struct KnnFamily;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "n_neighbors",
        kind: Kind::Int {
            min: 1,
            max: 100_000,
            nullable: false,
        },
        default: "5",
        help: "how many nearest training rows vote (classification) or are averaged (regression)",
    },
    ParamSpec {
        name: "weights",
        kind: Kind::Choice(&["uniform", "distance"]),
        default: "uniform",
        help:
            "uniform: every neighbour counts alike; distance: by 1 / distance (rows at distance 0, \
               when there are any, alone)",
    },
    ParamSpec {
        name: "p",
        kind: Kind::Int {
            min: 1,
            max: 2,
            nullable: false,
        },
        default: "2",
        help: "the distance: 1 Manhattan (sum of |differences|), 2 Euclidean",
    },
];

/// Training targets as kept: class indices, or values.
type Stored = Targets<Vec<usize>, Vec<f64>>;

/// What a model is trained on, shared by every trial of an entry on one fold.
#[derive(Serialize, Deserialize)]
struct Training {
    x: Array2<f64>,
    y: Stored,
}

/// Each query row's nearest training rows, nearest first: (distance, training row).
type Lists = Vec<Vec<(f64, u32)>>;

/// Lists computed once, by whichever trial asks first.
type ListsCell = Arc<ComputeOnce<Arc<Lists>>>;

/// Neighbour lists of the last set of rows asked about, found up to `depth` neighbours.
struct SharedNeighbours {
    training: Arc<Training>,
    p: u8,
    depth: usize,
    /// The fingerprint of the rows the lists are for, and the lists (computed once).
    last: Mutex<Option<(u64, ListsCell)>>,
}

impl SharedNeighbours {
    fn lists(&self, x: ArrayView2<f64>) -> Arc<Lists> {
        let print = fingerprint(x);
        let cell = {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            match &*last {
                Some((p, cell)) if *p == print => Arc::clone(cell),
                _ => {
                    let cell = Arc::new(ComputeOnce::default());
                    *last = Some((print, Arc::clone(&cell)));
                    cell
                }
            }
        };
        shared_work(|| {
            Arc::clone(cell.get_or_compute(|| {
                Arc::new(nearest(self.training.x.view(), x, self.p, self.depth))
            }))
        })
    }
}

/// A hash of a matrix's shape and every value's bits: the same rows give the same print.
fn fingerprint(x: ArrayView2<f64>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    x.shape().hash(&mut h);
    for v in x.iter() {
        v.to_bits().hash(&mut h);
    }
    h.finish()
}

/// For each row of `queries`, its `depth` nearest rows of `train` (all of them when fewer), by
/// distance and then row order. On one thread: it runs inside a shared value's computation, and a
/// pool thread waiting for its own helpers could pick up a trial that waits for this very value.
fn nearest(train: ArrayView2<f64>, queries: ArrayView2<f64>, p: u8, depth: usize) -> Lists {
    let n = train.nrows();
    let depth = depth.min(n);
    let by_distance = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    let mut distances = vec![(0.0, 0u32); n];
    queries
        .outer_iter()
        .map(|query| {
            for (slot, (t, row)) in distances.iter_mut().zip(train.outer_iter().enumerate()) {
                *slot = (distance(query, row, p), t as u32);
            }
            if depth < n {
                distances.select_nth_unstable_by(depth, by_distance);
            }
            let mut list = distances[..depth].to_vec();
            list.sort_unstable_by(by_distance);
            list
        })
        .collect()
}

/// Minkowski distance of order `p` (1 or 2).
fn distance(a: ArrayView1<f64>, b: ArrayView1<f64>, p: u8) -> f64 {
    let pairs = a.iter().zip(b.iter());
    if p == 1 {
        pairs.map(|(x, y)| (x - y).abs()).sum()
    } else {
        pairs.map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
    }
}

/// The weight of each of a row's neighbours: 1 each, or 1 / distance; with `by_distance`, rows at
/// distance 0 (when any) weigh 1 and the others nothing, as scikit-learn does.
fn weights(neighbours: &[(f64, u32)], by_distance: bool) -> Vec<f64> {
    if !by_distance {
        return vec![1.0; neighbours.len()];
    }
    if neighbours.iter().any(|&(d, _)| d == 0.0) {
        return neighbours
            .iter()
            .map(|&(d, _)| if d == 0.0 { 1.0 } else { 0.0 })
            .collect();
    }
    neighbours.iter().map(|&(d, _)| 1.0 / d).collect()
}

struct Fitted {
    training: Arc<Training>,
    k: usize,
    by_distance: bool,
    p: u8,
    /// Neighbour lists shared with the entry's other trials on this fold (not saved).
    shared: Option<Arc<SharedNeighbours>>,
}

/// A saved model: its training rows and settings.
#[derive(Serialize, Deserialize)]
struct Saved {
    training: Training,
    k: usize,
    by_distance: bool,
    p: u8,
}

#[derive(Serialize)]
struct SavedRef<'a> {
    training: &'a Training,
    k: usize,
    by_distance: bool,
    p: u8,
}

impl Fitted {
    /// Each row's `k` nearest training rows with their weights.
    fn neighbours(&self, x: ArrayView2<f64>) -> Vec<(Vec<u32>, Vec<f64>)> {
        let lists = match &self.shared {
            Some(shared) if shared.depth >= self.k => shared.lists(x),
            _ => Arc::new(nearest(self.training.x.view(), x, self.p, self.k)),
        };
        lists
            .iter()
            .map(|list| {
                let first = &list[..self.k.min(list.len())];
                (
                    first.iter().map(|&(_, t)| t).collect(),
                    weights(first, self.by_distance),
                )
            })
            .collect()
    }

    /// Per-row class shares of the neighbours' weight.
    fn class_shares(&self, x: ArrayView2<f64>, y: &[usize], n_classes: usize) -> Array2<f64> {
        let mut out = Array2::zeros((x.nrows(), n_classes));
        for (mut row, (rows, w)) in out.outer_iter_mut().zip(self.neighbours(x)) {
            for (&t, &w) in rows.iter().zip(&w) {
                row[y[t as usize]] += w;
            }
            let total = row.sum();
            if total > 0.0 {
                row /= total;
            }
        }
        out
    }
}

impl Predictor for Fitted {
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        self.predict_with_probabilities(x).0
    }

    fn probabilities(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        self.predict_with_probabilities(x).1
    }

    fn predict_with_probabilities(
        &self,
        x: ArrayView2<f64>,
    ) -> (OwnedTargets, Option<Array2<f64>>) {
        match &self.training.y {
            Targets::Classes { y, n_classes } => {
                let shares = self.class_shares(x, y, *n_classes);
                let labels = shares
                    .outer_iter()
                    .map(|row| argmax(row.iter().copied()))
                    .collect();
                let targets = Targets::Classes {
                    y: labels,
                    n_classes: *n_classes,
                };
                (targets, Some(shares))
            }
            Targets::Values(y) => {
                let values: Array1<f64> = self
                    .neighbours(x)
                    .into_iter()
                    .map(|(rows, w)| {
                        let total: f64 = w.iter().sum();
                        let sum: f64 = rows.iter().zip(&w).map(|(&t, w)| w * y[t as usize]).sum();
                        sum / total
                    })
                    .collect();
                (Targets::Values(values), None)
            }
        }
    }

    fn kept_rows(&self) -> Option<(usize, u64)> {
        let x = &self.training.x;
        Some((x.nrows(), (x.len() * std::mem::size_of::<f64>()) as u64))
    }

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(&SavedRef {
            training: &self.training,
            k: self.k,
            by_distance: self.by_distance,
            p: self.p,
        })
    }

    fn check(&self, width: usize, target: TargetShape) -> Result<(), String> {
        let t = &self.training;
        check_width("the training rows'", t.x.ncols(), width)?;
        let (rows, shape) = match &t.y {
            Targets::Classes { y, n_classes } => {
                if y.iter().any(|&c| c >= *n_classes) {
                    return Err(format!("a training row's class is not one of {n_classes}"));
                }
                (y.len(), TargetShape::classes(*n_classes))
            }
            Targets::Values(v) => (v.len(), Targets::Values(())),
        };
        check_target(shape, target)?;
        if rows != t.x.nrows() || rows == 0 || self.k == 0 || !matches!(self.p, 1 | 2) {
            return Err(format!(
                "{rows} targets for {} training rows, n_neighbors {}, p {}",
                t.x.nrows(),
                self.k,
                self.p
            ));
        }
        Ok(())
    }
}

const INFO: FamilyInfo = FamilyInfo {
    name: "knn",
    summary: "k-nearest neighbours, classification and regression; exact search, neighbour lists \
              shared by every n_neighbors and weights of an entry (own implementation)",
    tasks: &[Task::Classification, Task::Regression],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: true,
        one_hot: true,
        keep_missing: false,
    },
    scores: Scores::Probabilities,
    iterates: false,
    varied_fastest: &[],
};

impl ModelFamily for KnnFamily {
    fn info(&self) -> &'static FamilyInfo {
        &INFO
    }

    fn fit(
        &self,
        p: &Params,
        x: ArrayView2<f64>,
        y: TargetsView,
        _seeds: Seeds,
        cache: &FoldCache,
    ) -> Result<Box<dyn Predictor>, String> {
        let k = p.usize("n_neighbors")?;
        if k > x.nrows() {
            return Err(format!(
                "n_neighbors = {k} is more than the {} training rows",
                x.nrows()
            ));
        }
        let order = p.usize("p")? as u8;
        let depth = p.largest_opt_usize("n_neighbors")?.unwrap_or(k).max(k);
        let shared = cache.get_or_compute(&format!("knn p={order}"), || SharedNeighbours {
            training: Arc::new(Training {
                x: x.to_owned(),
                y: match y {
                    Targets::Classes { y, n_classes } => Targets::Classes {
                        y: y.to_vec(),
                        n_classes,
                    },
                    Targets::Values(v) => Targets::Values(v.to_vec()),
                },
            }),
            p: order,
            depth,
            last: Mutex::new(None),
        });
        Ok(Box::new(Fitted {
            training: Arc::clone(&shared.training),
            k,
            by_distance: p.str("weights")? == "distance",
            p: order,
            shared: Some(shared),
        }))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        let saved: Saved = postcard::from_bytes(bytes)
            .map_err(|e| format!("cannot decode the fitted model: {e}"))?;
        Ok(Box::new(Fitted {
            training: Arc::new(saved.training),
            k: saved.k,
            by_distance: saved.by_distance,
            p: saved.p,
            shared: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn fit(
        k: i64,
        weights: &str,
        p: i64,
        x: ArrayView2<f64>,
        y: TargetsView,
    ) -> Box<dyn Predictor> {
        let given = vec![
            ("n_neighbors".to_string(), crate::value::Value::Int(k)),
            (
                "weights".to_string(),
                crate::value::Value::Str(weights.into()),
            ),
            ("p".to_string(), crate::value::Value::Int(p)),
        ];
        let params = Params {
            given: &given,
            specs: PARAMS,
            largest: &[],
            listed: &[],
            class_names: &[],
            category_columns: &[],
        };
        let seeds = Seeds {
            trial: 0,
            shared: 0,
        };
        KnnFamily
            .fit(&params, x, y, seeds, &FoldCache::default())
            .unwrap()
    }

    /// The numbers scikit-learn 1.9.1 gives: KNeighborsClassifier / KNeighborsRegressor with
    /// n_neighbors=3 (and the weights and p of each case) fitted on this table, on these queries.
    #[test]
    fn predictions_and_probabilities_match_scikit_learn() {
        let x = array![
            [0.0, 0.0],
            [1.0, 0.0],
            [0.0, 2.0],
            [3.0, 3.0],
            [4.0, 1.0],
            [5.0, 5.0]
        ];
        let classes = Array1::from(vec![0usize, 0, 1, 1, 2, 2]);
        let values = Array1::from(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let queries = array![[0.5, 0.5], [3.0, 2.0], [1.0, 0.0], [4.5, 3.0]];
        let y = Targets::Classes {
            y: classes.view(),
            n_classes: 3,
        };
        let close = |got: ArrayView1<f64>, want: &[f64]| {
            assert!(
                got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-8),
                "{got} != {want:?}"
            )
        };
        let (labels, proba) =
            fit(3, "uniform", 2, x.view(), y).predict_with_probabilities(queries.view());
        let Targets::Classes { y: labels, .. } = labels else {
            panic!()
        };
        assert_eq!(labels.to_vec(), [0, 0, 0, 2], "ties go to the first class");
        let proba = proba.unwrap();
        close(proba.row(0), &[0.66666667, 0.33333333, 0.0]);
        close(proba.row(1), &[0.33333333, 0.33333333, 0.33333333]);
        let (labels, proba) =
            fit(3, "distance", 1, x.view(), y).predict_with_probabilities(queries.view());
        let Targets::Classes { y: labels, .. } = labels else {
            panic!()
        };
        assert_eq!(labels.to_vec(), [0, 1, 0, 2]);
        let proba = proba.unwrap();
        close(proba.row(0), &[0.8, 0.2, 0.0]);
        close(proba.row(1), &[0.0, 0.72727273, 0.27272727]);
        // At distance 0 from a training row, that row alone decides.
        close(proba.row(2), &[1.0, 0.0, 0.0]);
        close(proba.row(3), &[0.0, 0.45454545, 0.54545455]);
        for (weights, want) in [
            ("distance", [1.774116, 4.0, 2.0, 4.88905523]),
            ("uniform", [2.0, 3.66666667, 2.0, 5.0]),
        ] {
            let model = fit(3, weights, 2, x.view(), Targets::Values(values.view()));
            let Targets::Values(v) = model.predict(queries.view()) else {
                panic!()
            };
            close(v.view(), &want);
        }
    }

    #[test]
    fn trials_of_an_entry_read_one_set_of_lists_and_saved_models_predict_alike() {
        let x = Array2::from_shape_fn((40, 3), |(r, c)| ((r * 7 + c * 5) % 13) as f64);
        let y = Array1::from_shape_fn(40, |r| r % 3);
        let targets = Targets::Classes {
            y: y.view(),
            n_classes: 3,
        };
        let queries = Array2::from_shape_fn((9, 3), |(r, c)| ((r * 3 + c) % 11) as f64 + 0.5);
        let cache = FoldCache::default();
        let largest = vec![("n_neighbors".to_string(), Some(10))];
        let mut predictions = Vec::new();
        for k in [1, 4, 10] {
            let given = vec![("n_neighbors".to_string(), crate::value::Value::Int(k))];
            let params = Params {
                given: &given,
                specs: PARAMS,
                largest: &largest,
                listed: &[],
                class_names: &[],
                category_columns: &[],
            };
            let seeds = Seeds {
                trial: 0,
                shared: 0,
            };
            let model = KnnFamily
                .fit(&params, x.view(), targets, seeds, &cache)
                .unwrap();
            let alone = fit(k, "uniform", 2, x.view(), targets);
            assert_eq!(
                model.probabilities(queries.view()),
                alone.probabilities(queries.view()),
                "k = {k}: the first k of the shared lists are the k nearest"
            );
            let loaded = KnnFamily.load(&model.save().unwrap()).unwrap();
            loaded.check(3, TargetShape::classes(3)).unwrap();
            assert_eq!(
                loaded.probabilities(queries.view()),
                model.probabilities(queries.view())
            );
            predictions.push(model.probabilities(queries.view()));
        }
        assert_ne!(predictions[0], predictions[2]);
        let too_many = KnnFamily.fit(
            &Params {
                given: &[("n_neighbors".to_string(), crate::value::Value::Int(41))],
                specs: PARAMS,
                largest: &[],
                listed: &[],
                class_names: &[],
                category_columns: &[],
            },
            x.view(),
            targets,
            Seeds {
                trial: 0,
                shared: 0,
            },
            &FoldCache::default(),
        );
        assert!(too_many
            .err()
            .unwrap()
            .contains("more than the 40 training rows"));
    }
}
