//! The serialisable views the site templates render: one struct per page kind, built from the
//! corpus, the graph, the check report and (when there is one) the Git history.
//!
//! Everything a template sees is here and documented in `docs/site.md`; templates compute
//! nothing. Every list is in a stable order (path, id or schema order), so two builds of the same
//! commit give the same bytes.

use super::markdown;
use super::{Input, SiteError};
use crate::corpus::Corpus;
use crate::graph::{Graph, Reached};
use crate::integrity::IntegrityError;
use crate::record::Record;
use crate::rules::structure::is_valid_id;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What every page gets as `site`.
#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    /// `project` from ddf.yaml.
    pub project: String,
    /// `site.title` from ddf.yaml, else "`<project>` Design and Development File".
    pub title: String,
    /// The commit the site was built from (`worktree` for the working tree).
    pub commit: String,
    /// What the header says the site was built from: the short commit, or `working tree (HEAD
    /// <short commit>)`.
    pub built: String,
    /// Prefix from the page to the site root (`""` or `"../"`), for links and the stylesheet.
    pub root: String,
    /// The site's sections, for the navigation bar ([`NAV`]). Shared: every page's view holds
    /// the same bar.
    pub nav: Arc<[NavLink]>,
    /// The record types that have records, in schema order, for navigation (shared too).
    pub types: Arc<[TypeCount]>,
    /// `ddf <version>`.
    pub generator: String,
    /// For a working-tree build in Git: `uncommitted` when the DDF's files had uncommitted
    /// changes, `clean` when they had none; empty for `--rev` and outside Git.
    pub worktree: String,
    /// Whether `approved` statuses were checked against signatures: Git history was read and
    /// `status-signed` is not off. When false, the `badge` filter shows `approved` as "approval
    /// not verified".
    pub approvals_verified: bool,
    /// The day of the build (`DDF_TODAY` pins it, as for the date rules), printed in the footer
    /// of every printed page.
    pub build_date: String,
    /// The navigation part of the page header as written, once per folder depth (not part of
    /// the template context).
    #[serde(skip)]
    pub header: Arc<HeaderCache>,
}

/// The navigation part of the page header (search form, section and type bars) as the native
/// pages write it: it depends only on the page's `root`, and was written afresh for each of
/// tens of thousands of pages. Slot `k` holds it for a page `k` folders below the site root.
#[derive(Debug, Default)]
pub struct HeaderCache(pub(crate) [std::sync::OnceLock<String>; 4]);

/// An entry of the navigation bar.
#[derive(Debug, Clone, Serialize)]
pub struct NavLink {
    /// Page, relative to the site root.
    pub href: String,
    /// Label.
    pub label: String,
}

/// The navigation bar: (page relative to the site root, label), in reading order. Each section
/// module writes the page it names here.
pub const NAV: &[(&str, &str)] = &[
    ("index.html", "Home"),
    ("clauses.html", "Clauses"),
    ("trace.html", "Trace matrix"),
    ("risk.html", "Risk file"),
    ("security.html", "Security"),
    ("registers.html", "Registers"),
    ("changes.html", "Changes"),
    ("releases.html", "Releases"),
    ("check.html", "Check report"),
    ("search.html", "Search"),
];

/// A record type with its number of records.
#[derive(Debug, Clone, Serialize)]
pub struct TypeCount {
    /// Type name (`design-input`).
    pub name: String,
    /// Id prefix (`DI`).
    pub prefix: String,
    /// Regulatory clauses of the type.
    pub clause: String,
    /// Number of records of the type.
    pub count: usize,
    /// Link to the type's list page, relative to the site root.
    pub href: String,
}

/// A short reference to a record.
#[derive(Debug, Clone, Serialize)]
pub struct RecordRef {
    /// Record id.
    pub id: Arc<str>,
    /// Type name.
    #[serde(rename = "type")]
    pub type_name: Arc<str>,
    /// Title.
    pub title: Arc<str>,
    /// Status.
    pub status: Arc<str>,
    /// Link to the record page relative to the site root; `None` when the record has no page
    /// (an id that does not exist, is malformed or is duplicated).
    pub href: Option<String>,
}

/// Counts of findings of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    /// Rule id.
    pub rule: String,
    /// Findings at error severity.
    pub errors: usize,
    /// Findings at warning severity.
    pub warnings: usize,
    /// What the rule checks, in one line (empty for a rule ddf does not know).
    pub summary: String,
    /// The page listing the rule's findings (`check/<rule>.html`), relative to the site root.
    pub href: Option<String>,
}

/// The home page (`index.html`).
#[derive(Debug, Clone, Serialize)]
pub struct HomeView {
    /// Common fields.
    pub site: SiteView,
    /// Number of records.
    pub records: usize,
    /// Findings at error severity.
    pub errors: usize,
    /// Findings at warning severity.
    pub warnings: usize,
    /// Whether `ddf check` passes (no errors).
    pub passed: bool,
    /// Rules with findings, by rule id.
    pub rules: Vec<RuleCount>,
    /// `devices` from ddf.yaml.
    pub devices: Vec<String>,
    /// The commit the history was read from (HEAD, or `--rev`): short id, date and subject;
    /// `None` without history. With a working-tree build it is the commit under the edits.
    pub head: Option<String>,
    /// Trace coverage figures, in reading order (design, risk, security).
    pub coverage: Vec<CoverageView>,
    /// The releases, newest id first: the release selector.
    pub releases: Vec<super::releases::ReleaseLink>,
}

/// A coverage figure of the home page: how many records meet a criterion that `ddf check`
/// rules decide.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageView {
    /// What is counted (`Design inputs verified`).
    pub label: String,
    /// The rules whose findings decide it.
    pub rules: String,
    /// Records that meet it.
    pub covered: usize,
    /// Records considered (not obsolete).
    pub total: usize,
    /// `covered / total` as a percentage with one decimal (`87.5 %`), or `n/a` with none.
    pub percent: String,
    /// Records that do not meet it, by id.
    pub missing: Vec<RecordRef>,
}

/// A list page per type (`types/<type>.html`).
#[derive(Debug, Clone, Serialize)]
pub struct TypeView {
    /// Common fields.
    pub site: SiteView,
    /// The type.
    #[serde(rename = "type")]
    pub type_count: TypeCount,
    /// The type's help text from the schema.
    pub doc: String,
    /// Its records, in path order.
    pub records: Vec<RecordRef>,
}

/// A field of a record, as text.
#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    /// Field name.
    pub name: String,
    /// Value as text (lists joined with `, `, maps as YAML).
    pub value: String,
    /// Value as HTML (render with `| safe`): a list of maps as a table (columns: the union of
    /// the keys, first seen first), a map as a definition list, nested as written; every id of
    /// a record with a page, at any depth and inside text, a link. Escaped by ddf.
    pub html: String,
    /// The records a link or reference field names, in order (empty for other fields), so the
    /// ids are links on the page.
    pub records: Vec<RecordRef>,
}

/// A link of a record.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    /// Link field name (`traces_to`), or `body` for an id mentioned in the prose.
    pub field: String,
    /// The record at the other end.
    pub record: RecordRef,
}

/// A record reached by an upstream or downstream walk.
#[derive(Debug, Clone, Serialize)]
pub struct ChainView {
    /// Nesting depth in the tree (0 = linked directly to the page's record).
    pub depth: usize,
    /// The record.
    pub record: RecordRef,
    /// The documents and people linked to it by fields that are not trace links (its `owner`,
    /// a `benefit_risk` analysis, a DOC `about` it): the tree an auditor follows names them too.
    pub related: Vec<RelatedView>,
}

/// A document or person linked to a record of a trace tree.
#[derive(Debug, Clone, Serialize)]
pub struct RelatedView {
    /// The link field.
    pub field: String,
    /// Whether the link is written on the document or person (`about`), not on the record.
    pub inbound: bool,
    /// The document or person.
    pub record: RecordRef,
}

/// One revision of a record.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    /// Commit id.
    pub commit: String,
    /// First 10 characters of the commit id.
    pub short: String,
    /// Committer date and time, UTC.
    pub date: String,
    /// Author name.
    pub author: String,
    /// Commit subject.
    pub subject: String,
    /// `added`, `modified`, `renamed` or `deleted`.
    pub change: String,
    /// Field changes, `name: old -> new`.
    pub fields: Vec<String>,
}

/// An approval (electronic signature) of the record's current content.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalView {
    /// Printed name of the signer (from the PER record).
    pub printed_name: String,
    /// The `Signer:` PER id.
    pub signer: String,
    /// Date and time of signing, UTC.
    pub time: String,
    /// Meaning of the signature.
    pub meaning: String,
    /// Git's verdict on the signature, as printed (`valid signature`, `UNSIGNED`, ...).
    pub status: String,
    /// Whether the approval counts.
    pub valid: bool,
    /// Why it does not count, beyond the signature.
    pub problems: Vec<String>,
    /// The approval commit.
    pub commit: String,
    /// First 10 characters of the approval commit id.
    pub short: String,
    /// The manifestation line (21 CFR 11.50) as `ddf show` prints it.
    pub manifestation: String,
    /// The signing key's fingerprint, as Git reports it (empty for an unsigned commit).
    pub fingerprint: String,
    /// Why the key was the signer's trusted key then (trust root, or enrolment approved by whom).
    pub key_trust: String,
    /// The signer's person page, relative to the site root, when it has one.
    pub signer_href: Option<String>,
    /// The approval commit's entry in the change log (`changes.html#commit-<id>`), relative to
    /// the site root, when the log lists it.
    pub log_href: Option<String>,
}

/// An approval a person signed, on their person page.
#[derive(Debug, Clone, Serialize)]
pub struct SignedView {
    /// The records (and change requests) it approves, in trailer order.
    pub records: Vec<RecordRef>,
    /// The approval, with its manifestation.
    pub approval: ApprovalView,
}

/// A finding of `ddf check`.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    /// Rule id.
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    /// Record id, where known.
    pub record: Option<String>,
    /// Link to the record page, where it has one.
    pub href: Option<String>,
    /// File path relative to the DDF root.
    pub path: String,
    /// 1-based line, where known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// A record page (`records/<ID>.html`).
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    /// Common fields.
    pub site: SiteView,
    /// The record itself (id, type, title, status, href).
    pub record: RecordRef,
    /// Its audit trace walk (`walk/<ID>.html`, relative to the site root), for the entry types
    /// of the walk (hazard, hazardous situation, threat, component).
    pub walk: Option<String>,
    /// Path of the record file relative to the DDF root.
    pub path: String,
    /// Fields other than id, type, title and status, in file order.
    pub fields: Vec<FieldView>,
    /// The body as sanitised HTML, ids in the prose linked.
    pub body_html: String,
    /// Links written on this record, in file order.
    pub links_out: Vec<LinkView>,
    /// Links other records write to this one, by field then id.
    pub links_in: Vec<LinkView>,
    /// Records this one mentions without a link field: ids in the body (`field` is `body`) and
    /// in other fields at any depth (`field` is the field's name), body first, each once.
    pub mentions: Vec<LinkView>,
    /// Records that mention this one in their body or fields (the inverse of `mentions`), by id.
    pub mentioned_by: Vec<LinkView>,
    /// The places in the code whose `ddf: ID` comment tag names this record (`path:line`).
    pub implemented_in: Vec<String>,
    /// Upstream trace, as a tree in depth-first order (the first [`TREE_LIMIT`] records).
    pub upstream: Vec<ChainView>,
    /// Number of upstream records.
    pub upstream_total: usize,
    /// Downstream trace, as a tree in depth-first order (the first [`TREE_LIMIT`] records).
    pub downstream: Vec<ChainView>,
    /// Number of downstream records.
    pub downstream_total: usize,
    /// Whether history was read (the DDF is in a Git repository with commits).
    pub has_history: bool,
    /// Revisions, newest first.
    pub history: Vec<RevisionView>,
    /// Approvals of the current content, newest first.
    pub approvals: Vec<ApprovalView>,
    /// The files of the other records with this id (`duplicate-id`), which have no page of
    /// their own: the page warns that the id is not unique. Empty when it is.
    pub duplicates: Vec<String>,
    /// `ddf check` findings about this record.
    pub findings: Vec<FindingView>,
    /// For a person: the approvals they signed (whatever they cover now), newest first; empty
    /// without history.
    pub signed: Vec<SignedView>,
    /// Links written here whose target changed after this record was last changed or approved
    /// (`suspect-link`), with the target's changes and body diff since; empty without history.
    pub suspect_links: Vec<SuspectLinkView>,
}

/// A suspect link of a record page, as `ddf show` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct SuspectLinkView {
    /// The link field (`traces_to`).
    pub field: String,
    /// The target.
    pub target: RecordRef,
    /// When the target changed: short commit, date and subject (or uncommitted changes).
    pub changed: String,
    /// When this record was last changed or approved, in the same words.
    pub since: String,
    /// The target's revisions since then, newest first, with field changes.
    pub changes: Vec<RevisionView>,
    /// Unified diff of the target's body since then; empty when the body did not change.
    pub body_diff: String,
}

/// A cell of the trace matrix page.
#[derive(Debug, Clone, Serialize)]
pub struct TraceCellView {
    /// Records in the cell.
    pub records: Vec<TraceRecordView>,
    /// Whether the column is a gap in this row.
    pub gap: bool,
    /// Whether the cell repeats the one above it (the start column of consecutive rows from one
    /// start record), so the page can mute it.
    pub repeat: bool,
}

/// A record in a trace matrix cell.
#[derive(Debug, Clone, Serialize)]
pub struct TraceRecordView {
    /// The record.
    pub record: RecordRef,
    /// `result` of a verification or validation.
    pub result: Option<String>,
}

/// One trace matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixView {
    /// The start type.
    pub from: String,
    /// Column type names.
    pub columns: Vec<String>,
    /// Rows: one cell per column.
    pub rows: Vec<Vec<TraceCellView>>,
    /// Number of rows with a gap.
    pub rows_with_gaps: usize,
    /// The CSV download of this matrix, relative to the site root.
    pub csv: String,
}

/// The trace matrix page (`trace.html`).
#[derive(Debug, Clone, Serialize)]
pub struct TraceView {
    /// Common fields.
    pub site: SiteView,
    /// One matrix per start type that has records.
    pub matrices: Vec<MatrixView>,
}

/// The check report page (`check.html`).
#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    /// Common fields.
    pub site: SiteView,
    /// Number of records.
    pub records: usize,
    /// Findings at error severity.
    pub errors: usize,
    /// Findings at warning severity.
    pub warnings: usize,
    /// Rules with findings, each linked to its page of findings.
    pub rules: Vec<RuleCount>,
    /// Every finding, sorted by path, line, rule, when there are at most [`CHECK_LIST_LIMIT`];
    /// otherwise none, and the findings are read on the rules' pages.
    pub findings: Vec<FindingView>,
    /// Whether `findings` lists every finding.
    pub listed: bool,
}

/// The most findings `check.html` lists itself; above it (tens of thousands on a large DDF
/// without signed approvals, a page of many megabytes) it links each rule's page instead.
pub const CHECK_LIST_LIMIT: usize = 1000;

/// The findings of one rule (`check/<rule>.html`).
#[derive(Debug, Clone, Serialize)]
pub struct CheckRuleView {
    /// Common fields (root `../`).
    pub site: SiteView,
    /// The rule, with its counts.
    pub rule: RuleCount,
    /// The clause the rule serves (empty for a rule ddf does not know).
    pub source: String,
    /// The rule's findings, sorted by path, line.
    pub findings: Vec<FindingView>,
}

/// The record indices that get a page: a well-formed id, and the first record with that id
/// (the one links resolve to). A page path is built from nothing else.
pub(crate) fn has_page(corpus: &Corpus, i: usize) -> bool {
    let id = &corpus.records[i].id;
    is_valid_id(id) && corpus.by_id.get(id) == Some(&i)
}

/// The page of record `id`, relative to the site root, if it has one.
pub(crate) fn record_href(corpus: &Corpus, id: &str) -> Option<String> {
    // `has_page` of the record `by_id` names, without looking the id up a second time: every
    // record reference on every page asks this.
    (corpus.by_id.contains_key(id) && is_valid_id(id)).then(|| format!("records/{id}.html"))
}

/// Whether `name` (a type name, a rule id) may become a file name: only lowercase letters,
/// digits and `-` qualify.
fn file_name_safe(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The list page of type `name`, when the name may become a file name.
pub(crate) fn type_href(name: &str) -> Option<String> {
    file_name_safe(name).then(|| format!("types/{name}.html"))
}

/// How pages name record `r`, one of the corpus's records.
pub(crate) fn record_ref(corpus: &Corpus, r: &Record) -> RecordRef {
    match corpus.index_of(r) {
        Some(i) => ref_at(corpus, i),
        None => named(&crate::corpus::Name::of(r)),
    }
}

/// How pages name record `i` of the corpus.
pub(crate) fn ref_at(corpus: &Corpus, i: usize) -> RecordRef {
    named(corpus.name(i))
}

fn named(name: &crate::corpus::Name) -> RecordRef {
    RecordRef {
        // What `record_href` answers for a record of the corpus: its id is indexed (unless it
        // is empty, which is not a valid id), so only the form of the id is left to check.
        href: is_valid_id(&name.id).then(|| format!("records/{}.html", name.id)),
        id: name.id.clone(),
        type_name: name.type_name.clone(),
        title: name.title.clone(),
        status: name.status.clone(),
    }
}

pub(crate) fn ref_of_id(corpus: &Corpus, id: &str) -> RecordRef {
    match corpus.by_id.get(id) {
        Some(&i) => ref_at(corpus, i),
        None => RecordRef {
            id: id.into(),
            type_name: "".into(),
            title: match corpus.unread_with_id(id) {
                Some(u) => format!("(its file {} cannot be read)", u.path).into(),
                None => "(does not exist)".into(),
            },
            status: "".into(),
            href: None,
        },
    }
}

/// The fields of `r` other than id, type, title and status, in file order, ids of link and
/// reference fields resolved so pages link them. Ids written in values link from a page one
/// folder below the site root (`records/`, `releases/`).
pub(crate) fn field_views(corpus: &Corpus, r: &Record) -> Vec<FieldView> {
    let href = |id: &str| record_href(corpus, id).map(|h| format!("../{h}"));
    r.fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "id" | "type" | "title" | "status"))
        .map(|(k, v)| FieldView {
            name: k.clone(),
            value: value_text(v),
            html: super::fields::value_html(v, &href),
            records: r
                .links
                .iter()
                .filter(|l| l.field == *k)
                .map(|l| ref_of_id(corpus, &l.target))
                .collect(),
        })
        .collect()
}

/// The header's "built from": a commit by its first 10 characters; the working tree with the
/// commit it sits on, when there is one.
fn built_from(input: &Input<'_>) -> String {
    let source = &input.corpus.source;
    if source == "worktree" {
        let head = input
            .history
            .as_ref()
            .and_then(|h| h.history.tip.as_deref())
            .map(|t| t.chars().take(10).collect::<String>());
        return match head {
            Some(h) => format!("working tree (HEAD {h})"),
            None => "working tree".into(),
        };
    }
    let is_id = source.len() == 40 && source.bytes().all(|b| b.is_ascii_hexdigit());
    if is_id {
        source.chars().take(10).collect()
    } else {
        source.clone()
    }
}

/// The common part of every page.
pub fn site(input: &Input<'_>) -> SiteView {
    let corpus = input.corpus;
    let types = corpus
        .config
        .schema
        .types
        .values()
        .filter_map(|t| {
            let count = corpus.records_of(&t.name).len();
            let href = type_href(&t.name)?;
            (count > 0).then(|| TypeCount {
                name: t.name.clone(),
                prefix: t.prefix.clone(),
                clause: t.clause.clone(),
                count,
                href,
            })
        })
        .collect();
    SiteView {
        project: corpus.config.project.clone(),
        title: corpus
            .config
            .site
            .title
            .clone()
            .unwrap_or_else(|| format!("{} Design and Development File", corpus.config.project)),
        commit: corpus.source.clone(),
        built: built_from(input),
        root: String::new(),
        nav: NAV
            .iter()
            .map(|(href, label)| NavLink {
                href: (*href).to_string(),
                label: (*label).to_string(),
            })
            .collect(),
        types,
        generator: format!("ddf {}", env!("CARGO_PKG_VERSION")),
        worktree: match input.uncommitted {
            Some(true) => "uncommitted".into(),
            Some(false) => "clean".into(),
            None => String::new(),
        },
        approvals_verified: input.history.is_some()
            && corpus
                .config
                .severity_of("status-signed", crate::diagnostic::Severity::Error)
                .is_some(),
        build_date: crate::date::Date::today().to_string(),
        header: Arc::default(),
    }
}

/// `site` for a page `root` away from the site root (`""` or `"../"`).
pub(crate) fn at_depth(site: &SiteView, root: &str) -> SiteView {
    SiteView {
        root: root.to_string(),
        ..site.clone()
    }
}

fn rule_counts(report: &crate::check::Report) -> Vec<RuleCount> {
    let mut by_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for d in &report.diagnostics {
        let e = by_rule.entry(d.rule).or_default();
        if d.severity == crate::diagnostic::Severity::Error {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    by_rule
        .into_iter()
        .map(|(rule, (errors, warnings))| RuleCount {
            rule: rule.to_string(),
            errors,
            warnings,
            summary: crate::rules::RULES
                .iter()
                .find(|r| r.id == rule)
                .map(|r| r.summary.to_string())
                .unwrap_or_default(),
            href: rule_href(rule),
        })
        .collect()
}

/// The page of rule `rule`'s findings, when the id may become a file name (every rule of ddf's
/// may).
fn rule_href(rule: &str) -> Option<String> {
    file_name_safe(rule).then(|| format!("check/{rule}.html"))
}

fn finding(corpus: &Corpus, d: &crate::diagnostic::Diagnostic) -> FindingView {
    FindingView {
        rule: d.rule.to_string(),
        severity: format!("{:?}", d.severity).to_lowercase(),
        record: d.record.clone(),
        href: d.record.as_deref().and_then(|id| record_href(corpus, id)),
        path: d.path.clone(),
        line: d.line,
        message: d.message.clone(),
    }
}

/// The home page.
pub fn home(input: &Input<'_>, site: &SiteView) -> HomeView {
    let r = input.report;
    HomeView {
        site: at_depth(site, ""),
        records: r.records,
        errors: r.errors,
        warnings: r.warnings,
        passed: r.passed(),
        rules: rule_counts(r),
        devices: input.corpus.config.devices.clone(),
        head: input.history.as_ref().and_then(|h| {
            let c = h.history.commit(h.history.tip.as_deref()?)?;
            Some(format!(
                "{} ({}, \"{}\")",
                c.short(),
                crate::history::approval::format_time(c.committer_time),
                c.summary
            ))
        }),
        coverage: coverage(input),
        releases: super::releases::release_links(input.corpus),
    }
}

fn coverage_view(
    corpus: &Corpus,
    label: &str,
    rules: &str,
    total: usize,
    missing: &[String],
) -> CoverageView {
    let covered = total.saturating_sub(missing.len());
    CoverageView {
        label: label.to_string(),
        rules: rules.to_string(),
        covered,
        total,
        percent: if total == 0 {
            "n/a".into()
        } else {
            format!("{:.1} %", 100.0 * covered as f64 / total as f64)
        },
        missing: missing.iter().map(|id| ref_of_id(corpus, id)).collect(),
    }
}

/// The coverage figures. What "verified", "validated" and "controlled" mean is what the rules
/// of `ddf check` decide: a record counts when the rule reports nothing about it. The design and
/// threat figures are those of the management-review snapshot (`ddf review`); hazardous
/// situations and risk controls are counted the same way from `hs-controlled` and `rc-verified`.
fn coverage(input: &Input<'_>) -> Vec<CoverageView> {
    let corpus = input.corpus;
    let tc = crate::review::trace_coverage(corpus, input.graph, input.report);
    let flagged = |ty: &str, rule: &str| -> (usize, Vec<String>) {
        let bad: std::collections::BTreeSet<&str> = input
            .report
            .diagnostics
            .iter()
            .filter(|d| d.rule == rule)
            .filter_map(|d| d.record.as_deref())
            .collect();
        let live: Vec<&Record> = corpus
            .records_of(ty)
            .iter()
            .map(|&i| &corpus.records[i])
            .filter(|r| r.status() != "obsolete")
            .collect();
        let mut missing: Vec<String> = live
            .iter()
            .filter(|r| bad.contains(r.id.as_str()))
            .map(|r| r.id.clone())
            .collect();
        missing.sort();
        (live.len(), missing)
    };
    let (hs_total, hs_missing) = flagged("hazardous-situation", "hs-controlled");
    let (rc_total, rc_missing) = flagged("risk-control", "rc-verified");
    vec![
        coverage_view(
            corpus,
            "Design inputs verified",
            "di-verified",
            tc.di_verified.total,
            &tc.di_verified.missing,
        ),
        coverage_view(
            corpus,
            "Approved user needs validated",
            "un-validated",
            tc.un_validated.total,
            &tc.un_validated.missing,
        ),
        coverage_view(
            corpus,
            "Hazardous situations controlled",
            "hs-controlled",
            hs_total,
            &hs_missing,
        ),
        coverage_view(
            corpus,
            "Risk controls verified (implementation and effectiveness)",
            "rc-verified",
            rc_total,
            &rc_missing,
        ),
        coverage_view(
            corpus,
            "Threats controlled (complete chain)",
            "threat-disposition, threat-controlled, cyber-chain",
            tc.thr_complete_chain.total,
            &tc.thr_complete_chain.missing,
        ),
    ]
}

/// The check report page.
pub fn check(input: &Input<'_>, site: &SiteView) -> CheckView {
    let r = input.report;
    let listed = r.diagnostics.len() <= CHECK_LIST_LIMIT;
    CheckView {
        site: at_depth(site, ""),
        records: r.records,
        errors: r.errors,
        warnings: r.warnings,
        rules: rule_counts(r),
        findings: if listed {
            r.diagnostics
                .iter()
                .map(|d| finding(input.corpus, d))
                .collect()
        } else {
            Vec::new()
        },
        listed,
    }
}

/// The page of each rule with findings, with its path.
pub fn check_rules(input: &Input<'_>, site: &SiteView) -> Vec<(String, CheckRuleView)> {
    let r = input.report;
    let site = at_depth(site, "../");
    // One pass over the findings, which stay in report order within each rule.
    let mut by_rule: BTreeMap<&str, Vec<FindingView>> = BTreeMap::new();
    for d in &r.diagnostics {
        by_rule
            .entry(d.rule)
            .or_default()
            .push(finding(input.corpus, d));
    }
    rule_counts(r)
        .into_iter()
        .filter_map(|rule| {
            let href = rule.href.clone()?;
            let findings = by_rule.remove(rule.rule.as_str()).unwrap_or_default();
            let source = crate::rules::RULES
                .iter()
                .find(|x| x.id == rule.rule)
                .map(|x| x.source.to_string())
                .unwrap_or_default();
            Some((
                href,
                CheckRuleView {
                    site: site.clone(),
                    rule,
                    source,
                    findings,
                },
            ))
        })
        .collect()
}

/// The list page of type `t` (one of `site.types`); its path is `t.href`.
pub fn type_page(input: &Input<'_>, site: &SiteView, t: &TypeCount) -> TypeView {
    let corpus = input.corpus;
    TypeView {
        site: at_depth(site, "../"),
        type_count: t.clone(),
        doc: corpus
            .config
            .schema
            .get(&t.name)
            .map(|d| d.doc.clone())
            .unwrap_or_default(),
        records: corpus
            .records_of(&t.name)
            .iter()
            .map(|&i| ref_at(corpus, i))
            .collect(),
    }
}

/// The trace matrices, with the CSV text of each (path, text).
pub fn trace(input: &Input<'_>, site: &SiteView) -> (TraceView, Vec<(String, String)>) {
    // The matrices are independent, and on a large DDF each costs as much as many pages.
    use rayon::prelude::*;
    let built: Vec<(MatrixView, (String, String))> = crate::trace::START_TYPES
        .par_iter()
        .filter_map(|&from| trace_matrix(input, from))
        .collect();
    // `collect` keeps START_TYPES order, so the page is the same on every build.
    let (matrices, csvs): (Vec<_>, Vec<_>) = built.into_iter().unzip();
    (
        TraceView {
            site: at_depth(site, ""),
            matrices,
        },
        csvs,
    )
}

/// The trace matrix from start type `from` and its CSV download (path, text), or `None` when
/// the DDF has no record of that type. [`trace`] is every matrix, in
/// [`crate::trace::START_TYPES`] order.
pub fn trace_matrix(input: &Input<'_>, from: &str) -> Option<(MatrixView, (String, String))> {
    let corpus = input.corpus;
    if corpus.records_of(from).is_empty() {
        return None;
    }
    let m = crate::trace::matrix(corpus, input.graph, from)?;
    let csv = format!("trace-{from}.csv");
    let mut rows: Vec<Vec<TraceCellView>> = m
        .rows
        .iter()
        .map(|row| {
            row.cells
                .iter()
                .zip(&m.columns)
                .map(|(cs, col)| TraceCellView {
                    records: cs
                        .iter()
                        .map(|c| TraceRecordView {
                            record: ref_of_id(corpus, &c.id),
                            result: c.result.clone(),
                        })
                        .collect(),
                    gap: row.gaps.contains(col),
                    repeat: false,
                })
                .collect()
        })
        .collect();
    for k in 1..rows.len() {
        let same = |a: &TraceCellView, b: &TraceCellView| {
            !a.records.is_empty()
                && a.records.len() == b.records.len()
                && a.records
                    .iter()
                    .zip(&b.records)
                    .all(|(x, y)| x.record.id == y.record.id)
        };
        let repeat = match (rows[k - 1].first(), rows[k].first()) {
            (Some(a), Some(b)) => same(a, b),
            _ => false,
        };
        if let Some(first) = rows[k].first_mut() {
            first.repeat = repeat;
        }
    }
    let text = m.csv();
    Some((
        MatrixView {
            from: m.from,
            columns: m.columns,
            rows,
            rows_with_gaps: m.rows_with_gaps,
            csv: csv.clone(),
        },
        (csv, text),
    ))
}

/// A field value as text: scalars as written, lists of scalars joined with `, `, the rest as YAML.
pub(crate) fn value_text(v: &serde_yaml::Value) -> String {
    use crate::record::scalar_str;
    use serde_yaml::Value;
    if let Some(s) = scalar_str(v) {
        return s.into_owned();
    }
    match v {
        Value::Null => String::new(),
        Value::Sequence(items) if items.iter().all(|i| scalar_str(i).is_some()) => {
            let mut out = String::new();
            for (k, item) in items.iter().filter_map(scalar_str).enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                out.push_str(&item);
            }
            out
        }
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim_end()
            .to_string(),
    }
}

/// The most records a record page lists in its upstream or downstream tree. A hub record (a
/// release, a plan) reaches thousands on a large DDF; past this the page says how many more and
/// points to the trace matrix and the audit trace walks, which show the chains by start record.
pub const TREE_LIMIT: usize = 250;

/// Orders a walk's records as a tree (each under the record it was reached through), depth
/// first, children in the walk's order.
fn tree(corpus: &Corpus, graph: &Graph, start: usize, reached: &[Reached]) -> Vec<ChainView> {
    let mut children: BTreeMap<usize, Vec<&Reached>> = BTreeMap::new();
    for r in reached {
        let parent = if r.via.len() >= 2 {
            r.via[r.via.len() - 2]
        } else {
            start
        };
        children.entry(parent).or_default().push(r);
    }
    let mut out = Vec::with_capacity(reached.len().min(TREE_LIMIT));
    // Explicit stack: a long chain must not overflow the thread's stack.
    let mut stack: Vec<(usize, usize)> = children
        .get(&start)
        .map(|cs| cs.iter().rev().map(|r| (r.index, 0)).collect())
        .unwrap_or_default();
    while let Some((i, depth)) = stack.pop() {
        if out.len() == TREE_LIMIT {
            break;
        }
        out.push(ChainView {
            depth,
            record: ref_at(corpus, i),
            related: related(corpus, graph, i),
        });
        if let Some(cs) = children.get(&i) {
            stack.extend(cs.iter().rev().map(|r| (r.index, depth + 1)));
        }
    }
    out
}

/// The documents and people linked to record `i` by non-trace links, written on it first, in
/// the order written (its `owner`, a `benefit_risk` analysis), then the documents that name it
/// in a non-trace field other than `owner`. What a person owns is not listed: on a person's
/// line that would be every document they own, which says nothing about the trace.
fn related(corpus: &Corpus, graph: &Graph, i: usize) -> Vec<RelatedView> {
    let wanted = |j: usize| matches!(corpus.type_of(j), "document" | "person");
    let view = |e: &crate::graph::Edge, inbound: bool| RelatedView {
        field: graph.field_name(e).to_string(),
        inbound,
        record: ref_at(corpus, e.other),
    };
    graph
        .out(i)
        .iter()
        .filter(|e| !e.trace && wanted(e.other))
        .map(|e| view(e, false))
        .chain(
            graph
                .inc(i)
                .iter()
                .filter(|e| {
                    !e.trace
                        && corpus.type_of(e.other) == "document"
                        && graph.field_name(e) != "owner"
                })
                .map(|e| view(e, true)),
        )
        .collect()
}

/// A revision of a record: the commit and the record's change in it.
pub(crate) fn revision_view(
    c: &crate::history::Commit,
    ch: &crate::history::Change,
) -> RevisionView {
    RevisionView {
        commit: c.id.clone(),
        short: c.short().to_string(),
        date: crate::history::approval::format_time(c.committer_time),
        author: c.author.clone(),
        subject: c.summary.clone(),
        change: format!("{:?}", ch.kind).to_lowercase(),
        fields: ch.fields.iter().map(|f| f.summary()).collect(),
    }
}

/// An approval with its Part 11 manifestation.
pub(crate) fn approval_view(a: &crate::history::approval::Approval) -> ApprovalView {
    ApprovalView {
        printed_name: a
            .printed_name
            .clone()
            .unwrap_or_else(|| "unknown signer".into()),
        signer: a.signer.clone().unwrap_or_default(),
        time: crate::history::approval::format_time(a.time),
        meaning: a
            .meaning
            .clone()
            .unwrap_or_else(|| "no meaning stated".into()),
        status: a.status.label().to_string(),
        valid: a.is_valid(),
        problems: a.problems.clone(),
        commit: a.commit.clone(),
        short: a.commit.chars().take(10).collect(),
        manifestation: a.manifestation(),
        fingerprint: a.fingerprint.clone(),
        key_trust: a.key_trust.clone(),
        signer_href: None,
        log_href: None,
    }
}

/// [`approval_view`] with the signer linked to their person page and the commit to its entry in
/// the change log (when `logged`, the change log's commits, holds it).
pub(crate) fn approval_link_view(
    corpus: &Corpus,
    logged: &rustc_hash::FxHashSet<String>,
    a: &crate::history::approval::Approval,
) -> ApprovalView {
    ApprovalView {
        signer_href: a.signer.as_deref().and_then(|s| record_href(corpus, s)),
        log_href: logged
            .contains(&a.commit)
            .then(|| format!("changes.html#commit-{}", a.commit)),
        ..approval_view(a)
    }
}

/// The check findings of each record id, indexed once so a record page does not scan every
/// finding of a large DDF.
pub fn findings_by_record(
    report: &crate::check::Report,
) -> BTreeMap<&str, Vec<&crate::diagnostic::Diagnostic>> {
    let mut by: BTreeMap<&str, Vec<&crate::diagnostic::Diagnostic>> = BTreeMap::new();
    for d in &report.diagnostics {
        if let Some(id) = d.record.as_deref() {
            by.entry(id).or_default().push(d);
        }
    }
    by
}

/// What every record page reads from the whole corpus, computed once per build so each page
/// costs only its own records.
pub struct Shared<'a> {
    /// [`findings_by_record`] of the input's report.
    pub findings: BTreeMap<&'a str, Vec<&'a crate::diagnostic::Diagnostic>>,
    /// Every mention, both ways.
    pub mentions: crate::mentions::Index,
    /// The commits the change log lists, for links from approvals.
    pub logged: &'a rustc_hash::FxHashSet<String>,
    /// Every approval by its `Signer:`, newest first.
    pub by_signer: BTreeMap<&'a str, Vec<&'a crate::history::approval::Approval>>,
}

impl<'a> Shared<'a> {
    /// Indexes `input` once; `logged` is the change log's commits.
    pub fn new(input: &Input<'a>, logged: &'a rustc_hash::FxHashSet<String>) -> Shared<'a> {
        let mut by_signer: BTreeMap<&str, Vec<&crate::history::approval::Approval>> =
            BTreeMap::new();
        if let Some(h) = &input.history {
            for a in h.approvals {
                if let Some(s) = a.signer.as_deref() {
                    by_signer.entry(s).or_default().push(a);
                }
            }
        }
        Shared {
            findings: findings_by_record(input.report),
            mentions: crate::mentions::Index::new(input.corpus),
            logged,
            by_signer,
        }
    }
}

/// The page of record `i` (which must have one: `has_page`).
pub fn record(
    input: &Input<'_>,
    site: &SiteView,
    shared: &Shared<'_>,
    i: usize,
) -> Result<RecordView, SiteError> {
    let findings = &shared.findings;
    let corpus = input.corpus;
    let graph = input.graph;
    let r = &corpus.records[i];
    let fields = field_views(corpus, r);
    let link = |field: &str, id: &str| LinkView {
        field: field.to_string(),
        record: ref_of_id(corpus, id),
    };
    let mut links_in: Vec<LinkView> = graph
        .inc(i)
        .iter()
        .map(|e| link(graph.field_name(e), &corpus.records[e.other].id))
        .collect();
    links_in.sort_by(|a, b| (&a.field, &a.record.id).cmp(&(&b.field, &b.record.id)));
    // Record pages sit in `records/`, next to each other.
    let body_href = |id: &str| record_href(corpus, id).map(|h| format!("../{h}"));
    let mention_views = |ms: Option<&Vec<crate::mentions::Mention>>| -> Vec<LinkView> {
        ms.map(|ms| {
            ms.iter()
                .map(|m| LinkView {
                    field: m.field.clone(),
                    record: ref_at(corpus, m.record),
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let mentions = mention_views(shared.mentions.out.get(i));
    let mentioned_by = mention_views(shared.mentions.inc.get(i));
    let (history, approvals) = match &input.history {
        Some(h) => (
            h.history
                .of_record(&r.id)
                .into_iter()
                .map(|(c, ch)| revision_view(c, ch))
                .collect(),
            h.ctx
                .approvals_of(&r.id)
                .filter(|a| crate::history::approval::covers(h.history, a, &r.id, &r.blob))
                .map(|a| approval_link_view(corpus, shared.logged, a))
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let (up, down) = (graph.upstream(i), graph.downstream(i));
    Ok(RecordView {
        site: at_depth(site, "../"),
        record: record_ref(corpus, r),
        walk: super::walk::walk_href(corpus, i),
        path: r.path.clone(),
        duplicates: corpus
            .records_with_id(&r.id)
            .into_iter()
            .filter(|&j| j != i)
            .map(|j| corpus.records[j].path.clone())
            .collect(),
        fields,
        body_html: markdown::render(&r.body, &body_href),
        links_out: r.links.iter().map(|l| link(&l.field, &l.target)).collect(),
        links_in,
        mentions,
        mentioned_by,
        implemented_in: input
            .code_tags
            .get(&r.id)
            .map(|ts| {
                ts.iter()
                    .map(|t| format!("{}:{}", t.path, t.line))
                    .collect()
            })
            .unwrap_or_default(),
        upstream_total: up.len(),
        upstream: tree(corpus, graph, i, &up),
        downstream_total: down.len(),
        downstream: tree(corpus, graph, i, &down),
        has_history: input.history.is_some(),
        history,
        approvals,
        signed: shared
            .by_signer
            .get(r.id.as_str())
            .filter(|_| r.type_name == "person")
            .map(|v| {
                v.iter()
                    .map(|a| SignedView {
                        records: a
                            .approves
                            .iter()
                            .map(|p| p.id.as_str())
                            .chain(a.approve.iter().map(String::as_str))
                            .map(|id| ref_of_id(corpus, id))
                            .collect(),
                        approval: approval_link_view(corpus, shared.logged, a),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        findings: findings
            .get(r.id.as_str())
            .map(|ds| ds.iter().map(|d| finding(corpus, d)).collect())
            .unwrap_or_default(),
        suspect_links: suspect_links(input, i)?,
    })
}

thread_local! {
    /// The repository each rendering thread reads old bodies from: opening one costs more than
    /// most pages (config, refs, pack indexes), and a `Repository` cannot be shared by threads.
    static REPOSITORY: std::cell::RefCell<Option<(std::path::PathBuf, git2::Repository)>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with this thread's repository at `workdir` (opened on first use). The history was
/// read from it, so failing to open it now is an error, not a page without its diffs.
fn with_repository<T>(
    workdir: &std::path::Path,
    f: impl FnOnce(&git2::Repository) -> Result<T, IntegrityError>,
) -> Result<T, SiteError> {
    REPOSITORY.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(dir, _)| dir != workdir) {
            let repo = git2::Repository::discover(workdir).map_err(|e| {
                SiteError::Repository(format!("{}: {}", workdir.display(), e.message()))
            })?;
            *slot = Some((workdir.to_path_buf(), repo));
        }
        match slot.as_ref() {
            Some((_, repo)) => Ok(f(repo)?),
            None => Err(SiteError::Repository(workdir.display().to_string())),
        }
    })
}

/// The suspect links of record `i` with the details a reviewer needs (shared with `ddf show`).
fn suspect_links(input: &Input<'_>, i: usize) -> Result<Vec<SuspectLinkView>, SiteError> {
    let Some(h) = &input.history else {
        return Ok(Vec::new());
    };
    let corpus = input.corpus;
    // Only a record with a suspect link needs the repository (for the old body).
    let suspects = crate::rules::change::suspects_of(corpus, input.graph, h.ctx, h.marks, i);
    if suspects.is_empty() {
        return Ok(Vec::new());
    }
    Ok(with_repository(&h.history.workdir, |repo| {
        crate::rules::change::suspect_details(corpus, input.graph, h.ctx, h.marks, Some(repo), i)
    })?
    .into_iter()
    .map(|d| SuspectLinkView {
        field: d.suspect.field.clone(),
        target: ref_at(corpus, d.suspect.target),
        changed: d.changed,
        since: d.since,
        changes: d
            .changes
            .into_iter()
            .map(|(c, ch)| revision_view(c, ch))
            .collect(),
        body_diff: d.body_diff,
    })
    .collect())
}
