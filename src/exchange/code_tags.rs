//! Code tags: a comment `ddf: DI-012` in a source file names the design record the code around it
//! implements, so the trace reaches from a design input or output down to file and line.
//!
//! The files are those under `code_tags` globs of `ddf.yaml` (relative to the repository top, as
//! `artifacts` are), read from the working tree or from the Git revision `--rev` names. A pull
//! request is untrusted input: working-tree files are read through [`crate::fsafe`] (regular
//! files inside the repository only, none in `.git`, bounded in size), folders Git ignores and
//! hidden folders are not entered, folder links are not followed, and a file with a NUL byte is
//! taken as binary and skipped.

use crate::diagnostic::{Diagnostic, Pos};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Largest file scanned for tags: source files are kilobytes; a generated or vendored blob over
/// this is skipped rather than read.
pub const MAX_CODE_FILE: u64 = 4 * 1024 * 1024;

/// How much of a file is looked at for a NUL byte to tell a binary file (as Git does).
const BINARY_SNIFF: usize = 8000;

/// One `ddf: ID` tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CodeTag {
    /// The file, relative to the DDF root as every path ddf reports is (`../src/x.rs` when the
    /// DDF sits in a subfolder `ddf/` of the repository), `/`-separated.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column of the id (in characters).
    pub column: usize,
    /// The id as written.
    pub id: String,
}

/// The comment openers a tag may follow, then `ddf:` and one or more comma-separated ids.
fn tag_regex() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(
            r"(?://|#|--|;|/\*|<!--)[ \t]*ddf:[ \t]*([A-Za-z0-9_-]+(?:[ \t]*,[ \t]*[A-Za-z0-9_-]+)*)",
        )
        .expect("static regex")
    })
}

/// The tags of one file's text.
pub fn scan_text(path: &str, text: &str) -> Vec<CodeTag> {
    let mut out = Vec::new();
    // Most lines of a source file hold no tag: one search for `ddf:` skips them.
    if !text.contains("ddf:") {
        return out;
    }
    for (i, line) in text.lines().enumerate() {
        if !line.contains("ddf:") {
            continue;
        }
        for caps in tag_regex().captures_iter(line) {
            let Some(ids) = caps.get(1) else { continue };
            let mut at = ids.start();
            for part in ids.as_str().split(',') {
                let lead = part.len() - part.trim_start().len();
                let id = part.trim();
                if !id.is_empty() {
                    let start = at + lead;
                    out.push(CodeTag {
                        path: path.to_string(),
                        line: i + 1,
                        column: line[..start].chars().count() + 1,
                        id: id.to_string(),
                    });
                }
                at += part.len() + 1;
            }
        }
    }
    out
}

/// Why the files could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The globs do not compile (ddf.yaml checks them first, so only from a library caller).
    #[error("code_tags: {0}")]
    Glob(String),
    /// The Git revision could not be read.
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    /// The repository is damaged.
    #[error(transparent)]
    Integrity(#[from] crate::integrity::IntegrityError),
}

/// The tags of every file under `globs`, sorted by path, line and column: of the working tree of
/// the repository holding `root` (the DDF root), or of revision `rev`.
pub fn scan(root: &Path, rev: Option<&str>, globs: &[String]) -> Result<Vec<CodeTag>, ScanError> {
    if globs.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(globset::Glob::new(g).map_err(|e| ScanError::Glob(e.to_string()))?);
    }
    let set = b.build().map_err(|e| ScanError::Glob(e.to_string()))?;
    let prefixes: Vec<String> = globs.iter().map(|g| literal_dir(g)).collect();
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let repo = crate::source::repository_of(&root)?;
    let prefix = repo.as_ref().map(|(_, p)| p.clone()).unwrap_or_default();
    let mut tags: Vec<CodeTag> = match rev {
        Some(rev) => {
            let Some((repo, _)) = repo else {
                return Err(
                    crate::source::SourceError::NotARepository(root.display().to_string()).into(),
                );
            };
            let commit = crate::source::resolve_commit(&repo, rev)?;
            git_files(&repo, commit, &set, &prefixes)?
                .par_iter()
                .flat_map(|(path, bytes)| {
                    text_of(bytes)
                        .map(|t| scan_text(path, &t))
                        .unwrap_or_default()
                })
                .collect()
        }
        None => {
            let (top, repo) = match repo {
                Some((repo, _)) => (
                    repo.workdir()
                        .and_then(|w| w.canonicalize().ok())
                        .unwrap_or_else(|| root.clone()),
                    Some(repo),
                ),
                None => (root.clone(), None),
            };
            let mut files = Vec::new();
            walk(&top, &top, repo.as_ref(), &set, &prefixes, &mut files);
            files
                .par_iter()
                .flat_map(|rel| {
                    match crate::fsafe::read(&top, &top, rel, MAX_CODE_FILE) {
                        Ok(Some(bytes)) => text_of(&bytes).map(|t| scan_text(rel, &t)),
                        _ => None,
                    }
                    .unwrap_or_default()
                })
                .collect()
        }
    };
    if !prefix.is_empty() {
        for t in &mut tags {
            t.path = from_root(&t.path, &prefix);
        }
    }
    tags.sort();
    Ok(tags)
}

/// `path` (from the repository top) as seen from the DDF root at `prefix` (also from the top).
fn from_root(path: &str, prefix: &str) -> String {
    match path.strip_prefix(prefix).and_then(|p| p.strip_prefix('/')) {
        Some(inside) => inside.to_string(),
        None => format!("{}{path}", "../".repeat(prefix.split('/').count())),
    }
}

/// The text of a file, or `None` for a binary one (a NUL byte near the start). Invalid UTF-8
/// is replaced, so a Latin-1 comment does not hide the ASCII tags around it.
fn text_of(bytes: &[u8]) -> Option<String> {
    if bytes[..bytes.len().min(BINARY_SNIFF)].contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// The folder part of a glob before its first wildcard (`src/` of `src/**/*.rs`, empty for
/// `**/*.c`): only folders on the way to or below one of these can hold a match.
fn literal_dir(glob: &str) -> String {
    let lit = glob
        .find(['*', '?', '[', '{', '\\'])
        .map_or(glob, |i| &glob[..i]);
    match lit.rfind('/') {
        Some(i) => lit[..=i].to_string(),
        None => String::new(),
    }
}

/// Whether folder `dir` (`/`-separated, ending in `/`) may hold a match: it leads to a glob's
/// literal folder, or lies below one.
fn may_hold(dir: &str, prefixes: &[String]) -> bool {
    prefixes
        .iter()
        .any(|p| p.starts_with(dir) || dir.starts_with(p.as_str()))
}

/// The files below `dir` (inside `top`) that `set` matches, as paths relative to `top`; hidden
/// entries, folders Git ignores, and links to folders are passed over.
fn walk(
    top: &Path,
    dir: &Path,
    repo: Option<&git2::Repository>,
    set: &globset::GlobSet,
    prefixes: &[String],
    out: &mut Vec<String>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            continue;
        }
        let Ok(kind) = e.file_type() else { continue };
        let path: PathBuf = e.path();
        let Ok(rel) = path.strip_prefix(top) else {
            continue;
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if kind.is_dir() {
            let as_dir = format!("{rel}/");
            if !may_hold(&as_dir, prefixes)
                || repo.is_some_and(|r| r.is_path_ignored(Path::new(&rel)).unwrap_or(false))
            {
                continue;
            }
            walk(top, &path, repo, set, prefixes, out);
        } else if (kind.is_file() || kind.is_symlink()) && set.is_match(&rel) {
            // A link is read through `fsafe`, which refuses one that leaves the repository or
            // leads to a folder.
            out.push(rel);
        }
    }
}

/// The blobs of `commit` that `set` matches, with their content; links and blobs over
/// [`MAX_CODE_FILE`] are skipped.
fn git_files(
    repo: &git2::Repository,
    commit: git2::Oid,
    set: &globset::GlobSet,
    prefixes: &[String],
) -> Result<Vec<(String, Vec<u8>)>, ScanError> {
    use crate::integrity::{IntegrityError, ObjectKind, Role};
    let c = repo.find_commit(commit).map_err(|e| {
        IntegrityError::read(
            ObjectKind::Commit,
            commit,
            Role::Named(commit.to_string()),
            &e,
        )
    })?;
    let tree = c.tree().map_err(|e| {
        IntegrityError::read(
            ObjectKind::Tree,
            c.tree_id(),
            Role::TreeOf(commit.to_string()),
            &e,
        )
    })?;
    let mut found = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let Ok(name) = entry.name() else {
            return git2::TreeWalkResult::Skip;
        };
        if name.starts_with('.') {
            return git2::TreeWalkResult::Skip;
        }
        let rel = format!("{dir}{name}");
        match entry.kind() {
            Some(git2::ObjectType::Tree) => {
                if may_hold(&format!("{rel}/"), prefixes) {
                    git2::TreeWalkResult::Ok
                } else {
                    git2::TreeWalkResult::Skip
                }
            }
            Some(git2::ObjectType::Blob) => {
                if entry.filemode() != 0o120000 && set.is_match(&rel) {
                    found.push((rel, entry.id()));
                }
                git2::TreeWalkResult::Ok
            }
            _ => git2::TreeWalkResult::Ok,
        }
    })
    .map_err(|e| {
        IntegrityError::read(
            ObjectKind::Tree,
            c.tree_id(),
            Role::TreeOf(commit.to_string()),
            &e,
        )
    })?;
    let mut out = Vec::new();
    for (rel, id) in found {
        let blob = repo.find_blob(id).map_err(|e| {
            IntegrityError::read(
                ObjectKind::Blob,
                id,
                Role::PathIn {
                    path: rel.clone(),
                    commit: commit.to_string(),
                },
                &e,
            )
        })?;
        if blob.size() as u64 <= MAX_CODE_FILE {
            out.push((rel, blob.content().to_vec()));
        }
    }
    Ok(out)
}

/// `code-tag-dangling`: a tag naming an id no record has (or that is no record id at all).
pub fn dangling(tags: &[CodeTag], corpus: &crate::corpus::Corpus) -> Vec<Diagnostic> {
    let sev = crate::rules::info("code-tag-dangling")
        .map_or(crate::diagnostic::Severity::Error, |i| i.default);
    tags.iter()
        .filter(|t| corpus.get(&t.id).is_none())
        .map(|t| {
            let (message, hint) = if crate::rules::structure::is_valid_id(&t.id) {
                (
                    format!("the code tag `ddf: {}` names a record that does not exist", t.id),
                    "correct the id, or create the record it implements (`ddf new design-input`)",
                )
            } else {
                (
                    format!("the code tag `ddf: {}` does not name a record id (PREFIX-NNN)", t.id),
                    "write the id of the design input or output the code implements, e.g. `// ddf: DI-012`",
                )
            };
            Diagnostic::new("code-tag-dangling", t.path.clone(), message)
                .at(Some(Pos::new(t.line, t.column)))
                .severity(sev)
                .hint(hint)
        })
        .collect()
}

/// The tags of each record id, each list in path and line order.
pub type ByRecord = std::collections::BTreeMap<String, Vec<CodeTag>>;

/// Indexes `tags` by the id they name.
pub fn by_record(tags: &[CodeTag]) -> ByRecord {
    let mut by = ByRecord::new();
    for t in tags {
        by.entry(t.id.clone()).or_default().push(t.clone());
    }
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<(usize, usize, String)> {
        scan_text("f", text)
            .into_iter()
            .map(|t| (t.line, t.column, t.id))
            .collect()
    }

    #[test]
    fn every_comment_style_and_lists() {
        let text = "fn a() {} // ddf: DI-012\n\
                    # ddf: DO-003, DI-004\n\
                    -- ddf:DI-005\n\
                    ; ddf: DI-006\n\
                    /* ddf: DI-007 */\n\
                    <!-- ddf: DI-008 -->\n\
                    x = \"ddf: DI-999\"\n\
                    // see ddf: DI-998 (no opener right before)\n\
                    //ddf: DI-12\n";
        assert_eq!(
            ids(text),
            vec![
                (1, 19, "DI-012".into()),
                (2, 8, "DO-003".into()),
                (2, 16, "DI-004".into()),
                (3, 8, "DI-005".into()),
                (4, 8, "DI-006".into()),
                (5, 9, "DI-007".into()),
                (6, 11, "DI-008".into()),
                (9, 8, "DI-12".into()),
            ]
        );
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(ids("é // ddf: DI-001"), vec![(1, 11, "DI-001".into())]);
    }

    #[test]
    fn literal_folders_prune_the_walk() {
        assert_eq!(literal_dir("src/**/*.rs"), "src/");
        assert_eq!(literal_dir("firmware/**"), "firmware/");
        assert_eq!(literal_dir("**/*.c"), "");
        assert_eq!(literal_dir("a/b/c.rs"), "a/b/");
        let p = vec!["src/".to_string(), "fw/net/".to_string()];
        assert!(may_hold("src/", &p));
        assert!(may_hold("src/a/", &p));
        assert!(may_hold("fw/", &p));
        assert!(!may_hold("target/", &p));
        assert!(!may_hold("fw/ble/", &p));
    }

    #[test]
    fn paths_are_seen_from_the_ddf_root() {
        assert_eq!(from_root("src/a.rs", "ddf"), "../src/a.rs");
        assert_eq!(from_root("ddf/tools/a.py", "ddf"), "tools/a.py");
        assert_eq!(from_root("src/a.rs", "qms/ddf"), "../../src/a.rs");
        assert_eq!(from_root("ddfx/a.rs", "ddf"), "../ddfx/a.rs");
    }

    #[test]
    fn binary_files_are_skipped() {
        assert_eq!(text_of(b"a\0b // ddf: DI-001"), None);
        assert_eq!(
            text_of(b"caf\xe9 // ddf: DI-001").map(|t| scan_text("f", &t).len()),
            Some(1)
        );
    }
}
