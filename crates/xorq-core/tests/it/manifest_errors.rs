//! Bad manifests: each gets a clear error naming what is wrong and where, never a panic.

use crate::common;

use crate::common::corpus::corpus;
use xorq_core::manifest::{LoadContext, from_yaml, to_yaml};
use xorq_core::plan::{Aggregate, Filter, Node, RelOp};
use xorq_core::*;

fn sales_pipeline_yaml() -> String {
    let table = corpus().into_iter().find(|(n, _)| *n == "sales_pipeline").and_then(|(_, t)| t.ok()).expect("builds");
    to_yaml(&table).expect("writes")
}

/// The manifest with `from` replaced by `to` (exactly once), read back.
fn load_edited(from: &str, to: &str) -> Result<Table> {
    let yaml = sales_pipeline_yaml();
    assert_eq!(yaml.matches(from).count(), 1, "`{from}` must occur once in\n{yaml}");
    from_yaml(&yaml.replacen(from, to, 1), &LoadContext::new())
}

fn message(r: Result<Table>) -> String {
    let m = r.expect_err("the edited manifest must be refused").to_string();
    eprintln!("{m}\n");
    m
}

#[test]
fn malformed_yaml_reports_line_and_column() {
    let yaml = sales_pipeline_yaml().replacen("      predicate:\n", "      predicate: [\n", 1);
    let err = from_yaml(&yaml, &LoadContext::new()).expect_err("malformed");
    let CoreError::Manifest { line: Some(line), column: Some(column), .. } = &err else {
        panic!("expected a located manifest error, got {err:?}");
    };
    assert!(*line > 1 && *column > 1, "{err}");
    assert!(err.to_string().starts_with(&format!("manifest at line {line}, column {column}: ")), "{err}");
}

#[test]
fn a_typo_in_a_key_is_located() {
    let err = message(load_edited("      predicate:\n", "      predicat:\n"));
    assert!(err.contains("predicat") && err.contains("line 30"), "{err}");
}

#[test]
fn unknown_op_is_named() {
    let err = message(load_edited("op: Filter", "op: Frobnicate"));
    assert!(err.contains("unknown op `Frobnicate`") && err.contains("`Filter`"), "{err}");
    assert!(err.contains("filter_") && err.contains("at line 28"), "{err}");
}

#[test]
fn unknown_functions_and_types_are_named() {
    let err = message(load_edited("aggregate: sum", "aggregate: summ"));
    assert!(err.contains("unknown aggregate function `summ`") && err.contains("`sum`"), "{err}");
    let err = from_yaml(&sales_pipeline_yaml().replacen("type: Float64", "type: Float65", 1), &LoadContext::new());
    assert!(matches!(err, Err(CoreError::InvalidTypeName { ref name }) if name == "Float65"), "{err:?}");
}

#[test]
fn a_missing_column_is_reported_with_a_suggestion() {
    let err = load_edited("left: {column: amount}", "left: {column: amuont}").expect_err("no such column");
    assert!(matches!(err, CoreError::ColumnNotFound { ref column, .. } if column == "amuont"), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("did you mean `amount`?") && text.contains("manifest node `filter_"), "{text}");
}

#[test]
fn a_newer_version_is_refused_naming_both_versions() {
    let err = message(load_edited("manifest_version: 1", "manifest_version: 2"));
    assert!(err.contains("manifest version 2") && err.contains("(1)"), "{err}");
    let err = message(load_edited("manifest_version: 1\n", ""));
    assert!(err.contains("no `manifest_version`"), "{err}");
}

#[test]
fn a_hand_edited_literal_changes_the_address_and_is_reported() {
    let err = message(load_edited("literal: 100.0", "literal: 150.0"));
    assert!(err.contains("node `filter_") && err.contains("rebuilds to `filter_"), "{err}");
    assert!(err.contains("edited after it was written"), "{err}");
}

#[test]
fn references_and_schemas_are_checked() {
    let yaml = sales_pipeline_yaml();
    let read_id = yaml.lines().find_map(|l| l.trim().strip_prefix("parent: read_")).expect("a read parent");
    let err = message(load_edited(&format!("parent: read_{read_id}"), "parent: read_000000000000"));
    assert!(err.contains("input `read_000000000000` is not defined"), "{err}");
    let err = message(load_edited("      total: Float64", "      total: Int64"));
    assert!(err.contains("computes the columns") && err.contains("schema_1"), "{err}");
    let err = message(load_edited("expression: aggregate_", "expression: nothing_"));
    assert!(err.contains("`expression` names"), "{err}");
}

#[test]
fn garbage_is_refused_without_panicking() {
    for text in ["", "[]", "42", "manifest_version: x", "manifest_version: 1", "manifest_version: 1\nexpression: a\n"] {
        let err = from_yaml(text, &LoadContext::new()).expect_err(text);
        assert!(matches!(err, CoreError::Manifest { .. }), "{text:?}: {err:?}");
    }
}

#[test]
fn ir_the_builder_cannot_make_is_refused_clearly() {
    let table = corpus().into_iter().find(|(n, _)| *n == "sales_pipeline").and_then(|(_, t)| t.ok()).expect("builds");
    // An aggregate FILTER clause is written and read back (the builder makes them too).
    let RelOp::Aggregate(agg) = table.node().op() else { panic!("an aggregate") };
    let mut measures = agg.measures.clone();
    if let ExprKind::Aggregate(call) = &mut measures[0].expr.kind {
        call.filter = Some(ScalarExpr::literal(Literal::Boolean(true)));
    }
    let filtered =
        Table::from_node(Node::try_new(RelOp::Aggregate(Aggregate { measures, ..agg.clone() })).expect("node"));
    let text = to_yaml(&filtered).expect("a FILTER is written");
    assert!(text.contains("filter: {literal: true, type: Boolean}"), "{text}");
    let reread = from_yaml(&text, &LoadContext::new()).expect("and read back");
    assert_eq!(reread.address(), filtered.address());

    // Repeated tag metadata keys are refused where they are given.
    let err = common::sales().tag_with("t", [("k", "1"), ("k", "2")]).expect_err("refused").to_string();
    assert_eq!(err, "tag `t`: metadata key `k` is given twice");

    // A filter directly over a filter (the builder merges them) is written, but reading it back
    // merges the two, so the address check reports it.
    let inner = common::sales().filter(col("qty").gt(lit(1))).expect("builds");
    let outer = Node::try_new(RelOp::Filter(Filter {
        input: inner.node().clone(),
        predicate: ScalarExpr::literal(Literal::Boolean(true)),
    }))
    .expect("node");
    let yaml = to_yaml(&Table::from_node(outer)).expect("writes");
    let err = message(from_yaml(&yaml, &LoadContext::new()));
    assert!(err.contains("rebuilds to"), "{err}");
}

fn cache_yaml() -> String {
    let table =
        corpus().into_iter().find(|(n, _)| *n == "cache_snapshot_ttl").and_then(|(_, t)| t.ok()).expect("builds");
    to_yaml(&table).expect("writes")
}

#[test]
fn bad_cache_nodes_are_named() {
    let yaml = cache_yaml();
    let edit = |from: &str, to: &str| {
        assert_eq!(yaml.matches(from).count(), 1, "`{from}` must occur once in\n{yaml}");
        message(from_yaml(&yaml.replacen(from, to, 1), &LoadContext::new()))
    };
    let err = edit("strategy: snapshot", "strategy: forever");
    assert!(err.contains("unknown cache strategy `forever`") && err.contains("`modification-time`"), "{err}");
    let err = edit("storage: parquet", "storage: tape");
    assert!(err.contains("unknown cache storage `tape`"), "{err}");
    let err = edit("ttl: 3600", "ttl: 0");
    assert!(err.contains("at least 1"), "{err}");
    // Another TTL is another node: the edit is detected by the address check.
    let err = edit("ttl: 3600", "ttl: 60");
    assert!(err.contains("rebuilds to `cache_"), "{err}");
    let err = edit("storage: parquet", "storage: parquet\n      profile: warehouse");
    assert!(err.contains("`profile` applies to `storage: source`"), "{err}");
}
