//! Queries lift to the IR the builder makes for the same logic.

use xorq_core::plan::{CsvOptions, FileFormat, RelOp};
use xorq_core::{
    DataType, Field, JoinKind, Schema, Source, Table, Window, col, count_star, lcol, lit, lit_date, param, rcol,
    row_number, when,
};
use xorq_engines::EngineError;
use xorq_engines::datafusion::sql::{NoBackends, TableResolver, sql_to_table};
use xorq_engines::probe::read_file;

use crate::fixture::{assert_matches, files};

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
fn typed_constants_are_the_builder_constants() {
    let f = files();
    let built = f.orders().filter(col("day").gt_eq(lit_date("2023-12-10")).and(col("day").lt(lit_date("2024-01-01"))));
    assert_matches(
        &f,
        "SELECT * FROM read_parquet('orders.parquet') WHERE day >= DATE '2023-12-10' AND day < CAST('2024-01-01' AS DATE)",
        built.unwrap(),
    );
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
    let json = read_file(FileFormat::Json, f.path("events.json").to_str().unwrap()).unwrap();
    assert_matches(&f, "SELECT * FROM read_json('events.json')", json.clone());
    assert_matches(
        &f,
        "SELECT kind FROM read_json('events.json') WHERE id = 2",
        json.filter(col("id").eq(lit(2))).unwrap().select(["kind"]).unwrap(),
    );
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

#[test]
fn integer_division_stays_integer_division() {
    let f = files();
    let t = f.lift("SELECT id / 2 AS half, amount / 2 AS half_amount FROM read_parquet('orders.parquet')");
    let RelOp::Project(p) = t.node().op() else { panic!("{t}") };
    assert_eq!(p.exprs[0].expr.dtype, DataType::Int64);
    assert_eq!(p.exprs[1].expr.dtype, DataType::Float64);
}

#[test]
fn literals_keep_their_own_type_as_in_datafusion() {
    // A SQL integer is `Int64`: `int32_col / 2` is `Int64`, as DataFusion types it.
    let f = files();
    let t = f.lift("SELECT id / 2 AS half FROM (SELECT CAST(id AS INT) AS id FROM read_parquet('orders.parquet'))");
    assert_eq!(t.schema().field("half").map(|f| f.dtype.clone()), Some(DataType::Int64));
    // Compared with a constant that fits, a column keeps its type (no cast on the column).
    let t = f.lift("SELECT id FROM (SELECT CAST(id AS INT) AS id FROM read_parquet('orders.parquet')) WHERE id > 2");
    let RelOp::Filter(filter) = t.node().op() else { panic!("{t}") };
    assert_eq!(filter.predicate.to_string(), "(id > 2)");
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

#[test]
fn named_placeholders_are_parameters_typed_by_their_use() {
    let f = files();
    let built = f.orders().filter(col("amount").gt(param("threshold", DataType::Float64))).unwrap();
    assert_matches(&f, "SELECT * FROM read_parquet('orders.parquet') WHERE amount > $threshold", built);
    let t = f.lift("SELECT CAST($k AS BIGINT) AS k, id FROM read_parquet('orders.parquet')");
    let params = t.params().unwrap();
    assert_eq!((params[0].name.as_str(), &params[0].dtype), ("k", &DataType::Int64));
}
