//! Object storage with the real `xorq` binary against a real S3-compatible server (moto, started
//! by `.ci/storage.sh`) and a real HTTP server with range requests: reads of Parquet, CSV and
//! JSON objects, prefixes and globs, freshness after an overwrite, the cache shared through a
//! bucket by two "machines" (separate homes), eight concurrent writers of one entry, a damaged
//! entry in the bucket, and every fault (credentials, missing bucket or key, dead, slow and
//! truncating endpoints), each with exit code 1, the URL named and no secret printed.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::http::FileServer;
use crate::common::s3::{self, Bucket, SECRET, home, xorq};
use crate::common::{Run, project};

/// The same question asked of each source: the result is compared between sources.
fn question(read: &str) -> String {
    format!(
        "SELECT region, count(*) AS orders, round(sum(amount), 2) AS total FROM {read} GROUP BY region ORDER BY region\n"
    )
}

struct Setup {
    tmp: tempfile::TempDir,
    dir: PathBuf,
    bucket: Bucket,
}

impl Setup {
    /// A scaffolded project and an empty bucket holding its sales data as `sales.parquet`.
    fn new(purpose: &str) -> Option<Setup> {
        let bucket = Bucket::new(purpose)?;
        let (tmp, dir) = project("sales");
        bucket.put_file("sales.parquet", &dir.join("data/sales.parquet"));
        Some(Setup { tmp, dir, bucket })
    }

    fn home(&self, name: &str) -> PathBuf {
        home(self.tmp.path(), name)
    }

    fn env(&self, home: &str) -> Vec<(String, String)> {
        self.bucket.env(&self.home(home))
    }

    /// Builds `sql` (written to `name`) and runs it with `extra` arguments; the run.
    fn build_and_run(&self, name: &str, sql: &str, env: &[(String, String)], extra: &[&str]) -> (String, Run) {
        std::fs::write(self.dir.join(name), sql).expect("write the pipeline");
        let built = xorq(&self.dir, &["build", name], env);
        assert_eq!(built.code, 0, "build {name}: {}", built.stderr);
        let build = built.stdout.trim().to_string();
        let mut args = vec!["run", build.as_str(), "-f", "csv"];
        args.extend_from_slice(extra);
        let run = xorq(&self.dir, &args, env);
        (build, run)
    }

    /// The local answer to [`question`] over the project's own file.
    fn local_answer(&self) -> String {
        let (_, run) =
            self.build_and_run("local.sql", &question("read_parquet('data/sales.parquet')"), &self.env("local"), &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    }

    /// The project's sales rows in `format` (`csv`, `json`, `parquet`), through the binary.
    fn export(&self, format: &str, filter: &str) -> Vec<u8> {
        let sql = format!("SELECT * FROM read_parquet('data/sales.parquet') {filter}\n");
        std::fs::write(self.dir.join("export.sql"), sql).expect("write");
        let env = self.env("local");
        let built = xorq(&self.dir, &["build", "export.sql"], &env);
        assert_eq!(built.code, 0, "{}", built.stderr);
        let run = xorq(&self.dir, &["run", built.stdout.trim(), "-f", format], &env);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.bytes
    }
}

/// Nothing a run printed or wrote under `dir` holds the secret key.
fn assert_no_secret(run: &Run, dir: &Path) {
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET), "the secret was printed");
    for entry in walk(dir) {
        if let Ok(text) = std::fs::read(&entry) {
            assert!(!String::from_utf8_lossy(&text).contains(SECRET), "the secret is in {}", entry.display());
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() { pending.push(path) } else { out.push(path) }
        }
    }
    out
}

#[test]
fn objects_read_in_every_format_as_prefixes_and_globs_equal_the_local_file() {
    let Some(s) = Setup::new("reads") else { return };
    let local = s.local_answer();
    s.bucket.put("sales.csv", s.export("csv", ""));
    s.bucket.put("sales.json", s.export("json", ""));
    s.bucket.put("parts/a.parquet", s.export("parquet", "WHERE order_id % 2 = 0"));
    s.bucket.put("parts/b.parquet", s.export("parquet", "WHERE order_id % 2 = 1"));
    s.bucket.put("parts/notes.txt", b"not data".to_vec());
    let env = s.env("alice");
    for (name, read) in [
        ("parquet.sql", format!("read_parquet('{}')", s.bucket.url("sales.parquet"))),
        ("csv.sql", format!("read_csv('{}')", s.bucket.url("sales.csv"))),
        ("json.sql", format!("read_json('{}')", s.bucket.url("sales.json"))),
        ("prefix.sql", format!("read_parquet('{}')", s.bucket.url("parts/"))),
        ("glob.sql", format!("read_parquet('{}')", s.bucket.url("parts/*.parquet"))),
    ] {
        let (build, run) = s.build_and_run(name, &question(&read), &env, &[]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_eq!(run.stdout, local, "{name} answers like the local file");
        // A remote read stays a reference (location-independent): nothing bundled, the URL as
        // written in the manifest, no secret anywhere.
        let build = s.dir.join(&build);
        assert!(!build.join("data").exists(), "{name}: nothing is bundled");
        let manifest = std::fs::read_to_string(build.join("expr.yaml")).expect("manifest");
        assert!(manifest.contains(&format!("s3://{}/", s.bucket.name)), "{name}: {manifest}");
        assert_no_secret(&run, &build);
    }
}

#[test]
fn a_modification_time_cache_sees_an_overwritten_object() {
    let Some(s) = Setup::new("fresh") else { return };
    let sql = format!(
        "WITH\n-- xorq: cache modification-time\nt AS (SELECT * FROM read_parquet('{}'))\n{}",
        s.bucket.url("sales.parquet"),
        question("t")
    );
    let cache = s.tmp.path().join("cache");
    let mut env = s.env("alice");
    env.push(("XORQ_CACHE_DIR".into(), cache.to_str().expect("utf-8").into()));
    let (build, first) = s.build_and_run("fresh.sql", &sql, &env, &["-v"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("stored"), "{}", first.stderr);
    let second = xorq(&s.dir, &["run", &build, "-f", "csv", "-v"], &env);
    assert!(second.stderr.contains(": hit"), "{}", second.stderr);
    assert_eq!(second.stdout, first.stdout);

    s.bucket.put("sales.parquet", s.export("parquet", "WHERE region = 'EU'"));
    let third = xorq(&s.dir, &["run", &build, "-f", "csv", "-v"], &env);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert!(third.stderr.contains("miss: sales.parquet was written again (its ETag changed)"), "{}", third.stderr);
    assert_eq!(third.stdout.lines().count(), 2, "only EU is left: {}", third.stdout);
    assert!(third.stdout.contains("\nEU,"), "{}", third.stdout);
}

#[test]
fn a_cache_in_a_bucket_is_shared_by_two_machines() {
    let Some(s) = Setup::new("shared") else { return };
    let team = s.bucket.url("team-cache");
    let sql =
        format!("-- xorq: cache snapshot\n{}", question(&format!("read_parquet('{}')", s.bucket.url("sales.parquet"))));
    // Alice computes and publishes.
    let alice = s.env("alice");
    let (build, first) = s.build_and_run("shared.sql", &sql, &alice, &["-v", "--cache-dir", &team]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("stored"), "{}", first.stderr);
    assert_eq!(first.stdout, s.local_answer());
    let keys = s.bucket.keys("team-cache");
    assert_eq!(keys.len(), 2, "one sidecar and one data object: {keys:?}");
    assert!(keys.iter().any(|k| k.ends_with("/entry.json")), "{keys:?}");

    // Bob, with a home of his own and the bucket in $XORQ_CACHE_DIR, gets her result.
    let mut bob = s.env("bob");
    bob.push(("XORQ_CACHE_DIR".into(), team.clone()));
    let second = xorq(&s.dir, &["run", &build, "-f", "csv", "-v"], &bob);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stderr.contains(": hit"), "bob hits alice's entry: {}", second.stderr);
    assert_eq!(second.stdout, first.stdout);

    // `xorq cache` works on the bucket.
    let list = xorq(&s.dir, &["cache", "list", "--cache-dir", &team], &bob);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("1 entry") && list.stdout.contains(&team), "{}", list.stdout);
    let short = list.stdout.lines().nth(1).and_then(|l| l.split_whitespace().next()).expect("an address").to_string();
    let show = xorq(&s.dir, &["cache", "show", &short, "--cache-dir", &team], &bob);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(show.stdout.contains("check      ok"), "{}", show.stdout);
    let prune = xorq(&s.dir, &["cache", "prune", "--max-size", "1B", "--cache-dir", &team], &bob);
    assert_eq!(prune.code, 0, "{}", prune.stderr);
    assert_eq!(s.bucket.keys("team-cache"), Vec::<String>::new(), "pruned from the bucket");
    assert_no_secret(&second, &s.home("bob"));
}

#[test]
fn eight_writers_of_one_entry_leave_one_valid_entry() {
    let Some(s) = Setup::new("racing") else { return };
    let team = s.bucket.url("team-cache");
    let sql =
        format!("-- xorq: cache snapshot\n{}", question(&format!("read_parquet('{}')", s.bucket.url("sales.parquet"))));
    std::fs::write(s.dir.join("race.sql"), &sql).expect("write");
    let env = s.env("builder");
    let built = xorq(&s.dir, &["build", "race.sql"], &env);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let build = built.stdout.trim().to_string();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_xorq"));
            cmd.args(["run", &build, "-f", "csv", "--cache-dir", &team])
                .current_dir(&s.dir)
                .env_remove("XORQ_CACHE_DIR");
            for (k, v) in s.env(&format!("writer{i}")) {
                cmd.env(k, v);
            }
            cmd.stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().expect("spawn")
        })
        .collect();
    let local = s.local_answer();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), local);
    }
    let keys = s.bucket.keys("team-cache");
    assert_eq!(keys.len(), 2, "one sidecar and the one data object it names: {keys:?}");
    let ninth = xorq(&s.dir, &["run", &build, "-f", "csv", "-v", "--cache-dir", &team], &s.env("ninth"));
    assert!(ninth.stderr.contains(": hit"), "{}", ninth.stderr);
    assert_eq!(ninth.stdout, local);
}

#[test]
fn a_damaged_entry_in_the_bucket_is_never_served() {
    let Some(s) = Setup::new("damaged") else { return };
    let team = s.bucket.url("team-cache");
    let sql =
        format!("-- xorq: cache snapshot\n{}", question(&format!("read_parquet('{}')", s.bucket.url("sales.parquet"))));
    let (build, first) = s.build_and_run("damaged.sql", &sql, &s.env("alice"), &["--cache-dir", &team]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    // One flipped byte in the data object, read by a machine with no local copy.
    let data = s.bucket.keys("team-cache").into_iter().find(|k| k.ends_with(".parquet")).expect("data object");
    let mut bytes = s.bucket.get(&data);
    bytes[100] ^= 0x40;
    s.bucket.put(&data, bytes);
    let bob = xorq(&s.dir, &["run", &build, "-f", "csv", "-v", "--cache-dir", &team], &s.env("bob"));
    assert_eq!(bob.code, 0, "{}", bob.stderr);
    assert!(bob.stderr.contains("was damaged") && bob.stderr.contains("BLAKE3"), "{}", bob.stderr);
    assert_eq!(bob.stdout, first.stdout, "computed again, not served");
    let again = xorq(&s.dir, &["run", &build, "-f", "csv", "-v", "--cache-dir", &team], &s.env("carol"));
    assert!(again.stderr.contains(": hit"), "the recomputed entry is published: {}", again.stderr);
}

/// Builds a read of `url` with `env`: it must fail with exit 1, naming the URL (without a
/// query string), saying `expected`, printing no secret and writing no build.
fn assert_fault(s: &Setup, url: &str, env: &[(String, String)], expected: &str) -> Duration {
    let name = "fault.sql";
    std::fs::write(s.dir.join(name), question(&format!("read_parquet('{url}')"))).expect("write");
    let builds = s.dir.join("builds");
    let before = walk(&builds).len();
    let started = Instant::now();
    let run = xorq(&s.dir, &["build", name], env);
    let took = started.elapsed();
    assert_eq!(run.code, 1, "{url}: {}", run.stderr);
    let shown = url.split('?').next().unwrap_or(url);
    assert!(run.stderr.contains(&format!("`{shown}`")), "names the URL: {}", run.stderr);
    assert!(run.stderr.contains(expected), "{url}: expected `{expected}` in: {}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(walk(&builds).len(), before, "nothing written");
    assert_no_secret(&run, &s.dir);
    took
}

#[test]
fn storage_faults_are_clear_errors_that_never_hang() {
    let Some(s) = Setup::new("faults") else { return };
    let env = s.env("alice");
    assert_fault(&s, &s.bucket.url("missing.parquet"), &env, "no object has this key");
    assert_fault(
        &s,
        &format!("s3://no-such-bucket-{}/sales.parquet", std::process::id()),
        &env,
        "the bucket does not exist",
    );
    s.bucket.put("dir/part.parquet", s.export("parquet", ""));
    assert_fault(&s, &s.bucket.url("dir"), &env, "end the URL with `/`");

    // Refused credentials: a server that checks signatures and knows no key.
    if let Some(auth) = s3::endpoint("XORQ_TEST_S3_AUTH_ENDPOINT") {
        let refused = s3::s3_env(&auth, &s.home("alice"));
        assert_fault(&s, "s3://any-bucket/sales.parquet", &refused, "access was refused (403 Forbidden)");
    }
    // No credentials at all.
    let none: Vec<(String, String)> =
        env.iter().filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET")).cloned().collect();
    assert_fault(&s, &s.bucket.url("sales.parquet"), &none, "no credentials were found");

    // A dead endpoint: refused connections, retried with backoff, then an error.
    let mut dead = s3::s3_env("http://127.0.0.1:9", &s.home("alice"));
    dead.push(("XORQ_STORAGE_RETRIES".into(), "2".into()));
    assert_fault(&s, &s.bucket.url("sales.parquet"), &dead, "cannot connect to http://127.0.0.1:9 (after 2 retries)");

    // A silent endpoint: it accepts and never answers; the timeout ends it.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let mut slow = s3::s3_env(&format!("http://127.0.0.1:{port}"), &s.home("alice"));
    slow.push(("XORQ_STORAGE_TIMEOUT".into(), "1".into()));
    slow.push(("XORQ_STORAGE_RETRIES".into(), "1".into()));
    let took = assert_fault(&s, &s.bucket.url("sales.parquet"), &slow, "did not answer in time (after 1 retries)");
    assert!(took < Duration::from_secs(30), "bounded by the timeout and retries: {took:?}");
    drop(silent);

    // A malformed setting is named.
    let mut bad = env.clone();
    bad.push(("XORQ_STORAGE_TIMEOUT".into(), "soon".into()));
    std::fs::write(s.dir.join("bad.sql"), question(&format!("read_parquet('{}')", s.bucket.url("sales.parquet"))))
        .expect("write");
    // (A source's problem in a SQL file is reported at its position, as a SQL error: exit 1.)
    let run = xorq(&s.dir, &["build", "bad.sql"], &bad);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("`XORQ_STORAGE_TIMEOUT`: `soon` is not a positive number of seconds"),
        "{}",
        run.stderr
    );

    // Credentials in a URL are refused before any request, and never echoed.
    std::fs::write(s.dir.join("creds.sql"), question(&format!("read_parquet('s3://AKIAX:{SECRET}@bucket/a.parquet')")))
        .expect("write");
    let run = xorq(&s.dir, &["build", "creds.sql"], &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("holds a user name or password"), "{}", run.stderr);
    assert!(!run.stderr.contains(SECRET), "{}", run.stderr);
}

#[test]
fn an_http_server_with_ranges_serves_every_format_and_its_faults_are_named() {
    let Some(s) = Setup::new("http") else { return };
    let root = s.tmp.path().join("www");
    std::fs::create_dir_all(root.join("data")).expect("mkdir");
    std::fs::copy(s.dir.join("data/sales.parquet"), root.join("data/sales.parquet")).expect("copy");
    std::fs::write(root.join("data/sales.csv"), s.export("csv", "")).expect("csv");
    std::fs::write(root.join("data/sales.json"), s.export("json", "")).expect("json");
    let server = FileServer::start(&root);
    let local = s.local_answer();
    let env = s.env("alice");
    for (name, read) in [
        ("h_parquet.sql", format!("read_parquet('{}/data/sales.parquet')", server.url)),
        ("h_csv.sql", format!("read_csv('{}/data/sales.csv')", server.url)),
        ("h_json.sql", format!("read_json('{}/data/sales.json?raw=true')", server.url)),
    ] {
        let (_, run) = s.build_and_run(name, &question(&read), &env, &[]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_eq!(run.stdout, local, "{name}");
    }
    let mut quick = env.clone();
    quick.push(("XORQ_STORAGE_RETRIES".into(), "1".into()));
    assert_fault(&s, &format!("{}/forbidden/data/sales.parquet", server.url), &quick, "access was refused");
    assert_fault(&s, &format!("{}/truncate/data/sales.parquet", server.url), &quick, "broke off");
    assert_fault(&s, &format!("{}/data/none.parquet?sv=1", server.url), &quick, "no object has this key");
}

#[test]
fn bundle_remote_snapshots_objects_into_the_build() {
    let Some(s) = Setup::new("bundle") else { return };
    let env = s.env("alice");
    let sql = question(&format!("read_parquet('{}')", s.bucket.url("sales.parquet")));
    std::fs::write(s.dir.join("remote.sql"), &sql).expect("write");
    let reference = xorq(&s.dir, &["build", "remote.sql"], &env);
    let snapshot = xorq(&s.dir, &["build", "remote.sql", "--bundle-remote"], &env);
    assert_eq!(snapshot.code, 0, "{}", snapshot.stderr);
    let (reference, snapshot) = (reference.stdout.trim().to_string(), snapshot.stdout.trim().to_string());
    assert_ne!(reference, snapshot, "a snapshot is named by its bytes, a reference by its URL");
    // The same bytes bundled from a local file give the same address.
    std::fs::write(s.dir.join("local.sql"), question("read_parquet('data/sales.parquet')")).expect("write");
    let local = xorq(&s.dir, &["build", "local.sql"], &env);
    assert_eq!(local.stdout.trim(), snapshot);
    let data: Vec<_> = std::fs::read_dir(s.dir.join(&snapshot).join("data")).expect("bundled").collect();
    assert_eq!(data.len(), 1);
    // The snapshot runs with the endpoint gone.
    let offline = s3::s3_env("http://127.0.0.1:9", &s.home("offline"));
    let run = xorq(&s.dir, &["run", &snapshot, "-f", "csv"], &offline);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, s.local_answer());
    // A prefix is many objects: refused, with advice.
    std::fs::write(s.dir.join("prefix.sql"), question(&format!("read_parquet('{}')", s.bucket.url(""))))
        .expect("write");
    let refused = xorq(&s.dir, &["build", "prefix.sql", "--bundle-remote"], &env);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("this names many objects"), "{}", refused.stderr);
}

#[test]
fn check_sources_probes_remote_schemas() {
    let Some(s) = Setup::new("drift") else { return };
    let env = s.env("alice");
    let catalog = s.tmp.path().join("catalog");
    let catalog = catalog.to_str().expect("utf-8");
    assert_eq!(xorq(&s.dir, &["catalog", "--path", catalog, "init"], &env).code, 0);
    std::fs::write(s.dir.join("remote.sql"), question(&format!("read_parquet('{}')", s.bucket.url("sales.parquet"))))
        .expect("write");
    let build = xorq(&s.dir, &["build", "remote.sql"], &env).stdout.trim().to_string();
    let added = xorq(&s.dir, &["catalog", "--path", catalog, "add", &build, "--alias", "sales"], &env);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let fine = xorq(&s.dir, &["catalog", "--path", catalog, "check-sources", "sales"], &env);
    assert_eq!(fine.code, 0, "{}", fine.stderr);
    assert!(fine.stdout.contains("unchanged"), "{}", fine.stdout);
    // The object is rewritten without its `amount` column.
    let narrow = {
        std::fs::write(s.dir.join("narrow.sql"), "SELECT order_id, region FROM read_parquet('data/sales.parquet')\n")
            .expect("write");
        let built = xorq(&s.dir, &["build", "narrow.sql"], &env);
        xorq(&s.dir, &["run", built.stdout.trim(), "-f", "parquet"], &env).bytes
    };
    s.bucket.put("sales.parquet", narrow);
    let changed = xorq(&s.dir, &["catalog", "--path", catalog, "check-sources", "sales"], &env);
    assert_eq!(changed.code, 3, "a changed source exits 3: {}{}", changed.stdout, changed.stderr);
    assert!(changed.stdout.contains("amount"), "{}", changed.stdout);
    // An unreachable endpoint is an unreadable source (exit 2), named.
    let dead = s3::s3_env("http://127.0.0.1:9", &s.home("dead"));
    let r = xorq(&s.dir, &["catalog", "--path", catalog, "check-sources", "sales"], &dead);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("UNREADABLE"), "{}", r.stdout);
}

#[test]
fn azure_blob_storage_reads_and_holds_a_shared_cache() {
    let Some(az) = s3::AzurePrefix::new("azure") else { return };
    let (tmp, dir) = project("sales");
    az.put_file("sales.parquet", &dir.join("data/sales.parquet"));
    let sql = format!("-- xorq: cache snapshot\n{}", question(&format!("read_parquet('{}')", az.az("sales.parquet"))));
    std::fs::write(dir.join("az.sql"), sql).expect("write");
    let alice = az.env(&home(tmp.path(), "alice"));
    let built = xorq(&dir, &["build", "az.sql"], &alice);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let build = built.stdout.trim().to_string();
    let team = az.az("team-cache");
    let first = xorq(&dir, &["run", &build, "-f", "csv", "-v", "--cache-dir", &team], &alice);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("stored"), "{}", first.stderr);
    let bob = xorq(&dir, &["run", &build, "-f", "csv", "-v", "--cache-dir", &team], &az.env(&home(tmp.path(), "bob")));
    assert!(bob.stderr.contains(": hit"), "{}", bob.stderr);
    assert_eq!(bob.stdout, first.stdout);
    std::fs::write(dir.join("local.sql"), question("read_parquet('data/sales.parquet')")).expect("write");
    let local = xorq(&dir, &["build", "local.sql"], &alice);
    let local = xorq(&dir, &["run", local.stdout.trim(), "-f", "csv"], &alice);
    assert_eq!(first.stdout, local.stdout);
    // A missing blob is named.
    std::fs::write(dir.join("none.sql"), question(&format!("read_parquet('{}')", az.az("none.parquet"))))
        .expect("write");
    let missing = xorq(&dir, &["build", "none.sql"], &alice);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(missing.stderr.contains("no object has this key"), "{}", missing.stderr);
}

/// Google Cloud Storage: no emulator that object_store can use installs from the registries here
/// (fake-gcs-server is a Go binary; PyPI's gcp-storage-emulator 2024.8.3 answers object_store's
/// `HEAD` of an object and its XML listing with 501 Not Implemented: tried), so GCS is checked
/// as far as it goes without a server: URLs, the store configured from the environment (a
/// service-account file with an endpoint), and a clear error when nothing answers.
#[test]
fn gcs_urls_are_understood_and_an_unreachable_service_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let account = tmp.path().join("account.json");
    std::fs::write(&account, r#"{"gcs_base_url": "http://127.0.0.1:9", "disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}"#)
        .expect("write");
    let (_t, dir) = project("sales");
    std::fs::write(dir.join("gs.sql"), question("read_parquet('gs://my-bucket/sales.parquet')")).expect("write");
    let env = vec![
        ("GOOGLE_SERVICE_ACCOUNT".to_string(), account.to_str().expect("utf-8").to_string()),
        ("XORQ_STORAGE_RETRIES".to_string(), "1".to_string()),
        ("HOME".to_string(), tmp.path().to_str().expect("utf-8").to_string()),
    ];
    let run = xorq(&dir, &["build", "gs.sql"], &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("cannot read `gs://my-bucket/sales.parquet`"), "{}", run.stderr);
    assert!(run.stderr.contains("cannot connect to http://127.0.0.1:9"), "{}", run.stderr);
}

#[test]
fn a_storage_profile_in_the_project_file_configures_its_bucket() {
    let Some(s) = Setup::new("profile") else { return };
    let project = std::fs::read_to_string(s.dir.join("xorq.yaml")).expect("xorq.yaml");
    let lake = format!(
        "profiles:\n  lake:\n    kind: s3\n    bucket: {}\n    endpoint: {}\n    region: us-east-1\n    allow_http: true\n    access_key_id: test-key\n    secret_access_key: ${{LAKE_SECRET}}\n",
        s.bucket.name, s.bucket.endpoint
    );
    std::fs::write(s.dir.join("xorq.yaml"), project.replace("profiles: {}\n", &lake)).expect("write");
    // No AWS_* at all: the profile says where and who, the secret comes from its variable.
    let home = s.home("alice");
    let env = vec![
        ("LAKE_SECRET".to_string(), SECRET.to_string()),
        ("HOME".to_string(), home.to_str().expect("utf-8").to_string()),
    ];
    let (build, run) = s.build_and_run(
        "lake.sql",
        &question(&format!("read_parquet('{}')", s.bucket.url("sales.parquet"))),
        &env,
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, s.local_answer());
    assert_no_secret(&run, &s.dir.join(&build));
    // A literal secret is refused, naming the profile and what to write instead.
    std::fs::write(
        s.dir.join("xorq.yaml"),
        project.replace("profiles: {}\n", &lake.replace("${LAKE_SECRET}", "hunter2hunter2")),
    )
    .expect("write");
    let refused = xorq(&s.dir, &["build", "lake.sql"], &env);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("secret_access_key") && refused.stderr.contains("${"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("hunter2hunter2"), "{}", refused.stderr);
    // A setting the store does not have is named.
    std::fs::write(s.dir.join("xorq.yaml"), project.replace("profiles: {}\n", &lake.replace("region:", "regoin:")))
        .expect("write");
    let wrong = xorq(&s.dir, &["build", "lake.sql"], &env);
    assert_ne!(wrong.code, 0, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("`regoin` is not a setting of S3"), "{}", wrong.stderr);
}
