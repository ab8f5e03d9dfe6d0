//! Serving over Arrow Flight on loopback, each figure beside a bare `arrow-flight` server doing
//! the least the same call can do, measured in the same run:
//! - `DoExchange` round trips of a 1-row and a 10,000-row batch through a served expression (a
//!   filter and a projection over an unbound input), against an echo server that decodes the
//!   batch and sends it back: p50 and p99 (goal: p50 under 2 ms for 1 row);
//! - `DoGet` of 10M rows from a served in-memory table, against a server sending the same
//!   batches from memory: rows per second (goal: at least 0.8 of the bare server's).
//!
//! `cargo bench -p xorq-serve --bench flight`; `FLIGHT_ROUNDS` (default 300) round trips per
//! size, `FLIGHT_GET_ROWS` (default 10,000,000) rows for `DoGet`.

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightClient, FlightData, FlightDescriptor, FlightInfo, HandshakeRequest,
    HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use tonic::{Request, Response, Status, Streaming};
use xorq_core::{DataType, Field, Schema, Table, col, lit};
use xorq_exec::{Params, Session};
use xorq_serve::{ServeOptions, Served, start};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn rows(first: i64, n: usize) -> RecordBatch {
    let ids: Vec<i64> = (first..first + n as i64).collect();
    let regions: Vec<&str> = ids.iter().map(|i| if i % 2 == 0 { "east" } else { "west" }).collect();
    let amounts: Vec<f64> = ids.iter().map(|i| (i % 1000) as f64).collect();
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids)) as _),
        ("region", Arc::new(StringArray::from(regions)) as _),
        ("amount", Arc::new(Float64Array::from(amounts)) as _),
    ])
    .expect("a valid batch")
}

fn scorer() -> Table {
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("region", DataType::String, true),
        Field::new("amount", DataType::Float64, true),
    ])
    .expect("a valid schema");
    Table::input("orders", schema)
        .and_then(|t| t.filter(col("amount").gt_eq(lit(0.0))))
        .and_then(|t| t.select([col("id"), col("region"), (col("amount") * lit(2.0)).alias("doubled")]))
        .expect("a valid expression")
}

/// The least a Flight server can do: echo an exchange's batches, send stored batches on DoGet.
#[derive(Clone)]
struct Bare {
    batches: Arc<Vec<RecordBatch>>,
}

type Boxed<T> = BoxStream<'static, Result<T, Status>>;

#[tonic::async_trait]
impl FlightService for Bare {
    type HandshakeStream = Boxed<HandshakeResponse>;
    type ListFlightsStream = Boxed<FlightInfo>;
    type DoGetStream = Boxed<FlightData>;
    type DoPutStream = Boxed<PutResult>;
    type DoActionStream = Boxed<arrow_flight::Result>;
    type ListActionsStream = Boxed<ActionType>;
    type DoExchangeStream = Boxed<FlightData>;

    async fn handshake(
        &self,
        _: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn list_flights(&self, _: Request<Criteria>) -> Result<Response<Self::ListFlightsStream>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn get_flight_info(&self, _: Request<FlightDescriptor>) -> Result<Response<FlightInfo>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn poll_flight_info(&self, _: Request<FlightDescriptor>) -> Result<Response<PollInfo>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn get_schema(&self, _: Request<FlightDescriptor>) -> Result<Response<SchemaResult>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn do_get(&self, _: Request<Ticket>) -> Result<Response<Self::DoGetStream>, Status> {
        let batches: Vec<Result<RecordBatch, FlightError>> = self.batches.iter().cloned().map(Ok).collect();
        let out = FlightDataEncoderBuilder::new()
            .build(futures::stream::iter(batches))
            .map_err(|e| Status::internal(e.to_string()));
        Ok(Response::new(out.boxed()))
    }
    async fn do_put(&self, _: Request<Streaming<FlightData>>) -> Result<Response<Self::DoPutStream>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn do_action(&self, _: Request<Action>) -> Result<Response<Self::DoActionStream>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn list_actions(&self, _: Request<Empty>) -> Result<Response<Self::ListActionsStream>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn do_exchange(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        let incoming = request.into_inner().map_err(|s| FlightError::Tonic(Box::new(s)));
        let decoded = FlightRecordBatchStream::new_from_flight_data(incoming);
        let out = FlightDataEncoderBuilder::new().build(decoded).map_err(|e| Status::internal(e.to_string()));
        Ok(Response::new(out.boxed()))
    }
}

async fn start_bare(batches: Vec<RecordBatch>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let address = listener.local_addr().expect("an address");
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let service = FlightServiceServer::new(Bare { batches: Arc::new(batches) });
    tokio::spawn(tonic::transport::Server::builder().add_service(service).serve_with_incoming(incoming));
    address
}

async fn client(address: std::net::SocketAddr) -> FlightClient {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .expect("endpoint")
        .tcp_nodelay(true)
        .connect()
        .await
        .expect("connects");
    FlightClient::new(channel)
}

/// Round-trip times of one exchange of `batch`, `rounds` times after a warm-up.
async fn round_trips(client: &mut FlightClient, batch: &RecordBatch, rounds: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds + 10 {
        let data = FlightDataEncoderBuilder::new()
            .with_flight_descriptor(Some(FlightDescriptor::new_path(vec!["scorer".into()])))
            .build(futures::stream::iter([Ok(batch.clone())]));
        let started = Instant::now();
        let out: Vec<RecordBatch> =
            client.do_exchange(data).await.expect("exchanges").try_collect().await.expect("collects");
        let took = started.elapsed();
        assert_eq!(out.iter().map(RecordBatch::num_rows).sum::<usize>(), batch.num_rows());
        if i >= 10 {
            times.push(took);
        }
    }
    times.sort();
    times
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Rows per second of one `DoGet` of everything.
async fn get_rate(client: &mut FlightClient, ticket: &str, expected: usize) -> f64 {
    let started = Instant::now();
    let mut stream: Pin<Box<dyn Stream<Item = Result<RecordBatch, FlightError>> + Send>> =
        Box::pin(client.do_get(Ticket::new(ticket.to_string())).await.expect("reads"));
    let mut n = 0;
    while let Some(batch) = stream.next().await {
        n += batch.expect("a batch").num_rows();
    }
    assert_eq!(n, expected);
    expected as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let rounds = env_usize("FLIGHT_ROUNDS", 300);
    let get_rows = env_usize("FLIGHT_GET_ROWS", 10_000_000);

    let served = Served::new("scorer", scorer(), Params::new()).expect("servable");
    let xorq = start(Session::new(), served, ServeOptions::default()).await.expect("starts");
    let bare = start_bare(Vec::new()).await;
    let (mut xc, mut bc) = (client(xorq.address).await, client(bare).await);
    println!("DoExchange round trip on loopback, {rounds} rounds (ms)");
    println!(
        "{:>10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9}",
        "rows", "xorq p50", "xorq p99", "bare p50", "bare p99", "p50 ×", "p99 ×"
    );
    for n in [1, 10_000] {
        let batch = rows(0, n);
        // Alternate so that neither server gets a warmer machine.
        let x = round_trips(&mut xc, &batch, rounds).await;
        let b = round_trips(&mut bc, &batch, rounds).await;
        let (xp50, xp99, bp50, bp99) =
            (percentile(&x, 0.5), percentile(&x, 0.99), percentile(&b, 0.5), percentile(&b, 0.99));
        println!(
            "{n:>10} {xp50:>10.3} {xp99:>10.3} {bp50:>10.3} {bp99:>10.3} {:>9.2} {:>9.2}",
            xp50 / bp50,
            xp99 / bp99
        );
    }
    xorq.stop().await.expect("stops");

    // DoGet of the same batches: served as an in-memory table, and sent from memory.
    let batch_rows = 8192;
    let batches: Vec<RecordBatch> = (0..get_rows.div_ceil(batch_rows))
        .map(|i| rows((i * batch_rows) as i64, batch_rows.min(get_rows - i * batch_rows)))
        .collect();
    let table = Table::memtable(batches.clone()).expect("a memtable");
    let served = Served::new("rows", table, Params::new()).expect("servable");
    let xorq = start(Session::new(), served, ServeOptions::default()).await.expect("starts");
    let bare = start_bare(batches).await;
    let (mut xc, mut bc) = (client(xorq.address).await, client(bare).await);
    let (mut x, mut b) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        x.push(get_rate(&mut xc, "rows", get_rows).await);
        b.push(get_rate(&mut bc, "rows", get_rows).await);
    }
    x.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (xm, bm) = (x[1], b[1]);
    println!();
    println!("DoGet of {get_rows} rows on loopback, median of 3 (million rows/s)");
    println!("{:>10} {:>10} {:>9}", "xorq", "bare", "xorq/bare");
    println!("{:>10.2} {:>10.2} {:>9.2}", xm / 1e6, bm / 1e6, xm / bm);
    xorq.stop().await.expect("stops");
}
