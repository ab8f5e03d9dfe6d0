//! The integration tests of this crate, as one test binary: each binary links all of
//! DataFusion (and DuckDB where enabled), so one binary per file cost a link and hundreds
//! of MB of disk each. A module per former file; `cargo test --test it <module>::` runs one.

#[path = "../common/mod.rs"]
mod common;

mod catalog;
mod find;
mod sync;
