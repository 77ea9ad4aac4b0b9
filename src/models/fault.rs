//! `fault`: a diagnostic model that misbehaves on purpose, to test how sweeps survive broken trials.
//! It predicts the first class (or 0.0) when it returns at all.

use crate::data::target::TargetShape;
use crate::data::{OwnedTargets, Targets, TargetsView, Task};
use crate::models::{
    decode, encode, DefaultPreprocessing, FamilyInfo, FoldCache, ModelFamily, Params, Predictor,
    Scores, Seeds,
};
use crate::value::{Kind, ParamSpec};
use ndarray::{Array1, ArrayView2};
use serde::{Deserialize, Serialize};
use std::time::Duration;

pub struct FaultFamily;

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "kind",
        kind: Kind::Choice(&["ok", "error", "panic", "sleep", "abort", "segfault", "oom", "hang", "exit"]),
        default: "ok",
        help: "what the fit does: return, fail, panic, sleep `seconds`, abort, segfault, allocate without \
               bound, hang forever, or exit the process",
    },
    ParamSpec {
        name: "seconds",
        kind: Kind::Float { min: 0.0, max: 86_400.0, min_exclusive: false },
        default: "1.0",
        help: "sleep duration for kind: sleep",
    },
    ParamSpec {
        name: "mebibytes",
        kind: Kind::Int { min: 1, max: 1 << 30, nullable: false },
        default: "65536",
        help: "memory kind: oom tries to allocate and touch, in MiB",
    },
];

#[derive(Serialize, Deserialize)]
struct Constant(Task);

impl Predictor for Constant {
    fn predict(&self, x: ArrayView2<f64>) -> OwnedTargets {
        match self.0 {
            Task::Classification => Targets::Classes {
                y: Array1::zeros(x.nrows()),
                n_classes: 1,
            },
            Task::Regression => Targets::Values(Array1::zeros(x.nrows())),
        }
    }

    fn save(&self) -> Result<Vec<u8>, String> {
        encode(self)
    }

    fn check(&self, _width: usize, target: TargetShape) -> Result<(), String> {
        if target.task() == self.0 {
            Ok(())
        } else {
            Err(format!("a {} model for a {} target", self.0, target.task()))
        }
    }
}

const INFO: FamilyInfo = FamilyInfo {
    name: "fault",
    summary: "diagnostic: fails, panics, crashes, hangs or exhausts memory on purpose",
    tasks: &[Task::Classification, Task::Regression],
    params: PARAMS,
    preprocessing: DefaultPreprocessing {
        scaled: false,
        one_hot: false,
        keep_missing: false,
    },
    scores: Scores::Labels,
    iterates: false,
    varied_fastest: &[],
};

impl ModelFamily for FaultFamily {
    fn info(&self) -> &'static FamilyInfo {
        &INFO
    }

    fn fit(
        &self,
        p: &Params,
        _x: ArrayView2<f64>,
        y: TargetsView,
        _seeds: Seeds,
        _cache: &FoldCache,
    ) -> Result<Box<dyn Predictor>, String> {
        let task = y.task();
        match p.str("kind")?.as_str() {
            "error" => return Err("fault: error requested".to_string()),
            "panic" => panic!("fault: panic requested"),
            "sleep" => std::thread::sleep(Duration::from_secs_f64(p.f64("seconds")?)),
            "abort" => std::process::abort(),
            // SAFETY: raising a signal has no memory-safety preconditions; this deliberately kills the process.
            "segfault" => unsafe {
                libc::raise(libc::SIGSEGV);
            },
            "oom" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                for _ in 0..p.usize("mebibytes")? {
                    hoard.push(vec![1u8; 1 << 20]);
                }
                std::hint::black_box(&hoard);
            }
            "hang" => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
            "exit" => std::process::exit(3),
            _ => {}
        }
        Ok(Box::new(Constant(task)))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Predictor>, String> {
        decode::<Constant>(bytes)
    }
}
