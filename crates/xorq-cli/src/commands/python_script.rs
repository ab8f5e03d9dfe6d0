//! `xorq build script.py [-e NAME]`: the expression a Python script binds to a name.
//!
//! The script runs under a Python that has the `xorq_rs` package: `$XORQ_PYTHON` (the `xorq`
//! command installed by the wheel sets it to its own interpreter), else `python3` on `PATH`. A
//! small driver runs the script (with `__name__` set to `"__xorq_build__"`, so its
//! `if __name__ == "__main__":` block does not run), finds the expression, and writes it as a
//! build into a scratch directory with reads left as references; the command then loads that
//! build, so the expression crosses the process boundary in the one portable format there is,
//! with its address unchanged, and builds it with the command's own options.
//!
//! What the script prints goes to stderr, so stdout carries only the build path. A script that
//! raises shows its traceback (without the driver's frames); a missing name lists the
//! expressions the script defines.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

use serde::Deserialize;
use xorq::Table;

use crate::error::{CliError, Result};

/// The name `xorq build script.py` looks for without `-e` (as the Python tool does).
pub const DEFAULT_EXPR_NAME: &str = "expr";

/// The driver: `python -c DRIVER <script> <name> <builds dir> <answer file>`. It always
/// answers through the file (JSON), since the script owns stdout and stderr.
const DRIVER: &str = r#"
import json, os, runpy, sys, traceback
script, name, builds_dir, answer_path = sys.argv[1:5]

def answer(**fields):
    with open(answer_path, "w", encoding="utf-8") as f:
        json.dump(fields, f)

try:
    from xorq_rs import Table
    from xorq_rs.ibis_yaml.compiler import build_expr
except ImportError as e:
    answer(kind="no-package", message=str(e))
    sys.exit(0)

sys.argv = [script]
sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
stdout, sys.stdout = sys.stdout, sys.stderr
try:
    namespace = runpy.run_path(script, run_name="__xorq_build__")
except SystemExit as e:
    if e.code not in (None, 0):
        answer(kind="failed", message=f"the script called sys.exit({e.code!r})")
        sys.exit(0)
    answer(kind="failed", message="the script called sys.exit() before defining its expressions")
    sys.exit(0)
except BaseException as e:
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if f.filename != "<string>" and "runpy" not in f.filename]
    print("Traceback (most recent call last):", file=sys.stderr)
    print("".join(traceback.format_list(frames)), end="", file=sys.stderr)
    print("".join(traceback.format_exception_only(type(e), e)), end="", file=sys.stderr)
    answer(kind="failed", message=f"the script raised {type(e).__name__}: {e}")
    sys.exit(0)
finally:
    sys.stdout = stdout

expressions = sorted(k for k, v in namespace.items() if isinstance(v, Table) and not k.startswith("_"))
if name not in namespace:
    answer(kind="missing", expressions=expressions)
elif not isinstance(namespace[name], Table):
    answer(kind="not-an-expression", type=type(namespace[name]).__name__, expressions=expressions)
else:
    try:
        path = build_expr(namespace[name], builds_dir=builds_dir, relocate_reads=False)
    except BaseException as e:
        answer(kind="failed", message=f"{type(e).__name__}: {e}")
    else:
        answer(kind="built", path=path)
"#;

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Answer {
    NoPackage { message: String },
    Failed { message: String },
    Missing { expressions: Vec<String> },
    NotAnExpression { r#type: String, expressions: Vec<String> },
    Built { path: String },
}

/// Where the script's own output goes: stderr, where the command's diagnostics go, never
/// stdout, which carries the build path (the driver also points Python's `sys.stdout` there;
/// this catches output written below Python).
#[cfg(unix)]
fn script_stdout() -> Result<Stdio> {
    use std::os::fd::AsFd;
    let fd = std::io::stderr().as_fd().try_clone_to_owned().map_err(CliError::io("duplicate", "stderr"))?;
    Ok(Stdio::from(fd))
}

#[cfg(not(unix))]
fn script_stdout() -> Result<Stdio> {
    Ok(Stdio::inherit())
}

/// The interpreter scripts run under: `$XORQ_PYTHON`, else `python3`.
fn interpreter() -> OsString {
    std::env::var_os("XORQ_PYTHON").filter(|p| !p.is_empty()).unwrap_or_else(|| "python3".into())
}

const INSTALL_HINT: &str = "install the Python package (`pip install xorq-rs`, or `pip install ./crates/xorq-python` \
     from a checkout) and use the `xorq` command it installs, or set XORQ_PYTHON to a Python that has it";

/// The expression `script` binds to `name`, and the scratch directory its data lives in until
/// it is built (drop it after).
pub fn read_python_expression(
    script: &Path,
    name: &str,
) -> Result<(Table, Vec<xorq::profile::Profile>, tempfile::TempDir)> {
    let fail = |message: String| CliError::PythonScript { script: script.to_path_buf(), message };
    if !script.is_file() {
        return Err(CliError::Usage(format!("`{}`: no such Python script", script.display())));
    }
    let scratch = tempfile::Builder::new()
        .prefix("xorq-build-py-")
        .tempdir()
        .map_err(CliError::io("create a scratch directory in", std::env::temp_dir()))?;
    let answer_path = scratch.path().join("answer.json");
    let python = interpreter();
    let status = Command::new(&python)
        .arg("-c")
        .arg(DRIVER)
        .arg(script)
        .arg(name)
        .arg(scratch.path().join("builds"))
        .arg(&answer_path)
        .stdin(Stdio::null())
        .stdout(script_stdout()?)
        .status()
        .map_err(|e| {
            fail(format!("cannot start the Python interpreter `{}` ({e}): {INSTALL_HINT}", python.to_string_lossy()))
        })?;
    let text = match std::fs::read_to_string(&answer_path) {
        Ok(text) => text,
        Err(_) => {
            return Err(fail(format!(
                "`{}` exited ({status}) before the script gave an expression",
                python.to_string_lossy()
            )));
        }
    };
    let answer: Answer = serde_json::from_str(&text)
        .map_err(|e| CliError::Internal(format!("the Python driver's answer is malformed ({e}): {text}")))?;
    let listing = |expressions: &[String]| {
        if expressions.is_empty() {
            "it defines no xorq_rs expression at module level".to_string()
        } else {
            format!("its expressions are: {} (pick one with -e NAME)", expressions.join(", "))
        }
    };
    match answer {
        Answer::Built { path } => {
            let loaded = xorq_build::load(Path::new(&path))?;
            Ok((loaded.table, loaded.profiles, scratch))
        }
        Answer::NoPackage { message } => {
            Err(fail(format!("`{}` cannot import xorq_rs ({message}): {INSTALL_HINT}", python.to_string_lossy())))
        }
        Answer::Failed { message } => Err(fail(message)),
        Answer::Missing { expressions } => {
            Err(CliError::Usage(format!("`{name}` is not defined in {}; {}", script.display(), listing(&expressions))))
        }
        Answer::NotAnExpression { r#type, expressions } => Err(CliError::Usage(format!(
            "`{name}` in {} is a {type}, not an xorq_rs expression; {}",
            script.display(),
            listing(&expressions)
        ))),
    }
}
