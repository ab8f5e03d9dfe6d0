//! `xorq diff <OLD> <NEW>`: what changed in the logic between two builds (or catalog entries),
//! which output columns it reaches, and whether it is breaking. Exit status as `diff`'s: 0 no
//! logical change, 1 a change, 2 an error.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::ValueEnum;
use xorq::diff::{Diff, DiffPage, diff};

use crate::error::{CliError, Result};
use crate::output::{Target, write_text};

/// Diff output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// The report: changed nodes, output columns, classification.
    Text,
    /// The whole diff as JSON (for scripts and agents).
    Json,
    /// One self-contained HTML page: both graphs side by side, changes highlighted.
    Html,
}

/// What `xorq diff` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct DiffArgs {
    /// The old side: a build directory, or a catalog entry (`alias`, `alias@rN`, address prefix).
    pub old: PathBuf,
    /// The new side, named the same ways.
    pub new: PathBuf,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// Write to this file (replaced atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The catalog aliases are looked up in.
    #[command(flatten)]
    pub catalog: super::target::CatalogOpts,
}

/// Compares the two sides and prints the report; returns whether there is a logical change.
pub fn run(args: &DiffArgs) -> Result<bool> {
    if args.format == DiffFormat::Html && args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "`-f html` writes a web page; give `-o diff.html` (then open it in a browser), or pipe it".into(),
        ));
    }
    let old = super::target::load(&args.old, &args.catalog)?;
    let new = super::target::load(&args.new, &args.catalog)?;
    let (old_label, new_label) = (label(&args.old), label(&args.new));
    let d = diff(&old.table, &new.table)?.with_labels(old_label.clone(), new_label.clone());
    let subtitle = format!("old: {} · new: {}", old.path.display(), new.path.display());
    let text = render(&d, args.format, &format!("{old_label} → {new_label}"), &subtitle)?;
    let target = args.output.clone().map_or(Target::Stdout, Target::File);
    write_text(&text, &target)?;
    Ok(d.is_change())
}

/// The diff in `format`; `title` and `subtitle` head the HTML page.
pub fn render(d: &Diff, format: DiffFormat, title: &str, subtitle: &str) -> Result<String> {
    Ok(match format {
        DiffFormat::Text => d.render(),
        DiffFormat::Json => {
            let json = serde_json::to_string_pretty(d)
                .map_err(|e| CliError::Output { format: "json", message: e.to_string() })?;
            format!("{json}\n")
        }
        DiffFormat::Html => d.to_html(&DiffPage { title: format!("Diff {title}"), subtitle: subtitle.to_string() }),
    })
}

fn label(arg: &std::path::Path) -> String {
    arg.to_string_lossy().trim_end_matches('/').to_string()
}
