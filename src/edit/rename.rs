//! Renaming a record (`ddf mv OLD NEW`): its `id:`, its file name when the name follows the id,
//! and every link and mention of the id in every record, as text edits.
//!
//! The edits are surgical: only the id tokens change, so whitespace, comments, quoting and key
//! order stay as written. A token is the id as a whole word: `DI-1` is not found in `DI-12`,
//! `XDI-001` or `DI-001-a`. In the front-matter every token is rewritten (a link, an id in a
//! nested value, a comment); the new front-matter must then parse to the old values with the id
//! replaced, or the rename is refused. In the Markdown body every mention is rewritten except in
//! code spans and code blocks, which quote text verbatim (log excerpts, examples), as
//! [`crate::mentions`] reads them.

use super::{FileEdit, TextEdit};
use crate::corpus::Corpus;
use crate::rules::structure::is_valid_id;
use crate::source::Source;
use rayon::prelude::*;
use serde_yaml::Value;

/// Why a rename cannot be made. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    /// An id is not of the form PREFIX-NNN.
    #[error("`{0}` is not a record id (PREFIX-NNN)")]
    Malformed(String),
    /// No record has the old id.
    #[error("no record has the id `{0}`")]
    NoSuchRecord(String),
    /// Two or more records have the old id.
    #[error("{id} is the id of {} records ({}), so ddf cannot tell which links mean which", .paths.len(), .paths.join(", "))]
    Duplicated {
        /// The id.
        id: String,
        /// Their files.
        paths: Vec<String>,
    },
    /// The new id is taken.
    #[error("{id} exists already: {at}")]
    Exists {
        /// The id.
        id: String,
        /// Where (a file, or a local branch).
        at: String,
    },
    /// The new id's prefix is not the record type's.
    #[error("{new} does not have the prefix of {old}'s type {type_name} ({prefix}-)")]
    Prefix {
        /// The old id.
        old: String,
        /// The new id.
        new: String,
        /// The record's type.
        type_name: String,
        /// That type's prefix.
        prefix: String,
    },
    /// A record file that cannot be read names the old id, so its links could not be rewritten
    /// with the certainty the others are.
    #[error("{path} names {id} but cannot be read as a record, so its links to {id} cannot be rewritten safely")]
    Unreadable {
        /// The file.
        path: String,
        /// The old id.
        id: String,
    },
    /// The rewritten front-matter of a file does not read as the old one with the id replaced.
    #[error("{0}: the front-matter would not keep its values with the id replaced")]
    Unsafe(String),
    /// A file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// What happened.
        message: String,
    },
}

impl RenameError {
    /// How to fix it.
    pub fn hint(&self) -> String {
        match self {
            RenameError::Malformed(_) => {
                "ids are upper-case letters, a dash and at least three digits, e.g. DI-004".into()
            }
            RenameError::NoSuchRecord(_) => "`ddf export` lists every record".into(),
            RenameError::Duplicated { .. } => {
                "give one of the records a free id by hand (its `id:` line and its file name), then rename".into()
            }
            RenameError::Exists { .. } => {
                "pick a free id; `ddf new TYPE` prints the next free one (free on every local branch too)".into()
            }
            RenameError::Prefix { prefix, .. } => format!(
                "a record keeps its type: the new id starts with `{prefix}-`"
            ),
            RenameError::Unreadable { .. } => {
                "fix the file first (`ddf check` says what is wrong), then rename".into()
            }
            RenameError::Unsafe(_) => {
                "the id is written in a way ddf cannot rewrite by token (an escape sequence, a multi-line key); edit that file by hand".into()
            }
            RenameError::Read { .. } => "check the file's permissions".into(),
        }
    }
}

/// The edits of a rename.
#[derive(Debug, Clone)]
pub struct Rename {
    /// The old id.
    pub old: String,
    /// The new id.
    pub new: String,
    /// The renamed record's file.
    pub path: String,
    /// Every file that changes, in path order; the renamed record's carries `rename_to` when
    /// its name follows the id.
    pub files: Vec<FileEdit>,
}

impl Rename {
    /// Number of id tokens rewritten, over every file.
    pub fn edit_count(&self) -> usize {
        self.files.iter().map(|f| f.edits.len()).sum()
    }
}

/// Whether `c` can be part of an id-like word, so a token next to it is not a whole id.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Byte offsets of `id` as a whole word in `text`.
pub fn token_offsets(text: &str, id: &str) -> Vec<usize> {
    let mut out = Vec::new();
    if id.is_empty() {
        return out;
    }
    let mut from = 0;
    while let Some(i) = text[from..].find(id) {
        let at = from + i;
        let before = text[..at].chars().next_back();
        let after = text[at + id.len()..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            out.push(at);
        }
        from = at + id.len();
    }
    out
}

/// `text` with every whole-word `old` replaced by `new`.
fn replace_tokens(text: &str, old: &str, new: &str) -> String {
    let edits: Vec<TextEdit> = token_offsets(text, old)
        .into_iter()
        .map(|at| TextEdit {
            range: at..at + old.len(),
            new_text: new.to_string(),
        })
        .collect();
    super::apply_text(text, &edits)
}

/// `v` with `old` replaced by `new` as a whole word in every string, keys included.
fn replace_in_value(v: &Value, old: &str, new: &str) -> Value {
    match v {
        Value::String(s) => Value::String(replace_tokens(s, old, new)),
        Value::Sequence(items) => Value::Sequence(
            items
                .iter()
                .map(|i| replace_in_value(i, old, new))
                .collect(),
        ),
        Value::Mapping(m) => Value::Mapping(
            m.iter()
                .map(|(k, v)| (replace_in_value(k, old, new), replace_in_value(v, old, new)))
                .collect(),
        ),
        Value::Tagged(t) => Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
            tag: t.tag.clone(),
            value: replace_in_value(&t.value, old, new),
        })),
        other => other.clone(),
    }
}

/// Byte ranges of `body` that are code (spans and blocks), where ids are quoted, not named.
fn code_ranges(body: &str) -> Vec<std::ops::Range<usize>> {
    use pulldown_cmark::{Event, Parser, Tag};
    let mut out = Vec::new();
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Code(_) | Event::Start(Tag::CodeBlock(_)) => out.push(range),
            _ => {}
        }
    }
    out
}

/// The edits that rename `old` to `new` in the text of one record file, or `None` when the file
/// does not name `old`.
pub fn edits_in(
    path: &str,
    text: &str,
    old: &str,
    new: &str,
) -> Result<Vec<TextEdit>, RenameError> {
    let offsets = token_offsets(text, old);
    if offsets.is_empty() {
        return Ok(Vec::new());
    }
    let Ok(split) = crate::front_matter::split(text) else {
        return Err(RenameError::Unreadable {
            path: path.into(),
            id: old.into(),
        });
    };
    // Offsets of the front-matter and the body in `text` (a byte-order mark may precede).
    let yaml_start = split.yaml.as_ptr() as usize - text.as_ptr() as usize;
    let yaml_end = yaml_start + split.yaml.len();
    let body_start = text.len() - split.body.len();
    let code: Vec<_> = code_ranges(split.body)
        .into_iter()
        .map(|r| r.start + body_start..r.end + body_start)
        .collect();
    let edits: Vec<TextEdit> = offsets
        .into_iter()
        .filter(|&at| {
            (at >= yaml_start && at < yaml_end)
                || (at >= body_start && !code.iter().any(|r| r.contains(&at)))
        })
        .map(|at| TextEdit {
            range: at..at + old.len(),
            new_text: new.to_string(),
        })
        .collect();
    // The front-matter must read as before, with the id replaced.
    let before =
        crate::front_matter::parse_yaml(split.yaml).map_err(|_| RenameError::Unreadable {
            path: path.into(),
            id: old.into(),
        })?;
    let new_text = super::apply_text(text, &edits);
    let after = crate::front_matter::split(&new_text)
        .ok()
        .and_then(|s| crate::front_matter::parse_yaml(s.yaml).ok());
    if after != Some(replace_in_value(&before, old, new)) {
        return Err(RenameError::Unsafe(path.into()));
    }
    Ok(edits)
}

/// The edits that rename record `old` to `new` in the DDF `corpus` read from `source` (the
/// working tree): checks, then every record file read again and rewritten as text. Ids used on
/// other local branches are in `taken` (pass [`crate::ids::ids_on_branches`] for the new id's
/// prefix, or nothing).
pub fn plan(
    corpus: &Corpus,
    source: &dyn Source,
    old: &str,
    new: &str,
    taken: &std::collections::HashSet<String>,
) -> Result<Rename, RenameError> {
    for id in [old, new] {
        if !is_valid_id(id) {
            return Err(RenameError::Malformed(id.into()));
        }
    }
    let all = corpus.records_with_id(old);
    let Some(&i) = all.first() else {
        if let Some(u) = corpus.unread_with_id(old) {
            return Err(RenameError::Unreadable {
                path: u.path.clone(),
                id: old.into(),
            });
        }
        return Err(RenameError::NoSuchRecord(old.into()));
    };
    if all.len() > 1 {
        return Err(RenameError::Duplicated {
            id: old.into(),
            paths: all
                .iter()
                .map(|&j| corpus.records[j].path.clone())
                .collect(),
        });
    }
    let r = &corpus.records[i];
    let prefix = corpus
        .config
        .schema
        .get(&r.type_name)
        .map_or_else(|| r.prefix().to_string(), |t| t.prefix.clone());
    if new.split('-').next() != Some(prefix.as_str()) {
        return Err(RenameError::Prefix {
            old: old.into(),
            new: new.into(),
            type_name: if r.type_name.is_empty() {
                "(none)".into()
            } else {
                r.type_name.clone()
            },
            prefix,
        });
    }
    if let Some(t) = corpus.get(new) {
        return Err(RenameError::Exists {
            id: new.into(),
            at: t.path.clone(),
        });
    }
    if let Some(u) = corpus.unread_with_id(new) {
        return Err(RenameError::Exists {
            id: new.into(),
            at: format!("{} (a file that cannot be read as a record)", u.path),
        });
    }
    if old != new && taken.contains(new) {
        return Err(RenameError::Exists {
            id: new.into(),
            at: "a record on a local branch".into(),
        });
    }
    // The file moves when its name is the id.
    let rename_to = match r.path.rsplit_once('/') {
        Some((dir, name)) if name == format!("{old}.md") => Some(format!("{dir}/{new}.md")),
        None if r.path == format!("{old}.md") => Some(format!("{new}.md")),
        _ => None,
    };
    if let Some(to) = &rename_to {
        let exists = source
            .read(to)
            .map_err(|e| RenameError::Read {
                path: to.clone(),
                message: e.to_string(),
            })?
            .is_some();
        if exists {
            return Err(RenameError::Exists {
                id: new.into(),
                at: format!("{to} is a file already"),
            });
        }
    }
    // A file that cannot be read as a record but names the old id: refuse rather than leave
    // a link to the old id behind, or rewrite a file whose values cannot be compared.
    for u in &corpus.unread {
        if u.names.iter().any(|n| n == old) || u.id.as_deref() == Some(old) {
            return Err(RenameError::Unreadable {
                path: u.path.clone(),
                id: old.into(),
            });
        }
    }
    let mut files: Vec<FileEdit> = corpus
        .records
        .par_iter()
        .map(|rec| -> Result<Option<FileEdit>, RenameError> {
            let bytes = source
                .read(&rec.path)
                .map_err(|e| RenameError::Read {
                    path: rec.path.clone(),
                    message: e.to_string(),
                })?
                .ok_or_else(|| RenameError::Read {
                    path: rec.path.clone(),
                    message: "the file disappeared".into(),
                })?;
            let text = String::from_utf8(bytes).map_err(|_| RenameError::Read {
                path: rec.path.clone(),
                message: "the file is not UTF-8 any more".into(),
            })?;
            let edits = edits_in(&rec.path, &text, old, new)?;
            let moves = rec.path == r.path;
            if edits.is_empty() && !moves {
                return Ok(None);
            }
            Ok(Some(FileEdit {
                path: rec.path.clone(),
                rename_to: if moves { rename_to.clone() } else { None },
                edits,
                original: text,
            }))
        })
        .filter_map(Result::transpose)
        .collect::<Result<_, _>>()?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Rename {
        old: old.into(),
        new: new.into(),
        path: r.path.clone(),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_whole_ids() {
        let text = "DI-1 DI-12 XDI-1 DI-1-a DI-1, [DI-1] é DI-1é `DI-1`";
        // Not inside DI-12, XDI-1 or DI-1-a; next to punctuation (and a non-ASCII letter) it is.
        assert_eq!(token_offsets(text, "DI-1"), [0, 24, 31, 40, 48]);
        assert_eq!(token_offsets("DI-12", "DI-1"), Vec::<usize>::new());
    }

    #[test]
    fn front_matter_and_prose_are_rewritten_code_is_not() {
        let text = "---\nid: DI-001\ntraces_to: [UN-001, \"DI-0010\"]  # was DI-001\nnested:\n  - {a: 'DI-001'}\n---\nSee DI-001 and DI-0010, not `DI-001`.\n\n```\nDI-001 log\n```\n[link](DI-001.md)\n";
        let edits = edits_in("x.md", text, "DI-001", "DI-009").expect("safe");
        let new = crate::edit::apply_text(text, &edits);
        assert_eq!(
            new,
            "---\nid: DI-009\ntraces_to: [UN-001, \"DI-0010\"]  # was DI-009\nnested:\n  - {a: 'DI-009'}\n---\nSee DI-009 and DI-0010, not `DI-001`.\n\n```\nDI-001 log\n```\n[link](DI-009.md)\n"
        );
        assert!(edits_in(
            "x.md",
            "---\nid: UN-001\n---\nno mention\n",
            "DI-001",
            "DI-009"
        )
        .expect("ok")
        .is_empty());
    }

    #[test]
    fn a_value_that_would_change_is_refused() {
        // A key written twice after the rename would collapse two keys into one.
        let text = "---\nid: X-001\nDI-001: a\nDI-009: b\n---\n";
        assert_eq!(
            edits_in("x.md", text, "DI-001", "DI-009"),
            Err(RenameError::Unsafe("x.md".into()))
        );
    }
}
