//! `xorq ballista scheduler|executor`: Apache DataFusion Ballista's own scheduler and executor,
//! started from its library entry points with its own flags, plus xorq's functions and storage
//! (see `xorq_engines::ballista::process`).
//!
//! Ports a user leaves out are free ones, the executor's gRPC and health ports included, so two
//! executors start on one host with only `--bind-port` each (or nothing). The scheduler keeps
//! Ballista's default port (50050, what clients assume) unless `--bind-port` says otherwise; `0`
//! takes a free one. Each prints one line when it is ready, with the address to give others.

use clap::FromArgMatches;
use clap::parser::ValueSource;
use xorq_engines::ballista::process::{ExecutorFlags, SchedulerFlags, run_executor, run_scheduler};

use xorq_engines::EngineError;

use crate::error::{CliError, Result};

/// What `xorq ballista` was asked.
#[derive(Debug, clap::Args)]
pub struct BallistaArgs {
    /// Which process to start.
    #[command(subcommand)]
    pub command: BallistaCommand,
}

/// The processes of a cluster.
#[derive(Debug, clap::Subcommand)]
pub enum BallistaCommand {
    /// Start a scheduler: clients send it plans, it splits them into stages for the executors.
    #[command(
        after_help = "Examples:\n  xorq ballista scheduler\n  xorq ballista scheduler --bind-host 0.0.0.0 --bind-port 50050\n\n`--bind-port 0` takes a free port; the line printed when it is ready gives the address.\nA profile reaches it as `kind: ballista` with `url: df://<host>:<port>`; `xorq run <build> --on <profile>`\nruns a build's embedded-engine part there. Ballista's own `ballista-scheduler` binary and container\nspeak the same protocol; this one also knows xorq's functions."
    )]
    Scheduler(Box<SchedulerFlags>),
    /// Start an executor: it registers with a scheduler and runs the tasks it is given.
    #[command(
        after_help = "Examples:\n  xorq ballista executor --scheduler-host 127.0.0.1 --scheduler-port 50050\n  xorq ballista executor --bind-port 50061 & xorq ballista executor --bind-port 50071\n\nPorts not given (--bind-port, --bind-grpc-port, --bind-health-port) are free ones. Executors\nstarted here run xorq's functions (checked arithmetic, ML); against Ballista's stock executors,\noperations that call them stay on the client."
    )]
    Executor(Box<ExecutorFlags>),
}

/// Runs the process `args` names until it is stopped; `matches` (the whole command line's) tells
/// which flags the user gave.
pub fn run(args: &BallistaArgs, matches: &clap::ArgMatches) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Ballista's own binaries run with deep stacks: plans are decoded recursively.
        .thread_stack_size(32 * 1024 * 1024)
        .build()
        .map_err(|e| process_error(&args.command, format!("cannot start the async runtime: {e}")))?;
    // The flags are taken again from the parsed command line: Ballista's flag types are not
    // `Clone`, and these are owned by the process they configure.
    let sub = matches.subcommand_matches("ballista").and_then(|m| m.subcommand()).map(|(_, m)| m);
    let sub = sub.ok_or_else(|| process_error(&args.command, "the command line lost its subcommand".into()))?;
    let parsed = |e: clap::Error| process_error(&args.command, e.to_string());
    match &args.command {
        BallistaCommand::Scheduler(_) => {
            let flags = SchedulerFlags::from_arg_matches(sub).map_err(parsed)?;
            init_logging(&flags.log_level_setting);
            let host = flags.bind_host.clone();
            runtime.block_on(run_scheduler(flags, |address| {
                println!(
                    "ballista scheduler listening on {address} (clients: url df://{}:{}); xorq functions: yes",
                    advertised(&host),
                    address.port()
                );
            }))?;
        }
        BallistaCommand::Executor(_) => {
            let mut flags = ExecutorFlags::from_arg_matches(sub).map_err(parsed)?;
            init_logging(&flags.log_level_setting);
            let given = |id: &str| sub.value_source(id).is_some_and(|s| s != ValueSource::DefaultValue);
            if !given("bind_port") {
                flags.bind_port = free_port(&flags.bind_host)?;
            }
            if !given("bind_grpc_port") {
                flags.bind_grpc_port = free_port(&flags.bind_host)?;
            }
            if !given("bind_health_port") {
                flags.bind_health_port = free_port(&flags.bind_host)?;
            }
            println!(
                "ballista executor starting: flight port {}, grpc port {}, health port {}; scheduler {}:{}; xorq functions: yes",
                flags.bind_port,
                flags.bind_grpc_port,
                flags.bind_health_port,
                flags.scheduler_host,
                flags.scheduler_port
            );
            runtime.block_on(run_executor(flags))?;
        }
    }
    Ok(())
}

/// The host others reach a server on that binds `host`.
fn advertised(host: &str) -> &str {
    match host {
        "0.0.0.0" | "::" | "[::]" => "<this host>",
        other => other,
    }
}

/// A port free on `host` now (the OS picks it; the process binds it right after).
fn free_port(host: &str) -> Result<u16> {
    let no_port = |e: std::io::Error| EngineError::ClusterProcess {
        role: "executor".into(),
        message: format!("cannot find a free port on {host}: {e}"),
    };
    let listener = std::net::TcpListener::bind((host, 0)).map_err(no_port)?;
    Ok(listener.local_addr().map_err(no_port)?.port())
}

fn process_error(command: &BallistaCommand, message: String) -> CliError {
    let role = match command {
        BallistaCommand::Scheduler(_) => "scheduler",
        BallistaCommand::Executor(_) => "executor",
    };
    EngineError::ClusterProcess { role: role.into(), message }.into()
}

/// Ballista's log lines on stdout, filtered by `$RUST_LOG`, else the process's
/// `--log-level-setting`.
fn init_logging(default: &str) {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| default.to_string());
    let _ = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .try_init();
}
