//! The embedded default engine: Apache DataFusion.

mod checked;
mod checked_sum;
pub mod functions;
mod join_tree;
pub mod large_literal;
pub mod literal;
mod lower;
pub mod marker;
pub mod portable;
mod provider;
mod scalar;
pub mod sql;
pub mod table_function;

pub use literal::scalar_value;
pub use lower::{Lowering, scan_name};
pub use provider::{partitioned_memtable, source_provider};
pub use scalar::ParamValues;
