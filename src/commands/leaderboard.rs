//! `sweep leaderboard DIR`: rank a results folder's trials.csv again, by the metric its manifest records.

use crate::error::Failure;
use crate::report::{say, top_table};
use crate::results::leaderboard::write_leaderboard;
use crate::results::manifest::Manifest;
use crate::results::LEADERBOARD;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct LeaderboardArgs {
    /// A results folder (what `sweep run --out` wrote).
    pub dir: PathBuf,
}

pub fn leaderboard(args: LeaderboardArgs) -> Result<(), Failure> {
    let manifest = Manifest::read(&args.dir)?;
    let board = write_leaderboard(&args.dir, manifest.metric, &manifest.models)?;
    say(&top_table(&board.top, manifest.metric, 5));
    say(&format!(
        "{} trials ranked into {}\n",
        board.rows,
        args.dir.join(LEADERBOARD).display()
    ));
    Ok(())
}
