//! The solver against scikit-learn's `LogisticRegression(lbfgs)` solved to tol 1e-12 on the same
//! formula-made matrices (bench/logistic_reference.py prints the expected numbers).

use super::*;
use crate::value::Value;
use ndarray::{s, Array1};

/// bench/logistic_reference.py's `matrix`: numbers from sines and cosines of the row and column,
/// labels from a fixed linear score plus a wobble, optional one-hot columns of a 9-level category.
fn matrix(
    n: usize,
    p: usize,
    classes: usize,
    one_hot: usize,
    separable: bool,
) -> (Array2<f64>, Array1<usize>) {
    let category = |i: usize| (i * 7 + i / 13) % one_hot.max(1);
    let x = Array2::from_shape_fn((n, p + one_hot), |(i, j)| {
        let (fi, fj) = (i as f64, j as f64);
        if j < p {
            (0.37 * fi * (fj + 1.0) + 1.3 * fj).sin() * (1.0 + 0.5 * fj) + (0.11 * fi + fj).cos()
        } else {
            f64::from(u8::from(category(i) == j - p))
        }
    });
    let y = (0..n)
        .map(|i| {
            let row = x.row(i);
            if separable {
                return usize::from(row[0] + row[1] > 0.0);
            }
            let score = |k: usize| {
                let linear: f64 = (0..p)
                    .map(|j| row[j] * (k as f64 * j as f64 + 0.5).cos())
                    .sum();
                let bonus = if one_hot > 0 && category(i) % classes == k {
                    1.2
                } else {
                    0.0
                };
                linear + 1.5 * (7.1 * i as f64 + k as f64).sin() + bonus
            };
            super::super::argmax((0..classes).map(score))
        })
        .collect();
    (x, y)
}

include!("expected.rs");

fn fit(x: &Array2<f64>, y: &Array1<usize>, alpha: f64, class_weight: &str) -> Fitted {
    let n_classes = y.iter().max().unwrap() + 1;
    let mut given = vec![
        ("alpha".to_string(), Value::Float(alpha)),
        ("tol".to_string(), Value::Float(1e-10)),
        ("max_iterations".to_string(), Value::Int(100_000)),
    ];
    if !class_weight.is_empty() {
        given.push((
            "class_weight".to_string(),
            Value::Str(class_weight.to_string()),
        ));
    }
    let params = Params {
        given: &given,
        specs: PARAMS,
        largest: &[],
        listed: &[],
        class_names: &[],
        category_columns: &[],
    };
    let fitted = LogisticRegressionFamily
        .fit(
            &params,
            x.view(),
            Targets::Classes {
                y: y.view(),
                n_classes,
            },
            Seeds {
                trial: 0,
                shared: 0,
            },
            &FoldCache::default(),
        )
        .unwrap();
    let bytes = fitted.save().unwrap();
    let mut decoded: Fitted = postcard::from_bytes(&bytes).unwrap();
    decoded.warning = fitted.warning();
    decoded
}

/// Every coefficient and intercept within 1e-4 of scikit-learn's, relative to the largest.
fn assert_matches(found: &Fitted, coef: &[f64], intercept: &[f64]) {
    let scale = coef
        .iter()
        .chain(intercept)
        .fold(0.0f64, |m, v| m.max(v.abs()));
    let found_all: Vec<f64> = found.coef.iter().chain(&found.intercept).copied().collect();
    let expected: Vec<f64> = coef.iter().chain(intercept).copied().collect();
    assert_eq!(found_all.len(), expected.len());
    for (i, (a, b)) in found_all.iter().zip(&expected).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * scale,
            "entry {i}: {a} against scikit-learn's {b}"
        );
    }
    assert_eq!(found.warning, None);
}

#[test]
fn binary_matches_scikit_learn() {
    let (x, y) = matrix(200, 5, 2, 0, false);
    assert_matches(&fit(&x, &y, 1.0, ""), BINARY_COEF, BINARY_INTERCEPT);
}

#[test]
fn three_classes_match_scikit_learn() {
    let (x, y) = matrix(300, 4, 3, 0, false);
    assert_matches(
        &fit(&x, &y, 2.0, ""),
        THREE_CLASSES_COEF,
        THREE_CLASSES_INTERCEPT,
    );
}

#[test]
fn nine_classes_with_one_hot_columns_match_scikit_learn() {
    let (x, y) = matrix(900, 6, 9, 9, false);
    let fitted = fit(&x, &y, 0.1, "");
    assert_matches(
        &fitted,
        NINE_CLASSES_ONE_HOT_COEF,
        NINE_CLASSES_ONE_HOT_INTERCEPT,
    );
}

#[test]
fn separable_data_with_a_small_penalty_matches_scikit_learn() {
    let (x, y) = matrix(120, 3, 2, 0, true);
    let fitted = fit(&x, &y, 1e-4, "");
    assert_matches(
        &fitted,
        SEPARABLE_SMALL_PENALTY_COEF,
        SEPARABLE_SMALL_PENALTY_INTERCEPT,
    );
}

#[test]
fn balanced_class_weights_match_scikit_learn() {
    let (x, y) = matrix(200, 5, 2, 0, false);
    let fitted = fit(&x, &y, 1.0, "balanced");
    assert_matches(&fitted, BINARY_BALANCED_COEF, BINARY_BALANCED_INTERCEPT);
}

#[test]
fn the_iteration_limit_is_noted_and_the_model_still_predicts() {
    let (x, y) = matrix(900, 6, 9, 9, false);
    let given = [("max_iterations".to_string(), Value::Int(3))];
    let params = Params {
        given: &given,
        specs: PARAMS,
        largest: &[],
        listed: &[],
        class_names: &[],
        category_columns: &[],
    };
    let target = Targets::Classes {
        y: y.view(),
        n_classes: 9,
    };
    let seeds = Seeds {
        trial: 0,
        shared: 0,
    };
    let fitted = LogisticRegressionFamily
        .fit(&params, x.view(), target, seeds, &FoldCache::default())
        .unwrap();
    let warning = fitted.warning().expect("a warning at the limit");
    assert!(warning.contains("max_iterations = 3"), "{warning}");
    assert_eq!(fitted.predict(x.view()).len(), 900);
}

#[test]
fn probabilities_and_predictions_agree_and_a_one_class_fold_predicts_it() {
    let (x, y) = matrix(300, 4, 3, 0, false);
    let fitted = fit(&x, &y, 1.0, "");
    let proba = fitted.probabilities(x.view()).unwrap();
    let Targets::Classes { y: predicted, .. } = fitted.predict(x.view()) else {
        unreachable!()
    };
    for (row, &class) in proba.outer_iter().zip(&predicted) {
        assert!((row.sum() - 1.0).abs() < 1e-12);
        assert_eq!(super::super::argmax(row.iter().copied()), class);
    }
    let only = Array1::from_elem(10, 2usize);
    let one = fit(&x.slice(s![..10, ..]).to_owned(), &only, 1.0, "");
    assert_eq!(one.classes, vec![2]);
    assert!(one.check(4, TargetShape::classes(3)).is_ok());
    assert_eq!(
        one.predict(x.view()),
        Targets::Classes {
            y: Array1::from_elem(300, 2),
            n_classes: 3
        }
    );
}
