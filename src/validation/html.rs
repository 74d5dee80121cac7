//! The validation report as one self-contained, printable HTML page: the Markdown report
//! rendered and sanitised as the site renders record bodies (record text cannot add script),
//! styled with the site's own style sheet, print rules included. Nothing is loaded from
//! elsewhere.

use super::Report;

/// Page-specific rules on top of the site's style sheet.
const EXTRA_CSS: &str = "main table { border-collapse: collapse; margin: 0.5em 0 1em; }
main th, main td { border: 1px solid var(--line); padding: 0.2em 0.5em; vertical-align: top; text-align: left; }
main li input[type=checkbox] { margin-right: 0.4em; }
@media print { main h3 { break-after: avoid; } main table { font-size: 8.5pt; } }
";

/// Renders the report.
pub fn render(r: &Report) -> String {
    let md = super::markdown::render(r);
    // Ids of requirements link to their section of the trace (an anchor from the heading's id).
    let ids: std::collections::BTreeSet<&str> =
        r.requirements.iter().map(|q| q.id.as_str()).collect();
    let body = crate::site::markdown::render(&md, &|id| {
        ids.contains(id)
            .then(|| format!("#{}", id.to_ascii_lowercase()))
    });
    let body = add_heading_ids(&body);
    let css = crate::templates::BUILTIN
        .iter()
        .find(|(name, _)| *name == "site/style.css")
        .map_or("", |(_, text)| *text);
    let esc = crate::site::markdown::escape;
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Tool validation report: {project}</title>\n<style>\n{css}{EXTRA_CSS}</style>\n</head>\n<body>\n<header class=\"site\"><span class=\"brand\">{project}</span> <span class=\"commit\">commit {commit} · {date}</span></header>\n<main class=\"validation-report\">\n{body}</main>\n</body>\n</html>\n",
        project = esc(&r.project),
        commit = esc(&r.commit_short()),
        date = esc(&r.date),
    )
}

/// Gives each `<h3>` that starts with a requirement's id (linked, as every id in the text is)
/// that anchor as its `id`, so the links of the requirement table land on its trace.
fn add_heading_ids(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some(at) = rest.find("<h3>") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        // `<a class="id" href="#di-001" ...>`: the link the heading starts with.
        let anchor = after
            .strip_prefix("<a ")
            .and_then(|a| a.split_once('>'))
            .and_then(|(attrs, _)| attrs.split_once("href=\"#"))
            .and_then(|(_, a)| a.split_once('"'))
            .map(|(id, _)| id)
            .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        match anchor {
            Some(id) => out.push_str(&format!("<h3 id=\"{id}\">")),
            None => out.push_str("<h3>"),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}
