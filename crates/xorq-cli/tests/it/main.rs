//! The integration tests of this crate, as one test binary: each binary links all of
//! DataFusion (and DuckDB where enabled), so one binary per file cost a link and hundreds
//! of MB of disk each. A module per former file; `cargo test --test it <module>::` runs one.

#[path = "../common/mod.rs"]
mod common;

mod backends;
mod cache;
mod catalog;
mod catalog_compat;
mod catalog_find;
mod catalog_ops;
mod cli;
#[cfg(feature = "ballista")]
mod cluster;
mod compose;
mod diff;
mod e2e;
mod faults;
mod flags;
mod integrity;
mod lineage_formats;
mod ml;
mod pin;
mod project;
mod readme;
mod run_unbound;
mod serve;
mod sql;
mod storage;
mod tui;
mod ux;
