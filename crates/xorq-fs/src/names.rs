//! Temporary names: `<prefix><pid>-<12 hex>`. The process id says who owns the name (see
//! [`crate::sweep`]); the random part keeps concurrent owners apart.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary name with `prefix`, owned by this process.
pub(crate) fn temp_name(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut hasher = blake3::Hasher::new();
    hasher.update(&nanos.to_le_bytes());
    hasher.update(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    hasher.update(&std::process::id().to_le_bytes());
    hasher.update(format!("{:?}", std::thread::current().id()).as_bytes());
    let hex = hasher.finalize().to_hex();
    format!("{prefix}{}-{}", std::process::id(), &hex[..12])
}

/// The process id in a name made by [`temp_name`] with `prefix` (`None` for other names).
pub(crate) fn owner_pid(name: &str, prefix: &str) -> Option<u32> {
    name.strip_prefix(prefix)?.split('-').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_their_owner_and_differ() {
        let a = temp_name(".tmp-x-");
        let b = temp_name(".tmp-x-");
        assert_ne!(a, b);
        assert_eq!(owner_pid(&a, ".tmp-x-"), Some(std::process::id()));
        assert_eq!(owner_pid(".tmp-x-abc", ".tmp-x-"), None);
        assert_eq!(owner_pid("other", ".tmp-x-"), None);
    }
}
