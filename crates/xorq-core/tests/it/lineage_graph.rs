//! The whole-table lineage graph, the source fields each column depends on, and the graph
//! formats (Graphviz, Mermaid, HTML, OpenLineage).

use crate::common::{customers, sales};
use xorq_core::lineage::openlineage::{EventContext, run_event, run_id};
use xorq_core::lineage::{
    HtmlOptions, NodeKind, TableLineage, Transformation, column_lineage, columns_lineage, table_lineage,
};
use xorq_core::{CoreError, JoinKind, Table, Window, col, lit};

use Transformation::*;

fn seed() -> Table {
    sales()
        .filter(col("amount").gt(lit(100)))
        .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
        .expect("seed pipeline")
}

/// `(source, field, transformations)` of an output column, as a compact view.
fn inputs(g: &TableLineage, column: &str) -> Vec<(String, String, Vec<Transformation>)> {
    let root = g.columns.iter().find(|r| r.column == column).expect("column in graph").node;
    g.input_fields(root).into_iter().map(|i| (i.source, i.field, i.transformations)).collect()
}

fn v(source: &str, field: &str, how: &[Transformation]) -> (String, String, Vec<Transformation>) {
    (source.into(), field.into(), how.to_vec())
}

#[test]
fn one_graph_for_every_column_shares_nodes() {
    let g = table_lineage(&seed()).expect("lineage");
    let names: Vec<&str> = g.columns.iter().map(|r| r.column.as_str()).collect();
    assert_eq!(names, ["region", "total"]);
    assert_eq!(g.columns[0].node, 0);
    assert_eq!(g.nodes.iter().filter(|n| matches!(n.kind, NodeKind::Read { .. })).count(), 1);
    // What the table graph reaches from a column is that column's own graph.
    for root in &g.columns {
        let own = column_lineage(&seed(), &root.column).expect("column lineage");
        let reach = g.reachable(root.node, true);
        let mut from_table: Vec<String> = g.nodes.iter().filter(|n| reach[n.id]).map(|n| n.kind.label()).collect();
        let mut from_column: Vec<String> = own.nodes.iter().map(|n| n.kind.label()).collect();
        from_table.sort();
        from_column.sort();
        assert_eq!(from_table, from_column, "{}", root.column);
    }
    let err = columns_lineage(&seed(), &["totl"]).expect_err("unknown column");
    assert!(matches!(err, CoreError::ColumnNotFound { .. }), "{err}");
}

#[test]
fn input_fields_say_how_each_source_column_counts() {
    let g = table_lineage(&seed()).expect("lineage");
    assert_eq!(
        inputs(&g, "total"),
        [v("sales.parquet", "amount", &[Aggregation, Filter]), v("sales.parquet", "region", &[GroupBy])]
    );
    assert_eq!(
        inputs(&g, "region"),
        [v("sales.parquet", "region", &[Identity]), v("sales.parquet", "amount", &[Filter])]
    );
    let uri = &table_lineage(&seed()).expect("lineage").input_fields(1)[0].uri;
    assert_eq!(uri, "file:///data/sales.parquet");
}

#[test]
fn joins_windows_and_sorts_are_indirect() {
    let t = sales()
        .join(&customers(), JoinKind::Inner, ["customer_id"])
        .and_then(|t| {
            t.mutate([
                col("amount").sum().over(Window::new().partition_by(["name"]).order_by(["day"])).alias("running"),
                (col("amount") * lit(2)).alias("double"),
            ])
        })
        .and_then(|t| t.order_by([col("qty").desc()]))
        .expect("pipeline");
    let g = columns_lineage(&t, &["name", "running", "double"]).expect("lineage");
    assert_eq!(
        inputs(&g, "name"),
        [
            v("customers.parquet", "name", &[Identity]),
            v("sales.parquet", "customer_id", &[Join]),
            v("customers.parquet", "customer_id", &[Join]),
            v("sales.parquet", "qty", &[Sort]),
        ]
    );
    let running = inputs(&g, "running");
    // A windowed sum aggregates, over the window.
    assert!(running.contains(&v("sales.parquet", "amount", &[Aggregation])), "{running:?}");
    assert!(running.contains(&v("customers.parquet", "name", &[Window])), "{running:?}");
    assert!(running.contains(&v("sales.parquet", "day", &[Window])), "{running:?}");
    assert_eq!(inputs(&g, "double")[0], v("sales.parquet", "amount", &[Transformation]));
}

#[test]
fn a_rank_over_a_join_depends_on_the_join_keys() {
    // `rank()` has no value arguments: the join is reached only through the window's keys.
    let t = sales()
        .join(&customers(), JoinKind::Inner, ["customer_id"])
        .and_then(|t| {
            t.mutate([xorq_core::rank().over(Window::new().partition_by(["name"]).order_by(["amount"])).alias("rnk")])
        })
        .expect("pipeline");
    let g = columns_lineage(&t, &["rnk"]).expect("lineage");
    let rnk = inputs(&g, "rnk");
    for key in [v("sales.parquet", "customer_id", &[Join]), v("customers.parquet", "customer_id", &[Join])] {
        assert!(rnk.contains(&key), "{rnk:?}");
    }
    assert!(rnk.contains(&v("customers.parquet", "name", &[Window])), "{rnk:?}");
}

#[test]
fn dot_and_mermaid_of_the_seed() {
    let g = table_lineage(&seed()).expect("lineage");
    insta::assert_snapshot!("seed_dot", g.to_dot());
    insta::assert_snapshot!("seed_mermaid", g.to_mermaid());
}

#[test]
fn html_is_one_self_contained_page() {
    let g = table_lineage(&seed()).expect("lineage");
    let page = g.to_html(&HtmlOptions { title: "seed <pipeline>".into(), subtitle: "builds/x".into() });
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<title>seed &lt;pipeline&gt; · lineage</title>"), "title is escaped");
    for outside in ["<script src", "<link", "@import", "url(", "https://", "{{"] {
        assert!(!page.contains(outside), "{outside}");
    }
    // The embedded data parses and names every node.
    let start = page.find("id=\"lineage-data\">").expect("data element") + "id=\"lineage-data\">".len();
    let end = start + page[start..].find("</script>").expect("end of data");
    let data: serde_json::Value = serde_json::from_str(&page[start..end]).expect("JSON");
    assert_eq!(data["nodes"].as_array().map(Vec::len), Some(g.nodes.len()));
    assert_eq!(data["columns"][1]["column"], "total");
}

#[test]
fn openlineage_event_of_the_seed() {
    let t = seed();
    let ctx = EventContext {
        job_namespace: "xorq".into(),
        job_name: "seed".into(),
        run_id: run_id(b"seed"),
        event_time: "2026-11-23T12:00:00Z".into(),
        output_namespace: "xorq".into(),
        output_name: "seed-output".into(),
        producer: "https://github.com/xorq-labs/xorq-rs".into(),
    };
    let event = run_event(&t, &table_lineage(&t).expect("lineage"), &ctx);
    insta::assert_json_snapshot!("seed_openlineage", event);
}
