//! The modules of `xorq-exec` import each other without a cycle: configuration (`session`),
//! planning (`placement`, `cache`, `segment`), then the executor (`run`) and what reads plans
//! (`explain`, `pin`, `blocking`). A `use crate::…` that closes a cycle fails here, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level module a source file belongs to (`cache/plan.rs` → `cache`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level modules each module imports with `use crate::…` (and `crate::` paths).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in all {
        let from = module_of(&src, &file);
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable file");
        let targets = graph.entry(from.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            // `crate::Result`-style items of the crate root and the module's own items are not edges.
            if !name.is_empty() && name != from && name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                targets.insert(name);
            }
        }
    }
    graph
}

#[test]
fn modules_import_each_other_without_a_cycle() {
    let graph = imports();
    // Depth-first search for a back edge, reporting the cycle it closes.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for start in graph.keys() {
        if let Some(cycle) = visit(start, &graph, &mut Vec::new(), &mut done) {
            panic!("xorq-exec modules import each other in a cycle: {}\n{graph:#?}", cycle.join(" → "));
        }
    }
    // The layering the executor split rests on.
    assert!(!graph["session"].contains("run") && !graph["session"].contains("segment"), "{graph:#?}");
    assert!(!graph["cache"].contains("session"), "{graph:#?}");
}
