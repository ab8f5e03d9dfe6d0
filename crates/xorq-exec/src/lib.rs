//! Runs xorq expressions: binds parameters, lowers the graph for the engine and streams Arrow
//! record batches back.

pub mod blocking;
pub mod cache;
pub mod error;
pub mod explain;
pub mod inputs;
pub mod ipc;
pub mod params;
pub mod pin;
mod placement;
mod run;
mod segment;
pub mod session;

pub use cache::Cache;
pub use error::{ExecError, Result};
pub use explain::{RunPlan, Stage};
pub use inputs::Inputs;
pub use params::Params;
pub use segment::check_segments;
pub use session::{LOCAL_PROFILE, Session};
