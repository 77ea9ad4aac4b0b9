//! `sweep`: run machine-learning hyperparameter sweeps in parallel, crash-proof and reproducible.
//!
//! The pipeline, lowest layer first (a module imports only from layers below it; `tests/layers.rs`
//! checks this):
//! error, seed, value, files -> data, interrupt -> preprocess, metrics -> models -> spec (the checked plan) -> expand ->
//! evaluate -> search (proposals) -> execute (threads | processes) -> results -> report -> session -> commands -> cli.

pub mod cli;
pub mod commands;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod execute;
pub mod expand;
pub mod files;
pub mod interrupt;
pub mod metrics;
pub mod models;
pub mod preprocess;
pub mod report;
pub mod results;
pub mod search;
pub mod seed;
pub mod session;
pub mod spec;
pub mod value;
