//! `ddf build`: the static DDF site, for auditors who read it offline and print it.
//!
//! [`views`] turns the corpus, graph, check report and history into serialisable page views;
//! [`render`] runs them through the Tera templates (built in, overridable file by file from the
//! DDF's templates folder) in parallel; [`write_site`] writes the pages, the stylesheet and the
//! CSV downloads, each confined to the output folder. The output depends only on the input, so two
//! builds of one commit are byte-identical.

pub mod changes;
pub mod clauses;
pub mod markdown;
pub mod registers;
pub mod releases;
pub mod render;
pub mod risk;
pub mod search;
pub mod security;
pub mod views;
pub mod walk;

use crate::check::Report;
use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::history::approval::Approval;
use crate::history::History;
use crate::source::Source;
use std::path::{Component, Path, PathBuf};

/// Marks a folder as written by `ddf build`, so a rebuild may empty it and nothing else is ever
/// emptied.
pub const MARKER: &str = ".ddf-site";

/// History and approvals, when the DDF is in a Git repository with commits.
pub struct HistoryInput<'a> {
    /// The history index.
    pub history: &'a History,
    /// Every approval, newest first, signatures verified.
    pub approvals: &'a [Approval],
    /// The root of trust the approvals were judged from.
    pub trust_root: Option<&'a crate::history::approval::TrustRoot>,
    /// The rules' view of the history: the controlled branch's tip, where change control
    /// starts, approvals by record.
    pub ctx: &'a crate::rules::HistoryCtx<'a>,
    /// Each record's newest content change, computed once for the suspect links of every page.
    pub marks: &'a crate::rules::change::Marks,
}

/// What a site is built from.
pub struct Input<'a> {
    /// The records.
    pub corpus: &'a Corpus,
    /// Their links.
    pub graph: &'a Graph,
    /// `ddf check` over them.
    pub report: &'a Report,
    /// History, if any.
    pub history: Option<HistoryInput<'a>>,
}

/// Why a site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// A template does not parse or does not render.
    #[error("{0}")]
    Template(String),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The output folder holds files that are not a previous site.
    #[error("{0} is not empty and was not written by `ddf build`; nothing was written")]
    NotASite(PathBuf),
    /// A page path would leave the output folder.
    #[error("refusing to write `{0}`: the path leaves the output folder")]
    Escapes(String),
}

/// One output file: path relative to the site root, and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// Every file of the site, sorted by path. `templates_dir` is the DDF's override folder.
pub fn generate(
    input: &Input<'_>,
    source: &dyn Source,
    templates_dir: &str,
) -> Result<Vec<OutFile>, SiteError> {
    let renderer = render::Renderer::new(source, templates_dir)?;
    let mut files = renderer.pages(input)?;
    files.push(OutFile {
        path: "style.css".into(),
        bytes: render::stylesheet(source, templates_dir).into_bytes(),
    });
    // Scripts (`site/search.js`) are copied as they are, like the stylesheet: the DDF's override,
    // else the built-in.
    for (name, _) in crate::templates::BUILTIN {
        if let Some(file) = name.strip_prefix("site/").filter(|f| f.ends_with(".js")) {
            files.push(OutFile {
                path: file.to_string(),
                bytes: crate::templates::get(source, templates_dir, name)
                    .unwrap_or_default()
                    .into_bytes(),
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The context the template of page `page` (a path as written, such as `records/DI-001.html`)
/// is rendered with, as pretty JSON, for people who write templates. `None` if the site has no
/// such page.
pub fn context(
    input: &Input<'_>,
    source: &dyn Source,
    templates_dir: &str,
    page: &str,
) -> Result<Option<String>, SiteError> {
    if !page.ends_with(".html") {
        return Ok(None);
    }
    let renderer = render::Renderer::contexts(source, templates_dir)?;
    Ok(renderer
        .pages(input)?
        .into_iter()
        .find(|f| f.path == page)
        .and_then(|f| String::from_utf8(f.bytes).ok()))
}

/// The path of `rel` inside `out`, or an error if `rel` could leave it: only plain relative
/// components of letters, digits, `-`, `_` and `.` (not `.` or `..` themselves) are accepted.
pub fn confined(out: &Path, rel: &str) -> Result<PathBuf, SiteError> {
    let safe_part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if rel.is_empty() || !rel.split('/').all(safe_part) {
        return Err(SiteError::Escapes(rel.to_string()));
    }
    let path = Path::new(rel);
    if !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(SiteError::Escapes(rel.to_string()));
    }
    Ok(out.join(path))
}

/// Writes `files` into `out`. An existing `out` must be empty or a previous site (it holds
/// [`MARKER`]); a previous site is emptied first so pages of deleted records do not linger.
pub fn write_site(out: &Path, files: &[OutFile]) -> Result<(), SiteError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SiteError::Write { path, source }
    };
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(io(out))?;
        if out.join(MARKER).is_file() {
            std::fs::remove_dir_all(out).map_err(io(out))?;
        } else if entries.next().is_some() {
            return Err(SiteError::NotASite(out.to_path_buf()));
        }
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    // Check every path before writing any, so a bad one leaves no half-written site.
    let targets: Vec<PathBuf> = files
        .iter()
        .map(|f| confined(out, &f.path))
        .collect::<Result<_, _>>()?;
    std::fs::write(
        out.join(MARKER),
        "written by `ddf build`; the folder is replaced on each build\n",
    )
    .map_err(io(out))?;
    // Folders first (a few), then the files in parallel: a large site is tens of thousands of
    // small files, and their writes are system time that two cores halve.
    let dirs: std::collections::BTreeSet<&Path> =
        targets.iter().filter_map(|t| t.parent()).collect();
    for dir in dirs {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    use rayon::prelude::*;
    files
        .par_iter()
        .zip(targets.par_iter())
        .try_for_each(|(f, target)| std::fs::write(target, &f.bytes).map_err(io(target)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_refuses_escapes() {
        let out = Path::new("/tmp/site");
        for bad in [
            "../x.html",
            "a/../../x",
            "/etc/passwd",
            "",
            "a//b",
            "./a",
            "a\\b",
            "records/<x>.html",
        ] {
            assert!(confined(out, bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            confined(out, "records/DI-001.html").expect("ok"),
            out.join("records/DI-001.html")
        );
    }

    #[test]
    fn never_empties_a_folder_it_did_not_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("precious.txt"), "keep").expect("write");
        let files = [OutFile {
            path: "index.html".into(),
            bytes: b"x".to_vec(),
        }];
        assert!(matches!(
            write_site(dir.path(), &files),
            Err(SiteError::NotASite(_))
        ));
        assert!(dir.path().join("precious.txt").exists());
        let out = dir.path().join("site");
        write_site(&out, &files).expect("first build");
        std::fs::write(out.join("stale.html"), "old").expect("write");
        write_site(&out, &files).expect("rebuild");
        assert!(!out.join("stale.html").exists(), "stale page removed");
        assert!(out.join("index.html").exists());
    }
}
