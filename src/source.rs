//! Where records are read from: the working tree, or a Git revision (through git2), behind one
//! interface.
//!
//! Both sources list the `*.md` files below the records folder and return their bytes; a file
//! that cannot be read is returned with a [`ReadIssue`] instead of failing the whole load, so one
//! bad file never hides the others. The DDF root may be any folder inside the repository.
//!
//! The working tree is read through [`crate::fsafe`]: only regular files whose real path stays
//! inside the repository (and out of `.git`), so a hostile pull request cannot make ddf read a
//! secret, publish it, or hang on a FIFO.

use crate::fsafe::Refusal;
use rayon::prelude::*;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// Largest record file ddf reads. Records are kilobytes; a bigger file is almost certainly an
/// attachment saved with the wrong extension.
pub const MAX_FILE: u64 = 8 * 1024 * 1024;

/// Largest file of any kind ddf reads from a source: an SBOM a release names is the largest.
pub const MAX_READ: u64 = crate::sbom::MAX_SBOM;

/// A file below the records folder.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the DDF root, `/`-separated.
    pub path: String,
    /// The bytes, or why they could not be read.
    pub content: Result<Vec<u8>, ReadIssue>,
}

/// Why one file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadIssue {
    /// What happened.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// Reported as a warning, not an error: nothing of the DDF is lost (a link to a folder
    /// outside the repository, which cannot hold records).
    pub warning: bool,
}

impl From<Refusal> for ReadIssue {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::TooLarge { size, .. } => too_large(size),
            r => ReadIssue {
                message: r.to_string(),
                hint: r.hint().into(),
                warning: false,
            },
        }
    }
}

/// A source that cannot be opened or listed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The revision does not resolve.
    #[error("revision `{rev}` does not exist in {repo}")]
    NoSuchRevision {
        /// What the user asked for.
        rev: String,
        /// The repository.
        repo: String,
    },
    /// `--rev` outside a Git repository.
    #[error("{0} is not inside a Git repository, so --rev cannot be used")]
    NotARepository(String),
    /// The repository has no commits yet.
    #[error("the repository has no commits yet, so revision `{0}` does not exist")]
    NoCommits(String),
    /// The records folder is missing.
    #[error("the records folder `{0}` does not exist")]
    NoRecords(String),
    /// The records folder is a link that leads out of the repository or into `.git`.
    #[error("the records folder `{0}` (`records:` in ddf.yaml) leads outside the repository or into .git")]
    RecordsOutside(String),
    /// A file ddf will not read: a link out of the repository, a FIFO, a path into `.git`.
    #[error("{path}: {reason}")]
    Refused {
        /// The path, relative to the DDF root.
        path: String,
        /// Why.
        reason: Refusal,
    },
    /// Any other Git failure.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// Any other I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl SourceError {
    /// A hint for the user.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            SourceError::NoSuchRevision { .. } => {
                Some("`git tag`, `git branch -a` and `git log --oneline` list what exists")
            }
            SourceError::NotARepository(_) => {
                Some("run `git init` and commit, or drop --rev to read the working tree")
            }
            SourceError::NoCommits(_) => {
                Some("commit the records first, or drop --rev to read the working tree")
            }
            SourceError::NoRecords(_) => {
                Some("create it, set `records:` in ddf.yaml, or run `ddf init`")
            }
            SourceError::RecordsOutside(_) => {
                Some("keep the records in a folder of the repository itself, not a link to one elsewhere")
            }
            SourceError::Refused { reason, .. } => Some(reason.hint()),
            _ => None,
        }
    }
}

/// Where records come from.
pub trait Source: Sync {
    /// `worktree`, or the full commit id.
    fn describe(&self) -> String;
    /// Reads one file relative to the DDF root; `None` if it does not exist.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError>;
    /// Every `*.md` file below `dir` (relative to the DDF root), sorted by path.
    fn records(&self, dir: &str) -> Result<Vec<SourceFile>, SourceError> {
        self.records_where(dir, &|_| true)
    }
    /// The `*.md` files below `dir` whose path `keep` accepts; the others are not even read.
    fn records_where(
        &self,
        dir: &str,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Vec<SourceFile>, SourceError>;
}

/// Opens the working tree at `root`, or revision `rev` of the repository that contains it.
pub fn open(root: &Path, rev: Option<&str>) -> Result<Box<dyn Source>, SourceError> {
    match rev {
        None => Ok(Box::new(Worktree::new(root))),
        Some(rev) => Ok(Box::new(GitRev::open(root, rev)?)),
    }
}

/// The working tree.
#[derive(Debug)]
pub struct Worktree {
    root: PathBuf,
    /// Symlinks must resolve inside this folder: the repository when there is one.
    fence: PathBuf,
}

impl Worktree {
    /// The working tree at `root` (the DDF root).
    pub fn new(root: &Path) -> Self {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let fence = git2::Repository::discover(&root)
            .ok()
            .and_then(|r| r.workdir().and_then(|w| w.canonicalize().ok()))
            .unwrap_or_else(|| root.clone());
        Worktree { root, fence }
    }

    fn walk(
        &self,
        dir: &Path,
        out: &mut Vec<(String, PathBuf, Option<ReadIssue>)>,
    ) -> Result<(), SourceError> {
        let io = |source, p: &Path| SourceError::Io {
            path: p.display().to_string(),
            source,
        };
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(e, dir))?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let rel = self.rel(&path);
            // The entry's own type comes from the directory listing: no stat per file.
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if file_type.is_symlink() {
                let target = path.canonicalize();
                let inside = target.as_ref().is_ok_and(|t| t.starts_with(&self.fence));
                let is_dir = target.as_ref().is_ok_and(|t| t.is_dir());
                if is_dir {
                    // Following folder links risks loops, double counting, and reading the
                    // site's own output or files outside the repository; say so instead.
                    let issue = if inside {
                        ReadIssue {
                            message: "a symbolic link to a folder is not followed".into(),
                            hint:
                                "move the records into the records folder instead of linking them"
                                    .into(),
                            warning: false,
                        }
                    } else {
                        ReadIssue {
                            message: "a symbolic link to a folder outside the repository is skipped".into(),
                            hint: "records must live in the repository, where Git keeps their history; remove the link".into(),
                            warning: true,
                        }
                    };
                    out.push((rel, path, Some(issue)));
                    continue;
                }
                // A link to a file is read through `fsafe`, which refuses one that leaves the
                // repository.
                if name.ends_with(".md") {
                    out.push((rel, path, None));
                }
            } else if file_type.is_dir() {
                self.walk(&path, out)?;
            } else if name.ends_with(".md") {
                // Also a FIFO, socket or device named `*.md`: `fsafe` refuses it without opening it.
                out.push((rel, path, None));
            }
        }
        Ok(())
    }

    fn rel(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        rel.components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn too_large(size: u64) -> ReadIssue {
    ReadIssue {
        message: format!(
            "the file is {size} bytes, more than the {MAX_FILE} bytes a record may have"
        ),
        hint: "keep large evidence as an attachment (not *.md) and link to it from the record body"
            .into(),
        warning: false,
    }
}

impl Source for Worktree {
    fn describe(&self) -> String {
        "worktree".into()
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        crate::fsafe::read(&self.fence, &self.root, path, MAX_READ).map_err(|reason| {
            SourceError::Refused {
                path: path.into(),
                reason,
            }
        })
    }

    fn records_where(
        &self,
        dir: &str,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Vec<SourceFile>, SourceError> {
        let base = self.root.join(dir);
        if !base.is_dir() {
            return Err(SourceError::NoRecords(dir.into()));
        }
        // The folder itself may be a link: its real path must stay in the repository.
        let real = base.canonicalize().map_err(|source| SourceError::Io {
            path: dir.into(),
            source,
        })?;
        let leaves = crate::fsafe::check_relative(dir).is_err()
            || real.strip_prefix(&self.fence).map_or(true, |inside| {
                inside
                    .components()
                    .any(|c| c.as_os_str().eq_ignore_ascii_case(".git"))
            });
        if leaves {
            return Err(SourceError::RecordsOutside(dir.into()));
        }
        let mut found = Vec::new();
        self.walk(&base, &mut found)?;
        found.retain(|(path, _, _)| keep(path));
        Ok(found
            .into_par_iter()
            .map(|(path, full, issue)| {
                let content = match issue {
                    Some(i) => Err(i),
                    None => match crate::fsafe::read_path(&self.fence, &full, MAX_FILE, true) {
                        Ok(Some(bytes)) => Ok(bytes),
                        // Removed since the listing.
                        Ok(None) => {
                            Err(Refusal::Io("the file disappeared while it was read".into()).into())
                        }
                        Err(r) => Err(r.into()),
                    },
                };
                SourceFile { path, content }
            })
            .collect())
    }
}

/// A Git revision of the repository that contains the DDF root.
pub struct GitRev {
    repo: Mutex<git2::Repository>,
    commit: git2::Oid,
    /// The DDF root relative to the repository's top, `/`-separated, empty at the top.
    prefix: String,
}

impl std::fmt::Debug for GitRev {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitRev")
            .field("commit", &self.commit)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl GitRev {
    /// Opens revision `rev` of the repository containing `root`.
    pub fn open(root: &Path, rev: &str) -> Result<GitRev, SourceError> {
        let root = root.canonicalize().map_err(|source| SourceError::Io {
            path: root.display().to_string(),
            source,
        })?;
        let (repo, prefix) = repository_of(&root)
            .ok_or_else(|| SourceError::NotARepository(root.display().to_string()))?;
        let commit = resolve_commit(&repo, rev)?;
        Ok(GitRev {
            repo: Mutex::new(repo),
            commit,
            prefix,
        })
    }

    fn full(&self, path: &str) -> String {
        if self.prefix.is_empty() {
            path.to_string()
        } else if path.is_empty() {
            self.prefix.clone()
        } else {
            format!("{}/{}", self.prefix, path)
        }
    }
}

/// The repository containing `root` (a canonical path) and `root` relative to the repository's
/// top, `/`-separated (empty at the top): where a DDF sits in its repository.
pub fn repository_of(root: &Path) -> Option<(git2::Repository, String)> {
    let repo = git2::Repository::discover(root).ok()?;
    let top = repo
        .workdir()
        .and_then(|w| w.canonicalize().ok())
        .unwrap_or_else(|| root.to_path_buf());
    let prefix = root
        .strip_prefix(&top)
        .map(|p| {
            p.components()
                .filter_map(|c| c.as_os_str().to_str())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default();
    Some((repo, prefix))
}

/// Resolves a revision (commit, tag, branch, `HEAD~2`, ...) to a commit id, with errors that say
/// what is wrong: no commits yet, or no such revision.
pub fn resolve_commit(repo: &git2::Repository, rev: &str) -> Result<git2::Oid, SourceError> {
    let repo_name = repo
        .workdir()
        .unwrap_or_else(|| repo.path())
        .display()
        .to_string();
    match repo.revparse_single(rev).and_then(|o| o.peel_to_commit()) {
        Ok(c) => Ok(c.id()),
        // An unborn HEAD (no commits on the current branch, whatever its name) is the empty case.
        Err(_) if matches!(repo.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch) => {
            Err(SourceError::NoCommits(rev.into()))
        }
        Err(_) => Err(SourceError::NoSuchRevision {
            rev: rev.into(),
            repo: repo_name,
        }),
    }
}

impl Source for GitRev {
    fn describe(&self) -> String {
        self.commit.to_string()
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let refused = |reason| SourceError::Refused {
            path: path.into(),
            reason,
        };
        crate::fsafe::check_relative(path).map_err(refused)?;
        let repo = self.repo.lock().unwrap_or_else(|p| p.into_inner());
        let tree = repo.find_commit(self.commit)?.tree()?;
        let Ok(entry) = tree.get_path(Path::new(&self.full(path))) else {
            return Ok(None);
        };
        // A link's blob is its target's path: reading it as the file would be wrong, and
        // following it could leave the repository.
        if entry.filemode() == 0o120000 {
            return Err(refused(Refusal::GitLink));
        }
        let Ok(blob) = repo.find_blob(entry.id()) else {
            return Ok(None);
        };
        if blob.size() as u64 > MAX_READ {
            return Err(refused(Refusal::TooLarge {
                size: blob.size() as u64,
                max: MAX_READ,
            }));
        }
        Ok(Some(blob.content().to_vec()))
    }

    fn records_where(
        &self,
        dir: &str,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Vec<SourceFile>, SourceError> {
        let repo = self.repo.lock().unwrap_or_else(|p| p.into_inner());
        let tree = repo.find_commit(self.commit)?.tree()?;
        let full = self.full(dir);
        let sub = if full.is_empty() {
            tree
        } else {
            let entry = tree
                .get_path(Path::new(&full))
                .map_err(|_| SourceError::NoRecords(dir.into()))?;
            repo.find_tree(entry.id())
                .map_err(|_| SourceError::NoRecords(dir.into()))?
        };
        let mut out = Vec::new();
        let mut walk_err = None;
        sub.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
            let Ok(name) = entry.name() else {
                return git2::TreeWalkResult::Ok;
            };
            if name.starts_with('.') {
                return git2::TreeWalkResult::Skip;
            }
            if !name.ends_with(".md") || entry.kind() != Some(git2::ObjectType::Blob) {
                return git2::TreeWalkResult::Ok;
            }
            let path = format!("{dir}/{parent}{name}");
            if !keep(&path) {
                return git2::TreeWalkResult::Ok;
            }
            let content = if entry.filemode() == 0o120000 {
                Err(ReadIssue {
                    message: "the record is a symbolic link in Git, which ddf does not follow"
                        .into(),
                    hint: "commit the record itself rather than a link to it".into(),
                    warning: false,
                })
            } else {
                match repo.find_blob(entry.id()) {
                    Ok(b) if b.size() as u64 > MAX_FILE => Err(too_large(b.size() as u64)),
                    Ok(b) => Ok(b.content().to_vec()),
                    Err(e) => {
                        walk_err = Some(e);
                        return git2::TreeWalkResult::Abort;
                    }
                }
            };
            out.push(SourceFile { path, content });
            git2::TreeWalkResult::Ok
        })?;
        if let Some(e) = walk_err {
            return Err(e.into());
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}

/// Finds the DDF root: `start` itself or the nearest ancestor holding `ddf.yaml`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .find(|d| d.join(crate::config::CONFIG_FILE).is_file())
        .map(Path::to_path_buf)
}
