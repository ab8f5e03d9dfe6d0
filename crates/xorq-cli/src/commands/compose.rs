//! `xorq union` and `xorq join`: new builds composed from existing ones (build directories or
//! catalog entries). The result's address follows from its parts: the same builds composed the
//! same way give the same build.

use std::path::{Path, PathBuf};

use xorq::{JoinKind, Table};
use xorq_build::{BuildOptions, LoadedBuild, Verification};

use crate::error::{CliError, Result};

/// Where a composed build is written, shared by `union` and `join`.
#[derive(Clone, Debug, clap::Args)]
pub struct ComposeOpts {
    /// Directory the new build is written under.
    #[arg(long, value_name = "DIR", default_value = "builds")]
    pub builds_dir: PathBuf,
    /// Keep local file reads as references to their paths instead of bundling copies (reads the
    /// parts bundled stay bundled).
    #[arg(long)]
    pub no_relocate_reads: bool,
    /// Also write the build path to this file (for scripts whose stdout is noisy).
    #[arg(long, value_name = "PATH")]
    pub emit_build_path_to: Option<PathBuf>,
    /// The catalog an alias is looked up in.
    #[command(flatten)]
    pub catalog: super::target::CatalogOpts,
}

/// What `xorq union` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct UnionArgs {
    /// Two or more builds (directories, aliases or address prefixes) with identical schemas.
    #[arg(num_args = 2.., required = true, value_name = "BUILD")]
    pub builds: Vec<PathBuf>,
    /// Remove duplicate rows (the default keeps them all, as `UNION ALL`).
    #[arg(long)]
    pub distinct: bool,
    /// Where the result is written.
    #[command(flatten)]
    pub out: ComposeOpts,
}

/// Join methods.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum How {
    /// Matching pairs.
    Inner,
    /// Every left row.
    Left,
    /// Every right row.
    Right,
    /// Every row of both.
    Outer,
    /// Left rows with a match.
    Semi,
    /// Left rows without a match.
    Anti,
    /// Every pair.
    Cross,
}

impl How {
    fn kind(self) -> JoinKind {
        match self {
            How::Inner => JoinKind::Inner,
            How::Left => JoinKind::Left,
            How::Right => JoinKind::Right,
            How::Outer => JoinKind::Outer,
            How::Semi => JoinKind::Semi,
            How::Anti => JoinKind::Anti,
            How::Cross => JoinKind::Cross,
        }
    }
}

/// What `xorq join` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct JoinArgs {
    /// The left build.
    pub left: PathBuf,
    /// The right build.
    pub right: PathBuf,
    /// Columns present in both, comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["left_on", "right_on"])]
    pub on: Vec<String>,
    /// Left columns, comma-separated, paired with `--right-on`.
    #[arg(long, value_delimiter = ',', requires = "right_on")]
    pub left_on: Vec<String>,
    /// Right columns, comma-separated, paired with `--left-on`.
    #[arg(long, value_delimiter = ',', requires = "left_on")]
    pub right_on: Vec<String>,
    /// Join method.
    #[arg(long, value_enum, default_value = "inner")]
    pub how: How,
    /// Where the result is written.
    #[command(flatten)]
    pub out: ComposeOpts,
}

fn load(arg: &Path, opts: &ComposeOpts) -> Result<LoadedBuild> {
    super::target::load_verified(arg, &opts.catalog, &Verification::default())
}

/// Writes `table` as a build, with the profiles of `parts`; prints its path.
fn write(table: &Table, parts: &[LoadedBuild], opts: &ComposeOpts) -> Result<()> {
    let mut options = BuildOptions::default().relocate_reads(!opts.no_relocate_reads);
    let mut seen: Vec<String> = Vec::new();
    for profile in parts.iter().flat_map(|b| b.profiles.iter()) {
        if !seen.iter().any(|n| n == profile.name()) {
            seen.push(profile.name().to_string());
            options = options.profile(profile.clone());
        }
    }
    let built = xorq_build::build(table, &opts.builds_dir, &options)?;
    let shown = opts.builds_dir.join(built.address.short());
    if let Some(file) = &opts.emit_build_path_to {
        crate::output::write_text(&format!("{}\n", shown.display()), &crate::output::Target::File(file.clone()))?;
    }
    println!("{}", shown.display());
    Ok(())
}

/// `xorq union`: the rows of every build, as one build.
pub fn union(args: &UnionArgs) -> Result<()> {
    let parts = args.builds.iter().map(|b| load(b, &args.out)).collect::<Result<Vec<_>>>()?;
    let first = &parts[0];
    for (arg, other) in args.builds.iter().zip(&parts).skip(1) {
        if let Some(difference) = schema_difference(first.table.schema(), other.table.schema()) {
            return Err(CliError::Usage(format!(
                "`{}` and `{}` do not have the same columns, so their rows cannot be one table:\n{difference}\nhint: build both with the same columns, in the same order, of the same types",
                args.builds[0].display(),
                arg.display()
            )));
        }
    }
    let mut table = first.table.clone();
    for other in &parts[1..] {
        table = if args.distinct { table.union_distinct(&other.table)? } else { table.union(&other.table)? };
    }
    write(&table, &parts, &args.out)
}

/// The columns of two schemas side by side where they differ, or `None` when they are the same.
fn schema_difference(a: &xorq::Schema, b: &xorq::Schema) -> Option<String> {
    let rows = a.len().max(b.len());
    let describe =
        |f: Option<&xorq::Field>| f.map_or_else(|| "(none)".to_string(), |f| format!("{}: {}", f.name, f.dtype));
    let mut out = Vec::new();
    let mut differ = false;
    for i in 0..rows {
        let (l, r) = (a.fields().get(i), b.fields().get(i));
        let same = matches!((l, r), (Some(l), Some(r)) if l.name == r.name && l.dtype == r.dtype);
        differ |= !same;
        out.push(format!("  {} {:<32} {}", if same { " " } else { "≠" }, describe(l), describe(r)));
    }
    differ.then(|| out.join("\n"))
}

/// `xorq join`: the two builds joined, as one build.
pub fn join(args: &JoinArgs) -> Result<()> {
    let left = load(&args.left, &args.out)?;
    let right = load(&args.right, &args.out)?;
    let keys: Vec<(String, String)> = if !args.on.is_empty() {
        args.on.iter().map(|k| (k.trim().to_string(), k.trim().to_string())).collect()
    } else {
        if args.left_on.len() != args.right_on.len() {
            return Err(CliError::Usage(format!(
                "`--left-on` names {} columns and `--right-on` {}; pair them one to one",
                args.left_on.len(),
                args.right_on.len()
            )));
        }
        args.left_on.iter().zip(&args.right_on).map(|(l, r)| (l.trim().to_string(), r.trim().to_string())).collect()
    };
    let kind = args.how.kind();
    if keys.is_empty() && !matches!(kind, JoinKind::Cross) {
        return Err(CliError::Usage(
            "a join needs keys: `--on k` (or `--left-on a --right-on b`), or `--how cross` for every pair".into(),
        ));
    }
    // A key that is not a column is a mistake in the flags.
    let table = left.table.join(&right.table, kind, keys).map_err(|e| match e {
        xorq::CoreError::ColumnNotFound { .. } => CliError::Usage(e.to_string()),
        other => other.into(),
    })?;
    write(&table, &[left, right], &args.out)
}
