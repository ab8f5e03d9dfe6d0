//! Backend profiles: how a build names the engines its tables live in (SPEC §3, §5).
//!
//! A profile has a *name* (what sources refer to, and what the address sees), a *kind* (the
//! engine: `postgres`, `duckdb`, `sqlite`, …) and connection parameters. Profiles are written
//! into builds and catalogs, which are shared, so a secret is never stored: a parameter that
//! holds one must be a `${ENV_VAR}` reference, resolved from the environment when the build runs.

use std::collections::BTreeMap;

use crate::error::{CoreError, Result};

/// A named backend connection, safe to write down.
///
/// ```
/// use xorq_core::profile::Profile;
/// let pg = Profile::new("warehouse", "postgres")?
///     .param("host", "db.internal")?
///     .param("password", "${PGPASSWORD}")?;
/// assert!(Profile::new("warehouse", "postgres")?.param("password", "hunter2").is_err());
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    name: String,
    kind: String,
    params: BTreeMap<String, String>,
}

/// Parameter names whose values are secrets.
const SECRET_WORDS: &[&str] =
    &["password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "private_key", "credential", "auth"];

impl Profile {
    /// A profile without parameters. Names are identifiers: a letter or `_`, then letters, digits, `_` or `-`.
    pub fn new(name: &str, kind: &str) -> Result<Profile> {
        check_name(name)?;
        if !valid_identifier(kind) {
            return Err(profile_error(name, &format!("`{kind}` is not an engine kind")));
        }
        Ok(Profile { name: name.to_string(), kind: kind.to_string(), params: BTreeMap::new() })
    }

    /// Adds a connection parameter. A secret (a parameter named like `password` or `token`, or a
    /// password inside a URL) must be written as a `${ENV_VAR}` reference.
    pub fn param(mut self, key: &str, value: &str) -> Result<Profile> {
        check_secret(&self.name, key, value)?;
        check_references(&self.name, key, value)?;
        self.params.insert(key.to_string(), value.to_string());
        Ok(self)
    }

    /// The name sources refer to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The engine kind.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The parameters as written (with `${ENV_VAR}` references unresolved).
    pub fn params(&self) -> &BTreeMap<String, String> {
        &self.params
    }

    /// The parameters with every `${ENV_VAR}` replaced by the variable's value from `env`.
    /// A variable that is not set is an error naming it and the profile.
    ///
    /// ```
    /// use xorq_core::profile::Profile;
    /// let p = Profile::new("pg", "postgres")?.param("password", "${PGPASSWORD}")?;
    /// let resolved = p.resolve(|v| (v == "PGPASSWORD").then(|| "s3cret".to_string()))?;
    /// assert_eq!(resolved["password"], "s3cret");
    /// assert!(p.resolve(|_| None).unwrap_err().to_string().contains("PGPASSWORD"));
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<BTreeMap<String, String>> {
        self.params
            .iter()
            .map(|(k, v)| {
                let mut out = String::new();
                for piece in pieces(v) {
                    match piece {
                        Piece::Text(t) => out.push_str(t),
                        Piece::Reference(var) => out.push_str(&env(var).ok_or_else(|| {
                            profile_error(
                                &self.name,
                                &format!("`{k}` refers to the environment variable `{var}`, which is not set; set it before running"),
                            )
                        })?),
                        Piece::Broken => return Err(profile_error(&self.name, "unclosed `${` reference")),
                    }
                }
                Ok((k.clone(), out))
            })
            .collect()
    }
}

fn valid_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && s.len() <= 64
}

/// Checks that `name` can name a profile: a letter or `_`, then letters, digits, `_` or `-`.
pub fn check_name(name: &str) -> Result<()> {
    if valid_identifier(name) {
        Ok(())
    } else {
        Err(profile_error(
            name,
            "a profile name starts with a letter or `_` and holds only letters, digits, `_` and `-` (at most 64)",
        ))
    }
}

fn profile_error(profile: &str, message: &str) -> CoreError {
    CoreError::Profile { profile: profile.to_string(), message: message.to_string() }
}

enum Piece<'a> {
    Text(&'a str),
    Reference(&'a str),
    Broken,
}

/// `a${B}c` → `a`, `B`, `c`.
fn pieces(value: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        match rest[start + 2..].find('}') {
            Some(len) => {
                out.push(Piece::Reference(&rest[start + 2..start + 2 + len]));
                rest = &rest[start + 2 + len + 1..];
            }
            None => {
                out.push(Piece::Broken);
                return out;
            }
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

fn check_references(profile: &str, key: &str, value: &str) -> Result<()> {
    for piece in pieces(value) {
        match piece {
            Piece::Broken => return Err(profile_error(profile, &format!("`{key}` has an unclosed `${{` reference"))),
            Piece::Reference(var) if !is_env_name(var) => {
                return Err(profile_error(
                    profile,
                    &format!("`{key}` refers to `${{{var}}}`, which is not an environment variable name"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_env_name(var: &str) -> bool {
    let mut chars = var.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `value` is only references (and so holds no literal secret).
fn only_references(value: &str) -> bool {
    pieces(value).iter().all(|p| matches!(p, Piece::Reference(_)))
}

fn check_secret(profile: &str, key: &str, value: &str) -> Result<()> {
    let lower = key.to_ascii_lowercase();
    let advice = |what: &str, suggested: &str| {
        profile_error(
            profile,
            &format!(
                "{what} holds a literal secret, and profiles are written into builds and catalogs that others read. \
                 Put the secret in an environment variable and write `${{{suggested}}}` instead"
            ),
        )
    };
    if SECRET_WORDS.iter().any(|w| lower.contains(w)) && !value.is_empty() && !only_references(value) {
        let var = format!("{}_{}", profile.to_ascii_uppercase().replace('-', "_"), lower.to_ascii_uppercase());
        return Err(advice(&format!("`{key}`"), &var));
    }
    // `scheme://user:password@host`: the password part must be a reference too.
    if let Some((_, rest)) = value.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some((_, password)) = userinfo.split_once(':')
            && !password.is_empty()
            && !only_references(password)
        {
            return Err(advice(&format!("the URL in `{key}`"), "PGPASSWORD"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_must_be_references() {
        let p = || Profile::new("pg", "postgres").unwrap();
        assert!(p().param("user", "alice").is_ok());
        assert!(p().param("password", "").is_ok());
        assert!(p().param("DB_PASSWORD", "${DB_PASSWORD}").is_ok());
        let err = p().param("password", "hunter2").unwrap_err().to_string();
        assert!(err.contains("`${PG_PASSWORD}`") && err.contains("literal secret"), "{err}");
        assert!(p().param("api_token", "abc${X}").is_err(), "partly literal");
        assert!(p().param("url", "postgres://alice:hunter2@db/sales").is_err());
        assert!(p().param("url", "postgres://alice:${PGPASSWORD}@db/sales").is_ok());
        assert!(p().param("url", "postgres://alice@db/sales").is_ok());
        assert!(p().param("host", "${not a var}").is_err());
        assert!(p().param("host", "${HOST").is_err());
    }

    #[test]
    fn names_are_identifiers() {
        for bad in ["", "1pg", "a/b", "..", "-x", "a b", &"x".repeat(65)] {
            assert!(Profile::new(bad, "postgres").is_err(), "{bad:?}");
        }
        assert!(Profile::new("warehouse-eu_1", "postgres").is_ok());
    }

    #[test]
    fn references_resolve_inside_text() {
        let p = Profile::new("pg", "postgres").unwrap().param("url", "postgres://${U}:${P}@db/x").unwrap();
        let env = |v: &str| Some(v.to_lowercase());
        assert_eq!(p.resolve(env).unwrap()["url"], "postgres://u:p@db/x");
    }
}
