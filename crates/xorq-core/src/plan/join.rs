//! Join typing: key checks and the output columns of each join kind.

use crate::error::{CoreError, Result};
use crate::expr::coerce::comparison_type;
use crate::expr::ir::JoinSide;
use crate::schema::Schema;

use super::node::{JoinKind, JoinOutput};

/// Checks each key pair exists and is comparable; returns the pairs in canonical order.
pub(crate) fn check_keys(left: &Schema, right: &Schema, on: Vec<(String, String)>) -> Result<Vec<(String, String)>> {
    for (l, r) in &on {
        let lf = left.field_or_err(l, "Join keys (left side)")?;
        let rf = right.field_or_err(r, "Join keys (right side)")?;
        if comparison_type(&lf.dtype, &rf.dtype).is_none() {
            return Err(CoreError::type_mismatch(
                "=",
                &[&lf.dtype, &rf.dtype],
                &format!("Join keys `{l}` = `{r}`"),
                Some("cast one key so both sides have comparable types"),
            ));
        }
    }
    let mut on = on;
    on.sort();
    on.dedup();
    Ok(on)
}

/// Output columns: left columns, then right columns. Inner, left and right joins keep one copy of
/// a key that has the same name on both sides (a right join takes its value from the right);
/// other name clashes get the suffix `_right`. Semi and anti joins keep only the left columns.
pub(crate) fn outputs(
    kind: JoinKind,
    on: &[(String, String)],
    left: &Schema,
    right: &Schema,
) -> Result<Vec<JoinOutput>> {
    let out_of = |side, name: &str| JoinOutput { name: name.to_string(), side, column: name.to_string() };
    if matches!(kind, JoinKind::Semi | JoinKind::Anti) {
        return Ok(left.names().map(|n| out_of(JoinSide::Left, n)).collect());
    }
    let merged_key = |name: &str| {
        matches!(kind, JoinKind::Inner | JoinKind::Left | JoinKind::Right)
            && on.iter().any(|(l, r)| l == name && r == name)
    };
    let mut out: Vec<JoinOutput> = left
        .names()
        .map(|n| {
            let side = if kind == JoinKind::Right && merged_key(n) { JoinSide::Right } else { JoinSide::Left };
            out_of(side, n)
        })
        .collect();
    for r in right.names() {
        if merged_key(r) {
            continue;
        }
        let name = if out.iter().any(|o| o.name == r) { format!("{r}_right") } else { r.to_string() };
        if out.iter().any(|o| o.name == name) {
            return Err(CoreError::DuplicateColumn { column: name, context: "Join output".into() });
        }
        out.push(JoinOutput { name, side: JoinSide::Right, column: r.to_string() });
    }
    Ok(out)
}
