//! The source layout rule (docs/development.md, "Source layout"): a module imports only from layers below it, and
//! commands never import each other. Every `crate::`, `super::` and `self::` path in src/ is resolved
//! to the module it names (inline `mod … {` blocks counted) before the rule is applied.

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

fn segment(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The module path a file declares (`spec/search.rs` -> spec::search; `spec/mod.rs` -> spec).
fn file_module(relative: &str) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Every path starting at `crate::`, `self::` or `super::` in a file, as the first two segments of
/// the absolute module path it names, with the line it is on.
fn resolved_paths(relative: &str, text: &str) -> Vec<(usize, Vec<String>)> {
    let file = file_module(relative);
    // Inline modules open at some indent and close at the first `}` with that indent.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut out = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if inline
            .last()
            .is_some_and(|(_, at)| *at == indent && line.trim() == "}")
        {
            inline.pop();
            continue;
        }
        let code = line.split("//").next().unwrap_or("");
        let words: Vec<&str> = code.split_whitespace().collect();
        if let Some(at) = words.iter().position(|w| *w == "mod") {
            if words.get(at + 2) == Some(&"{") {
                inline.push((segment(words[at + 1]), indent));
            }
        }
        let here: Vec<String> = file
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        let mut rest = code;
        while let Some(start) = ["crate::", "self::", "super::"]
            .iter()
            .filter_map(|p| rest.find(p))
            .min()
        {
            let before = rest[..start].chars().last();
            let path = &rest[start..];
            rest = &rest[start + 1..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let mut segments = path.split("::").peekable();
            let mut module = match segments.peek().copied() {
                Some("crate") => Vec::new(),
                _ => here.clone(),
            };
            if segments.peek() == Some(&"crate") {
                segments.next();
            }
            while let Some(&s) = segments.peek() {
                match s {
                    "super" => {
                        module.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                segments.next();
            }
            let remainder: Vec<&str> = segments.collect();
            for target in absolute(module, &remainder.join("::")) {
                out.push((number + 1, target));
            }
            let length = path
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(path.len());
            rest = &path[length..];
        }
    }
    out
}

/// The first two segments of `module` followed by the path text `rest`, one per item of a `{…}` group.
fn absolute(module: Vec<String>, rest: &str) -> Vec<Vec<String>> {
    if module.len() >= 2 {
        return vec![module];
    }
    if let Some(group) = rest.strip_prefix('{') {
        let (mut depth, mut items, mut item) = (0, Vec::new(), String::new());
        for c in group.chars() {
            match c {
                '}' if depth == 0 => break,
                ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if c != ',' || depth > 0 {
                item.push(c);
            }
        }
        items.push(item);
        return items
            .iter()
            .flat_map(|i| absolute(module.clone(), i.trim()))
            .collect();
    }
    let name = segment(rest);
    if name.is_empty() || name == "self" {
        return vec![module];
    }
    let mut longer = module;
    longer.push(name.clone());
    let after = rest[name.len()..].strip_prefix("::").unwrap_or("");
    absolute(longer, after)
}

/// The rule broken by each path of each (relative path, text) file.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let modules: Vec<Vec<String>> = files.iter().map(|(r, _)| file_module(r)).collect();
    let mut found = Vec::new();
    for (relative, text) in files {
        let own = file_module(relative);
        let Some(top) = own
            .first()
            .filter(|t| !matches!(t.as_str(), "lib" | "main"))
        else {
            continue;
        };
        let Some(own_layer) = layer(top) else {
            found.push(format!(
                "{relative}: {top} is in no layer: add it to LAYERS"
            ));
            continue;
        };
        for (line, target) in resolved_paths(relative, text) {
            let Some(first) = target.first() else {
                continue;
            };
            let Some(target_layer) = layer(first) else {
                found.push(format!("{relative}:{line}: crate::{first} is in no layer"));
                continue;
            };
            if first == top {
                let other_command = top == "commands"
                    && target.len() == 2
                    && target.get(1) != own.get(1)
                    && modules.contains(&target);
                if other_command {
                    found.push(format!(
                        "{relative}:{line}: a command imports another (crate::commands::{})",
                        target[1]
                    ));
                }
            } else if target_layer >= own_layer {
                found.push(format!(
                    "{relative}:{line}: imports crate::{first}, which is not below {top}"
                ));
            }
        }
    }
    found
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy();
            out.push((
                relative.replace('\\', "/"),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

#[test]
fn no_module_imports_upward_and_commands_are_siblings() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &src, &mut files);
    assert!(files.len() > 50, "the scan found the sources");
    let found = violations(&files);
    assert!(found.is_empty(), "layer rule broken:\n{}", found.join("\n"));
}

fn file(relative: &str, text: &str) -> (String, String) {
    (relative.to_string(), text.to_string())
}

#[test]
fn planted_violations_are_reported_with_their_place() {
    let found = violations(&[
        file(
            "models/svm/smo.rs",
            "use super::kernel::Kernel;\nuse super::super::super::spec::Plan;\n",
        ),
        file("data/read.rs", "fn f() { crate::report::html::page(); }\n"),
        file("commands/run.rs", "use super::{resume::continue_run, Args};\n"),
        file("commands/resume.rs", ""),
        file("commands/expand.rs", ""),
        file("commands/bench.rs", "use super::super::commands::expand::space;\n"),
        file(
            "spec/mod.rs",
            "#[cfg(test)]\nmod tests {\n    use super::super::session::Session;\n}\nuse super::models::find;\n",
        ),
    ]);
    assert_eq!(
        found,
        [
            "models/svm/smo.rs:2: imports crate::spec, which is not below models",
            "data/read.rs:1: imports crate::report, which is not below data",
            "commands/run.rs:1: a command imports another (crate::commands::resume)",
            "commands/bench.rs:1: a command imports another (crate::commands::expand)",
            "spec/mod.rs:3: imports crate::session, which is not below spec",
        ]
    );
}

#[test]
fn paths_resolve_from_the_file_and_its_inline_modules_but_not_comments() {
    let text = "use crate::spec::{Plan};\nlet x = crate::models::find(n); // crate::cli\n\
                // crate::cli::main\nmod tests {\n    use super::*;\n    use super::super::axis;\n}\n\
                use self::inner::x;\nlet y = foo::super_thing;\n";
    let paths = resolved_paths("spec/search.rs", text);
    let names: Vec<(usize, String)> = paths
        .into_iter()
        .map(|(line, p)| (line, p.join("::")))
        .collect();
    assert_eq!(
        names,
        [
            (1, "spec::Plan".to_string()),
            (2, "models::find".to_string()),
            (5, "spec::search".to_string()),
            (6, "spec::axis".to_string()),
            (8, "spec::search".to_string()),
        ]
    );
}
