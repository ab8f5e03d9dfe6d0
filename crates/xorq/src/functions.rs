//! Functions of your own, registered once when the program starts: a catalogue entry
//! ([`FunctionDef`]: stable name, version, typing, determinism, nulls, doc) and the DataFusion
//! implementation that computes it.
//!
//! An expression refers to a registered function by name and version only, as to a built-in:
//! both enter the address and `expr.yaml`; no code is ever read from a manifest, and reading one
//! that names a function or version this program has not registered is an error listing what
//! it has. A node that calls a registered function runs on the embedded engine (no SQL engine
//! has it), its input rows streamed in from wherever they live. Give a changed function a new
//! version: the address changes with it, so no cached result of the old meaning is reused.
//!
//! ```
//! use std::sync::Arc;
//! use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
//! use datafusion::arrow::datatypes::DataType as ArrowType;
//! use xorq::functions::{self, FunctionDef, Param, Ret, Typing};
//! use xorq::prelude::*;
//!
//! static HALF: FunctionDef = FunctionDef::scalar(
//!     "doc_half",
//!     Typing::Params { params: &[Param::Float64], required: 1, result: Ret::Arg(0) },
//!     "half of its argument",
//! );
//! let udf = create_udf("doc_half", vec![ArrowType::Float64], ArrowType::Float64, Volatility::Immutable,
//!     Arc::new(|args: &[ColumnarValue]| {
//!         let arrays = ColumnarValue::values_to_arrays(args)?;
//!         let x = datafusion::arrow::compute::cast(&arrays[0], &ArrowType::Float64)?;
//!         let half = datafusion::arrow::compute::kernels::numeric::div(
//!             &x, &datafusion::arrow::array::Float64Array::new_scalar(2.0))?;
//!         Ok(ColumnarValue::Array(half))
//!     }));
//! let half = functions::register_scalar(&HALF, udf)?;
//! let t = xorq::memtable(vec![datafusion::arrow::array::RecordBatch::try_from_iter([(
//!     "x", Arc::new(datafusion::arrow::array::Float64Array::from(vec![3.0])) as _)])?])?;
//! let out = t.select([xorq::Expr::call_function(half, vec![col("x")]).alias("h")])?.execute()?;
//! assert_eq!(out[0].num_rows(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use xorq_core::expr::func::registry;
pub use xorq_core::expr::func::registry::registered;
use xorq_core::expr::func::table;
pub use xorq_core::expr::func::table::{OutputSchema, TableFunc, TableFunctionDef};
pub use xorq_core::expr::func::{Determinism, FunctionDef, Nulls, Param, Ret, Ty, Typing};
use xorq_core::{AggFunc, ScalarFunc};
pub use xorq_engines::datafusion::table_function::TableFunctionImpl;

use crate::Result;

/// Registers the scalar function `def`, computed in DataFusion by `udf`, and returns its handle
/// (for [`Expr::call_function`](crate::Expr::call_function)). Registering the same static entry
/// again replaces nothing and returns the same handle.
pub fn register_scalar(def: &'static FunctionDef, udf: ScalarUDF) -> Result<ScalarFunc> {
    registry::register(def)?;
    let func = ScalarFunc::new(def)?;
    xorq_engines::datafusion::functions::register_scalar_udf(func, udf)?;
    Ok(func)
}

/// Registers the aggregate `def`, computed in DataFusion by `udaf`, and returns its handle (for
/// [`Expr::aggregate`](crate::Expr::aggregate)).
pub fn register_aggregate(def: &'static FunctionDef, udaf: AggregateUDF) -> Result<AggFunc> {
    registry::register(def)?;
    let func = AggFunc::new(def)?;
    xorq_engines::datafusion::functions::register_aggregate_udaf(func, udaf)?;
    Ok(func)
}

/// Registers the table function `def`, computed in DataFusion by `implementation` (one output
/// batch per input batch), and returns its handle (for [`Table::table_function`](crate::Table::table_function)). Its node runs
/// on the embedded engine, its input rows streamed there from wherever they live.
///
/// ```
/// use std::sync::Arc;
/// use datafusion::arrow::array::{Array, Int64Array, RecordBatch};
/// use datafusion::arrow::compute::kernels::numeric::mul;
/// use xorq::functions::{self, TableFunctionDef};
/// use xorq::{Execute, Literal};
///
/// // Every column multiplied by the factor given as its argument.
/// static SCALED: TableFunctionDef = TableFunctionDef::new("doc_scaled", |input, args| match args {
///     [Literal::Int64(_)] => Ok(input.clone()),
///     _ => Err("takes one Int64 factor".into()),
/// }, "every column times a factor");
/// let scaled = functions::register_table(&SCALED, Arc::new(|batch: RecordBatch, args: &[Literal]| {
///     let [Literal::Int64(k)] = args else { unreachable!("checked by the output schema") };
///     let columns = batch.columns().iter()
///         .map(|c| mul(c, &Int64Array::new_scalar(*k)))
///         .collect::<Result<Vec<_>, _>>()?;
///     Ok(RecordBatch::try_new(batch.schema(), columns)?)
/// }))?;
/// let t = xorq::memtable(vec![RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)])?])?;
/// let out = t.table_function(scaled, vec![Literal::Int64(10)])?.execute()?;
/// let x = out[0].column(0).as_any().downcast_ref::<Int64Array>().unwrap();
/// assert_eq!(x.values(), &[10, 20]);
/// assert!(t.table_function(scaled, vec![]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn register_table(def: &'static TableFunctionDef, implementation: TableFunctionImpl) -> Result<TableFunc> {
    let func = table::register(def)?;
    xorq_engines::datafusion::table_function::register_table_function(func, implementation);
    Ok(func)
}
