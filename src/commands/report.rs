//! `sweep report DIR [DIR...]`: draw the HTML report of a results folder (into the folder), or one page
//! comparing several (into `--out`). Reads each manifest and trials.csv, so unfinished runs work too.

use crate::error::{Failure, InputError};
use crate::report::html::{render, REPORT};
use crate::report::runs::Run;
use crate::results::write_atomic;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// Results folders (what `sweep run --out` wrote); several are compared on one page.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the page [default: DIR/report.html for one folder, ./comparison.html for several].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn report(args: ReportArgs) -> Result<(), Failure> {
    let runs = args
        .dirs
        .iter()
        .map(|dir| Run::load(dir))
        .collect::<anyhow::Result<Vec<Run>>>()?;
    let out = args.out.unwrap_or_else(|| match args.dirs.as_slice() {
        [dir] => dir.join(REPORT),
        _ => PathBuf::from("comparison.html"),
    });
    if out.is_dir() {
        return Err(InputError::new(format!(
            "--out {}: is a folder; give the path of the HTML file to write",
            out.display()
        ))
        .into());
    }
    let page = render(&runs)?;
    write_atomic(&out, page.as_bytes())?;
    crate::report::say(&format!("report: {}\n", out.display()));
    Ok(())
}
