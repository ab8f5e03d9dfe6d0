//! Resolution: turns a user [`Expr`] into a typed [`ScalarExpr`] against an input schema, so that
//! a wrong column or type fails at the call that used it.

use crate::canonical;
use crate::error::{CoreError, Result};
use crate::schema::Schema;
use crate::types::DataType;

use super::coerce::{
    arithmetic_signature, can_cast, case_result_type, common_comparison_type, comparison_type, narrows_exactly,
};
use super::dsl::{Expr, SortExpr, Window};
use super::func::{AggFunc, WindowFunc};
use super::ir::{
    AggregateCall, BinaryOp, ColumnRef, ExprKind, FrameBound, FrameUnits, JoinSide, ScalarExpr, SortKey, WindowCall,
    WindowFrame,
};

/// Where column names are looked up.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// One input.
    Single(&'a Schema),
    /// Both inputs of a join (for join predicates).
    Join { left: &'a Schema, right: &'a Schema },
}

/// Resolves expressions for one relational call.
pub(crate) struct Resolver<'a> {
    scope: Scope<'a>,
    context: &'a str,
    allow_aggregate: bool,
    allow_window: bool,
}

impl<'a> Resolver<'a> {
    pub(crate) fn new(scope: Scope<'a>, context: &'a str) -> Self {
        Resolver { scope, context, allow_aggregate: false, allow_window: false }
    }

    pub(crate) fn allow_aggregates(mut self) -> Self {
        self.allow_aggregate = true;
        self
    }

    pub(crate) fn allow_windows(mut self) -> Self {
        self.allow_window = true;
        self
    }

    /// Resolves a top-level expression.
    pub(crate) fn resolve(&self, e: &Expr) -> Result<ScalarExpr> {
        self.expr(e, false)
    }

    /// Resolves a top-level expression with its output name.
    pub(crate) fn resolve_named(&self, e: &Expr) -> Result<(String, ScalarExpr)> {
        Ok((e.output_name(), self.resolve(e)?))
    }

    /// Resolves a predicate, which must be boolean.
    pub(crate) fn resolve_predicate(&self, e: &Expr) -> Result<ScalarExpr> {
        let p = self.resolve(e)?;
        if !matches!(p.dtype, DataType::Boolean | DataType::Null) {
            return Err(CoreError::NotBoolean { context: self.context.to_string(), found: p.dtype.to_string() });
        }
        Ok(p)
    }

    pub(crate) fn resolve_sort(&self, key: &SortExpr) -> Result<SortKey> {
        let expr = self.expr(&key.expr, false)?;
        Ok(SortKey { expr, descending: key.descending, nulls_first: key.nulls_first.unwrap_or(false) })
    }

    fn column(&self, name: &str, side: Option<JoinSide>) -> Result<ScalarExpr> {
        match (self.scope, side) {
            (Scope::Single(schema), None) => {
                let f = schema.field_or_err(name, self.context)?;
                Ok(ScalarExpr::new(
                    ExprKind::Column(ColumnRef { name: name.to_string(), side: None }),
                    f.dtype.clone(),
                    f.nullable,
                ))
            }
            (Scope::Single(_), Some(_)) => Err(CoreError::InvalidArgument {
                context: self.context.to_string(),
                message: format!(
                    "`lcol`/`rcol` (here for `{name}`) only make sense in join predicates; use `col(\"{name}\")`"
                ),
            }),
            (Scope::Join { left, right }, side) => {
                let (in_left, in_right) = (left.field(name), right.field(name));
                let (field, side) = match (side, in_left, in_right) {
                    (Some(JoinSide::Left), Some(f), _) | (None, Some(f), None) => (f, JoinSide::Left),
                    (Some(JoinSide::Right), _, Some(f)) | (None, None, Some(f)) => (f, JoinSide::Right),
                    (None, Some(_), Some(_)) => {
                        return Err(CoreError::AmbiguousColumn {
                            column: name.to_string(),
                            context: self.context.to_string(),
                        });
                    }
                    (Some(JoinSide::Left), None, _) => {
                        return Err(CoreError::column_not_found(
                            name,
                            &format!("{} (left side)", self.context),
                            left.names(),
                        ));
                    }
                    (Some(JoinSide::Right), _, None) => {
                        return Err(CoreError::column_not_found(
                            name,
                            &format!("{} (right side)", self.context),
                            right.names(),
                        ));
                    }
                    (None, None, None) => {
                        return Err(CoreError::column_not_found(name, self.context, left.names().chain(right.names())));
                    }
                };
                Ok(ScalarExpr::new(
                    ExprKind::Column(ColumnRef { name: name.to_string(), side: Some(side) }),
                    field.dtype.clone(),
                    field.nullable,
                ))
            }
        }
    }

    fn strip(e: &Expr) -> &Expr {
        match e {
            Expr::Alias(inner, _) => Self::strip(inner),
            other => other,
        }
    }

    fn all(&self, es: &[&Expr], in_agg: bool) -> Result<Vec<ScalarExpr>> {
        es.iter().map(|e| self.expr(e, in_agg)).collect()
    }

    fn types_error(&self, op: &str, types: &[&DataType], hint: Option<&str>) -> CoreError {
        CoreError::type_mismatch(op, types, self.context, hint)
    }

    fn comparison_hint(l: &DataType, r: &DataType) -> Option<&'static str> {
        // Text compares with numbers, dates and timestamps (it is read as one, as in
        // DataFusion); booleans compare only with booleans.
        let boolean_vs_value =
            |a: &DataType, b: &DataType| *a == DataType::Boolean && (b.is_numeric() || *b == DataType::String);
        (boolean_vs_value(l, r) || boolean_vs_value(r, l))
            .then_some("cast one side, e.g. `col(\"x\").cast(DataType::Int64)`")
    }

    fn binary(&self, l: &Expr, op: BinaryOp, r: &Expr, in_agg: bool) -> Result<ScalarExpr> {
        let (left, right) = (self.expr(l, in_agg)?, self.expr(r, in_agg)?);
        if op.is_comparison() {
            let t = comparison_type(&left.dtype, &right.dtype).ok_or_else(|| {
                self.types_error(
                    op.symbol(),
                    &[&left.dtype, &right.dtype],
                    Self::comparison_hint(&left.dtype, &right.dtype),
                )
            })?;
            return Ok(compare(op, left, right, &t));
        }
        let sig = arithmetic_signature(op, &left.dtype, &right.dtype).ok_or_else(|| {
            let hint = match op {
                BinaryOp::IntDiv => Some("`int_div` takes integers; use `/` for true division"),
                _ if left.dtype.is_temporal() || right.dtype.is_temporal() => {
                    Some("add or subtract intervals, e.g. `col(\"d\") + interval_days(7)`")
                }
                _ => None,
            };
            self.types_error(op.symbol(), &[&left.dtype, &right.dtype], hint)
        })?;
        let (left, right) = (canonical::cast(left, &sig.left), canonical::cast(right, &sig.right));
        Ok(canonical::binary(op, left, right, sig.result))
    }

    fn boolean(&self, e: &Expr, op: &str, in_agg: bool) -> Result<ScalarExpr> {
        let x = self.expr(e, in_agg)?;
        if !matches!(x.dtype, DataType::Boolean | DataType::Null) {
            return Err(self.types_error(op, &[&x.dtype], Some("logical operators take Boolean operands")));
        }
        Ok(x)
    }

    #[recursive::recursive]
    fn expr(&self, e: &Expr, in_agg: bool) -> Result<ScalarExpr> {
        match e {
            Expr::Column { name, side } => self.column(name, *side),
            Expr::Literal(value) => Ok(ScalarExpr::literal(value.clone())),
            Expr::Param(p) => {
                let default = match &p.default {
                    Some(d) => Some(d.convert_exact(&p.dtype).ok_or_else(|| CoreError::LiteralOutOfRange {
                        value: d.to_string(),
                        dtype: p.dtype.to_string(),
                    })?),
                    None => None,
                };
                let param = super::ir::Param { name: p.name.clone(), dtype: p.dtype.clone(), default };
                Ok(ScalarExpr::new(ExprKind::Param(param), p.dtype.clone(), false))
            }
            Expr::Alias(inner, _) => self.expr(inner, in_agg),
            Expr::Binary(l, op, r) => self.binary(l, *op, r, in_agg),
            Expr::And(l, r) | Expr::Or(l, r) => {
                let is_and = matches!(e, Expr::And(..));
                let name = if is_and { "AND" } else { "OR" };
                let terms = vec![self.boolean(l, name, in_agg)?, self.boolean(r, name, in_agg)?];
                Ok(if is_and { canonical::and_all(terms) } else { canonical::or_all(terms) })
            }
            Expr::Not(x) => {
                let x = self.boolean(x, "NOT", in_agg)?;
                let nullable = x.nullable;
                Ok(ScalarExpr::new(ExprKind::Not(Box::new(x)), DataType::Boolean, nullable))
            }
            Expr::Negate(x) => {
                let x = self.expr(x, in_agg)?;
                if !(x.dtype.is_numeric() || matches!(x.dtype, DataType::Interval | DataType::Duration(_))) {
                    return Err(self.types_error("negate", &[&x.dtype], None));
                }
                let (t, n) = (x.dtype.clone(), x.nullable);
                Ok(ScalarExpr::new(ExprKind::Negate(Box::new(x)), t, n))
            }
            Expr::IsNull(x) => {
                let x = self.expr(x, in_agg)?;
                Ok(ScalarExpr::new(ExprKind::IsNull(Box::new(x)), DataType::Boolean, false))
            }
            Expr::IsNotNull(x) => {
                let x = self.expr(x, in_agg)?;
                Ok(ScalarExpr::new(ExprKind::IsNotNull(Box::new(x)), DataType::Boolean, false))
            }
            Expr::Cast(x, to) => {
                let x = self.expr(x, in_agg)?;
                if !can_cast(&x.dtype, to) {
                    return Err(CoreError::InvalidCast {
                        from: x.dtype.to_string(),
                        to: to.to_string(),
                        context: self.context.to_string(),
                    });
                }
                Ok(canonical::cast(x, to))
            }
            Expr::Case { branches, otherwise } => self.case(branches, otherwise.as_deref(), in_agg),
            Expr::InList { expr, list, negated } => {
                if list.is_empty() {
                    return Err(CoreError::InvalidArgument {
                        context: self.context.to_string(),
                        message: "`is_in` needs at least one value".into(),
                    });
                }
                let x = self.expr(expr, in_agg)?;
                let list = list.iter().map(|e| self.expr(e, in_agg)).collect::<Result<Vec<_>>>()?;
                let types: Vec<&DataType> = std::iter::once(&x.dtype).chain(list.iter().map(|e| &e.dtype)).collect();
                let t = common_comparison_type(types.iter().copied())
                    .ok_or_else(|| self.types_error("IN", &types, None))?;
                // Constants that all convert exactly are compared in the tested value's type.
                let t = match narrowed_type(&x, list.iter(), &t) {
                    Some(narrow) => narrow,
                    None => t,
                };
                let list = list.into_iter().map(|e| canonical::cast(e, &t)).collect();
                Ok(canonical::in_list(canonical::cast(x, &t), list, *negated))
            }
            Expr::Between { expr, low, high, negated } => {
                // As DataFusion: the common type of the value with each bound, then of the two.
                let (x, lo, hi) = (self.expr(expr, in_agg)?, self.expr(low, in_agg)?, self.expr(high, in_agg)?);
                let mismatch = |b: &ScalarExpr| {
                    self.types_error("BETWEEN", &[&x.dtype, &b.dtype], Self::comparison_hint(&x.dtype, &b.dtype))
                };
                let lt = comparison_type(&x.dtype, &lo.dtype).ok_or_else(|| mismatch(&lo))?;
                let ht = comparison_type(&x.dtype, &hi.dtype).ok_or_else(|| mismatch(&hi))?;
                let t = comparison_type(&lt, &ht).ok_or_else(|| self.types_error("BETWEEN", &[&lt, &ht], None))?;
                let ge = compare(BinaryOp::GtEq, x.clone(), lo, &t);
                let le = compare(BinaryOp::LtEq, x, hi, &t);
                let both = canonical::and_all(vec![ge, le]);
                if *negated {
                    let n = both.nullable;
                    Ok(ScalarExpr::new(ExprKind::Not(Box::new(both)), DataType::Boolean, n))
                } else {
                    Ok(both)
                }
            }
            Expr::Function(func, args) => {
                let refs: Vec<&Expr> = args.iter().collect();
                let resolved = self.all(&refs, in_agg)?;
                let types: Vec<DataType> = resolved.iter().map(|a| a.dtype.clone()).collect();
                let sig = func.signature(&types, self.context)?;
                let args: Vec<ScalarExpr> =
                    resolved.into_iter().zip(&sig.args).map(|(a, t)| canonical::cast(a, t)).collect();
                let nullable = if matches!(func, super::func::ScalarFunc::Coalesce) {
                    args.iter().all(|a| a.nullable)
                } else {
                    func.introduces_nulls() || args.iter().any(|a| a.nullable)
                };
                Ok(ScalarExpr::new(ExprKind::Function { func: *func, args }, sig.result, nullable))
            }
            Expr::Aggregate { func, .. } => {
                if in_agg {
                    return Err(CoreError::InvalidAggregation {
                        message: format!("aggregate `{}` inside another aggregate in {}", func.name(), self.context),
                    });
                }
                if !self.allow_aggregate {
                    return Err(CoreError::InvalidAggregation {
                        message: format!(
                            "aggregate `{}` cannot be used in {}\nhint: aggregate with `group_by(...).agg(...)`, or evaluate it per row with `.over(Window::new())`",
                            func.name(),
                            self.context
                        ),
                    });
                }
                self.aggregate(e)
            }
            Expr::WindowFunction(func, _) => Err(CoreError::InvalidArgument {
                context: self.context.to_string(),
                message: format!("`{}` needs a window: add `.over(Window::new().order_by([...]))`", func.name()),
            }),
            Expr::Over(inner, window) => {
                if !self.allow_window || in_agg {
                    return Err(CoreError::InvalidArgument {
                        context: self.context.to_string(),
                        message: format!(
                            "window function `{inner}` is only allowed in `select` and `mutate`; compute it there, then filter"
                        ),
                    });
                }
                self.window(inner, window)
            }
            Expr::Invalid(message) => {
                Err(CoreError::InvalidArgument { context: self.context.to_string(), message: message.clone() })
            }
        }
    }

    fn case(&self, branches: &[(Expr, Expr)], otherwise: Option<&Expr>, in_agg: bool) -> Result<ScalarExpr> {
        let mut conditions = Vec::with_capacity(branches.len());
        for (c, _) in branches {
            conditions.push(self.boolean(c, "CASE WHEN", in_agg)?);
        }
        let mut values: Vec<&Expr> = branches.iter().map(|(_, v)| v).collect();
        values.extend(otherwise);
        let resolved = self.all(&values, in_agg)?;
        let types: Vec<&DataType> = resolved.iter().map(|v| &v.dtype).collect();
        // As DataFusion: the results unify (a number with text is text), from the `ELSE` value on.
        let (then_types, else_type) = match otherwise {
            Some(_) => (&types[..types.len() - 1], types.last().copied()),
            None => (&types[..], None),
        };
        let t = case_result_type(then_types.iter().copied(), else_type)
            .ok_or_else(|| self.types_error("CASE", &types, None))?;
        let mut values: Vec<ScalarExpr> = resolved.into_iter().map(|v| canonical::cast(v, &t)).collect();
        let otherwise = if otherwise.is_some() { values.pop().map(Box::new) } else { None };
        let nullable = otherwise.as_ref().is_none_or(|o| o.nullable) || values.iter().any(|v| v.nullable);
        let branches = conditions.into_iter().zip(values).collect();
        Ok(ScalarExpr::new(ExprKind::Case { branches, otherwise }, t, nullable))
    }

    fn aggregate(&self, e: &Expr) -> Result<ScalarExpr> {
        let Expr::Aggregate { func, args, order_by } = e else {
            return Err(CoreError::Internal("aggregate expected".into()));
        };
        // No aggregate converts its arguments to one type: each constant keeps its own.
        let resolved = args.iter().map(|a| self.expr(a, true)).collect::<Result<Vec<_>>>()?;
        if *func == AggFunc::ApproxQuantile {
            let q = resolved.get(1).and_then(|q| match &q.kind {
                ExprKind::Literal(l) => l.as_f64().or_else(|| l.as_i128().map(|i| i as f64)),
                _ => None,
            });
            if !q.is_some_and(|q| (0.0..=1.0).contains(&q)) {
                return Err(CoreError::InvalidArgument {
                    context: self.context.to_string(),
                    message: "`approx_quantile` needs a constant quantile between 0 and 1".into(),
                });
            }
        }
        let types: Vec<DataType> = resolved.iter().map(|a| a.dtype.clone()).collect();
        let sig = func.signature(&types, self.context)?;
        let args = resolved.into_iter().zip(&sig.args).map(|(a, t)| canonical::cast(a, t)).collect();
        let order_by = order_by
            .iter()
            .map(|k| {
                let expr = self.expr(&k.expr, true)?;
                Ok(SortKey { expr, descending: k.descending, nulls_first: k.nulls_first.unwrap_or(false) })
            })
            .collect::<Result<Vec<_>>>()?;
        if !order_by.is_empty() && !matches!(func, AggFunc::First | AggFunc::Last) {
            return Err(CoreError::InvalidArgument {
                context: self.context.to_string(),
                message: format!("`order_by` only applies to `first` and `last`, not `{}`", func.name()),
            });
        }
        let nullable = !matches!(func, AggFunc::Count | AggFunc::CountStar | AggFunc::CountDistinct);
        let call = AggregateCall { func: *func, args, filter: None, order_by };
        Ok(ScalarExpr::new(ExprKind::Aggregate(Box::new(call)), sig.result, nullable))
    }

    fn window(&self, inner: &Expr, window: &Window) -> Result<ScalarExpr> {
        let keys = Resolver::new(self.scope, self.context);
        let partition_by = window.partition_by.iter().map(|p| keys.resolve(p)).collect::<Result<Vec<_>>>()?;
        let order_by = window.order_by.iter().map(|k| keys.resolve_sort(k)).collect::<Result<Vec<_>>>()?;
        let (func, args, dtype, nullable) = match Self::strip(inner) {
            agg @ Expr::Aggregate { .. } => {
                let resolved = Resolver { allow_aggregate: true, allow_window: false, ..*self }.aggregate(agg)?;
                let (t, n) = (resolved.dtype.clone(), resolved.nullable);
                (WindowFunc::Aggregate, vec![resolved], t, n)
            }
            Expr::WindowFunction(func, args) => {
                let resolved = args.iter().map(|a| self.expr(a, true)).collect::<Result<Vec<_>>>()?;
                // Lag/lead offsets (argument 2) must be constants >= 0; ntile's bucket count >= 1.
                let (position, minimum) = match func {
                    WindowFunc::Lag | WindowFunc::Lead => (Some(1), 0),
                    WindowFunc::Ntile => (Some(0), 1),
                    _ => (None, 0),
                };
                if let Some(position) = position {
                    let ok = resolved.get(position).is_none_or(
                        |o| matches!(&o.kind, ExprKind::Literal(l) if l.as_i128().is_some_and(|v| v >= minimum)),
                    );
                    if !ok {
                        return Err(CoreError::InvalidArgument {
                            context: self.context.to_string(),
                            message: format!("`{}` needs a constant non-negative offset or bucket count", func.name()),
                        });
                    }
                }
                let types: Vec<DataType> = resolved.iter().map(|a| a.dtype.clone()).collect();
                let sig = func.signature(&types, self.context)?;
                let args: Vec<ScalarExpr> =
                    resolved.into_iter().zip(&sig.args).map(|(a, t)| canonical::cast(a, t)).collect();
                let nullable =
                    matches!(func, WindowFunc::Lag | WindowFunc::Lead | WindowFunc::FirstValue | WindowFunc::LastValue);
                (*func, args, sig.result, nullable)
            }
            other => {
                return Err(CoreError::InvalidArgument {
                    context: self.context.to_string(),
                    message: format!("`.over(...)` applies to aggregates and window functions, not `{other}`"),
                });
            }
        };
        // Ranking and offset functions ignore frames.
        let ranking = !matches!(func, WindowFunc::Aggregate | WindowFunc::FirstValue | WindowFunc::LastValue);
        let frame = if ranking { None } else { normalize_frame(window.frame, !order_by.is_empty()) };
        if let Some(f) = &frame
            && f.units == FrameUnits::Range
            && order_by.len() != 1
            && matches!(f.start, FrameBound::Preceding(_) | FrameBound::Following(_))
        {
            return Err(CoreError::InvalidArgument {
                context: self.context.to_string(),
                message: "a RANGE frame with an offset needs exactly one ordering key".into(),
            });
        }
        let call = WindowCall { func, args, partition_by, order_by, frame };
        Ok(ScalarExpr::new(ExprKind::Window(Box::new(call)), dtype, nullable))
    }
}

/// `None` for the frame SQL uses by default, so both spellings hash alike.
fn normalize_frame(frame: Option<WindowFrame>, ordered: bool) -> Option<WindowFrame> {
    let frame = frame?;
    let default = if ordered {
        WindowFrame { units: FrameUnits::Range, start: FrameBound::UnboundedPreceding, end: FrameBound::CurrentRow }
    } else {
        WindowFrame {
            units: FrameUnits::Rows,
            start: FrameBound::UnboundedPreceding,
            end: FrameBound::UnboundedFollowing,
        }
    };
    let whole = |f: &WindowFrame| f.start == FrameBound::UnboundedPreceding && f.end == FrameBound::UnboundedFollowing;
    if frame == default || (!ordered && whole(&frame)) { None } else { Some(frame) }
}

/// `left op right` compared in `t`, or in the type of the non-constant side when the constant
/// converts to it exactly and the cast to `t` is injective and order-preserving
/// ([`narrows_exactly`]): `int32_col > 100` stays an `Int32` comparison, as DataFusion's
/// optimizer makes it, with the same answer for every row.
fn compare(op: BinaryOp, left: ScalarExpr, right: ScalarExpr, t: &DataType) -> ScalarExpr {
    let narrow = if left.is_constant() { narrowed_type(&right, [&left], t) } else { narrowed_type(&left, [&right], t) };
    let t = narrow.as_ref().unwrap_or(t);
    canonical::binary(op, canonical::cast(left, t), canonical::cast(right, t), DataType::Boolean)
}

/// The type of `value` if every one of `constants` is a literal whose cast to `value`'s type
/// gives, cast on to `wide`, the same value as its own cast to `wide`, and `value`'s type widens
/// to `wide` injectively; `None` otherwise.
fn narrowed_type<'a>(
    value: &ScalarExpr,
    constants: impl IntoIterator<Item = &'a ScalarExpr>,
    wide: &DataType,
) -> Option<DataType> {
    let narrow = &value.dtype;
    if narrow == wide || value.is_constant() || !narrows_exactly(narrow, wide) {
        return None;
    }
    for c in constants {
        let ExprKind::Literal(l) = &c.kind else { return None };
        let converted = l.cast_value(narrow)?;
        let (direct, through) = (l.cast_value(wide)?, converted.cast_value(wide)?);
        if direct != through || l.is_null() {
            return None;
        }
    }
    Some(narrow.clone())
}
