//! The premarket submission package of one release (`ddf export submission`): one PDF per
//! documentation item a reviewer expects ([`documents::DOCUMENTS`], named and ordered as FDA's
//! premarket cybersecurity guidance and eSTAR list them), the machine files (the release's
//! SBOM files, `vulnerabilities.csv`) and `manifest.json` with the sha256 of every file and the
//! commit the package was built from.
//!
//! The PDFs are made by ddf itself, offline: [`documents`] turns records into a plain-text
//! [`doc::Doc`], [`pdf`] lays it out and writes a tagged PDF with the font embedded. Writing
//! the folder ([`write()`]) touches only the package's own file names inside it, each replaced
//! atomically.

pub mod doc;
pub mod documents;
pub mod pdf;

use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::review::Stamp;
use crate::rules::HistoryCtx;
use rayon::prelude::*;
use serde::Serialize;
use sha2::Digest;
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The manifest's format id.
pub const FORMAT: &str = "ddf-submission/1";

/// What a package is built from.
pub struct Input<'a> {
    /// The records.
    pub corpus: &'a Corpus,
    /// Their links.
    pub graph: &'a Graph,
    /// History and approvals, when the DDF is in Git with commits.
    pub history: Option<&'a HistoryCtx<'a>>,
    /// Where the records were read from (the commit).
    pub stamp: &'a Stamp,
    /// The release's time for the CycloneDX SBOM and VEX (as `ddf sbom export` dates them).
    pub sbom: crate::sbom::export::Options,
}

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    /// Path inside the package folder, `/`-separated.
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
    /// For a PDF: its document id, title and the guidance section it answers.
    pub document: Option<DocInfo>,
}

/// What a PDF of the package is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocInfo {
    /// Document id (`REL-002-SUB-05`).
    pub id: String,
    /// Title.
    pub title: String,
    /// The guidance section or eSTAR item it answers.
    pub answers: String,
}

/// Why a package cannot be built or written.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    /// No record has the id given.
    #[error("no record `{0}`")]
    NoRelease(String),
    /// The record is not a release.
    #[error("{0} is a {1}, not a release")]
    NotARelease(String, String),
    /// Two records have the id.
    #[error("{0} names {1} records; the package would be ambiguous")]
    Ambiguous(String, usize),
    /// A PDF could not be made.
    #[error(transparent)]
    Pdf(#[from] pdf::PdfError),
    /// The output folder is not empty (without `--force`).
    #[error("{0} is not empty; nothing was written")]
    NotEmpty(PathBuf),
    /// The output folder is a repository or a DDF, or its `sbom` is not a folder.
    #[error("refusing to write into {path}: {reason}; nothing was written")]
    Refused {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The revision the headers show: the commit (short), marked when the working tree differs.
fn revision(stamp: &Stamp) -> String {
    match &stamp.commit {
        Some(c) => {
            let short: String = c.chars().take(12).collect();
            if stamp.state == "worktree" {
                format!("{short} + uncommitted changes")
            } else {
                short
            }
        }
        None => stamp.describe.clone(),
    }
}

/// Every file of the package of release `release`, sorted by path, the manifest last.
pub fn build(input: &Input<'_>, release: &str) -> Result<Vec<OutFile>, SubmissionError> {
    let corpus = input.corpus;
    let found = corpus.records_with_id(release);
    let rel = match found.as_slice() {
        [] => return Err(SubmissionError::NoRelease(release.to_string())),
        [i] => &corpus.records[*i],
        more => return Err(SubmissionError::Ambiguous(release.to_string(), more.len())),
    };
    if rel.type_name != "release" {
        return Err(SubmissionError::NotARelease(
            rel.id.clone(),
            rel.type_name.clone(),
        ));
    }
    let ctx = documents::Ctx {
        corpus,
        graph: input.graph,
        history: input.history,
        release: rel,
    };
    let rev = revision(input.stamp);
    let docs: Vec<(String, DocInfo, doc::Doc)> = documents::DOCUMENTS
        .iter()
        .map(|spec| {
            let id = format!("{}-SUB-{}", rel.id, spec.number);
            let title = format!("{} \u{2014} {} {}", spec.title, rel.id, rel.title());
            let mut d = doc::Doc::new(&title, &id, &rev, &corpus.config.project);
            d.h1("Document control");
            d.fields(vec![
                ("Document id", id.clone()),
                ("Release", format!("{} {}", rel.id, rel.title())),
                ("Version", rel.text("version").unwrap_or_default()),
                ("Built from", input.stamp.describe.clone()),
                ("Answers", spec.answers.to_string()),
            ]);
            (spec.build)(&ctx, &mut d);
            let info = DocInfo {
                id,
                title: spec.title.to_string(),
                answers: spec.answers.to_string(),
            };
            (format!("{}-{}.pdf", spec.number, spec.slug), info, d)
        })
        .collect();
    // Layout and PDF writing are the slow part on a large DDF; each document is independent.
    let pdfs: Vec<Result<OutFile, SubmissionError>> = docs
        .into_par_iter()
        .map(|(path, info, d)| {
            Ok(OutFile {
                path,
                bytes: pdf::render(&d)?,
                document: Some(info),
            })
        })
        .collect();
    let mut files = pdfs.into_iter().collect::<Result<Vec<_>, _>>()?;
    files.push(OutFile {
        path: "vulnerabilities.csv".into(),
        bytes: documents::vulnerabilities_csv(&ctx).into_bytes(),
        document: None,
    });
    // The machine-readable SBOM and VEX of the release (CycloneDX 1.6), made by the same
    // functions as `ddf sbom export` and `ddf vuln export`. A release whose SBOM cannot be
    // exported (no `sbom:` files, none readable) has neither: 06-sbom.pdf says what is missing.
    if let Ok(sbom) = crate::sbom::export::cyclonedx(input.corpus, &rel.id, &input.sbom) {
        files.push(OutFile {
            path: format!("{}.sbom.cdx.json", rel.id),
            bytes: sbom.text.into_bytes(),
            document: None,
        });
        if let Ok(vex) =
            crate::vuln::vex::cyclonedx(input.corpus, input.graph, &rel.id, &input.sbom)
        {
            files.push(OutFile {
                path: format!("{}.vex.cdx.json", rel.id),
                bytes: vex.text.into_bytes(),
                document: None,
            });
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for p in rel.list("sbom") {
        if let Some(Ok(Some(bytes))) = corpus.attachments.get(&p) {
            let base = p.rsplit('/').next().unwrap_or(&p).to_string();
            let mut name = format!("sbom/{base}");
            let mut n = 2;
            while !names.insert(name.clone()) {
                name = format!("sbom/{n}-{base}");
                n += 1;
            }
            files.push(OutFile {
                path: name,
                bytes: bytes.clone(),
                document: None,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = manifest(input, rel, &files);
    files.push(OutFile {
        path: MANIFEST.into(),
        bytes: manifest.into_bytes(),
        document: None,
    });
    Ok(files)
}

/// `manifest.json`: the release, the commit, and each file's sha256 and size.
fn manifest(input: &Input<'_>, rel: &crate::record::Record, files: &[OutFile]) -> String {
    #[derive(Serialize)]
    struct File<'a> {
        path: &'a str,
        sha256: String,
        bytes: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        document: Option<&'a DocInfo>,
    }
    let v = serde_json::json!({
        "format": FORMAT,
        "project": input.corpus.config.project,
        "release": {
            "id": rel.id,
            "title": rel.title(),
            "version": rel.text("version"),
        },
        "commit": input.stamp.commit,
        "state": input.stamp.state,
        "describe": input.stamp.describe,
        "generator": format!("ddf {}", env!("CARGO_PKG_VERSION")),
        "files": files.iter().map(|f| File {
            path: &f.path,
            sha256: sha256(&f.bytes),
            bytes: f.bytes.len(),
            document: f.document.as_ref(),
        }).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

/// Lower-case hex sha256.
pub fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes `files` into `dir` (created if missing). A non-empty `dir` is refused unless
/// `force`; a `dir` holding `.git` or `ddf.yaml` is always refused. Each file is written to a
/// temporary file beside it and renamed into place; files of `dir` that are not the package's
/// are left alone.
pub fn write(dir: &Path, files: &[OutFile], force: bool) -> Result<(), SubmissionError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SubmissionError::Write { path, source }
    };
    let refuse = |reason: &str| SubmissionError::Refused {
        path: dir.to_path_buf(),
        reason: reason.to_string(),
    };
    match std::fs::symlink_metadata(dir) {
        Ok(m) if !m.is_dir() => return Err(refuse("it is not a folder")),
        Ok(_) => {
            for marker in [".git", crate::config::CONFIG_FILE] {
                if dir.join(marker).symlink_metadata().is_ok() {
                    return Err(refuse(&format!("it holds {marker}")));
                }
            }
            let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
            if entries.next().is_some() && !force {
                return Err(SubmissionError::NotEmpty(dir.to_path_buf()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        Err(e) => return Err(io(dir)(e)),
    }
    for f in files {
        let mut path = dir.to_path_buf();
        let mut parts = f.path.split('/').peekable();
        while let Some(part) = parts.next() {
            path =
                crate::fsafe::join(&path, part).map_err(|_| refuse("a file name is not plain"))?;
            if parts.peek().is_some() {
                match std::fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => return Err(refuse(&format!("{part} in it is not a folder"))),
                    Err(_) => std::fs::create_dir(&path).map_err(io(&path))?,
                }
            }
        }
        let parent = path.parent().unwrap_or(dir);
        let mut builder = tempfile::Builder::new();
        builder.prefix(".ddf-submission");
        // Readable as any other file the user makes (the umask applies), not 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let mut tmp = builder.tempfile_in(parent).map_err(io(&path))?;
        std::io::Write::write_all(&mut tmp, &f.bytes).map_err(io(&path))?;
        tmp.as_file().sync_all().map_err(io(&path))?;
        tmp.persist(&path).map_err(|e| io(&path)(e.error))?;
    }
    Ok(())
}
