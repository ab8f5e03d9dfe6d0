//! The cache through the public API: keys, strategies, invalidation, damage, chaining, storage.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use parquet::arrow::ArrowWriter;
use xorq_core::plan::FileFormat;
use xorq_core::{CacheStorage, CacheStrategy, DataType, Table, col, lit, param};
use xorq_engines::probe::read_file;
use xorq_exec::blocking::{execute_in, execute_stream_in};
use xorq_exec::cache::{Cache, CacheEvent, Outcome};
use xorq_exec::{ExecError, Params, Session};

type Events = Arc<Mutex<Vec<CacheEvent>>>;

struct Fixture {
    dir: tempfile::TempDir,
    events: Events,
}

fn orders(rows: i64) -> RecordBatch {
    let schema = Arc::new(ArrowSchema::new(vec![
        ArrowField::new("id", ArrowType::Int64, false),
        ArrowField::new("region", ArrowType::Utf8, true),
        ArrowField::new("amount", ArrowType::Float64, true),
    ]));
    let regions = ["EU", "US", "APAC"];
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(0..rows)),
            Arc::new(StringArray::from_iter_values((0..rows).map(|i| regions[(i % 3) as usize]))),
            Arc::new(Float64Array::from_iter_values((0..rows).map(|i| ((i * 37) % 500) as f64))),
        ],
    )
    .expect("orders batch")
}

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).expect("create");
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(batch).expect("write");
    writer.close().expect("close");
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        write_parquet(&dir.path().join("orders.parquet"), &orders(1000));
        Fixture { dir, events: Arc::default() }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("orders.parquet")
    }

    fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn orders(&self) -> Table {
        read_file(FileFormat::Parquet, self.data().to_str().expect("utf-8")).expect("orders")
    }

    fn session(&self) -> Session {
        let events = Arc::clone(&self.events);
        let cache = Cache::in_dir(self.cache_dir()).on_event(move |e| events.lock().expect("events").push(e.clone()));
        Session::new().with_cache(cache)
    }

    /// Runs `table` in a new session and returns the rows and what the cache did.
    fn run(&self, table: &Table) -> (RecordBatch, Vec<String>) {
        self.run_with(table, &Params::new())
    }

    fn run_with(&self, table: &Table, params: &Params) -> (RecordBatch, Vec<String>) {
        self.events.lock().expect("events").clear();
        let batches = execute_in(&self.session(), table, params).expect("runs");
        (one(table, batches), self.outcomes())
    }

    fn outcomes(&self) -> Vec<String> {
        self.events.lock().expect("events").iter().map(|e| format!("{} {}", e.op, short(&e.outcome))).collect()
    }

    fn entries(&self) -> usize {
        Cache::in_dir(self.cache_dir()).parquet_store().and_then(|s| s.entries()).expect("lists").len()
    }

    fn entry_dir(&self) -> PathBuf {
        let store = Cache::in_dir(self.cache_dir()).parquet_store().expect("store");
        let entries = store.entries().expect("lists");
        assert_eq!(entries.len(), 1, "one entry expected");
        PathBuf::from(&entries[0].location)
    }
}

fn one(table: &Table, batches: Vec<RecordBatch>) -> RecordBatch {
    let schema = batches.first().map_or_else(|| Arc::new(table.schema().to_arrow()), |b| b.schema());
    concat_batches(&schema, &batches).expect("concat")
}

fn short(o: &Outcome) -> String {
    match o {
        Outcome::Hit { .. } => "hit".into(),
        Outcome::Miss(r) => format!("miss: {r}"),
        Outcome::Stored { .. } => "stored".into(),
        Outcome::StoredByAnother => "stored by another".into(),
        Outcome::Skipped => "skipped".into(),
        Outcome::Unbound { inputs } => format!("unbound {}", inputs.join(",")),
        Outcome::Warning(w) => format!("warning: {w}"),
        other => format!("{other:?}"),
    }
}

fn large(f: &Fixture) -> Table {
    f.orders().filter(col("amount").gt(lit(100))).expect("filter")
}

fn totals(t: &Table) -> Table {
    t.group_by(["region"])
        .agg([col("amount").sum().alias("total")])
        .and_then(|t| t.order_by([col("region")]))
        .expect("aggregate")
}

#[test]
fn a_miss_computes_and_stores_then_a_hit_reads_the_entry() {
    let f = Fixture::new();
    let t = totals(&large(&f)).cache(CacheStrategy::modification_time()).expect("cache");
    let (first, events) = f.run(&t);
    assert_eq!(events, ["Sort miss: no entry yet", "Sort stored"]);
    let (second, events) = f.run(&t);
    assert_eq!(events, ["Sort hit"]);
    assert_eq!(first, second);
    assert_eq!(f.entries(), 1);
    let uncached = execute_in(&Session::new().with_cache(Cache::disabled()), &totals(&large(&f)), &Params::new());
    assert_eq!(one(&t, uncached.expect("runs")), first);
}

#[test]
fn touching_a_source_invalidates_modification_time_but_not_snapshot() {
    let f = Fixture::new();
    let by_time = large(&f).cache(CacheStrategy::modification_time()).expect("cache");
    let pinned = large(&f).cache(CacheStrategy::snapshot()).expect("cache");
    f.run(&by_time);
    f.run(&pinned);
    assert_eq!(f.run(&by_time).1, ["Filter hit"]);
    let later = SystemTime::now() + Duration::from_secs(120);
    std::fs::File::options().write(true).open(f.data()).and_then(|file| file.set_modified(later)).expect("touch");
    let (_, events) = f.run(&by_time);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[0].starts_with("Filter miss: orders.parquet modified "), "{events:?}");
    assert!(events[0].ends_with(" since the entry was written"), "{events:?}");
    assert_eq!(f.run(&pinned).1, ["Filter hit"]);
    // The superseded entry is gone: one per strategy.
    assert_eq!(f.entries(), 2);
}

#[test]
fn new_data_in_a_source_is_seen_under_modification_time() {
    let f = Fixture::new();
    let t = totals(&f.orders()).cache(CacheStrategy::modification_time()).expect("cache");
    let (before, _) = f.run(&t);
    write_parquet(&f.data(), &orders(2000));
    let (after, events) = f.run(&t);
    assert_ne!(before, after);
    assert!(events[0].contains("miss: orders.parquet"), "{events:?}");
    assert_eq!(f.run(&t).0, after);
}

#[test]
fn an_entry_older_than_the_ttl_is_computed_again() {
    let f = Fixture::new();
    let t = large(&f).cache(CacheStrategy::snapshot().with_ttl(Duration::from_secs(1))).expect("cache");
    f.run(&t);
    assert_eq!(f.run(&t).1, ["Filter hit"]);
    std::thread::sleep(Duration::from_millis(1100));
    let (_, events) = f.run(&t);
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[0].starts_with("Filter miss: the entry expired (written 1s ago, ttl 1s)"), "{events:?}");
    assert_eq!(events[1], "Filter stored");
    assert_eq!(f.run(&t).1, ["Filter hit"]);
    assert_eq!(f.entries(), 1, "the expired entry was replaced");
}

#[test]
fn the_same_logic_written_differently_hits_the_same_entry() {
    let f = Fixture::new();
    let a = f
        .orders()
        .filter(col("amount").gt(lit(100)).and(col("region").eq(lit("EU"))))
        .and_then(|t| t.cache(CacheStrategy::snapshot()))
        .expect("a");
    let b = f
        .orders()
        .filter(col("region").eq(lit("EU")))
        .and_then(|t| t.filter(lit(100.0).lt(col("amount"))))
        .and_then(|t| t.cache(CacheStrategy::snapshot()))
        .expect("b");
    let (rows_a, _) = f.run(&a);
    let (rows_b, events) = f.run(&b);
    assert_eq!(events, ["Filter hit"]);
    assert_eq!(rows_a, rows_b);
}

#[test]
fn a_damaged_entry_is_reported_removed_and_computed_again() {
    let f = Fixture::new();
    let t = large(&f).cache(CacheStrategy::snapshot()).expect("cache");
    let (good, _) = f.run(&t);
    let data = f.entry_dir().join("data.parquet");
    let bytes = std::fs::read(&data).expect("read");
    let flipped = |at: usize| {
        let mut b = bytes.clone();
        b[at] ^= 0x01;
        b
    };
    // Truncated, zeroed, one bit flipped in a data page (decodes to other values, or not at
    // all), one bit flipped in the footer: each is found before a row is served.
    for damage in
        [bytes[..bytes.len() / 2].to_vec(), vec![0u8; bytes.len()], flipped(bytes.len() / 3), flipped(bytes.len() - 30)]
    {
        std::fs::write(&data, &damage).expect("damage");
        let (rows, events) = f.run(&t);
        assert_eq!(rows, good);
        assert_eq!(events.len(), 3, "{events:?}");
        assert!(events[0].starts_with("Filter warning: the stored entry "), "{events:?}");
        assert!(events[0].contains("was damaged ("), "{events:?}");
        assert!(events[1].starts_with("Filter miss: the entry was damaged"), "{events:?}");
        assert_eq!(events[2], "Filter stored");
        assert_eq!(f.run(&t).1, ["Filter hit"]);
    }
    // A sidecar that no longer parses.
    std::fs::write(f.entry_dir().join("entry.json"), "{").expect("damage");
    let (rows, events) = f.run(&t);
    assert_eq!(rows, good);
    assert!(events[0].contains("its sidecar is malformed"), "{events:?}");
}

#[test]
fn chained_caches_skip_under_a_hit_and_use_inner_hits_on_a_miss() {
    let f = Fixture::new();
    let inner = large(&f).cache(CacheStrategy::modification_time()).expect("inner");
    let outer = totals(&inner).cache(CacheStrategy::snapshot()).expect("outer");
    let (first, events) = f.run(&outer);
    assert_eq!(events, ["Sort miss: no entry yet", "Filter miss: no entry yet", "Filter stored", "Sort stored"]);
    let (second, events) = f.run(&outer);
    assert_eq!(events, ["Sort hit", "Filter skipped"]);
    assert_eq!(first, second);
    // A new outer expression over the same inner cache: the inner entry is used.
    let other = inner
        .group_by(["region"])
        .agg([col("amount").max().alias("top")])
        .and_then(|t| t.cache(CacheStrategy::snapshot()))
        .expect("other");
    let (_, events) = f.run(&other);
    assert_eq!(events, ["Aggregate miss: no entry yet", "Filter hit", "Aggregate stored"]);
    // The outer token covers sources under the inner cache: a modification-time outer misses
    // when the file under the inner cache is touched.
    let outer_mt = totals(&inner).cache(CacheStrategy::modification_time()).expect("outer");
    f.run(&outer_mt);
    let later = SystemTime::now() + Duration::from_secs(120);
    std::fs::File::options().write(true).open(f.data()).and_then(|file| file.set_modified(later)).expect("touch");
    let (_, events) = f.run(&outer_mt);
    assert!(events[0].starts_with("Sort miss: orders.parquet modified"), "{events:?}");
    assert!(events[1].starts_with("Filter miss: orders.parquet modified"), "{events:?}");
}

#[test]
fn bound_parameter_values_are_part_of_the_key() {
    let f = Fixture::new();
    let threshold = param("threshold", DataType::Float64).with_default(100.0);
    let t = f.orders().filter(col("amount").gt(threshold)).and_then(|t| t.cache(CacheStrategy::snapshot())).expect("t");
    let (low, _) = f.run_with(&t, &Params::new().set("threshold", 10.0));
    let (high, events) = f.run_with(&t, &Params::new().set("threshold", 400.0));
    assert!(high.num_rows() < low.num_rows());
    assert_eq!(events[0], "Filter miss: no entry for these parameter values (threshold=400.0)");
    assert_eq!(f.run_with(&t, &Params::new().set("threshold", 10.0)).1, ["Filter hit"]);
    assert_eq!(f.entries(), 2);
}

#[test]
fn source_storage_keeps_results_in_the_session() {
    let f = Fixture::new();
    let t = large(&f).cache_in(CacheStrategy::snapshot(), CacheStorage::source()).expect("cache");
    let session = f.session();
    let first = execute_in(&session, &t, &Params::new()).expect("runs");
    let second = execute_in(&session, &t, &Params::new()).expect("runs");
    assert_eq!(one(&t, first), one(&t, second));
    assert_eq!(f.outcomes(), ["Filter miss: no entry yet", "Filter stored", "Filter hit"]);
    assert_eq!(session.cache().session_store().entries().len(), 1);
    assert!(!f.cache_dir().exists(), "nothing is written to disk");
    // A new session starts empty.
    assert_eq!(f.run(&t).1, ["Filter miss: no entry yet", "Filter stored"]);
}

#[test]
fn storage_in_an_unknown_backend_is_a_clear_error() {
    let f = Fixture::new();
    let t = large(&f).cache_in(CacheStrategy::snapshot(), CacheStorage::source_in("warehouse")).expect("cache");
    let err = execute_in(&f.session(), &t, &Params::new()).expect_err("no such store");
    assert!(matches!(err, ExecError::Cache(_)), "{err:?}");
    assert!(err.to_string().starts_with("source storage in backend `warehouse`: no store is registered"), "{err}");
}

#[test]
fn a_modification_time_token_of_an_unreachable_object_names_it() {
    // Nothing listens on port 9: the HEAD that takes the object's ETag fails, and says where.
    let schema = xorq_core::Schema::new(vec![xorq_core::Field::new("a", DataType::Int64, true)]).expect("schema");
    let remote = xorq_core::Source::file(FileFormat::Parquet, "http://127.0.0.1:9/a.parquet", schema).expect("source");
    let t = Table::from_source(remote).and_then(|t| t.cache(CacheStrategy::modification_time())).expect("t");
    let f = Fixture::new();
    let err = execute_in(&f.session(), &t, &Params::new()).expect_err("nothing answers");
    let text = err.to_string();
    assert!(
        text.starts_with("cannot read `http://127.0.0.1:9/a.parquet`: cannot connect to http://127.0.0.1:9"),
        "{text}"
    );
    assert!(text.contains("hint: check that the endpoint"), "{text}");
}

#[test]
fn a_stream_dropped_early_leaves_no_entry() {
    let f = Fixture::new();
    write_parquet(&f.data(), &orders(100_000));
    let t = f.orders().cache(CacheStrategy::snapshot()).expect("cache");
    let mut stream = execute_stream_in(&f.session(), &t, &Params::new()).expect("runs");
    assert!(stream.next().is_some());
    drop(stream);
    assert_eq!(f.entries(), 0);
    let staging: Vec<_> = std::fs::read_dir(f.cache_dir().join("xorq-rs-v1")).expect("dir").flatten().collect();
    assert!(staging.is_empty(), "the staging directory is removed: {staging:?}");
    // Consumed to the end, the same stream stores the entry.
    let rows: usize =
        execute_stream_in(&f.session(), &t, &Params::new()).expect("runs").map(|b| b.expect("batch").num_rows()).sum();
    assert_eq!(rows, 100_000);
    assert_eq!(f.entries(), 1);
}

#[test]
fn a_disabled_cache_computes_and_stores_nothing() {
    let f = Fixture::new();
    let t = large(&f).cache(CacheStrategy::snapshot()).expect("cache");
    let session = Session::new().with_cache(Cache::disabled());
    execute_in(&session, &t, &Params::new()).expect("runs");
    assert!(!f.cache_dir().exists());
}

#[test]
fn a_sorted_entry_reads_back_in_order_however_the_scan_is_split() {
    use datafusion::prelude::{SessionConfig, SessionContext};
    let f = Fixture::new();
    // More than one row group (1M rows each), so a scan could be split across partitions.
    let rows = 2_200_000;
    write_parquet(&f.data(), &orders(rows));
    let t =
        f.orders().order_by([col("amount").desc(), col("id").asc()]).and_then(|t| t.cache(CacheStrategy::snapshot()));
    let t = t.expect("sorted");
    let mut config = SessionConfig::new().with_target_partitions(4);
    config.options_mut().optimizer.repartition_file_min_size = 1;
    let session =
        Session::from_context(SessionContext::new_with_config(config)).with_cache(Cache::in_dir(f.cache_dir()));
    let first = one(&t, execute_in(&session, &t, &Params::new()).expect("miss"));
    let second = one(&t, execute_in(&session, &t, &Params::new()).expect("hit"));
    assert_eq!(second.num_rows(), rows as usize);
    assert!(first == second, "the hit returns the rows in the order they were computed");
}
