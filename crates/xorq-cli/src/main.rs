//! The `xorq` command-line tool.
//!
//! Exit codes: 0 success, 1 runtime error, 2 usage error.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod commands;
mod error;
mod output;
mod progress;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Init(args) => commands::init::run(args),
        Command::Build(args) => commands::build::run(args),
        Command::Run(args) => commands::run::run(args, cli.verbose),
        Command::RunCached(args) => commands::run_cached::run(args, cli.verbose),
        Command::Cache(args) => commands::cache::run(args),
        Command::Lineage(args) => commands::lineage::run(args),
        Command::Sql(args) => commands::sql::run(args),
        Command::Catalog(args) => commands::catalog::run(args, cli.verbose),
        Command::Completion { shell } => commands::completion::run(*shell),
        Command::HashScheme { json } => commands::hash_scheme::run(*json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `xorq run … | head` closed the pipe: the reader has what it wanted.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            error::report(&e, cli.verbose);
            ExitCode::from(e.exit_code())
        }
    }
}
