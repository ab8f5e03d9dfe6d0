//! Mermaid `flowchart` for a lineage graph, for Markdown pages that render Mermaid (GitHub,
//! GitLab, many wikis).

use std::fmt::Write;

use super::{EdgeKind, TableLineage};

impl TableLineage {
    /// The graph as a Mermaid flowchart: data flows left to right, from the sources (cylinders)
    /// through operations (boxes) and expressions (hexagons) to the output columns (bold);
    /// control dependencies are dotted and labelled `control`. Labels are quoted and escaped
    /// with Mermaid's entity codes, so any column name is safe.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let outputs = self.outputs();
        for node in &self.nodes {
            let label = escape(&node.kind.label());
            let family = if outputs.get(node.id) == Some(&true) { "output" } else { node.kind.family() };
            let (open, close) = match node.kind.family() {
                "read" => ("[(", ")]"),
                "field" => ("([", "])"),
                "expr" => ("{{", "}}"),
                _ => ("[", "]"),
            };
            // Writing to a String cannot fail.
            let _ = writeln!(out, "  n{}{open}\"{label}\"{close}:::{family}", node.id);
        }
        for e in &self.edges {
            let _ = match e.kind {
                EdgeKind::Value => writeln!(out, "  n{} --> n{}", e.to, e.from),
                EdgeKind::Control => writeln!(out, "  n{} -. control .-> n{}", e.to, e.from),
            };
        }
        out.push_str(
            "  classDef output fill:#bfdbfe,stroke:#1e3a8a,stroke-width:2px,font-weight:bold\n  \
             classDef field fill:#e0f2fe,stroke:#475569\n  classDef read fill:#dcfce7,stroke:#166534\n  \
             classDef op fill:#f1f5f9,stroke:#475569\n  classDef expr fill:#fef3c7,stroke:#92400e\n",
        );
        out
    }
}

/// A quoted Mermaid label: characters Mermaid would read as syntax, markup or an entity are
/// written as numeric entity codes (`#34;` for `"`); line breaks and control characters become
/// spaces.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '#' | '<' | '>' | '&' | '`' | '\\' => {
                let _ = write!(out, "#{};", c as u32);
            }
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
    fn syntax_characters_become_entity_codes() {
        assert_eq!(escape(r#"a"b#c<d>"#), "a#34;b#35;c#60;d#62;");
        assert_eq!(escape("déjà\nvu"), "déjà vu");
    }
}
