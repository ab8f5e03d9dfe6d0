//! The tables of the DataFusion session as xorq sources: a table's rows (as the file's statements
//! left them) become a memtable the lifted query reads; a view is lifted from its SQL, so its
//! logic runs through xorq too.

use std::cell::RefCell;
use std::collections::HashMap;

use datafusion::catalog::TableProvider;
use datafusion::catalog::view::ViewTable;
use datafusion::common::TableReference;
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParserBuilder, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::Statement;
use tokio::runtime::Runtime;
use xorq::{NoBackends, Schema, SqlOptions, Table, TableResolver, sql_to_table_with};
use xorq_engines::EngineError;

/// Tables of one session, each built once until the session's tables change.
pub struct SessionTables<'a> {
    ctx: &'a SessionContext,
    rt: &'a Runtime,
    built: RefCell<HashMap<String, Table>>,
}

impl<'a> SessionTables<'a> {
    pub fn new(ctx: &'a SessionContext, rt: &'a Runtime) -> Self {
        SessionTables { ctx, rt, built: RefCell::new(HashMap::new()) }
    }

    /// Forgets every table: a statement may have changed them.
    pub fn clear(&self) {
        self.built.borrow_mut().clear();
    }

    fn lookup(&self, reference: TableReference) -> Result<Option<Table>, EngineError> {
        let key = reference.to_string();
        if let Some(t) = self.built.borrow().get(&key) {
            return Ok(Some(t.clone()));
        }
        let Ok(provider) = self.rt.block_on(self.ctx.table_provider(reference.clone())) else { return Ok(None) };
        let table = match provider.downcast_ref::<ViewTable>() {
            Some(view) => self.view(&key, view)?,
            None => self.rows(&key, provider)?,
        };
        self.built.borrow_mut().insert(key, table.clone());
        Ok(Some(table))
    }

    fn rows(&self, name: &str, provider: std::sync::Arc<dyn TableProvider>) -> Result<Table, EngineError> {
        let context = || format!("reading the rows of table `{name}` from the DataFusion session");
        let df = self.ctx.read_table(provider.clone()).map_err(|e| datafusion_error(context(), e))?;
        let batches = self.rt.block_on(df.collect()).map_err(|e| datafusion_error(context(), e))?;
        let schema = Schema::from_arrow(&provider.schema())?;
        Ok(Table::memtable_with_schema(schema, batches)?)
    }

    fn view(&self, name: &str, view: &ViewTable) -> Result<Table, EngineError> {
        let query = view.definition().and_then(|d| view_query(d)).ok_or_else(|| EngineError::Sql {
            message: format!("view `{name}` has no SQL definition to lift"),
            line: 1,
            column: 1,
        })?;
        sql_to_table_with(&query, self, &SqlOptions::default()).map_err(|e| EngineError::Sql {
            message: format!("in view `{name}` ({query}): {e}"),
            line: 1,
            column: 1,
        })
    }
}

/// The query of a `CREATE VIEW … AS <query>` statement.
fn view_query(definition: &str) -> Option<String> {
    let mut statements = DFParserBuilder::new(definition).build().ok()?.parse_statements().ok()?;
    match statements.pop_front()? {
        DfStatement::Statement(s) => match *s {
            Statement::CreateView(v) => Some(v.query.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn datafusion_error(context: String, e: DataFusionError) -> EngineError {
    EngineError::DataFusion { context, source: Box::new(e) }
}

impl TableResolver for SessionTables<'_> {
    fn table(&self, profile: &str, path: &[String]) -> Result<Table, EngineError> {
        let reference = match path {
            [table] => TableReference::partial(profile, table.as_str()),
            [schema, table] => TableReference::full(profile, schema.as_str(), table.as_str()),
            _ => return NoBackends.table(profile, path),
        };
        self.lookup(reference)?.map_or_else(|| NoBackends.table(profile, path), Ok)
    }

    fn bare_table(&self, name: &str) -> Result<Option<Table>, EngineError> {
        self.lookup(TableReference::bare(name))
    }
}
