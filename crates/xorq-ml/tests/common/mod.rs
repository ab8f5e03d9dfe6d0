//! What the integration tests share: the penguins, a session that leaves the user's cache
//! alone, reading a fitted model.
#![allow(dead_code)]

use std::path::PathBuf;

use datafusion::arrow::array::AsArray;
use xorq_core::{FileFormat, Table, col};
use xorq_exec::cache::Cache;
use xorq_exec::{Params, Session};
use xorq_ml::FittedPipeline;
use xorq_ml::model::Model;

/// The penguins `xorq init -t penguins` ships, with a bill length and a sex (333 rows).
pub fn penguins() -> Table {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../xorq-cli/templates/penguins/data/penguins.csv");
    xorq_engines::probe::read_file(FileFormat::Csv(Default::default()), path.to_str().expect("utf-8"))
        .expect("penguins.csv")
        .filter(col("bill_length_mm").is_not_null().and(col("sex").is_not_null()))
        .expect("penguins")
}

/// A session without a cache.
pub fn session() -> Session {
    Session::new().with_cache(Cache::disabled())
}

/// The model `fitted` fits (computed now, not cached).
pub async fn model(fitted: &FittedPipeline) -> Model {
    xorq_ml::register().expect("registers");
    let batches = session().execute(fitted.model(), &Params::new()).await.expect("fits");
    let column =
        datafusion::arrow::compute::cast(batches[0].column(0), &datafusion::arrow::datatypes::DataType::Binary)
            .expect("binary");
    Model::from_bytes(column.as_binary::<i32>().value(0)).expect("a model")
}
