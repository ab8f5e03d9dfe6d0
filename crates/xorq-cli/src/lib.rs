//! The `xorq` command-line tool, as a library so that one implementation serves both the
//! cargo-installed binary (`src/main.rs`) and the `xorq` command the Python wheel installs
//! (its console script calls [`main_with_args`] through the extension module).
//!
//! Exit codes: 0 success, 1 runtime error, 2 usage error.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

mod cli;
mod commands;
mod error;
mod output;
mod progress;
mod project;

use cli::{Cli, Command};

/// The command line as clap describes it: every command, flag and alias (for shell
/// completions, documentation, and the test that keeps the Python tool's flags working).
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// Runs the `xorq` command with `args` (the first is the program's name, as in
/// `std::env::args_os()`) and returns its exit code. `--help`, `--version` and usage errors
/// print and end the process, as a command does.
pub fn main_with_args<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    ExitCode::from(exit_status(args))
}

/// [`main_with_args`] as a number: 0 success, 1 runtime error, 2 usage error.
pub fn exit_status<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = Cli::command().get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // The ML functions (`split_hash`, `fit`, `predict_class`, …) must be known before any SQL
    // is lifted or any manifest read.
    if let Err(e) = xorq::ml::register() {
        eprintln!("error: {e}");
        return 1;
    }
    // A server stops gracefully on these signals itself (and writes no files to clean up).
    if !cli.command.serves() {
        clean_up_on_signals();
    }
    let result = match &cli.command {
        Command::Init(args) => commands::init::run(args),
        Command::Build(args) => commands::build::run(args),
        Command::Run(args) => commands::run::run(args, cli.verbose),
        Command::RunCached(args) => commands::run_cached::run(args, cli.verbose),
        Command::RunUnbound(args) => commands::run_unbound::run(args, cli.verbose),
        #[cfg(feature = "serve")]
        Command::ServeUnbound(args) => commands::serve_unbound::run(args, cli.verbose),
        Command::Union(args) => commands::compose::union(args),
        Command::Join(args) => commands::compose::join(args),
        Command::Pin(args) => commands::pin::pin(args, cli.verbose),
        Command::Unpin(args) => commands::pin::unpin(args),
        Command::Cache(args) => commands::cache::run(args),
        Command::Lineage(args) => commands::lineage::run(args),
        // Exit status as `diff`'s: 1 when the two differ.
        Command::Diff(args) => return diff_status(commands::diff::run(args), cli.verbose),
        Command::Sql(args) => commands::sql::run(args),
        Command::Catalog(args) => match &args.command {
            commands::catalog::CatalogCommand::Diff(diff) => {
                return diff_status(commands::catalog::diff(args, diff), cli.verbose);
            }
            _ => commands::catalog::run(args, cli.verbose),
        },
        #[cfg(feature = "ballista")]
        Command::Ballista(args) => commands::ballista::run(args, &matches),
        Command::Completion { shell } => commands::completion::run(*shell),
        Command::HashScheme { json } => commands::hash_scheme::run(*json),
    };
    match result {
        Ok(()) => 0,
        // `xorq run … | head` closed the pipe: the reader has what it wanted.
        Err(e) if e.is_broken_pipe() => 0,
        Err(e) => {
            error::report(&e, cli.verbose);
            e.exit_code()
        }
    }
}

/// The exit status of `diff` and `catalog diff`, as `diff`'s: 0 no logical change, 1 a change,
/// 2 trouble (any error, so a script never reads a failure as "they differ").
fn diff_status(result: error::Result<bool>, verbose: bool) -> u8 {
    match result {
        Ok(changed) => u8::from(changed),
        Err(e) if e.is_broken_pipe() => 0,
        Err(e) => {
            error::report(&e, verbose);
            2
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP, removes the temporary files and staging directories this
/// process is writing (an unfinished `-o` file, a build, a cache entry, a catalog entry; see
/// `xorq_fs::interrupt`), then ends as the signal would have. What was already published stays;
/// `git` children of the catalog end with the process.
#[cfg(unix)]
fn clean_up_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            xorq_fs::interrupt::cleanup();
            // Ends the process with the signal's default action (terminate).
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            std::process::exit(128 + signal);
        }
    });
}

#[cfg(not(unix))]
fn clean_up_on_signals() {}
