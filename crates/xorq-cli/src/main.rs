//! The `xorq` command-line tool (see the library, `xorq_cli`, for what it does).

use std::process::ExitCode;

fn main() -> ExitCode {
    xorq_cli::main_with_args(std::env::args_os())
}
