//! Running the real `xorq` binary in a scratch directory.
#![allow(dead_code)]

#[cfg(feature = "ballista")]
pub mod cluster;
pub mod http;
pub mod pty;
pub mod s3;
pub mod sandbox;

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

/// The Python that has `pyarrow.flight` (`$XORQ_TEST_PYTHON`, which `.ci/run` sets up, else
/// `python3`); `None` outside CI when it has not, so the caller skips (CI must have it).
pub fn pyarrow_python() -> Option<String> {
    let python = std::env::var("XORQ_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = StdCommand::new(&python).args(["-c", "import pyarrow.flight"]).output().is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    assert!(std::env::var_os("CI").is_none(), "CI must provide pyarrow in `{python}`; see .ci/run");
    eprintln!("skipping: `{python}` has no pyarrow.flight (pip install pyarrow)");
    None
}

/// The result of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub bytes: Vec<u8>,
}

/// Runs `xorq args…` in `dir` with stdin closed.
pub fn xorq_in(dir: &Path, args: &[&str]) -> Run {
    xorq_with_env(dir, args, &[])
}

/// Runs `xorq args…` in `dir` with stdin closed and these environment variables set
/// (`XORQ_CACHE_DIR` is unset unless given, so no test touches the user's cache).
pub fn xorq_with_env(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_xorq"));
    cmd.args(args).current_dir(dir).env_remove("XORQ_CACHE_DIR");
    for (name, value) in env {
        cmd.env(name, value);
    }
    Run::from(cmd.output().expect("the binary runs"))
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            bytes: out.stdout,
        }
    }
}

/// A scaffolded project of `template` in a fresh temp dir; returns (tempdir, project dir).
pub fn project(template: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let r = xorq_in(tmp.path(), &["init", "-t", template, "proj"]);
    assert_eq!(r.code, 0, "init failed: {}", r.stderr);
    let dir = tmp.path().join("proj");
    (tmp, dir)
}

/// `xorq build pipeline.sql` in `dir`; returns the printed build path (relative to `dir`).
pub fn build(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["build", "pipeline.sql"];
    args.extend_from_slice(extra);
    let r = xorq_in(dir, &args);
    assert_eq!(r.code, 0, "build failed: {}", r.stderr);
    r.stdout.trim().to_string()
}

/// Files under `dir` whose name starts with `prefix` (leftover temp files).
pub fn leftovers(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// A tmpfs of `size` mounted at `dir` (read-only with `ro`), unmounted on drop. `None` when this
/// process may not mount (not root): the caller says so and checks what it can.
pub struct Mount(PathBuf);

impl Mount {
    pub fn tmpfs(dir: &Path, size: &str, ro: bool) -> Option<Mount> {
        std::fs::create_dir_all(dir).ok()?;
        let options = format!("size={size}{}", if ro { ",ro" } else { "" });
        let ok = StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", &options, "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(dir.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg(&self.0).status();
    }
}

/// `program` if it runs (`program --version` or similar succeeds); `None` with a message
/// outside CI; a failure in CI.
pub fn tool(program: &str, probe: &[&str], install: &str) -> Option<PathBuf> {
    let ok = StdCommand::new(program).args(probe).output().is_ok_and(|o| o.status.success());
    if ok {
        return Some(PathBuf::from(program));
    }
    assert!(std::env::var_os("CI").is_none(), "CI must provide `{program}` ({install}); see .ci/run");
    eprintln!("skipping: `{program}` is not available ({install})");
    None
}

/// This crate's directory.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where tests leave files for people to look at (screenshots): `$XORQ_TEST_ARTIFACTS`, else
/// `target/test-artifacts` in the workspace.
pub fn artifacts() -> PathBuf {
    let dir = std::env::var_os("XORQ_TEST_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../../target/test-artifacts"));
    std::fs::create_dir_all(&dir).expect("artifact directory");
    dir
}

/// The browser harness (`tests/browser`): `Some(check)` when node, its packages and Chromium
/// are there; `None` with a message outside CI; a failure in CI.
pub fn browser() -> Option<BrowserCheck> {
    let harness = manifest_dir().join("tests/browser");
    let node = tool("node", &["--version"], "Debian's nodejs")?;
    if !harness.join("node_modules/playwright-core").is_dir() {
        assert!(std::env::var_os("CI").is_none(), "CI must run `npm ci` in {}", harness.display());
        eprintln!("skipping: run `npm ci` in {} for the browser checks", harness.display());
        return None;
    }
    tool("chromium", &["--version"], "apt-get install chromium")?;
    Some(BrowserCheck { node, harness })
}

/// Runs the harness's scripts.
pub struct BrowserCheck {
    node: PathBuf,
    harness: PathBuf,
}

impl BrowserCheck {
    /// Runs `node <script> <spec file>` (the spec written as JSON to `spec_file`); `Err` with
    /// what the script printed when it fails.
    pub fn run(&self, script: &str, spec: &serde_json::Value, spec_file: &Path) -> Result<(), String> {
        std::fs::write(spec_file, spec.to_string()).expect("write spec");
        let out =
            StdCommand::new(&self.node).arg(self.harness.join(script)).arg(spec_file).output().expect("node runs");
        if out.status.success() {
            return Ok(());
        }
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}
