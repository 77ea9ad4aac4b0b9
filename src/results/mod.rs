//! The results folder: `manifest.json` (written first, typed and versioned), `config.yaml` (the sweep
//! file's snapshot), `trials.csv` (append-only, one durable row per finished trial) and
//! `leaderboard.csv` (rebuilt from trials.csv alone).

pub mod leaderboard;
pub mod lock;
pub mod manifest;
pub mod trials;

use anyhow::{Context as _, Result};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub const TRIALS: &str = "trials.csv";
pub const LEADERBOARD: &str = "leaderboard.csv";
pub const MANIFEST: &str = "manifest.json";
pub const CONFIG: &str = "config.yaml";

/// Replaces a file atomically: `write` fills a temporary beside it, which is fsynced, then renamed
/// over the target. The temporary's name is unique to this process and call, so two writers (a run
/// and a concurrent `sweep leaderboard`) never share one.
pub fn replace_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| -> Result<()> {
        let file = File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut out = BufWriter::new(file);
        write(&mut out).with_context(|| format!("cannot write {}", tmp.display()))?;
        let file = out
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", tmp.display(), e.error()))?;
        file.sync_all()
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot rename into {}", path.display()))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Writes a file atomically (see [`replace_file`]).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    replace_file(path, |out| Ok(out.write_all(contents)?))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_replacement_names_its_file_and_leaves_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST);
        std::fs::write(&path, "old").unwrap();
        let err =
            replace_file(&path, |_| Err(std::io::Error::from_raw_os_error(28).into())).unwrap_err();
        let message = format!("{err:#}");
        assert!(message.contains(".manifest.json."), "{message}");
        assert!(message.contains("No space left on device"), "{message}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "the temporary is removed");
    }
}
