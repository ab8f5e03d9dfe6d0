//! One home for file safety: the rules by which every xorq crate writes, publishes, sweeps and
//! reads back files (builds, cache entries, catalog entries, command output).
//!
//! - **Whole or absent.** A file is written to a temporary name beside its place, synced, and
//!   renamed over it ([`AtomicFile`], [`replace`]); a directory of files is filled in a staging
//!   directory beside its place and published with one rename ([`Staging`]). A reader sees the
//!   old state or the new one, never a part, and a crash (kill -9, full disk, power loss after the
//!   syncs) never leaves something that reads as valid.
//! - **Every temporary name has an owner.** Names are `<prefix><pid>-<random>`, and the owner
//!   holds an OS lock on the file or directory while it lives. [`sweep`] removes exactly what
//!   processes that are gone left behind (the lock is free and the process id is dead), never
//!   what a live process is writing, so the next command in a directory leaves no litter.
//! - **Interrupted processes clean up.** Temporary names are registered while they exist;
//!   a binary's signal handler calls [`interrupt::cleanup`] before the process ends (SIGINT,
//!   SIGTERM, SIGHUP). Publishing and cleaning up exclude each other.
//! - **Only regular files are read, never through a link.** [`open_regular`] and [`copy_file`]
//!   refuse symbolic links, directories, pipes, sockets and devices, naming them, and check that
//!   the file opened is the one inspected.
//! - **Content-named files are verified before they are used** ([`verify`]): the BLAKE3 of the
//!   bytes against the name, once per file identity (device, inode, size, modification and change
//!   time), recorded outside the verified directory.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let staging = xorq_fs::Staging::new_in(dir.path(), ".tmp-demo-")?;
//! xorq_fs::write_new(&staging.path().join("a.txt"), b"hello")?;
//! let target = dir.path().join("published");
//! assert!(matches!(staging.publish(&target)?, xorq_fs::Published::Done));
//! assert_eq!(std::fs::read(target.join("a.txt"))?, b"hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod atomic;
mod error;
pub mod interrupt;
mod names;
mod regular;
mod staging;
mod sweep;
pub mod verify;

pub use atomic::{AtomicFile, TEMP_PREFIX, replace, sync_dir, write_new};
pub use error::{FsError, Result, io_hint};
pub use regular::{copy_file, copy_from, hash_file, hash_reader, open_regular};
pub use staging::{Published, Staging};
pub use sweep::sweep;
