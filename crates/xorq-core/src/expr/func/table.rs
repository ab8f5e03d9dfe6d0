//! Table functions: batch in, batch out. A registered table function takes every batch of its
//! input relation (and constant arguments) and gives a batch of its output relation, whose schema
//! it derives from the input schema and the arguments when the expression is built. Like the
//! scalar and aggregate entries of [`super::registry`], an expression refers to one by name and
//! version only (both in the address and in `expr.yaml`), and its implementation lives in the
//! engine (`xorq_engines::datafusion::functions::register_table_function`). Nothing is built in:
//! every table function is the program's own.

use std::fmt;
use std::sync::{PoisonError, RwLock};

use super::Determinism;
use crate::error::{CoreError, Result};
use crate::literal::Literal;
use crate::schema::Schema;

/// The output schema of a table function for an input schema and the constant arguments, or a
/// message saying what is wrong with them (a missing column, an argument of the wrong type).
pub type OutputSchema = fn(&Schema, &[Literal]) -> std::result::Result<Schema, String>;

/// A table function's catalogue entry.
///
/// ```
/// use xorq_core::expr::func::table::{TableFunctionDef, TableFunc, register};
/// use xorq_core::{DataType, Field, Schema};
///
/// // Keeps its input's columns and adds `rank`.
/// static RANKED: TableFunctionDef = TableFunctionDef::new(
///     "doc_ranked",
///     |input, _args| {
///         let mut fields = input.fields().to_vec();
///         fields.push(Field::new("rank", DataType::Int64, false));
///         Schema::new(fields).map_err(|e| e.to_string())
///     },
///     "its input with a rank per batch",
/// );
/// let f: TableFunc = register(&RANKED)?;
/// assert_eq!((f.name(), f.version()), ("doc_ranked", 1));
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
pub struct TableFunctionDef {
    /// Stable name: in manifests, in the address, in messages.
    pub name: &'static str,
    /// Version of the function's meaning; part of the address.
    pub version: u32,
    /// Whether the output is a function of the input rows ([`Determinism::RowOrder`] when it
    /// depends on how they arrive, in order or in batches).
    pub determinism: Determinism,
    /// The output schema, checked when the expression is built.
    pub output: OutputSchema,
    /// One line saying what it computes.
    pub doc: &'static str,
}

impl TableFunctionDef {
    /// A deterministic table function of version 1.
    pub const fn new(name: &'static str, output: OutputSchema, doc: &'static str) -> Self {
        TableFunctionDef { name, version: 1, determinism: Determinism::Deterministic, output, doc }
    }

    /// With another version.
    pub const fn version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    /// Depending on the order (or batching) of its input rows.
    pub const fn row_order(mut self) -> Self {
        self.determinism = Determinism::RowOrder;
        self
    }
}

impl fmt::Debug for TableFunctionDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableFunctionDef").field("name", &self.name).field("version", &self.version).finish()
    }
}

/// A handle to a registered table function.
#[derive(Clone, Copy)]
pub struct TableFunc(&'static TableFunctionDef);

impl TableFunc {
    /// The catalogue entry.
    pub fn def(self) -> &'static TableFunctionDef {
        self.0
    }

    /// Stable name.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// Version; part of the address.
    pub fn version(self) -> u32 {
        self.0.version
    }

    /// The registered table function called `name` with `version`.
    pub fn lookup(name: &str, version: u32) -> Option<TableFunc> {
        registered().into_iter().find(|d| d.name == name && d.version == version).map(TableFunc)
    }

    /// The registered versions of `name`, sorted.
    pub fn versions(name: &str) -> Vec<u32> {
        let mut out: Vec<u32> = registered().into_iter().filter(|d| d.name == name).map(|d| d.version).collect();
        out.sort_unstable();
        out
    }

    /// The table function called `name` (its highest version when `version` is `None`), or an
    /// error naming the closest registered name and listing what this program has.
    pub fn find(name: &str, version: Option<u32>) -> Result<TableFunc> {
        let all = registered();
        if let Some(def) =
            all.iter().filter(|d| d.name == name && version.is_none_or(|v| d.version == v)).max_by_key(|d| d.version)
        {
            return Ok(TableFunc(def));
        }
        let invalid = |message: String| CoreError::InvalidArgument { context: "table function".into(), message };
        let have = TableFunc::versions(name);
        if let (Some(version), false) = (version, have.is_empty()) {
            return Err(invalid(super::registry::missing_version("table function", name, version, &have)));
        }
        let mut names: Vec<&str> = all.iter().map(|d| d.name).collect();
        names.dedup();
        let closest = crate::error::closest(name, names.iter().copied())
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        let known = if names.is_empty() {
            "this program registers no table functions".to_string()
        } else {
            format!("this program registers the table functions {}", names.join(", "))
        };
        Err(invalid(format!(
            "unknown table function `{name}`{closest}\nhint: {known}; a table function is registered by the program that runs the expression"
        )))
    }

    /// The output schema for `input` and `args`, checked.
    pub fn output_schema(self, input: &Schema, args: &[Literal]) -> Result<Schema> {
        (self.0.output)(input, args).map_err(|message| CoreError::InvalidArgument {
            context: format!("table function `{}`", self.name()),
            message,
        })
    }
}

impl PartialEq for TableFunc {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name() && self.version() == other.version()
    }
}

impl fmt::Debug for TableFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name(), self.version())
    }
}

/// Every registered table function, in registration order; only ever added to, so a poisoned
/// lock still holds a consistent list.
static REGISTERED: RwLock<Vec<&'static TableFunctionDef>> = RwLock::new(Vec::new());

/// Registers the table function `def` and returns its handle. Its name must be lower-case
/// `[a-z][a-z0-9_]*` and its version at least 1; registering the same entry again returns the
/// same handle, and another entry with the same name and version is refused.
pub fn register(def: &'static TableFunctionDef) -> Result<TableFunc> {
    let refuse = |message: String| CoreError::InvalidArgument { context: "function registry".into(), message };
    super::registry::check_name(def.name, def.version).map_err(refuse)?;
    let mut all = REGISTERED.write().unwrap_or_else(PoisonError::into_inner);
    match all.iter().find(|d| d.name == def.name && d.version == def.version) {
        Some(existing) if std::ptr::eq(*existing, def) => Ok(TableFunc(def)),
        Some(_) => Err(refuse(format!(
            "another table function `{}` version {} is registered already; give a changed function a new version",
            def.name, def.version
        ))),
        None => {
            all.push(def);
            Ok(TableFunc(def))
        }
    }
}

/// Every registered table function, in registration order.
pub fn registered() -> Vec<&'static TableFunctionDef> {
    REGISTERED.read().unwrap_or_else(PoisonError::into_inner).clone()
}
