//! Canonicalization: rewrites that make equivalent expressions identical before they are hashed.
//!
//! Only rewrites that hold for every input, nulls included, are made:
//! - `AND`/`OR` chains are flattened, ordered and de-duplicated (Kleene logic is associative,
//!   commutative and idempotent; every built-in function is deterministic);
//! - comparisons put the constant on the right (`1 < a` becomes `a > 1`), and otherwise order their
//!   operands flipping the operator;
//! - operands of commutative operators (`=`, `<>`, `+`, `*`, …) are ordered. Arithmetic is never
//!   re-associated: float addition is commutative but not associative, and integer overflow
//!   depends on grouping. `-`, `/` and `%` are never reordered;
//! - `IN` lists are ordered and de-duplicated;
//! - casts of constants are folded to the value the engine's cast gives ([`Literal::cast_value`]),
//!   and casts to the same type dropped.
//!
//! Consecutive filters are merged by `Table::filter`.

use crate::address::Address;
use crate::encode::expr_digest;
use crate::expr::ir::{BinaryOp, ExprKind, ScalarExpr};
use crate::literal::Literal;
use crate::types::DataType;

/// Ordering key: non-constants before constants, then by content digest.
fn order_key(e: &ScalarExpr) -> (bool, Address) {
    (e.is_constant(), expr_digest(e))
}

fn ordered_unique(terms: Vec<ScalarExpr>) -> Vec<ScalarExpr> {
    let mut keyed: Vec<((bool, Address), ScalarExpr)> = terms.into_iter().map(|t| (order_key(&t), t)).collect();
    // Unstable: terms with equal keys are equal and only one is kept; no scratch copy of a list
    // of a million constants.
    keyed.sort_unstable_by_key(|k| k.0);
    keyed.dedup_by(|a, b| a.0 == b.0);
    keyed.into_iter().map(|(_, t)| t).collect()
}

fn junction(terms: Vec<ScalarExpr>, is_and: bool) -> ScalarExpr {
    let mut flat = Vec::with_capacity(terms.len());
    let mut stack: Vec<ScalarExpr> = terms.into_iter().rev().collect();
    while let Some(t) = stack.pop() {
        match t.kind {
            ExprKind::And(inner) if is_and => stack.extend(inner.into_iter().rev()),
            ExprKind::Or(inner) if !is_and => stack.extend(inner.into_iter().rev()),
            _ => flat.push(t),
        }
    }
    let mut terms = ordered_unique(flat);
    if terms.len() == 1 {
        return terms.pop().unwrap_or_else(|| ScalarExpr::literal(Literal::Boolean(is_and)));
    }
    if terms.is_empty() {
        return ScalarExpr::literal(Literal::Boolean(is_and));
    }
    let nullable = terms.iter().any(|t| t.nullable);
    let kind = if is_and { ExprKind::And(terms) } else { ExprKind::Or(terms) };
    ScalarExpr::new(kind, DataType::Boolean, nullable)
}

/// The canonical conjunction of `terms`.
pub(crate) fn and_all(terms: Vec<ScalarExpr>) -> ScalarExpr {
    junction(terms, true)
}

/// The canonical disjunction of `terms`.
pub(crate) fn or_all(terms: Vec<ScalarExpr>) -> ScalarExpr {
    junction(terms, false)
}

/// `left op right` with canonical operand order.
pub(crate) fn binary(op: BinaryOp, left: ScalarExpr, right: ScalarExpr, dtype: DataType) -> ScalarExpr {
    let nullable = match op {
        BinaryOp::IsDistinctFrom | BinaryOp::IsNotDistinctFrom => false,
        _ => left.nullable || right.nullable,
    };
    let (op, left, right) = match op.flipped() {
        Some(flipped) if order_key(&right) < order_key(&left) => (flipped, right, left),
        _ => (op, left, right),
    };
    ScalarExpr::new(ExprKind::Binary { op, left: Box::new(left), right: Box::new(right) }, dtype, nullable)
}

thread_local! {
    /// The hash scheme whose folding rules [`cast`] applies: the current one, except while a
    /// manifest of an older scheme is rebuilt ([`with_scheme`]).
    static SCHEME: std::cell::Cell<u32> = const { std::cell::Cell::new(crate::address::HASH_SCHEME_VERSION) };
}

/// Runs `f` (which rebuilds a manifest) with the canonicalization rules of hash scheme `version`,
/// so a build written under an older scheme rebuilds to the expression it recorded. Only the
/// folding of casts of constants differs between the schemes this xorq-rs knows: every other
/// typing decision is explicit in a manifest (casts and typed constants).
pub(crate) fn with_scheme<T>(version: u32, f: impl FnOnce() -> T) -> T {
    let previous = SCHEME.with(|s| s.replace(version));
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCHEME.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(previous);
    f()
}

/// The hash scheme whose rules apply now (see [`with_scheme`]).
pub(crate) fn scheme() -> u32 {
    SCHEME.with(std::cell::Cell::get)
}

/// `expr` converted to `to`: unchanged if it already has that type, folded if it is a constant
/// whose cast the engine would compute as [`Literal::cast_value`] does (scheme 1 folded only
/// exact conversions, [`Literal::convert_exact`]), else an explicit cast.
pub(crate) fn cast(expr: ScalarExpr, to: &DataType) -> ScalarExpr {
    if &expr.dtype == to {
        return expr;
    }
    if let ExprKind::Literal(l) = &expr.kind {
        let folded = if SCHEME.with(std::cell::Cell::get) < 2 { l.convert_exact(to) } else { l.cast_value(to) };
        if let Some(converted) = folded {
            return ScalarExpr::literal(converted);
        }
    }
    let nullable = expr.nullable;
    ScalarExpr::new(ExprKind::Cast(Box::new(expr)), to.clone(), nullable)
}

/// `expr [NOT] IN (list)` with the list ordered and without repeats.
/// `e` with its `AND`/`OR` chains, comparisons, commutative operands and `IN` lists put in
/// canonical form again, inputs first: after a rewrite that changes what the ordering keys
/// digest (renaming a parameter), the expression the builder would have made. Idempotent.
pub(crate) fn recanonicalize(e: ScalarExpr) -> ScalarExpr {
    use crate::tree::TreeNode;
    let rebuilt = e.transform_up(|x| {
        Ok::<_, crate::error::CoreError>(match x.kind {
            ExprKind::And(terms) => and_all(terms),
            ExprKind::Or(terms) => or_all(terms),
            ExprKind::Binary { op, left, right } => binary(op, *left, *right, x.dtype),
            ExprKind::InList { expr, list, negated } => in_list(*expr, list, negated),
            kind => ScalarExpr::new(kind, x.dtype, x.nullable),
        })
    });
    // The closure never fails.
    rebuilt.unwrap_or_else(|_| ScalarExpr::literal(Literal::Null(DataType::Null)))
}

pub(crate) fn in_list(expr: ScalarExpr, list: Vec<ScalarExpr>, negated: bool) -> ScalarExpr {
    let list = ordered_unique(list);
    let nullable = expr.nullable || list.iter().any(|e| e.nullable);
    ScalarExpr::new(ExprKind::InList { expr: Box::new(expr), list, negated }, DataType::Boolean, nullable)
}
