//! Records the source revision the binary is built from (when built from a git checkout), so a run's
//! manifest can say exactly which build produced it.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/index");
    let revision = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let shown = revision
        .clone()
        .unwrap_or_else(|| "unknown revision".to_string());
    println!("cargo:rustc-env=SWEEP_BUILD_REVISION_OR_UNKNOWN={shown}");
    if let Some(revision) = revision {
        let dirty = Command::new("git")
            .args(["status", "--porcelain", "--untracked-files=no"])
            .output()
            .ok()
            .is_some_and(|o| !o.stdout.is_empty());
        let suffix = if dirty { "-modified" } else { "" };
        println!("cargo:rustc-env=SWEEP_BUILD_REVISION={revision}{suffix}");
    }
}
