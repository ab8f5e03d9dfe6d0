//! `xorq hash-scheme`: how xorq-rs names computations.

use crate::error::Result;

/// Prints the hashing scheme and its version.
pub fn run(json: bool) -> Result<()> {
    if json {
        let value = serde_json::json!({
            "hash_scheme": xorq::HASH_SCHEME,
            "version": xorq::HASH_SCHEME_VERSION,
            "display_length": xorq::address::SHORT_LEN,
        });
        println!("{value}");
    } else {
        println!("{} (version {})", xorq::HASH_SCHEME, xorq::HASH_SCHEME_VERSION);
    }
    Ok(())
}
