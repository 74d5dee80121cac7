//! `ddf init [DIR]`: scaffold a DDF: ddf.yaml, the records folder and a few starter records.
//! `ddf init --templates [DIR]`: copy the built-in templates into the DDF's templates folder, so
//! they can be edited (the site and `ddf new` use a file there instead of the built-in one).

use super::{print, write_atomic, CliError, Env};
use std::path::{Path, PathBuf};

/// Scaffold a DDF: ddf.yaml, the records folder and starter records (a person, a user need, a
/// design input and the design and development plan). Never overwrites an existing file.
///
/// With `--templates`, copy the built-in templates (site pages, stylesheet, search script, the
/// `ddf new` record template) into the DDF's templates folder (`site.templates` in ddf.yaml,
/// default `templates/`) to edit them; files already there are kept as they are. This works on
/// an existing DDF too (a folder without ddf.yaml is scaffolded first).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the DDF (default: the current folder, or -C).
    // Its own id: an argument with the id of a global option (`dir`, for `-C`) would hide that
    // option after the subcommand (`ddf init -C DIR` refused).
    #[arg(id = "target", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Project (device) name written to ddf.yaml.
    #[arg(long, default_value = "My Device")]
    pub project: String,
    /// Copy the built-in templates into the DDF's templates folder, keeping files already there.
    #[arg(long)]
    pub templates: bool,
}

fn starter(project: &str, branch: &str) -> Vec<(&'static str, String)> {
    let config = format!(
        "# ddf configuration; every setting is described in docs/configuration.md of ddf.\nproject: {project:?}\ndevices: [DEV-1]\nrecords: records\n# The branch releases are made from; change control checks its commits.\ncontrolled_branch: {branch}\n# rules: {{ categories-covered: error }}   # per-rule severity: error | warning | off\n# security_globs: [\"firmware/net/**\"]\n"
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
    let exists = dir.join(crate::config::CONFIG_FILE).exists();
    if args.templates && exists {
        return copy_templates(&dir);
    }
    if exists {
        return Err(CliError::usage(format!(
            "{} already holds a ddf.yaml; nothing was written",
            dir.display()
        ))
        .hint("`ddf check` checks it; `ddf new TYPE` adds records"));
    }
    let (branch, from) = default_branch(&dir);
    let mut written = Vec::new();
    for (rel, text) in starter(&args.project, &branch) {
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
    let ignore = ignore_site(&dir)?;
    let mut out = format!("Created a DDF in {}:\n", dir.display());
    for w in &written {
        out.push_str(&format!("  {w}\n"));
    }
    if let Some(note) = ignore {
        out.push_str(&format!("  {note}\n"));
    }
    out.push_str(&format!("controlled_branch: {branch} ({from})\n"));
    out.push_str("Next: fill in the starter records, then `ddf check`.\n");
    if git2::Repository::discover(&dir).is_err() {
        out.push_str("This folder is not in a Git repository: `git init` it, since Git history is the change-control log.\n");
    }
    print(&out)?;
    if args.templates {
        return copy_templates(&dir);
    }
    Ok(0)
}

/// The branch to write as `controlled_branch`, and where it came from: the branch the
/// repository around `dir` is on (also before its first commit), else Git's
/// `init.defaultBranch`, else `main`. A name that YAML would read as something other than that
/// string is not used.
fn default_branch(dir: &Path) -> (String, &'static str) {
    let usable = |b: &str| {
        crate::sbom::edit::scalar(b, false) == b && git2::Branch::name_is_valid(b).unwrap_or(false)
    };
    if let Ok(repo) = git2::Repository::discover(dir) {
        let head = repo.find_reference("HEAD").ok();
        if let Some(b) = head
            .as_ref()
            .and_then(|h| h.symbolic_target().ok().flatten())
            .and_then(|t| t.strip_prefix("refs/heads/"))
            .filter(|b| usable(b))
        {
            return (b.to_string(), "the repository's current branch");
        }
    }
    let configured = git2::Repository::discover(dir)
        .and_then(|r| r.config())
        .or_else(|_| git2::Config::open_default())
        .and_then(|c| c.get_string("init.defaultBranch"));
    match configured {
        Ok(b) if usable(&b) => (b, "Git's init.defaultBranch"),
        _ => (
            "main".to_string(),
            "the default; change it if releases are made from another branch",
        ),
    }
}

/// The largest `.gitignore` `ddf init` appends to.
const MAX_GITIGNORE: u64 = 4 << 20;

/// The line `.gitignore` gets so the site `ddf build` writes (`site/`) is not committed.
const SITE_IGNORE: &str = "/site/";

/// Makes `dir/.gitignore` ignore the built site: creates the file, or appends the line to the
/// one there, whose lines are kept as they are. One that already ignores `site` is left alone,
/// and so is anything that is not a regular file (a link is not followed). Returns what was
/// done, for the summary.
fn ignore_site(dir: &Path) -> Result<Option<String>, CliError> {
    let path = dir.join(".gitignore");
    let existing = match std::fs::symlink_metadata(&path) {
        // No one writes a .gitignore this large; it is not read into memory to append a line.
        Ok(m) if m.is_file() && m.len() > MAX_GITIGNORE => {
            return Ok(Some(format!(
                ".gitignore is over {} MiB: left alone; add `{SITE_IGNORE}` to ignore the site",
                MAX_GITIGNORE >> 20
            )))
        }
        Ok(m) if m.is_file() => Some(
            std::fs::read(&path)
                .map_err(|e| CliError::failed(format!("cannot read {}: {e}", path.display())))?,
        ),
        Ok(_) => {
            return Ok(Some(format!(
            ".gitignore is not a regular file: left alone; add `{SITE_IGNORE}` to ignore the site"
        )))
        }
        Err(_) => None,
    };
    let Some(mut bytes) = existing else {
        let text = format!("# The site `ddf build` writes.\n{SITE_IGNORE}\n");
        write_atomic(&path, text.as_bytes(), false)
            .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))?;
        return Ok(Some(".gitignore".into()));
    };
    let ignores = String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::trim)
        .any(|l| matches!(l, "site" | "site/" | "/site" | "/site/"));
    if ignores {
        return Ok(None);
    }
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(format!("# The site `ddf build` writes.\n{SITE_IGNORE}\n").as_bytes());
    write_atomic(&path, &bytes, true)
        .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(format!(".gitignore (added `{SITE_IGNORE}`)")))
}

/// Copies every built-in template into the templates folder of the DDF at `dir`, never replacing
/// a file that is there (it may hold the team's edits); prints what was written and what kept.
fn copy_templates(dir: &Path) -> Result<u8, CliError> {
    let config_path = dir.join(crate::config::CONFIG_FILE);
    // Through the confined reader, like every command that reads ddf.yaml.
    let source = crate::source::Worktree::new(dir);
    let bytes = crate::source::Source::read(&source, crate::config::CONFIG_FILE)
        .map_err(|e| CliError::usage(e.to_string()))?
        .ok_or_else(|| CliError::usage(format!("{} does not exist", config_path.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::usage(format!("{} is not UTF-8", config_path.display())))?;
    let (config, _) = crate::config::Config::parse(&text, crate::config::CONFIG_FILE)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let folder = config
        .site
        .templates
        .clone()
        .unwrap_or_else(|| "templates".into());
    let target = dir.join(&folder);
    let mut wrote = Vec::new();
    let mut kept = Vec::new();
    for (name, text) in crate::templates::BUILTIN {
        let path = target.join(name);
        match write_atomic(&path, text.as_bytes(), false) {
            Ok(()) => wrote.push(*name),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => kept.push(*name),
            Err(e) => {
                return Err(CliError::failed(format!(
                    "cannot write {}: {e}",
                    path.display()
                )))
            }
        }
    }
    let mut out = format!(
        "Templates in {} ({} written, {} kept):\n",
        target.display(),
        wrote.len(),
        kept.len()
    );
    for w in &wrote {
        out.push_str(&format!("  wrote {w}\n"));
    }
    for k in &kept {
        out.push_str(&format!("  kept  {k} (already there; not replaced)\n"));
    }
    out.push_str("Edit them, and delete the ones you do not change so they follow ddf's built-in ones. `ddf build --context PAGE` prints the data a page template gets.\n");
    print(&out)?;
    Ok(0)
}
