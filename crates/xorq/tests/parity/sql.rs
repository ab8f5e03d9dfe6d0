//! SQL lifted into the IR and run by xorq gives the rows DataFusion gives for the same SQL, and
//! the IR's types agree with DataFusion's (no column needed a conforming cast).

use std::sync::Arc;

use arrow::array::{Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use xorq::{Params, Session, SqlOptions, Table};
use xorq_engines::datafusion::{Lowering, ParamValues};

use crate::common::write_parquet;
use crate::fixture::rows;

fn orders() -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("cid", DataType::Int64, true),
        Field::new("region", DataType::Utf8, true),
        Field::new("amount", DataType::Float64, true),
        Field::new("qty", DataType::Int32, true),
        Field::new("day", DataType::Date32, true),
        Field::new("note", DataType::Utf8, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10])),
            Arc::new(Int64Array::from(vec![
                Some(1),
                Some(2),
                Some(1),
                None,
                Some(3),
                Some(9),
                Some(2),
                Some(4),
                Some(1),
                None,
            ])),
            Arc::new(StringArray::from(vec![
                Some("EU"),
                Some("US"),
                Some("EU"),
                None,
                Some("APAC"),
                Some("US"),
                Some("EU"),
                Some("Zürich"),
                Some("US"),
                Some("EU"),
            ])),
            Arc::new(Float64Array::from(vec![
                Some(120.5),
                Some(80.0),
                Some(300.0),
                Some(55.25),
                None,
                Some(1000.0),
                Some(99.99),
                Some(150.0),
                Some(80.0),
                Some(-20.0),
            ])),
            Arc::new(Int32Array::from(vec![
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                None,
                Some(6),
                Some(7),
                Some(8),
                Some(9),
                Some(10),
            ])),
            Arc::new(Date32Array::from(vec![
                19_700, 19_701, 19_701, 19_740, 19_702, 19_770, 19_703, 19_703, 19_800, 19_705,
            ])),
            Arc::new(StringArray::from(vec![
                Some("rush"),
                None,
                Some("gift"),
                Some("rush order"),
                Some(""),
                Some("résumé"),
                None,
                Some("gift wrap"),
                Some("RUSH"),
                Some("x"),
            ])),
        ],
    )
    .expect("valid batch")
}

fn customers() -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 6])),
            Arc::new(StringArray::from(vec!["Ada", "Bo", "Cy", "Di", "Ed"])),
            Arc::new(StringArray::from(vec![Some("EU"), Some("US"), None, Some("APAC"), Some("EU")])),
        ],
    )
    .expect("valid batch")
}

/// Parquet files of named tables, read by xorq as `read_parquet('…')` and registered under their
/// names in a DataFusion context.
pub(crate) struct Fixture {
    dir: tempfile::TempDir,
    ctx: SessionContext,
    tables: Vec<String>,
}

async fn fixture() -> Fixture {
    let f = Fixture::with_table("orders", &orders()).await;
    f.add("customers", &customers()).await
}

impl Fixture {
    /// A fixture with one table `name` holding `batch`.
    pub(crate) async fn with_table(name: &str, batch: &RecordBatch) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        Fixture { dir, ctx: SessionContext::new(), tables: Vec::new() }.add(name, batch).await
    }

    /// The directory holding the tables' Parquet files.
    pub(crate) fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Adds table `name` holding `batch`.
    pub(crate) async fn add(mut self, name: &str, batch: &RecordBatch) -> Fixture {
        let path = self.dir.path().join(format!("{name}.parquet"));
        write_parquet(&path, batch);
        self.ctx
            .register_parquet(name, path.to_str().expect("utf-8"), ParquetReadOptions::default())
            .await
            .expect("register");
        self.tables.push(name.to_string());
        self
    }

    /// Runs `template` with each `{table}` as `read_parquet('…')` through xorq and as the
    /// registered table through DataFusion, and compares rows (as multisets unless `ordered`),
    /// column names and types.
    pub(crate) async fn check(&self, template: &str, ordered: bool) {
        self.check_equivalent(template, template, ordered).await;
    }

    /// Like [`Fixture::check`], with DataFusion running `theirs`: an equivalent query, for what
    /// DataFusion cannot run itself.
    pub(crate) async fn check_equivalent(&self, template: &str, theirs: &str, ordered: bool) {
        let (mut ours, mut theirs) = (template.to_string(), theirs.to_string());
        for name in &self.tables {
            let placeholder = format!("{{{name}}}");
            ours = ours.replace(&placeholder, &format!("read_parquet('{name}.parquet')"));
            theirs = theirs.replace(&placeholder, name);
        }
        let table: Table =
            xorq::sql_to_table_with(&ours, &xorq::NoBackends, &SqlOptions::with_base_dir(self.dir.path()))
                .unwrap_or_else(|e| panic!("{ours}\n→ {e}"));
        let values = ParamValues::new();
        let mut lowering = Lowering::new(&values, 2);
        lowering.lower_table(&table).unwrap_or_else(|e| panic!("{ours}: lowering failed: {e}"));
        assert!(
            lowering.conformed_columns().is_empty(),
            "{ours}: IR types differ from DataFusion's: {:?}",
            lowering.conformed_columns()
        );
        let got = Session::new().execute(&table, &Params::new()).await;
        let want = match self.ctx.sql(&theirs).await {
            Ok(df) => df.collect().await,
            Err(e) => Err(e),
        };
        let (got, want) = match (got, want) {
            (Ok(g), Ok(w)) => (g, w),
            // The same failure (a division by zero, an overflow) is the same behaviour.
            (Err(g), Err(w)) if g.to_string().contains(&w.to_string()) => return,
            (g, w) => panic!(
                "{ours}\nxorq: {:?}\nDataFusion ({theirs}): {:?}\n{table}",
                g.map(|b| rows(&b)),
                w.map(|b| rows(&b))
            ),
        };
        let (mut got_rows, mut want_rows) = (rows(&got), rows(&want));
        if !ordered {
            got_rows.sort();
            want_rows.sort();
        }
        assert_eq!(got_rows, want_rows, "{ours}: rows differ\n{table}");
        if let (Some(g), Some(w)) = (got.first(), want.first()) {
            // Logical types: DataFusion reads Parquet strings as `Utf8View`, the IR says `String`.
            let fields = |b: &RecordBatch| {
                b.schema()
                    .fields()
                    .iter()
                    .map(|f| (f.name().clone(), xorq::DataType::from_arrow(f.name(), f.data_type()).expect("logical")))
                    .collect::<Vec<_>>()
            };
            assert_eq!(fields(g), fields(w), "{ours}: columns differ\n{table}");
        }
    }
}

#[tokio::test]
async fn filters_projections_and_scalar_functions() {
    let f = fixture().await;
    f.check("SELECT id, amount * 2 AS double, amount / 3 AS third, id / 4 AS quarter, id % 3 AS rest, -qty AS neg FROM {orders} WHERE amount > 100 AND region = 'EU'", false).await;
    f.check("SELECT id, CASE WHEN amount > 100 THEN 'big' WHEN amount IS NULL THEN 'none' ELSE 'small' END AS size, CASE region WHEN 'EU' THEN 1 WHEN 'US' THEN 2 END AS code FROM {orders}", false).await;
    f.check("SELECT id, coalesce(amount, 0) AS a, nullif(id, 2) AS q, greatest(id, 3) AS g, least(amount, 100) AS l, abs(amount) AS ab, round(amount, 1) AS r, floor(amount) AS fl, ceil(amount) AS ce FROM {orders}", false).await;
    f.check("SELECT id, upper(region) AS u, lower(note) AS lo, length(note) AS len, trim(note) AS t, substr(note, 2, 3) AS s, replace(note, 'r', 'R') AS rep, strpos(note, 'i') AS p, starts_with(note, 'g') AS sw, reverse(note) AS rv, lpad(region, 5, '*') AS lp FROM {orders}", false).await;
    f.check("SELECT id, region || '-' || note AS joined, concat(region, '-', note) AS c FROM {orders}", false).await;
    f.check("SELECT id FROM {orders} WHERE note LIKE 'gift%' OR note ILIKE 'rush%' OR region NOT LIKE 'E%'", false)
        .await;
    f.check("SELECT id FROM {orders} WHERE amount BETWEEN 80 AND 200 AND qty NOT BETWEEN 3 AND 4 AND region IN ('EU', 'US') AND cid IS NOT NULL", false).await;
    f.check("SELECT id, (amount > 100) IS TRUE AS t, (amount > 100) IS NOT FALSE AS nf, (amount > 100) IS UNKNOWN AS u FROM {orders}", false).await;
    f.check(
        "SELECT id, CAST(amount AS INT) AS i, CAST(id AS VARCHAR) AS s, CAST(qty AS DOUBLE) AS d FROM {orders}",
        false,
    )
    .await;
}

#[tokio::test]
async fn dates() {
    let f = fixture().await;
    f.check("SELECT id, extract(year FROM day) AS y, date_part('month', day) AS m, extract(dow FROM day) AS dow FROM {orders}", false).await;
    f.check("SELECT id FROM {orders} WHERE day >= DATE '2023-12-10' AND day < DATE '2024-01-01'", false).await;
    f.check("SELECT id, day + INTERVAL '7 days' AS next_week, date_trunc('month', day) AS month FROM {orders}", false)
        .await;
}

#[tokio::test]
async fn aggregates_having_order_and_limit() {
    let f = fixture().await;
    f.check("SELECT region, sum(amount) AS total, count(*) AS n, avg(qty) AS mean_qty, min(day) AS first_day, max(note) AS last_note FROM {orders} GROUP BY region", false).await;
    f.check("SELECT region, sum(amount) AS total FROM {orders} GROUP BY region HAVING count(*) > 1 ORDER BY total DESC LIMIT 2", true).await;
    f.check("SELECT count(DISTINCT region) AS regions, stddev(amount) AS sd, var_pop(amount) AS vp, count(note) AS notes FROM {orders}", false).await;
    f.check("SELECT region, first_value(amount ORDER BY day DESC, id) AS latest FROM {orders} GROUP BY region", false)
        .await;
    f.check("SELECT upper(region) AS r, count(*) AS n FROM {orders} GROUP BY upper(region)", false).await;
    f.check("SELECT * FROM {orders} ORDER BY amount DESC, id LIMIT 4 OFFSET 2", true).await;
    f.check("SELECT DISTINCT region FROM {orders}", false).await;
    f.check(
        "SELECT region, sum(amount) / count(amount) AS mean FROM {orders} GROUP BY region ORDER BY region NULLS FIRST",
        true,
    )
    .await;
}

#[tokio::test]
async fn joins_and_subqueries() {
    let f = fixture().await;
    f.check("SELECT o.id, o.amount, c.name FROM {orders} o JOIN {customers} c ON o.cid = c.id", false).await;
    f.check("SELECT o.id, c.name, c.id AS customer FROM {orders} o LEFT JOIN {customers} c ON o.cid = c.id AND c.region = 'EU'", false).await;
    f.check("SELECT o.id AS oid, c.id AS cid FROM {orders} o FULL JOIN {customers} c ON o.cid = c.id", false).await;
    f.check("SELECT o.id, c.name FROM {orders} o RIGHT JOIN {customers} c ON o.cid = c.id", false).await;
    f.check("SELECT o.id, c.name FROM {orders} o, {customers} c WHERE o.cid = c.id AND c.region = o.region", false)
        .await;
    f.check("SELECT id, name FROM {orders} o JOIN {customers} c USING (id)", false).await;
    f.check("SELECT id FROM {orders} WHERE cid IN (SELECT id FROM {customers} WHERE region = 'EU')", false).await;
    f.check("SELECT id FROM {orders} o WHERE NOT EXISTS (SELECT 1 FROM {customers} c WHERE c.id = o.cid)", false).await;
    f.check("SELECT id FROM {orders} o WHERE EXISTS (SELECT 1 FROM {customers} c WHERE c.id = o.cid AND c.region <> o.region)", false).await;
    f.check("SELECT id FROM {orders} WHERE id NOT IN (SELECT id FROM {customers})", false).await;
    f.check("SELECT id, amount FROM {orders} WHERE amount > (SELECT avg(amount) FROM {orders})", false).await;
    f.check("SELECT id, amount / (SELECT sum(amount) FROM {orders}) AS share FROM {orders}", false).await;
    f.check("WITH eu AS (SELECT * FROM {orders} WHERE region = 'EU') SELECT a.id, b.id AS other FROM eu a JOIN eu b ON a.cid = b.cid AND a.id < b.id", false).await;
}

#[tokio::test]
async fn not_in_follows_three_valued_logic() {
    let f = fixture().await;
    // A nullable tested value: rows with a null `cid` are dropped unless the subquery is empty.
    f.check("SELECT id FROM {orders} WHERE cid NOT IN (SELECT id FROM {customers} WHERE region = 'EU')", false).await;
    f.check("SELECT id FROM {orders} WHERE cid NOT IN (SELECT id FROM {customers} WHERE id > 100)", false).await;
    // A subquery holding a null: no row is kept.
    f.check("SELECT id FROM {orders} WHERE region NOT IN (SELECT region FROM {customers})", false).await;
    f.check(
        "SELECT id FROM {orders} WHERE region NOT IN (SELECT region FROM {customers} WHERE region IS NOT NULL)",
        false,
    )
    .await;
    f.check("SELECT id FROM {orders} WHERE cid + 1 NOT IN (SELECT id FROM {customers})", false).await;
    f.check("SELECT id FROM {orders} WHERE cid + 1 IN (SELECT id FROM {customers})", false).await;
    // Correlated: the counts are per correlation group. DataFusion refuses to run this ("null_aware
    // anti join only supports single column join key"): its answer is that of the equivalent
    // `NOT EXISTS`, by SQL's definition of `NOT IN`.
    f.check_equivalent(
        "SELECT id FROM {orders} o WHERE cid NOT IN (SELECT c.id FROM {customers} c WHERE c.region = o.region)",
        "SELECT id FROM {orders} o WHERE NOT EXISTS (SELECT 1 FROM {customers} c WHERE c.region = o.region AND (c.id = o.cid OR c.id IS NULL OR o.cid IS NULL))",
        false,
    )
    .await;
    f.check("SELECT id FROM {orders} o WHERE cid IN (SELECT c.id FROM {customers} c WHERE c.region = o.region)", false)
        .await;
}

#[tokio::test]
async fn correlated_and_uncorrelated_subqueries() {
    let f = fixture().await;
    // Correlated scalar subqueries: grouped by the correlation, left-joined.
    f.check("SELECT id, (SELECT max(c.id) FROM {customers} c WHERE c.region = o.region) AS m FROM {orders} o", false)
        .await;
    f.check(
        "SELECT id FROM {orders} o WHERE amount > (SELECT avg(amount) FROM {orders} i WHERE i.region = o.region)",
        false,
    )
    .await;
    f.check(
        "SELECT id, amount / (SELECT 0.5 * sum(i.amount) FROM {orders} i WHERE i.cid = o.cid) AS share FROM {orders} o",
        false,
    )
    .await;
    // The count bug: a group with no rows counts 0, not null.
    f.check("SELECT id, (SELECT count(*) FROM {customers} c WHERE c.region = o.region) AS n FROM {orders} o", false)
        .await;
    f.check("SELECT id, (SELECT count(c.id) + 1 FROM {customers} c WHERE c.id = o.cid) AS n FROM {orders} o", false)
        .await;
    f.check(
        "SELECT id, (SELECT coalesce(max(c.id), -1) FROM {customers} c WHERE c.id = o.cid) AS n FROM {orders} o",
        false,
    )
    .await;
    // Uncorrelated EXISTS: the subquery's row count decides for every row.
    f.check("SELECT id FROM {orders} WHERE EXISTS (SELECT 1 FROM {customers} WHERE region = 'EU')", false).await;
    f.check(
        "SELECT id FROM {orders} WHERE NOT EXISTS (SELECT 1 FROM {customers} WHERE region = 'nowhere') AND id < 4",
        false,
    )
    .await;
    f.check("SELECT id FROM {orders} WHERE EXISTS (SELECT 1 FROM {customers} WHERE region = 'nowhere')", false).await;
}

#[tokio::test]
async fn grouping_sets_rollup_and_cube() {
    let f = fixture().await;
    f.check("SELECT region, sum(amount) AS total, count(*) AS n FROM {orders} GROUP BY ROLLUP (region)", false).await;
    f.check("SELECT region, qty > 3 AS big, sum(amount) AS total FROM {orders} GROUP BY CUBE (region, qty > 3)", false)
        .await;
    f.check("SELECT region, cid, count(*) AS n, grouping(region) AS gr, grouping(region, cid) AS g2 FROM {orders} GROUP BY GROUPING SETS ((region, cid), (region), ())", false).await;
    f.check("SELECT region, day, sum(qty) AS q FROM {orders} GROUP BY GROUPING SETS ((region), (day), (region), ()) ORDER BY region, day, q", true).await;
    f.check("SELECT region, sum(amount) AS total FROM {orders} GROUP BY ROLLUP (region) HAVING grouping(region) = 0 AND sum(amount) > 100", false).await;
}

#[tokio::test]
async fn constant_rows() {
    let f = fixture().await;
    f.check("SELECT * FROM (VALUES (1, 'a'), (2, NULL), (-3, 'c')) AS t(x, y)", false).await;
    f.check("SELECT x * 2 AS y FROM (VALUES (1.5), (2), (NULL)) AS t(x) WHERE x > 1", false).await;
    f.check("SELECT 1 + 2 AS three, 'x' AS s, CAST('2024-01-31' AS DATE) AS d", false).await;
    f.check("SELECT count(*) AS n", false).await;
    f.check("SELECT o.id, v.label FROM {orders} o JOIN (VALUES ('EU', 'Europe'), ('US', 'States')) AS v(code, label) ON o.region = v.code", false).await;
}

#[tokio::test]
async fn window_functions() {
    let f = fixture().await;
    f.check("SELECT id, row_number() OVER (PARTITION BY region ORDER BY amount DESC, id) AS rn, rank() OVER (ORDER BY qty) AS rk, dense_rank() OVER (ORDER BY region) AS dr FROM {orders}", false).await;
    f.check("SELECT id, lag(amount, 1, 0) OVER (ORDER BY id) AS prev, lead(amount) OVER (ORDER BY id) AS next FROM {orders}", false).await;
    f.check("SELECT id, sum(amount) OVER (PARTITION BY region) AS region_total, sum(amount) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS moving, avg(amount) OVER (ORDER BY id) AS running FROM {orders}", false).await;
    f.check("SELECT * FROM (SELECT id, region, row_number() OVER (PARTITION BY region ORDER BY id) AS rn FROM {orders}) WHERE rn = 1", false).await;
    f.check("SELECT region, sum(amount) AS total, rank() OVER (ORDER BY sum(amount) DESC) AS place FROM {orders} GROUP BY region", false).await;
    f.check("SELECT id, ntile(3) OVER (ORDER BY id) AS bucket, first_value(amount) OVER (PARTITION BY region ORDER BY id) AS first FROM {orders}", false).await;
}

#[tokio::test]
async fn set_operations() {
    let f = fixture().await;
    f.check("SELECT region FROM {orders} UNION ALL SELECT region FROM {customers}", false).await;
    f.check("SELECT region FROM {orders} UNION SELECT region FROM {customers}", false).await;
    f.check("SELECT region FROM {orders} INTERSECT SELECT region FROM {customers}", false).await;
    f.check("SELECT region FROM {orders} EXCEPT SELECT region FROM {customers}", false).await;
    f.check("SELECT id, region FROM {orders} WHERE id < 3 UNION ALL SELECT id, name FROM {customers} UNION ALL SELECT qty, note FROM {orders}", false).await;
}
