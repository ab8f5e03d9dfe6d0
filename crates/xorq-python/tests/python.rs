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
        std::fs::read_dir(&out_dir)
            .expect("maturin's output directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|e| e == "whl"))
            .unwrap_or_else(|| panic!("maturin wrote no wheel into {}", out_dir.display()))
    })
}

#[test]
fn the_python_suite_passes_against_the_wheel() {
    let Some(python) = python() else { return };
    let site = site(&python);
    let out = Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(manifest_dir().join("tests/python"))
        .env("PYTHONPATH", site)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("XORQ_TEST_DUCKDB", if cfg!(feature = "duckdb") { "1" } else { "0" })
        .env_remove("XORQ_CACHE_DIR")
        .current_dir(site)
        .output()
        .expect("run pytest");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.status.success(), "pytest failed:\n{}", show(&out));
}

/// The wheel unpacked as a site directory (importable with `PYTHONPATH`), once per test binary.
fn site(python: &str) -> &'static Path {
    static SITE: OnceLock<PathBuf> = OnceLock::new();
    SITE.get_or_init(|| {
        let wheel = wheel(python);
        let site = wheel.with_extension("site");
        let _ = std::fs::remove_dir_all(&site);
        // A wheel is a zip laid out as site-packages: unpacked, it is importable as installed.
        let out = Command::new(python)
            .args(["-m", "zipfile", "-e"])
            .arg(wheel)
            .arg(&site)
            .output()
            .expect("unpack the wheel");
        assert!(out.status.success(), "unpacking {} failed:\n{}", wheel.display(), show(&out));
        site
    })
}

/// Writes the seeds' `sales.parquet` (with pyarrow) into `dir`.
fn write_sales(python: &str, dir: &Path) -> PathBuf {
    let path = dir.join("sales.parquet");
    let out = Command::new(python)
        .arg("-c")
        .arg(
            "import sys, pyarrow as pa, pyarrow.parquet as pq; pq.write_table(pa.table({'region': ['north', 'south', \
             'north', 'east'], 'amount': [50.0, 150.0, 250.0, 120.0]}), sys.argv[1])",
        )
        .arg(&path)
        .output()
        .expect("run python");
    assert!(out.status.success(), "writing sales.parquet failed:\n{}", show(&out));
    path
}

#[test]
fn python_sql_and_rust_give_one_address() {
    use xorq::prelude::*;
    let Some(python) = python() else { return };
    let site = site(&python);
    let dir = tempfile::tempdir().expect("scratch dir");
    let sales = write_sales(&python, dir.path());

    // Rust.
    let rust = || -> Result<String, Box<dyn std::error::Error>> {
        let sales = xorq::read_parquet(sales.to_str().ok_or("a non-UTF-8 temp path")?)?;
        let totals =
            sales.filter(col("amount").gt(lit(100)))?.group_by(["region"]).agg([col("amount").sum().alias("total")])?;
        Ok(totals.address().hex())
    };
    let rust = rust().expect("the Rust pipeline");

    // Python: the seeds' spelling, as a script built by `xorq build`.
    std::fs::write(
        dir.path().join("pipeline.py"),
        "import xorq_rs.api as xo\nexpr = (\n    xo.deferred_read_parquet(\"sales.parquet\")\n    .filter(xo._.amount > 100)\n    \
         .group_by(\"region\")\n    .agg(total=xo._.amount.sum())\n)\n",
    )
    .expect("write the script");
    // SQL.
    std::fs::write(
        dir.path().join("pipeline.sql"),
        "SELECT region, sum(amount) AS total\nFROM read_parquet('sales.parquet')\nWHERE amount > 100\nGROUP BY region\n",
    )
    .expect("write the SQL");
    let address = |file: &str| {
        let out = Command::new(&python)
            .args(["-m", "xorq_rs._cli", "build", file, "--json", "--no-relocate-reads"])
            .current_dir(dir.path())
            .env("PYTHONPATH", site)
            .env_remove("XORQ_PYTHON")
            .output()
            .expect("run xorq build");
        assert!(out.status.success(), "xorq build {file} failed:\n{}", show(&out));
        let answer: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");
        answer["address"].as_str().expect("an address").to_string()
    };
    assert_eq!(address("pipeline.py"), rust, "Python and Rust");
    assert_eq!(address("pipeline.sql"), rust, "SQL and Rust");
}

#[test]
fn a_fresh_venv_gets_the_whole_tool_from_the_wheel() {
    let Some(python) = python() else { return };
    let wheel = wheel(&python);
    let dir = tempfile::tempdir().expect("scratch dir");
    let venv = dir.path().join("venv");
    let out = Command::new(&python).args(["-m", "venv"]).arg(&venv).output().expect("python -m venv");
    assert!(out.status.success(), "python -m venv failed:\n{}", show(&out));
    let bin = venv.join("bin");
    // Only pyarrow comes with it (from the package index, through pip's cache).
    let out = Command::new(bin.join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(wheel)
        .output()
        .expect("pip install");
    assert!(out.status.success(), "pip install {} failed:\n{}", wheel.display(), show(&out));
    let out = Command::new(bin.join("pip")).args(["list", "--format=freeze"]).output().expect("pip list");
    let installed = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(installed.contains("xorq-rs==") && installed.contains("pyarrow=="), "{installed}");
    assert!(!installed.contains("pandas=="), "pandas must stay optional:\n{installed}");

    write_sales(&python, dir.path());
    // The seeds' first example with only the import line changed.
    std::fs::write(
        dir.path().join("pipeline.py"),
        "import xorq_rs.api as xo\nfrom xorq_rs.caching import ParquetCache\n\nexpr = (\n    \
         xo.deferred_read_parquet(\"sales.parquet\")\n    .filter(xo._.amount > 100)\n    .group_by(\"region\")\n    \
         .agg(total=xo._.amount.sum())\n    .cache(ParquetCache.from_kwargs())\n)\n\nif __name__ == \"__main__\":\n    \
         result = expr.execute()\n    print(sorted(result.to_pylist(), key=lambda r: r[\"region\"]))\n",
    )
    .expect("write the script");
    // A clean environment: no PYTHONPATH, no XORQ_PYTHON, the venv not on PATH; the command
    // must find its own interpreter.
    let run = |program: &Path, args: &[&str]| {
        let out = Command::new(program)
            .args(args)
            .current_dir(dir.path())
            .env_remove("PYTHONPATH")
            .env_remove("XORQ_PYTHON")
            .env("XORQ_CACHE_DIR", dir.path().join("cache"))
            .output()
            .expect("run from the venv");
        assert!(out.status.success(), "{} {args:?} failed:\n{}", program.display(), show(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let printed = run(&bin.join("python"), &["pipeline.py"]);
    assert_eq!(
        printed.trim(),
        "[{'region': 'east', 'total': 120.0}, {'region': 'north', 'total': 250.0}, {'region': 'south', 'total': 150.0}]"
    );
    assert!(run(&bin.join("xorq"), &["--version"]).starts_with("xorq "));
    let build = run(&bin.join("xorq"), &["build", "pipeline.py", "-e", "expr"]);
    let build = build.trim();
    assert!(build.starts_with("builds/"), "{build}");
    run(&bin.join("xorq"), &["run", build, "-o", "out.csv", "-f", "csv"]);
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).expect("the output file");
    let mut lines: Vec<&str> = csv.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["east,120.0", "north,250.0", "region,total", "south,150.0"]);
}

/// The README's Python examples (the ```` ```python ```` blocks of its `## Python` section) run
/// as written, in order as one script, from a project made by `xorq init demo`; each
/// `print(…)  # value` must print the value.
#[test]
fn the_readme_python_examples_run_as_written() {
    let Some(python) = python() else { return };
    let site = site(&python);
    let readme = std::fs::read_to_string(manifest_dir().join("../../README.md")).expect("README.md");
    let section = readme.split("\n## Python\n").nth(1).expect("a `## Python` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut script = String::new();
    let mut expected = Vec::new();
    let mut in_python = false;
    for line in section.lines() {
        match (in_python, line.trim_end()) {
            (false, "```python") => in_python = true,
            (true, "```") => in_python = false,
            (true, code) => {
                if let Some((_, value)) = code.split_once("print(").and_then(|(_, rest)| rest.split_once("  # ")) {
                    expected.push(value.trim().to_string());
                }
                script.push_str(code);
                script.push('\n');
            }
            _ => {}
        }
    }
    assert!(!script.is_empty(), "the Python section has no python block");
    let dir = tempfile::tempdir().expect("scratch dir");
    let run = |args: &[&str], cwd: &Path| {
        let out = Command::new(&python)
            .args(args)
            .current_dir(cwd)
            .env("PYTHONPATH", site)
            .env("XORQ_CACHE_DIR", dir.path().join("cache"))
            .output()
            .expect("run python");
        assert!(out.status.success(), "{args:?} failed:\n{}", show(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["-m", "xorq_rs._cli", "init", "demo"], dir.path());
    let printed = run(&["-c", &script], &dir.path().join("demo"));
    for value in expected {
        assert!(
            printed.contains(&value),
            "the README's Python example should print\n  {value}\nbut printed:\n{printed}"
        );
    }
}
