//! One module per command. Commands are siblings: none imports another; what they share lives in the
//! layers below (spec, session, results, report).

pub mod bench;
pub mod expand;
pub mod inspect;
pub mod leaderboard;
pub mod merge;
pub mod models;
pub mod predict;
pub mod report;
pub mod rerun;
pub mod resume;
pub mod run;
pub mod slurm;
pub mod status;
