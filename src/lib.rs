//! `sweep`: run machine-learning hyperparameter sweeps in parallel, crash-proof and reproducible.
//!
//! The pipeline, one module per stage:
//! config -> expand -> data -> models -> evaluate -> execute (threads | processes) -> results -> report.

pub mod bench;
pub mod cli;
pub mod config;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod execute;
pub mod expand;
pub mod metrics;
pub mod models;
pub mod preprocess;
pub mod report;
pub mod results;
pub mod resume;
pub mod run;
pub mod value;
