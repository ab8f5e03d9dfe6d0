//! `xorq catalog compose`: entries chained into one new entry. The first entry gives the rows;
//! each next one is applied to the rows so far, its unbound input (an `unbound_expr` entry) or
//! else its one source bound to them; `--code` then applies one SQL query over `source`. The
//! result is built and cataloged; its address follows from its parts, so composing the same
//! entries the same way gives the same entry.

use std::fmt::Write as _;
use std::path::Path;

use xorq::{Table, UnbindTarget};
use xorq_build::{LoadedBuild, Verification};
use xorq_engines::datafusion::sql::{TableResolver, sql_to_table};
use xorq_engines::error::EngineError;

use super::super::target::{CatalogOpts, load_verified};
use crate::error::{CliError, Result};

/// The name `--code` reads the composed rows by.
pub const SOURCE: &str = "source";

/// One step of a composition, as `--dry-run` shows it.
pub struct Step {
    /// The entry as it was named.
    pub entry: String,
    /// What it did: `rows` for the first, else the input it was bound through.
    pub how: String,
    /// The composition's address after this step.
    pub address: String,
}

/// `--rename-params ENTRY,OLD,NEW`: a parameter of one entry of a composition renamed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rename {
    /// The entry, as it is named among the entries.
    pub entry: String,
    /// Its parameter's name.
    pub old: String,
    /// The name it takes.
    pub new: String,
}

impl std::str::FromStr for Rename {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Rename, String> {
        match text.split(',').map(str::trim).collect::<Vec<_>>().as_slice() {
            [entry, old, new] if !entry.is_empty() && !old.is_empty() && !new.is_empty() => {
                Ok(Rename { entry: entry.to_string(), old: old.to_string(), new: new.to_string() })
            }
            _ => Err(format!("`{text}`: give ENTRY,OLD,NEW, for example `scorer,threshold,min_score`")),
        }
    }
}

/// A composition: the expression, the builds it read, its steps, and the scratch builds of
/// entries whose parameters were renamed (their files are read until the composition is built
/// or run, so they live as long as this does).
pub struct Composition {
    /// The composed expression.
    pub table: Table,
    /// The builds of the entries, in order.
    pub parts: Vec<LoadedBuild>,
    /// What each entry did.
    pub steps: Vec<Step>,
    _scratch: Vec<tempfile::TempDir>,
}

/// The composition of `entries` (then `code`), each entry's parameters renamed as `renames`
/// says.
pub fn compose(
    entries: &[String],
    code: Option<&str>,
    renames: &[Rename],
    catalog: &CatalogOpts,
    verification: &Verification,
) -> Result<Composition> {
    let Some((first, rest)) = entries.split_first() else {
        return Err(CliError::Usage("name the entries to compose: the source first, then each transform".into()));
    };
    if rest.is_empty() && code.is_none() && renames.is_empty() {
        return Err(CliError::Usage(format!(
            "one entry composes to itself: add a transform entry after `{first}`, or `--code \"SELECT … FROM {SOURCE}\"`"
        )));
    }
    if let Some(stray) = renames.iter().find(|r| !entries.contains(&r.entry)) {
        return Err(CliError::Usage(format!(
            "--rename-params {},{},{}: `{}` is not one of the entries composed ({})",
            stray.entry,
            stray.old,
            stray.new,
            stray.entry,
            entries.join(", ")
        )));
    }
    let mut scratch = Vec::new();
    let mut load = |name: &str| -> Result<LoadedBuild> {
        let build = load_verified(Path::new(name), catalog, verification)?;
        renamed(build, name, renames, verification, &mut scratch)
    };
    let source = load(first)?;
    if let Some((name, _)) = source.table.inputs()?.into_iter().next() {
        return Err(CliError::Usage(format!(
            "`{first}` has an unbound input (`{name}`), so it cannot give the rows: put an entry that reads its sources first"
        )));
    }
    let mut table = source.table.clone();
    let mut steps = vec![Step { entry: first.clone(), how: "rows".into(), address: table.address().hex() }];
    let mut parts = vec![source];
    for name in rest {
        let step = load(name)?;
        let (node, input) = step.table.open_point(&UnbindTarget::Inferred, None).map_err(|e| {
            CliError::Usage(format!(
                "`{name}` cannot be applied to the rows so far: it needs exactly one unbound input or one source to bind them to\n{e}"
            ))
        })?;
        if let Some(difference) = misfit(node.schema(), table.schema()) {
            return Err(CliError::Usage(format!(
                "`{name}`: the rows so far do not have the columns of its input `{input}`:\n{difference}"
            )));
        }
        table = xorq_build::bind(&step, &node, &table)?
            .map_err(|e| CliError::Usage(format!("`{name}` does not fit the rows so far: {e}")))?;
        steps.push(Step {
            entry: name.clone(),
            how: format!("bound to its input `{input}`"),
            address: table.address().hex(),
        });
        parts.push(step);
    }
    if let Some(sql) = code {
        table = sql_to_table(sql, &Rows(&table)).map_err(|e| CliError::Usage(format!("--code: {e}")))?;
        steps.push(Step {
            entry: "--code".into(),
            how: format!("SQL over `{SOURCE}`"),
            address: table.address().hex(),
        });
    }
    Ok(Composition { table, parts, steps, _scratch: scratch })
}

/// `build` with the parameters `renames` names for the entry `name` renamed: written as a
/// scratch build and loaded back (binding re-derives a build from its manifest, so the renamed
/// expression needs one; loading it also checks that the rename is what building it gives).
fn renamed(
    build: LoadedBuild,
    name: &str,
    renames: &[Rename],
    verification: &Verification,
    scratch: &mut Vec<tempfile::TempDir>,
) -> Result<LoadedBuild> {
    let mine: Vec<&Rename> = renames.iter().filter(|r| r.entry == name).collect();
    if mine.is_empty() {
        return Ok(build);
    }
    let mut table = build.table.clone();
    for r in mine {
        table = table.rename_param(&r.old, &r.new).map_err(|e| CliError::Usage(format!("`{name}`: {e}")))?;
    }
    let dir = tempfile::Builder::new()
        .prefix(".xorq-rename-")
        .tempdir()
        .map_err(|e| CliError::Internal(format!("cannot create a temporary directory for a renamed entry: {e}")))?;
    let path = super::super::compose::build_into(&table, &[&build], dir.path(), false, verification)?;
    let loaded = xorq_build::load_with(&path, verification)?;
    scratch.push(dir);
    Ok(loaded)
}

/// The input's columns against the rows' where they differ (names and types, side by side as
/// `union` shows them), or the input's columns that allow no nulls where the rows' do; `None`
/// when the rows fit (rows without nulls may feed a column that allows them).
fn misfit(input: &xorq::Schema, rows: &xorq::Schema) -> Option<String> {
    if let Some(difference) = super::super::compose::schema_difference(input, rows) {
        return Some(difference);
    }
    let not_null: Vec<&str> = input
        .fields()
        .iter()
        .zip(rows.fields())
        .filter(|(i, r)| !i.nullable && r.nullable)
        .map(|(i, _)| i.name.as_str())
        .collect();
    (!not_null.is_empty())
        .then(|| format!("  the input's {} allow no nulls, and the rows' may hold them", not_null.join(", ")))
}

/// What `--dry-run` prints: each step and the result's columns.
pub fn plan_text(table: &Table, steps: &[Step]) -> String {
    let mut out = String::new();
    for (i, step) in steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {}  ({})  -> {}",
            i + 1,
            step.entry,
            step.how,
            &step.address[..12.min(step.address.len())]
        );
    }
    let _ = writeln!(out, "result {}", table.address().hex());
    for field in table.schema().fields() {
        let _ = writeln!(out, "  {}  {}{}", field.name, field.dtype, if field.nullable { "" } else { " not null" });
    }
    out
}

/// `--code`'s one table: the rows composed so far, as `source`.
struct Rows<'t>(&'t Table);

impl TableResolver for Rows<'_> {
    fn table(&self, profile: &str, path: &[String]) -> std::result::Result<Table, EngineError> {
        let table = std::iter::once(profile).chain(path.iter().map(String::as_str)).collect::<Vec<_>>().join(".");
        Err(EngineError::NotConnected { profile: profile.to_string(), table })
    }

    fn bare_table(&self, name: &str) -> std::result::Result<Option<Table>, EngineError> {
        Ok(name.eq_ignore_ascii_case(SOURCE).then(|| self.0.clone()))
    }
}
