//! A self-contained HTML page for a lineage graph: one file, inline CSS and JavaScript, no
//! network. The graph is laid out in the browser (sources on the left, output columns on the
//! right); a column picker, or a click on a node, highlights what that column or node depends
//! on and lists the source columns it comes from.

use serde_json::{Value, json};

use super::{EdgeKind, TableLineage};

const TEMPLATE: &str = include_str!("page/index.html");
const STYLE: &str = include_str!("page/style.css");
const SCRIPT: &str = include_str!("page/app.js");

/// What the page says about the graph beyond its nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HtmlOptions {
    /// The page title, such as the build's alias or address.
    pub title: String,
    /// A line under the title, such as the build path and time.
    pub subtitle: String,
}

impl TableLineage {
    /// The page as one HTML document.
    ///
    /// ```
    /// use xorq_core::{lineage, Table};
    /// # use arrow_array::{RecordBatch, Float64Array};
    /// # use std::sync::Arc;
    /// # let batch = RecordBatch::try_from_iter([("amount", Arc::new(Float64Array::from(vec![1.0])) as _)]).unwrap();
    /// let t = Table::memtable(vec![batch])?;
    /// let page = lineage::table_lineage(&t)?.to_html(&lineage::HtmlOptions::default());
    /// assert!(page.starts_with("<!DOCTYPE html>") && !page.contains("<script src"));
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn to_html(&self, options: &HtmlOptions) -> String {
        let title = if options.title.is_empty() { "Column lineage" } else { options.title.as_str() };
        let data = script_json(&self.page_data(title, &options.subtitle));
        fill(TEMPLATE, &[("title", &escape_html(title)), ("style", STYLE), ("data", &data), ("script", SCRIPT)])
    }

    /// What the page's script draws.
    fn page_data(&self, title: &str, subtitle: &str) -> Value {
        let columns: Vec<Value> = self
            .columns
            .iter()
            .map(|r| {
                let inputs: Vec<Value> = self
                    .input_fields(r.node)
                    .into_iter()
                    .map(|i| {
                        let how: Vec<&str> = i.transformations.iter().map(|t| t.subtype()).collect();
                        json!({ "source": i.source, "uri": i.uri, "field": i.field, "how": how })
                    })
                    .collect();
                json!({ "column": r.column, "node": r.node, "inputs": inputs })
            })
            .collect();
        let outputs = self.outputs();
        let nodes: Vec<Value> = self
            .nodes
            .iter()
            .map(|n| {
                let family = if outputs.get(n.id) == Some(&true) { "output" } else { n.kind.family() };
                json!([n.kind.label(), family])
            })
            .collect();
        let edges: Vec<Value> =
            self.edges.iter().map(|e| json!([e.from, e.to, u8::from(e.kind == EdgeKind::Control)])).collect();
        json!({ "title": title, "subtitle": subtitle, "columns": columns, "nodes": nodes, "edges": edges })
    }
}

/// JSON safe inside `<script type="application/json">`: `<`, `>` and `&` are written as
/// `\u003c` and so on, so no string can close the element or open a comment.
pub(crate) fn script_json(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// Replaces each `{{name}}` of `template` in one pass, so a value that happens to contain a
/// placeholder is never filled again.
pub(crate) fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}").and_then(|end| values.iter().find(|(k, _)| *k == &after[..end]).map(|(_, v)| (end, v))) {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

pub(crate) fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_once() {
        assert_eq!(fill("<{{a}}|{{b}}|{{c}}>", &[("a", "{{b}}"), ("b", "x")]), "<{{b}}|x|{{c}}>");
    }

    #[test]
    fn embedded_json_cannot_close_its_script_element() {
        let v = json!({ "label": "</script><script>alert(1)</script> & <!--" });
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'), "{s}");
        let back: Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back, v);
    }
}
