//! `xorq completion <shell>`: a shell-completion script on stdout.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Result;

/// Prints the completion script for `shell`.
pub fn run(shell: Shell) -> Result<()> {
    clap_complete::generate(shell, &mut Cli::command(), "xorq", &mut std::io::stdout());
    Ok(())
}
