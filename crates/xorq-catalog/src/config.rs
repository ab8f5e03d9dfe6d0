//! Which catalog a command means: `--path DIR`, `--name NAME`, or the default.
//!
//! Names are looked up in the configuration file `catalogs.yaml`, found at
//! `$XORQ_CATALOG_CONFIG` if set, else `$XDG_CONFIG_HOME/xorq/catalogs.yaml`, else
//! `~/.config/xorq/catalogs.yaml`:
//!
//! ```yaml
//! default: analytics              # the catalog used when neither --path nor --name is given
//! catalogs:                       # names registered at a path of their own
//!   analytics: /srv/catalogs/analytics
//! ```
//!
//! A name that is not registered lives at `$XDG_DATA_HOME/xorq/catalogs/<name>` (else
//! `~/.local/share/xorq/catalogs/<name>`). The default name is `$XORQ_DEFAULT_CATALOG`, else the
//! file's `default`, else `default`. A missing file is an empty configuration; the file is only
//! ever written by `xorq catalog default --set/--unset` and by `init`/`clone` given both a name
//! and a path, each time whole and atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::alias::check_name;
use crate::error::{CatalogError, Result};

/// The name used when none is configured.
pub const DEFAULT_NAME: &str = "default";

/// How the user chose a catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Selector {
    /// `--path DIR`.
    Path(PathBuf),
    /// `--name NAME`.
    Name(String),
    /// Neither: the default catalog.
    #[default]
    Default,
}

/// A chosen catalog's location, and how it was chosen (for messages).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The catalog directory.
    pub path: PathBuf,
    /// Its name, when chosen by name.
    pub name: Option<String>,
    /// How it was chosen, e.g. "--path", "--name analytics", "the default catalog `default`".
    pub chosen_by: String,
}

/// `catalogs.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// The default catalog's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Catalogs registered by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub catalogs: BTreeMap<String, PathBuf>,
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from)
}

fn home() -> Option<PathBuf> {
    env_path("HOME")
}

/// Where the configuration file is (it need not exist).
pub fn config_path() -> Option<PathBuf> {
    env_path("XORQ_CATALOG_CONFIG")
        .or_else(|| env_path("XDG_CONFIG_HOME").map(|d| d.join("xorq/catalogs.yaml")))
        .or_else(|| home().map(|h| h.join(".config/xorq/catalogs.yaml")))
}

/// Where a catalog called `name` lives unless the configuration registers it elsewhere.
pub fn default_location(name: &str) -> Option<PathBuf> {
    env_path("XDG_DATA_HOME")
        .map(|d| d.join("xorq"))
        .or_else(|| home().map(|h| h.join(".local/share/xorq")))
        .map(|d| d.join("catalogs").join(name))
}

impl Config {
    /// Reads the configuration file (empty when it does not exist).
    pub fn load() -> Result<Config> {
        let Some(path) = config_path() else { return Ok(Config::default()) };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(CatalogError::io("read", &path)(e)),
        };
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        serde_saphyr::from_str(&text).map_err(|e| CatalogError::Malformed {
            path,
            message: format!("{e}\nhint: it holds `default: <name>` and `catalogs: {{<name>: <path>}}`"),
        })
    }

    /// Writes the configuration file whole (through a temporary file).
    pub fn save(&self) -> Result<PathBuf> {
        let path = config_path().ok_or_else(|| {
            CatalogError::refused(
                "no place for the configuration file: set HOME, XDG_CONFIG_HOME or XORQ_CATALOG_CONFIG",
            )
        })?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(CatalogError::io("create directory", dir))?;
        }
        let text = serde_saphyr::to_string(self).map_err(|e| CatalogError::refused(e.to_string()))?;
        xorq_build::fsutil::replace_file(&path, text.as_bytes())?;
        Ok(path)
    }

    /// The default catalog's name and where that came from.
    pub fn default_name(&self) -> (String, &'static str) {
        if let Ok(name) = std::env::var("XORQ_DEFAULT_CATALOG")
            && !name.is_empty()
        {
            return (name, "XORQ_DEFAULT_CATALOG");
        }
        match &self.default {
            Some(name) => (name.clone(), "the configuration file"),
            None => (DEFAULT_NAME.to_string(), "built in"),
        }
    }

    /// Where the catalog called `name` is.
    pub fn path_of(&self, name: &str) -> Result<PathBuf> {
        check_name("catalog name", name)?;
        if let Some(path) = self.catalogs.get(name) {
            return Ok(match config_path().as_deref().and_then(Path::parent) {
                Some(base) if path.is_relative() => base.join(path),
                _ => path.clone(),
            });
        }
        default_location(name).ok_or_else(|| {
            CatalogError::refused("no place for named catalogs: set HOME or XDG_DATA_HOME, or use --path")
        })
    }
}

impl Selector {
    /// Where the chosen catalog is.
    ///
    /// ```
    /// use xorq_catalog::config::Selector;
    /// let at = Selector::Path("team-catalog".into()).locate()?;
    /// assert!(at.path.ends_with("team-catalog"));
    /// # Ok::<(), xorq_catalog::CatalogError>(())
    /// ```
    pub fn locate(&self) -> Result<Location> {
        match self {
            Selector::Path(path) => Ok(Location { path: path.clone(), name: None, chosen_by: "--path".into() }),
            Selector::Name(name) => Ok(Location {
                path: Config::load()?.path_of(name)?,
                name: Some(name.clone()),
                chosen_by: format!("--name {name}"),
            }),
            Selector::Default => {
                let config = Config::load()?;
                let (name, source) = config.default_name();
                Ok(Location {
                    path: config.path_of(&name)?,
                    chosen_by: format!("the default catalog `{name}` ({source})"),
                    name: Some(name),
                })
            }
        }
    }
}
