//! `xorq lineage <build>`: where each output column comes from.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::ValueEnum;
use xorq::lineage::{LineageGraph, TreeOptions, column_lineage, lineage};

use crate::error::{CliError, Result};

/// Lineage output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LineageFormat {
    /// The text tree, one per column.
    Tree,
    /// Nodes and edges (value and control) as JSON.
    Json,
}

/// What `xorq lineage` was asked.
#[derive(Debug, clap::Args)]
pub struct LineageArgs {
    /// A build directory written by `xorq build`.
    pub build: PathBuf,
    /// Only this output column (default: every column).
    #[arg(short, long)]
    pub column: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "tree")]
    pub format: LineageFormat,
    /// Draw the tree with ASCII characters (the default when the terminal's locale is not UTF-8).
    #[arg(long)]
    pub ascii: bool,
    /// Also show control dependencies: filter, join, sort, grouping and window keys.
    #[arg(long)]
    pub control: bool,
}

/// Prints the lineage of the build's columns.
pub fn run(args: &LineageArgs) -> Result<()> {
    let build = xorq_build::load(&args.build)?;
    let graphs: Vec<LineageGraph> = match &args.column {
        Some(c) => vec![column_lineage(&build.table, c)?],
        None => lineage(&build.table)?.into_iter().map(|(_, g)| g).collect(),
    };
    match args.format {
        LineageFormat::Json => {
            let json = serde_json::to_string_pretty(&graphs)
                .map_err(|e| CliError::Output { format: "json", message: e.to_string() })?;
            println!("{json}");
        }
        LineageFormat::Tree => {
            let options = TreeOptions::default().ascii(args.ascii || !unicode_terminal()).control(args.control);
            let text: Vec<String> = graphs.iter().map(|g| g.render(&options)).collect();
            print!("{}", text.join("\n"));
        }
    }
    Ok(())
}

/// Whether box-drawing characters will show: always into a pipe or file (UTF-8 text), and on a
/// terminal whose locale says UTF-8.
fn unicode_terminal() -> bool {
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
