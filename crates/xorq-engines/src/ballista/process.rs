//! A Ballista scheduler and executor from Ballista's own library entry points, configured with
//! xorq's functions and storage: what `xorq ballista scheduler|executor` run.
//!
//! Both take Ballista's own flags ([`SchedulerFlags`], [`ExecutorFlags`]: the options of the
//! `ballista-scheduler` and `ballista-executor` binaries), so a cluster started by `xorq` and one
//! of Ballista's own binaries or containers speak the same protocol; what `xorq` adds is that
//! plans may call xorq's functions (checked arithmetic, registered functions: [`codec`]) and read
//! object storage configured like the client (`XORQ_STORAGE_*`, the cloud SDKs' variables).

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::extension::{ballista_aggregate_functions, ballista_scalar_functions, ballista_window_functions};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster as SchedulerState;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::execution::SessionState;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};

use super::codec::{LogicalCodec, PhysicalCodec};
use super::located::LocatedRegistry;
use crate::datafusion::portable;
use crate::error::{EngineError, Result};

/// The flags of Ballista's scheduler (`ballista-scheduler --help`).
pub use ballista_scheduler::config::Config as SchedulerFlags;

/// The flags of Ballista's executor (`ballista-executor --help`).
pub use ballista_executor::config::Config as ExecutorFlags;

/// Runs a scheduler with `flags` until the process ends. A `--bind-port` of 0 takes a free port;
/// `ready` is called with the address it listens on once it accepts connections.
pub async fn run_scheduler(mut flags: SchedulerFlags, ready: impl FnOnce(SocketAddr)) -> Result<()> {
    let listener = tokio::net::TcpListener::bind((flags.bind_host.as_str(), flags.bind_port))
        .await
        .map_err(|e| failed("scheduler", format!("cannot listen on {}:{}: {e}", flags.bind_host, flags.bind_port)))?;
    let address = listener.local_addr().map_err(|e| failed("scheduler", e.to_string()))?;
    flags.bind_port = address.port();
    let config: SchedulerConfig = flags.try_into().map_err(|e| failed("scheduler", format!("{e}")))?;
    let place: Arc<str> = format!("the scheduler at {address}").into();
    let mut config =
        config.with_override_session_builder(Arc::new(move |config| scheduler_session(config, Arc::clone(&place))));
    config.override_logical_codec = Some(Arc::new(LogicalCodec::default()));
    config.override_physical_codec = Some(Arc::new(PhysicalCodec::default()));
    let state = SchedulerState::new_from_config(&config).await.map_err(|e| failed("scheduler", e.to_string()))?;
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(state, Arc::new(config))
        .await
        .map_err(|e| failed("scheduler", e.to_string()))?;
    ready(address);
    start_grpc_service_with_listener(listener, scheduler).await.map_err(|e| failed("scheduler", e.to_string()))
}

/// Runs an executor with `flags` until it is stopped (SIGTERM or the scheduler; it registers
/// with the scheduler the flags name). Every port must be given (the caller picks free ones for
/// those a user left out).
pub async fn run_executor(mut flags: ExecutorFlags) -> Result<()> {
    // A work directory of our own (none given) holds only this process's shuffle files and is
    // removed when it stops; a given one is the user's.
    let (work_dir, ours) = match &flags.work_dir {
        Some(dir) => (std::path::PathBuf::from(dir), false),
        None => {
            let dir = std::env::temp_dir().join(format!("xorq-ballista-executor-{}", std::process::id()));
            flags.work_dir = Some(dir.display().to_string());
            (dir, true)
        }
    };
    std::fs::create_dir_all(&work_dir)
        .map_err(|e| failed("executor", format!("cannot create the work directory {}: {e}", work_dir.display())))?;
    let health_address: SocketAddr = format!("{}:{}", flags.bind_host, flags.bind_health_port)
        .parse()
        .map_err(|e| failed("executor", format!("invalid health address: {e}")))?;
    let mut config: ExecutorProcessConfig = flags.try_into().map_err(|e| failed("executor", format!("{e}")))?;
    config.override_function_registry = Some(Arc::new(function_registry()));
    config.override_logical_codec = Some(Arc::new(LogicalCodec::default()));
    config.override_physical_codec = Some(Arc::new(PhysicalCodec::default()));
    let spill = work_dir.clone();
    let host = config.external_host.clone().unwrap_or_else(|| config.bind_host.clone());
    let place: Arc<str> = format!("executor {} at {host}:{}", config.executor_id, config.port).into();
    config.override_runtime_producer = Some(Arc::new(move |_: &SessionConfig| {
        RuntimeEnvBuilder::new()
            .with_temp_file_path(spill.clone())
            .with_object_store_registry(Arc::new(LocatedRegistry::new(Arc::clone(&place))))
            .build_arc()
    }));
    let health = config.health.clone();
    let (stop_health, health_stopped) = tokio::sync::oneshot::channel();
    let health_server = ballista_executor::health::spawn_health_server(health_address, health, health_stopped);
    let result = start_executor_process(Arc::new(config)).await;
    let _ = stop_health.send(());
    let _ = health_server.await;
    if ours {
        let _ = std::fs::remove_dir_all(&work_dir);
    }
    result.map_err(|e| failed("executor", e.to_string()))
}

/// The scheduler's session for a client's plans: Ballista's functions and xorq's, object storage
/// as on the client.
fn scheduler_session(config: SessionConfig, place: Arc<str>) -> datafusion::common::Result<SessionState> {
    let runtime =
        RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(LocatedRegistry::new(place))).build_arc()?;
    let (scalar, aggregate) = portable::registered();
    let mut scalars = ballista_scalar_functions();
    scalars.extend(scalar);
    let mut aggregates = ballista_aggregate_functions();
    aggregates.extend(aggregate);
    Ok(SessionStateBuilder::new()
        .with_runtime_env(runtime)
        .with_config(config)
        .with_default_features()
        .with_scalar_functions(scalars)
        .with_aggregate_functions(aggregates)
        .with_window_functions(ballista_window_functions())
        .build())
}

/// Ballista's default functions and xorq's registered ones, by name.
fn function_registry() -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    let (scalar, aggregate) = portable::registered();
    for f in scalar {
        registry.scalar_functions.insert(f.name().to_string(), f);
    }
    for f in aggregate {
        registry.aggregate_functions.insert(f.name().to_string(), f);
    }
    registry
}

fn failed(role: &str, message: String) -> EngineError {
    EngineError::ClusterProcess { role: role.into(), message }
}
