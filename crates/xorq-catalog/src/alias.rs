//! Aliases: validated names, their files (`aliases/<alias>.yaml`) and their revisions.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{CatalogError, Result};

/// Longest alias (and catalog name) accepted, in bytes.
pub const MAX_NAME_LEN: usize = 100;

/// Names Windows reserves for devices: a file with such a name cannot be checked out there.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2",
    "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// An alias name that is safe as a file name on every system and in every shell: 1 to 100
/// characters of `a`–`z`, `0`–`9`, `.`, `_` and `-`, starting with a letter or digit, not ending
/// with `.`, with no `..`, and not a reserved device name.
///
/// ```
/// use xorq_catalog::AliasName;
/// assert!(AliasName::new("penguins-prod").is_ok());
/// for bad in ["../etc", "a/b", "-rf", "Prod", "x\u{7}", "a..b", "$(rm)", "", "_", "_tmp"] {
///     assert!(AliasName::new(bad).is_err(), "{bad:?}");
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AliasName(String);

impl AliasName {
    /// Checks `name` against the rules above.
    pub fn new(name: &str) -> Result<AliasName> {
        check_name("alias", name)?;
        Ok(AliasName(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a user-chosen name (an alias, a catalog name) that becomes a file or directory name.
pub(crate) fn check_name(what: &'static str, name: &str) -> Result<()> {
    let invalid = |reason: String| CatalogError::InvalidName { what, name: name.escape_debug().to_string(), reason };
    let rules = "use 1 to 100 of a-z, 0-9, `.`, `_` and `-`, starting with a letter or digit";
    if name.is_empty() {
        return Err(invalid(format!("it is empty; {rules}")));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(invalid(format!("it is {} bytes long, over the limit of {MAX_NAME_LEN}", name.len())));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(invalid(format!("it contains the control character {:?}; {rules}", c)));
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '/' | '\\')) {
        return Err(invalid(format!("it contains the path separator `{c}`; {rules}")));
    }
    if name.contains("..") {
        return Err(invalid(format!("it contains `..`; {rules}")));
    }
    if name.starts_with('-') {
        return Err(invalid(format!("it starts with `-`, which commands would read as an option; {rules}")));
    }
    if name.starts_with('.') {
        return Err(invalid(format!("it starts with `.` (a hidden file); {rules}")));
    }
    if name.chars().any(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(invalid(format!(
            "it has capital letters; names are lower-case so that they name one file on every file system: try `{}`",
            name.to_ascii_lowercase()
        )));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(*c))) {
        return Err(invalid(format!("it contains `{c}`; {rules}")));
    }
    if let Some(c) = name.chars().next().filter(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit())) {
        return Err(invalid(format!("it starts with `{c}`; {rules}")));
    }
    if name.ends_with('.') {
        return Err(invalid(format!("it ends with `.`; {rules}")));
    }
    let stem = name.split('.').next().unwrap_or(name);
    if RESERVED.contains(&stem) {
        return Err(invalid(format!("`{stem}` is a device name on Windows; choose another name")));
    }
    Ok(())
}

/// One revision of an alias: the entry it pointed to from `at` on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// 1, 2, … in the order they were made.
    pub revision: u32,
    /// The entry's full address (64 hex).
    pub address: String,
    /// When it was made (RFC 3339, UTC).
    pub at: String,
}

/// The contents of `aliases/<alias>.yaml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasFile {
    /// The alias (equal to the file's name).
    pub alias: String,
    /// Its revisions, oldest first, numbered 1, 2, ….
    pub revisions: Vec<Revision>,
    /// Revisions another clone made to this alias while this one made its own, kept by `pull`
    /// instead of being overwritten. Empty unless a pull met a diverged alias; the next
    /// `add-alias` of this alias settles them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Revision>,
}

impl AliasFile {
    /// The latest revision (aliases always have one).
    pub fn latest(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    /// Revision `n`.
    pub fn revision(&self, n: u32) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.revision == n)
    }

    /// Appends a revision pointing to `address`, made now, and settles any conflicts.
    pub fn push(&mut self, address: &str) -> u32 {
        let next = self.latest().map_or(1, |r| r.revision + 1);
        self.revisions.push(Revision { revision: next, address: address.to_string(), at: now() });
        self.conflicts.clear();
        next
    }

    /// The YAML text written to the file.
    pub fn to_text(&self) -> Result<String> {
        serde_saphyr::to_string(self)
            .map_err(|e| CatalogError::refused(format!("cannot write alias `{}`: {e}", self.alias)))
    }

    /// Parses an alias file's text, checking it is consistent with its name.
    pub fn parse(text: &str, path: &Path, expected: &str) -> Result<AliasFile> {
        let malformed = |message: String| CatalogError::Malformed { path: path.to_path_buf(), message };
        let file: AliasFile = serde_saphyr::from_str(text).map_err(|e| malformed(e.to_string()))?;
        if file.alias != expected {
            return Err(malformed(format!(
                "it names the alias `{}` but its file is named `{expected}.yaml`",
                file.alias
            )));
        }
        if file.revisions.is_empty() {
            return Err(malformed("it has no revisions".into()));
        }
        for (i, r) in file.revisions.iter().enumerate() {
            if r.revision as usize != i + 1 {
                return Err(malformed(format!(
                    "revision {} is listed in place {}; revisions count 1, 2, …",
                    r.revision,
                    i + 1
                )));
            }
            if !crate::layout::is_full_address(&r.address) {
                return Err(malformed(format!("revision r{} has `{}`, not a 64-hex address", r.revision, r.address)));
            }
        }
        Ok(file)
    }
}

/// The time now, as revisions record it.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What a user may write to name an entry: an alias (its latest revision), `alias@rN`, or the
/// start of an entry's address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// `alias` or `alias@rN`.
    Alias {
        /// The alias.
        alias: AliasName,
        /// The revision, or the latest.
        revision: Option<u32>,
    },
    /// An alias or an address prefix: what it is depends on what the catalog holds (an alias
    /// of that name wins).
    Name(String),
}

impl Reference {
    /// Parses `text`.
    ///
    /// ```
    /// use xorq_catalog::Reference;
    /// assert!(matches!(Reference::parse("prod@r2")?, Reference::Alias { revision: Some(2), .. }));
    /// assert!(matches!(Reference::parse("7d0c1f5e2a4b")?, Reference::Name(_)));
    /// assert!(Reference::parse("prod@2").is_err());
    /// # Ok::<(), xorq_catalog::CatalogError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Reference> {
        match text.split_once('@') {
            Some((alias, rev)) => {
                let alias = AliasName::new(alias)?;
                let revision = rev.strip_prefix('r').and_then(|n| n.parse::<u32>().ok()).filter(|n| *n > 0);
                let Some(revision) = revision else {
                    return Err(CatalogError::InvalidName {
                        what: "revision",
                        name: text.escape_debug().to_string(),
                        reason: format!("write a revision as `{alias}@r1`, `{alias}@r2`, …"),
                    });
                };
                Ok(Reference::Alias { alias, revision: Some(revision) })
            }
            None => {
                check_name("alias or address", text)?;
                Ok(Reference::Name(text.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_are_refused_with_the_rule_they_break() {
        let cases = [
            ("../../etc/passwd", "path separator"),
            ("..", "`..`"),
            ("-rf", "starts with `-`"),
            (".hidden", "starts with `.`"),
            ("a b", "contains ` `"),
            ("x;rm -rf", "contains `;`"),
            ("$(reboot)", "contains `$`"),
            ("tab\there", "control character"),
            ("nul", "device name"),
            ("Prod", "try `prod`"),
            ("end.", "ends with `.`"),
            ("", "empty"),
        ];
        for (name, expected) in cases {
            let e = AliasName::new(name).unwrap_err().to_string();
            assert!(e.contains(expected), "{name:?}: {e}");
        }
        let long = "a".repeat(MAX_NAME_LEN + 1);
        assert!(AliasName::new(&long).unwrap_err().to_string().contains("over the limit"));
        assert!(AliasName::new(&"a".repeat(MAX_NAME_LEN)).is_ok());
        for good in ["prod", "penguins-prod", "v1.2", "a_b", "0day"] {
            assert!(AliasName::new(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn alias_files_round_trip_and_are_checked() {
        let mut file = AliasFile { alias: "prod".into(), revisions: vec![], conflicts: vec![] };
        assert_eq!(file.push(&"a".repeat(64)), 1);
        assert_eq!(file.push(&"b".repeat(64)), 2);
        let text = file.to_text().unwrap();
        assert!(!text.contains("conflicts"), "{text}");
        let back = AliasFile::parse(&text, Path::new("aliases/prod.yaml"), "prod").unwrap();
        assert_eq!(back, file);
        let e = AliasFile::parse(&text, Path::new("aliases/other.yaml"), "other").unwrap_err().to_string();
        assert!(e.contains("names the alias `prod`"), "{e}");
        let e = AliasFile::parse(&text.replace("revision: 2", "revision: 5"), Path::new("p"), "prod")
            .unwrap_err()
            .to_string();
        assert!(e.contains("revision 5 is listed in place 2"), "{e}");
    }

    #[test]
    fn references() {
        assert_eq!(
            Reference::parse("prod@r12").unwrap(),
            Reference::Alias { alias: AliasName::new("prod").unwrap(), revision: Some(12) }
        );
        assert!(Reference::parse("prod@r0").is_err());
        assert!(Reference::parse("prod@latest").is_err());
        assert!(Reference::parse("../x").is_err());
        assert_eq!(Reference::parse("abc123").unwrap(), Reference::Name("abc123".into()));
    }
}
