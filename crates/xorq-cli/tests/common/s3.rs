//! The S3-compatible server of the storage tests (`.ci/storage.sh` starts moto and exports
//! `XORQ_TEST_S3_ENDPOINT`), a fresh bucket per test, and the `xorq` binary run against it with
//! a home directory of its own (so two runs are two machines' worth of local state).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::Run;

/// The secret the runs are given: it must never appear in anything they print or write.
pub const SECRET: &str = "test-secret-value-do-not-print";

/// The endpoint, or `None` (skip) outside CI when no server was started.
pub fn endpoint(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "{var} is not set under CI: .ci/run starts the S3 servers");
            eprintln!("skipping: {var} is not set (.ci/storage.sh starts a server and sets it)");
            None
        }
    }
}

/// A bucket of its own on the test server.
pub struct Bucket {
    pub endpoint: String,
    pub name: String,
    store: Arc<dyn ObjectStore>,
    rt: tokio::runtime::Runtime,
}

static BUCKETS: AtomicUsize = AtomicUsize::new(0);

impl Bucket {
    /// A new empty bucket, or `None` to skip (see [`endpoint`]).
    pub fn new(purpose: &str) -> Option<Bucket> {
        let endpoint = endpoint("XORQ_TEST_S3_ENDPOINT")?;
        let name = format!("{purpose}-{}-{}", std::process::id(), BUCKETS.fetch_add(1, Ordering::Relaxed));
        Bucket::open(endpoint, name)
    }

    /// The bucket `name` (created unless it exists), emptied of what earlier runs left.
    pub fn named(name: &str) -> Option<Bucket> {
        let endpoint = endpoint("XORQ_TEST_S3_ENDPOINT")?;
        let bucket = Bucket::open(endpoint, name.to_string())?;
        for key in bucket.keys("") {
            let path = ObjectPath::from(key.as_str());
            bucket.rt.block_on(bucket.store.delete(&path)).expect("delete");
        }
        Some(bucket)
    }

    fn open(endpoint: String, name: String) -> Option<Bucket> {
        create_bucket(&endpoint, &name);
        let store = AmazonS3Builder::new()
            .with_endpoint(&endpoint)
            .with_allow_http(true)
            .with_bucket_name(&name)
            .with_region("us-east-1")
            .with_access_key_id("test-key")
            .with_secret_access_key(SECRET)
            .build()
            .expect("an S3 client");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Some(Bucket { endpoint, name, store: Arc::new(store), rt })
    }

    /// `s3://<bucket>/<key>`.
    pub fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.name)
    }

    /// Writes (or overwrites) an object.
    pub fn put(&self, key: &str, bytes: Vec<u8>) {
        let path = ObjectPath::from(key);
        self.rt.block_on(self.store.put(&path, PutPayload::from(bytes))).expect("put");
    }

    /// Writes a local file as an object.
    pub fn put_file(&self, key: &str, file: &Path) {
        self.put(key, std::fs::read(file).expect("read the file to upload"));
    }

    /// Every key under `prefix`, sorted.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        use futures::TryStreamExt;
        let prefix = ObjectPath::from(prefix);
        let listed: Vec<object_store::ObjectMeta> =
            self.rt.block_on(self.store.list(Some(&prefix)).try_collect()).expect("list");
        let mut keys: Vec<String> = listed.into_iter().map(|m| m.location.to_string()).collect();
        keys.sort();
        keys
    }

    /// The object's bytes.
    pub fn get(&self, key: &str) -> Vec<u8> {
        let path = ObjectPath::from(key);
        self.rt.block_on(async { self.store.get(&path).await?.bytes().await }).expect("get").to_vec()
    }

    /// The environment a run needs to reach this server (a home of its own included).
    pub fn env(&self, home: &Path) -> Vec<(String, String)> {
        s3_env(&self.endpoint, home)
    }
}

/// The environment for `endpoint` with the test's key and [`SECRET`].
pub fn s3_env(endpoint: &str, home: &Path) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "test-key"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_REGION", "us-east-1"),
        ("HOME", home.to_str().expect("a UTF-8 temp dir")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// `PUT /<bucket>`: moto creates buckets for unsigned requests (object_store cannot create one).
fn create_bucket(endpoint: &str, name: &str) {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).expect("the S3 server answers");
    write!(stream, "PUT /{name} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    // 200, or 409 when it is ours already (a bucket of an earlier run of the same test).
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.contains("BucketAlreadyOwnedByYou"),
        "creating bucket {name}: {answer}"
    );
}

/// Runs `xorq args…` in `dir` with stdin closed and exactly `env` for the cloud settings (none
/// inherited from the test's own environment, and no cache directory unless given).
pub fn xorq(dir: &Path, args: &[&str], env: &[(String, String)]) -> Run {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_xorq"));
    cmd.args(args).current_dir(dir).env_remove("XORQ_CACHE_DIR");
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") || name.starts_with("AZURE") || name.starts_with("XORQ_STORAGE_") {
            cmd.env_remove(name);
        }
    }
    for (name, value) in env {
        cmd.env(name, value);
    }
    Run::from(cmd.output().expect("the binary runs"))
}

/// A fresh home directory under `root`.
pub fn home(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("home");
    dir
}

/// A fresh prefix in the container `xorq-test` of the Azure Storage emulator (Azurite, started by
/// `.ci/storage.sh`), or `None` (skip) outside CI without it.
pub struct AzurePrefix {
    pub url: String,
    pub prefix: String,
    store: Arc<dyn ObjectStore>,
    rt: tokio::runtime::Runtime,
}

impl AzurePrefix {
    pub fn new(purpose: &str) -> Option<AzurePrefix> {
        let url = endpoint("XORQ_TEST_AZURE_BLOB_URL")?;
        let prefix = format!("{purpose}-{}-{}", std::process::id(), BUCKETS.fetch_add(1, Ordering::Relaxed));
        // object_store's emulator mode reads AZURITE_BLOB_STORAGE_URL, which .ci/storage.sh exports.
        let store = object_store::azure::MicrosoftAzureBuilder::new()
            .with_use_emulator(true)
            .with_container_name("xorq-test")
            .build()
            .expect("an Azure client");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Some(AzurePrefix { url, prefix, store: Arc::new(store), rt })
    }

    /// `az://xorq-test/<prefix>/<key>`.
    pub fn az(&self, key: &str) -> String {
        format!("az://xorq-test/{}/{key}", self.prefix)
    }

    pub fn put_file(&self, key: &str, file: &Path) {
        let path = ObjectPath::from(format!("{}/{key}", self.prefix));
        let bytes = std::fs::read(file).expect("read");
        self.rt.block_on(self.store.put(&path, PutPayload::from(bytes))).expect("put");
    }

    /// The environment of a run against the emulator, with a home of its own.
    pub fn env(&self, home: &Path) -> Vec<(String, String)> {
        vec![
            ("AZURE_STORAGE_USE_EMULATOR".into(), "true".into()),
            ("AZURITE_BLOB_STORAGE_URL".into(), self.url.clone()),
            ("HOME".into(), home.to_str().expect("utf-8").into()),
        ]
    }
}
