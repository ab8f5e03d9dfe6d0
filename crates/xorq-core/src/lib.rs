//! The xorq-rs expression core: a typed relational DAG whose every node knows its schema at
//! construction and is named by the hash of its logic.
//!
//! Pure by design: no engine, no I/O beyond resolving a relative path, no async. Engines lower
//! the IR (`xorq-engines`), runners execute it (`xorq-exec`).
//!
//! ```
//! use xorq_core::{col, lit, Table};
//! # use arrow_array::{RecordBatch, StringArray, Float64Array};
//! # use std::sync::Arc;
//! # let batch = RecordBatch::try_from_iter([
//! #     ("region", Arc::new(StringArray::from(vec!["EU"])) as _),
//! #     ("amount", Arc::new(Float64Array::from(vec![120.0])) as _),
//! # ]).unwrap();
//! let sales = Table::memtable(vec![batch])?;
//! let a = sales.filter(col("amount").gt(lit(100)))?;
//! let b = sales.filter(lit(100.0).lt(col("amount")))?;
//! assert_eq!(a.address(), b.address()); // same logic, same name
//! # Ok::<(), xorq_core::CoreError>(())
//! ```

#![forbid(unsafe_code)]

pub mod address;
mod canonical;
pub mod diff;
mod encode;
pub mod error;
pub mod expr;
mod fault;
pub mod lineage;
pub mod literal;
pub mod manifest;
mod memdata;
pub mod plan;
pub mod profile;
mod rename;
pub mod schema;
pub mod table;
pub mod tree;
pub mod types;
pub mod unbind;

pub use address::{Address, HASH_SCHEME, HASH_SCHEME_VERSION, KNOWN_HASH_SCHEMES, hash_scheme_version};
pub use error::{CoreError, Result};
pub use expr::*;
pub use fault::{BUG_REPORT, Fault};
pub use literal::Literal;
pub use plan::{CacheStorage, CacheStrategy, CsvOptions, FileFormat, Freshness, JoinKind, Node, RelOp, Source};
pub use schema::{Field, Schema, SchemaRef};
pub use table::{GroupBy, IntoJoinKeys, Table};
pub use types::{DataType, TimeUnit};
pub use unbind::UnbindTarget;
