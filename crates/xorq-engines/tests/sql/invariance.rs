//! What does not change the address: formatting, alias names, the order of AND terms.

use proptest::prelude::*;
use xorq_core::{Expr, col, lit};

use crate::fixture::{assert_same_address, files};

#[test]
fn formatting_and_comments_do_not_matter() {
    let f = files();
    assert_same_address(
        &f,
        &[
            "SELECT region, sum(amount) AS total FROM read_parquet('orders.parquet') WHERE amount > 100 GROUP BY region",
            "select region,\n       SUM(amount)   as total\n  from READ_PARQUET('orders.parquet')\n -- only large orders\n where amount > 100\n group by region;",
            "SELECT region, sum(amount) AS total FROM read_parquet('./orders.parquet') WHERE 100 < amount GROUP BY 1",
        ],
    );
}

#[test]
fn alias_names_do_not_matter() {
    let f = files();
    assert_same_address(
        &f,
        &[
            "WITH big AS (SELECT * FROM read_parquet('orders.parquet') WHERE amount > 10) SELECT b.region, count(*) AS n FROM big b GROUP BY b.region",
            "WITH large_orders AS (SELECT * FROM read_parquet('orders.parquet') WHERE amount > 10) SELECT x.region, count(*) AS n FROM large_orders AS x GROUP BY x.region",
            "SELECT region, count(*) AS n FROM (SELECT * FROM read_parquet('orders.parquet') o WHERE o.amount > 10) sub GROUP BY region",
        ],
    );
    assert_same_address(
        &f,
        &[
            "SELECT o.id, c.name FROM read_parquet('orders.parquet') o JOIN read_parquet('customers.parquet') c ON o.cid = c.id",
            "SELECT orders.id, customers.name FROM read_parquet('orders.parquet') AS orders JOIN read_parquet('customers.parquet') AS customers ON customers.id = orders.cid",
        ],
    );
}

#[test]
fn the_order_of_and_terms_does_not_matter() {
    let f = files();
    assert_same_address(
        &f,
        &[
            "SELECT * FROM read_parquet('orders.parquet') WHERE amount > 100 AND region = 'EU' AND id <> 3",
            "SELECT * FROM read_parquet('orders.parquet') WHERE id <> 3 AND (region = 'EU' AND amount > 100)",
            "SELECT * FROM (SELECT * FROM read_parquet('orders.parquet') WHERE region = 'EU') WHERE id <> 3 AND amount > 100",
        ],
    );
    assert_same_address(
        &f,
        &[
            "SELECT o.id FROM read_parquet('orders.parquet') o JOIN read_parquet('customers.parquet') c ON o.cid = c.id AND o.amount > 5",
            "SELECT o.id FROM read_parquet('orders.parquet') o JOIN read_parquet('customers.parquet') c ON o.amount > 5 AND c.id = o.cid",
        ],
    );
}

#[test]
fn different_logic_has_a_different_address() {
    let f = files();
    let a = f.lift("SELECT * FROM read_parquet('orders.parquet') WHERE amount > 100");
    let b = f.lift("SELECT * FROM read_parquet('orders.parquet') WHERE amount >= 100");
    let c = f.lift("SELECT id AS x FROM read_parquet('orders.parquet')");
    let d = f.lift("SELECT id AS y FROM read_parquet('orders.parquet')");
    assert_ne!(a.address(), b.address());
    assert_ne!(c.address(), d.address(), "output names are part of the address");
}

/// Reserved words the generated names must avoid.
const KEYWORDS: &[&str] = &[
    "all", "and", "any", "as", "asc", "by", "case", "cross", "desc", "do", "else", "end", "false", "from", "full",
    "group", "having", "if", "in", "inner", "into", "is", "join", "lateral", "left", "limit", "natural", "not", "null",
    "offset", "on", "or", "order", "outer", "right", "select", "set", "table", "then", "to", "true", "union", "using",
    "values", "when", "where", "window", "with",
];

/// Conditions with their builder form.
fn conditions() -> Vec<(&'static str, Expr)> {
    vec![
        ("amount > 100", col("amount").gt(lit(100))),
        ("region = 'EU'", col("region").eq(lit("EU"))),
        ("id <> 3", col("id").not_eq(lit(3))),
        ("cid IS NOT NULL", col("cid").is_not_null()),
        ("(amount < 50 OR amount > 500)", col("amount").lt(lit(50)).or(col("amount").gt(lit(500)))),
        ("region IN ('EU', 'US')", col("region").is_in([lit("EU"), lit("US")])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any subset of conditions, in any order, under any CTE and table alias names, is the
    /// builder's filter with those conditions.
    #[test]
    fn conjunctions_under_any_names_and_order_are_the_builder_filter(
        picked in proptest::sample::subsequence((0..6usize).collect::<Vec<_>>(), 1..=6).prop_shuffle(),
        cte in "[a-z][a-z0-9_]{0,8}",
        alias in "[a-z][a-z0-9_]{0,8}",
        use_cte in any::<bool>(),
    ) {
        prop_assume!(!KEYWORDS.contains(&cte.as_str()) && !KEYWORDS.contains(&alias.as_str()));
        let f = files();
        let all = conditions();
        let text: Vec<&str> = picked.iter().map(|i| all[*i].0).collect();
        let predicate = picked.iter().map(|i| all[*i].1.clone()).reduce(Expr::and).unwrap();
        let source = "read_parquet('orders.parquet')";
        let sql = if use_cte {
            format!("WITH {cte} AS (SELECT * FROM {source}) SELECT * FROM {cte} {alias} WHERE {}", text.join(" AND "))
        } else {
            format!("SELECT * FROM {source} AS {alias} WHERE {}", text.join(" AND "))
        };
        let lifted = f.lift(&sql);
        let built = f.orders().filter(predicate).unwrap();
        prop_assert_eq!(lifted.address(), built.address(), "{}\n{}\n{}", sql, lifted, built);
    }
}
