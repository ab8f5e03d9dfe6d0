//! Starting and stopping a server: the Flight service (behind a bearer-token check when
//! configured), `grpc.health.v1`, and the metrics endpoint; a graceful stop that lets in-flight
//! calls finish for a while, then cancels them.

use std::net::SocketAddr;
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Status};
use xorq_exec::Session;

use crate::error::{Result, ServeError};
use crate::metrics::Metrics;
use crate::service::{Served, XorqFlightService};

/// How to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Host to bind (`127.0.0.1` unless told otherwise).
    pub host: String,
    /// Port to bind; 0 for a free one.
    pub port: u16,
    /// When set, every call must carry `authorization: Bearer <token>`.
    pub auth_token: Option<String>,
    /// When set, Prometheus metrics at `http://<host>:<port>/metrics`.
    pub prometheus_port: Option<u16>,
    /// How long a stop waits for in-flight calls before cancelling them.
    pub grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            host: "127.0.0.1".into(),
            port: 0,
            auth_token: None,
            prometheus_port: None,
            grace: Duration::from_secs(10),
        }
    }
}

/// A running server.
pub struct Running {
    /// Where the Flight service listens.
    pub address: SocketAddr,
    /// Where the metrics are served, if they are.
    pub metrics_address: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<()>>,
    metrics_task: Option<JoinHandle<()>>,
    metrics: Metrics,
    grace: Duration,
}

impl Running {
    /// The server's figures (what `--prometheus-port` serves).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Stops accepting calls, lets in-flight ones finish for the grace period, then cancels
    /// what is left.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            // The server task may have ended on its own already.
            let _ = stop.send(());
        }
        if let Some(metrics) = self.metrics_task.take() {
            metrics.abort();
        }
        match tokio::time::timeout(self.grace, &mut self.task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(ServeError::Transport(join.to_string())),
            Err(_) => {
                self.task.abort();
                Ok(())
            }
        }
    }

    /// Serves until SIGINT or SIGTERM (Ctrl-C elsewhere), then stops as [`Running::stop`] does.
    pub async fn serve_until_signal(self) -> Result<()> {
        shutdown_signal().await;
        self.stop().await
    }
}

#[cfg(unix)]
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        // Without signal handlers, Ctrl-C is all there is.
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// Compares without an early exit, so the time taken says nothing about the token.
fn same_token(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len() && given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Starts serving `served` in `session` as `options` say; returns once the port is bound.
pub async fn start(session: Session, served: Served, options: ServeOptions) -> Result<Running> {
    let asked = format!("{}:{}", options.host, options.port);
    let listener =
        TcpListener::bind(&asked).await.map_err(|source| ServeError::Bind { address: asked.clone(), source })?;
    let address = listener.local_addr().map_err(|source| ServeError::Bind { address: asked.clone(), source })?;
    let metrics = Metrics::new();
    let (metrics_address, metrics_task) = match options.prometheus_port {
        Some(port) => {
            let asked = format!("{}:{port}", options.host);
            let listener = TcpListener::bind(&asked)
                .await
                .map_err(|source| ServeError::Bind { address: asked.clone(), source })?;
            let bound = listener.local_addr().map_err(|source| ServeError::Bind { address: asked, source })?;
            (Some(bound), Some(tokio::spawn(metrics.clone().serve(listener))))
        }
        None => (None, None),
    };

    let service = XorqFlightService::new(session, served, metrics.clone());
    let token = options.auth_token.clone().map(|t| format!("Bearer {t}").into_bytes());
    let check = move |request: Request<()>| -> std::result::Result<Request<()>, Status> {
        let Some(expected) = &token else { return Ok(request) };
        match request.metadata().get("authorization") {
            Some(given) if same_token(given.as_bytes(), expected) => Ok(request),
            Some(_) => Err(Status::unauthenticated("wrong bearer token")),
            None => Err(Status::unauthenticated("this server needs `authorization: Bearer <token>` on every call")),
        }
    };
    let flight = FlightServiceServer::with_interceptor(service, check);
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter.set_serving::<FlightServiceServer<XorqFlightService>>().await;

    let (stop, stopped) = oneshot::channel::<()>();
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let task = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(health)
            .add_service(flight)
            .serve_with_incoming_shutdown(incoming, async {
                // A dropped sender (the `Running` dropped) stops the server too.
                let _ = stopped.await;
            })
            .await
            .map_err(|e| ServeError::Transport(e.to_string()))
    });
    Ok(Running { address, metrics_address, stop: Some(stop), task, metrics_task, metrics, grace: options.grace })
}

#[cfg(test)]
mod tests {
    use super::same_token;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token(b"Bearer abc", b"Bearer abc"));
        assert!(!same_token(b"Bearer abd", b"Bearer abc"));
        assert!(!same_token(b"Bearer ab", b"Bearer abc"));
    }
}
