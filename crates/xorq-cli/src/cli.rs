//! The command line, as clap sees it. Commands live in their own modules; this file only
//! declares arguments.

use clap::{Parser, Subcommand};

/// `--version` text: the tool version and the hashing scheme its addresses use (a literal, since
/// clap needs a `&'static str`; a test keeps it equal to `xorq::HASH_SCHEME`).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (hash scheme ", "xorq-rs-blake3-v1", ")");

/// Deferred data pipelines named by the hash of their logic.
#[derive(Debug, Parser)]
#[command(name = "xorq", version = VERSION, about, arg_required_else_help = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show how xorq-rs names computations: the hashing scheme and its version.
    HashScheme {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_names_the_library_hash_scheme() {
        assert!(super::VERSION.contains(xorq::HASH_SCHEME));
    }
}
