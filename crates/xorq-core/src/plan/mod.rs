//! The relational side of the IR: sources, nodes and their addresses.

pub mod address;
pub mod cache;
pub mod display;
pub(crate) mod join;
pub mod node;
pub mod pin;
pub mod rewrite;
pub mod source;
pub mod walk;

pub use address::AddressMode;
pub use cache::{CacheStorage, CacheStrategy, Freshness};
pub use node::{
    Aggregate, Cache, Distinct, Filter, IntoBackend, Join, JoinKind, JoinOutput, Limit, NamedExpr, Node, Project,
    RelOp, SetOp, SetOpKind, Sort, TableFunction, Tag,
};
pub use source::{
    CsvOptions, FileFormat, FileSource, InputSource, Memtable, Source, SourceIdentity, SourceKind, TableSource,
    bundled_location, check_input_name, display_name, is_url, normalize_reference,
};
