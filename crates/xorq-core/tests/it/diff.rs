//! The semantic diff on a corpus of edit pairs: each pair's report is a snapshot and its
//! classification is asserted, so a change in wording shows in review and a change in meaning
//! fails.

use crate::common::{customers, sales, sales_schema};
use xorq_core::address::Address;
use xorq_core::diff::{ChangeKind, Classification, ColumnStatus, Diff, diff};
use xorq_core::{DataType, FileFormat, JoinKind, Source, Table, col, lit, param};

fn seed(threshold: i64) -> Table {
    sales()
        .filter(col("amount").gt(lit(threshold)))
        .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
        .expect("seed pipeline")
}

fn check(name: &str, old: &Table, new: &Table, expected: Classification) -> Diff {
    let d = diff(old, new).expect("diff").with_labels("old", "new");
    insta::assert_snapshot!(name, d.render());
    assert_eq!(d.classification, expected, "{name}:\n{}", d.render());
    // The JSON report is the same diff, whole.
    let json = serde_json::to_value(&d).expect("a diff is JSON");
    assert_eq!(json["classification"], expected.name());
    assert_eq!(json["new"]["address"].as_str().map(str::len), Some(64), "full addresses in JSON");
    d
}

fn status(d: &Diff, column: &str) -> ColumnStatus {
    d.columns.iter().find(|c| c.name == column).map(|c| c.status).expect("column in the report")
}

#[test]
fn a_threshold_change_changes_the_row_set() {
    let d = check("threshold", &seed(100), &seed(150), Classification::Breaking);
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].headline(), "Filter: (amount > 100.0) → (amount > 150.0)");
    assert_eq!(d.rows_changed_by.as_deref(), Some("Filter: (amount > 100.0) → (amount > 150.0)"));
    assert_eq!(status(&d, "total"), ColumnStatus::Values);
    assert_eq!(d.unchanged.len(), 1, "the read is one unchanged line");
    assert!(d.summary().starts_with("breaking: Filter: (amount > 100.0) → (amount > 150.0)"), "{}", d.summary());
}

#[test]
fn an_added_column_is_additive() {
    let old = seed(100);
    let new = old.mutate([(col("total") * lit(0.2)).alias("tax")]).expect("mutate");
    let d = check("added_column", &old, &new, Classification::Additive);
    assert_eq!(
        (status(&d, "tax"), status(&d, "total"), status(&d, "region")),
        (ColumnStatus::Added, ColumnStatus::Unchanged, ColumnStatus::Unchanged)
    );
}

#[test]
fn a_renamed_output_is_breaking() {
    let old = seed(100);
    let new = old.rename([("total", "revenue")]).expect("rename");
    let d = check("renamed_output", &old, &new, Classification::Breaking);
    let revenue = d.columns.iter().find(|c| c.name == "revenue").expect("revenue");
    assert_eq!((revenue.status, revenue.renamed_from.as_deref()), (ColumnStatus::Renamed, Some("total")));
    assert!(!d.columns.iter().any(|c| c.status == ColumnStatus::Removed), "a rename is not a removal");
}

#[test]
fn a_renamed_measure_is_a_rename_in_the_aggregate() {
    let old = seed(100);
    let new = sales()
        .filter(col("amount").gt(lit(100)))
        .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("revenue")]))
        .expect("pipeline");
    let d = check("renamed_measure", &old, &new, Classification::Breaking);
    assert_eq!(d.changes[0].headline(), "Aggregate: sum(amount) as total → sum(amount) as revenue");
    assert_eq!(status(&d, "revenue"), ColumnStatus::Renamed);
}

#[test]
fn a_retyped_output_is_breaking() {
    let old = seed(100);
    let new = old.mutate([col("total").cast(DataType::Int64).alias("total")]).expect("cast");
    let d = check("retyped_output", &old, &new, Classification::Breaking);
    assert_eq!(status(&d, "total"), ColumnStatus::Retyped);
}

#[test]
fn reordered_equivalent_predicates_are_no_change() {
    let a = sales().filter(col("amount").gt(lit(100)).and(col("region").eq(lit("EU")))).expect("filter");
    let b = sales().filter(col("region").eq(lit("EU")).and(lit(100).lt(col("amount")))).expect("filter");
    let d = check("reordered_predicates", &a, &b, Classification::None);
    assert!(d.same_address && d.changes.is_empty() && !d.is_change());
    assert_eq!(d.summary(), "none: the same address");
}

fn joined(swap: bool, kind: JoinKind) -> Table {
    let (s, c) = (sales(), customers().select(["customer_id", "name"]).expect("select"));
    let j = if swap { c.join(&s, kind, ["customer_id"]) } else { s.join(&c, kind, ["customer_id"]) }.expect("join");
    j.select(["order_id", "name", "amount"]).expect("select")
}

#[test]
fn swapped_join_sides_are_no_logical_change() {
    let d = check(
        "swapped_join_sides",
        &joined(false, JoinKind::Inner),
        &joined(true, JoinKind::Inner),
        Classification::None,
    );
    assert!(!d.same_address, "the graphs differ");
    assert_eq!(d.changes.len(), 1, "{}", d.render());
    assert_eq!(d.changes[0].note.as_deref(), Some("sides swapped"));
}

#[test]
fn a_left_join_swapped_into_a_right_join_is_no_logical_change() {
    let d = diff(&joined(false, JoinKind::Left), &joined(true, JoinKind::Right)).expect("diff");
    assert_eq!(d.classification, Classification::None, "{}", d.render());
}

#[test]
fn a_changed_join_type_is_breaking() {
    let d =
        check("join_type", &joined(false, JoinKind::Inner), &joined(false, JoinKind::Left), Classification::Breaking);
    assert_eq!(d.changes[0].headline(), "Join: inner join → left join");
}

#[test]
fn a_changed_aggregate_changes_its_values() {
    let old = seed(100);
    let new = sales()
        .filter(col("amount").gt(lit(100)))
        .and_then(|t| t.group_by(["region"]).agg([col("amount").mean().alias("total")]))
        .expect("pipeline");
    let d = check("changed_aggregate", &old, &new, Classification::Values);
    assert_eq!(d.changes[0].headline(), "Aggregate: sum(amount) → mean(amount) as total");
    assert_eq!((status(&d, "total"), status(&d, "region")), (ColumnStatus::Values, ColumnStatus::Unchanged));
}

#[test]
fn a_filter_added_upstream_of_a_join_changes_the_row_set() {
    let old = joined(false, JoinKind::Inner);
    let c = customers().select(["customer_id", "name"]).expect("select");
    let new = sales()
        .filter(col("region").eq(lit("EU")))
        .and_then(|s| s.join(&c, JoinKind::Inner, ["customer_id"]))
        .and_then(|j| j.select(["order_id", "name", "amount"]))
        .expect("pipeline");
    let d = check("filter_upstream_of_join", &old, &new, Classification::Breaking);
    let added: Vec<_> = d.changes.iter().filter(|c| c.kind == ChangeKind::Added).collect();
    assert_eq!(added.len(), 1, "{}", d.render());
    assert_eq!(added[0].op, "Filter");
    assert!(d.changes.iter().all(|c| c.kind == ChangeKind::Added), "the join is not itself changed:\n{}", d.render());
}

fn snapshot(hash: u8) -> Table {
    let content = Address::from_hex(&format!("{hash:02x}").repeat(32)).expect("hex");
    let source = Source::bundled_file(
        FileFormat::Parquet,
        &format!("data/{content}.parquet"),
        content,
        "/data/sales.parquet",
        sales_schema(),
    );
    Table::from_source(source)
        .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
        .expect("pipeline")
}

#[test]
fn a_new_snapshot_of_the_same_reference_changes_values() {
    let d = check("new_snapshot", &snapshot(0xab), &snapshot(0xcd), Classification::Values);
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].headline(), "Read: bundled abababababab → bundled cdcdcdcdcdcd");
    assert_eq!(snapshot(0xab).computation_address(), snapshot(0xcd).computation_address());
}

#[test]
fn another_reference_is_a_source_change() {
    let other = Table::from_source(
        Source::file(FileFormat::Parquet, "/data/sales-2026.parquet", sales_schema()).expect("absolute path"),
    )
    .and_then(|t| t.filter(col("amount").gt(lit(100))))
    .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
    .expect("pipeline");
    let d = check("other_reference", &seed(100), &other, Classification::Values);
    assert_eq!(d.changes[0].headline(), "Read: /data/sales.parquet → /data/sales-2026.parquet");
}

fn with_param(default: f64) -> Table {
    sales()
        .filter(col("amount").gt(param("threshold", DataType::Float64).with_default(default)))
        .and_then(|t| t.mutate([(col("amount") * param("rate", DataType::Float64).with_default(0.2)).alias("tax")]))
        .expect("pipeline")
}

#[test]
fn a_parameter_default_change_is_shown_with_its_value() {
    let d = check("param_default", &with_param(100.0), &with_param(150.0), Classification::Breaking);
    assert_eq!(
        d.changes[0].headline(),
        "Filter: $threshold Float64 (default 100.0) → $threshold Float64 (default 150.0)"
    );
    let rate = |r: f64| {
        sales()
            .mutate([(col("amount") * param("rate", DataType::Float64).with_default(r)).alias("tax")])
            .expect("mutate")
    };
    let d = diff(&rate(0.2), &rate(0.25)).expect("diff");
    assert_eq!(d.classification, Classification::Values, "{}", d.render());
    assert_eq!((status(&d, "tax"), status(&d, "amount")), (ColumnStatus::Values, ColumnStatus::Unchanged));
}

#[test]
fn a_removed_column_and_a_tag_change() {
    let old = seed(100).tag("daily").expect("tag");
    let new = seed(100).tag("nightly").expect("tag");
    let d = check("tag_only", &old, &new, Classification::None);
    assert!(!d.same_address && !d.is_change());
    let dropped = seed(100).drop(["total"]).expect("drop");
    let d = check("removed_column", &seed(100), &dropped, Classification::Breaking);
    assert_eq!(status(&d, "total"), ColumnStatus::Removed);
}

#[test]
fn a_ten_thousand_node_pair_diffs_with_the_change_found() {
    let chain = |last: i64| {
        let mut t = sales().select(["order_id", "amount"]).expect("select");
        for i in 0..10_000 {
            let step = if i == 5_000 { last } else { 1 };
            t = t.mutate([(col("amount") + lit(step)).alias("amount")]).expect("mutate");
        }
        t
    };
    let d = diff(&chain(1), &chain(2)).expect("diff");
    assert_eq!(d.changes.len(), 1, "one node changed");
    assert_eq!((status(&d, "amount"), status(&d, "order_id")), (ColumnStatus::Values, ColumnStatus::Unchanged));
    assert_eq!(d.unchanged[0].nodes, 5_002, "the read, the select and 5,000 steps below the change");
}

#[test]
fn a_removed_filter_and_a_union_with_another_input() {
    let old = seed(100);
    let new = sales().group_by(["region"]).agg([col("amount").sum().alias("total")]).expect("pipeline");
    let d = check("removed_filter", &old, &new, Classification::Breaking);
    assert_eq!(d.changes.len(), 1, "{}", d.render());
    assert_eq!((d.changes[0].kind, d.changes[0].op.as_str()), (ChangeKind::Removed, "Filter"));

    let part = |region: &str| sales().filter(col("region").eq(lit(region))).expect("filter");
    let two = part("EU").union(&part("US")).expect("union");
    let three = two.union(&part("APAC")).expect("union");
    let d = check("union_input", &two, &three, Classification::Breaking);
    assert!(d.changes.iter().any(|c| c.kind == ChangeKind::Added && c.op == "Filter"), "{}", d.render());
}

#[test]
fn unrelated_pipelines_diff_without_error() {
    let a = seed(100);
    let b = customers().select(["name"]).expect("select");
    let d = diff(&a, &b).expect("diff");
    assert_eq!(d.classification, Classification::Breaking);
    assert!(d.columns.iter().any(|c| c.name == "name" && c.status == ColumnStatus::Added));
    assert!(d.columns.iter().any(|c| c.name == "total" && c.status == ColumnStatus::Removed));
}

#[test]
fn a_changed_sort_changes_only_the_order() {
    let old = seed(100).order_by([col("total").desc()]).expect("sort");
    let new = seed(100).order_by([col("region")]).expect("sort");
    let d = check("sort_order", &old, &new, Classification::Values);
    assert_eq!(d.changes.len(), 1);
    assert!(d.render().contains("values: only the order of the rows can change"), "{}", d.render());
}
