//! `xorq lineage <build>`: where each output column comes from, as a text tree, JSON, Graphviz,
//! Mermaid, a self-contained HTML page or an OpenLineage event.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::ValueEnum;
use xorq::lineage::openlineage::{EventContext, run_event, run_id};
use xorq::lineage::{HtmlOptions, LineageGraph, TableLineage, TreeOptions, column_lineage, columns_lineage};

use crate::error::{CliError, Result};
use crate::output::{Target, write_text};

/// Lineage output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LineageFormat {
    /// The text tree, one per column.
    Tree,
    /// Nodes and edges (value and control) of each column, as JSON.
    Json,
    /// Graphviz `dot` (render with `dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (for Markdown that renders Mermaid).
    Mermaid,
    /// One self-contained HTML page with a column picker.
    Html,
    /// An OpenLineage run event with the column-lineage dataset facet.
    Openlineage,
}

/// What `xorq lineage` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct LineageArgs {
    /// A build directory written by `xorq build`, or a catalog entry: `alias`, `alias@rN`, or an
    /// address prefix.
    pub build: PathBuf,
    /// Only these output columns (repeatable; default: every column).
    #[arg(short, long = "column", value_name = "COLUMN")]
    pub columns: Vec<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "tree")]
    pub format: LineageFormat,
    /// Write to this file (replaced atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Draw the tree with ASCII characters (the default when the terminal's locale is not UTF-8).
    #[arg(long)]
    pub ascii: bool,
    /// Tree: also show control dependencies (filter, join, sort, grouping and window keys);
    /// the graph formats always include them.
    #[arg(long)]
    pub control: bool,
    /// Tree: expand at most N levels below each column (a tree of a very deep pipeline is long;
    /// the graph formats have no such limit).
    #[arg(long, value_name = "N")]
    pub depth: Option<usize>,
    /// The catalog an alias is looked up in.
    #[command(flatten)]
    pub catalog: super::target::CatalogOpts,
}

/// Prints (or writes) the lineage of the build's columns.
pub fn run(args: &LineageArgs) -> Result<()> {
    // A page of HTML and script on a terminal is noise; it belongs in a file or a pipe.
    if args.format == LineageFormat::Html && args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "`-f html` writes a web page; give `-o lineage.html` (then open it in a browser), or pipe it".into(),
        ));
    }
    let build = super::target::load(&args.build, &args.catalog)?;
    let table = &build.table;
    let names: Vec<&str> =
        if args.columns.is_empty() { table.columns() } else { args.columns.iter().map(String::as_str).collect() };
    let text = match args.format {
        LineageFormat::Tree | LineageFormat::Json => {
            let graphs = names.iter().map(|c| column_lineage(table, c)).collect::<Result<Vec<LineageGraph>, _>>()?;
            if args.format == LineageFormat::Json {
                let json = serde_json::to_string_pretty(&graphs).map_err(json_error)?;
                format!("{json}\n")
            } else {
                let options = TreeOptions::default()
                    .ascii(args.ascii || !unicode_terminal())
                    .control(args.control)
                    .max_depth(args.depth);
                graphs.iter().map(|g| g.render(&options)).collect::<Vec<_>>().join("\n")
            }
        }
        graph_format => {
            let graph = columns_lineage(table, &names)?;
            // Named by the alias it was asked by, if any (a job keeps its name across revisions).
            let alias = (!args.build.exists()).then(|| args.build.to_string_lossy().into_owned());
            render_graph(&graph, graph_format, &build, alias.as_deref())?
        }
    };
    let target = args.output.clone().map_or(Target::Stdout, Target::File);
    write_text(&text, &target)
}

/// The whole-table formats.
fn render_graph(
    graph: &TableLineage,
    format: LineageFormat,
    build: &xorq_build::LoadedBuild,
    alias: Option<&str>,
) -> Result<String> {
    let meta = &build.metadata;
    let short = meta.address.get(..12).unwrap_or(&meta.address);
    let (title, job) = match alias {
        Some(a) => (format!("{a} ({short})"), a.split('@').next().unwrap_or(a).to_string()),
        None => (short.to_string(), short.to_string()),
    };
    Ok(match format {
        LineageFormat::Dot => graph.to_dot(),
        LineageFormat::Mermaid => graph.to_mermaid(),
        LineageFormat::Html => graph.to_html(&HtmlOptions {
            title: format!("Lineage of {title}"),
            subtitle: format!("{} · built {}", build.path.display(), meta.built_at),
        }),
        LineageFormat::Openlineage => {
            let ctx = EventContext {
                job_namespace: "xorq".into(),
                job_name: job,
                run_id: run_id(meta.address.as_bytes()),
                event_time: meta.built_at.clone(),
                output_namespace: "xorq".into(),
                output_name: meta.address.clone(),
                producer: format!("https://github.com/xorq-labs/xorq-rs/tree/v{}", env!("CARGO_PKG_VERSION")),
            };
            let event = run_event(&build.table, graph, &ctx);
            format!("{}\n", serde_json::to_string_pretty(&event).map_err(json_error)?)
        }
        LineageFormat::Tree | LineageFormat::Json => {
            return Err(CliError::Usage("tree and json are per-column formats".into()));
        }
    })
}

fn json_error(e: serde_json::Error) -> CliError {
    CliError::Output { format: "json", message: e.to_string() }
}

/// Whether box-drawing characters will show: always into a pipe or file (UTF-8 text), and on a
/// terminal whose locale says UTF-8.
pub(crate) fn unicode_terminal() -> bool {
    if !std::io::stdout().is_terminal() {
        return true;
    }
    ["LC_ALL", "LC_CTYPE", "LANG"].iter().find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty())).is_some_and(
        |locale| {
            let l = locale.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        },
    )
}
