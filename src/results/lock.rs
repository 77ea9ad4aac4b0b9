//! The lock a command holds on a results folder while it writes there.

use crate::error::InputError;
use anyhow::{Context as _, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// The lock file's name inside a results folder.
pub const LOCK: &str = ".lock";

/// Holds an exclusive advisory lock on a results folder while a run writes to it.
pub struct RunLock {
    _file: File,
}

/// Locks `dir` for writing, or explains which process holds it.
pub fn lock_run_dir(dir: &Path) -> Result<RunLock> {
    if dir.exists() && !dir.is_dir() {
        return Err(InputError::new(format!(
            "{}: is a file, not a folder; give --out a folder path (new or an earlier run's)",
            dir.display()
        ))
        .into());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(LOCK);
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            // The first write of a run: on a full disk this is where it fails, so it names the file.
            (|| {
                file.set_len(0)?;
                write!(file, "{}", std::process::id())?;
                file.sync_data()
            })()
            .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(RunLock { _file: file })
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            Err(InputError::new(format!(
                "{}: another sweep (pid {}) is writing to this folder; wait for it to finish or stop it",
                dir.display(),
                holder.trim()
            ))
            .into())
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Whether a command holds `dir`'s lock now (a run writing there).
pub fn is_locked(dir: &Path) -> bool {
    let Ok(file) = OpenOptions::new().read(true).open(dir.join(LOCK)) else {
        return false;
    };
    matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
}
