//! One live connection to the server: connecting within the time limit, telling why a connect
//! or a statement failed (naming the profile), and cancelling the running statement when its
//! reader goes away.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_postgres::error::SqlState;
use tokio_postgres::{CancelToken, Client, NoTls};

use super::config::Settings;
use crate::error::{EngineError, Result};

/// A connected client and the task that drives its socket.
pub(crate) struct Session {
    /// The client; statements go through it.
    pub client: Client,
    task: JoinHandle<()>,
    cancel: CancelToken,
    cancel_timeout: Option<Duration>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("closed", &self.client.is_closed()).finish_non_exhaustive()
    }
}

impl Session {
    /// Connects (authentication and startup included) within `settings.connect_timeout`.
    pub(crate) async fn open(profile: &str, settings: &Settings) -> Result<Session> {
        let attempt = settings.config.connect(NoTls);
        let connected = match settings.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, attempt).await.map_err(|_| EngineError::Timeout {
                profile: profile.to_string(),
                what: format!("connecting to {}", settings.target),
                seconds: limit.as_secs_f64(),
                param: "connect_timeout".into(),
            })?,
            None => attempt.await,
        };
        let (client, connection) = connected.map_err(|e| connect_error(profile, settings, &e))?;
        let task = tokio::spawn(async move {
            // Errors of the socket reach the client's pending calls; nothing else to do here.
            let _ = connection.await;
        });
        let cancel = client.cancel_token();
        Ok(Session { client, task, cancel, cancel_timeout: settings.connect_timeout })
    }

    /// Ends the session while a statement may still run: asks the server to cancel it (on a
    /// separate connection, in the background) and closes the socket without reading the rest.
    pub(crate) fn abandon(self) {
        let Session { client, task, cancel, cancel_timeout } = self;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let request = cancel.cancel_query(NoTls);
                // A server that does not take the cancel request in time is left alone: the
                // closed socket ends the statement at its next write.
                let _ = tokio::time::timeout(cancel_timeout.unwrap_or(Duration::from_secs(10)), request).await;
            });
        }
        task.abort();
        drop(client);
    }
}

/// Why connecting failed, in words, naming the profile and where.
fn connect_error(profile: &str, settings: &Settings, e: &tokio_postgres::Error) -> EngineError {
    let target = &settings.target;
    let user = &settings.user;
    let (message, hint) = if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::INVALID_PASSWORD {
            (
                format!("the server at {target} rejected the password for user `{user}`"),
                "\nhint: check the password (the profile's `password`, usually ${PGPASSWORD})".to_string(),
            )
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            (
                format!("the server at {target} does not let user `{user}` in: {}", db.message()),
                "\nhint: the server's pg_hba.conf decides who may connect from where".to_string(),
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            (format!("{} (server {target})", db.message()), "\nhint: check the `dbname` parameter".to_string())
        } else {
            (format!("{} (server {target})", db_text(db)), String::new())
        }
    } else {
        let text = error_chain(e);
        if text.contains("password missing") {
            (
                format!("the server at {target} asks for a password for user `{user}` and none was given"),
                "\nhint: set PGPASSWORD (the profile's `password` parameter refers to ${PGPASSWORD})".to_string(),
            )
        } else if text.contains("refused") {
            (
                format!("connection to {target} refused"),
                "\nhint: check that the server is running and listens on that host and port".to_string(),
            )
        } else {
            (format!("cannot reach {target}: {text}"), String::new())
        }
    };
    EngineError::Connect { profile: profile.to_string(), kind: "postgres".into(), message, hint }
}

/// The error of a statement, as an [`EngineError`] naming the profile: a statement timeout
/// becomes [`EngineError::Timeout`], a missing relation [`EngineError::TableNotFound`].
pub(crate) fn statement_error(
    profile: &str,
    settings: &Settings,
    context: &str,
    e: &tokio_postgres::Error,
) -> EngineError {
    if let Some(db) = e.as_db_error() {
        if *db.code() == SqlState::QUERY_CANCELED
            && db.message().contains("statement timeout")
            && let Some(limit) = settings.statement_timeout
        {
            return EngineError::Timeout {
                profile: profile.to_string(),
                what: context.to_string(),
                seconds: limit.as_secs_f64(),
                param: "statement_timeout".into(),
            };
        }
        if *db.code() == SqlState::UNDEFINED_TABLE
            && let Some(table) = quoted(db.message())
        {
            return EngineError::TableNotFound { profile: profile.to_string(), table };
        }
        return EngineError::Backend {
            profile: profile.to_string(),
            context: context.to_string(),
            message: db_text(db),
        };
    }
    EngineError::Backend { profile: profile.to_string(), context: context.to_string(), message: error_chain(e) }
}

/// The first `"…"` in a server message (`relation "t" does not exist`).
fn quoted(message: &str) -> Option<String> {
    let (_, rest) = message.split_once('"')?;
    let (name, _) = rest.split_once('"')?;
    Some(name.to_string())
}

/// A server error as one text: message, detail, hint, SQLSTATE.
fn db_text(db: &tokio_postgres::error::DbError) -> String {
    let mut text = db.message().to_string();
    if let Some(detail) = db.detail() {
        text.push_str(&format!("; {detail}"));
    }
    if let Some(hint) = db.hint() {
        text.push_str(&format!(" (server hint: {hint})"));
    }
    text.push_str(&format!(" [SQLSTATE {}]", db.code().code()));
    text
}

/// The error and its causes, joined.
fn error_chain(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
