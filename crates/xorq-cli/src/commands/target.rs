//! What `xorq run`, `xorq lineage` and their `xorq catalog` twins run on: a build directory, or
//! an entry of a catalog named by alias (`prod`, `prod@r2`) or address prefix.
//!
//! An argument that exists as a path is a build directory. Otherwise it is looked up in the
//! catalog chosen by `--catalog-path`/`--catalog` (or, under `xorq catalog`, by its `--path` and
//! `--name`), else the default catalog. When neither reading works, the error gives both reasons.

use std::path::{Path, PathBuf};

use xorq_build::{LoadedBuild, Verification};
use xorq_catalog::config::{Location, Selector};
use xorq_catalog::{Catalog, CatalogError};

use crate::error::{CliError, Result};

/// Which catalog an alias is looked up in.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct CatalogOpts {
    /// Look aliases up in the catalog with this name [default: the default catalog].
    #[arg(long = "catalog", id = "alias_catalog", value_name = "NAME", conflicts_with = "alias_catalog_path")]
    pub catalog: Option<String>,
    /// Look aliases up in the catalog in this directory.
    #[arg(long = "catalog-path", id = "alias_catalog_path", value_name = "DIR")]
    pub catalog_path: Option<PathBuf>,
}

impl CatalogOpts {
    /// The catalog these options choose.
    pub fn selector(&self) -> Selector {
        match (&self.catalog_path, &self.catalog) {
            (Some(path), _) => Selector::Path(path.clone()),
            (None, Some(name)) => Selector::Name(name.clone()),
            (None, None) => Selector::Default,
        }
    }

    /// These options, with the catalog of an enclosing `xorq catalog --path/--name` if one was
    /// given (giving both is a usage error).
    pub fn within(&self, outer: &Selector) -> Result<CatalogOpts> {
        let mine = self.catalog.is_some() || self.catalog_path.is_some();
        match outer {
            Selector::Default => Ok(self.clone()),
            _ if mine => Err(CliError::Usage(
                "the catalog is chosen twice: give `xorq catalog --path/--name` or `--catalog-path/--catalog`, not both"
                    .into(),
            )),
            Selector::Path(path) => Ok(CatalogOpts { catalog: None, catalog_path: Some(path.clone()) }),
            Selector::Name(name) => Ok(CatalogOpts { catalog: Some(name.clone()), catalog_path: None }),
        }
    }
}

/// Loads the build `arg` names (see the module documentation), its bundled files verified once
/// per file identity in the default cache directory.
pub fn load(arg: &Path, opts: &CatalogOpts) -> Result<LoadedBuild> {
    load_verified(arg, opts, &Verification::default())
}

/// [`load`], verifying bundled files as `verification` says.
pub fn load_verified(arg: &Path, opts: &CatalogOpts, verification: &Verification) -> Result<LoadedBuild> {
    // A name that is not UTF-8 cannot be an alias or an address: it is a path.
    let Some(text) = arg.to_str() else { return Ok(xorq_build::load_with(arg, verification)?) };
    let looks_like_path = text.is_empty() || text.contains(['/', '\\']) || text.starts_with('.');
    if arg.exists() || looks_like_path {
        return Ok(xorq_build::load_with(arg, verification)?);
    }
    let location = crate::project::locate_catalog(&opts.selector())?;
    let neither = |why: &dyn std::fmt::Display| neither(text, &location, why);
    let catalog = Catalog::open(&location.path).map_err(|e| neither(&e))?;
    match catalog.resolve(text) {
        Ok(resolved) => Ok(xorq_build::load_with(&resolved.dir, verification)?),
        Err(e @ (CatalogError::NotFound { .. } | CatalogError::InvalidName { .. })) => Err(neither(&e)),
        Err(e) => Err(e.into()),
    }
}

fn neither(arg: &str, location: &Location, why: &dyn std::fmt::Display) -> CliError {
    let why = why.to_string();
    let why = why.lines().next().unwrap_or_default();
    let which = if location.name.is_some() { format!(" ({})", location.chosen_by) } else { String::new() };
    CliError::Catalog(CatalogError::refused(format!(
        "`{arg}` is neither a build directory nor a catalog entry\n\
         as a path: no such file or directory\n\
         as a catalog entry{which}: {why}\n\
         hint: pass the path of a directory `xorq build` wrote, or an alias from `xorq catalog list-aliases` \
         (choose the catalog with `--catalog-path DIR` or `--catalog NAME`)"
    )))
}
