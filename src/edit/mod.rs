//! Editing record files: changes computed as text edits (file, byte range, new text) that a
//! command applies atomically and a language server could send to an editor as they are.
//!
//! [`rename`] computes the edits of `ddf mv`; [`apply`] writes a set of [`FileEdit`]s all or
//! nothing: every new file is written to a temporary file in its own folder first, and only when
//! all of them are written (and every file still holds what the edits were computed from) are
//! they renamed into place; a failure then puts back what was already replaced.

pub mod fmt;
pub mod rename;

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One replacement in a file's text.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TextEdit {
    /// Byte range replaced, in the file's original text.
    pub range: Range<usize>,
    /// The text put in its place.
    pub new_text: String,
}

/// The edits of one file, and its new name if it moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    /// Path relative to the DDF root, `/`-separated.
    pub path: String,
    /// The new path (same form) when the file is renamed.
    pub rename_to: Option<String>,
    /// Replacements in the original text, sorted, not overlapping.
    pub edits: Vec<TextEdit>,
    /// The text the edits were computed from: [`apply`] refuses a file that changed since.
    pub original: String,
}

impl FileEdit {
    /// The new text of the file.
    pub fn new_text(&self) -> String {
        apply_text(&self.original, &self.edits)
    }
}

/// `text` with `edits` (sorted by start, not overlapping) applied.
pub fn apply_text(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.range.start]);
        out.push_str(&e.new_text);
        at = e.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// 1-based line and character column of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Why a set of edits was not applied. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A file changed (or vanished) between reading and writing.
    #[error("{0} changed while ddf was editing it")]
    Changed(String),
    /// A file to be created exists.
    #[error("{0} exists already")]
    Exists(String),
    /// A path is not a plain relative path inside the DDF.
    #[error("{path}: {reason}")]
    Refused {
        /// The path.
        path: String,
        /// Why.
        reason: crate::fsafe::Refusal,
    },
    /// The operating system's error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// The temporary file next to `path` that the new content is written to first: the name the
/// command line's stale-file sweep recognises (`.NAME.ddf-PID.tmp`).
fn temp_for(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.ddf-{}.tmp", std::process::id()))
}

/// One file of a transaction, once its new content is on disk.
struct Staged {
    /// The file as it is now.
    from: PathBuf,
    /// Where the new content goes (`from` unless renamed).
    to: PathBuf,
    /// The temporary file holding the new content.
    tmp: PathBuf,
    /// The original bytes, to put back on failure.
    original: Vec<u8>,
}

/// Writes every file of `files` (paths relative to `root`), all or nothing.
///
/// 1. Each file is read again (confined to the repository, as records are read) and must hold
///    [`FileEdit::original`]; a renamed file's new path must not exist.
/// 2. Each new text is written to a temporary file in the folder it goes to, and flushed.
/// 3. Only then are they renamed into place (a renamed file is linked to its new name, which
///    fails rather than replaces, and its old name removed).
///
/// A failure in 1 or 2 changes nothing; a failure in 3 puts back the files already replaced.
pub fn apply(root: &Path, files: &[FileEdit]) -> Result<(), ApplyError> {
    let fence = crate::source::repository_of(&root.canonicalize().unwrap_or(root.to_path_buf()))
        .ok()
        .flatten()
        .and_then(|(repo, _)| repo.workdir().and_then(|w| w.canonicalize().ok()))
        .unwrap_or_else(|| root.canonicalize().unwrap_or(root.to_path_buf()));
    let mut staged: Vec<Staged> = Vec::with_capacity(files.len());
    let cleanup = |staged: &[Staged]| {
        for s in staged {
            let _ = std::fs::remove_file(&s.tmp);
        }
    };
    for f in files {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| ApplyError::Io { path, source }
        };
        let checked = |rel: &str| {
            crate::fsafe::check_relative(rel).map_err(|reason| ApplyError::Refused {
                path: rel.to_string(),
                reason,
            })
        };
        let result = (|| {
            checked(&f.path)?;
            let from = root.join(&f.path);
            let now = crate::fsafe::read(&fence, root, &f.path, crate::source::MAX_FILE).map_err(
                |reason| ApplyError::Refused {
                    path: f.path.clone(),
                    reason,
                },
            )?;
            if now.as_deref() != Some(f.original.as_bytes()) {
                return Err(ApplyError::Changed(f.path.clone()));
            }
            let to = match &f.rename_to {
                Some(rel) => {
                    checked(rel)?;
                    let to = root.join(rel);
                    if std::fs::symlink_metadata(&to).is_ok() {
                        return Err(ApplyError::Exists(rel.clone()));
                    }
                    to
                }
                None => from.clone(),
            };
            let tmp = temp_for(&to);
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(io(&tmp))?;
            // Keep the file's permissions (an executable bit, a read-only group).
            let staged = Staged {
                from,
                to,
                tmp,
                original: f.original.as_bytes().to_vec(),
            };
            let written = (|| {
                if let Ok(meta) = std::fs::metadata(&staged.from) {
                    file.set_permissions(meta.permissions())?;
                }
                file.write_all(f.new_text().as_bytes())?;
                file.sync_all()
            })();
            if let Err(e) = written {
                let _ = std::fs::remove_file(&staged.tmp);
                return Err(io(&staged.tmp)(e));
            }
            Ok(staged)
        })();
        match result {
            Ok(s) => staged.push(s),
            Err(e) => {
                cleanup(&staged);
                return Err(e);
            }
        }
    }
    // Commit: rename each into place; on failure, undo the ones done.
    for (n, s) in staged.iter().enumerate() {
        let done = if s.from == s.to {
            std::fs::rename(&s.tmp, &s.to)
        } else {
            std::fs::hard_link(&s.tmp, &s.to)
                .and_then(|()| std::fs::remove_file(&s.tmp))
                .and_then(|()| std::fs::remove_file(&s.from))
        };
        if let Err(e) = done {
            let failed = s.to.display().to_string();
            roll_back(&staged[..n]);
            // The failed one may be half done (linked, old name not removed yet).
            if s.from != s.to && s.from.exists() {
                let _ = std::fs::remove_file(&s.to);
            }
            cleanup(&staged[n..]);
            return Err(ApplyError::Io {
                path: failed,
                source: e,
            });
        }
    }
    Ok(())
}

/// Puts back the files of a transaction that were already replaced.
fn roll_back(done: &[Staged]) {
    for s in done.iter().rev() {
        let tmp = temp_for(&s.from);
        let restored =
            std::fs::write(&tmp, &s.original).and_then(|()| std::fs::rename(&tmp, &s.from));
        if restored.is_ok() && s.from != s.to {
            let _ = std::fs::remove_file(&s.to);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(path: &str, original: &str, at: Range<usize>, new: &str) -> FileEdit {
        FileEdit {
            path: path.into(),
            rename_to: None,
            edits: vec![TextEdit {
                range: at,
                new_text: new.into(),
            }],
            original: original.into(),
        }
    }

    #[test]
    fn edits_apply_in_order() {
        let e = [
            TextEdit {
                range: 0..1,
                new_text: "A".into(),
            },
            TextEdit {
                range: 2..3,
                new_text: "CC".into(),
            },
        ];
        assert_eq!(apply_text("abcd", &e), "AbCCd");
        assert_eq!(line_col("ab\ncdé f", 8), (2, 5));
    }

    #[test]
    fn all_or_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        std::fs::write(root.join("a.md"), "one").expect("write");
        std::fs::write(root.join("b.md"), "two").expect("write");
        // b.md does not hold what the edit was computed from: nothing is written.
        let files = [
            edit("a.md", "one", 0..3, "ONE"),
            edit("b.md", "TWO?", 0..3, "x"),
        ];
        assert!(matches!(apply(root, &files), Err(ApplyError::Changed(_))));
        assert_eq!(
            std::fs::read_to_string(root.join("a.md")).expect("a"),
            "one"
        );
        // A rename onto an existing file is refused, nothing written.
        let mut moved = edit("a.md", "one", 0..3, "ONE");
        moved.rename_to = Some("b.md".into());
        assert!(matches!(apply(root, &[moved]), Err(ApplyError::Exists(_))));
        assert_eq!(
            std::fs::read_to_string(root.join("b.md")).expect("b"),
            "two"
        );
        // Both together.
        let mut moved = edit("a.md", "one", 0..3, "ONE");
        moved.rename_to = Some("c.md".into());
        apply(root, &[moved, edit("b.md", "two", 0..3, "TWO")]).expect("applied");
        assert!(!root.join("a.md").exists());
        assert_eq!(
            std::fs::read_to_string(root.join("c.md")).expect("c"),
            "ONE"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("b.md")).expect("b"),
            "TWO"
        );
        let names: Vec<_> = std::fs::read_dir(root).expect("dir").flatten().collect();
        assert_eq!(names.len(), 2, "no temporary file left");
    }

    #[test]
    fn paths_outside_are_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let f = edit("../x.md", "", 0..0, "x");
        assert!(matches!(
            apply(dir.path(), &[f]),
            Err(ApplyError::Refused { .. })
        ));
    }
}
