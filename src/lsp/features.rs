//! What the editor asks of a DDF: findings as LSP diagnostics, go to definition, references,
//! hover, symbols and completion, each answered from the workspace's corpus and graph.

use super::text::{self, finding_range, front_matter_lines, is_id, line_text, word_at};
use super::workspace::Workspace;
use crate::diagnostic::{Diagnostic, Severity};
use lsp_types::{
    CompletionItem, CompletionItemKind, DiagnosticSeverity, Documentation, Hover, HoverContents,
    Location, MarkupContent, MarkupKind, NumberOrString, Position, Range, SymbolInformation,
    SymbolKind,
};

/// The LSP form of ddf's findings on one file: same rule id (the code), message and hint.
pub fn diagnostics(text: &str, findings: &[&Diagnostic]) -> Vec<lsp_types::Diagnostic> {
    findings
        .iter()
        .map(|d| {
            let message = match &d.hint {
                Some(h) if !h.is_empty() => format!("{}\nhint: {h}", d.message),
                _ => d.message.clone(),
            };
            lsp_types::Diagnostic {
                range: finding_range(text, d.line, d.column),
                severity: Some(match d.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    _ => DiagnosticSeverity::WARNING,
                }),
                code: Some(NumberOrString::String(d.rule.to_string())),
                source: Some("ddf".into()),
                message,
                ..Default::default()
            }
        })
        .collect()
}

/// The location of a record's file (its first line).
pub fn record_location(ws: &Workspace, id: &str) -> Option<Location> {
    let r = ws.corpus.get(id)?;
    let uri = text::uri_of(&ws.root.join(&r.path))?;
    Some(Location::new(
        uri,
        Range::new(Position::new(0, 0), Position::new(0, 0)),
    ))
}

/// The id under the cursor, if it names a record.
pub fn id_at(ws: &Workspace, rel: &str, pos: Position) -> Option<String> {
    let text = ws.text(rel)?;
    let (word, _) = word_at(&text, pos)?;
    (is_id(&word) && ws.corpus.get(&word).is_some()).then_some(word)
}

/// Every place that names `id`: the links to it and the mentions of it, in the front-matter
/// (nested values too) and the body of every record, plus its own `id:` when asked for.
pub fn references(ws: &Workspace, id: &str, include_declaration: bool) -> Vec<Location> {
    let mut out = Vec::new();
    for r in &ws.corpus.records {
        let own = r.id == id;
        let Some(text) = ws.text(&r.path) else {
            continue;
        };
        // Cheap test first: most records do not name the id at all.
        if !text.contains(id) {
            continue;
        }
        let Some(uri) = text::uri_of(&ws.root.join(&r.path)) else {
            continue;
        };
        for (n, line) in text.split('\n').enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let mut from = 0;
            while let Some(at) = line[from..].find(id) {
                let start = from + at;
                let end = start + id.len();
                from = end;
                let before = line[..start].chars().next_back();
                let after = line[end..].chars().next();
                let bounded = |c: Option<char>| {
                    c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                };
                if !bounded(before) || !bounded(after) {
                    continue;
                }
                // A record's own file offers only its declaration (its `id:` line), and that
                // only when asked for: a title or body naming the record itself links nothing.
                if own && !(include_declaration && line.trim_start().starts_with("id:")) {
                    continue;
                }
                let l = u32::try_from(n).unwrap_or(u32::MAX);
                out.push(Location::new(
                    uri.clone(),
                    Range::new(
                        Position::new(l, text::utf16_in_line(line, start)),
                        Position::new(l, text::utf16_in_line(line, end)),
                    ),
                ));
            }
        }
    }
    out
}

/// One line on a record: type, title, status, the approvals of its current content, and its
/// upstream chain.
pub fn hover(ws: &Workspace, id: &str) -> Option<Hover> {
    let &i = ws.corpus.by_id.get(id)?;
    let r = &ws.corpus.records[i];
    let mut parts = vec![format!(
        "**{}** ({}) {} [{}]",
        r.id,
        r.type_name,
        r.title(),
        r.status()
    )];
    if let Some(h) = ws.history() {
        let valid: Vec<String> = h
            .approvals
            .iter()
            .filter(|a| {
                a.is_valid() && crate::history::approval::covers(&h.history, a, &r.id, &r.blob)
            })
            .map(|a| {
                format!(
                    "{} ({})",
                    a.printed_name
                        .as_deref()
                        .or(a.signer.as_deref())
                        .unwrap_or("?"),
                    a.meaning.as_deref().unwrap_or("?")
                )
            })
            .collect();
        parts.push(if valid.is_empty() {
            "no valid signed approval of this content".into()
        } else {
            format!("approved by {}", valid.join(", "))
        });
    }
    let up = ws.graph.upstream(i);
    if let Some(far) = up.last() {
        let chain: Vec<&str> = std::iter::once(r.id.as_str())
            .chain(far.via.iter().map(|&j| ws.corpus.records[j].id.as_str()))
            .collect();
        parts.push(format!("upstream: {}", chain.join(" → ")));
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: parts.join(" · "),
        }),
        range: None,
    })
}

/// The record a file holds, as a symbol (id and title).
#[allow(deprecated)] // `SymbolInformation::deprecated` is a field the type still requires.
fn symbol(ws: &Workspace, r: &crate::record::Record) -> Option<SymbolInformation> {
    Some(SymbolInformation {
        name: format!("{} {}", r.id, r.title()),
        kind: SymbolKind::OBJECT,
        tags: None,
        deprecated: None,
        location: record_location(ws, &r.id)?,
        container_name: Some(r.type_name.clone()),
    })
}

/// The records of a file.
pub fn document_symbols(ws: &Workspace, rel: &str) -> Vec<SymbolInformation> {
    ws.corpus
        .records
        .iter()
        .filter(|r| r.path == rel)
        .filter_map(|r| symbol(ws, r))
        .collect()
}

/// Records whose id or title contains every word of `query` (case-insensitive), at most 500.
pub fn workspace_symbols(ws: &Workspace, query: &str) -> Vec<SymbolInformation> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    ws.corpus
        .records
        .iter()
        .filter(|r| {
            let hay = format!("{} {}", r.id, r.title()).to_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .take(500)
        .filter_map(|r| symbol(ws, r))
        .collect()
}

/// Completion in a record's front-matter: field names at the start of a line, enum values
/// after `field:`, and ids of the types a link field accepts (with their titles).
pub fn completion(ws: &Workspace, rel: &str, pos: Position) -> Vec<CompletionItem> {
    let Some(text) = ws.text(rel) else {
        return Vec::new();
    };
    let Some((first, end)) = front_matter_lines(&text) else {
        return Vec::new();
    };
    let line_no = pos.line as usize;
    if line_no < first || line_no >= end {
        return Vec::new();
    }
    let schema = &ws.corpus.config.schema;
    // The record's type: from its `type:` line, else from the id prefix of its file name.
    let type_name = text
        .split('\n')
        .take(end)
        .find_map(|l| l.strip_prefix("type:").map(|t| t.trim().to_string()));
    let tdef = type_name
        .as_deref()
        .and_then(|t| schema.lookup(t))
        .or_else(|| {
            let stem = rel.rsplit('/').next()?.split('-').next()?;
            schema.by_prefix(stem)
        });
    let Some(tdef) = tdef else {
        return Vec::new();
    };
    let line = line_text(&text, line_no);
    let cursor = text::byte_in_line(line, pos.character);
    let before = &line[..cursor];
    // The field this line (or the list it continues) belongs to.
    let field_of_line = |l: &str| -> Option<String> {
        let key = l.split(':').next()?;
        (!key.starts_with([' ', '-', '\t']) && !key.is_empty() && l.contains(':'))
            .then(|| key.trim().to_string())
    };
    if !before.contains(':') && !before.trim_start().starts_with('-') {
        // A key: the type's fields not written yet.
        let present: Vec<String> = text
            .split('\n')
            .take(end)
            .skip(first)
            .filter_map(field_of_line)
            .collect();
        return tdef
            .fields
            .values()
            .filter(|f| !present.contains(&f.name))
            .map(|f| CompletionItem {
                label: f.name.clone(),
                kind: Some(CompletionItemKind::FIELD),
                detail: Some(
                    format!("{:?}{}", f.kind, if f.required { ", required" } else { "" })
                        .to_lowercase(),
                ),
                documentation: f.doc.clone().map(Documentation::String),
                insert_text: Some(format!("{}: ", f.name)),
                ..Default::default()
            })
            .collect();
    }
    // A value: the key of this line, or of the block a `- item` line continues.
    let key = field_of_line(line).or_else(|| {
        (first..line_no)
            .rev()
            .map(|n| line_text(&text, n))
            .find_map(field_of_line)
    });
    let Some(fdef) = key.and_then(|k| tdef.fields.get(&k)) else {
        return Vec::new();
    };
    if !fdef.values.is_empty() {
        return fdef
            .values
            .iter()
            .map(|v| CompletionItem {
                label: v.clone(),
                kind: Some(CompletionItemKind::ENUM_MEMBER),
                ..Default::default()
            })
            .collect();
    }
    if fdef.name == "status" {
        return tdef
            .statuses
            .iter()
            .map(|v| CompletionItem {
                label: v.clone(),
                kind: Some(CompletionItemKind::ENUM_MEMBER),
                ..Default::default()
            })
            .collect();
    }
    if fdef.kind.is_reference() {
        return ws
            .corpus
            .records
            .iter()
            .filter(|r| fdef.accepts_target(r.prefix()) && r.path != rel)
            .map(|r| CompletionItem {
                label: r.id.clone(),
                kind: Some(CompletionItemKind::REFERENCE),
                detail: Some(r.title()),
                ..Default::default()
            })
            .collect();
    }
    Vec::new()
}

/// The id or word a "did you mean `X`?" in a finding's message or hint proposes.
fn proposed(message: &str) -> Option<&str> {
    let at = message.find("did you mean `")? + "did you mean `".len();
    let rest = &message[at..];
    rest.find('`').map(|end| &rest[..end])
}

/// The field a `missing-field` finding names as missing (not one that is present but empty).
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("required field `")?;
    let (name, tail) = rest.split_once('`')?;
    tail.starts_with(" is missing").then_some(name)
}

/// The line a `hash-comment` finding's hint proposes (`key: "text #rest"`), when it reads back as
/// one key whose text keeps the `#`.
fn quoted_line(d: &lsp_types::Diagnostic) -> Option<String> {
    let code = match &d.code {
        Some(NumberOrString::String(c)) => c.as_str(),
        _ => return None,
    };
    if code != "hash-comment" {
        return None;
    }
    const LEAD: &str = "quote the value to keep the `#`: ";
    let from = d.message.find(LEAD)? + LEAD.len();
    let rest = &d.message[from..];
    let line = rest.split("; or write the comment").next()?.trim();
    let value = crate::front_matter::parse_yaml(line).ok()?;
    let kept = value
        .as_mapping()
        .filter(|m| m.len() == 1)
        .and_then(|m| m.values().next())
        .and_then(serde_yaml::Value::as_str)
        .is_some_and(|v| v.contains('#'));
    kept.then(|| line.to_string())
}

/// Quick fixes for the findings the editor shows at a range: replace a word with the one a
/// "did you mean" proposes, add a missing required field before the front-matter's end.
pub fn code_actions(
    ws: &Workspace,
    rel: &str,
    uri: &lsp_types::Uri,
    diagnostics: &[lsp_types::Diagnostic],
) -> Vec<lsp_types::CodeActionOrCommand> {
    use lsp_types::{CodeAction, CodeActionKind, CodeActionOrCommand, TextEdit, WorkspaceEdit};
    let Some(text) = ws.text(rel) else {
        return Vec::new();
    };
    let edit = |range: Range, new_text: String| WorkspaceEdit {
        changes: Some(std::collections::HashMap::from([(
            uri.clone(),
            vec![TextEdit { range, new_text }],
        )])),
        ..Default::default()
    };
    let mut out = Vec::new();
    for d in diagnostics {
        if d.source.as_deref() != Some("ddf") {
            continue;
        }
        if let Some(to) = proposed(&d.message) {
            if let Some((word, range)) = word_at(&text, d.range.start) {
                if word != to {
                    out.push(CodeActionOrCommand::CodeAction(CodeAction {
                        title: format!("Replace `{word}` with `{to}`"),
                        kind: Some(CodeActionKind::QUICKFIX),
                        diagnostics: Some(vec![d.clone()]),
                        edit: Some(edit(range, to.to_string())),
                        is_preferred: Some(true),
                        ..Default::default()
                    }));
                }
            }
        }
        if let Some(line) = quoted_line(d) {
            let l = d.range.start.line;
            let width = text::utf16_in_line(line_text(&text, l as usize), usize::MAX);
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: "Quote the value to keep the `#`".into(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(edit(
                    Range::new(Position::new(l, 0), Position::new(l, width)),
                    line,
                )),
                is_preferred: Some(true),
                ..Default::default()
            }));
        }
        if let (Some(field), Some((_, end))) =
            (missing_field(&d.message), front_matter_lines(&text))
        {
            let at = Position::new(u32::try_from(end).unwrap_or(u32::MAX), 0);
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Add the field `{field}`"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![d.clone()]),
                edit: Some(edit(Range::new(at, at), format!("{field}: \n"))),
                ..Default::default()
            }));
        }
    }
    out
}

/// Renaming the record under the cursor to `new`: the edits of `ddf mv` (every link and
/// mention, the `id:` line, the file's name when it follows the id) as one workspace edit the
/// editor applies to its buffers; nothing is written here. `Err`: why not, with the hint.
pub fn rename(
    ws: &Workspace,
    rel: &str,
    pos: Position,
    new: &str,
) -> Result<Option<lsp_types::WorkspaceEdit>, String> {
    use lsp_types::{
        DocumentChangeOperation, DocumentChanges, OneOf, OptionalVersionedTextDocumentIdentifier,
        RenameFile, ResourceOp, TextDocumentEdit, TextEdit, WorkspaceEdit,
    };
    let Some(old) = id_at(ws, rel, pos) else {
        return Ok(None);
    };
    let new = new.trim();
    let prefix = new.split('-').next().unwrap_or("");
    let taken = crate::ids::ids_on_branches(&ws.root, &ws.corpus.config.records, prefix);
    let plan = ws
        .with_source(|source| crate::edit::rename::plan(&ws.corpus, source, &old, new, &taken))
        .map_err(|e| format!("{e}\nhint: {}", e.hint()))?;
    let mut ops = Vec::new();
    let mut moves = Vec::new();
    for f in &plan.files {
        let uri = text::uri_of(&ws.root.join(&f.path)).ok_or("a path ddf cannot name")?;
        let edits = f
            .edits
            .iter()
            .map(|e| {
                OneOf::Left(TextEdit {
                    range: Range::new(
                        text::position_of_byte(&f.original, e.range.start),
                        text::position_of_byte(&f.original, e.range.end),
                    ),
                    new_text: e.new_text.clone(),
                })
            })
            .collect();
        ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier {
                uri: uri.clone(),
                version: None,
            },
            edits,
        }));
        if let Some(to) = &f.rename_to {
            let new_uri = text::uri_of(&ws.root.join(to)).ok_or("a path ddf cannot name")?;
            moves.push(DocumentChangeOperation::Op(ResourceOp::Rename(
                RenameFile {
                    old_uri: uri,
                    new_uri,
                    options: None,
                    annotation_id: None,
                },
            )));
        }
    }
    // The files move after their texts are edited (the edits name the old files).
    ops.extend(moves);
    Ok(Some(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(ops)),
        ..Default::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_are_read_from_the_messages_ddf_writes() {
        assert_eq!(
            proposed(
                "`verifies` names `DI-010`, which does not exist\nhint: did you mean `DI-001`?"
            ),
            Some("DI-001")
        );
        assert_eq!(proposed("no proposal"), None);
        assert_eq!(
            missing_field("required field `result` is missing"),
            Some("result")
        );
        assert_eq!(
            missing_field("required field `result` is missing (required in status approved)"),
            Some("result")
        );
        assert_eq!(missing_field("required field `result` is empty"), None);
        let hash = |message: &str| lsp_types::Diagnostic {
            code: Some(NumberOrString::String("hash-comment".into())),
            message: message.into(),
            ..Default::default()
        };
        assert_eq!(
            quoted_line(&hash("`title` reads as `Bolus test`: ...\nhint: quote the value to keep the `#`: title: \"Bolus test #2\"; or write the comment on a line of its own")).as_deref(),
            Some("title: \"Bolus test #2\"")
        );
        // A proposal that would not read back as the text with its `#` is not offered.
        assert_eq!(
            quoted_line(&hash(
                "hint: quote the value to keep the `#`: title: \"a #\"b\"; or write"
            )),
            None
        );
    }
}
