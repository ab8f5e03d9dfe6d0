//! `xorq catalog list-aliases` on a catalog of 1,000 entries and 200 aliases (target < 50 ms),
//! `xorq catalog list`, and `xorq catalog add` of one more build to it.
//!
//! ```sh
//! cargo bench -p xorq-cli --bench catalog
//! ENTRIES=5000 ALIASES=1000 cargo bench -p xorq-cli --bench catalog
//! ```
//!
//! The catalog is seeded directly in its documented layout (1,000 real builds of a small
//! pipeline, copied under `entries/`, 200 alias files with one to five revisions each, one
//! commit), then checked with `xorq catalog check`; the measured commands are the real binary.
//! Printed: median wall times of `RUNS` (default 20) runs, process start included.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use xorq::build::{BuildOptions, build};
use xorq::{col, lit};

mod common;
use common::{ms, time, xorq};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git").args(args).current_dir(dir).status().expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// The build of "orders above `threshold` per region" over `csv`, under `builds`.
fn build_one(csv: &Path, builds: &Path, threshold: usize) -> std::path::PathBuf {
    let table = xorq::read_csv(csv.to_str().expect("utf-8"))
        .expect("read")
        .filter(col("amount").gt(lit(threshold as i64)))
        .and_then(|t| t.group_by([col("region")]).agg([col("amount").sum().alias("total")]))
        .expect("the pipeline builds");
    build(&table, builds, &BuildOptions::default()).expect("build").path
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn main() {
    let entries = env_usize("ENTRIES", 1000);
    let aliases = env_usize("ALIASES", 200);
    let runs = env_usize("RUNS", 20);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let csv = dir.join("sales.csv");
    std::fs::write(&csv, "order_id,region,amount\n1,EU,120.5\n2,US,80.0\n3,EU,310.25\n4,APAC,99.5\n").expect("csv");
    let builds = dir.join("builds");
    let catalog = dir.join("catalog");
    let cat = catalog.to_str().expect("utf-8");

    let start = Instant::now();
    xorq(dir, &["catalog", "--path", cat, "init"]);
    let mut addresses = Vec::with_capacity(entries);
    for i in 0..entries {
        let path = build_one(&csv, &builds, i);
        let meta = xorq::build::read_metadata(&path).expect("metadata");
        copy_dir(&path, &catalog.join("entries").join(&meta.address));
        addresses.push(meta.address);
    }
    std::fs::create_dir_all(catalog.join("aliases")).expect("aliases dir");
    for a in 0..aliases {
        let mut text = format!("alias: alias-{a}\nrevisions:\n");
        for r in 0..=(a % 5) {
            let address = &addresses[(a * 5 + r) % addresses.len()];
            text.push_str(&format!("- revision: {}\n  address: {address}\n  at: 2026-01-01T00:00:{r:02}Z\n", r + 1));
        }
        std::fs::write(catalog.join("aliases").join(format!("alias-{a}.yaml")), text).expect("alias");
    }
    git(&catalog, &["add", "-A"]);
    git(&catalog, &["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "seed"]);
    let seeded = start.elapsed();
    let check_start = Instant::now();
    let check = xorq(dir, &["catalog", "--path", cat, "check"]);
    let check_time = check_start.elapsed();
    assert!(check.starts_with(&format!("OK: {entries} entries and {aliases} aliases")), "{check}");

    let listed = xorq(dir, &["catalog", "--path", cat, "list-aliases"]);
    assert_eq!(listed.lines().count(), aliases + 1);
    let list_aliases = time(runs, |_| {
        xorq(dir, &["catalog", "--path", cat, "list-aliases"]);
    });
    let list_aliases_json = time(runs, |_| {
        xorq(dir, &["catalog", "--path", cat, "list-aliases", "--json"]);
    });
    let list = time(runs, |_| {
        xorq(dir, &["catalog", "--path", cat, "list"]);
    });
    let version = time(runs, |_| {
        xorq(dir, &["--version"]);
    });
    let adds = 5;
    let fresh: Vec<String> =
        (0..adds).map(|i| build_one(&csv, &builds, entries + i).to_str().expect("utf-8").to_string()).collect();
    let add = time(adds, |i| {
        xorq(dir, &["catalog", "--path", cat, "add", &fresh[i], "--alias", &format!("new-{i}")]);
    });

    println!(
        "catalog of {entries} entries and {aliases} aliases (seeded in {:.1} s); median of {runs} runs",
        seeded.as_secs_f64()
    );
    println!("{:<48} {:>10}  (target < 50 ms)", "xorq catalog list-aliases", ms(list_aliases));
    println!("{:<48} {:>10}", "xorq catalog list-aliases --json", ms(list_aliases_json));
    println!("{:<48} {:>10}", "xorq catalog list", ms(list));
    println!("{:<48} {:>10}", "xorq --version (process start)", ms(version));
    println!("{:<48} {:>10}  (median of {adds})", "xorq catalog add <build> --alias (one commit)", ms(add));
    println!("{:<48} {:>10}  (once)", "xorq catalog check (loads every entry)", ms(check_time));
}
