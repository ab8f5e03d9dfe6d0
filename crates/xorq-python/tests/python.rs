//! The Python package as users get it: a wheel built by maturin, then
//!
//! * the pytest suite (`tests/python`) run against that wheel's contents, and
//! * a fresh venv that `pip install`s the wheel (pulling only pyarrow) and uses the `xorq`
//!   command and the seeds' example from it.
//!
//! `cargo test` does not build a cdylib-only crate for its integration tests, so this test
//! builds the wheel itself: `maturin build --profile <this build's profile>` into the target
//! directory this test binary lives in, with this build's features. `.cargo/config.toml` pins
//! pyo3's build configuration so that build shares every compiled dependency (DataFusion, DuckDB)
//! with the test build: only the extension crates link again.
//!
//! The interpreter is `$XORQ_TEST_PYTHON` (`.ci/run` makes a venv with pyarrow, pytest and
//! maturin), else `python3`; outside CI a Python without them skips, in CI it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn python() -> Option<String> {
    let python = std::env::var("XORQ_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ready = Command::new(&python)
        .args(["-c", "import pyarrow, pytest, maturin"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready {
        return Some(python);
    }
    assert!(std::env::var_os("CI").is_none(), "CI must provide pyarrow, pytest and maturin in `{python}`; see .ci/run");
    eprintln!("skipping: `{python}` lacks pyarrow, pytest or maturin (pip install pyarrow pytest maturin)");
    None
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn show(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Builds the wheel once per test binary and returns its path.
fn wheel(python: &str) -> &'static Path {
    static WHEEL: OnceLock<PathBuf> = OnceLock::new();
    WHEEL.get_or_init(|| {
        // target/<profile dir>/deps/<this test>
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
        let target = profile_dir.parent().expect("the target directory");
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev",
            Some(other) => other,
            None => panic!("unexpected target layout {}", exe.display()),
        };
        let out_dir = target.join("wheels").join(profile);
        let _ = std::fs::remove_dir_all(&out_dir);
        let mut build = Command::new(python);
        build
            .args(["-m", "maturin", "build", "--quiet", "--profile", profile, "--interpreter", python])
            .arg("--manifest-path")
            .arg(manifest_dir().join("Cargo.toml"))
            .arg("--out")
            .arg(&out_dir)
            .env("CARGO_TARGET_DIR", target);
        if cfg!(feature = "duckdb") {
            build.args(["--features", "duckdb"]);
        }
        // The variables cargo sets for this test process describe this crate's test target,
        // not the build maturin starts.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_PRIMARY_", "CARGO_TARGET_TMPDIR"]
                .iter()
                .any(|prefix| key.starts_with(prefix))
            {
                build.env_remove(key.as_ref());
            }
        }
        let out = build.output().expect("run maturin");
        assert!(out.status.success(), "maturin build failed:\n{}", show(&out));
        let wheel = std::fs::read_dir(&out_dir)
            .expect("maturin's output directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|e| e == "whl"))
            .unwrap_or_else(|| panic!("maturin wrote no wheel into {}", out_dir.display()));
        wheel
    })
}

#[test]
fn the_python_suite_passes_against_the_wheel() {
    let Some(python) = python() else { return };
    let wheel = wheel(&python);
    let site = tempfile::tempdir().expect("scratch dir");
    // A wheel is a zip laid out as site-packages: unpacked, it is importable as installed.
    let out = Command::new(&python)
        .args(["-m", "zipfile", "-e"])
        .arg(wheel)
        .arg(site.path())
        .output()
        .expect("unpack the wheel");
    assert!(out.status.success(), "unpacking {} failed:\n{}", wheel.display(), show(&out));
    let out = Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(manifest_dir().join("tests/python"))
        .env("PYTHONPATH", site.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("XORQ_TEST_DUCKDB", if cfg!(feature = "duckdb") { "1" } else { "0" })
        .env_remove("XORQ_CACHE_DIR")
        .current_dir(site.path())
        .output()
        .expect("run pytest");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.status.success(), "pytest failed:\n{}", show(&out));
}
