//! The text tree of a lineage graph.
//!
//! ```text
//! Lineage for column 'total':
//! Field:total #1
//! └── Aggregate #2
//!     └── Sum #3
//!         └── Field:amount #4
//!             └── Filter #5
//!                 └── Read:sales.parquet #6
//! ```
//!
//! Nodes are numbered in the order they are printed (depth first, value dependencies before
//! control ones). A node reached again is printed as a reference, `Read:sales.parquet #6 (see
//! above)`, and not expanded twice. With [`TreeOptions::control`], control dependencies are
//! printed too, marked `[control]`, such as a filter's predicate column:
//! `└── [control] Field:amount #7`.

use std::collections::HashMap;

use super::{EdgeKind, LineageGraph};

/// How to render a lineage tree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TreeOptions {
    /// ASCII branches (`|-- `, `` `-- ``, `|   `) instead of box drawing (`├── `, `└── `, `│   `).
    pub ascii: bool,
    /// Also print control dependencies (filter, join and sort keys, grouping and window keys),
    /// marked `[control]`. Off by default: the tree shows where values come from.
    pub control: bool,
    /// Expand at most this many levels below the column; deeper dependencies are summarised
    /// in one line. A tree indents every level, so a very deep graph is better cut or drawn.
    pub max_depth: Option<usize>,
}

impl TreeOptions {
    /// ASCII branches.
    pub fn ascii(mut self, ascii: bool) -> Self {
        self.ascii = ascii;
        self
    }

    /// Include control dependencies.
    pub fn control(mut self, control: bool) -> Self {
        self.control = control;
        self
    }

    /// Expand at most `depth` levels.
    pub fn max_depth(mut self, depth: Option<usize>) -> Self {
        self.max_depth = depth;
        self
    }
}

struct Renderer<'a> {
    graph: &'a LineageGraph,
    options: TreeOptions,
    numbers: HashMap<usize, usize>,
    out: String,
    prefix: String,
    depth: usize,
}

pub(super) fn render(graph: &LineageGraph, options: &TreeOptions) -> String {
    let mut r = Renderer {
        graph,
        options: *options,
        numbers: HashMap::new(),
        out: format!("Lineage for column '{}':\n", graph.column),
        prefix: String::new(),
        depth: 0,
    };
    r.line(graph.root);
    r.out
}

impl Renderer<'_> {
    /// Prints `id`'s label and number (or a reference), then its dependencies.
    #[recursive::recursive]
    fn line(&mut self, id: usize) {
        let label = self.graph.node(id).map(|n| n.kind.label()).unwrap_or_else(|| format!("?{id}"));
        if let Some(n) = self.numbers.get(&id) {
            self.out.push_str(&format!("{label} #{n} (see above)\n"));
            return;
        }
        let n = self.numbers.len() + 1;
        self.numbers.insert(id, n);
        self.out.push_str(&format!("{label} #{n}\n"));
        let kids: Vec<(usize, EdgeKind)> =
            self.graph.children(id).filter(|&(_, k)| self.options.control || k == EdgeKind::Value).collect();
        let (tee, elbow, pipe, blank) = if self.options.ascii {
            ("|-- ", "`-- ", "|   ", "    ")
        } else {
            ("├── ", "└── ", "│   ", "    ")
        };
        if !kids.is_empty() && self.options.max_depth.is_some_and(|d| self.depth >= d) {
            let n = kids.len();
            let s = if n == 1 { "y" } else { "ies" };
            let dots = if self.options.ascii { "..." } else { "…" };
            self.out.push_str(&format!(
                "{}{elbow}{dots} {n} more dependenc{s} (raise --depth, or draw it with -f html)\n",
                self.prefix
            ));
            return;
        }
        for (i, (child, kind)) in kids.iter().enumerate() {
            let last = i + 1 == kids.len();
            self.out.push_str(&self.prefix);
            self.out.push_str(if last { elbow } else { tee });
            if *kind == EdgeKind::Control {
                self.out.push_str("[control] ");
            }
            let len = self.prefix.len();
            self.prefix.push_str(if last { blank } else { pipe });
            self.depth += 1;
            self.line(*child);
            self.prefix.truncate(len);
            self.depth -= 1;
        }
    }
}
