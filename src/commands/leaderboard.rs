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
    // `test_<metric>` ranks the refitted models by their held-out score.
    let by = args
        .by
        .as_deref()
        .map(|name| match name.strip_prefix("test_") {
            Some(metric) if Metric::from_name(metric).is_some() => (metric, true),
            _ => (name, false),
        });
    let (metric, on_test_set) = match (by, &manifest) {
        (Some((name, on_test_set)), _) => (
            Metric::from_name(name).ok_or_else(|| {
                InputError::new(format!(
                    "--by {name}: unknown metric; valid: {} (cross-validation means), or test_<metric> \
                     (the refitted models' held-out scores)",
                    Metric::names().collect::<Vec<_>>().join(", ")
                ))
            })?,
            on_test_set,
        ),
        (None, Ok(m)) => (m.metric, false),
        (None, Err(e)) => {
            return Err(InputError::new(format!("{e}; or name the metric with --by")).into())
        }
    };
    // Ranked before anything is written: a metric the runs lack leaves leaderboard.csv as it was.
    let mut ranked = rank_runs(&args.dirs, metric, on_test_set, args.model.as_deref())?;
    warn_if_tables_differ(&args.dirs);
    if let ([dir], Ok(manifest)) = (args.dirs.as_slice(), &manifest) {
        write_leaderboard(
            dir,
            manifest.metric,
            &manifest.models,
            manifest.baseline.as_ref(),
        )?;
        eprintln!("rebuilt {}", dir.join(LEADERBOARD).display());
    }
    let top = args.top.unwrap_or(match args.format {
        Format::Table => 10,
        Format::Csv | Format::Json => usize::MAX,
    });
    let total = ranked.len();
    ranked.truncate(top);
    say(&match args.format {
        Format::Table => {
            let name = match on_test_set {
                true => columns::held_out(metric),
                false => metric.name().to_string(),
            };
            table(&ranked, &name, args.dirs.len() > 1, total)
        }
        Format::Csv => csv_text(&ranked, metric)?,
        Format::Json => serde_json::to_string_pretty(&ranked).map_err(anyhow::Error::from)? + "\n",
    });
    Ok(())
}

/// Runs on different data files (or versions of one) rank together only with a word of warning.
fn warn_if_tables_differ(dirs: &[PathBuf]) {
    let data: Vec<(String, String)> = dirs
        .iter()
        .filter_map(|d| Manifest::read(d).ok())
        .map(|m| (m.data.sha256, m.data.path.display().to_string()))
        .collect();
    if data.iter().any(|(sha, _)| *sha != data[0].0) {
        let mut files: Vec<&str> = data.iter().map(|(_, p)| p.as_str()).collect();
        files.dedup();
        eprintln!(
            "warning: these runs used different data ({}; the files' sha256 differ): their scores are not comparable",
            files.join(", ")
        );
    }
}

fn table(trials: &[RunTrial], metric: &str, runs: bool, total: usize) -> String {
    let mut out = format!(
        "{:>4}  {:>17}  {:>9}  {}trial\n",
        "rank",
        metric,
        "ms / fold",
        if runs { "run  " } else { "" }
    );
    for t in trials {
        out.push_str(&format!(
            "{:>4}  {:>8.4}{}  {:>9.2}  {}{}\n",
            t.rank,
            t.score,
            if t.std.is_nan() {
                " ".repeat(9)
            } else {
                format!(" ± {:<6.4}", t.std)
            },
            t.cost_per_fold * 1000.0,
            if runs {
                format!("{}  ", t.run)
            } else {
                String::new()
            },
            t.key
        ));
    }
    out.push_str(&format!(
        "{} of {total} ok trials shown, ranked by {metric}\n",
        trials.len()
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
