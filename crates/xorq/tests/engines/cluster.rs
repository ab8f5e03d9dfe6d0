//! The corpus on Apache DataFusion Ballista clusters (SPEC §5): the same expressions, their
//! sources Parquet files the executors read, with the embedded engine's part sent to the cluster.
//!
//! - A cluster started with `xorq ballista` (`XORQ_TEST_BALLISTA_URL`: `.ci/run` starts one
//!   scheduler and two executors as separate processes) runs every file-based entry whole, and
//!   gives DataFusion's result.
//! - A stock Ballista cluster (its own scheduler and executor, in this process) lacks xorq's
//!   functions: the operations that call them stay here, the rest runs there, the result is the
//!   same.

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use ballista_core::serde::BallistaCodec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use xorq::backends::BackendRef;
use xorq::cache::Cache;
use xorq::exec::explain::Stage;
use xorq::profile::Profile;
use xorq::{FileFormat, Params, Session, Source, Table};

use super::{common, data, rows};

/// The scheduler `.ci/run` started, if any (required under CI).
fn ci_cluster_url() -> Option<String> {
    match std::env::var("XORQ_TEST_BALLISTA_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("XORQ_TEST_BALLISTA_URL is not set under CI: .ci/run starts a Ballista cluster and sets it")
        }
        Err(_) => {
            eprintln!("skipping the cluster corpus: XORQ_TEST_BALLISTA_URL is not set (.ci/run sets it)");
            None
        }
    }
}

async fn connect(url: &str) -> BackendRef {
    let profile = Profile::new("cluster", "ballista").and_then(|p| p.param("url", url)).expect("a valid profile");
    xorq::backends::connectors().connect(&profile).await.unwrap_or_else(|e| panic!("cannot connect {url}: {e}"))
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).expect("creates the file");
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("a writer");
    writer.write(batch).expect("writes");
    writer.close().expect("closes");
}

/// The corpus over Parquet files in `dir`.
fn file_corpus(dir: &Path) -> Vec<(&'static str, Table)> {
    let sales_path = dir.join("sales.parquet");
    write_parquet(&sales_path, &data::sales_batch());
    let customers_schema = common::customers().schema().clone();
    let customers_path = dir.join("customers.parquet");
    write_parquet(&customers_path, &data::customers_batch(&customers_schema));
    let file = |path: &Path, schema: xorq::Schema| {
        Source::file(FileFormat::Parquet, &path.display().to_string(), schema)
            .and_then(Table::from_source)
            .expect("a file source")
    };
    data::corpus_over(&file(&sales_path, common::sales_schema()), &file(&customers_path, customers_schema))
}

fn params_for(table: &Table) -> Params {
    let declared = table.params().expect("parameters");
    if declared.iter().any(|p| p.name == "region") { Params::new().set("region", "EU") } else { Params::new() }
}

/// Runs the corpus here and on `cluster`; returns the differences, and how many entries ran
/// wholly on the cluster (their root is a cluster stage).
async fn compare(cluster: BackendRef) -> (Vec<String>, usize, usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let here = Session::new().with_cache(Cache::disabled());
    let there = here.clone().with_backend(cluster).on_cluster("cluster").expect("a cluster profile");
    let (mut failures, mut whole, mut total) = (Vec::new(), 0, 0);
    for (name, table) in file_corpus(dir.path()) {
        let params = params_for(&table);
        let expected = match here.execute(&table, &params).await {
            Ok(b) => rows::Rows::of(&table, &b),
            Err(e) => panic!("corpus entry `{name}` fails on DataFusion: {e}"),
        };
        total += 1;
        let plan = there.explain(&table, &params).await.unwrap_or_else(|e| panic!("explain of `{name}`: {e}"));
        if matches!(plan.stages.last(), Some(Stage::Cluster { .. })) {
            whole += 1;
        }
        match there.execute(&table, &params).await {
            Ok(b) => {
                if let Some(d) = rows::Rows::of(&table, &b).differences(&expected) {
                    failures.push(format!("{name}: {d}"));
                }
            }
            Err(e) => failures.push(format!("{name}: fails on the cluster: {e}")),
        }
    }
    (failures, whole, total)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_corpus_on_a_xorq_cluster_gives_datafusions_result() {
    let Some(url) = ci_cluster_url() else { return };
    let cluster = connect(&url).await;
    assert!(cluster.cluster().is_some_and(|c| c.runs_own_functions()), "a cluster started by `xorq ballista`");
    let (failures, whole, total) = compare(cluster).await;
    eprintln!("{whole} of {total} corpus entries ran wholly on the cluster at {url}");
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
    // Only the entries that read an in-memory table keep a part here.
    assert!(whole + 2 >= total, "only {whole} of {total} entries ran on the cluster");
}

/// Ballista's own scheduler and one executor, in this process, as its library starts them (no
/// xorq function known); the scheduler's URL.
async fn stock_cluster() -> String {
    let address = ballista_scheduler::standalone::new_standalone_scheduler().await.expect("a stock scheduler");
    let url = format!("http://localhost:{}", address.port());
    let scheduler = loop {
        match SchedulerGrpcClient::connect(url.clone()).await {
            Ok(client) => break client,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    };
    ballista_executor::new_standalone_executor(scheduler, 2, BallistaCodec::default()).await.expect("a stock executor");
    format!("df://localhost:{}", address.port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_cluster_runs_what_it_can_and_gives_the_same_result() {
    let url = stock_cluster().await;
    let cluster = connect(&url).await;
    assert!(cluster.cluster().is_some_and(|c| !c.runs_own_functions()), "a stock cluster lacks xorq's functions");
    let (failures, whole, total) = compare(Arc::clone(&cluster)).await;
    eprintln!("{whole} of {total} corpus entries ran wholly on the stock cluster");
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
    assert!(whole > 0 && whole < total, "some entries call xorq's functions, some do not: {whole} of {total}");

    // Integer arithmetic is checked (an overflow is an error), which a stock cluster cannot
    // do: the scan and filter run there, the arithmetic here.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sales = file_corpus(dir.path()).into_iter().find(|(n, _)| *n == "read_parquet").expect("an entry").1;
    let doubled = sales
        .filter(xorq::col("qty").gt(xorq::lit(2)))
        .and_then(|t| t.select([(xorq::col("qty") * xorq::lit(2)).alias("twice")]))
        .expect("valid");
    let there =
        Session::new().with_cache(Cache::disabled()).with_backend(cluster).on_cluster("cluster").expect("a cluster");
    let plan = there.explain(&doubled, &Params::new()).await.expect("explains");
    let kinds: Vec<&str> = plan.stages.iter().map(Stage::kind).collect();
    assert_eq!(kinds, ["cluster", "local"], "{plan}");
    assert!(plan.to_string().contains("checked_mul"), "{plan}");

    // Rows only this process holds cannot be moved into a cluster: refused, saying why.
    let memory = Table::memtable(vec![data::sales_batch()]).and_then(|t| t.into_backend("cluster")).expect("valid");
    let err = there.execute(&memory, &Params::new()).await.expect_err("a memtable cannot move into a cluster");
    let text = err.to_string();
    assert!(
        text.contains("cluster profile `cluster`") && text.contains("an in-memory table lives only in this process"),
        "{text}"
    );
}
