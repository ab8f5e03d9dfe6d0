//! Rows bound to an expression's unbound inputs for one run (`Table::unbind`, `Table::input`).
//!
//! Each input is bound to a stream of Arrow record batches that is read **once**, as a Flight
//! client's stream or a pipe can only be: a plan that would read an input twice (a self-join of
//! the input) fails with an error naming it instead of reading nothing the second time. The rows
//! are checked against the input's schema (names and logical types, in order) before the run
//! starts, and converted to the engine's layout where only the physical layout differs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::{FutureExt, StreamExt};
use xorq_core::Schema;
use xorq_engines::backend::{conform_batch, stream_provider};

use crate::error::{ExecError, Result};

/// Streams bound to unbound inputs by name, for one run.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int64Array, RecordBatch};
/// use xorq_core::{col, lit, DataType, Field, Schema, Table};
/// use xorq_exec::{Params, Session, inputs::Inputs};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let schema = Schema::new(vec![Field::new("x", DataType::Int64, true)])?;
/// let open = Table::input("rows", schema)?.filter(col("x").gt(lit(1)))?;
/// let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2, 3])) as _)])?;
/// let inputs = Inputs::new().bind_batches("rows", vec![batch])?;
/// let out = Session::new().execute_with_inputs(&open, &Params::new(), inputs).await?;
/// assert_eq!(out.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Default)]
pub struct Inputs {
    streams: BTreeMap<String, SendableRecordBatchStream>,
}

impl Inputs {
    /// No bindings.
    pub fn new() -> Self {
        Inputs::default()
    }

    /// Binds the input `name` to `stream` (read once). Binding one name twice is an error.
    pub fn bind(mut self, name: &str, stream: SendableRecordBatchStream) -> Result<Self> {
        if self.streams.contains_key(name) {
            return Err(input_error(name, "is bound twice; bind each input once"));
        }
        self.streams.insert(name.to_string(), stream);
        Ok(self)
    }

    /// Binds the input `name` to `batches` (all of one schema; at least one batch, which gives
    /// the schema).
    pub fn bind_batches(self, name: &str, batches: Vec<RecordBatch>) -> Result<Self> {
        let Some(schema) = batches.first().map(RecordBatch::schema) else {
            return Err(input_error(name, "is bound to no batches; bind a stream to give an empty input its schema"));
        };
        let rows = futures::stream::iter(batches.into_iter().map(Ok));
        self.bind(name, Box::pin(RecordBatchStreamAdapter::new(schema, rows)))
    }

    /// The names bound.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.streams.keys().map(String::as_str)
    }

    /// Checks the bindings against the inputs an expression reads (`declared`) and turns each
    /// into a table that can be scanned once.
    pub(crate) fn into_providers(
        self,
        declared: &BTreeMap<String, xorq_core::SchemaRef>,
    ) -> Result<BTreeMap<String, Arc<dyn TableProvider>>> {
        let names = |m: &BTreeMap<String, xorq_core::SchemaRef>| {
            m.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        };
        if let Some(extra) = self.streams.keys().find(|k| !declared.contains_key(*k)) {
            let reads = if declared.is_empty() { "no unbound input".to_string() } else { names(declared) };
            return Err(input_error(extra, &format!("is not read by this expression (it reads {reads})")));
        }
        if let Some(missing) = declared.keys().find(|k| !self.streams.contains_key(*k)) {
            return Err(input_error(missing, "is not bound to any rows; bind a stream to it for this run"));
        }
        let mut out = BTreeMap::new();
        for (name, stream) in self.streams {
            let schema = &declared[&name];
            let (target, positions) = check_schema(&name, schema, &stream.schema())?;
            out.insert(name.clone(), one_shot(name, target, positions, stream)?);
        }
        Ok(out)
    }
}

fn input_error(name: &str, message: &str) -> ExecError {
    ExecError::Input { input: name.to_string(), message: message.to_string() }
}

/// The Arrow schema the engine scans for an input of `declared` (every column nullable, as for
/// file sources), and where each of its columns is in the bound rows: the bound columns are
/// matched by name (in any order) and must have the declared logical types (`Utf8`, `LargeUtf8`
/// and `Utf8View` are one type, as are dictionary-encoded values and their values); the error
/// names the first column that is missing, extra or of another type.
fn check_schema(name: &str, declared: &Schema, bound: &ArrowSchemaRef) -> Result<(ArrowSchemaRef, Vec<usize>)> {
    let got = Schema::from_arrow(bound)
        .map_err(|e| input_error(name, &format!("has rows of a type xorq cannot read: {e}")))?;
    let describe =
        |s: &Schema| s.fields().iter().map(|f| format!("{}: {}", f.name, f.dtype)).collect::<Vec<_>>().join(", ");
    let mut positions = Vec::with_capacity(declared.len());
    let mut problem = None;
    for d in declared.fields() {
        match got.fields().iter().position(|g| g.name == d.name) {
            Some(i) if got.fields()[i].dtype == d.dtype => positions.push(i),
            Some(i) => {
                problem = Some(format!("column `{}` is {}, expected {}", d.name, got.fields()[i].dtype, d.dtype));
                break;
            }
            None => {
                problem = Some(format!("column `{}` ({}) is missing", d.name, d.dtype));
                break;
            }
        }
    }
    if problem.is_none()
        && let Some(extra) = got.fields().iter().find(|g| declared.field(&g.name).is_none())
    {
        problem = Some(format!("column `{}` is not one of the input's", extra.name));
    }
    if let Some(problem) = problem {
        return Err(input_error(
            name,
            &format!(
                "expects columns ({}) but was bound to rows with ({}): {problem}",
                describe(declared),
                describe(&got)
            ),
        ));
    }
    let fields: Vec<arrow::datatypes::Field> =
        declared.to_arrow().fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect();
    Ok((Arc::new(arrow::datatypes::Schema::new(fields)), positions))
}

/// A table whose one scan streams `stream`'s rows as `schema`; a second scan is an error.
fn one_shot(
    name: String,
    schema: ArrowSchemaRef,
    positions: Vec<usize>,
    stream: SendableRecordBatchStream,
) -> Result<Arc<dyn TableProvider>> {
    let in_order = positions.iter().enumerate().all(|(i, p)| i == *p);
    let positions = Arc::new(positions);
    let slot = Arc::new(Mutex::new(Some(stream)));
    let target = Arc::clone(&schema);
    let factory: xorq_engines::backend::StreamFactory = Arc::new(move || {
        // A poisoned lock means another scan panicked while taking the stream: it is gone.
        let taken = slot.lock().ok().and_then(|mut s| s.take());
        let (name, target, positions) = (name.clone(), Arc::clone(&target), Arc::clone(&positions));
        async move {
            let Some(stream) = taken else {
                return Err(datafusion::error::DataFusionError::External(Box::new(input_error(
                    &name,
                    "was read already: its rows are a stream that can be read once, and this plan reads the input twice",
                ))));
            };
            let out_schema = Arc::clone(&target);
            let rows = stream.map(move |batch| {
                let arrow = |e| datafusion::error::DataFusionError::ArrowError(Box::new(e), None);
                let batch = batch?;
                let batch = if in_order { batch } else { batch.project(&positions).map_err(arrow)? };
                conform_batch(&batch, &target).map_err(arrow)
            });
            Ok(Box::pin(RecordBatchStreamAdapter::new(out_schema, rows)) as SendableRecordBatchStream)
        }
        .boxed()
    });
    stream_provider(schema, factory).map_err(ExecError::from)
}
