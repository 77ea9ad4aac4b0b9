//! The results folder: `manifest.json` (written first, typed and versioned), `config.yaml` (the sweep
//! file's snapshot), `trials.csv` (append-only, one durable row per finished trial) and
//! `leaderboard.csv` (rebuilt from trials.csv alone).

pub mod columns;
pub mod leaderboard;
pub mod lock;
pub mod manifest;
pub mod merge;
pub mod pool_work;
pub mod trials;

pub use crate::files::{replace_file, write_atomic};
use anyhow::{Context as _, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub const TRIALS: &str = "trials.csv";
pub const LEADERBOARD: &str = "leaderboard.csv";
pub const MANIFEST: &str = "manifest.json";
pub const CONFIG: &str = "config.yaml";

/// trials.csv opened for reading up to its last complete line: a kill can leave the last row
/// half-written, and that row never finished.
pub(crate) fn open_complete(path: &Path) -> Result<(File, u64)> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let complete = complete_file_len(&mut file)?;
    file.seek(SeekFrom::Start(0))?;
    Ok((file, complete))
}

/// Length of trials.csv up to its last complete line, reading only its end.
fn complete_file_len(file: &mut File) -> Result<u64> {
    let mut end = file.metadata()?.len();
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let piece = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(piece)?;
        if let Some(i) = piece.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// `results/<name>-<timestamp>` under the current folder.
/// A results folder's trials.csv; an input error when the folder has none.
pub fn trials_file(dir: &Path) -> Result<PathBuf> {
    let path = dir.join(TRIALS);
    if !path.is_file() {
        return Err(crate::error::InputError::new(format!(
            "{}: no {TRIALS}; give results folders that `sweep run --out` wrote",
            dir.display()
        ))
        .into());
    }
    Ok(path)
}

pub fn default_out_dir(name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from("results").join(format!(
        "{safe}-{}",
        chrono::Local::now().format("%Y%m%d-%H%M%S")
    ))
}
