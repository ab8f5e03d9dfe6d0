//! Running a TPC-H query as a user would, on the Parquet data set of `files.rs`: through xorq
//! (the pipeline file, `xorq build`, `xorq run`) and through DataFusion's own SQL on the same
//! files with the same session configuration.
//!
//! Needs `queries.rs` and `files.rs` included beside it as `mod queries` and `mod files`.

// Each includer uses a part of this module.
#![allow(dead_code)]

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use xorq::build::{BuildOptions, LoadedBuild};
use xorq::{NoBackends, Params, Session, SqlOptions, Table};

use super::files::table_dir;
use super::queries::{Kind, Query};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The pipeline file of `query` over the data set at `data` (absolute paths, so the file can
/// be anywhere): its text, as a user would write it for `xorq build`.
pub fn pipeline_text(query: &Query, data: &Path) -> Res<String> {
    query.pipeline(|table| format!("read_parquet('{}')", table_dir(data, table).display()))
}

/// Writes the pipeline file of `query` as `<dir>/<name>.sql`.
pub fn write_pipeline(query: &Query, data: &Path, dir: &Path) -> Res<PathBuf> {
    fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}.sql", query.name));
    fs::write(&path, pipeline_text(query, data)?)?;
    Ok(path)
}

/// What `xorq build <file>` does with a `.sql` file: the SQL lifted by the front end, relative
/// paths resolved against the file's directory.
pub fn lift_file(file: &Path) -> Result<Table, String> {
    let text = fs::read_to_string(file).map_err(|e| format!("reading `{}`: {e}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    xorq::sql_to_table_with(&text, &NoBackends, &SqlOptions::with_base_dir(base)).map_err(|e| e.to_string())
}

/// `xorq build <file> --builds-dir <builds>` with the default options: the build's directory.
pub fn build(file: &Path, builds: &Path) -> Result<PathBuf, String> {
    let table = lift_file(file)?;
    let built = xorq::build::build(&table, builds, &BuildOptions::default()).map_err(|e| e.to_string())?;
    Ok(built.path)
}

/// The first part of `xorq run <build>`: the build read back.
pub fn load(build: &Path) -> Result<LoadedBuild, String> {
    xorq::build::load(build).map_err(|e| e.to_string())
}

/// `xorq run <build>`, the rows collected rather than written out: a new session (every core)
/// connected to the build's profiles, then the build's expression executed.
pub async fn run(build: &Path) -> Result<Vec<RecordBatch>, String> {
    let loaded = load(build)?;
    let session =
        Session::new().connect(&loaded.profiles, &xorq::backends::connectors()).await.map_err(|e| e.to_string())?;
    session.execute(&loaded.table, &Params::new()).await.map_err(|e| e.to_string())
}

/// A DataFusion context configured as xorq's [`Session::new`] configures its own: every core.
pub fn context() -> SessionContext {
    let partitions = std::thread::available_parallelism().map_or(1, usize::from);
    SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions))
}

/// Registers the tables `query` reads, each under its name, from the data set at `data`.
pub async fn register(ctx: &SessionContext, query: &Query, data: &Path) -> Res<()> {
    for table in query.tables()? {
        let dir = table_dir(data, table);
        let path = format!("{}/", dir.display());
        ctx.register_parquet(table, &path, ParquetReadOptions::default()).await?;
    }
    Ok(())
}

/// DataFusion's frame of the query's `SELECT`, after running the statements before it (Q15's
/// `CREATE VIEW`): the query's own text, statement by statement. [`finish`] runs the rest.
pub async fn frame(ctx: &SessionContext, query: &Query) -> Res<DataFrame> {
    for (kind, text) in query.statements()? {
        match kind {
            Kind::CreateView => {
                ctx.sql(&text).await?.collect().await?;
            }
            Kind::Select => return Ok(ctx.sql(&text).await?),
            Kind::DropView => {}
        }
    }
    Err(format!("{} has no SELECT", query.name).into())
}

/// Runs the statements after the query's `SELECT` (Q15's `DROP VIEW`).
pub async fn finish(ctx: &SessionContext, query: &Query) -> Res<()> {
    for (kind, text) in query.statements()? {
        if kind == Kind::DropView {
            ctx.sql(&text).await?.collect().await?;
        }
    }
    Ok(())
}

/// DataFusion's answer to `query` on the data set at `data`, as a user of DataFusion gets it:
/// a new context, the tables registered, the query's statements run.
pub async fn datafusion(query: &Query, data: &Path) -> Res<Vec<RecordBatch>> {
    let ctx = context();
    register(&ctx, query, data).await?;
    let batches = frame(&ctx, query).await?.collect().await?;
    finish(&ctx, query).await?;
    Ok(batches)
}
