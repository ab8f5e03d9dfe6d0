//! `xorq lineage -f dot|mermaid|html|openlineage`, checked by the tools that read them: Graphviz
//! `dot`, Mermaid's own parser and the HTML page in a real headless Chromium (through
//! `tests/browser/check.mjs`), and the OpenLineage JSON Schemas (`tests/tools/`).
//!
//! `.ci/run` installs the tools. Elsewhere a missing tool skips its check with a message; under
//! `CI` it fails the test, so CI never passes without checking.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{artifacts, browser, build, manifest_dir, project, tool, xorq_in};
use serde_json::{Value, json};

/// A project whose pipeline has output columns with names that are syntax in every format.
fn hostile_project() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = project("sales");
    let sql = "SELECT region AS \"we\"\"ird <b>#1</b> & `x` \\ \", amount * 2 AS \"déjà\nvu -->\" \
               FROM read_parquet('data/sales.parquet') WHERE quantity > 1";
    std::fs::write(dir.join("pipeline.sql"), sql).expect("write pipeline");
    (tmp, dir)
}

fn lineage(dir: &Path, build: &str, args: &[&str]) -> String {
    let mut all = vec!["lineage", build];
    all.extend_from_slice(args);
    let r = xorq_in(dir, &all);
    assert_eq!(r.code, 0, "xorq lineage {args:?} failed: {}", r.stderr);
    r.stdout
}

#[test]
fn dot_is_valid_graphviz() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    let dot = lineage(&dir, &path, &["-f", "dot"]);
    assert!(dot.starts_with("digraph lineage {") && dot.contains("label=\"Read:sales.parquet\""), "{dot}");
    let (_tmp2, hostile) = hostile_project();
    let hostile_path = build(&hostile, &[]);
    let hostile_dot = lineage(&hostile, &hostile_path, &["-f", "dot"]);
    let Some(dot_program) = tool("dot", &["-V"], "apt-get install graphviz") else { return };
    for (name, text) in [("sales", dot), ("hostile", hostile_dot)] {
        let file = dir.join(format!("{name}.dot"));
        std::fs::write(&file, &text).expect("write dot");
        let out = Command::new(&dot_program).args(["-Tsvg"]).arg(&file).output().expect("dot runs");
        assert!(
            out.status.success(),
            "dot rejected the {name} graph: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = String::from_utf8_lossy(&out.stdout);
        assert!(svg.contains("<svg"), "{svg}");
        if name == "hostile" {
            // The label survives as text (escaped by the SVG writer), not as markup.
            assert!(svg.contains("Field:we&quot;ird &lt;b&gt;#1&lt;/b&gt; &amp; `x` \\ "), "{svg}");
        }
    }
}

/// What `check.mjs` is asked, for the sales build.
fn browser_spec(dir: &Path, path: &str, html: &Path, mermaid: &[PathBuf], screenshot: &Path) -> Value {
    // The page must draw every node of the table graph, and choosing `total` must highlight
    // exactly the nodes of `total`'s own lineage (value and control dependencies).
    let graph: Value = serde_json::from_str(&lineage(dir, path, &["-f", "json"])).expect("lineage json");
    let mut labels: Vec<String> = Vec::new();
    let mut total: Vec<String> = Vec::new();
    for g in graph.as_array().expect("one graph per column") {
        for n in g["nodes"].as_array().expect("nodes") {
            let label = label(n);
            if g["column"] == "total" {
                total.push(label.clone());
            }
            labels.push(label);
        }
    }
    labels.sort();
    labels.dedup();
    let dot = lineage(dir, path, &["-f", "dot"]);
    let nodes = dot.lines().filter(|l| l.trim_start().starts_with('n') && l.contains("[label=")).count();
    json!({
        "html": html,
        "nodes": nodes,
        "labels": labels,
        "select": { "column": "total", "highlighted": total },
        "screenshot": screenshot,
        "mermaid": mermaid,
    })
}

/// A node's label from the JSON format, as the page shows it.
fn label(n: &Value) -> String {
    let s = |k: &str| n[k].as_str().unwrap_or_default().to_string();
    match s("kind").as_str() {
        "field" => format!("Field:{}", s("name")),
        "read" => format!("Read:{}", s("source")),
        "join" => format!("Join:{}", s("side")),
        "set_op" => format!("SetOp:{}", s("op")),
        "tag" => format!("Tag:{}", s("name")),
        "cache" => format!("Cache:{}", s("strategy")),
        "expr" if n["detail"].is_string() => format!("{}:{}", s("name"), s("detail")),
        "expr" => s("name"),
        other => {
            let mut c = other.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
        }
    }
}

#[test]
fn html_page_and_mermaid_work_in_a_real_browser() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    let html_path = dir.join("lineage.html");
    let r = xorq_in(&dir, &["lineage", &path, "-f", "html", "-o", "lineage.html"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(&html_path).expect("page written");
    // Self-contained: nothing is fetched.
    for needle in ["<script src", "<link", "@import", "url(", "https://"] {
        assert!(!html.contains(needle), "the page refers to something outside itself: {needle}");
    }
    let mermaid = dir.join("sales.mmd");
    std::fs::write(&mermaid, lineage(&dir, &path, &["-f", "mermaid"])).expect("write mermaid");
    let (_tmp2, hostile) = hostile_project();
    let hostile_path = build(&hostile, &[]);
    let hostile_mermaid = dir.join("hostile.mmd");
    std::fs::write(&hostile_mermaid, lineage(&hostile, &hostile_path, &["-f", "mermaid"])).expect("write mermaid");
    let hostile_html = dir.join("hostile.html");
    let r = xorq_in(
        &hostile,
        &["lineage", &hostile_path, "-f", "html", "-o"]
            .into_iter()
            .chain([hostile_html.to_str().expect("utf-8 temp path")])
            .collect::<Vec<_>>(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);

    let Some(browser) = browser() else { return };
    let screenshot = artifacts().join("lineage.png");
    let spec = browser_spec(&dir, &path, &html_path, &[mermaid, hostile_mermaid], &screenshot);
    let spec_file = dir.join("spec.json");
    if let Err(failed) = browser.run("check.mjs", &spec, &spec_file) {
        panic!("browser check failed:\n{failed}");
    }
    assert!(screenshot.is_file(), "no screenshot at {}", screenshot.display());
    eprintln!("lineage page screenshot: {}", screenshot.display());

    // The hostile page loads and draws its odd labels as text.
    let hostile_spec = json!({
        "html": hostile_html,
        "nodes": lineage(&hostile, &hostile_path, &["-f", "dot"]).lines().filter(|l| l.contains("[label=")).count(),
        "labels": ["Field:we\"ird <b>#1</b> & `x` \\ ", "Field:déjà\nvu -->"],
        "mermaid": [],
    });
    if let Err(failed) = browser.run("check.mjs", &hostile_spec, &spec_file) {
        panic!("hostile page check failed:\n{failed}");
    }
}

#[test]
fn openlineage_event_follows_the_spec() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    let text = lineage(&dir, &path, &["-f", "openlineage"]);
    let event: Value = serde_json::from_str(&text).expect("JSON");
    let fields = &event["outputs"][0]["facets"]["columnLineage"]["fields"];
    let how = |column: &str, field: &str| -> Vec<String> {
        fields[column]["inputFields"]
            .as_array()
            .expect("input fields")
            .iter()
            .filter(|f| f["field"] == field)
            .flat_map(|f| f["transformations"].as_array().expect("transformations").clone())
            .map(|t| format!("{}/{}", t["type"].as_str().unwrap_or(""), t["subtype"].as_str().unwrap_or("")))
            .collect()
    };
    // total = round(sum(amount)) over amount > 100, grouped by region, ordered by total.
    assert_eq!(how("total", "amount"), ["DIRECT/AGGREGATION", "INDIRECT/FILTER", "INDIRECT/SORT"]);
    assert_eq!(how("total", "region"), ["INDIRECT/GROUP_BY"]);
    // The rows of `region` are the groups of `region` (reached through the sort on `total`).
    assert_eq!(how("region", "region"), ["DIRECT/IDENTITY", "INDIRECT/GROUP_BY"]);
    assert_eq!(event["inputs"][0]["namespace"], "file");
    assert!(event["inputs"][0]["name"].as_str().is_some_and(|n| n.ends_with("/data/sales.parquet")), "{event}");
    // One build, one run id: emitting the event again says the same thing.
    let again: Value = serde_json::from_str(&lineage(&dir, &path, &["-f", "openlineage"])).expect("JSON");
    assert_eq!(again, event);

    let python = std::env::var("XORQ_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    if tool(&python, &["-c", "import jsonschema, referencing"], "pip install jsonschema").is_none() {
        return;
    }
    let file = dir.join("event.json");
    std::fs::write(&file, &text).expect("write event");
    let out = Command::new(&python)
        .arg(manifest_dir().join("tests/tools/validate_openlineage.py"))
        .arg(manifest_dir().join("tests/fixtures/openlineage"))
        .arg(&file)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "the event does not follow the OpenLineage spec:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn graph_formats_write_files_atomically_and_refuse_unknown_columns() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    let r = xorq_in(&dir, &["lineage", &path, "-f", "mermaid", "-c", "total", "-o", "total.mmd"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(dir.join("total.mmd")).expect("written");
    assert!(text.starts_with("flowchart LR") && !text.contains("Field:orders"), "{text}");
    let r = xorq_in(&dir, &["lineage", &path, "-f", "dot", "-c", "totl", "-o", "x.dot"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("did you mean `total`"), "{}", r.stderr);
    assert!(!dir.join("x.dot").exists());
    let cut = lineage(&dir, &path, &["-c", "total", "--depth", "3"]);
    assert!(cut.ends_with("more dependency (raise --depth, or draw it with -f html)\n"), "{cut}");
    let r = xorq_in(&dir, &["lineage", &path, "-f", "html", "-o", "no/such/dir/page.html"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
}
