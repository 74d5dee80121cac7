//! Record bodies as HTML: Markdown through pulldown-cmark, ids written in the prose turned into
//! links to their record pages, and the result sanitised with ammonia.
//!
//! Record bodies are written by many people and may contain raw HTML. An auditor opens the site
//! from disk, so nothing in a body may run: ammonia keeps a fixed allow-list of tags and
//! attributes, drops `<script>`, event handlers and `javascript:` URLs. Sanitising runs last, on
//! the whole rendered body, so the links ddf adds pass through the same filter as the author's.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
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
pub fn render(body: &str, href: &dyn Fn(&str) -> Option<String>) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut events: Vec<Event<'_>> = Vec::new();
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
                in_link += 1;
                events.push(event);
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                events.push(event);
            }
            Event::Text(t) if !in_code_block && in_link == 0 => link_ids(&t, href, &mut events),
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(body.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitizer().clean(&html).to_string()
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
}
