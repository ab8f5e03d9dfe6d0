//! The `xorq` command-line tool.
//!
//! Exit codes: 0 success, 1 runtime error, 2 usage error (clap's own).

use std::process::ExitCode;

use clap::Parser;

mod cli;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::HashScheme { json }) => {
            if json {
                let value = serde_json::json!({
                    "hash_scheme": xorq::HASH_SCHEME,
                    "version": xorq::HASH_SCHEME_VERSION,
                    "display_length": xorq::address::SHORT_LEN,
                });
                println!("{value}");
            } else {
                println!("{} (version {})", xorq::HASH_SCHEME, xorq::HASH_SCHEME_VERSION);
            }
            ExitCode::SUCCESS
        }
        None => ExitCode::from(2),
    }
}
