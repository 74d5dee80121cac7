//! Failing inputs on disk: each in its own folder with `case.txt` (what failed, how to run it
//! again), `files/` (the DDF or the one file) and `message.txt` (the commit message, when the DDF
//! was committed), which `--replay` reads back.

use crate::case::{Case, Kind};
use crate::seeds::Files;
use crate::targets::Failure;
use std::path::{Path, PathBuf};

/// Saves `case` and `failure` below `dir`; returns the case's folder.
pub(crate) fn save(
    dir: &Path,
    case: &Case,
    failure: &Failure,
    seed: u64,
    number: u64,
) -> Result<PathBuf, String> {
    let folder = dir.join(format!(
        "{}-{}-{seed:016x}-{number}",
        case.kind.name(),
        failure.what
    ));
    crate::targets::materialise(&folder.join("files"), &case.files)?;
    let files = folder.join("files");
    let mut text = format!(
        "kind: {}\nrepo: {}\ntarget: {}\nseed: {seed}\ncase: {number}\nfailure: {}\n\nreproduce:\n  {} -- --replay {}\n",
        case.kind.name(),
        case.repo,
        case.target,
        failure.what,
        crate::CARGO_TEST,
        folder.display()
    );
    if case.repo {
        text.push_str(&format!(
            "  ddf check --format json -C {}\n",
            files.display()
        ));
    }
    text.push_str(&format!("\n{}\n", failure.detail));
    if let Some(m) = &case.message {
        let p = folder.join("message.txt");
        std::fs::write(&p, m).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let path = folder.join("case.txt");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(folder)
}

fn read_tree(dir: &Path, rel: &str, out: &mut Files) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            read_tree(&e.path(), &path, out)?;
        } else {
            let b = std::fs::read(e.path()).map_err(|err| format!("{path}: {err}"))?;
            out.insert(path, b);
        }
    }
    Ok(())
}

/// Reads a case saved by [`save`].
pub(crate) fn load(folder: &Path) -> Result<Case, String> {
    let meta = std::fs::read_to_string(folder.join("case.txt"))
        .map_err(|e| format!("{}: {e}", folder.join("case.txt").display()))?;
    let field = |k: &str| {
        meta.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}: ")))
            .map(str::to_string)
            .ok_or_else(|| format!("case.txt has no `{k}:`"))
    };
    let kind = Kind::parse(&field("kind")?).ok_or("case.txt: unknown kind")?;
    let mut files = Files::new();
    read_tree(&folder.join("files"), "", &mut files)?;
    Ok(Case {
        kind,
        repo: field("repo")? == "true",
        files,
        target: field("target")?,
        message: std::fs::read(folder.join("message.txt")).ok(),
    })
}
