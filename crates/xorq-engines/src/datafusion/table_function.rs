//! Registered table functions in DataFusion: the input's plan is planned and run by the same
//! session, and each of its batches goes through the function on its way out. The function is
//! opaque to DataFusion's optimizer (nothing is pushed through it); the input below it is
//! optimized as usual.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use arrow::array::{RecordBatch, RecordBatchOptions};
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use async_trait::async_trait;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::catalog::{Session, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use futures::StreamExt;
use xorq_core::{Literal, TableFunc};

use crate::error::{EngineError, Result};

/// A table function's DataFusion implementation: one output batch for each input batch, given
/// the call's constant arguments. Its batches must have the output schema the function's entry
/// declares (names, types and nullability); a batch that does not is an error naming the
/// function, never a silent cast.
pub type TableFunctionImpl = Arc<dyn Fn(RecordBatch, &[Literal]) -> DfResult<RecordBatch> + Send + Sync>;

static IMPLEMENTATIONS: LazyLock<RwLock<HashMap<(&'static str, u32), TableFunctionImpl>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

/// Registers the DataFusion implementation of the table function `func` (registered in
/// `xorq_core::expr::func::table`); a second registration of the same name and version replaces
/// the first.
pub fn register_table_function(func: TableFunc, implementation: TableFunctionImpl) {
    IMPLEMENTATIONS
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert((func.name(), func.version()), implementation);
}

fn implementation(func: TableFunc) -> Result<TableFunctionImpl> {
    IMPLEMENTATIONS
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&(func.name(), func.version()))
        .cloned()
        .ok_or_else(|| EngineError::Unsupported {
            engine: "DataFusion".into(),
            what: format!(
                "table function `{}` version {} (no implementation is registered)",
                func.name(),
                func.version()
            ),
            hint: "\nhint: register it with `xorq::functions::register_table` before running the expression".into(),
        })
}

/// A table whose scan runs `input` and passes each batch through the table function.
pub(crate) fn provider(
    func: TableFunc,
    args: Vec<Literal>,
    input: LogicalPlan,
    schema: ArrowSchemaRef,
) -> Result<Arc<dyn TableProvider>> {
    Ok(Arc::new(TableFunctionTable {
        func,
        implementation: implementation(func)?,
        args: Arc::new(args),
        input,
        schema,
    }))
}

struct TableFunctionTable {
    func: TableFunc,
    implementation: TableFunctionImpl,
    args: Arc<Vec<Literal>>,
    input: LogicalPlan,
    schema: ArrowSchemaRef,
}

impl fmt::Debug for TableFunctionTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableFunctionTable").field("func", &self.func).finish_non_exhaustive()
    }
}

#[async_trait]
impl TableProvider for TableFunctionTable {
    fn schema(&self) -> ArrowSchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let input = state.create_physical_plan(&self.input).await?;
        let count = input.output_partitioning().partition_count().max(1);
        let partitions: Vec<Arc<dyn PartitionStream>> = (0..count)
            .map(|partition| {
                Arc::new(MappedPartition {
                    func: self.func,
                    implementation: Arc::clone(&self.implementation),
                    args: Arc::clone(&self.args),
                    input: Arc::clone(&input),
                    partition,
                    schema: Arc::clone(&self.schema),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        StreamingTable::try_new(Arc::clone(&self.schema), partitions)?.scan(state, projection, filters, limit).await
    }
}

struct MappedPartition {
    func: TableFunc,
    implementation: TableFunctionImpl,
    args: Arc<Vec<Literal>>,
    input: Arc<dyn ExecutionPlan>,
    partition: usize,
    schema: ArrowSchemaRef,
}

impl fmt::Debug for MappedPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappedPartition").field("func", &self.func).field("partition", &self.partition).finish()
    }
}

impl PartitionStream for MappedPartition {
    fn schema(&self) -> &ArrowSchemaRef {
        &self.schema
    }

    fn execute(&self, ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = Arc::clone(&self.schema);
        // A plan of no partitions is read as one empty partition.
        let input = if self.partition < self.input.output_partitioning().partition_count() {
            self.input.execute(self.partition, ctx)
        } else {
            Ok(Box::pin(RecordBatchStreamAdapter::new(self.input.schema(), futures::stream::empty()))
                as SendableRecordBatchStream)
        };
        let input = match input {
            Ok(stream) => stream,
            Err(e) => return Box::pin(RecordBatchStreamAdapter::new(schema, futures::stream::once(async { Err(e) }))),
        };
        let (func, implementation, args, out_schema) =
            (self.func, Arc::clone(&self.implementation), Arc::clone(&self.args), Arc::clone(&schema));
        let mapped = input.map(move |batch| {
            let out = implementation(batch?, &args)?;
            conform(func, out, &out_schema)
        });
        Box::pin(RecordBatchStreamAdapter::new(schema, mapped))
    }
}

/// `batch` with exactly the declared schema, or an error naming the function and the first
/// difference.
fn conform(func: TableFunc, batch: RecordBatch, schema: &ArrowSchemaRef) -> DfResult<RecordBatch> {
    let got = batch.schema();
    let mismatch = |detail: String| {
        DataFusionError::Execution(format!(
            "table function `{}` version {} returned a batch that does not have its declared schema: {detail}",
            func.name(),
            func.version()
        ))
    };
    if got.fields().len() != schema.fields().len() {
        return Err(mismatch(format!("{} columns, declared {}", got.fields().len(), schema.fields().len())));
    }
    for (g, d) in got.fields().iter().zip(schema.fields()) {
        if g.name() != d.name() || g.data_type() != d.data_type() {
            return Err(mismatch(format!(
                "column `{}` of type {}, declared `{}` of type {}",
                g.name(),
                g.data_type(),
                d.name(),
                d.data_type()
            )));
        }
    }
    // Checks nullability too: a column declared non-null must have no nulls.
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::clone(schema), batch.columns().to_vec(), &options)
        .map_err(|e| mismatch(e.to_string()))
}
