//! Functions the program registers besides the built-ins: scalar and aggregate entries of the
//! same shape as the catalogue's ([`FunctionDef`]), compiled into the program and registered
//! once at start-up. An expression refers to one by name and version only, as to a built-in:
//! both are in the address and in `expr.yaml`, and no code is ever read from a manifest: a
//! manifest naming a function or version this program has not registered is refused, listing
//! what it has. Engines keep their implementations apart (DataFusion's in
//! `xorq_engines::datafusion::functions`), so this crate stays free of engines.

use std::sync::{PoisonError, RwLock};

use super::{FunctionDef, FunctionKind};
use crate::error::{CoreError, Result};

/// Every registered entry, in registration order. Entries are only ever added, so a poisoned
/// lock still holds a consistent list.
static REGISTERED: RwLock<Vec<&'static FunctionDef>> = RwLock::new(Vec::new());

/// Registers `def` (a scalar or aggregate entry). Its name must be lower-case
/// `[a-z][a-z0-9_]*`, not the name of a built-in function, and its version at least 1;
/// registering the same entry again does nothing, and another entry with the same kind, name
/// and version is refused.
///
/// ```
/// use xorq_core::expr::func::{FunctionDef, Param, Ret, Typing, registry};
/// use xorq_core::{DataType, ScalarFunc};
///
/// static TWICE: FunctionDef = FunctionDef::scalar(
///     "doc_twice",
///     Typing::Params { params: &[Param::Number], required: 1, result: Ret::Arg(0) },
///     "twice its argument",
/// );
/// registry::register(&TWICE)?;
/// let f = ScalarFunc::lookup("doc_twice", 1).expect("registered");
/// assert!(!f.is_builtin());
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
pub fn register(def: &'static FunctionDef) -> Result<()> {
    let refuse = |message: String| CoreError::InvalidArgument { context: "function registry".into(), message };
    check_name(def.name, def.version).map_err(refuse)?;
    if !matches!(def.kind, FunctionKind::Scalar | FunctionKind::Aggregate) {
        return Err(refuse(format!("function `{}`: only scalar and aggregate functions can be registered", def.name)));
    }
    if super::builtin_names().contains(&def.name) {
        return Err(refuse(format!("`{}` is the name of a built-in function; choose another name", def.name)));
    }
    let mut all = REGISTERED.write().unwrap_or_else(PoisonError::into_inner);
    match all.iter().find(|d| d.kind == def.kind && d.name == def.name && d.version == def.version) {
        // The same static entry registered again (a registry's statics are unique).
        Some(existing) if std::ptr::eq(*existing, def) => Ok(()),
        Some(_) => Err(refuse(format!(
            "another function `{}` version {} is registered already; give a changed function a new version",
            def.name, def.version
        ))),
        None => {
            all.push(def);
            Ok(())
        }
    }
}

/// Refuses a function name that is not lower-case `[a-z][a-z0-9_]*`, or a version of 0.
pub(crate) fn check_name(name: &str, version: u32) -> std::result::Result<(), String> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(format!(
            "`{}` is not a valid function name: use lower-case letters, digits and `_`, starting with a letter",
            name.escape_debug()
        ));
    }
    if version == 0 {
        return Err(format!("function `{name}` needs a version of at least 1"));
    }
    Ok(())
}

/// The message for a manifest naming `version` of the function `name` (of `kind`: "function",
/// "table function", …) when this program has only the versions `have`.
pub(crate) fn missing_version(kind: &str, name: &str, version: u32, have: &[u32]) -> String {
    let list: Vec<String> = have.iter().map(u32::to_string).collect();
    format!(
        "{kind} `{name}` version {version} is not in this program, which has version{} {} of it\nhint: the manifest was written by a program that registered that version; run it with that program, or build it again",
        if have.len() == 1 { "" } else { "s" },
        list.join(", ")
    )
}

/// Every registered entry, in registration order.
pub fn registered() -> Vec<&'static FunctionDef> {
    REGISTERED.read().unwrap_or_else(PoisonError::into_inner).clone()
}

/// The registered entry of `kind` called `name` with `version` (the highest version when
/// `None`).
pub(crate) fn find(kind: FunctionKind, name: &str, version: Option<u32>) -> Option<&'static FunctionDef> {
    registered()
        .into_iter()
        .filter(|d| d.kind == kind && d.name == name && version.is_none_or(|v| d.version == v))
        .max_by_key(|d| d.version)
}

/// The versions of the registered entry of `kind` called `name`, sorted.
pub(crate) fn versions(kind: FunctionKind, name: &str) -> Vec<u32> {
    let mut out: Vec<u32> =
        registered().into_iter().filter(|d| d.kind == kind && d.name == name).map(|d| d.version).collect();
    out.sort_unstable();
    out
}
