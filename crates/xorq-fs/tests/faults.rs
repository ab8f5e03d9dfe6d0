//! Crashes, interruptions and full disks, with real processes (this test binary, started again
//! as a child and killed) and a real small file system (a tmpfs, where this process may mount).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use xorq_fs::{AtomicFile, FsError, Published, Staging, sweep, write_new};

/// Set in a child: the directory it writes into, and what it does there.
const CHILD_DIR: &str = "XORQ_FS_TEST_CHILD_DIR";
const CHILD_ACT: &str = "XORQ_FS_TEST_CHILD_ACT";
const PREFIX: &str = ".tmp-faults-";

/// Not a test of its own: the body of the child processes the other tests start. It opens a
/// staging directory and a temporary file in `$XORQ_FS_TEST_CHILD_DIR`, says `ready`, then
/// either waits to be killed or (`cleanup`) runs the interrupt cleanup and lists what is left.
#[test]
fn child() {
    let Some(dir) = std::env::var_os(CHILD_DIR).map(PathBuf::from) else { return };
    let staging = Staging::new_in(&dir, PREFIX).expect("staging");
    write_new(&staging.path().join("half-written"), b"...").expect("write");
    let file = AtomicFile::with_prefix(&dir.join("out.csv"), PREFIX).expect("temp file");
    file.file().write_all(b"a,b\n").expect("write");
    println!("ready");
    std::io::stdout().flush().expect("flush");
    if std::env::var(CHILD_ACT).as_deref() == Ok("cleanup") {
        println!("removed {}", xorq_fs::interrupt::cleanup());
        std::io::stdout().flush().expect("flush");
        // As a signal handler would: end the process without running destructors.
        std::process::exit(0);
    }
    std::thread::sleep(Duration::from_secs(120));
}

/// Starts a child writing into `dir` and waits until it has its files open.
fn start(dir: &Path, act: &str) -> (Child, Vec<String>) {
    let mut child = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_ACT, act)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut lines = Vec::new();
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read") == 0 {
            break;
        }
        // libtest may print `test child ... ` in front of the first line.
        let line = line.trim().rsplit(" ... ").next().unwrap_or_default().to_string();
        let done = line == "ready" && act == "wait" || line.starts_with("removed");
        lines.push(line);
        if done {
            break;
        }
    }
    (child, lines)
}

fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> =
        std::fs::read_dir(dir).expect("read").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    out.sort();
    out
}

#[test]
fn what_a_killed_process_left_is_swept_and_what_a_live_one_writes_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut live, _) = start(dir.path(), "wait");
    let (mut dead, _) = start(dir.path(), "wait");
    assert_eq!(names(dir.path()).len(), 4, "{:?}", names(dir.path()));
    let _ = dead.kill(); // SIGKILL: no destructor runs
    dead.wait().expect("wait");
    assert_eq!(names(dir.path()).len(), 4, "the killed process left its staging directory and temp file");

    assert_eq!(sweep(dir.path(), PREFIX), 2, "{:?}", names(dir.path()));
    let pid = live.id().to_string();
    let left = names(dir.path());
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().all(|n| n.starts_with(&format!("{PREFIX}{pid}-"))), "{left:?}");

    let _ = live.kill();
    live.wait().expect("wait");
    assert_eq!(sweep(dir.path(), PREFIX), 2);
    assert!(names(dir.path()).is_empty());
    // Other names are never touched.
    std::fs::write(dir.path().join("keep.csv"), "x").expect("write");
    std::fs::write(dir.path().join(".tmp-other-1-aaaaaaaaaaaa"), "x").expect("write");
    assert_eq!(sweep(dir.path(), PREFIX), 0);
    assert_eq!(names(dir.path()).len(), 2);
}

#[test]
fn an_interrupted_process_removes_what_it_was_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, lines) = start(dir.path(), "cleanup");
    child.wait().expect("wait");
    assert!(lines.contains(&"removed 2".to_string()), "{lines:?}");
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

/// A tmpfs of `size` at `dir`, unmounted on drop (`None` where this process may not mount).
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(dir.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_fails_cleanly_and_leaves_the_old_state() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let disk = tmp.path().join("disk");
    let Some(_mount) = Mount::tmpfs(&disk, "64k") else {
        eprintln!("skipped: this process may not mount a tmpfs");
        return;
    };
    let big = vec![7u8; 256 * 1024];
    // A replaced file: the error names it and says the disk is full; the old file stays whole.
    let target = disk.join("result.csv");
    std::fs::write(&target, "old\n").expect("write");
    let e = xorq_fs::replace(&target, &big).unwrap_err();
    assert!(matches!(&e, FsError::Io { source, .. } if source.kind() == std::io::ErrorKind::StorageFull), "{e}");
    assert!(e.to_string().contains("hint: the disk is full"), "{e}");
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "old\n");
    assert_eq!(names(&disk), vec!["result.csv".to_string()]);

    // A staging directory that fills the disk is never published, and is gone when dropped.
    let staging = Staging::new_in(&disk, PREFIX).expect("staging");
    let e = write_new(&staging.path().join("data"), &big).unwrap_err();
    assert!(e.to_string().contains("data"), "{e}");
    drop(staging);
    assert_eq!(names(&disk), vec!["result.csv".to_string()]);

    // With room again, the same writes succeed.
    std::fs::remove_file(&target).expect("remove");
    let staging = Staging::new_in(&disk, PREFIX).expect("staging");
    write_new(&staging.path().join("data"), &big[..16 * 1024]).expect("write");
    assert!(matches!(staging.publish(&disk.join("entry")).expect("publish"), Published::Done));
    assert_eq!(names(&disk), vec!["entry".to_string()]);
}
