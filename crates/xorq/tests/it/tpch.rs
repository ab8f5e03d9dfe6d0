//! The TPC-H harness shared with the benches (`crates/xorq/tpch/`), declared once for the
//! answer and plan tests.

#[path = "../../tpch/compare.rs"]
pub mod compare;
#[path = "../../tpch/data.rs"]
pub mod data;
#[path = "../../tpch/engines.rs"]
pub mod engines;
#[path = "../../tpch/files.rs"]
pub mod files;
#[path = "../../tpch/ledger.rs"]
pub mod ledger;
#[path = "../../tpch/plan_shape.rs"]
pub mod plan_shape;
#[path = "../../tpch/queries.rs"]
pub mod queries;
