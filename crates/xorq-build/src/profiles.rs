//! `profiles.yaml`: the backend profiles a build's tables live in.
//!
//! ```yaml
//! profiles_version: 1
//! profiles:
//!   warehouse:
//!     kind: postgres
//!     params:
//!       host: db.internal
//!       password: ${PGPASSWORD}
//! ```
//!
//! Secrets are only ever `${ENV_VAR}` references ([`Profile::param`] refuses anything else, also
//! when reading a hand-edited file), resolved from the environment when the build runs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use xorq_core::plan::SourceKind;
use xorq_core::plan::walk::topological;
use xorq_core::profile::Profile;
use xorq_core::{RelOp, Table};

use xorq_engines::backend::LOCAL_KIND;
use xorq_engines::dialect::SqlDialect;
use xorq_exec::LOCAL_PROFILE;

use crate::error::{BuildError, Result};

/// Version of the `profiles.yaml` format.
pub const PROFILES_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfilesDoc {
    profiles_version: u32,
    profiles: BTreeMap<String, ProfileDef>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileDef {
    kind: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    params: BTreeMap<String, String>,
}

/// The profiles `table` reads from, picked from `given` by name; a table whose profile is not
/// given is an error naming both.
pub(crate) fn used_profiles(table: &Table, given: &[Profile]) -> Result<Vec<Profile>> {
    let mut names = BTreeSet::new();
    for node in topological(table.node()) {
        let (profile, what) = match node.op() {
            RelOp::Source(s) => match &s.kind {
                SourceKind::Table(t) => (&t.profile, format!("reads table `{}`", t.table.join("."))),
                _ => continue,
            },
            RelOp::IntoBackend(i) => (&i.profile, "moves rows into it".to_string()),
            _ => continue,
        };
        if names.insert(profile.clone()) && !given.iter().any(|p| p.name() == profile) {
            return Err(BuildError::MissingProfile { profile: profile.clone(), used_for: what });
        }
    }
    Ok(given.iter().filter(|p| names.contains(p.name())).cloned().collect())
}

/// Refuses, when the build is made rather than when it runs, a backend segment whose engine's
/// SQL cannot express it (see [`xorq_exec::check_segments`]); `used` are the build's profiles.
pub(crate) fn check_backend_sql(table: &Table, used: &[Profile]) -> Result<()> {
    let mut local = BTreeSet::from([LOCAL_PROFILE.to_string()]);
    let mut dialects = BTreeMap::new();
    for p in used {
        if p.kind() == LOCAL_KIND {
            local.insert(p.name().to_string());
            continue;
        }
        match p.kind().parse::<SqlDialect>() {
            Ok(d) => dialects.insert(p.name().to_string(), d),
            // An engine kind without a dialect here is reported when the build runs and
            // connects it; its segments cannot be placed now.
            Err(_) => return Ok(()),
        };
    }
    Ok(xorq_exec::check_segments(table, &dialects, &local)?)
}

/// The text of `profiles.yaml` for `profiles`.
pub fn to_yaml(profiles: &[Profile]) -> Result<String> {
    let doc = ProfilesDoc {
        profiles_version: PROFILES_VERSION,
        profiles: profiles
            .iter()
            .map(|p| (p.name().to_string(), ProfileDef { kind: p.kind().to_string(), params: p.params().clone() }))
            .collect(),
    };
    serde_saphyr::to_string(&doc).map_err(|e| BuildError::Debug(format!("writing profiles.yaml failed: {e}")))
}

/// Reads `profiles.yaml`, validating every profile as [`Profile::param`] does.
pub fn from_yaml(text: &str, path: &Path) -> Result<Vec<Profile>> {
    let doc: ProfilesDoc = serde_saphyr::from_str(text).map_err(|e| BuildError::invalid(path, e.to_string()))?;
    if doc.profiles_version > PROFILES_VERSION {
        return Err(BuildError::invalid(
            path,
            format!(
                "profiles version {} is newer than this xorq-rs reads ({PROFILES_VERSION}); upgrade xorq-rs",
                doc.profiles_version
            ),
        ));
    }
    doc.profiles
        .into_iter()
        .map(|(name, def)| {
            let mut profile = Profile::new(&name, &def.kind)?;
            for (k, v) in &def.params {
                profile = profile.param(k, v)?;
            }
            Ok(profile)
        })
        .collect::<xorq_core::Result<Vec<_>>>()
        .map_err(|e| BuildError::invalid(path, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_hand_edited_secrets() {
        let p = Profile::new("warehouse", "postgres")
            .and_then(|p| p.param("host", "db"))
            .and_then(|p| p.param("password", "${PGPASSWORD}"))
            .unwrap();
        let text = to_yaml(std::slice::from_ref(&p)).unwrap();
        assert_eq!(from_yaml(&text, Path::new("p.yaml")).unwrap(), vec![p]);
        let edited = text.replace("${PGPASSWORD}", "hunter2");
        let err = from_yaml(&edited, Path::new("p.yaml")).unwrap_err().to_string();
        assert!(err.contains("literal secret"), "{err}");
    }
}
