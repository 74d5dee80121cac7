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
use crate::integrity::{IntegrityError, ObjectKind, Role};
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
    /// The repository is missing or cannot read an object the revision needs.
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
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
            SourceError::Integrity(e) => Some(e.hint()),
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
            } else if misnamed_record(&name) {
                // Not read (it is not named as a record), but never skipped silently.
                out.push((rel, path, Some(misnamed_issue(&name))));
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

/// Whether a file name looks like a Markdown record but is not named `*.md`, which is what ddf
/// reads: `*.MD`, `*.Md`, `*.markdown` in any case. Such a file is reported (rule
/// `file-extension`), never silently left out, since on a case-insensitive file system or to a
/// reader it looks like a record.
pub fn misnamed_record(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".md") && !name.ends_with(".md")) || lower.ends_with(".markdown")
}

/// The issue reported for a [`misnamed_record`].
fn misnamed_issue(name: &str) -> ReadIssue {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    ReadIssue {
        message: format!("`{name}` is not read as a record: ddf reads only files named `*.md`"),
        hint: format!(
            "rename it to `{stem}.md` (with `git mv`), or move it out of the records folder"
        ),
        warning: true,
    }
}

/// Why a record file over [`MAX_FILE`] bytes is not read.
pub(crate) fn too_large(size: u64) -> ReadIssue {
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
    /// The revision as the user wrote it.
    rev: String,
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
        let (repo, prefix) = repository_of(&root)?
            .ok_or_else(|| SourceError::NotARepository(root.display().to_string()))?;
        let commit = resolve_commit(&repo, rev)?;
        Ok(GitRev {
            repo: Mutex::new(repo),
            rev: rev.to_string(),
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
/// top, `/`-separated (empty at the top): where a DDF sits in its repository. `None` when there
/// is no repository; an error when a `.git` file or folder is there but leads nowhere usable
/// (that is a damaged repository, not the absence of one).
pub fn repository_of(root: &Path) -> Result<Option<(git2::Repository, String)>, IntegrityError> {
    let repo = match git2::Repository::discover(root) {
        Ok(r) => r,
        Err(e) => {
            return match crate::integrity::broken_git_dir(root, &e) {
                Some(broken) => Err(broken),
                None => Ok(None),
            }
        }
    };
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
    Ok(Some((repo, prefix)))
}

/// Whether the working tree at `root` (a DDF root) has uncommitted changes to any of `paths`
/// (relative to the root, `/`-separated: a file, or a folder and everything below it): modified,
/// staged, deleted or new files, ignored ones aside. `None` when there is no repository or no
/// commit to compare with, or Git cannot tell. Only the paths given count, so a site written
/// under the root (`site/`) never makes the next build say the tree changed.
pub fn uncommitted(root: &Path, paths: &[String]) -> Option<bool> {
    let root = root.canonicalize().ok()?;
    let (repo, prefix) = repository_of(&root).ok()??;
    repo.head().ok()?.target()?;
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        // Paths are literal: a `*` in a file name is not a pattern.
        .disable_pathspec_match(true);
    let mut specs: Vec<String> = Vec::new();
    let mut whole_root = false;
    for p in paths {
        let p = p.trim_start_matches("./").trim_matches('/');
        if p.split('/').any(|c| c == "..") {
            continue;
        }
        if p.is_empty() || p == "." {
            // Records at the DDF root: every file below it counts.
            whole_root = true;
        } else if prefix.is_empty() {
            specs.push(p.to_string());
        } else {
            specs.push(format!("{prefix}/{p}"));
        }
    }
    if whole_root {
        specs = if prefix.is_empty() {
            Vec::new()
        } else {
            vec![prefix.clone()]
        };
    } else if specs.is_empty() {
        return Some(false);
    }
    for spec in &specs {
        opts.pathspec(spec);
    }
    repo.statuses(Some(&mut opts)).ok().map(|s| !s.is_empty())
}

/// Resolves a revision (commit, tag, branch, `HEAD~2`, ...) to a commit id, with errors that say
/// what is wrong: no commits yet, no such revision, or an object the revision leads through that
/// the repository lost (which is not the same as a revision that does not exist).
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
        // A full id that is not the one the user typed: the revision resolved that far, and the
        // object it leads to is gone.
        Err(e)
            if crate::integrity::missing_id(&e)
                .is_some_and(|id| !rev.to_ascii_lowercase().contains(&id)) =>
        {
            let id = crate::integrity::missing_id(&e).unwrap_or_default();
            Err(IntegrityError::missing(ObjectKind::Object, id, Role::Resolving(rev.into())).into())
        }
        Err(e) if crate::integrity::is_damage(&e) && !crate::integrity::is_missing(&e) => {
            Err(IntegrityError::Revision {
                rev: rev.into(),
                detail: e.message().to_string(),
            }
            .into())
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
        let full = self.full(path);
        let tree = self.root_tree(&repo)?;
        let Some(entry) = self.entry_at(&repo, &tree, &full)? else {
            return Ok(None);
        };
        // A link's blob is its target's path: reading it as the file would be wrong, and
        // following it could leave the repository.
        if entry.filemode() == 0o120000 {
            return Err(refused(Refusal::GitLink));
        }
        if entry.kind() != Some(git2::ObjectType::Blob) {
            return Ok(None);
        }
        let blob = repo
            .find_blob(entry.id())
            .map_err(|e| self.damaged(ObjectKind::Blob, entry.id(), &full, &e))?;
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
        let tree = self.root_tree(&repo)?;
        let full = self.full(dir);
        let sub = if full.is_empty() {
            tree
        } else {
            match self.entry_at(&repo, &tree, &full)? {
                Some(e) if e.kind() == Some(git2::ObjectType::Tree) => repo
                    .find_tree(e.id())
                    .map_err(|err| self.damaged(ObjectKind::Tree, e.id(), &full, &err))?,
                _ => return Err(SourceError::NoRecords(dir.into())),
            }
        };
        let mut out = Vec::new();
        self.collect(&repo, &sub, dir, &full, keep, &mut out)?;
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}

impl GitRev {
    /// The error for object `id` at `path` (from the repository top) that cannot be read.
    fn damaged(&self, kind: ObjectKind, id: git2::Oid, path: &str, e: &git2::Error) -> SourceError {
        IntegrityError::read(
            kind,
            id,
            Role::PathIn {
                path: path.to_string(),
                commit: self.commit.to_string(),
            },
            e,
        )
        .into()
    }

    /// The commit's root tree.
    fn root_tree<'r>(&self, repo: &'r git2::Repository) -> Result<git2::Tree<'r>, SourceError> {
        let commit = repo.find_commit(self.commit).map_err(|e| {
            IntegrityError::read(
                ObjectKind::Commit,
                self.commit,
                Role::Named(self.rev.clone()),
                &e,
            )
        })?;
        commit.tree().map_err(|e| {
            IntegrityError::read(
                ObjectKind::Tree,
                commit.tree_id(),
                Role::TreeOf(self.commit.to_string()),
                &e,
            )
            .into()
        })
    }

    /// The entry at `path` (from the repository top) in `tree`, `None` when there is none.
    fn entry_at(
        &self,
        repo: &git2::Repository,
        tree: &git2::Tree<'_>,
        path: &str,
    ) -> Result<Option<git2::TreeEntry<'static>>, SourceError> {
        Ok(crate::integrity::entry_at(
            repo,
            tree,
            path,
            &self.commit.to_string(),
        )?)
    }

    /// The `*.md` files below `tree` (at `dir` from the DDF root, `full` from the repository
    /// top) that `keep` accepts, with their content; hidden files and folders are skipped.
    fn collect(
        &self,
        repo: &git2::Repository,
        tree: &git2::Tree<'_>,
        dir: &str,
        full: &str,
        keep: &(dyn Fn(&str) -> bool + Sync),
        out: &mut Vec<SourceFile>,
    ) -> Result<(), SourceError> {
        for entry in tree.iter() {
            let Ok(name) = entry.name() else { continue };
            if name.starts_with('.') {
                continue;
            }
            let path = format!("{dir}/{name}");
            let full_path = if full.is_empty() {
                name.to_string()
            } else {
                format!("{full}/{name}")
            };
            match entry.kind() {
                Some(git2::ObjectType::Tree) => {
                    let sub = repo
                        .find_tree(entry.id())
                        .map_err(|e| self.damaged(ObjectKind::Tree, entry.id(), &full_path, &e))?;
                    self.collect(repo, &sub, &path, &full_path, keep, out)?;
                }
                Some(git2::ObjectType::Blob) if misnamed_record(name) && keep(&path) => {
                    out.push(SourceFile {
                        content: Err(misnamed_issue(name)),
                        path,
                    });
                }
                Some(git2::ObjectType::Blob) if name.ends_with(".md") && keep(&path) => {
                    let content = if entry.filemode() == 0o120000 {
                        Err(ReadIssue {
                            message:
                                "the record is a symbolic link in Git, which ddf does not follow"
                                    .into(),
                            hint: "commit the record itself rather than a link to it".into(),
                            warning: false,
                        })
                    } else {
                        let b = repo.find_blob(entry.id()).map_err(|e| {
                            self.damaged(ObjectKind::Blob, entry.id(), &full_path, &e)
                        })?;
                        if b.size() as u64 > MAX_FILE {
                            Err(too_large(b.size() as u64))
                        } else {
                            Ok(b.content().to_vec())
                        }
                    };
                    out.push(SourceFile { path, content });
                }
                _ => {}
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::uncommitted;
    use std::process::Command;

    fn git(dir: &std::path::Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .output()
            .expect("git runs")
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn uncommitted_counts_only_the_paths_given() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let paths = ["records".to_string(), "ddf.yaml".to_string()];
        std::fs::create_dir_all(d.join("records/sub")).expect("mkdir");
        std::fs::write(d.join("ddf.yaml"), "project: T\n").expect("write");
        std::fs::write(d.join("records/sub/UN-001.md"), "a").expect("write");
        git(d, &["init", "-q"]);
        assert_eq!(uncommitted(d, &paths), None, "no commit yet");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", "x"]);
        assert_eq!(uncommitted(d, &paths), Some(false));
        // Files outside the DDF's own (a site written under the root) do not count.
        std::fs::create_dir_all(d.join("site")).expect("mkdir");
        std::fs::write(d.join("site/index.html"), "x").expect("write");
        std::fs::write(d.join("recordsX.md"), "x").expect("write");
        assert_eq!(uncommitted(d, &paths), Some(false));
        std::fs::write(d.join("records/sub/UN-001.md"), "b").expect("write");
        assert_eq!(uncommitted(d, &paths), Some(true));
        git(d, &["checkout", "-q", "--", "records"]);
        assert_eq!(uncommitted(d, &paths), Some(false));
        std::fs::write(d.join("records/sub/UN-002.md"), "new").expect("write");
        assert_eq!(uncommitted(d, &paths), Some(true), "a new record counts");
    }
}
