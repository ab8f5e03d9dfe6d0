//! The built-in window functions (aggregates evaluated over a window are `AGGREGATE`).

use crate::types::DataType;

use super::typing::{Arg, Param as P, Refusal, Ret as R, Signature, Ty as T, Typing, arity, params};
use super::{FunctionDef as F, Nulls, WindowFunc, builtins};

const NONE_TO_U64: Typing = params(&[], R::Fixed(T::UInt64));
const NONE_TO_F64: Typing = params(&[], R::Fixed(T::Float64));

/// `lag(x[, offset[, default]])`, `lead(…)`: the value's type; the default is converted to it
/// (DataFusion converts it when it runs).
fn offset(args: &[Arg<'_>]) -> Result<Signature, Refusal> {
    arity(args, 1, 3)?;
    // An untyped null value takes the default's type.
    let t = match args.get(2) {
        Some(d) if *args[0].dtype == DataType::Null => d.dtype.clone(),
        _ => args[0].dtype.clone(),
    };
    let mut converted = vec![args[0].dtype.clone()];
    if let Some(o) = args.get(1) {
        if !(o.dtype.is_integer() || *o.dtype == DataType::Null) {
            return Err(Refusal::Types(Some("the offset is an integer")));
        }
        converted.push(o.dtype.clone());
    }
    if args.len() == 3 {
        converted.push(t.clone());
    }
    Ok(Signature { args: converted, result: t })
}

/// `ntile(n)`: an integer bucket count, as it is; a null as `UInt64`.
fn ntile(args: &[Arg<'_>]) -> Result<Signature, Refusal> {
    arity(args, 1, 1)?;
    let t = match args[0].dtype {
        DataType::Null => DataType::UInt64,
        t if t.is_integer() => t.clone(),
        _ => return Err(Refusal::Types(Some("the bucket count is an integer"))),
    };
    Ok(Signature { args: vec![t], result: DataType::UInt64 })
}

fn nth_value(args: &[Arg<'_>]) -> Result<Signature, Refusal> {
    arity(args, 2, 2)?;
    if !args[1].dtype.is_integer() {
        return Err(Refusal::Types(Some("the position is an integer")));
    }
    Ok(Signature { args: vec![args[0].dtype.clone(), args[1].dtype.clone()], result: args[0].dtype.clone() })
}

builtins! {
    WindowFunc {
        /// 1, 2, 3, … within the partition.
        ROW_NUMBER = F::window("row_number", NONE_TO_U64, "1, 2, 3, … within the partition");
        /// Rank with gaps.
        RANK = F::window("rank", NONE_TO_U64, "Rank with gaps");
        /// Rank without gaps.
        DENSE_RANK = F::window("dense_rank", NONE_TO_U64, "Rank without gaps");
        /// `(rank - 1) / (rows - 1)`.
        PERCENT_RANK = F::window("percent_rank", NONE_TO_F64, "(rank - 1) / (rows - 1)");
        /// Cumulative distribution.
        CUME_DIST = F::window("cume_dist", NONE_TO_F64, "Cumulative distribution");
        /// Bucket number 1..=n.
        NTILE = F::window("ntile", Typing::Custom(ntile), "Bucket number 1..=n").constants(&[0]);
        /// Value `offset` rows before.
        LAG = F::window("lag", Typing::Custom(offset), "The value `offset` rows before (or a default)")
            .nulls(Nulls::Introduces).ignoring_nulls().constants(&[1, 2]);
        /// Value `offset` rows after.
        LEAD = F::window("lead", Typing::Custom(offset), "The value `offset` rows after (or a default)")
            .nulls(Nulls::Introduces).ignoring_nulls().constants(&[1, 2]);
        /// First value of the frame.
        FIRST_VALUE = F::window("first_value", params(&[P::Any], R::Same(0)), "First value of the frame")
            .nulls(Nulls::Introduces).framed().ignoring_nulls();
        /// Last value of the frame.
        LAST_VALUE = F::window("last_value", params(&[P::Any], R::Same(0)), "Last value of the frame")
            .nulls(Nulls::Introduces).framed().ignoring_nulls();
        /// The n-th value of the frame.
        NTH_VALUE = F::window("nth_value", Typing::Custom(nth_value), "The n-th value of the frame (1-based)")
            .nulls(Nulls::Introduces).framed().ignoring_nulls().constants(&[1]);
        /// An aggregate evaluated over the frame.
        AGGREGATE = F::window("aggregate", Typing::Internal, "An aggregate evaluated over the window frame")
            .nulls(Nulls::Introduces).framed();
    }
}
