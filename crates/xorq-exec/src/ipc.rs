//! Arrow IPC read as a stream of batches, for binding to an unbound input from a pipe or a file
//! (`xorq run-unbound`): the stream format is read batch by batch on a thread of its own with at
//! most two batches waiting, so a pipe of any length runs in bounded memory; the file format
//! (which needs its footer first) is read from a seekable file directly, and from a pipe after
//! reading it whole.

use std::io::{BufReader, Cursor, Read, Seek};

use arrow::array::RecordBatch;
use arrow::error::ArrowError;
use arrow::ipc::reader::{FileReader, StreamReader};
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::SinkExt;

use crate::error::{ExecError, Result};

/// The magic bytes an Arrow IPC file starts with.
const FILE_MAGIC: &[u8; 6] = b"ARROW1";

/// Batches waiting between the reading thread and the run.
const IN_FLIGHT: usize = 2;

/// The batches of the Arrow IPC data in `reader` (stream or file format), read as the run asks
/// for them; `what` names the data in errors (`stdin`, a path).
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Int64Array, RecordBatch};
/// use arrow::ipc::writer::StreamWriter;
/// use xorq_exec::ipc::read_ipc;
///
/// let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)])?;
/// let mut bytes = Vec::new();
/// let mut w = StreamWriter::try_new(&mut bytes, &batch.schema())?;
/// w.write(&batch)?;
/// w.finish()?;
/// let stream = read_ipc(std::io::Cursor::new(bytes), "bytes")?;
/// assert_eq!(stream.schema(), batch.schema());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_ipc<R: Read + Send + 'static>(mut reader: R, what: &str) -> Result<SendableRecordBatchStream> {
    let head = read_head(&mut reader, what)?;
    if head.is_empty() {
        return Err(input_error(
            what,
            "are missing: it is empty\nhint: pipe Arrow into it (`xorq run <build> -o - -f arrow | …`) or give `-i FILE`",
        ));
    }
    if head == FILE_MAGIC {
        let mut all = head;
        reader.read_to_end(&mut all).map_err(|e| input_error(what, &format!("cannot be read: {e}")))?;
        return from_file(Cursor::new(all), what);
    }
    let reader = BufReader::new(Cursor::new(head).chain(reader));
    let batches = StreamReader::try_new(reader, None).map_err(|e| not_ipc(what, &e))?;
    let schema = batches.schema();
    Ok(spawn(schema, batches, what))
}

/// The batches of an Arrow IPC file (or stream) at `reader`, which can seek (a file on disk).
pub fn read_ipc_seekable<R: Read + Seek + Send + 'static>(
    mut reader: R,
    what: &str,
) -> Result<SendableRecordBatchStream> {
    let head = read_head(&mut reader, what)?;
    reader.rewind().map_err(|e| input_error(what, &format!("cannot be read: {e}")))?;
    if head == FILE_MAGIC {
        return from_file(reader, what);
    }
    read_ipc(reader, what)
}

/// Up to the first six bytes of `reader`: enough to tell the file format by its magic.
fn read_head(reader: &mut impl Read, what: &str) -> Result<Vec<u8>> {
    let mut head = Vec::with_capacity(FILE_MAGIC.len());
    reader
        .take(FILE_MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(|e| input_error(what, &format!("cannot be read: {e}")))?;
    Ok(head)
}

fn from_file<R: Read + Seek + Send + 'static>(reader: R, what: &str) -> Result<SendableRecordBatchStream> {
    let batches = FileReader::try_new(reader, None).map_err(|e| not_ipc(what, &e))?;
    let schema = batches.schema();
    Ok(spawn(schema, batches, what))
}

/// Reads `batches` on a thread, at most [`IN_FLIGHT`] ahead of the consumer; the thread ends when
/// the data does or the consumer goes away.
fn spawn<I>(schema: arrow::datatypes::SchemaRef, batches: I, what: &str) -> SendableRecordBatchStream
where
    I: Iterator<Item = std::result::Result<RecordBatch, ArrowError>> + Send + 'static,
{
    let (mut tx, rx) = futures::channel::mpsc::channel::<datafusion::error::Result<RecordBatch>>(IN_FLIGHT);
    let what = what.to_string();
    std::thread::spawn(move || {
        for batch in batches {
            let item = batch.map_err(|e| {
                DataFusionError::External(Box::new(input_error(&what, &format!("stopped being valid: {e}"))))
            });
            let failed = item.is_err();
            if futures::executor::block_on(tx.send(item)).is_err() || failed {
                break;
            }
        }
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, rx))
}

fn not_ipc(what: &str, e: &ArrowError) -> ExecError {
    input_error(
        what,
        &format!(
            "are not Arrow IPC (stream or file format): {e}\nhint: write them with `xorq run <build> -o - -f arrow`"
        ),
    )
}

fn input_error(what: &str, message: &str) -> ExecError {
    ExecError::Ipc { source_name: what.to_string(), message: message.to_string() }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch};
    use arrow::ipc::writer::{FileWriter, StreamWriter};
    use futures::TryStreamExt;

    use super::*;

    fn batches() -> Vec<RecordBatch> {
        (0..5)
            .map(|i| {
                RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![i, i + 1])) as _)])
                    .expect("one Int64 column")
            })
            .collect()
    }

    async fn rows(stream: SendableRecordBatchStream) -> usize {
        stream.try_collect::<Vec<_>>().await.expect("reads").iter().map(RecordBatch::num_rows).sum()
    }

    #[tokio::test]
    async fn stream_and_file_formats_read_from_a_pipe_and_a_file() {
        let all = batches();
        let mut stream_bytes = Vec::new();
        let mut w = StreamWriter::try_new(&mut stream_bytes, &all[0].schema()).expect("writer");
        all.iter().for_each(|b| w.write(b).expect("writes"));
        w.finish().expect("finishes");
        let mut file_bytes = Vec::new();
        let mut w = FileWriter::try_new(&mut file_bytes, &all[0].schema()).expect("writer");
        all.iter().for_each(|b| w.write(b).expect("writes"));
        w.finish().expect("finishes");
        drop(w);
        for bytes in [stream_bytes, file_bytes] {
            assert_eq!(rows(read_ipc(Cursor::new(bytes.clone()), "pipe").expect("reads")).await, 10);
            assert_eq!(rows(read_ipc_seekable(Cursor::new(bytes), "file").expect("reads")).await, 10);
        }
    }

    #[test]
    fn empty_and_foreign_data_are_named() {
        let e = read_ipc(Cursor::new(Vec::new()), "stdin").err().expect("empty").to_string();
        assert!(e.contains("stdin") && e.contains("are missing"), "{e}");
        let e = read_ipc(Cursor::new(b"id,amount\n1,2\n".to_vec()), "stdin").err().expect("csv").to_string();
        assert!(e.contains("are not Arrow IPC"), "{e}");
    }
}
