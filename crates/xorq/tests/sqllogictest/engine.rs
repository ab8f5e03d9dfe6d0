//! The DataFusion side: the session a file's statements run in (configured as DataFusion's own
//! runner does), its answers formatted as sqllogictest text, and what a statement is.

use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::execution::SessionStateBuilder;
use datafusion::physical_plan::execute_stream;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParserBuilder, Statement as DfStatement};
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::{ObjectName, Statement};

use crate::format;

/// What a query gave, as sqllogictest text.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// DataFusion's column type letters.
    pub types: String,
    /// The cells of each row.
    pub rows: Vec<Vec<String>>,
    /// The column names.
    pub names: Vec<String>,
}

/// A session like the one DataFusion's runner gives a file without special tables
/// (`TestContext::try_new_for_test_file`): default features, four target partitions.
pub fn session() -> SessionContext {
    let config = SessionConfig::new().with_target_partitions(4);
    SessionContext::new_with_state(SessionStateBuilder::new().with_config(config).with_default_features().build())
}

/// Runs `sql` as DataFusion's runner does (`run_query`) and formats the answer.
pub async fn run(ctx: &SessionContext, sql: &str, root: &str) -> Result<Answer, String> {
    let df = ctx.sql(sql).await.map_err(message)?;
    let task = Arc::new(df.task_ctx());
    let plan = df.create_physical_plan().await.map_err(message)?;
    let schema = plan.schema();
    let batches = collect_stream(execute_stream(plan, task).map_err(message)?).await?;
    let names = schema.fields().iter().map(|f| f.name().clone()).collect();
    Ok(Answer { types: format::type_letters(&schema), rows: format::rows(&batches, root)?, names })
}

async fn collect_stream(
    stream: datafusion::execution::SendableRecordBatchStream,
) -> Result<Vec<arrow::array::RecordBatch>, String> {
    datafusion::physical_plan::common::collect(stream).await.map_err(message)
}

/// DataFusion's error, without the backtrace.
pub fn message(e: DataFusionError) -> String {
    e.strip_backtrace()
}

/// What kind of SQL a record holds, by DataFusion's parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A query: it goes through xorq.
    Query,
    /// `SET`/`RESET`: changes DataFusion's configuration, not the tables.
    Setting,
    /// `CREATE EXTERNAL TABLE`, with its table name and locations.
    External { table: String, locations: Vec<String>, unbounded: bool },
    /// Anything else (DDL, DML, `EXPLAIN`, `COPY`, …), with the table it creates if any.
    Other { creates: Option<String> },
}

/// The kind of `sql`. Text DataFusion cannot parse counts as a query when it starts like one
/// (so xorq is asked too), else as another statement.
pub fn kind(sql: &str) -> Kind {
    let first = sql.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    if first == "SET" || first == "RESET" {
        return Kind::Setting;
    }
    let parsed = DFParserBuilder::new(sql).build().and_then(|mut p| p.parse_statements());
    match parsed {
        Ok(statements) if statements.len() == 1 => match &statements[0] {
            DfStatement::Statement(s) => match s.as_ref() {
                Statement::Query(_) => Kind::Query,
                Statement::CreateTable(c) => Kind::Other { creates: Some(object_name(&c.name)) },
                Statement::CreateView(v) => Kind::Other { creates: Some(object_name(&v.name)) },
                _ => Kind::Other { creates: None },
            },
            DfStatement::CreateExternalTable(c) => {
                Kind::External { table: object_name(&c.name), locations: c.locations.clone(), unbounded: c.unbounded }
            }
            _ => Kind::Other { creates: None },
        },
        Ok(_) => Kind::Other { creates: None },
        Err(_) => {
            let query_like = ["SELECT", "WITH", "VALUES", "("].iter().any(|k| first.starts_with(k));
            if query_like { Kind::Query } else { Kind::Other { creates: None } }
        }
    }
}

/// The tables `sql` reads (CTEs excluded), by their normalized bare names; empty when DataFusion
/// cannot parse it.
pub fn tables_read(sql: &str) -> Vec<String> {
    let Ok(mut statements) = DFParserBuilder::new(sql).build().and_then(|mut p| p.parse_statements()) else {
        return Vec::new();
    };
    let Some(statement) = statements.pop_front() else { return Vec::new() };
    match resolve_table_references(&statement, true) {
        Ok((tables, _ctes)) => tables.iter().map(|t| t.table().to_string()).collect(),
        Err(_) => Vec::new(),
    }
}

/// A table name as DataFusion normalizes it: the last part, lower-cased unless quoted.
fn object_name(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() })
        .unwrap_or_default()
}
