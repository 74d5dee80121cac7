//! Markdown to XHTML 1.0 strict fragments, as ReqIF's `ATTRIBUTE-VALUE-XHTML` requires: only the
//! elements of the XHTML modules ReqIF's driver schema includes, every element closed, raw HTML
//! kept as text (it may not be well-formed XML), unsafe link schemes dropped (a pull request is
//! untrusted input and the file is opened in other tools).

use pulldown_cmark::{Alignment, Event, Options, Parser, Tag, TagEnd};

/// Replaces the characters XML 1.0 does not allow (C0 controls but tab, newline and carriage
/// return; U+FFFE, U+FFFF) with U+FFFD, so any text makes a well-formed document.
pub fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if s.chars().any(bad) {
        s.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

/// Escapes text for element content.
pub fn text(s: &str) -> String {
    let s = xml_chars(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A bare CR would be normalised away by parsers.
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a double-quoted attribute value; line breaks and tabs as character
/// references, so parsers do not normalise them to spaces.
pub fn attr(s: &str) -> String {
    let s = xml_chars(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// The URL as an `xsd:anyURI` that schema validators accept (spaces, controls, non-ASCII and the
/// characters URIs exclude percent-encoded), or `None` for a scheme other than http, https,
/// mailto and ftp (`javascript:` and the like): the link is then kept as text only.
fn safe_uri(url: &str) -> Option<String> {
    let scheme_end = url.find(':');
    let path_start = url.find(['/', '?', '#']).unwrap_or(url.len());
    if let Some(i) = scheme_end.filter(|&i| i < path_start) {
        let scheme = url[..i].to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https" | "mailto" | "ftp") {
            return None;
        }
    }
    let bytes = url.as_bytes();
    let mut out = String::with_capacity(url.len());
    for (i, &b) in bytes.iter().enumerate() {
        let hex_follows = || {
            bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        };
        let keep = b.is_ascii_alphanumeric()
            || b"-._~:/?#[]@!$&'()*+,;=".contains(&b)
            || (b == b'%' && hex_follows());
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}

/// The Markdown `md` as the content of an XHTML `div` (without the `div`), every element with
/// the namespace prefix `p` (`xhtml`). Tables, strikethrough and task lists are read as on the
/// site. Images become `object` elements with the alternative text inside (ReqIF's XHTML has no
/// `img`).
pub fn markdown(md: &str, p: &str) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut out = String::with_capacity(md.len() + md.len() / 2);
    // The closing text of each open Markdown element, in nesting order.
    let mut closers: Vec<String> = Vec::new();
    let mut in_head = false;
    // The alignment of each column of the open table, and the column of the next cell.
    let mut aligns: Vec<Alignment> = Vec::new();
    let mut column = 0usize;
    let open = |out: &mut String, closers: &mut Vec<String>, name: &str| {
        out.push_str(&format!("<{p}:{name}>"));
        closers.push(format!("</{p}:{name}>"));
    };
    for event in Parser::new_ext(md, opts) {
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => open(&mut out, &mut closers, "p"),
                Tag::Heading { level, .. } => {
                    open(&mut out, &mut closers, &format!("h{}", level as usize))
                }
                Tag::BlockQuote(_) => open(&mut out, &mut closers, "blockquote"),
                Tag::CodeBlock(_) => {
                    out.push_str(&format!("<{p}:pre><{p}:code>"));
                    closers.push(format!("</{p}:code></{p}:pre>"));
                }
                Tag::HtmlBlock => open(&mut out, &mut closers, "pre"),
                Tag::List(Some(_)) => open(&mut out, &mut closers, "ol"),
                Tag::List(None) => open(&mut out, &mut closers, "ul"),
                Tag::Item => open(&mut out, &mut closers, "li"),
                Tag::Table(a) => {
                    aligns = a;
                    open(&mut out, &mut closers, "table")
                }
                // The header row is a row of `th` cells: a table needs a row outside `thead`,
                // and one with a header only would have none.
                Tag::TableHead => {
                    in_head = true;
                    column = 0;
                    open(&mut out, &mut closers, "tr")
                }
                Tag::TableRow => {
                    column = 0;
                    open(&mut out, &mut closers, "tr")
                }
                // A column's alignment (`|:---:|`) as the cells' `align`, which the XHTML
                // table module has and ddf's import reads back.
                Tag::TableCell => {
                    let name = if in_head { "th" } else { "td" };
                    let align = match aligns.get(column) {
                        Some(Alignment::Left) => " align=\"left\"",
                        Some(Alignment::Center) => " align=\"center\"",
                        Some(Alignment::Right) => " align=\"right\"",
                        _ => "",
                    };
                    column += 1;
                    out.push_str(&format!("<{p}:{name}{align}>"));
                    closers.push(format!("</{p}:{name}>"));
                }
                Tag::Emphasis => open(&mut out, &mut closers, "em"),
                Tag::Strong => open(&mut out, &mut closers, "strong"),
                Tag::Strikethrough => open(&mut out, &mut closers, "del"),
                Tag::Superscript => open(&mut out, &mut closers, "sup"),
                Tag::Subscript => open(&mut out, &mut closers, "sub"),
                Tag::Link { dest_url, .. } => match safe_uri(&dest_url) {
                    Some(href) => {
                        out.push_str(&format!("<{p}:a href=\"{}\">", attr(&href)));
                        closers.push(format!("</{p}:a>"));
                    }
                    None => closers.push(String::new()),
                },
                Tag::Image { dest_url, .. } => match safe_uri(&dest_url) {
                    Some(src) => {
                        out.push_str(&format!("<{p}:object data=\"{}\">", attr(&src)));
                        closers.push(format!("</{p}:object>"));
                    }
                    None => closers.push(String::new()),
                },
                // Not enabled; a neutral container keeps the nesting right if they ever are.
                Tag::FootnoteDefinition(_)
                | Tag::DefinitionList
                | Tag::DefinitionListTitle
                | Tag::DefinitionListDefinition
                | Tag::MetadataBlock(_) => open(&mut out, &mut closers, "div"),
            },
            Event::End(end) => {
                if matches!(end, TagEnd::TableHead) {
                    in_head = false;
                }
                if let Some(c) = closers.pop() {
                    out.push_str(&c);
                }
            }
            Event::Text(t) => out.push_str(&text(&t)),
            Event::Code(t) => out.push_str(&format!("<{p}:code>{}</{p}:code>", text(&t))),
            Event::InlineMath(t)
            | Event::DisplayMath(t)
            | Event::Html(t)
            | Event::InlineHtml(t) => out.push_str(&text(&t)),
            Event::FootnoteReference(t) => out.push_str(&text(&format!("[^{t}]"))),
            Event::SoftBreak => out.push('\n'),
            Event::HardBreak => out.push_str(&format!("<{p}:br/>")),
            Event::Rule => out.push_str(&format!("<{p}:hr/>")),
            Event::TaskListMarker(done) => out.push_str(if done { "[x] " } else { "[ ] " }),
        }
    }
    // pulldown-cmark closes what it opens; this only guards the invariant.
    while let Some(c) = closers.pop() {
        out.push_str(&c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_inlines_are_closed_xhtml() {
        let x = markdown("# Title\n\nSome *em* and `code`  \nbreak\n\n---\n", "x");
        assert_eq!(
            x,
            "<x:h1>Title</x:h1><x:p>Some <x:em>em</x:em> and <x:code>code</x:code><x:br/>break</x:p><x:hr/>"
        );
    }

    #[test]
    fn raw_html_is_text_and_scripts_are_not_links() {
        let x = markdown(
            "<script>alert(1)</script>\n\n[a](javascript:alert(1)) <b>x</b>\n",
            "x",
        );
        assert!(!x.contains("<script"), "{x}");
        assert!(x.contains("&lt;script&gt;"), "{x}");
        assert!(!x.contains("href"), "{x}");
        assert!(x.contains("&lt;b&gt;x&lt;/b&gt;"), "{x}");
    }

    #[test]
    fn tables_have_rows_outside_a_head() {
        let x = markdown("| a | b |\n|---|---|\n| 1 | 2 |\n", "x");
        assert_eq!(
            x,
            "<x:table><x:tr><x:th>a</x:th><x:th>b</x:th></x:tr><x:tr><x:td>1</x:td><x:td>2</x:td></x:tr></x:table>"
        );
    }

    #[test]
    fn column_alignment_is_kept() {
        let x = markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n", "x");
        assert_eq!(
            x,
            "<x:table><x:tr><x:th align=\"left\">a</x:th><x:th align=\"center\">b</x:th><x:th align=\"right\">c</x:th></x:tr><x:tr><x:td align=\"left\">1</x:td><x:td align=\"center\">2</x:td><x:td align=\"right\">3</x:td></x:tr></x:table>"
        );
    }

    #[test]
    fn uris_are_encoded_and_images_are_objects() {
        let x = markdown("![alt text](<a b.png>) [l](https://e.org/é?q=1%20)", "x");
        assert!(
            x.contains("<x:object data=\"a%20b.png\">alt text</x:object>"),
            "{x}"
        );
        assert!(x.contains("href=\"https://e.org/%C3%A9?q=1%20\""), "{x}");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(attr("a\u{1}b\nc\""), "a\u{FFFD}b&#10;c&quot;");
        assert_eq!(text("a\u{b}<"), "a\u{FFFD}&lt;");
    }
}
