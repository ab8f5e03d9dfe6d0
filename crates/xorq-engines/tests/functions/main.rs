//! The function catalogue against DataFusion: typing of every function for every combination of
//! IR argument types (`typing.rs`), and every function DataFusion registers either supported end
//! to end with DataFusion's answers or refused by name with a reason (`catalogue.rs`).

mod catalogue;
mod common;
mod typing;
