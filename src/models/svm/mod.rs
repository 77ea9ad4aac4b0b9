//! Support vector machines: a classifier (one-vs-rest for more than two classes) and epsilon-support
//! vector regression, both solved by SMO ([`smo`]). Each fold's kernel (per kernel setting) is one
//! [`SharedKernel`] used by every C value, epsilon and class, its rows computed on demand into the
//! process-wide, memory-bounded [`kernel_cache`].

pub mod kernel_cache;
mod scan;
pub mod smo;
mod vector;

use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, Targets, TargetsView, Task};
use crate::metrics::ClassScores;
use crate::models::{
    argmax, check_target, check_width, class_weight_spec, decode, encode, DefaultPreprocessing,
    FamilyInfo, FoldCache, ModelFamily, Params, Predictor, Scores, Seeds,
};
use crate::value::{Kind, ParamSpec};
use kernel_cache::SharedKernel;
use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use smo::{BinarySvm, Kernel, Solved};
use std::sync::Arc;

pub struct SvmFamily;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "c",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: true,
        },
        default: "1.0",
        help: "penalty on margin violations",
    },
    ParamSpec {
        name: "kernel",
        kind: Kind::Choice(&["rbf", "linear", "polynomial"]),
        default: "rbf",
        help: "rbf: exp(-gamma |x-y|^2); polynomial: (gamma <x,y> + coef0)^degree",
    },
    ParamSpec {
        name: "gamma",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: true,
        },
        default: "0.1",
        help: "kernel coefficient (rbf, polynomial)",
    },
    ParamSpec {
        name: "degree",
        kind: Kind::Int {
            min: 1,
            max: 10,
            nullable: false,
        },
        default: "3",
        help: "polynomial degree",
    },
    ParamSpec {
        name: "coef0",
        kind: Kind::Float {
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
            min_exclusive: false,
        },
        default: "0.0",
        help: "polynomial constant term",
    },
    ParamSpec {
        name: "epsilon",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: false,
        },
        default: "0.1",
        help:
            "regression: predictions within epsilon of the target cost nothing (scikit-learn's SVR)",
    },
    ParamSpec {
        name: "tol",
        kind: Kind::Float {
            min: 0.0,
            max: f64::INFINITY,
            min_exclusive: true,
        },
        default: "0.001",
        help: "stopping tolerance on the KKT gap (scikit-learn's / libsvm's tol)",
    },
    class_weight_spec(),
];

#[derive(Serialize, Deserialize)]
struct Fitted {
    kernel: Kernel,
    /// The training rows that are a support vector of some machine: the only ones prediction needs.
    support_rows: Array2<f64>,
    /// One machine for two classes (class 1 positive) or for regression, else one per class; their
    /// support indices point into `support_rows`.
    machines: Vec<BinarySvm>,
    /// 0 for a regressor, whose one machine's decision value is the prediction.
    n_classes: usize,
}

impl Fitted {
    fn new(
        kernel: Kernel,
        x: ArrayView2<f64>,
        mut machines: Vec<BinarySvm>,
        n_classes: usize,
    ) -> Fitted {
        let mut used: Vec<usize> = machines
            .iter()
            .flat_map(|m| m.support.iter().copied())
            .collect();
        used.sort_unstable();
        used.dedup();
        for m in &mut machines {
            for s in &mut m.support {
                *s = used.binary_search(s).unwrap_or(0);
            }
        }
        Fitted {
            kernel,
            support_rows: x.select(ndarray::Axis(0), &used),
            machines,
            n_classes,
        }
    }
}

/// Kernel values computed at once while scoring (8 MiB): test rows are scored in blocks of about
/// this many values over all support vectors, so scoring many rows holds no rows x support matrix.
const KERNEL_VALUES_PER_BLOCK: usize = 1 << 20;

impl Fitted {
    /// Each machine's decision values for `x`.
    fn decisions(&self, x: ArrayView2<f64>) -> Vec<Array1<f64>> {
        let mut out = vec![Array1::zeros(x.nrows()); self.machines.len()];
        let rows = (KERNEL_VALUES_PER_BLOCK / self.support_rows.nrows().max(1)).max(16);
        for (block, start) in x.axis_chunks_iter(Axis(0), rows).zip((0..).step_by(rows)) {
            let k = self.kernel.matrix(block, self.support_rows.view());
            for (machine, values) in self.machines.iter().zip(&mut out) {
                values
                    .slice_mut(s![start..start + block.nrows()])
                    .assign(&machine.decision(k.view()));
            }
        }
        out
    }

    /// One column per class: class 1's margin and its opposite for two classes, else each
    /// class's machine.
    fn class_scores(&self, decisions: &[Array1<f64>], rows: usize) -> Array2<f64> {
        let mut out = Array2::zeros((rows, self.n_classes));
        match decisions {
            [single] => {
                out.column_mut(1).assign(single);
                out.column_mut(0).assign(&-single);
            }
            many => {
                for (class, d) in many.iter().enumerate() {
                    out.column_mut(class).assign(d);
                }
            }
        }
        out
    }

    fn targets(&self, decisions: Vec<Array1<f64>>, rows: usize) -> OwnedTargets {
        if self.n_classes == REGRESSOR {
            return Targets::Values(decisions.into_iter().next().unwrap_or_default());
        }
        let labels = (0..rows)
            .map(|r| match decisions.as_slice() {
                [single] => usize::from(single[r] > 0.0),
                many => argmax(many.iter().map(|d| d[r])),
            })
            .collect();
        Targets::Classes {
            y: labels,
            n_classes: self.n_classes,
        }
    }
}

impl Predictor for Fitted {
    fn decision_values(&self, x: ArrayView2<f64>) -> Option<Array2<f64>> {
        if self.n_classes == REGRESSOR {
            return None;
        }
        Some(self.class_scores(&self.decisions(x), x.nrows()))
    }

    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        self.targets(self.decisions(x), x.nrows())
    }

    fn predict_with_scores(&self, x: ArrayView2<f64>) -> (OwnedTargets, Option<ClassScores>) {
        let decisions = self.decisions(x);
        let scores = (self.n_classes != REGRESSOR).then(|| ClassScores {
            values: self.class_scores(&decisions, x.nrows()),
            probabilities: false,
        });
        (self.targets(decisions, x.nrows()), scores)
    }

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }

    fn check(&self, width: usize, target: TargetShape) -> Result<(), String> {
        let (shape, machines) = match self.n_classes {
            REGRESSOR => (Targets::Values(()), 1),
            n => (TargetShape::classes(n), positive_classes(n).len()),
        };
        check_target(shape, target)?;
        check_width("the support vectors' row", self.support_rows.ncols(), width)?;
        if self.n_classes == 1 || self.machines.len() != machines {
            return Err(format!(
                "{} machines for {} classes",
                self.machines.len(),
                self.n_classes
            ));
        }
        let rows = self.support_rows.nrows();
        for m in &self.machines {
            if m.support.len() != m.coef.len() || m.support.iter().any(|&s| s >= rows) {
                return Err(format!(
                    "a machine's support vectors do not match the {rows} saved rows"
                ));
            }
        }
        Ok(())
    }
}

/// `n_classes` of a regressor.
const REGRESSOR: usize = 0;

/// The positive class of each machine: class 1 for two classes, else one machine per class.
fn positive_classes(n_classes: usize) -> Vec<usize> {
    if n_classes <= 2 {
        vec![1]
    } else {
        (0..n_classes).collect()
    }
}

/// A trial's settings, read once from its parameters.
struct Settings {
    kernel: Kernel,
    c: f64,
    tol: f64,
}

impl Settings {
    fn read(p: &Params) -> Result<Settings, String> {
        let gamma = p.f64("gamma")?;
        let kernel = match p.str("kernel")?.as_str() {
            "rbf" => Kernel::Rbf { gamma },
            "linear" => Kernel::Linear,
            _ => Kernel::Polynomial {
                gamma,
                coef0: p.f64("coef0")?,
                degree: p.usize("degree")? as i32,
            },
        };
        Ok(Settings {
            kernel,
            c: p.f64("c")?,
            tol: p.f64("tol")?,
        })
    }
}

/// Solutions of one machine's problem on a fold at the C values a model entry lists, each solved
/// once (shared by the trials) and started from the solution at the next listed C below it: an
/// SVM's solution moves little between neighbouring C values, so the solver has little left to do.
/// Which solution starts which follows from the listed values alone, so results do not depend on
/// the order trials run in. A C that is not listed (drawn from a distribution) is solved from zero.
struct Chain<'a> {
    cache: &'a FoldCache,
    listed: Option<&'a [f64]>,
    /// Everything but C and the machine that defines the problem.
    problem: String,
}

type Solve<'s> = dyn Fn(f64, Option<(&[f64], f64)>) -> Result<Solved, String> + 's;

impl Chain<'_> {
    /// Whether `c` is the largest listed C: no later trial of the chain reads the kernel.
    fn ends_at(&self, c: f64) -> bool {
        self.listed
            .is_some_and(|l| l.iter().all(|&v| v <= c) && l.contains(&c))
    }

    fn solution(&self, c: f64, machine: &str, solve: &Solve) -> Result<Arc<Solved>, String> {
        let Some(listed) = self.listed.filter(|l| l.contains(&c)) else {
            return solve(c, None).map(Arc::new);
        };
        // The solution below is fetched before this one is claimed, so a solve never waits.
        let below = listed
            .iter()
            .copied()
            .filter(|&v| v < c)
            .max_by(f64::total_cmp);
        let start = match below {
            Some(b) => self.solution(b, machine, solve).ok().map(|s| (s, c / b)),
            None => None,
        };
        let key = format!("{} {machine} c={c}", self.problem);
        let solved = self.cache.get_or_compute(&key, || {
            let start = start
                .as_ref()
                .map(|(s, ratio)| (s.alpha.as_slice(), *ratio));
            solve(c, start).map(Arc::new)
        });
        (*solved).clone()
    }
}

const INFO: FamilyInfo = FamilyInfo {
    name: "svm",
    summary: "support vector machine: C-SVC (one-vs-rest for >2 classes) or epsilon-SVR, SMO on shared cached kernel rows (own implementation)",
    tasks: &[Task::Classification, Task::Regression],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: true,
        one_hot: true,
        keep_missing: false,
    },
    scores: Scores::DecisionValues,
    iterates: false,
    varied_fastest: &["c"],
};

impl ModelFamily for SvmFamily {
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
        let Settings { kernel, c, tol } = Settings::read(p)?;
        let rows = cache.get_or_compute(&format!("svm-kernel {kernel:?}"), || {
            SharedKernel::new(kernel, x)
        });
        let mut solving = rows.solving();
        let row_weights = p.row_weights(y)?;
        let chain = Chain {
            cache,
            listed: p.listed("c"),
            problem: format!(
                "svm-solution {kernel:?} tol={tol} class_weight={} epsilon={}",
                p.get("class_weight"),
                p.get("epsilon")
            ),
        };
        if chain.ends_at(c) {
            solving.retire();
        }
        let (labels, n_classes) = match y {
            Targets::Values(z) => {
                let epsilon = p.f64("epsilon")?;
                let solved = chain.solution(c, "", &|c, start| {
                    smo::solve_regression(&*rows, z, c, epsilon, tol, start)
                })?;
                let machine = solved.machine.clone();
                return Ok(Box::new(Fitted::new(kernel, x, vec![machine], REGRESSOR)));
            }
            Targets::Classes {
                y: labels,
                n_classes,
            } => (labels, n_classes),
        };
        let machines = positive_classes(n_classes)
            .into_iter()
            .map(|class| {
                let positive = labels.mapv(|l| l == class);
                let solved = chain.solution(c, &format!("class={class}"), &|c, start| {
                    smo::solve(
                        &*rows,
                        positive.view(),
                        c,
                        row_weights.as_deref(),
                        tol,
                        start,
                    )
                })?;
                Ok(solved.machine.clone())
            })
            .collect::<Result<_, String>>()?;
        Ok(Box::new(Fitted::new(kernel, x, machines, n_classes)))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Fitted>(bytes)
    }
}
