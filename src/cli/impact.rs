//! `ddf impact [BASE..HEAD]`: the impact assessment of a change, for a person (human), a machine
//! (json, the contract in docs/impact.md) or a pull request (md), and `--write-cr` to pre-fill a
//! change request's `impact` and `cyber_impact` when nobody has written them yet.

use super::output::md_cell;
use super::{print, write_atomic, CliError, Env, Format};
use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::history::Location;
use crate::impact::{self, short, Impact, Side};
use crate::record::is_given;

/// The impact assessment of a change: changed records field by field, what they touch up and down
/// the trace graph, verifications to repeat, risk to re-evaluate, the cybersecurity class.
///
/// Without a range, BASE is the merge-base of HEAD with the controlled branch (ddf.yaml
/// `controlled_branch`, local or `origin/`) and HEAD is the working tree, uncommitted changes
/// included. `A..B` compares commits A and B; `A...B` uses the merge-base of A and B as base; a
/// lone `A` compares A with the working tree; `..B` uses the merge-base of B with the controlled
/// branch, or B's first parent when B is on the controlled branch itself.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// BASE..HEAD, BASE...HEAD, BASE or ..HEAD.
    #[arg(value_name = "RANGE")]
    pub range: Option<String>,
    /// Write the proposal into this change request's `impact` and `cyber_impact` fields, each
    /// only if it is empty (what a person wrote is never overwritten).
    #[arg(long, value_name = "CR")]
    pub write_cr: Option<String>,
}

fn git_err(what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::usage(format!("{what}: {e}"))
}

/// A Git failure while comparing `base` with `head`: an object the repository lost is named as
/// such (with how to repair it), anything else is reported as Git's error.
fn compare_err(what: &str, e: &git2::Error, base: git2::Oid, head: Option<git2::Oid>) -> CliError {
    use crate::integrity::{is_damage, missing_id, IntegrityError, ObjectKind, Role};
    let head = head.map_or_else(|| "worktree".to_string(), |h| h.to_string());
    if let Some(id) = missing_id(e) {
        let role = Role::Comparing {
            base: base.to_string(),
            head,
        };
        return IntegrityError::missing(ObjectKind::Object, id, role).into();
    }
    if is_damage(e) {
        let short = |s: &str| s.get(..10).unwrap_or(s).to_string();
        return IntegrityError::Revision {
            rev: format!("{}..{}", short(&base.to_string()), short(&head)),
            detail: e.message().to_string(),
        }
        .into();
    }
    git_err(what, e)
}

fn resolve(repo: &git2::Repository, rev: &str) -> Result<git2::Oid, CliError> {
    crate::source::resolve_commit(repo, rev).map_err(|e| {
        let hint = e.hint().unwrap_or("check the revision names");
        CliError::usage(e.to_string()).hint(hint)
    })
}

/// The controlled branch's tip: the local branch, else its `origin/` copy (CI checkouts often
/// have only the remote-tracking branch). A branch that names a commit the repository lost is an
/// error, not a branch that does not exist.
fn controlled_tip(repo: &git2::Repository, branch: &str) -> Result<Option<git2::Oid>, CliError> {
    for name in [
        format!("refs/heads/{branch}"),
        format!("refs/remotes/origin/{branch}"),
    ] {
        let Some(oid) = repo
            .find_reference(&name)
            .ok()
            .and_then(|r| r.resolve().ok())
            .and_then(|r| r.target())
        else {
            continue;
        };
        let commit = repo
            .find_object(oid, None)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| {
                crate::integrity::IntegrityError::read(
                    crate::integrity::ObjectKind::Commit,
                    oid,
                    crate::integrity::Role::Named(name.clone()),
                    &e,
                )
            })?;
        return Ok(Some(commit.id()));
    }
    Ok(None)
}

/// The default base for `head`: its merge-base with the controlled branch; when that is `head`
/// itself (HEAD is on the controlled branch) and `head` is a commit under assessment, its first
/// parent, so `ddf impact ..main` after a merge assesses the merge.
fn default_base(
    repo: &git2::Repository,
    branch: &str,
    head: git2::Oid,
    head_is_commit: bool,
) -> Result<git2::Oid, CliError> {
    let tip = controlled_tip(repo, branch)?.ok_or_else(|| {
        CliError::usage(format!(
            "the controlled branch `{branch}` does not exist here (neither locally nor as origin/{branch}), so the default base cannot be found"
        ))
        .hint(format!("pass a range, e.g. `ddf impact {branch}..HEAD`, fetch the branch (`git fetch origin {branch}`), or set `controlled_branch` in ddf.yaml"))
    })?;
    let mb = repo.merge_base(head, tip).map_err(|e| {
        if crate::integrity::is_damage(&e) {
            return compare_err("git merge-base", &e, tip, Some(head));
        }
        CliError::usage(format!(
            "HEAD and `{branch}` have no common ancestor (or the clone is shallow)"
        ))
        .hint("pass BASE..HEAD explicitly, or fetch more history (`git fetch --unshallow`)")
    })?;
    if mb == head && head_is_commit {
        let c = repo.find_commit(head).map_err(|e| git_err("git", e))?;
        return c.parent_id(0).map_err(|_| {
            CliError::usage("HEAD is the first commit of the controlled branch, so it has no base")
                .hint("pass BASE..HEAD explicitly")
        });
    }
    Ok(mb)
}

/// Files that differ between `base` and `head` (a commit, or the working tree with the index and
/// untracked files), relative to the repository top, sorted.
fn changed_files(
    repo: &git2::Repository,
    base: git2::Oid,
    head: Option<git2::Oid>,
) -> Result<Vec<String>, CliError> {
    let tree = |id: git2::Oid| -> Result<git2::Tree<'_>, CliError> {
        use crate::integrity::{IntegrityError, ObjectKind, Role};
        let c = repo.find_commit(id).map_err(|e| {
            IntegrityError::read(ObjectKind::Commit, id, Role::Named(id.to_string()), &e)
        })?;
        Ok(c.tree().map_err(|e| {
            IntegrityError::read(
                ObjectKind::Tree,
                c.tree_id(),
                Role::TreeOf(id.to_string()),
                &e,
            )
        })?)
    };
    let base_tree = tree(base)?;
    let mut opts = git2::DiffOptions::new();
    let diff = match head {
        Some(h) => {
            let head_tree = tree(h)?;
            repo.diff_tree_to_tree(Some(&base_tree), Some(&head_tree), Some(&mut opts))
        }
        None => {
            opts.include_untracked(true).recurse_untracked_dirs(true);
            repo.diff_tree_to_workdir_with_index(Some(&base_tree), Some(&mut opts))
        }
    }
    .map_err(|e| compare_err("git diff", &e, base, head))?;
    let mut out: Vec<String> = Vec::new();
    for d in diff.deltas() {
        for f in [d.old_file(), d.new_file()] {
            if let Some(p) = f.path().and_then(|p| p.to_str()) {
                out.push(p.replace('\\', "/"));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The record files of commit `head` below the records folder `dir` (repository-relative), as
/// a load of the commit lists them: `*.md` blobs, no hidden component, by repository-relative
/// path. `None` when the folder cannot be read or holds a symbolic link named `*.md` (read
/// differently from the working tree and from Git: the commit is read instead).
fn committed_records(
    repo: &git2::Repository,
    head: git2::Oid,
    dir: &str,
) -> Option<rustc_hash::FxHashMap<String, git2::Oid>> {
    let tree = repo.find_commit(head).and_then(|c| c.tree()).ok()?;
    let sub = tree
        .get_path(std::path::Path::new(dir))
        .and_then(|e| repo.find_tree(e.id()))
        .ok()?;
    let mut committed: rustc_hash::FxHashMap<String, git2::Oid> = Default::default();
    let mut link = false;
    sub.walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
        let Ok(name) = entry.name() else {
            return git2::TreeWalkResult::Ok;
        };
        if name.starts_with('.') {
            return git2::TreeWalkResult::Skip;
        }
        if name.ends_with(".md") && entry.kind() == Some(git2::ObjectType::Blob) {
            if entry.filemode() == 0o120000 {
                link = true;
                return git2::TreeWalkResult::Abort;
            }
            committed.insert(format!("{dir}/{parent}{name}"), entry.id());
        }
        git2::TreeWalkResult::Ok
    })
    .ok()?;
    (!link).then_some(committed)
}

/// Whether `corpus`, read from the working tree at `root`, is what reading commit `head` would
/// give: the same `ddf.yaml`, the same record files with the same content (every one of them a
/// record; `committed` lists the commit's, by [`committed_records`]), the same attachments.
/// The blob ids the load computed are compared with the commit's tree. Asking Git whether the
/// working tree is clean instead (a diff against the index) hashes every file whose stat no
/// longer matches the index (after a copy, a restore, a touch): the whole DDF, serially, on top
/// of reading it.
fn read_as_committed(
    root: &std::path::Path,
    loc: &Location,
    head: git2::Oid,
    corpus: &Corpus,
    committed: &rustc_hash::FxHashMap<String, git2::Oid>,
) -> bool {
    use crate::source::Source as _;
    let repo = &loc.repo;
    let Ok(tree) = repo.find_commit(head).and_then(|c| c.tree()) else {
        return false;
    };
    // The blob at `path` (DDF-relative) in the commit, if it is a regular file.
    let blob_at = |path: &str| -> Option<git2::Oid> {
        tree.get_path(std::path::Path::new(&loc.full(path)))
            .ok()
            .filter(|e| e.kind() == Some(git2::ObjectType::Blob) && e.filemode() != 0o120000)
            .map(|e| e.id())
    };
    let same = |path: &str, bytes: Option<&[u8]>| -> bool {
        match bytes {
            Some(b) => blob_at(path).is_some_and(|id| id.to_string() == crate::record::blob_id(b)),
            None => tree
                .get_path(std::path::Path::new(&loc.full(path)))
                .is_err(),
        }
    };
    let wt = crate::source::Worktree::new(root);
    match wt.read(crate::config::CONFIG_FILE) {
        Ok(config) if same(crate::config::CONFIG_FILE, config.as_deref()) => {}
        _ => return false,
    }
    for (path, content) in &corpus.attachments {
        match content {
            Ok(bytes) if same(path, bytes.as_deref()) => {}
            _ => return false,
        }
    }
    // Every file read gave a record, so the records are the files, and they are the commit's.
    corpus.records.len() == corpus.files
        && committed.len() == corpus.records.len()
        && corpus.records.iter().all(|r| {
            committed
                .get(&loc.full(&r.path))
                .is_some_and(|id| git2::Oid::from_str(&r.blob).is_ok_and(|b| b == *id))
        })
}

fn load(env: &Env, rev: Option<&str>) -> Result<(Corpus, Graph), CliError> {
    let e = Env {
        root: env.root.clone(),
        rev: rev.map(String::from),
        format: env.format,
        style: env.style,
        quiet: env.quiet,
        verbose: env.verbose,
    };
    e.load()
}

/// Runs `ddf impact`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let format = env.format(&[Format::Human, Format::Json, Format::Md])?;
    let started = std::time::Instant::now();
    // The changed files are read from base one by one, each through the large trees of the
    // record folders: those trees must stay in libgit2's cache.
    crate::history::tune_libgit2();
    let loc = Location::discover(&env.root).map_err(|e| match e {
        crate::history::HistoryError::NotARepository(_) => CliError::usage(e.to_string()).hint(
            "ddf impact compares Git revisions: run it inside the repository that holds the DDF",
        ),
        e => e.into(),
    })?;
    let repo = &loc.repo;
    if repo.head().is_err() {
        return Err(CliError::usage(
            "the repository has no commits yet, so there is no base to compare with",
        )
        .hint("commit the records first"));
    }
    // HEAD side: a revision, or the working tree.
    let (base_rev, head_rev, three_dot): (Option<String>, Option<String>, bool) = match args
        .range
        .as_deref()
    {
        None => (None, env.rev.clone(), false),
        Some(r) => {
            let bad = || {
                CliError::usage(format!("`{r}` is not a range"))
                        .hint("write BASE..HEAD (e.g. main..HEAD), BASE...HEAD, BASE alone (against the working tree) or ..HEAD")
            };
            let (a, b, three) = if let Some((a, b)) = r.split_once("...") {
                (a, Some(b), true)
            } else if let Some((a, b)) = r.split_once("..") {
                (a, Some(b), false)
            } else {
                (r, None, false)
            };
            if a.contains("..")
                || b.is_some_and(|b| b.contains(".."))
                || (a.is_empty() && b.is_none())
            {
                return Err(bad());
            }
            let a = Some(a.to_string()).filter(|s| !s.is_empty());
            let b = match b {
                // `A..` is git's `A..HEAD`.
                Some("") => Some("HEAD".to_string()),
                Some(b) => Some(b.to_string()),
                None => env.rev.clone(),
            };
            (a, b, three)
        }
    };
    let head_oid = match &head_rev {
        Some(h) => Some(resolve(repo, h)?),
        None => None,
    };
    let head_commit_for_base = match head_oid {
        Some(h) => h,
        None => resolve(repo, "HEAD")?,
    };
    let base_oid = match &base_rev {
        Some(b) if three_dot => {
            let b = resolve(repo, b)?;
            repo.merge_base(b, head_commit_for_base).map_err(|_| {
                CliError::usage("the two revisions have no common ancestor")
                    .hint("use BASE..HEAD to compare them directly")
            })?
        }
        Some(b) => resolve(repo, b)?,
        None => {
            // The controlled branch name comes from head's configuration.
            let cfg = load_config(env, head_rev.as_deref())?;
            default_base(repo, &cfg, head_commit_for_base, head_oid.is_some())?
        }
    };
    let base_s = base_oid.to_string();
    let head_s = head_oid.map(|h| h.to_string());
    // Head: a commit that is HEAD is read from the working tree (in parallel, without
    // decompressing every blob from the pack) and kept if what was read is the commit's content;
    // else it is read from the commit.
    let head_is_head = head_oid.is_some() && head_oid == repo.head().ok().and_then(|r| r.target());
    // Git's side (the files the change touched; HEAD's record files) is read on a thread of its
    // own, with a repository handle of its own, while head's records are read and parsed. The
    // records folder is the working tree's `ddf.yaml`'s: should it not be HEAD's, the
    // configurations differ and head is read from the commit anyway.
    let records_full = if head_is_head {
        let wt = crate::source::Worktree::new(&env.root);
        Corpus::read_config(&wt)
            .ok()
            .map(|(c, _)| (c.records.clone(), loc.full(&c.records)))
    } else {
        None
    };
    let git_dir = repo.path().to_path_buf();
    let (git_side, head_read) = std::thread::scope(|scope| {
        let git_side = scope.spawn(|| -> Result<_, CliError> {
            let repo = git2::Repository::open(&git_dir).map_err(|e| git_err("git", e))?;
            let files = changed_files(&repo, base_oid, head_oid)?;
            let committed = match (head_oid, &records_full) {
                (Some(h), Some((_, full))) => committed_records(&repo, h, full),
                _ => None,
            };
            Ok((files, committed))
        });
        let head_read = if head_oid.is_none() || head_is_head {
            load(env, None)
        } else {
            load(env, head_s.as_deref())
        };
        let git_side = git_side
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (git_side, head_read)
    });
    let (files, committed) = git_side?;
    let (head_c, head_g) = match head_oid {
        Some(h) if head_is_head => {
            // What was read from the working tree, if it is the commit's content (a working
            // tree that cannot even be loaded is not).
            let as_committed = head_read
                .ok()
                .filter(|(c, _)| match (&committed, &records_full) {
                    (Some(m), Some((dir, _))) if *dir == c.config.records => {
                        read_as_committed(&env.root, &loc, h, c, m)
                    }
                    _ => false,
                });
            match as_committed {
                Some(read) => read,
                None => {
                    if env.verbose > 0 {
                        eprintln!(
                            "ddf: the working tree differs from {} in the DDF: read from the commit",
                            short(&h.to_string())
                        );
                    }
                    load(env, head_s.as_deref())?
                }
            }
        }
        _ => head_read?,
    };
    let (base_c, base_g) = load_base(env, &loc, &base_s, &head_c, head_oid.is_some(), &files)?;
    let result = impact::assess(
        Side {
            corpus: &base_c,
            graph: &base_g,
        },
        Side {
            corpus: &head_c,
            graph: &head_g,
        },
        base_s.clone(),
        head_s.clone().unwrap_or_else(|| "worktree".into()),
        files,
    );
    if env.verbose > 0 {
        eprintln!(
            "ddf: impact of {} changed records and {} changed files in {:.0?}",
            result.changed.len(),
            result.changed_files.len(),
            started.elapsed()
        );
    }
    let text = match format {
        Format::Json => {
            serde_json::to_string_pretty(&result).map_err(|e| CliError::failed(e.to_string()))?
                + "\n"
        }
        Format::Md => markdown(&result),
        _ => human(env, &result),
    };
    print(&text)?;
    if let Some(cr) = &args.write_cr {
        write_cr(env, &head_c, cr, &result)?;
    }
    // Two corpora of tens of thousands of records: freeing them would take longer than the
    // exit does (as in `ddf check`).
    std::mem::forget((head_c, head_g, base_c, base_g, result));
    Ok(0)
}

/// The base corpus. When `ddf.yaml` is the same on both sides, it is head's corpus with only the
/// changed record files read again from base (a few parses instead of a second full load: the
/// cost follows the change, not the corpus); otherwise a full load of base. `head_is_commit`:
/// head holds a commit's content, so `files` (the diff of two trees) names every file that
/// differs, and an attachment it does not name is head's, as read there.
fn load_base(
    env: &Env,
    loc: &Location,
    base: &str,
    head: &Corpus,
    head_is_commit: bool,
    files: &[String],
) -> Result<(Corpus, Graph), CliError> {
    let started = std::time::Instant::now();
    let src = crate::source::open(&env.root, Some(base)).map_err(|e| {
        let hint = e.hint().unwrap_or("").to_string();
        CliError::usage(e.to_string()).hint(hint)
    })?;
    let config_file = loc.full(crate::config::CONFIG_FILE);
    if files.contains(&config_file) {
        let has_config = src.read(crate::config::CONFIG_FILE)?.is_some();
        if !has_config {
            // The change creates the DDF: base is empty, every record is added.
            let all = head.records.iter().map(|r| r.path.clone()).collect();
            let corpus = head.derive(src.describe(), &all, Vec::new());
            let graph = Graph::build(&corpus);
            return Ok((corpus, graph));
        }
        return load(env, Some(base));
    }
    let records_dir = format!("{}/", head.config.records.trim_end_matches('/'));
    let mut changed = std::collections::BTreeSet::new();
    let mut read = Vec::new();
    for f in files {
        let rel = if loc.prefix.is_empty() {
            f.as_str()
        } else {
            match f
                .strip_prefix(loc.prefix.as_str())
                .and_then(|r| r.strip_prefix('/'))
            {
                Some(r) => r,
                None => continue,
            }
        };
        // The files a load would list: `*.md` below the records folder, no hidden component.
        if !rel.starts_with(&records_dir)
            || !rel.ends_with(".md")
            || rel.split('/').any(|c| c.starts_with('.'))
        {
            continue;
        }
        changed.insert(rel.to_string());
        let content = src.read(rel)?;
        if let Some(bytes) = content {
            read.push(crate::source::SourceFile {
                path: rel.to_string(),
                content: Ok(bytes),
            });
        }
    }
    let mut corpus = head.derive(src.describe(), &changed, read);
    // The SBOMs base's releases name, and those head's name, so a delta can be computed for a
    // file a release starts naming in this change.
    let mut sboms = crate::sbom::release_files(&corpus);
    sboms.extend(head.attachments.keys().cloned());
    sboms.sort();
    sboms.dedup();
    for path in sboms {
        // An SBOM the change did not touch is the same file on both sides: no need to inflate
        // it from the pack again.
        let same = head_is_commit && files.binary_search(&loc.full(&path)).is_err();
        let content = match head.attachments.get(&path) {
            Some(Ok(bytes)) if same => Ok(bytes.clone()),
            _ => match src.read(&path) {
                Err(e @ crate::source::SourceError::Integrity(_)) => return Err(e.into()),
                other => other.map_err(|e| e.to_string()),
            },
        };
        corpus.attachments.insert(path, content);
    }
    let graph = Graph::build(&corpus);
    if env.verbose > 0 {
        eprintln!(
            "ddf: base {} from head with {} changed record files re-read, in {:.0?}",
            short(base),
            changed.len(),
            started.elapsed()
        );
    }
    Ok((corpus, graph))
}

/// `controlled_branch` from the configuration of `rev` (or the working tree).
fn load_config(env: &Env, rev: Option<&str>) -> Result<String, CliError> {
    let src = crate::source::open(&env.root, rev).map_err(|e| {
        let hint = e.hint().unwrap_or("").to_string();
        CliError::usage(e.to_string()).hint(hint)
    })?;
    // Only the configuration is needed: keep no record file.
    let c = Corpus::load_where(src.as_ref(), &|_| false)?;
    Ok(c.config.controlled_branch)
}

/// Writes the proposal into the CR's empty `impact`, `cyber_impact` and `cyber_rationale` fields.
fn write_cr(env: &Env, head: &Corpus, cr: &str, i: &Impact) -> Result<(), CliError> {
    let not_found = || {
        CliError::usage(format!("{cr} is not a change request in the working tree"))
            .hint("create it with `ddf new change-request`, or name an existing CR")
    };
    if env.rev.is_some() {
        return Err(CliError::usage(
            "--write-cr edits the working tree, so it cannot be combined with --rev",
        )
        .hint("drop --rev"));
    }
    let rec = head.get(cr).ok_or_else(not_found)?;
    if rec.type_name != "change-request" {
        return Err(not_found());
    }
    // Read the file itself (head may be a commit): the edit applies to the working copy.
    let wt = crate::source::Worktree::new(&env.root);
    let worktree = Corpus::load_where(&wt, &|p| p == rec.path)?;
    let rec = worktree.get(cr).ok_or_else(not_found)?;
    let path = env.root.join(&rec.path);
    // Through the confined reader, like the load: a regular file inside the repository.
    let bytes = crate::source::Source::read(&wt, &rec.path)
        .map_err(|e| CliError::failed(e.to_string()))?
        .ok_or_else(|| CliError::failed(format!("{}: the file no longer exists", rec.path)))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::failed(format!("{}: the file is not UTF-8", rec.path)))?;
    let proposal = impact::proposal_text(i);
    let rationale = impact::rationale_text(i);
    let mut updates = Vec::new();
    for (field, value) in [
        ("impact", proposal.as_str()),
        ("cyber_impact", i.cyber_impact.label()),
        ("cyber_rationale", rationale.as_str()),
    ] {
        if rec.get(field).is_some_and(is_given) {
            eprintln!(
                "ddf: {cr} already has `{field}` written by a person; not overwritten. Proposal:"
            );
            eprintln!("  {field}: {value}");
        } else {
            updates.push((field.to_string(), crate::sbom::edit::scalar(value, false)));
        }
    }
    if updates.is_empty() {
        return Ok(());
    }
    let new = crate::sbom::edit::set_fields(&text, &updates)
        .map_err(|e| CliError::failed(format!("{}: {e}", rec.path)))?;
    write_atomic(&path, new.as_bytes(), true)
        .map_err(|e| CliError::failed(format!("{}: {e}", rec.path)))?;
    if !env.quiet {
        let names: Vec<&str> = updates.iter().map(|(k, _)| k.as_str()).collect();
        let list = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.concat(),
        };
        eprintln!("ddf: wrote {list} into {}", rec.path);
    }
    Ok(())
}

fn change_word(c: &impact::Changed) -> String {
    format!("{:?}", c.change).to_lowercase()
}

fn human(env: &Env, i: &Impact) -> String {
    let st = &env.style;
    let mut o = format!("Impact of {}..{}\n", short(&i.base), short(&i.head));
    if i.is_empty() {
        o.push_str("No change.\n");
    }
    o.push_str(&format!(
        "Cybersecurity: {}\n",
        st.bold(i.cyber_impact.label())
    ));
    for r in &i.cyber_reasons {
        o.push_str(&format!("  - {r}\n"));
    }
    if !i.changed.is_empty() {
        o.push_str(&format!("\nChanged records ({}):\n", i.changed.len()));
        for c in &i.changed {
            o.push_str(&format!(
                "  {} {} {} ({})\n",
                change_word(c),
                c.id,
                c.title,
                c.type_name
            ));
            if let Some(p) = &c.old_path {
                o.push_str(&format!("      {p} -> {}\n", c.path));
            }
            if c.change == impact::ChangeKind::Modified || c.change == impact::ChangeKind::Renamed {
                for f in &c.fields {
                    o.push_str(&format!(
                        "      {}: {} -> {}\n",
                        f.name,
                        value_text(f.old.as_ref()),
                        value_text(f.new.as_ref())
                    ));
                }
                if !c.body_diff.is_empty() {
                    o.push_str("      body changed\n");
                }
            }
        }
    }
    if !i.artifact_changes.is_empty() {
        o.push_str("\nDesign outputs whose artifacts changed:\n");
        for a in &i.artifact_changes {
            o.push_str(&format!("  {}: {}\n", a.id, a.files.join(", ")));
        }
    }
    if !i.sbom_changes.is_empty() {
        o.push_str("\nSBOM changes:\n");
        for c in &i.sbom_changes {
            o.push_str(&format!("  {}: {}\n", c.path, c.summary()));
        }
    }
    if !i.impacted.is_empty() {
        o.push_str(&format!("\nImpacted ({}):\n", i.impacted.len()));
        for m in &i.impacted {
            o.push_str(&format!(
                "  {} {} via {}\n",
                format!("{:?}", m.direction).to_lowercase(),
                m.id,
                m.via.join(" > ")
            ));
        }
    }
    for (title, list) in [
        (
            "Verifications and validations to repeat",
            &i.stale_verifications,
        ),
        ("Risk to re-evaluate", &i.risk_reevaluation),
        ("Fielded releases", &i.fielded_releases),
        ("Approvals required", &i.approvals_required),
    ] {
        if !list.is_empty() {
            o.push_str(&format!("\n{title}:\n"));
            for a in list {
                o.push_str(&format!("  {}: {}\n", a.id, a.reason));
            }
        }
    }
    o
}

fn value_text(v: Option<&serde_json::Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

/// The hidden marker the GitHub action finds its own comment by.
pub(super) const MARKER: &str = "<!-- ddf-impact -->";

fn markdown(i: &Impact) -> String {
    let mut o = format!("{MARKER}\n## DDF impact assessment\n\n");
    o.push_str(&format!(
        "Base `{}`, head `{}`.\n\n",
        short(&i.base),
        short(&i.head)
    ));
    o.push_str("| | count |\n|---|---|\n");
    for (label, n) in [
        ("changed records", i.changed.len()),
        (
            "design outputs with changed artifacts",
            i.artifact_changes.len(),
        ),
        ("impacted records", i.impacted.len()),
        ("verifications to repeat", i.stale_verifications.len()),
        ("risk items to re-evaluate", i.risk_reevaluation.len()),
        ("fielded releases", i.fielded_releases.len()),
        ("approvals required", i.approvals_required.len()),
    ] {
        o.push_str(&format!("| {label} | {n} |\n"));
    }
    o.push_str(&format!(
        "\n### Cybersecurity: **{}**\n\n",
        i.cyber_impact.label()
    ));
    if i.cyber_reasons.is_empty() {
        o.push_str("No security-relevant record, artifact, interface, SBOM or update path was touched. The CR still needs a rationale, the SBOM and the statement on critical and remediated vulnerabilities.\n");
    } else {
        for r in &i.cyber_reasons {
            o.push_str(&format!("- {}\n", md_cell(r)));
        }
    }
    if !i.sbom_changes.is_empty() {
        o.push_str("\n### SBOM delta\n\n");
        for c in &i.sbom_changes {
            o.push_str(&format!("- `{}`: {}\n", c.path, md_cell(&c.summary())));
        }
    }
    o.push_str("\n### Required actions\n\n");
    let mut any = false;
    for a in &i.stale_verifications {
        any = true;
        o.push_str(&format!("- [ ] Repeat {} ({})\n", a.id, md_cell(&a.reason)));
    }
    for a in &i.risk_reevaluation {
        any = true;
        o.push_str(&format!(
            "- [ ] Re-evaluate {} ({})\n",
            a.id,
            md_cell(&a.reason)
        ));
    }
    for a in &i.fielded_releases {
        any = true;
        o.push_str(&format!(
            "- [ ] Assess the effect on fielded {} ({})\n",
            a.id,
            md_cell(&a.reason)
        ));
    }
    for a in &i.approvals_required {
        any = true;
        o.push_str(&format!(
            "- [ ] Approval of {}: {}\n",
            a.id,
            md_cell(&a.reason)
        ));
    }
    for a in i.artifact_changes.iter().filter(|a| a.record_unchanged) {
        any = true;
        o.push_str(&format!(
            "- [ ] Review {}: its artifacts changed but the record did not\n",
            a.id
        ));
    }
    if i.cyber_impact == impact::CyberClass::MayImpact {
        any = true;
        o.push_str(
            "- [ ] Re-review the touched threats and make `cyber-chain` pass before merge\n",
        );
    }
    if !any {
        o.push_str("None.\n");
    }
    if !i.changed.is_empty() {
        o.push_str("\n### Changed records\n\n| id | type | change | title |\n|---|---|---|---|\n");
        for c in &i.changed {
            o.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                c.id,
                c.type_name,
                change_word(c),
                md_cell(&c.title)
            ));
        }
        o.push('\n');
        for c in &i.changed {
            o.push_str(&format!(
                "<details><summary>{} {} ({})</summary>\n\n",
                c.id,
                change_word(c),
                c.path
            ));
            if !c.fields.is_empty() {
                o.push_str("| field | before | after |\n|---|---|---|\n");
                for f in &c.fields {
                    o.push_str(&format!(
                        "| {} | {} | {} |\n",
                        f.name,
                        md_cell(&value_text(f.old.as_ref())),
                        md_cell(&value_text(f.new.as_ref()))
                    ));
                }
                o.push('\n');
            }
            if !c.body_diff.is_empty() {
                o.push_str(&format!(
                    "```diff\n{}```\n\n",
                    c.body_diff.replace("```", "ˋˋˋ")
                ));
            }
            o.push_str("</details>\n\n");
        }
    }
    if !i.impacted.is_empty() {
        o.push_str("<details><summary>Impacted records</summary>\n\n| id | type | direction | via |\n|---|---|---|---|\n");
        for m in &i.impacted {
            o.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                m.id,
                m.type_name,
                format!("{:?}", m.direction).to_lowercase(),
                m.via.join(" → ")
            ));
        }
        o.push_str("\n</details>\n");
    }
    o
}
