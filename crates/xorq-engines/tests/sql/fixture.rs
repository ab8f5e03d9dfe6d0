//! Parquet and CSV files for the tests, and helpers to lift SQL against them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use parquet::arrow::ArrowWriter;
use tempfile::TempDir;
use xorq_core::Table;
use xorq_core::plan::FileFormat;
use xorq_engines::EngineError;
use xorq_engines::datafusion::sql::{NoBackends, SqlOptions, sql_to_table_with};
use xorq_engines::probe::read_file;

pub struct Files {
    pub dir: TempDir,
}

fn orders_batch() -> RecordBatch {
    let schema = Arc::new(ArrowSchema::new(vec![
        ArrowField::new("id", ArrowType::Int64, false),
        ArrowField::new("cid", ArrowType::Int64, true),
        ArrowField::new("region", ArrowType::Utf8, true),
        ArrowField::new("amount", ArrowType::Float64, true),
        ArrowField::new("day", ArrowType::Date32, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6])),
            Arc::new(Int64Array::from(vec![Some(1), Some(2), Some(1), None, Some(3), Some(9)])),
            Arc::new(StringArray::from(vec![Some("EU"), Some("US"), Some("EU"), None, Some("APAC"), Some("US")])),
            Arc::new(Float64Array::from(vec![Some(120.5), Some(80.0), Some(300.0), Some(55.25), None, Some(1000.0)])),
            Arc::new(Date32Array::from(vec![19_700, 19_701, 19_701, 19_740, 19_702, 19_770])),
        ],
    )
    .expect("orders batch")
}

fn customers_batch() -> RecordBatch {
    let schema = Arc::new(ArrowSchema::new(vec![
        ArrowField::new("id", ArrowType::Int64, false),
        ArrowField::new("name", ArrowType::Utf8, true),
        ArrowField::new("region", ArrowType::Utf8, true),
    ]));
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3, 4])),
            Arc::new(StringArray::from(vec!["Ada", "Bo", "Cy", "Di"])),
            Arc::new(StringArray::from(vec![Some("EU"), Some("US"), None, Some("APAC")])),
        ],
    )
    .expect("customers batch")
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).expect("create");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(batch).expect("write");
    writer.close().expect("close");
}

pub fn files() -> Files {
    let dir = tempfile::tempdir().expect("tempdir");
    write_parquet(&dir.path().join("orders.parquet"), &orders_batch());
    write_parquet(&dir.path().join("customers.parquet"), &customers_batch());
    std::fs::write(dir.path().join("orders.csv"), "id,region,amount\n1,EU,120.5\n2,US,80\n").expect("csv");
    std::fs::write(dir.path().join("orders_semi.csv"), "id;region;amount\n1;EU;120.5\n2;US;80\n").expect("csv");
    std::fs::write(dir.path().join("events.json"), "{\"id\":1,\"kind\":\"a\"}\n{\"id\":2,\"kind\":\"b\"}\n")
        .expect("json");
    Files { dir }
}

impl Files {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Lifts `text`, reading files relative to the fixture directory.
    pub fn sql(&self, text: &str) -> Result<Table, EngineError> {
        sql_to_table_with(text, &NoBackends, &SqlOptions::with_base_dir(self.dir.path()))
    }

    pub fn lift(&self, text: &str) -> Table {
        self.sql(text).unwrap_or_else(|e| panic!("{text}\n→ {e}"))
    }

    pub fn err(&self, text: &str) -> String {
        match self.sql(text) {
            Ok(t) => panic!("expected an error for {text}, got\n{t}"),
            Err(e) => e.to_string().replace(&self.dir.path().display().to_string(), "<dir>"),
        }
    }

    pub fn orders(&self) -> Table {
        read_file(FileFormat::Parquet, self.path("orders.parquet").to_str().expect("utf-8")).expect("orders")
    }

    pub fn customers(&self) -> Table {
        read_file(FileFormat::Parquet, self.path("customers.parquet").to_str().expect("utf-8")).expect("customers")
    }
}

/// All texts lift to one address.
pub fn assert_same_address(f: &Files, texts: &[&str]) {
    let first = f.lift(texts[0]);
    for t in &texts[1..] {
        let other = f.lift(t);
        assert_eq!(first.address(), other.address(), "\n{}\nvs\n{t}\n{first}\n{other}", texts[0]);
    }
}

pub fn assert_matches(f: &Files, text: &str, built: Table) {
    let lifted = f.lift(text);
    assert_eq!(lifted.address(), built.address(), "{text}\nlifted:\n{lifted}\nbuilt:\n{built}");
}
