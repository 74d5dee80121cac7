//! Record bodies as HTML: Markdown through pulldown-cmark, ids written in the prose turned into
//! links to their record pages, and the result sanitised with ammonia.
//!
//! Record bodies are written by many people and may contain raw HTML. An auditor opens the site
//! from disk, so nothing in a body may run: ammonia keeps a fixed allow-list of tags and
//! attributes, drops `<script>`, event handlers and `javascript:` URLs. Sanitising runs last, on
//! the whole rendered body, so the links ddf adds pass through the same filter as the author's.
//!
//! Nothing in a body may load from the network either: the site is read offline, and a remote
//! image would tell its server who read which record when. ammonia's allow-list has no
//! `srcset`, `<video>`, `<audio>`, `<source>`, `<picture>` or `style` (beyond `text-align` on
//! table cells), so `<img src>` is the one way left; `external_images` turns every image that
//! is not a relative path into a link to it, with its alt text.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use std::sync::OnceLock;

fn id_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    // The same shape `crate::mentions` looks for, so the site links what `ddf show` lists.
    RE.get_or_init(|| regex::Regex::new(r"\b[A-Z]+-[0-9]{3,}\b").expect("static regex"))
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        // Task lists render as disabled checkboxes; nothing else of a form is allowed.
        b.add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .add_tag_attributes("td", ["style"])
            .add_tag_attributes("th", ["style"])
            .add_tag_attributes("a", ["class"])
            .filter_style_properties(["text-align"].into())
            // Links stay links, without telling the target where the reader came from.
            .link_rel(Some("noopener noreferrer"));
        b
    })
}

/// Escapes text for HTML (element content and quoted attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders `body` to sanitised HTML. `href` gives the link for an id written in the prose (`None`
/// for ids that have no page: unknown ids, id-shaped words such as `ISO-13485`). Ids in code
/// spans, code blocks and inside links the author wrote stay as they are.
///
/// Most bodies are plain Markdown: no raw HTML, no links or images of the author's. For those,
/// pulldown-cmark's own output holds only tags it writes and text it escapes, so the HTML is
/// written directly in the form the sanitiser would give it, without parsing it
/// back; anything else goes through ammonia. A test renders every kind of plain body both ways
/// and requires the same bytes.
pub fn render(body: &str, href: &dyn Fn(&str) -> Option<String>) -> String {
    let (events, plain) = events(body, href);
    if plain {
        if let Some(html) = plain_html(events) {
            return html;
        }
        return sanitised(body, href);
    }
    sanitise(events, body.len())
}

/// The page's events of `body`, ids in prose linked, and whether the body is plain: nothing in
/// it but what pulldown-cmark writes itself (no raw HTML, links, images or footnotes), and no
/// character the HTML parser would change (NUL, carriage return).
fn events<'a>(body: &'a str, href: &dyn Fn(&str) -> Option<String>) -> (Vec<Event<'a>>, bool) {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut plain = !body.contains(['\0', '\r']);
    let mut in_code_block = false;
    let mut in_link = 0usize;
    for event in Parser::new_ext(body, opts) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => {
                in_code_block = true;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                events.push(event);
            }
            Event::Start(Tag::Link { .. }) => {
                plain = false;
                in_link += 1;
                events.push(event);
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                events.push(event);
            }
            Event::Text(t) if !in_code_block && in_link == 0 => link_ids(&t, href, &mut events),
            other => {
                plain &= is_plain(&other);
                events.push(other);
            }
        }
    }
    (events, plain)
}

/// Whether pulldown-cmark writes `event` with no raw HTML and no address of the author's.
fn is_plain(event: &Event<'_>) -> bool {
    match event {
        Event::Start(tag) => matches!(
            tag,
            Tag::Paragraph
                | Tag::Heading { .. }
                | Tag::BlockQuote(None)
                | Tag::CodeBlock(_)
                | Tag::List(_)
                | Tag::Item
                | Tag::Table(_)
                | Tag::TableHead
                | Tag::TableRow
                | Tag::TableCell
                | Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
        ),
        Event::End(_)
        | Event::Text(_)
        | Event::Code(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::Rule
        | Event::TaskListMarker(_) => true,
        _ => false,
    }
}

/// The body rendered by pulldown-cmark and sanitised by ammonia: the way for any body.
fn sanitise(events: Vec<Event<'_>>, len: usize) -> String {
    let mut html = String::with_capacity(len * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    external_images(&sanitizer().clean(&html).to_string())
}

/// [`render`] without the plain-body path.
fn sanitised(body: &str, href: &dyn Fn(&str) -> Option<String>) -> String {
    sanitise(events(body, href).0, body.len())
}

/// The HTML of a plain body as ammonia writes it (html5ever's serialisation of pulldown-cmark's
/// output): void elements without `/`, a table cell's alignment as `text-align:left`, no
/// `language-` class on code (ammonia drops classes there), a no-break space as `&nbsp;`, and
/// the `rel` ammonia adds to the id links. `None` for an id link whose address is not plain.
fn plain_html(events: Vec<Event<'_>>) -> Option<String> {
    let mut aligns: Vec<pulldown_cmark::Alignment> = Vec::new();
    let (mut head, mut cell) = (false, 0usize);
    let mut void = false;
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    let mut len = 0;
    for event in events {
        len += 16;
        match event {
            Event::Start(Tag::Table(a)) => {
                aligns = a;
                out.push(Event::Start(Tag::Table(Vec::new())));
            }
            Event::Start(Tag::TableHead) => {
                (head, cell) = (true, 0);
                out.push(Event::Start(Tag::TableHead));
            }
            Event::End(TagEnd::TableHead) => {
                head = false;
                out.push(Event::End(TagEnd::TableHead));
            }
            Event::Start(Tag::TableRow) => {
                cell = 0;
                out.push(Event::Start(Tag::TableRow));
            }
            Event::Start(Tag::TableCell) => {
                let name = if head { "th" } else { "td" };
                let style = match aligns.get(cell) {
                    Some(pulldown_cmark::Alignment::Left) => " style=\"text-align:left\"",
                    Some(pulldown_cmark::Alignment::Center) => " style=\"text-align:center\"",
                    Some(pulldown_cmark::Alignment::Right) => " style=\"text-align:right\"",
                    _ => "",
                };
                cell += 1;
                out.push(Event::InlineHtml(format!("<{name}{style}>").into()));
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => {
                out.push(Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)));
            }
            Event::HardBreak | Event::Rule | Event::TaskListMarker(_) => {
                // Written with a self-closing `/`, removed below.
                void = true;
                out.push(event);
            }
            Event::InlineHtml(link) => {
                // Only the id links `link_ids` made are left (the body is plain).
                out.push(Event::InlineHtml(id_link_rel(&link)?.into()));
            }
            Event::Text(t) if t.contains('\u{a0}') => {
                for (k, part) in t.split('\u{a0}').enumerate() {
                    if k > 0 {
                        out.push(Event::InlineHtml("&nbsp;".into()));
                    }
                    if !part.is_empty() {
                        out.push(Event::Text(part.to_string().into()));
                    }
                }
            }
            Event::Code(t) if t.contains('\u{a0}') => {
                out.push(Event::InlineHtml(
                    format!(
                        "<code>{}</code>",
                        escape_text(&t).replace('\u{a0}', "&nbsp;")
                    )
                    .into(),
                ));
            }
            other => out.push(other),
        }
    }
    let mut html = String::with_capacity(len * 4);
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    if void {
        // `<br />`, `<hr />` and the checkbox's `"/>` can only be tags: text escapes `<` and
        // `>`, and no attribute value here holds either.
        html = html
            .replace("<br />", "<br>")
            .replace("<hr />", "<hr>")
            .replace("\"/>", "\">");
    }
    Some(html)
}

/// An id link of [`link_ids`] with the `rel` the sanitiser gives every link; `None` when its
/// address holds anything but letters, digits, `.`, `_`, `-` and `/` (it is then sanitised).
fn id_link_rel(link: &str) -> Option<String> {
    let rest = link.strip_prefix("<a class=\"id\" href=\"")?;
    let (address, rest) = rest.split_once('"')?;
    let plain = address
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'));
    plain.then(|| format!("<a class=\"id\" href=\"{address}\" rel=\"noopener noreferrer\"{rest}"))
}

/// Escapes element text as html5ever does (`&`, `<`, `>`).
fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Whether an image source loads from somewhere other than the site's own folder: it has a
/// scheme (`https:`), or starts with `/` or `\` (`//host/x` is another host; browsers read `\`
/// as `/`). Browsers drop tabs and newlines from URLs and trim spaces, so this does too.
fn is_remote(src: &str) -> bool {
    let src: String = src
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let src = src.trim_matches(|c: char| c <= ' ');
    if src.starts_with(['/', '\\']) {
        return true;
    }
    let scheme_len = src
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .unwrap_or(src.len());
    src.starts_with(|c: char| c.is_ascii_alphabetic()) && src[scheme_len..].starts_with(':')
}

fn img_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r#"^<img((?:\s+[^\s="'>/]+="[^"]*")*)\s*/?>$"#).expect("static regex")
    })
}

fn attr_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r#"([^\s="'>/]+)="([^"]*)""#).expect("static regex"))
}

/// Sanitised HTML with every remote image replaced by a link to it (`<a class="external
/// image">` with the alt text, or the address when there is none); inside a link, where a link
/// cannot nest, by the alt text alone. Local images (relative paths) stay.
///
/// The input is ammonia's output, which html5ever serialised: no comments, `<` and `>` escaped
/// in text, every attribute value in double quotes with `"` escaped. So a tag runs from `<` to
/// the first `>` outside quotes, and scanning tags is exact, not a guess at HTML.
fn external_images(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut in_link = 0usize;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let mut quoted = false;
        let end = rest.char_indices().find_map(|(i, c)| match c {
            '"' => {
                quoted = !quoted;
                None
            }
            '>' if !quoted => Some(i),
            _ => None,
        });
        let Some(end) = end else {
            break;
        };
        let tag = &rest[..=end];
        rest = &rest[end + 1..];
        if tag.starts_with("<a ") || tag == "<a>" {
            in_link += 1;
        } else if tag == "</a>" {
            in_link = in_link.saturating_sub(1);
        }
        let Some(attrs) = img_re().captures(tag).and_then(|c| c.get(1)) else {
            out.push_str(tag);
            continue;
        };
        let mut src = None;
        let mut alt = None;
        for a in attr_re().captures_iter(attrs.as_str()) {
            match (&a[1], a.get(2).map_or("", |v| v.as_str())) {
                ("src", v) => src = Some(v),
                ("alt", v) => alt = Some(v),
                _ => {}
            }
        }
        let Some(src) = src.filter(|s| is_remote(s)) else {
            out.push_str(tag);
            continue;
        };
        // Attribute values escape `&` and `"`; as text they need `<` and `>` escaped too.
        let text = |v: &str| v.replace('<', "&lt;").replace('>', "&gt;");
        let label = match alt.map(str::trim) {
            Some(a) if !a.is_empty() => text(a),
            _ => text(src),
        };
        if in_link > 0 {
            out.push_str(&format!(
                "<span class=\"external image\" title=\"{src}\">{label}</span>"
            ));
        } else {
            out.push_str(&format!(
                "<a class=\"external image\" href=\"{src}\" rel=\"noopener noreferrer\" title=\"image, not loaded: the site loads nothing from the network\">{label}</a>"
            ));
        }
    }
    out.push_str(rest);
    out
}

/// Splits a text event around the ids that have a page, emitting a link for each.
fn link_ids<'a>(
    text: &CowStr<'a>,
    href: &dyn Fn(&str) -> Option<String>,
    events: &mut Vec<Event<'a>>,
) {
    let mut last = 0;
    for m in id_re().find_iter(text) {
        let Some(target) = href(m.as_str()) else {
            continue;
        };
        if m.start() > last {
            events.push(Event::Text(text[last..m.start()].to_string().into()));
        }
        events.push(Event::InlineHtml(
            format!(
                "<a class=\"id\" href=\"{}\">{}</a>",
                escape(&target),
                escape(m.as_str())
            )
            .into(),
        ));
        last = m.end();
    }
    if last == 0 {
        events.push(Event::Text(text.clone()));
    } else if last < text.len() {
        events.push(Event::Text(text[last..].to_string().into()));
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    fn page(id: &str) -> Option<String> {
        (id != "ISO-13485").then(|| format!("{id}.html"))
    }

    #[test]
    fn ids_in_prose_become_links_not_in_code() {
        let html = render(
            "See DI-004 and ISO-13485.\n\n`VER-001` in code\n\n```\nVER-002\n```\n\n[UN-001](https://example.com/x)\n",
            &page,
        );
        assert!(
            html.contains("<a class=\"id\" href=\"DI-004.html\""),
            "{html}"
        );
        assert!(!html.contains("ISO-13485.html"), "{html}");
        assert!(!html.contains("VER-001.html"), "{html}");
        assert!(!html.contains("VER-002.html"), "{html}");
        assert!(!html.contains("UN-001.html"), "{html}");
    }

    #[test]
    fn gfm_extensions() {
        let html = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n- [ ] todo\n",
            &page,
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>old</del>"), "{html}");
        assert!(html.contains("type=\"checkbox\""), "{html}");
    }

    #[test]
    fn remote_images_become_links_local_ones_stay() {
        let html = render(
            "![Pump photo](https://cdn.example/p.png)\n\n<img src=\"http://tracker.example/t.gif?u=1&amp;r=2\" alt=\"a <b> &quot;c&quot;\">\n\n<img src=\"//evil.example/x.png\">\n\n<img src=\"/\\evil.example/y.png\" alt=y>\n\n<img src=\"\tHTTPS://evil.example/z.png\" alt=z>\n\n![local](../figures/flow.png)\n\n[![badge](https://ci.example/b.svg)](https://ci.example)\n",
            &page,
        );
        assert!(!html.contains("<img src=\"https:"), "{html}");
        assert!(!html.contains("<img src=\"http:"), "{html}");
        assert!(!html.contains("<img src=\"//"), "{html}");
        assert!(!html.contains("<img src=\"/\\"), "{html}");
        assert!(
            !html.to_lowercase().contains("<img src=\"\thttps:"),
            "{html}"
        );
        assert_eq!(html.matches("<img").count(), 1, "{html}");
        assert!(
            html.contains("<a class=\"external image\" href=\"https://cdn.example/p.png\" rel=\"noopener noreferrer\""),
            "{html}"
        );
        assert!(html.contains(">Pump photo</a>"), "{html}");
        assert!(
            html.contains("href=\"http://tracker.example/t.gif?u=1&amp;r=2\""),
            "{html}"
        );
        assert!(
            html.contains(">a &lt;b&gt; \"c\"</a>")
                || html.contains(">a &lt;b&gt; &quot;c&quot;</a>"),
            "{html}"
        );
        // No alt text: the address is the link text.
        assert!(html.contains(">//evil.example/x.png</a>"), "{html}");
        assert!(
            html.contains("<img src=\"../figures/flow.png\" alt=\"local\">"),
            "{html}"
        );
        // Inside a link, no nested link: the alt text stands in.
        assert!(
            html.contains("<span class=\"external image\" title=\"https://ci.example/b.svg\">badge</span></a>"),
            "{html}"
        );
    }

    #[test]
    fn nothing_else_in_a_body_loads_from_the_network() {
        let html = render(
            "<picture><source srcset=\"https://e.example/a.webp\"><img srcset=\"https://e.example/b.png 2x\" src=\"local.png\"></picture>\n\n<video src=\"https://e.example/v.mp4\" poster=\"https://e.example/p.png\"><source src=\"https://e.example/v.webm\"></video>\n\n<audio src=\"https://e.example/a.mp3\"></audio>\n\n<div style=\"background: url(https://e.example/bg.png)\">x</div>\n\n| a |\n|:-:|\n| b |\n\n<table background=\"https://e.example/t.png\"><tr><td background=\"https://e.example/c.png\" style=\"text-align: center; background-image: url(https://e.example/d.png)\">c</td></tr></table>\n\n<input type=\"image\" src=\"https://e.example/i.png\">\n\n<object data=\"https://e.example/o\"></object><embed src=\"https://e.example/e\"><link rel=stylesheet href=\"https://e.example/s.css\"><style>@import url(https://e.example/s.css)</style><svg><image href=\"https://e.example/s.png\"/></svg>\n",
            &page,
        );
        assert!(!html.contains("e.example"), "{html}");
        assert!(html.contains("<img src=\"local.png\">"), "{html}");
    }

    #[test]
    fn raw_html_is_inert() {
        let html = render(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n<a href=\"javascript:alert(2)\">y</a>\n",
            &page,
        );
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("onerror"), "{html}");
        assert!(!lower.contains("javascript:"), "{html}");
    }

    /// Bodies built from the pieces plain Markdown is made of, in many combinations.
    fn generated_bodies() -> Vec<String> {
        const INLINE: &[&str] = &[
            "plain words",
            "DI-004",
            "ISO-13485",
            "\"quoted\" & 'single'",
            "a < b > c",
            "no\u{a0}break",
            "&copy; &nbsp; &#160; &amp; &quot; &lt;tag&gt;",
            "*em*",
            "**strong**",
            "~~gone~~",
            "`code & <x> \"q\"`",
            "`nb\u{a0}sp`",
            "Débit ≥ 5 mL/h 😀",
            "tab\there",
            "hard  \nbreak",
            "back\\\nslash",
            "\\<not html\\>",
            "\\[not a link\\]",
            "soft\nbreak",
            "a\u{c}b\u{1}c",
            "snake_case_word",
        ];
        const BLOCK: &[&str] = &[
            "# Heading {i}",
            "## Heading {i} ##",
            "Setext {i}\n===",
            "{i}",
            "> {i}\n> more",
            "- {i}\n- {i}\n  - nested {i}",
            "1. {i}\n2. {i}",
            "7. {i}\n8. {i}",
            "0. {i}",
            "- [x] {i}\n- [ ] {i}",
            "* loose {i}\n\n* loose {i}",
            "| a | b | c |\n|:--|:-:|--:|\n| {i} | 2 | 3 |\n| x |",
            "| h {i} |\n|---|",
            "| a | b |\n|---|---|\n| `x\\|y` | {i} |",
            "```rust\nfn main() {}\n```",
            "```\n\nleading blank {i}\n```",
            "    indented {i}",
            "---",
            "***",
            "- a\n\n  ---\n\n  b {i}",
            "> - [x] {i}\n> ---",
            "1. one\n   ```\n   code\n   ```\n2. {i}",
            "",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut bodies: Vec<String> = BLOCK
            .iter()
            .flat_map(|b| INLINE.iter().map(move |i| b.replace("{i}", i)))
            .collect();
        for _ in 0..600 {
            let blocks: Vec<String> = (0..1 + next(5))
                .map(|_| {
                    let inline: Vec<&str> = (0..1 + next(3))
                        .map(|_| INLINE[next(INLINE.len())])
                        .collect();
                    BLOCK[next(BLOCK.len())].replace("{i}", &inline.join(" "))
                })
                .collect();
            let sep = ["\n\n", "\n"][next(2)];
            bodies.push(blocks.join(sep) + "\n");
        }
        bodies
    }

    /// The records of docs-example, which the site renders.
    fn example_bodies() -> Vec<String> {
        let mut out = Vec::new();
        let mut stack =
            vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs-example/records")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("docs-example records") {
                let path = e.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "md") {
                    let text = std::fs::read_to_string(&path).expect("record");
                    out.push(text.splitn(3, "---").nth(2).unwrap_or_default().to_string());
                }
            }
        }
        out
    }

    #[test]
    fn plain_bodies_are_written_as_the_sanitiser_would() {
        let mut plain = 0;
        let bodies: Vec<String> = generated_bodies()
            .into_iter()
            .chain(example_bodies())
            .collect();
        for body in &bodies {
            let fast = render(body, &page);
            let slow = super::sanitised(body, &page);
            assert_eq!(fast, slow, "body: {body:?}");
            plain += usize::from(super::events(body, &page).1);
        }
        // Most of them took the plain path, so the comparison tested it.
        assert!(plain * 10 > bodies.len() * 8, "{plain} of {}", bodies.len());
    }

    #[test]
    fn what_is_not_plain_is_sanitised() {
        for body in [
            "<b>raw</b>",
            "a <span>b</span>",
            "[x](javascript:alert(1))",
            "<https://example.com>",
            "![i](https://example.com/i.png)",
            "[^1]\n\n[^1]: note",
            "nul\0byte",
            "carriage\r\nreturn",
        ] {
            assert!(!super::events(body, &page).1, "{body:?}");
            assert_eq!(
                render(body, &page),
                super::sanitised(body, &page),
                "{body:?}"
            );
        }
        // An id link to an address that is not plain is sanitised too.
        let odd = |id: &str| Some(format!("{id}.html?a=\"b\"&c"));
        assert_eq!(
            render("See DI-004.", &odd),
            super::sanitised("See DI-004.", &odd)
        );
    }
}
