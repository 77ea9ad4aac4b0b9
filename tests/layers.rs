//! The source layout rule (README, "Source layout"): a module imports only from layers below it, and
//! commands never import each other. Scans every `crate::` path in src/.

use std::path::Path;

/// Lowest layer first; modules on one line share a layer and do not import each other.
const LAYERS: &[&[&str]] = &[
    &["error", "seed", "value", "files"],
    &["data", "interrupt"],
    &["preprocess", "metrics"],
    &["models"],
    &["spec"],
    &["expand"],
    &["evaluate"],
    &["search"],
    &["execute"],
    &["results"],
    &["report"],
    &["session"],
    &["commands"],
    &["cli"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `crate::a::b` path in a file, as its first segments.
fn crate_paths(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut rest = line.split("//").next().unwrap_or("");
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let mut parts = after.split("::").map(|p| {
                p.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            });
            let first = parts.next().unwrap_or_default();
            let second = parts.next().filter(|s| !s.is_empty());
            out.push((first, second));
            rest = after;
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_upward_and_commands_are_siblings() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let parts: Vec<String> = relative
            .iter()
            .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
            .collect();
        let own = parts[0].as_str();
        if matches!(own, "lib" | "main") {
            continue;
        }
        let own_layer =
            layer(own).unwrap_or_else(|| panic!("{own} is in no layer: add it to LAYERS"));
        let text = std::fs::read_to_string(file).unwrap();
        for (target, sub) in crate_paths(&text) {
            let Some(target_layer) = layer(&target) else {
                violations.push(format!(
                    "{}: crate::{target} is in no layer",
                    relative.display()
                ));
                continue;
            };
            if target == own {
                if own == "commands" && sub.as_deref() != parts.get(1).map(String::as_str) {
                    violations.push(format!(
                        "{}: a command imports another (crate::commands::{})",
                        relative.display(),
                        sub.unwrap_or_default()
                    ));
                }
            } else if target_layer >= own_layer {
                violations.push(format!(
                    "{}: imports crate::{target}, which is not below {own}",
                    relative.display()
                ));
            }
        }
        if own == "commands" {
            for sibling in files
                .iter()
                .filter_map(|f| f.strip_prefix(src.join("commands")).ok())
            {
                let name = sibling
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string();
                let reach = [format!("super::{name}"), format!("super::super::{name}")];
                if name != parts[1] && reach.iter().any(|r| text.contains(r.as_str())) {
                    violations.push(format!(
                        "{}: reaches the sibling command {name} through super::",
                        relative.display()
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layer rule broken:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_scan_sees_paths_inside_lines_but_not_comments() {
    let paths = crate_paths(
        "use crate::spec::{Plan};\nlet x = crate::models::find(n); // crate::cli\n// crate::cli::main",
    );
    assert_eq!(
        paths,
        vec![
            ("spec".to_string(), None),
            ("models".to_string(), Some("find".to_string()))
        ]
    );
}
