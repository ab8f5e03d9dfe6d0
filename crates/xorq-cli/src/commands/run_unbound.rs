//! `xorq run-unbound <build>`: run a build with one node left open, its rows read as Arrow IPC
//! from stdin (or `-i FILE`), streaming, so `xorq run a -o - -f arrow | xorq run-unbound b` is a
//! pipe whose memory stays bounded by a few batches.

use std::io::IsTerminal;
use std::path::PathBuf;

use xorq::datafusion::execution::SendableRecordBatchStream;
use xorq::{Table, UnbindTarget};
use xorq_build::Verification;
use xorq_exec::Inputs;
use xorq_exec::blocking::execute_stream_with_inputs_in;
use xorq_exec::ipc::{read_ipc, read_ipc_seekable};

use super::cache as cache_cmd;
use super::run::{load_and_connect, parse_params, write_result_in_batches};
use crate::error::{CliError, Result};
use crate::output::{Format, Target};

/// Which node of a build to leave open (shared by `run-unbound` and `serve-unbound`).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct UnbindOpts {
    /// Leave open the node with this address prefix (at least 4 hex digits; see `xorq lineage`
    /// or the build's `expr.yaml`) [default: inferred].
    #[arg(long, value_name = "HASH", conflicts_with = "to_unbind_tag")]
    pub to_unbind_hash: Option<String>,
    /// Leave open the node with this tag [default: inferred: the build's one source].
    #[arg(long, value_name = "TAG")]
    pub to_unbind_tag: Option<String>,
    /// When inferring, consider only nodes of this operation (`Read`, `Tag`, `Filter`, …).
    #[arg(long, value_name = "OP", conflicts_with_all = ["to_unbind_hash", "to_unbind_tag"])]
    pub typ: Option<String>,
}

impl UnbindOpts {
    /// What these flags choose.
    pub fn target(&self) -> UnbindTarget {
        match (&self.to_unbind_tag, &self.to_unbind_hash) {
            (Some(tag), _) => UnbindTarget::Tag(tag.clone()),
            (None, Some(hash)) => UnbindTarget::Hash(hash.clone()),
            (None, None) => UnbindTarget::Inferred,
        }
    }

    /// `table` with the chosen node left open, and the name of its input.
    /// A flag naming no node (or more than one) is a usage error.
    pub fn apply(&self, table: &Table) -> Result<(Table, String)> {
        table.unbind_target(&self.target(), self.typ.as_deref()).map_err(|e| match e {
            xorq::CoreError::InvalidArgument { .. } => CliError::Usage(e.to_string()),
            other => other.into(),
        })
    }
}

/// What `xorq run-unbound` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct RunUnboundArgs {
    /// A build directory written by `xorq build`, or a catalog entry: `alias`, `alias@rN`, or an
    /// address prefix.
    pub build: PathBuf,
    /// Which node to leave open.
    #[command(flatten)]
    pub unbind: UnbindOpts,
    /// Read the input's rows from this Arrow IPC file (stream or file format), or `-` for stdin
    /// [default: stdin].
    #[arg(short = 'i', long = "instream", value_name = "FILE")]
    pub instream: Option<PathBuf>,
    /// Where to write the result: a file, or `-` for stdout (the default).
    #[arg(short = 'o', long = "output", visible_alias = "output-path", value_name = "PATH")]
    pub output: Option<std::ffi::OsString>,
    /// Output format [default: from the file extension, else parquet; on stdout, `table` on a
    /// terminal and `csv` into a pipe].
    #[arg(short = 'f', long, value_enum)]
    pub format: Option<Format>,
    /// Return at most this many rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Write batches of at most this many rows (larger ones are split, without copying) [default:
    /// as the engine makes them].
    #[arg(long, value_name = "ROWS", value_parser = clap::value_parser!(u64).range(1..))]
    pub batch_size: Option<u64>,
    /// Bind a parameter: `-p threshold=0.5` (repeatable).
    #[arg(short = 'p', long = "param", visible_alias = "params", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Cache directory, or a bucket prefix a team shares (`s3://bucket/cache`) [default: `$XORQ_CACHE_DIR`, else `~/.cache/xorq`].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The catalog an alias is looked up in.
    #[command(flatten)]
    pub catalog: super::target::CatalogOpts,
}

/// Runs `args.build` with its open node bound to the Arrow IPC rows read from the input.
pub fn run(args: &RunUnboundArgs, verbose: bool) -> Result<()> {
    let target = args.output.as_deref().map_or(Target::Stdout, Target::parse);
    let format = target.format(args.format)?;
    let params = parse_params(&args.params)?;
    let run_cache = cache_cmd::for_run(args.cache_dir.as_deref(), false, verbose)?;
    let verification = Verification::in_cache(&run_cache);
    let (build, session) = load_and_connect(&args.build, &args.catalog, &verification, run_cache)?;
    let (mut table, name) = args.unbind.apply(&build.table)?;
    if let Some(n) = args.limit {
        table = table.limit(n)?;
    }
    let rows = match args.instream.as_deref() {
        None => stdin_rows()?,
        Some(path) if path.as_os_str() == "-" => stdin_rows()?,
        Some(path) => {
            let file = std::fs::File::open(path).map_err(CliError::io("open", path))?;
            read_ipc_seekable(file, &path.display().to_string())?
        }
    };
    let inputs = Inputs::new().bind(&name, rows)?;
    let started = execute_stream_with_inputs_in(&session, &table, &params, inputs);
    let rows = write_result_in_batches(started, format, &target, args.batch_size)?;
    if let Target::File(path) = &target {
        eprintln!("wrote {} to {}", xorq_exec::cache::event::rows_text(rows), path.display());
    }
    Ok(())
}

fn stdin_rows() -> Result<SendableRecordBatchStream> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(CliError::Usage(
            "`xorq run-unbound` reads Arrow IPC rows from stdin, which is a terminal\nhint: pipe them in (`xorq run <build> -o - -f arrow | xorq run-unbound …`) or give `-i FILE`".into(),
        ));
    }
    Ok(read_ipc(stdin, "stdin")?)
}
