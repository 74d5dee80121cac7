//! The site's search: `search.html` and the index it searches, `search-index.js`.
//!
//! Search runs in the reader's browser, offline. A site opened from disk (`file://`) may not
//! `fetch()` a JSON file, so the index is written as a script that assigns one global
//! (`window.DDF_SEARCH_INDEX`) and is loaded with `<script src>`; `search.js` (a built-in
//! template file, copied as is) matches and ranks. The index holds, per record: id, type, title,
//! status, page and the record's text (field values and the body as plain text), so a query
//! finds ids, titles and prose alike.
//!
//! Record text must never become markup or code: the index is JSON with `<`, `>`, `&` and the
//! two JavaScript line separators escaped as `\uXXXX`, so no `</script>` or quote in a record
//! can end the string or the script, and `search.js` puts record text on the page only through
//! `textContent`.

use super::render::Renderer;
use super::views::{self, SiteView};
use super::{Input, OutFile, SiteError};
use crate::corpus::Corpus;
use crate::record::Record;
use pulldown_cmark::{Event, Parser, TagEnd};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// The search page.
pub const PAGE: &str = "search.html";
/// The index script the search page loads.
pub const INDEX: &str = "search-index.js";
/// The global the index script assigns.
pub const GLOBAL: &str = "DDF_SEARCH_INDEX";
/// At most this many characters of a record's body are indexed (its field values always are).
/// The start of a body says what the record is about; the cap keeps the index of a
/// 20,000-record DDF at about 13 MB instead of 17 MB (the generated benchmark corpus, whose
/// bodies average 650 characters), which the search page parses once, in well under a second.
pub const MAX_TEXT: usize = 500;

/// The search page's view (`search.html`).
#[derive(Debug, Clone, Serialize)]
pub struct SearchView {
    /// Common fields.
    pub site: SiteView,
    /// Number of records in the index.
    pub records: usize,
    /// The index script, relative to the site root.
    pub index: String,
}

/// The index as serialised: records are arrays (not objects) to keep 20,000 of them small.
#[derive(Debug, Serialize)]
struct Index<'a> {
    /// Layout of each entry of `records`.
    fields: [&'static str; 6],
    /// Type names; a record holds the position of its type here.
    types: Vec<&'a str>,
    /// Statuses; a record holds the position of its status here.
    statuses: Vec<&'a str>,
    /// `[id, type, title, status, href, text]`, by id.
    records: Vec<Entry>,
}

/// One record of the index: id, type (position in `types`), title, status (position in
/// `statuses`), page relative to the site root (`null` for a record without a page), text.
type Entry = (String, usize, String, usize, Option<String>, String);

/// The search page and its index.
pub fn pages(r: &Renderer, input: &Input<'_>, site: &SiteView) -> Result<Vec<OutFile>, SiteError> {
    let index = index_script(input.corpus);
    let view = SearchView {
        site: views::at_depth(site, ""),
        records: input.corpus.records.len(),
        index: INDEX.to_string(),
    };
    Ok(vec![
        r.page("site/search.html", PAGE.into(), &view)?,
        OutFile {
            path: INDEX.into(),
            bytes: index.into_bytes(),
        },
    ])
}

/// Entries of the search index serialised together (see [`index_script`]).
const INDEX_CHUNK: usize = 2048;

/// The text of `search-index.js` for `corpus`.
pub fn index_script(corpus: &Corpus) -> String {
    let mut types: BTreeMap<&str, usize> = BTreeMap::new();
    let mut statuses: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &corpus.records {
        types.insert(&r.type_name, 0);
        statuses.insert(r.status(), 0);
    }
    // Positions in sorted order, so the index does not depend on the order records are read.
    for (k, v) in types.values_mut().enumerate() {
        *v = k;
    }
    for (k, v) in statuses.values_mut().enumerate() {
        *v = k;
    }
    let mut order: Vec<usize> = (0..corpus.records.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (&corpus.records[a], &corpus.records[b]);
        (&ra.id, &ra.path).cmp(&(&rb.id, &rb.path))
    });
    let entry = |i: usize| -> String {
        let r = &corpus.records[i];
        let entry: Entry = (
            r.id.clone(),
            types.get(r.type_name.as_str()).copied().unwrap_or(0),
            r.title(),
            statuses.get(r.status()).copied().unwrap_or(0),
            views::has_page(corpus, i).then(|| format!("records/{}.html", r.id)),
            record_text(r),
        );
        // Serialising plain strings and numbers cannot fail.
        script_safe(&serde_json::to_string(&entry).unwrap_or_else(|_| "null".into()))
    };
    let head = Index {
        fields: ["id", "type", "title", "status", "href", "text"],
        types: types.keys().copied().collect(),
        statuses: statuses.keys().copied().collect(),
        records: Vec::new(),
    };
    let head =
        script_safe(&serde_json::to_string(&head).unwrap_or_else(|_| "{\"records\":[]}".into()));
    // `{..., "records":[]}` without its last two characters, then the entries.
    let open = head.strip_suffix("]}").unwrap_or(&head);
    let mut out = format!("/* The search index of this site, written by ddf; search.js reads it. */\nwindow.{GLOBAL} = {open}");
    // Entries are serialised (and made script-safe) a chunk at a time, each entry in parallel,
    // and each chunk is appended and freed: the index of 100,000 records is 65 MB, and holding
    // every entry until the script was joined kept it twice, in 100,000 pieces, at the build's
    // peak of memory. The first chunk's size sets the script's capacity, so it is not copied
    // as it grows.
    for (c, chunk) in order.chunks(INDEX_CHUNK).enumerate() {
        let entries: Vec<String> = chunk.par_iter().map(|&i| entry(i)).collect();
        if c == 0 {
            let chunk_len: usize = entries.iter().map(|e| e.len() + 1).sum();
            out.reserve(chunk_len.saturating_mul(order.len().div_ceil(INDEX_CHUNK)) + 8);
        }
        for (k, e) in entries.into_iter().enumerate() {
            if c > 0 || k > 0 {
                out.push(',');
            }
            out.push_str(&e);
        }
    }
    out.push_str("]};\n");
    out
}

/// `json` with the characters that could end a `<script>` element or a JavaScript string
/// escaped as `\uXXXX` (the same value once parsed). Only string contents can hold them: JSON
/// punctuation is ASCII and none of these.
pub fn script_safe(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'<' => "\\u003c",
            b'>' => "\\u003e",
            b'&' => "\\u0026",
            // U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
            0xE2 if bytes.get(i + 1) == Some(&0x80) => match bytes.get(i + 2) {
                Some(0xA8) => "\\u2028",
                Some(0xA9) => "\\u2029",
                _ => continue,
            },
            _ => continue,
        };
        // Every byte matched starts a character, so `start..i` are character boundaries.
        out.push_str(&json[start..i]);
        out.push_str(escape);
        start = i + if b == 0xE2 { 3 } else { 1 };
    }
    out.push_str(&json[start..]);
    out
}

/// What a record says, as one line of plain text: its body without Markdown, then its field
/// values other than id, type, title and status (which the index holds apart), whitespace
/// collapsed. The body is cut at [`MAX_TEXT`] characters (at a word boundary), so the fields,
/// where the links are, always make it in.
pub fn record_text(r: &Record) -> String {
    let mut text = String::new();
    push_words(&mut text, &plain_text(&r.body));
    if let Some((cut, _)) = text.char_indices().nth(MAX_TEXT) {
        // Cut at a word boundary where there is one close by, so no word is half indexed.
        let end = text[..cut]
            .rfind(' ')
            .filter(|&s| s + 40 > cut)
            .unwrap_or(cut);
        text.truncate(end);
    }
    for (k, v) in &r.fields {
        if matches!(k.as_str(), "id" | "type" | "title" | "status") {
            continue;
        }
        push_words(&mut text, &views::value_text(v));
    }
    text
}

/// Appends the words of `s` to `out`, separated by single spaces.
fn push_words(out: &mut String, s: &str) {
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
}

/// The words of a Markdown body: text, code and link text, without markup or raw HTML (whose
/// tags are not words a reader sees).
pub fn plain_text(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    for event in Parser::new_ext(body, pulldown_cmark::Options::ENABLE_TABLES) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::Rule => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_),
            ) => out.push(' '),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_escapes_what_could_end_a_script() {
        let json =
            serde_json::to_string("</script><script>alert('x') & \"q\"\u{2028}").expect("json");
        let safe = script_safe(&json);
        assert_eq!(
            safe,
            r#""\u003c/script\u003e\u003cscript\u003ealert('x') \u0026 \"q\"\u2028""#
        );
        // The same value once parsed.
        let back: String = serde_json::from_str(&safe).expect("parse");
        assert_eq!(back, "</script><script>alert('x') & \"q\"\u{2028}");
    }

    #[test]
    fn script_safe_is_the_character_by_character_escape() {
        let reference = |json: &str| -> String {
            json.chars()
                .map(|c| match c {
                    '<' => "\\u003c".to_string(),
                    '>' => "\\u003e".to_string(),
                    '&' => "\\u0026".to_string(),
                    '\u{2028}' => "\\u2028".to_string(),
                    '\u{2029}' => "\\u2029".to_string(),
                    c => c.to_string(),
                })
                .collect()
        };
        let pieces = [
            "", "a", "<", ">", "&", "\u{2028}", "\u{2029}", "…", "€", "\u{2027}", "\u{202a}", "é",
            "😀",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let s = format!("{a}{b}{c}");
                    assert_eq!(script_safe(&s), reference(&s), "{s:?}");
                }
            }
        }
    }

    /// The index is written piece by piece; it must be the same bytes as the whole index
    /// serialised at once and made script-safe.
    /// Serialised a chunk at a time, the script is the whole index serialised at once: with
    /// one chunk and with several.
    #[test]
    fn index_script_is_the_whole_index_serialised_once() {
        for n in [5, 2 * INDEX_CHUNK + 3] {
            let files: Vec<(String, String)> = (1..=n)
                .map(|i| {
                    (
                        format!("records/un/UN-{i:05}.md"),
                        format!(
                            "---\nid: UN-{i:05}\ntype: user-need\ntitle: \"Need {i} </script> & 'q' \\u2028\"\nstatus: {}\n---\nBody {i} <b>x</b> \u{2029} é\n",
                            ["draft", "approved"][i % 2]
                        ),
                    )
                })
                .collect();
            let corpus = crate::rules::testing::corpus("project: t\n", &files);
            assert_eq!(corpus.records.len(), n);
            let whole = Index {
                fields: ["id", "type", "title", "status", "href", "text"],
                types: vec!["user-need"],
                statuses: vec!["approved", "draft"],
                records: corpus
                    .records
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        (
                            r.id.clone(),
                            0,
                            r.title(),
                            usize::from(r.status() == "draft"),
                            views::has_page(&corpus, i).then(|| format!("records/{}.html", r.id)),
                            record_text(r),
                        )
                    })
                    .collect(),
            };
            let expected = format!(
                "/* The search index of this site, written by ddf; search.js reads it. */\nwindow.{GLOBAL} = {};\n",
                script_safe(&serde_json::to_string(&whole).expect("json"))
            );
            assert!(index_script(&corpus) == expected, "{n} records");
            assert!(!expected.contains("</script>"));
        }
    }

    #[test]
    fn plain_text_drops_markup_and_html() {
        assert_eq!(
            plain_text("# Title\n\nSome *emphasis* and `code`,\na [link](https://x.example).\n\n<div onclick=\"x\">raw</div>\n\n| a | b |\n|---|---|\n| c | d |\n")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            "Title Some emphasis and code, a link. a b c d"
        );
    }

    #[test]
    fn record_text_is_body_capped_then_fields() {
        let parsed = crate::record::parse(
            "records/DI-001.md",
            b"---\nid: DI-001\ntype: design-input\ntitle: Flow accuracy\nstatus: draft\nowner: PER-001\ntraces_to: [UN-001, UN-002]\n---\nThe pump shall\ndeliver **5%**.\n",
        );
        let r = parsed.record.expect("record");
        assert_eq!(
            record_text(&r),
            "The pump shall deliver 5%. PER-001 UN-001, UN-002"
        );
        let long = format!(
            "---\nid: DI-002\ntype: design-input\ntitle: Long\nstatus: draft\ntraces_to: [UN-009]\n---\n{}\n",
            "wörd ".repeat(1000)
        );
        let r = crate::record::parse("records/DI-002.md", long.as_bytes())
            .record
            .expect("record");
        let text = record_text(&r);
        let body = text
            .strip_suffix(" UN-009")
            .expect("fields after the cut body");
        assert!(body.chars().count() <= MAX_TEXT, "{}", body.chars().count());
        assert!(
            body.chars().count() > MAX_TEXT - 10,
            "{}",
            body.chars().count()
        );
        assert!(body.ends_with("wörd"), "cut at a word boundary");
    }
}
