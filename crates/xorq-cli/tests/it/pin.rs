//! `xorq pin` and `xorq unpin` (and their `xorq catalog` twins) with the real binary: a pinned
//! build reads the rows its caches stored, bundled into it, and needs neither the cache nor the
//! sources any more; unpinning gives back the original build, address included.

use crate::common::sandbox::Sandbox;

/// The sales pipeline with its CTE cached.
const CACHED: &str = "WITH
-- xorq: cache
large_orders AS (
    SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 100
)
SELECT region, round(sum(amount), 2) AS total, count(*) AS orders
FROM large_orders GROUP BY region ORDER BY total DESC
";

fn csv(s: &Sandbox, build: &str) -> String {
    s.ok(&["run", build, "-o", "-", "-f", "csv"]).stdout
}

#[test]
fn a_pinned_build_reads_its_frozen_rows_without_cache_or_sources_and_unpins_to_the_original() {
    let s = Sandbox::new("sales", 2000);
    // Sources stay references, so the pinned build shows it never reads them.
    let original = s.build_sql("cached.sql", CACHED, &["--no-relocate-reads"]);

    // Nothing stored yet: refused, saying why and what to do.
    let builds = || std::fs::read_dir(s.project.join("builds")).expect("builds").count();
    let before = builds();
    let e = s.fails(2, &["pin", &original]);
    assert!(e.contains("not pinned: no entry yet") && e.contains("-e"), "{e}");
    assert_eq!(builds(), before, "a refused pin writes no build");

    let expected = csv(&s, &original);
    let run = s.ok(&["pin", &original, "--no-relocate-reads"]);
    assert!(run.stderr.contains("(Project, modification-time): pinned its stored"), "{}", run.stderr);
    let pinned = run.stdout.trim().to_string();
    assert_ne!(pinned, original, "a pinned build names other rows, so it has another address");
    assert_eq!(s.data_files(&pinned).len(), 1, "the frozen result is bundled: {:?}", s.data_files(&pinned));

    // It reads the frozen file: no cache, no sources needed.
    std::fs::remove_dir_all(&s.cache).expect("clear the cache");
    std::fs::remove_file(s.project.join("data/sales.parquet")).expect("remove the source");
    let verbose = s.ok(&["run", &pinned, "-o", "-", "-f", "csv", "-v"]);
    assert_eq!(verbose.stdout, expected);
    assert!(verbose.stderr.contains("pinned: reads the result frozen into the build"), "{}", verbose.stderr);
    let plan = s.ok(&["run", &pinned, "--explain"]).stdout;
    assert!(plan.contains("pinned") && !plan.contains("sales.parquet"), "{plan}");
    let e = s.fails(1, &["run", &original, "-o", "-", "-f", "csv"]);
    assert!(e.contains("sales.parquet"), "{e}");

    // Lineage still reaches the original source, through the pinned cache.
    let tree = s.ok(&["lineage", &pinned, "--column", "total"]).stdout;
    assert!(tree.contains("Cache:modification-time, pinned") && tree.contains("Read:sales.parquet"), "{tree}");

    // Unpinning gives back the original expression, so the original build.
    let run = s.ok(&["unpin", &pinned, "--no-relocate-reads"]);
    assert_eq!(run.stdout.trim(), original);
    assert!(run.stderr.contains("unpinned 1 cache"), "{}", run.stderr);
    let e = s.fails(2, &["unpin", &original]);
    assert!(e.contains("no pinned caches"), "{e}");

    // Pinning a pinned build: nothing new, said so.
    let e = s.fails(2, &["pin", &pinned]);
    assert!(e.contains("already pinned") && e.contains("xorq unpin"), "{e}");
}

#[test]
fn a_damaged_cache_entry_is_never_frozen_and_a_tampered_frozen_file_is_never_served() {
    let s = Sandbox::new("sales", 500);
    let original = s.build_sql("cached.sql", CACHED, &[]);
    csv(&s, &original);
    let data = entry_data_files(&s.cache);
    assert_eq!(data.len(), 1, "{data:?}");
    let mut bytes = std::fs::read(&data[0]).expect("read entry");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&data[0], &bytes).expect("damage entry");
    let e = s.fails(2, &["pin", &original]);
    assert!(e.contains("not pinned"), "{e}");

    // With `-e` the damaged entry is computed again, then pinned.
    let pinned = s.ok(&["pin", &original, "-e"]).stdout.trim().to_string();
    let expected = csv(&s, &original);
    assert_eq!(csv(&s, &pinned), expected);

    // Edit the frozen file inside the pinned build: refused, not served.
    let frozen: Vec<_> = s.data_files(&pinned).into_iter().filter(|f| !f.ends_with("sales.parquet")).collect();
    for file in &frozen {
        let mut bytes = std::fs::read(file).expect("read");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(file, &bytes).expect("tamper");
    }
    let r = s.xorq(&["run", &pinned, "-o", "-", "-f", "csv"]);
    assert_ne!(r.code, 0, "a tampered frozen file was served:\n{}", r.stdout);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn catalog_pin_and_unpin_move_aliases_and_compose_entries() {
    let s = Sandbox::new("sales", 300);
    let original = s.build_sql("cached.sql", CACHED, &[]);
    let catalog = s.catalog("team");
    let cat = |args: &[&str]| {
        let mut all = vec!["catalog", "--path", &catalog];
        all.extend_from_slice(args);
        s.ok(&all)
    };
    cat(&["add", &original, "--alias", "prod"]);
    let original_address = address_of(&cat(&["show", "prod", "--json"]).stdout);

    let pinned = cat(&["pin", "prod", "-e", "--move-aliases", "--alias", "frozen", "--json"]).stdout;
    let pinned: serde_json::Value = serde_json::from_str(&pinned).expect("json");
    let pinned_address = pinned["address"].as_str().expect("address").to_string();
    assert_ne!(pinned_address, original_address);
    assert_eq!(address_of(&cat(&["show", "prod", "--json"]).stdout), pinned_address, "prod moved to the pinned entry");
    assert_eq!(address_of(&cat(&["show", "frozen", "--json"]).stdout), pinned_address);
    assert_eq!(address_of(&cat(&["show", "prod@r1", "--json"]).stdout), original_address);

    let rows = cat(&["run", "prod", "-o", "-", "-f", "csv"]).stdout;
    assert_eq!(rows, csv(&s, &original));

    // Unpinning moves prod back to the original entry (a new revision).
    cat(&["unpin", "prod", "--move-aliases"]);
    assert_eq!(address_of(&cat(&["show", "prod", "--json"]).stdout), original_address);

    // Union and join of entries, registered under an alias; clashing columns renamed as asked.
    cat(&["union", "prod", "frozen", "-a", "both"]);
    let both = cat(&["run", "both", "-o", "-", "-f", "csv"]).stdout;
    assert_eq!(both.lines().count() - 1, 2 * (rows.lines().count() - 1), "{both}");
    cat(&["join", "prod", "frozen", "--on", "region", "--lname", "l_{name}", "--rname", "r_{name}", "-a", "j"]);
    let joined = cat(&["run", "j", "-o", "-", "-f", "csv"]).stdout;
    assert!(joined.starts_with("region,l_total,l_orders,r_total,r_orders\n"), "{joined}");
}

fn address_of(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).expect("json");
    v["address"].as_str().or_else(|| v["metadata"]["address"].as_str()).expect("address").to_string()
}

/// The data files of every entry in a cache directory.
fn entry_data_files(cache: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![cache.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "data.parquet") {
                out.push(path);
            }
        }
    }
    out
}
