//! The unparser dialect of each engine: DataFusion's own dialect where it has one (PostgreSQL,
//! DuckDB, SQLite, Snowflake, BigQuery, its default), a `CustomDialect` for Trino and Spark, and
//! on top of either the answers that are wrong for the engine and the markers of `marker.rs`.

use std::sync::Arc;

use datafusion::arrow::datatypes::TimeUnit;
use datafusion::common::{Result as DfResult, ScalarValue, internal_err};
use datafusion::logical_expr::Expr;
use datafusion::sql::sqlparser::ast::{
    self, BinaryOperator, DateTimeField, ExtractSyntax, Ident, ObjectName, TimezoneInfo, WindowFrameBound,
};
use datafusion::sql::unparser::Unparser;
use datafusion::sql::unparser::dialect::{
    BigQueryDialect, CharacterLengthStyle, CustomDialectBuilder, DateFieldExtractStyle, DefaultDialect, Dialect,
    DistinctFromStyle, DuckDBDialect, IntervalStyle, PostgreSqlDialect, SnowflakeDialect, SqliteDialect,
};

use super::SqlDialect;
use crate::datafusion::marker::{DATE_SHIFT, INT_DIV, TIMESTAMP_SHIFT, checked_function};

use SqlDialect as D;

/// A DataFusion unparser dialect for one engine.
pub(super) struct EngineDialect {
    kind: SqlDialect,
    base: Box<dyn Dialect>,
}

impl EngineDialect {
    pub(super) fn new(kind: SqlDialect) -> Self {
        let base: Box<dyn Dialect> = match kind {
            D::Postgres => Box::new(PostgreSqlDialect {}),
            D::DuckDb => Box::new(DuckDBDialect::new()),
            D::Sqlite => Box::new(SqliteDialect {}),
            D::Snowflake => Box::new(SnowflakeDialect::new()),
            D::BigQuery => Box::new(BigQueryDialect::new()),
            D::Trino => Box::new(
                CustomDialectBuilder::new()
                    .with_identifier_quote_style('"')
                    .with_interval_style(IntervalStyle::SQLStandard)
                    .with_date_field_extract_style(DateFieldExtractStyle::Extract)
                    .with_character_length_style(CharacterLengthStyle::Length)
                    .with_use_timestamp_for_date64(true)
                    // Trino has no TEXT type.
                    .with_large_utf8_cast_dtype(ast::DataType::Varchar(None))
                    .build(),
            ),
            D::Spark => Box::new(
                CustomDialectBuilder::new()
                    .with_identifier_quote_style('`')
                    .with_interval_style(IntervalStyle::SQLStandard)
                    .with_date_field_extract_style(DateFieldExtractStyle::Extract)
                    .with_character_length_style(CharacterLengthStyle::Length)
                    .with_use_timestamp_for_date64(true)
                    // `CAST(x AS VARCHAR)` needs a length in Spark; STRING is its text type.
                    .with_utf8_cast_dtype(ast::DataType::String(None))
                    .with_large_utf8_cast_dtype(ast::DataType::String(None))
                    // Spark's TIMESTAMP is an instant shown in the session time zone.
                    .with_timestamp_cast_dtype(
                        ast::DataType::Timestamp(None, TimezoneInfo::None),
                        ast::DataType::Timestamp(None, TimezoneInfo::None),
                    )
                    .with_supports_column_alias_in_table_alias(false)
                    .build(),
            ),
            _ => Box::new(DefaultDialect {}),
        };
        EngineDialect { kind, base }
    }
}

fn function(name: &str, args: Vec<ast::Expr>) -> ast::Expr {
    ast::Expr::Function(ast::Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: ast::FunctionArguments::None,
        args: ast::FunctionArguments::List(ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: args.into_iter().map(|a| ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(a))).collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

fn binary(left: ast::Expr, op: BinaryOperator, right: ast::Expr) -> ast::Expr {
    ast::Expr::Nested(Box::new(ast::Expr::BinaryOp { left: Box::new(left), op, right: Box::new(right) }))
}

fn number(n: i64) -> ast::Expr {
    ast::Expr::value(ast::Value::Number(n.to_string(), false))
}

fn cast(expr: ast::Expr, data_type: ast::DataType) -> ast::Expr {
    ast::Expr::Cast { kind: ast::CastKind::Cast, expr: Box::new(expr), data_type, array: false, format: None }
}

fn extract(field: DateTimeField, expr: ast::Expr) -> ast::Expr {
    ast::Expr::Extract { field, syntax: ExtractSyntax::From, expr: Box::new(expr) }
}

/// The lower-cased text of a string literal argument (`date_part('year', …)`).
fn literal_text(e: &Expr) -> Option<String> {
    match e {
        Expr::Literal(
            ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s)),
            _,
        ) => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}

impl EngineDialect {
    /// `a DIV b` truncating toward zero, in the engine's words.
    fn int_div(&self, u: &Unparser, args: &[Expr]) -> DfResult<ast::Expr> {
        let [a, b] = args else { return internal_err!("{INT_DIV} takes two arguments, got {}", args.len()) };
        let (a, b) = (u.expr_to_sql(a)?, u.expr_to_sql(b)?);
        Ok(match self.kind {
            // Integer operands divide truncating toward zero.
            D::Postgres | D::Sqlite | D::Trino | D::DataFusion => binary(a, BinaryOperator::Divide, b),
            // `/` is true division in these; each has its own integer division.
            D::DuckDb => binary(a, BinaryOperator::DuckIntegerDivide, b),
            D::BigQuery => function("DIV", vec![a, b]),
            D::Spark => binary(a, BinaryOperator::MyIntegerDivide, b),
            D::Snowflake => {
                let quotient =
                    ast::Expr::BinaryOp { left: Box::new(a), op: BinaryOperator::Divide, right: Box::new(b) };
                function("TRUNC", vec![quotient])
            }
        })
    }

    /// Checked integer arithmetic (`marker::CHECKED_ADD`, …): SQLite's registered function
    /// `sqlite_function(a, b, label)`; elsewhere the operator, whose engine checks overflow.
    fn checked(&self, u: &Unparser, sqlite_function: &str, args: &[Expr]) -> DfResult<ast::Expr> {
        let sql = args.iter().map(|a| u.expr_to_sql(a)).collect::<DfResult<Vec<_>>>()?;
        if self.kind == D::Sqlite {
            return Ok(function(sqlite_function, sql));
        }
        let mut operands = sql.into_iter();
        Ok(match (sqlite_function, operands.next(), operands.next()) {
            ("xorq_checked_negate", Some(x), _) => {
                ast::Expr::Nested(Box::new(ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr: Box::new(x) }))
            }
            ("xorq_checked_add", Some(a), Some(b)) => binary(a, BinaryOperator::Plus, b),
            ("xorq_checked_sub", Some(a), Some(b)) => binary(a, BinaryOperator::Minus, b),
            ("xorq_checked_mul", Some(a), Some(b)) => binary(a, BinaryOperator::Multiply, b),
            _ => return internal_err!("`{sqlite_function}` with {} arguments", args.len()),
        })
    }

    /// `x ± interval` (a [`DATE_SHIFT`] or [`TIMESTAMP_SHIFT`] marker); SQLite has no interval
    /// type and moves dates with modifiers: `date(x, '+1 months', '+7 days')`.
    fn shift(&self, u: &Unparser, name: &str, args: &[Expr]) -> DfResult<ast::Expr> {
        let [x, interval, sign] = args else { return internal_err!("{name} takes three arguments") };
        let negative = matches!(sign, Expr::Literal(ScalarValue::Int64(Some(-1)), _));
        if self.kind != D::Sqlite {
            let op = if negative { BinaryOperator::Minus } else { BinaryOperator::Plus };
            return Ok(binary(u.expr_to_sql(x)?, op, u.expr_to_sql(interval)?));
        }
        let Expr::Literal(ScalarValue::IntervalMonthDayNano(Some(v)), _) = interval else {
            return internal_err!("SQLite moves dates by constant intervals only, not by `{interval}`");
        };
        let s = if negative { -1 } else { 1 };
        let mut args = Vec::new();
        if name == DATE_SHIFT {
            args.push(u.expr_to_sql(x)?);
        } else {
            args.push(ast::Expr::value(ast::Value::SingleQuotedString("%Y-%m-%d %H:%M:%f".into())));
            args.push(u.expr_to_sql(x)?);
        }
        let modifier = |text: String| ast::Expr::value(ast::Value::SingleQuotedString(text));
        if v.months != 0 {
            args.push(modifier(format!("{:+} months", s * i64::from(v.months))));
        }
        if v.days != 0 {
            args.push(modifier(format!("{:+} days", s * i64::from(v.days))));
        }
        if v.nanoseconds != 0 {
            #[allow(clippy::cast_precision_loss)] // sub-microsecond precision is beyond SQLite's clock
            let seconds = (s * v.nanoseconds) as f64 / 1e9;
            args.push(modifier(format!("{seconds:+} seconds")));
        }
        Ok(function(if name == DATE_SHIFT { "date" } else { "strftime" }, args))
    }

    /// `date_part(part, x)`: `EXTRACT` with the engine's field names and day-of-week numbering
    /// (the IR's is 0 = Sunday … 6 = Saturday), or integer `strftime` fields in SQLite.
    fn date_part(&self, u: &Unparser, args: &[Expr]) -> DfResult<Option<ast::Expr>> {
        let [part, x] = args else { return Ok(None) };
        let Some(part) = literal_text(part) else { return Ok(None) };
        if self.kind == D::Sqlite {
            let format = match part.as_str() {
                "year" => "%Y",
                "month" | "quarter" => "%m",
                "day" => "%d",
                "hour" => "%H",
                "minute" => "%M",
                "second" => "%S",
                "doy" => "%j",
                "dow" => "%w",
                _ => return Ok(None),
            };
            let text = function(
                "strftime",
                vec![ast::Expr::value(ast::Value::SingleQuotedString(format.into())), u.expr_to_sql(x)?],
            );
            // strftime gives text ('2024'); the IR's date parts are integers.
            let value = cast(text, ast::DataType::Integer(None));
            if part == "quarter" {
                let plus = binary(value, BinaryOperator::Plus, number(2));
                return Ok(Some(binary(plus, BinaryOperator::Divide, number(3))));
            }
            return Ok(Some(value));
        }
        let x = u.expr_to_sql(x)?;
        let simple = |field| Ok(Some(extract(field, x.clone())));
        match part.as_str() {
            "year" => simple(DateTimeField::Year),
            "month" => simple(DateTimeField::Month),
            "day" => simple(DateTimeField::Day),
            "hour" => simple(DateTimeField::Hour),
            "minute" => simple(DateTimeField::Minute),
            "second" => simple(DateTimeField::Second),
            "quarter" => simple(DateTimeField::Quarter),
            "doy" => match self.kind {
                D::Trino | D::Spark => simple(DateTimeField::Doy),
                _ => simple(DateTimeField::DayOfYear),
            },
            "dow" => Ok(Some(match self.kind {
                // 0 = Sunday with the default WEEK_START.
                D::Snowflake => extract(DateTimeField::DayOfWeek, x),
                // 1 = Sunday … 7 = Saturday.
                D::BigQuery | D::Spark => {
                    binary(extract(DateTimeField::DayOfWeek, x), BinaryOperator::Minus, number(1))
                }
                // ISO: 1 = Monday … 7 = Sunday.
                _ => binary(extract(DateTimeField::Dow, x), BinaryOperator::Modulo, number(7)),
            })),
            _ => Ok(None),
        }
    }

    /// PostgreSQL's `date_part` is a `double precision`/`numeric`; the IR's date parts are
    /// integers (whole seconds).
    fn postgres_date_part(&self, u: &Unparser, args: &[Expr]) -> DfResult<Option<ast::Expr>> {
        let [part, _] = args else { return Ok(None) };
        let Some(part) = literal_text(part) else { return Ok(None) };
        let mut value = u.scalar_function_to_sql("date_part", args)?;
        if part == "second" {
            value = function("floor", vec![value]);
        }
        Ok(Some(cast(value, ast::DataType::Integer(None))))
    }

    /// SQLite's `date_trunc` from DataFusion is `strftime('%Y-%m', ts)`, text that is no longer a
    /// timestamp; truncate to a timestamp text instead (`datetime(ts, 'start of month')`).
    fn sqlite_date_trunc(&self, u: &Unparser, args: &[Expr]) -> DfResult<Option<ast::Expr>> {
        let [unit, x] = args else { return Ok(None) };
        let Some(unit) = literal_text(unit) else { return Ok(None) };
        let text = |s: &str| ast::Expr::value(ast::Value::SingleQuotedString(s.into()));
        let x = u.expr_to_sql(x)?;
        Ok(Some(match unit.as_str() {
            "year" => function("datetime", vec![x, text("start of year")]),
            "month" => function("datetime", vec![x, text("start of month")]),
            "day" => function("datetime", vec![x, text("start of day")]),
            "hour" => function("strftime", vec![text("%Y-%m-%d %H:00:00"), x]),
            "minute" => function("strftime", vec![text("%Y-%m-%d %H:%M:00"), x]),
            "second" => function("strftime", vec![text("%Y-%m-%d %H:%M:%S"), x]),
            _ => return Ok(None),
        }))
    }

    /// `date_trunc('month', ts)` as BigQuery's `TIMESTAMP_TRUNC(ts, MONTH)`.
    fn bigquery_date_trunc(&self, u: &Unparser, args: &[Expr]) -> DfResult<Option<ast::Expr>> {
        let [unit, x] = args else { return Ok(None) };
        let Some(unit) = literal_text(unit) else { return Ok(None) };
        let unit = ast::Expr::Identifier(Ident::new(unit.to_ascii_uppercase()));
        Ok(Some(function("TIMESTAMP_TRUNC", vec![u.expr_to_sql(x)?, unit])))
    }
}

// Every method the engine's base dialect answers is forwarded, except
// `timestamp_with_tz_to_string`, which no built-in dialect overrides (RFC 3339 everywhere).
impl Dialect for EngineDialect {
    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        self.base.identifier_quote_style(identifier)
    }

    fn use_array_keyword_for_array_literals(&self) -> bool {
        self.base.use_array_keyword_for_array_literals()
    }

    fn supports_nulls_first_in_sort(&self) -> bool {
        self.base.supports_nulls_first_in_sort()
    }

    fn use_timestamp_for_date64(&self) -> bool {
        self.base.use_timestamp_for_date64()
    }

    fn interval_style(&self) -> IntervalStyle {
        self.base.interval_style()
    }

    fn float64_ast_dtype(&self) -> ast::DataType {
        self.base.float64_ast_dtype()
    }

    fn utf8_cast_dtype(&self) -> ast::DataType {
        self.base.utf8_cast_dtype()
    }

    fn large_utf8_cast_dtype(&self) -> ast::DataType {
        self.base.large_utf8_cast_dtype()
    }

    fn date_field_extract_style(&self) -> DateFieldExtractStyle {
        self.base.date_field_extract_style()
    }

    fn distinct_from_style(&self) -> DistinctFromStyle {
        self.base.distinct_from_style()
    }

    fn character_length_style(&self) -> CharacterLengthStyle {
        match self.kind {
            // `character_length` is not a Snowflake or BigQuery function.
            D::Snowflake | D::BigQuery => CharacterLengthStyle::Length,
            _ => self.base.character_length_style(),
        }
    }

    fn int64_cast_dtype(&self) -> ast::DataType {
        self.base.int64_cast_dtype()
    }

    fn int8_cast_dtype(&self) -> ast::DataType {
        self.base.int8_cast_dtype()
    }

    fn int32_cast_dtype(&self) -> ast::DataType {
        self.base.int32_cast_dtype()
    }

    fn timestamp_cast_dtype(&self, time_unit: &TimeUnit, tz: &Option<Arc<str>>) -> ast::DataType {
        self.base.timestamp_cast_dtype(time_unit, tz)
    }

    fn date32_cast_dtype(&self) -> ast::DataType {
        // SQLite: `DATE` here, made `date(x)` by `rewrite.rs` (DataFusion's `TEXT` would keep a
        // timestamp's time of day).
        if self.kind == D::Sqlite { ast::DataType::Date } else { self.base.date32_cast_dtype() }
    }

    fn supports_column_alias_in_table_alias(&self) -> bool {
        self.base.supports_column_alias_in_table_alias()
    }

    fn requires_derived_table_alias(&self) -> bool {
        self.base.requires_derived_table_alias()
    }

    fn division_operator(&self) -> BinaryOperator {
        // The IR's `/` is true division on floats and decimals, `/` in every engine; DuckDB's
        // built-in dialect writes `//` (integer division) for it. Integer division is a marker.
        BinaryOperator::Divide
    }

    fn scalar_function_to_sql_overrides(
        &self,
        unparser: &Unparser,
        func_name: &str,
        args: &[Expr],
    ) -> DfResult<Option<ast::Expr>> {
        if func_name == INT_DIV {
            return self.int_div(unparser, args).map(Some);
        }
        if let Some(sqlite_function) = checked_function(func_name) {
            return self.checked(unparser, sqlite_function, args).map(Some);
        }
        if func_name == DATE_SHIFT || func_name == TIMESTAMP_SHIFT {
            return self.shift(unparser, func_name, args).map(Some);
        }
        if func_name == "character_length" && self.character_length_style() == CharacterLengthStyle::Length {
            let [x] = args else { return Ok(None) };
            return Ok(Some(function("length", vec![unparser.expr_to_sql(x)?])));
        }
        if func_name == "date_part"
            && matches!(self.kind, D::Sqlite | D::Snowflake | D::BigQuery | D::Trino | D::Spark)
            && let Some(sql) = self.date_part(unparser, args)?
        {
            return Ok(Some(sql));
        }
        if func_name == "date_part" && self.kind == D::Postgres {
            return self.postgres_date_part(unparser, args);
        }
        if func_name == "date_trunc" && self.kind == D::BigQuery {
            return self.bigquery_date_trunc(unparser, args);
        }
        if func_name == "date_trunc"
            && self.kind == D::Sqlite
            && let Some(sql) = self.sqlite_date_trunc(unparser, args)?
        {
            return Ok(Some(sql));
        }
        self.base.scalar_function_to_sql_overrides(unparser, func_name, args)
    }

    fn higher_order_function_to_sql_overrides(
        &self,
        unparser: &Unparser,
        func_name: &str,
        args: &[Expr],
    ) -> DfResult<Option<ast::Expr>> {
        self.base.higher_order_function_to_sql_overrides(unparser, func_name, args)
    }

    fn window_func_support_window_frame(
        &self,
        func_name: &str,
        start_bound: &WindowFrameBound,
        end_bound: &WindowFrameBound,
    ) -> bool {
        // Ranking and offset functions ignore frames, and BigQuery, Snowflake and Spark reject
        // one written out (`ROWS BETWEEN … ` after `row_number()` or `lag(…)`).
        let frameless = matches!(
            func_name,
            "row_number" | "rank" | "dense_rank" | "percent_rank" | "cume_dist" | "ntile" | "lag" | "lead"
        );
        if frameless && self.kind != D::DataFusion {
            return false;
        }
        self.base.window_func_support_window_frame(func_name, start_bound, end_bound)
    }

    fn full_qualified_col(&self) -> bool {
        self.base.full_qualified_col()
    }

    fn unnest_as_table_factor(&self) -> bool {
        self.base.unnest_as_table_factor()
    }

    fn unnest_as_lateral_flatten(&self) -> bool {
        self.base.unnest_as_lateral_flatten()
    }

    fn col_alias_overrides(&self, alias: &str) -> DfResult<Option<String>> {
        self.base.col_alias_overrides(alias)
    }

    fn supports_qualify(&self) -> bool {
        match self.kind {
            D::Snowflake | D::BigQuery | D::DuckDb | D::DataFusion => self.base.supports_qualify(),
            _ => false,
        }
    }

    fn supports_empty_select_list(&self) -> bool {
        self.base.supports_empty_select_list()
    }

    fn string_literal_to_sql(&self, s: &str) -> Option<ast::Expr> {
        self.base.string_literal_to_sql(s)
    }
}
