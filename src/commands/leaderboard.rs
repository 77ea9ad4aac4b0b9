//! `sweep leaderboard DIR...`: rank the trials of one or more results folders together, by any metric
//! their trials.csv has, from trials.csv alone (so unfinished runs count). With one folder that has a
//! manifest, its leaderboard.csv is rebuilt too.

use crate::error::{Failure, InputError};
use crate::metrics::Metric;
use crate::report::say;
use crate::results::columns;
use crate::results::leaderboard::{rank_runs, write_leaderboard, RunTrial};
use crate::results::manifest::Manifest;
use crate::results::LEADERBOARD;
use std::path::PathBuf;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(clap::Args)]
pub struct LeaderboardArgs {
    /// Results folders (what `sweep run --out` wrote), ranked together.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Show the best K trials [default: 10 in a table, all as csv or json].
    #[arg(long)]
    pub top: Option<usize>,
    /// Rank by this metric (any whose mean_test_<metric> column trials.csv has) [default: the first
    /// run's metric].
    #[arg(long)]
    pub by: Option<String>,
    /// Only trials of this model family.
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

pub fn leaderboard(args: LeaderboardArgs) -> Result<(), Failure> {
    let manifest = Manifest::read(&args.dirs[0]);
    let metric = match (&args.by, &manifest) {
        (Some(name), _) => Metric::from_name(name).ok_or_else(|| {
            InputError::new(format!(
                "--by {name}: unknown metric; valid: {}",
                Metric::names().collect::<Vec<_>>().join(", ")
            ))
        })?,
        (None, Ok(m)) => m.metric,
        (None, Err(e)) => {
            return Err(InputError::new(format!("{e}; or name the metric with --by")).into())
        }
    };
    if let ([dir], Ok(manifest)) = (args.dirs.as_slice(), &manifest) {
        write_leaderboard(
            dir,
            manifest.metric,
            &manifest.models,
            manifest.baseline.as_ref(),
        )?;
        eprintln!("rebuilt {}", dir.join(LEADERBOARD).display());
    }
    let mut ranked = rank_runs(&args.dirs, metric, args.model.as_deref())?;
    let top = args.top.unwrap_or(match args.format {
        Format::Table => 10,
        Format::Csv | Format::Json => usize::MAX,
    });
    let total = ranked.len();
    ranked.truncate(top);
    say(&match args.format {
        Format::Table => table(&ranked, metric, args.dirs.len() > 1, total),
        Format::Csv => csv_text(&ranked, metric)?,
        Format::Json => serde_json::to_string_pretty(&ranked).map_err(anyhow::Error::from)? + "\n",
    });
    Ok(())
}

fn table(trials: &[RunTrial], metric: Metric, runs: bool, total: usize) -> String {
    let mut out = format!(
        "{:>4}  {:>17}  {:>9}  {}trial\n",
        "rank",
        metric.name(),
        "fit (ms)",
        if runs { "run  " } else { "" }
    );
    for t in trials {
        out.push_str(&format!(
            "{:>4}  {:>8.4} ± {:<6.4}  {:>9.2}  {}{}\n",
            t.rank,
            t.score,
            t.std,
            t.mean_fit_time * 1000.0,
            if runs {
                format!("{}  ", t.run)
            } else {
                String::new()
            },
            t.key
        ));
    }
    out.push_str(&format!(
        "{} of {total} ok trials shown, ranked by {}\n",
        trials.len(),
        metric.name()
    ));
    out
}

fn csv_text(trials: &[RunTrial], metric: Metric) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        columns::rank_test(metric),
        columns::RUN.into(),
        columns::KEY.into(),
        columns::MODEL.into(),
        columns::mean_test(metric),
        columns::std_test(metric),
        columns::MEAN_FIT_TIME.into(),
        columns::PARAMS.into(),
    ])?;
    for t in trials {
        writer.write_record([
            t.rank.to_string(),
            t.run.clone(),
            t.key.clone(),
            t.model.clone(),
            t.score.to_string(),
            t.std.to_string(),
            t.mean_fit_time.to_string(),
            t.params.to_string(),
        ])?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}
