//! `xorq run <build>`: execute a build and stream its result out.

use std::path::PathBuf;

use xorq::{CacheStrategy, Params, Session};
use xorq_build::Verification;
use xorq_exec::blocking::execute_stream_in;

use super::cache as cache_cmd;
use crate::error::{CliError, Result};
use crate::output::{self, Format, Target};
use crate::progress::Progress;

/// What `xorq run` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct RunArgs {
    /// A build directory written by `xorq build`, or a catalog entry: `alias`, `alias@rN`, or an
    /// address prefix.
    pub build: PathBuf,
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
    /// Bind a parameter: `-p threshold=0.5` (repeatable).
    #[arg(short = 'p', long = "param", visible_alias = "params", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Print a JSON summary (output, format, rows) on stdout; needs `-o PATH`.
    #[arg(long)]
    pub json: bool,
    /// Cache directory, or a bucket prefix a team shares (`s3://bucket/cache`) [default: `$XORQ_CACHE_DIR`, else the project file's `cache_dir`, else
    /// `~/.cache/xorq`].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compute cache nodes instead of looking them up (nothing is read from or written to the
    /// cache).
    #[arg(long)]
    pub no_cache: bool,
    /// Print what the run would do instead of running it: what each cache node will do (hit,
    /// miss and why), each stage with the engine it runs on and the SQL it sends. Takes every
    /// other flag as the run would; writes nothing. With `--json`, as one JSON object.
    #[arg(long)]
    pub explain: bool,
    /// Run the build's embedded-engine part on a cluster: a `kind: ballista` profile of the
    /// project file (`xorq.yaml`). What its executors can read and compute runs there, the rest
    /// here; the address and cache keys do not change (the engine is not logic).
    #[arg(long, value_name = "PROFILE")]
    pub on: Option<String>,
    /// The catalog an alias is looked up in.
    #[command(flatten)]
    pub catalog: super::target::CatalogOpts,
}

/// Runs the build in `args.build`; with `verbose`, says for each cache node whether it hit and
/// why it missed.
pub fn run(args: &RunArgs, verbose: bool) -> Result<()> {
    run_with(args, verbose, None)
}

/// Runs the build in `args.build`, with the whole expression cached with `cache` if given
/// (`xorq run-cached`).
pub fn run_with(args: &RunArgs, verbose: bool, cache: Option<CacheStrategy>) -> Result<()> {
    if args.explain {
        return super::explain::run(args, cache);
    }
    let target = args.output.as_deref().map_or(Target::Stdout, Target::parse);
    if args.json && target == Target::Stdout {
        return Err(CliError::Usage(
            "`--json` prints a summary on stdout, so the data needs a file: add `-o PATH`".into(),
        ));
    }
    let format = target.format(args.format)?;
    let params = parse_params(&args.params)?;
    let run_cache = cache_cmd::for_run(args.cache_dir.as_deref(), args.no_cache, verbose)?;
    let verification = Verification::in_cache(&run_cache);
    let (build, table, session) = prepare(args, cache, &verification, run_cache)?;
    let rows = write_result(execute_stream_in(&session, &table, &params), format, &target)?;
    if let Target::File(path) = &target {
        if args.json {
            let value = serde_json::json!({
                "build": build.path,
                "address": build.metadata.address,
                "output": path,
                "format": format.name(),
                "rows": rows,
            });
            println!("{value}");
        } else {
            eprintln!("wrote {} to {}", xorq_exec::cache::event::rows_text(rows), path.display());
        }
    }
    Ok(())
}

/// The build `args` names (verified as `verification` says), the expression a run of it runs
/// (`--limit`, and the whole result cached with `cache` for `run-cached`), and a session with
/// `run_cache` and every profile of the build connected as it resolves now (`${ENV}`
/// references read at run time). Shared by a run and its `--explain`.
pub(crate) fn prepare(
    args: &RunArgs,
    cache: Option<CacheStrategy>,
    verification: &Verification,
    run_cache: xorq_exec::Cache,
) -> Result<(xorq_build::LoadedBuild, xorq::Table, Session)> {
    let (build, session) = load_and_connect(&args.build, &args.catalog, verification, run_cache)?;
    let session = match &args.on {
        Some(profile) => on_cluster(session, profile)?,
        None => session,
    };
    let mut table = build.table.clone();
    if let Some(strategy) = cache {
        table = table.cache(strategy)?;
    }
    if let Some(n) = args.limit {
        table = table.limit(n)?;
    }
    Ok((build, table, session))
}

/// The build `arg` names (verified as `verification` says), and a session with `run_cache` and
/// every profile the build's run uses connected as it resolves now: what every command that runs a
/// build starts with (`run`, `run-unbound`, `serve-unbound`).
pub(crate) fn load_and_connect(
    arg: &std::path::Path,
    catalog: &super::target::CatalogOpts,
    verification: &Verification,
    run_cache: xorq_exec::Cache,
) -> Result<(xorq_build::LoadedBuild, Session)> {
    let build = super::target::load_verified(arg, catalog, verification)?;
    let session = connect_used(Session::new().with_cache(run_cache), &build)?;
    Ok((build, session))
}

/// `session` with the cluster profile `name` of the project file connected, running the
/// embedded engine's part (`--on`).
pub(crate) fn on_cluster(session: Session, name: &str) -> Result<Session> {
    let project = crate::project::Project::current()?;
    let profile = project.as_ref().and_then(|p| p.profile(name).map(|profile| p.resolve_paths(profile)));
    let Some(profile) = profile else {
        let known: Vec<&str> =
            project.as_ref().map(|p| p.profiles.iter().map(|p| p.name()).collect()).unwrap_or_default();
        return Err(CliError::Usage(match &project {
            Some(p) => format!(
                "`--on {name}`: the project file {} has no profile `{name}` (it has: {})\nhint: add one, e.g.\n  profiles:\n    {name}:\n      kind: ballista\n      url: df://127.0.0.1:50050",
                p.file().display(),
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ),
            None => format!(
                "`--on {name}` names a profile of the project file, but there is no `xorq.yaml` here or above\nhint: create one with `xorq init`, or add `profiles: {{{name}: {{kind: ballista, url: df://host:50050}}}}` to an `xorq.yaml`"
            ),
        }));
    };
    if profile.kind() != "ballista" {
        return Err(CliError::Usage(format!(
            "`--on {name}`: profile `{name}` is a `{}` profile, not a cluster\nhint: `--on` takes a profile of kind `ballista` (its `url` is the scheduler's `df://host:port`); a build reaches other engines through the profiles it names",
            profile.kind()
        )));
    }
    let session = xorq_exec::blocking::connect(session, &[profile], &xorq::backends::connectors())?;
    Ok(session.on_cluster(name)?)
}

/// `session` with the profiles of `build` that its run reaches connected. Only what runs is
/// connected: a pinned build reads its frozen results, not the databases they came from.
pub(crate) fn connect_used(session: Session, build: &xorq_build::LoadedBuild) -> Result<Session> {
    let runs = xorq::plan::pin::frozen_reads(build.table.node())?;
    let used = xorq::plan::walk::profiles_used(&runs);
    let profiles: Vec<_> = build.profiles.iter().filter(|p| used.contains(p.name())).cloned().collect();
    // A relative database path is relative to the project the build belongs to.
    let profiles = crate::project::profiles_for_run(&profiles, Some(&build.path))?;
    Ok(xorq_exec::blocking::connect(session, &profiles, &xorq::backends::connectors())?)
}

/// Writes the batches of a started run to `target` as `format`, with a progress line on a
/// terminal; the number of rows written.
pub(crate) fn write_result(
    started: xorq_exec::Result<xorq_exec::blocking::BatchIter>,
    format: Format,
    target: &Target,
) -> Result<u64> {
    write_result_in_batches(started, format, target, None)
}

/// [`write_result`] with batches of at most `batch_size` rows (larger ones are sliced, which
/// copies nothing).
pub(crate) fn write_result_in_batches(
    started: xorq_exec::Result<xorq_exec::blocking::BatchIter>,
    format: Format,
    target: &Target,
    batch_size: Option<u64>,
) -> Result<u64> {
    let mut progress = Progress::start("running");
    let limit = batch_size.map(|n| usize::try_from(n).unwrap_or(usize::MAX).max(1));
    let written = started.map_err(CliError::from).and_then(|stream| {
        let schema = stream.schema();
        let batches = stream.flat_map(move |b| match (b, limit) {
            (Ok(batch), Some(n)) if batch.num_rows() > n => (0..batch.num_rows())
                .step_by(n)
                .map(|offset| Ok(batch.slice(offset, n.min(batch.num_rows() - offset))))
                .collect::<Vec<_>>(),
            (other, _) => vec![other.map_err(CliError::from)],
        });
        output::write(batches, schema, format, target, |n| progress.rows(n))
    });
    progress.finish();
    written
}

/// `name=value` pairs to parameters; the values are converted to each parameter's type when the
/// expression is bound, which names unknown parameters and values of the wrong type. A name
/// given twice is refused (which value was meant cannot be guessed).
pub(crate) fn parse_params(pairs: &[String]) -> Result<Params> {
    let mut params = Params::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for pair in pairs {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(CliError::Usage(format!(
                "`-p {pair}` needs the form NAME=VALUE, for example `-p threshold=100`"
            )));
        };
        let name = name.trim();
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            return Err(CliError::Usage(format!(
                "parameter `{name}` is given twice (`-p {name}={first}` and `-p {name}={value}`); give each parameter once"
            )));
        }
        seen.push((name, value));
        params = params.set_text(name, value);
    }
    Ok(params)
}
