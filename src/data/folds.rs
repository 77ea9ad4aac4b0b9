//! Cross-validation splits: k folds or one holdout, stratified by class when asked, computed once per
//! sweep from the master seed (the plan has checked that they are possible), and where a held-out
//! test set comes from.

use super::{OwnedTargets, Targets};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// How trials are scored: k folds or one holdout split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CvPlan {
    KFold {
        folds: usize,
        stratified: bool,
        shuffle: bool,
    },
    Holdout {
        test_fraction: f64,
        stratified: bool,
        shuffle: bool,
    },
}

/// Where the held-out test set comes from, as recorded in the manifest and each model card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestSource {
    /// `cv.test_fraction` of the data file's rows.
    Split { fraction: f64 },
    /// `data.test`: its own file.
    File {
        path: std::path::PathBuf,
        sha256: String,
    },
}

/// One train/test split, as row indices into the dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Fold {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// The splits of a sweep: computed once from the master seed, the same for every trial.
pub fn make_folds(target: &OwnedTargets, plan: &CvPlan, seed: u64) -> Vec<Fold> {
    let n = target.len();
    let (stratified, shuffle) = match plan {
        CvPlan::KFold {
            stratified,
            shuffle,
            ..
        }
        | CvPlan::Holdout {
            stratified,
            shuffle,
            ..
        } => (*stratified, *shuffle),
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // Groups whose rows are dealt out together: one per class when stratified.
    let mut groups: Vec<Vec<usize>> = match (target, stratified) {
        (Targets::Classes { y, n_classes }, true) => {
            let mut g = vec![Vec::new(); *n_classes];
            for (i, &c) in y.iter().enumerate() {
                g[c].push(i);
            }
            g
        }
        _ => vec![(0..n).collect()],
    };
    if shuffle {
        for g in &mut groups {
            g.shuffle(&mut rng);
        }
    }
    match *plan {
        CvPlan::KFold { folds, .. } => {
            let mut assignment = vec![0usize; n];
            // Deal each group's rows round-robin, continuing where the previous group stopped,
            // so fold sizes differ by at most one.
            let mut next = 0;
            for g in &groups {
                for &row in g {
                    assignment[row] = next % folds;
                    next += 1;
                }
            }
            (0..folds)
                .map(|k| Fold {
                    train: (0..n).filter(|&r| assignment[r] != k).collect(),
                    test: (0..n).filter(|&r| assignment[r] == k).collect(),
                })
                .collect()
        }
        CvPlan::Holdout { test_fraction, .. } => {
            let mut test = Vec::new();
            let mut train = Vec::new();
            for g in &groups {
                let k = ((g.len() as f64) * test_fraction).round() as usize;
                test.extend_from_slice(&g[..k]);
                train.extend_from_slice(&g[k..]);
            }
            test.sort_unstable();
            train.sort_unstable();
            vec![Fold { train, test }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    fn classes(y: Vec<usize>) -> OwnedTargets {
        Targets::Classes {
            y: Array1::from(y),
            n_classes: 2,
        }
    }

    #[test]
    fn kfold_partitions_rows_and_stratifies() {
        let y: Vec<usize> = (0..100).map(|i| usize::from(i % 4 == 0)).collect();
        let plan = CvPlan::KFold {
            folds: 5,
            stratified: true,
            shuffle: true,
        };
        let folds = make_folds(&classes(y.clone()), &plan, 7);
        let mut seen = vec![0; 100];
        for f in &folds {
            assert_eq!(f.train.len() + f.test.len(), 100);
            for &r in &f.test {
                seen[r] += 1;
            }
            let positives = f.test.iter().filter(|&&r| y[r] == 1).count();
            assert_eq!(positives, 5, "each fold gets a fifth of the 25 positives");
        }
        assert!(
            seen.iter().all(|&s| s == 1),
            "every row is tested exactly once"
        );
    }

    #[test]
    fn folds_depend_on_the_seed_only() {
        let y = classes((0..50).map(|i| i % 2).collect());
        let plan = CvPlan::KFold {
            folds: 5,
            stratified: true,
            shuffle: true,
        };
        assert_eq!(make_folds(&y, &plan, 1), make_folds(&y, &plan, 1));
        assert_ne!(make_folds(&y, &plan, 1), make_folds(&y, &plan, 2));
    }

    #[test]
    fn holdout_keeps_the_fraction_per_class() {
        let y = classes((0..100).map(|i| usize::from(i < 20)).collect());
        let plan = CvPlan::Holdout {
            test_fraction: 0.25,
            stratified: true,
            shuffle: true,
        };
        let folds = make_folds(&y, &plan, 3);
        assert_eq!(folds[0].test.len(), 25);
        assert_eq!(folds[0].test.iter().filter(|&&r| r < 20).count(), 5);
    }
}
