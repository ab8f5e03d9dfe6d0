//! Apache DataFusion Ballista: the same DataFusion plans, run by a scheduler and executors
//! (SPEC §5, feature `ballista`).
//!
//! A profile of kind `ballista` names a scheduler (`url: df://host:port`; `partitions`, how many
//! parts each stage is cut into, is optional: Ballista's default otherwise). Connecting it checks
//! that the scheduler answers within `connect_timeout` (seconds, default 10, or
//! `$XORQ_BALLISTA_CONNECT_TIMEOUT`) and runs one tiny query to learn whether the cluster knows
//! xorq's own functions ([`Cluster::runs_own_functions`]): a cluster started with
//! `xorq ballista scheduler|executor` ([`process`]) does, a stock Ballista deployment does not,
//! and the runner then keeps the operations that call them on the embedded engine.
//!
//! The part of an expression placed on the cluster is lowered exactly as for the embedded engine
//! and sent as a DataFusion logical plan, written with [`codec`] (Ballista's operators, and our
//! functions with their state); its rows stream back as Arrow. Its sources must be readable by
//! the executors: files on storage they share, or object-store URLs (credentials from each
//! executor's environment, as on the client).
//!
//! ```no_run
//! # async fn demo() -> xorq_engines::Result<()> {
//! use xorq_core::profile::Profile;
//! use xorq_engines::backend::Connectors;
//! let profile = Profile::new("cluster", "ballista")?.param("url", "df://127.0.0.1:50050")?;
//! let cluster = Connectors::builtin().connect(&profile).await?;
//! assert!(cluster.cluster().is_some());
//! # Ok(()) }
//! ```

pub mod codec;
pub mod located;
pub mod process;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use async_trait::async_trait;
use ballista::extension::{SessionConfigExt, SessionContextExt};
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::prelude::{SessionConfig, SessionContext, col, lit};
use futures::StreamExt;
use xorq_core::Schema;
use xorq_core::profile::Profile;

use crate::backend::{Backend, BackendRef, Cluster, Connection, Connector, timeout_from};
use crate::datafusion::portable;
use crate::dialect::SqlDialect;
use crate::error::{EngineError, Result};

/// The profile kind of a Ballista cluster.
pub const KIND: &str = "ballista";

/// The scheduler's port when the URL gives none (Ballista's default).
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// The connector of `ballista` profiles, for [`crate::backend::Connectors`].
pub fn connector() -> Connector {
    Arc::new(|profile, params| {
        Box::pin(async move { Ok(Arc::new(BallistaCluster::connect(profile, &params).await?) as BackendRef) })
    })
}

/// A connected Ballista cluster (a [`Backend`] whose [`Backend::cluster`] is itself).
pub struct BallistaCluster {
    profile: Profile,
    url: String,
    ctx: SessionContext,
    own_functions: bool,
    partitions: usize,
}

impl fmt::Debug for BallistaCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BallistaCluster")
            .field("profile", &self.profile.name())
            .field("url", &self.url)
            .field("own_functions", &self.own_functions)
            .finish()
    }
}

impl BallistaCluster {
    /// Connects the scheduler `params["url"]` names: reachable within the connect timeout, and
    /// asked once whether it knows xorq's functions.
    pub async fn connect(profile: Profile, params: &BTreeMap<String, String>) -> Result<BallistaCluster> {
        let name = profile.name().to_string();
        let url_text = params.get("url").ok_or_else(|| EngineError::Connect {
            profile: name.clone(),
            kind: KIND.into(),
            message: "the profile has no `url`".into(),
            hint: "\nhint: give the scheduler's address, e.g. `url: df://127.0.0.1:50050`".into(),
        })?;
        let (host, port) = parse_url(&name, url_text)?;
        let url = if host.contains(':') { format!("df://[{host}]:{port}") } else { format!("df://{host}:{port}") };
        let timeout =
            timeout_from(&name, params, "connect_timeout", "XORQ_BALLISTA_CONNECT_TIMEOUT", Duration::from_secs(10))?;
        let failure = |context: &'static str, message: String, hint: &str| EngineError::Cluster {
            profile: name.clone(),
            url: url.clone(),
            context,
            message: message + hint,
        };
        let reach = tokio::net::TcpStream::connect((host.as_str(), port));
        let reached = match timeout {
            Some(t) => tokio::time::timeout(t, reach).await.map_err(|_| format!("no answer within {}", seconds(t))),
            None => Ok(reach.await),
        };
        match reached {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(failure("connecting to the scheduler", e.to_string(), UNREACHABLE_HINT)),
            Err(m) => return Err(failure("connecting to the scheduler", m, UNREACHABLE_HINT)),
        }
        let mut config = SessionConfig::new_with_ballista()
            .with_ballista_logical_extension_codec(Arc::new(codec::LogicalCodec::default()))
            .with_ballista_physical_extension_codec(Arc::new(codec::PhysicalCodec::default()));
        if let Some(p) = params.get("partitions") {
            let n: usize = p.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| EngineError::Connect {
                profile: name.clone(),
                kind: KIND.into(),
                message: format!("parameter `partitions` is `{p}`, not a positive number"),
                hint: "\nhint: `partitions` is how many parts each stage is cut into, e.g. `8`".into(),
            })?;
            config = config.with_target_partitions(n);
        }
        let partitions = config.target_partitions();
        let runtime = RuntimeEnvBuilder::new()
            .with_object_store_registry(crate::remote::registry())
            .build_arc()
            .map_err(|e| failure("preparing the client", e.to_string(), ""))?;
        let state =
            SessionStateBuilder::new().with_config(config).with_runtime_env(runtime).with_default_features().build();
        let ctx = SessionContext::remote_with_state(&url, state)
            .await
            .map_err(|e| failure("preparing the client", e.to_string(), ""))?;
        let own_functions = probe(&ctx, timeout).await.map_err(|m| failure("running a test query", m, PROBE_HINT))?;
        Ok(BallistaCluster { profile, url, ctx, own_functions, partitions })
    }

    fn error(&self, context: &'static str, e: DataFusionError) -> EngineError {
        EngineError::Cluster {
            profile: self.profile.name().to_string(),
            url: self.url.clone(),
            context,
            message: e.to_string(),
        }
    }
}

const UNREACHABLE_HINT: &str = "\nhint: start one with `xorq ballista scheduler`, or check the profile's host and port (and that no firewall is in between)";
const PROBE_HINT: &str = "\nhint: check that executors are registered with the scheduler (`xorq ballista executor --scheduler-host … --scheduler-port …`), or raise `connect_timeout`";

/// `df://host[:port]` as host and port.
fn parse_url(profile: &str, text: &str) -> Result<(String, u16)> {
    let bad = |message: String| EngineError::Connect {
        profile: profile.to_string(),
        kind: KIND.into(),
        message,
        hint: "\nhint: write the scheduler's address as `df://host:port`, e.g. `df://127.0.0.1:50050`".into(),
    };
    let rest = text.strip_prefix("df://").ok_or_else(|| bad(format!("`url` is `{text}`, not a `df://` address")))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad(format!("`{p}` in `{text}` is not a port")))?),
        None => (rest, DEFAULT_SCHEDULER_PORT),
    };
    if host.is_empty() || host.contains(['/', '@', '?', '#']) {
        return Err(bad(format!("`{text}` names no host")));
    }
    Ok((host.trim_start_matches('[').trim_end_matches(']').to_string(), port))
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Runs `SELECT checked_add(column1, 1) FROM (VALUES (1))` on the cluster: `Ok(true)` when it knows xorq's functions,
/// `Ok(false)` when it refused the function (a stock cluster), else what went wrong.
async fn probe(ctx: &SessionContext, timeout: Option<Duration>) -> std::result::Result<bool, String> {
    // Over a column (constants would be folded on the client before anything is sent).
    let plan = LogicalPlanBuilder::values(vec![vec![lit(1i64)]])
        .and_then(|b| b.project(vec![portable::probe_call(col("column1"), lit(1i64)).alias("two")]))
        .and_then(LogicalPlanBuilder::build)
        .map_err(|e| e.to_string())?;
    let run = async {
        let batches = DataFrame::new(ctx.state(), plan).collect().await?;
        Ok::<_, DataFusionError>(batches.iter().map(|b| b.num_rows()).sum::<usize>())
    };
    let outcome = match timeout {
        Some(t) => tokio::time::timeout(t, run).await.map_err(|_| format!("no result within {}", seconds(t)))?,
        None => run.await,
    };
    match outcome {
        Ok(1) => Ok(true),
        Ok(n) => Err(format!("the test query returned {n} rows instead of 1")),
        Err(e) => {
            let text = e.to_string();
            if text.contains(portable::PROBE_FUNCTION)
                && (text.contains("not provided") || text.contains("not one this process knows"))
            {
                Ok(false)
            } else {
                Err(text)
            }
        }
    }
}

/// The [`ArithmeticError`](crate::ArithmeticError) an executor reported, from the text Ballista
/// relays (`ArithmeticError { operation: "…", detail: "…" }`, Rust's debug form).
fn arithmetic_in(text: &str) -> Option<crate::ArithmeticError> {
    let rest = &text[text.find("ArithmeticError { operation: ")? + "ArithmeticError { operation: ".len()..];
    let (operation, rest) = debug_string(rest)?;
    let (detail, _) = debug_string(rest.strip_prefix(", detail: ")?)?;
    Some(crate::ArithmeticError { operation, detail })
}

/// A Rust debug string literal at the start of `text` (`"a \"b\""`), and what follows it.
fn debug_string(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &text[i + 2..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

#[async_trait]
impl Backend for BallistaCluster {
    fn profile(&self) -> &Profile {
        &self.profile
    }

    fn dialect(&self) -> SqlDialect {
        SqlDialect::DataFusion
    }

    async fn table_schema(&self, table: &[String]) -> Result<Schema> {
        Err(EngineError::Cluster {
            profile: self.profile.name().to_string(),
            url: self.url.clone(),
            context: "reading a table",
            message: format!(
                "a Ballista cluster has no tables of its own (asked for `{}`)\nhint: read files or object-store URLs its executors can reach (`read_parquet`), and run them on the cluster with `--on` or `.into_backend`",
                table.join(".")
            ),
        })
    }

    async fn open(&self) -> Result<Box<dyn Connection>> {
        Err(EngineError::Cluster {
            profile: self.profile.name().to_string(),
            url: self.url.clone(),
            context: "running SQL",
            message: "a Ballista cluster runs DataFusion plans, not SQL sessions".into(),
        })
    }

    fn cluster(&self) -> Option<&dyn Cluster> {
        Some(self)
    }
}

#[async_trait]
impl Cluster for BallistaCluster {
    fn url(&self) -> &str {
        &self.url
    }

    fn runs_own_functions(&self) -> bool {
        self.own_functions
    }

    fn target_partitions(&self) -> usize {
        self.partitions
    }

    async fn execute(&self, plan: LogicalPlan) -> Result<SendableRecordBatchStream> {
        let stream = DataFrame::new(self.ctx.state(), plan)
            .execute_stream()
            .await
            .map_err(|e| self.error("running a query part", e))?;
        let schema: ArrowSchemaRef = stream.schema();
        let (profile, url) = (self.profile.name().to_string(), self.url.clone());
        // Failures while rows stream (an executor lost, a source it cannot read) name the cluster.
        let named = stream.map(move |batch| {
            batch.map_err(|e| {
                let message = e.to_string();
                // An overflow on an executor arrives as text; it is the same error as here.
                if let Some(overflow) = arithmetic_in(&message) {
                    return DataFusionError::External(Box::new(overflow));
                }
                DataFusionError::External(Box::new(EngineError::Cluster {
                    profile: profile.clone(),
                    url: url.clone(),
                    context: "running a query part",
                    message,
                }))
            })
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, named)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overflow_on_an_executor_is_the_same_error_as_here() {
        let relayed = r#"Job failed: Task failed due to runtime execution error: DataFusionError(Shared(External(DataFusionError(External(ArithmeticError { operation: "(\"a b\" + 1)", detail: "Overflow happened on: 82 + 9223372036854775807" })))))"#;
        let err = arithmetic_in(relayed).expect("found");
        assert_eq!(err.operation, r#"("a b" + 1)"#);
        assert_eq!(err.detail, "Overflow happened on: 82 + 9223372036854775807");
        assert!(arithmetic_in("Task failed: disk full").is_none());
    }

    #[test]
    fn scheduler_urls_are_checked() {
        assert_eq!(parse_url("c", "df://10.0.0.5:50055").expect("valid"), ("10.0.0.5".into(), 50055));
        assert_eq!(parse_url("c", "df://scheduler").expect("valid"), ("scheduler".into(), DEFAULT_SCHEDULER_PORT));
        for bad in ["http://h:1", "df://", "df://h:port", "df://u@h:1"] {
            let err = parse_url("c", bad).expect_err(bad).to_string();
            assert!(err.contains("profile `c`") && err.contains("df://host:port"), "{err}");
        }
    }
}
