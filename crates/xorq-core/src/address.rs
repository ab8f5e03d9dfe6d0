//! Input addresses: the BLAKE3 hash that names a computation by its logic.

use std::fmt;

use crate::error::{CoreError, Result};

/// Version of the hashing scheme: the rules that turn an expression into the canonical form that
/// is hashed. Any change to the canonical encoding, the canonicalization or typing rules, or a
/// function's meaning that changes an address bumps it; the pinned corpus test in
/// `tests/it/address_corpus.rs` fails until it is bumped deliberately.
///
/// - 1: the first scheme.
/// - 2: typing follows DataFusion's coercion rules exactly (a decimal compared with a float is
///   compared as a decimal, `int32 + 1` is `Int64`, text next to a date is read as a date), and
///   casts of constants fold to the value the engine's cast gives. The bytes hashed keep the form
///   of scheme 1 (`encode.rs`), so a node that both schemes canonicalize alike has one address.
/// - 3: a local file read by reference inside a project is identified by its path relative to
///   the project root ([`SourceIdentity::Project`](crate::plan::SourceIdentity::Project)), not
///   its absolute path, so two checkouts of one repository share addresses. Nothing else
///   changed: an expression without such a read has its scheme-2 address.
pub const HASH_SCHEME_VERSION: u32 = 3;

/// The hashing scheme's name as recorded in build metadata.
pub const HASH_SCHEME: &str = "xorq-rs-blake3-v3";

/// The schemes this xorq-rs can verify, oldest first: builds and catalog entries keep running
/// and verifying under the scheme they record.
pub const KNOWN_HASH_SCHEMES: &[&str] = &["xorq-rs-blake3-v1", "xorq-rs-blake3-v2", "xorq-rs-blake3-v3"];

/// The version of a scheme this xorq-rs knows by its recorded name.
///
/// ```
/// assert_eq!(xorq_core::hash_scheme_version(xorq_core::HASH_SCHEME), Some(xorq_core::HASH_SCHEME_VERSION));
/// assert_eq!(xorq_core::hash_scheme_version("xorq-rs-blake3-v9"), None);
/// ```
pub fn hash_scheme_version(name: &str) -> Option<u32> {
    let position = KNOWN_HASH_SCHEMES.iter().position(|s| *s == name)?;
    u32::try_from(position + 1).ok()
}

/// Number of hex characters shown for an address.
pub const SHORT_LEN: usize = 12;

/// A full 256-bit input address.
///
/// `Display` shows the 12-character prefix users see; [`Address::hex`] gives all 64.
///
/// ```
/// use xorq_core::Address;
/// let a = Address::from_hex(&"ab".repeat(32)).unwrap();
/// assert_eq!(a.to_string(), "abababababab");
/// assert_eq!(a.hex().len(), 64);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address([u8; 32]);

impl Address {
    /// The address with these digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Address(bytes)
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// All 64 hex characters.
    pub fn hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            s.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        s
    }

    /// The 12-character display form.
    pub fn short(&self) -> String {
        let mut h = self.hex();
        h.truncate(SHORT_LEN);
        h
    }

    /// Parses 64 hex characters.
    pub fn from_hex(text: &str) -> Result<Self> {
        let bad = || CoreError::InvalidArgument {
            context: "address".into(),
            message: format!("`{text}` is not a 64-character hex address"),
        };
        if text.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, chunk) in text.as_bytes().chunks(2).enumerate() {
            let s = std::str::from_utf8(chunk).map_err(|_| bad())?;
            out[i] = u8::from_str_radix(s, 16).map_err(|_| bad())?;
        }
        Ok(Address(out))
    }

    /// Whether `prefix` (hex, any length) starts this address.
    pub fn matches_prefix(&self, prefix: &str) -> bool {
        self.hex().starts_with(&prefix.to_ascii_lowercase())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.hex())
    }
}
