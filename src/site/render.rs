//! Rendering the page views through the site templates, in parallel.
//!
//! The templates are Tera files under `site/` in the built-in set ([`crate::templates::BUILTIN`]);
//! the DDF's templates folder overrides any of them file by file. Names end in `.html`, so Tera
//! escapes every value unless a template marks it `| safe` (only `body_html`, already sanitised).

use super::views::{self, SiteView};
use super::{Input, OutFile, SiteError};
use crate::source::Source;
use rayon::prelude::*;

/// The site's page templates, in the order they are registered (the layout first, since the
/// others extend it).
pub const TEMPLATES: &[&str] = &[
    "site/base.html",
    "site/home.html",
    "site/type.html",
    "site/record.html",
    "site/trace.html",
    "site/check.html",
];

/// The stylesheet's template name.
pub const STYLESHEET: &str = "site/style.css";

/// The stylesheet (the DDF's override, else the built-in).
pub fn stylesheet(source: &dyn Source, templates_dir: &str) -> String {
    crate::templates::get(source, templates_dir, STYLESHEET).unwrap_or_default()
}

/// The templates, parsed once and shared by the rendering threads.
pub struct Renderer {
    tera: tera::Tera,
}

/// One page to render.
enum Job {
    Home,
    Check,
    Trace,
    Type(usize),
    Record(usize),
}

impl Renderer {
    /// Parses the site templates (overrides first, built-ins otherwise).
    pub fn new(source: &dyn Source, templates_dir: &str) -> Result<Renderer, SiteError> {
        let mut tera = tera::Tera::new();
        for name in TEMPLATES {
            let text = crate::templates::get(source, templates_dir, name).ok_or_else(|| {
                SiteError::Template(format!("template {name}: not found (built-in missing)"))
            })?;
            tera.add_raw_template(name, &text)
                .map_err(|e| SiteError::Template(format!("template {name}: {e}")))?;
        }
        Ok(Renderer { tera })
    }

    fn page<T: serde::Serialize>(
        &self,
        template: &str,
        path: String,
        view: &T,
    ) -> Result<OutFile, SiteError> {
        let err = |e: &dyn std::fmt::Display| {
            SiteError::Template(format!("template {template} for {path}: {e}"))
        };
        let ctx = tera::Context::from_serialize(view).map_err(|e| err(&e))?;
        let text = self.tera.render(template, &ctx).map_err(|e| err(&e))?;
        Ok(OutFile {
            path,
            bytes: text.into_bytes(),
        })
    }

    /// Every HTML page and CSV download of the site, in no particular order (the caller sorts).
    pub fn pages(&self, input: &Input<'_>) -> Result<Vec<OutFile>, SiteError> {
        let site: SiteView = views::site(input);
        let corpus = input.corpus;
        let findings = views::findings_by_record(input.report);
        let mut jobs = vec![Job::Home, Job::Check, Job::Trace];
        jobs.extend((0..site.types.len()).map(Job::Type));
        jobs.extend(
            (0..corpus.records.len())
                .filter(|&i| views::has_page(corpus, i))
                .map(Job::Record),
        );
        let rendered: Vec<Vec<OutFile>> = jobs
            .par_iter()
            .map(|job| -> Result<Vec<OutFile>, SiteError> {
                Ok(match *job {
                    Job::Home => vec![self.page(
                        "site/home.html",
                        "index.html".into(),
                        &views::home(input, &site),
                    )?],
                    Job::Check => vec![self.page(
                        "site/check.html",
                        "check.html".into(),
                        &views::check(input, &site),
                    )?],
                    Job::Trace => {
                        let (view, csvs) = views::trace(input, &site);
                        let mut out =
                            vec![self.page("site/trace.html", "trace.html".into(), &view)?];
                        out.extend(csvs.into_iter().map(|(path, text)| OutFile {
                            path,
                            bytes: text.into_bytes(),
                        }));
                        out
                    }
                    Job::Type(k) => {
                        let t = &site.types[k];
                        let view = views::type_page(input, &site, t);
                        vec![self.page("site/type.html", t.href.clone(), &view)?]
                    }
                    Job::Record(i) => {
                        let view = views::record(input, &site, &findings, i);
                        let path = format!("records/{}.html", corpus.records[i].id);
                        vec![self.page("site/record.html", path, &view)?]
                    }
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(rendered.into_iter().flatten().collect())
    }
}
