//! The SQL front end: queries lift to the same IR (and address) as the builder, aliases and
//! formatting do not change the address, and what the IR cannot express is reported with its
//! line and column.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use parquet::arrow::ArrowWriter;
use tempfile::TempDir;
use xorq_core::plan::{CsvOptions, FileFormat, RelOp};
use xorq_core::{
    DataType, Field, JoinKind, Schema, Source, Table, Window, col, count_star, lcol, lit, rcol, row_number, when,
};
use xorq_engines::EngineError;
use xorq_engines::datafusion::sql::{NoBackends, SqlOptions, TableResolver, sql_to_table, sql_to_table_with};
use xorq_engines::probe::read_file;

struct Files {
    dir: TempDir,
}

fn orders_batch() -> RecordBatch {
    let schema = Arc::new(ArrowSchema::new(vec![
        ArrowField::new("id", ArrowType::Int64, false),
        ArrowField::new("cid", ArrowType::Int64, true),
        ArrowField::new("region", ArrowType::Utf8, true),
        ArrowField::new("amount", ArrowType::Float64, true),
        ArrowField::new("day", ArrowType::Date32, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6])),
            Arc::new(Int64Array::from(vec![Some(1), Some(2), Some(1), None, Some(3), Some(9)])),
            Arc::new(StringArray::from(vec![Some("EU"), Some("US"), Some("EU"), None, Some("APAC"), Some("US")])),
            Arc::new(Float64Array::from(vec![Some(120.5), Some(80.0), Some(300.0), Some(55.25), None, Some(1000.0)])),
            Arc::new(Date32Array::from(vec![19_700, 19_701, 19_701, 19_740, 19_702, 19_770])),
        ],
    )
    .expect("orders batch")
}

fn customers_batch() -> RecordBatch {
    let schema = Arc::new(ArrowSchema::new(vec![
        ArrowField::new("id", ArrowType::Int64, false),
        ArrowField::new("name", ArrowType::Utf8, true),
        ArrowField::new("region", ArrowType::Utf8, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4])),
            Arc::new(StringArray::from(vec!["Ada", "Bo", "Cy", "Di"])),
            Arc::new(StringArray::from(vec![Some("EU"), Some("US"), None, Some("APAC")])),
        ],
    )
    .expect("customers batch")
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).expect("create");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(batch).expect("write");
    writer.close().expect("close");
}

fn files() -> Files {
    let dir = tempfile::tempdir().expect("tempdir");
    write_parquet(&dir.path().join("orders.parquet"), &orders_batch());
    write_parquet(&dir.path().join("customers.parquet"), &customers_batch());
    std::fs::write(dir.path().join("orders.csv"), "id,region,amount\n1,EU,120.5\n2,US,80\n").expect("csv");
    std::fs::write(dir.path().join("orders_semi.csv"), "id;region;amount\n1;EU;120.5\n2;US;80\n").expect("csv");
    Files { dir }
}

impl Files {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Lifts `text`, reading files relative to the fixture directory.
    fn sql(&self, text: &str) -> Result<Table, EngineError> {
        sql_to_table_with(text, &NoBackends, &SqlOptions::with_base_dir(self.dir.path()))
    }

    fn lift(&self, text: &str) -> Table {
        self.sql(text).unwrap_or_else(|e| panic!("{text}\n→ {e}"))
    }

    fn err(&self, text: &str) -> String {
        match self.sql(text) {
            Ok(t) => panic!("expected an error for {text}, got\n{t}"),
            Err(e) => e.to_string().replace(&self.dir.path().display().to_string(), "<dir>"),
        }
    }

    fn orders(&self) -> Table {
        read_file(FileFormat::Parquet, self.path("orders.parquet").to_str().expect("utf-8")).expect("orders")
    }

    fn customers(&self) -> Table {
        read_file(FileFormat::Parquet, self.path("customers.parquet").to_str().expect("utf-8")).expect("customers")
    }
}

/// All texts lift to one address.
fn assert_same_address(f: &Files, texts: &[&str]) {
    let first = f.lift(texts[0]);
    for t in &texts[1..] {
        let other = f.lift(t);
        assert_eq!(first.address(), other.address(), "\n{}\nvs\n{t}\n{first}\n{other}", texts[0]);
    }
}

fn assert_matches(f: &Files, text: &str, built: Table) {
    let lifted = f.lift(text);
    assert_eq!(lifted.address(), built.address(), "{text}\nlifted:\n{lifted}\nbuilt:\n{built}");
}

// ---------------------------------------------------------------------------------------------
// Same IR as the builder.

#[test]
fn select_star_is_the_source_itself() {
    let f = files();
    assert_matches(&f, "SELECT * FROM read_parquet('orders.parquet')", f.orders());
}

#[test]
fn where_is_a_filter_with_adaptive_number_literals() {
    let f = files();
    let built = f.orders().filter(col("amount").gt(lit(100)).and(col("region").eq(lit("EU")))).unwrap();
    assert_matches(&f, "SELECT * FROM read_parquet('orders.parquet') WHERE amount > 100 AND region = 'EU'", built);
}

#[test]
fn group_by_names_measures_by_their_aliases() {
    let f = files();
    let built = f.orders().group_by(["region"]).agg([col("amount").sum().alias("total")]).unwrap();
    let t = f.lift("SELECT region, sum(amount) AS total FROM read_parquet('orders.parquet') GROUP BY region");
    assert_eq!(t.columns(), ["region", "total"]);
    assert_eq!(t.address(), built.address(), "\n{t}\n{built}");
}

#[test]
fn having_order_by_and_limit() {
    let f = files();
    let built = f
        .orders()
        .group_by(["region"])
        .agg([col("amount").sum().alias("total"), count_star().alias("count(*)")])
        .unwrap()
        .filter(col("count(*)").gt(lit(1)))
        .unwrap()
        .select(["region", "total"])
        .unwrap()
        .order_by([col("total").desc().nulls_first()])
        .unwrap()
        .limit(5)
        .unwrap();
    assert_matches(
        &f,
        "SELECT region, sum(amount) AS total FROM read_parquet('orders.parquet') GROUP BY region HAVING count(*) > 1 ORDER BY total DESC LIMIT 5",
        built,
    );
}

#[test]
fn unaliased_expressions_take_datafusion_names_without_qualifiers() {
    let f = files();
    let t = f.lift("SELECT sum(o.amount), count(*), max(o.day) FROM read_parquet('orders.parquet') AS o");
    assert_eq!(t.columns(), ["sum(amount)", "count(*)", "max(day)"]);
    let t = f.lift("SELECT upper(t.region), t.amount + 1, t.id FROM read_parquet('orders.parquet') t");
    assert_eq!(t.columns(), ["upper(region)", "amount + Int64(1)", "id"]);
}

#[test]
fn projections_with_expressions_and_case() {
    let f = files();
    let built = f
        .orders()
        .select([
            col("id"),
            when(col("amount").gt(lit(100))).then(lit("big")).otherwise(lit("small")).alias("size"),
            (col("amount") * lit(2)).alias("double"),
        ])
        .unwrap();
    assert_matches(
        &f,
        "SELECT id, CASE WHEN amount > 100 THEN 'big' ELSE 'small' END AS size, amount * 2 AS double FROM read_parquet('orders.parquet')",
        built,
    );
}

#[test]
fn window_functions_land_in_the_projection() {
    let f = files();
    let w = Window::new().partition_by(["region"]).order_by([col("amount").desc().nulls_first()]);
    let built = f
        .orders()
        .select([col("id"), row_number().over(w.clone()).alias("rn"), col("amount").sum().over(w).alias("running")])
        .unwrap();
    assert_matches(
        &f,
        "SELECT id, row_number() OVER w AS rn, sum(amount) OVER w AS running FROM read_parquet('orders.parquet') WINDOW w AS (PARTITION BY region ORDER BY amount DESC)",
        built,
    );
}

#[test]
fn order_by_limit_offset_and_distinct() {
    let f = files();
    let built = f.orders().order_by([col("amount").desc().nulls_first(), col("id").asc()]).unwrap().slice(2, Some(3));
    assert_matches(
        &f,
        "SELECT * FROM read_parquet('orders.parquet') ORDER BY amount DESC, id LIMIT 3 OFFSET 2",
        built.unwrap(),
    );
    let built = f.orders().select(["region"]).unwrap().distinct().unwrap();
    assert_matches(&f, "SELECT DISTINCT region FROM read_parquet('orders.parquet')", built);
}

#[test]
fn joins_match_the_builder() {
    let f = files();
    let built = f
        .orders()
        .join(&f.customers(), JoinKind::Inner, [("cid", "id")])
        .unwrap()
        .select([col("id"), col("amount"), col("name")])
        .unwrap();
    assert_matches(
        &f,
        "SELECT o.id, o.amount, c.name FROM read_parquet('orders.parquet') o JOIN read_parquet('customers.parquet') c ON o.cid = c.id",
        built,
    );
    // Extra conditions of ON are the join predicate; a left join keeps its kind.
    let built = f
        .orders()
        .join_where(&f.customers(), JoinKind::Left, [("cid", "id")], rcol("region").eq(lit("EU")))
        .unwrap()
        .select([col("id"), col("name")])
        .unwrap();
    assert_matches(
        &f,
        "SELECT o.id, c.name FROM read_parquet('orders.parquet') o LEFT JOIN read_parquet('customers.parquet') c ON c.id = o.cid AND c.region = 'EU'",
        built,
    );
}

#[test]
fn a_left_join_keeps_the_right_key_when_it_is_used() {
    let f = files();
    let t = f.lift(
        "SELECT o.id, c.id AS customer FROM read_parquet('orders.parquet') o LEFT JOIN read_parquet('customers.parquet') c ON o.id = c.id",
    );
    assert_eq!(t.columns(), ["id", "customer"]);
    let built = f
        .orders()
        .join_where(&f.customers(), JoinKind::Left, (), lcol("id").eq(rcol("id")))
        .unwrap()
        .select([col("id"), col("id_right").alias("customer")])
        .unwrap();
    assert_eq!(t.address(), built.address(), "\n{t}\n{built}");
    // Unused, the key is merged as the builder does with `["id"]`.
    let built = f.orders().join(&f.customers(), JoinKind::Left, ["id"]).unwrap().select([col("id"), col("name")]);
    assert_matches(
        &f,
        "SELECT o.id, c.name FROM read_parquet('orders.parquet') o LEFT JOIN read_parquet('customers.parquet') c ON o.id = c.id",
        built.unwrap(),
    );
}

#[test]
fn in_and_exists_subqueries_are_semi_and_anti_joins() {
    let f = files();
    let eu = f.customers().filter(col("region").eq(lit("EU"))).unwrap().select(["id"]).unwrap();
    let built = f.orders().join(&eu, JoinKind::Semi, [("cid", "id")]).unwrap().select(["id"]).unwrap();
    assert_matches(
        &f,
        "SELECT id FROM read_parquet('orders.parquet') WHERE cid IN (SELECT id FROM read_parquet('customers.parquet') WHERE region = 'EU')",
        built,
    );
    let eu = f.customers().filter(col("region").eq(lit("EU"))).unwrap();
    let built = f.orders().join(&eu, JoinKind::Anti, [("cid", "id")]).unwrap().select(["id"]).unwrap();
    assert_matches(
        &f,
        "SELECT id FROM read_parquet('orders.parquet') o WHERE NOT EXISTS (SELECT 1 FROM read_parquet('customers.parquet') c WHERE c.id = o.cid AND c.region = 'EU')",
        built,
    );
    // NOT IN over non-nullable columns is an anti join.
    let ids = f.customers().select(["id"]).unwrap();
    let built = f.orders().join(&ids, JoinKind::Anti, [("id", "id")]).unwrap().select(["id"]).unwrap();
    assert_matches(
        &f,
        "SELECT id FROM read_parquet('orders.parquet') WHERE id NOT IN (SELECT id FROM read_parquet('customers.parquet'))",
        built,
    );
}

#[test]
fn scalar_subqueries_of_one_row_are_cross_joins() {
    let f = files();
    let t = f.lift(
        "SELECT id FROM read_parquet('orders.parquet') WHERE amount > (SELECT avg(amount) FROM read_parquet('orders.parquet'))",
    );
    assert_eq!(t.columns(), ["id"]);
    let t = f.lift(
        "SELECT id, amount / (SELECT sum(amount) FROM read_parquet('orders.parquet')) AS share FROM read_parquet('orders.parquet')",
    );
    assert_eq!(t.columns(), ["id", "share"]);
}

#[test]
fn set_operations_match_the_builder() {
    let f = files();
    let a = f.orders().select(["region"]).unwrap();
    let b = f.customers().select(["region"]).unwrap();
    let q = |op: &str| {
        format!(
            "SELECT region FROM read_parquet('orders.parquet') {op} SELECT region FROM read_parquet('customers.parquet')"
        )
    };
    assert_matches(&f, &q("UNION ALL"), a.union(&b).unwrap());
    assert_matches(&f, &q("UNION"), a.union_distinct(&b).unwrap());
    assert_matches(&f, &q("INTERSECT"), a.intersect(&b).unwrap());
    assert_matches(&f, &q("EXCEPT"), a.difference(&b).unwrap());
    // Positional: the second input's column is renamed (and cast) to the first's.
    let t = f.lift(
        "SELECT id, region FROM read_parquet('orders.parquet') UNION ALL SELECT id, name FROM read_parquet('customers.parquet')",
    );
    assert_eq!(t.columns(), ["id", "region"]);
}

#[test]
fn ctes_are_inlined() {
    let f = files();
    let built = f
        .orders()
        .filter(col("amount").gt(lit(10)))
        .unwrap()
        .group_by(["region"])
        .agg([count_star().alias("n")])
        .unwrap();
    assert_matches(
        &f,
        "WITH big AS (SELECT * FROM read_parquet('orders.parquet') WHERE amount > 10) SELECT b.region, count(*) AS n FROM big b GROUP BY b.region",
        built,
    );
}

#[test]
fn csv_options_and_json_sources() {
    let f = files();
    let semi = CsvOptions { has_header: true, delimiter: b';' };
    let built = read_file(FileFormat::Csv(semi), f.path("orders_semi.csv").to_str().unwrap()).unwrap();
    assert_matches(&f, "SELECT * FROM read_csv('orders_semi.csv', delimiter => ';')", built.clone());
    assert_matches(&f, "SELECT * FROM read_csv('orders_semi.csv', ';')", built);
    let plain = read_file(FileFormat::Csv(CsvOptions::default()), f.path("orders.csv").to_str().unwrap()).unwrap();
    assert_matches(&f, "SELECT * FROM read_csv('orders.csv')", plain);
}

#[test]
fn relative_paths_resolve_against_the_base_directory() {
    let f = files();
    let absolute = f.path("orders.parquet");
    let text = format!("SELECT * FROM read_parquet('{}')", absolute.display());
    let a = sql_to_table(&text, &NoBackends).unwrap();
    assert_eq!(a.address(), f.lift("SELECT * FROM read_parquet('./orders.parquet')").address());
}

struct Pg;

impl TableResolver for Pg {
    fn table(&self, profile: &str, path: &[String]) -> Result<Table, EngineError> {
        assert_eq!(profile, "pg");
        let schema = Schema::new(vec![Field::new("id", DataType::Int64, false)]).expect("schema");
        Ok(Table::from_source(Source::table(profile, path.to_vec(), schema))?)
    }
}

#[test]
fn backend_tables_come_from_the_resolver() {
    let t = sql_to_table("SELECT id FROM pg.public.orders WHERE id > 3", &Pg).unwrap();
    let schema = Schema::new(vec![Field::new("id", DataType::Int64, false)]).unwrap();
    let source = Table::from_source(Source::table("pg", vec!["public".into(), "orders".into()], schema)).unwrap();
    assert_eq!(t.address(), source.filter(col("id").gt(lit(3))).unwrap().address());
}

// ---------------------------------------------------------------------------------------------
// What does not change the address.

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

#[test]
fn integer_division_stays_integer_division() {
    let f = files();
    let t = f.lift("SELECT id / 2 AS half, amount / 2 AS half_amount FROM read_parquet('orders.parquet')");
    let RelOp::Project(p) = t.node().op() else { panic!("{t}") };
    assert_eq!(p.exprs[0].expr.dtype, DataType::Int64);
    assert_eq!(p.exprs[1].expr.dtype, DataType::Float64);
}

#[test]
fn literals_take_the_type_of_the_column_they_meet() {
    // As in the builder (and Postgres, DuckDB): `int32_col / 2` stays Int32.
    let f = files();
    let t = f.lift("SELECT id / 2 AS half FROM (SELECT CAST(id AS INT) AS id FROM read_parquet('orders.parquet'))");
    assert_eq!(t.schema().field("half").map(|f| f.dtype.clone()), Some(DataType::Int32));
}

#[test]
fn a_cte_used_twice_is_one_computation() {
    let f = files();
    let t = f.lift(
        "WITH eu AS (SELECT * FROM read_parquet('orders.parquet') WHERE region = 'EU') SELECT a.id, b.id AS other FROM eu a JOIN eu b ON a.cid = b.cid",
    );
    let RelOp::Project(p) = t.node().op() else { panic!("{t}") };
    let RelOp::Join(j) = p.input.op() else { panic!("{t}") };
    assert_eq!(j.left.address(), j.right.address());
}

// ---------------------------------------------------------------------------------------------
// Errors name the construct and where it is.

#[test]
fn functions_outside_the_catalogue_are_located() {
    let f = files();
    insta::assert_snapshot!(
        f.err("SELECT id,\n       md5(region) AS h\nFROM read_parquet('orders.parquet')"),
        @"2:8: function `md5` is not supported by xorq (it has no equivalent in the expression IR)"
    );
    insta::assert_snapshot!(
        f.err("SELECT region, median(amount) AS m FROM read_parquet('orders.parquet') GROUP BY region"),
        @"1:16: aggregate `median` is not supported by xorq (it has no equivalent in the expression IR)"
    );
    insta::assert_snapshot!(
        f.err("SELECT nth_value(amount, 2) OVER (ORDER BY id) AS second FROM read_parquet('orders.parquet')"),
        @"1:8: window function `nth_value` is not supported by xorq (it has no equivalent in the expression IR)"
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
        f.err(&format!("SELECT region, sum(amount) AS s\nFROM {o}\nGROUP BY ROLLUP (region)")),
        @"3:10: GROUPING SETS, ROLLUP and CUBE are not supported by xorq"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT unnest([1, 2]) AS x FROM {o}")),
        @"1:8: `UNNEST` is not supported by xorq"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT sum(amount) FILTER (WHERE id > 1) AS s FROM {o}")),
        @"1:20: `FILTER (WHERE …)` on an aggregate is not supported by xorq (it has no equivalent in the expression IR)"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT DISTINCT ON (region) id FROM {o}")),
        @"1:8: `DISTINCT ON` is not supported by xorq"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT region FROM {o}\nINTERSECT ALL\nSELECT region FROM {c}")),
        @"2:1: `INTERSECT ALL` is not supported by xorq; use `INTERSECT` (distinct rows)"
    );
    insta::assert_snapshot!(
        f.err("SELECT 1 AS one"),
        @"1:1: a SELECT without FROM is not supported: a query reads from read_parquet('…'), read_csv('…'), read_json('…') or a backend table"
    );
}

#[test]
fn subqueries_without_a_join_equivalent_are_located() {
    let f = files();
    let o = "read_parquet('orders.parquet')";
    let c = "read_parquet('customers.parquet')";
    insta::assert_snapshot!(
        f.err(&format!("SELECT id FROM {o}\nWHERE cid NOT IN (SELECT id FROM {c})")),
        @"2:11: `NOT IN (SELECT …)` over values that can be null is not supported by xorq (SQL's NOT IN yields no rows once the subquery has a null, which a join cannot express); write `NOT EXISTS (SELECT … WHERE inner = outer)`"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT id, (SELECT max(c.id) FROM {c} c WHERE c.id = o.cid) AS m FROM {o} o")),
        @"1:12: a correlated scalar subquery is not supported by xorq; join instead"
    );
    insta::assert_snapshot!(
        f.err(&format!("SELECT id FROM {o} o WHERE EXISTS (SELECT 1 FROM {c})")),
        @"1:55: this `EXISTS` is not supported by xorq: it does not refer to the outer query; filter with a join instead"
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
