//! Change-control rules that need Git history (ISO 13485 7.3.9, 7.3.10; 21 CFR Part 11):
//! `status-signed`, `ver-fresh`, `change-has-cr`, `cr-before-merge` and `suspect-link`, and the
//! release half of `un-validated` (a validation counts for the releases that hold the need as
//! validated).
//!
//! They run only when the DDF is inside a Git repository with at least one commit; "changed"
//! always means a content change found by the history index (fields or body), and uncommitted
//! edits in the working tree count as the newest change.

use super::{Ctx, HistoryCtx};
use crate::history::approval::{blob_at, covers, format_time};
use crate::history::{ChangeKind, Commit, History};
use crate::record::Record;
use rustc_hash::{FxHashMap, FxHashSet};

/// Statuses in which a change request counts as approved for merging.
const CR_APPROVED: &[&str] = &["approved", "implemented", "verified", "closed"];

/// A position in history, newest smallest; uncommitted working-tree changes are -1.
type Pos = i64;
const WORKTREE: Pos = -1;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let Some(h) = ctx.history else { return };
    controlled_branch(ctx, h);
    let marks = Marks::new(ctx.corpus, h);
    let (corpus, graph, today) = (ctx.corpus, ctx.graph, ctx.today);
    let part = |run: &(dyn Fn(&mut Ctx<'_>) + Sync)| {
        let mut c = Ctx::new(corpus, graph, today);
        c.history = Some(h);
        run(&mut c);
        c.into_diagnostics()
    };
    // The largest rule family on a repository: its two halves run side by side, and their
    // findings are put together in the order of a serial run.
    let (first, second) = rayon::join(
        || {
            part(&|ctx| {
                status_signed(ctx, h);
                // Releases, tags and baselines are resolved through the repository, opened
                // once.
                if let Ok(repo) = git2::Repository::discover(&h.history.workdir) {
                    let revs = Revisions::new(&repo);
                    ver_fresh(ctx, h, &marks, &revs);
                    un_validated_on_releases(ctx, h, &marks, &revs);
                }
            })
        },
        || {
            part(&|ctx| {
                change_has_cr(ctx, h);
                cr_before_merge(ctx, h);
                suspect_link(ctx, h, &marks);
            })
        },
    );
    ctx.out.extend(first);
    ctx.out.extend(second);
}

/// Per record: the newest content change and whether the working copy differs from the tip.
pub struct Marks {
    last_change: FxHashMap<String, Pos>,
}

fn is_content(kind: ChangeKind, fields: usize, body: bool) -> bool {
    kind != ChangeKind::Renamed || fields > 0 || body
}

impl Marks {
    /// Marks every record of `corpus`.
    pub fn new(corpus: &crate::corpus::Corpus, h: &HistoryCtx<'_>) -> Marks {
        let mut last_change = FxHashMap::default();
        for r in &corpus.records {
            let changes = h.history.of_record(&r.id);
            let tip_blob = changes.first().and_then(|(_, ch)| ch.new_blob.as_deref());
            let pos = if tip_blob != Some(r.blob.as_str()) {
                WORKTREE
            } else {
                changes
                    .iter()
                    .find(|(_, ch)| is_content(ch.kind, ch.fields.len(), ch.body_changed))
                    .and_then(|(c, _)| h.history.position(&c.id))
                    .map_or(Pos::MAX, |p| p as Pos)
            };
            last_change.insert(r.id.clone(), pos);
        }
        Marks { last_change }
    }

    /// Position of the newest content change of record `id` (-1: uncommitted).
    pub fn of(&self, id: &str) -> Pos {
        self.last_change.get(id).copied().unwrap_or(Pos::MAX)
    }
}

/// A history position in words: the commit (short id, date, subject) or the working tree.
pub fn describe(h: &History, pos: Pos) -> String {
    if pos == WORKTREE {
        return "uncommitted changes in the working tree".into();
    }
    match usize::try_from(pos).ok().and_then(|p| h.commits.get(p)) {
        Some(c) => describe_commit(c),
        None => "an unknown commit".into(),
    }
}

fn describe_commit(c: &Commit) -> String {
    format!(
        "{} ({}, \"{}\")",
        c.short(),
        &format_time(c.committer_time)[..10],
        c.summary
    )
}

/// `status-signed`: a record that claims `status: approved` (or a release that is fielded) is
/// covered, for each signature meaning its type declares (`approval` by default; a release needs
/// `release` and `responsibility`), by a valid signed approval of its current content with that
/// meaning, by someone other than the only author of that content where the type does not allow
/// self-approval (Part 11 11.50, 11.70; ISO 13485 4.2.4, 4.2.5, 7.3.8; ISO 14971 8).
fn status_signed(ctx: &mut Ctx<'_>, h: &HistoryCtx<'_>) {
    let corpus = ctx.corpus;
    let authors = Authors::new(corpus);
    for r in corpus.records.iter().filter(|r| needs_signatures(r)) {
        let Some(t) = corpus.config.schema.get(&r.type_name) else {
            continue;
        };
        let self_ok = self_approval_allowed(t, r);
        let current: Vec<_> = h
            .approvals_of(&r.id)
            .filter(|a| covers(h.history, a, &r.id, &r.blob))
            .collect();
        let mut reasons = Vec::new();
        for m in &t.signatures {
            let counted = current.iter().find(|a| {
                a.is_valid() && a.means(m) && (self_ok || !authors.only_author(h.history, r, a))
            });
            if counted.is_some() {
                continue;
            }
            let with_meaning: Vec<_> = current.iter().filter(|a| a.means(m)).collect();
            let why = if let Some(a) = with_meaning.iter().find(|a| a.is_valid()) {
                format!(
                    "its `{m}` approval {} is by {}, the only author of the approved content, and `{}` records may not be self-approved (ddf.yaml types.{}.self_approval)",
                    &a.commit[..10],
                    a.signer.as_deref().unwrap_or("?"),
                    t.name,
                    t.name
                )
            } else if let Some(a) = with_meaning.first() {
                let mut rs = vec![a.status.label().to_string()];
                rs.extend(a.problems.iter().cloned());
                format!(
                    "its `{m}` approval {} does not count: {}",
                    &a.commit[..10],
                    rs.join("; ")
                )
            } else if let Some(a) = current.iter().find(|a| a.is_valid()) {
                format!(
                    "it needs a signature with the meaning `{m}`, and its approval {} is signed with the meaning `{}`",
                    &a.commit[..10],
                    a.meaning.as_deref().unwrap_or("(none)")
                )
            } else if let Some(a) = current.first() {
                let mut rs = vec![a.status.label().to_string()];
                rs.extend(a.problems.iter().cloned());
                format!(
                    "its approval {} does not count: {}",
                    &a.commit[..10],
                    rs.join("; ")
                )
            } else if let Some(a) = h.approvals_of(&r.id).next() {
                format!(
                    "the record was edited after its approval {} ({}), which voids it",
                    &a.commit[..10],
                    format_time(a.time)
                )
            } else {
                "no signed approval names it".to_string()
            };
            if !reasons.contains(&why) {
                reasons.push(why);
            }
        }
        if reasons.is_empty() {
            continue;
        }
        let meanings = t.signatures.join("`, `");
        let hint = format!(
            "have a person who may sign (for a closure, the one in `closed_by`) approve the current content in a signed commit, one per meaning (`{meanings}`): ddf approve {id} --meaning {first}, or git commit -S --allow-empty -m \"Approve {id}\" -m \"Approves: {id}@{blob}\nSignature-Meaning: {first}\nSigner: PER-...\"; or set the status back to in-review",
            id = r.id,
            blob = &r.blob[..r.blob.len().min(12)],
            first = t.signatures.first().map_or("approval", String::as_str),
        );
        let claim = match r.status() {
            "approved" => "is `approved`",
            "closed" => "is `closed`",
            _ => "is fielded",
        };
        ctx.emit(
            "status-signed",
            r,
            r.index.value_pos("status"),
            format!("{} {claim}, but {}", r.id, reasons.join("; ")),
            &hint,
        );
    }
}

/// Whether a record claims a decision a signature must back: `status: approved`, a release with
/// a `fielded` date, or a closed CR, CAPA or SIG (a closure is a decision someone is accountable
/// for: ISO 13485 4.2.5, 7.3.9, 8.2.2, 8.5.2).
pub(super) fn needs_signatures(r: &Record) -> bool {
    r.status() == "approved"
        || (r.type_name == "release"
            && r.text("fielded")
                .and_then(|d| crate::date::Date::parse(&d))
                .is_some())
        || (r.status() == "closed"
            && matches!(r.type_name.as_str(), "change-request" | "capa" | "signal"))
}

/// Whether the only author of `r`'s content may approve it: as its type says in ddf.yaml, else
/// yes, but for change requests, releases and plans (DOC `doc_type` ending in `-plan`), whose
/// approval is the independent decision ISO 13485 7.3.9, 7.3.8 and 7.3.2 ask for.
pub(super) fn self_approval_allowed(t: &crate::schema::TypeDef, r: &Record) -> bool {
    t.self_approval
        .unwrap_or_else(|| match r.type_name.as_str() {
            "change-request" | "release" => false,
            "document" => !r.str("doc_type").is_some_and(|d| d.ends_with("-plan")),
            _ => true,
        })
}

/// Who wrote what: Git authors matched to PER records by the e-mail addresses a person lists
/// (`emails`) or, failing that, by the printed name. Git's author is the committer's claim; the
/// self-approval check catches the honest mistake, not a forger (SECURITY.md).
pub(super) struct Authors {
    by_email: FxHashMap<String, String>,
    by_name: FxHashMap<String, String>,
}

impl Authors {
    pub(super) fn new(corpus: &crate::corpus::Corpus) -> Authors {
        let mut by_email = FxHashMap::default();
        let mut by_name = FxHashMap::default();
        for &i in corpus.records_of("person") {
            let p = &corpus.records[i];
            for e in p.list("emails") {
                by_email.insert(e.trim().to_ascii_lowercase(), p.id.clone());
            }
            if let Some(n) = p.text("printed_name") {
                by_name.insert(n.trim().to_lowercase(), p.id.clone());
            }
        }
        Authors { by_email, by_name }
    }

    /// The PER id of a commit's author, if one matches.
    fn person_of(&self, c: &Commit) -> Option<&str> {
        self.by_email
            .get(&c.email.trim().to_ascii_lowercase())
            .or_else(|| self.by_name.get(&c.author.trim().to_lowercase()))
            .map(String::as_str)
    }

    /// Whether the signer of `a` wrote every change of `r`'s content up to the approval.
    pub(super) fn only_author(
        &self,
        h: &History,
        r: &Record,
        a: &crate::history::approval::Approval,
    ) -> bool {
        let Some(signer) = a.signer.as_deref() else {
            return false;
        };
        let mut any = false;
        for (c, ch) in h.of_record(&r.id) {
            let older = h.position(&c.id).is_some_and(|p| p >= a.position);
            if !older || !is_content(ch.kind, ch.fields.len(), ch.body_changed) {
                continue;
            }
            if self.person_of(c) != Some(signer) {
                return false;
            }
            any = true;
        }
        any
    }
}

/// Resolves revisions as [`crate::source::resolve_commit`] does, with the repository's
/// reference names read once. A revision written as a hexadecimal id (what a baseline usually
/// is) that names no reference is resolved as Git's revision parser would resolve it, as an
/// object id or an abbreviation of one, without looking up the six references it could name
/// first (files and the packed references, for each of thousands of verifications).
pub(super) struct Revisions<'r> {
    repo: &'r git2::Repository,
    /// Every reference name, or `None` when they cannot be listed (then every revision is
    /// parsed in full).
    refs: Option<FxHashSet<String>>,
}

impl<'r> Revisions<'r> {
    pub(super) fn new(repo: &'r git2::Repository) -> Revisions<'r> {
        let refs = repo.references().ok().map(|it| {
            it.filter_map(|r| r.ok().and_then(|r| r.name().ok().map(String::from)))
                .collect()
        });
        Revisions { repo, refs }
    }

    /// Whether `rev` could name a reference, in the order Git's revision parser tries them
    /// (`rev` itself as a pseudo-reference file, `refs/`, `refs/tags/`, `refs/heads/`,
    /// `refs/remotes/`, `refs/remotes/.../HEAD`).
    fn may_name_a_reference(&self, rev: &str) -> bool {
        let Some(refs) = &self.refs else { return true };
        let repo = self.repo;
        repo.path().join(rev).exists()
            || repo.commondir().join(rev).exists()
            || [
                format!("refs/{rev}"),
                format!("refs/tags/{rev}"),
                format!("refs/heads/{rev}"),
                format!("refs/remotes/{rev}"),
                format!("refs/remotes/{rev}/HEAD"),
            ]
            .iter()
            .any(|r| refs.contains(r))
    }

    /// The commit `rev` names.
    fn commit(&self, rev: &str) -> Option<git2::Oid> {
        let hex = (4..=40).contains(&rev.len()) && rev.bytes().all(|b| b.is_ascii_hexdigit());
        if hex && !self.may_name_a_reference(rev) {
            // What the revision parser does for such a name: the full id, else the
            // abbreviation (an ambiguous one resolves to nothing).
            let object = if rev.len() == 40 {
                git2::Oid::from_str(rev).and_then(|id| self.repo.find_object(id, None))
            } else {
                self.repo.find_object_by_prefix(rev, None)
            };
            return object.ok()?.peel_to_commit().ok().map(|c| c.id());
        }
        crate::source::resolve_commit(self.repo, rev).ok()
    }
}

/// Resolves a verification baseline (a REL id, tag, branch or commit) to a history position.
pub(super) fn baseline_position(
    ctx: &Ctx<'_>,
    h: &HistoryCtx<'_>,
    baseline: &str,
    revs: &Revisions<'_>,
) -> Option<usize> {
    let mut candidates = vec![baseline.to_string()];
    if let Some(rel) = ctx
        .corpus
        .get(baseline)
        .filter(|r| r.type_name == "release")
    {
        candidates = [rel.text("commit"), rel.text("tag")]
            .into_iter()
            .flatten()
            .collect();
    }
    candidates.iter().find_map(|c| {
        let oid = revs.commit(c)?;
        h.history.position(&oid.to_string())
    })
}

/// `ver-fresh`: a verification is stale when what it verified, the outputs that realise it, or
/// their artifacts changed after its baseline (ISO 13485 7.3.6, 7.3.9).
fn ver_fresh(ctx: &mut Ctx<'_>, h: &HistoryCtx<'_>, marks: &Marks, revs: &Revisions<'_>) {
    let corpus = ctx.corpus;
    let graph = ctx.graph;
    let mut ancestors: FxHashMap<usize, FxHashSet<usize>> = FxHashMap::default();
    let mut changed_paths: FxHashMap<usize, Vec<(usize, &str)>> = FxHashMap::default();
    for &vi in corpus.records_of("verification") {
        let v = &corpus.records[vi];
        if v.status() == "obsolete" {
            continue;
        }
        let Some(baseline) = v.text("baseline") else {
            continue;
        };
        let Some(bpos) = baseline_position(ctx, h, &baseline, revs) else {
            ctx.emit(
                "ver-fresh",
                v,
                v.index.value_pos("baseline"),
                format!("{}'s baseline `{baseline}` is no commit, tag or release of this repository, so its freshness cannot be shown", v.id),
                "set `baseline` to the commit, tag or REL the verification ran on",
            );
            continue;
        };
        let anc = ancestors
            .entry(bpos)
            .or_insert_with(|| h.history.ancestors(&h.history.commits[bpos].id));
        let after =
            |pos: Pos| pos == WORKTREE || (pos != Pos::MAX && !anc.contains(&(pos as usize)));
        // What the verification depends on: the verified records and the outputs that
        // satisfy a verified input.
        let mut deps: Vec<usize> = graph.outbound(vi, "verifies").collect();
        for &t in &deps.clone() {
            if corpus.type_of(t) == "design-input" {
                deps.extend(graph.inbound(t, "satisfies"));
            }
        }
        deps.sort_unstable();
        deps.dedup();
        let mut stale: Vec<String> = Vec::new();
        for &d in &deps {
            let rec = &corpus.records[d];
            // The newest content change after the baseline, if any.
            let newest = if marks.of(&rec.id) == WORKTREE {
                Some(WORKTREE)
            } else {
                h.history
                    .of_record(&rec.id)
                    .iter()
                    .filter(|(_, ch)| is_content(ch.kind, ch.fields.len(), ch.body_changed))
                    .filter_map(|(c, _)| h.history.position(&c.id).map(|p| p as Pos))
                    .find(|&p| after(p))
            };
            if let Some(p) = newest {
                stale.push(format!("{} changed in {}", rec.id, describe(h.history, p)));
            }
            let globs = rec.list("artifacts");
            if rec.type_name == "design-output" && !globs.is_empty() {
                let Some(set) = glob_set(&globs) else {
                    continue;
                };
                let paths = changed_paths.entry(bpos).or_insert_with(|| {
                    h.history
                        .commits
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| !anc.contains(i))
                        .flat_map(|(i, c)| c.paths.iter().map(move |p| (i, p.as_str())))
                        .collect()
                });
                if let Some((i, p)) = paths.iter().find(|(_, p)| set.is_match(p)) {
                    stale.push(format!(
                        "{}'s artifact {p} changed in {}",
                        rec.id,
                        describe_commit(&h.history.commits[*i])
                    ));
                }
            }
        }
        if !stale.is_empty() {
            ctx.emit(
                "ver-fresh",
                v,
                v.index.value_pos("baseline"),
                format!("{} is stale: after its baseline `{baseline}`, {}", v.id, stale.join("; ")),
                "re-run the verification on the current baseline and update `baseline`, `executed_on` and `result`, or record in a CR why the change does not affect it",
            );
        }
    }
}

/// The release a validation ran on: `product_config.release`, or `product_config` itself when it
/// is just a release id.
pub(super) fn validated_release(v: &Record) -> Option<String> {
    match v.get("product_config")? {
        serde_yaml::Value::Mapping(m) => m.get("release").and_then(crate::record::scalar_text),
        other => crate::record::scalar_text(other),
    }
}

/// `un-validated`, with history (domain model 2: "a passing VAL on the current REL, or on an
/// ancestor REL with no later change to the UN"): a user need whose passing validations
/// all ran on releases that do not contain its last change is not validated any more. The
/// structural half in `design.rs` reports needs with no passing validation at all; a validation
/// whose release cannot be placed in this history (no `product_config.release`, or a release
/// whose commit and tag are not here) is taken at its word.
fn un_validated_on_releases(
    ctx: &mut Ctx<'_>,
    h: &HistoryCtx<'_>,
    marks: &Marks,
    revs: &Revisions<'_>,
) {
    let corpus = ctx.corpus;
    let graph = ctx.graph;
    let mut ancestors: FxHashMap<usize, FxHashSet<usize>> = FxHashMap::default();
    for &ui in corpus.records_of("user-need") {
        let u = &corpus.records[ui];
        if u.status() == "obsolete" {
            continue;
        }
        let passing: Vec<usize> = graph
            .inbound(ui, "validates")
            .filter(|&j| {
                let v = &corpus.records[j];
                v.type_name == "validation"
                    && v.status() != "obsolete"
                    && v.str("result") == Some("pass")
            })
            .collect();
        if passing.is_empty() {
            continue;
        }
        let changed = marks.of(&u.id);
        let mut ran_before = Vec::new();
        let holds = passing.iter().any(|&j| {
            let v = &corpus.records[j];
            let Some(pos) = validated_release(v)
                .and_then(|rel| baseline_position(ctx, h, &rel, revs).map(|p| (rel, p)))
            else {
                return true;
            };
            let (rel, pos) = pos;
            let anc = ancestors
                .entry(pos)
                .or_insert_with(|| h.history.ancestors(&h.history.commits[pos].id));
            let contains =
                changed == Pos::MAX || usize::try_from(changed).is_ok_and(|c| anc.contains(&c));
            if !contains {
                ran_before.push(format!("{} on {rel}", v.id));
            }
            contains
        });
        if holds {
            continue;
        }
        ctx.emit(
            "un-validated",
            u,
            None,
            format!(
                "{} changed in {} after the releases its passing validations ran on ({}), so they no longer validate it",
                u.id,
                describe(h.history, changed),
                ran_before.join(", ")
            ),
            &format!(
                "validate the changed need on a release that contains the change: a VAL with `validates: [{}]`, `result: pass` and `product_config.release` naming that release",
                u.id
            ),
        );
    }
}

fn glob_set(globs: &[String]) -> Option<globset::GlobSet> {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(globset::Glob::new(g).ok()?);
    }
    b.build().ok()
}

/// `controlled-branch`: the branch ddf.yaml names as controlled exists (locally, or as a
/// remote-tracking branch in a CI checkout). Without it the change-control rules check no
/// commit at all, and nothing else would say so.
fn controlled_branch(ctx: &mut Ctx<'_>, h: &HistoryCtx<'_>) {
    let Some(branches) = &h.branches else { return };
    let config = &ctx.corpus.config;
    let name = &config.controlled_branch;
    if branches.iter().any(|b| b == name) {
        return;
    }
    let message = format!(
        "the controlled branch `{name}` is no branch of this repository, so change control (change-has-cr, cr-before-merge) checks no commit"
    );
    let mut listed: Vec<&str> = Vec::new();
    for b in branches {
        if !listed.contains(&b.as_str()) {
            listed.push(b);
        }
    }
    let hint = match listed.as_slice() {
        [] => "commit on the branch releases are made from, or set `controlled_branch:` in ddf.yaml to it".to_string(),
        [one] => format!("set `controlled_branch: {one}` in ddf.yaml (the branch releases are made from)"),
        many => format!(
            "set `controlled_branch:` in ddf.yaml to the branch releases are made from: one of {}",
            many.iter().take(10).map(|b| format!("`{b}`")).collect::<Vec<_>>().join(", ")
        ),
    };
    let pos = config
        .key_pos
        .get("controlled_branch")
        .copied()
        .unwrap_or(crate::diagnostic::Pos::new(1, 1));
    let sev = super::info("controlled-branch")
        .map_or(crate::diagnostic::Severity::Warning, |i| i.default);
    ctx.push(
        crate::diagnostic::Diagnostic::new(
            "controlled-branch",
            crate::config::CONFIG_FILE,
            message,
        )
        .at(Some(pos))
        .severity(sev)
        .hint(hint),
    );
}

/// First-parent commits of the controlled branch, newest first, from `since` (exclusive) on.
fn controlled_commits(ctx: &Ctx<'_>, h: &HistoryCtx<'_>) -> Vec<usize> {
    let Some(tip) = h
        .controlled_tip
        .as_deref()
        .and_then(|t| h.history.position(t))
    else {
        return Vec::new();
    };
    let stop: FxHashSet<usize> = h
        .since
        .as_deref()
        .map(|s| h.history.ancestors(s))
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut at = Some(tip);
    while let Some(i) = at {
        if stop.contains(&i) {
            break;
        }
        out.push(i);
        at = h.history.commits[i]
            .parents
            .first()
            .and_then(|p| h.history.position(p));
    }
    let _ = ctx;
    out
}

/// The record a commit-level finding is reported on: the named CR if it exists, else the first
/// record the commit changed that still exists.
fn anchor<'a>(ctx: &Ctx<'a>, c: &Commit, cr: Option<&str>) -> Option<&'a Record> {
    cr.and_then(|id| ctx.corpus.get(id))
        .or_else(|| c.changes.iter().find_map(|ch| ctx.corpus.get(&ch.id)))
}

/// `change-has-cr`: every change on the controlled branch that touches a record or a design
/// output's artifact carries `Change-Request:` naming an approved CR (ISO 13485 7.3.9).
fn change_has_cr(ctx: &mut Ctx<'_>, h: &HistoryCtx<'_>) {
    let corpus = ctx.corpus;
    let globs: Vec<String> = corpus
        .records_of("design-output")
        .iter()
        .flat_map(|&i| corpus.records[i].list("artifacts"))
        .collect();
    let artifacts = glob_set(&globs);
    for i in controlled_commits(ctx, h) {
        let c = &h.history.commits[i];
        let touches = !c.changes.is_empty()
            || artifacts
                .as_ref()
                .is_some_and(|s| c.paths.iter().any(|p| s.is_match(p)));
        if !touches {
            continue;
        }
        let crs = c.control().change_requests;
        if crs.is_empty() {
            if let Some(r) = anchor(ctx, c, None) {
                ctx.emit(
                    "change-has-cr",
                    r,
                    None,
                    format!("{} changed {} on the controlled branch without a `Change-Request:` trailer", describe_commit(c), r.id),
                    "merge changes to the DDF through a pull request whose merge commit carries `Change-Request: CR-...`; change control starts after the commit that first added ddf.yaml, or after the one `change_control_since` in ddf.yaml names",
                );
            }
            continue;
        }
        for cr in crs {
            let status = corpus
                .get(&cr)
                .filter(|r| r.type_name == "change-request")
                .map(|r| r.status().to_string());
            let problem = match status.as_deref() {
                None => Some(format!("names {cr}, which is no change request")),
                Some(s) if !CR_APPROVED.contains(&s) => {
                    Some(format!("names {cr}, whose status is `{s}`, not approved"))
                }
                _ => None,
            };
            if let (Some(p), Some(r)) = (problem, anchor(ctx, c, Some(&cr))) {
                ctx.emit("change-has-cr", r, r.index.value_pos("status"), format!("{} {p}", describe_commit(c)), "approve the CR (status approved, and a signed `Approve:` commit) before merging the change");
            }
        }
    }
}

/// `cr-before-merge`: a CR merged on the controlled branch has a complete impact assessment and a
/// valid approval that predates the merge, and nothing it approved changed in between.
fn cr_before_merge(ctx: &mut Ctx<'_>, h: &HistoryCtx<'_>) {
    let corpus = ctx.corpus;
    for i in controlled_commits(ctx, h) {
        let c = &h.history.commits[i];
        for cr in c.control().change_requests {
            let Some(r) = corpus.get(&cr).filter(|r| r.type_name == "change-request") else {
                continue;
            };
            let missing: Vec<&str> = ["impact", "cyber_impact"]
                .into_iter()
                .filter(|f| !r.has(f))
                .collect();
            if !missing.is_empty() {
                ctx.emit("cr-before-merge", r, None, format!("{cr} was merged in {} with no {}", describe_commit(c), missing.join(" or ")), "complete the impact assessment (ddf impact --write-cr proposes it) before the merge");
            }
            let approvals: Vec<_> = h
                .approvals
                .iter()
                .filter(|a| {
                    a.approve.contains(&cr)
                        && a.position != i
                        && h.history.is_ancestor(a.position, i)
                })
                .collect();
            match approvals.iter().find(|a| a.is_valid()) {
                None => {
                    let why = match approvals.first() {
                        Some(a) => format!(
                            "its approval {} does not count ({})",
                            &a.commit[..10],
                            a.status.label()
                        ),
                        None => "no signed `Approve:` commit precedes it".into(),
                    };
                    ctx.emit("cr-before-merge", r, None, format!("{cr} was merged in {}, but {why}", describe_commit(c)), "sign an approval commit (`Approve: CR-...`, `Signature-Meaning: approval`, `Signer: PER-...`) on the branch before merging");
                }
                Some(a) => {
                    for pin in a.approves.iter().filter(|p| p.blob.is_some()) {
                        let at_merge = blob_at(h.history, &pin.id, i);
                        let pinned = pin.blob.as_deref().unwrap_or("");
                        if !at_merge
                            .as_deref()
                            .is_some_and(|b| pinned.len() >= 7 && b.starts_with(pinned))
                        {
                            ctx.emit("cr-before-merge", r, None, format!("{} changed between its approval {} and the merge {} of {cr}, which voids the approval", pin.id, &a.commit[..10], c.short()), "approve the final content again before merging");
                        }
                    }
                }
            }
        }
    }
}

/// A suspect link: `field` of a record names `target`, which changed (at position `changed`)
/// after the record was last changed or approved (at `touched`). Positions: newest smallest,
/// -1 for uncommitted changes.
#[derive(Debug, Clone)]
pub struct Suspect {
    /// The link field.
    pub field: String,
    /// Index of the target record.
    pub target: usize,
    /// When the target last changed.
    pub changed: i64,
    /// When the source was last changed or approved.
    pub touched: i64,
}

/// The suspect links written on record `ai`.
pub fn suspects_of(
    corpus: &crate::corpus::Corpus,
    graph: &crate::graph::Graph,
    h: &HistoryCtx<'_>,
    marks: &Marks,
    ai: usize,
) -> Vec<Suspect> {
    let a = &corpus.records[ai];
    if a.status() == "obsolete" {
        return Vec::new();
    }
    let touched = suspect_baseline(h, a, marks);
    graph
        .out(ai)
        .iter()
        .filter(|e| e.trace)
        .filter_map(|e| {
            let changed = marks.of(&corpus.records[e.other].id);
            (changed < touched).then(|| Suspect {
                field: graph.field_name(e).to_string(),
                target: e.other,
                changed,
                touched,
            })
        })
        .collect()
}

/// A suspect link with what a reviewer needs to clear it: the target's changes since the
/// source was last looked at, and the diff of its body since then (what `ddf show` and the
/// site's record page print).
#[derive(Debug, Clone)]
pub struct SuspectDetail<'h> {
    /// The suspect link.
    pub suspect: Suspect,
    /// When the target changed, in words ([`describe`]).
    pub changed: String,
    /// When the source was last changed or approved, in words.
    pub since: String,
    /// The target's changes after that, newest first.
    pub changes: Vec<(&'h Commit, &'h crate::history::Change)>,
    /// Unified diff of the target's body from then to now (empty when the body did not change
    /// or the repository cannot be read).
    pub body_diff: String,
}

/// The suspect links written on record `ai`, each with the target's changes and body diff
/// since the source was last looked at. `repo` reads the old bodies; one it cannot read is an
/// error.
pub fn suspect_details<'h>(
    corpus: &crate::corpus::Corpus,
    graph: &crate::graph::Graph,
    h: &HistoryCtx<'h>,
    marks: &Marks,
    repo: Option<&git2::Repository>,
    ai: usize,
) -> Result<Vec<SuspectDetail<'h>>, crate::integrity::IntegrityError> {
    let history: &'h History = h.history;
    suspects_of(corpus, graph, h, marks, ai)
        .into_iter()
        .map(|s| {
            let b = &corpus.records[s.target];
            let changes = history
                .of_record(&b.id)
                .into_iter()
                .filter(|(c, _)| {
                    history
                        .position(&c.id)
                        .is_some_and(|p| (p as i64) < s.touched)
                })
                .collect();
            // The target's body as it was when the source was last looked at, against now.
            let then = usize::try_from(s.touched)
                .ok()
                .and_then(|p| blob_at(history, &b.id, p));
            let old_body = match (repo, then) {
                (Some(repo), Some(blob)) => crate::history::log::body_of_blob(
                    repo,
                    Some(&blob),
                    crate::integrity::Role::VersionOf(b.id.clone()),
                )?,
                _ => String::new(),
            };
            Ok(SuspectDetail {
                changed: describe(history, s.changed),
                since: describe(history, s.touched),
                changes,
                body_diff: crate::history::log::text_diff(&old_body, &b.body),
                suspect: s,
            })
        })
        .collect()
}

/// `suspect-link`: a link A -> B is suspect when B's content changed after A was last changed or
/// approved, so A may no longer hold for the new B.
fn suspect_link(ctx: &mut Ctx<'_>, h: &HistoryCtx<'_>, marks: &Marks) {
    let corpus = ctx.corpus;
    for ai in 0..corpus.records.len() {
        for s in suspects_of(corpus, ctx.graph, h, marks, ai) {
            let a = &corpus.records[ai];
            let b = &corpus.records[s.target];
            let pos = a.index.token_pos(&s.field, &b.id);
            ctx.emit(
                "suspect-link",
                a,
                pos,
                format!("link {} -> {} is suspect: {} changed in {} after {} was last changed or approved ({})", s.field, b.id, b.id, describe(h.history, s.changed), a.id, describe(h.history, s.touched)),
                &format!("review {} against the change (`ddf show {}` shows the diff), then commit {} or sign an approval of it", a.id, a.id, a.id),
            );
        }
    }
}

/// When record `a` was last looked at: its newest content change or the newest valid approval of
/// its current content, whichever is newer.
pub fn suspect_baseline(h: &HistoryCtx<'_>, a: &Record, marks: &Marks) -> Pos {
    let changed = marks.of(&a.id);
    let approved = h
        .approvals_of(&a.id)
        .filter(|ap| ap.is_valid() && covers(h.history, ap, &a.id, &a.blob))
        .map(|ap| ap.position as Pos)
        .min()
        .unwrap_or(Pos::MAX);
    changed.min(approved)
}
