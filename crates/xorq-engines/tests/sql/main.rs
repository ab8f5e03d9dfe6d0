//! The SQL front end: queries lift to the same IR (and address) as the builder, aliases and
//! formatting do not change the address, and what the IR cannot express is reported with its
//! line and column.

mod cache;
mod errors;
mod fixture;
mod invariance;
mod lift;
