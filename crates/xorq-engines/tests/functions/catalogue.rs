//! Every scalar, aggregate and window function DataFusion's default `SessionContext` registers
//! is either supported or refused by name with a reason.
//!
//! Supported means: a call of it in SQL (one per function, in the tables below) is lifted into
//! the IR, typed, written to `expr.yaml` and read back to the same address, lowered with no
//! conforming cast (the IR's types are DataFusion's), run, and gives the rows DataFusion's own SQL
//! gives on the same Parquet file. Refused means: the SQL front end refuses it with an error
//! naming the function and the reason of its class.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, DurationMicrosecondArray, Float32Array,
    Float64Array, Int8Array, Int16Array, Int32Array, Int64Array, RecordBatch, StringArray, Time64MicrosecondArray,
    TimestampMicrosecondArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow::util::display::array_value_to_string;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use parquet::arrow::ArrowWriter;
use tempfile::TempDir;
use xorq_core::manifest::{LoadContext, from_yaml, to_yaml};
use xorq_engines::datafusion::sql::functions::{RefusalClass, refusal};
use xorq_engines::datafusion::sql::{NoBackends, SqlOptions, sql_to_table_with};
use xorq_engines::datafusion::{Lowering, ParamValues};

/// A call of each supported scalar function, over the columns of [`batch`].
const SCALAR: &[(&str, &str)] = &[
    ("abs", "abs(f64)"),
    ("acos", "acos(f64)"),
    ("acosh", "acosh(f64 + 2)"),
    ("arrow_cast", "arrow_cast(i32, 'Int64')"),
    ("ascii", "ascii(s)"),
    ("asin", "asin(f64)"),
    ("asinh", "asinh(f64)"),
    ("atan", "atan(f64)"),
    ("atan2", "atan2(f64, f32)"),
    ("atanh", "atanh(f64)"),
    ("bit_length", "bit_length(s)"),
    ("btrim", "btrim(s, 'H')"),
    ("cast_to_type", "cast_to_type(i32, i64)"),
    ("cbrt", "cbrt(f64)"),
    ("ceil", "ceil(d)"),
    ("character_length", "character_length(s)"),
    ("chr", "chr(i8 + 64)"),
    ("coalesce", "coalesce(s, snum, 'none')"),
    ("concat", "concat(s, i32, NULL)"),
    ("concat_ws", "concat_ws('-', s, snum, i32)"),
    ("contains", "contains(s, 'o')"),
    ("cos", "cos(f64)"),
    ("cosh", "cosh(f64)"),
    ("cot", "cot(f64)"),
    ("date_bin", "date_bin(INTERVAL '1 day', ts)"),
    ("date_part", "date_part('week', dt) + date_part('year', ts) + date_part('epoch', ts)"),
    ("date_trunc", "date_trunc('month', ts)"),
    ("decode", "decode(sb64, 'base64')"),
    ("degrees", "degrees(f64)"),
    ("digest", "digest(s, 'sha256')"),
    ("encode", "encode(bin, 'hex')"),
    ("ends_with", "ends_with(s, 'd')"),
    ("exp", "exp(f64)"),
    ("factorial", "factorial(i8)"),
    ("find_in_set", "find_in_set('b', s)"),
    ("floor", "floor(f64)"),
    ("from_unixtime", "from_unixtime(i64)"),
    ("gcd", "gcd(i32, i64)"),
    ("greatest", "greatest(i32, i64, 70)"),
    ("initcap", "initcap(s)"),
    ("isnan", "isnan(f64)"),
    ("iszero", "iszero(f64)"),
    ("lcm", "lcm(i32, i16)"),
    ("least", "least(f64, f32)"),
    ("left", "left(s, 3)"),
    ("levenshtein", "levenshtein(s, 'Hello')"),
    ("ln", "ln(f64)"),
    ("log", "log(f64) + log(2.0, f64)"),
    ("log10", "log10(f64)"),
    ("log2", "log2(f64)"),
    ("lower", "lower(s)"),
    ("lpad", "lpad(s, 14, '*')"),
    ("ltrim", "ltrim(s)"),
    ("make_date", "make_date(2024, 2, i8)"),
    ("make_time", "make_time(i8, 30, 0)"),
    ("md5", "md5(s)"),
    ("nanvl", "nanvl(f64, 0.0)"),
    ("nullif", "nullif(i32, 20)"),
    ("nvl", "nvl(s, 'x')"),
    ("nvl2", "nvl2(s, 'set', 'unset')"),
    ("octet_length", "octet_length(s)"),
    ("overlay", "overlay(s PLACING 'XX' FROM 2 FOR 1)"),
    ("pi", "pi() * f64"),
    ("power", "power(f64, 2)"),
    ("radians", "radians(f64)"),
    ("regexp_count", "regexp_count(s, 'l')"),
    ("regexp_instr", "regexp_instr(s, 'o')"),
    ("regexp_like", "regexp_like(s, '^H')"),
    ("regexp_replace", "regexp_replace(s, 'l', 'L', 'g')"),
    ("repeat", "repeat(s, 2)"),
    ("replace", "replace(s, 'l', 'L')"),
    ("reverse", "reverse(s)"),
    ("right", "right(s, 2)"),
    ("round", "round(d, 1)"),
    ("rpad", "rpad(s, 14, '*')"),
    ("rtrim", "rtrim(s)"),
    ("sha224", "sha224(s)"),
    ("sha256", "sha256(s)"),
    ("sha384", "sha384(s)"),
    ("sha512", "sha512(bin)"),
    ("signum", "signum(f64)"),
    ("sin", "sin(f64)"),
    ("sinh", "sinh(f64)"),
    ("split_part", "split_part(s, ',', 2)"),
    ("sqrt", "sqrt(abs(f64))"),
    ("starts_with", "starts_with(s, 'H')"),
    ("strpos", "strpos(s, 'o')"),
    ("substr", "substr(s, 2, 3)"),
    ("substr_index", "substr_index(s, ',', 1)"),
    ("tan", "tan(f64)"),
    ("tanh", "tanh(f64)"),
    ("to_char", "to_char(ts, '%Y-%m-%d %H')"),
    ("to_date", "to_date(sdate)"),
    ("to_hex", "to_hex(i64)"),
    ("to_local_time", "to_local_time(tsz)"),
    ("to_time", "to_time(stime)"),
    ("to_timestamp", "to_timestamp(sdate)"),
    ("to_timestamp_micros", "to_timestamp_micros(i64)"),
    ("to_timestamp_millis", "to_timestamp_millis(i64)"),
    ("to_timestamp_nanos", "to_timestamp_nanos(i64)"),
    ("to_timestamp_seconds", "to_timestamp_seconds(i64)"),
    ("to_unixtime", "to_unixtime(ts)"),
    ("translate", "translate(s, 'lo', 'LO')"),
    ("trunc", "trunc(f64, 1)"),
    ("upper", "upper(s)"),
];

/// A call of each supported aggregate, per `grp`.
const AGGREGATE: &[(&str, &str)] = &[
    ("any_value", "any_value(grp)"),
    ("approx_distinct", "approx_distinct(s)"),
    ("approx_median", "approx_median(f64)"),
    ("approx_percentile_cont", "approx_percentile_cont(0.5) WITHIN GROUP (ORDER BY f64)"),
    ("approx_percentile_cont_with_weight", "approx_percentile_cont_with_weight(u8, 0.5) WITHIN GROUP (ORDER BY f64)"),
    ("avg", "avg(d)"),
    ("bit_and", "bit_and(i32)"),
    ("bit_or", "bit_or(i32)"),
    ("bit_xor", "bit_xor(i32)"),
    ("bool_and", "bool_and(b)"),
    ("bool_or", "bool_or(b)"),
    ("corr", "corr(f64, f32)"),
    ("count", "count(s)"),
    ("covar_pop", "covar_pop(f64, f32)"),
    ("covar_samp", "covar_samp(f64, f32)"),
    ("first_value", "first_value(i32 ORDER BY id)"),
    ("last_value", "last_value(i32 ORDER BY id)"),
    ("max", "max(ts)"),
    ("grouping", "grouping(grp)"),
    ("median", "median(d)"),
    ("min", "min(s)"),
    ("nth_value", "nth_value(i32, 2 ORDER BY id)"),
    ("percentile_cont", "percentile_cont(0.5) WITHIN GROUP (ORDER BY f64)"),
    ("regr_avgx", "regr_avgx(f64, f32)"),
    ("regr_avgy", "regr_avgy(f64, f32)"),
    ("regr_count", "regr_count(f64, f32)"),
    ("regr_intercept", "regr_intercept(f64, f32)"),
    ("regr_r2", "regr_r2(f64, f32)"),
    ("regr_slope", "regr_slope(f64, f32)"),
    ("regr_sxx", "regr_sxx(f64, f32)"),
    ("regr_sxy", "regr_sxy(f64, f32)"),
    ("regr_syy", "regr_syy(f64, f32)"),
    ("stddev", "stddev(f64)"),
    ("stddev_pop", "stddev_pop(f64)"),
    ("string_agg", "string_agg(s, '|' ORDER BY id DESC)"),
    ("sum", "sum(d)"),
    ("var", "var(f64)"),
    ("var_pop", "var_pop(f64)"),
];

/// A call of each window function.
const WINDOW: &[(&str, &str)] = &[
    ("cume_dist", "cume_dist() OVER (ORDER BY grp)"),
    ("dense_rank", "dense_rank() OVER (ORDER BY grp)"),
    ("first_value", "first_value(i32) OVER (PARTITION BY grp ORDER BY id)"),
    ("lag", "lag(i32, 1, 0) OVER (ORDER BY id)"),
    ("last_value", "last_value(i32) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"),
    ("lead", "lead(s) OVER (ORDER BY id)"),
    ("nth_value", "nth_value(i32, 2) OVER (ORDER BY id)"),
    ("ntile", "ntile(2) OVER (ORDER BY id)"),
    ("percent_rank", "percent_rank() OVER (ORDER BY grp)"),
    ("rank", "rank() OVER (ORDER BY grp)"),
    ("row_number", "row_number() OVER (ORDER BY id)"),
];

/// Aggregate options, expression forms and spellings beyond one call per function.
pub(crate) const MORE: &[(&str, &str)] = &[
    ("scalar", "s LIKE 'H%' OR s ILIKE '%W%' OR s NOT LIKE 'a\\_%' ESCAPE '\\'"),
    ("scalar", "s SIMILAR TO '(H|a)%' AND s NOT SIMILAR TO '%z%'"),
    ("scalar", "s || '-' || snum"),
    ("scalar", "extract(isodow FROM dt) + extract(doy FROM ts) + extract(quarter FROM dt)"),
    ("scalar", "date_part('millisecond', ts) + date_part('nanosecond', ts)"),
    ("scalar", "ifnull(i32, 0) + instr(s, 'l') + char_length(s) + length(s)"),
    ("aggregate", "sum(DISTINCT i32) + count(DISTINCT i8) + avg(DISTINCT f64)"),
    ("aggregate", "max(DISTINCT f64) + min(DISTINCT i32)"),
    ("aggregate", "sum(f64) FILTER (WHERE id > 1)"),
    ("aggregate", "count(*) FILTER (WHERE b)"),
    ("aggregate", "string_agg(DISTINCT s, ',')"),
    ("aggregate", "first_value(i32 ORDER BY id) IGNORE NULLS"),
    ("aggregate", "last_value(i32 ORDER BY id DESC NULLS FIRST) RESPECT NULLS"),
    ("aggregate", "mean(f64) + var_samp(f64) + stddev_samp(f64) + covar(f64, f32)"),
    ("aggregate", "median(DISTINCT i32)"),
    ("aggregate", "var(DISTINCT f64) + var_pop(DISTINCT f64) + bit_xor(DISTINCT i32)"),
    ("aggregate", "bool_and(DISTINCT b) OR bool_or(DISTINCT b)"),
    ("aggregate", "bit_and(DISTINCT i32) + bit_or(DISTINCT i32)"),
    ("aggregate", "percentile_cont(DISTINCT f64, 0.5)"),
    ("aggregate", "corr(DISTINCT i16, u8) + covar_samp(DISTINCT i16, u8) + regr_slope(DISTINCT i16, u8)"),
    ("aggregate", "corr(DISTINCT i16, u8) + count(DISTINCT id) + regr_count(DISTINCT u8, u8)"),
    ("aggregate", "approx_distinct(DISTINCT s)"),
    ("aggregate", "any_value(DISTINCT grp)"),
    ("aggregate", "string_agg(s, ',' ORDER BY id) FILTER (WHERE i32 > 10)"),
    ("window", "lag(i32) IGNORE NULLS OVER (ORDER BY id)"),
    ("window", "first_value(i32) IGNORE NULLS OVER (ORDER BY id DESC)"),
    ("window", "sum(i32) OVER (PARTITION BY grp ORDER BY id)"),
];

/// Sample rows: every IR type, texts that the text functions can read, and nulls.
pub(crate) fn batch() -> RecordBatch {
    let cols: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6]))),
        ("grp", Arc::new(StringArray::from(vec!["a", "a", "b", "b", "b", "c"]))),
        ("b", Arc::new(BooleanArray::from(vec![Some(true), Some(false), Some(true), Some(true), None, None]))),
        ("i8", Arc::new(Int8Array::from(vec![Some(3), Some(1), Some(7), Some(12), None, Some(5)]))),
        ("i16", Arc::new(Int16Array::from(vec![Some(4), Some(6), Some(-8), Some(10), None, Some(3)]))),
        ("i32", Arc::new(Int32Array::from(vec![Some(10), Some(20), None, Some(20), Some(12), Some(-7)]))),
        ("i64", Arc::new(Int64Array::from(vec![Some(65), Some(97), Some(1_700_000_000), Some(255), None, Some(8)]))),
        ("u8", Arc::new(UInt8Array::from(vec![Some(1), Some(2), Some(3), Some(4), None, Some(1)]))),
        ("u16", Arc::new(UInt16Array::from(vec![Some(1), Some(2), Some(3), Some(4), None, Some(1)]))),
        ("u32", Arc::new(UInt32Array::from(vec![Some(1), Some(2), Some(3), Some(4), None, Some(1)]))),
        ("u64", Arc::new(UInt64Array::from(vec![Some(1), Some(2), Some(3), Some(4), None, Some(1)]))),
        ("f32", Arc::new(Float32Array::from(vec![Some(0.5), Some(-1.25), Some(2.0), Some(0.0), None, Some(3.5)]))),
        ("f64", Arc::new(Float64Array::from(vec![Some(0.5), Some(-0.25), Some(0.875), Some(0.0), None, Some(0.125)]))),
        (
            "d",
            Arc::new(
                Decimal128Array::from(vec![Some(12345), Some(-250), Some(99), Some(12345), None, Some(1)])
                    .with_precision_and_scale(10, 2)
                    .expect("decimal"),
            ),
        ),
        (
            "s",
            Arc::new(StringArray::from(vec![
                Some("Hello World"),
                Some("a,b,c"),
                Some("  padded  "),
                Some("Hello World"),
                None,
                Some("a_%x"),
            ])),
        ),
        ("snum", Arc::new(StringArray::from(vec![Some("42"), Some("7"), None, Some("0"), Some("13"), Some("1")]))),
        (
            "sdate",
            Arc::new(StringArray::from(vec![
                Some("2024-01-15"),
                Some("2023-12-31"),
                Some("2000-02-29"),
                None,
                Some("1999-07-04"),
                Some("2024-06-30"),
            ])),
        ),
        (
            "stime",
            Arc::new(StringArray::from(vec![
                Some("12:30:45"),
                Some("00:00:01"),
                None,
                Some("23:59:59"),
                Some("07:05:00"),
                Some("10:00:00"),
            ])),
        ),
        ("sb64", Arc::new(StringArray::from(vec![Some("aGVsbG8="), Some("eHk="), None, Some(""), Some("YQ=="), None]))),
        (
            "bin",
            Arc::new(BinaryArray::from(vec![
                Some(b"ab".as_slice()),
                Some(b"".as_slice()),
                Some(b"\x00\xff".as_slice()),
                None,
                Some(b"xyz".as_slice()),
                Some(b"q".as_slice()),
            ])),
        ),
        (
            "dt",
            Arc::new(Date32Array::from(vec![Some(19_737), Some(19_722), Some(11_016), None, Some(10_776), Some(0)])),
        ),
        (
            "tm",
            Arc::new(Time64MicrosecondArray::from(vec![
                Some(45_045_000_000),
                Some(1_000_000),
                None,
                Some(86_399_000_000),
                Some(0),
                Some(3_600_000_001),
            ])),
        ),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(1_705_314_645_123_456),
                Some(1_704_067_199_000_000),
                Some(951_782_400_000_000),
                None,
                Some(0),
                Some(1_719_705_600_000_001),
            ])),
        ),
        (
            "tsz",
            Arc::new(
                TimestampMicrosecondArray::from(vec![
                    Some(1_705_314_645_123_456),
                    None,
                    Some(951_782_400_000_000),
                    Some(1),
                    Some(0),
                    Some(1_719_705_600_000_001),
                ])
                .with_timezone("Europe/Paris"),
            ),
        ),
        (
            "dur",
            Arc::new(DurationMicrosecondArray::from(vec![Some(1_000_000), Some(-5), None, Some(0), Some(7), Some(3)])),
        ),
    ];
    RecordBatch::try_from_iter(cols).expect("sample batch")
}

pub(crate) struct Fixture {
    pub dir: TempDir,
    pub ctx: SessionContext,
}

pub(crate) async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.parquet");
    let batch = batch();
    let file = std::fs::File::create(&path).expect("create");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    // One partition: order-dependent functions (`any_value`, t-digests) see rows in one order.
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    ctx.register_parquet("t", path.to_str().expect("utf-8"), ParquetReadOptions::default()).await.expect("register");
    Fixture { dir, ctx }
}

fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            out.push(
                b.columns().iter().map(|c| array_value_to_string(c, r).unwrap_or_else(|e| e.to_string())).collect(),
            );
        }
    }
    out
}

/// The SQL of a call of `kind`, reading `from`.
fn query(kind: &str, expr: &str, from: &str) -> String {
    match kind {
        "aggregate" => format!("SELECT grp, {expr} AS v FROM {from} GROUP BY grp ORDER BY grp"),
        _ => format!("SELECT id, {expr} AS v FROM {from} ORDER BY id"),
    }
}

impl Fixture {
    /// Lifts, round-trips, lowers and runs `expr` and compares the rows with DataFusion's.
    pub(crate) async fn check(&self, kind: &str, expr: &str) -> Result<(), String> {
        let ours = query(kind, expr, "read_parquet('t.parquet')");
        let theirs = query(kind, expr, "t");
        let table = sql_to_table_with(&ours, &NoBackends, &SqlOptions::with_base_dir(self.dir.path()))
            .map_err(|e| format!("`{expr}` does not lift: {e}"))?;
        let yaml = to_yaml(&table).map_err(|e| format!("`{expr}`: manifest: {e}"))?;
        let reread = from_yaml(&yaml, &LoadContext::new().with_base_dir(self.dir.path()))
            .map_err(|e| format!("`{expr}`: manifest does not read back: {e}\n{yaml}"))?;
        if reread.address() != table.address() {
            return Err(format!("`{expr}`: the manifest reads back to another address\n{yaml}"));
        }
        let values = ParamValues::new();
        let mut lowering = Lowering::new(&values, 1);
        let plan = lowering.lower_table(&table).map_err(|e| format!("`{expr}` does not lower: {e}"))?;
        if !lowering.conformed_columns().is_empty() {
            return Err(format!("`{expr}`: IR types differ from DataFusion's: {:?}", lowering.conformed_columns()));
        }
        let got = match self.ctx.execute_logical_plan(plan).await {
            Ok(df) => df.collect().await.map_err(|e| format!("`{expr}`: xorq's plan fails: {e}"))?,
            Err(e) => return Err(format!("`{expr}`: xorq's plan fails: {e}")),
        };
        let want = match self.ctx.sql(&theirs).await {
            Ok(df) => df.collect().await.map_err(|e| format!("`{expr}`: DataFusion fails: {e}"))?,
            Err(e) => return Err(format!("`{expr}`: DataFusion refuses: {e}")),
        };
        let (g, w) = (rows(&got), rows(&want));
        if g != w {
            return Err(format!("`{expr}`: rows differ\n  xorq:       {g:?}\n  DataFusion: {w:?}\n{table}"));
        }
        let types = |bs: &[RecordBatch]| {
            bs.first().map(|b| {
                b.schema()
                    .fields()
                    .iter()
                    .map(|f| xorq_core::DataType::from_arrow(f.name(), f.data_type()).ok())
                    .collect::<Vec<_>>()
            })
        };
        if types(&got) != types(&want) {
            return Err(format!("`{expr}`: column types differ: {:?} vs {:?}", types(&got), types(&want)));
        }
        Ok(())
    }
}

/// Canonical names (not aliases) of DataFusion's default functions.
fn registered(ctx: &SessionContext) -> BTreeMap<&'static str, Vec<String>> {
    let state = ctx.state();
    let mut names: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut add = |kind: &'static str, name: String| {
        let list = names.entry(kind).or_default();
        if !list.contains(&name) {
            list.push(name);
        }
    };
    state.scalar_functions().values().for_each(|f| add("scalar", f.name().to_string()));
    state.aggregate_functions().values().for_each(|f| add("aggregate", f.name().to_string()));
    state.window_functions().values().for_each(|f| add("window", f.name().to_string()));
    names.values_mut().for_each(|l| l.sort());
    names
}

#[tokio::test]
async fn every_datafusion_function_is_supported_or_refused() {
    let f = fixture().await;
    let mut supported: BTreeMap<&str, usize> = BTreeMap::new();
    let mut refused: BTreeMap<RefusalClass, Vec<String>> = BTreeMap::new();
    let mut failures = Vec::new();
    for (kind, names) in registered(&SessionContext::new()) {
        let samples = match kind {
            "scalar" => SCALAR,
            "aggregate" => AGGREGATE,
            _ => WINDOW,
        };
        for name in names {
            if let Some(r) = refusal(&name) {
                refused.entry(r.class).or_default().push(name);
                continue;
            }
            match samples.iter().find(|(n, _)| *n == name) {
                Some((_, expr)) => match f.check(kind, expr).await {
                    Ok(()) => *supported.entry(kind).or_default() += 1,
                    Err(e) => failures.push(e),
                },
                None => failures.push(format!("{kind} `{name}` is neither refused nor given a call to check")),
            }
        }
    }
    for (kind, expr) in MORE {
        if let Err(e) = f.check(kind, expr).await {
            failures.push(e);
        }
    }
    println!("DataFusion's functions supported: {supported:?}");
    for (class, names) in &refused {
        println!("refused ({class:?}, {}): {}", names.len(), names.join(", "));
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn refused_functions_are_named_with_their_reason() {
    let f = fixture().await;
    let cases = [
        ("now()", "now", RefusalClass::NotReproducible),
        ("random()", "random", RefusalClass::NotReproducible),
        ("uuid()", "uuid", RefusalClass::NotReproducible),
        ("current_date", "current_date", RefusalClass::NotReproducible),
        ("array_length(make_array(i32, i64))", "array_length", RefusalClass::Nested),
        ("cardinality(make_array(1, 2))", "cardinality", RefusalClass::Nested),
        ("regexp_match(s, 'l+')", "regexp_match", RefusalClass::Nested),
        ("named_struct('a', i32)", "named_struct", RefusalClass::Nested),
        ("arrow_typeof(i32)", "arrow_typeof", RefusalClass::Physical),
        ("arrow_try_cast(s, 'Int64')", "arrow_try_cast", RefusalClass::TryCast),
        ("version()", "version", RefusalClass::NotReproducible),
    ];
    for (expr, name, class) in cases {
        let sql = format!("SELECT {expr} AS v FROM read_parquet('t.parquet')");
        let err = sql_to_table_with(&sql, &NoBackends, &SqlOptions::with_base_dir(f.dir.path()))
            .err()
            .unwrap_or_else(|| panic!("`{expr}` should be refused"))
            .to_string();
        assert!(err.contains(&format!("function `{name}` is not supported by xorq")), "{expr}: {err}");
        assert!(err.contains(class.reason()), "{expr}: {err}");
    }
    let err = sql_to_table_with(
        "SELECT grp, array_agg(i32) AS v FROM read_parquet('t.parquet') GROUP BY grp",
        &NoBackends,
        &SqlOptions::with_base_dir(f.dir.path()),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(err.contains("`array_agg`") && err.contains(RefusalClass::Nested.reason()), "{err}");
    let err = sql_to_table_with(
        "SELECT id FROM read_parquet('t.parquet') WHERE s LIKE 'a!%' ESCAPE '!'",
        &NoBackends,
        &SqlOptions::with_base_dir(f.dir.path()),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(err.contains("`LIKE … ESCAPE` is supported with the escape character `\\` only"), "{err}");
}

/// The `to_*` conversions: DataFusion plans any argument type, and the IR refuses the types
/// DataFusion then refuses when it runs. Each refused type fails in DataFusion.
#[tokio::test]
async fn conversions_refuse_what_datafusion_cannot_run() {
    let f = fixture().await;
    let columns = ["b", "f32", "f64", "d", "bin", "tm", "dur", "dt", "ts", "i64", "u64", "INTERVAL '1 day'"];
    let conversions = [
        "to_date",
        "to_time",
        "to_timestamp",
        "to_timestamp_seconds",
        "to_timestamp_millis",
        "to_timestamp_micros",
        "to_timestamp_nanos",
        "to_unixtime",
    ];
    let mut runs_in_datafusion = Vec::new();
    for conversion in conversions {
        for column in columns {
            let expr = format!("{conversion}({column})");
            let lifted = sql_to_table_with(
                &query("scalar", &expr, "read_parquet('t.parquet')"),
                &NoBackends,
                &SqlOptions::with_base_dir(f.dir.path()),
            );
            let ran = match f.ctx.sql(&query("scalar", &expr, "t")).await {
                Ok(df) => df.collect().await.is_ok(),
                Err(_) => false,
            };
            match (lifted.is_ok(), ran) {
                (false, true) => runs_in_datafusion.push(expr),
                (true, _) => {
                    if let Err(e) = f.check("scalar", &expr).await {
                        runs_in_datafusion.push(format!("{expr}: accepted but {e}"));
                    }
                }
                (false, false) => {}
            }
        }
    }
    assert!(runs_in_datafusion.is_empty(), "refused by xorq, run by DataFusion: {runs_in_datafusion:?}");
}

/// The typing gaps that are DataFusion checks made when a query runs rather than when it is
/// typed (`typing.rs` lists them): each such call fails in DataFusion too.
#[tokio::test]
async fn gaps_checked_when_datafusion_runs_fail_there() {
    let f = fixture().await;
    let failing = [
        ("scalar", "first_value() OVER (ORDER BY id)"),
        ("scalar", "nth_value(i32) OVER (ORDER BY id)"),
        ("scalar", "lag(i32, 'one') OVER (ORDER BY id)"),
        ("scalar", "lead(i32, 1.5) OVER (ORDER BY id)"),
        ("scalar", "nth_value(i32, 'two') OVER (ORDER BY id)"),
        ("aggregate", "approx_percentile_cont(f64, 2)"),
        ("aggregate", "percentile_cont(f64, 1.5)"),
    ];
    for (kind, expr) in failing {
        let ran = match f.ctx.sql(&query(kind, expr, "t")).await {
            Ok(df) => df.collect().await.is_ok(),
            Err(_) => false,
        };
        assert!(!ran, "`{expr}` runs in DataFusion, so refusing it is not a DataFusion check");
    }
}

/// Aggregates whose `DISTINCT` form xorq refuses: DataFusion has no distinct accumulator for
/// them. DataFusion's SQL computes `f(DISTINCT x)` anyway when its optimizer can rewrite the query
/// into a grouped aggregate (every aggregate of the query distinct over the same values); next to
/// another aggregate that rewrite does not apply and the call fails, which is what this checks.
/// xorq refuses these forms rather than depend on the rewrite.
#[tokio::test]
async fn distinct_forms_refused_by_xorq_fail_in_datafusion() {
    use xorq_core::AggFunc;
    use xorq_core::expr::func::Distinct;
    use xorq_engines::datafusion::functions::aggregate_from_datafusion;
    let f = fixture().await;
    let mut runs = Vec::new();
    for (name, expr) in AGGREGATE {
        let Some(func) = aggregate_from_datafusion(name) else { continue };
        if func.def().aggregate.distinct != Distinct::Refused || expr.contains("WITHIN GROUP") || func == AggFunc::COUNT
        {
            continue;
        }
        let distinct = expr.replacen('(', "(DISTINCT ", 1);
        let sql = format!("SELECT grp, {distinct} AS v, count(DISTINCT id) AS other FROM t GROUP BY grp ORDER BY grp");
        let ran = match f.ctx.sql(&sql).await {
            Ok(df) => df.collect().await.is_ok(),
            Err(_) => false,
        };
        if ran {
            runs.push(distinct);
        }
    }
    // `DISTINCT` with an ordering of other values has no meaning SQL agrees on (PostgreSQL
    // requires the ordering to be the distinct values); xorq refuses it for these.
    runs.retain(|r| !["first_value(", "last_value(", "nth_value("].iter().any(|p| r.starts_with(p)));
    assert!(runs.is_empty(), "DISTINCT forms DataFusion runs natively and xorq refuses: {runs:?}");
}
