//! `xorq sql <build>`: the SQL of a build for another engine (`--dialect snowflake`), written
//! from the IR by `xorq_engines::dialect`.

use std::path::PathBuf;

use xorq_engines::dialect::{SqlDialect, to_sql_with};

use crate::error::Result;
use crate::output::{Target, write_text};

/// What `xorq sql` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct SqlArgs {
    /// A build directory written by `xorq build`, or a catalog entry: `alias`, `alias@rN`, or an
    /// address prefix.
    pub build: PathBuf,
    /// The engine's dialect: postgres, duckdb, sqlite, snowflake, bigquery, trino, spark
    /// (also databricks), datafusion.
    #[arg(short, long, default_value = "datafusion", value_parser = parse_dialect)]
    pub dialect: SqlDialect,
    /// Write a parameter's value into the SQL: `-p threshold=0.5` (repeatable); the others stay
    /// placeholders in the dialect's style.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Write to this file (replaced atomically) instead of stdout.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The catalog an alias is looked up in.
    #[command(flatten)]
    pub catalog: super::target::CatalogOpts,
}

fn parse_dialect(text: &str) -> std::result::Result<SqlDialect, String> {
    text.parse().map_err(|e: xorq_engines::dialect::UnknownDialect| e.to_string())
}

/// Prints (or writes) the build's SQL in the chosen dialect.
pub fn run(args: &SqlArgs) -> Result<()> {
    let build = super::target::load(&args.build, &args.catalog)?;
    let values = super::run::parse_params(&args.params)?.resolve(&build.table)?;
    let sql = to_sql_with(&build.table, args.dialect, &values)?;
    let text = format!(
        "-- xorq-rs build {}: {} SQL. Backend tables appear by their names; files and memtables as\n-- `<name>_<address>` tables, which the engine must provide.\n{sql};\n",
        build.table.address().short(),
        args.dialect.display_name()
    );
    let target = args.output.clone().map_or(Target::Stdout, Target::File);
    write_text(&text, &target)
}
