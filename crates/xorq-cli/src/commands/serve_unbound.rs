//! `xorq serve-unbound <build>`: serve a build over Arrow Flight, with one node left open for
//! the rows each client sends (`DoExchange`), or, with nothing to leave open, its result
//! (`DoGet`).

use std::io::Write;
use std::path::PathBuf;

use xorq_build::Verification;
use xorq_serve::{ServeOptions, Served};

use super::cache as cache_cmd;
use super::run::parse_params;
use super::run_unbound::UnbindOpts;
use crate::error::{CliError, Result};

/// What `xorq serve-unbound` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeUnboundArgs {
    /// A build directory written by `xorq build`, or a catalog entry: `alias`, `alias@rN`, or an
    /// address prefix. The flight is named after it (its last path component).
    pub build: PathBuf,
    /// The address prefix of the node to leave open (as `--to-unbind-hash`; the seeds' form).
    #[arg(value_name = "HASH", conflicts_with_all = ["to_unbind_hash", "to_unbind_tag", "typ"])]
    pub node: Option<String>,
    /// Which node to leave open [default: inferred: the build's one source].
    #[command(flatten)]
    pub unbind: UnbindOpts,
    /// Host to listen on (`0.0.0.0` for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on [default: a free one, printed].
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Require `authorization: Bearer <token>` on every call, the token read from this
    /// environment variable (never from the command line, where other users could see it).
    #[arg(long, value_name = "VAR")]
    pub auth_token_env: Option<String>,
    /// Serve Prometheus metrics on this port (`/metrics`).
    #[arg(long, value_name = "PORT")]
    pub prometheus_port: Option<u16>,
    /// Bind a parameter for every call: `-p threshold=0.5` (repeatable).
    #[arg(short = 'p', long = "param", visible_alias = "params", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Cache directory, or a bucket prefix a team shares (`s3://bucket/cache`) [default: `$XORQ_CACHE_DIR`, else `~/.cache/xorq`].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The flight's name when it is not the build's (`catalog serve-unbound` of a composition
    /// keeps the entry's name).
    #[arg(skip)]
    pub flight_name: Option<String>,
    /// The catalog an alias is looked up in.
    #[command(flatten)]
    pub catalog: super::target::CatalogOpts,
}

/// Serves `args.build` until SIGINT or SIGTERM.
pub fn run(args: &ServeUnboundArgs, verbose: bool) -> Result<()> {
    let params = parse_params(&args.params)?;
    let token = match &args.auth_token_env {
        Some(var) => match std::env::var(var) {
            Ok(token) if !token.is_empty() => Some(token),
            _ => {
                return Err(CliError::Usage(format!(
                    "`--auth-token-env {var}`: the environment variable `{var}` is not set (or empty)\nhint: `export {var}=<token>` before starting the server"
                )));
            }
        },
        None => None,
    };
    let run_cache = cache_cmd::for_run(args.cache_dir.as_deref(), false, verbose)?;
    let verification = Verification::in_cache(&run_cache);
    let (build, session) = super::run::load_and_connect(&args.build, &args.catalog, &verification, run_cache)?;
    let mut unbind = args.unbind.clone();
    if let Some(node) = &args.node {
        unbind.to_unbind_hash = Some(node.clone());
    }
    let (table, _) = unbind.apply(&build.table)?;
    let name = args.flight_name.clone().unwrap_or_else(|| {
        args.build.file_name().map_or_else(|| build.metadata.address.clone(), |n| n.to_string_lossy().into_owned())
    });
    let served = Served::new(&name, table, params).map_err(|e| CliError::Usage(e.to_string()))?;
    let options = ServeOptions {
        host: args.host.clone(),
        port: args.port,
        auth_token: token,
        prometheus_port: args.prometheus_port,
        ..ServeOptions::default()
    };
    xorq_exec::blocking::block_on(async move {
        let running = xorq_serve::start(session, served.clone(), options).await?;
        print_banner(&served, &running, args.auth_token_env.as_deref());
        running.serve_until_signal().await?;
        eprintln!("stopped");
        Ok::<(), xorq_serve::ServeError>(())
    })??;
    Ok(())
}

/// Where the server listens, what it takes and gives, and how to call it, on stdout (its first
/// line is `listening on grpc://HOST:PORT`, for scripts).
fn print_banner(served: &Served, running: &xorq_serve::Running, token_env: Option<&str>) {
    let columns = |schema: &arrow::datatypes::SchemaRef| {
        schema.fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect::<Vec<_>>().join(", ")
    };
    let url = format!("grpc://{}", running.address);
    let mut text = format!("listening on {url}\n");
    text.push_str(&format!("flight `{}` (address {})\n", served.name(), &served.address()[..12]));
    match served.input() {
        Some((name, schema)) => text.push_str(&format!("input `{name}`: {}\n", columns(schema))),
        None => text.push_str("input: none (every call reads the same result)\n"),
    }
    text.push_str(&format!("output: {}\n", columns(served.output())));
    let headers = match token_env {
        Some(var) => format!(
            "\n  import os\n  options = fl.FlightCallOptions(headers=[(b\"authorization\", f\"Bearer {{os.environ['{var}']}}\".encode())])"
        ),
        None => "\n  options = fl.FlightCallOptions()".to_string(),
    };
    match served.input() {
        Some(_) => text.push_str(&format!(
            "call it from Python (pyarrow), sending a table with the input's columns:\n  import pyarrow.flight as fl\n  client = fl.connect(\"{url}\"){headers}\n  writer, reader = client.do_exchange(fl.FlightDescriptor.for_path(\"{}\"), options)\n  writer.begin(table.schema); writer.write_table(table); writer.done_writing()\n  result = reader.read_all()\n",
            served.name()
        )),
        None => text.push_str(&format!(
            "call it from Python (pyarrow):\n  import pyarrow.flight as fl\n  client = fl.connect(\"{url}\"){headers}\n  result = client.do_get(fl.Ticket(b\"{}\"), options).read_all()\n",
            served.name()
        )),
    }
    if let Some(metrics) = running.metrics_address {
        text.push_str(&format!("metrics: http://{metrics}/metrics\n"));
    }
    text.push_str("stop with Ctrl-C (or SIGTERM)\n");
    let mut out = std::io::stdout().lock();
    // A closed stdout does not stop the server.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}
