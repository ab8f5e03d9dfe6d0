//! Writing a build: everything goes into a staging directory next to its final place, and one
//! rename publishes it (`xorq_fs::Staging`). A crash leaves a stray staging directory (named
//! `.tmp-build-<pid>-*`, never read), which the next build in that directory removes once its
//! process is gone, but never a half-written build.

use std::path::{Path, PathBuf};

use xorq_core::manifest::{self, MANIFEST_VERSION};
use xorq_core::plan::SourceKind;
use xorq_core::profile::Profile;
use xorq_core::{Address, HASH_SCHEME, Schema, Table};
use xorq_fs::{Published, Staging};

use crate::bundle::{copy_bundled, hash_reads};
use crate::error::{BuildError, Result};
use crate::fsutil::{create_dir, write_synced};
use crate::layout::{DEFERRED_READS_FILE, EXPR_FILE, MEMTABLE_DIR, METADATA_FILE, PROFILES_FILE, memtable_location};
use crate::load::{load_with, read_text};
use crate::metadata::{Metadata, columns, params};
use crate::verify::Verification;
use crate::{debug, memtable, profiles, sources};

/// How to build.
///
/// ```
/// let options = xorq_build::BuildOptions::default().debug(true);
/// assert!(options.relocate_reads);
/// ```
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Copy local file reads into the build (the default), so it runs anywhere; remote URLs and
    /// directories stay references.
    pub relocate_reads: bool,
    /// Also write `deferred_reads.yaml` and one `<engine>.sql` per engine.
    pub debug: bool,
    /// Backend profiles that table sources may name.
    pub profiles: Vec<Profile>,
    /// How the bundled files of an existing build are checked before it is reused (and where
    /// the files of a new one are remembered as verified).
    pub verification: Verification,
    /// The root of the project the pipeline belongs to (the directory of its `xorq.yaml`): a
    /// local file under it that stays a reference is identified by its path relative to the root
    /// (hash scheme 3), so two checkouts of one project build one address.
    pub project_root: Option<PathBuf>,
    /// Also snapshot reads of objects on remote storage into the build, named by the hash of
    /// their bytes (by default they stay references: a URL reads the same from anywhere).
    pub bundle_remote: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            relocate_reads: true,
            debug: false,
            profiles: Vec::new(),
            verification: Verification::default(),
            project_root: None,
            bundle_remote: false,
        }
    }
}

impl BuildOptions {
    /// Sets [`BuildOptions::relocate_reads`].
    pub fn relocate_reads(mut self, yes: bool) -> Self {
        self.relocate_reads = yes;
        self
    }

    /// Sets [`BuildOptions::bundle_remote`].
    pub fn bundle_remote(mut self, yes: bool) -> Self {
        self.bundle_remote = yes;
        self
    }

    /// Sets [`BuildOptions::project_root`].
    pub fn project_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.project_root = Some(root.into());
        self
    }

    /// Sets [`BuildOptions::debug`].
    pub fn debug(mut self, yes: bool) -> Self {
        self.debug = yes;
        self
    }

    /// Adds a backend profile.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profiles.push(profile);
        self
    }

    /// Sets [`BuildOptions::verification`].
    pub fn verification(mut self, verification: Verification) -> Self {
        self.verification = verification;
        self
    }
}

/// A build directory that exists on disk.
#[derive(Clone, Debug)]
pub struct BuildDir {
    /// `builds/<12-hex>`.
    pub path: PathBuf,
    /// The input address of the built expression (with bundled sources named by content).
    pub address: Address,
    /// The address with every source taken as its reference.
    pub computation_address: Address,
    /// Output columns.
    pub schema: Schema,
    /// Whether the directory already existed with the same expression and was reused.
    pub reused: bool,
}

/// Writes `table` as a build under `builds_dir` and returns its directory, `builds_dir/<12-hex
/// address>`. Building an expression whose directory exists checks that it holds the same
/// manifest and intact data (every file against its hash) and reuses it.
///
/// ```no_run
/// # fn demo(table: xorq_core::Table) -> xorq_build::Result<()> {
/// let build = xorq_build::build(&table, "builds".as_ref(), &xorq_build::BuildOptions::default())?;
/// println!("{}", build.path.display());
/// # Ok(()) }
/// ```
pub fn build(table: &Table, builds_dir: &Path, options: &BuildOptions) -> Result<BuildDir> {
    // Remote objects snapshotted into the build are downloaded here first (removed on return).
    let (table, bundled, _downloads) = hashed(table, options)?;
    if !bundled.is_empty()
        && std::path::absolute(builds_dir).map_err(BuildError::io("resolve", builds_dir))?.to_str().is_none()
    {
        return Err(BuildError::NotUtf8 { what: "the builds directory", path: builds_dir.to_path_buf() });
    }
    create_dir(builds_dir)?;
    xorq_fs::sweep(builds_dir, STAGING_PREFIX);
    let address = table.address();
    let computation_address = table.computation_address();
    let yaml = manifest::to_yaml(&table)?;
    let used = profiles::used_profiles(&table, &options.profiles)?;
    profiles::check_backend_sql(&table, &used)?;

    let final_path = builds_dir.join(address.short());
    if final_path.exists() {
        return reuse_with_debug(&final_path, &address, &yaml, &table, options);
    }

    let staging = Staging::new_in(builds_dir, STAGING_PREFIX)?;
    let dir = staging.path();
    copy_bundled(&bundled, dir, options.verification.records())?;
    let memtables = manifest::memtables(&table);
    if !memtables.is_empty() {
        // One level only: a staging directory removed on interruption is never recreated.
        let path = dir.join(MEMTABLE_DIR);
        std::fs::create_dir(&path).map_err(BuildError::io("create directory", &path))?;
    }
    for (content, batches) in &memtables {
        memtable::write(&dir.join(memtable_location(content)), &memtable_schema(&table, content), batches)?;
    }
    write_synced(&dir.join(EXPR_FILE), yaml.as_bytes())?;
    write_synced(&dir.join(PROFILES_FILE), profiles::to_yaml(&used)?.as_bytes())?;
    let metadata = Metadata {
        address: address.hex(),
        computation_address: computation_address.hex(),
        hash_scheme: HASH_SCHEME.to_string(),
        manifest_version: MANIFEST_VERSION,
        tool: format!("xorq-rs {}", env!("CARGO_PKG_VERSION")),
        built_at: sources::rfc3339(std::time::SystemTime::now()),
        root: table.node().op().name().to_string(),
        schema: columns(table.schema()),
        params: params(&table)?,
        sources: sources::describe(&table, &bundled),
    };
    let json = serde_json::to_string_pretty(&metadata)
        .map_err(|e| BuildError::Debug(format!("writing metadata.json failed: {e}")))?;
    write_synced(&dir.join(METADATA_FILE), format!("{json}\n").as_bytes())?;
    if options.debug {
        write_synced(&dir.join(DEFERRED_READS_FILE), debug::deferred_reads(&table)?.as_bytes())?;
        for (name, sql) in debug::engine_sql(&table)? {
            write_synced(&dir.join(name), sql.as_bytes())?;
        }
    }
    match staging.publish(&final_path)? {
        Published::Done => Ok(BuildDir {
            path: final_path,
            address,
            computation_address,
            schema: table.schema().clone(),
            reused: false,
        }),
        // Another process published the same build first: check it and use it.
        Published::TargetExists(staging) => {
            drop(staging);
            reuse_with_debug(&final_path, &address, &yaml, &table, options)
        }
    }
}

/// [`reuse`], then adds the `--debug` files if they are asked for and missing (they are derived
/// from the manifest, so adding them never changes the build).
fn reuse_with_debug(
    path: &Path,
    address: &Address,
    yaml: &str,
    table: &Table,
    options: &BuildOptions,
) -> Result<BuildDir> {
    let reused = reuse(path, address, yaml, table, &options.verification)?;
    if options.debug {
        let mut files = vec![(DEFERRED_READS_FILE.to_string(), debug::deferred_reads(table)?)];
        files.extend(debug::engine_sql(table)?);
        for (name, text) in files {
            let target = path.join(&name);
            if !target.exists() {
                xorq_fs::replace(&target, text.as_bytes())?;
            }
        }
    }
    Ok(reused)
}

/// The expression [`build`] would write for `table` under `options`, without writing anything:
/// its reads named as the build names them (local files by the hash of their bytes, which are
/// read; remote objects downloaded and hashed with `bundle_remote`), so its address, and the
/// address of every node in it, is the build's. For asking what a pipeline would be before
/// building it (`xorq catalog find <pipeline file>`).
///
/// ```no_run
/// # fn demo(table: xorq_core::Table) -> xorq_build::Result<()> {
/// use xorq_build::{BuildOptions, build, prepare};
/// let options = BuildOptions::default();
/// let planned = prepare(&table, &options)?;
/// assert_eq!(build(&table, "builds".as_ref(), &options)?.address, planned.address());
/// # Ok(()) }
/// ```
pub fn prepare(table: &Table, options: &BuildOptions) -> Result<Table> {
    Ok(hashed(table, options)?.0)
}

/// `table` with its reads named as a build names them, the files to bundle, and the scratch
/// directory remote objects were downloaded to (kept until the files are copied).
fn hashed(
    table: &Table,
    options: &BuildOptions,
) -> Result<(Table, std::collections::BTreeMap<Address, crate::bundle::BundledFile>, Option<tempfile::TempDir>)> {
    let downloads = match options.bundle_remote {
        true => Some(tempfile::tempdir().map_err(BuildError::io("create a download directory", Path::new("/tmp")))?),
        false => None,
    };
    let (table, bundled) = hash_reads(
        table,
        options.relocate_reads,
        options.project_root.as_deref(),
        downloads.as_ref().map(|d| d.path()),
    )?;
    Ok((table, bundled, downloads))
}

/// Prefix of staging directories inside a builds directory.
pub const STAGING_PREFIX: &str = ".tmp-build-";

/// The schema of the memtable with `content` (for writing an empty one).
fn memtable_schema(table: &Table, content: &Address) -> Schema {
    xorq_core::plan::walk::topological(table.node())
        .into_iter()
        .find_map(|n| match n.op() {
            xorq_core::RelOp::Source(s) => match &s.kind {
                SourceKind::Memtable(m) if m.content == *content => Some((*s.schema).clone()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_default()
}

/// An existing directory for `address`: the same build (reuse it), another expression whose
/// address shares the 12-hex prefix (refuse), or something damaged (say what and what to do).
fn reuse(path: &Path, address: &Address, yaml: &str, table: &Table, verification: &Verification) -> Result<BuildDir> {
    let metadata_path = path.join(METADATA_FILE);
    let metadata: Metadata = match read_text(&metadata_path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            BuildError::invalid(&metadata_path, format!("{e}; remove `{}` and build again", path.display()))
        })?,
        Err(e) if e.is_not_found() => {
            return Err(BuildError::invalid(
                path,
                "the directory exists but has no metadata.json; remove it and build again",
            ));
        }
        Err(e) => return Err(e),
    };
    if metadata.address != address.hex() {
        return Err(BuildError::invalid(
            path,
            format!(
                "it holds the build {} while this expression's address is {}: the 12-hex prefixes collide. \
                 This is astronomically rare; build into another --builds-dir and report it",
                metadata.address,
                address.hex()
            ),
        ));
    }
    let existing = read_text(&path.join(EXPR_FILE))?;
    if existing != yaml {
        return Err(BuildError::invalid(
            &path.join(EXPR_FILE),
            "it differs from this expression's manifest although the address is the same (was it edited by hand?); \
             remove the directory and build again",
        ));
    }
    // The whole build, checked as a run would check it: metadata and every data file.
    load_with(path, verification).map_err(|e| match e {
        BuildError::InvalidBuild { path: file, message } => BuildError::InvalidBuild {
            path: file,
            message: format!(
                "{}\nhint: this build already exists damaged and cannot be reused; remove `{}` and build again",
                message.split("\nhint:").next().unwrap_or(&message),
                path.display()
            ),
        },
        other => other,
    })?;
    Ok(BuildDir {
        path: path.to_path_buf(),
        address: *address,
        computation_address: table.computation_address(),
        schema: table.schema().clone(),
        reused: true,
    })
}
