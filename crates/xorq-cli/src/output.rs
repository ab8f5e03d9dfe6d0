//! Writing a stream of record batches in the format asked for, batch by batch, to stdout or to
//! a file that appears only once it is complete.

use std::fs;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use clap::ValueEnum;
use xorq_exec::cache::event::rows_text;

use crate::error::{CliError, Result};

/// Output formats of `xorq run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Apache Parquet (the default for files).
    Parquet,
    /// Comma-separated values with a header (the default when piping).
    Csv,
    /// Newline-delimited JSON, one object per row.
    Json,
    /// Arrow IPC stream.
    Arrow,
    /// An aligned table for reading (the default on a terminal).
    Table,
}

impl Format {
    /// Name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Arrow => "arrow",
            Format::Table => "table",
        }
    }

    /// The format a file name implies.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Some(Format::Parquet),
            "csv" => Some(Format::Csv),
            "json" | "ndjson" | "jsonl" => Some(Format::Json),
            "arrow" | "arrows" | "ipc" => Some(Format::Arrow),
            "txt" => Some(Format::Table),
            _ => None,
        }
    }

    fn is_binary(self) -> bool {
        matches!(self, Format::Parquet | Format::Arrow)
    }
}

/// Where output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Standard output.
    Stdout,
    /// A file, written atomically.
    File(PathBuf),
}

impl Target {
    /// `-` is stdout; anything else a file (its name need not be UTF-8).
    pub fn parse(text: &std::ffi::OsStr) -> Target {
        if text == "-" { Target::Stdout } else { Target::File(PathBuf::from(text)) }
    }

    /// The format to write: `given`, else from the file's extension (a path without one, or a
    /// file that is not a regular one such as `/dev/null`, gets parquet); for stdout, a table on
    /// a terminal and CSV into a pipe. An extension no format has is a usage error rather than
    /// a guess: `out.xlsx` would otherwise be a Parquet file with a misleading name.
    pub fn format(&self, given: Option<Format>) -> crate::error::Result<Format> {
        if let Some(format) = given {
            return Ok(format);
        }
        Ok(match self {
            Target::File(path) => match (Format::from_path(path), path.extension()) {
                (Some(format), _) => format,
                (None, Some(ext)) if std::fs::metadata(path).map_or(true, |m| m.is_file()) => {
                    return Err(crate::error::CliError::Usage(format!(
                        "`{}`: xorq writes no format with the extension `.{}`; name the file `.parquet`, `.csv`, `.json` (NDJSON), `.arrow` or `.txt`, or give the format with `-f`",
                        path.display(),
                        ext.to_string_lossy()
                    )));
                }
                (None, _) => Format::Parquet,
            },
            Target::Stdout if io::stdout().is_terminal() => Format::Table,
            Target::Stdout => Format::Csv,
        })
    }
}

/// How many rows `-f table` shows when no `--limit` is given.
pub const TABLE_PREVIEW_ROWS: usize = 50;

/// Writes every batch of `batches` to `target` as `format`; returns the number of rows written
/// (for `table`, the rows in the result, of which at most the preview is shown). A file target
/// is written to a temporary file beside it and renamed into place only when complete.
pub fn write(
    batches: impl Iterator<Item = Result<RecordBatch>>,
    schema: SchemaRef,
    format: Format,
    target: &Target,
    mut on_rows: impl FnMut(u64),
) -> Result<u64> {
    let mut counted = batches.inspect(|b| {
        if let Ok(b) = b {
            on_rows(b.num_rows() as u64);
        }
    });
    match target {
        Target::Stdout => {
            if format.is_binary() && io::stdout().is_terminal() {
                return Err(CliError::Usage(format!(
                    "{} is binary and stdout is a terminal; write it to a file with `-o result.{}`, or pipe it",
                    format.name(),
                    format.name()
                )));
            }
            let out = BufWriter::new(io::stdout());
            encode(&mut counted, schema, format, out)
        }
        Target::File(path) => atomically(path, |out| encode(&mut counted, schema, format, out)),
    }
}

/// Writes `text` to `target`: stdout, or a file written atomically.
pub fn write_text(text: &str, target: &Target) -> Result<()> {
    match target {
        Target::Stdout => {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(CliError::io("write", "stdout"))
        }
        Target::File(path) => atomically(path, |mut out| {
            out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(CliError::io("write", path))
        }),
    }
}

/// Prefix of the temporary files `-o` writes beside their target.
pub const OUTPUT_PREFIX: &str = ".xorq-output-";

/// Fills `path` through `fill` writing to a temporary file beside it, which is synced and
/// renamed into place only when `fill` succeeds: a reader never sees a partial file, and a
/// failure leaves the previous file (if any) as it was. A file replaced keeps its permissions.
/// The temporary files of writers that were killed are removed first (`xorq_fs::sweep`), and
/// an interrupted writer removes its own (see `main`).
///
/// A path that is not a regular file (`/dev/null`, `/dev/stdout`, a named pipe) is written in
/// place: renaming over it would replace the device or pipe with a file. A symbolic link is
/// followed, so the file it points to is replaced and the link is kept.
pub fn atomically<T>(path: &Path, fill: impl FnOnce(BufWriter<fs::File>) -> Result<T>) -> Result<T> {
    // `metadata` follows links, so `/dev/stdout` (a link to this process's fd 1) is seen as the
    // pipe or terminal it is.
    if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let file = fs::OpenOptions::new().write(true).open(path).map_err(CliError::io("open", path))?;
        return fill(BufWriter::new(file));
    }
    let resolved = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).ok(),
        _ => None,
    };
    let path = resolved.as_deref().unwrap_or(path);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "cannot write `{}`: the directory `{}` does not exist; create it first or choose another path",
            path.display(),
            dir.display()
        )));
    }
    xorq_fs::sweep(&dir, OUTPUT_PREFIX);
    let temp = xorq_fs::AtomicFile::with_prefix(path, OUTPUT_PREFIX)?;
    let file = temp.file().try_clone().map_err(CliError::io("open", temp.path()))?;
    let value = fill(BufWriter::new(file))?;
    temp.commit()?;
    Ok(value)
}

fn output_error(format: Format) -> impl Fn(arrow::error::ArrowError) -> CliError {
    move |e| match e {
        arrow::error::ArrowError::IoError(_, source) => CliError::Io { action: "write", path: "output".into(), source },
        other => CliError::Output { format: format.name(), message: other.to_string() },
    }
}

fn encode<W: Write + Send>(
    batches: &mut dyn Iterator<Item = Result<RecordBatch>>,
    schema: SchemaRef,
    format: Format,
    out: W,
) -> Result<u64> {
    let err = output_error(format);
    let mut rows = 0u64;
    match format {
        Format::Csv => {
            let mut w = arrow::csv::WriterBuilder::new().with_header(true).build(out);
            let mut any = false;
            for b in batches {
                let b = b?;
                rows += b.num_rows() as u64;
                w.write(&b).map_err(&err)?;
                any = true;
            }
            // No batch at all: still the header line, so a reader knows the columns.
            if !any {
                w.write(&RecordBatch::new_empty(schema)).map_err(&err)?;
            }
            w.into_inner().flush().map_err(CliError::io("write", "output"))?;
        }
        Format::Json => {
            let mut w = arrow::json::LineDelimitedWriter::new(out);
            for b in batches {
                let b = b?;
                rows += b.num_rows() as u64;
                w.write(&b).map_err(&err)?;
            }
            w.finish().map_err(&err)?;
            w.into_inner().flush().map_err(CliError::io("write", "output"))?;
        }
        Format::Arrow => {
            let mut w = arrow::ipc::writer::StreamWriter::try_new(out, &schema).map_err(&err)?;
            for b in batches {
                let b = b?;
                rows += b.num_rows() as u64;
                w.write(&b).map_err(&err)?;
            }
            w.finish().map_err(&err)?;
            w.into_inner().map_err(&err)?.flush().map_err(CliError::io("write", "output"))?;
        }
        Format::Parquet => {
            let perr =
                |e: parquet::errors::ParquetError| CliError::Output { format: "parquet", message: e.to_string() };
            let mut w = parquet::arrow::ArrowWriter::try_new(out, schema, None).map_err(perr)?;
            for b in batches {
                let b = b?;
                rows += b.num_rows() as u64;
                w.write(&b).map_err(perr)?;
            }
            w.into_inner().map_err(perr)?.flush().map_err(CliError::io("write", "output"))?;
        }
        Format::Table => rows = table(batches, schema, out)?,
    }
    Ok(rows)
}

/// An aligned table of the first rows, and how many more there were.
fn table<W: Write>(
    batches: &mut dyn Iterator<Item = Result<RecordBatch>>,
    schema: SchemaRef,
    mut out: W,
) -> Result<u64> {
    let mut shown = Vec::new();
    let mut kept = 0usize;
    let mut rows = 0u64;
    for b in batches {
        let b = b?;
        rows += b.num_rows() as u64;
        if kept < TABLE_PREVIEW_ROWS {
            let take = b.num_rows().min(TABLE_PREVIEW_ROWS - kept);
            shown.push(b.slice(0, take));
            kept += take;
        }
    }
    if shown.is_empty() {
        shown.push(RecordBatch::new_empty(schema));
    }
    let text = arrow::util::pretty::pretty_format_batches(&shown)
        .map_err(|e| CliError::Output { format: "table", message: e.to_string() })?;
    let io_err = CliError::io("write", "output");
    let footer = if rows > kept as u64 {
        format!("{}, first {kept} shown; use `--limit N`, or `-o FILE` for all of them\n", rows_text(rows))
    } else {
        format!("{}\n", rows_text(rows))
    };
    out.write_all(format!("{text}\n{footer}").as_bytes()).and_then(|()| out.flush()).map_err(io_err)?;
    Ok(rows)
}
