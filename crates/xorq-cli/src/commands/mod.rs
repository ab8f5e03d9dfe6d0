//! One module per command: each parses nothing itself, calls library code, prints.

#[cfg(feature = "ballista")]
pub mod ballista;
pub mod build;
pub mod cache;
mod cache_nodes;
pub mod catalog;
pub mod completion;
pub mod compose;
pub mod diff;
pub mod explain;
pub mod hash_scheme;
pub mod init;
pub mod lineage;
pub mod pin;
pub mod python_script;
pub mod run;
pub mod run_cached;
pub mod run_unbound;
#[cfg(feature = "serve")]
pub mod serve_unbound;
pub mod sql;
pub mod target;
