//! Files replaced atomically: written beside the target, synced, then renamed over it, so a reader
//! (or a run killed mid-write) sees the old file or the new one, never half of one.

use anyhow::{Context as _, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_replacement_names_its_file_and_leaves_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
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
