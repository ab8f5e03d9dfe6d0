//! Sharing a catalog through a git remote: clone, set-remote, push. (Pull, which merges, is in
//! [`crate::merge`].) The remote is always `origin` and the branch the catalog's current one
//! (`main` for catalogs made here); any git URL works, a bare repository path included.

use std::fs;
use std::path::Path;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::error::{CatalogError, Result};
use crate::git::{Git, is_secret, redact};

/// The remote catalogs push to and pull from.
pub const REMOTE: &str = "origin";

/// What `push` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PushOutcome {
    /// The remote received new commits.
    Pushed,
    /// The remote already had everything.
    UpToDate,
}

/// What `clone` found at the remote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cloned {
    /// A catalog, now cloned.
    Catalog,
    /// An empty repository: a new catalog was started in the clone (push it to publish).
    Initialized,
}

/// Checks a remote URL and makes a relative path absolute (git would read it relative to the
/// catalog, not to where the user stands). A URL holding credentials is refused: they would be
/// stored in the catalog's git configuration in clear, and could reach messages.
fn normalize_url(url: &str) -> Result<String> {
    if url.is_empty() || url.starts_with('-') || url.chars().any(char::is_control) {
        return Err(CatalogError::InvalidName {
            what: "remote URL",
            name: redact(url).escape_debug().to_string(),
            reason: "give a git URL or the path of a repository".into(),
        });
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if let Some(at) = authority.rfind('@')
            && is_secret(scheme, &authority[..at])
        {
            return Err(CatalogError::InvalidName {
                what: "remote URL",
                name: redact(url),
                reason: "it holds credentials (a password, or a token as the user name), which would be stored in clear in the catalog's git configuration; nothing was changed\nhint: give the URL without them and let git supply them: a credential helper (`git config --global credential.helper store`, or your platform's keychain helper), or an SSH URL such as `git@host:owner/repo.git`".into(),
            });
        }
    }
    let scp_like = url.find(':').is_some_and(|colon| !url[..colon].contains('/'));
    if !url.contains("://") && !scp_like && Path::new(url).exists() {
        return Ok(fs::canonicalize(url)
            .map_err(CatalogError::io("resolve", Path::new(url)))?
            .to_string_lossy()
            .into_owned());
    }
    Ok(url.to_string())
}

impl Catalog {
    /// Clones the catalog at `url` into `path` (a new or empty directory). An empty remote
    /// repository gets a new catalog started in the clone. A failure leaves nothing behind.
    ///
    /// ```no_run
    /// let (catalog, _) = xorq_catalog::Catalog::clone_from("git@github.com:acme/catalog.git", "acme".as_ref())?;
    /// # Ok::<(), xorq_catalog::CatalogError>(())
    /// ```
    pub fn clone_from(url: &str, path: &Path) -> Result<(Catalog, Cloned)> {
        let url = &normalize_url(url)?;
        let root = std::path::absolute(path).map_err(CatalogError::io("resolve", path))?;
        if root.exists() && fs::read_dir(&root).map_err(CatalogError::io("read", &root))?.next().is_some() {
            return Err(CatalogError::refused(format!(
                "`{}` exists and is not empty; clone into a new directory",
                root.display()
            )));
        }
        let existed = root.exists();
        let parent = root.parent().unwrap_or(Path::new("/"));
        fs::create_dir_all(parent).map_err(CatalogError::io("create directory", parent))?;
        let result = clone_into(url, &root, parent);
        if result.is_err() {
            if existed {
                if let Ok(children) = fs::read_dir(&root) {
                    for child in children.flatten() {
                        let p = child.path();
                        let _ = if p.is_dir() { fs::remove_dir_all(&p) } else { fs::remove_file(&p) };
                    }
                }
            } else {
                let _ = fs::remove_dir_all(&root);
            }
        }
        result
    }

    /// The URL of the remote, if one is set, as it may be shown: with any credentials in it
    /// hidden (see [`crate::git::redact`]; a remote set with plain git may hold some).
    pub fn remote_url(&self) -> Result<Option<String>> {
        Ok(self.raw_remote_url()?.map(|url| redact(&url)))
    }

    /// The URL of the remote as git has it (never shown).
    fn raw_remote_url(&self) -> Result<Option<String>> {
        let ran = self.git.try_run(&["remote", "get-url", REMOTE])?;
        Ok(ran.ok.then(|| ran.stdout.trim().to_string()))
    }

    /// Sets the remote to `url`. Replacing a different one needs `force` (a typo would otherwise
    /// silently point the catalog elsewhere).
    pub fn set_remote(&self, url: &str, force: bool) -> Result<()> {
        let url = &normalize_url(url)?;
        match self.raw_remote_url()? {
            Some(current) if current == *url => Ok(()),
            Some(current) if !force => Err(CatalogError::refused(format!(
                "the catalog's remote is already `{}`; nothing was changed\nhint: pass `--force` to replace it with `{url}`",
                redact(&current)
            ))),
            Some(_) => self.git.run(&["remote", "set-url", REMOTE, url]).map(drop),
            None => self.git.run(&["remote", "add", REMOTE, url]).map(drop),
        }
    }

    /// The branch the catalog is on.
    pub(crate) fn branch(&self) -> Result<String> {
        Ok(self.git.run(&["symbolic-ref", "--short", "-q", "HEAD"])?.trim().to_string())
    }

    /// The remote's URL as it may be shown, or an error saying how to set one.
    pub(crate) fn require_remote(&self) -> Result<String> {
        self.remote_url()?.ok_or_else(|| {
            CatalogError::refused(format!(
                "the catalog at `{}` has no remote\nhint: set one with `xorq catalog set-remote <url>` (any git URL, or the path of a bare repository)",
                self.root.display()
            ))
        })
    }

    /// Pushes the catalog's commits to the remote. A remote that moved on is refused by git;
    /// the error says to pull first. Nothing local changes, so no lock is taken.
    pub fn push(&self) -> Result<PushOutcome> {
        let url = self.require_remote()?;
        let branch = self.branch()?;
        let refspec = format!("HEAD:refs/heads/{branch}");
        let args = ["push", "--porcelain", "-u", REMOTE, refspec.as_str()];
        let ran = self.git.try_run(&args)?;
        if !ran.ok {
            let text = format!("{}\n{}", ran.stdout, ran.stderr);
            let hint =
                if text.contains("[rejected]") || text.contains("fetch first") || text.contains("non-fast-forward") {
                    "the remote has changes this clone does not; run `xorq catalog pull`, then push again"
                } else {
                    "check the remote URL and your access to it (`git -C <catalog> remote -v`)"
                };
            return Err(self.git.failed(&args[..1], &format!("pushing to `{url}` failed: {}", ran.stderr), hint));
        }
        let up_to_date = ran.stdout.lines().any(|l| l.starts_with("=\t"));
        Ok(if up_to_date { PushOutcome::UpToDate } else { PushOutcome::Pushed })
    }
}

fn clone_into(url: &str, root: &Path, parent: &Path) -> Result<(Catalog, Cloned)> {
    let git = Git::new(parent);
    let target = root.to_string_lossy().into_owned();
    let args = ["clone", "-q", "--", url, target.as_str()];
    let ran = git.try_run(&args)?;
    if !ran.ok {
        return Err(git.failed(&args[..1], &ran.stderr, "check the URL and your access to it"));
    }
    let git = Git::new(root);
    if !git.try_run(&["rev-parse", "--verify", "-q", "HEAD"])?.ok {
        // No branch checked out: the remote is empty, or its HEAD names a branch it does not
        // have (a bare repository made with another default branch). Take `main`, else the
        // first branch there is; with none, start a catalog.
        let branches = git.run(&["for-each-ref", "--format=%(refname:strip=3)", &format!("refs/remotes/{REMOTE}/")])?;
        let branches: Vec<&str> = branches.lines().filter(|b| !b.is_empty() && *b != "HEAD").collect();
        match branches.iter().find(|b| **b == "main").or(branches.first()) {
            Some(branch) => {
                git.run(&["checkout", "-q", "-b", branch, "--track", &format!("{REMOTE}/{branch}")])?;
            }
            None => {
                crate::catalog::first_commit(&git, root)?;
                return Ok((Catalog::open(root)?, Cloned::Initialized));
            }
        }
    }
    match Catalog::open(root) {
        Ok(catalog) => Ok((catalog, Cloned::Catalog)),
        Err(CatalogError::NotACatalog { .. }) => Err(CatalogError::NotACatalog {
            path: root.to_path_buf(),
            reason: format!("the repository at `{}` has no catalog.yaml; it is some other git repository", redact(url)),
        }),
        Err(e) => Err(e),
    }
}
