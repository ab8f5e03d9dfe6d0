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
    /// Bundle local file reads into the build, named by their content (the default; the
    /// Python tool's spelling, for scripts that pass it).
    #[arg(long, overrides_with = "no_relocate_reads")]
    pub relocate_reads: bool,
    /// Keep local file reads as references to their paths instead of bundling copies (reads the
    /// parts bundled stay bundled).
    #[arg(long, overrides_with = "relocate_reads")]
    pub no_relocate_reads: bool,
    /// Also write the build path to this file (for scripts whose stdout is noisy).
    #[arg(long, value_name = "PATH")]
    pub emit_build_path_to: Option<PathBuf>,
    /// Cache directory: where bundled files are remembered as verified (and, for `pin`, whose
    /// stored results are pinned) [default: `$XORQ_CACHE_DIR`, else the project file's
    /// `cache_dir`, else `~/.cache/xorq`].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The catalog an alias is looked up in.
    #[command(flatten)]
    pub catalog: super::target::CatalogOpts,
}

/// The builds a union reads, and how.
#[derive(Clone, Debug, clap::Args)]
pub struct UnionSpec {
    /// Two or more builds (directories, aliases or address prefixes) with identical schemas.
    #[arg(num_args = 2.., required = true, value_name = "BUILD")]
    pub builds: Vec<PathBuf>,
    /// Remove duplicate rows (the default keeps them all, as `UNION ALL`).
    #[arg(long)]
    pub distinct: bool,
}

/// What `xorq union` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct UnionArgs {
    /// What is unioned.
    #[command(flatten)]
    pub spec: UnionSpec,
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

/// The builds a join reads, and how.
#[derive(Clone, Debug, clap::Args)]
pub struct JoinSpec {
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
    /// How a left column whose name is also a right column's is renamed, as a format with
    /// `{name}` (empty keeps the name). Keys joined by the same name are one column and keep it.
    #[arg(long, value_name = "FORMAT", default_value = "")]
    pub lname: String,
    /// How a right column whose name is also a left column's is renamed, as a format with
    /// `{name}`.
    #[arg(long, value_name = "FORMAT", default_value = "{name}_right")]
    pub rname: String,
}

/// What `xorq join` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct JoinArgs {
    /// What is joined.
    #[command(flatten)]
    pub spec: JoinSpec,
    /// Where the result is written.
    #[command(flatten)]
    pub out: ComposeOpts,
}

/// Writes `table` as a build under `dir` with the profiles of `parts`, bundling local file reads
/// unless `relocate` is off; the new build's directory.
pub(crate) fn build_into(
    table: &Table,
    parts: &[&LoadedBuild],
    dir: &Path,
    relocate: bool,
    verification: &Verification,
) -> Result<PathBuf> {
    let mut options = BuildOptions::default().relocate_reads(relocate).verification(verification.clone());
    let mut seen: Vec<String> = Vec::new();
    for profile in parts.iter().flat_map(|b| b.profiles.iter()) {
        if !seen.iter().any(|n| n == profile.name()) {
            seen.push(profile.name().to_string());
            options = options.profile(profile.clone());
        }
    }
    let built = xorq_build::build(table, dir, &options)?;
    Ok(dir.join(built.address.short()))
}

/// Writes `table` as a build, with the profiles of `parts` (verified as `verification` says, as
/// the parts were when loaded); prints its path.
pub(crate) fn write(
    table: &Table,
    parts: &[&LoadedBuild],
    opts: &ComposeOpts,
    verification: &Verification,
) -> Result<()> {
    let shown = build_into(table, parts, &opts.builds_dir, !opts.no_relocate_reads, verification)?;
    if let Some(file) = &opts.emit_build_path_to {
        crate::output::write_text(&format!("{}\n", shown.display()), &crate::output::Target::File(file.clone()))?;
    }
    println!("{}", shown.display());
    Ok(())
}

/// How the builds a composition reads are verified: bundled files hashed once and remembered
/// in the cache directory `cache_dir` (as `run` and `build` do).
pub(crate) fn verification(cache_dir: Option<&Path>) -> Result<Verification> {
    Ok(Verification::in_cache(&super::cache::for_run(cache_dir, false, false)?))
}

/// `xorq union`: the rows of every build, as one build.
pub fn union(args: &UnionArgs) -> Result<()> {
    let verification = verification(args.out.cache_dir.as_deref())?;
    let (table, parts) = union_table(&args.spec, &args.out.catalog, &verification)?;
    write(&table, &parts.iter().collect::<Vec<_>>(), &args.out, &verification)
}

/// The union `spec` asks for, and the builds it reads (aliases looked up in `catalog`).
pub(crate) fn union_table(
    spec: &UnionSpec,
    catalog: &super::target::CatalogOpts,
    verification: &Verification,
) -> Result<(Table, Vec<LoadedBuild>)> {
    let parts = spec
        .builds
        .iter()
        .map(|b| super::target::load_verified(b, catalog, verification))
        .collect::<Result<Vec<_>>>()?;
    let first = &parts[0];
    for (arg, other) in spec.builds.iter().zip(&parts).skip(1) {
        if let Some(difference) = schema_difference(first.table.schema(), other.table.schema()) {
            return Err(CliError::Usage(format!(
                "`{}` and `{}` do not have the same columns, so their rows cannot be one table:\n{difference}\nhint: build both with the same columns, in the same order, of the same types",
                spec.builds[0].display(),
                arg.display()
            )));
        }
    }
    let mut table = first.table.clone();
    for other in &parts[1..] {
        table = if spec.distinct { table.union_distinct(&other.table)? } else { table.union(&other.table)? };
    }
    Ok((table, parts))
}

/// The columns of two schemas side by side where their names or types differ, or `None` when
/// they are the same (also how `catalog compose` shows rows that do not fit an input).
pub(crate) fn schema_difference(a: &xorq::Schema, b: &xorq::Schema) -> Option<String> {
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
    let verification = verification(args.out.cache_dir.as_deref())?;
    let (table, parts) = join_table(&args.spec, &args.out.catalog, &verification)?;
    write(&table, &parts.iter().collect::<Vec<_>>(), &args.out, &verification)
}

/// The join `spec` asks for, and the two builds it reads (aliases looked up in `catalog`).
pub(crate) fn join_table(
    spec: &JoinSpec,
    catalog: &super::target::CatalogOpts,
    verification: &Verification,
) -> Result<(Table, Vec<LoadedBuild>)> {
    let left = super::target::load_verified(&spec.left, catalog, verification)?;
    let right = super::target::load_verified(&spec.right, catalog, verification)?;
    let keys: Vec<(String, String)> = if !spec.on.is_empty() {
        spec.on.iter().map(|k| (k.trim().to_string(), k.trim().to_string())).collect()
    } else {
        if spec.left_on.len() != spec.right_on.len() {
            return Err(CliError::Usage(format!(
                "`--left-on` names {} columns and `--right-on` {}; pair them one to one",
                spec.left_on.len(),
                spec.right_on.len()
            )));
        }
        spec.left_on.iter().zip(&spec.right_on).map(|(l, r)| (l.trim().to_string(), r.trim().to_string())).collect()
    };
    let kind = spec.how.kind();
    if keys.is_empty() && !matches!(kind, JoinKind::Cross) {
        return Err(CliError::Usage(
            "a join needs keys: `--on k` (or `--left-on a --right-on b`), or `--how cross` for every pair".into(),
        ));
    }
    let (l, r, keys) = rename_overlaps(&left.table, &right.table, kind, keys, &spec.lname, &spec.rname)?;
    // A key that is not a column is a mistake in the flags.
    let table = l.join(&r, kind, keys).map_err(|e| match e {
        xorq::CoreError::ColumnNotFound { .. } | xorq::CoreError::DuplicateColumn { .. } => {
            CliError::Usage(e.to_string())
        }
        other => other.into(),
    })?;
    Ok((table, vec![left, right]))
}

/// Left and right key column names, paired.
type JoinKeys = Vec<(String, String)>;

/// Both sides with the columns whose names clash renamed by `lname`/`rname` (formats with
/// `{name}`; empty keeps the name), and the keys under their new names. A key joined by the same
/// name on both sides of an inner, left or right join is one output column and keeps its name.
fn rename_overlaps(
    left: &Table,
    right: &Table,
    kind: JoinKind,
    keys: Vec<(String, String)>,
    lname: &str,
    rname: &str,
) -> Result<(Table, Table, JoinKeys)> {
    for (flag, format) in [("--lname", lname), ("--rname", rname)] {
        if !format.is_empty() && !format.contains("{name}") {
            return Err(CliError::Usage(format!(
                "`{flag} {format}` has no `{{name}}`, so every clashing column would get the same name; for example `{flag} '{{name}}_r'`"
            )));
        }
    }
    // The defaults are what a join names clashing columns anyway: no renaming node, so the
    // address is the plain join's. Semi and anti joins output only left columns.
    if (lname.is_empty() && rname == "{name}_right") || matches!(kind, JoinKind::Semi | JoinKind::Anti) {
        return Ok((left.clone(), right.clone(), keys));
    }
    let merged = |n: &str| {
        matches!(kind, JoinKind::Inner | JoinKind::Left | JoinKind::Right) && keys.iter().any(|(l, r)| l == n && r == n)
    };
    let clashing: Vec<String> =
        left.schema().names().filter(|n| right.schema().field(n).is_some() && !merged(n)).map(str::to_string).collect();
    let renamed = |format: &str, n: &str| if format.is_empty() { n.to_string() } else { format.replace("{name}", n) };
    if let Some(n) = clashing.iter().find(|n| renamed(lname, n) == renamed(rname, n)) {
        return Err(CliError::Usage(format!(
            "both sides have a column `{n}`, and `--lname '{lname}'` and `--rname '{rname}'` give it the same name on both; make them differ, for example `--rname '{{name}}_right'`"
        )));
    }
    let side = |t: &Table, format: &str| -> Result<Table> {
        let pairs: Vec<(String, String)> =
            clashing.iter().map(|n| (n.clone(), renamed(format, n))).filter(|(a, b)| a != b).collect();
        Ok(if pairs.is_empty() { t.clone() } else { t.rename(pairs)? })
    };
    let keys = keys
        .into_iter()
        .map(|(l, r)| {
            if clashing.contains(&l) || clashing.contains(&r) {
                (
                    if clashing.contains(&l) { renamed(lname, &l) } else { l },
                    if clashing.contains(&r) { renamed(rname, &r) } else { r },
                )
            } else {
                (l, r)
            }
        })
        .collect();
    Ok((side(left, lname)?, side(right, rname)?, keys))
}
