//! The Flight service: one served expression, described by `ListFlights`/`GetFlightInfo`/
//! `GetSchema`, run by `DoExchange` (rows in, result out, both streaming) when it has an unbound
//! input and by `DoGet` when it has none.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use arrow::ipc::writer::IpcWriteOptions;
use arrow_flight::decode::{DecodedPayload, FlightDataDecoder};
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightEndpoint, FlightInfo, HandshakeRequest,
    HandshakeResponse, PollInfo, PutResult, SchemaAsIpc, SchemaResult, Ticket,
};
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use tonic::{Request, Response, Status, Streaming};
use xorq_core::{Fault, Table};
use xorq_exec::{ExecError, Inputs, Params, Session};

use crate::error::{Result, ServeError};
use crate::metrics::{Call, Metrics};

/// The actions `DoAction` takes (plain JSON out, nothing installed, no code read).
pub const ACTIONS: [(&str, &str); 2] = [
    ("health", "`{\"status\": \"serving\"}` while the server serves"),
    ("describe", "the served expression as JSON: name, address, input and output columns"),
];

/// What a server serves: an expression (with at most one unbound input) under a name.
#[derive(Clone)]
pub struct Served {
    name: String,
    table: Table,
    params: Params,
    input: Option<(String, ArrowSchemaRef)>,
    output: ArrowSchemaRef,
}

impl Served {
    /// `table` served as `name` (the flight's descriptor path), bound with `params` on every
    /// call. An expression reading more than one unbound input cannot be served (one exchange
    /// carries one stream of rows).
    pub fn new(name: &str, table: Table, params: Params) -> Result<Served> {
        let inputs = table.inputs().map_err(|e| ServeError::Setup(e.to_string()))?;
        if inputs.len() > 1 {
            let names: Vec<String> = inputs.keys().map(|k| format!("`{k}`")).collect();
            return Err(ServeError::Setup(format!(
                "the expression reads {} unbound inputs ({}); an exchange carries one stream of rows, so serve an expression with one",
                inputs.len(),
                names.join(", ")
            )));
        }
        let input = inputs.into_iter().next().map(|(name, schema)| (name, Arc::new(schema.to_arrow())));
        let output = Arc::new(table.schema().to_arrow());
        Ok(Served { name: name.to_string(), table, params, input, output })
    }

    /// The flight's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The unbound input's name and schema, if there is one.
    pub fn input(&self) -> Option<&(String, ArrowSchemaRef)> {
        self.input.as_ref()
    }

    /// The result's schema.
    pub fn output(&self) -> &ArrowSchemaRef {
        &self.output
    }

    /// The expression's address.
    pub fn address(&self) -> String {
        self.table.address().hex()
    }

    /// The descriptor that names this flight (a path of one element, its name).
    pub fn descriptor(&self) -> FlightDescriptor {
        FlightDescriptor::new_path(vec![self.name.clone()])
    }

    /// The flight as JSON: name, address, input and output columns.
    pub fn describe(&self) -> serde_json::Value {
        let columns = |schema: &ArrowSchemaRef| {
            schema
                .fields()
                .iter()
                .map(|f| serde_json::json!({"name": f.name(), "type": f.data_type().to_string()}))
                .collect::<Vec<_>>()
        };
        serde_json::json!({
            "name": self.name,
            "address": self.address(),
            "input": self.input.as_ref().map(|(name, schema)| serde_json::json!({"name": name, "columns": columns(schema)})),
            "output": columns(&self.output),
            "call": if self.input.is_some() { "DoExchange" } else { "DoGet" },
        })
    }

    fn info(&self) -> std::result::Result<FlightInfo, Status> {
        let endpoint = FlightEndpoint::new().with_ticket(Ticket::new(self.name.clone()));
        Ok(FlightInfo::new()
            .try_with_schema(&self.output)
            .map_err(|e| Status::internal(format!("encoding the output schema: {e}")))?
            .with_descriptor(self.descriptor())
            .with_endpoint(endpoint)
            .with_total_records(-1)
            .with_total_bytes(-1)
            .with_app_metadata(self.describe().to_string()))
    }

    /// `Ok` when `descriptor` names this flight (its path, or its name as a command).
    fn check(&self, descriptor: &FlightDescriptor) -> std::result::Result<(), Status> {
        let by_path = descriptor.path.len() == 1 && descriptor.path[0] == self.name;
        let by_cmd = !descriptor.cmd.is_empty() && descriptor.cmd.as_ref() == self.name.as_bytes();
        if by_path || by_cmd {
            return Ok(());
        }
        let asked = if descriptor.path.is_empty() {
            String::from_utf8_lossy(&descriptor.cmd).into_owned()
        } else {
            descriptor.path.join("/")
        };
        Err(Status::not_found(format!("no flight `{asked}`; this server serves `{}` (see ListFlights)", self.name)))
    }
}

/// The Flight service over one [`Served`] expression, run in a [`Session`].
#[derive(Clone)]
pub struct XorqFlightService {
    session: Session,
    served: Arc<Served>,
    metrics: Metrics,
}

impl XorqFlightService {
    /// A service running `served` in `session`, counting into `metrics`.
    pub fn new(session: Session, served: Served, metrics: Metrics) -> Self {
        XorqFlightService { session, served: Arc::new(served), metrics }
    }

    /// Runs a unary call, timing it.
    fn timed<T>(
        &self,
        method: &str,
        f: impl FnOnce() -> std::result::Result<T, Status>,
    ) -> std::result::Result<T, Status> {
        let call = self.metrics.call(method);
        let out = f();
        call.finish(out.is_ok());
        out
    }

    /// The result of the served expression with its input bound to `rows`, as Flight data.
    async fn run(
        &self,
        rows: Option<SendableRecordBatchStream>,
        call: Call,
    ) -> std::result::Result<FlightStream, Status> {
        let served = &self.served;
        let stream = match (rows, &served.input) {
            (Some(rows), Some((name, _))) => match Inputs::new().bind(name, rows) {
                Ok(inputs) => self.session.execute_stream_with_inputs(&served.table, &served.params, inputs).await,
                Err(e) => Err(e),
            },
            (None, None) => self.session.execute_stream(&served.table, &served.params).await,
            // Returning drops `call`, which records the failure.
            _ => return Err(Status::internal("a call reached the wrong method for its flight")),
        };
        let stream = stream.map_err(|e| status(&e))?;
        let metrics = self.metrics.clone();
        let counted = stream
            .inspect_ok(move |b| metrics.rows_out(b.num_rows()))
            .map_err(|e| FlightError::Tonic(Box::new(datafusion_status(&e))));
        let encoded = FlightDataEncoderBuilder::new().with_schema(Arc::clone(&served.output)).build(counted).map_err(
            |e| match e {
                FlightError::Tonic(status) => *status,
                other => Status::internal(format!("encoding the result: {other}")),
            },
        );
        Ok(Box::pin(Timed { inner: Box::pin(encoded), call: Some(call), failed: false }))
    }
}

type FlightStream = BoxStream<'static, std::result::Result<FlightData, Status>>;

/// A response stream that records its call when it ends, fails or is dropped (a client that
/// went away).
struct Timed {
    inner: FlightStream,
    call: Option<Call>,
    failed: bool,
}

impl Stream for Timed {
    type Item = std::result::Result<FlightData, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.poll_next_unpin(cx);
        match &next {
            Poll::Ready(Some(Err(_))) => self.failed = true,
            Poll::Ready(None) => {
                let failed = self.failed;
                if let Some(call) = self.call.take() {
                    call.finish(!failed);
                }
            }
            _ => {}
        }
        next
    }
}

/// The gRPC status for an error of a run, by whose fault it is.
pub(crate) fn status(e: &ExecError) -> Status {
    match e.fault() {
        Fault::Usage => Status::invalid_argument(e.to_string()),
        Fault::Runtime => Status::failed_precondition(e.to_string()),
        _ => Status::internal(format!("{e}\n{}", xorq_core::BUG_REPORT)),
    }
}

/// The gRPC status for an error met while streaming the result.
fn datafusion_status(e: &DataFusionError) -> Status {
    match e {
        DataFusionError::External(inner) => match inner.downcast_ref::<ExecError>() {
            Some(exec) => status(exec),
            None => Status::failed_precondition(e.to_string()),
        },
        // Rows of a client that cannot be converted to the input's types.
        DataFusionError::ArrowError(..) => Status::invalid_argument(e.to_string()),
        _ => match xorq_engines::datafusion_fault(e) {
            Fault::Internal => Status::internal(format!("{e}\n{}", xorq_core::BUG_REPORT)),
            Fault::Usage => Status::invalid_argument(e.to_string()),
            _ => Status::failed_precondition(e.to_string()),
        },
    }
}

/// The rows of an exchange: its schema (the first message) and then its batches, as one
/// stream the run reads once.
async fn exchange_rows(
    first: FlightData,
    rest: Streaming<FlightData>,
    metrics: Metrics,
) -> std::result::Result<SendableRecordBatchStream, Status> {
    // A message with no IPC header carries only the descriptor or metadata (pyarrow's first
    // message of an exchange is its descriptor alone): nothing to decode.
    let data = futures::stream::once(async { Ok(first) })
        .chain(rest.map_err(|s| FlightError::Tonic(Box::new(s))))
        .try_filter(|d| futures::future::ready(!d.data_header.is_empty()))
        .boxed();
    let mut decoder = FlightDataDecoder::new(data);
    let schema = loop {
        match decoder.next().await {
            Some(Ok(d)) => match d.payload {
                DecodedPayload::Schema(schema) => break schema,
                DecodedPayload::None => continue,
                DecodedPayload::RecordBatch(_) => {
                    return Err(Status::invalid_argument("the exchange sent rows before their schema"));
                }
            },
            Some(Err(e)) => return Err(Status::invalid_argument(format!("reading the exchange: {e}"))),
            None => return Err(Status::invalid_argument("the exchange ended before sending a schema")),
        }
    };
    let first_schema = Arc::clone(&schema);
    let batches = decoder.filter_map(move |d| {
        let out = match d {
            Ok(d) => match d.payload {
                DecodedPayload::RecordBatch(batch) => {
                    metrics.rows_in(batch.num_rows());
                    Some(Ok(batch))
                }
                DecodedPayload::Schema(s) if s == first_schema => None,
                DecodedPayload::Schema(_) => Some(Err(DataFusionError::External(Box::new(ExecError::Input {
                    input: "exchange".into(),
                    message: "changed its schema mid-stream; send one schema per exchange".into(),
                })))),
                DecodedPayload::None => None,
            },
            Err(e) => Some(Err(DataFusionError::External(Box::new(e)))),
        };
        futures::future::ready(out)
    });
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, batches)))
}

#[tonic::async_trait]
impl FlightService for XorqFlightService {
    type HandshakeStream = BoxStream<'static, std::result::Result<HandshakeResponse, Status>>;
    type ListFlightsStream = BoxStream<'static, std::result::Result<FlightInfo, Status>>;
    type DoGetStream = FlightStream;
    type DoPutStream = BoxStream<'static, std::result::Result<PutResult, Status>>;
    type DoActionStream = BoxStream<'static, std::result::Result<arrow_flight::Result, Status>>;
    type ListActionsStream = BoxStream<'static, std::result::Result<ActionType, Status>>;
    type DoExchangeStream = FlightStream;

    /// Nothing to negotiate: authentication (when configured) is a bearer token on every call.
    async fn handshake(
        &self,
        _request: Request<Streaming<HandshakeRequest>>,
    ) -> std::result::Result<Response<Self::HandshakeStream>, Status> {
        self.timed("handshake", || Ok(()))?;
        let reply = HandshakeResponse { protocol_version: 0, payload: Default::default() };
        Ok(Response::new(futures::stream::once(async { Ok(reply) }).boxed()))
    }

    async fn list_flights(
        &self,
        _request: Request<Criteria>,
    ) -> std::result::Result<Response<Self::ListFlightsStream>, Status> {
        let info = self.timed("list_flights", || self.served.info())?;
        Ok(Response::new(futures::stream::once(async { Ok(info) }).boxed()))
    }

    async fn get_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> std::result::Result<Response<FlightInfo>, Status> {
        self.timed("get_flight_info", || {
            self.served.check(request.get_ref())?;
            self.served.info().map(Response::new)
        })
    }

    async fn poll_flight_info(
        &self,
        request: Request<FlightDescriptor>,
    ) -> std::result::Result<Response<PollInfo>, Status> {
        self.timed("poll_flight_info", || {
            self.served.check(request.get_ref())?;
            Ok(Response::new(PollInfo {
                info: Some(self.served.info()?),
                flight_descriptor: None,
                progress: Some(1.0),
                expiration_time: None,
            }))
        })
    }

    async fn get_schema(
        &self,
        request: Request<FlightDescriptor>,
    ) -> std::result::Result<Response<SchemaResult>, Status> {
        self.timed("get_schema", || {
            self.served.check(request.get_ref())?;
            let options = IpcWriteOptions::default();
            SchemaResult::try_from(SchemaAsIpc::new(&self.served.output, &options))
                .map(Response::new)
                .map_err(|e| Status::internal(format!("encoding the output schema: {e}")))
        })
    }

    async fn do_get(&self, request: Request<Ticket>) -> std::result::Result<Response<Self::DoGetStream>, Status> {
        let call = self.metrics.call("do_get");
        let ticket = &request.get_ref().ticket;
        // An early return drops `call`, which records the failure.
        if ticket.as_ref() != self.served.name.as_bytes() {
            return Err(Status::not_found(format!(
                "no flight for ticket `{}`; this server serves `{}` (see ListFlights)",
                String::from_utf8_lossy(ticket),
                self.served.name
            )));
        }
        if let Some((input, _)) = &self.served.input {
            return Err(Status::failed_precondition(format!(
                "flight `{}` reads the unbound input `{input}`: send its rows with DoExchange",
                self.served.name
            )));
        }
        Ok(Response::new(self.run(None, call).await?))
    }

    async fn do_put(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> std::result::Result<Response<Self::DoPutStream>, Status> {
        self.timed("do_put", || {
            Err(Status::unimplemented("this server stores nothing: send rows with DoExchange and read the result"))
        })
    }

    async fn do_action(&self, request: Request<Action>) -> std::result::Result<Response<Self::DoActionStream>, Status> {
        let body = self.timed("do_action", || match request.get_ref().r#type.as_str() {
            "health" => Ok(serde_json::json!({"status": "serving"}).to_string()),
            "describe" => Ok(self.served.describe().to_string()),
            other => {
                let known: Vec<&str> = ACTIONS.iter().map(|(name, _)| *name).collect();
                Err(Status::invalid_argument(format!(
                    "unknown action `{other}`; this server takes {}",
                    known.join(", ")
                )))
            }
        })?;
        let reply = arrow_flight::Result { body: body.into() };
        Ok(Response::new(futures::stream::once(async { Ok(reply) }).boxed()))
    }

    async fn list_actions(
        &self,
        _request: Request<Empty>,
    ) -> std::result::Result<Response<Self::ListActionsStream>, Status> {
        self.timed("list_actions", || Ok(()))?;
        let actions = ACTIONS.iter().map(|(name, description)| {
            Ok(ActionType { r#type: (*name).to_string(), description: (*description).to_string() })
        });
        Ok(Response::new(futures::stream::iter(actions.collect::<Vec<_>>()).boxed()))
    }

    async fn do_exchange(
        &self,
        request: Request<Streaming<FlightData>>,
    ) -> std::result::Result<Response<Self::DoExchangeStream>, Status> {
        // An early return drops `call`, which records the failure.
        let call = self.metrics.call("do_exchange");
        let mut incoming = request.into_inner();
        let first = incoming.message().await?.ok_or_else(|| Status::invalid_argument("the exchange sent nothing"))?;
        if let Some(descriptor) = &first.flight_descriptor {
            self.served.check(descriptor)?;
        }
        if self.served.input.is_none() {
            return Err(Status::failed_precondition(format!(
                "flight `{}` has no unbound input to send rows to: read its result with DoGet",
                self.served.name
            )));
        }
        let rows = exchange_rows(first, incoming, self.metrics.clone()).await?;
        Ok(Response::new(self.run(Some(rows), call).await?))
    }
}
