//! Unbound inputs through the public API: unbind a tagged subgraph, write and read the manifest,
//! run against a stream that can be read once, and every way a binding can be wrong.

use std::sync::{Arc, Mutex};

use arrow::array::{Int64Array, RecordBatch, StringArray, StringViewArray};
use arrow::compute::concat_batches;
use arrow::util::pretty::pretty_format_batches;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use xorq_core::manifest::{LoadContext, from_yaml, to_yaml};
use xorq_core::{CacheStrategy, Fault, Table, col, lit};
use xorq_exec::cache::{Cache, Outcome};
use xorq_exec::{ExecError, Inputs, Params, Session};

fn orders(ids: &[i64]) -> RecordBatch {
    let regions: Vec<&str> = ids.iter().map(|i| if i % 2 == 0 { "east" } else { "west" }).collect();
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids.to_vec())) as _),
        ("region", Arc::new(StringArray::from(regions)) as _),
    ])
    .expect("orders batch")
}

/// Totals per region over the orders tagged `orders`.
fn pipeline(source: Table) -> Table {
    source
        .tag("orders")
        .expect("a valid tag")
        .filter(col("id").gt(lit(1)))
        .expect("a valid filter")
        .group_by(["region"])
        .agg([col("id").sum().alias("total")])
        .expect("a valid aggregate")
        .order_by([col("region")])
        .expect("a valid sort")
}

/// A stream over `batches` that counts how often it is started.
fn stream(batches: Vec<RecordBatch>) -> datafusion::execution::SendableRecordBatchStream {
    let schema = batches[0].schema();
    Box::pin(RecordBatchStreamAdapter::new(schema, futures::stream::iter(batches.into_iter().map(Ok))))
}

fn text(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).expect("printable batches").to_string()
}

#[tokio::test]
async fn an_unbound_expression_runs_on_a_one_shot_stream_as_the_bound_one_does() {
    let bound = pipeline(Table::memtable(vec![orders(&[1, 2, 3, 4])]).unwrap());
    let open = bound.unbind("orders").unwrap();
    assert_eq!(open.inputs().unwrap().keys().collect::<Vec<_>>(), ["orders"]);
    assert_ne!(open.address(), bound.address());

    let session = Session::new().with_cache(Cache::disabled());
    let expected = session.execute(&bound, &Params::new()).await.unwrap();
    // The rows arrive in two batches of a stream, as from a Flight client.
    let inputs = Inputs::new().bind("orders", stream(vec![orders(&[1, 2]), orders(&[3, 4])])).unwrap();
    let got = session.execute_with_inputs(&open, &Params::new(), inputs).await.unwrap();
    assert_eq!(text(&got), text(&expected));

    // Other rows, same expression.
    let inputs = Inputs::new().bind_batches("orders", vec![orders(&[10, 11])]).unwrap();
    let got = session.execute_with_inputs(&open, &Params::new(), inputs).await.unwrap();
    let got = concat_batches(&got[0].schema(), &got).unwrap();
    assert_eq!(got.num_rows(), 2);
}

#[test]
fn the_manifest_names_the_input_and_reads_back_to_the_same_address() {
    let open = pipeline(Table::memtable(vec![orders(&[1, 2])]).unwrap()).unbind("orders").unwrap();
    let yaml = to_yaml(&open).unwrap();
    assert!(yaml.contains("kind: input"), "{yaml}");
    // The bound rows are gone from the manifest: no memtable is needed to read it.
    let back = from_yaml(&yaml, &LoadContext::default()).unwrap();
    assert_eq!(back.address(), open.address());
    assert_eq!(back.inputs().unwrap(), open.inputs().unwrap());
    // A hand-edited name that breaks the rules is refused.
    let hostile = yaml.replace("name: orders", "name: ../orders");
    assert_ne!(hostile, yaml);
    let e = from_yaml(&hostile, &LoadContext::default()).unwrap_err().to_string();
    assert!(e.contains("not a valid input name"), "{e}");
}

#[tokio::test]
async fn bindings_that_do_not_fit_are_named() {
    let open = pipeline(Table::memtable(vec![orders(&[1, 2])]).unwrap()).unbind("orders").unwrap();
    let session = Session::new().with_cache(Cache::disabled());
    let run = |inputs: Inputs| {
        let (session, open) = (session.clone(), open.clone());
        async move { session.execute_with_inputs(&open, &Params::new(), inputs).await.unwrap_err() }
    };

    // Not bound at all.
    let e = session.execute(&open, &Params::new()).await.unwrap_err();
    assert_eq!(e.fault(), Fault::Usage);
    assert!(e.to_string().contains("unbound input `orders` is not bound"), "{e}");
    let e = run(Inputs::new()).await;
    assert!(matches!(&e, ExecError::Input { input, .. } if input == "orders"), "{e}");
    assert_eq!(e.fault(), Fault::Usage);

    // Bound to something the expression does not read.
    let inputs = Inputs::new().bind_batches("orders", vec![orders(&[1])]).unwrap();
    let e = run(inputs.bind_batches("ordres", vec![orders(&[1])]).unwrap()).await;
    assert!(e.to_string().contains("`ordres` is not read by this expression (it reads `orders`)"), "{e}");

    // Bound twice.
    let twice =
        Inputs::new().bind_batches("orders", vec![orders(&[1])]).unwrap().bind_batches("orders", vec![orders(&[2])]);
    assert!(twice.is_err());

    // Rows of another schema.
    let other = RecordBatch::try_from_iter([("id", Arc::new(StringArray::from(vec!["1"])) as _)]).unwrap();
    let e = run(Inputs::new().bind_batches("orders", vec![other]).unwrap()).await;
    let m = e.to_string();
    assert!(m.contains("expects columns (id: Int64, region: String)") && m.contains("(id: String)"), "{m}");
    assert!(m.contains("column `id` is String, expected Int64"), "{m}");
    let narrow = RecordBatch::try_from_iter([("id", Arc::new(Int64Array::from(vec![1])) as _)]).unwrap();
    let m = run(Inputs::new().bind_batches("orders", vec![narrow]).unwrap()).await.to_string();
    assert!(m.contains("column `region` (String) is missing"), "{m}");
}

#[tokio::test]
async fn columns_are_matched_by_name_and_representations_of_one_type_are_accepted() {
    let open = pipeline(Table::memtable(vec![orders(&[1])]).unwrap()).unbind("orders").unwrap();
    let expected = Session::new()
        .execute_with_inputs(
            &open,
            &Params::new(),
            Inputs::new().bind_batches("orders", vec![orders(&[1, 2, 3])]).unwrap(),
        )
        .await
        .unwrap();
    // The columns in another order, the strings as views: the same rows.
    let swapped = RecordBatch::try_from_iter([
        ("region", Arc::new(StringViewArray::from(vec!["west", "east", "west"])) as _),
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as _),
    ])
    .unwrap();
    let got = Session::new()
        .execute_with_inputs(&open, &Params::new(), Inputs::new().bind_batches("orders", vec![swapped]).unwrap())
        .await
        .unwrap();
    assert_eq!(pretty_format_batches(&got).unwrap().to_string(), pretty_format_batches(&expected).unwrap().to_string());
}

#[tokio::test]
async fn a_stream_is_read_once_and_a_plan_that_reads_it_twice_is_refused() {
    let open = Table::memtable(vec![orders(&[1, 2])]).unwrap().tag("orders").unwrap().unbind("orders").unwrap();
    let twice = open.union(&open.filter(col("id").gt(lit(1))).unwrap()).unwrap();
    let session = Session::new().with_cache(Cache::disabled());
    let inputs = Inputs::new().bind_batches("orders", vec![orders(&[1, 2])]).unwrap();
    let e = session.execute_with_inputs(&twice, &Params::new(), inputs).await.unwrap_err();
    assert!(e.to_string().contains("was read already"), "{e}");
}

#[tokio::test]
async fn a_cache_above_an_input_is_computed_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let cache = Cache::in_dir(dir.path()).on_event(move |e| seen.lock().unwrap().push(e.outcome.clone()));
    let open = pipeline(Table::memtable(vec![orders(&[1, 2])]).unwrap()).unbind("orders").unwrap();
    let cached = open.cache(CacheStrategy::snapshot()).unwrap();
    let session = Session::new().with_cache(cache);
    for ids in [[1, 2, 3, 4], [5, 6, 7, 8]] {
        let inputs = Inputs::new().bind_batches("orders", vec![orders(&ids)]).unwrap();
        let got = session.execute_with_inputs(&cached, &Params::new(), inputs).await.unwrap();
        let total: i64 = got
            .iter()
            .map(|b| arrow::compute::sum(b.column(1).as_any().downcast_ref::<Int64Array>().unwrap()).unwrap_or(0))
            .sum();
        assert_eq!(total, ids.iter().filter(|i| **i > 1).sum::<i64>(), "each run computes its own rows");
    }
    let events = events.lock().unwrap();
    assert!(
        events.iter().all(|o| matches!(o, Outcome::Unbound { inputs } if inputs == &["orders".to_string()])),
        "{events:?}"
    );
    assert_eq!(events.len(), 2);
    assert_eq!(std::fs::read_dir(dir.path()).map(|d| d.count()).unwrap_or(0), 0, "nothing was stored");
}

#[tokio::test]
async fn rows_of_another_physical_layout_are_conformed() {
    // Utf8View for a String column: the same logical type.
    let open = Table::memtable(vec![orders(&[1])]).unwrap().tag("orders").unwrap().unbind("orders").unwrap();
    let view = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(vec![7])) as _),
        ("region", Arc::new(StringViewArray::from(vec!["north"])) as _),
    ])
    .unwrap();
    let inputs = Inputs::new().bind_batches("orders", vec![view]).unwrap();
    let got =
        Session::new().with_cache(Cache::disabled()).execute_with_inputs(&open, &Params::new(), inputs).await.unwrap();
    assert!(text(&got).contains("north"));
}
