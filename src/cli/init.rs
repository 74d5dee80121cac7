//! `ddf init [DIR]`: scaffold a DDF: ddf.yaml, the records folder and a few starter records.

use super::{print, write_atomic, CliError, Env};
use std::path::{Path, PathBuf};

/// Scaffold a DDF: ddf.yaml, the records folder and starter records (a person, a user need, a
/// design input and the design and development plan). Never overwrites an existing file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the DDF (default: the current folder, or -C).
    pub dir: Option<PathBuf>,
    /// Project (device) name written to ddf.yaml.
    #[arg(long, default_value = "My Device")]
    pub project: String,
}

fn starter(project: &str) -> Vec<(&'static str, String)> {
    let config = format!(
        "# ddf configuration; every setting is described in docs/configuration.md of ddf.\nproject: {project:?}\ndevices: [DEV-1]\nrecords: records\ncontrolled_branch: main\n# rules: {{ categories-covered: error }}   # per-rule severity: error | warning | off\n# security_globs: [\"firmware/net/**\"]\n"
    );
    vec![
        ("ddf.yaml", config),
        ("records/people/PER-001.md", "---\nid: PER-001\ntype: person\ntitle: Design owner\nstatus: draft\nowner: PER-001\nprinted_name: \"\"\nroles: [design-owner]\nmay_sign: [authorship, review, approval]\nkeys: []\nidentity_verified: \"\"\n---\nThe person accountable for the design and development file.\n".into()),
        ("records/documents/DOC-001.md", "---\nid: DOC-001\ntype: document\ntitle: Design and development plan\nstatus: draft\nowner: PER-001\ndoc_type: dd-plan\neffective: \"\"\nreview_due: \"\"\n---\nStages, reviews, verification and validation planned for the device (ISO 13485 7.3.2).\n".into()),
        ("records/needs/UN-001.md", "---\nid: UN-001\ntype: user-need\ntitle: First user need\nstatus: draft\nowner: PER-001\nsource: user\n---\nState what the user or patient needs, in their words.\n".into()),
        ("records/inputs/DI-001.md", "---\nid: DI-001\ntype: design-input\ntitle: First design input\nstatus: draft\nowner: PER-001\ncategory: functional\nacceptance_criteria: \"\"\ntraces_to: [UN-001]\n---\nState the requirement so that it can be verified.\n".into()),
    ]
}

/// Runs `ddf init`.
pub(super) fn run(_env: &Env, global_dir: Option<&Path>, args: Args) -> Result<u8, CliError> {
    let dir = args
        .dir
        .clone()
        .or_else(|| global_dir.map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    if dir.join(crate::config::CONFIG_FILE).exists() {
        return Err(CliError::usage(format!(
            "{} already holds a ddf.yaml; nothing was written",
            dir.display()
        ))
        .hint("`ddf check` checks it; `ddf new TYPE` adds records"));
    }
    let mut written = Vec::new();
    for (rel, text) in starter(&args.project) {
        let path = dir.join(rel);
        match write_atomic(&path, text.as_bytes(), false) {
            Ok(()) => written.push(rel),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                eprintln!("kept existing {}", path.display())
            }
            Err(e) => {
                return Err(CliError::failed(format!(
                    "cannot write {}: {e}",
                    path.display()
                )))
            }
        }
    }
    let mut out = format!("Created a DDF in {}:\n", dir.display());
    for w in &written {
        out.push_str(&format!("  {w}\n"));
    }
    out.push_str("Next: fill in the starter records, then `ddf check`.\n");
    if git2::Repository::discover(&dir).is_err() {
        out.push_str("This folder is not in a Git repository: `git init` it, since Git history is the change-control log.\n");
    }
    print(&out)?;
    Ok(0)
}
