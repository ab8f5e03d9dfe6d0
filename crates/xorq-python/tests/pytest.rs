//! Runs the Python suite (`tests/python`, pytest) against the extension module cargo just built
//! for this test run, so the suite needs no second compile: the package is assembled in a
//! scratch directory from `python/xorq_rs` and the built `lib_native.so` (named as the module
//! `xorq_rs._native`), then imported from there.
//!
//! The interpreter is `$XORQ_TEST_PYTHON` (`.ci/run` makes a venv with pyarrow and pytest),
//! else `python3`; outside CI a Python without them skips, in CI it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory cargo put this build's artifacts in (`target/debug`): the test binary lives
/// in its `deps/`.
fn artifacts() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>").to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create package dir");
    for entry in std::fs::read_dir(from).expect("read package dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_dir(&path, &to.join(entry.file_name()));
            }
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy module");
        }
    }
}

#[test]
fn the_python_suite_passes_against_the_built_extension() {
    let python = std::env::var("XORQ_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ready = Command::new(&python).args(["-c", "import pyarrow, pytest"]).output().is_ok_and(|o| o.status.success());
    if !ready {
        assert!(std::env::var_os("CI").is_none(), "CI must provide pyarrow and pytest in `{python}`; see .ci/run");
        eprintln!("skipping: `{python}` lacks pyarrow or pytest (pip install pyarrow pytest)");
        return;
    }
    let library = artifacts().join(format!("{}_native{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX));
    assert!(library.exists(), "cargo did not build the extension at {}", library.display());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let site = tempfile::tempdir().expect("scratch dir");
    let package = site.path().join("xorq_rs");
    copy_dir(&manifest.join("python/xorq_rs"), &package);
    // The name Python looks for; a copy, so the test does not depend on symlinks.
    std::fs::copy(&library, package.join("_native.abi3.so")).expect("place the extension");
    let out = Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(manifest.join("tests/python"))
        .env("PYTHONPATH", site.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("XORQ_CACHE_DIR")
        .current_dir(site.path())
        .output()
        .expect("run pytest");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "pytest failed:\n{stdout}\n{stderr}");
}
