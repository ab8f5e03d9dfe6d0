//! What DataFusion's SQL planner asks while planning: table sources (our table functions and
//! backend tables, each already an IR [`Table`]) and the function registry of a default session.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{DataType as ArrowType, SchemaRef as ArrowSchemaRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::{DataFusionError, TableReference};
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::planner::{ContextProvider, ExprPlanner};
use datafusion::logical_expr::{AggregateUDF, Expr as DfExpr, HigherOrderUDF, ScalarUDF, TableSource, WindowUDF};
use xorq_core::Table;

use super::locate::Locator;
use super::sources::{TableResolver, table_function};
use crate::error::EngineError;

/// A table source that carries the IR table it stands for; the lift reads it back from the scan.
#[derive(Debug)]
pub(crate) struct SqlSource {
    pub table: Table,
    schema: ArrowSchemaRef,
}

impl TableSource for SqlSource {
    fn schema(&self) -> ArrowSchemaRef {
        Arc::clone(&self.schema)
    }
}

fn source(table: Table) -> Arc<dyn TableSource> {
    let schema = Arc::new(table.schema().to_arrow());
    Arc::new(SqlSource { table, schema })
}

/// The planner's view of the world for one query.
pub(crate) struct SqlContext<'a> {
    state: SessionState,
    options: ConfigOptions,
    resolver: &'a dyn TableResolver,
    base_dir: Option<&'a Path>,
    locator: &'a Locator<'a>,
    /// Sources already built, by call or name, so a source used twice is probed once.
    built: RefCell<BTreeMap<String, Table>>,
}

fn external(e: EngineError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl<'a> SqlContext<'a> {
    pub(crate) fn new(resolver: &'a dyn TableResolver, base_dir: Option<&'a Path>, locator: &'a Locator<'a>) -> Self {
        let state = SessionStateBuilder::new().with_default_features().build();
        let mut options = state.config_options().as_ref().clone();
        // Column references carry their position, so DataFusion's errors point into the text.
        options.sql_parser.collect_spans = true;
        SqlContext { state, options, resolver, base_dir, locator, built: RefCell::new(BTreeMap::new()) }
    }

    /// The options the SQL planner reads.
    pub(crate) fn options(&self) -> &ConfigOptions {
        &self.options
    }

    fn cached(&self, key: &str, build: impl FnOnce() -> Result<Table, EngineError>) -> Result<Table, EngineError> {
        if let Some(t) = self.built.borrow().get(key) {
            return Ok(t.clone());
        }
        let table = build()?;
        self.built.borrow_mut().insert(key.to_string(), table.clone());
        Ok(table)
    }
}

impl ContextProvider for SqlContext<'_> {
    fn get_table_source(&self, name: TableReference) -> datafusion::common::Result<Arc<dyn TableSource>> {
        let (profile, path): (String, Vec<String>) = match &name {
            TableReference::Bare { table } => {
                // Also asked for CTE names, whose answer the planner then ignores: no side effects.
                let key = format!("bare {table}");
                if let Some(t) = self.built.borrow().get(&key) {
                    return Ok(source(t.clone()));
                }
                let found = self.resolver.bare_table(table).map_err(|e| {
                    external(match e {
                        e @ EngineError::Sql { .. } => e,
                        other => self.locator.error(other.to_string(), self.locator.relation(&[table.to_string()])),
                    })
                })?;
                if let Some(t) = found {
                    self.built.borrow_mut().insert(key, t.clone());
                    return Ok(source(t));
                }
                return Err(external(self.locator.error(
                    format!(
                        "unknown table `{table}`: read files with read_parquet('…'), read_csv('…') or read_json('…'), or name a backend table as `<profile>.<schema>.<table>`"
                    ),
                    self.locator.relation(&[table.to_string()]),
                )));
            }
            TableReference::Partial { schema, table } => (schema.to_string(), vec![table.to_string()]),
            TableReference::Full { catalog, schema, table } => {
                (catalog.to_string(), vec![schema.to_string(), table.to_string()])
            }
        };
        let key = format!("table {name}");
        let table = self.cached(&key, || self.resolver.table(&profile, &path)).map_err(|e| {
            let mut parts = vec![profile.clone()];
            parts.extend(path.iter().cloned());
            external(match e {
                e @ EngineError::Sql { .. } => e,
                other => self.locator.error(other.to_string(), self.locator.relation(&parts)),
            })
        })?;
        Ok(source(table))
    }

    fn get_table_function_source(
        &self,
        name: &str,
        args: Vec<DfExpr>,
    ) -> datafusion::common::Result<Arc<dyn TableSource>> {
        let first = args.first().and_then(|a| match a {
            DfExpr::Literal(v, _) => v.try_as_str().flatten().map(str::to_string),
            _ => None,
        });
        let key = format!("function {name}({})", args.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "));
        let table = self
            .cached(&key, || {
                table_function(name, &args, self.base_dir).map_err(|message| {
                    let at = self
                        .locator
                        .table_function(name, first.as_deref())
                        .or_else(|| self.locator.table_function(name, None));
                    self.locator.error(message, at)
                })
            })
            .map_err(external)?;
        Ok(source(table))
    }

    fn get_expr_planners(&self) -> &[Arc<dyn ExprPlanner>] {
        self.state.expr_planners()
    }

    fn get_function_meta(&self, name: &str) -> Option<Arc<ScalarUDF>> {
        // DataFusion's own, else one the program registered (`xorq::functions`).
        self.state
            .scalar_functions()
            .get(name)
            .cloned()
            .or_else(|| crate::datafusion::functions::registered_scalar_named(name))
    }

    fn get_higher_order_meta(&self, name: &str) -> Option<Arc<HigherOrderUDF>> {
        self.state.higher_order_functions().get(name).cloned()
    }

    fn get_aggregate_meta(&self, name: &str) -> Option<Arc<AggregateUDF>> {
        self.state
            .aggregate_functions()
            .get(name)
            .cloned()
            .or_else(|| crate::datafusion::functions::registered_aggregate_named(name))
    }

    fn get_window_meta(&self, name: &str) -> Option<Arc<WindowUDF>> {
        self.state.window_functions().get(name).cloned()
    }

    fn get_variable_type(&self, _variable_names: &[String]) -> Option<ArrowType> {
        None
    }

    fn options(&self) -> &ConfigOptions {
        &self.options
    }

    fn udf_names(&self) -> Vec<String> {
        self.state.scalar_functions().keys().cloned().collect()
    }

    fn higher_order_function_names(&self) -> Vec<String> {
        self.state.higher_order_functions().keys().cloned().collect()
    }

    fn udaf_names(&self) -> Vec<String> {
        self.state.aggregate_functions().keys().cloned().collect()
    }

    fn udwf_names(&self) -> Vec<String> {
        self.state.window_functions().keys().cloned().collect()
    }
}
