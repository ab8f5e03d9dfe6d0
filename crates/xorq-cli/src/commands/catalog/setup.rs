//! Choosing and creating a catalog: the selector flags given once, opening with a message that
//! says how to create one, `init`/`clone` (with `--name` registered), and `default`.

use xorq_catalog::config::{Config, Location, default_location};
use xorq_catalog::{Catalog, CatalogError, Cloned};

use super::command::CatalogCommand;
use super::sync::with_progress;
use crate::error::{CliError, Result};

/// The one value of a selector that can be written in several places (`--path`, `-p` before
/// the subcommand, `clone -p`); giving it twice is a usage error.
pub(super) fn given_once<T: Clone>(what: &str, given: [Option<&T>; 3]) -> Result<Option<T>> {
    let mut given = given.into_iter().flatten();
    let first = given.next().cloned();
    match given.next() {
        Some(_) => Err(CliError::Usage(format!("the catalog {what} is given twice; give it once"))),
        None => Ok(first),
    }
}

/// Opens the chosen catalog, saying how to create one when there is none.
pub(super) fn open(location: &Location) -> Result<Catalog> {
    Catalog::open(&location.path).map_err(|e| match e {
        CatalogError::NotACatalog { path, reason } if location.path.exists() => {
            CliError::Catalog(CatalogError::NotACatalog { path, reason })
        }
        CatalogError::NotACatalog { path, .. } => CliError::Catalog(CatalogError::NotACatalog {
            path,
            reason: format!(
                "there is no catalog there ({} is used); create it with `xorq catalog{} init`, clone one with `xorq catalog{} clone <url>`, or choose another with `--path`/`--name`",
                location.chosen_by,
                location.name.as_deref().map(|n| format!(" --name {n}")).unwrap_or_default(),
                location.name.as_deref().map(|n| format!(" --name {n}")).unwrap_or_default(),
            ),
        }),
        other => other.into(),
    })
}

/// `init` and `clone` into `path`; with `register`, the name is recorded for that path.
pub(super) fn create(command: &CatalogCommand, path: &std::path::Path, register: Option<&String>) -> Result<()> {
    if let Some(name) = register {
        let config = Config::load()?;
        config.path_of(name)?;
        if config.catalogs.get(name).is_some_and(|p| p != path) {
            return Err(CliError::Usage(format!(
                "the name `{name}` is already registered for `{}`; choose another name",
                config.catalogs[name].display()
            )));
        }
    }
    let catalog = match command {
        CatalogCommand::Clone { url, .. } => {
            let shown = xorq_catalog::git::redact(url);
            let (catalog, how) = with_progress(&format!("cloning {shown}"), || Catalog::clone_from(url, path))?;
            match how {
                Cloned::Catalog => eprintln!("cloned the catalog at `{url}` into {}", catalog.path().display()),
                Cloned::Initialized => eprintln!(
                    "`{url}` is empty: started a new catalog in {}; `xorq catalog push` publishes it",
                    catalog.path().display()
                ),
            }
            catalog
        }
        _ => {
            let catalog = Catalog::init(path)?;
            eprintln!("created a catalog in {}", catalog.path().display());
            catalog
        }
    };
    if let Some(name) = register {
        let mut config = Config::load()?;
        config.catalogs.insert(name.clone(), catalog.path().to_path_buf());
        let file = config.save()?;
        eprintln!("registered the name `{name}` in {}", file.display());
    }
    Ok(())
}

/// `xorq catalog default`.
pub(super) fn default(set: Option<&str>, unset: bool) -> Result<()> {
    let mut config = Config::load()?;
    if let Some(name) = set {
        config.path_of(name)?;
        config.default = Some(name.to_string());
        let file = config.save()?;
        eprintln!("the default catalog is `{name}` (saved in {})", file.display());
    } else if unset {
        config.default = None;
        let file = config.save()?;
        eprintln!("forgot the default catalog (in {})", file.display());
    } else {
        let (name, source) = config.default_name();
        let path = config.path_of(&name).ok().or_else(|| default_location(&name)).unwrap_or_default();
        crate::output::write_text(
            &format!("{name}\t{}\t({source})\n", path.display()),
            &crate::output::Target::Stdout,
        )?;
    }
    Ok(())
}
