//! Property tests for addresses: equivalent rewrites agree, any real change differs; and the
//! semantic diff agrees with them.

use crate::common;

use proptest::prelude::*;
use xorq_core::*;

/// A generated predicate over `qty: Int32`, `amount: Float64`, `region: String`. Every leaf has
/// its own constant, so changing one leaf can never turn it into a copy of another.
#[derive(Clone, Debug)]
enum Pred {
    Cmp { column: usize, op: usize, value: i64 },
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
}

const COLUMNS: [&str; 3] = ["qty", "amount", "region"];

fn leaf_expr(column: usize, op: usize, value: i64, flipped: bool) -> Expr {
    let c = col(COLUMNS[column]);
    let v = if COLUMNS[column] == "region" { lit(format!("r{value}")) } else { lit(value) };
    let (l, r) = if flipped { (v, c) } else { (c, v) };
    // When flipped, use the mirrored operator so the meaning is unchanged.
    let op = if flipped { [1, 0, 3, 2, 4, 5][op] } else { op };
    match op {
        0 => l.gt(r),
        1 => l.lt(r),
        2 => l.gt_eq(r),
        3 => l.lt_eq(r),
        4 => l.eq(r),
        _ => l.not_eq(r),
    }
}

impl Pred {
    /// The expression; `variant` picks operand orders and comparison spellings (all equivalent).
    fn to_expr(&self, variant: u64) -> Expr {
        match self {
            Pred::Cmp { column, op, value } => leaf_expr(*column, *op, *value, variant & 1 == 1),
            Pred::And(a, b) | Pred::Or(a, b) => {
                let (x, y) = (a.to_expr(variant.rotate_right(1)), b.to_expr(variant.rotate_right(2)));
                let (x, y) = if variant & 2 == 2 { (y, x) } else { (x, y) };
                if matches!(self, Pred::And(..)) { x.and(y) } else { x.or(y) }
            }
        }
    }

    fn leaves(&self) -> usize {
        match self {
            Pred::Cmp { .. } => 1,
            Pred::And(a, b) | Pred::Or(a, b) => a.leaves() + b.leaves(),
        }
    }

    /// The same predicate with leaf `target` changed by `change`.
    fn mutated(&self, target: usize, change: usize, next: &mut usize) -> Pred {
        match self {
            Pred::Cmp { column, op, value } => {
                let here = *next == target;
                *next += 1;
                if !here {
                    return self.clone();
                }
                match change % 3 {
                    0 => Pred::Cmp { column: *column, op: *op, value: value + 1_000_000 },
                    1 => Pred::Cmp { column: *column, op: (op + 1) % 6, value: *value },
                    _ => Pred::Cmp { column: (column + 1) % 3, op: *op, value: *value },
                }
            }
            Pred::And(a, b) => {
                Pred::And(Box::new(a.mutated(target, change, next)), Box::new(b.mutated(target, change, next)))
            }
            Pred::Or(a, b) => {
                Pred::Or(Box::new(a.mutated(target, change, next)), Box::new(b.mutated(target, change, next)))
            }
        }
    }
}

fn pred() -> impl Strategy<Value = Pred> {
    let leaf = (0usize..3, 0usize..6).prop_map(|(column, op)| Pred::Cmp { column, op, value: 0 });
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Pred::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Pred::Or(Box::new(a), Box::new(b))),
        ]
    })
    .prop_map(|p| number_leaves(p, &mut 0))
}

/// Gives every leaf a distinct constant.
fn number_leaves(p: Pred, n: &mut i64) -> Pred {
    match p {
        Pred::Cmp { column, op, .. } => {
            *n += 1;
            Pred::Cmp { column, op, value: *n * 10 }
        }
        Pred::And(a, b) => Pred::And(Box::new(number_leaves(*a, n)), Box::new(number_leaves(*b, n))),
        Pred::Or(a, b) => Pred::Or(Box::new(number_leaves(*a, n)), Box::new(number_leaves(*b, n))),
    }
}

fn filtered(p: &Pred, variant: u64) -> Address {
    common::sales().filter(p.to_expr(variant)).expect("generated predicates are well typed").address()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn equivalent_spellings_have_one_address(p in pred(), v1 in any::<u64>(), v2 in any::<u64>()) {
        prop_assert_eq!(filtered(&p, v1), filtered(&p, v2));
    }

    #[test]
    fn splitting_a_conjunction_into_two_filters_keeps_the_address(a in pred(), b in pred()) {
        let s = common::sales();
        let together = s.filter(a.to_expr(0).and(b.to_expr(0))).expect("typed");
        let apart = s.filter(a.to_expr(0)).and_then(|t| t.filter(b.to_expr(3))).expect("typed");
        prop_assert_eq!(together.address(), apart.address());
    }

    #[test]
    fn changing_a_constant_operator_or_column_changes_the_address(p in pred(), target in any::<usize>(), change in 0usize..3) {
        let target = target % p.leaves();
        let q = p.mutated(target, change, &mut 0);
        prop_assert_ne!(filtered(&p, 0), filtered(&q, 0));
    }

    /// The diff agrees with the address: equivalent spellings are no change at all; a changed
    /// leaf is one changed filter that changes the row set, whatever the pipeline above it.
    #[test]
    fn the_diff_sees_what_the_address_sees(p in pred(), v in any::<u64>(), target in any::<usize>(), change in 0usize..3) {
        let pipeline = |p: &Pred, variant: u64| {
            common::sales()
                .filter(p.to_expr(variant))
                .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
                .expect("generated predicates are well typed")
        };
        let same = diff::diff(&pipeline(&p, 0), &pipeline(&p, v)).expect("diff");
        prop_assert!(same.same_address && same.changes.is_empty());
        prop_assert_eq!(same.classification, diff::Classification::None);
        let q = p.mutated(target % p.leaves(), change, &mut 0);
        let d = diff::diff(&pipeline(&p, 0), &pipeline(&q, v)).expect("diff");
        prop_assert_eq!(d.changes.len(), 1, "{}", d.render());
        prop_assert_eq!(d.changes[0].op.as_str(), "Filter");
        prop_assert_eq!(d.changes[0].effect, diff::Effect::Rows);
        prop_assert_eq!(d.classification, diff::Classification::Breaking);
        prop_assert_eq!(d.unchanged.len(), 1, "the read is unchanged");
    }

    #[test]
    fn changing_operation_order_changes_the_address(n in 1u64..100, threshold in 0i64..1000) {
        let s = common::sales();
        let filter_then_limit = s.filter(col("qty").gt(lit(threshold))).and_then(|t| t.limit(n)).expect("typed");
        let limit_then_filter = s.limit(n).and_then(|t| t.filter(col("qty").gt(lit(threshold)))).expect("typed");
        prop_assert_ne!(filter_then_limit.address(), limit_then_filter.address());
    }

    #[test]
    fn changing_a_function_changes_the_address(f in 0usize..4, g in 0usize..4) {
        prop_assume!(f != g);
        let apply = |i: usize| -> Expr {
            match i {
                0 => col("region").upper(),
                1 => col("region").lower(),
                2 => col("region").trim(),
                _ => col("region").reverse(),
            }
        };
        let s = common::sales();
        prop_assert_ne!(
            s.select([apply(f).alias("r")]).expect("typed").address(),
            s.select([apply(g).alias("r")]).expect("typed").address()
        );
    }

    #[test]
    fn memtable_address_follows_values(values in prop::collection::vec(any::<i64>(), 1..50), split in any::<usize>()) {
        use arrow_array::{Int64Array, RecordBatch};
        use std::sync::Arc;
        let batch = RecordBatch::try_from_iter([("v", Arc::new(Int64Array::from(values.clone())) as _)]).expect("batch");
        let at = split % values.len();
        let whole = Table::memtable(vec![batch.clone()]).expect("memtable").address();
        let parts = Table::memtable(vec![batch.slice(0, at), batch.slice(at, values.len() - at)]).expect("memtable").address();
        prop_assert_eq!(whole, parts);
        let mut changed = values.clone();
        changed[at] = changed[at].wrapping_add(1);
        let other = RecordBatch::try_from_iter([("v", Arc::new(Int64Array::from(changed)) as _)]).expect("batch");
        prop_assert_ne!(whole, Table::memtable(vec![other]).expect("memtable").address());
    }
}

#[test]
fn deep_graphs_hash_and_drop_without_overflowing_the_stack() {
    let run = || {
        let mut t = common::sales();
        for i in 0..20_000 {
            t = if i % 2 == 0 {
                t.mutate([(col("qty") + lit(1)).alias("qty")]).expect("typed")
            } else {
                t.filter(col("qty").gt(lit(i))).expect("typed")
            };
        }
        let a = t.address();
        assert_eq!(a, t.address(), "cached address is stable");
        drop(t);
    };
    // A small stack, as in a test thread or a server worker.
    std::thread::Builder::new().stack_size(256 * 1024).spawn(run).expect("thread").join().expect("no overflow");
}
