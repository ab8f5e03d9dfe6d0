//! Writing a build: everything goes into a staging directory next to its final place, and one
//! rename publishes it. A crash leaves a stray staging directory (ignored, named `.tmp-*`) but
//! never a half-written build.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use xorq_core::manifest::{self, MANIFEST_VERSION};
use xorq_core::plan::{SourceIdentity, SourceKind, bundled_location};
use xorq_core::profile::Profile;
use xorq_core::{Address, HASH_SCHEME, Schema, Table};

use crate::bundle::{copy_bundled, hash_reads};
use crate::error::{BuildError, Result};
use crate::fsutil::{create_dir, read_text, sync_dir, write_synced};
use crate::layout::{DEFERRED_READS_FILE, EXPR_FILE, MEMTABLE_DIR, METADATA_FILE, PROFILES_FILE, memtable_location};
use crate::metadata::{Metadata, columns, params};
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
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions { relocate_reads: true, debug: false, profiles: Vec::new() }
    }
}

impl BuildOptions {
    /// Sets [`BuildOptions::relocate_reads`].
    pub fn relocate_reads(mut self, yes: bool) -> Self {
        self.relocate_reads = yes;
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
/// manifest and reuses it.
///
/// ```no_run
/// # fn demo(table: xorq_core::Table) -> xorq_build::Result<()> {
/// let build = xorq_build::build(&table, "builds".as_ref(), &xorq_build::BuildOptions::default())?;
/// println!("{}", build.path.display());
/// # Ok(()) }
/// ```
pub fn build(table: &Table, builds_dir: &Path, options: &BuildOptions) -> Result<BuildDir> {
    create_dir(builds_dir)?;
    remove_abandoned_staging(builds_dir);
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(builds_dir)
        .map_err(BuildError::io("create a staging directory in", builds_dir))?;
    let dir = staging.path();

    let (table, bundled) = hash_reads(table, options.relocate_reads)?;
    let address = table.address();
    let computation_address = table.computation_address();
    let yaml = manifest::to_yaml(&table)?;
    let used = profiles::used_profiles(&table, &options.profiles)?;
    profiles::check_backend_sql(&table, &used)?;

    let final_path = builds_dir.join(address.short());
    if final_path.exists() {
        return reuse_with_debug(&final_path, &address, &yaml, &table, options.debug);
    }

    copy_bundled(&bundled, dir)?;
    let memtables = manifest::memtables(&table);
    if !memtables.is_empty() {
        create_dir(&dir.join(MEMTABLE_DIR))?;
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
    sync_dir(dir);

    let staged = staging.keep();
    match fs::rename(&staged, &final_path) {
        Ok(()) => {
            sync_dir(builds_dir);
            Ok(BuildDir {
                path: final_path,
                address,
                computation_address,
                schema: table.schema().clone(),
                reused: false,
            })
        }
        // Another process published the same build first: check it and use it.
        Err(_) if final_path.exists() => {
            let _ = fs::remove_dir_all(&staged);
            reuse_with_debug(&final_path, &address, &yaml, &table, options.debug)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&staged);
            Err(BuildError::Io { action: "move the finished build to", path: final_path, source: e })
        }
    }
}

/// [`reuse`], then adds the `--debug` files if they are asked for and missing (they are derived
/// from the manifest, so adding them never changes the build).
fn reuse_with_debug(path: &Path, address: &Address, yaml: &str, table: &Table, debug: bool) -> Result<BuildDir> {
    let reused = reuse(path, address, yaml, table)?;
    if debug {
        let mut files = vec![(DEFERRED_READS_FILE.to_string(), debug::deferred_reads(table)?)];
        files.extend(debug::engine_sql(table)?);
        for (name, text) in files {
            let target = path.join(&name);
            if !target.exists() {
                let mut temp =
                    tempfile::NamedTempFile::new_in(path).map_err(BuildError::io("create a file in", path))?;
                std::io::Write::write_all(&mut temp, text.as_bytes()).map_err(BuildError::io("write", temp.path()))?;
                temp.as_file().sync_all().map_err(BuildError::io("sync", temp.path()))?;
                temp.persist(&target).map_err(|e| BuildError::Io {
                    action: "move into place",
                    path: target.clone(),
                    source: e.error,
                })?;
            }
        }
    }
    Ok(reused)
}

/// The files a build of `table` holds besides its text files, relative to the build directory.
fn data_files(table: &Table) -> Vec<String> {
    let mut out = Vec::new();
    for node in xorq_core::plan::walk::topological(table.node()) {
        if let xorq_core::RelOp::Source(s) = node.op() {
            match &s.kind {
                SourceKind::Memtable(m) => out.push(memtable_location(&m.content)),
                SourceKind::File(f) => {
                    if let SourceIdentity::Content { hash, .. } = &f.identity {
                        out.push(bundled_location(hash, &f.format));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Prefix of staging directories inside a builds directory.
const STAGING_PREFIX: &str = ".tmp-build-";

/// Staging directories left by a process killed mid-build, once they are a day old (a live
/// build never takes that long): best effort, as nothing depends on them.
fn remove_abandoned_staging(builds_dir: &Path) {
    let Ok(entries) = fs::read_dir(builds_dir) else { return };
    let day = std::time::Duration::from_secs(24 * 3600);
    for entry in entries.flatten() {
        let abandoned = entry.file_name().to_str().is_some_and(|n| n.starts_with(STAGING_PREFIX))
            && entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
        if abandoned {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

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
fn reuse(path: &Path, address: &Address, yaml: &str, table: &Table) -> Result<BuildDir> {
    let metadata_path = path.join(METADATA_FILE);
    let metadata: Metadata = match read_text(&metadata_path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            BuildError::invalid(&metadata_path, format!("{e}; remove `{}` and build again", path.display()))
        })?,
        Err(BuildError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
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
    for file in data_files(table) {
        let file = path.join(file);
        if !file.is_file() {
            return Err(BuildError::invalid(&file, "missing; remove the build directory and build again"));
        }
    }
    Ok(BuildDir {
        path: path.to_path_buf(),
        address: *address,
        computation_address: table.computation_address(),
        schema: table.schema().clone(),
        reused: true,
    })
}
