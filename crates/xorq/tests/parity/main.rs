//! Results on DataFusion equal what DataFusion gives for the same query written directly with its
//! DataFrame API, for every relational operation and function family; and the IR's types agree
//! with DataFusion's (no column needed a cast to conform).

mod coercion;
#[path = "../common/mod.rs"]
mod common;
mod fixture;
mod functions;
mod overflow;
mod relational;
mod sql;
