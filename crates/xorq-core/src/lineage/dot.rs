//! Graphviz `dot` for a lineage graph: data flows left to right, from the sources to the output
//! columns; control dependencies are dashed.

use std::fmt::Write;

use super::{EdgeKind, TableLineage};

impl TableLineage {
    /// The graph in Graphviz's `dot` language (`dot -Tsvg lineage.dot > lineage.svg`).
    ///
    /// Nodes are `n<id>`; labels are escaped, so any column name is safe. Output columns are
    /// drawn bold, sources as cylinders, operations as boxes and expressions as ellipses.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11, style=filled, \
             color=\"#475569\"];\n  edge [color=\"#475569\"];\n",
        );
        let outputs = self.outputs();
        for node in &self.nodes {
            let (shape, fill) = match node.kind.family() {
                "read" => ("cylinder", "#dcfce7"),
                "field" => ("box", "#e0f2fe"),
                "expr" => ("ellipse", "#fef3c7"),
                _ => ("box", "#f1f5f9"),
            };
            let style = match (node.kind.family(), outputs.get(node.id) == Some(&true)) {
                (_, true) => "\"rounded,filled,bold\"",
                ("field", false) => "\"rounded,filled\"",
                _ => "filled",
            };
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "  n{} [label=\"{}\", shape={shape}, style={style}, fillcolor=\"{fill}\"];",
                node.id,
                escape(&node.kind.label())
            );
        }
        for e in &self.edges {
            let _ = match e.kind {
                EdgeKind::Value => writeln!(out, "  n{} -> n{};", e.to, e.from),
                EdgeKind::Control => writeln!(
                    out,
                    "  n{} -> n{} [style=dashed, color=\"#b45309\", fontcolor=\"#b45309\", label=\"control\", fontsize=9];",
                    e.to, e.from
                ),
            };
        }
        out.push_str("}\n");
        out
    }
}

/// A `dot` double-quoted string body: backslashes and quotes escaped, line breaks and other
/// control characters shown as spaces (a label is one line).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn labels_cannot_break_out_of_their_quotes() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("x\ny\u{7}"), "x y ");
    }
}
