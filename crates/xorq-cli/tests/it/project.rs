//! The project file `xorq.yaml`: SQL pipelines read `<profile>.<table>` of its profiles, declare
//! parameters, move CTEs between engines; relative paths resolve against the project root from
//! any directory; the project's builds directory, cache directory and catalog are the defaults.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{xorq_in, xorq_with_env};

/// A project in a fresh temp dir: `xorq.yaml` with `yaml`, and `data/shop.db` holding `orders`.
fn shop_project(yaml: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("shop");
    fs::create_dir_all(root.join("data")).expect("mkdir");
    fs::create_dir_all(root.join("pipelines")).expect("mkdir");
    fs::write(root.join("xorq.yaml"), yaml).expect("write xorq.yaml");
    let db = root.join("data/shop.db");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let con = xorq::sqlite::connect(&db, "setup").expect("create the database");
        con.execute(
            "CREATE TABLE orders (id INTEGER, region TEXT, amount REAL);
             INSERT INTO orders VALUES (1, 'EU', 5.0), (2, 'EU', 50.0), (3, 'US', 500.0), (4, 'US', 20.0), (5, 'APAC', 1.0);",
        )
        .await
        .expect("seed orders");
    });
    (tmp, root)
}

const SHOP: &str = "profiles:\n  shop: {kind: sqlite, path: data/shop.db}\nbuilds_dir: builds\n";

const REVENUE: &str = "-- xorq: param min_amount DOUBLE default 10\n\
SELECT region, sum(amount) AS total FROM shop.orders WHERE amount > $min_amount GROUP BY region ORDER BY region\n";

#[test]
fn a_sql_pipeline_reads_a_profile_of_its_project_and_runs_from_any_directory() {
    let (_tmp, root) = shop_project(SHOP);
    fs::write(root.join("pipelines/revenue.sql"), REVENUE).expect("write pipeline");

    // Built from a subdirectory: the project is found from the pipeline file, the build goes to
    // the project's builds directory, shown relative to where the command runs.
    let built = xorq_in(&root, &["build", "pipelines/revenue.sql"]);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let build = built.stdout.trim().to_string();
    assert!(build.starts_with("builds/"), "{build}");
    let profiles = fs::read_to_string(root.join(&build).join("profiles.yaml")).expect("profiles.yaml");
    assert!(profiles.contains("path: data/shop.db"), "the profile is recorded as written: {profiles}");

    // Run from another directory of the project: `data/shop.db` is the project's.
    let sub = root.join("pipelines");
    let target = root.join(&build).to_string_lossy().into_owned();
    let run = xorq_in(&sub, &["run", &target, "-o", "-", "-f", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "region,total\nEU,50.0\nUS,520.0\n");
    // The declared default binds when nothing is given; `-p` (and `--params`) override it.
    let run = xorq_in(&sub, &["run", &target, "-o", "-", "-f", "csv", "--params", "min_amount=100"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "region,total\nUS,500.0\n");

    // Outside the project the relative path has nothing to resolve against but the current
    // directory, and the error says which file it looked for.
    let outside = tempfile::tempdir().expect("tempdir");
    let copy = outside.path().join("b");
    copy_dir(&root.join(&build), &copy);
    let run = xorq_in(outside.path(), &["run", "b", "-o", "-", "-f", "csv"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("shop") && run.stderr.contains("data/shop.db"), "{}", run.stderr);
}

#[test]
fn a_profile_the_project_does_not_have_is_named_with_what_it_has() {
    let (_tmp, root) = shop_project(SHOP);
    fs::write(root.join("p.sql"), "SELECT * FROM shoop.orders").expect("write");
    let r = xorq_in(&root, &["build", "p.sql"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("defines no profile `shoop` (it has: shop); did you mean `shop`?")
            && r.stderr.contains("xorq.yaml"),
        "{}",
        r.stderr
    );

    let bare = tempfile::tempdir().expect("tempdir");
    fs::write(bare.path().join("p.sql"), "SELECT * FROM shop.orders").expect("write");
    let r = xorq_in(bare.path(), &["build", "p.sql"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("there is no xorq.yaml above the pipeline file"), "{}", r.stderr);
}

#[test]
fn a_malformed_project_file_is_a_usage_error_naming_it() {
    let (_tmp, root) = shop_project("profiles:\n  shop: {kind: sqlite, path: data/shop.db, password: hunter2}\n");
    fs::write(root.join("p.sql"), "SELECT * FROM shop.orders").expect("write");
    let r = xorq_in(&root, &["build", "p.sql"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("xorq.yaml") && r.stderr.contains("password"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2"), "a secret is never repeated: {}", r.stderr);

    fs::write(root.join("xorq.yaml"), "profiles:\n  shop: {kind: sqlite}\nbuild_dir: out\n").expect("write");
    let r = xorq_in(&root, &["build", "p.sql"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("xorq.yaml") && r.stderr.contains("build_dir"), "{}", r.stderr);
}

#[test]
fn the_projects_cache_directory_and_catalog_are_the_defaults() {
    let yaml = format!("{SHOP}cache_dir: .xorq-cache\ncatalog: {{path: catalog}}\n");
    let (_tmp, root) = shop_project(&yaml);
    fs::write(
        root.join("cached.sql"),
        "WITH\n-- xorq: cache snapshot\nt AS (SELECT region, amount FROM shop.orders)\nSELECT region, count(*) AS n FROM t GROUP BY region",
    )
    .expect("write");
    let build = xorq_in(&root, &["build", "cached.sql"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let build = build.stdout.trim().to_string();
    let run = xorq_in(&root, &["run", &build, "-o", "-", "-f", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(root.join(".xorq-cache").is_dir(), "the project's cache directory is used");
    // `$XORQ_CACHE_DIR` wins over the project file.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let run = xorq_with_env(&root, &["run", &build, "-o", "-", "-f", "csv"], &[("XORQ_CACHE_DIR", elsewhere.path())]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(fs::read_dir(elsewhere.path()).expect("read").next().is_some(), "the environment's cache is used");

    // The project's catalog, from any directory of the project.
    let init = xorq_in(&root, &["catalog", "init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    assert!(root.join("catalog/catalog.yaml").is_file(), "{}", init.stderr);
    let add = xorq_in(&root, &["catalog", "add", &build, "-a", "regions"]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    let run = xorq_in(&root.join("data"), &["run", "regions", "-o", "-", "-f", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("region,n\n"), "{}", run.stdout);
}

#[test]
fn init_writes_a_project_file_that_build_finds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = xorq_in(tmp.path(), &["init", "-p", "demo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let root = tmp.path().join("demo");
    assert!(root.join("xorq.yaml").is_file());
    let sub = root.join("more");
    fs::create_dir(&sub).expect("mkdir");
    fs::copy(root.join("pipeline.sql"), sub.join("pipeline.sql")).expect("copy");
    fs::write(
        sub.join("pipeline.sql"),
        fs::read_to_string(sub.join("pipeline.sql")).expect("read").replace("data/", "../data/"),
    )
    .expect("write");
    let r = xorq_in(&sub, &["build", "pipeline.sql"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let shown = r.stdout.trim();
    assert!(Path::new(shown).is_absolute() || shown.starts_with(".."), "outside the cwd: {shown}");
    assert!(root.join("builds").is_dir(), "the project's builds directory");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The README's blocks (`yaml`, then `sql`) of the paragraph that starts with `intro`.
#[cfg(all(feature = "duckdb", feature = "postgres"))]
fn readme_blocks(intro: &str) -> (String, String) {
    let readme = include_str!("../../../../README.md");
    let start = readme.find(intro).expect("the README's project section");
    let block = |lang: &str| {
        let fence = format!("```{lang}\n");
        let from = start + readme[start..].find(&fence).expect("a block") + fence.len();
        let to = from + readme[from..].find("```").expect("its end");
        readme[from..to].to_string()
    };
    (block("yaml"), block("sql"))
}

/// The seeds' example as the README writes it, a SQL file and a project file: the filter runs
/// in PostgreSQL, the marked CTE moves into DuckDB, the aggregate runs there.
#[cfg(all(feature = "duckdb", feature = "postgres"))]
#[test]
fn the_seeds_postgres_to_duckdb_example_is_a_sql_file_and_two_profiles() {
    let Ok(url) = std::env::var("XORQ_TEST_PG_URL") else {
        assert!(std::env::var_os("CI").is_none(), "XORQ_TEST_PG_URL is not set under CI: .ci/run starts PostgreSQL");
        eprintln!("skipping: XORQ_TEST_PG_URL is not set (.ci/run sets it)");
        return;
    };
    // postgresql://user:password@host:port/dbname
    let rest = url.split_once("://").expect("a URL").1;
    let (auth, location) = rest.split_once('@').expect("credentials");
    let (user, password) = auth.split_once(':').expect("a password");
    let (hostport, dbname) = location.split_once('/').expect("a database");
    let (host, port) = hostport.split_once(':').expect("a port");

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let pg = xorq::postgres::connect(&url, "setup").await.expect("the test server");
        pg.execute(
            "DROP TABLE IF EXISTS users;
             CREATE TABLE users (id bigint, region text, active boolean);
             INSERT INTO users SELECT g, (ARRAY['EU','US','APAC'])[1 + g % 3], g % 4 <> 0 FROM generate_series(1, 1000) g;",
        )
        .await
        .expect("seed the users table");
    });

    let (yaml, sql) = readme_blocks("The same pipeline without Rust");
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    fs::write(root.join("xorq.yaml"), yaml).expect("write xorq.yaml");
    fs::write(root.join("active_users.sql"), sql).expect("write pipeline");
    let env = [
        ("PGHOST", Path::new(host)),
        ("PGPORT", Path::new(port)),
        ("PGUSER", Path::new(user)),
        ("PGDATABASE", Path::new(dbname)),
        ("PGPASSWORD", Path::new(password)),
    ];
    let built = xorq_with_env(root, &["build", "active_users.sql"], &env);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let build = built.stdout.trim().to_string();
    let profiles = fs::read_to_string(root.join(&build).join("profiles.yaml")).expect("profiles.yaml");
    assert!(profiles.contains("${PGPASSWORD}") && !profiles.contains(password), "{profiles}");

    let explain = xorq_with_env(root, &["run", &build, "--explain"], &env);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert!(explain.stdout.contains("warehouse") && explain.stdout.contains("ducks"), "{}", explain.stdout);

    // 1000 users, every fourth inactive: per region, the ids with g % 3 = k and g % 4 != 0 above
    // the parameter.
    let expected = |min_id: i64| {
        let mut want = String::from("region,count\n");
        for (region, k) in [("APAC", 2), ("EU", 0), ("US", 1)] {
            let n = (1..=1000_i64).filter(|g| g % 3 == k && g % 4 != 0 && *g > min_id).count();
            want.push_str(&format!("{region},{n}\n"));
        }
        want
    };
    let run = xorq_with_env(root, &["run", &build, "-o", "-", "-f", "csv"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, expected(0));
    let run = xorq_with_env(root, &["run", &build, "-o", "-", "-f", "csv", "-p", "min_id=500"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, expected(500));
}

/// A project with a Parquet file read by reference and a cached pipeline over it, at `dir`.
fn sales_checkout(dir: &Path) {
    fs::create_dir_all(dir.join("data")).expect("mkdir");
    fs::create_dir_all(dir.join("pipelines")).expect("mkdir");
    fs::write(dir.join("xorq.yaml"), "builds_dir: builds\n").expect("write xorq.yaml");
    fs::write(dir.join("data/sales.parquet"), xorq_cli_sales()).expect("write data");
    fs::write(
        dir.join("pipelines/revenue.sql"),
        "-- xorq: cache\nSELECT region, sum(amount) AS total FROM read_parquet('../data/sales.parquet') GROUP BY region ORDER BY region\n",
    )
    .expect("write pipeline");
}

/// The same generated sales file `xorq init` writes.
fn xorq_cli_sales() -> Vec<u8> {
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = xorq_in(tmp.path(), &["init", "--rows", "200", "p"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    fs::read(tmp.path().join("p/data/sales.parquet")).expect("the sample data")
}

#[test]
fn two_checkouts_of_one_project_build_one_address_and_keep_their_own_cache_entries() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (a, b) = (tmp.path().join("alice/shop"), tmp.path().join("bob/work/shop"));
    sales_checkout(&a);
    sales_checkout(&b);
    let cache = tmp.path().join("cache");
    let env = [("XORQ_CACHE_DIR", cache.as_path())];
    let build = |root: &Path| {
        let r = xorq_with_env(root, &["build", "pipelines/revenue.sql", "--no-relocate-reads", "--json"], &env);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
        (v["address"].as_str().expect("address").to_string(), root.join(v["path"].as_str().expect("path")))
    };
    let (address_a, build_a) = build(&a);
    let (address_b, build_b) = build(&b);
    assert_eq!(address_a, address_b, "one pipeline, one address, wherever the checkout lives");
    let manifest = |dir: &Path| fs::read_to_string(dir.join("expr.yaml")).expect("expr.yaml");
    assert_eq!(manifest(&build_a), manifest(&build_b), "one address, one manifest");
    assert!(manifest(&build_a).contains("project: data/sales.parquet"), "{}", manifest(&build_a));
    assert!(!manifest(&build_a).contains(&a.to_string_lossy().into_owned()), "no absolute path in the manifest");
    let metadata = fs::read_to_string(build_a.join("metadata.json")).expect("metadata.json");
    assert!(metadata.contains("xorq-rs-blake3-v3"), "{metadata}");

    // Each checkout reads its own file, and the cache keeps one entry per checkout: the
    // freshness token holds the absolute path.
    let run = |root: &Path, build: &Path| {
        let r = xorq_with_env(root, &["run", &build.to_string_lossy(), "-o", "-", "-f", "csv", "-v"], &env);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r
    };
    let first = run(&a, &build_a);
    assert!(first.stderr.contains("miss"), "{}", first.stderr);
    assert!(run(&a, &build_a).stderr.contains("hit"), "the same checkout hits");
    let other = run(&b, &build_b);
    assert!(other.stderr.contains("miss"), "another checkout's file is another entry: {}", other.stderr);
    assert_eq!(first.stdout, other.stdout);

    // Bob's file changes: his next run misses and shows his data; Alice still gets hers (the
    // cache keeps one entry per address, so the checkouts take turns, never reading each
    // other's).
    let tmp2 = tempfile::tempdir().expect("tempdir");
    let r = xorq_in(tmp2.path(), &["init", "--rows", "50", "p"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    fs::copy(tmp2.path().join("p/data/sales.parquet"), b.join("data/sales.parquet")).expect("replace Bob's data");
    let changed = run(&b, &build_b);
    assert!(changed.stderr.contains("miss"), "{}", changed.stderr);
    assert_ne!(changed.stdout, first.stdout);
    assert_eq!(run(&a, &build_a).stdout, first.stdout, "Alice's result is from her file");

    // A copy of the build outside any project has nothing to read the path against.
    let outside = tempfile::tempdir().expect("tempdir");
    copy_dir(&build_a, &outside.path().join("b"));
    let r = xorq_in(outside.path(), &["run", "b", "-o", "-", "-f", "csv"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("data/sales.parquet") && r.stderr.contains("xorq.yaml"), "{}", r.stderr);
    // …but run from inside a checkout, it reads that checkout's file (Bob's, changed).
    let r = xorq_in(&b, &["run", &outside.path().join("b").to_string_lossy(), "-o", "-", "-f", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, changed.stdout);
}
