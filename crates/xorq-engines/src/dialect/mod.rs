//! SQL for other engines: the IR is lowered to a DataFusion plan (in SQL mode, see
//! [`Lowering::for_sql`]) and unparsed with a per-engine dialect — DataFusion's own where it
//! has one, extended where its output is wrong for the engine (`unparse.rs`), and the statement
//! is then adjusted where a dialect needs another shape (`rewrite.rs`). What an engine cannot
//! express is refused before any of that, by a walk over the IR (`support.rs`), with an error
//! naming the operation and the dialect.
//!
//! Sources appear as tables: a backend table (`Source::table`) under its qualified name, a file or
//! memtable under the same name DataFusion scans it by (`<label>_<short address>`), which the
//! engine that runs the SQL must provide. Parameters are placeholders in the dialect's own style
//! (see [`SqlDialect::placeholder_style`]) unless a value is bound.
//!
//! ```
//! use xorq_core::{DataType, Field, FileFormat, Schema, Source, Table, col, lit};
//! use xorq_engines::dialect::{SqlDialect, to_sql};
//!
//! let schema = Schema::new(vec![Field::new("amount", DataType::Float64, true)])?;
//! let t = Table::from_source(Source::table("warehouse", vec!["public".into(), "sales".into()], schema))?
//!     .filter(col("amount").gt(lit(100)))?;
//! let sql = to_sql(&t, SqlDialect::Snowflake)?;
//! assert!(sql.contains(r#""public"."sales""#) && sql.contains("> 100.0"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod rewrite;
mod support;
mod unparse;

use std::fmt;
use std::str::FromStr;

use datafusion::sql::unparser::Unparser;
use xorq_core::Table;

use crate::datafusion::{Lowering, ParamValues};
use crate::error::{EngineError, Result};

/// An SQL dialect that xorq can write queries in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SqlDialect {
    /// PostgreSQL.
    Postgres,
    /// DuckDB.
    DuckDb,
    /// SQLite.
    Sqlite,
    /// Snowflake.
    Snowflake,
    /// Google BigQuery (GoogleSQL).
    BigQuery,
    /// Trino (and Presto, Athena).
    Trino,
    /// Apache Spark SQL and Databricks SQL.
    Spark,
    /// Apache DataFusion, the embedded engine.
    DataFusion,
}

/// How a dialect writes a named parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaceholderStyle {
    /// `$name` (DuckDB, SQLite, DataFusion).
    DollarName,
    /// `$1`, `$2`, … numbered in the order of [`Table::params`] (PostgreSQL).
    DollarNumber,
    /// `@name` (BigQuery).
    AtName,
    /// `:name` (Snowflake, Spark).
    ColonName,
    /// None: the dialect has positional `?` parameters only, which cannot repeat a named
    /// parameter; values must be bound before SQL is generated (Trino).
    Unsupported,
}

impl SqlDialect {
    /// Every dialect, in a fixed order.
    pub const ALL: &'static [SqlDialect] = &[
        SqlDialect::Postgres,
        SqlDialect::DuckDb,
        SqlDialect::Sqlite,
        SqlDialect::Snowflake,
        SqlDialect::BigQuery,
        SqlDialect::Trino,
        SqlDialect::Spark,
        SqlDialect::DataFusion,
    ];

    /// The dialect's name on the command line and in errors (`snowflake`).
    pub fn name(self) -> &'static str {
        match self {
            SqlDialect::Postgres => "postgres",
            SqlDialect::DuckDb => "duckdb",
            SqlDialect::Sqlite => "sqlite",
            SqlDialect::Snowflake => "snowflake",
            SqlDialect::BigQuery => "bigquery",
            SqlDialect::Trino => "trino",
            SqlDialect::Spark => "spark",
            SqlDialect::DataFusion => "datafusion",
        }
    }

    /// The engine's name as people write it (`Snowflake`).
    pub fn display_name(self) -> &'static str {
        match self {
            SqlDialect::Postgres => "PostgreSQL",
            SqlDialect::DuckDb => "DuckDB",
            SqlDialect::Sqlite => "SQLite",
            SqlDialect::Snowflake => "Snowflake",
            SqlDialect::BigQuery => "BigQuery",
            SqlDialect::Trino => "Trino",
            SqlDialect::Spark => "Spark",
            SqlDialect::DataFusion => "DataFusion",
        }
    }

    /// How the dialect writes a named parameter.
    pub fn placeholder_style(self) -> PlaceholderStyle {
        match self {
            SqlDialect::Postgres => PlaceholderStyle::DollarNumber,
            SqlDialect::DuckDb | SqlDialect::Sqlite | SqlDialect::DataFusion => PlaceholderStyle::DollarName,
            SqlDialect::BigQuery => PlaceholderStyle::AtName,
            SqlDialect::Snowflake | SqlDialect::Spark => PlaceholderStyle::ColonName,
            SqlDialect::Trino => PlaceholderStyle::Unsupported,
        }
    }

    /// Whether the engine matches column names ignoring (ASCII) case, quoted or not: there, a
    /// relation with columns `A` and `a` is ambiguous, and SQLite silently reads the first.
    ///
    /// ```
    /// use xorq_engines::dialect::SqlDialect;
    /// assert!(SqlDialect::Sqlite.ignores_column_case());
    /// assert!(!SqlDialect::Postgres.ignores_column_case());
    /// ```
    pub fn ignores_column_case(self) -> bool {
        match self {
            SqlDialect::DuckDb | SqlDialect::Sqlite | SqlDialect::BigQuery | SqlDialect::Trino | SqlDialect::Spark => {
                true
            }
            SqlDialect::Postgres | SqlDialect::Snowflake | SqlDialect::DataFusion => false,
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            SqlDialect::Postgres => &["postgresql", "pg"],
            SqlDialect::Sqlite => &["sqlite3"],
            SqlDialect::Trino => &["presto", "athena"],
            SqlDialect::Spark => &["databricks", "sparksql"],
            SqlDialect::DataFusion => &["df"],
            _ => &[],
        }
    }
}

impl fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of [`SqlDialect::from_str`]: an unknown name, with the known ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownDialect(pub String);

impl fmt::Display for UnknownDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = SqlDialect::ALL.iter().map(|d| d.name()).collect();
        write!(f, "unknown SQL dialect `{}`; known dialects: {}", self.0, known.join(", "))
    }
}

impl std::error::Error for UnknownDialect {}

impl FromStr for SqlDialect {
    type Err = UnknownDialect;

    /// Reads a dialect name, case-insensitively; a few common aliases (`postgresql`,
    /// `databricks`, `presto`) are accepted.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        SqlDialect::ALL
            .iter()
            .copied()
            .find(|d| d.name() == lower || d.aliases().contains(&lower.as_str()))
            .ok_or_else(|| UnknownDialect(s.to_string()))
    }
}

/// Fails with [`EngineError::DialectUnsupported`] naming the first operation of `table` that
/// `dialect` cannot express (parameters in `values` count as literals), without writing SQL.
pub fn check(table: &Table, dialect: SqlDialect, values: &ParamValues) -> Result<()> {
    support::check(table, dialect, values)
}

/// The SQL of `table` in `dialect`, pretty-printed, with parameters as placeholders.
///
/// Fails with [`EngineError::DialectUnsupported`] naming the operation when the dialect cannot
/// express something in the expression.
pub fn to_sql(table: &Table, dialect: SqlDialect) -> Result<String> {
    to_sql_with(table, dialect, &ParamValues::new())
}

/// As [`to_sql`], with the parameters in `values` written as literals (the others stay
/// placeholders).
pub fn to_sql_with(table: &Table, dialect: SqlDialect, values: &ParamValues) -> Result<String> {
    support::check(table, dialect, values)?;
    let mut lowering = Lowering::new(values, 1).with_placeholders().for_sql();
    if dialect == SqlDialect::Sqlite {
        // SQLite turns an overflowing integer result into a float; the markers check it.
        lowering = lowering.with_checked_markers();
    }
    let plan = lowering.lower_table(table)?;
    let engine = unparse::EngineDialect::new(dialect);
    let mut statement = Unparser::new(&engine)
        .with_pretty(true)
        .plan_to_sql(&plan)
        .map_err(|e| EngineError::datafusion(format!("writing {} SQL", dialect.display_name()), e))?;
    let params: Vec<String> = table.params()?.into_iter().map(|p| p.name).collect();
    let ordered = rewrite::ordered_aggregates(&plan, &Unparser::new(&engine))?;
    rewrite::adjust(&mut statement, dialect, &params, &ordered)?;
    Ok(format!("{statement:#}"))
}
