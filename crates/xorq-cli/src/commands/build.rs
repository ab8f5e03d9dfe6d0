//! `xorq build <file>`: an expression file to a build directory.

use std::fs;
use std::path::{Path, PathBuf};

use xorq::Table;
use xorq::profile::Profile;
use xorq_build::BuildOptions;
use xorq_engines::EngineError;
use xorq_engines::datafusion::sql::{SqlOptions, sql_to_table_with};

use crate::error::{CliError, Result};
use crate::progress::Progress;
use crate::project::Project;
use crate::project::tables::ProjectTables;

/// What `xorq build` was asked.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The pipeline: a `.sql` file holding one SELECT, or a Python script (`.py`) that binds an
    /// xorq_rs expression to a name.
    pub file: PathBuf,
    /// Name of the expression in a Python script [default: expr]. The script runs under
    /// `$XORQ_PYTHON`, else `python3` (the `xorq` command of the Python package sets it).
    #[arg(short = 'e', long = "expr-name", value_name = "NAME")]
    pub expr_name: Option<String>,
    /// Directory the build is written under [default: the project file's `builds_dir`, else
    /// `builds`].
    #[arg(long, value_name = "DIR")]
    pub builds_dir: Option<PathBuf>,
    /// Also write `deferred_reads.yaml` and the SQL each engine runs.
    #[arg(long)]
    pub debug: bool,
    /// Bundle local file reads into the build, named by their content (the default; the
    /// Python tool's spelling, for scripts that pass it).
    #[arg(long, overrides_with = "no_relocate_reads")]
    pub relocate_reads: bool,
    /// Keep local file reads as references to their paths instead of bundling copies (inside a
    /// project, by their path in the project).
    #[arg(long, overrides_with = "relocate_reads")]
    pub no_relocate_reads: bool,
    /// Also snapshot reads of objects on remote storage (`s3://`, `gs://`, `az://`, `https://`)
    /// into the build, named by the hash of their bytes: the build then reads that snapshot
    /// wherever it runs. By default remote reads stay references to their URLs.
    #[arg(long)]
    pub bundle_remote: bool,
    /// Cache directory where bundled files are remembered as verified [default:
    /// `$XORQ_CACHE_DIR`, else the project file's `cache_dir`, else `~/.cache/xorq`].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Also write the build path to this file (for scripts whose stdout is noisy).
    #[arg(long, value_name = "PATH")]
    pub emit_build_path_to: Option<PathBuf>,
    /// Print a JSON object (path, address, schema) instead of the path.
    #[arg(long)]
    pub json: bool,
}

/// Builds the expression in `args.file`.
pub fn run(args: &BuildArgs) -> Result<()> {
    let project = Project::of_file(&args.file)?;
    // A Python script's expression may live in a scratch build until it is built again here.
    let expression = read_expression(&args.file, args.expr_name.as_deref(), project.as_ref())?;
    let builds_dir = match (&args.builds_dir, project.as_ref().and_then(|p| p.builds_dir.as_ref())) {
        (Some(dir), _) => dir.clone(),
        // Shown relative to the current directory when it is below it (`builds/28ecab08754e`).
        (None, Some(dir)) => std::env::current_dir()
            .ok()
            .and_then(|cwd| dir.strip_prefix(&cwd).ok().map(Path::to_path_buf))
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| dir.clone()),
        (None, None) => PathBuf::from("builds"),
    };
    let progress = Progress::start("building");
    let options = options(&expression, project.as_ref(), &args.reads(), args.cache_dir.as_deref())?.debug(args.debug);
    let built = xorq_build::build(&expression.table, &builds_dir, &options);
    progress.finish();
    // The scratch data of a Python script is needed no longer.
    drop(expression.scratch);
    let built = built?;
    let shown = builds_dir.join(built.address.short());
    if let Some(file) = &args.emit_build_path_to {
        crate::output::write_text(&format!("{}\n", shown.display()), &crate::output::Target::File(file.clone()))?;
    }
    if args.json {
        let value = serde_json::json!({
            "path": shown,
            "address": built.address.hex(),
            "computation_address": built.computation_address.hex(),
            "reused": built.reused,
            "schema": xorq_build::metadata::columns(&built.schema),
        });
        println!("{value}");
    } else {
        println!("{}", shown.display());
    }
    Ok(())
}

/// How a pipeline's reads are named in its build (`xorq build`'s flags).
#[derive(Clone, Copy, Debug, Default)]
pub struct Reads {
    /// `--no-relocate-reads`: local files stay references.
    pub no_relocate: bool,
    /// `--bundle-remote`: remote objects are snapshotted too.
    pub bundle_remote: bool,
}

impl BuildArgs {
    fn reads(&self) -> Reads {
        Reads { no_relocate: self.no_relocate_reads, bundle_remote: self.bundle_remote }
    }
}

/// The options `xorq build` builds `expression` with: its reads named as `reads` says, its
/// profiles, its project's root, bundled files remembered as verified in the cache of
/// `cache_dir` (else the default).
pub fn options(
    expression: &Expression,
    project: Option<&Project>,
    reads: &Reads,
    cache_dir: Option<&Path>,
) -> Result<BuildOptions> {
    let cache = super::cache::for_run(cache_dir, false, false)?;
    let mut options = BuildOptions::default()
        .relocate_reads(!reads.no_relocate)
        .bundle_remote(reads.bundle_remote)
        .verification(xorq_build::Verification::in_cache(&cache));
    for profile in &expression.profiles {
        options = options.profile(profile.clone());
    }
    if let Some(project) = project {
        options = options.project_root(&project.root);
    }
    Ok(options)
}

/// The expression the pipeline `file` would be built as, without writing a build (its reads
/// hashed and named as `xorq build` names them): what `xorq catalog find` looks for.
pub fn prepare(file: &Path, expr_name: Option<&str>, reads: &Reads, cache_dir: Option<&Path>) -> Result<Table> {
    let project = Project::of_file(file)?;
    let expression = read_expression(file, expr_name, project.as_ref())?;
    let options = options(&expression, project.as_ref(), reads, cache_dir)?;
    // A Python script's scratch data is read here, so `expression` lives until this returns.
    Ok(xorq_build::prepare(&expression.table, &options)?)
}

/// What a pipeline file defines.
pub struct Expression {
    /// The expression.
    pub table: Table,
    /// The backend profiles its tables may name (a build records those it uses).
    pub profiles: Vec<Profile>,
    /// For a Python script, the scratch directory holding its data: keep it until the
    /// expression is built.
    pub scratch: Option<tempfile::TempDir>,
}

/// The expression a pipeline file defines. A SQL file reads `<profile>.<schema>.<table>` from
/// the profiles of `project`.
pub fn read_expression(file: &Path, expr_name: Option<&str>, project: Option<&Project>) -> Result<Expression> {
    let extension = file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("sql") => {
            if let Some(name) = expr_name {
                return Err(CliError::Usage(format!(
                    "`-e {name}` picks a variable of a Python script; a SQL file holds exactly one expression"
                )));
            }
            let text = fs::read_to_string(file).map_err(CliError::io("read", file))?;
            let base_dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let options = SqlOptions { base_dir: Some(base_dir.to_path_buf()) };
            let tables = ProjectTables::new(project);
            let table = sql_to_table_with(&text, &tables, &options).map_err(|e| in_file(file, e))?;
            let profiles = project.map(|p| p.profiles.clone()).unwrap_or_default();
            Ok(Expression { table, profiles, scratch: None })
        }
        Some("py") => {
            let name = expr_name.unwrap_or(super::python_script::DEFAULT_EXPR_NAME);
            let (table, profiles, scratch) = super::python_script::read_python_expression(file, name)?;
            Ok(Expression { table, profiles, scratch: Some(scratch) })
        }
        _ => Err(CliError::Usage(format!(
            "`{}` is not a pipeline file; `xorq build` reads `.sql` files (one SELECT) and Python scripts (`.py`)",
            file.display()
        ))),
    }
}

/// Puts the file name in front of a SQL error's position (`pipeline.sql:3:14: …`).
fn in_file(file: &Path, e: EngineError) -> CliError {
    match e {
        EngineError::Sql { message, line, column } => CliError::Sql { file: file.to_path_buf(), line, column, message },
        other => CliError::Engine(other),
    }
}
