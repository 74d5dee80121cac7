//! The record page and the audit trace walk page written without Tera: the same bytes the
//! built-in templates `site/record.html` and `site/walk.html` (each extending `site/base.html`)
//! make from the same view, written straight into a string.
//!
//! Record pages are most of a site (20,000 of 23,000 files on a DDF of 20,000 records) and the
//! walk pages most of the rest; rendering them through Tera (turning each view into Tera values,
//! then interpreting the template) was a third of a large build. [`super::Renderer`] uses these
//! functions only when the DDF overrides none of the three templates, and never for
//! `--context`; an override goes through Tera as before. Each function below follows its
//! template line by line (the template's text is in the comments where it helps to compare), and
//! the equivalence tests render every page both ways and compare the bytes.
//!
//! Truthiness follows Tera's: an empty string, an empty list and a missing value are false.

use super::html::Html;
use super::{badge_text, type_label};
use crate::site::views::{
    ChainView, LinkView, MatrixView, RecordRef, RecordView, RevisionView, SiteView, TraceView,
};
use crate::site::walk::{HopView, StepView, WalkView};

/// An `Option<String>` as a template tests it (`{% if x %}`): present and not empty.
fn some(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// The blocks a page fills in `site/base.html`.
struct Blocks<'a> {
    title: &'a dyn Fn(&mut Html),
    print_title: &'a dyn Fn(&mut Html),
    print_id: &'a dyn Fn(&mut Html),
    content: &'a dyn Fn(&mut Html),
}

/// `site/base.html` with `blocks` filled in.
fn base(h: &mut Html, site: &SiteView, blocks: Blocks<'_>) {
    h.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"")
        .text(&site.generator)
        .raw("\">\n<title>");
    (blocks.title)(h);
    h.raw("</title>\n<link rel=\"stylesheet\" href=\"")
        .text(&site.root)
        .raw("style.css\">\n<link rel=\"icon\" href=\"data:,\">\n<style media=\"print\">@page { @top-left { content: ");
    (blocks.print_title)(h);
    h.raw("; } @top-right { content: ");
    (blocks.print_id)(h);
    h.raw("; } @bottom-left { content: \"Built \" ")
        .css(&site.build_date)
        .raw(" \" from \" ")
        .css(&site.built)
        .raw(" \" by \" ")
        .css(&site.generator)
        .raw("; } }</style>\n</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n<header class=\"site\">\n<a class=\"brand\" href=\"")
        .text(&site.root)
        .raw("index.html\">")
        .text(&site.title)
        .raw("</a>\n<span class=\"commit\">built from <code title=\"")
        .text(&site.commit)
        .raw("\">")
        .text(&site.built)
        .raw("</code>");
    if site.worktree == "uncommitted" {
        h.raw(" <strong class=\"worktree-dirty\">with uncommitted changes</strong>");
    } else if site.worktree == "clean" {
        h.raw(" <span class=\"worktree-clean\">(no uncommitted changes)</span>");
    }
    if !site.approvals_verified {
        h.raw(" · <span class=\"unverified\">approvals not verified</span>");
    }
    h.raw("</span>\n");
    // `root` is `../` once per folder below the site root.
    let root = site.root.as_bytes();
    let cached = root.len().is_multiple_of(3) && root.chunks(3).all(|c| c == b"../");
    match site.header.0.get(root.len() / 3).filter(|_| cached) {
        Some(cell) => {
            h.safe(cell.get_or_init(|| {
                let mut nav = Html::with_capacity(4 * 1024);
                header_nav(&mut nav, site);
                nav.finish()
            }));
        }
        _ => header_nav(h, site),
    }
    (blocks.content)(h);
    h.raw("\n</main>\n<footer>")
        .text(&site.project)
        .raw(" · built from <code>")
        .text(&site.built)
        .raw("</code> by ")
        .text(&site.generator)
        .raw("</footer>\n</body>\n</html>\n");
}

/// The header of `site/base.html` from its search form to the opening of `<main>`, which
/// depends only on the page's root ([`crate::site::views::HeaderCache`]).
fn header_nav(h: &mut Html, site: &SiteView) {
    h.raw("<form class=\"site-search\" action=\"")
        .text(&site.root)
        .raw("search.html\" method=\"get\" role=\"search\" aria-label=\"Site search\"><input type=\"search\" name=\"q\" placeholder=\"Search ids, titles, text\" aria-label=\"Search the records\"></form>\n<nav aria-label=\"Sections\">\n");
    for n in site.nav.iter() {
        h.raw("<a href=\"")
            .text(&site.root)
            .text(&n.href)
            .raw("\">")
            .text(&n.label)
            .raw("</a>\n");
    }
    h.raw("</nav>\n<nav class=\"types\" aria-label=\"Record types\">\n");
    for t in site.types.iter() {
        h.raw("<a href=\"")
            .text(&site.root)
            .text(&t.href)
            .raw("\" title=\"")
            .text(&type_label(&t.name))
            .raw("\">")
            .text(&t.prefix)
            .raw("</a>\n");
    }
    h.raw("</nav>\n</header>\n<main id=\"main\" tabindex=\"-1\">\n");
}

/// `{% if r.href %}<a href="{{ site.root }}{{ r.href }}">{{ r.id }}</a>{% else %}{{ r.id }}{% endif %}`
fn ref_link(h: &mut Html, root: &str, r: &RecordRef) {
    match some(&r.href) {
        Some(href) => {
            h.raw("<a href=\"")
                .text(root)
                .text(href)
                .raw("\">")
                .text(&r.id)
                .raw("</a>");
        }
        None => {
            h.text(&r.id);
        }
    }
}

/// [`ref_link`] with the title on the link: `<a href="..." title="{{ r.title }}">`.
fn ref_link_titled(h: &mut Html, root: &str, r: &RecordRef) {
    match some(&r.href) {
        Some(href) => {
            h.raw("<a href=\"")
                .text(root)
                .text(href)
                .raw("\" title=\"")
                .text(&r.title)
                .raw("\">")
                .text(&r.id)
                .raw("</a>");
        }
        None => {
            h.text(&r.id);
        }
    }
}

/// A status badge: `<span class="status s-{{ status | badge | slug }}">{{ status | badge }}</span>`.
fn status(h: &mut Html, status: &str, verified: bool) {
    let b = badge_text(status, verified);
    h.raw("<span class=\"status s-")
        .slug(b)
        .raw("\">")
        .text(b)
        .raw("</span>");
}

/// The record page (`site/record.html`).
pub fn record(v: &RecordView) -> String {
    let mut h = Html::with_capacity(16 * 1024);
    let site = &v.site;
    let r = &v.record;
    base(
        &mut h,
        site,
        Blocks {
            title: &|h| {
                h.text(&r.id)
                    .raw(" ")
                    .text(&r.title)
                    .raw(" · ")
                    .text(&site.title);
            },
            print_title: &|h| {
                h.css(&r.title);
            },
            print_id: &|h| {
                h.css(&r.id).raw(" \" · rev \" ");
                match v.history.first() {
                    Some(latest) => h.css(&latest.short),
                    None => h.css(&site.built),
                };
            },
            content: &|h| record_content(h, v),
        },
    );
    h.finish()
}

fn record_content(h: &mut Html, v: &RecordView) {
    let site = &v.site;
    let root = site.root.as_str();
    let verified = site.approvals_verified;
    let r = &v.record;
    h.raw("\n<h1><span class=\"id\">")
        .text(&r.id)
        .raw("</span> ")
        .text(&r.title)
        .raw("</h1>\n<p class=\"meta\"><a href=\"")
        .text(root)
        .raw("types/")
        .text(&r.type_name)
        .raw(".html\">")
        .text(&type_label(&r.type_name))
        .raw("</a> · ");
    status(h, &r.status, verified);
    h.raw(" · <code>").text(&v.path).raw("</code></p>");
    if let Some(walk) = some(&v.walk) {
        h.raw("\n<p class=\"walk-link\"><a href=\"")
            .text(root)
            .text(walk)
            .raw("\" data-id=\"walk ")
            .text(&r.id)
            .raw("\">Audit trace walk from ")
            .text(&r.id)
            .raw("</a>: every hop from here to controls, verification, releases, postmarket records and management review</p>");
    }
    h.raw("\n");
    if !v.duplicates.is_empty() {
        h.raw(
            "<section class=\"findings duplicate-id\">\n<h2>Duplicate id</h2>\n<p class=\"error\">",
        )
        .text(&r.id)
        .raw(" is also the id of ");
        for (k, d) in v.duplicates.iter().enumerate() {
            h.raw("<code>").text(d).raw("</code>");
            if k + 1 < v.duplicates.len() {
                h.raw(", ");
            }
        }
        h.raw(". This page shows <code>")
            .text(&v.path)
            .raw("</code>, the record links to ")
            .text(&r.id)
            .raw(" resolve to; give one of them a free id.</p>\n</section>\n");
    }
    if !v.findings.is_empty() {
        h.raw("<section class=\"findings\">\n<h2>Findings</h2>\n<ul>");
        for f in &v.findings {
            h.raw("<li class=\"")
                .text(&f.severity)
                .raw("\">")
                .text(&f.severity)
                .raw(" <code>")
                .text(&f.rule)
                .raw("</code>: ")
                .text(&f.message)
                .raw("</li>");
        }
        h.raw("</ul>\n</section>");
    }
    h.raw("\n");
    if !v.fields.is_empty() {
        h.raw("<h2>Fields</h2>\n<table class=\"fields\">\n<tbody>\n");
        for f in &v.fields {
            h.raw("<tr><th>").text(&f.name).raw("</th><td");
            if f.name == "result" && f.records.is_empty() {
                h.raw(" class=\"result-").slug(&f.html).raw("\"");
            }
            h.raw(">");
            if f.records.is_empty() {
                h.safe(&f.html);
            } else {
                for (k, l) in f.records.iter().enumerate() {
                    if k > 0 {
                        h.raw(", ");
                    }
                    ref_link_titled(h, root, l);
                }
            }
            h.raw("</td></tr>\n");
        }
        h.raw("</tbody>\n</table>");
    }
    h.raw("\n");
    if !v.body_html.is_empty() {
        h.raw("<h2>Description</h2>\n<div class=\"body\">\n")
            .safe(&v.body_html)
            .raw("\n</div>");
    }
    h.raw("\n<h2>Links</h2>\n<div class=\"links\">\n<section><h3>Out (written here)</h3>\n");
    if v.links_out.is_empty() {
        h.raw("<p class=\"none\">none</p>");
    } else {
        h.raw("<ul>");
        for l in &v.links_out {
            h.raw("<li><code>").text(&l.field).raw("</code> → ");
            ref_link(h, root, &l.record);
            h.raw(" ").text(&l.record.title).raw("</li>");
        }
        h.raw("</ul>");
    }
    h.raw("\n</section>\n<section><h3>In (computed)</h3>\n");
    if v.links_in.is_empty() {
        h.raw("<p class=\"none\">none</p>");
    } else {
        h.raw("<ul>");
        for l in &v.links_in {
            h.raw("<li>");
            ref_link(h, root, &l.record);
            h.raw(" <code>")
                .text(&l.field)
                .raw("</code> → here · ")
                .text(&l.record.title)
                .raw("</li>");
        }
        h.raw("</ul>");
    }
    h.raw("\n</section>\n");
    mention_list(h, root, "Mentioned here", "the description", &v.mentions);
    h.raw("\n");
    mention_list(h, root, "Mentioned by", "its description", &v.mentioned_by);
    if !v.implemented_in.is_empty() {
        h.raw("\n<section class=\"code-tags\"><h3>Implemented in (code tags)</h3>\n<ul>");
        for p in &v.implemented_in {
            h.raw("<li><code>").text(p).raw("</code></li>");
        }
        h.raw("</ul>\n</section>");
    }
    h.raw("\n</div>\n<h2>Trace</h2>\n<div class=\"links chains\">\n<section><h3>Upstream (")
        .int(v.upstream_total)
        .raw(")</h3>\n");
    chain(h, root, verified, &v.upstream, v.upstream_total);
    h.raw("\n</section>\n<section><h3>Downstream (")
        .int(v.downstream_total)
        .raw(")</h3>\n");
    chain(h, root, verified, &v.downstream, v.downstream_total);
    h.raw("\n</section>\n</div>\n");
    if v.has_history {
        approvals_and_history(h, v);
    }
    h.raw("\n");
    if v.has_history {
        suspect_links(h, v);
    }
    h.raw("\n");
}

/// `{% if mentions %}<section><h3>Mentioned here</h3>\n<ul>...</ul>\n</section>{% endif %}`, and
/// the same for "Mentioned by" (`body` is how each says the record's description).
fn mention_list(
    h: &mut Html,
    root: &str,
    heading: &'static str,
    body: &'static str,
    ls: &[LinkView],
) {
    if ls.is_empty() {
        return;
    }
    h.raw("<section><h3>").raw(heading).raw("</h3>\n<ul>");
    for l in ls {
        h.raw("<li>");
        ref_link(h, root, &l.record);
        h.raw(" ")
            .text(&l.record.title)
            .raw(" <span class=\"field\">in ");
        if l.field == "body" {
            h.raw(body);
        } else {
            h.raw("<code>").text(&l.field).raw("</code>");
        }
        h.raw("</span></li>");
    }
    h.raw("</ul>\n</section>");
}

/// An upstream or downstream tree, and the line saying how many more there are.
fn chain(h: &mut Html, root: &str, verified: bool, cs: &[ChainView], total: usize) {
    if cs.is_empty() {
        h.raw("<p class=\"none\">none</p>");
    } else {
        h.raw("<ul class=\"tree\">");
        for c in cs {
            h.raw("<li class=\"depth-")
                .int(c.depth)
                .raw("\" style=\"margin-left: ")
                // `{{ c.depth * 1.5 }}`: Tera multiplies as floats.
                .float(c.depth as f64 * 1.5)
                .raw("em\">");
            ref_link(h, root, &c.record);
            h.raw(" ").text(&c.record.title).raw(" ");
            status(h, &c.record.status, verified);
            for x in &c.related {
                h.raw(" <span class=\"related\">");
                if x.inbound {
                    ref_link_titled(h, root, &x.record);
                    h.raw(" <code>").text(&x.field).raw("</code>");
                } else {
                    h.raw("<code>").text(&x.field).raw("</code> ");
                    ref_link_titled(h, root, &x.record);
                }
                h.raw("</span>");
            }
            h.raw("</li>");
        }
        h.raw("</ul>");
    }
    h.raw("\n");
    if total > cs.len() {
        h.raw("<p class=\"more\">… and ")
            .int(total - cs.len())
            .raw(" more; the <a href=\"")
            .text(root)
            .raw("trace.html\">trace matrix</a> lists every chain.</p>");
    }
}

/// The rows of a revision table (`{% for c in history %}<tr>...</tr>\n{% endfor %}`).
fn revision_rows(h: &mut Html, revs: &[RevisionView]) {
    for c in revs {
        h.raw("<tr><td><code>")
            .text(&c.short)
            .raw("</code></td><td>")
            .text(&c.date)
            .raw("</td><td>")
            .text(&c.change)
            .raw("</td><td>")
            .text(&c.subject);
        if !c.fields.is_empty() {
            h.raw("<ul class=\"changes\">");
            for f in &c.fields {
                h.raw("<li>").text(f).raw("</li>");
            }
            h.raw("</ul>");
        }
        h.raw("</td><td>").text(&c.author).raw("</td></tr>\n");
    }
}

const REVISION_HEAD: &str = "<table>\n<thead><tr><th>Commit</th><th>Date and time</th><th>Change</th><th>Subject</th><th>Author</th></tr></thead>\n<tbody>\n";

/// The approvals, signed approvals and revision history sections (`{% if has_history %}`).
fn approvals_and_history(h: &mut Html, v: &RecordView) {
    let root = v.site.root.as_str();
    h.raw("<h2>Approvals of this content</h2>\n");
    if v.approvals.is_empty() {
        h.raw("<p class=\"none\">No approval covers the current content.</p>");
    } else {
        h.raw("<table>\n<thead><tr><th>Printed name</th><th>Signer</th><th>Date and time</th><th>Meaning</th><th>Signature</th><th>Key</th><th>Commit</th></tr></thead>\n<tbody>\n");
        for a in &v.approvals {
            h.raw("<tr class=\"")
                .raw(if a.valid { "ok" } else { "error" })
                .raw("\"><td>")
                .text(&a.printed_name)
                .raw("</td><td>");
            match some(&a.signer_href) {
                Some(href) => {
                    h.raw("<a href=\"")
                        .text(root)
                        .text(href)
                        .raw("\">")
                        .text(&a.signer)
                        .raw("</a>");
                }
                None => {
                    h.text(&a.signer);
                }
            }
            h.raw("</td><td>")
                .text(&a.time)
                .raw("</td><td>")
                .text(&a.meaning)
                .raw("</td><td>")
                .text(&a.status);
            for p in &a.problems {
                h.raw("<br>").text(p);
            }
            h.raw("</td><td>");
            if a.fingerprint.is_empty() {
                h.raw("<span class=\"none\">unsigned</span>");
            } else {
                h.raw("<code class=\"fingerprint\">")
                    .text(&a.fingerprint)
                    .raw("</code>");
                if !a.key_trust.is_empty() {
                    h.raw("<br><span class=\"field\">")
                        .text(&a.key_trust)
                        .raw("</span>");
                }
            }
            h.raw("</td><td>");
            commit_link(h, root, &a.log_href, &a.short);
            h.raw("</td></tr>\n");
        }
        h.raw("</tbody>\n</table>");
    }
    h.raw("\n");
    if !v.signed.is_empty() {
        h.raw("<h2 id=\"signed\">Approvals signed by ")
            .text(&v.record.title)
            .raw("</h2>\n<table>\n<thead><tr><th>Approves</th><th>Date and time</th><th>Meaning</th><th>Signature</th><th>Commit</th></tr></thead>\n<tbody>\n");
        for s in &v.signed {
            let a = &s.approval;
            h.raw("<tr class=\"")
                .raw(if a.valid { "ok" } else { "error" })
                .raw("\"><td>");
            for (k, l) in s.records.iter().enumerate() {
                if k > 0 {
                    h.raw(", ");
                }
                ref_link_titled(h, root, l);
            }
            h.raw("</td><td>")
                .text(&a.time)
                .raw("</td><td>")
                .text(&a.meaning)
                .raw("</td><td>")
                .text(&a.status);
            for p in &a.problems {
                h.raw("<br>").text(p);
            }
            h.raw("</td><td>");
            commit_link(h, root, &a.log_href, &a.short);
            h.raw("</td></tr>\n");
        }
        h.raw("</tbody>\n</table>");
    }
    h.raw("\n<h2>Revision history</h2>\n");
    if v.history.is_empty() {
        h.raw("<p class=\"none\">Not committed yet.</p>");
    } else {
        h.raw(REVISION_HEAD);
        revision_rows(h, &v.history);
        h.raw("</tbody>\n</table>");
    }
    h.raw("\n");
}

/// `{% if log_href %}<a href="..."><code>{{ short }}</code></a>{% else %}<code>{{ short }}</code>{% endif %}`
fn commit_link(h: &mut Html, root: &str, log_href: &Option<String>, short: &str) {
    match some(log_href) {
        Some(href) => {
            h.raw("<a href=\"")
                .text(root)
                .text(href)
                .raw("\"><code>")
                .text(short)
                .raw("</code></a>");
        }
        None => {
            h.raw("<code>").text(short).raw("</code>");
        }
    }
}

/// The suspect links section (`{% if has_history %}`).
fn suspect_links(h: &mut Html, v: &RecordView) {
    let root = v.site.root.as_str();
    let id = &v.record.id;
    h.raw("<section class=\"suspects\">\n<h2 id=\"suspect-links\">Suspect links</h2>\n");
    if v.suspect_links.is_empty() {
        h.raw("<p class=\"none\">None: no linked record changed after this one was last changed or approved.</p>");
    } else {
        h.raw("<p>Each target below changed after ")
            .text(id)
            .raw(" was last changed or approved: review ")
            .text(id)
            .raw(" against the change, then commit it or sign an approval of it.</p>\n");
        for s in &v.suspect_links {
            h.raw("<div class=\"suspect\">\n<h3><code>")
                .text(&s.field)
                .raw("</code> → ");
            ref_link(h, root, &s.target);
            h.raw(" ")
                .text(&s.target.title)
                .raw("</h3>\n<p class=\"meta\">")
                .text(&s.target.id)
                .raw(" changed in ")
                .text(&s.changed)
                .raw("; ")
                .text(id)
                .raw(" was last changed or approved in ")
                .text(&s.since)
                .raw(".</p>\n");
            if !s.changes.is_empty() {
                h.raw(REVISION_HEAD);
                revision_rows(h, &s.changes);
                h.raw("</tbody>\n</table>");
            }
            h.raw("\n");
            if s.body_diff.is_empty() {
                h.raw("<p class=\"none\">The body did not change.</p>");
            } else {
                h.raw("<pre class=\"diff\">")
                    .text(&s.body_diff)
                    .raw("</pre>");
            }
            h.raw("\n</div>\n");
        }
    }
    h.raw("\n</section>");
}

/// The audit trace walk page (`site/walk.html`).
pub fn walk(v: &WalkView) -> String {
    let mut h = Html::with_capacity(16 * 1024);
    let site = &v.site;
    let e = &v.entry;
    base(
        &mut h,
        site,
        Blocks {
            title: &|h| {
                h.raw("Trace walk from ")
                    .text(&e.id)
                    .raw(" · ")
                    .text(&site.title);
            },
            print_title: &|h| {
                h.raw("\"Audit trace walk from \" ")
                    .css(&e.id)
                    .raw(" \" \" ")
                    .css(&e.title);
            },
            print_id: &|h| {
                h.css(&e.id).raw(" \" · rev \" ").css(&site.built);
            },
            content: &|h| walk_content(h, v),
        },
    );
    h.finish()
}

fn walk_content(h: &mut Html, v: &WalkView) {
    let site = &v.site;
    let root = site.root.as_str();
    let e = &v.entry;
    h.raw("\n<article class=\"walk\">\n<h1>Audit trace walk from <span class=\"id\">")
        .text(&e.id)
        .raw("</span> ")
        .text(&e.title)
        .raw("</h1>\n<p class=\"meta\">");
    if let Some(href) = some(&e.href) {
        h.raw("<a href=\"")
            .text(root)
            .text(href)
            .raw("\" data-id=\"")
            .text(&e.id)
            .raw("\">record page</a> · ");
    }
    h.text(&type_label(&e.type_name)).raw(" · ");
    status(h, &e.status, site.approvals_verified);
    h.raw(" · <a href=\"")
        .text(root)
        .raw("risk.html\">risk file</a> · <a href=\"")
        .text(root)
        .raw("security.html\">security report</a></p>\n<p>Forward from ")
        .text(&e.id)
        .raw(" through every hop an auditor follows (domain-model 6.2). Each record shows its status");
    if v.has_history {
        h.raw(", the valid approvals of its current content and its last revision");
    }
    h.raw("; an empty hop takes one line and is marked as a gap, in red (<strong class=\"error\">GAP</strong>) where the chain needs it.");
    if !v.has_history {
        h.raw(" This DDF was built without Git history, so approvals and revisions are not shown.");
    }
    h.raw("</p>\n<ol class=\"walk-steps\">\n");
    for s in &v.steps {
        if s.hops.is_empty() {
            empty_step(h, s);
        } else {
            h.raw("<li class=\"walk-step\" id=\"step-")
                .int(s.n)
                .raw("\">\n");
            step_heading(h, s);
            h.raw("\n<div class=\"hops\">\n");
            for hop in &s.hops {
                walk_hop(h, v, hop);
            }
            h.raw("</div>\n</li>\n");
        }
    }
    h.raw("</ol>\n</article>\n");
}

/// `<h2><span class="step-no">{{ s.n }}</span> {{ s.title }} <small>{{ s.clause }}</small></h2>`
fn step_heading(h: &mut Html, s: &StepView) {
    h.raw("<h2><span class=\"step-no\">")
        .int(s.n)
        .raw("</span> ")
        .text(&s.title)
        .raw(" <small>")
        .text(&s.clause)
        .raw("</small></h2>");
}

fn empty_step(h: &mut Html, s: &StepView) {
    h.raw("<li class=\"walk-step empty");
    if s.gap {
        h.raw(" gap");
    }
    h.raw("\" id=\"step-").int(s.n).raw("\">");
    step_heading(h, s);
    h.raw(" <span class=\"empty-hop\">");
    if s.gap {
        h.raw(
            "<strong class=\"error\">GAP</strong>: nothing recorded, and the chain needs this hop",
        );
    } else {
        h.raw("gap: nothing recorded");
    }
    h.raw("</span></li>\n");
}

fn walk_hop(h: &mut Html, v: &WalkView, hop: &HopView) {
    let root = v.site.root.as_str();
    h.raw("<div class=\"hop\">\n<p class=\"hop-head\">");
    ref_link(h, root, &hop.record);
    h.raw(" ").text(&hop.record.title).raw(" ");
    status(h, &hop.record.status, v.site.approvals_verified);
    if !hop.via.is_empty() {
        h.raw(" <span class=\"via\">")
            .text(&hop.via.join("; "))
            .raw("</span>");
    }
    h.raw("</p>\n");
    if !hop.details.is_empty() {
        h.raw("<dl class=\"meta\">");
        for d in &hop.details {
            h.raw("<dt>")
                .text(&d.label)
                .raw("</dt><dd>")
                .text(&d.value)
                .raw("</dd>");
        }
        h.raw("</dl>");
    }
    h.raw("\n");
    if v.has_history {
        h.raw("<p class=\"hop-history\">");
        if hop.approvals.is_empty() {
            h.raw("<span class=\"warning\">no valid approval covers the current content</span>");
        } else {
            for (k, a) in hop.approvals.iter().enumerate() {
                h.raw("<span class=\"ok\">approved: ")
                    .text(a)
                    .raw("</span>");
                if k + 1 < hop.approvals.len() {
                    h.raw("<br>");
                }
            }
        }
        h.raw("<br>revision ");
        match some(&hop.revision) {
            Some(rev) => {
                h.raw("<code>").text(rev).raw("</code>");
            }
            None => {
                h.raw("not committed");
            }
        }
        if let Some(intro) = some(&hop.introduced) {
            if hop.introduced != hop.revision {
                h.raw(" · introduced <code>").text(intro).raw("</code>");
            }
        }
        h.raw("</p>");
    }
    h.raw("\n</div>\n");
}

/// The trace matrix page (`site/trace.html`). It is the largest page of a site (53 MB at
/// 100,000 records), and its Tera context alone took 850 MB there.
pub fn trace(v: &TraceView) -> String {
    trace_streamed(&v.site, |emit| v.matrices.iter().for_each(emit))
}

/// The trace matrix page of `site`, its matrices handed one by one to the callback `matrices`
/// gets (so a caller can build each, have it written and drop it before the next).
pub fn trace_streamed(
    site: &SiteView,
    matrices: impl FnOnce(&mut dyn FnMut(&MatrixView)),
) -> String {
    let matrices = std::cell::RefCell::new(Some(matrices));
    let mut h = Html::with_capacity(64 * 1024);
    base(
        &mut h,
        site,
        Blocks {
            title: &|h| {
                h.raw("Trace matrix · ").text(&site.title);
            },
            print_title: &|h| {
                h.raw("\"Trace matrix · \" ").css(&site.title);
            },
            // The layout's own block.
            print_id: &|h| {
                h.raw("\"rev \" ").css(&site.built);
            },
            content: &|h| {
                h.raw("\n<h1>Trace matrix</h1>\n<p>Each row is a start record and the next record that traces to it, each with its title; a column with no record, or an evidence column with no passing result, is a <span class=\"gap\">gap</span>.</p>\n");
                let mut any = false;
                if let Some(each) = matrices.borrow_mut().take() {
                    each(&mut |m| {
                        any = true;
                        matrix(h, m);
                    });
                }
                if !any {
                    h.raw("<p class=\"none\">No records to trace from.</p>\n");
                }
                h.raw("\n");
            },
        },
    );
    h.finish()
}

/// One matrix of the trace page (a `{% for m in matrices %}` turn of `site/trace.html`).
fn matrix(h: &mut Html, m: &MatrixView) {
    {
        h.raw("<section class=\"matrix\">\n<h2>From ")
            .text(&type_label(&m.from))
            .raw("</h2>\n<p>")
            .int(m.rows.len())
            .raw(" row");
        if m.rows.len() != 1 {
            h.raw("s");
        }
        h.raw(", ");
        if m.rows_with_gaps > 0 {
            h.raw("<span class=\"error\">")
                .int(m.rows_with_gaps)
                .raw(" with gaps</span>");
        } else {
            h.raw("<span class=\"ok\">no gaps</span>");
        }
        h.raw(" · <a href=\"")
            .text(&m.csv)
            .raw("\">CSV</a></p>\n<div class=\"wide\">\n<table class=\"trace\">\n<thead><tr>");
        for c in &m.columns {
            h.raw("<th>").text(&type_label(c)).raw("</th>");
        }
        h.raw("</tr></thead>\n<tbody>\n");
        for row in &m.rows {
            h.raw("<tr>");
            for cell in row {
                h.raw("<td");
                if cell.gap {
                    h.raw(" class=\"gap\"");
                } else if cell.repeat {
                    h.raw(" class=\"repeat\"");
                }
                h.raw(">");
                for (k, x) in cell.records.iter().enumerate() {
                    match some(&x.record.href) {
                        Some(href) => {
                            h.raw("<a href=\"")
                                .text(href)
                                .raw("\">")
                                .text(&x.record.id)
                                .raw("</a>");
                        }
                        None => {
                            h.text(&x.record.id);
                        }
                    }
                    h.raw(" <span class=\"title\">")
                        .text(&x.record.title)
                        .raw("</span>");
                    if let Some(result) = some(&x.result).filter(|r| *r != "pass") {
                        h.raw(" <span class=\"result-")
                            .slug(result)
                            .raw("\">(")
                            .text(result)
                            .raw(")</span>");
                    }
                    if k + 1 < cell.records.len() {
                        h.raw("<br>");
                    }
                }
                if cell.gap {
                    if !cell.records.is_empty() {
                        h.raw("<br>");
                    }
                    h.raw("<strong>GAP</strong>");
                }
                h.raw("</td>");
            }
            h.raw("</tr>\n");
        }
        h.raw("</tbody>\n</table>\n</div>\n</section>\n");
    }
}

/// The release print view (`site/release-print.html`): the release page, the risk file, the
/// trace matrix and the security report in one document.
pub fn release_print(v: &crate::site::print::PrintView) -> String {
    let size: usize = v.parts.iter().map(|p| p.html.len() + 256).sum();
    release_print_parts(v, size, &|_, _| {})
}

/// The release print view of `v`, each part's content written by `part(k, h)` after the
/// `html` it holds (empty when `part` writes it): a part is then copied into the page straight
/// from the page it is taken from, and that page freed, instead of the parts and the page
/// being held at once (at 100,000 records, about 65 MB each). `size` is the expected length of
/// the parts, so the page is allocated once.
pub(crate) fn release_print_parts(
    v: &crate::site::print::PrintView,
    size: usize,
    part: &dyn Fn(usize, &mut Html),
) -> String {
    let mut h = Html::with_capacity(8 * 1024 + size);
    let site = &v.site;
    let r = &v.release;
    base(
        &mut h,
        site,
        Blocks {
            title: &|h| {
                h.text(&r.id)
                    .raw(" ")
                    .text(&r.title)
                    .raw(": Design and Development File, print view · ")
                    .text(&site.title);
            },
            print_title: &|h| {
                h.css(&r.id).raw(" \" \" ").css(&r.title).raw(" \" · DDF\"");
            },
            print_id: &|h| {
                h.css(&r.id).raw(" \" · rev \" ").css(&site.built);
            },
            content: &|h| {
                h.raw("\n<article class=\"release-print\">\n<h1>Design and Development File of ")
                    .text(&r.id)
                    .raw(" <small>")
                    .text(&r.title)
                    .raw("</small></h1>\n<p class=\"meta\">One document for printing or saving as PDF (the browser's Print, or <code>chromium --headless --print-to-pdf</code>): the release record with its approvals and SBOM, then the risk management file, the trace matrix and the security report as built from <code>")
                    .text(&site.built)
                    .raw("</code>. <a href=\"")
                    .text(&site.root)
                    .raw("releases/")
                    .text(&r.id)
                    .raw(".html\">Release page</a>. Build the site with <code>ddf --rev &lt;the release's tag&gt; build</code> for these parts as they stood at the release.</p>\n<nav class=\"print-toc\" aria-label=\"Parts\"><ol>");
                for p in &v.parts {
                    h.raw("<li><a href=\"#")
                        .text(&p.id)
                        .raw("\">")
                        .text(&p.title)
                        .raw("</a></li>");
                }
                h.raw("</ol></nav>\n");
                for (k, p) in v.parts.iter().enumerate() {
                    h.raw("<section class=\"print-part\" id=\"")
                        .text(&p.id)
                        .raw("\" aria-label=\"")
                        .text(&p.title)
                        .raw("\">\n<p class=\"part-source meta\">Part ")
                        .int(k + 1)
                        .raw(": ")
                        .text(&p.title)
                        .raw(" (from <code>")
                        .text(&p.page)
                        .raw("</code>)</p>\n")
                        // The parts are the site's own pages, already rendered and escaped.
                        .safe(&p.html);
                    part(k, h);
                    h.raw("\n</section>\n");
                }
                h.raw("</article>\n");
            },
        },
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::super::{Native, Renderer, PRINT, RECORD, TRACE, WALK};
    use crate::site::views::*;
    use crate::site::walk::{DetailView, HopView, StepView, WalkView};

    /// `s` with everything a value could do to the page around it.
    fn evil(s: &str) -> String {
        format!("{s} \"quoted\" 'single' <b>&amp;</b> </style></main> \\ Débit ≥ 5 mL/h 😀 {{{{ x }}}} {{% if %}}")
    }

    fn site(root: &str, verified: bool, worktree: &str) -> SiteView {
        SiteView {
            project: evil("Project"),
            title: evil("Title"),
            commit: evil("commit"),
            built: evil("built"),
            root: root.into(),
            nav: NAV
                .iter()
                .map(|(href, label)| NavLink {
                    href: (*href).into(),
                    label: evil(label),
                })
                .collect(),
            types: vec![
                TypeCount {
                    name: "hazardous-situation".into(),
                    prefix: evil("HS"),
                    clause: "ISO 14971".into(),
                    count: 3,
                    href: "types/hazardous-situation.html".into(),
                },
                TypeCount {
                    name: "capa".into(),
                    prefix: "CAPA".into(),
                    clause: String::new(),
                    count: 1,
                    href: evil("types/capa.html"),
                },
            ]
            .into(),
            generator: evil("ddf 0.0"),
            worktree: worktree.into(),
            approvals_verified: verified,
            build_date: "2026-06-01".into(),
            header: Default::default(),
        }
    }

    fn rec(id: &str, status: &str, href: Option<&str>) -> RecordRef {
        RecordRef {
            id: evil(id).into(),
            type_name: "design-input".into(),
            title: evil(&format!("Title of {id}")).into(),
            status: status.into(),
            href: href.map(str::to_string),
        }
    }

    fn revision(n: usize, fields: usize) -> RevisionView {
        RevisionView {
            commit: format!("{n:040}"),
            short: evil(&format!("{n:010}")),
            date: evil("2026-01-01 00:00:00 UTC"),
            author: evil("Ada"),
            subject: evil("Subject"),
            change: "modified".into(),
            fields: (0..fields)
                .map(|k| evil(&format!("f{k}: a -> b")))
                .collect(),
        }
    }

    fn approval(valid: bool, signed: bool, linked: bool) -> ApprovalView {
        ApprovalView {
            printed_name: evil("Quinn"),
            signer: evil("PER-001"),
            time: evil("time"),
            meaning: evil("approval"),
            status: evil("valid signature"),
            valid,
            problems: if valid {
                Vec::new()
            } else {
                vec![evil("problem one"), evil("problem two")]
            },
            commit: "c".repeat(40),
            short: evil("cccccccccc"),
            manifestation: evil("manifestation"),
            fingerprint: if signed {
                evil("SHA256:abc")
            } else {
                String::new()
            },
            key_trust: if signed && linked {
                evil("trust root")
            } else {
                String::new()
            },
            signer_href: linked.then(|| evil("records/PER-001.html")),
            log_href: linked.then(|| evil("changes.html#commit-c")),
        }
    }

    fn chain(n: usize) -> Vec<ChainView> {
        (0..n)
            .map(|k| ChainView {
                depth: k % 13,
                record: rec(
                    &format!("DI-{k:03}"),
                    ["approved", "draft", "in_review", ""][k % 4],
                    (k % 3 != 0).then_some("records/DI.html"),
                ),
                related: (0..k % 3)
                    .map(|j| RelatedView {
                        field: evil("owner"),
                        inbound: j == 1,
                        record: rec(
                            "PER-001",
                            "approved",
                            (j == 0).then_some("records/PER.html"),
                        ),
                    })
                    .collect(),
            })
            .collect()
    }

    fn link(field: &str, href: Option<&str>) -> LinkView {
        LinkView {
            field: field.into(),
            record: rec("UN-001", "approved", href),
        }
    }

    /// A record page view with every list filled (`full`) or every list empty.
    fn record_view(full: bool, verified: bool, worktree: &str) -> RecordView {
        let n = if full { 3 } else { 0 };
        RecordView {
            site: site("../", verified, worktree),
            record: RecordRef {
                type_name: if full { "hazardous-situation" } else { "capa" }.into(),
                ..rec("HS-001", "approved", Some("records/HS-001.html"))
            },
            walk: if full {
                Some(evil("walk/HS-001.html"))
            } else {
                Some(String::new())
            },
            path: evil("records/HS-001.md"),
            fields: (0..n + 1)
                .map(|k| FieldView {
                    name: if k == 0 {
                        "result".into()
                    } else {
                        evil("field")
                    },
                    value: evil("value"),
                    html: if k == 0 {
                        "Pass ✓".to_string()
                    } else {
                        "<p>safe &amp; sound</p>".into()
                    },
                    records: if k == 2 {
                        vec![
                            rec("A-1", "draft", Some("records/A-1.html")),
                            rec("B-2", "", None),
                        ]
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
            body_html: if full {
                "<p>body <a href=\"x\">x</a></p>".into()
            } else {
                String::new()
            },
            links_out: (0..n)
                .map(|k| {
                    link(
                        &evil("traces_to"),
                        (k != 1).then_some("records/UN-001.html"),
                    )
                })
                .collect(),
            links_in: (0..n)
                .map(|k| {
                    link(
                        &evil("satisfies"),
                        (k != 0).then_some("records/UN-001.html"),
                    )
                })
                .collect(),
            mentions: (0..n)
                .map(|k| {
                    link(
                        if k == 0 { "body" } else { "rationale" },
                        Some("records/UN.html"),
                    )
                })
                .collect(),
            mentioned_by: (0..n)
                .map(|k| link(if k == 1 { "body" } else { "notes" }, None))
                .collect(),
            implemented_in: (0..n).map(|k| evil(&format!("src/a.c:{k}"))).collect(),
            upstream: chain(if full { 20 } else { 0 }),
            upstream_total: if full { 300 } else { 0 },
            downstream: chain(n),
            downstream_total: n,
            has_history: full,
            history: (0..n).map(|k| revision(k, k)).collect(),
            approvals: if full {
                vec![
                    approval(true, true, true),
                    approval(false, false, false),
                    approval(true, true, false),
                ]
            } else {
                Vec::new()
            },
            duplicates: (0..n)
                .map(|k| evil(&format!("records/dup{k}.md")))
                .collect(),
            findings: (0..n)
                .map(|k| FindingView {
                    rule: evil("rule"),
                    severity: if k == 0 { "error" } else { "warning" }.into(),
                    record: Some(evil("HS-001")),
                    href: None,
                    path: evil("path"),
                    line: Some(k),
                    message: evil("message"),
                })
                .collect(),
            signed: (0..n)
                .map(|k| SignedView {
                    records: (0..k + 1)
                        .map(|j| rec("DI-9", "approved", (j != 1).then_some("records/DI-9.html")))
                        .collect(),
                    approval: approval(k != 1, true, k == 0),
                })
                .collect(),
            suspect_links: (0..n)
                .map(|k| SuspectLinkView {
                    field: evil("traces_to"),
                    target: rec(
                        "UN-002",
                        "approved",
                        (k != 2).then_some("records/UN-002.html"),
                    ),
                    changed: evil("changed"),
                    since: evil("since"),
                    changes: (0..k).map(|j| revision(j, 2)).collect(),
                    body_diff: if k == 1 {
                        String::new()
                    } else {
                        evil("-old\n+new\n")
                    },
                })
                .collect(),
        }
    }

    fn walk_view(has_history: bool, verified: bool, worktree: &str) -> WalkView {
        let hop = |k: usize| HopView {
            record: rec(
                &format!("RC-{k}"),
                ["approved", "draft", ""][k % 3],
                k.is_multiple_of(2).then_some("records/RC.html"),
            ),
            via: (0..k % 3)
                .map(|j| evil(&format!("mitigates HS-{j}")))
                .collect(),
            details: (0..k % 2 + (k == 0) as usize)
                .map(|j| DetailView {
                    label: evil(&format!("label{j}")),
                    value: evil("value"),
                })
                .collect(),
            approvals: (0..k % 3).map(|j| evil(&format!("approval {j}"))).collect(),
            revision: match k % 3 {
                0 => None,
                1 => Some(evil("rev")),
                _ => Some(String::new()),
            },
            introduced: match k % 4 {
                0 => None,
                1 => Some(evil("rev")),
                2 => Some(evil("intro")),
                _ => Some(String::new()),
            },
        };
        WalkView {
            site: site("../", verified, worktree),
            entry: RecordRef {
                type_name: "hazardous-situation".into(),
                ..rec(
                    "HS-001",
                    "approved",
                    (worktree != "clean").then_some("records/HS-001.html"),
                )
            },
            has_history,
            steps: (0..8)
                .map(|s| StepView {
                    n: s + 1,
                    title: evil("Risk controls"),
                    clause: evil("ISO 14971 7.1"),
                    gap: s % 3 == 1,
                    hops: (0..[0, 0, 1, 4, 0, 7, 2, 12][s])
                        .map(|k| hop(k + s))
                        .collect(),
                })
                .collect(),
        }
    }

    /// A renderer of the built-in templates (no overrides), and the same writing every page
    /// through Tera.
    fn renderers() -> (Renderer, Renderer) {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = crate::source::Worktree::new(dir.path());
        let native = Renderer::new(&source, "templates").expect("renderer");
        assert_eq!(
            native.native,
            Native {
                record: true,
                walk: true,
                trace: true,
                print: true,
            },
            "no override: every page native"
        );
        let tera = Renderer {
            native: Native {
                record: false,
                walk: false,
                trace: false,
                print: false,
            },
            ..Renderer::new(&source, "templates").expect("renderer")
        };
        (native, tera)
    }

    #[test]
    fn hostile_record_pages_are_the_bytes_the_template_makes() {
        let (native, tera) = renderers();
        let mut compared = 0;
        for full in [true, false] {
            for verified in [true, false] {
                for worktree in ["uncommitted", "clean", "", "other"] {
                    let view = record_view(full, verified, worktree);
                    let ours = native.record_page("r.html".into(), &view).expect("native");
                    let theirs = tera.record_page("r.html".into(), &view).expect("tera");
                    let (a, b) = (
                        String::from_utf8_lossy(&ours.bytes),
                        String::from_utf8_lossy(&theirs.bytes),
                    );
                    assert!(
                        a == b,
                        "full {full}, verified {verified}, {worktree}:\n{}",
                        first_difference(&a, &b)
                    );
                    assert!(
                        !a.contains("</style></main> \\"),
                        "a value was written unescaped"
                    );
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 16);
        // The full view exercises what it should: the "more" line, a depth's float, every table.
        let page = native
            .record_page("r.html".into(), &record_view(true, false, ""))
            .expect("page");
        let page = String::from_utf8(page.bytes).expect("utf-8");
        for want in [
            "… and 280 more",
            "margin-left: 18.0em",
            "margin-left: 1.5em",
            "<h2 id=\"signed\">",
            "<pre class=\"diff\">",
            "The body did not change.",
            "class=\"result-pass--\"",
            "approval not verified",
            "\\3c /style\\3e ",
        ] {
            assert!(page.contains(want), "{want} not in the page:\n{page}");
        }
    }

    #[test]
    fn the_shared_header_is_the_one_of_each_pages_depth() {
        let (native, tera) = renderers();
        let mut view = record_view(true, false, "clean");
        let base = view.site.clone();
        // One cache for every page, as a build shares it: each root written once, then reused;
        // a root that is not a run of `../` is written each time.
        for root in [
            "",
            "../",
            "../../",
            "x/",
            "../",
            "",
            "../../../../../",
            "../../",
            "x/",
        ] {
            view.site = SiteView {
                root: root.into(),
                ..base.clone()
            };
            let ours = native.record_page("r.html".into(), &view).expect("native");
            let theirs = tera.record_page("r.html".into(), &view).expect("tera");
            let (a, b) = (
                String::from_utf8_lossy(&ours.bytes),
                String::from_utf8_lossy(&theirs.bytes),
            );
            assert!(a == b, "root {root:?}:\n{}", first_difference(&a, &b));
        }
        let filled = base.header.0.iter().filter(|c| c.get().is_some()).count();
        assert_eq!(
            filled, 3,
            "the roots \"\", \"../\" and \"../../\" are cached"
        );
    }

    #[test]
    fn hostile_walk_pages_are_the_bytes_the_template_makes() {
        let (native, tera) = renderers();
        for has_history in [true, false] {
            for verified in [true, false] {
                for worktree in ["uncommitted", "clean"] {
                    let view = walk_view(has_history, verified, worktree);
                    let ours = native.walk_page("w.html".into(), &view).expect("native");
                    let theirs = tera.walk_page("w.html".into(), &view).expect("tera");
                    let (a, b) = (
                        String::from_utf8_lossy(&ours.bytes),
                        String::from_utf8_lossy(&theirs.bytes),
                    );
                    assert!(
                        a == b,
                        "history {has_history}, verified {verified}, {worktree}:\n{}",
                        first_difference(&a, &b)
                    );
                    assert!(
                        a.contains("GAP</strong>: nothing recorded")
                            && a.contains("gap: nothing recorded")
                    );
                }
            }
        }
    }

    #[test]
    fn hostile_trace_matrices_are_the_bytes_the_template_makes() {
        let (native, tera) = renderers();
        let cell =
            |records: Vec<(Option<&str>, Option<&str>)>, gap: bool, repeat: bool| TraceCellView {
                records: records
                    .into_iter()
                    .enumerate()
                    .map(|(k, (href, result))| TraceRecordView {
                        record: rec(&format!("DI-00{k}"), "draft", href),
                        result: result.map(evil),
                    })
                    .collect(),
                gap,
                repeat,
            };
        let matrix = |from: &str, rows: usize| MatrixView {
            from: from.into(),
            columns: vec![from.into(), evil("design-input"), "verification".into()],
            rows: (0..rows)
                .map(|k| {
                    vec![
                        cell(vec![(Some("records/UN-001.html"), None)], false, k > 0),
                        cell(
                            vec![(None, Some("pass")), (Some(&evil("x.html")), Some(""))],
                            k % 2 == 0,
                            false,
                        ),
                        cell(vec![], true, false),
                    ]
                })
                .collect(),
            rows_with_gaps: rows,
            csv: evil("trace-user-need.csv"),
        };
        let mut compared = 0;
        for matrices in [
            vec![],
            vec![matrix("user-need", 1)],
            vec![matrix("capa", 0), matrix("hazardous-situation", 3)],
        ] {
            for verified in [true, false] {
                let view = TraceView {
                    site: site("", verified, "uncommitted"),
                    matrices: matrices.clone(),
                };
                let ours = native.trace_page(&view).expect("native");
                let theirs = tera.trace_page(&view).expect("tera");
                let (a, b) = (
                    String::from_utf8_lossy(&ours.bytes),
                    String::from_utf8_lossy(&theirs.bytes),
                );
                assert!(a == b, "{}", first_difference(&a, &b));
                compared += 1;
            }
        }
        assert_eq!(compared, 6);
        let page = native
            .trace_page(&TraceView {
                site: site("", true, ""),
                matrices: vec![matrix("user-need", 2)],
            })
            .expect("page");
        let page = String::from_utf8(page.bytes).expect("utf-8");
        for want in [
            "2 rows",
            "class=\"repeat\"",
            "<br><strong>GAP</strong>",
            "result-pass--",
        ] {
            assert!(page.contains(want), "{want} not in the page");
        }
    }

    #[test]
    fn an_override_of_a_page_or_the_layout_goes_through_tera() {
        for (file, record, walk, trace, print) in [
            (RECORD, false, true, true, true),
            (WALK, true, false, true, true),
            (TRACE, true, true, false, true),
            (PRINT, true, true, true, false),
            ("site/base.html", false, false, false, false),
            ("site/type.html", true, true, true, true),
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("tpl").join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, crate::templates::builtin(file).expect("built-in"))
                .expect("write");
            let source = crate::source::Worktree::new(dir.path());
            let r = Renderer::new(&source, "tpl").expect("renderer");
            assert_eq!(
                r.native,
                Native {
                    record,
                    walk,
                    trace,
                    print
                },
                "{file}"
            );
            // --context never writes a page natively.
            let c = Renderer::contexts(&source, "tpl").expect("renderer");
            assert_eq!(
                c.native,
                Native {
                    record: false,
                    walk: false,
                    trace: false,
                    print: false,
                }
            );
        }
    }

    /// Where two pages first differ, with some context, for a failing comparison.
    pub(crate) fn first_difference(a: &str, b: &str) -> String {
        let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        let from = at.saturating_sub(200);
        let show = |s: &str| {
            let s = s.as_bytes();
            String::from_utf8_lossy(&s[from.min(s.len())..(at + 200).min(s.len())]).into_owned()
        };
        format!(
            "first difference at byte {at}\nnative: …{}…\ntera:   …{}…",
            show(a),
            show(b)
        )
    }
}
