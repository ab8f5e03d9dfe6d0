//! Canonicalization: equivalent spellings get one address; non-equivalent ones never do.

use crate::common;

use crate::common::{customers, sales};
use xorq_core::*;

fn addr(t: Result<Table>) -> Address {
    t.expect("expression builds").address()
}

#[test]
fn and_operands_commute() {
    let s = sales();
    let a = col("amount").gt(lit(100));
    let b = col("region").eq(lit("EU"));
    assert_eq!(addr(s.filter(a.clone().and(b.clone()))), addr(s.filter(b.and(a))));
}

#[test]
fn or_chains_flatten_and_order() {
    let s = sales();
    let (a, b, c) = (col("qty").eq(lit(1)), col("qty").eq(lit(2)), col("qty").eq(lit(3)));
    let left_deep = a.clone().or(b.clone()).or(c.clone());
    let right_deep = c.or(a.or(b));
    assert_eq!(addr(s.filter(left_deep)), addr(s.filter(right_deep)));
}

#[test]
fn integer_and_float_literals_agree_on_a_float_column() {
    let s = sales();
    let int = addr(s.filter(col("amount").gt(lit(100))));
    assert_eq!(int, addr(s.filter(col("amount").gt(lit(100.0)))));
    assert_eq!(int, addr(s.filter(lit(100).lt(col("amount")))));
    assert_ne!(int, addr(s.filter(col("amount").gt(lit(100.5)))));
}

#[test]
fn integral_float_literal_agrees_on_an_integer_column_in_comparisons_only() {
    let s = sales();
    assert_eq!(addr(s.filter(col("qty").gt(lit(3)))), addr(s.filter(col("qty").gt(lit(3.0)))));
    // In arithmetic a float constant keeps the float result type.
    assert_ne!(
        addr(s.select([(col("qty") * lit(2)).alias("x")])),
        addr(s.select([(col("qty") * lit(2.0)).alias("x")]))
    );
}

#[test]
fn comparisons_flip_to_put_constants_right() {
    let s = sales();
    for (x, y) in [
        (col("qty").gt(lit(3)), lit(3).lt(col("qty"))),
        (col("qty").gt_eq(lit(3)), lit(3).lt_eq(col("qty"))),
        (col("qty").eq(lit(3)), lit(3).eq(col("qty"))),
    ] {
        assert_eq!(addr(s.filter(x)), addr(s.filter(y)));
    }
    // Column-to-column comparisons also get one order.
    assert_eq!(addr(s.filter(col("amount").gt(col("qty")))), addr(s.filter(col("qty").lt(col("amount")))));
}

#[test]
fn commutative_arithmetic_is_ordered_but_not_reassociated() {
    let s = sales();
    let sel = |e: Expr| addr(s.select([e.alias("v")]));
    assert_eq!(sel(col("amount") + col("qty")), sel(col("qty") + col("amount")));
    assert_eq!(sel(col("amount") * col("qty")), sel(col("qty") * col("amount")));
    // Subtraction and division do not commute.
    assert_ne!(sel(col("amount") - col("qty")), sel(col("qty") - col("amount")));
    assert_ne!(sel(col("amount") / col("qty")), sel(col("qty") / col("amount")));
    // Float addition is not associative: (a + b) + c is not a + (b + c).
    let (a, b, c) = (col("amount"), col("qty").cast(DataType::Float64), col("order_id").cast(DataType::Float64));
    assert_ne!(sel((a.clone() + b.clone()) + c.clone()), sel(a + (b + c)));
}

#[test]
fn consecutive_filters_merge_into_one_conjunction() {
    let s = sales();
    let chained = s.filter(col("amount").gt(lit(100))).and_then(|t| t.filter(col("region").eq(lit("EU"))));
    let single = s.filter(col("region").eq(lit("EU")).and(col("amount").gt(lit(100))));
    assert_eq!(addr(chained), addr(single));
}

#[test]
fn repeated_conjuncts_collapse() {
    let s = sales();
    let p = col("amount").gt(lit(1));
    assert_eq!(addr(s.filter(p.clone().and(p.clone()))), addr(s.filter(p)));
}

#[test]
fn null_semantics_are_not_rewritten() {
    let s = sales();
    // `x = NULL` is never true; it must not become `x IS NULL`.
    assert_ne!(addr(s.filter(col("note").eq(lit_null(DataType::String)))), addr(s.filter(col("note").is_null())));
    // `NOT (a > 1)` keeps its own address (it differs from `a <= 1` only by spelling, but we do
    // not rewrite negations).
    assert_ne!(addr(s.filter(col("qty").gt(lit(1)).not())), addr(s.filter(col("qty").gt(lit(1)))));
}

#[test]
fn in_lists_are_sets() {
    let s = sales();
    assert_eq!(
        addr(s.filter(col("region").is_in([lit("EU"), lit("US"), lit("EU")]))),
        addr(s.filter(col("region").is_in([lit("US"), lit("EU")])))
    );
}

#[test]
fn drop_select_and_rename_spellings_agree() {
    let s = customers();
    assert_eq!(addr(s.drop(["since"])), addr(s.select(["customer_id", "name", "region"])));
    assert_eq!(
        addr(s.rename([("name", "customer")])),
        addr(s.select([col("customer_id"), col("name").alias("customer"), col("region"), col("since")]))
    );
}

#[test]
fn join_key_order_does_not_matter() {
    let s = sales();
    let c = customers();
    assert_eq!(
        addr(s.join(&c, JoinKind::Inner, ["customer_id", "region"])),
        addr(s.join(&c, JoinKind::Inner, ["region", "customer_id"]))
    );
}

#[test]
fn default_window_frame_spellings_agree() {
    let s = sales();
    let w = Window::new().partition_by(["region"]).order_by(["day"]);
    let explicit = w.clone().range_between(FrameBound::UnboundedPreceding, FrameBound::CurrentRow);
    let running = |w: Window| addr(s.mutate([col("amount").sum().over(w).alias("running")]));
    assert_eq!(running(w.clone()), running(explicit));
    assert_ne!(running(w.clone()), running(w.rows_between(FrameBound::Preceding(2), FrameBound::CurrentRow)));
}

#[test]
fn path_spellings_agree_and_sources_by_content_do_not_depend_on_location() {
    let schema = common::sales_schema();
    let cwd = std::env::current_dir().expect("cwd");
    let abs = cwd.join("sales.parquet");
    let spellings = ["sales.parquet", "./sales.parquet", "x/../sales.parquet", abs.to_str().expect("utf-8")];
    let addrs: Vec<Address> = spellings
        .iter()
        .map(|p| addr(Table::from_source(Source::file(FileFormat::Parquet, p, schema.clone()).expect("path"))))
        .collect();
    assert!(addrs.windows(2).all(|w| w[0] == w[1]), "{addrs:?}");

    let content = Address::from_bytes([7; 32]);
    let a = Source::bundled_file(
        FileFormat::Parquet,
        "/builds/a/data.parquet",
        content,
        "/home/me/sales.parquet",
        schema.clone(),
    );
    let b = Source::bundled_file(
        FileFormat::Parquet,
        "/tmp/x.parquet",
        content,
        "/elsewhere/other.parquet",
        schema.clone(),
    );
    let (ta, tb) = (Table::from_source(a).expect("node"), Table::from_source(b).expect("node"));
    assert_eq!(ta.address(), tb.address(), "same bytes under any name agree");
    assert_ne!(ta.computation_address(), tb.computation_address(), "computation address uses the origin");
    let referenced =
        addr(Table::from_source(Source::file(FileFormat::Parquet, "/home/me/sales.parquet", schema).expect("path")));
    assert_eq!(ta.computation_address(), referenced);
}

#[test]
fn memtables_are_identified_by_values_not_layout() {
    use arrow_array::{Int64Array, RecordBatch};
    use std::sync::Arc;
    let one = RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![1, 2, 3, 4])) as _)]).expect("batch");
    let split = vec![one.slice(0, 1), one.slice(1, 3)];
    assert_eq!(addr(Table::memtable(vec![one.clone()])), addr(Table::memtable(split)));
    let other = RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![1, 2, 3, 5])) as _)]).expect("batch");
    assert_ne!(addr(Table::memtable(vec![one])), addr(Table::memtable(vec![other])));
}

#[test]
fn a_shared_subexpression_is_one_node_and_hashes_once() {
    let f = sales().filter(col("amount").gt(lit(1))).expect("filter");
    let both = f.union(&f).expect("union");
    let nodes = xorq_core::plan::walk::topological(both.node());
    assert_eq!(nodes.len(), 3);
}

#[test]
fn plans_display_as_trees_with_shared_nodes_once() {
    let f = sales().filter(col("amount").gt(lit(100))).expect("filter");
    let t = f.union(&f).expect("union").group_by(["region"]).agg([col("amount").sum().alias("total")]).expect("agg");
    let shown = t.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 5, "{shown}");
    assert!(lines[0].starts_with("Aggregate ["), "{shown}");
    assert!(lines[0].ends_with("by [region] compute [total := sum(amount)]"), "{shown}");
    assert!(lines[1].starts_with("  SetOp [") && lines[1].ends_with("union all"), "{shown}");
    assert!(lines[2].ends_with("(amount > 100.0)"), "{shown}");
    assert!(lines[3].ends_with("parquet /data/sales.parquet"), "{shown}");
    assert!(lines[4].starts_with("    Filter [") && lines[4].ends_with("(shown above)"), "{shown}");
}

#[test]
fn constants_in_calls_keep_their_own_type() {
    let s = sales();
    // A quantile over a decimal column, a rounding of a float, a lag offset: the constants are a
    // quantile, a digit count and an offset, not values of the column's type.
    s.agg([col("price").approx_quantile(0.9).alias("p90")]).expect("quantile over a decimal");
    s.select([col("amount").round(2).alias("r")]).expect("round digits stay integers");
    s.mutate([col("amount").lag(1, Some(lit(0))).over(Window::new().order_by(["day"])).alias("prev")]).expect("lag");
    // Where arguments share a type, it is the type both unify to, as in DataFusion: the integer
    // constant counts as Decimal(20, 0), so the decimal widens.
    let t = s.select([col("price").fill_null(lit(0)).alias("p")]).expect("fill_null");
    assert_eq!(t.schema().fields()[0].dtype, DataType::Decimal { precision: 22, scale: 2 });
}
