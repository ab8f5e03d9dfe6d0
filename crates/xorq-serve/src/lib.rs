//! Serving xorq expressions over Arrow Flight (`xorq serve-unbound`).
//!
//! A [`Served`] expression has at most one unbound input. A client sends rows for it with
//! `DoExchange` and reads the result back, both streaming; an expression with nothing unbound is
//! read with `DoGet`. `ListFlights`, `GetFlightInfo` and `GetSchema` describe it (name, address,
//! input and output schemas), so a generic client can discover and call it; `DoAction` answers
//! `health` and `describe` with JSON, and `grpc.health.v1` is served beside it. Every call may be
//! required to carry a bearer token, and [`metrics`] counts calls, rows and latency.
//!
//! ```no_run
//! use xorq_core::{col, lit, DataType, Field, Schema, Table};
//! use xorq_exec::{Params, Session};
//! use xorq_serve::{ServeOptions, Served, start};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let schema = Schema::new(vec![Field::new("amount", DataType::Float64, true)])?;
//! let scored = Table::input("rows", schema)?.filter(col("amount").gt(lit(100.0)))?;
//! let served = Served::new("large", scored, Params::new())?;
//! let running = start(Session::new(), served, ServeOptions::default()).await?;
//! println!("grpc://{}", running.address);
//! running.serve_until_signal().await?;
//! # Ok(())
//! # }
//! ```

mod error;
pub mod metrics;
mod server;
mod service;

pub use error::{Result, ServeError};
pub use server::{Running, ServeOptions, start};
pub use service::{ACTIONS, Served, XorqFlightService};
