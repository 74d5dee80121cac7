//! Rendering the page views through the site templates, in parallel.
//!
//! The templates are Tera files under `site/` in the built-in set ([`crate::templates::BUILTIN`]);
//! the DDF's templates folder overrides any of them file by file. Names end in `.html`, so Tera
//! escapes every value unless a template marks it `| safe` (only `body_html`, already sanitised).
//! The record and walk pages, most of a site, are written by [`native`] instead when the DDF
//! overrides neither their templates nor the layout: the same bytes, without the template engine.

pub mod html;
pub mod native;

use super::views::{self, SiteView};
use super::{Input, OutFile, SiteError};
use crate::source::Source;
use html::Html;
use rayon::prelude::*;

/// The layout every page template extends; registered first.
pub const BASE: &str = "site/base.html";

/// The record page's template.
pub const RECORD: &str = "site/record.html";

/// The audit trace walk page's template.
pub const WALK: &str = "site/walk.html";
/// The trace matrix's template.
pub const TRACE: &str = "site/trace.html";
/// The release print view's template.
pub const PRINT: &str = "site/release-print.html";

/// The site's page templates: every built-in `site/*.html`, the layout first (the others
/// extend it).
pub fn template_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = crate::templates::BUILTIN
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| n.starts_with("site/") && n.ends_with(".html") && *n != BASE)
        .collect();
    names.insert(0, BASE);
    names
}

/// `v` as a CSS class name part: lowercase letters and digits, anything else `-` (the `slug`
/// filter, for classes such as `s-approved` on status badges).
pub fn slug(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    html::slug_into(v, &mut out);
    out
}

/// A status as its badge says it (the `badge` filter, `verified=site.approvals_verified`):
/// `approved` is "approval not verified" when the site does not verify signatures (no Git
/// history, or `status-signed` off), so an unchecked claim never shows as a green "approved".
pub fn badge(status: &str, verified: bool) -> String {
    badge_text(status, verified).to_string()
}

/// [`badge`] without the copy, for the pages written natively.
pub fn badge_text(status: &str, verified: bool) -> &str {
    if status == "approved" && !verified {
        "approval not verified"
    } else {
        status
    }
}

/// A type name as people read it (the `label` filter): `hazardous-situation` is "Hazardous
/// situation", `capa` is "CAPA".
pub fn type_label(name: &str) -> String {
    if name == "capa" {
        return "CAPA".into();
    }
    let words = name.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A part of the site beyond the per-type and per-record pages (the home page, the risk file,
/// the registers, ...): renders its pages and other files. Sections run in parallel.
pub type Section = fn(&Renderer, &Input<'_>, &SiteView) -> Result<Vec<OutFile>, SiteError>;

/// Every section of the site, each in its own module.
pub const SECTIONS: &[Section] = &[
    home,
    check,
    trace,
    super::clauses::pages,
    super::risk::pages,
    super::security::pages,
    super::registers::pages,
    super::changes::pages,
    super::releases::pages,
    super::search::pages,
];

fn home(r: &Renderer, input: &Input<'_>, site: &SiteView) -> Result<Vec<OutFile>, SiteError> {
    let view = views::home(input, site);
    Ok(vec![r.page(
        "site/home.html",
        "index.html".into(),
        &view,
    )?])
}

fn check(r: &Renderer, input: &Input<'_>, site: &SiteView) -> Result<Vec<OutFile>, SiteError> {
    let view = views::check(input, site);
    let mut out = vec![r.page("site/check.html", "check.html".into(), &view)?];
    for (path, view) in views::check_rules(input, site) {
        out.push(r.page("site/check-rule.html", path, &view)?);
    }
    Ok(out)
}

fn trace(r: &Renderer, input: &Input<'_>, site: &SiteView) -> Result<Vec<OutFile>, SiteError> {
    if r.native.trace {
        // One matrix at a time, each written and dropped: the views of all of them at once were
        // 125 MB at 100,000 records, on top of the page.
        let mut csvs = Vec::new();
        let page = native::trace_streamed(&views::at_depth(site, ""), |emit| {
            for from in crate::trace::START_TYPES {
                if let Some((m, csv)) = views::trace_matrix(input, from) {
                    emit(&m);
                    csvs.push(csv);
                }
            }
        });
        let mut out = vec![OutFile {
            path: "trace.html".into(),
            bytes: page.into_bytes(),
        }];
        out.extend(csvs.into_iter().map(|(path, text)| OutFile {
            path,
            bytes: text.into_bytes(),
        }));
        return Ok(out);
    }
    let (view, csvs) = views::trace(input, site);
    let mut out = vec![r.trace_page(&view)?];
    out.extend(csvs.into_iter().map(|(path, text)| OutFile {
        path,
        bytes: text.into_bytes(),
    }));
    Ok(out)
}

/// The stylesheet's template name.
pub const STYLESHEET: &str = "site/style.css";

/// The stylesheet (the DDF's override, else the built-in).
pub fn stylesheet(source: &dyn Source, templates_dir: &str) -> Result<String, SiteError> {
    Ok(crate::templates::load(source, templates_dir, STYLESHEET)
        .map_err(SiteError::Template)?
        .unwrap_or_default())
}

/// The templates, parsed once and shared by the rendering threads.
pub struct Renderer {
    tera: tera::Tera,
    /// Which pages are written by [`native`] rather than through their templates.
    native: Native,
    /// Write each page's template context as JSON instead of rendering it (`--context`).
    contexts: bool,
    /// The releases placed in history, which the change log and the release pages both need:
    /// computed once per build, by whichever section asks first.
    timeline:
        std::sync::OnceLock<Result<super::releases::Timeline, crate::integrity::IntegrityError>>,
    /// The commits the change log lists ([`super::changes::logged_commits`]), which every
    /// approvals table links to: computed once per build.
    logged: std::sync::OnceLock<rustc_hash::FxHashSet<String>>,
    /// What the releases' SBOMs contain, from which every page says which vulnerabilities
    /// affect a component or a release ([`crate::vuln::affected`]): read once per build.
    contents: std::sync::OnceLock<crate::vuln::affected::Contents>,
}

/// `v` as a quoted CSS string (the `css_string` filter, for the print header and footer in
/// `@page` margin boxes). Letters, digits, spaces and plain punctuation stay; every other
/// character is a CSS hex escape (`\\3c `), so no value can end the string or the `<style>`
/// element it is written in. The result is marked safe: HTML escaping would print `&quot;` on
/// paper, since a `<style>` element's text is not decoded.
pub fn css_string(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    html::css_string_into(v, &mut out);
    out
}

/// HTML escaping of every value a template prints: the five characters Tera's default escapes
/// (`&`, `<`, `>`, `"`, `'`), with the same entities, but the text between them written in one
/// piece. Tera's default writes each byte through the output writer on its own, which was 15 %
/// of a site build's instructions.
fn escape_html(input: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let bytes = input.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let Some(entity) = html::entity(b) else {
            continue;
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(entity.as_bytes())?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

/// The pages [`native`] writes: each only when the DDF's templates folder overrides neither its
/// template nor the layout, so an override always takes effect, and never for `--context`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Native {
    /// Record pages (`site/record.html`).
    pub record: bool,
    /// Audit trace walk pages (`site/walk.html`).
    pub walk: bool,
    /// The trace matrix (`site/trace.html`).
    pub trace: bool,
    /// The release print view (`site/release-print.html`).
    pub print: bool,
}

/// One unit of rendering work.
enum Job {
    Section(Section),
    Type(usize),
    /// Walk page `k` ([`super::walk::Walks`]).
    Walk(usize),
    Record(usize),
}

impl Renderer {
    /// Parses the site templates (overrides first, built-ins otherwise).
    pub fn new(source: &dyn Source, templates_dir: &str) -> Result<Renderer, SiteError> {
        let mut tera = tera::Tera::new();
        tera.set_escape_fn(escape_html);
        tera.register_filter("slug", |v: &str, _: tera::Kwargs, _: &tera::State| slug(v));
        tera.register_filter("css_string", |v: &str, _: tera::Kwargs, _: &tera::State| {
            tera::Value::safe_string(&css_string(v))
        });
        tera.register_filter("label", |v: &str, _: tera::Kwargs, _: &tera::State| {
            type_label(v)
        });
        tera.register_filter("badge", |v: &str, kw: tera::Kwargs, _: &tera::State| {
            badge(v, kw.get::<bool>("verified").ok().flatten().unwrap_or(true))
        });
        let mut overridden = rustc_hash::FxHashSet::default();
        for name in template_names() {
            let own = crate::templates::load_override(source, templates_dir, name)
                .map_err(SiteError::Template)?;
            if own.is_some() {
                overridden.insert(name);
            }
            let text = own
                .or_else(|| crate::templates::builtin(name))
                .ok_or_else(|| {
                    SiteError::Template(format!("template {name}: not found (built-in missing)"))
                })?;
            tera.add_raw_template(name, &text)
                .map_err(|e| SiteError::Template(format!("template {name}: {e}")))?;
        }
        let built_in = |page: &str| !overridden.contains(BASE) && !overridden.contains(page);
        Ok(Renderer {
            tera,
            native: Native {
                record: built_in(RECORD),
                walk: built_in(WALK),
                trace: built_in(TRACE),
                print: built_in(PRINT),
            },
            contexts: false,
            timeline: std::sync::OnceLock::new(),
            logged: std::sync::OnceLock::new(),
            contents: std::sync::OnceLock::new(),
        })
    }

    /// A renderer whose pages are their template contexts as pretty JSON, for people who
    /// write templates (`ddf build --context PAGE`).
    pub fn contexts(source: &dyn Source, templates_dir: &str) -> Result<Renderer, SiteError> {
        Ok(Renderer {
            contexts: true,
            native: Native {
                record: false,
                walk: false,
                trace: false,
                print: false,
            },
            ..Renderer::new(source, templates_dir)?
        })
    }

    /// The releases of `input` placed in its history (one walk per build).
    pub(crate) fn timeline(
        &self,
        input: &Input<'_>,
    ) -> Result<&super::releases::Timeline, SiteError> {
        self.timeline
            .get_or_init(|| super::releases::Timeline::new(input))
            .as_ref()
            .map_err(|e| SiteError::Integrity(e.clone()))
    }

    /// The commits the change log of `input` lists (one walk per build).
    pub(crate) fn logged_commits(&self, input: &Input<'_>) -> &rustc_hash::FxHashSet<String> {
        self.logged
            .get_or_init(|| super::changes::logged_commits(input))
    }

    /// Which vulnerabilities affect which components and releases of `input`: the one answer
    /// every page gives (the releases' SBOMs read once per build).
    pub(crate) fn affected<'a>(&'a self, input: &Input<'a>) -> crate::vuln::affected::Affected<'a> {
        let contents = self
            .contents
            .get_or_init(|| crate::vuln::affected::Contents::new(input.corpus));
        crate::vuln::affected::Affected::new(input.corpus, input.graph, contents)
    }

    /// Renders `view` with `template` into the file `path` (relative to the site root).
    pub fn page<T: serde::Serialize>(
        &self,
        template: &str,
        path: String,
        view: &T,
    ) -> Result<OutFile, SiteError> {
        let err = |e: &dyn std::fmt::Display| {
            SiteError::Template(format!("template {template} for {path}: {e}"))
        };
        if self.contexts {
            let mut text = serde_json::to_string_pretty(view).map_err(|e| err(&e))?;
            text.push('\n');
            return Ok(OutFile {
                path,
                bytes: text.into_bytes(),
            });
        }
        let ctx = tera::Context::from_serialize(view).map_err(|e| err(&e))?;
        let text = self.tera.render(template, &ctx).map_err(|e| err(&e))?;
        Ok(OutFile {
            path,
            bytes: text.into_bytes(),
        })
    }

    /// `view` into the file `path`: written by `native` when `built_in` (the templates override
    /// neither the page nor the layout, [`Native`]), else through Tera with `template`.
    fn native_or_tera<T: serde::Serialize>(
        &self,
        built_in: bool,
        template: &str,
        path: String,
        view: &T,
        native: fn(&T) -> String,
    ) -> Result<OutFile, SiteError> {
        if built_in {
            return Ok(OutFile {
                path,
                bytes: native(view).into_bytes(),
            });
        }
        self.page(template, path, view)
    }

    /// The record page `view` into the file `path`.
    pub fn record_page(
        &self,
        path: String,
        view: &views::RecordView,
    ) -> Result<OutFile, SiteError> {
        self.native_or_tera(self.native.record, RECORD, path, view, native::record)
    }

    /// The walk page `view` into the file `path`.
    pub fn walk_page(
        &self,
        path: String,
        view: &super::walk::WalkView,
    ) -> Result<OutFile, SiteError> {
        self.native_or_tera(self.native.walk, WALK, path, view, native::walk)
    }

    /// The trace matrix page `view` (`trace.html`). The site itself writes the native page
    /// one matrix at a time instead ([`native::trace_streamed`]), without the whole view.
    pub fn trace_page(&self, view: &views::TraceView) -> Result<OutFile, SiteError> {
        self.native_or_tera(
            self.native.trace,
            TRACE,
            "trace.html".into(),
            view,
            native::trace,
        )
    }

    /// The release print view `view` into the file `path`. It holds the largest pages of the
    /// site again, and their Tera copy was the peak of a 100,000-record build.
    pub fn print_page(
        &self,
        path: String,
        view: &super::print::PrintView,
    ) -> Result<OutFile, SiteError> {
        self.native_or_tera(self.native.print, PRINT, path, view, native::release_print)
    }

    /// Whether the print view is written natively ([`Renderer::print_page_parts`]), so its parts
    /// need not be held as strings.
    pub(crate) fn print_is_native(&self) -> bool {
        self.native.print && !self.contexts
    }

    /// The native release print view `view` into the file `path`, part `k`'s content written
    /// by `part(k, h)` ([`native::release_print_parts`]); `size` is the parts' expected length.
    pub(crate) fn print_page_parts(
        &self,
        path: String,
        view: &super::print::PrintView,
        size: usize,
        part: &dyn Fn(usize, &mut Html),
    ) -> OutFile {
        OutFile {
            path,
            bytes: native::release_print_parts(view, size, part).into_bytes(),
        }
    }

    /// Every HTML page and CSV download of the site, in no particular order (the caller sorts).
    pub fn pages(&self, input: &Input<'_>) -> Result<Vec<OutFile>, SiteError> {
        let files = Collect(std::sync::Mutex::new(Vec::new()));
        self.each_page(input, &files)?;
        files.0.into_inner().map_err(|_| poisoned())
    }

    /// Hands every HTML page and CSV download of the site to `sink` as soon as it is rendered,
    /// from the rendering threads, in no particular order: `ddf build` writes each to disk at
    /// once, so a large site is never held in memory whole.
    pub fn each_page(&self, input: &Input<'_>, sink: &dyn super::Sink) -> Result<(), SiteError> {
        let site: SiteView = views::site(input);
        let corpus = input.corpus;
        // Both read the whole DDF (mentions; the releases' SBOMs), each partly on one core.
        let (shared, walks) = rayon::join(
            || views::Shared::new(input, self.logged_commits(input)),
            || super::walk::walks(self, input),
        );
        let mut jobs: Vec<Job> = SECTIONS.iter().map(|&f| Job::Section(f)).collect();
        jobs.extend((0..site.types.len()).map(Job::Type));
        jobs.extend((0..walks.entries.len()).map(Job::Walk));
        jobs.extend(
            (0..corpus.records.len())
                .filter(|&i| views::has_page(corpus, i))
                .map(Job::Record),
        );
        // The release print view is made of a few pages rendered here. The thread that hands
        // over the last of them renders the view while the other threads go on with the record
        // pages (after them, it was a step on one core), asking the sink for them again; until
        // then only their lengths are kept.
        let sources = super::print::sources(corpus);
        let kept = std::sync::Mutex::new(Some(Vec::new()));
        let print = |lens: Vec<(String, usize)>| -> Result<(), SiteError> {
            let size = lens.iter().map(|(_, len)| len).sum();
            let mut take = |path: &str| -> Result<String, SiteError> {
                let bytes = match lens.iter().find(|(p, _)| p == path) {
                    Some(&(_, len)) => sink.reread(path, len)?,
                    None => Vec::new(),
                };
                Ok(String::from_utf8(bytes).unwrap_or_default())
            };
            for f in super::print::pages(self, input, &site, size, &mut take, self.contexts)? {
                sink.emit(f)?;
            }
            Ok(())
        };
        let pass = |f: OutFile| -> Result<(), SiteError> {
            if !sources.contains(&f.path) {
                return sink.emit(f);
            }
            let ready = {
                let mut kept = kept.lock().map_err(|_| poisoned())?;
                let all = kept.as_mut().is_some_and(|lens| {
                    lens.push((f.path.clone(), f.bytes.len()));
                    lens.len() == sources.len()
                });
                if all {
                    kept.take()
                } else {
                    None
                }
            };
            sink.emit(f)?;
            match ready {
                Some(lens) => print(lens),
                None => Ok(()),
            }
        };
        let progress = crate::progress::begin("rendering the site", jobs.len());
        jobs.par_iter()
            .try_for_each(|job| -> Result<(), SiteError> {
                progress.add(1);
                match *job {
                    Job::Section(section) => {
                        for f in section(self, input, &site)? {
                            pass(f)?;
                        }
                    }
                    Job::Type(k) => {
                        let t = &site.types[k];
                        let view = views::type_page(input, &site, t);
                        pass(self.page("site/type.html", t.href.clone(), &view)?)?;
                    }
                    Job::Walk(k) => pass(walks.page(self, input, &site, k)?)?,
                    Job::Record(i) => {
                        let view = views::record(input, &site, &shared, i)?;
                        let path = format!("records/{}.html", corpus.records[i].id);
                        pass(self.record_page(path, &view)?)?;
                    }
                }
                Ok(())
            })?;
        // Not rendered yet when a source page was not written (no release has a print view).
        match kept.into_inner().map_err(|_| poisoned())? {
            Some(kept) => print(kept),
            None => Ok(()),
        }
    }
}

/// Pages collected in memory ([`Renderer::pages`]).
struct Collect(std::sync::Mutex<Vec<OutFile>>);

impl super::Sink for Collect {
    fn emit(&self, f: OutFile) -> Result<(), SiteError> {
        self.0.lock().map_err(|_| poisoned())?.push(f);
        Ok(())
    }

    /// A copy of the page collected.
    fn reread(&self, path: &str, len: usize) -> Result<Vec<u8>, SiteError> {
        self.0
            .lock()
            .map_err(|_| poisoned())?
            .iter()
            .find(|f| f.path == path && f.bytes.len() == len)
            .map(|f| f.bytes.clone())
            .ok_or_else(|| SiteError::Template(format!("{path} was not rendered")))
    }
}

/// A rendering thread panicked while holding the lock (a bug; the build stops).
fn poisoned() -> SiteError {
    SiteError::Template("a rendering thread failed".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn css_string_cannot_end_the_string_or_the_style_element() {
        assert_eq!(
            super::css_string("HAZ-001 Over-delivery"),
            "\"HAZ-001 Over-delivery\""
        );
        assert_eq!(
            super::css_string("a\"</style>\\b\n"),
            "\"a\\22 \\3c /style\\3e \\5c b\\a \""
        );
        assert_eq!(super::css_string("Débit"), "\"Débit\"");
    }

    #[test]
    fn escaping_matches_teras_default() {
        for text in [
            "",
            "plain",
            "<script>alert('x')</script>",
            "a & b \"quoted\" > c",
            "Débit ≥ 5 mL/h & <b>",
            "&&&''\"\"<<>>",
        ] {
            let (mut ours, mut teras) = (Vec::new(), Vec::new());
            super::escape_html(text, &mut ours).expect("escape");
            tera::escape_html(text, &mut teras).expect("escape");
            assert_eq!(ours, teras, "{text}");
        }
    }

    #[test]
    fn slug_keeps_letters_and_digits_only() {
        assert_eq!(super::slug("in_triage"), "in-triage");
        assert_eq!(super::slug("Approved"), "approved");
        assert_eq!(super::slug("a\"><b"), "a---b");
    }

    #[test]
    fn unverified_approvals_are_not_badged_approved() {
        assert_eq!(super::badge("approved", true), "approved");
        assert_eq!(super::badge("approved", false), "approval not verified");
        assert_eq!(super::badge("draft", false), "draft");
    }

    #[test]
    fn type_labels_read_as_words() {
        assert_eq!(
            super::type_label("hazardous-situation"),
            "Hazardous situation"
        );
        assert_eq!(super::type_label("capa"), "CAPA");
        assert_eq!(super::type_label(""), "");
    }
}
