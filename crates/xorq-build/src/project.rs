//! Where a build's project is: the nearest directory holding `xorq.yaml`, above the build
//! directory, else above the current directory. Files a build reads by their path in a project
//! (hash scheme 3) are read under it.

use std::path::{Path, PathBuf};

/// The project file's name.
pub const PROJECT_FILE: &str = "xorq.yaml";

/// The nearest directory at or above `start` that holds a regular file `xorq.yaml`.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("xorq.yaml"), "profiles: {}\n")?;
/// std::fs::create_dir_all(dir.path().join("a/b"))?;
/// let root = xorq_build::project::find_root(&dir.path().join("a/b"));
/// assert_eq!(root.as_deref(), Some(dir.path()));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    start
        .ancestors()
        .find(|dir| std::fs::metadata(dir.join(PROJECT_FILE)).is_ok_and(|m| m.is_file()))
        .map(Path::to_path_buf)
}

/// The project a build at `build_dir` runs in: the one holding the build (a build belongs to
/// the project it was written in), else the current directory's.
pub fn root_for_build(build_dir: &Path) -> Option<PathBuf> {
    find_root(build_dir).or_else(|| find_root(Path::new(".")))
}
