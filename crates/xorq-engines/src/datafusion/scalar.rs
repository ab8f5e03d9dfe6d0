//! Lowering of typed scalar expressions to DataFusion expressions.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::Field as ArrowField;
use datafusion::arrow::datatypes::FieldRef;
use datafusion::common::{Column, ScalarValue};
use datafusion::logical_expr::expr::{
    AggregateFunction, InList, Like, NullTreatment, Placeholder, ScalarFunction, WindowFunction,
};
use datafusion::logical_expr::{
    BinaryExpr, Case, Cast, Expr as DfExpr, ExprFunctionExt, Operator, ReturnFieldArgs, SortExpr, WindowFrame,
    WindowFrameBound, WindowFrameUnits, WindowFunctionDefinition, lit,
};
use xorq_core::expr::{
    AggFunc, AggregateCall, BinaryOp, ExprKind, FrameBound, FrameUnits, JoinSide, ScalarExpr, ScalarFunc, SortKey,
    WindowCall, WindowFunc,
};
use xorq_core::{DataType, Literal};

use super::functions::{AggregateForm, Implementations, ScalarForm, aggregate_form, scalar_form, window_name};
use super::literal::scalar_value;
use crate::error::{EngineError, Result};

/// Table aliases of the two join inputs, used to qualify columns of join predicates and outputs.
pub(crate) const LEFT: &str = "__xorq_left";
/// See [`LEFT`].
pub(crate) const RIGHT: &str = "__xorq_right";

/// Values of named parameters for one run.
pub type ParamValues = BTreeMap<String, Literal>;

/// What to do with aggregate and window sub-expressions while lowering.
pub(crate) enum Nested<'a> {
    /// Lower them in place (inside `Aggregate` measures' aggregate list, or errors elsewhere).
    Inline,
    /// Replace each by a column of a previous `Aggregate`/`Window` plan, collecting the lowered
    /// originals.
    Collect(&'a mut Vec<DfExpr>),
}

pub(crate) struct ScalarLowering<'a> {
    pub params: &'a ParamValues,
    /// Lower an unbound parameter to a `$name` placeholder instead of failing (for SQL shown to
    /// people, where parameters are bound per run).
    pub placeholders: bool,
    /// Lowering for SQL generation: engine-dependent operations become markers (`marker.rs`).
    pub for_sql: bool,
    /// In SQL generation, integer `+`, `-`, `*` and unary minus become checked-arithmetic
    /// markers, for an engine that does not check overflow itself (SQLite).
    pub checked_markers: bool,
}

fn binary(l: DfExpr, op: Operator, r: DfExpr) -> DfExpr {
    DfExpr::BinaryExpr(BinaryExpr::new(Box::new(l), op, Box::new(r)))
}

fn operator(op: BinaryOp) -> Result<Operator> {
    Ok(match op {
        BinaryOp::Eq => Operator::Eq,
        BinaryOp::NotEq => Operator::NotEq,
        BinaryOp::Lt => Operator::Lt,
        BinaryOp::LtEq => Operator::LtEq,
        BinaryOp::Gt => Operator::Gt,
        BinaryOp::GtEq => Operator::GtEq,
        BinaryOp::IsDistinctFrom => Operator::IsDistinctFrom,
        BinaryOp::IsNotDistinctFrom => Operator::IsNotDistinctFrom,
        BinaryOp::Add => Operator::Plus,
        BinaryOp::Sub => Operator::Minus,
        BinaryOp::Mul => Operator::Multiply,
        // Operands of `Div` are floats or decimals by construction; `IntDiv` operands are integers,
        // which DataFusion divides truncating toward zero.
        BinaryOp::Div | BinaryOp::IntDiv => Operator::Divide,
        BinaryOp::Mod => Operator::Modulo,
        other => return Err(EngineError::Internal(format!("operator {other:?} has no DataFusion form"))),
    })
}

/// A frame bound as DataFusion's SQL planner writes it: a row count as `UInt64`; a `RANGE`
/// offset as text, which DataFusion's type coercion then reads in the ordering key's type (an
/// offset of another numeric type is compared in the wrong type).
fn frame_bound(b: FrameBound, units: WindowFrameUnits) -> WindowFrameBound {
    let offset = |n: u64| match units {
        WindowFrameUnits::Range => ScalarValue::Utf8(Some(n.to_string())),
        _ => ScalarValue::UInt64(Some(n)),
    };
    match b {
        FrameBound::UnboundedPreceding => WindowFrameBound::Preceding(ScalarValue::UInt64(None)),
        FrameBound::Preceding(n) => WindowFrameBound::Preceding(offset(n)),
        FrameBound::CurrentRow => WindowFrameBound::CurrentRow,
        FrameBound::Following(n) => WindowFrameBound::Following(offset(n)),
        FrameBound::UnboundedFollowing => WindowFrameBound::Following(ScalarValue::UInt64(None)),
    }
}

impl ScalarLowering<'_> {
    fn all(&self, es: &[ScalarExpr], nested: &mut Nested<'_>) -> Result<Vec<DfExpr>> {
        es.iter().map(|e| self.lower(e, nested)).collect()
    }

    pub(crate) fn sort_key(&self, k: &SortKey, nested: &mut Nested<'_>) -> Result<SortExpr> {
        Ok(self.lower(&k.expr, nested)?.sort(!k.descending, k.nulls_first))
    }

    /// Lowers one expression.
    #[recursive::recursive]
    pub(crate) fn lower(&self, e: &ScalarExpr, nested: &mut Nested<'_>) -> Result<DfExpr> {
        Ok(match &e.kind {
            ExprKind::Column(c) => {
                let relation = match c.side {
                    None => None,
                    Some(JoinSide::Left) => Some(LEFT),
                    Some(JoinSide::Right) => Some(RIGHT),
                };
                DfExpr::Column(Column::new(relation, c.name.clone()))
            }
            ExprKind::Literal(l) if self.for_sql => lit(scalar_value(l)?),
            ExprKind::Literal(l) => super::large_literal::large_literal(scalar_value(l)?),
            ExprKind::Param(p) => {
                if self.placeholders && !self.params.contains_key(&p.name) {
                    let dtype = scalar_value(&Literal::Null(p.dtype.clone()))?.data_type();
                    return Ok(DfExpr::Placeholder(Placeholder::new_with_field(
                        format!("${}", p.name),
                        Some(Arc::new(ArrowField::new(&p.name, dtype, true))),
                    )));
                }
                let value = match self.params.get(&p.name).or(p.default.as_ref()) {
                    Some(v) => v,
                    None => return Err(EngineError::MissingParam { name: p.name.clone() }),
                };
                lit(scalar_value(value)?)
            }
            ExprKind::Binary { op: BinaryOp::IntDiv, left, right } if self.for_sql => super::marker::call(
                super::marker::INT_DIV,
                e.dtype.to_arrow(),
                vec![self.lower(left, nested)?, self.lower(right, nested)?],
            ),
            ExprKind::Binary { op: op @ (BinaryOp::Add | BinaryOp::Sub), left, right }
                if self.for_sql
                    && matches!(e.dtype, DataType::Date | DataType::Timestamp { .. })
                    && (left.dtype == DataType::Interval || right.dtype == DataType::Interval) =>
            {
                let (x, interval) = if right.dtype == DataType::Interval { (left, right) } else { (right, left) };
                let name =
                    if e.dtype == DataType::Date { super::marker::DATE_SHIFT } else { super::marker::TIMESTAMP_SHIFT };
                let sign = if *op == BinaryOp::Sub { -1i64 } else { 1 };
                super::marker::call(
                    name,
                    e.dtype.to_arrow(),
                    vec![self.lower(x, nested)?, self.lower(interval, nested)?, lit(sign)],
                )
            }
            ExprKind::Binary { op, left, right } => {
                let (l, r) = (self.lower(left, nested)?, self.lower(right, nested)?);
                if self.for_sql {
                    let marker = match op {
                        BinaryOp::Add => super::marker::CHECKED_ADD,
                        BinaryOp::Sub => super::marker::CHECKED_SUB,
                        BinaryOp::Mul => super::marker::CHECKED_MUL,
                        _ => "",
                    };
                    let integers =
                        [&e.dtype, &left.dtype, &right.dtype].iter().all(|t| t.is_integer() || **t == DataType::Null);
                    if self.checked_markers && !marker.is_empty() && integers && e.dtype.is_integer() {
                        return Ok(super::marker::call(marker, e.dtype.to_arrow(), vec![l, r, lit(e.to_string())]));
                    }
                    // The engine's own arithmetic runs, with its own overflow checks.
                    return Ok(binary(l, operator(*op)?, r));
                }
                match super::checked::binary_op(*op, &left.dtype, &right.dtype, &e.dtype) {
                    Some(checked) => super::checked::binary(checked, l, r, e.to_string()),
                    None => binary(l, operator(*op)?, r),
                }
            }
            ExprKind::And(terms) | ExprKind::Or(terms) => {
                let op = if matches!(e.kind, ExprKind::And(_)) { Operator::And } else { Operator::Or };
                let mut it = self.all(terms, nested)?.into_iter();
                let first = it.next().ok_or_else(|| EngineError::Internal("empty junction".into()))?;
                it.fold(first, |acc, t| binary(acc, op, t))
            }
            ExprKind::Not(x) => DfExpr::Not(Box::new(self.lower(x, nested)?)),
            ExprKind::Negate(x) => {
                let lowered = self.lower(x, nested)?;
                if self.for_sql {
                    if self.checked_markers && e.dtype.is_signed_integer() {
                        let args = vec![lowered, lit(e.to_string())];
                        return Ok(super::marker::call(super::marker::CHECKED_NEGATE, e.dtype.to_arrow(), args));
                    }
                    return Ok(DfExpr::Negative(Box::new(lowered)));
                }
                match super::checked::negate(lowered, &x.dtype, e.to_string()) {
                    Ok(checked) => checked,
                    Err(x) => DfExpr::Negative(Box::new(x)),
                }
            }
            ExprKind::IsNull(x) => DfExpr::IsNull(Box::new(self.lower(x, nested)?)),
            ExprKind::IsNotNull(x) => DfExpr::IsNotNull(Box::new(self.lower(x, nested)?)),
            ExprKind::Cast(x) => DfExpr::Cast(Cast::new(Box::new(self.lower(x, nested)?), e.dtype.to_arrow())),
            ExprKind::Case { branches, otherwise } => {
                let when_then = branches
                    .iter()
                    .map(|(c, v)| Ok((Box::new(self.lower(c, nested)?), Box::new(self.lower(v, nested)?))))
                    .collect::<Result<Vec<_>>>()?;
                let otherwise = match otherwise {
                    Some(o) => Some(Box::new(self.lower(o, nested)?)),
                    None => None,
                };
                DfExpr::Case(Case::new(None, when_then, otherwise))
            }
            ExprKind::InList { expr, list, negated } => {
                DfExpr::InList(InList::new(Box::new(self.lower(expr, nested)?), self.all(list, nested)?, *negated))
            }
            ExprKind::Function { func, args } => self.function(e, *func, args, self.all(args, nested)?)?,
            ExprKind::Aggregate(call) => {
                let lowered = self.aggregate(e, call)?;
                match nested {
                    Nested::Inline => lowered,
                    // The aggregate is collected bare (a cast of its result stays outside): the
                    // aggregate plan keeps it unaliased, as DataFusion's optimizer rules
                    // (`single_distinct_to_groupby`, …) need, and `nested_name(i)` is resolved
                    // to its output column afterwards (`lower.rs`, `resolve_nested`).
                    Nested::Collect(collected) => {
                        let (inner, cast) = match lowered {
                            DfExpr::Cast(c) if matches!(*c.expr, DfExpr::AggregateFunction(_)) => {
                                (*c.expr, Some(c.field.data_type().clone()))
                            }
                            other => (other, None),
                        };
                        let index = collect(collected, inner);
                        let column = DfExpr::Column(Column::from_name(nested_name(index)));
                        match cast {
                            Some(t) => DfExpr::Cast(Cast::new(Box::new(column), t)),
                            None => column,
                        }
                    }
                }
            }
            ExprKind::Window(call) => {
                let lowered = self.window(call)?;
                match nested {
                    Nested::Collect(collected) => {
                        let index = collect(collected, lowered);
                        DfExpr::Column(Column::from_name(nested_name(index)))
                    }
                    // SQL mode: a projection holds its window functions, as SQL writes them.
                    Nested::Inline if self.for_sql => lowered,
                    Nested::Inline => {
                        return Err(EngineError::Internal("window function outside a projection".into()));
                    }
                }
            }
            other => return Err(EngineError::Internal(format!("expression {other:?} has no DataFusion form"))),
        })
    }

    fn function(&self, e: &ScalarExpr, func: ScalarFunc, ir_args: &[ScalarExpr], mut a: Vec<DfExpr>) -> Result<DfExpr> {
        let impls = Implementations::builtin();
        let missing = || EngineError::Unsupported {
            engine: "DataFusion".into(),
            what: format!("function `{}`", func.name()),
            hint: "\nhint: this DataFusion has no implementation of it".into(),
        };
        let two = |a: &mut Vec<DfExpr>| -> Result<(DfExpr, DfExpr)> {
            if a.len() < 2 {
                return Err(EngineError::Internal(format!("`{}` lowered with too few arguments", func.name())));
            }
            let rest = a.split_off(2);
            let mut first = std::mem::replace(a, rest).into_iter();
            match (first.next(), first.next()) {
                (Some(x), Some(y)) => Ok((x, y)),
                _ => Err(EngineError::Internal(format!("`{}` lowered with too few arguments", func.name()))),
            }
        };
        let registered;
        let (udf, args) = match scalar_form(func) {
            _ if !func.is_builtin() => {
                registered = super::functions::registered_scalar(func).ok_or_else(|| EngineError::Unsupported {
                    engine: "DataFusion".into(),
                    what: format!("registered function `{}` version {}", func.name(), func.version()),
                    hint: "\nhint: register its DataFusion implementation too (`xorq::functions::register_scalar`)"
                        .into(),
                })?;
                (&registered, a)
            }
            ScalarForm::Udf(name) => (impls.scalar(name).ok_or_else(missing)?, a),
            ScalarForm::DatePart(unit) => {
                let udf = impls.scalar("date_part").ok_or_else(missing)?;
                a.insert(0, lit(unit));
                (udf, a)
            }
            ScalarForm::Like { case_insensitive } => {
                let (s, p) = two(&mut a)?;
                return Ok(DfExpr::Like(Like::new(false, Box::new(s), Box::new(p), None, case_insensitive)));
            }
            ScalarForm::SimilarTo => {
                let (s, p) = two(&mut a)?;
                return Ok(DfExpr::SimilarTo(Like::new(false, Box::new(s), Box::new(p), None, false)));
            }
            // The IR's `concat` is null when any argument is null, as SQL's `||`; DataFusion's
            // `concat` function skips nulls, so the operator is used.
            ScalarForm::Concat => {
                let mut args = a.into_iter();
                let first = args.next().ok_or_else(|| EngineError::Internal("concat without arguments".into()))?;
                return Ok(args.fold(first, |l, r| binary(l, Operator::StringConcat, r)));
            }
        };
        let call = DfExpr::ScalarFunction(ScalarFunction::new_udf(Arc::clone(udf), args.clone()));
        // DataFusion may give the result another physical layout than the IR's (`Utf8View`,
        // `Time32`): the IR's type is the contract.
        let fields: Vec<FieldRef> = arg_fields(&args, ir_args, &scalar_form(func));
        let scalars: Vec<Option<ScalarValue>> = args.iter().map(literal_of).collect();
        let scalar_refs: Vec<Option<&ScalarValue>> = scalars.iter().map(Option::as_ref).collect();
        let physical =
            udf.return_field_from_args(ReturnFieldArgs { arg_fields: &fields, scalar_arguments: &scalar_refs });
        Ok(conform_result(call, physical.ok().map(|f| f.data_type().clone()), &e.dtype))
    }

    fn aggregate(&self, e: &ScalarExpr, call: &AggregateCall) -> Result<DfExpr> {
        let impls = Implementations::builtin();
        let missing = |name: &str| EngineError::Unsupported {
            engine: "DataFusion".into(),
            what: format!("aggregate `{name}`"),
            hint: "\nhint: this DataFusion has no implementation of it".into(),
        };
        let mut none = Nested::Inline;
        let mut args = self.all(&call.args, &mut none)?;
        let order_by = call.order_by.iter().map(|k| self.sort_key(k, &mut none)).collect::<Result<Vec<_>>>()?;
        let filter = match &call.filter {
            Some(f) => Some(Box::new(self.lower(f, &mut none)?)),
            None => None,
        };
        let null_treatment = call.ignore_nulls.then_some(NullTreatment::IgnoreNulls);
        // An integer sum is exact or an error (`checked_sum.rs`); SQL engines sum with their own
        // checks.
        let checked_sum = call.func == AggFunc::SUM
            && !self.for_sql
            && call.args.first().is_some_and(|a| a.dtype.is_integer() || a.dtype == DataType::Null);
        let checked_udaf;
        let registered;
        let (udaf, distinct, order_by) = match aggregate_form(call.func) {
            _ if !call.func.is_builtin() => {
                registered =
                    super::functions::registered_aggregate(call.func).ok_or_else(|| EngineError::Unsupported {
                        engine: "DataFusion".into(),
                        what: format!("registered aggregate `{}` version {}", call.func.name(), call.func.version()),
                        hint:
                            "\nhint: register its DataFusion implementation too (`xorq::functions::register_aggregate`)"
                                .into(),
                    })?;
                (&registered, call.distinct, order_by)
            }
            AggregateForm::Udaf(_) if checked_sum => {
                checked_udaf = super::checked_sum::checked_sum(e.to_string());
                (&checked_udaf, call.distinct, order_by)
            }
            AggregateForm::Udaf(name) => (impls.aggregate(name).ok_or_else(|| missing(name))?, call.distinct, order_by),
            AggregateForm::CountStar => {
                args = vec![lit(1i64)];
                (impls.aggregate("count").ok_or_else(|| missing("count"))?, false, order_by)
            }
            AggregateForm::CountDistinct => (impls.aggregate("count").ok_or_else(|| missing("count"))?, true, order_by),
            // `approx_percentile_cont(q) WITHIN GROUP (ORDER BY x)`, as DataFusion's planner
            // writes it: the ordering names the value.
            AggregateForm::WithinGroup(name) => {
                let x = args.first().cloned().ok_or_else(|| EngineError::Internal(format!("`{name}` arity")))?;
                (impls.aggregate(name).ok_or_else(|| missing(name))?, call.distinct, vec![x.sort(true, false)])
            }
        };
        let fields: Vec<FieldRef> =
            call.args.iter().map(|a| Arc::new(ArrowField::new("a", a.dtype.to_arrow(), a.nullable))).collect();
        let physical = match aggregate_form(call.func) {
            AggregateForm::Udaf(_) | AggregateForm::WithinGroup(_) => udaf.return_field(&fields).ok(),
            _ => None,
        };
        let lowered = DfExpr::AggregateFunction(AggregateFunction::new_udf(
            Arc::clone(udaf),
            args,
            distinct,
            filter,
            order_by,
            null_treatment,
        ));
        Ok(conform_result(lowered, physical.map(|f| f.data_type().clone()), &e.dtype))
    }

    fn window(&self, call: &WindowCall) -> Result<DfExpr> {
        let mut none = Nested::Inline;
        let mut null_treatment = call.ignore_nulls.then_some(NullTreatment::IgnoreNulls);
        let (definition, args) = if call.func == WindowFunc::AGGREGATE {
            let inner =
                call.args.first().ok_or_else(|| EngineError::Internal("window aggregate without call".into()))?;
            match self.lower(inner, &mut none)? {
                DfExpr::AggregateFunction(agg) => {
                    null_treatment = agg.params.null_treatment;
                    (WindowFunctionDefinition::AggregateUDF(agg.func), agg.params.args)
                }
                other => {
                    return Err(EngineError::Unsupported {
                        engine: "DataFusion".into(),
                        what: format!("`{other}` over a window"),
                        hint: String::new(),
                    });
                }
            }
        } else {
            let name = window_name(call.func);
            let udwf = Implementations::builtin().window(name).ok_or_else(|| EngineError::Unsupported {
                engine: "DataFusion".into(),
                what: format!("window function `{name}`"),
                hint: String::new(),
            })?;
            (WindowFunctionDefinition::WindowUDF(Arc::clone(udwf)), self.all(&call.args, &mut none)?)
        };
        let partition_by = self.all(&call.partition_by, &mut none)?;
        let order_by = call.order_by.iter().map(|k| self.sort_key(k, &mut none)).collect::<Result<Vec<_>>>()?;
        let mut builder = DfExpr::from(WindowFunction::new(definition, args)).partition_by(partition_by);
        // DataFusion reads an empty ordering as "ordered" and picks a RANGE frame that then fails
        // to plan; give the ordering only when there is one.
        let ordered = !order_by.is_empty();
        if ordered {
            builder = builder.order_by(order_by);
        }
        let frame = match &call.frame {
            Some(frame) => {
                let units = match frame.units {
                    FrameUnits::Rows => WindowFrameUnits::Rows,
                    FrameUnits::Range => WindowFrameUnits::Range,
                };
                WindowFrame::new_bounds(units, frame_bound(frame.start, units), frame_bound(frame.end, units))
            }
            // SQL's default frame, always explicit: DataFusion's expression builder would take
            // `ROWS … CURRENT ROW` for an ordered window, leaving out the current row's peers.
            None => WindowFrame::new(ordered.then_some(false)),
        };
        builder = builder.window_frame(frame);
        if null_treatment.is_some() {
            builder = builder.null_treatment(null_treatment);
        }
        builder.build().map_err(|e| EngineError::datafusion("lowering a window function", e))
    }
}

/// Records `lowered` once and returns its position.
fn collect(collected: &mut Vec<DfExpr>, lowered: DfExpr) -> usize {
    match collected.iter().position(|c| *c == lowered) {
        Some(i) => i,
        None => {
            collected.push(lowered);
            collected.len() - 1
        }
    }
}

/// Output column name of the `index`-th collected aggregate or window expression.
pub(crate) fn nested_name(index: usize) -> String {
    format!("__xorq_nested_{index}")
}

/// The value of a constant argument.
fn literal_of(e: &DfExpr) -> Option<ScalarValue> {
    match e {
        DfExpr::Literal(v, _) => Some(v.clone()),
        _ => None,
    }
}

/// The fields of a lowered call's arguments: the IR's types (a date part's unit is text).
fn arg_fields(args: &[DfExpr], ir_args: &[ScalarExpr], form: &ScalarForm) -> Vec<FieldRef> {
    let offset = usize::from(matches!(form, ScalarForm::DatePart(_)));
    (0..args.len())
        .map(|i| {
            let t = match i.checked_sub(offset).and_then(|j| ir_args.get(j)) {
                Some(a) => a.dtype.to_arrow(),
                None => datafusion::arrow::datatypes::DataType::Utf8,
            };
            Arc::new(ArrowField::new(format!("a{i}"), t, true))
        })
        .collect()
}

/// `call`, cast to the IR's type where DataFusion computes it in another physical layout.
fn conform_result(call: DfExpr, physical: Option<datafusion::arrow::datatypes::DataType>, ir: &DataType) -> DfExpr {
    let want = ir.to_arrow();
    match physical {
        Some(t) if t != want && *ir != DataType::Null => DfExpr::Cast(Cast::new(Box::new(call), want)),
        _ => call,
    }
}
