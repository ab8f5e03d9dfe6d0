//! Running an expression whose data lives on several engines (SPEC §5, ARCHITECTURE "data
//! flow"): the graph is split into per-engine segments ([`crate::placement`]), each backend segment is
//! written as SQL in its engine's dialect and run there, and segments meet as Arrow streams:
//! - a backend segment under a local node enters the DataFusion plan as a streaming table;
//! - rows moved into a backend (`.into_backend`) are loaded into a temporary table of the
//!   connection that then runs the segment, batch by batch.
//!
//! Nothing is written to disk and nothing is collected whole: memory is bounded by the batches
//! in flight.

pub(crate) mod sql;

pub use sql::check_segments;
