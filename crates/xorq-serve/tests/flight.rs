//! The Flight server through a real Flight client (arrow-flight's `FlightClient` over tonic), on
//! loopback: exchanges, concurrency, disconnects, wrong rows, auth, `DoGet`, discovery, metrics
//! and a graceful stop.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::compute::concat_batches;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::{Action, FlightClient, FlightDescriptor, Ticket};
use futures::{StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use xorq_core::{DataType, Field, Schema, Table, col, lit};
use xorq_exec::{Inputs, Params, Session};
use xorq_serve::{Running, ServeOptions, Served, start};

fn input_schema() -> Schema {
    Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("region", DataType::String, true),
        Field::new("amount", DataType::Float64, true),
    ])
    .expect("a valid schema")
}

/// Large orders, doubled: a streaming expression over the unbound input `orders`.
fn scorer() -> Table {
    Table::input("orders", input_schema())
        .and_then(|t| t.filter(col("amount").gt(lit(10.0))))
        .and_then(|t| t.select([col("id"), col("region"), (col("amount") * lit(2.0)).alias("doubled")]))
        .expect("a valid expression")
}

fn rows(first_id: i64, n: usize) -> RecordBatch {
    let ids: Vec<i64> = (first_id..first_id + n as i64).collect();
    let regions: Vec<&str> = ids.iter().map(|i| if i % 2 == 0 { "east" } else { "west" }).collect();
    let amounts: Vec<f64> = ids.iter().map(|i| (i % 25) as f64).collect();
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids)) as _),
        ("region", Arc::new(StringArray::from(regions)) as _),
        ("amount", Arc::new(Float64Array::from(amounts)) as _),
    ])
    .expect("a valid batch")
}

async fn serve(table: Table, options: ServeOptions) -> Running {
    let served = Served::new("scorer", table, Params::new()).expect("servable");
    start(Session::new(), served, options).await.expect("starts")
}

async fn connect(running: &Running, token: Option<&str>) -> FlightClient {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", running.address))
        .expect("a valid endpoint")
        .connect()
        .await
        .expect("connects");
    let mut client = FlightClient::new(channel);
    if let Some(token) = token {
        client.add_header("authorization", &format!("Bearer {token}")).expect("a valid header");
    }
    client
}

/// Sends `batches` in one exchange and collects the result.
async fn exchange(client: &mut FlightClient, batches: Vec<RecordBatch>) -> Result<Vec<RecordBatch>, FlightError> {
    let data = FlightDataEncoderBuilder::new()
        .with_flight_descriptor(Some(FlightDescriptor::new_path(vec!["scorer".into()])))
        .build(futures::stream::iter(batches.into_iter().map(Ok)));
    client.do_exchange(data).await?.try_collect().await
}

/// What the session computes for the same rows, as the server must.
async fn expected(batches: Vec<RecordBatch>) -> RecordBatch {
    let out = Session::new()
        .execute_with_inputs(&scorer(), &Params::new(), Inputs::new().bind_batches("orders", batches).expect("binds"))
        .await
        .expect("runs");
    sorted(&out)
}

/// `batches` as one batch ordered by `id` (a run may interleave its partitions).
fn sorted(batches: &[RecordBatch]) -> RecordBatch {
    let all = concat_batches(&batches[0].schema(), batches).expect("one schema");
    let order = arrow::compute::sort_to_indices(all.column(0), None, None).expect("sorts");
    let columns = all.columns().iter().map(|c| arrow::compute::take(c, &order, None).expect("takes")).collect();
    RecordBatch::try_new(all.schema(), columns).expect("same schema")
}

fn status_of(e: FlightError) -> tonic::Status {
    match e {
        FlightError::Tonic(status) => *status,
        other => panic!("expected a gRPC status, got {other}"),
    }
}

#[tokio::test]
async fn an_exchange_streams_rows_in_and_the_result_out() {
    let running = serve(scorer(), ServeOptions::default()).await;
    let mut client = connect(&running, None).await;

    // Discovery: one flight, whose descriptor and schema are what an exchange uses.
    let flights: Vec<_> = client.list_flights("").await.expect("lists").try_collect().await.expect("collects");
    assert_eq!(flights.len(), 1);
    let descriptor = flights[0].flight_descriptor.clone().expect("a descriptor");
    assert_eq!(descriptor.path, ["scorer"]);
    let metadata: serde_json::Value = serde_json::from_slice(&flights[0].app_metadata).expect("JSON");
    assert_eq!(metadata["address"], scorer().address().hex());
    assert_eq!(metadata["input"]["name"], "orders");
    let schema = client.get_schema(descriptor.clone()).await.expect("a schema");
    assert_eq!(schema, scorer().schema().to_arrow());

    let batches = vec![rows(0, 100), rows(100, 1000), rows(1100, 7)];
    let got = sorted(&exchange(&mut client, batches.clone()).await.expect("exchanges"));
    assert_eq!(got, expected(batches).await);
    assert!(got.num_rows() > 0);
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn sixteen_concurrent_exchanges_are_independent() {
    let running = serve(scorer(), ServeOptions::default()).await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let mut client = connect(&running, None).await;
        tasks.push(tokio::spawn(async move {
            let batches = vec![rows(i * 10_000, 500 + i as usize * 37), rows(i * 10_000 + 5_000, 300)];
            let got = sorted(&exchange(&mut client, batches.clone()).await.expect("exchanges"));
            assert_eq!(got, expected(batches).await, "client {i}");
        }));
    }
    for task in tasks {
        task.await.expect("a client task ends");
    }
    assert_eq!(running.metrics().in_flight(), 0);
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn a_client_that_goes_away_mid_stream_leaves_nothing_behind() {
    let running = serve(scorer(), ServeOptions::default()).await;
    let address = running.address;
    // A client process of its own (a runtime of its own, whose end closes its connections)
    // sends rows that never end, reads one result batch and goes away.
    tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Runtime::new().expect("a runtime");
        rt.block_on(async move {
            let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
                .expect("endpoint")
                .connect()
                .await
                .expect("connects");
            let mut client = FlightClient::new(channel);
            let endless = futures::stream::iter(0..).then(|i| async move {
                tokio::time::sleep(Duration::from_millis(5)).await;
                Ok(rows(i * 100, 100))
            });
            let data = FlightDataEncoderBuilder::new()
                .with_flight_descriptor(Some(FlightDescriptor::new_path(vec!["scorer".into()])))
                .build(endless);
            let mut results = client.do_exchange(data).await.expect("starts");
            assert!(results.next().await.expect("a first batch").is_ok());
        });
        rt.shutdown_background();
    })
    .await
    .expect("the client ends");
    // The server notices, ends the run, and keeps serving others.
    let mut waited = Duration::ZERO;
    while running.metrics().in_flight() > 0 && waited < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    }
    assert_eq!(running.metrics().in_flight(), 0, "the abandoned exchange is still running");
    let mut other = connect(&running, None).await;
    assert!(exchange(&mut other, vec![rows(0, 10)]).await.is_ok());
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn rows_of_another_schema_get_invalid_argument_naming_the_column() {
    let running = serve(scorer(), ServeOptions::default()).await;
    let mut client = connect(&running, None).await;
    let narrow = rows(0, 5).project(&[0, 1]).expect("two columns");
    let status = status_of(exchange(&mut client, vec![narrow]).await.expect_err("wrong rows"));
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status}");
    assert!(status.message().contains("column `amount` (Float64) is missing"), "{}", status.message());
    let text = RecordBatch::try_from_iter([
        ("id", Arc::new(StringArray::from(vec!["1"])) as _),
        ("region", Arc::new(StringArray::from(vec!["x"])) as _),
        ("amount", Arc::new(Float64Array::from(vec![1.0])) as _),
    ])
    .expect("a batch");
    let status = status_of(exchange(&mut client, vec![text]).await.expect_err("wrong type"));
    assert!(status.message().contains("column `id` is String, expected Int64"), "{}", status.message());
    // The server goes on serving.
    assert!(exchange(&mut client, vec![rows(0, 10)]).await.is_ok());
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn other_representations_of_the_input_types_are_accepted() {
    let running = serve(scorer(), ServeOptions::default()).await;
    let mut client = connect(&running, None).await;
    let plain = rows(0, 200);
    // Strings dictionary-encoded and as large strings, columns in another order.
    let region = plain.column(1);
    let dictionary = arrow::compute::cast(
        region,
        &arrow::datatypes::DataType::Dictionary(
            Box::new(arrow::datatypes::DataType::Int32),
            Box::new(arrow::datatypes::DataType::Utf8),
        ),
    )
    .expect("dictionary-encodes");
    let large = arrow::compute::cast(region, &arrow::datatypes::DataType::LargeUtf8).expect("casts");
    for strings in [dictionary, large] {
        let batch = RecordBatch::try_from_iter([
            ("amount", plain.column(2).clone()),
            ("region", strings),
            ("id", plain.column(0).clone()),
        ])
        .expect("a batch");
        let got = sorted(&exchange(&mut client, vec![batch]).await.expect("accepted"));
        assert_eq!(got, expected(vec![plain.clone()]).await);
    }
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn a_token_is_required_when_configured() {
    let options = ServeOptions { auth_token: Some("s3cret".into()), ..ServeOptions::default() };
    let running = serve(scorer(), options).await;
    for token in [None, Some("wrong")] {
        let mut client = connect(&running, token).await;
        let status = status_of(exchange(&mut client, vec![rows(0, 3)]).await.expect_err("refused"));
        assert_eq!(status.code(), tonic::Code::Unauthenticated, "{token:?}: {status}");
        let e = client.list_flights("").await.err().expect("refused");
        assert_eq!(status_of(e).code(), tonic::Code::Unauthenticated);
    }
    let mut client = connect(&running, Some("s3cret")).await;
    assert!(exchange(&mut client, vec![rows(0, 3)]).await.is_ok());
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn a_bound_expression_is_read_with_do_get() {
    let bound = Table::memtable(vec![rows(0, 50)]).and_then(|t| t.filter(col("amount").gt(lit(20.0)))).expect("valid");
    let running = serve(bound.clone(), ServeOptions::default()).await;
    let mut client = connect(&running, None).await;
    let got: Vec<RecordBatch> =
        client.do_get(Ticket::new("scorer")).await.expect("reads").try_collect().await.expect("collects");
    let want = Session::new().execute(&bound, &Params::new()).await.expect("runs");
    assert_eq!(sorted(&got), sorted(&want));
    // No input to send rows to, and an unknown ticket, are named.
    let status = status_of(exchange(&mut client, vec![rows(0, 1)]).await.expect_err("nothing unbound"));
    assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status}");
    let e = client.do_get(Ticket::new("other")).await.expect_err("unknown");
    assert_eq!(status_of(e).code(), tonic::Code::NotFound);
    running.stop().await.expect("stops");

    // And DoGet on an expression with an input says to use DoExchange.
    let running = serve(scorer(), ServeOptions::default()).await;
    let mut client = connect(&running, None).await;
    let e = client.do_get(Ticket::new("scorer")).await.expect_err("unbound");
    let status = status_of(e);
    assert!(status.message().contains("DoExchange"), "{status}");
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn health_actions_and_metrics_answer() {
    let options = ServeOptions { prometheus_port: Some(0), ..ServeOptions::default() };
    let running = serve(scorer(), options).await;
    let mut client = connect(&running, None).await;
    let health: Vec<_> =
        client.do_action(Action::new("health", "")).await.expect("acts").try_collect().await.expect("collects");
    assert_eq!(health[0].as_ref(), br#"{"status":"serving"}"#);
    let actions: Vec<_> = client.list_actions().await.expect("lists").try_collect().await.expect("collects");
    assert_eq!(actions.iter().map(|a| a.r#type.as_str()).collect::<Vec<_>>(), ["health", "describe"]);
    let e = client.do_action(Action::new("install", "code")).await.err().expect("unknown action");
    assert_eq!(status_of(e).code(), tonic::Code::InvalidArgument);
    exchange(&mut client, vec![rows(0, 40)]).await.expect("exchanges");

    // grpc.health.v1 reports the Flight service as serving.
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", running.address))
        .expect("endpoint")
        .connect()
        .await
        .expect("connects");
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let reply = health
        .check(tonic_health::pb::HealthCheckRequest { service: "arrow.flight.protocol.FlightService".into() })
        .await
        .expect("checks");
    assert_eq!(reply.get_ref().status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);

    let mut socket = tokio::net::TcpStream::connect(running.metrics_address.expect("metrics")).await.expect("connects");
    socket.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("asks");
    let mut text = String::new();
    socket.read_to_string(&mut text).await.expect("reads");
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.contains("xorq_serve_requests_total{method=\"do_exchange\"} 1"), "{text}");
    assert!(text.contains("xorq_serve_rows_in_total 40"), "{text}");
    running.stop().await.expect("stops");
}

#[tokio::test]
async fn a_stop_lets_an_exchange_in_flight_finish_and_refuses_new_calls() {
    let running = serve(scorer(), ServeOptions::default()).await;
    let address = running.address;
    let mut client = connect(&running, None).await;
    // Rows that arrive slowly: the stop comes while they are still coming.
    let slow = futures::stream::iter(0..5).then(|i| async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(rows(i * 100, 100))
    });
    let data = FlightDataEncoderBuilder::new()
        .with_flight_descriptor(Some(FlightDescriptor::new_path(vec!["scorer".into()])))
        .build(slow);
    let call = tokio::spawn(async move {
        let out: Vec<RecordBatch> = client.do_exchange(data).await?.try_collect().await?;
        Ok::<_, FlightError>(out.iter().map(RecordBatch::num_rows).sum::<usize>())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    running.stop().await.expect("stops");
    let rows_out = call.await.expect("the call ends").expect("the exchange finished");
    assert_eq!(rows_out, expected((0..5).map(|i| rows(i * 100, 100)).collect()).await.num_rows());
    // Nothing listens any more.
    let refused =
        tonic::transport::Endpoint::from_shared(format!("http://{address}")).expect("endpoint").connect().await;
    assert!(refused.is_err());
}
