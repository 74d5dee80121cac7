//! Record ids written in Markdown bodies ("see DI-004"), found with a Markdown parser so ids in
//! code spans and code blocks (log excerpts, examples) are not taken for references.
//!
//! `ddf show` lists them; the site turns them into links.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use std::sync::OnceLock;

fn id_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"\b[A-Z]+-[0-9]{3,}\b").expect("static regex"))
}

/// The distinct ids mentioned in the prose of `body`, in order of first mention.
pub fn mentions(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_code_block = false;
    for event in Parser::new(body) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(t) if !in_code_block => {
                for m in id_re().find_iter(&t) {
                    if !out.iter().any(|o| o == m.as_str()) {
                        out.push(m.as_str().to_string());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn prose_ids_not_code() {
        let body = "Derived from UN-001 and UN-001.\n\nSee `DI-999` in code.\n\n```\nVER-123 log line\n```\n\n| a |\n|---|\n| HAZ-002 |\n";
        assert_eq!(mentions(body), ["UN-001", "HAZ-002"]);
    }

    #[test]
    fn id_shaped_words_only() {
        // Shaped like ids; whether the prefix is a record type is for the caller to decide.
        assert_eq!(
            mentions("ISO-13485, X-12, ab-123, DI-0042."),
            ["ISO-13485", "DI-0042"]
        );
    }
}
