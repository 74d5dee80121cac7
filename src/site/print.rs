//! The print view of a release (`releases/<REL-ID>-print.html`, issue 13 item 8): the release's
//! Design and Development File in one document an auditor can print and file: the release
//! record with its approvals and SBOM, the risk management file, the trace matrix and the
//! security report.
//!
//! Only the newest release gets one. The risk file, trace matrix and security report are those
//! of the revision built, the same for every release, so a view per release would repeat the
//! largest pages of the site once per release (20 times on the benchmark DDF) and say nothing
//! new; `ddf --rev <tag> build` makes the view of an earlier release, which is then the newest.
//!
//! The parts are the pages the site already rendered (the main content of each), so the printed
//! document says exactly what the pages say; links in parts from the site root are rewritten to
//! work from `releases/`. In `--context` mode nothing is rendered, so the parts name their pages
//! and carry no HTML.

use super::render::Renderer;
use super::views::{at_depth, has_page, record_ref, RecordRef, SiteView};
use super::{Input, OutFile, SiteError};
use serde::Serialize;

/// One part of the print view.
#[derive(Debug, Clone, Serialize)]
pub struct PartView {
    /// Anchor (`part-risk`).
    pub id: String,
    /// Heading in the contents (`Risk management file`).
    pub title: String,
    /// The page it is taken from, relative to the site root.
    pub page: String,
    /// The page's main content, links rewritten for `releases/`; empty in `--context` mode.
    pub html: String,
}

/// The print view of one release.
#[derive(Debug, Clone, Serialize)]
pub struct PrintView {
    /// Common fields (root `../`).
    pub site: SiteView,
    /// The release record.
    pub release: RecordRef,
    /// The parts, in reading order.
    pub parts: Vec<PartView>,
}

/// The parts after the release page: (anchor, title, page).
const PARTS: &[(&str, &str, &str)] = &[
    ("part-risk", "Risk management file", "risk.html"),
    ("part-trace", "Trace matrix", "trace.html"),
    (
        "part-security",
        "Security risk management report",
        "security.html",
    ),
];

/// The content of `<main ...>` in a page the site rendered, or empty.
fn main_of(html: &str) -> &str {
    let Some(open) = html.find("<main") else {
        return "";
    };
    let Some(body) = html[open..].find('>').map(|e| open + e + 1) else {
        return "";
    };
    let end = html.rfind("</main>").filter(|&e| e >= body).unwrap_or(body);
    &html[body..end]
}

/// Prefixes `../` to every relative `href` and `src` of `html` (a page from the site root
/// shown from `releases/`), handing the pieces to `push` in order; anchors, absolute and
/// scheme links stay.
fn from_releases_into(html: &str, push: &mut dyn FnMut(&str)) {
    // The next `href="` and `src="` are each searched for once and kept until passed: the print
    // view holds whole registers, and searching the rest of it again at every link (for an
    // attribute that may not occur at all) made this quadratic.
    let find = |from: usize, pat: &str| html[from..].find(pat).map(|p| from + p);
    let mut next_href = find(0, "href=\"");
    let mut next_src = find(0, "src=\"");
    let mut done = 0;
    loop {
        let (p, n) = match (next_href, next_src) {
            (Some(h), Some(s)) if s < h => (s, 5),
            (Some(h), _) => (h, 6),
            (None, Some(s)) => (s, 5),
            (None, None) => break,
        };
        let start = p + n;
        push(&html[done..start]);
        done = start;
        let rest = &html[start..];
        let value = &rest[..rest.find('"').unwrap_or(rest.len())];
        let relative = !value.is_empty()
            && !value.starts_with('#')
            && !value.starts_with('/')
            && !value.starts_with("../")
            && !value.split('/').next().is_some_and(|s| s.contains(':'));
        if relative {
            push("../");
        }
        if n == 6 {
            next_href = find(start, "href=\"");
        } else {
            next_src = find(start, "src=\"");
        }
    }
    push(&html[done..]);
}

/// The release that gets the print view: the newest by id (`REL-010` after `REL-009`) among
/// those with a page.
pub fn print_release(corpus: &crate::corpus::Corpus) -> Option<usize> {
    corpus
        .records_of("release")
        .iter()
        .copied()
        .filter(|&i| has_page(corpus, i))
        .max_by(|&a, &b| {
            let key = |i: usize| {
                let id = &corpus.records[i].id;
                (id.len(), id.clone())
            };
            key(a).cmp(&key(b))
        })
}

/// The pages the print view is made of (the release's page and the parts), which the renderer
/// keeps while it writes the others straight to disk.
pub fn sources(corpus: &crate::corpus::Corpus) -> Vec<String> {
    let Some(i) = print_release(corpus) else {
        return Vec::new();
    };
    let mut paths = vec![format!("releases/{}.html", corpus.records[i].id)];
    paths.extend(PARTS.iter().map(|(_, _, page)| (*page).to_string()));
    paths
}

/// The print view of the newest release, from the pages already rendered: `take(path)` gives
/// each of [`sources`] once (empty if it was not rendered); `size` is their length in all.
pub fn pages(
    r: &Renderer,
    input: &Input<'_>,
    site: &SiteView,
    size: usize,
    take: &mut dyn FnMut(&str) -> Result<String, SiteError>,
    contexts: bool,
) -> Result<Vec<OutFile>, SiteError> {
    let corpus = input.corpus;
    let Some(i) = print_release(corpus) else {
        return Ok(Vec::new());
    };
    let rec = &corpus.records[i];
    let release_page = format!("releases/{}.html", rec.id);
    let mut parts = vec![PartView {
        id: "part-release".into(),
        title: format!("Release {}: record, approvals, transfer, SBOM", rec.id),
        page: release_page,
        html: String::new(),
    }];
    parts.extend(PARTS.iter().map(|(id, title, page)| PartView {
        id: (*id).to_string(),
        title: (*title).to_string(),
        page: (*page).to_string(),
        html: String::new(),
    }));
    // Part `k` of `page`: the release page is in `releases/` already; the others move there
    // from the root. Each page is dropped once its part is copied out of it: at 100,000
    // records the trace matrix alone is 53 MB.
    let mut cut = |k: usize, page: &str, push: &mut dyn FnMut(&str)| -> Result<(), SiteError> {
        let html = take(page)?;
        if k == 0 {
            push(main_of(&html));
        } else {
            from_releases_into(main_of(&html), push);
        }
        Ok(())
    };
    let path = format!("releases/{}-print.html", rec.id);
    let release = record_ref(corpus, rec);
    if r.print_is_native() {
        // Written straight from the source pages: the parts are never held beside the page.
        let pages: Vec<String> = parts.iter().map(|p| p.page.clone()).collect();
        let view = PrintView {
            site: at_depth(site, "../"),
            release,
            parts,
        };
        let cut = std::cell::RefCell::new(cut);
        let failed = std::cell::RefCell::new(None);
        let part = |k: usize, h: &mut super::render::html::Html| {
            let done = (cut.borrow_mut())(k, &pages[k], &mut |s| {
                h.safe(s);
            });
            if let Err(e) = done {
                failed.borrow_mut().get_or_insert(e);
            }
        };
        // Links from the root gain `../` (about one in fifty bytes is a link).
        let page = r.print_page_parts(path, &view, size + size / 50, &part);
        return match failed.into_inner() {
            Some(e) => Err(e),
            None => Ok(vec![page]),
        };
    }
    if !contexts {
        for (k, p) in parts.iter_mut().enumerate() {
            let mut html = String::new();
            cut(k, &p.page, &mut |s| html.push_str(s))?;
            p.html = html;
        }
    }
    let view = PrintView {
        site: at_depth(site, "../"),
        release,
        parts,
    };
    Ok(vec![r.print_page(path, &view)?])
}

#[cfg(test)]
mod tests {
    fn from_releases(html: &str) -> String {
        let mut out = String::new();
        super::from_releases_into(html, &mut |s| out.push_str(s));
        out
    }

    #[test]
    fn main_content_is_cut_out_and_links_rewritten_for_releases() {
        let page = "<html><main id=\"main\" tabindex=\"-1\">\n<a href=\"records/HS-001.html\">HS-001</a> <a href=\"#zones\">z</a> <a href=\"https://x.example/\">x</a> <a href=\"../a.html\">a</a> <img src=\"p.png\">\n</main></html>";
        let main = super::main_of(page);
        assert!(main.starts_with("\n<a href"), "{main}");
        assert_eq!(
            from_releases(main),
            "\n<a href=\"../records/HS-001.html\">HS-001</a> <a href=\"#zones\">z</a> <a href=\"https://x.example/\">x</a> <a href=\"../a.html\">a</a> <img src=\"../p.png\">\n"
        );
        assert_eq!(super::main_of("no main here"), "");
        // `src` before `href`, and an attribute that never occurs again.
        assert_eq!(
            from_releases("<img src=\"a.png\"><a href=\"b.html\">b</a><a href=\"#c\">"),
            "<img src=\"../a.png\"><a href=\"../b.html\">b</a><a href=\"#c\">"
        );
    }
}
