//! The worker side of the process backend.

pub fn main() -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
