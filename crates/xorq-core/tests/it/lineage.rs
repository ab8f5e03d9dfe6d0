//! Column lineage: the graph and its text tree for each relational operator.

use crate::common::{customers, sales};
use xorq_core::lineage::{EdgeKind, LineageGraph, NodeKind, TreeOptions, column_lineage, lineage};
use xorq_core::{CoreError, DataType, JoinKind, Table, Window, col, concat, lcol, lit, rcol, when};

fn tree(t: &Table, column: &str) -> String {
    column_lineage(t, column).expect("lineage").render(&TreeOptions::default())
}

fn tree_with_control(t: &Table, column: &str) -> String {
    column_lineage(t, column).expect("lineage").render(&TreeOptions::default().control(true))
}

fn seed() -> Table {
    sales()
        .filter(col("amount").gt(lit(100)))
        .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
        .expect("seed pipeline")
}

#[test]
fn seed_pipeline_tree_is_exact() {
    let expected = "\
Lineage for column 'total':
Field:total #1
└── Aggregate #2
    └── Sum #3
        └── Field:amount #4
            └── Filter #5
                └── Read:sales.parquet #6
";
    assert_eq!(tree(&seed(), "total"), expected);
}

#[test]
fn seed_pipeline_ascii_and_control() {
    let g = column_lineage(&seed(), "total").expect("lineage");
    insta::assert_snapshot!(
        "seed_ascii_control",
        g.render(&TreeOptions { ascii: true, control: true, max_depth: None })
    );
}

#[test]
fn deep_trees_can_be_cut() {
    let g = column_lineage(&seed(), "total").expect("lineage");
    let expected = "\
Lineage for column 'total':
Field:total #1
└── Aggregate #2
    └── Sum #3
        └── … 1 more dependency (raise --depth, or draw it with -f html)
";
    assert_eq!(g.render(&TreeOptions::default().max_depth(Some(2))), expected);
    let ascii = g.render(&TreeOptions::default().ascii(true).control(true).max_depth(Some(1)));
    assert!(
        ascii.is_ascii() && ascii.ends_with("`-- ... 2 more dependencies (raise --depth, or draw it with -f html)\n"),
        "{ascii}"
    );
    assert_eq!(g.render(&TreeOptions::default().max_depth(Some(99))), g.render(&TreeOptions::default()));
}

#[test]
fn filter_predicate_is_a_control_dependency() {
    let t = sales().filter(col("qty").gt(lit(1))).and_then(|t| t.select([col("amount")])).expect("pipeline");
    insta::assert_snapshot!("filter_control", tree_with_control(&t, "amount"));
    let g = column_lineage(&t, "amount").expect("lineage");
    let filter = find(&g, &NodeKind::Filter);
    let kids: Vec<_> = g.children(filter).collect();
    assert_eq!(kids.iter().filter(|(_, k)| *k == EdgeKind::Control).count(), 1);
    let (qty, _) = kids.iter().find(|(_, k)| *k == EdgeKind::Control).copied().expect("control edge");
    assert_eq!(g.nodes[qty].kind, NodeKind::Field { name: "qty".into() });
}

#[test]
fn every_column_and_unknown_columns() {
    let all = lineage(&seed()).expect("lineage");
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["region", "total"]);
    insta::assert_snapshot!("seed_region", all[0].1.render(&TreeOptions::default().control(true)));
    let err = column_lineage(&seed(), "totl").expect_err("unknown column");
    assert!(matches!(err, CoreError::ColumnNotFound { .. }));
    assert!(err.to_string().contains("did you mean `total`?"), "{err}");
}

#[test]
fn join_takes_one_side_and_keys_are_control() {
    let t = sales().join(&customers(), JoinKind::Inner, ["customer_id"]).expect("join");
    insta::assert_snapshot!("join_name", tree_with_control(&t, "name"));
    insta::assert_snapshot!("join_amount", tree(&t, "amount"));
    // Both `region`s: the right one is renamed.
    insta::assert_snapshot!("join_region_right", tree(&t, "region_right"));
}

#[test]
fn join_predicate_columns_are_control() {
    let t =
        sales().join_where(&customers(), JoinKind::Left, ["customer_id"], lcol("day").gt(rcol("since"))).expect("join");
    insta::assert_snapshot!("join_where_note", tree_with_control(&t, "note"));
}

#[test]
fn self_join_shares_the_source() {
    let s = sales();
    let t = s.join(&s, JoinKind::Inner, ["order_id"]).expect("self join");
    let t = t.mutate([(col("amount") - col("amount_right")).alias("delta")]).expect("mutate");
    let g = column_lineage(&t, "delta").expect("lineage");
    assert_eq!(g.sources(), ["sales.parquet"]);
    assert_eq!(g.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Read { .. })).count(), 1);
    insta::assert_snapshot!("self_join", g.render(&TreeOptions::default().control(true)));
}

#[test]
fn union_has_every_branch() {
    let eu = sales().filter(col("region").eq(lit("EU"))).expect("eu");
    let us =
        sales().filter(col("region").eq(lit("US"))).and_then(|t| t.mutate([(col("amount") * lit(2)).alias("amount")]));
    let t = eu.union(&us.expect("us")).expect("union");
    insta::assert_snapshot!("union", tree(&t, "amount"));
}

#[test]
fn column_from_two_sources() {
    let c = customers().select([col("customer_id"), col("name")]).expect("select");
    let t = sales()
        .join(&c, JoinKind::Inner, ["customer_id"])
        .and_then(|t| t.mutate([concat([col("note"), col("name")]).alias("mixed")]))
        .expect("pipeline");
    let g = column_lineage(&t, "mixed").expect("lineage");
    assert_eq!(g.sources(), ["sales.parquet", "customers.parquet"]);
    insta::assert_snapshot!("two_sources", g.render(&TreeOptions::default()));
}

#[test]
fn rename_chain() {
    let t = sales()
        .rename([("amount", "a")])
        .and_then(|t| t.rename([("a", "b")]))
        .and_then(|t| t.filter(col("b").gt(lit(0))))
        .and_then(|t| t.rename([("b", "c")]))
        .expect("renames");
    insta::assert_snapshot!("rename_chain", tree(&t, "c"));
}

#[test]
fn window_arguments_are_values_keys_are_control() {
    let t = sales()
        .mutate([col("amount").sum().over(Window::new().partition_by(["region"]).order_by(["day"])).alias("running")])
        .expect("window");
    insta::assert_snapshot!("window", tree_with_control(&t, "running"));
}

#[test]
fn case_when_and_cast() {
    let t = sales()
        .mutate([
            when(col("amount").gt(lit(1000))).then(col("note")).otherwise(lit("small")).alias("size"),
            col("qty").cast(DataType::Float64).alias("qty_f"),
        ])
        .expect("mutate");
    insta::assert_snapshot!("case_when", tree(&t, "size"));
    insta::assert_snapshot!("cast", tree(&t, "qty_f"));
}

#[test]
fn cache_nodes_pass_columns_through() {
    use std::time::Duration;
    use xorq_core::CacheStrategy;
    // A cache inside a cached expression: both appear, the rows pass through both.
    let inner = sales().filter(col("amount").gt(lit(100))).and_then(|t| t.cache(CacheStrategy::modification_time()));
    let t = inner
        .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
        .and_then(|t| t.cache(CacheStrategy::snapshot().with_ttl(Duration::from_secs(3600))))
        .expect("pipeline");
    let g = column_lineage(&t, "total").expect("lineage");
    assert_eq!(g.sources(), ["sales.parquet"]);
    insta::assert_snapshot!("cache_chain", tree_with_control(&t, "total"));
}

#[test]
fn sort_limit_distinct_tag_pass_through() {
    let t = sales()
        .order_by([col("day").desc()])
        .and_then(|t| t.limit(10))
        .and_then(|t| t.distinct())
        .and_then(|t| t.tag("top"))
        .expect("pipeline");
    insta::assert_snapshot!("pass_through", tree_with_control(&t, "amount"));
    let json = labels(&column_lineage(&t, "amount").expect("lineage"));
    assert!(json.contains("Tag:top"));
}

#[test]
fn ten_thousand_node_chain() {
    let mut t = sales();
    for _ in 0..10_000 {
        t = t.mutate([(col("amount") + lit(1)).alias("amount")]).expect("mutate");
    }
    // Deep graphs neither overflow the stack nor blow up (timing is `benches/lineage.rs`'s job).
    let g = column_lineage(&t, "amount").expect("lineage");
    assert_eq!(g.sources(), ["sales.parquet"]);
    assert!(g.nodes.len() > 30_000);
}

fn find(g: &LineageGraph, kind: &NodeKind) -> usize {
    g.nodes.iter().find(|n| &n.kind == kind).map(|n| n.id).expect("node of that kind")
}

/// Labels in id order: a cheap, stable view of the whole graph.
fn labels(g: &LineageGraph) -> String {
    g.nodes.iter().map(|n| n.kind.label()).collect::<Vec<_>>().join(",")
}
