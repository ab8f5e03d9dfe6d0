//! DataFusion expressions → the IR's expression builder ([`xorq_core::Expr`]). The builder then
//! types and canonicalizes them exactly as it does for the Rust API.

use arrow::datatypes::DataType as ArrowType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, ScalarValue};
use datafusion::logical_expr::expr::{AggregateFunction, NullTreatment, Placeholder, WindowFunction};
use datafusion::logical_expr::{
    BinaryExpr, Case, Expr as DfExpr, ExprSchemable, Operator, SortExpr as DfSortExpr, WindowFrameBound,
    WindowFrameUnits, WindowFunctionDefinition,
};
use xorq_core::{DataType, Expr, FrameBound, Literal, ScalarFunc, SortExpr, TimeUnit, Window, lit, param};

use super::functions;
use super::lift_rel::Lifter;
use super::locate::Pos;
use super::rel::{Scope, Value, side_column};
use crate::error::{EngineError, Result};

/// Lifts the expressions of one plan node.
pub(crate) struct ScalarLifter<'s> {
    pub lifter: &'s Lifter<'s>,
    pub scope: Scope<'s>,
    /// Values of uncorrelated scalar subqueries, by the address of their plan.
    pub subqueries: &'s [(usize, Expr)],
}

/// The address of a plan, to recognize a subquery again.
pub(crate) fn plan_id(plan: &datafusion::logical_expr::LogicalPlan) -> usize {
    std::ptr::from_ref(plan) as usize
}

impl ScalarLifter<'_> {
    fn error(&self, message: impl Into<String>, at: Option<Pos>) -> EngineError {
        self.lifter.locator.error(message, at)
    }

    fn unsupported(&self, what: &str, words: &[&str]) -> EngineError {
        let at = self.lifter.locator.keyword(words);
        self.error(format!("{what} is not supported by xorq (it has no equivalent in the expression IR)"), at)
    }

    fn function_error(&self, message: String, names: &[String]) -> EngineError {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.error(message, self.lifter.locator.function(&names))
    }

    /// `$name` is a named parameter of the IR, bound per run (`xorq run -p name=value`), typed
    /// by what DataFusion's planner inferred from its use (compared with a column, say).
    fn placeholder(&self, p: &Placeholder) -> Result<Expr> {
        let at = self.lifter.locator.token(&p.id);
        let name = p.id.trim_start_matches('$');
        if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
            return Err(self.error(
                format!("positional parameter `{}` cannot be bound by name; name it, for example `$threshold`", p.id),
                at,
            ));
        }
        let Some(field) = &p.field else {
            return Err(self.error(
                format!(
                    "the type of parameter `{}` cannot be inferred; compare it with a column (`amount > {}`), give \
                     it a type with `CAST({} AS DOUBLE)`, or declare it: `-- xorq: param {} DOUBLE [default …]`",
                    p.id, p.id, p.id, name
                ),
                at,
            ));
        };
        let dtype = DataType::from_arrow(name, field.data_type()).map_err(|e| self.error(e.to_string(), at))?;
        let declared = self.lifter.marked.params.iter().find(|d| d.name == name);
        match declared.and_then(|d| d.default.as_deref().map(|text| (d, text))) {
            None => Ok(param(name, dtype).into()),
            Some((d, text)) => {
                let value = Literal::parse_as(&dtype, text).ok_or_else(|| {
                    self.error(format!("the default `{text}` of parameter `{name}` is not a {dtype}"), Some(d.at))
                })?;
                Ok(param(name, dtype).with_default(value).into())
            }
        }
    }

    fn df_type(&self, e: &DfExpr) -> Option<ArrowType> {
        e.get_type(self.scope.type_schema()).ok()
    }

    fn column(&self, c: &Column, outer_ref: bool) -> Result<Expr> {
        let at = c.spans().first().map(|s| (s.start.line, s.start.column));
        let (col, side) = self.scope.find(c, outer_ref).ok_or_else(|| {
            self.error(format!("column `{}` cannot be used here (it belongs to an outer query)", c.flat_name()), at)
        })?;
        match (&col.value, side) {
            (Value::Merged { join }, _) => {
                self.lifter.blocked.set(Some(*join));
                Err(EngineError::Internal(format!("join key `{}` was merged", c.flat_name())))
            }
            (Value::Hidden, _) => Err(self.error(format!("column `{}` is internal to DataFusion", c.flat_name()), at)),
            (Value::Expr(e), None) => Ok(e.clone()),
            (Value::Expr(_), Some(left)) => side_column(col, left)
                .ok_or_else(|| EngineError::Internal(format!("join input column `{}` is not plain", c.flat_name()))),
        }
    }

    /// The name DataFusion gives an unaliased expression, with table qualifiers left out (they
    /// are aliases, which do not reach the IR): `sum(amount)`, `amount + Int64(1)`.
    pub(crate) fn display_name(&self, e: &DfExpr) -> String {
        let unqualified = e.clone().transform_up(|x| {
            Ok(match &x {
                DfExpr::Column(c) => match self.scope.find(c, false) {
                    Some((col, _)) => Transformed::yes(DfExpr::Column(Column::from_name(col.name.clone()))),
                    None => Transformed::yes(DfExpr::Column(Column::from_name(c.name.clone()))),
                },
                _ => Transformed::no(x),
            })
        });
        let name = match unqualified {
            Ok(t) => t.data.schema_name().to_string(),
            Err(_) => e.schema_name().to_string(),
        };
        // `count(*)` is planned as `count(1)`; show it as written, as DataFusion's output does.
        name.replace("count(Int64(1))", "count(*)")
    }

    fn all(&self, es: &[DfExpr]) -> Result<Vec<Expr>> {
        es.iter().map(|e| self.lift(e)).collect()
    }

    /// An ordering key.
    pub(crate) fn sort(&self, s: &DfSortExpr) -> Result<SortExpr> {
        Ok(SortExpr { expr: self.lift(&s.expr)?, descending: !s.asc, nulls_first: Some(s.nulls_first) })
    }

    /// Lifts one expression.
    #[recursive::recursive]
    pub(crate) fn lift(&self, e: &DfExpr) -> Result<Expr> {
        Ok(match e {
            DfExpr::Alias(a) => self.lift(&a.expr)?,
            DfExpr::Column(c) => self.column(c, false)?,
            DfExpr::OuterReferenceColumn(_, c) => self.column(c, true)?,
            DfExpr::Literal(v, _) => functions::literal(v).map_err(|m| self.error(m, None))?,
            DfExpr::BinaryExpr(b) => self.binary(b)?,
            DfExpr::Not(x) => self.lift(x)?.not(),
            DfExpr::IsNull(x) => self.lift(x)?.is_null(),
            DfExpr::IsNotNull(x) => self.lift(x)?.is_not_null(),
            // `x IS TRUE` is `coalesce(x, false)`, and so on: exact for every value, nulls included.
            DfExpr::IsTrue(x) => self.lift(x)?.fill_null(lit(false)),
            DfExpr::IsNotTrue(x) => self.lift(x)?.fill_null(lit(false)).not(),
            DfExpr::IsFalse(x) => self.lift(x)?.not().fill_null(lit(false)),
            DfExpr::IsNotFalse(x) => self.lift(x)?.fill_null(lit(true)),
            DfExpr::IsUnknown(x) => self.lift(x)?.is_null(),
            DfExpr::IsNotUnknown(x) => self.lift(x)?.is_not_null(),
            DfExpr::Negative(x) => -self.lift(x)?,
            DfExpr::Between(b) => {
                let (x, lo, hi) = (self.lift(&b.expr)?, self.lift(&b.low)?, self.lift(&b.high)?);
                if b.negated { x.between(lo, hi).not() } else { x.between(lo, hi) }
            }
            DfExpr::InList(l) => {
                let (x, list) = (self.lift(&l.expr)?, self.all(&l.list)?);
                if l.negated { x.is_not_in(list) } else { x.is_in(list) }
            }
            DfExpr::Like(l) => {
                // DataFusion escapes wildcards with `\` and supports no other escape character.
                if l.escape_char.is_some_and(|c| c != '\\') {
                    return Err(self.error(
                        "`LIKE … ESCAPE` is supported with the escape character `\\` only (DataFusion supports no other)\nhint: write the pattern with backslashes, e.g. `LIKE 'a\\_%'`",
                        self.lifter.locator.keyword(&["ESCAPE"]),
                    ));
                }
                let func = if l.case_insensitive { ScalarFunc::ILIKE } else { ScalarFunc::LIKE };
                let call = Expr::Function(func, vec![self.lift(&l.expr)?, self.lift(&l.pattern)?]);
                if l.negated { call.not() } else { call }
            }
            DfExpr::SimilarTo(l) => {
                if l.escape_char.is_some() {
                    return Err(self.unsupported("`SIMILAR TO … ESCAPE`", &["ESCAPE"]));
                }
                if l.case_insensitive {
                    return Err(self.unsupported("case-insensitive `SIMILAR TO`", &["SIMILAR", "TO"]));
                }
                let call = Expr::Function(ScalarFunc::SIMILAR_TO, vec![self.lift(&l.expr)?, self.lift(&l.pattern)?]);
                if l.negated { call.not() } else { call }
            }
            DfExpr::Case(c) => self.case(c)?,
            // `CAST($x AS DOUBLE)` types the parameter itself.
            DfExpr::Cast(c) => {
                if let DfExpr::Placeholder(p) = c.expr.as_ref()
                    && p.field.is_none()
                {
                    return self.placeholder(&Placeholder::new_with_field(p.id.clone(), Some(c.field.clone())));
                }
                self.cast(&c.expr, c.field.data_type())?
            }
            DfExpr::TryCast(_) => return Err(self.unsupported("`TRY_CAST`", &["TRY_CAST"])),
            DfExpr::ScalarFunction(f) => {
                let name = f.func.name();
                // A function the program registered: called by name, typed by its entry.
                if let Some(func) = ScalarFunc::from_name(name).filter(|f| !f.is_builtin()) {
                    return Ok(Expr::call_function(func, self.all(&f.args)?));
                }
                let shown = self.written_name(name, f.func.aliases());
                let fail = |m: String| self.function_error(m, &names(name, f.func.aliases()));
                if let Some(r) = functions::refusal(name) {
                    return Err(fail(functions::refusal_message(&shown, &r)));
                }
                let args = self.all(&f.args)?;
                let raw = &f.args;
                functions::scalar(name, &shown, args, raw, |i| raw.get(i).and_then(|a| self.df_type(a)))
                    .map_err(fail)?
            }
            DfExpr::AggregateFunction(a) => self.aggregate(a)?,
            DfExpr::WindowFunction(w) => self.window(w)?,
            DfExpr::ScalarSubquery(s) => {
                let id = plan_id(&s.subquery);
                match self.subqueries.iter().find(|(k, _)| *k == id) {
                    Some((_, value)) => value.clone(),
                    None => {
                        return Err(self.error(
                            "a scalar subquery is supported only in SELECT and WHERE, uncorrelated, as an aggregate without GROUP BY (one row)",
                            self.lifter.locator.keyword(&["(", "SELECT"]),
                        ));
                    }
                }
            }
            DfExpr::Exists(_) | DfExpr::InSubquery(_) | DfExpr::SetComparison(_) => {
                let words: &[&str] = match e {
                    DfExpr::Exists(_) => &["EXISTS"],
                    DfExpr::InSubquery(_) => &["IN", "(", "SELECT"],
                    _ => &["(", "SELECT"],
                };
                return Err(self.error(
                    "this subquery is not supported: `IN (SELECT …)` and `[NOT] EXISTS (…)` are supported as conditions of WHERE, joined by AND",
                    self.lifter.locator.keyword(words),
                ));
            }
            DfExpr::GroupingSet(_) => {
                let at = ["ROLLUP", "CUBE", "GROUPING"].iter().find_map(|w| self.lifter.locator.keyword(&[w]));
                return Err(self.error("GROUPING SETS, ROLLUP and CUBE are not supported by xorq", at));
            }
            DfExpr::Unnest(_) => return Err(self.unsupported("`UNNEST`", &["UNNEST"])),
            DfExpr::Placeholder(p) => return self.placeholder(p),
            other => {
                return Err(self.error(
                    format!("expression `{other}` is not supported by xorq"),
                    self.lifter.locator.named_in(&format!("`{}`", other.schema_name())),
                ));
            }
        })
    }

    fn binary(&self, b: &BinaryExpr) -> Result<Expr> {
        if b.op == Operator::StringConcat {
            return self.string_concat(b);
        }
        let (l, r) = (self.lift(&b.left)?, self.lift(&b.right)?);
        Ok(match b.op {
            Operator::Eq => l.eq(r),
            Operator::NotEq => l.not_eq(r),
            Operator::Lt => l.lt(r),
            Operator::LtEq => l.lt_eq(r),
            Operator::Gt => l.gt(r),
            Operator::GtEq => l.gt_eq(r),
            Operator::IsDistinctFrom => l.is_distinct_from(r),
            Operator::IsNotDistinctFrom => l.is_not_distinct_from(r),
            Operator::And => l.and(r),
            Operator::Or => l.or(r),
            Operator::Plus => l + r,
            Operator::Minus => l - r,
            Operator::Multiply => l * r,
            Operator::Modulo => l % r,
            Operator::Divide => {
                // SQL divides integers as integers; the IR's `/` is true division.
                // An untyped NULL meets an integer as an integer (`x / NULL` is `Int64`).
                let int = |e: &DfExpr| self.df_type(e).is_some_and(|t| t.is_integer() || t.is_null());
                if int(&b.left) && int(&b.right) { l.int_div(r) } else { l / r }
            }
            op => {
                return Err(self.error(
                    format!("operator `{op}` is not supported by xorq"),
                    self.lifter.locator.token(&op.to_string()),
                ));
            }
        })
    }

    /// `a || b || …`: the IR's `concat`, null when any operand is null, as in SQL.
    fn string_concat(&self, b: &BinaryExpr) -> Result<Expr> {
        let mut operands: Vec<&DfExpr> = Vec::new();
        let mut stack = vec![b.right.as_ref(), b.left.as_ref()];
        while let Some(x) = stack.pop() {
            match x {
                DfExpr::BinaryExpr(inner) if inner.op == Operator::StringConcat => {
                    stack.push(inner.right.as_ref());
                    stack.push(inner.left.as_ref());
                }
                other => operands.push(other),
            }
        }
        let mut args = Vec::with_capacity(operands.len());
        for o in operands {
            let mut x = self.lift(o)?;
            if !matches!(self.df_type(o), Some(ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View)) {
                x = x.cast(DataType::String);
            }
            args.push(x);
        }
        Ok(Expr::Function(ScalarFunc::CONCAT, args))
    }

    fn case(&self, c: &Case) -> Result<Expr> {
        let base = c.expr.as_deref().map(|b| self.lift(b)).transpose()?;
        let mut branches = Vec::with_capacity(c.when_then_expr.len());
        for (w, t) in &c.when_then_expr {
            let w = self.lift(w)?;
            let condition = match &base {
                Some(b) => b.clone().eq(w),
                None => w,
            };
            branches.push((condition, self.lift(t)?));
        }
        let otherwise = c.else_expr.as_deref().map(|o| self.lift(o)).transpose()?;
        Ok(Expr::Case { branches, otherwise: otherwise.map(Box::new) })
    }

    fn cast(&self, inner: &DfExpr, to: &ArrowType) -> Result<Expr> {
        // `DATE '2024-01-31'` and `TIMESTAMP '…'` are casts of text: fold them into the typed
        // constants the builder writes (`lit_date`, `lit_timestamp`).
        if let DfExpr::Literal(ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)), _) = inner {
            let folded = match to {
                ArrowType::Date32 => Some(Literal::date(s)),
                ArrowType::Time64(arrow::datatypes::TimeUnit::Nanosecond) => Literal::time(s).ok().map(Ok),
                // At the unit DataFusion reads it in (nanoseconds for `TIMESTAMP '…'`); a text
                // this parser does not read, or a coarser unit, is left to the engine's cast.
                ArrowType::Timestamp(unit, None) => Literal::timestamp_exact(s, TimeUnit::from_arrow(*unit)).map(Ok),
                _ => None,
            };
            if let Some(literal) = folded {
                let at = self.lifter.locator.token(&format!("'{s}'"));
                return literal.map(lit).map_err(|e| self.error(e.to_string(), at));
            }
        }
        let target = functions::cast_target(to).map_err(|m| self.error(m, self.lifter.locator.keyword(&["CAST"])))?;
        Ok(self.lift(inner)?.cast(target))
    }

    /// The spelling of a function as the query wrote it (an alias such as `ifnull` or `mean`),
    /// for messages.
    fn written_name(&self, name: &str, aliases: &[String]) -> String {
        let all: Vec<&str> = std::iter::once(name).chain(aliases.iter().map(String::as_str)).collect();
        self.lifter.locator.called(&all).unwrap_or(name).to_string()
    }

    fn aggregate(&self, a: &AggregateFunction) -> Result<Expr> {
        let p = &a.params;
        let name = a.func.name();
        if let Some(func) = xorq_core::AggFunc::from_name(name).filter(|f| !f.is_builtin()) {
            return Ok(Expr::Aggregate {
                func,
                args: self.all(&p.args)?,
                order_by: p.order_by.iter().map(|s| self.sort(s)).collect::<Result<Vec<_>>>()?,
                filter: p.filter.as_deref().map(|f| self.lift(f)).transpose()?.map(Box::new),
                distinct: p.distinct,
                ignore_nulls: p.null_treatment == Some(NullTreatment::IgnoreNulls),
            });
        }
        let shown = self.written_name(name, a.func.aliases());
        let fail = |m: String| self.function_error(m, &names(name, a.func.aliases()));
        if let Some(r) = functions::refusal(name) {
            return Err(fail(functions::refusal_message(&shown, &r)));
        }
        let args = self.all(&p.args)?;
        let options = functions::AggregateOptions {
            distinct: p.distinct,
            order_by: p.order_by.iter().map(|s| self.sort(s)).collect::<Result<Vec<_>>>()?,
            filter: p.filter.as_deref().map(|f| self.lift(f)).transpose()?,
            ignore_nulls: p.null_treatment == Some(NullTreatment::IgnoreNulls),
        };
        functions::aggregate(name, &shown, args, &p.args, options).map_err(fail)
    }

    fn window(&self, w: &WindowFunction) -> Result<Expr> {
        let p = &w.params;
        if p.filter.is_some() {
            return Err(self.unsupported("`FILTER (WHERE …)` on a window function", &["FILTER"]));
        }
        let ignore_nulls = p.null_treatment == Some(NullTreatment::IgnoreNulls);
        let args = self.all(&p.args)?;
        let function = match &w.fun {
            WindowFunctionDefinition::AggregateUDF(f) => {
                let shown = self.written_name(f.name(), f.aliases());
                let fail = |m: String| self.function_error(m, &names(f.name(), f.aliases()));
                if let Some(r) = functions::refusal(f.name()) {
                    return Err(fail(functions::refusal_message(&shown, &r)));
                }
                let options =
                    functions::AggregateOptions { distinct: p.distinct, order_by: vec![], filter: None, ignore_nulls };
                functions::aggregate(f.name(), &shown, args, &p.args, options).map_err(fail)?
            }
            WindowFunctionDefinition::WindowUDF(f) => {
                if p.distinct {
                    return Err(self.unsupported("`DISTINCT` in a window function", &["DISTINCT"]));
                }
                let shown = self.written_name(f.name(), f.aliases());
                functions::window(f.name(), &shown, args, ignore_nulls)
                    .map_err(|m| self.function_error(m, &names(f.name(), f.aliases())))?
            }
        };
        let mut window = Window::new().partition_by(self.all(&p.partition_by)?);
        window = window.order_by(p.order_by.iter().map(|s| self.sort(s)).collect::<Result<Vec<_>>>()?);
        let frame = &p.window_frame;
        let (start, end) = (self.bound(&frame.start_bound)?, self.bound(&frame.end_bound)?);
        window = match frame.units {
            WindowFrameUnits::Rows => window.rows_between(start, end),
            WindowFrameUnits::Range => window.range_between(start, end),
            WindowFrameUnits::Groups => return Err(self.unsupported("a `GROUPS` window frame", &["GROUPS"])),
        };
        Ok(function.over(window))
    }

    fn bound(&self, b: &WindowFrameBound) -> Result<FrameBound> {
        let offset = |v: &ScalarValue| -> Result<Option<u64>> {
            if v.is_null() {
                return Ok(None);
            }
            match v.cast_to(&ArrowType::UInt64) {
                Ok(ScalarValue::UInt64(Some(n))) => Ok(Some(n)),
                _ => Err(self.error(
                    format!("window frame offset `{v}` is not supported; use a whole number of rows or units"),
                    self.lifter.locator.keyword(&["PRECEDING"]).or_else(|| self.lifter.locator.keyword(&["FOLLOWING"])),
                )),
            }
        };
        Ok(match b {
            WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            WindowFrameBound::Preceding(v) => offset(v)?.map_or(FrameBound::UnboundedPreceding, FrameBound::Preceding),
            WindowFrameBound::Following(v) => offset(v)?.map_or(FrameBound::UnboundedFollowing, FrameBound::Following),
        })
    }
}

/// A function's name and aliases, to find its call in the text.
fn names(name: &str, aliases: &[String]) -> Vec<String> {
    // Spellings with their own SQL syntax (`EXTRACT(year FROM d)`, `TRIM(s)`, …).
    let syntax: &[&str] = match name {
        "date_part" => &["extract"],
        "btrim" => &["trim"],
        "substr" => &["substring"],
        "strpos" => &["position"],
        _ => &[],
    };
    std::iter::once(name.to_string())
        .chain(aliases.iter().cloned())
        .chain(syntax.iter().map(|s| s.to_string()))
        .collect()
}
