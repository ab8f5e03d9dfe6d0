//! `expr.yaml` round trips: every corpus expression and every IR variant is written, read back
//! to the same address, and written again to byte-identical text.

use std::sync::Arc;

use crate::common::corpus::corpus;
use crate::common::{customers, sales, sales_schema, small_memtable};
use proptest::prelude::*;
use xorq_core::manifest::{LoadContext, from_yaml, memtables, to_yaml};
use xorq_core::*;

/// Writes, reads back and writes again; returns the text.
fn round_trip(name: &str, table: &Table) -> String {
    let yaml = to_yaml(table).unwrap_or_else(|e| panic!("`{name}` does not write: {e}"));
    let ctx = LoadContext::from_memtables(memtables(table));
    let back = from_yaml(&yaml, &ctx).unwrap_or_else(|e| panic!("`{name}` does not read back: {e}\n{yaml}"));
    assert_eq!(back.address(), table.address(), "`{name}` changed its address\n{yaml}");
    assert_eq!(back.schema(), table.schema(), "`{name}` changed its schema");
    let again = to_yaml(&back).unwrap_or_else(|e| panic!("`{name}` does not write again: {e}"));
    assert_eq!(again, yaml, "`{name}` is not byte-identical when written again");
    yaml
}

#[test]
fn every_corpus_expression_round_trips() {
    for (name, table) in corpus() {
        let table = table.unwrap_or_else(|e| panic!("corpus entry `{name}` does not build: {e}"));
        round_trip(name, &table);
    }
}

fn literals() -> Vec<Expr> {
    let typed = |l: Literal| lit(l);
    vec![
        typed(Literal::Boolean(false)),
        typed(Literal::Int8(-128)),
        typed(Literal::Int16(300)),
        typed(Literal::Int32(-7)),
        typed(Literal::UInt8(255)),
        typed(Literal::UInt16(65_535)),
        typed(Literal::UInt32(7)),
        typed(Literal::UInt64(u64::MAX)),
        typed(Literal::Float32(0.1)),
        typed(Literal::Float64(-0.0)),
        lit(f64::NAN),
        lit(f64::NEG_INFINITY),
        lit(1e300),
        typed(Literal::Decimal { value: -5, precision: 15, scale: 2 }),
        typed(Literal::Decimal { value: 7, precision: 3, scale: -2 }),
        lit("it's: \"quoted\" # not a comment\nsecond line"),
        lit(" padded "),
        lit("null"),
        lit("123"),
        lit(""),
        typed(Literal::Binary(vec![0, 1, 254, 255].into())),
        lit_date("2024-02-29"),
        typed(Literal::Date(i32::MIN)),
        typed(Literal::Time(45_900_250_000)),
        lit_timestamp("2024-02-29 13:05:00.25"),
        typed(Literal::Timestamp {
            value: 1_709_211_900_123_456_789,
            unit: TimeUnit::Nanosecond,
            tz: Some("Europe/Paris".into()),
        }),
        typed(Literal::Timestamp { value: i64::MIN, unit: TimeUnit::Second, tz: None }),
        typed(Literal::Duration { value: -1500, unit: TimeUnit::Millisecond }),
        typed(Literal::Interval { months: 1, days: -2, nanos: 3 }),
        lit_null(DataType::Int32),
        lit_null(DataType::Null),
        lit_null(DataType::Decimal { precision: 10, scale: 3 }),
    ]
}

/// Everything the pinned corpus does not reach: the remaining literal kinds, operators,
/// functions, window functions, frames, source kinds and relational options.
fn coverage() -> Vec<(&'static str, Result<Table>)> {
    let s = sales();
    let c = customers();
    let w = Window::new().partition_by(["region"]).order_by([col("day").desc().nulls_first()]);
    let bundled = Source::bundled_file(
        FileFormat::Csv(CsvOptions { has_header: false, delimiter: b'\t' }),
        "bundled/0123.csv",
        Address::from_hex(&"ab".repeat(32)).expect("hex"),
        "/data/sales.csv",
        sales_schema(),
    );
    let literal_columns: Vec<Expr> =
        literals().into_iter().enumerate().map(|(i, e)| e.alias(format!("l{i}"))).collect();
    let cached = s.filter(col("amount").gt(lit(100))).and_then(|t| t.cache(CacheStrategy::snapshot()));
    let pinned = cached.as_ref().map_err(Clone::clone).and_then(|t| {
        let frozen = Source::bundled_file(
            FileFormat::Parquet,
            "data/cd.parquet",
            Address::from_hex(&"cd".repeat(32)).expect("hex"),
            "",
            t.schema().clone(),
        );
        Ok(Table::from_node(plan::pin::pin(t.node(), frozen)?))
    });
    vec![
        ("bundled_csv", Table::from_source(bundled)),
        ("pinned_cache", pinned.and_then(|t| t.limit(3))),
        ("literals", s.select(literal_columns)),
        (
            "operators",
            s.select([
                (-col("amount")).alias("neg"),
                col("note").is_null().alias("isnull"),
                col("amount").gt(lit(1)).not().alias("not"),
                col("region").is_not_in([lit("EU"), lit("US")]).alias("notin"),
                when(col("qty").gt(lit(1))).then(lit("many")).end().alias("case_no_else"),
                col("amount").is_distinct_from(col("price")).alias("idf"),
                col("amount").is_not_distinct_from(lit(1.5)).alias("indf"),
                (col("amount") - col("qty")).alias("sub"),
                (col("qty") % lit(3)).alias("mod"),
                (col("qty") / col("customer_id")).alias("div"),
                col("qty").not_eq(lit(2)).alias("ne"),
                col("qty").lt_eq(lit(2)).alias("le"),
                (col("day") - interval_months(1)).alias("last_month"),
                (col("price") * col("qty")).alias("decimal_mul"),
            ]),
        ),
        (
            "functions",
            s.select([
                col("note").lower().trim().ltrim().rtrim().reverse().alias("a"),
                col("note").replace(lit("x"), lit("y")).alias("b"),
                col("note").contains(lit("x")).alias("c"),
                col("note").starts_with(lit("x")).alias("d"),
                col("note").ends_with(lit("x")).alias("e"),
                concat([col("note"), col("region")]).alias("f"),
                col("note").ilike("%x%").alias("g"),
                col("note").strpos(lit("x")).alias("h"),
                col("note").lpad(5, "*").rpad(9, "-").alias("i"),
                col("day").month().alias("j"),
                col("day").day().alias("k"),
                col("ts").hour().alias("l"),
                col("ts").minute().alias("m"),
                col("ts").second().alias("n"),
                col("day").day_of_week().alias("o"),
                col("day").day_of_year().alias("p"),
                col("day").quarter().alias("q"),
                col("day").strftime("%Y/%m").alias("r"),
                col("amount").floor().ceil().exp().ln().log10().log2().sign().alias("s"),
                col("amount").pow(lit(2)).alias("t"),
                greatest([col("amount"), lit(0)]).alias("u"),
                least([col("qty"), lit(10)]).alias("v"),
                col("qty").null_if(lit(0)).alias("w"),
                col("note").substr(2, None).alias("x"),
            ]),
        ),
        (
            "windows",
            s.select([
                ntile(4).over(w.clone()).alias("a"),
                percent_rank().over(w.clone()).alias("b"),
                cume_dist().over(w.clone()).alias("c"),
                col("amount")
                    .first_value()
                    .over(w.clone().rows_between(FrameBound::Preceding(2), FrameBound::Following(3)))
                    .alias("d"),
                col("amount")
                    .last_value()
                    .over(w.clone().rows_between(FrameBound::CurrentRow, FrameBound::UnboundedFollowing))
                    .alias("e"),
                col("amount").lead(2, Some(lit(0))).over(w.clone()).alias("f"),
                col("amount")
                    .sum()
                    .over(
                        Window::new().order_by(["day"]).range_between(FrameBound::Preceding(7), FrameBound::CurrentRow),
                    )
                    .alias("g"),
                col("amount").max().over(Window::new()).alias("h"),
                col("amount").first().order_by([col("ts").desc()]).over(w.clone()).alias("i"),
            ]),
        ),
        (
            "aggregates",
            s.group_by(["region"]).agg([
                col("amount").std_pop().alias("a"),
                col("amount").var_pop().alias("b"),
                col("qty").count().alias("c"),
                col("amount").last().order_by([col("ts").asc().nulls_first(), col("order_id").desc()]).alias("d"),
            ]),
        ),
        ("keys_only_aggregate", s.group_by(["region", "day"]).agg(Vec::<Expr>::new())),
        ("param_date", s.filter(col("day").gt_eq(param("since", DataType::Date).with_default(Literal::Date(19_000))))),
        ("offset_only", s.offset(5)),
        ("semi_with_predicate", s.join_where(&c, JoinKind::Semi, (), lcol("region").eq(rcol("region")))),
        ("join_pairs", s.join(&c, JoinKind::Left, [("customer_id", "customer_id"), ("region", "region")])),
        ("tag_metadata", s.tag_with("input", [("owner", "sales"), ("tier", "gold"), ("a key: with colon", "v")])),
        (
            "backend_table_dotted",
            Table::from_source(Source::table("wh", vec!["my db".into(), "t.x".into()], sales_schema())),
        ),
        (
            "shared_subgraph",
            s.filter(col("qty").gt(lit(2))).and_then(|f| f.select(["region"])).and_then(|f| f.union(&f)),
        ),
    ]
}

#[test]
fn every_ir_variant_round_trips() {
    for (name, table) in coverage() {
        let table = table.unwrap_or_else(|e| panic!("coverage entry `{name}` does not build: {e}"));
        round_trip(name, &table);
    }
}

#[test]
fn shared_nodes_are_written_once() {
    let (_, shared) = coverage().into_iter().find(|(n, _)| *n == "shared_subgraph").expect("entry");
    let yaml = to_yaml(&shared.expect("builds")).expect("writes");
    assert_eq!(yaml.matches("op: Filter").count(), 1, "{yaml}");
    assert_eq!(yaml.matches("op: Read").count(), 1, "{yaml}");
    assert!(yaml.contains("  - project_"), "both set-operation inputs name one node:\n{yaml}");
}

fn corpus_entry(name: &str) -> Table {
    corpus().into_iter().find(|(n, _)| *n == name).and_then(|(_, t)| t.ok()).expect("corpus entry builds")
}

#[test]
fn snapshots_of_representative_manifests() {
    for name in ["sales_pipeline", "join_predicate", "window_moving_avg", "memtable_pipeline", "cache_chained"] {
        let yaml = round_trip(name, &corpus_entry(name));
        insta::assert_snapshot!(name, yaml);
    }
}

#[test]
fn a_long_chain_is_linear() {
    let mut t = sales();
    for i in 0..2_000u64 {
        t = if i % 2 == 0 { t.slice(i, None) } else { t.select(["order_id", "amount", "region"]) }.expect("builds");
    }
    round_trip("chain", &t);
}

#[test]
fn deep_expressions_round_trip() {
    let mut e = col("amount");
    for i in 0..150 {
        e = if i % 2 == 0 { e + col("qty") } else { e * lit(2.0) };
    }
    let t = sales().select([e.alias("deep")]).expect("builds");
    // The depth is beyond saphyr's default limit (64) but within the manifest reader's.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || round_trip("deep", &t))
        .expect("thread")
        .join()
        .expect("no stack overflow with a default-sized test thread stack");
}

#[test]
fn too_deep_an_expression_is_refused_when_written() {
    let mut e = col("amount");
    for _ in 0..1030 {
        e = e + col("qty");
    }
    let t = sales().select([e.alias("deep")]).expect("builds");
    let err = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || to_yaml(&t).map(|_| ()).unwrap_err().to_string())
        .expect("thread")
        .join()
        .expect("no stack overflow");
    assert!(err.contains("levels deep") && err.contains("project_"), "{err}");
}

#[test]
fn memtables_travel_by_content_hash() {
    let t = small_memtable().filter(col("score").gt(lit(1))).expect("builds");
    let yaml = to_yaml(&t).expect("writes");
    let content = memtables(&t).into_keys().next().expect("one memtable");
    assert!(yaml.contains(&content.hex()), "{yaml}");
    let err = from_yaml(&yaml, &LoadContext::new()).unwrap_err().to_string();
    assert!(err.contains("not in the load context") && err.contains(&content.hex()), "{err}");
    let other = RecordBatch::try_from_iter([
        ("id", Arc::new(arrow_array::Int64Array::from(vec![9])) as _),
        ("label", Arc::new(arrow_array::StringArray::from(vec![Some("z")])) as _),
        ("score", Arc::new(arrow_array::Float64Array::from(vec![9.5])) as _),
    ])
    .expect("batch");
    let err = from_yaml(&yaml, &LoadContext::new().with_memtable(content, vec![other])).unwrap_err().to_string();
    assert!(err.contains("they are other data"), "{err}");
}

#[test]
fn project_files_keep_the_checkout_out_of_the_manifest() {
    let t = Table::from_source(Source::project_file(
        FileFormat::Parquet,
        "/home/ann/shop/data/sales.parquet",
        "data/sales.parquet",
        sales_schema(),
    ))
    .expect("source");
    let yaml = to_yaml(&t).expect("writes");
    assert!(yaml.contains("project: data/sales.parquet") && !yaml.contains("/home/ann"), "{yaml}");
    // Read in another checkout: the same address, the file under that root.
    let back = from_yaml(&yaml, &LoadContext::new().with_project_root("/srv/ci/shop")).expect("loads");
    assert_eq!(back.address(), t.address());
    assert_eq!(to_yaml(&back).expect("writes"), yaml);
    let RelOp::Source(source) = back.node().op() else { panic!("a read") };
    let plan::SourceKind::File(file) = &source.kind else { panic!("a file") };
    assert_eq!(file.location, "/srv/ci/shop/data/sales.parquet");
    // Without a project there is nothing to read it against; an older scheme never had it; a
    // path that leaves the project is refused.
    let err = from_yaml(&yaml, &LoadContext::new()).unwrap_err().to_string();
    assert!(err.contains("data/sales.parquet") && err.contains("xorq.yaml"), "{err}");
    let err =
        from_yaml(&yaml, &LoadContext::new().with_project_root("/p").with_hash_scheme(2)).unwrap_err().to_string();
    assert!(err.contains("hash scheme 2"), "{err}");
    let escaping = yaml.replace("data/sales.parquet", "../etc/sales.parquet");
    let err = from_yaml(&escaping, &LoadContext::new().with_project_root("/p")).unwrap_err().to_string();
    assert!(err.contains("not a path inside a project"), "{err}");
}

#[test]
fn bundled_files_keep_provenance_out_of_the_manifest() {
    let hash = Address::from_hex(&"cd".repeat(32)).expect("hex");
    let bundled = |origin: &str| {
        Table::from_source(Source::bundled_file(FileFormat::Parquet, "/tmp/x.parquet", hash, origin, sales_schema()))
            .expect("source")
    };
    let (a, b) = (bundled("/data/sales.parquet"), bundled("/elsewhere/copy.parquet"));
    assert_eq!(a.address(), b.address(), "same bytes, same address");
    let yaml = to_yaml(&a).expect("writes");
    assert_eq!(yaml, to_yaml(&b).expect("writes"), "origin and label are not in the manifest");
    assert!(yaml.contains(&format!("location: data/{}.parquet", hash.hex())), "{yaml}");
    assert!(!yaml.contains("sales.parquet"), "{yaml}");

    let ctx = LoadContext::new().with_base_dir("/builds/abc").with_provenance(
        hash,
        manifest::Provenance { name: "sales.parquet".into(), origin: Some("/data/sales.parquet".into()) },
    );
    let back = from_yaml(&yaml, &ctx).expect("loads");
    assert_eq!(back.address(), a.address());
    assert_eq!(back.computation_address(), a.computation_address(), "origin restored from provenance");
    let RelOp::Source(source) = back.node().op() else { panic!("a read") };
    assert_eq!(source.name, "sales.parquet");
    let plan::SourceKind::File(file) = &source.kind else { panic!("a file") };
    assert_eq!(file.location, format!("/builds/abc/data/{}.parquet", hash.hex()));

    let moved = yaml.replace(&format!("data/{}", hash.hex()), "data/other");
    let err = from_yaml(&moved, &ctx).unwrap_err().to_string();
    assert!(err.contains("derived from its content hash"), "{err}");
}

use arrow_array::RecordBatch;

/// One step of a generated pipeline over the `sales` fixture.
#[derive(Clone, Debug)]
enum Step {
    Filter { column: usize, op: usize, value: i64 },
    Mutate { column: usize, other: usize, op: usize },
    Select { mask: u16 },
    Aggregate { key: usize, column: usize, func: usize },
    Sort { column: usize, desc: bool },
    Limit { offset: u64, fetch: Option<u64> },
    Cache { snapshot: bool, ttl: Option<u64>, in_session: bool },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..16usize, 0..6usize, -1000..1000i64).prop_map(|(column, op, value)| Step::Filter { column, op, value }),
        (0..16usize, 0..16usize, 0..4usize).prop_map(|(column, other, op)| Step::Mutate { column, other, op }),
        any::<u16>().prop_map(|mask| Step::Select { mask }),
        (0..16usize, 0..16usize, 0..5usize).prop_map(|(key, column, func)| Step::Aggregate { key, column, func }),
        (0..16usize, any::<bool>()).prop_map(|(column, desc)| Step::Sort { column, desc }),
        (0..50u64, proptest::option::of(0..50u64)).prop_map(|(offset, fetch)| Step::Limit { offset, fetch }),
        (any::<bool>(), proptest::option::of(1..100_000u64), any::<bool>())
            .prop_map(|(snapshot, ttl, in_session)| Step::Cache { snapshot, ttl, in_session }),
    ]
}

fn pick(t: &Table, i: usize, numeric: bool) -> Option<&str> {
    let fields: Vec<&Field> = t.schema().fields().iter().filter(|f| !numeric || f.dtype.is_numeric()).collect();
    (!fields.is_empty()).then(|| fields[i % fields.len()].name.as_str())
}

/// Applies a step; a step that does not fit the current columns is skipped.
fn apply(t: &Table, s: &Step, n: usize) -> Option<Table> {
    let built = match s {
        Step::Filter { column, op, value } => {
            let c = col(pick(t, *column, true)?);
            let v = lit(*value);
            t.filter(
                [
                    c.clone().gt(v.clone()),
                    c.clone().lt(v.clone()),
                    c.clone().gt_eq(v.clone()),
                    c.clone().lt_eq(v.clone()),
                    c.clone().eq(v.clone()),
                    c.not_eq(v),
                ][*op]
                    .clone(),
            )
        }
        Step::Mutate { column, other, op } => {
            let (a, b) = (col(pick(t, *column, true)?), col(pick(t, *other, true)?));
            let e = [a.clone() + b.clone(), a.clone() * lit(2), a.clone() - b, a / lit(3.5)][*op].clone();
            t.mutate([e.alias(format!("m{n}"))])
        }
        Step::Select { mask } => {
            let names: Vec<&str> = t
                .columns()
                .into_iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << (i % 16)) != 0)
                .map(|(_, c)| c)
                .collect();
            t.select(names)
        }
        Step::Aggregate { key, column, func } => {
            let c = col(pick(t, *column, true)?);
            let m = [c.clone().sum(), c.clone().mean(), c.clone().min(), c.clone().max(), c.count()][*func].clone();
            t.group_by([pick(t, *key, false)?]).agg([m.alias(format!("agg{n}"))])
        }
        Step::Sort { column, desc } => {
            let c = col(pick(t, *column, false)?);
            t.order_by([if *desc { c.desc() } else { c.asc() }])
        }
        Step::Limit { offset, fetch } => t.slice(*offset, *fetch),
        Step::Cache { snapshot, ttl, in_session } => {
            let mut strategy = if *snapshot { CacheStrategy::snapshot() } else { CacheStrategy::modification_time() };
            if let Some(secs) = ttl {
                strategy = strategy.with_ttl(std::time::Duration::from_secs(*secs));
            }
            let storage = if *in_session { CacheStorage::source() } else { CacheStorage::Parquet };
            t.cache_in(strategy, storage)
        }
    };
    built.ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn generated_pipelines_round_trip(steps in proptest::collection::vec(step(), 1..8), memtable in any::<bool>()) {
        let mut t = if memtable { small_memtable() } else { sales() };
        for (n, s) in steps.iter().enumerate() {
            if let Some(next) = apply(&t, s, n) {
                t = next;
            }
        }
        let yaml = to_yaml(&t).expect("writes");
        let back = from_yaml(&yaml, &LoadContext::from_memtables(memtables(&t))).expect("reads back");
        prop_assert_eq!(back.address(), t.address());
        prop_assert_eq!(to_yaml(&back).expect("writes again"), yaml);
    }
}

/// A long list of constants (generated SQL often has thousands) is one flow sequence of values,
/// not a mapping per value; the mapping form, which manifests of earlier versions hold, reads to
/// the same address.
#[test]
fn long_constant_lists_are_written_compactly() {
    let values: Vec<i64> = (0..10_000).map(|i| i * 7).collect();
    let table = sales().filter(col("customer_id").is_in(values.iter().copied().map(lit))).expect("valid filter");
    let yaml = round_trip("long IN list", &table);
    assert!(yaml.contains("literals: ["), "{}", &yaml[..yaml.len().min(2_000)]);
    assert!(yaml.len() < 100_000, "{} bytes for 10,000 integers", yaml.len());
    // The same list as mappings, one per value: the same expression.
    let mut old_form = String::new();
    for line in yaml.lines() {
        let indent = &line[..line.len() - line.trim_start().len()];
        if line.trim_start() == "type: Int64" {
            continue;
        }
        if line.trim_start().starts_with("literals: [") {
            old_form.push_str(&format!("{indent}values:\n"));
            for v in &values {
                old_form.push_str(&format!("{indent}- {{literal: {v}, type: Int64}}\n"));
            }
            continue;
        }
        old_form.push_str(line);
        old_form.push('\n');
    }
    let back =
        from_yaml(&old_form, &LoadContext::default()).unwrap_or_else(|e| panic!("the mapping form does not read: {e}"));
    assert_eq!(back.address(), table.address());
    // Short lists keep one mapping per value.
    let short = sales().filter(col("customer_id").is_in([lit(1), lit(2)])).expect("valid filter");
    assert!(!round_trip("short IN list", &short).contains("literals:"));
}
