//! Baseline for bench/compare.sh: the reference sweep's decision tree, random forest and RBF SVM
//! grids trained with linfa's own implementations (linfa-trees, linfa-ensemble, linfa-svm as they
//! are), on the same folds as `sweep`, two threads over (configuration x fold) tasks.
//! Prints one JSON line per family: seconds and best mean accuracy.
//!
//! cargo run --release --example linfa_baseline -- configs/breast_cancer.yaml

use linfa::prelude::*;
use linfa_ensemble::EnsembleLearnerParams;
use linfa_svm::Svm;
use linfa_trees::{DecisionTree, SplitQuality};
use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use std::time::Instant;
use sweep::data::Targets;
use sweep::preprocess::{FittedScaler, Scaler};
use sweep::spec::{ExecutionOverrides, Plan, PlanRequest, SweepText};

struct Fold {
    train: (Array2<f64>, Array1<usize>),
    test: (Array2<f64>, Array1<usize>),
}

type Trainer = dyn Fn(&Fold) -> Array1<usize> + Sync;

fn accuracy(truth: &Array1<usize>, predicted: &Array1<usize>) -> f64 {
    truth.iter().zip(predicted).filter(|(a, b)| a == b).count() as f64 / truth.len() as f64
}

/// Trains every configuration on every fold, two threads; returns (seconds, best mean accuracy).
fn family(folds: &[Fold], configs: &[Box<Trainer>]) -> (f64, f64) {
    let started = Instant::now();
    let tasks: Vec<(usize, usize)> = (0..configs.len())
        .flat_map(|c| (0..folds.len()).map(move |f| (c, f)))
        .collect();
    let scores: Vec<(usize, f64)> = tasks
        .par_iter()
        .map(|&(c, f)| (c, accuracy(&folds[f].test.1, &configs[c](&folds[f]))))
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    let best = (0..configs.len())
        .map(|c| scores.iter().filter(|s| s.0 == c).map(|s| s.1).sum::<f64>() / folds.len() as f64)
        .fold(0.0, f64::max);
    (seconds, best)
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "configs/breast_cancer.yaml".to_string());
    let plan = Plan::build(PlanRequest {
        sweep: SweepText::read(std::path::Path::new(&path))?,
        overrides: ExecutionOverrides::default(),
        shard: None,
    })?;
    let dataset = plan.data().dataset();
    let Targets::Classes { y, .. } = &dataset.target else {
        anyhow::bail!("needs a classification sweep")
    };
    let Some(plain) = &dataset.plain else {
        anyhow::bail!("needs an all-numeric table without missing cells")
    };
    let folds: Vec<Fold> = plan
        .data()
        .folds()
        .iter()
        .map(|f| Fold {
            train: (plain.select(Axis(0), &f.train), y.select(Axis(0), &f.train)),
            test: (plain.select(Axis(0), &f.test), y.select(Axis(0), &f.test)),
        })
        .collect();
    rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build_global()?;

    let depths = [Some(2), Some(4), Some(6), Some(8), Some(10), None];
    let mut trees: Vec<Box<Trainer>> = Vec::new();
    for depth in depths {
        for quality in [SplitQuality::Gini, SplitQuality::Entropy] {
            for leaf in [1.0f32, 5.0] {
                trees.push(Box::new(move |f: &Fold| {
                    let model = DecisionTree::params()
                        .max_depth(depth)
                        .split_quality(quality)
                        .min_weight_leaf(leaf)
                        .fit(&DatasetBase::new(f.train.0.clone(), f.train.1.clone()))
                        .expect("tree fits");
                    model.predict(&f.test.0)
                }));
            }
        }
    }
    let mut forests: Vec<Box<Trainer>> = Vec::new();
    for n in [50usize, 100] {
        for depth in [Some(4), Some(8), None] {
            forests.push(Box::new(move |f: &Fold| {
                let params = EnsembleLearnerParams::new_fixed_rng(
                    DecisionTree::params().max_depth(depth),
                    Xoshiro256PlusPlus::seed_from_u64(0),
                )
                .ensemble_size(n)
                .bootstrap_proportion(1.0)
                .feature_proportion(0.2);
                let model = params
                    .fit(&DatasetBase::new(f.train.0.clone(), f.train.1.clone()))
                    .expect("forest fits");
                model.predict(&f.test.0)
            }));
        }
    }
    let mut svms: Vec<Box<Trainer>> = Vec::new();
    for c in [0.1, 1.0, 10.0, 100.0] {
        for gamma in [0.001, 0.01, 0.1, 1.0] {
            svms.push(Box::new(move |f: &Fold| {
                let scaler = FittedScaler::fit(Scaler::StandardScaler, f.train.0.view());
                let (train, test) = (
                    scaler.transform(f.train.0.view()),
                    scaler.transform(f.test.0.view()),
                );
                let targets = f.train.1.mapv(|l| l == 1);
                let model = Svm::<f64, bool>::params()
                    .pos_neg_weights(c, c)
                    .gaussian_kernel(1.0 / gamma)
                    .fit(&DatasetBase::new(train, targets))
                    .expect("svm fits");
                model.predict(&test).mapv(usize::from)
            }));
        }
    }
    for (name, configs) in [
        ("decision_tree", &trees),
        ("random_forest", &forests),
        ("svm", &svms),
    ] {
        let (seconds, best) = family(&folds, configs);
        println!(
            "{{\"family\": \"{name}\", \"seconds\": {seconds:.4}, \"best_accuracy\": {best:.4}}}"
        );
    }
    Ok(())
}
