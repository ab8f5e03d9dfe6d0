//! A table's columns from the system catalog, as an IR schema.

use tokio_postgres::Client;
use xorq_core::{Field, Schema};

use super::config::Settings;
use super::session::statement_error;
use super::types::ir_type;
use crate::error::{EngineError, Result};

/// The relation of a (quoted, qualified) name, when it is a table, view, materialized view,
/// foreign or partitioned table, in the current database (`$2`, the catalog part, if given).
const FIND: &str = "SELECT c.oid FROM pg_catalog.pg_class c \
     WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'v', 'm', 'f', 'p') \
       AND ($2::text IS NULL OR $2::text = pg_catalog.current_database())";

/// The columns in order: name, type (a domain's base type), modifier, whether an enum, the
/// declared type as written, whether nullable.
const COLUMNS: &str = "SELECT a.attname::text, \
       CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, \
       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END, \
       COALESCE(b.typtype, t.typtype) = 'e', \
       pg_catalog.format_type(a.atttypid, a.atttypmod), \
       NOT a.attnotnull \
     FROM pg_catalog.pg_attribute a \
     JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
     LEFT JOIN pg_catalog.pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype \
     WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped \
     ORDER BY a.attnum";

/// `"a"."b"`: every part quoted, so names are taken exactly as written.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The schema of `table` (`[catalog.][schema.]name`; without a schema, the search path decides).
pub(crate) async fn table_schema(
    client: &Client,
    profile: &str,
    settings: &Settings,
    table: &[String],
) -> Result<Schema> {
    let shown = table.join(".");
    let (catalog, path) = match table {
        [catalog, schema, name] => (Some(catalog.as_str()), vec![schema, name]),
        [schema, name] => (None, vec![schema, name]),
        [name] => (None, vec![name]),
        _ => {
            return Err(EngineError::Backend {
                profile: profile.to_string(),
                context: format!("naming table `{shown}`"),
                message: "expected `table`, `schema.table` or `catalog.schema.table`".into(),
            });
        }
    };
    let qualified = path.iter().map(|p| quote_ident(p)).collect::<Vec<_>>().join(".");
    let context = format!("reading the columns of `{shown}`");
    let found = client
        .query_opt(FIND, &[&qualified, &catalog])
        .await
        .map_err(|e| statement_error(profile, settings, &context, &e))?;
    let Some(found) = found else {
        return Err(EngineError::TableNotFound { profile: profile.to_string(), table: shown });
    };
    let oid: u32 = found.try_get(0).map_err(|e| statement_error(profile, settings, &context, &e))?;
    let rows = client.query(COLUMNS, &[&oid]).await.map_err(|e| statement_error(profile, settings, &context, &e))?;
    let mut fields = Vec::with_capacity(rows.len());
    for row in rows {
        let read = |e: tokio_postgres::Error| statement_error(profile, settings, &context, &e);
        let name: String = row.try_get(0).map_err(read)?;
        let type_oid: u32 = row.try_get(1).map_err(read)?;
        let typmod: i32 = row.try_get(2).map_err(read)?;
        let is_enum: bool = row.try_get(3).map_err(read)?;
        let declared: String = row.try_get(4).map_err(read)?;
        let nullable: bool = row.try_get(5).map_err(read)?;
        let dtype = ir_type(type_oid, typmod, is_enum).map_err(|why| EngineError::Backend {
            profile: profile.to_string(),
            context: context.clone(),
            message: format!("column `{name}` of `{shown}` has type `{declared}`: {why}"),
        })?;
        fields.push(Field::new(name, dtype, nullable));
    }
    Ok(Schema::new_in(fields, &format!("table `{shown}` of backend profile `{profile}`"))?)
}
