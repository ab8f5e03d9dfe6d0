//! Engines for xorq expressions: source-schema probing and lowering of the IR to each engine.
//!
//! The embedded default engine is Apache DataFusion (feature `datafusion`, on by default): the IR
//! lowers to a DataFusion `LogicalPlan`, and DataFusion optimizes and runs it.

pub mod error;
pub mod probe;

#[cfg(feature = "datafusion")]
pub mod backend;
#[cfg(feature = "ballista")]
pub mod ballista;
#[cfg(feature = "datafusion")]
pub mod datafusion;
#[cfg(feature = "datafusion")]
pub mod dialect;
#[cfg(feature = "datafusion")]
pub mod remote;

#[cfg(feature = "datafusion")]
pub use error::datafusion_fault;
pub use error::{ArithmeticError, EngineError, Result};
