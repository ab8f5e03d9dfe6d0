//! Scalar expressions in the manifest: the typed IR is written as nested mappings and read back
//! as builder [`Expr`]s, which the relational builder resolves again, so loading goes through the
//! same typing and canonicalization as construction.

use crate::error::Result;
use crate::expr::dsl::{Expr, SortExpr, Window};
use crate::expr::func::{AggFunc, ScalarFunc, WindowFunc};
use crate::expr::ir::{
    BinaryOp, ExprKind, FrameBound, FrameUnits, JoinSide, Param, ScalarExpr, SortKey, WindowCall, WindowFrame,
};
use crate::types::DataType;

use super::literal::{from_scalar, to_scalar};
use super::model::{BranchDef, ExprDef, FrameDef, SortKeyDef};
use super::{invalid, list_names};
use serde_saphyr::{FlowMap, FlowSeq};

/// Operators other than the binary ones, with the keys each takes besides `op`.
const OTHER_OPS: [(&str, &[&str]); 9] = [
    ("And", &["args"]),
    ("Or", &["args"]),
    ("Not", &["arg"]),
    ("Negate", &["arg"]),
    ("IsNull", &["arg"]),
    ("IsNotNull", &["arg"]),
    ("Cast", &["type", "arg"]),
    ("Case", &["branches", "else"]),
    ("InList", &["arg", "values", "type", "literals", "negated"]),
];

fn side_name(side: JoinSide) -> String {
    match side {
        JoinSide::Left => "left",
        JoinSide::Right => "right",
    }
    .to_string()
}

fn boxed(e: &ScalarExpr) -> Result<Option<Box<ExprDef>>> {
    Ok(Some(Box::new(write_expr(e)?)))
}

fn write_all(es: &[ScalarExpr]) -> Result<Vec<ExprDef>> {
    es.iter().map(write_expr).collect()
}

/// An ordering key as written.
pub(crate) fn write_sort_key(k: &SortKey) -> Result<SortKeyDef> {
    Ok(SortKeyDef {
        expr: write_expr(&k.expr)?,
        order: if k.descending { "desc" } else { "asc" }.into(),
        nulls: if k.nulls_first { "first" } else { "last" }.into(),
    })
}

fn bound_text(b: FrameBound) -> String {
    match b {
        FrameBound::UnboundedPreceding => "unbounded_preceding".into(),
        FrameBound::Preceding(n) => format!("{n} preceding"),
        FrameBound::CurrentRow => "current_row".into(),
        FrameBound::Following(n) => format!("{n} following"),
        FrameBound::UnboundedFollowing => "unbounded_following".into(),
    }
}

fn write_window(d: &mut ExprDef, call: &WindowCall) -> Result<()> {
    d.window = Some(call.func.name().into());
    d.args = write_all(&call.args)?;
    d.partition_by = write_all(&call.partition_by)?;
    d.order_by = call.order_by.iter().map(write_sort_key).collect::<Result<_>>()?;
    d.ignore_nulls = call.ignore_nulls.then_some(true);
    d.frame = call.frame.map(|f| {
        FlowMap(FrameDef {
            units: match f.units {
                FrameUnits::Rows => "rows",
                FrameUnits::Range => "range",
            }
            .into(),
            start: bound_text(f.start),
            end: bound_text(f.end),
        })
    });
    Ok(())
}

/// Lists at least this long of constants of one type are written as one flow sequence.
const COMPACT_LIST: usize = 64;

/// The values of `list` when it is long and made of constants of one type (`x IN (1, 2, …)`
/// with thousands of values, as generated SQL often has).
fn constants_of_one_type(list: &[ScalarExpr]) -> Option<(&DataType, Vec<super::model::Scalar>)> {
    let dtype = &list.first()?.dtype;
    if list.len() < COMPACT_LIST {
        return None;
    }
    list.iter()
        .map(|e| match &e.kind {
            ExprKind::Literal(l) if &e.dtype == dtype => Some(to_scalar(l)),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .map(|values| (dtype, values))
}

/// The manifest form of a typed expression.
#[recursive::recursive]
pub(crate) fn write_expr(e: &ScalarExpr) -> Result<ExprDef> {
    let mut d = ExprDef::default();
    let op = |name: &str| Some(name.to_string());
    match &e.kind {
        ExprKind::Column(c) => {
            d.column = Some(c.name.clone());
            d.side = c.side.map(side_name);
        }
        ExprKind::Literal(l) => {
            d.literal = Some(to_scalar(l));
            d.dtype = Some(l.dtype().to_string());
        }
        ExprKind::Param(p) => {
            d.param = Some(p.name.clone());
            d.dtype = Some(p.dtype.to_string());
            d.default = p.default.as_ref().map(to_scalar);
        }
        ExprKind::Binary { op: bin, left, right } => {
            d.op = op(bin.name());
            d.left = boxed(left)?;
            d.right = boxed(right)?;
        }
        ExprKind::And(terms) | ExprKind::Or(terms) => {
            d.op = op(if matches!(e.kind, ExprKind::And(_)) { "And" } else { "Or" });
            d.args = write_all(terms)?;
        }
        ExprKind::Not(x) | ExprKind::Negate(x) | ExprKind::IsNull(x) | ExprKind::IsNotNull(x) => {
            d.op = op(match e.kind {
                ExprKind::Not(_) => "Not",
                ExprKind::Negate(_) => "Negate",
                ExprKind::IsNull(_) => "IsNull",
                _ => "IsNotNull",
            });
            d.arg = boxed(x)?;
        }
        ExprKind::Cast(x) => {
            d.op = op("Cast");
            d.dtype = Some(e.dtype.to_string());
            d.arg = boxed(x)?;
        }
        ExprKind::Case { branches, otherwise } => {
            d.op = op("Case");
            d.branches = branches
                .iter()
                .map(|(c, v)| Ok(BranchDef { when: write_expr(c)?, then: write_expr(v)? }))
                .collect::<Result<_>>()?;
            d.otherwise = match otherwise {
                Some(o) => boxed(o)?,
                None => None,
            };
        }
        ExprKind::InList { expr, list, negated } => {
            d.op = op("InList");
            d.arg = boxed(expr)?;
            match constants_of_one_type(list) {
                Some((dtype, literals)) => {
                    d.dtype = Some(dtype.to_string());
                    d.literals = Some(FlowSeq(literals));
                }
                None => d.values = write_all(list)?,
            }
            d.negated = Some(*negated);
        }
        ExprKind::Function { func, args } => {
            d.function = Some(func.name().into());
            d.version = (func.version() != 1).then_some(func.version());
            d.args = write_all(args)?;
        }
        ExprKind::Aggregate(call) => {
            d.aggregate = Some(call.func.name().into());
            d.version = (call.func.version() != 1).then_some(call.func.version());
            d.args = write_all(&call.args)?;
            d.order_by = call.order_by.iter().map(write_sort_key).collect::<Result<_>>()?;
            d.distinct = call.distinct.then_some(true);
            d.ignore_nulls = call.ignore_nulls.then_some(true);
            d.filter = match &call.filter {
                Some(f) => boxed(f)?,
                None => None,
            };
        }
        ExprKind::Window(call) => write_window(&mut d, call)?,
    }
    Ok(d)
}

/// How many levels of YAML collections `d` nests (a leaf counts one).
#[recursive::recursive]
pub(crate) fn nesting(d: &ExprDef) -> usize {
    let direct = [&d.left, &d.right, &d.arg, &d.otherwise, &d.filter].into_iter().flatten().map(|e| nesting(e));
    let listed = d.args.iter().chain(&d.values).chain(&d.partition_by).map(|e| 1 + nesting(e));
    let keyed = d.branches.iter().flat_map(|b| [&b.when, &b.then]).chain(d.order_by.iter().map(|k| &k.expr));
    let keyed = keyed.map(|e| 2 + nesting(e));
    1 + direct.chain(listed).chain(keyed).chain(d.frame.iter().map(|_| 1)).max().unwrap_or(0)
}

/// The keys an expression mapping has, by name.
fn present_keys(d: &ExprDef) -> Vec<&'static str> {
    let mut keys = Vec::new();
    let mut add = |present: bool, key: &'static str| {
        if present {
            keys.push(key);
        }
    };
    add(d.column.is_some(), "column");
    add(d.side.is_some(), "side");
    add(d.literal.is_some(), "literal");
    add(d.param.is_some(), "param");
    add(d.op.is_some(), "op");
    add(d.function.is_some(), "function");
    add(d.aggregate.is_some(), "aggregate");
    add(d.window.is_some(), "window");
    add(d.version.is_some(), "version");
    add(d.dtype.is_some(), "type");
    add(d.default.is_some(), "default");
    add(d.left.is_some(), "left");
    add(d.right.is_some(), "right");
    add(d.arg.is_some(), "arg");
    add(!d.args.is_empty(), "args");
    add(!d.values.is_empty(), "values");
    add(d.literals.is_some(), "literals");
    add(d.negated.is_some(), "negated");
    add(!d.branches.is_empty(), "branches");
    add(d.otherwise.is_some(), "else");
    add(!d.partition_by.is_empty(), "partition_by");
    add(!d.order_by.is_empty(), "order_by");
    add(d.frame.is_some(), "frame");
    add(d.distinct.is_some(), "distinct");
    add(d.ignore_nulls.is_some(), "ignore_nulls");
    add(d.filter.is_some(), "filter");
    keys
}

const HEADS: [&str; 7] = ["column", "literal", "param", "op", "function", "aggregate", "window"];

/// Checks that `d` has exactly one head key and only the keys `allowed` besides it.
fn check_keys(d: &ExprDef, what: &str, allowed: &[&str]) -> Result<()> {
    if let Some(extra) = present_keys(d).into_iter().find(|k| !HEADS.contains(k) && !allowed.contains(k)) {
        let expected = if allowed.is_empty() { "no other keys".to_string() } else { list_names(allowed) };
        return Err(invalid(format!("unexpected key `{extra}` in {what} (it takes {expected})")));
    }
    Ok(())
}

fn required<'a, T>(v: &'a Option<T>, key: &str, what: &str) -> Result<&'a T> {
    v.as_ref().ok_or_else(|| invalid(format!("{what} needs `{key}`")))
}

/// Parses a type name as written in a manifest.
pub(crate) fn parse_type(text: &str) -> Result<DataType> {
    DataType::parse(text)
}

fn read_all(ds: &[ExprDef]) -> Result<Vec<Expr>> {
    ds.iter().map(read_expr).collect()
}

fn read_box(d: &Option<Box<ExprDef>>, key: &str, what: &str) -> Result<Box<Expr>> {
    Ok(Box::new(read_expr(required(d, key, what)?)?))
}

/// An ordering key of the builder.
pub(crate) fn read_sort_key(k: &SortKeyDef) -> Result<SortExpr> {
    let descending = match k.order.as_str() {
        "asc" => false,
        "desc" => true,
        other => return Err(invalid(format!("sort order `{other}` is not `asc` or `desc`"))),
    };
    let nulls_first = match k.nulls.as_str() {
        "first" => true,
        "last" => false,
        other => return Err(invalid(format!("null placement `{other}` is not `first` or `last`"))),
    };
    Ok(SortExpr { expr: read_expr(&k.expr)?, descending, nulls_first: Some(nulls_first) })
}

fn read_bound(text: &str) -> Result<FrameBound> {
    let bad = || {
        invalid(format!(
            "`{text}` is not a frame bound (such as `unbounded_preceding`, `3 preceding`, `current_row`, `2 following`, `unbounded_following`)"
        ))
    };
    Ok(match text.trim() {
        "unbounded_preceding" => FrameBound::UnboundedPreceding,
        "current_row" => FrameBound::CurrentRow,
        "unbounded_following" => FrameBound::UnboundedFollowing,
        other => match other.split_once(' ') {
            Some((n, "preceding")) => FrameBound::Preceding(n.parse().map_err(|_| bad())?),
            Some((n, "following")) => FrameBound::Following(n.parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        },
    })
}

fn read_frame(f: &FrameDef) -> Result<WindowFrame> {
    let units = match f.units.as_str() {
        "rows" => FrameUnits::Rows,
        "range" => FrameUnits::Range,
        other => return Err(invalid(format!("frame units `{other}` are not `rows` or `range`"))),
    };
    Ok(WindowFrame { units, start: read_bound(&f.start)?, end: read_bound(&f.end)? })
}

fn read_op(d: &ExprDef, name: &str) -> Result<Expr> {
    let what = format!("`{name}` expression");
    if let Some(bin) = BinaryOp::from_name(name) {
        check_keys(d, &what, &["left", "right"])?;
        return Ok(Expr::Binary(read_box(&d.left, "left", &what)?, bin, read_box(&d.right, "right", &what)?));
    }
    let Some((_, allowed)) = OTHER_OPS.iter().find(|(n, _)| *n == name) else {
        let mut known: Vec<&str> = BinaryOp::ALL.iter().map(|b| b.name()).collect();
        known.extend(OTHER_OPS.iter().map(|(n, _)| *n));
        return Err(invalid(format!("unknown operator `{name}`; expected one of {}", list_names(&known))));
    };
    check_keys(d, &what, allowed)?;
    let arg = || read_box(&d.arg, "arg", &what);
    Ok(match name {
        "And" | "Or" => {
            let mut terms = read_all(&d.args)?.into_iter();
            let first = terms.next().ok_or_else(|| invalid(format!("{what} needs at least one term in `args`")))?;
            terms.fold(first, |acc, t| if name == "And" { acc.and(t) } else { acc.or(t) })
        }
        "Not" => Expr::Not(arg()?),
        "Negate" => Expr::Negate(arg()?),
        "IsNull" => Expr::IsNull(arg()?),
        "IsNotNull" => Expr::IsNotNull(arg()?),
        "Cast" => Expr::Cast(arg()?, parse_type(required(&d.dtype, "type", &what)?)?),
        "Case" => {
            if d.branches.is_empty() {
                return Err(invalid(format!("{what} needs at least one entry in `branches`")));
            }
            let branches =
                d.branches.iter().map(|b| Ok((read_expr(&b.when)?, read_expr(&b.then)?))).collect::<Result<_>>()?;
            let otherwise = match &d.otherwise {
                Some(o) => Some(Box::new(read_expr(o)?)),
                None => None,
            };
            Expr::Case { branches, otherwise }
        }
        _ => {
            let list = match &d.literals {
                Some(FlowSeq(literals)) => {
                    if !d.values.is_empty() {
                        return Err(invalid(format!("{what} has both `values` and `literals`; keep one")));
                    }
                    let dtype = parse_type(required(&d.dtype, "type", &what)?)?;
                    literals
                        .iter()
                        .map(|s| from_scalar(s, &dtype).map(Expr::Literal).map_err(|m| invalid(format!("{what}: {m}"))))
                        .collect::<Result<Vec<_>>>()?
                }
                None => read_all(&d.values)?,
            };
            Expr::InList { expr: arg()?, list, negated: d.negated.unwrap_or(false) }
        }
    })
}

/// The function called `name` with the manifest's `version` (1 when absent), when this program
/// has that name at all (`None` otherwise: the caller names the closest one); an error listing
/// the versions it has when it lacks this one.
fn lookup_version<F: Copy>(
    kind: &str,
    name: &str,
    version: Option<u32>,
    find: fn(&str, u32) -> Option<F>,
    versions: fn(&str) -> Vec<u32>,
) -> Option<Result<F>> {
    let have = versions(name);
    if have.is_empty() {
        return None;
    }
    let version = version.unwrap_or(1);
    Some(
        find(name, version)
            .ok_or_else(|| invalid(crate::expr::func::registry::missing_version(kind, name, version, &have))),
    )
}

/// The built-in function of a kind called `name`, or an error naming the closest one.
fn lookup<F: Copy>(kind: &str, name: &str, find: fn(&str) -> Option<F>, names: Vec<&'static str>) -> Result<F> {
    find(name).ok_or_else(|| {
        let closest = crate::error::closest(name, names.iter().copied())
            .map(|n| format!("; did you mean `{n}`?"))
            .unwrap_or_default();
        invalid(format!(
            "unknown {kind} `{name}`{closest}\nhint: this xorq-rs knows the {kind}s {}; a manifest written by a newer xorq-rs needs that version",
            list_names(&names)
        ))
    })
}

fn flag(value: Option<bool>, key: &str, what: &str) -> Result<bool> {
    match value {
        None => Ok(false),
        Some(true) => Ok(true),
        Some(false) => Err(invalid(format!("{what}: `{key}` is written only as `true`; leave it out instead"))),
    }
}

fn read_window(d: &ExprDef, name: &str) -> Result<Expr> {
    let what = format!("window `{name}`");
    check_keys(d, &what, &["args", "partition_by", "order_by", "frame", "ignore_nulls"])?;
    let func = lookup("window function", name, WindowFunc::from_name, WindowFunc::names())?;
    let ignore_nulls = flag(d.ignore_nulls, "ignore_nulls", &what)?;
    let inner = if func == WindowFunc::AGGREGATE {
        if ignore_nulls {
            return Err(invalid("window `aggregate` takes `ignore_nulls` on its aggregate, not itself".into()));
        }
        match d.args.as_slice() {
            [agg] if agg.aggregate.is_some() => read_expr(agg)?,
            _ => return Err(invalid("window `aggregate` takes exactly one `aggregate` expression in `args`".into())),
        }
    } else {
        Expr::WindowFunction { func, args: read_all(&d.args)?, ignore_nulls }
    };
    let window = Window {
        partition_by: read_all(&d.partition_by)?,
        order_by: d.order_by.iter().map(read_sort_key).collect::<Result<_>>()?,
        frame: d.frame.as_ref().map(|f| read_frame(&f.0)).transpose()?,
    };
    Ok(Expr::Over(Box::new(inner), window))
}

/// The builder expression a manifest expression spells. Literals keep their written type
/// exactly; resolution against the input schema happens in the relational builder.
#[recursive::recursive]
pub(crate) fn read_expr(d: &ExprDef) -> Result<Expr> {
    let heads: Vec<&str> = present_keys(d).into_iter().filter(|k| HEADS.contains(k)).collect();
    let head = match heads.as_slice() {
        [one] => *one,
        [] => {
            return Err(invalid(format!(
                "an expression needs one of {}; found {}",
                list_names(&HEADS),
                list_names(&present_keys(d))
            )));
        }
        many => return Err(invalid(format!("an expression has exactly one of {}, not both", list_names(many)))),
    };
    match head {
        "column" => {
            check_keys(d, "a column reference", &["side"])?;
            let side = match d.side.as_deref() {
                None => None,
                Some("left") => Some(JoinSide::Left),
                Some("right") => Some(JoinSide::Right),
                Some(other) => return Err(invalid(format!("join side `{other}` is not `left` or `right`"))),
            };
            Ok(Expr::Column { name: d.column.clone().unwrap_or_default(), side })
        }
        "literal" => {
            check_keys(d, "a literal", &["type"])?;
            let dtype = parse_type(required(&d.dtype, "type", "a literal")?)?;
            let scalar = required(&d.literal, "literal", "a literal")?;
            let value = from_scalar(scalar, &dtype).map_err(invalid)?;
            Ok(Expr::Literal(value))
        }
        "param" => {
            check_keys(d, "a parameter", &["type", "default"])?;
            let dtype = parse_type(required(&d.dtype, "type", "a parameter")?)?;
            let default = d.default.as_ref().map(|s| from_scalar(s, &dtype).map_err(invalid)).transpose()?;
            Ok(Expr::Param(Param { name: d.param.clone().unwrap_or_default(), dtype, default }))
        }
        "op" => read_op(d, d.op.as_deref().unwrap_or_default()),
        "function" => {
            let name = d.function.as_deref().unwrap_or_default();
            check_keys(d, &format!("function `{name}`"), &["args", "version"])?;
            let func = lookup_version("function", name, d.version, ScalarFunc::lookup, ScalarFunc::versions)
                .unwrap_or_else(|| lookup("function", name, ScalarFunc::from_name, ScalarFunc::names()))?;
            Ok(Expr::Function(func, read_all(&d.args)?))
        }
        "aggregate" => {
            let name = d.aggregate.as_deref().unwrap_or_default();
            let what = format!("aggregate `{name}`");
            check_keys(d, &what, &["args", "order_by", "distinct", "ignore_nulls", "filter", "version"])?;
            let func = lookup_version("aggregate function", name, d.version, AggFunc::lookup, AggFunc::versions)
                .unwrap_or_else(|| lookup("aggregate function", name, AggFunc::from_name, AggFunc::names()))?;
            let order_by = d.order_by.iter().map(read_sort_key).collect::<Result<_>>()?;
            let filter = match &d.filter {
                Some(f) => Some(Box::new(read_expr(f)?)),
                None => None,
            };
            Ok(Expr::Aggregate {
                func,
                args: read_all(&d.args)?,
                order_by,
                filter,
                distinct: flag(d.distinct, "distinct", &what)?,
                ignore_nulls: flag(d.ignore_nulls, "ignore_nulls", &what)?,
            })
        }
        _ => read_window(d, d.window.as_deref().unwrap_or_default()),
    }
}
