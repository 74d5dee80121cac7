//! StrictDoc reader: `.sdoc` files (`[DOCUMENT]`, `[GRAMMAR]`, `[[SECTION]]` or
//! `[SECTION]`, `[REQUIREMENT]` and custom elements with `UID`, `TITLE`, `STATEMENT`,
//! `RELATIONS` (or the older `REFS`), multi-line fields between `>>>` and `<<<`).
//!
//! Each requirement (or custom element) is an item: UID is its source id (else MID, else its
//! file and line), TITLE its title, STATEMENT (or CONTENT) its text, other fields attributes.
//! `Parent` relations are links to the parent; a `Child` relation becomes a `Parent` link on the
//! child; `File` relations are kept as the attribute `File`. `[TEXT]` and `[FREETEXT]` are
//! narrative, reported as skipped.

use super::{read_bounded, utf8, Foreign, Item, Link, Location, ReadError, Skipped, Tool};
use std::collections::HashMap;
use std::path::Path;

/// The deepest section nesting taken.
const MAX_SECTIONS: usize = 256;

/// Reads `.sdoc` files: each path a file, or a folder whose `.sdoc` files (below it, not
/// following symbolic links or entering dot folders) are read in path order.
pub fn read(paths: &[(std::path::PathBuf, String)]) -> Result<Foreign, ReadError> {
    let mut files = Vec::new();
    for (p, shown) in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            collect(p, shown, 0, &mut found)?;
            found.sort();
            if found.is_empty() {
                return Err(ReadError::new(
                    shown.clone(),
                    None,
                    "holds no .sdoc file",
                    "give a .sdoc file or a folder holding some",
                ));
            }
            files.extend(found);
        } else {
            files.push((p.clone(), shown.clone()));
        }
    }
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    for (p, shown) in &files {
        let text = utf8(read_bounded(p, shown)?, shown)?;
        parse(&text, shown, &mut items, &mut skipped)?;
        if items.len() > super::MAX_ITEMS {
            return Err(ReadError::new(
                shown.clone(),
                None,
                format!("more than {} items", super::MAX_ITEMS),
                "import fewer files at once",
            ));
        }
    }
    // A `Child` relation on A naming B is B's `Parent` link to A.
    let mut reversed: Vec<(String, Link)> = Vec::new();
    for item in &mut items {
        let (child, keep): (Vec<Link>, Vec<Link>) = std::mem::take(&mut item.links)
            .into_iter()
            .partition(|l| l.role.starts_with("\u{0}child:"));
        item.links = keep;
        for l in child {
            let role = l.role.trim_start_matches("\u{0}child:").to_string();
            reversed.push((
                l.target,
                Link {
                    role,
                    target: item.source_id.clone(),
                },
            ));
        }
    }
    // The first item of each source id, as a search from the start would find it; an index, not
    // a search per relation, so that many Child relations cost time linear in their number.
    let mut first_of: HashMap<String, usize> = HashMap::new();
    for (k, item) in items.iter().enumerate() {
        first_of.entry(item.source_id.clone()).or_insert(k);
    }
    for (on, link) in reversed {
        match first_of.get(&on).and_then(|&k| items.get_mut(k)) {
            Some(i) => i.links.push(link),
            None => skipped.push(Skipped {
                source_id: format!("{} -> {on}", link.target),
                location: Location::default(),
                reason: format!("a Child relation to `{on}`, which is not in the files imported"),
            }),
        }
    }
    Ok(Foreign {
        tool: Tool::Strictdoc,
        items,
        skipped,
        ddf_convention: false,
    })
}

fn collect(
    dir: &Path,
    shown: &str,
    depth: usize,
    out: &mut Vec<(std::path::PathBuf, String)>,
) -> Result<(), ReadError> {
    if depth > 32 {
        return Err(ReadError::new(
            shown,
            None,
            "is nested more than 32 folders deep",
            "give a folder nearer the .sdoc files",
        ));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| {
        ReadError::new(
            shown,
            None,
            format!("cannot read the folder: {e}"),
            "check its permissions",
        )
    })?;
    for e in entries.flatten() {
        let (Some(name), Ok(kind)) = (e.file_name().to_str().map(String::from), e.file_type())
        else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let sub = format!("{shown}/{name}");
        if kind.is_dir() {
            collect(&e.path(), &sub, depth + 1, out)?;
        } else if kind.is_file() && name.ends_with(".sdoc") {
            out.push((e.path(), sub));
        }
    }
    Ok(())
}

/// A node being read.
struct Node {
    tag: String,
    line: usize,
    fields: Vec<(String, String)>,
    links: Vec<Link>,
}

fn is_tag(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('[')?.strip_suffix(']')?;
    let inner = inner
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(inner);
    let name = inner.strip_prefix('/').unwrap_or(inner);
    let name = name.strip_prefix("LINK: ").map_or(name, |_| "");
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
    .then_some(inner)
}

/// Parses one `.sdoc` text into `items` and `skipped`.
pub fn parse(
    text: &str,
    shown: &str,
    items: &mut Vec<Item>,
    skipped: &mut Vec<Skipped>,
) -> Result<(), ReadError> {
    let err = |line: usize, m: String, h: &str| ReadError::new(shown, Some(line), m, h);
    let mut document = String::new();
    let mut sections: Vec<String> = Vec::new();
    let mut node: Option<Node> = None;
    let mut in_grammar = false;
    let mut in_freetext = false;
    let mut in_relations = false;
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let finish =
        |node: Option<Node>, document: &str, items: &mut Vec<Item>, skipped: &mut Vec<Skipped>| {
            let Some(n) = node else { return };
            let location = Location {
                file: shown.to_string(),
                line: Some(n.line),
            };
            let get = |k: &str| {
                n.fields
                    .iter()
                    .find(|(f, _)| f == k)
                    .map(|(_, v)| v.clone())
            };
            let id = get("UID")
                .or_else(|| get("MID"))
                .unwrap_or_else(|| format!("{shown}:{}", n.line));
            match n.tag.as_str() {
                "DOCUMENT" | "SECTION" | "GRAMMAR" => {}
                "TEXT" => skipped.push(Skipped {
                    source_id: id,
                    location,
                    reason: "a [TEXT] node: narrative, not a requirement".into(),
                }),
                _ => {
                    let text_field = ["STATEMENT", "CONTENT", "DESCRIPTION"]
                        .into_iter()
                        .find(|k| get(k).is_some());
                    let mut attributes = Vec::new();
                    for (k, v) in &n.fields {
                        if !matches!(k.as_str(), "UID" | "TITLE") && Some(k.as_str()) != text_field
                        {
                            attributes.push((k.clone(), v.clone()));
                        }
                    }
                    items.push(Item {
                        source_id: id,
                        source_type: n.tag.clone(),
                        document: document.to_string(),
                        level: 0,
                        title: get("TITLE").filter(|t| !t.trim().is_empty()),
                        text: text_field.and_then(get).filter(|t| !t.trim().is_empty()),
                        attributes,
                        links: n.links,
                        location,
                    });
                }
            }
        };
    while i < lines.len() {
        let line = lines[i].trim_end_matches('\r');
        let no = i + 1;
        i += 1;
        if in_freetext {
            if line == "[/FREETEXT]" {
                in_freetext = false;
            }
            continue;
        }
        if let Some(tag) = is_tag(line) {
            if in_relations {
                if let Some(n) = node.as_mut() {
                    close_relations(n);
                }
            }
            in_relations = false;
            let closing = tag.starts_with('/');
            let name = tag.trim_start_matches('/');
            if in_grammar && !closing && matches!(name, "GRAMMAR") {
                continue;
            }
            in_grammar = false;
            let done = node.take();
            if let Some(d) = &done {
                if d.tag == "DOCUMENT" {
                    if let Some((_, t)) = d.fields.iter().find(|(k, _)| k == "TITLE") {
                        document = t.clone();
                    }
                }
                if d.tag == "SECTION" {
                    let title = d
                        .fields
                        .iter()
                        .find(|(k, _)| k == "TITLE")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    if let Some(last) = sections.last_mut() {
                        *last = title;
                    }
                }
            }
            finish(done, &document, items, skipped);
            match (closing, name) {
                (true, "SECTION") => {
                    sections.pop();
                }
                (true, _) => {}
                (false, "FREETEXT") => in_freetext = true,
                (false, "GRAMMAR") => in_grammar = true,
                (false, name) => {
                    if name == "SECTION" {
                        if sections.len() >= MAX_SECTIONS {
                            return Err(err(
                                no,
                                format!("sections are nested more than {MAX_SECTIONS} deep"),
                                "flatten the document",
                            ));
                        }
                        sections.push(String::new());
                    }
                    node = Some(Node {
                        tag: name.to_string(),
                        line: no,
                        fields: Vec::new(),
                        links: Vec::new(),
                    });
                }
            }
            continue;
        }
        if in_grammar || line.trim().is_empty() {
            continue;
        }
        let Some(n) = node.as_mut() else {
            if line.starts_with("[LINK:") || line.starts_with("[ANCHOR:") {
                continue;
            }
            return Err(err(
                no,
                format!(
                    "`{}` is outside any [DOCUMENT], [SECTION] or requirement",
                    short(line)
                ),
                "check the .sdoc grammar: each field belongs to a node such as [REQUIREMENT]",
            ));
        };
        if in_relations {
            if let Some(rest) = line.trim_start().strip_prefix("- ") {
                if let Some(t) = rest.strip_prefix("TYPE:") {
                    n.links.push(Link {
                        role: t.trim().to_string(),
                        target: String::new(),
                    });
                    continue;
                }
            } else if line.starts_with(' ') {
                let t = line.trim();
                if let Some(l) = n.links.last_mut() {
                    if let Some(v) = t.strip_prefix("VALUE:") {
                        l.target = v.trim().to_string();
                        continue;
                    }
                    if let Some(r) = t.strip_prefix("ROLE:") {
                        l.role = format!("{}\u{1}{}", l.role, r.trim());
                        continue;
                    }
                    continue;
                }
            }
            in_relations = false;
            close_relations(n);
        }
        if line.starts_with(' ') || line.starts_with('-') {
            // An option block under a field (the document's OPTIONS): not item data.
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(err(
                no,
                format!("`{}` is not a `FIELD: value` line", short(line)),
                "check the .sdoc grammar; a multi-line value goes between `>>>` and `<<<`",
            ));
        };
        let key = key.trim().to_string();
        let value = value.trim_start();
        if key == "RELATIONS" || key == "REFS" {
            in_relations = true;
            continue;
        }
        if value == ">>>" {
            let start = no;
            let mut buf = Vec::new();
            loop {
                let Some(l) = lines.get(i) else {
                    return Err(err(
                        start,
                        format!("the multi-line field {key} has no closing `<<<`"),
                        "end the field with a line holding only `<<<`",
                    ));
                };
                i += 1;
                let l = l.trim_end_matches('\r');
                if l == "<<<" {
                    break;
                }
                buf.push(l);
            }
            let mut v = buf.join("\n");
            v.push('\n');
            n.fields.push((key, v));
        } else {
            n.fields.push((key, value.to_string()));
        }
    }
    if let Some(n) = node.as_mut().filter(|_| in_relations) {
        close_relations(n);
    }
    finish(node, &document, items, skipped);
    Ok(())
}

/// Turns the relations just read into links: `Parent` (with its role, where it has one) a link,
/// `Child` a reversed link, `File` an attribute.
fn close_relations(n: &mut Node) {
    let mut links = Vec::new();
    for l in std::mem::take(&mut n.links) {
        let (kind, role) = match l.role.split_once('\u{1}') {
            Some((k, r)) => (k.to_string(), Some(r.to_string())),
            None => (l.role.clone(), None),
        };
        if l.target.is_empty() {
            continue;
        }
        match kind.as_str() {
            "File" => n.fields.push(("File".into(), l.target)),
            "Child" => links.push(Link {
                role: format!("\u{0}child:{}", role.unwrap_or_else(|| "Parent".into())),
                target: l.target,
            }),
            _ => links.push(Link {
                role: role.unwrap_or(kind),
                target: l.target,
            }),
        }
    }
    n.links = links;
}

fn short(line: &str) -> String {
    let s: String = line.chars().take(60).collect();
    s.escape_debug().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[DOCUMENT]\nTITLE: Spec\nOPTIONS:\n  ENABLE_MID: True\n\n[GRAMMAR]\nELEMENTS:\n- TAG: REQUIREMENT\n  FIELDS:\n  - TITLE: UID\n\n[[SECTION]]\nTITLE: Part\n\n[REQUIREMENT]\nUID: SYS-1\nTITLE: One\nSTATEMENT: >>>\nShall do.\n\nReally.\n<<<\nRATIONALE: Because\nRELATIONS:\n- TYPE: Parent\n  VALUE: TOP-1\n- TYPE: File\n  VALUE: src/a.c\n- TYPE: Child\n  VALUE: SYS-2\n\n[TEXT]\nSTATEMENT: Narrative\n\n[[/SECTION]]\n\n[REQUIREMENT]\nUID: SYS-2\nSTATEMENT: Two\n";

    #[test]
    fn requirements_relations_and_text() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("a.sdoc");
        std::fs::write(&p, DOC).expect("write");
        let f = read(&[(p, "a.sdoc".into())]).expect("read");
        assert_eq!(f.items.len(), 2);
        let one = &f.items[0];
        assert_eq!(
            (
                one.source_id.as_str(),
                one.title.as_deref(),
                one.document.as_str()
            ),
            ("SYS-1", Some("One"), "Spec")
        );
        assert_eq!(one.text.as_deref(), Some("Shall do.\n\nReally.\n"));
        assert_eq!(one.location.line, Some(15));
        assert_eq!(
            one.links,
            vec![Link {
                role: "Parent".into(),
                target: "TOP-1".into()
            }]
        );
        assert!(one
            .attributes
            .contains(&("RATIONALE".into(), "Because".into())));
        assert!(one.attributes.contains(&("File".into(), "src/a.c".into())));
        assert_eq!(
            f.items[1].links,
            vec![Link {
                role: "Parent".into(),
                target: "SYS-1".into()
            }]
        );
        assert_eq!(f.skipped.len(), 1);
        assert!(f.skipped[0].reason.contains("[TEXT]"));
    }

    #[test]
    fn unclosed_and_stray_lines_name_the_line() {
        let mut items = Vec::new();
        let mut skipped = Vec::new();
        let e = parse(
            "[REQUIREMENT]\nSTATEMENT: >>>\nno end\n",
            "b.sdoc",
            &mut items,
            &mut skipped,
        )
        .expect_err("unclosed");
        assert_eq!(e.location.line, Some(2));
        let e = parse("stray\n", "b.sdoc", &mut items, &mut skipped).expect_err("stray");
        assert_eq!(e.location.line, Some(1));
        let e = parse(
            "[REQUIREMENT]\nno colon here\n",
            "b.sdoc",
            &mut items,
            &mut skipped,
        )
        .expect_err("no colon");
        assert_eq!(e.location.line, Some(2));
    }
}
