//! `VALUES (…), (…)` and `SELECT` without `FROM`: constant rows become an in-memory table (a
//! memtable, named in the address by the hash of its values and stored in a build as Parquet).
//!
//! Each value is folded to a constant by DataFusion's simplifier (so `-1`, `1 + 2` and
//! `CAST('2024-01-31' AS DATE)` are constants) and cast to the column type DataFusion's planner
//! gave the `VALUES` list, so the rows are exactly the ones DataFusion would produce.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch};
use arrow::datatypes::{Field, Schema as ArrowSchema};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{EmptyRelation, Expr as DfExpr, Values};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use xorq_core::{Schema, Table};

use super::lift_rel::Lifter;
use super::rel::Rel;
use crate::error::{EngineError, Result};

/// The column of the one-row table that stands for `SELECT` without `FROM`; the projection above
/// it does not select it.
const ONE_ROW_COLUMN: &str = "__xorq_one_row";

impl Lifter<'_> {
    /// A `VALUES` list as a memtable with DataFusion's column names (`column1`, …) and types.
    pub(crate) fn values(&self, v: &Values) -> Result<Rel> {
        let at = self.locator.keyword(&["VALUES"]);
        let fields: Vec<Field> =
            v.schema.fields().iter().map(|f| Field::new(f.name(), f.data_type().clone(), true)).collect();
        let simplifier = ExprSimplifier::new(SimplifyContext::default());
        let mut columns: Vec<Vec<ScalarValue>> = vec![Vec::with_capacity(v.values.len()); fields.len()];
        for row in &v.values {
            for ((value, field), column) in row.iter().zip(&fields).zip(&mut columns) {
                let folded = match value {
                    DfExpr::Literal(s, _) => s.clone(),
                    other => match simplifier.simplify(other.clone()) {
                        Ok(DfExpr::Literal(s, _)) => s,
                        _ => {
                            return Err(self
                                .locator
                                .error(format!("`VALUES` takes constants; `{other}` is not one"), at));
                        }
                    },
                };
                let cast = folded.cast_to(field.data_type()).map_err(|e| {
                    self.locator.error(format!("the value `{folded}` cannot be a `{}`: {e}", field.data_type()), at)
                })?;
                column.push(cast);
            }
        }
        let arrays = columns
            .into_iter()
            .zip(&fields)
            .map(|(values, field)| {
                if values.is_empty() {
                    return Ok(arrow::array::new_empty_array(field.data_type()));
                }
                ScalarValue::iter_to_array(values)
                    .map_err(|e| EngineError::datafusion("building the rows of VALUES", e))
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        let names: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
        let schema = Arc::new(ArrowSchema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), arrays)
            .map_err(|e| EngineError::Internal(format!("the rows of VALUES do not form a batch: {e}")))?;
        let ir_schema = Schema::from_arrow(&schema).map_err(|e| self.core(e))?;
        let table = Table::memtable_with_schema(ir_schema, vec![batch]).map_err(|e| self.core(e))?;
        Ok(Rel::named(table, names))
    }

    /// `SELECT` without `FROM` reads one row with no columns (DataFusion's `EmptyRelation`); the
    /// IR has no table without columns, so it is a one-row memtable whose single column no
    /// projection selects.
    pub(crate) fn empty_relation(&self, e: &EmptyRelation) -> Result<Rel> {
        if !e.schema.fields().is_empty() {
            return Err(EngineError::Internal("an empty relation with columns".into()));
        }
        let rows = usize::from(e.produce_one_row);
        let schema =
            Arc::new(ArrowSchema::new(vec![Field::new(ONE_ROW_COLUMN, arrow::datatypes::DataType::Boolean, false)]));
        let column: ArrayRef = Arc::new(BooleanArray::from(vec![true; rows]));
        let batch = RecordBatch::try_new(schema.clone(), vec![column])
            .map_err(|e| EngineError::Internal(format!("one-row batch: {e}")))?;
        let ir_schema = Schema::from_arrow(&schema).map_err(|e| self.core(e))?;
        let table = Table::memtable_with_schema(ir_schema, vec![batch]).map_err(|e| self.core(e))?;
        Ok(Rel { table, cols: Vec::new() })
    }
}
