//! Property: for generated expressions, build → load → build gives the same directory and
//! byte-identical `expr.yaml`.

use crate::common;

use std::sync::Arc;

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use proptest::prelude::*;
use xorq_build::{BuildOptions, build, load};
use xorq_core::{CacheStrategy, Table, col, lit};

#[derive(Clone, Debug)]
enum Step {
    Filter(i64),
    Mutate(u8),
    Sort(bool),
    Limit(u64),
    Distinct,
    Aggregate,
    UnionSelf,
    JoinFile,
    Cache(bool, Option<u64>),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (-5i64..50).prop_map(Step::Filter),
        (0u8..4).prop_map(Step::Mutate),
        any::<bool>().prop_map(Step::Sort),
        (0u64..10).prop_map(Step::Limit),
        Just(Step::Distinct),
        Just(Step::Aggregate),
        Just(Step::UnionSelf),
        Just(Step::JoinFile),
        (any::<bool>(), proptest::option::of(1u64..100_000)).prop_map(|(snapshot, ttl)| Step::Cache(snapshot, ttl)),
    ]
}

fn base() -> Table {
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4])) as _),
        ("region", Arc::new(StringArray::from(vec![Some("EU"), None, Some("US"), Some("EU")])) as _),
        ("amount", Arc::new(Float64Array::from(vec![1.5, 20.0, 33.25, 4.0])) as _),
    ])
    .expect("batch");
    Table::memtable(vec![batch]).expect("memtable")
}

fn apply(t: &Table, s: &Step, file: &Table, i: usize) -> Option<Table> {
    let has = |c: &str| t.schema().field(c).is_some();
    match s {
        Step::Filter(v) if has("amount") => t.filter(col("amount").gt(lit(*v))).ok(),
        Step::Mutate(k) if has("amount") => {
            let e = match k {
                0 => col("amount") * lit(2),
                1 => col("amount") + col("amount"),
                2 => col("amount").round(1),
                _ => col("amount").is_null().cast(xorq_core::DataType::Int64),
            };
            t.mutate([e.alias(format!("m{i}"))]).ok()
        }
        Step::Sort(desc) => {
            let first = t.columns()[0].to_string();
            t.order_by([if *desc { col(first).desc() } else { col(first).asc() }]).ok()
        }
        Step::Limit(n) => t.limit(*n).ok(),
        Step::Distinct => t.distinct().ok(),
        Step::Aggregate if has("region") && has("amount") => {
            t.group_by([col("region")]).agg([col("amount").sum().alias("amount")]).ok()
        }
        Step::UnionSelf => t.union(t).ok(),
        Step::JoinFile if has("region") => {
            let right = file.select([col("region").alias(format!("r{i}")), col("order_id")]).ok()?;
            t.join_where(&right, xorq_core::JoinKind::Left, (), col("region").eq(col(format!("r{i}")))).ok()
        }
        Step::Cache(snapshot, ttl) => {
            let mut strategy = if *snapshot { CacheStrategy::snapshot() } else { CacheStrategy::modification_time() };
            if let Some(secs) = ttl {
                strategy = strategy.with_ttl(std::time::Duration::from_secs(*secs));
            }
            t.cache(strategy).ok()
        }
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn build_load_build_is_byte_identical(steps in proptest::collection::vec(step(), 1..7)) {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = common::read_csv(&common::sales_file(tmp.path()));
        let mut t = base();
        for (i, s) in steps.iter().enumerate() {
            if let Some(next) = apply(&t, s, &file, i) {
                t = next;
            }
        }
        let first = build(&t, &tmp.path().join("a"), &BuildOptions::default()).expect("build");
        let loaded = load(&first.path).expect("load");
        prop_assert_eq!(loaded.table.address(), first.address);
        let second = build(&loaded.table, &tmp.path().join("b"), &BuildOptions::default()).expect("rebuild");
        prop_assert_eq!(first.path.file_name(), second.path.file_name());
        let a = std::fs::read(first.path.join("expr.yaml")).expect("read");
        let b = std::fs::read(second.path.join("expr.yaml")).expect("read");
        prop_assert!(a == b, "expr.yaml differs after build → load → build");
    }
}
