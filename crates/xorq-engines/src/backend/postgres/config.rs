//! Connection parameters: from a `postgresql://` URL or the `PG*` environment variables to
//! profile parameters, and from resolved parameters to a tokio-postgres configuration with the
//! connect and statement timeouts.
//!
//! Parameter names follow libpq: `host` (a name, an address or a Unix socket directory; several
//! separated by commas), `port`, `user`, `dbname`, `password`, `sslmode`, `connect_timeout` and
//! `statement_timeout` (seconds), `application_name`, `options`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use tokio_postgres::config::SslMode;

use crate::backend::timeout_from;
use crate::error::{EngineError, Result};

/// The parameters a profile of kind `postgres` may have.
pub(crate) const KNOWN: &[&str] = &[
    "host",
    "port",
    "user",
    "dbname",
    "password",
    "sslmode",
    "connect_timeout",
    "statement_timeout",
    "application_name",
    "options",
];

/// The environment variables [`from_env`] reads, and the parameter each one sets.
pub(crate) const ENV_VARS: &[(&str, &str)] = &[
    ("PGHOST", "host"),
    ("PGPORT", "port"),
    ("PGUSER", "user"),
    ("PGDATABASE", "dbname"),
    ("PGPASSWORD", "password"),
    ("PGSSLMODE", "sslmode"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGAPPNAME", "application_name"),
    ("PGOPTIONS", "options"),
];

/// Connect timeout when neither the parameter nor `XORQ_PG_CONNECT_TIMEOUT` sets one.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A resolved connection: what tokio-postgres needs, plus our timeouts.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// Hosts, port, user, password, database, options (the password is redacted by `Debug`).
    pub config: tokio_postgres::Config,
    /// Limit on connecting (socket, TLS refusal, authentication, startup); `None` waits.
    pub connect_timeout: Option<Duration>,
    /// Sent to the server as `statement_timeout`; `None` leaves the server's setting.
    pub statement_timeout: Option<Duration>,
    /// `host:port` (or the socket directory), for messages.
    pub target: String,
    /// The user, for messages.
    pub user: String,
}

fn connect_error(profile: &str, message: String, hint: &str) -> EngineError {
    EngineError::Connect { profile: profile.to_string(), kind: "postgres".into(), message, hint: hint.to_string() }
}

/// The parameters written in `url` (`postgresql://user:password@host:port/dbname?key=value&…`),
/// literally (the caller turns the password into a reference for the profile).
pub(crate) fn parse_url(profile: &str, url: &str) -> Result<BTreeMap<String, String>> {
    let bad = |what: String| {
        connect_error(
            profile,
            format!("the connection URL {what}"),
            "\nhint: write it as postgresql://user:password@host:port/dbname?sslmode=disable",
        )
    };
    let rest = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
        .ok_or_else(|| bad("does not start with `postgresql://`".into()))?;
    let rest = rest.split('#').next().unwrap_or_default();
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = before_query.split_once('/').unwrap_or((before_query, ""));
    let (userinfo, hostports) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let decode = |text: &str, what: &str| percent_decode(text).ok_or_else(|| bad(format!("has a malformed {what}")));
    let mut params = BTreeMap::new();
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        if !user.is_empty() {
            params.insert("user".to_string(), decode(user, "user name")?);
        }
        if let Some(password) = password.filter(|p| !p.is_empty()) {
            params.insert("password".to_string(), decode(password, "password")?);
        }
    }
    if !hostports.is_empty() {
        let (mut hosts, mut ports) = (Vec::new(), Vec::new());
        for hostport in hostports.split(',') {
            let (host, port) =
                split_host_port(hostport).ok_or_else(|| bad(format!("has a malformed host `{hostport}`")))?;
            hosts.push(decode(host, "host")?);
            ports.push(port.to_string());
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            params.insert("host".to_string(), hosts.join(","));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            params.insert("port".to_string(), ports.join(","));
        }
    }
    if !path.is_empty() {
        params.insert("dbname".to_string(), decode(path, "database name")?);
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').ok_or_else(|| bad(format!("has `{pair}` without `=` in its query")))?;
        let key = decode(key, "query key")?;
        if !KNOWN.contains(&key.as_str()) {
            return Err(bad(format!("has the unknown parameter `{key}` (known: {})", KNOWN.join(", "))));
        }
        params.insert(key, decode(value, "query value")?);
    }
    Ok(params)
}

/// `host:port`, `[v6]:port` or `host` (the port empty).
fn split_host_port(text: &str) -> Option<(&str, &str)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, "")),
            _ => Some((host, after.strip_prefix(':')?)),
        };
    }
    Some(text.rsplit_once(':').unwrap_or((text, "")))
}

/// `%XX` escapes decoded; `None` for a broken escape or invalid UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The parameters the environment sets, each as (parameter, variable, value); empty variables
/// count as unset, as in libpq.
pub(crate) fn from_env(env: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, &'static str, String)> {
    ENV_VARS.iter().filter_map(|(var, key)| env(var).filter(|v| !v.is_empty()).map(|v| (*key, *var, v))).collect()
}

/// The settings for resolved `params`, with libpq's defaults for what is missing: the Unix
/// socket directory when a server listens there (else `localhost`), port 5432, the user `$USER`.
pub(crate) fn settings(profile: &str, params: &BTreeMap<String, String>) -> Result<Settings> {
    if let Some(unknown) = params.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(connect_error(
            profile,
            format!("unknown parameter `{unknown}`"),
            &format!("\nhint: a postgres profile takes {}", KNOWN.join(", ")),
        ));
    }
    let param = |key: &str| params.get(key).map(String::as_str).filter(|v| !v.is_empty());
    let mut config = tokio_postgres::Config::new();

    let ports: Vec<u16> = match param("port") {
        None => vec![5432],
        Some(text) => text
            .split(',')
            .map(|p| if p.trim().is_empty() { Ok(5432) } else { p.trim().parse::<u16>() })
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| connect_error(profile, format!("port `{text}` is not a port number"), ""))?,
    };
    let hosts: Vec<String> = match param("host") {
        Some(text) => text.split(',').map(|h| h.trim().to_string()).collect(),
        None => vec![default_host(ports[0])],
    };
    if ports.len() != 1 && ports.len() != hosts.len() {
        return Err(connect_error(profile, format!("{} hosts but {} ports", hosts.len(), ports.len()), ""));
    }
    for host in &hosts {
        config.host(host);
    }
    for port in &ports {
        config.port(*port);
    }
    let target = hosts
        .iter()
        .zip(ports.iter().cycle())
        .map(|(h, p)| if h.starts_with('/') { format!("{h}/.s.PGSQL.{p}") } else { format!("{h}:{p}") })
        .collect::<Vec<_>>()
        .join(",");

    let user = match param("user") {
        Some(user) => user.to_string(),
        None => ["USER", "LOGNAME"].iter().find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty())).ok_or_else(
            || connect_error(profile, "no user name".into(), "\nhint: set the `user` parameter or PGUSER"),
        )?,
    };
    config.user(&user);
    if let Some(password) = params.get("password") {
        config.password(password);
    }
    if let Some(dbname) = param("dbname") {
        config.dbname(dbname);
    }
    match param("sslmode").unwrap_or("prefer") {
        // Without TLS support, `prefer` and `allow` connect in plain text, as libpq does when the
        // server has no TLS.
        "disable" | "allow" | "prefer" => {
            config.ssl_mode(SslMode::Disable);
        }
        mode @ ("require" | "verify-ca" | "verify-full") => {
            return Err(connect_error(
                profile,
                format!("sslmode `{mode}` needs TLS, which this build of xorq does not include"),
                "\nhint: connect through a TLS tunnel, or use sslmode=disable on a trusted network",
            ));
        }
        other => {
            return Err(connect_error(
                profile,
                format!("sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full"),
                "",
            ));
        }
    }
    config.application_name(param("application_name").unwrap_or("xorq"));

    let connect_timeout =
        timeout_from(profile, params, "connect_timeout", "XORQ_PG_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)?;
    if let Some(limit) = connect_timeout {
        config.connect_timeout(limit);
    }
    let statement_timeout =
        timeout_from(profile, params, "statement_timeout", "XORQ_PG_STATEMENT_TIMEOUT", Duration::ZERO)?
            .filter(|d| !d.is_zero());
    let mut options = param("options").unwrap_or_default().to_string();
    if let Some(limit) = statement_timeout {
        let ms = limit.as_millis().max(1);
        options = format!("{options} -c statement_timeout={ms}").trim().to_string();
    }
    if !options.is_empty() {
        config.options(&options);
    }
    Ok(Settings { config, connect_timeout, statement_timeout, target, user })
}

/// libpq's default: the Unix socket directory where a server listens on `port`, else localhost.
fn default_host(port: u16) -> String {
    ["/var/run/postgresql", "/tmp"]
        .iter()
        .find(|dir| Path::new(dir).join(format!(".s.PGSQL.{port}")).exists())
        .map_or_else(|| "localhost".to_string(), |dir| dir.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let p = parse_url("pg", "postgresql://al%40ce:p%3Aw@db.internal:6543/sales?sslmode=disable&connect_timeout=3")
            .expect("valid");
        let expect = [
            ("connect_timeout", "3"),
            ("dbname", "sales"),
            ("host", "db.internal"),
            ("password", "p:w"),
            ("port", "6543"),
            ("sslmode", "disable"),
            ("user", "al@ce"),
        ];
        assert_eq!(p, expect.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        let p = parse_url("pg", "postgres://[::1]:5433,h2/x?host=%2Ftmp").expect("valid");
        assert_eq!((p["host"].as_str(), p["port"].as_str()), ("/tmp", "5433,"));
        let p = parse_url("pg", "postgresql://").expect("all defaults");
        assert!(p.is_empty());
        for bad in ["mysql://x", "postgresql://h/db?nope=1", "postgresql://h/db?x", "postgresql://u:%zz@h/db"] {
            let err = parse_url("pg", bad).expect_err(bad).to_string();
            assert!(err.contains("`pg`"), "{err}");
        }
    }

    #[test]
    fn settings_from_params() {
        let params: BTreeMap<String, String> = [
            ("host", "127.0.0.1"),
            ("port", "6543"),
            ("user", "xorq"),
            ("password", "secret"),
            ("statement_timeout", "1.5"),
            ("connect_timeout", "2"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let s = settings("pg", &params).expect("valid");
        assert_eq!(s.target, "127.0.0.1:6543");
        assert_eq!(s.connect_timeout, Some(Duration::from_secs(2)));
        assert_eq!(s.config.get_options(), Some("-c statement_timeout=1500"));
        assert!(!format!("{s:?}").contains("secret"), "Debug redacts the password");

        let mut bad = params.clone();
        bad.insert("hots".into(), "x".into());
        assert!(settings("pg", &bad).expect_err("unknown").to_string().contains("`hots`"));
        let mut tls = params;
        tls.insert("sslmode".into(), "require".into());
        assert!(settings("pg", &tls).expect_err("no TLS").to_string().contains("TLS"));
    }

    #[test]
    fn env_vars_become_parameters() {
        let env = |v: &str| match v {
            "PGHOST" => Some("db".to_string()),
            "PGPORT" => Some(String::new()),
            _ => None,
        };
        assert_eq!(from_env(env), vec![("host", "PGHOST", "db".to_string())]);
    }
}
