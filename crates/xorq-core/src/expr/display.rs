//! SQL-like rendering of expressions for messages, plan displays and lineage labels. Not SQL for
//! an engine: engines get their SQL through their own dialects.

use std::fmt::{self, Display, Formatter};

use super::dsl::{Expr, SortExpr, Window};
use super::func::AggFunc;
use super::ir::{ExprKind, FrameBound, FrameUnits, JoinSide, ScalarExpr, SortKey, WindowFrame};

fn list<T>(
    f: &mut Formatter<'_>,
    items: &[T],
    mut each: impl FnMut(&mut Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        each(f, item)?;
    }
    Ok(())
}

fn frame(f: &mut Formatter<'_>, frame: &WindowFrame) -> fmt::Result {
    let bound = |b: FrameBound| match b {
        FrameBound::UnboundedPreceding => "UNBOUNDED PRECEDING".to_string(),
        FrameBound::Preceding(n) => format!("{n} PRECEDING"),
        FrameBound::CurrentRow => "CURRENT ROW".to_string(),
        FrameBound::Following(n) => format!("{n} FOLLOWING"),
        FrameBound::UnboundedFollowing => "UNBOUNDED FOLLOWING".to_string(),
    };
    let units = match frame.units {
        FrameUnits::Rows => "ROWS",
        FrameUnits::Range => "RANGE",
    };
    write!(f, " {units} BETWEEN {} AND {}", bound(frame.start), bound(frame.end))
}

fn sort_key(f: &mut Formatter<'_>, key: &SortKey) -> fmt::Result {
    write!(f, "{}", key.expr)?;
    if key.descending {
        f.write_str(" DESC")?;
    }
    f.write_str(if key.nulls_first { " NULLS FIRST" } else { " NULLS LAST" })
}

pub(crate) fn fmt_expr(e: &ScalarExpr, f: &mut Formatter<'_>) -> fmt::Result {
    match &e.kind {
        ExprKind::Column(c) => match c.side {
            Some(JoinSide::Left) => write!(f, "left.{}", c.name),
            Some(JoinSide::Right) => write!(f, "right.{}", c.name),
            None => f.write_str(&c.name),
        },
        ExprKind::Literal(l) => write!(f, "{l}"),
        ExprKind::Param(p) => write!(f, "${}", p.name),
        ExprKind::Binary { op, left, right } => write!(f, "({left} {} {right})", op.symbol()),
        ExprKind::And(terms) | ExprKind::Or(terms) => {
            let sep = if matches!(e.kind, ExprKind::And(_)) { " AND " } else { " OR " };
            f.write_str("(")?;
            for (i, t) in terms.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{t}")?;
            }
            f.write_str(")")
        }
        ExprKind::Not(x) => write!(f, "NOT {x}"),
        ExprKind::Negate(x) => write!(f, "-{x}"),
        ExprKind::IsNull(x) => write!(f, "{x} IS NULL"),
        ExprKind::IsNotNull(x) => write!(f, "{x} IS NOT NULL"),
        ExprKind::Cast(x) => write!(f, "CAST({x} AS {})", e.dtype),
        ExprKind::Case { branches, otherwise } => {
            f.write_str("CASE")?;
            for (c, v) in branches {
                write!(f, " WHEN {c} THEN {v}")?;
            }
            if let Some(o) = otherwise {
                write!(f, " ELSE {o}")?;
            }
            f.write_str(" END")
        }
        ExprKind::InList { expr, list: items, negated } => {
            write!(f, "{expr} {}IN (", if *negated { "NOT " } else { "" })?;
            list(f, items, |f, i| write!(f, "{i}"))?;
            f.write_str(")")
        }
        ExprKind::Function { func, args } => {
            write!(f, "{}(", func.name())?;
            list(f, args, |f, a| write!(f, "{a}"))?;
            f.write_str(")")
        }
        ExprKind::Aggregate(call) => {
            if call.func == AggFunc::CountStar {
                f.write_str("count(*)")?;
            } else {
                write!(f, "{}(", call.func.name())?;
                list(f, &call.args, |f, a| write!(f, "{a}"))?;
                if !call.order_by.is_empty() {
                    f.write_str(" ORDER BY ")?;
                    list(f, &call.order_by, sort_key)?;
                }
                f.write_str(")")?;
            }
            if let Some(filter) = &call.filter {
                write!(f, " FILTER (WHERE {filter})")?;
            }
            Ok(())
        }
        ExprKind::Window(call) => {
            match call.args.first() {
                Some(ScalarExpr { kind: ExprKind::Aggregate(agg), .. })
                    if call.func == super::func::WindowFunc::Aggregate =>
                {
                    let inner = ScalarExpr::new(ExprKind::Aggregate(agg.clone()), e.dtype.clone(), e.nullable);
                    write!(f, "{inner}")?;
                }
                _ => {
                    write!(f, "{}(", call.func.name())?;
                    list(f, &call.args, |f, a| write!(f, "{a}"))?;
                    f.write_str(")")?;
                }
            }
            f.write_str(" OVER (")?;
            let mut space = "";
            if !call.partition_by.is_empty() {
                f.write_str("PARTITION BY ")?;
                list(f, &call.partition_by, |f, p| write!(f, "{p}"))?;
                space = " ";
            }
            if !call.order_by.is_empty() {
                write!(f, "{space}ORDER BY ")?;
                list(f, &call.order_by, sort_key)?;
            }
            if let Some(fr) = &call.frame {
                frame(f, fr)?;
            }
            f.write_str(")")
        }
    }
}

fn sort_expr(f: &mut Formatter<'_>, key: &SortExpr) -> fmt::Result {
    write!(f, "{}{}", key.expr, if key.descending { " DESC" } else { "" })?;
    match key.nulls_first {
        Some(true) => f.write_str(" NULLS FIRST"),
        Some(false) => f.write_str(" NULLS LAST"),
        None => Ok(()),
    }
}

fn window(f: &mut Formatter<'_>, w: &Window) -> fmt::Result {
    f.write_str(" OVER (")?;
    if !w.partition_by.is_empty() {
        f.write_str("PARTITION BY ")?;
        list(f, &w.partition_by, |f, p| write!(f, "{p}"))?;
    }
    if !w.order_by.is_empty() {
        f.write_str(" ORDER BY ")?;
        list(f, &w.order_by, sort_expr)?;
    }
    if let Some(fr) = &w.frame {
        frame(f, fr)?;
    }
    f.write_str(")")
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Column { name, side: None } => f.write_str(name),
            Expr::Column { name, side: Some(JoinSide::Left) } => write!(f, "left.{name}"),
            Expr::Column { name, side: Some(JoinSide::Right) } => write!(f, "right.{name}"),
            Expr::Literal(value) => write!(f, "{value}"),
            Expr::Param(p) => write!(f, "${}", p.name),
            Expr::Alias(e, name) => write!(f, "{e} AS {name}"),
            Expr::Binary(l, op, r) => write!(f, "({l} {} {r})", op.symbol()),
            Expr::And(l, r) => write!(f, "({l} AND {r})"),
            Expr::Or(l, r) => write!(f, "({l} OR {r})"),
            Expr::Not(e) => write!(f, "NOT {e}"),
            Expr::Negate(e) => write!(f, "-{e}"),
            Expr::IsNull(e) => write!(f, "{e} IS NULL"),
            Expr::IsNotNull(e) => write!(f, "{e} IS NOT NULL"),
            Expr::Cast(e, t) => write!(f, "CAST({e} AS {t})"),
            Expr::Case { branches, otherwise } => {
                f.write_str("CASE")?;
                for (c, v) in branches {
                    write!(f, " WHEN {c} THEN {v}")?;
                }
                if let Some(o) = otherwise {
                    write!(f, " ELSE {o}")?;
                }
                f.write_str(" END")
            }
            Expr::InList { expr, list: items, negated } => {
                write!(f, "{expr} {}IN (", if *negated { "NOT " } else { "" })?;
                list(f, items, |f, i| write!(f, "{i}"))?;
                f.write_str(")")
            }
            Expr::Between { expr, low, high, negated } => {
                write!(f, "{expr} {}BETWEEN {low} AND {high}", if *negated { "NOT " } else { "" })
            }
            Expr::Function(func, args) => {
                write!(f, "{}(", func.name())?;
                list(f, args, |f, a| write!(f, "{a}"))?;
                f.write_str(")")
            }
            Expr::Aggregate { func: AggFunc::CountStar, .. } => f.write_str("count(*)"),
            Expr::Aggregate { func, args, order_by } => {
                write!(f, "{}(", func.name())?;
                list(f, args, |f, a| write!(f, "{a}"))?;
                if !order_by.is_empty() {
                    f.write_str(" ORDER BY ")?;
                    list(f, order_by, sort_expr)?;
                }
                f.write_str(")")
            }
            Expr::WindowFunction(func, args) => {
                write!(f, "{}(", func.name())?;
                list(f, args, |f, a| write!(f, "{a}"))?;
                f.write_str(")")
            }
            Expr::Over(e, w) => {
                write!(f, "{e}")?;
                window(f, w)
            }
            Expr::Invalid(message) => write!(f, "<invalid: {message}>"),
        }
    }
}
