//! ReqIF 1.x reader: `.reqif` XML, or a `.reqifz` zip holding `.reqif` files (read in memory,
//! bounded: nothing is extracted to disk).
//!
//! Each SPEC-OBJECT is an item: `ReqIF.ForeignID` is its source id (else its IDENTIFIER),
//! `ReqIF.Name` (else `ReqIF.ChapterName`, a `Title`, `Name` or `Object Heading` attribute) its
//! title, `ReqIF.Text` (else `Description`, `Object Text`, `Text`) its text, XHTML rendered as
//! Markdown; its SPEC-OBJECT-TYPE's name is its source type and the SPECIFICATION listing it its
//! document. Each SPEC-RELATION is a link on its SOURCE, of the role its SPEC-RELATION-TYPE
//! names. A file whose SPEC-OBJECT-TYPE identifiers all start with `ddf-type-` follows ddf's own
//! convention (docs/import.md), and the identity mapping is the default.

use super::{read_bounded, Foreign, Item, Link, Location, ReadError, Skipped, Tool, MAX_INPUT};
use crate::exchange::junit::LineCounter;
use std::collections::HashMap;
use std::path::Path;

/// The most XML nodes one file may have (a 20,000-object ReqIF has some 400,000).
const MAX_NODES: u32 = 50_000_000;
/// The most entries a `.reqifz` may hold.
const MAX_ZIP_ENTRIES: usize = 10_000;
/// The deepest XHTML nesting rendered as Markdown; deeper content is kept as plain text.
const MAX_XHTML_DEPTH: usize = 64;

/// Reads a `.reqif` or `.reqifz` file.
pub fn read(path: &Path, shown: &str) -> Result<Foreign, ReadError> {
    let bytes = read_bounded(path, shown)?;
    let mut texts: Vec<(String, String)> = Vec::new();
    if bytes.starts_with(b"PK") {
        texts = unzip(bytes, shown, MAX_INPUT)?;
    } else {
        texts.push((shown.to_string(), super::utf8(bytes, shown)?));
    }
    let mut out = Foreign {
        tool: Tool::Reqif,
        items: Vec::new(),
        skipped: Vec::new(),
        ddf_convention: true,
    };
    let mut any_type = false;
    for (name, text) in &texts {
        let (convention, typed) = parse(text, name, &mut out)?;
        out.ddf_convention &= convention;
        any_type |= typed;
    }
    out.ddf_convention &= any_type;
    Ok(out)
}

/// The `.reqif` files of a `.reqifz`, each read through a bound so that a zip bomb stops at
/// `limit` bytes in total ([`MAX_INPUT`]).
fn unzip(bytes: Vec<u8>, shown: &str, limit: u64) -> Result<Vec<(String, String)>, ReadError> {
    use std::io::Read;
    let bad = |m: String| {
        ReadError::new(
            shown,
            None,
            m,
            "check that the file is a ReqIF archive (.reqifz) and not damaged",
        )
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("is not a readable zip archive: {e}")))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(bad(format!("holds more than {MAX_ZIP_ENTRIES} entries")));
    }
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| bad(format!("entry {i}: {e}")))?;
        let name = entry.name().to_string();
        if !entry.is_file() || !name.to_ascii_lowercase().ends_with(".reqif") {
            continue;
        }
        let left = limit.saturating_sub(total);
        let mut buf = Vec::new();
        (&mut entry)
            .take(left + 1)
            .read_to_end(&mut buf)
            .map_err(|e| bad(format!("{name}: cannot be unpacked: {e}")))?;
        total += buf.len() as u64;
        if total > limit {
            return Err(ReadError::new(
                format!("{shown}/{name}"),
                None,
                format!("unpacks to more than {} MiB", limit / (1024 * 1024)),
                "a ReqIF archive this large is refused (it may be a zip bomb); unpack it and import the .reqif files one by one",
            ));
        }
        let entry_shown = format!("{shown}/{name}");
        out.push((entry_shown.clone(), super::utf8(buf, &entry_shown)?));
    }
    if out.is_empty() {
        return Err(bad("holds no .reqif file".into()));
    }
    Ok(out)
}

fn local(n: &roxmltree::Node<'_, '_>) -> &'static str {
    // Names compared below are the ReqIF element names; any namespace is ignored.
    match n.tag_name().name() {
        "SPEC-OBJECT" => "SPEC-OBJECT",
        "SPEC-RELATION" => "SPEC-RELATION",
        "SPEC-OBJECT-TYPE" => "SPEC-OBJECT-TYPE",
        "SPEC-RELATION-TYPE" => "SPEC-RELATION-TYPE",
        "SPECIFICATION" => "SPECIFICATION",
        "ENUM-VALUE" => "ENUM-VALUE",
        _ => "",
    }
}

fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The text of the first `*-REF` element below `n`'s child `name`.
fn ref_below(n: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    let c = child(n, name)?;
    c.descendants()
        .find(|d| d.is_element() && d.tag_name().name().ends_with("-REF"))
        .and_then(|d| d.text())
        .map(|t| t.trim().to_string())
}

/// Parses one ReqIF text into `out`. Returns whether its object types follow ddf's convention,
/// and whether it has any object type.
fn parse(text: &str, shown: &str, out: &mut Foreign) -> Result<(bool, bool), ReadError> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, opts).map_err(|e| {
        let pos = e.pos();
        let hint = if matches!(e, roxmltree::Error::DtdDetected) {
            "ReqIF has no DOCTYPE; ddf does not read DTDs (their entities can expand without bound): remove the <!DOCTYPE> declaration"
        } else {
            "check that the file is a complete ReqIF export"
        };
        ReadError::new(shown, Some(pos.row as usize), format!("is not well-formed XML (column {}): {e}", pos.col), hint)
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "REQ-IF" {
        return Err(ReadError::new(
            shown,
            Some(1),
            format!(
                "is not ReqIF: the root element is <{}>",
                root.tag_name().name()
            ),
            "give a ReqIF 1.x file (root element REQ-IF)",
        ));
    }
    // Definitions: attribute definitions, enum values, object and relation types.
    let mut attr_names: HashMap<&str, &str> = HashMap::new();
    let mut enum_names: HashMap<&str, &str> = HashMap::new();
    let mut object_types: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut relation_types: HashMap<&str, &str> = HashMap::new();
    for n in root.descendants().filter(|n| n.is_element()) {
        let name = n.tag_name().name();
        let (Some(id), long) = (n.attribute("IDENTIFIER"), n.attribute("LONG-NAME")) else {
            continue;
        };
        if name.starts_with("ATTRIBUTE-DEFINITION-") {
            attr_names.insert(id, long.unwrap_or(id));
        } else {
            match local(&n) {
                "ENUM-VALUE" => {
                    enum_names.insert(id, long.unwrap_or(id));
                }
                "SPEC-OBJECT-TYPE" => {
                    object_types.insert(id, (long.unwrap_or(id), id));
                }
                "SPEC-RELATION-TYPE" => {
                    relation_types.insert(id, long.unwrap_or(id));
                }
                _ => {}
            }
        }
    }
    let convention = object_types
        .values()
        .all(|(_, id)| id.starts_with("ddf-type-"));
    // Documents: the specification listing each object.
    let mut document_of: HashMap<String, String> = HashMap::new();
    for spec in root
        .descendants()
        .filter(|n| n.is_element() && local(n) == "SPECIFICATION")
    {
        let title = spec
            .attribute("LONG-NAME")
            .or(spec.attribute("IDENTIFIER"))
            .unwrap_or("");
        for r in spec
            .descendants()
            .filter(|d| d.is_element() && d.tag_name().name() == "SPEC-OBJECT-REF")
        {
            if let Some(t) = r.text() {
                document_of
                    .entry(t.trim().to_string())
                    .or_insert_with(|| title.to_string());
            }
        }
    }
    // Objects.
    let first = out.items.len();
    let mut source_of: HashMap<String, String> = HashMap::new();
    let mut foreign_ids: Vec<(String, Option<String>)> = Vec::new();
    let mut lines = LineCounter::new(text);
    for o in root
        .descendants()
        .filter(|n| n.is_element() && local(n) == "SPEC-OBJECT")
    {
        let location = Location {
            file: shown.to_string(),
            line: Some(lines.line_at(o.range().start) as usize),
        };
        let Some(ident) = o.attribute("IDENTIFIER") else {
            out.skipped.push(Skipped {
                source_id: String::new(),
                location,
                reason: "a SPEC-OBJECT without IDENTIFIER".into(),
            });
            continue;
        };
        let source_type = ref_below(o, "TYPE")
            .map(|t| {
                object_types
                    .get(t.as_str())
                    .map_or(t.clone(), |(n, _)| (*n).to_string())
            })
            .unwrap_or_default();
        let mut attributes: Vec<(String, String)> = Vec::new();
        if let Some(values) = child(o, "VALUES") {
            for v in values.children().filter(|c| c.is_element()) {
                let def = ref_below(v, "DEFINITION").unwrap_or_default();
                let name = attr_names
                    .get(def.as_str())
                    .map_or(def.clone(), |n| (*n).to_string());
                let kind = v.tag_name().name();
                let value = if kind.ends_with("-XHTML") {
                    child(v, "THE-VALUE")
                        .map(|tv| xhtml_to_markdown(tv))
                        .unwrap_or_default()
                } else if kind.ends_with("-ENUMERATION") {
                    child(v, "VALUES")
                        .map(|vs| {
                            vs.descendants()
                                .filter(|d| {
                                    d.is_element() && d.tag_name().name() == "ENUM-VALUE-REF"
                                })
                                .filter_map(|d| d.text())
                                .map(|t| {
                                    enum_names
                                        .get(t.trim())
                                        .map_or(t.trim(), |n| *n)
                                        .to_string()
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default()
                } else {
                    v.attribute("THE-VALUE").unwrap_or("").to_string()
                };
                attributes.push((name, value));
            }
        }
        let take = |attrs: &mut Vec<(String, String)>, names: &[&str]| -> Option<String> {
            for n in names {
                if let Some(p) = attrs
                    .iter()
                    .position(|(k, v)| k.eq_ignore_ascii_case(n) && !v.trim().is_empty())
                {
                    return Some(attrs.remove(p).1);
                }
            }
            None
        };
        let foreign_id = take(&mut attributes, &["ReqIF.ForeignID"]).map(|s| s.trim().to_string());
        let title = take(
            &mut attributes,
            &[
                "ReqIF.Name",
                "ReqIF.ChapterName",
                "Title",
                "Name",
                "Object Heading",
                "Heading",
            ],
        )
        .map(|t| t.trim().to_string());
        let text_value = take(
            &mut attributes,
            &[
                "ReqIF.Text",
                "Description",
                "Object Text",
                "Text",
                "Statement",
            ],
        );
        foreign_ids.push((ident.to_string(), foreign_id.clone()));
        let source_id = foreign_id.unwrap_or_else(|| ident.to_string());
        source_of.insert(ident.to_string(), source_id.clone());
        out.items.push(Item {
            source_id,
            source_type,
            document: document_of.get(ident).cloned().unwrap_or_default(),
            level: 0,
            title: title.map(|t| t.replace('\n', " ").trim().to_string()),
            text: text_value,
            attributes,
            links: Vec::new(),
            location,
        });
        if out.items.len() > super::MAX_ITEMS {
            return Err(ReadError::new(
                shown,
                None,
                format!("holds more than {} objects", super::MAX_ITEMS),
                "split the export",
            ));
        }
    }
    // A ForeignID more than one object has (an anonymised export) is no id: those objects keep
    // their IDENTIFIER, and the ForeignID as an attribute.
    let mut count: HashMap<String, usize> = HashMap::new();
    for (_, fid) in &foreign_ids {
        if let Some(f) = fid {
            *count.entry(f.clone()).or_default() += 1;
        }
    }
    for (k, (ident, fid)) in foreign_ids.iter().enumerate() {
        if let Some(f) = fid
            .as_ref()
            .filter(|f| count.get(*f).copied().unwrap_or(0) > 1)
        {
            let item = &mut out.items[first + k];
            item.source_id = ident.clone();
            item.attributes
                .insert(0, ("ReqIF.ForeignID".into(), f.clone()));
            source_of.insert(ident.clone(), ident.clone());
        }
    }
    // Relations.
    let index: HashMap<String, usize> = out.items[first..]
        .iter()
        .enumerate()
        .map(|(i, it)| (it.source_id.clone(), first + i))
        .collect();
    let mut lines = LineCounter::new(text);
    for r in root
        .descendants()
        .filter(|n| n.is_element() && local(n) == "SPEC-RELATION")
    {
        let role = ref_below(r, "TYPE")
            .map(|t| {
                relation_types
                    .get(t.as_str())
                    .map_or(t.clone(), |n| (*n).to_string())
            })
            .unwrap_or_default();
        let (Some(src), Some(tgt)) = (ref_below(r, "SOURCE"), ref_below(r, "TARGET")) else {
            out.skipped.push(Skipped {
                source_id: r.attribute("IDENTIFIER").unwrap_or("").to_string(),
                location: Location {
                    file: shown.to_string(),
                    line: Some(lines.line_at(r.range().start) as usize),
                },
                reason: "a SPEC-RELATION without SOURCE or TARGET".into(),
            });
            continue;
        };
        let from = source_of.get(&src).cloned().unwrap_or(src);
        let to = source_of.get(&tgt).cloned().unwrap_or(tgt);
        match index.get(&from) {
            Some(&i) => out.items[i].links.push(Link { role, target: to }),
            None => out.skipped.push(Skipped {
                source_id: r.attribute("IDENTIFIER").unwrap_or("").to_string(),
                location: Location {
                    file: shown.to_string(),
                    line: Some(lines.line_at(r.range().start) as usize),
                },
                reason: format!(
                    "a SPEC-RELATION from `{from}`, which is no SPEC-OBJECT of the file"
                ),
            }),
        }
    }
    Ok((convention, !object_types.is_empty()))
}

/// XHTML (the content of a THE-VALUE) as Markdown: paragraphs, line breaks, emphasis, code,
/// lists, links, headings and tables (GFM pipe tables); anything else as its text.
pub fn xhtml_to_markdown(n: roxmltree::Node<'_, '_>) -> String {
    let mut out = String::new();
    render(n, &mut out, 0, &mut Ctx::default());
    // Collapse the blank lines blocks leave behind.
    let mut text = String::new();
    let mut blank = 0;
    for l in out.lines() {
        let l = l.trim_end();
        if l.is_empty() {
            blank += 1;
            continue;
        }
        if !text.is_empty() && blank > 0 {
            text.push('\n');
        }
        blank = 0;
        text.push_str(l);
        text.push('\n');
    }
    text
}

/// Where the converter is: the lists open around it (ordered, items so far), inside `pre`,
/// inside a table cell (where Markdown has no blocks: they degrade to text).
#[derive(Default)]
struct Ctx {
    lists: Vec<(bool, usize)>,
    in_pre: bool,
    in_cell: bool,
}

/// The most columns a table keeps; the cells after are joined into the last one, so that a
/// hostile row of many cells cannot make every other row padded as wide.
const MAX_TABLE_COLUMNS: usize = 64;

fn render(n: roxmltree::Node<'_, '_>, out: &mut String, depth: usize, ctx: &mut Ctx) {
    for c in n.children() {
        if c.is_text() {
            let t = c.text().unwrap_or("");
            if ctx.in_pre {
                out.push_str(t);
            } else {
                let collapsed: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
                if !collapsed.is_empty() {
                    if t.starts_with(char::is_whitespace)
                        && !out.ends_with([' ', '\n'])
                        && !out.is_empty()
                    {
                        out.push(' ');
                    }
                    out.push_str(&collapsed);
                    if t.ends_with(char::is_whitespace) {
                        out.push(' ');
                    }
                } else if !t.is_empty() && !out.is_empty() && !out.ends_with([' ', '\n']) {
                    // The space between two inline elements (`<strong>a</strong> <code>b</code>`)
                    // is a word break, not layout.
                    out.push(' ');
                }
            }
            continue;
        }
        if !c.is_element() {
            continue;
        }
        if depth >= MAX_XHTML_DEPTH {
            let t: String = c
                .descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect();
            out.push_str(&t);
            continue;
        }
        let name = c.tag_name().name();
        match name {
            "p" | "div" => {
                block(out);
                render(c, out, depth + 1, ctx);
                out.push_str("\n\n");
            }
            "br" => out.push_str("  \n"),
            "b" | "strong" => wrap(c, out, "**", depth, ctx),
            "i" | "em" => wrap(c, out, "*", depth, ctx),
            "code" | "tt" => wrap(c, out, "`", depth, ctx),
            "pre" => {
                block(out);
                let was = std::mem::replace(&mut ctx.in_pre, true);
                if ctx.in_cell {
                    // No fence in a cell: the lines, which become `<br>`.
                    render(c, out, depth + 1, ctx);
                } else {
                    out.push_str("```\n");
                    render(c, out, depth + 1, ctx);
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str("```\n\n");
                }
                ctx.in_pre = was;
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                block(out);
                if ctx.in_cell {
                    wrap(c, out, "**", depth, ctx);
                } else {
                    let level = name[1..].parse::<usize>().unwrap_or(1);
                    out.push_str(&"#".repeat(level));
                    out.push(' ');
                    render(c, out, depth + 1, ctx);
                }
                out.push_str("\n\n");
            }
            "ul" | "ol" => {
                if ctx.lists.is_empty() {
                    block(out);
                } else if !out.ends_with('\n') {
                    out.push('\n');
                }
                ctx.lists.push((name == "ol", 0));
                render(c, out, depth + 1, ctx);
                ctx.lists.pop();
                if ctx.lists.is_empty() {
                    out.push('\n');
                }
            }
            "li" => {
                if !out.ends_with('\n') && !out.is_empty() {
                    out.push('\n');
                }
                let indent = "  ".repeat(ctx.lists.len().saturating_sub(1));
                let marker = match ctx.lists.last_mut() {
                    Some((true, k)) => {
                        *k += 1;
                        format!("{k}. ")
                    }
                    _ => "- ".to_string(),
                };
                out.push_str(&indent);
                out.push_str(&marker);
                render(c, out, depth + 1, ctx);
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            "a" => {
                let href = c.attribute("href").unwrap_or("");
                out.push('[');
                render(c, out, depth + 1, ctx);
                out.push_str(&format!("]({href})"));
            }
            "table" if !ctx.in_cell => table(c, out, depth),
            // A table in a cell: its rows as lines, its cells as words.
            "tr" if ctx.in_cell => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                render(c, out, depth + 1, ctx);
                out.push('\n');
            }
            "td" | "th" if ctx.in_cell => {
                if !out.is_empty() && !out.ends_with([' ', '\n']) {
                    out.push(' ');
                }
                render(c, out, depth + 1, ctx);
            }
            _ => render(c, out, depth + 1, ctx),
        }
    }
}

/// A table as a GFM pipe table: the rows of `thead`, then of `tbody` and those directly in the
/// table, then of `tfoot`; the first row is the header (a table without `thead` has its
/// header in its first row, as ddf's export writes it). A `caption` is a paragraph before it.
fn table<'a, 'i>(t: roxmltree::Node<'a, 'i>, out: &mut String, depth: usize) {
    fn rows_of<'a, 'i>(n: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
        n.children()
            .filter(|r| r.is_element() && r.tag_name().name() == "tr")
            .collect()
    }
    let (mut head, mut body, mut foot) = (Vec::new(), Vec::new(), Vec::new());
    for c in t.children().filter(|c| c.is_element()) {
        match c.tag_name().name() {
            "caption" => {
                block(out);
                render(c, out, depth + 1, &mut Ctx::default());
                out.push_str("\n\n");
            }
            "thead" => head.extend(rows_of(c)),
            "tbody" => body.extend(rows_of(c)),
            "tfoot" => foot.extend(rows_of(c)),
            "tr" => body.push(c),
            _ => {}
        }
    }
    let rows: Vec<Vec<(String, Option<&str>)>> = head
        .into_iter()
        .chain(body)
        .chain(foot)
        .map(|r| row(r, depth + 1))
        .filter(|r| !r.is_empty())
        .collect();
    let Some(columns) = rows.iter().map(Vec::len).max() else {
        return;
    };
    // A column's alignment: of its header cell, else of its cell in the first row below.
    let align: Vec<&str> = (0..columns)
        .map(|k| {
            let of = |r: Option<&Vec<(String, Option<&'static str>)>>| {
                r.and_then(|r| r.get(k)).and_then(|c| c.1)
            };
            match of(rows.first()).or_else(|| of(rows.get(1))) {
                Some("center") => ":---:",
                Some("right") => "---:",
                Some("left") => ":---",
                _ => "---",
            }
        })
        .collect();
    block(out);
    for (k, r) in rows.iter().enumerate() {
        out.push('|');
        for i in 0..columns {
            match r.get(i).map(|c| c.0.as_str()) {
                Some(cell) if !cell.is_empty() => {
                    out.push(' ');
                    out.push_str(cell);
                    out.push_str(" |");
                }
                _ => out.push_str(" |"),
            }
        }
        out.push('\n');
        if k == 0 {
            out.push('|');
            for a in &align {
                out.push_str(a);
                out.push('|');
            }
            out.push('\n');
        }
    }
    out.push('\n');
}

/// The cells of a table row: each cell's content as one line of Markdown (its blocks joined
/// with `<br>`, `|` escaped) with its alignment; a cell spanning columns followed by empty
/// cells. At most [`MAX_TABLE_COLUMNS`] cells: the rest are joined into the last.
fn row(r: roxmltree::Node<'_, '_>, depth: usize) -> Vec<(String, Option<&'static str>)> {
    let mut cells: Vec<(String, Option<&'static str>)> = Vec::new();
    for c in r
        .children()
        .filter(|c| c.is_element() && matches!(c.tag_name().name(), "td" | "th"))
    {
        let mut md = String::new();
        if depth < MAX_XHTML_DEPTH {
            let mut ctx = Ctx {
                in_cell: true,
                ..Ctx::default()
            };
            render(c, &mut md, depth + 1, &mut ctx);
        } else {
            md = c
                .descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect();
        }
        let text = md
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("<br>")
            .replace('|', "\\|");
        let span = c
            .attribute("colspan")
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, MAX_TABLE_COLUMNS);
        if cells.len() >= MAX_TABLE_COLUMNS {
            if let Some(last) = cells.last_mut() {
                if !text.is_empty() {
                    if !last.0.is_empty() {
                        last.0.push_str("<br>");
                    }
                    last.0.push_str(&text);
                }
            }
            continue;
        }
        cells.push((text, alignment(c)));
        for _ in 1..span {
            if cells.len() >= MAX_TABLE_COLUMNS {
                break;
            }
            cells.push((String::new(), None));
        }
    }
    cells
}

/// A cell's horizontal alignment: its `align` attribute, else `text-align` in its `style`.
fn alignment(c: roxmltree::Node<'_, '_>) -> Option<&'static str> {
    let style = c.attribute("style").unwrap_or("");
    let from_style = style.split(';').find_map(|d| {
        let (k, v) = d.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("text-align")
            .then_some(v.trim())
    });
    match c
        .attribute("align")
        .or(from_style)?
        .to_ascii_lowercase()
        .as_str()
    {
        "left" => Some("left"),
        "center" => Some("center"),
        "right" => Some("right"),
        _ => None,
    }
}

fn block(out: &mut String) {
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
    }
}

fn wrap(c: roxmltree::Node<'_, '_>, out: &mut String, mark: &str, depth: usize, ctx: &mut Ctx) {
    out.push_str(mark);
    render(c, out, depth + 1, ctx);
    out.push_str(mark);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(xhtml: &str) -> String {
        let text =
            format!("<THE-VALUE xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">{xhtml}</THE-VALUE>");
        let doc = roxmltree::Document::parse(&text).expect("xml");
        xhtml_to_markdown(doc.root_element())
    }

    #[test]
    fn xhtml_becomes_markdown() {
        assert_eq!(md("<xhtml:div><xhtml:p>The pump <xhtml:b>shall</xhtml:b> stop.</xhtml:p><xhtml:p>Two</xhtml:p></xhtml:div>"), "The pump **shall** stop.\n\nTwo\n");
        assert_eq!(
            md("<xhtml:ul><xhtml:li>a</xhtml:li><xhtml:li>b</xhtml:li></xhtml:ul>"),
            "- a\n- b\n"
        );
        assert_eq!(
            md("<xhtml:ol><xhtml:li>a</xhtml:li><xhtml:li>b</xhtml:li></xhtml:ol>"),
            "1. a\n2. b\n"
        );
        let deep = format!(
            "{}x{}",
            "<xhtml:div>".repeat(200),
            "</xhtml:div>".repeat(200)
        );
        assert_eq!(md(&deep), "x\n");
    }

    #[test]
    fn tables_become_pipe_tables() {
        // ddf's export: the header row of `th` directly in the table, no `thead`.
        assert_eq!(
            md("<xhtml:div><xhtml:p>Before</xhtml:p><xhtml:table><xhtml:tr><xhtml:th>a</xhtml:th><xhtml:th>b</xhtml:th></xhtml:tr><xhtml:tr><xhtml:td>1</xhtml:td><xhtml:td><xhtml:code>x</xhtml:code></xhtml:td></xhtml:tr></xhtml:table><xhtml:p>After</xhtml:p></xhtml:div>"),
            "Before\n\n| a | b |\n|---|---|\n| 1 | `x` |\n\nAfter\n"
        );
        // thead, tbody and tfoot in that order whatever the order written (XHTML 1.0 puts
        // tfoot first), alignment from `align` or `style`, a caption before the table, an
        // empty cell as `| |`, a short row padded.
        assert_eq!(
            md("<xhtml:table><xhtml:caption>Rates</xhtml:caption><xhtml:thead><xhtml:tr><xhtml:th></xhtml:th><xhtml:th align=\"right\">U/h</xhtml:th><xhtml:th style=\"color: red; text-align : Center\">x</xhtml:th></xhtml:tr></xhtml:thead><xhtml:tfoot><xhtml:tr><xhtml:td>sum</xhtml:td></xhtml:tr></xhtml:tfoot><xhtml:tbody><xhtml:tr><xhtml:td>basal</xhtml:td><xhtml:td>1.0</xhtml:td><xhtml:td>y</xhtml:td></xhtml:tr></xhtml:tbody></xhtml:table>"),
            "Rates\n\n| | U/h | x |\n|---|---:|:---:|\n| basal | 1.0 | y |\n| sum | | |\n"
        );
        // A pipe is escaped; paragraphs, line breaks and lists in a cell become `<br>`, soft
        // line breaks spaces; a heading is bold, `pre` its lines.
        assert_eq!(
            md("<xhtml:table><xhtml:tr><xhtml:td>a|b</xhtml:td><xhtml:td><xhtml:p>one\n two</xhtml:p><xhtml:p>three<xhtml:br/>four</xhtml:p></xhtml:td><xhtml:td><xhtml:ul><xhtml:li>x</xhtml:li><xhtml:li>y</xhtml:li></xhtml:ul></xhtml:td><xhtml:td><xhtml:h2>H</xhtml:h2><xhtml:pre>l1\nl2</xhtml:pre></xhtml:td></xhtml:tr></xhtml:table>"),
            "| a\\|b | one two<br>three<br>four | - x<br>- y | **H**<br>l1<br>l2 |\n|---|---|---|---|\n"
        );
    }

    #[test]
    fn tables_of_other_tools_degrade_to_text_never_fail() {
        // DOORS Next: a table inside a paragraph, cells holding paragraphs, a colspan; a
        // nested table becomes its rows' words on lines of the cell.
        let doors = "<xhtml:div><xhtml:p>Text before<xhtml:table border=\"1\"><xhtml:tbody><xhtml:tr><xhtml:td colspan=\"2\"><xhtml:p>Wide</xhtml:p></xhtml:td></xhtml:tr><xhtml:tr><xhtml:td><xhtml:p>a</xhtml:p></xhtml:td><xhtml:td><xhtml:table><xhtml:tr><xhtml:td>n1</xhtml:td><xhtml:td>n2</xhtml:td></xhtml:tr><xhtml:tr><xhtml:td>n3</xhtml:td></xhtml:tr></xhtml:table></xhtml:td></xhtml:tr></xhtml:tbody></xhtml:table></xhtml:p><xhtml:p>After</xhtml:p></xhtml:div>";
        assert_eq!(
            md(doors),
            "Text before\n\n| Wide | |\n|---|---|\n| a | n1 n2<br>n3 |\n\nAfter\n"
        );
        // No rows, no cells: nothing; rows of no cells are left out.
        assert_eq!(md("<xhtml:table></xhtml:table>"), "");
        assert_eq!(md("<xhtml:table><xhtml:tr/></xhtml:table>"), "");
        // A huge colspan and a row of many cells stay within the column bound; no text is lost.
        let wide = format!(
            "<xhtml:table><xhtml:tr><xhtml:td colspan=\"4000000000\">a</xhtml:td></xhtml:tr><xhtml:tr>{}</xhtml:tr></xhtml:table>",
            (0..100).map(|i| format!("<xhtml:td>c{i}</xhtml:td>")).collect::<String>()
        );
        let out = md(&wide);
        let first = out.lines().next().unwrap_or("");
        assert_eq!(first.matches(" |").count(), MAX_TABLE_COLUMNS, "{first}");
        assert!(
            out.contains("c63<br>c64<br>") && out.contains("c99 |"),
            "{out}"
        );
        // Tables nested deeper than the bound are text.
        let deep = format!(
            "{}<xhtml:td>x</xhtml:td>{}",
            "<xhtml:table><xhtml:tr><xhtml:td>".repeat(100),
            "</xhtml:td></xhtml:tr></xhtml:table>".repeat(100)
        );
        assert!(md(&deep).contains('x'));
    }

    #[test]
    fn markdown_tables_come_back_from_the_export() {
        for table in [
            "| a | b |\n|---|---|\n| 1 | 2 |\n",
            "| | initial | residual |\n|---|---|---|\n| safety HS (8): A / R / U | 0 / 0 / 8 | 7 / 1 / 0 |\n",
            "| id | `code` and *em* | a \\| b |\n|:---|:---:|---:|\n| x | [link](https://example.org/) | **y** |\n",
            "| only a header |\n|---|\n",
        ] {
            let xhtml = crate::exchange::export::xhtml::markdown(table, "xhtml");
            assert_eq!(md(&format!("<xhtml:div>{xhtml}</xhtml:div>")), table, "{xhtml}");
        }
    }

    #[test]
    fn lines_are_counted_once_in_order() {
        let text = "a\nb\n\nc\nd";
        let mut lines = LineCounter::new(text);
        assert_eq!(lines.line_at(0), 1);
        assert_eq!(lines.line_at(2), 2);
        assert_eq!(lines.line_at(5), 4);
        assert_eq!(lines.line_at(5), 4);
        // Out of order: still right.
        assert_eq!(lines.line_at(4), 3);
        assert_eq!(lines.line_at(100), 5);
    }

    const SMALL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<REQ-IF xmlns="http://www.omg.org/spec/ReqIF/20110401/reqif.xsd"><CORE-CONTENT><REQ-IF-CONTENT>
<SPEC-TYPES>
<SPEC-OBJECT-TYPE IDENTIFIER="ddf-type-design-input" LONG-NAME="design-input"><SPEC-ATTRIBUTES>
<ATTRIBUTE-DEFINITION-STRING IDENTIFIER="a-fid" LONG-NAME="ReqIF.ForeignID"/>
<ATTRIBUTE-DEFINITION-STRING IDENTIFIER="a-name" LONG-NAME="ReqIF.Name"/>
<ATTRIBUTE-DEFINITION-STRING IDENTIFIER="a-cat" LONG-NAME="category"/>
</SPEC-ATTRIBUTES></SPEC-OBJECT-TYPE>
<SPEC-RELATION-TYPE IDENTIFIER="ddf-link-traces_to" LONG-NAME="traces_to"/>
</SPEC-TYPES>
<SPEC-OBJECTS>
<SPEC-OBJECT IDENTIFIER="ddf-DI-001"><TYPE><SPEC-OBJECT-TYPE-REF>ddf-type-design-input</SPEC-OBJECT-TYPE-REF></TYPE><VALUES>
<ATTRIBUTE-VALUE-STRING THE-VALUE="DI-001"><DEFINITION><ATTRIBUTE-DEFINITION-STRING-REF>a-fid</ATTRIBUTE-DEFINITION-STRING-REF></DEFINITION></ATTRIBUTE-VALUE-STRING>
<ATTRIBUTE-VALUE-STRING THE-VALUE="Rate"><DEFINITION><ATTRIBUTE-DEFINITION-STRING-REF>a-name</ATTRIBUTE-DEFINITION-STRING-REF></DEFINITION></ATTRIBUTE-VALUE-STRING>
<ATTRIBUTE-VALUE-STRING THE-VALUE="performance"><DEFINITION><ATTRIBUTE-DEFINITION-STRING-REF>a-cat</ATTRIBUTE-DEFINITION-STRING-REF></DEFINITION></ATTRIBUTE-VALUE-STRING>
</VALUES></SPEC-OBJECT>
<SPEC-OBJECT IDENTIFIER="ddf-DI-002"><TYPE><SPEC-OBJECT-TYPE-REF>ddf-type-design-input</SPEC-OBJECT-TYPE-REF></TYPE><VALUES>
<ATTRIBUTE-VALUE-STRING THE-VALUE="DI-002"><DEFINITION><ATTRIBUTE-DEFINITION-STRING-REF>a-fid</ATTRIBUTE-DEFINITION-STRING-REF></DEFINITION></ATTRIBUTE-VALUE-STRING>
</VALUES></SPEC-OBJECT>
</SPEC-OBJECTS>
<SPEC-RELATIONS><SPEC-RELATION IDENTIFIER="r1"><TYPE><SPEC-RELATION-TYPE-REF>ddf-link-traces_to</SPEC-RELATION-TYPE-REF></TYPE>
<SOURCE><SPEC-OBJECT-REF>ddf-DI-002</SPEC-OBJECT-REF></SOURCE><TARGET><SPEC-OBJECT-REF>ddf-DI-001</SPEC-OBJECT-REF></TARGET></SPEC-RELATION></SPEC-RELATIONS>
</REQ-IF-CONTENT></CORE-CONTENT></REQ-IF>"#;

    #[test]
    fn ddf_convention_is_recognised() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("a.reqif");
        std::fs::write(&p, SMALL).expect("write");
        let f = read(&p, "a.reqif").expect("read");
        assert!(f.ddf_convention);
        assert_eq!(f.items.len(), 2);
        assert_eq!(f.items[0].source_id, "DI-001");
        assert_eq!(f.items[0].source_type, "design-input");
        assert_eq!(f.items[0].title.as_deref(), Some("Rate"));
        assert_eq!(
            f.items[0].attributes,
            vec![("category".to_string(), "performance".to_string())]
        );
        assert_eq!(
            f.items[1].links,
            vec![Link {
                role: "traces_to".into(),
                target: "DI-001".into()
            }]
        );
    }

    #[test]
    fn hostile_files_are_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("b.reqif");
        std::fs::write(
            &p,
            "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n<REQ-IF>&a;</REQ-IF>",
        )
        .expect("write");
        let e = read(&p, "b.reqif").expect_err("DTD refused");
        assert!(e.message.contains("DTD"), "{e}");
        std::fs::write(&p, "<html/>").expect("write");
        assert!(read(&p, "b.reqif")
            .expect_err("not reqif")
            .message
            .contains("not ReqIF"));
        // A zip whose one entry unpacks to more than the bound (1 MiB here).
        let mut bomb = std::io::Cursor::new(Vec::new());
        {
            use std::io::Write;
            let mut w = zip::ZipWriter::new(&mut bomb);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file("big.reqif", opts).expect("start");
            w.write_all(&vec![b' '; 3 * 1024 * 1024]).expect("write");
            w.finish().expect("finish");
        }
        let bytes = bomb.into_inner();
        assert!(bytes.len() < 64 * 1024, "compressed small");
        let e = unzip(bytes, "bomb.reqifz", 1024 * 1024).expect_err("bomb refused");
        assert!(e.message.contains("unpacks to more than"), "{e}");
    }
}
