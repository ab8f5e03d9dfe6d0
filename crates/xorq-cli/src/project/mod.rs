//! The project file, `xorq.yaml`: the root of a project and what its pipelines share — named
//! backend profiles, and the default builds directory, cache directory and catalog.
//!
//! ```yaml
//! profiles:
//!   shop: {kind: sqlite, path: data/shop.db}
//!   warehouse:
//!     kind: postgres
//!     host: db.internal
//!     user: analyst
//!     password: ${PGPASSWORD}
//! builds_dir: builds
//! cache_dir: .xorq-cache
//! catalog: {path: catalog}
//! ```
//!
//! Found like `Cargo.toml`: `xorq build` walks up from the pipeline file, every other command
//! from the current directory. A profile is its `kind` and that kind's parameters, flat beside it;
//! a profile of kind `s3`, `gcs` or `azure` configures the object store of one `bucket`
//! (`endpoint`, `region`, `access_key_id: ${KEY}`, … over the environment's settings), for the
//! URLs of that bucket read by this project's pipelines;
//! secrets only as `${ENV}` references (the same check as for builds). Relative paths — a
//! profile's `path`, the directories — are relative to the project root, however deep the
//! command runs; a build records its profiles as written, and a run resolves their relative paths
//! against the project root it finds again (else the current directory, as before projects).
//!
//! Precedence for the directories and the catalog: a flag, then the environment
//! (`$XORQ_CACHE_DIR`), then the project file, then the built-in default.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use xorq::profile::Profile;
use xorq_catalog::config::{Location, Selector};

use crate::error::{CliError, Result};

pub mod tables;

/// The project file's name.
pub const FILE_NAME: &str = xorq_build::project::PROJECT_FILE;

/// A loaded project file.
#[derive(Clone, Debug)]
pub struct Project {
    /// The directory holding `xorq.yaml`; relative paths are relative to it.
    pub root: PathBuf,
    /// The profiles, in the order of their names.
    pub profiles: Vec<Profile>,
    /// Where builds are written, absolute.
    pub builds_dir: Option<PathBuf>,
    /// The cache directory, absolute.
    pub cache_dir: Option<PathBuf>,
    /// The catalog aliases are looked up in and entries added to.
    pub catalog: Option<Selector>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectDoc {
    #[serde(default)]
    profiles: BTreeMap<String, BTreeMap<String, Scalar>>,
    builds_dir: Option<String>,
    cache_dir: Option<String>,
    catalog: Option<CatalogDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogDoc {
    path: Option<String>,
    name: Option<String>,
}

/// A parameter's value as YAML writes it (`port: 5432`, `read_only: true`), kept as text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Text(s) => s,
        }
    }
}

/// Profile parameters that name a file, resolved against the project root.
const PATH_PARAMS: &[&str] = &["path"];

impl Project {
    /// The project whose `xorq.yaml` is in `dir` or the nearest directory above it, if any.
    pub fn discover(dir: &Path) -> Result<Option<Project>> {
        xorq_build::project::find_root(dir).map(|root| Project::load(&root.join(FILE_NAME))).transpose()
    }

    /// The project of the current directory.
    pub fn current() -> Result<Option<Project>> {
        Project::discover(Path::new("."))
    }

    /// The project a pipeline file belongs to (searched from the file's directory).
    pub fn of_file(file: &Path) -> Result<Option<Project>> {
        let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Project::discover(dir)
    }

    /// Reads and checks the project file `file`.
    pub fn load(file: &Path) -> Result<Project> {
        let error = |message: String| CliError::Project { file: file.to_path_buf(), message };
        let text = fs::read_to_string(file).map_err(CliError::io("read", file))?;
        let doc: ProjectDoc = if text.trim().is_empty() {
            ProjectDoc { profiles: BTreeMap::new(), builds_dir: None, cache_dir: None, catalog: None }
        } else {
            serde_saphyr::from_str(&text).map_err(|e| error(e.to_string()))?
        };
        let root = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut profiles = Vec::new();
        for (name, params) in doc.profiles {
            let mut params: BTreeMap<String, String> = params.into_iter().map(|(k, v)| (k, v.text())).collect();
            let kind = params.remove("kind").ok_or_else(|| {
                error(format!(
                    "profile `{name}` has no `kind`; write for example `{name}: {{kind: sqlite, path: shop.db}}` (kinds: {})",
                    [xorq::backends::connectors().kinds(), xorq_engines::remote::stores::STORAGE_KINDS.to_vec()].concat().join(", ")
                ))
            })?;
            let mut profile = Profile::new(&name, &kind).map_err(|e| error(e.to_string()))?;
            for (key, value) in &params {
                profile = profile.param(key, value).map_err(|e| error(e.to_string()))?;
            }
            // Object storage settings for the URLs of one bucket: given to the stores of this
            // process, not a backend (nothing connects to it, no build records it).
            if xorq_engines::remote::stores::STORAGE_KINDS.contains(&kind.as_str()) {
                xorq_engines::remote::stores::register_profile(&profile).map_err(|e| error(e.to_string()))?;
                continue;
            }
            profiles.push(profile);
        }
        let dir = |d: Option<String>| d.map(|d| root.join(d));
        // A cache in a bucket (`cache_dir: s3://team-bucket/cache`) is a URL, not a path.
        let cache_dir =
            doc.cache_dir.map(|d| if xorq_engines::remote::is_remote(&d) { PathBuf::from(d) } else { root.join(d) });
        let catalog = match doc.catalog {
            None => None,
            Some(CatalogDoc { path: Some(path), name: None }) => Some(Selector::Path(root.join(path))),
            Some(CatalogDoc { path: None, name: Some(name) }) => Some(Selector::Name(name)),
            Some(_) => {
                return Err(error(
                    "`catalog` takes one of `path` (a directory, relative to the project) or `name` (a registered catalog)"
                        .into(),
                ));
            }
        };
        Ok(Project { builds_dir: dir(doc.builds_dir), cache_dir, catalog, profiles, root })
    }

    /// The project file.
    pub fn file(&self) -> PathBuf {
        self.root.join(FILE_NAME)
    }

    /// The profile `name`, or an error listing the profiles there are.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name() == name)
    }

    /// `profile` with its relative file parameters made relative to the project root.
    pub fn resolve_paths(&self, profile: &Profile) -> Profile {
        resolve_paths(profile, &self.root)
    }
}

/// `profile` with its relative file parameters (`path`, except `:memory:`) joined to `root`;
/// `${ENV}` references are left alone, as are absolute paths.
pub fn resolve_paths(profile: &Profile, root: &Path) -> Profile {
    let mut out = match Profile::new(profile.name(), profile.kind()) {
        Ok(p) => p,
        Err(_) => return profile.clone(),
    };
    for (key, value) in profile.params() {
        let relative = PATH_PARAMS.contains(&key.as_str())
            && !value.starts_with(':')
            && !value.contains("${")
            && Path::new(value).is_relative();
        let value = if relative { root.join(value).to_string_lossy().into_owned() } else { value.clone() };
        out = match out.param(key, &value) {
            Ok(p) => p,
            // The parameter was accepted as written; a joined path adds no secret or reference.
            Err(_) => return profile.clone(),
        };
    }
    out
}

/// The profiles a run connects: `profiles` with relative file paths resolved against the
/// project holding `build_dir`, else the current directory's project (as the build's project
/// files are, [`xorq_build::project::root_for_build`]), else left relative to the current
/// directory.
pub fn profiles_for_run(profiles: &[Profile], build_dir: Option<&Path>) -> Result<Vec<Profile>> {
    let has_relative = profiles
        .iter()
        .any(|p| p.params().iter().any(|(k, v)| PATH_PARAMS.contains(&k.as_str()) && Path::new(v).is_relative()));
    if !has_relative {
        return Ok(profiles.to_vec());
    }
    // The same project a build's own files are read under.
    let root = match build_dir {
        Some(dir) => xorq_build::project::root_for_build(dir),
        None => xorq_build::project::find_root(Path::new(".")),
    };
    let project = root.map(|root| Project::load(&root.join(FILE_NAME))).transpose()?;
    Ok(match project {
        Some(project) => profiles.iter().map(|p| project.resolve_paths(p)).collect(),
        None => profiles.to_vec(),
    })
}

/// The cache directory a command uses when `--cache-dir` is not given: none when
/// `$XORQ_CACHE_DIR` is set (the environment wins), else the project's.
pub fn default_cache_dir() -> Result<Option<PathBuf>> {
    if std::env::var_os(xorq_exec::cache::CACHE_DIR_ENV).is_some_and(|v| !v.is_empty()) {
        return Ok(None);
    }
    Ok(Project::current()?.and_then(|p| p.cache_dir))
}

/// Where the catalog `selector` is. A catalog not chosen on the command line
/// ([`Selector::Default`]) is the project file's `catalog`, if the current directory is in a
/// project that names one, else the default catalog.
pub fn locate_catalog(selector: &Selector) -> Result<Location> {
    if let Selector::Default = selector
        && let Some(project) = Project::current()?
        && let Some(chosen) = &project.catalog
    {
        let mut location = chosen.locate()?;
        location.chosen_by = format!("`catalog` in {}", project.file().display());
        return Ok(location);
    }
    Ok(selector.locate()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let file = dir.join(FILE_NAME);
        fs::write(&file, text).expect("writes");
        file
    }

    #[test]
    fn profiles_are_flat_and_typed_values_become_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = write(
            dir.path(),
            "profiles:\n  shop: {kind: sqlite, path: data/shop.db}\n  warehouse:\n    kind: postgres\n    host: db\n    port: 5433\n    password: ${PGPASSWORD}\nbuilds_dir: out\ncatalog: {path: cat}\n",
        );
        let p = Project::load(&file).expect("loads");
        assert_eq!(p.profiles.len(), 2);
        let shop = p.profile("shop").expect("shop");
        assert_eq!(shop.kind(), "sqlite");
        assert_eq!(p.resolve_paths(shop).params()["path"], dir.path().join("data/shop.db").to_string_lossy());
        assert_eq!(p.profile("warehouse").expect("warehouse").params()["port"], "5433");
        assert_eq!(p.builds_dir, Some(dir.path().join("out")));
        assert!(matches!(&p.catalog, Some(Selector::Path(c)) if c == &dir.path().join("cat")));
    }

    #[test]
    fn found_from_a_subdirectory() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "profiles: {}\n");
        let deep = dir.path().join("a/b");
        fs::create_dir_all(&deep).expect("mkdir");
        let p = Project::discover(&deep).expect("reads").expect("found");
        assert_eq!(p.root, dir.path());
    }

    #[test]
    fn mistakes_name_the_file_and_what_to_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            ("profiles:\n  shop: {path: shop.db}\n", "has no `kind`"),
            ("profiles:\n  pg: {kind: postgres, password: hunter2}\n", "environment variable"),
            ("profile:\n  pg: {kind: postgres}\n", "profile"),
            ("catalog: {path: a, name: b}\n", "one of `path`"),
            ("profiles:\n  'bad name': {kind: sqlite}\n", "bad name"),
        ];
        for (text, expected) in cases {
            let file = write(dir.path(), text);
            let e = Project::load(&file).expect_err(text).to_string();
            assert!(e.contains("xorq.yaml") && e.contains(expected), "{text}: {e}");
        }
    }

    #[test]
    fn references_memory_and_absolute_paths_stay() {
        let root = Path::new("/srv/project");
        for (value, expected) in [
            (":memory:", ":memory:"),
            ("/data/x.db", "/data/x.db"),
            ("${DB_PATH}", "${DB_PATH}"),
            ("x.db", "/srv/project/x.db"),
        ] {
            let p = Profile::new("p", "duckdb").and_then(|p| p.param("path", value)).expect("profile");
            assert_eq!(resolve_paths(&p, root).params()["path"], expected);
        }
    }
}
