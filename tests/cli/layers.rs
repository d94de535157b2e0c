//! The layers of `src/` (see ARCHITECTURE.md): each module may name only the modules
//! below it. Checked on the source text, so that a lower layer importing a higher one
//! fails the build's tests, not a review.

use std::path::Path;

/// Every module of the library, lowest first; a module may use those of a lower rank.
const LAYERS: &[(&str, u8)] = &[
    ("escape", 0),
    ("memory", 0),
    ("model", 0),
    ("rules", 1),
    ("synth", 2),
    ("input", 3),
    ("analysis", 4),
    ("report", 5),
    ("kql", 5),
    ("gate", 6),
    ("config", 7),
    ("cli", 8),
    ("run", 9),
];

fn rank(module: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, rank)| *rank)
}

/// The top-level modules a source text names through `crate::`, outside comments.
fn named_modules(text: &str) -> Vec<String> {
    let mut named = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a, b::C}`: every path of the group.
                let inner = group.split('}').next().unwrap_or_default();
                named.extend(inner.split(',').map(|path| {
                    path.trim()
                        .split("::")
                        .next()
                        .unwrap_or_default()
                        .to_string()
                }));
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            named.push(name);
        }
    }
    named
}

fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_module_names_a_module_above_it() {
    let root = Path::new("src");
    let mut files = Vec::new();
    sources(root, &mut files);
    files.sort();
    let mut breaches = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(root).expect("under src/");
        let top = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a file name")
            .trim_end_matches(".rs");
        if matches!(top, "lib" | "main") {
            continue;
        }
        let own = rank(top).unwrap_or_else(|| panic!("src/{top} has no layer in LAYERS"));
        let text = std::fs::read_to_string(file).expect("a source file");
        for name in named_modules(&text) {
            match rank(&name) {
                Some(_) if name == top => {}
                Some(other) if other < own => {}
                Some(_) => breaches.push(format!("{}: {top} uses {name}", file.display())),
                None => breaches.push(format!("{}: crate::{name} has no layer", file.display())),
            }
        }
    }
    assert!(breaches.is_empty(), "{}", breaches.join("\n"));
}

#[test]
fn the_scan_sees_paths_and_groups_and_skips_comments() {
    let text = "use crate::analysis::Report;\n// crate::run is only named here\n\
                let x = crate::model::Severity::Info;\nuse crate::{gate, report::Format};";
    assert_eq!(named_modules(text), ["analysis", "model", "gate", "report"]);
}
