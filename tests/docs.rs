//! Every `sweep` command the README and docs/ show in an `sh` block runs and succeeds, in the order
//! shown, each page in a folder of its own that holds the repository's configs/ and data/ (as a
//! reader's checkout does). `cargo run --release --` stands for the binary under test; the test
//! commands themselves (`cargo test`, the package install) are what runs this.

mod common;
use common::repo;
use std::path::{Path, PathBuf};

/// The `sweep` commands of a Markdown text's `sh` blocks, without comments, as argument lists.
fn commands(markdown: &str) -> Vec<Vec<String>> {
    let mut in_sh = false;
    let mut found = Vec::new();
    for line in markdown.lines() {
        if let Some(fence) = line.strip_prefix("```") {
            in_sh = !in_sh && fence.trim() == "sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let command = line.split(" #").next().unwrap_or("").trim();
        let args = if let Some(rest) = command.strip_prefix("cargo run --release -- ") {
            rest
        } else if let Some(rest) = command.strip_prefix("sweep ") {
            rest
        } else {
            continue;
        };
        found.push(args.split_whitespace().map(String::from).collect());
    }
    found
}

fn pages() -> Vec<PathBuf> {
    let mut pages = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

fn run_page(page: &Path) -> usize {
    let text = std::fs::read_to_string(page).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for shared in ["configs", "data"] {
        std::os::unix::fs::symlink(repo().join(shared), dir.path().join(shared)).unwrap();
    }
    let list = commands(&text);
    for args in &list {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_sweep"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}: `sweep {}` failed ({}):\n{}{}",
            page.display(),
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    list.len()
}

#[test]
fn every_command_in_the_readme_and_docs_runs() {
    let mut total = 0;
    for page in pages() {
        total += run_page(&page);
    }
    assert!(total >= 15, "only {total} commands found: the scan broke");
}

#[test]
fn the_scan_reads_sh_blocks_only_and_drops_comments() {
    let text = "```sh\nsweep run a.yaml --out r   # a comment\ncargo run --release -- models\n\
                cargo test\n```\n```text\n$ sweep leaderboard r\n```\nsweep run b.yaml\n";
    assert_eq!(
        commands(text),
        [vec!["run", "a.yaml", "--out", "r"], vec!["models"]]
    );
}
