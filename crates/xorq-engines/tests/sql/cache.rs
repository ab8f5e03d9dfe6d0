//! Markers: `-- xorq: cache …` before a CTE caches it, before the query caches all of it;
//! `-- xorq: tag <name>` before a CTE tags it; `-- xorq: into_backend <profile>` moves it into an
//! engine; `-- xorq: param <name> <type> [default <value>]` declares a parameter.

use std::time::Duration;

use xorq_core::{CacheStrategy, DataType, Literal, RelOp, col, lit, param};

use crate::fixture::{assert_matches, assert_same_address, files};

#[test]
fn a_marked_cte_is_a_cache_node_over_its_query() {
    let f = files();
    let built = f
        .orders()
        .filter(col("amount").gt(lit(100)))
        .and_then(|t| t.select(["region", "amount"]))
        .and_then(|t| t.cache(CacheStrategy::modification_time()))
        .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
        .expect("builds");
    assert_matches(
        &f,
        "WITH\n-- xorq: cache\nbig AS (SELECT region, amount FROM read_parquet('orders.parquet') WHERE amount > 100)\nSELECT region, sum(amount) AS total FROM big GROUP BY region",
        built,
    );
}

#[test]
fn strategies_and_ttls_are_read() {
    let f = files();
    let base = f.orders().filter(col("amount").gt(lit(100))).expect("builds");
    for (marker, strategy) in [
        ("-- xorq: cache snapshot", CacheStrategy::snapshot()),
        ("-- xorq: cache snapshot ttl=1h", CacheStrategy::snapshot().with_ttl(Duration::from_secs(3600))),
        (
            "/* xorq: cache modification-time ttl=90 */",
            CacheStrategy::modification_time().with_ttl(Duration::from_secs(90)),
        ),
        ("-- xorq: cache ttl=2d", CacheStrategy::modification_time().with_ttl(Duration::from_secs(2 * 86_400))),
    ] {
        let text = format!(
            "WITH {marker}\nbig AS (SELECT * FROM read_parquet('orders.parquet') WHERE amount > 100) SELECT * FROM big"
        );
        assert_matches(&f, &text, base.cache(strategy).expect("caches"));
    }
}

#[test]
fn a_marker_before_the_query_caches_the_whole_result() {
    let f = files();
    let built = f
        .orders()
        .group_by(["region"])
        .agg([col("amount").sum().alias("total")])
        .and_then(|t| t.order_by([col("total").desc().nulls_first()]))
        .and_then(|t| t.cache(CacheStrategy::snapshot()))
        .expect("builds");
    assert_matches(
        &f,
        "-- daily totals\n-- xorq: cache snapshot\nSELECT region, sum(amount) AS total FROM read_parquet('orders.parquet') GROUP BY region ORDER BY total DESC",
        built,
    );
    let lifted = f.lift(
        "-- xorq: cache\nWITH -- xorq: cache\nb AS (SELECT * FROM read_parquet('orders.parquet')) SELECT id FROM b",
    );
    assert!(matches!(lifted.node().op(), RelOp::Cache(_)), "{lifted}");
}

#[test]
fn marked_ctes_keep_the_invariances() {
    let f = files();
    assert_same_address(
        &f,
        &[
            "WITH -- xorq: cache\nbig AS (SELECT * FROM read_parquet('orders.parquet') WHERE amount > 10 AND region = 'EU') SELECT b.region, count(*) AS n FROM big b GROUP BY b.region",
            "with\n  /* xorq: cache */ large_orders as (select * from read_parquet('./orders.parquet') where region = 'EU' and 10 < amount)\nselect x.region, count(*) as n from large_orders as x group by x.region",
        ],
    );
    // A comment that is not a marker changes nothing.
    assert_same_address(
        &f,
        &[
            "SELECT id FROM read_parquet('orders.parquet')",
            "-- xorq rocks; xorq: is not a marker here\nSELECT id FROM read_parquet('orders.parquet')",
        ],
    );
}

#[test]
fn a_cte_used_twice_is_one_cache_node() {
    let f = files();
    let t = f.lift(
        "WITH -- xorq: cache\nbig AS (SELECT id, region FROM read_parquet('orders.parquet') WHERE amount > 10)\nSELECT a.id, b.region FROM big a JOIN big b ON a.id = b.id",
    );
    let caches: std::collections::BTreeSet<_> = xorq_core::plan::walk::topological(t.node())
        .into_iter()
        .filter(|n| matches!(n.op(), RelOp::Cache(_)))
        .map(|n| n.address())
        .collect();
    assert_eq!(caches.len(), 1, "{t}");
}

#[test]
fn misplaced_or_malformed_markers_are_located() {
    let f = files();
    insta::assert_snapshot!(
        f.err("SELECT id\n-- xorq: cache\nFROM read_parquet('orders.parquet')"),
        @"2:1: this marker marks nothing: put `-- xorq: cache`, `-- xorq: tag <name>` or `-- xorq: into_backend <profile>` on the line before a CTE (`name AS (…)`), or a cache marker before the query's first word"
    );
    insta::assert_snapshot!(
        f.err("-- xorq: cache forever\nSELECT id FROM read_parquet('orders.parquet')"),
        @"1:1: unexpected `forever` in the cache marker; write `-- xorq: cache`, optionally followed by `modification-time` or `snapshot` and `ttl=<duration>` (`ttl=3600`, `ttl=90m`, `ttl=1d`)"
    );
    insta::assert_snapshot!(
        f.err("-- xorq: cache ttl=soon\nSELECT id FROM read_parquet('orders.parquet')"),
        @"1:1: `soon` is not a time to live; use seconds (`3600`) or units (`90m`, `1h`, `1d`)"
    );
    insta::assert_snapshot!(
        f.err("-- xorq: materialize\nSELECT id FROM read_parquet('orders.parquet')"),
        @"1:1: unknown xorq directive `materialize`; the directives are `cache` (`-- xorq: cache [modification-time|snapshot] [ttl=1h]`), `tag` (`-- xorq: tag <name>`), `into_backend` (`-- xorq: into_backend <profile>`) and `param` (`-- xorq: param <name> <type> [default <value>]`)"
    );
    insta::assert_snapshot!(
        f.err("-- xorq: cache\n-- xorq: cache snapshot\nSELECT id FROM read_parquet('orders.parquet')"),
        @"2:1: a second marker of the same kind for the same query; one cache and one tag marker per CTE (and one cache marker for the whole query)"
    );
    insta::assert_snapshot!(
        f.err("SELECT id FROM read_parquet('orders.parquet')\n-- xorq: cache"),
        @"2:1: this marker marks nothing: put `-- xorq: cache`, `-- xorq: tag <name>` or `-- xorq: into_backend <profile>` on the line before a CTE (`name AS (…)`), or a cache marker before the query's first word"
    );
}

#[test]
fn a_tag_marker_tags_its_cte_inside_a_cache_marker_of_the_same_cte() {
    let f = files();
    let sql = "WITH\n-- xorq: cache snapshot\n-- xorq: tag rows\nbig AS (SELECT region, amount FROM read_parquet('orders.parquet') WHERE amount > 100)\nSELECT region, sum(amount) AS total FROM big GROUP BY region";
    let built = f
        .orders()
        .filter(col("amount").gt(lit(100)))
        .and_then(|t| t.select(["region", "amount"]))
        .and_then(|t| t.tag("rows"))
        .and_then(|t| t.cache(CacheStrategy::snapshot()))
        .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
        .expect("builds");
    assert_matches(&f, sql, built);
    let t = f.lift(sql);
    assert_eq!(t.find_tagged("rows").len(), 1);
    assert!(t.unbind("rows").expect("unbinds").inputs().expect("inputs").contains_key("rows"));
    insta::assert_snapshot!(
        f.err("-- xorq: tag rows\nSELECT id FROM read_parquet('orders.parquet')"),
        @"1:1: a tag marks a CTE, not the whole query: put `-- xorq: tag <name>` on the line before `name AS (…)`"
    );
    insta::assert_snapshot!(
        f.err("WITH\n-- xorq: tag\nbig AS (SELECT id FROM read_parquet('orders.parquet'))\nSELECT id FROM big"),
        @"2:1: a tag marker names one tag: `-- xorq: tag <name>`"
    );
}

#[test]
fn a_marked_cte_keeps_its_order() {
    let f = files();
    let built = f
        .orders()
        .order_by([col("amount").desc().nulls_first()])
        .and_then(|t| t.limit(3))
        .and_then(|t| t.cache(CacheStrategy::snapshot()))
        .expect("builds");
    assert_matches(
        &f,
        "WITH -- xorq: cache snapshot\ntop AS (SELECT * FROM read_parquet('orders.parquet') ORDER BY amount DESC LIMIT 3) SELECT * FROM top",
        built,
    );
    // Without a LIMIT, DataFusion's planner drops the ORDER BY of a CTE (SQL gives a CTE no
    // order); marked or not, the CTE is the same logic.
    let sql = "WITH sorted AS (SELECT * FROM read_parquet('orders.parquet') ORDER BY amount) SELECT * FROM sorted";
    let unmarked = f.lift(sql);
    let marked = f.lift(&sql.replace("WITH ", "WITH -- xorq: cache\n"));
    let RelOp::Cache(c) = marked.node().op() else { panic!("{marked}") };
    assert_eq!(c.input.address(), unmarked.address(), "{marked}\n{unmarked}");
}

#[test]
fn an_into_backend_marker_moves_its_cte_and_what_reads_it_follows() {
    let f = files();
    // The seeds' example: filter in one engine, move, aggregate in the other. Inside a CTE
    // marked twice, the move is under the cache whatever the order of the comments.
    let moved = f.orders().filter(col("amount").gt(lit(100))).and_then(|t| t.into_backend("ducks")).expect("builds");
    let built = moved.group_by(["region"]).agg([col("id").count().alias("n")]).expect("builds");
    assert_matches(
        &f,
        "WITH\n-- xorq: into_backend ducks\nbig AS (SELECT * FROM read_parquet('orders.parquet') WHERE amount > 100)\nSELECT region, count(id) AS n FROM big GROUP BY region",
        built,
    );
    let cached = moved.cache(CacheStrategy::snapshot()).expect("caches");
    for markers in
        ["-- xorq: cache snapshot\n-- xorq: into_backend ducks", "-- xorq: into_backend ducks\n-- xorq: cache snapshot"]
    {
        assert_matches(
            &f,
            &format!(
                "WITH\n{markers}\nbig AS (SELECT * FROM read_parquet('orders.parquet') WHERE amount > 100)\nSELECT * FROM big"
            ),
            cached.clone(),
        );
    }
    insta::assert_snapshot!(
        f.err("-- xorq: into_backend ducks\nSELECT id FROM read_parquet('orders.parquet')"),
        @"1:1: into_backend moves a CTE, not the whole query: put `-- xorq: into_backend <profile>` on the line before `name AS (…)` (what reads that CTE then runs in that engine)"
    );
    insta::assert_snapshot!(
        f.err("WITH\n-- xorq: into_backend\nbig AS (SELECT id FROM read_parquet('orders.parquet'))\nSELECT id FROM big"),
        @"2:1: an into_backend marker names one profile: `-- xorq: into_backend <profile>`"
    );
    insta::assert_snapshot!(
        f.err("WITH\n-- xorq: into_backend my.db\nbig AS (SELECT id FROM read_parquet('orders.parquet'))\nSELECT id FROM big"),
        @"2:1: profile `my.db`: a profile name starts with a letter or `_` and holds only letters, digits, `_` and `-` (at most 64)"
    );
}

#[test]
fn a_declared_parameter_has_its_type_and_default() {
    let f = files();
    let declared = param("threshold", DataType::Float64).with_default(Literal::Float64(100.0));
    let built = f.orders().filter(col("amount").gt(declared)).expect("builds");
    assert_matches(
        &f,
        "-- xorq: param threshold DOUBLE default 100\nSELECT * FROM read_parquet('orders.parquet') WHERE amount > $threshold",
        built,
    );
    // A type that inference could not find, a quoted string default, any case.
    let sql = "/* xorq: param region VARCHAR DEFAULT 'EU' */\n-- xorq: param label varchar\nSELECT id, $label FROM read_parquet('orders.parquet') WHERE region = $region";
    let lifted = f.lift(sql);
    assert_eq!(lifted.params().expect("params").len(), 2, "{lifted}");
    let region = lifted.params().expect("params").into_iter().find(|p| p.name == "region").expect("declared");
    assert_eq!(region.default, Some(Literal::String("EU".into())));
    assert_eq!(region.dtype, DataType::String);
}

#[test]
fn malformed_parameter_declarations_are_located() {
    let f = files();
    let q = "SELECT * FROM read_parquet('orders.parquet') WHERE amount > $threshold";
    insta::assert_snapshot!(f.err(&format!("-- xorq: param threshold DOUBLE default lots\n{q}")), @"1:1: the default `lots` of parameter `threshold` is not a Float64");
    insta::assert_snapshot!(f.err(&format!("-- xorq: param threshold\n{q}")), @"1:1: parameter `threshold` has no type; write `-- xorq: param <name> <SQL type> [default <value>]`, for example `-- xorq: param threshold DOUBLE default 100`");
    insta::assert_snapshot!(f.err(&format!("-- xorq: param threshold NUMBERISH\n{q}")), @"1:1: `NUMBERISH` is not a SQL type (parameter `threshold`); write `-- xorq: param <name> <SQL type> [default <value>]`, for example `-- xorq: param threshold DOUBLE default 100`");
    insta::assert_snapshot!(f.err(&format!("-- xorq: param threshold DOUBLE default\n{q}")), @"1:1: parameter `threshold` says `default` but gives no value; write `-- xorq: param <name> <SQL type> [default <value>]`, for example `-- xorq: param threshold DOUBLE default 100`");
    insta::assert_snapshot!(f.err(&format!("-- xorq: param threshold DOUBLE\n-- xorq: param threshold INT\n{q}")), @"2:1: parameter `threshold` is declared twice; declare it once");
    insta::assert_snapshot!(f.err(&format!("-- xorq: param limit_ INT\n{q}")), @"1:1: parameter `limit_` is declared but the query never uses `$limit_`");
}
