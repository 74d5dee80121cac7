//! Repository integrity: a Git object ddf needs and cannot read (missing from the object
//! database, or corrupt) is an error naming the object and what needed it, never a gap that a
//! command silently works around. A history with a hole in it would pass the change-control
//! rules it should fail, and a record version that cannot be read would look like an edit.
//!
//! A shallow clone is not damage: its boundary is recorded by Git, and the history stops there
//! on purpose (ddf says so). Everything else ddf asks of the object database and does not get is
//! an [`IntegrityError`].

use std::fmt;
use std::path::{Path, PathBuf};

/// The kind of a Git object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A commit.
    Commit,
    /// A tree (a folder).
    Tree,
    /// A blob (a file's content).
    Blob,
    /// An object of a kind Git could not tell (it was never read).
    Object,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Commit => "commit",
            ObjectKind::Tree => "tree",
            ObjectKind::Blob => "blob",
            ObjectKind::Object => "object",
        })
    }
}

/// What needed the object: where it sits in the repository, so the message says what is lost
/// (`commit 1a2b… (parent of 4d5e…)`). Commit ids are full; they are shortened for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// What a reference or revision names (`HEAD`, `refs/heads/main`, `v1.0`).
    Named(String),
    /// A commit of the history being read.
    Walked,
    /// A parent of this commit.
    ParentOf(String),
    /// The root tree of this commit.
    TreeOf(String),
    /// A file or folder at `path` (from the repository top) in `commit`.
    PathIn {
        /// The path, `/`-separated.
        path: String,
        /// The commit.
        commit: String,
    },
    /// A version of this record, read to show its body.
    VersionOf(String),
    /// Read while resolving this revision, as the user wrote it.
    Resolving(String),
    /// Read while comparing two revisions (`worktree` for the working tree).
    Comparing {
        /// The base.
        base: String,
        /// The head.
        head: String,
    },
}

/// The first 10 characters of a commit id, as ddf prints commits everywhere.
fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Named(name) => write!(f, "named by `{name}`"),
            Role::Walked => f.write_str("in the history being read"),
            Role::ParentOf(c) => write!(f, "parent of {}", short(c)),
            Role::TreeOf(c) => write!(f, "root tree of commit {}", short(c)),
            Role::PathIn { path, commit } => write!(f, "`{path}` in commit {}", short(commit)),
            Role::VersionOf(id) => write!(f, "a version of {id}"),
            Role::Resolving(rev) => write!(f, "needed to resolve `{rev}`"),
            Role::Comparing { base, head } => {
                write!(f, "needed to compare {} with {}", short(base), short(head))
            }
        }
    }
}

/// What is wrong with the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The object database does not have it.
    Missing,
    /// It is there but cannot be read (a corrupt loose object or pack): Git's message.
    Unreadable(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("is missing from the repository"),
            Problem::Unreadable(why) => write!(f, "cannot be read: {why}"),
        }
    }
}

/// How to repair a repository that lost objects (or holds corrupt ones).
pub const REPAIR: &str = "run `git fsck` to see what else is damaged; fetch the missing objects (`git fetch`), or re-clone the repository";

/// A repository ddf cannot read whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    /// An object ddf needs is missing or corrupt.
    #[error("{kind} {id} ({role}) {problem}")]
    Object {
        /// Its kind.
        kind: ObjectKind,
        /// Its full id.
        id: String,
        /// What needed it.
        role: Role,
        /// What is wrong.
        problem: Problem,
    },
    /// A revision that leads through an object Git cannot read, where libgit2 does not say
    /// which (a corrupt pack or loose object met while resolving it).
    #[error("revision `{rev}` cannot be read from the repository: {detail}")]
    Revision {
        /// The revision, as the user wrote it.
        rev: String,
        /// libgit2's message.
        detail: String,
    },
    /// A `.git` file or folder that does not lead to a usable repository (a worktree or
    /// submodule whose repository moved, a `gitdir:` pointing nowhere).
    #[error("{} does not lead to a usable Git repository: {detail}", path.display())]
    GitDir {
        /// The `.git` file or folder.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
}

impl IntegrityError {
    /// An object that is not in the object database.
    pub fn missing(kind: ObjectKind, id: impl ToString, role: Role) -> IntegrityError {
        IntegrityError::Object {
            kind,
            id: id.to_string(),
            role,
            problem: Problem::Missing,
        }
    }

    /// The object `id` that libgit2 failed to read with `e`: missing, or unreadable with
    /// libgit2's message.
    pub fn read(kind: ObjectKind, id: impl ToString, role: Role, e: &git2::Error) -> Self {
        IntegrityError::Object {
            kind,
            id: id.to_string(),
            role,
            problem: if is_missing(e) {
                Problem::Missing
            } else {
                Problem::Unreadable(e.message().to_string())
            },
        }
    }

    /// How to repair the repository.
    pub fn hint(&self) -> &'static str {
        match self {
            IntegrityError::Object { .. } | IntegrityError::Revision { .. } => REPAIR,
            IntegrityError::GitDir { .. } => {
                "fix the `gitdir:` line (a moved worktree: `git worktree repair`), remove the `.git` entry, or re-clone the repository"
            }
        }
    }
}

/// Whether `e` says an object is not in the object database (as opposed to a path that is not
/// in a tree, which libgit2 also reports as "not found").
pub fn is_missing(e: &git2::Error) -> bool {
    e.code() == git2::ErrorCode::NotFound && e.class() == git2::ErrorClass::Odb
}

/// Whether `e` comes from reading the object database: a missing object, a corrupt one, or a
/// damaged pack (not, say, a revision that names a tree where a commit was asked for).
pub fn is_damage(e: &git2::Error) -> bool {
    matches!(e.class(), git2::ErrorClass::Odb | git2::ErrorClass::Zlib)
}

/// The full object id libgit2 names in `e` ("object not found - no match for id (…)"), when the
/// error is about an object missing from the object database.
pub fn missing_id(e: &git2::Error) -> Option<String> {
    if !is_missing(e) {
        return None;
    }
    e.message()
        .split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 40 || w.len() == 64)
        .map(str::to_ascii_lowercase)
}

/// Why `git2::Repository::discover(start)` failed, when the cause is a `.git` entry that does not
/// lead to a repository (rather than no repository at all): the nearest `.git` file or folder
/// at or above `start`, with libgit2's error.
pub fn broken_git_dir(start: &Path, e: &git2::Error) -> Option<IntegrityError> {
    let dot_git = start
        .ancestors()
        .map(|d| d.join(".git"))
        .find(|p| p.symlink_metadata().is_ok())?;
    let detail = match gitdir_line(&dot_git) {
        Some(target) => format!("it points to {target}, which is not a Git repository"),
        None => e.message().to_string(),
    };
    Some(IntegrityError::GitDir {
        path: dot_git,
        detail,
    })
}

/// The `gitdir:` target of a `.git` file (a worktree or submodule), if `path` is such a file.
fn gitdir_line(path: &Path) -> Option<String> {
    use std::io::Read;
    if !path.symlink_metadata().ok()?.is_file() {
        return None;
    }
    // A `.git` file is one line; read no more than a path could need.
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(8192)
        .read_to_string(&mut text)
        .ok()?;
    let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    (!target.is_empty()).then(|| target.to_string())
}

/// The entry at `path` (`/`-separated, from the top of `tree`, the root tree of `commit`), `None`
/// when there is none. Each folder on the way is read, so a folder the repository lost is named
/// as such, not mistaken for a path that does not exist (libgit2's own path lookup reports both
/// as "not found").
pub fn entry_at(
    repo: &git2::Repository,
    tree: &git2::Tree<'_>,
    path: &str,
    commit: &str,
) -> Result<Option<git2::TreeEntry<'static>>, IntegrityError> {
    let mut parts = path.split('/').filter(|p| !p.is_empty()).peekable();
    let mut here: Option<git2::Tree<'_>> = None;
    let mut walked = String::new();
    while let Some(name) = parts.next() {
        let current = here.as_ref().unwrap_or(tree);
        let Some(entry) = current.get_name(name).map(|e| e.to_owned()) else {
            return Ok(None);
        };
        if parts.peek().is_none() {
            return Ok(Some(entry));
        }
        if entry.kind() != Some(git2::ObjectType::Tree) {
            return Ok(None);
        }
        if !walked.is_empty() {
            walked.push('/');
        }
        walked.push_str(name);
        let sub = repo.find_tree(entry.id()).map_err(|e| {
            IntegrityError::read(
                ObjectKind::Tree,
                entry.id(),
                Role::PathIn {
                    path: walked.clone(),
                    commit: commit.to_string(),
                },
                &e,
            )
        })?;
        here = Some(sub);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_object_and_what_needed_it() {
        let e = IntegrityError::missing(
            ObjectKind::Commit,
            "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
            Role::ParentOf("4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70".into()),
        );
        assert_eq!(
            e.to_string(),
            "commit 1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d (parent of 4d5e6f7081) is missing from the repository"
        );
        let e = IntegrityError::Object {
            kind: ObjectKind::Blob,
            id: "ab".into(),
            role: Role::PathIn {
                path: "records/UN-001.md".into(),
                commit: "4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70".into(),
            },
            problem: Problem::Unreadable("bad zlib stream".into()),
        };
        assert_eq!(
            e.to_string(),
            "blob ab (`records/UN-001.md` in commit 4d5e6f7081) cannot be read: bad zlib stream"
        );
        assert!(e.hint().contains("git fsck"));
    }

    #[test]
    fn the_missing_id_comes_from_libgit2s_message() {
        let e = git2::Error::new(
            git2::ErrorCode::NotFound,
            git2::ErrorClass::Odb,
            "object not found - no match for id (72B89E8162C34F9DB91C6952FE4ADD2F5BBB304C)",
        );
        assert_eq!(
            missing_id(&e).as_deref(),
            Some("72b89e8162c34f9db91c6952fe4add2f5bbb304c")
        );
        let prefix = git2::Error::new(
            git2::ErrorCode::NotFound,
            git2::ErrorClass::Odb,
            "object not found - no match for id prefix (deadbeef)",
        );
        assert_eq!(missing_id(&prefix), None);
        let path = git2::Error::new(
            git2::ErrorCode::NotFound,
            git2::ErrorClass::Tree,
            "the path 'x' does not exist in the given tree",
        );
        assert!(!is_missing(&path));
    }

    #[test]
    fn a_git_file_pointing_nowhere_is_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(dir.path().join("a/.git"), "gitdir: /nowhere\n").expect("write");
        let e = git2::Error::from_str("not a repository");
        match broken_git_dir(&sub, &e) {
            Some(IntegrityError::GitDir { path, detail }) => {
                assert_eq!(path, dir.path().join("a/.git"));
                assert!(detail.contains("/nowhere"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }
}
