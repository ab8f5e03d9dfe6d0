//! `xorq catalog info` and `xorq catalog get`: a catalog summarized, an entry exported.

use std::path::Path;

use xorq_catalog::Catalog;

use super::archive;
use crate::error::{CliError, Result};

/// `xorq catalog info`.
pub(super) fn info(catalog: &Catalog, json: bool) -> Result<()> {
    let entries = catalog.entries()?;
    let aliases = catalog.aliases()?;
    let last = catalog.log(Some(1))?.into_iter().next();
    let remote = catalog.remote_url()?;
    let value = serde_json::json!({
        "path": catalog.path(),
        "commit": last.as_ref().map(|c| c.commit.clone()),
        "last_change": last.as_ref().map(|c| c.summary.clone()),
        "last_change_time": last.as_ref().map(|c| c.time.clone()),
        "remote": remote,
        "entries": entries.len(),
        "aliases": aliases.len(),
    });
    if json {
        println!("{value}");
        return Ok(());
    }
    println!("path      {}", catalog.path().display());
    match &last {
        Some(c) => println!("commit    {} ({}, {})", &c.commit[..12.min(c.commit.len())], c.summary, c.time),
        None => println!("commit    (none)"),
    }
    println!("remote    {}", remote.as_deref().unwrap_or("(none; `xorq catalog set-remote <url>` sets one)"));
    println!("entries   {}", entries.len());
    println!("aliases   {}", aliases.len());
    Ok(())
}

/// `xorq catalog get`: the entry `name` as `<output>/<name>.zip`, or a build directory.
pub(super) fn get(catalog: &Catalog, name: &str, output: Option<&Path>, as_dir: bool) -> Result<()> {
    let resolved = catalog.resolve(name)?;
    let out = output.unwrap_or(Path::new("."));
    std::fs::create_dir_all(out).map_err(CliError::io("create directory", out))?;
    let short = &resolved.address[..12];
    if as_dir {
        let target = out.join(short);
        if target.exists() {
            return Err(CliError::Usage(format!(
                "`{}` exists already; remove it or choose another `-o` directory",
                target.display()
            )));
        }
        let staging = xorq_fs::Staging::new_in(out, ".xorq-get-")?;
        for file in archive::files(&resolved.dir)? {
            let to = staging.path().join(&file);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(CliError::io("create directory", parent))?;
            }
            xorq_fs::copy_file(&resolved.dir.join(&file), &to)?;
        }
        if let xorq_fs::Published::TargetExists(_) = staging.publish(&target)? {
            return Err(CliError::Usage(format!("`{}` appeared while it was being written", target.display())));
        }
        // The copy must be a build that loads and verifies, as any export is.
        xorq_build::load_with(&target, &xorq_build::Verification::Always)?;
        println!("{}", target.display());
    } else {
        // The Python tool names the archive after the name given (`prod.zip`); `@` and `/`
        // are not kept in a file name.
        let file_name: String =
            name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
        let target = out.join(format!("{file_name}.zip"));
        archive::write_zip(&resolved.dir, short, &target)?;
        println!("{}", target.display());
    }
    Ok(())
}
