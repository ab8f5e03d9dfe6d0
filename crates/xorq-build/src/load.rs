//! Reading a build back: the expression, its profiles and its metadata, checked against each
//! other so that a hand-edited or damaged build is reported, not run.

use std::path::{Path, PathBuf};

use xorq_core::manifest::{self, LoadContext, MANIFEST_VERSION, Provenance};
use xorq_core::profile::Profile;
use xorq_core::{Address, HASH_SCHEME, KNOWN_HASH_SCHEMES, Table, hash_scheme_version};

use crate::error::{BuildError, Result};
use crate::layout::{EXPR_FILE, METADATA_FILE, PROFILES_FILE, data_files, memtable_location};
use crate::metadata::Metadata;
use crate::verify::{self, Verification};
use crate::{memtable, profiles};

/// A build read from disk.
#[derive(Clone, Debug)]
pub struct LoadedBuild {
    /// The build directory (absolute).
    pub path: PathBuf,
    /// The expression, equal to the one built, with the same address.
    pub table: Table,
    /// `metadata.json`.
    pub metadata: Metadata,
    /// `profiles.yaml`.
    pub profiles: Vec<Profile>,
}

impl LoadedBuild {
    /// Every file the build consists of, relative to its directory: `expr.yaml`,
    /// `metadata.json`, `profiles.yaml` (when present), the bundled files and the memtables the
    /// manifest references. (Debug output is derived and not listed.)
    pub fn files(&self) -> Vec<String> {
        let mut out = vec![EXPR_FILE.to_string(), METADATA_FILE.to_string()];
        if self.path.join(PROFILES_FILE).exists() {
            out.push(PROFILES_FILE.to_string());
        }
        out.extend(data_files(&self.table));
        out
    }
}

/// Reads the build in `dir`, verifying its bundled files once per file identity (remembered in
/// the default cache directory; see [`load_with`]).
///
/// Errors name the file: a missing or malformed `metadata.json`, a build from a newer manifest
/// format or another hashing scheme, a malformed `expr.yaml` (with line and column), an
/// `expr.yaml` whose address no longer matches the one recorded (edited by hand), a
/// `metadata.json` that says otherwise than the manifest, missing bundled data, and bundled data
/// whose bytes are not the ones it is named by. Files of the build are read only if they are
/// regular files (never through a symbolic link).
///
/// ```no_run
/// let build = xorq_build::load("builds/1f0c3a9e5b7d".as_ref())?;
/// println!("{}", build.table);
/// # Ok::<(), xorq_build::BuildError>(())
/// ```
pub fn load(dir: &Path) -> Result<LoadedBuild> {
    load_with(dir, &Verification::default())
}

/// [`load`], verifying bundled files as `verification` says ([`Verification::Always`] for a
/// full check that trusts no record).
pub fn load_with(dir: &Path, verification: &Verification) -> Result<LoadedBuild> {
    if !dir.is_dir() {
        return Err(BuildError::invalid(
            dir,
            if dir.exists() {
                "it is not a directory; `xorq build` writes a directory under builds/"
            } else {
                "no such directory; `xorq build <file>` prints the path of the build it writes"
            },
        ));
    }
    let path = std::path::absolute(dir).map_err(BuildError::io("resolve", dir))?;
    let metadata = read_metadata(&path)?;
    if path.to_str().is_none() && metadata.sources.iter().any(|s| s.kind == "file" && s.content.is_some()) {
        return Err(BuildError::NotUtf8 { what: "the build directory", path });
    }
    let recorded = Address::from_hex(&metadata.address)
        .map_err(|_| BuildError::invalid(&path.join(METADATA_FILE), "`address` is not a 64-hex address"))?;

    let ctx = context(&path, &metadata)?;
    let expr_path = path.join(EXPR_FILE);
    let text = read_text(&expr_path)?;
    let table = manifest::from_yaml(&text, &ctx).map_err(|e| BuildError::invalid(&expr_path, e.to_string()))?;
    if table.address() != recorded {
        return Err(BuildError::invalid(
            &expr_path,
            format!(
                "its address is {} but metadata.json records {}: the manifest was changed after the build was written. \
                 Build the expression again instead of editing a build",
                table.address().short(),
                recorded.short()
            ),
        ));
    }
    verify::metadata(&path, &metadata, &table)?;
    verify::bundled_files(&path, &table, verification)?;
    let profiles_path = path.join(PROFILES_FILE);
    let profiles = if std::fs::symlink_metadata(&profiles_path).is_ok() {
        profiles::from_yaml(&read_text(&profiles_path)?, &profiles_path)?
    } else {
        Vec::new()
    };
    Ok(LoadedBuild { path, table, metadata, profiles })
}

/// What the manifest of the build in `path` is loaded with: its bundled files, memtables and
/// project, under the hash scheme it records.
fn context(path: &Path, metadata: &Metadata) -> Result<LoadContext> {
    // `read_metadata` refused schemes this xorq-rs does not know.
    let scheme = hash_scheme_version(&metadata.hash_scheme).unwrap_or(xorq_core::HASH_SCHEME_VERSION);
    let mut ctx = LoadContext::new().with_base_dir(path).with_hash_scheme(scheme);
    if let Some(root) = crate::project::root_for_build(path) {
        ctx = ctx.with_project_root(root);
    }
    for source in &metadata.sources {
        let Some(content) = source.content.as_deref().and_then(|c| Address::from_hex(c).ok()) else { continue };
        ctx = ctx.with_provenance(content, Provenance { name: source.name.clone(), origin: source.origin.clone() });
        if source.kind == "memtable" {
            let file = path.join(memtable_location(&content));
            ctx = ctx.with_memtable(content, memtable::read(&file, &content)?);
        }
    }
    Ok(ctx)
}

/// The expression of a loaded build re-derived over the schemas its file sources have now
/// (`live`, by the location each is read from; see
/// [`LoadContext::with_live_schemas`]), for `xorq catalog rebase`. The outer error is the
/// build's own (unreadable); the inner one is the expression's: an operation that no longer
/// fits its inputs, naming the node.
///
/// ```no_run
/// let build = xorq_build::load("builds/7d0c1f5e2a4b".as_ref())?;
/// let again = xorq_build::rederive(&build, Default::default())?;
/// assert_eq!(again.map(|t| t.address()).ok(), Some(build.table.address()));
/// # Ok::<(), xorq_build::BuildError>(())
/// ```
pub fn rederive(
    build: &LoadedBuild,
    live: std::collections::BTreeMap<String, xorq_core::Schema>,
) -> Result<std::result::Result<Table, xorq_core::CoreError>> {
    replay(build, |ctx| ctx.with_live_schemas(live))
}

/// The expression of a loaded build with `rows` in place of its node `node` (one
/// [`Table::open_point`] chose), everything above re-derived by the builder from the manifest
/// (see [`LoadContext::with_replacement`]): `xorq catalog compose`. As [`rederive`], the outer
/// error is the build's own, the inner one the expression's (the rows do not fit an operation
/// above, naming the node).
///
/// ```no_run
/// use xorq_core::UnbindTarget;
/// let source = xorq_build::load("builds/7d0c1f5e2a4b".as_ref())?;
/// let step = xorq_build::load("builds/c5a981ab43cd".as_ref())?;
/// let (node, _input) = step.table.open_point(&UnbindTarget::Inferred, None).expect("one source");
/// let composed = xorq_build::bind(&step, &node, &source.table)?.expect("the rows fit");
/// # Ok::<(), xorq_build::BuildError>(())
/// ```
pub fn bind(
    build: &LoadedBuild,
    node: &xorq_core::Node,
    rows: &Table,
) -> Result<std::result::Result<Table, xorq_core::CoreError>> {
    replay(build, |ctx| ctx.with_replacement(node, rows.clone()))
}

/// The build's manifest read again with its own context, adjusted by `adjust` (see
/// [`rederive`] and [`bind`] for the two errors).
fn replay(
    build: &LoadedBuild,
    adjust: impl FnOnce(LoadContext) -> LoadContext,
) -> Result<std::result::Result<Table, xorq_core::CoreError>> {
    let ctx = adjust(context(&build.path, &build.metadata)?);
    let text = read_text(&build.path.join(EXPR_FILE))?;
    Ok(manifest::from_yaml(&text, &ctx))
}

/// Reads and checks `metadata.json` alone (what listings need, without loading the expression).
pub fn read_metadata(dir: &Path) -> Result<Metadata> {
    let file = dir.join(METADATA_FILE);
    let text = match read_text(&file) {
        Err(e) if e.is_not_found() => {
            return Err(BuildError::invalid(dir, "it has no metadata.json; is this a build directory?"));
        }
        other => other?,
    };
    let metadata: Metadata = serde_json::from_str(&text).map_err(|e| {
        BuildError::invalid(&file, format!("malformed JSON at line {}, column {}: {e}", e.line(), e.column()))
    })?;
    if metadata.manifest_version > MANIFEST_VERSION {
        return Err(BuildError::invalid(
            dir,
            format!(
                "it was written with manifest version {}, newer than this xorq-rs reads ({MANIFEST_VERSION}); upgrade xorq-rs",
                metadata.manifest_version
            ),
        ));
    }
    if hash_scheme_version(&metadata.hash_scheme).is_none() {
        return Err(BuildError::invalid(
            dir,
            format!(
                "it was addressed with hash scheme `{}`, which this xorq-rs does not know (it reads {}; new builds use `{HASH_SCHEME}`); upgrade xorq-rs, or build the expression again",
                metadata.hash_scheme,
                KNOWN_HASH_SCHEMES.join(", ")
            ),
        ));
    }
    Ok(metadata)
}

/// Reads a text file of the build: a regular file in it, never a link out of it.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let (file, _) = xorq_fs::open_regular(path)?;
    std::io::read_to_string(file).map_err(BuildError::io("read", path))
}
