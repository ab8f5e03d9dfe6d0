//! Lowering of typed scalar expressions to DataFusion expressions.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::Field as ArrowField;
use datafusion::common::{Column, ScalarValue};
use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn::approx_percentile_cont;
use datafusion::logical_expr::expr::{AggregateFunction, InList, Like, Placeholder, WindowFunction};
use datafusion::logical_expr::{
    BinaryExpr, Case, Cast, Expr as DfExpr, ExprFunctionExt, Operator, SortExpr, WindowFrame, WindowFrameBound,
    WindowFrameUnits, WindowFunctionDefinition, lit,
};
use xorq_core::expr::{
    AggFunc, AggregateCall, BinaryOp, ExprKind, FrameBound, FrameUnits, JoinSide, ScalarExpr, ScalarFunc, SortKey,
    WindowCall, WindowFunc,
};
use xorq_core::{DataType, Literal};

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

fn frame_bound(b: FrameBound) -> WindowFrameBound {
    match b {
        FrameBound::UnboundedPreceding => WindowFrameBound::Preceding(ScalarValue::UInt64(None)),
        FrameBound::Preceding(n) => WindowFrameBound::Preceding(ScalarValue::UInt64(Some(n))),
        FrameBound::CurrentRow => WindowFrameBound::CurrentRow,
        FrameBound::Following(n) => WindowFrameBound::Following(ScalarValue::UInt64(Some(n))),
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
            ExprKind::Literal(l) => lit(scalar_value(l)?),
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
                binary(self.lower(left, nested)?, operator(*op)?, self.lower(right, nested)?)
            }
            ExprKind::And(terms) | ExprKind::Or(terms) => {
                let op = if matches!(e.kind, ExprKind::And(_)) { Operator::And } else { Operator::Or };
                let mut it = self.all(terms, nested)?.into_iter();
                let first = it.next().ok_or_else(|| EngineError::Internal("empty junction".into()))?;
                it.fold(first, |acc, t| binary(acc, op, t))
            }
            ExprKind::Not(x) => DfExpr::Not(Box::new(self.lower(x, nested)?)),
            ExprKind::Negate(x) => DfExpr::Negative(Box::new(self.lower(x, nested)?)),
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
            ExprKind::Function { func, args } => self.function(*func, self.all(args, nested)?)?,
            ExprKind::Aggregate(call) => {
                let lowered = self.aggregate(call)?;
                match nested {
                    Nested::Inline => lowered,
                    Nested::Collect(collected) => {
                        let index = collect(collected, lowered);
                        DfExpr::Column(Column::from_name(nested_name(index)))
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

    fn function(&self, func: ScalarFunc, mut a: Vec<DfExpr>) -> Result<DfExpr> {
        use ScalarFunc as F;
        let arg = |a: &mut Vec<DfExpr>| -> Result<DfExpr> {
            if a.is_empty() {
                return Err(EngineError::Internal(format!("`{}` lowered with too few arguments", func.name())));
            }
            Ok(a.remove(0))
        };
        let two = |a: &mut Vec<DfExpr>| -> Result<(DfExpr, DfExpr)> { Ok((arg(a)?, arg(a)?)) };
        let part = |name: &str, x: DfExpr| f::date_part(lit(name), x);
        Ok(match func {
            F::Upper => f::upper(arg(&mut a)?),
            F::Lower => f::lower(arg(&mut a)?),
            F::Length => f::character_length(arg(&mut a)?),
            F::Trim => f::btrim(a),
            F::LTrim => f::ltrim(a),
            F::RTrim => f::rtrim(a),
            F::Substring => {
                let (s, start) = two(&mut a)?;
                match a.pop() {
                    Some(len) => f::substring(s, start, len),
                    None => f::substr(s, start),
                }
            }
            F::Replace => {
                let (s, from) = two(&mut a)?;
                f::replace(s, from, arg(&mut a)?)
            }
            F::Contains => {
                let (x, y) = two(&mut a)?;
                f::contains(x, y)
            }
            F::StartsWith => {
                let (x, y) = two(&mut a)?;
                f::starts_with(x, y)
            }
            F::EndsWith => {
                let (x, y) = two(&mut a)?;
                f::ends_with(x, y)
            }
            // The IR's `concat` is null when any argument is null, as SQL's `||`; DataFusion's
            // `concat` function skips nulls, so the operator is used.
            F::Concat => {
                let mut args = a.into_iter();
                let first = args.next().ok_or_else(|| EngineError::Internal("concat without arguments".into()))?;
                args.fold(first, |l, r| binary(l, Operator::StringConcat, r))
            }
            F::Like | F::ILike => {
                let (s, p) = two(&mut a)?;
                DfExpr::Like(Like::new(false, Box::new(s), Box::new(p), None, func == F::ILike))
            }
            F::StrPos => {
                let (x, y) = two(&mut a)?;
                f::strpos(x, y)
            }
            F::LPad => f::lpad(a),
            F::RPad => f::rpad(a),
            F::Reverse => f::reverse(arg(&mut a)?),
            F::Year => part("year", arg(&mut a)?),
            F::Month => part("month", arg(&mut a)?),
            F::Day => part("day", arg(&mut a)?),
            F::Hour => part("hour", arg(&mut a)?),
            F::Minute => part("minute", arg(&mut a)?),
            F::Second => part("second", arg(&mut a)?),
            F::DayOfWeek => part("dow", arg(&mut a)?),
            F::DayOfYear => part("doy", arg(&mut a)?),
            F::Quarter => part("quarter", arg(&mut a)?),
            F::DateTrunc => {
                let (x, y) = two(&mut a)?;
                f::date_trunc(x, y)
            }
            F::Strftime => {
                let (x, y) = two(&mut a)?;
                f::to_char(x, y)
            }
            F::Abs => f::abs(arg(&mut a)?),
            F::Round => f::round(a),
            F::Floor => f::floor(arg(&mut a)?),
            F::Ceil => f::ceil(arg(&mut a)?),
            F::Sqrt => f::sqrt(arg(&mut a)?),
            F::Exp => f::exp(arg(&mut a)?),
            F::Ln => f::ln(arg(&mut a)?),
            F::Log10 => f::log10(arg(&mut a)?),
            F::Log2 => f::log2(arg(&mut a)?),
            F::Power => {
                let (x, y) = two(&mut a)?;
                f::power(x, y)
            }
            F::Sign => f::signum(arg(&mut a)?),
            F::Greatest => f::greatest(a),
            F::Least => f::least(a),
            F::Coalesce => f::coalesce(a),
            F::NullIf => {
                let (x, y) = two(&mut a)?;
                f::nullif(x, y)
            }
            other => {
                return Err(EngineError::Unsupported {
                    engine: "DataFusion".into(),
                    what: format!("function `{}`", other.name()),
                    hint: String::new(),
                });
            }
        })
    }

    fn aggregate(&self, call: &AggregateCall) -> Result<DfExpr> {
        use datafusion::functions_aggregate as fa;
        let mut none = Nested::Inline;
        let mut args = self.all(&call.args, &mut none)?;
        let order_by = call.order_by.iter().map(|k| self.sort_key(k, &mut none)).collect::<Result<Vec<_>>>()?;
        let filter = match &call.filter {
            Some(f) => Some(Box::new(self.lower(f, &mut none)?)),
            None => None,
        };
        let (udaf, distinct) = match call.func {
            AggFunc::Count => (fa::count::count_udaf(), false),
            AggFunc::CountStar => {
                args = vec![lit(1i64)];
                (fa::count::count_udaf(), false)
            }
            AggFunc::CountDistinct => (fa::count::count_udaf(), true),
            AggFunc::Sum => (fa::sum::sum_udaf(), false),
            AggFunc::Mean => (fa::average::avg_udaf(), false),
            AggFunc::Min => (fa::min_max::min_udaf(), false),
            AggFunc::Max => (fa::min_max::max_udaf(), false),
            AggFunc::Std => (fa::stddev::stddev_udaf(), false),
            AggFunc::StdPop => (fa::stddev::stddev_pop_udaf(), false),
            AggFunc::Var => (fa::variance::var_samp_udaf(), false),
            AggFunc::VarPop => (fa::variance::var_pop_udaf(), false),
            AggFunc::First => (fa::first_last::first_value_udaf(), false),
            AggFunc::Last => (fa::first_last::last_value_udaf(), false),
            AggFunc::ApproxQuantile => {
                let mut it = args.into_iter();
                let (x, q) = match (it.next(), it.next()) {
                    (Some(x), Some(q)) => (x, q),
                    _ => return Err(EngineError::Internal("approx_quantile arity".into())),
                };
                return Ok(approx_percentile_cont(x.sort(true, false), q, None));
            }
            other => {
                return Err(EngineError::Unsupported {
                    engine: "DataFusion".into(),
                    what: format!("aggregate `{}`", other.name()),
                    hint: String::new(),
                });
            }
        };
        Ok(DfExpr::AggregateFunction(AggregateFunction::new_udf(udaf, args, distinct, filter, order_by, None)))
    }

    fn window(&self, call: &WindowCall) -> Result<DfExpr> {
        use datafusion::functions_window as fw;
        let mut none = Nested::Inline;
        let (definition, args) = match call.func {
            WindowFunc::Aggregate => {
                let inner =
                    call.args.first().ok_or_else(|| EngineError::Internal("window aggregate without call".into()))?;
                match self.lower(inner, &mut none)? {
                    DfExpr::AggregateFunction(agg) => {
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
            }
            func => {
                let udwf = match func {
                    WindowFunc::RowNumber => fw::row_number::row_number_udwf(),
                    WindowFunc::Rank => fw::rank::rank_udwf(),
                    WindowFunc::DenseRank => fw::rank::dense_rank_udwf(),
                    WindowFunc::PercentRank => fw::rank::percent_rank_udwf(),
                    WindowFunc::CumeDist => fw::cume_dist::cume_dist_udwf(),
                    WindowFunc::Ntile => fw::ntile::ntile_udwf(),
                    WindowFunc::Lag => fw::lead_lag::lag_udwf(),
                    WindowFunc::Lead => fw::lead_lag::lead_udwf(),
                    WindowFunc::FirstValue => fw::nth_value::first_value_udwf(),
                    WindowFunc::LastValue => fw::nth_value::last_value_udwf(),
                    other => {
                        return Err(EngineError::Unsupported {
                            engine: "DataFusion".into(),
                            what: format!("window function `{}`", other.name()),
                            hint: String::new(),
                        });
                    }
                };
                (WindowFunctionDefinition::WindowUDF(udwf), self.all(&call.args, &mut none)?)
            }
        };
        let partition_by = self.all(&call.partition_by, &mut none)?;
        let order_by = call.order_by.iter().map(|k| self.sort_key(k, &mut none)).collect::<Result<Vec<_>>>()?;
        let mut builder = DfExpr::from(WindowFunction::new(definition, args)).partition_by(partition_by);
        // DataFusion reads an empty ordering as "ordered" and picks a RANGE frame that then fails
        // to plan; give the ordering only when there is one.
        if !order_by.is_empty() {
            builder = builder.order_by(order_by);
        }
        if let Some(frame) = &call.frame {
            let units = match frame.units {
                FrameUnits::Rows => WindowFrameUnits::Rows,
                FrameUnits::Range => WindowFrameUnits::Range,
            };
            builder =
                builder.window_frame(WindowFrame::new_bounds(units, frame_bound(frame.start), frame_bound(frame.end)));
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
