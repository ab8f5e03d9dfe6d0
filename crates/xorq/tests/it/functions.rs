//! Registered functions end to end: a scalar and an aggregate of the program's own, used over a
//! SQLite table. The scan runs in SQLite, the functions in DataFusion (the only engine that has
//! them); the manifest names them by name and version, reads back to the same address, and a
//! manifest naming a version this program has not registered is refused, listing what it has.

#![cfg(feature = "sqlite")]

use std::sync::{Arc, OnceLock};

use xorq::backends::Backend;
use xorq::datafusion::arrow::array::RecordBatch;
use xorq::datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array};
use xorq::datafusion::arrow::compute::kernels::numeric::mul;
use xorq::datafusion::arrow::datatypes::{DataType as ArrowType, Float64Type};
use xorq::datafusion::arrow::datatypes::{Field as ArrowField, Schema as ArrowSchema};
use xorq::datafusion::common::ScalarValue;
use xorq::datafusion::logical_expr::{Accumulator, ColumnarValue, Volatility, create_udaf, create_udf};
use xorq::exec::Stage;
use xorq::functions::{self, FunctionDef, Nulls, Param, Ret, TableFunc, TableFunctionDef, Ty, Typing};
use xorq::manifest::{LoadContext, from_yaml, to_yaml};
use xorq::prelude::*;
use xorq::{AggFunc, DataType, Expr, Field, Literal, ScalarFunc, Schema};

/// `triple(x)`: version 2 (so the manifest must say which).
static TRIPLE: FunctionDef = FunctionDef::scalar(
    "test_triple",
    Typing::Params { params: &[Param::Exact(Ty::Int64)], required: 1, result: Ret::Fixed(Ty::Int64) },
    "three times its argument",
)
.version(2);

/// `spread(x)`: the largest value minus the smallest.
static SPREAD: FunctionDef = FunctionDef::aggregate(
    "test_spread",
    Typing::Params { params: &[Param::Float64], required: 1, result: Ret::Fixed(Ty::Float64) },
    "the largest value minus the smallest",
)
.nulls(Nulls::Introduces);

#[derive(Debug, Default)]
struct Spread {
    range: Option<(f64, f64)>,
}

impl Spread {
    fn add(&mut self, v: f64) {
        self.range = Some(match self.range {
            Some((lo, hi)) => (lo.min(v), hi.max(v)),
            None => (v, v),
        });
    }
}

impl Accumulator for Spread {
    fn update_batch(&mut self, values: &[ArrayRef]) -> xorq::datafusion::error::Result<()> {
        for v in values[0].as_primitive::<Float64Type>().iter().flatten() {
            self.add(v);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> xorq::datafusion::error::Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.range.map(|(lo, hi)| hi - lo)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }

    fn state(&mut self) -> xorq::datafusion::error::Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Float64(self.range.map(|r| r.0)), ScalarValue::Float64(self.range.map(|r| r.1))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> xorq::datafusion::error::Result<()> {
        for state in states {
            for v in state.as_primitive::<Float64Type>().iter().flatten() {
                self.add(v);
            }
        }
        Ok(())
    }
}

/// A table function: its input with `band`, the floor of `amount` divided by the width given as
/// its argument.
static BANDS: TableFunctionDef = TableFunctionDef::new(
    "test_bands",
    |input, args| {
        match input.field("amount") {
            Some(f) if f.dtype == DataType::Float64 => {}
            Some(f) => return Err(format!("`amount` is {}, not Float64", f.dtype)),
            None => return Err("the input has no `amount` column".into()),
        }
        if !matches!(args, [Literal::Float64(w)] if *w > 0.0) {
            return Err("takes one positive Float64 width".into());
        }
        let mut fields = input.fields().to_vec();
        fields.push(Field::new("band", DataType::Int64, true));
        Schema::new(fields).map_err(|e| e.to_string())
    },
    "the band of `amount` for a width",
)
.version(5);

fn bands(batch: RecordBatch, args: &[Literal]) -> xorq::datafusion::error::Result<RecordBatch> {
    let [Literal::Float64(width)] = args else { unreachable!("the output schema checks the arguments") };
    let amount = batch.column_by_name("amount").expect("checked by the output schema").as_primitive::<Float64Type>();
    let band: Int64Array = amount.iter().map(|v| v.map(|x| (x / width).floor() as i64)).collect();
    let mut fields: Vec<_> = batch.schema().fields().iter().cloned().collect();
    fields.push(Arc::new(ArrowField::new("band", ArrowType::Int64, true)));
    let mut columns = batch.columns().to_vec();
    columns.push(Arc::new(band));
    Ok(RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), columns)?)
}

/// The three functions, registered once for the whole test binary.
fn registered() -> (ScalarFunc, AggFunc, TableFunc) {
    static ONCE: OnceLock<(ScalarFunc, AggFunc, TableFunc)> = OnceLock::new();
    *ONCE.get_or_init(|| {
        let triple = create_udf(
            "test_triple",
            vec![ArrowType::Int64],
            ArrowType::Int64,
            Volatility::Immutable,
            Arc::new(|args: &[ColumnarValue]| {
                let arrays = ColumnarValue::values_to_arrays(args)?;
                Ok(ColumnarValue::Array(mul(&arrays[0], &Int64Array::new_scalar(3))?))
            }),
        );
        let spread = create_udaf(
            "test_spread",
            vec![ArrowType::Float64],
            Arc::new(ArrowType::Float64),
            Volatility::Immutable,
            Arc::new(|_| Ok(Box::<Spread>::default())),
            Arc::new(vec![ArrowType::Float64, ArrowType::Float64]),
        );
        (
            functions::register_scalar(&TRIPLE, triple).expect("registers"),
            functions::register_aggregate(&SPREAD, spread).expect("registers"),
            functions::register_table(&BANDS, Arc::new(bands)).expect("registers"),
        )
    })
}

async fn shop() -> Arc<xorq::sqlite::SqliteBackend> {
    let con = xorq::sqlite::connect_memory("shop").expect("in-memory SQLite");
    con.execute(
        "CREATE TABLE orders (id INTEGER, region TEXT, amount REAL);
         INSERT INTO orders VALUES (1, 'EU', 10.5), (2, 'US', 20.0), (3, 'EU', 4.5), (4, 'US', 1.0);",
    )
    .await
    .expect("seed rows");
    con
}

fn pipeline(orders: &Table) -> Table {
    let (triple, spread, bands) = registered();
    orders
        .filter(col("amount").gt(lit(2.0)))
        .and_then(|t| t.table_function(bands, vec![Literal::Float64(10.0)]))
        .and_then(|t| {
            t.select([
                col("region"),
                Expr::call_function(triple, vec![col("id")]).alias("tripled"),
                col("amount"),
                col("band"),
            ])
        })
        .and_then(|t| {
            t.group_by(["region"]).agg([
                Expr::aggregate(spread, vec![col("amount")]).alias("spread"),
                col("tripled").sum().alias("tripled"),
                col("band").max().alias("top_band"),
            ])
        })
        .and_then(|t| t.order_by([col("region").asc()]))
        .expect("a valid expression")
}

#[tokio::test]
async fn registered_functions_run_in_datafusion_over_a_sqlite_scan() {
    let con = shop().await;
    let orders = con.table("orders").await.expect("schema from SQLite");
    let expr = pipeline(&orders);
    let session = Session::new().with_backend(con.clone());

    // The filter runs in SQLite; the registered functions in DataFusion.
    let plan = session.explain(&expr, &Params::new()).await.expect("explains");
    let kinds: Vec<(&str, &str)> = plan.stages.iter().map(|s| (s.kind(), s.engine())).collect();
    assert_eq!(kinds, [("backend", "shop"), ("local", "datafusion")], "{plan}");
    let Stage::Backend { sql, .. } = &plan.stages[0] else { unreachable!("checked above") };
    assert!(sql.contains("WHERE") && !sql.contains("test_"), "{sql}");

    let batches = session.execute(&expr, &Params::new()).await.expect("runs");
    let batch = &batches[0];
    let spread = batch.column(1).as_any().downcast_ref::<Float64Array>().expect("Float64");
    let tripled = batch.column(2).as_any().downcast_ref::<Int64Array>().expect("Int64");
    let top_band = batch.column(3).as_any().downcast_ref::<Int64Array>().expect("Int64");
    // EU: 10.5 and 4.5 (ids 1, 3; bands 1 and 0); US: 20.0 (id 2, band 2; 1.0 is filtered out).
    assert_eq!((spread.value(0), tripled.value(0), top_band.value(0)), (6.0, 12, 1));
    assert_eq!((spread.value(1), tripled.value(1), top_band.value(1)), (0.0, 6, 2));
}

#[tokio::test]
async fn the_manifest_names_registered_functions_by_name_and_version() {
    let con = shop().await;
    let expr = pipeline(&con.table("orders").await.expect("schema"));
    let yaml = to_yaml(&expr).expect("writes");
    assert!(yaml.contains("function: test_triple") && yaml.contains("version: 2"), "{yaml}");
    assert!(yaml.contains("aggregate: test_spread"), "{yaml}");
    assert!(
        yaml.contains("op: TableFunction") && yaml.contains("function: test_bands") && yaml.contains("version: 5"),
        "{yaml}"
    );
    let back = from_yaml(&yaml, &LoadContext::default()).expect("reads");
    assert_eq!(back.address(), expr.address());

    // A version this program does not have is refused, naming the versions it has.
    let other = yaml.replace("version: 2", "version: 3");
    let e = from_yaml(&other, &LoadContext::default()).expect_err("unknown version").to_string();
    assert!(e.contains("`test_triple` version 3 is not in this program, which has version 2"), "{e}");
    let other = yaml.replace("version: 5", "version: 6");
    let e = from_yaml(&other, &LoadContext::default()).expect_err("unknown version").to_string();
    assert!(e.contains("table function `test_bands` version 6 is not in this program, which has version 5"), "{e}");
    let unknown = yaml.replace("test_bands", "test_bends");
    let e = from_yaml(&unknown, &LoadContext::default()).expect_err("unknown table function").to_string();
    assert!(e.contains("unknown table function `test_bends`; did you mean `test_bands`?"), "{e}");
    // As is a function it has never heard of.
    let unknown = yaml.replace("test_spread", "test_spreed");
    let e = from_yaml(&unknown, &LoadContext::default()).expect_err("unknown function").to_string();
    assert!(e.contains("unknown aggregate function `test_spreed`; did you mean `test_spread`?"), "{e}");
}

#[test]
fn registration_is_checked() {
    registered();
    static BUILTIN_NAME: FunctionDef = FunctionDef::scalar(
        "upper",
        Typing::Params { params: &[Param::Text], required: 1, result: Ret::Fixed(Ty::String) },
        "",
    );
    static CLASH: FunctionDef = FunctionDef::scalar(
        "test_triple",
        Typing::Params { params: &[Param::Exact(Ty::Int64)], required: 1, result: Ret::Fixed(Ty::Int64) },
        "another meaning, same version",
    )
    .version(2);
    static BAD_NAME: FunctionDef = FunctionDef::scalar(
        "Bad-Name",
        Typing::Params { params: &[Param::Text], required: 1, result: Ret::Fixed(Ty::String) },
        "",
    );
    for (def, expected) in [
        (&BUILTIN_NAME, "name of a built-in function"),
        (&CLASH, "is registered already"),
        (&BAD_NAME, "not a valid function name"),
    ] {
        let err = xorq_core_register(def);
        assert!(err.contains(expected), "{err}");
    }
    // The same entry again is a no-op.
    assert!(xorq_core_register(&TRIPLE).is_empty());
}

/// Registers `def` in the catalogue only, returning the error text (empty when it registered).
fn xorq_core_register(def: &'static FunctionDef) -> String {
    match xorq::expr::func::registry::register(def) {
        Ok(()) => String::new(),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn sql_for_other_engines_refuses_registered_functions_by_name() {
    let con = shop().await;
    let expr = pipeline(&con.table("orders").await.expect("schema"));
    // No other engine has the program's functions: their SQL is never written.
    let e = xorq_engines::dialect::to_sql(&expr, xorq_engines::dialect::SqlDialect::Postgres)
        .expect_err("refused")
        .to_string();
    assert!(e.contains("`test_triple`") || e.contains("`test_spread`"), "{e}");
}

#[test]
fn sql_pipelines_call_registered_functions_by_name() {
    registered();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("orders.parquet");
    let batch = xorq::datafusion::arrow::array::RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4])) as ArrayRef),
        ("region", Arc::new(xorq::datafusion::arrow::array::StringArray::from(vec!["EU", "US", "EU", "US"])) as _),
        ("amount", Arc::new(Float64Array::from(vec![10.5, 20.0, 4.5, 1.0])) as _),
    ])
    .expect("batch");
    let file = std::fs::File::create(&path).expect("create");
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");

    let sql = format!(
        "SELECT region, sum(test_triple(id)) AS tripled, test_spread(amount) AS spread \
         FROM read_parquet('{}') GROUP BY region ORDER BY region",
        path.display()
    );
    let table = xorq::sql_to_table(&sql, &xorq::NoBackends).expect("lifts");
    assert!(table.to_string().contains("test_triple"), "{table}");
    let out = table.execute().expect("runs");
    let tripled = out[0].column(1).as_any().downcast_ref::<Int64Array>().expect("Int64");
    let spread = out[0].column(2).as_any().downcast_ref::<Float64Array>().expect("Float64");
    assert_eq!((tripled.value(0), spread.value(0)), (12, 6.0));
    assert_eq!((tripled.value(1), spread.value(1)), (18, 19.0));
}

#[tokio::test]
async fn a_table_function_is_checked_when_built_and_its_batches_when_run() {
    let (_, _, bands) = registered();
    let con = shop().await;
    let orders = con.table("orders").await.expect("schema");
    // The signature is checked when the expression is built, naming the function.
    let e = orders.table_function(bands, vec![Literal::Int64(10)]).expect_err("wrong argument").to_string();
    assert!(e.contains("table function `test_bands`") && e.contains("one positive Float64 width"), "{e}");
    let e = orders.select([col("id")]).and_then(|t| t.table_function(bands, vec![Literal::Float64(1.0)]));
    let e = e.expect_err("no amount column").to_string();
    assert!(e.contains("no `amount` column"), "{e}");

    // An implementation whose batches break the declared schema is an error, never a cast.
    static LIAR: TableFunctionDef =
        TableFunctionDef::new("test_liar", |input, _| Ok(input.clone()), "claims its input");
    let liar = functions::register_table(
        &LIAR,
        Arc::new(|batch: RecordBatch, _: &[Literal]| Ok(batch.project(&[0]).expect("a column"))),
    )
    .expect("registers");
    let expr = orders.table_function(liar, vec![]).expect("builds");
    let session = Session::new().with_backend(con.clone());
    let e = session.execute(&expr, &Params::new()).await.expect_err("wrong batches").to_string();
    assert!(
        e.contains("table function `test_liar` version 1 returned a batch that does not have its declared schema"),
        "{e}"
    );

    // Lineage sees through it: every output column may depend on every input column.
    let lineage = xorq::lineage::column_lineage(&pipeline(&orders), "top_band").expect("lineage");
    assert!(lineage.nodes.iter().any(|n| n.kind.label() == "TableFunction:test_bands"));
}
