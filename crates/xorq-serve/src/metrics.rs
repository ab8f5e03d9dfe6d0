//! Prometheus metrics of a server (`--prometheus-port`): requests and errors per Flight method,
//! rows in and out, and a latency histogram, in the text exposition format at `GET /metrics`.

use std::sync::Arc;
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The Flight method a figure is about.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabel {
    /// `do_exchange`, `do_get`, `get_flight_info`, …
    pub method: String,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// The server's figures; cheap to clone (shared counters).
#[derive(Clone)]
pub struct Metrics {
    requests: Family<MethodLabel, Counter>,
    errors: Family<MethodLabel, Counter>,
    latency: Family<MethodLabel, Histogram, fn() -> Histogram>,
    rows_in: Counter,
    rows_out: Counter,
    in_flight: Gauge,
    registry: Arc<Registry>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Empty figures, registered under the `xorq_serve` prefix.
    pub fn new() -> Metrics {
        let requests = Family::<MethodLabel, Counter>::default();
        let errors = Family::<MethodLabel, Counter>::default();
        let latency = Family::<MethodLabel, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let rows_in = Counter::default();
        let rows_out = Counter::default();
        let in_flight = Gauge::default();
        let mut registry = Registry::with_prefix("xorq_serve");
        registry.register("requests", "Flight calls, by method", requests.clone());
        registry.register("errors", "Flight calls that ended in an error, by method", errors.clone());
        registry.register(
            "latency_seconds",
            "Time from a call to its last response message, by method",
            latency.clone(),
        );
        registry.register("rows_in", "Rows received from clients (DoExchange)", rows_in.clone());
        registry.register("rows_out", "Rows sent to clients (DoExchange, DoGet)", rows_out.clone());
        registry.register("in_flight", "Calls started and not yet ended", in_flight.clone());
        Metrics { requests, errors, latency, rows_in, rows_out, in_flight, registry: Arc::new(registry) }
    }

    /// Starts timing a call of `method` (counted now).
    pub fn call(&self, method: &str) -> Call {
        let label = MethodLabel { method: method.to_string() };
        self.requests.get_or_create(&label).inc();
        self.in_flight.inc();
        Call { metrics: self.clone(), label, started: Instant::now(), done: false }
    }

    /// Calls started and not yet ended (a call whose client went away ends when its response
    /// is dropped).
    pub fn in_flight(&self) -> i64 {
        self.in_flight.get()
    }

    /// Counts rows received.
    pub fn rows_in(&self, n: usize) {
        self.rows_in.inc_by(n as u64);
    }

    /// Counts rows sent.
    pub fn rows_out(&self, n: usize) {
        self.rows_out.inc_by(n as u64);
    }

    /// The figures in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a `String` cannot fail; an encoding error leaves what was written.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Serves `GET /metrics` on `listener` until the task is dropped.
    pub async fn serve(self, listener: TcpListener) {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { continue };
            let metrics = self.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let n = socket.read(&mut request).await.unwrap_or(0);
                let line = String::from_utf8_lossy(&request[..n]);
                let response = if line.starts_with("GET /metrics ") || line.starts_with("GET / ") {
                    let body = metrics.render();
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
                };
                // A client that went away gets nothing; the server goes on.
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    }
}

/// One call being timed; [`Call::finish`] records its latency and outcome, and a call dropped
/// without it (its client went away) is recorded as an error.
pub struct Call {
    metrics: Metrics,
    label: MethodLabel,
    started: Instant,
    done: bool,
}

impl Call {
    /// Records the call's latency, and an error when `ok` is false.
    pub fn finish(mut self, ok: bool) {
        self.record(ok);
    }

    fn record(&mut self, ok: bool) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        self.metrics.latency.get_or_create(&self.label).observe(self.started.elapsed().as_secs_f64());
        if !ok {
            self.metrics.errors.get_or_create(&self.label).inc();
        }
        self.metrics.in_flight.dec();
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.record(false);
    }
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn figures_render_in_the_text_format() {
        let m = Metrics::new();
        m.call("do_exchange").finish(true);
        m.call("do_exchange").finish(false);
        m.rows_in(3);
        m.rows_out(2);
        let text = m.render();
        assert!(text.contains("xorq_serve_requests_total{method=\"do_exchange\"} 2"), "{text}");
        assert!(text.contains("xorq_serve_errors_total{method=\"do_exchange\"} 1"), "{text}");
        assert!(text.contains("xorq_serve_rows_in_total 3") && text.contains("xorq_serve_rows_out_total 2"), "{text}");
        assert!(text.contains("xorq_serve_latency_seconds_count{method=\"do_exchange\"} 2"), "{text}");
        // A call dropped unfinished counts as an error and leaves nothing in flight.
        drop(m.call("do_get"));
        assert_eq!(m.in_flight(), 0);
        assert!(m.render().contains("xorq_serve_errors_total{method=\"do_get\"} 1"));
    }
}
