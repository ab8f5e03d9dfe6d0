//! Errors name the construct and where it is in the text.

use crate::fixture::files;

#[test]
fn functions_outside_the_catalogue_are_located() {
    let f = files();
    insta::assert_snapshot!(
        f.err("SELECT id,\n       now() AS t\nFROM read_parquet('orders.parquet')"),
        @r"
    2:8: function `now` is not supported by xorq: its result is not a function of its inputs, so an expression's address could not name its result
    hint: pass the time as a parameter bound per run (`$now`, `xorq run -p now=…`), so it is part of the cache key
    "
    );
    insta::assert_snapshot!(
        f.err("SELECT region, array_agg(amount) AS m FROM read_parquet('orders.parquet') GROUP BY region"),
        @r"
    1:16: function `array_agg` is not supported by xorq: it works on lists, structs, maps or unions, which xorq's expressions do not model yet
    hint: use `string_agg` to join values as text
    "
    );
    insta::assert_snapshot!(
        f.err("SELECT arrow_typeof(amount) AS t FROM read_parquet('orders.parquet')"),
        @"1:8: function `arrow_typeof` is not supported by xorq: its result depends on the physical layout DataFusion picks (Arrow types, field metadata, files), not on the values"
    );
    insta::assert_snapshot!(
        f.err("SELECT id FROM read_parquet('orders.parquet')\nWHERE region ~ 'E.*'"),
        @"2:14: operator `~` is not supported by xorq"
    );
}

#[test]
fn planner_errors_keep_their_position() {
    let f = files();
    insta::assert_snapshot!(
        f.err("SELECT id,\n  amuont FROM read_parquet('orders.parquet')"),
        @r"
    2:3: No field named amuont. Did you mean 'amount'?
    Valid fields are id, cid, region, amount, day.
    "
    );
    insta::assert_snapshot!(
        f.err("SELECT frobnicate(amount) FROM read_parquet('orders.parquet')").lines().next().unwrap_or_default().to_string(),
        @"1:8: Invalid function 'frobnicate'."
    );
}

#[test]
fn syntax_errors_have_a_position() {
    let f = files();
    insta::assert_snapshot!(
        f.err("SELECT id FROM read_parquet('orders.parquet')\nWHER id > 1"),
        @"2:6: syntax error: Expected: end of statement, found: id"
    );
    insta::assert_snapshot!(
        f.err("SELECT id\nFROM read_parquet('orders.parquet')\nWHERE"),
        @"3:6: syntax error: Expected: an expression, found: EOF"
    );
    insta::assert_snapshot!(
        f.err("SELECT 1 FROM read_parquet('orders.parquet');\nSELECT 2"),
        @"2:1: the SQL text has more than one statement; a pipeline is one SELECT"
    );
    insta::assert_snapshot!(f.err("INSERT INTO t VALUES (1)"), @"1:1: only a SELECT query is supported, not `INSERT`");
}

#[test]
fn sources_are_checked_where_they_are_named() {
    let f = files();
    insta::assert_snapshot!(
        f.err("SELECT id\nFROM orders"),
        @"2:6: unknown table `orders`: read files with read_parquet('…'), read_csv('…') or read_json('…'), or name a backend table as `<profile>.<schema>.<table>`"
    );
    insta::assert_snapshot!(
        f.err("SELECT id FROM read_parquet('missing.parquet')"),
        @r"
    1:16: cannot read the schema of `<dir>/missing.parquet`: No such file or directory (os error 2)
    hint: check the path; relative paths are resolved from `<dir>`
    "
    );
    insta::assert_snapshot!(
        f.err("SELECT o.id FROM read_parquet('orders.parquet') o JOIN pg.public.customers c ON o.cid = c.id"),
        @r"
    1:56: `pg.public.customers` names a table of backend profile `pg`, but no backend profile `pg` is connected
    hint: read files with read_parquet('…'), read_csv('…') or read_json('…'), or connect the profile
    "
    );
    insta::assert_snapshot!(
        f.err("SELECT id FROM read_csv('orders.csv', quote => '\"')"),
        @"1:39: read_csv has no option `quote`; its options are `delimiter`, `header`"
    );
    insta::assert_snapshot!(
        f.err("SELECT id FROM read_orc('orders.orc')"),
        @"1:16: table function `read_orc` is not supported; read sources with `read_parquet('path')`, `read_csv('path')`, `read_json('path')`"
    );
    insta::assert_snapshot!(
        f.err("SELECT id FROM read_parquet('orders.parquet') JOIN read_parquet('customers.parquet') USING (id)"),
        @r"
    1:52: Schema contains duplicate qualified field name id
    hint: give each table function an alias, e.g. `read_parquet('orders.parquet') AS o`
    "
    );
}

#[test]
fn constructs_the_ir_cannot_express_are_located() {
    let f = files();
    let o = "read_parquet('orders.parquet')";
    let c = "read_parquet('customers.parquet')";
    insta::assert_snapshot!(
        f.err(&format!("SELECT * FROM {o} o,\n  LATERAL (SELECT * FROM {c} c WHERE c.id = o.cid) x")),
        @"2:3: a LATERAL (correlated) subquery in FROM is not supported by xorq"
    );
    insta::assert_snapshot!(
        f.err("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r"),
        @"1:6: a recursive CTE (`WITH RECURSIVE`) is not supported by xorq"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT unnest([1, 2]) AS x FROM {o}")),
        @"1:8: `UNNEST` is not supported by xorq"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT DISTINCT ON (region) id FROM {o}")),
        @"1:8: `DISTINCT ON` is not supported by xorq"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT region FROM {o}\nINTERSECT ALL\nSELECT region FROM {c}")),
        @"2:1: `INTERSECT ALL` is not supported by xorq; use `INTERSECT` (distinct rows)"
    );
}

#[test]
fn subqueries_without_a_join_equivalent_are_located() {
    let f = files();
    let o = "read_parquet('orders.parquet')";
    let c = "read_parquet('customers.parquet')";
    insta::assert_snapshot!(
        f.err(&format!("SELECT id, (SELECT max(c.id) FROM {c} c WHERE c.id > o.cid) AS m FROM {o} o")),
        @"1:12: this correlated scalar subquery is not supported by xorq: it may refer to the outer query only by equalities `inner_column = outer_column` joined by AND"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT id, (SELECT c.id FROM {c} c WHERE c.id = o.cid) AS m FROM {o} o")),
        @"1:12: this correlated scalar subquery is not supported by xorq: it must be an aggregate without GROUP BY, e.g. `(SELECT max(x) FROM t WHERE t.k = outer.k)`"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT id FROM {o} o WHERE region = 'EU' OR cid IN (SELECT id FROM {c})")),
        @"1:76: this subquery is not supported: `IN (SELECT …)` and `[NOT] EXISTS (…)` are supported as conditions of WHERE, joined by AND"
    );
}

#[test]
fn output_names_must_be_unique() {
    let f = files();
    insta::assert_snapshot!(
        f.err("SELECT *\nFROM read_parquet('orders.parquet') o JOIN read_parquet('customers.parquet') c ON o.cid = c.id"),
        @"1:8: the query has two output columns named `id`; give one of them another name (`… AS id_2`), or join with `USING (…)` to keep one copy of a key"
    );
}

#[test]
fn type_errors_of_the_ir_are_located_too() {
    let f = files();
    let o = "read_parquet('orders.parquet')";
    insta::assert_snapshot!(
        f.err(&format!("SELECT id FROM {o}\nWHERE region > true")),
        @r#"
    2:14: type error in Filter input: `>` cannot take `String` and `Boolean`
    hint: cast one side, e.g. `col("x").cast(DataType::Int64)`
    "#
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT day FROM {o}\nUNION\nSELECT amount FROM {o}")),
        @r"
    2:1: union inputs have different schemas: column 1 is `day: Date` in the first input and `amount: Float64` in the second
    hint: rename or cast so both inputs have the same columns
    "
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT extract(century FROM day) AS w FROM {o}")),
        @"1:8: date part `century` is not supported; use one of `year`, `quarter`, `qtr`, `month`, `day`, `hour`, `minute`, `second`, `dow`, `doy`, `week`, `millisecond`, `microsecond`, `nanosecond`, `epoch`, `isodow`, `isoyear`"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT id FROM {o} WHERE day > DATE '2024-13-01'")),
        @"1:64: date literal: `2024-13-01` is not a date of the form YYYY-MM-DD (input is out of range)"
    );
}

#[test]
fn placeholders_need_a_name_and_a_type() {
    let f = files();
    insta::assert_snapshot!(
        f.err("SELECT id FROM read_parquet('orders.parquet') WHERE amount > $1"),
        @"1:62: positional parameter `$1` cannot be bound by name; name it, for example `$threshold`"
    );
    insta::assert_snapshot!(
        f.err("SELECT $x AS x FROM read_parquet('orders.parquet')"),
        @"1:8: the type of parameter `$x` cannot be inferred; compare it with a column (`amount > $x`), give it a type with `CAST($x AS DOUBLE)`, or declare it: `-- xorq: param x DOUBLE [default …]`"
    );
}
