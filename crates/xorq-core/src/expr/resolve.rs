//! Resolution: turns a user [`Expr`] into a typed [`ScalarExpr`] against an input schema, so that
//! a wrong column or type fails at the call that used it.

use crate::canonical;
use crate::error::{CoreError, Result};
use crate::literal::Literal;
use crate::schema::Schema;
use crate::types::DataType;

use super::coerce::{arithmetic, can_cast, common_type, comparison_type};
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

/// How a dynamic literal may adapt to the type it meets.
#[derive(Clone, Copy, PartialEq)]
enum Adapt {
    /// Comparisons: any exact conversion keeps the meaning (`int_col > 100.0` is `int_col > 100`).
    Compare,
    /// Arithmetic and values: floats never become integers (`int_col * 2.0` stays a float).
    Value,
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
        self.expr(e, None, false)
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
        let expr = self.expr(&key.expr, None, false)?;
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

    fn literal(&self, value: &Literal, dynamic: bool, hint: Option<(&DataType, Adapt)>) -> ScalarExpr {
        if dynamic
            && let Some((target, adapt)) = hint
            && !(value.as_f64().is_some() && target.is_integer() && adapt == Adapt::Value)
            && let Some(converted) = value.convert_exact(target)
        {
            return ScalarExpr::literal(converted);
        }
        ScalarExpr::literal(value.clone())
    }

    fn is_dynamic(e: &Expr) -> bool {
        matches!(Self::strip(e), Expr::Literal { dynamic: true, .. })
    }

    fn strip(e: &Expr) -> &Expr {
        match e {
            Expr::Alias(inner, _) => Self::strip(inner),
            other => other,
        }
    }

    /// Resolves a group of sibling expressions: non-dynamic ones first, then dynamic literals with
    /// the first typed sibling's type as hint.
    fn siblings(
        &self,
        es: &[&Expr],
        adapt: Adapt,
        extra_hint: Option<&DataType>,
        in_agg: bool,
    ) -> Result<Vec<ScalarExpr>> {
        let mut out: Vec<Option<ScalarExpr>> = vec![None; es.len()];
        for (i, e) in es.iter().enumerate() {
            if !Self::is_dynamic(e) {
                out[i] = Some(self.expr(e, None, in_agg)?);
            }
        }
        let hint = extra_hint
            .cloned()
            .or_else(|| out.iter().flatten().map(|e| e.dtype.clone()).find(|t| *t != DataType::Null));
        for (i, e) in es.iter().enumerate() {
            if out[i].is_none() {
                out[i] = Some(self.expr(e, hint.as_ref().map(|t| (t, adapt)), in_agg)?);
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn types_error(&self, op: &str, types: &[&DataType], hint: Option<&str>) -> CoreError {
        CoreError::type_mismatch(op, types, self.context, hint)
    }

    fn comparison_hint(l: &DataType, r: &DataType) -> Option<&'static str> {
        let temporal_vs_text = |a: &DataType, b: &DataType| a.is_temporal() && *b == DataType::String;
        if temporal_vs_text(l, r) || temporal_vs_text(r, l) {
            Some("write the constant as a date or timestamp, e.g. `lit_date(\"2024-01-31\")`, or cast the text column")
        } else if (l.is_numeric() && *r == DataType::String) || (r.is_numeric() && *l == DataType::String) {
            Some("cast one side, e.g. `col(\"x\").cast(DataType::Float64)`")
        } else {
            None
        }
    }

    fn binary(&self, l: &Expr, op: BinaryOp, r: &Expr, in_agg: bool) -> Result<ScalarExpr> {
        let adapt = if op.is_comparison() { Adapt::Compare } else { Adapt::Value };
        let resolved = self.siblings(&[l, r], adapt, None, in_agg)?;
        let [left, right]: [ScalarExpr; 2] =
            resolved.try_into().map_err(|_| CoreError::Internal("binary operands".into()))?;
        if op.is_comparison() {
            let t = comparison_type(&left.dtype, &right.dtype).ok_or_else(|| {
                self.types_error(
                    op.symbol(),
                    &[&left.dtype, &right.dtype],
                    Self::comparison_hint(&left.dtype, &right.dtype),
                )
            })?;
            let (left, right) = (canonical::cast(left, &t), canonical::cast(right, &t));
            return Ok(canonical::binary(op, left, right, DataType::Boolean));
        }
        let sig = arithmetic(op, &left.dtype, &right.dtype).ok_or_else(|| {
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
        let x = self.expr(e, None, in_agg)?;
        if !matches!(x.dtype, DataType::Boolean | DataType::Null) {
            return Err(self.types_error(op, &[&x.dtype], Some("logical operators take Boolean operands")));
        }
        Ok(x)
    }

    #[recursive::recursive]
    fn expr(&self, e: &Expr, hint: Option<(&DataType, Adapt)>, in_agg: bool) -> Result<ScalarExpr> {
        match e {
            Expr::Column { name, side } => self.column(name, *side),
            Expr::Literal { value, dynamic } => Ok(self.literal(value, *dynamic, hint)),
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
            Expr::Alias(inner, _) => self.expr(inner, hint, in_agg),
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
                let x = self.expr(x, hint, in_agg)?;
                if !(x.dtype.is_numeric() || matches!(x.dtype, DataType::Interval | DataType::Duration(_))) {
                    return Err(self.types_error("negate", &[&x.dtype], None));
                }
                let (t, n) = (x.dtype.clone(), x.nullable);
                Ok(ScalarExpr::new(ExprKind::Negate(Box::new(x)), t, n))
            }
            Expr::IsNull(x) => {
                let x = self.expr(x, None, in_agg)?;
                Ok(ScalarExpr::new(ExprKind::IsNull(Box::new(x)), DataType::Boolean, false))
            }
            Expr::IsNotNull(x) => {
                let x = self.expr(x, None, in_agg)?;
                Ok(ScalarExpr::new(ExprKind::IsNotNull(Box::new(x)), DataType::Boolean, false))
            }
            Expr::Cast(x, to) => {
                let x = self.expr(x, Some((to, Adapt::Compare)), in_agg)?;
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
                let mut all: Vec<&Expr> = vec![expr];
                all.extend(list.iter());
                let resolved = self.siblings(&all, Adapt::Compare, None, in_agg)?;
                let types: Vec<&DataType> = resolved.iter().map(|e| &e.dtype).collect();
                let t = common_type(types.iter().copied()).ok_or_else(|| self.types_error("IN", &types, None))?;
                let mut it = resolved.into_iter().map(|e| canonical::cast(e, &t));
                let head = it.next().ok_or_else(|| CoreError::Internal("IN without operand".into()))?;
                Ok(canonical::in_list(head, it.collect(), *negated))
            }
            Expr::Between { expr, low, high, negated } => {
                let ge = self.binary(expr, BinaryOp::GtEq, low, in_agg)?;
                let le = self.binary(expr, BinaryOp::LtEq, high, in_agg)?;
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
                // Constants adopt a sibling's type only where all arguments share one type
                // (`coalesce(x, 0)`); elsewhere (`round(x, 2)`) the signature converts them.
                let resolved = if func.arguments_share_type() {
                    self.siblings(&refs, Adapt::Value, None, in_agg)?
                } else {
                    refs.iter().map(|a| self.expr(a, None, in_agg)).collect::<Result<Vec<_>>>()?
                };
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
        let resolved = self.siblings(&values, Adapt::Value, None, in_agg)?;
        let types: Vec<&DataType> = resolved.iter().map(|v| &v.dtype).collect();
        let t = common_type(types.iter().copied()).ok_or_else(|| self.types_error("CASE", &types, None))?;
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
        let resolved = args.iter().map(|a| self.expr(a, None, true)).collect::<Result<Vec<_>>>()?;
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
                let expr = self.expr(&k.expr, None, true)?;
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
                // Offsets and bucket counts keep their integer type; only lag/lead's default value
                // (argument 3) adopts the type of the value it stands in for.
                let mut resolved: Vec<ScalarExpr> = Vec::with_capacity(args.len());
                for (i, a) in args.iter().enumerate() {
                    let hint = if i == 2 { resolved.first().map(|v| (&v.dtype, Adapt::Value)) } else { None };
                    let r = self.expr(a, hint, true)?;
                    resolved.push(r);
                }
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
