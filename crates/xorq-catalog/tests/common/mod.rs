//! Builds to catalogue, and git run directly to look at what the catalog did.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use xorq_build::BuildOptions;
use xorq_core::{FileFormat, Source, Table, col, lit};
use xorq_engines::probe::probe_file;

/// A small sales CSV.
pub const SALES_CSV: &str = "order_id,region,amount\n1,EU,120.5\n2,US,80.0\n3,EU,310.25\n4,APAC,99.5\n";

/// Writes the sales CSV into `dir` (once) and builds "orders above `threshold` per region" under
/// `dir/builds`; returns the build directory.
pub fn build(dir: &Path, threshold: i64) -> PathBuf {
    let csv = dir.join("sales.csv");
    if !csv.exists() {
        std::fs::write(&csv, SALES_CSV).expect("write the fixture");
    }
    let location = csv.to_str().expect("utf-8 path");
    let format = FileFormat::Csv(Default::default());
    let schema = probe_file(&format, location).expect("probe");
    let table = Table::from_source(Source::file(format, location, schema).expect("source"))
        .and_then(|t| t.filter(col("amount").gt(lit(threshold))))
        .and_then(|t| t.group_by([col("region")]).agg([col("amount").sum().alias("total")]))
        .expect("the pipeline builds");
    xorq_build::build(&table, &dir.join("builds"), &BuildOptions::default()).expect("build").path
}

/// `git args…` in `dir`; stdout, trimmed. Panics (with git's message) when git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Number of commits on HEAD.
pub fn commits(dir: &Path) -> usize {
    git(dir, &["rev-list", "--count", "HEAD"]).parse().expect("a count")
}

/// `git status --porcelain --ignored` (untracked and ignored files included): empty when the
/// work tree is exactly `HEAD`.
pub fn dirt(dir: &Path) -> String {
    git(dir, &["status", "--porcelain", "--ignored", "--untracked-files=all"])
}

/// A bare repository to serve as the remote.
pub fn bare(dir: &Path) -> PathBuf {
    let path = dir.join("remote.git");
    git(dir, &["init", "-q", "--bare", "-b", "main", path.to_str().expect("utf-8")]);
    path
}
