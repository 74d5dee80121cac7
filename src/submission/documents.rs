//! The documents of the package, one function each, in the order of FDA's premarket
//! cybersecurity guidance and eSTAR ([`DOCUMENTS`]). A document reads the records through
//! [`Ctx`] and fills a [`Doc`]; adding one is a function and a line in [`DOCUMENTS`].
//!
//! A document says plainly what is not recorded ("No software items are recorded."): that is a
//! true statement about the DDF, which a reviewer needs as much as the rows.

use super::doc::Doc;
use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::record::Record;
use crate::rules::HistoryCtx;
use serde_yaml::Value;
use std::collections::BTreeSet;

/// One documentation item of the package.
pub struct Spec {
    /// Its number, which orders the files (`01`).
    pub number: &'static str,
    /// The file name after the number (`software-description`).
    pub slug: &'static str,
    /// The title.
    pub title: &'static str,
    /// The guidance section or eSTAR item it answers.
    pub answers: &'static str,
    /// Fills the document.
    pub build: fn(&Ctx<'_>, &mut Doc),
}

/// The documentation items, in the order a reviewer expects them (FDA, "Cybersecurity in
/// Medical Devices: Quality System Considerations and Content of Premarket Submissions",
/// sections V-VI; "Content of Premarket Submissions for Device Software Functions"; eSTAR's
/// Software and Cybersecurity/Interoperability sections). docs/submission.md maps each file.
pub const DOCUMENTS: &[Spec] = &[
    Spec {
        number: "01",
        slug: "software-description",
        title: "Software description and documentation level",
        answers: "FDA software functions guidance: documentation level, software description; eSTAR Software",
        build: software_description,
    },
    Spec {
        number: "02",
        slug: "architecture-views",
        title: "Security architecture views",
        answers: "FDA cybersecurity guidance V.B.2 and Appendix 2; software guidance: system and software architecture design",
        build: architecture_views,
    },
    Spec {
        number: "03",
        slug: "risk-management-report",
        title: "Risk management report, hazard analysis and risk file",
        answers: "ISO 14971 clauses 5-8; FDA software guidance: risk management file",
        build: risk_management,
    },
    Spec {
        number: "04",
        slug: "security-risk-management-report",
        title: "Security risk management report and threat model",
        answers: "FDA cybersecurity guidance V.A, V.A.1 (threat modeling), V.A.2 (cybersecurity risk assessment)",
        build: security_risk_management,
    },
    Spec {
        number: "05",
        slug: "traceability",
        title: "Traceability report with signatures",
        answers: "FDA cybersecurity guidance V.A.2, V.B.1, V.C (traceability of threats, controls and tests); 21 CFR 11.50",
        build: traceability,
    },
    Spec {
        number: "06",
        slug: "sbom",
        title: "Software bill of materials with support level and end of support",
        answers: "FDA cybersecurity guidance V.A.4 (SBOM); FD&C Act 524B(b)(3)",
        build: sbom,
    },
    Spec {
        number: "07",
        slug: "vulnerability-assessment",
        title: "Vulnerability assessment",
        answers: "FDA cybersecurity guidance V.A.4 (known vulnerabilities and their assessment)",
        build: vulnerabilities,
    },
    Spec {
        number: "08",
        slug: "unresolved-anomalies",
        title: "Unresolved anomalies",
        answers: "FDA cybersecurity guidance V.A.5; software guidance: unresolved software anomalies; IEC 62304 5.8.2-5.8.3",
        build: unresolved_anomalies,
    },
    Spec {
        number: "09",
        slug: "cybersecurity-testing",
        title: "Cybersecurity testing summary",
        answers: "FDA cybersecurity guidance V.C",
        build: cybersecurity_testing,
    },
    Spec {
        number: "10",
        slug: "labeling",
        title: "Cybersecurity labeling",
        answers: "FDA cybersecurity guidance VI.A",
        build: labeling,
    },
    Spec {
        number: "11",
        slug: "cybersecurity-management-plan",
        title: "Cybersecurity management plan",
        answers: "FDA cybersecurity guidance VI.B; FD&C Act 524B(b)(1)",
        build: management_plan,
    },
];

/// What the documents read.
pub struct Ctx<'a> {
    /// The records.
    pub corpus: &'a Corpus,
    /// Their links.
    pub graph: &'a Graph,
    /// History and approvals, when the DDF is in Git with commits.
    pub history: Option<&'a HistoryCtx<'a>>,
    /// The release the package is for.
    pub release: &'a Record,
}

/// A field value as text: scalars as written, lists joined with commas, maps as `key: value`.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        Value::Sequence(items) => items
            .iter()
            .map(value_text)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        Value::Mapping(m) => m
            .iter()
            .map(|(k, v)| format!("{}: {}", value_text(k), value_text(v)))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Tagged(t) => value_text(&t.value),
    }
}

impl<'a> Ctx<'a> {
    /// The records of a type that are not obsolete, by id.
    pub fn of_type(&self, type_name: &str) -> Vec<&'a Record> {
        let corpus = self.corpus;
        let mut v: Vec<&Record> = corpus
            .records_of(type_name)
            .iter()
            .map(|&i| &corpus.records[i])
            .filter(|r| r.status() != "obsolete")
            .collect();
        v.sort_by(|a, b| cmp_ids(&a.id, &b.id));
        v
    }

    /// The documents (DOC) of one of `doc_types`, by id.
    pub fn docs(&self, doc_types: &[&str]) -> Vec<&'a Record> {
        self.of_type("document")
            .into_iter()
            .filter(|r| r.str("doc_type").is_some_and(|t| doc_types.contains(&t)))
            .collect()
    }

    /// A field as text (empty when absent).
    pub fn f(&self, r: &Record, field: &str) -> String {
        r.get(field).map(value_text).unwrap_or_default()
    }

    /// The ids of the records that link to `r` through `field`, by id.
    pub fn inbound(&self, r: &Record, field: &str) -> Vec<&'a Record> {
        let corpus = self.corpus;
        let mut v: Vec<&Record> = corpus
            .records_with_id(&r.id)
            .into_iter()
            .flat_map(|i| self.graph.inbound(i, field))
            .map(|j| &corpus.records[j])
            .filter(|r| r.status() != "obsolete")
            .collect();
        v.sort_by(|a, b| cmp_ids(&a.id, &b.id));
        v.dedup_by(|a, b| a.id == b.id);
        v
    }

    /// The records `r` names through `field` that exist.
    pub fn outbound(&self, r: &Record, field: &str) -> Vec<&'a Record> {
        r.links_of(field)
            .filter_map(|id| self.corpus.get(id))
            .collect()
    }

    /// Every link of `r`, both ways, as `field: ID` and `ID (field)` lines.
    pub fn all_links(&self, r: &Record) -> String {
        let mut out: Vec<String> = r
            .links
            .iter()
            .map(|l| format!("{}: {}", l.field, l.target))
            .collect();
        for i in self.corpus.records_with_id(&r.id) {
            for e in self.graph.inc(i) {
                let other = &self.corpus.records[e.other];
                out.push(format!("{} ({})", other.id, self.graph.field_name(e)));
            }
        }
        out.sort();
        out.dedup();
        out.join("\n")
    }

    /// The signature manifestations (signer, date and time, meaning, status) of the signed
    /// approvals that cover the current content of `r`, as the site and `ddf show` list them.
    pub fn signatures(&self, r: &Record) -> Vec<String> {
        let Some(h) = self.history else {
            return Vec::new();
        };
        h.approvals_of(&r.id)
            .filter(|a| crate::history::approval::covers(h.history, a, &r.id, &r.blob))
            .map(|a| a.manifestation())
            .collect()
    }
}

/// Orders ids as people read them: `DI-2` before `DI-10` (prefix, then number, then text).
pub fn cmp_ids(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| {
        let (p, n) = s.rsplit_once('-').unwrap_or((s, ""));
        (p.to_string(), n.parse::<u64>().unwrap_or(u64::MAX))
    };
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// `ID title`.
fn label(r: &Record) -> String {
    format!("{} {}", r.id, r.title())
}

/// `ID, ID, ...` of records.
fn ids(rs: &[&Record]) -> String {
    rs.iter()
        .map(|r| r.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The text of a field, else the record body (types whose main text may be the body).
fn text_or_body(c: &Ctx<'_>, r: &Record, field: &str) -> String {
    let t = c.f(r, field);
    if t.is_empty() {
        r.body.trim().to_string()
    } else {
        t
    }
}

/// Each document record: a subheading, its control fields and its body.
fn documents_in_full(c: &Ctx<'_>, d: &mut Doc, docs: &[&Record]) {
    for r in docs {
        d.h2(label(r));
        d.fields(vec![
            ("Status", r.status().to_string()),
            ("Document type", c.f(r, "doc_type")),
            ("View", c.f(r, "view_type")),
            ("Effective", c.f(r, "effective")),
            ("Review due", c.f(r, "review_due")),
            ("About", c.f(r, "about")),
        ]);
        d.markdown(&r.body);
    }
}

fn software_description(c: &Ctx<'_>, d: &mut Doc) {
    let rel = c.release;
    d.h1("Release");
    d.fields(vec![
        ("Release", label(rel)),
        ("Version", c.f(rel, "version")),
        ("Tag", c.f(rel, "tag")),
        ("Design commit", c.f(rel, "commit")),
        ("Cyber device (FD&C Act 524B)", c.f(rel, "cyber_device")),
        ("First fielded", c.f(rel, "fielded")),
        ("Support ends", c.f(rel, "support_end")),
        ("SBOM files", c.f(rel, "sbom")),
        ("Changes", c.f(rel, "changes")),
        ("Prior releases", c.f(rel, "prior")),
    ]);
    d.markdown(&rel.body);

    let items = c.of_type("software-item");
    d.h1("Documentation level");
    let highest = items
        .iter()
        .filter_map(|r| r.str("safety_class").map(|k| (k.trim(), r)))
        .max_by(|a, b| a.0.cmp(b.0).then_with(|| cmp_ids(&b.1.id, &a.1.id)));
    match highest {
        None => d.para(
            "No software items are recorded, so no software safety class (IEC 62304 4.3) can be read from the DDF; the documentation level is not derived here.",
        ),
        Some((class, r)) => d.para(format!(
            "The highest software safety class recorded is class {class} ({}). {}",
            r.id,
            if class.eq_ignore_ascii_case("C") {
                "A failure of the software could present a probable risk of death or serious injury: Enhanced Documentation Level (FDA software functions guidance, section V)."
            } else {
                "Basic Documentation Level (FDA software functions guidance, section V), unless the risk analysis (document 03) shows a failure could present a probable risk of death or serious injury."
            }
        )),
    };

    d.h1("Intended use, foreseeable misuse and interoperability");
    let use_docs = c.docs(&["intended-use", "foreseeable-misuse", "interoperability"]);
    if use_docs.is_empty() {
        d.para("No intended-use, foreseeable-misuse or interoperability documents are recorded.");
    }
    documents_in_full(c, d, &use_docs);

    d.h1("Software items (IEC 62304 5.3, 4.3)");
    if items.is_empty() {
        d.para("No software items are recorded.");
        return;
    }
    let rows = items
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.title(),
                c.f(r, "level"),
                c.f(r, "safety_class"),
                c.f(r, "class_rationale"),
                c.f(r, "parent"),
                c.all_links(r),
            ]
        })
        .collect();
    d.table(
        &[
            "Id",
            "Title",
            "Level",
            "Class",
            "Class rationale",
            "Parent",
            "Links",
        ],
        rows,
        "",
    );
}

fn architecture_views(c: &Ctx<'_>, d: &mut Doc) {
    let views = c.docs(&["architecture-view"]);
    d.h1("Views");
    let rows = views
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.title(),
                c.f(r, "view_type"),
                r.status().to_string(),
            ]
        })
        .collect();
    d.table(
        &["Id", "Title", "View", "Status"],
        rows,
        "No architecture views are recorded.",
    );
    for r in &views {
        d.h2(label(r));
        d.markdown(&r.body);
    }
    let plans = c.docs(&["cyber-mgmt-plan"]);
    let na: Vec<Vec<String>> = plans
        .iter()
        .filter_map(|p| match p.get("views_na") {
            Some(Value::Mapping(m)) => Some(
                m.iter()
                    .map(|(k, v)| vec![value_text(k), value_text(v), p.id.clone()])
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    if !na.is_empty() {
        d.h1("Views not applicable");
        d.table(&["View", "Rationale", "Stated in"], na, "");
    }
    d.h1("Design outputs");
    let rows = c
        .of_type("design-output")
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.title(),
                c.f(r, "output_kind"),
                c.f(r, "satisfies"),
                c.f(r, "implements_control"),
                c.f(r, "uses"),
            ]
        })
        .collect();
    d.table(
        &[
            "Id",
            "Title",
            "Kind",
            "Satisfies",
            "Implements control",
            "Uses",
        ],
        rows,
        "No design outputs are recorded.",
    );
}

/// The risk cells of a hazardous situation: `(initial, residual)` as `P3 x S4 = U`.
fn risk_cells(c: &Ctx<'_>, r: &Record) -> (String, String) {
    let Some(s) = crate::risk::scoring(r) else {
        return (String::new(), String::new());
    };
    let (i, res) = crate::risk::initial_and_residual(&c.corpus.risk.policy, &s, r);
    let show = |x: Option<crate::risk::Scored>| {
        x.map(|x| format!("{} = {}", x.cell, x.zone))
            .unwrap_or_default()
    };
    (show(i), show(res))
}

fn situations_table(c: &Ctx<'_>, d: &mut Doc, assessment: &str, empty: &str) {
    let rows = c
        .of_type("hazardous-situation")
        .into_iter()
        .filter(|r| r.str("assessment") == Some(assessment))
        .map(|r| {
            let (initial, residual) = risk_cells(c, r);
            vec![
                r.id.clone(),
                r.title(),
                c.f(r, "hazard"),
                c.f(r, "harms"),
                c.f(r, "threats"),
                initial,
                ids(&c.inbound(r, "mitigates")),
                residual,
            ]
        })
        .collect();
    d.table(
        &[
            "Id",
            "Hazardous situation",
            "Hazard",
            "Harms",
            "Threats",
            "Initial risk",
            "Risk controls",
            "Residual risk",
        ],
        rows,
        empty,
    );
}

fn controls_table(c: &Ctx<'_>, d: &mut Doc, kinds: &[&str]) {
    let rows = c
        .of_type("risk-control")
        .into_iter()
        .filter(|r| r.str("kind").is_some_and(|k| kinds.contains(&k)))
        .map(|r| {
            vec![
                r.id.clone(),
                r.title(),
                c.f(r, "option"),
                c.f(r, "kind"),
                c.f(r, "mitigates"),
                ids(&c.inbound(r, "implements_control")),
                ids(&c.inbound(r, "verifies")),
            ]
        })
        .collect();
    d.table(
        &[
            "Id",
            "Risk control",
            "Option",
            "Kind",
            "Mitigates",
            "Implemented by",
            "Verified by",
        ],
        rows,
        "No risk controls of this kind are recorded.",
    );
}

fn risk_management(c: &Ctx<'_>, d: &mut Doc) {
    let rel = c.release;
    d.h1("Overall residual risk and risk management review");
    d.fields(vec![
        ("Overall residual risk", c.f(rel, "overall_residual_risk")),
        ("Risk management review", c.f(rel, "rm_review")),
    ]);
    documents_in_full(
        c,
        d,
        &c.docs(&["risk-mgmt-plan", "rm-report", "benefit-risk"]),
    );
    d.h1("Hazards");
    let rows = c
        .of_type("hazard")
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.title(),
                c.f(r, "category"),
                text_or_body(c, r, "description"),
            ]
        })
        .collect();
    d.table(
        &["Id", "Hazard", "Category", "Description"],
        rows,
        "No hazards are recorded.",
    );
    d.h1("Harms");
    let rows = c
        .of_type("harm")
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.title(),
                c.f(r, "severity"),
                c.f(r, "rationale"),
            ]
        })
        .collect();
    d.table(
        &["Id", "Harm", "Severity", "Rationale"],
        rows,
        "No harms are recorded.",
    );
    d.h1("Hazard analysis: hazardous situations (safety)");
    situations_table(
        c,
        d,
        "safety",
        "No safety hazardous situations are recorded.",
    );
    d.h1("Risk controls (safety)");
    controls_table(c, d, &["safety", "both"]);
}

fn security_risk_management(c: &Ctx<'_>, d: &mut Doc) {
    documents_in_full(
        c,
        d,
        &c.docs(&["security-rm-plan", "threat-model", "security-rm-report"]),
    );
    d.h1("Threat model: threats");
    let rows = c
        .of_type("threat")
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.title(),
                c.f(r, "asset"),
                c.f(r, "attack_vector"),
                c.f(r, "entry_point"),
                c.f(r, "stride"),
                format!(
                    "{} \u{2192} {}",
                    c.f(r, "exploitability"),
                    c.f(r, "residual_exploitability")
                ),
                c.f(r, "disposition"),
                ids(&c.inbound(r, "mitigates")),
            ]
        })
        .collect();
    d.table(
        &[
            "Id",
            "Threat",
            "Asset",
            "Vector",
            "Entry point",
            "STRIDE",
            "Exploitability",
            "Disposition",
            "Controls",
        ],
        rows,
        "No threats are recorded.",
    );
    d.h1("Security risk assessment: hazardous situations (security)");
    situations_table(
        c,
        d,
        "security",
        "No security hazardous situations are recorded.",
    );
    d.h1("Security risk controls");
    controls_table(c, d, &["security", "both"]);
}

/// `ID (result)` of verifications or validations.
fn with_results(rs: &[&Record]) -> String {
    rs.iter()
        .map(|r| match r.text("result") {
            Some(res) => format!("{} ({res})", r.id),
            None => r.id.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn traceability(c: &Ctx<'_>, d: &mut Doc) {
    let mut cited: BTreeSet<(String, String)> = BTreeSet::new();
    let mut cite = |rs: &[&Record]| {
        for r in rs {
            cited.insert((r.id.clone(), r.path.clone()));
        }
    };
    d.h1("Threat \u{2192} risk control \u{2192} design input / output \u{2192} verification");
    let mut rows = Vec::new();
    for t in c.of_type("threat") {
        // Controls that mitigate the threat, or a hazardous situation the threat leads to.
        let mut controls = c.inbound(t, "mitigates");
        for hs in c.inbound(t, "threats") {
            controls.extend(c.inbound(hs, "mitigates"));
        }
        controls.sort_by(|a, b| cmp_ids(&a.id, &b.id));
        controls.dedup_by(|a, b| a.id == b.id);
        cite(&[t]);
        if controls.is_empty() {
            rows.push(vec![
                label(t),
                "none recorded".into(),
                String::new(),
                String::new(),
            ]);
        }
        for rc in controls {
            let implementers = c.inbound(rc, "implements_control");
            let mut vers = c.inbound(rc, "verifies");
            for x in &implementers {
                vers.extend(c.inbound(x, "verifies"));
            }
            vers.sort_by(|a, b| cmp_ids(&a.id, &b.id));
            vers.dedup_by(|a, b| a.id == b.id);
            cite(&[rc]);
            cite(&implementers);
            cite(&vers);
            rows.push(vec![
                label(t),
                label(rc),
                ids(&implementers),
                with_results(&vers),
            ]);
        }
    }
    d.table(
        &[
            "Threat",
            "Risk control",
            "Design inputs / outputs",
            "Verification (result)",
        ],
        rows,
        "No threats are recorded.",
    );
    d.h1("User need \u{2192} design input \u{2192} validation");
    let mut rows = Vec::new();
    for un in c.of_type("user-need") {
        let inputs = c.inbound(un, "traces_to");
        let vals = c.inbound(un, "validates");
        cite(&[un]);
        cite(&inputs);
        cite(&vals);
        rows.push(vec![label(un), ids(&inputs), with_results(&vals)]);
    }
    d.table(
        &["User need", "Design inputs", "Validation (result)"],
        rows,
        "No user needs are recorded.",
    );
    d.h1("Signatures of the records above (21 CFR 11.50)");
    match c.history {
        None => {
            d.para("The DDF was not read from a Git repository with commits, so no signed approval can be shown for any record.");
        }
        Some(_) => {
            d.para("Each record's signed approvals that cover its current content: printed name (signer), date and time (UTC), meaning, and Git's verdict on the signature.");
        }
    }
    let rows = cited
        .iter()
        .filter_map(|(id, path)| {
            c.corpus
                .records
                .iter()
                .find(|r| &r.id == id && &r.path == path)
        })
        .map(|r| {
            let sigs = c.signatures(r);
            vec![
                r.id.clone(),
                r.status().to_string(),
                if sigs.is_empty() {
                    "no signed approval covers its current content".to_string()
                } else {
                    sigs.join("\n")
                },
            ]
        })
        .collect();
    d.table(
        &["Record", "Status", "Signature manifestations"],
        rows,
        "No records are traced.",
    );
}

fn sbom(c: &Ctx<'_>, d: &mut Doc) {
    d.h1("SBOM files of the release");
    d.para(format!(
        "Machine-readable SBOM named by {}: {}. The package carries a copy under sbom/.",
        c.release.id,
        match c.f(c.release, "sbom") {
            s if s.is_empty() => "none".to_string(),
            s => s,
        }
    ));
    d.h1("Components");
    let rows = c
        .of_type("component")
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                c.f(r, "name"),
                c.f(r, "version"),
                c.f(r, "origin"),
                c.f(r, "supplier"),
                c.f(r, "support_level"),
                c.f(r, "end_of_support"),
                c.f(r, "purl"),
            ]
        })
        .collect();
    d.table(
        &[
            "Id",
            "Name",
            "Version",
            "Origin",
            "Supplier",
            "Support level",
            "End of support",
            "Package URL",
        ],
        rows,
        "No components are recorded.",
    );
    d.h1("Basis of the support level and SOUP review");
    let rows = c
        .of_type("component")
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                c.f(r, "support_basis"),
                c.f(r, "soup_requirements"),
                c.f(r, "soup_prerequisites"),
                c.f(r, "anomaly_list_review"),
            ]
        })
        .collect();
    d.table(
        &[
            "Id",
            "Support basis",
            "SOUP requirements",
            "SOUP prerequisites",
            "Anomaly list review",
        ],
        rows,
        "No components are recorded.",
    );
}

fn vulnerabilities(c: &Ctx<'_>, d: &mut Doc) {
    d.para("Every known vulnerability recorded against the device's components and outputs, with its state (CycloneDX VEX states), the reason or response, and the patient-harm assessment. The same rows are in vulnerabilities.csv.");
    let rows = c
        .of_type("vulnerability")
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                format!("{} {}", c.f(r, "vuln_id"), c.f(r, "aliases")),
                c.f(r, "state"),
                format!("{} {}", c.f(r, "justification"), c.f(r, "response")),
                c.f(r, "cvss"),
                format!("{} / {}", c.f(r, "exploitability"), c.f(r, "severity")),
                c.f(r, "affects"),
                ids(&c.inbound(r, "mitigates")),
            ]
        })
        .collect();
    d.table(
        &[
            "Id",
            "Advisory",
            "State",
            "Justification / response",
            "CVSS",
            "Exploitability / severity",
            "Affects",
            "Controls",
        ],
        rows,
        "No vulnerabilities are recorded.",
    );
}

/// Whether anomaly `r` is unresolved in a release whose lineage (the release and every release
/// before it through `prior`) is `lineage`: it is not judged `not-a-defect`, is not fixed (a
/// `fix` decision whose `fixed_in` names a release of the lineage), and, when it names the
/// releases it is fielded in, one of them is of the lineage.
pub fn unresolved_in(r: &Record, lineage: &BTreeSet<String>) -> bool {
    let decision = r.str("decision").unwrap_or("");
    // Read as lists, so a field a DDF declares itself (not as a link) counts the same.
    let fixed = decision == "fix" && r.list("fixed_in").iter().any(|id| lineage.contains(id));
    if fixed || decision == "not-a-defect" {
        return false;
    }
    let fielded = r.list("fielded");
    fielded.is_empty() || fielded.iter().any(|id| lineage.contains(id))
}

/// The release and every release before it (`prior`, transitively).
fn lineage(c: &Ctx<'_>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![c.release];
    while let Some(r) = todo.pop() {
        if seen.insert(r.id.clone()) {
            todo.extend(c.outbound(r, "prior"));
        }
    }
    seen
}

fn unresolved_anomalies(c: &Ctx<'_>, d: &mut Doc) {
    let all = c.of_type("anomaly");
    let lineage = lineage(c);
    if all.is_empty() {
        d.para("No anomalies are recorded.");
    } else {
        d.para(format!(
            "{} anomalies are recorded; those below are unresolved in {} (not fixed, or fixed in a later release, and not judged not-a-defect). Each has its safety and security assessment and the decision with its rationale.",
            all.len(),
            c.release.id
        ));
        let rows = all
            .into_iter()
            .filter(|r| unresolved_in(r, &lineage))
            .map(|r| {
                vec![
                    r.id.clone(),
                    r.title(),
                    format!("{} {}", c.f(r, "found_in"), c.f(r, "discovered")),
                    c.f(r, "cwe"),
                    c.f(r, "safety_assessment"),
                    c.f(r, "security_assessment"),
                    c.f(r, "decision"),
                    text_or_body(c, r, "rationale"),
                ]
            })
            .collect();
        d.table(
            &[
                "Id",
                "Anomaly",
                "Found",
                "CWE",
                "Safety assessment",
                "Security assessment",
                "Decision",
                "Rationale",
            ],
            rows,
            "No anomaly is unresolved in this release.",
        );
    }
    if let Some(Value::Sequence(items)) = c.release.get("deferred_findings") {
        d.h1("Deferred findings named by the release");
        let rows = items.iter().map(|v| vec![value_text(v)]).collect();
        d.table(&["Finding"], rows, "");
    }
}

fn cybersecurity_testing(c: &Ctx<'_>, d: &mut Doc) {
    let tests: Vec<&Record> = c
        .of_type("verification")
        .into_iter()
        .filter(|r| r.str("method") == Some("security-test") || r.has("security_test"))
        .collect();
    d.h1("Summary by kind of test");
    let mut kinds: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for r in &tests {
        let k = kinds
            .entry(
                r.text("security_test")
                    .unwrap_or_else(|| "unspecified".into()),
            )
            .or_default();
        k.0 += 1;
        if r.str("result") == Some("pass") {
            k.1 += 1;
        }
    }
    let rows = kinds
        .into_iter()
        .map(|(k, (n, pass))| vec![k, n.to_string(), pass.to_string()])
        .collect();
    d.table(
        &["Kind", "Tests", "Passed"],
        rows,
        "No cybersecurity tests are recorded.",
    );
    d.h1("Tests");
    let rows = tests
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.title(),
                c.f(r, "security_test"),
                c.f(r, "independence"),
                c.f(r, "tool"),
                c.f(r, "verifies"),
                format!("{} {}", c.f(r, "result"), c.f(r, "executed_on")),
                c.f(r, "evidence"),
            ]
        })
        .collect();
    d.table(
        &[
            "Id",
            "Test",
            "Kind",
            "Independence",
            "Tool",
            "Verifies",
            "Result",
            "Evidence",
        ],
        rows,
        "No cybersecurity tests are recorded.",
    );
}

fn labeling(c: &Ctx<'_>, d: &mut Doc) {
    const ITEMS: &[(&str, &str)] = &[
        (
            "security-controls",
            "Device security controls and recommended user actions",
        ),
        ("interfaces", "Interfaces, ports and protocols"),
        (
            "update-procedure",
            "How updates are delivered and installed",
        ),
        ("sbom", "The SBOM, or how to obtain it"),
        ("end-of-support", "End of cybersecurity support"),
        ("cvd-contact", "How to report a vulnerability"),
    ];
    let outputs: Vec<&Record> = c
        .of_type("design-output")
        .into_iter()
        .filter(|r| matches!(r.str("output_kind"), Some("labeling" | "ifu")))
        .collect();
    d.h1("Cybersecurity labeling items (FDA guidance VI.A)");
    let rows = ITEMS
        .iter()
        .map(|(key, what)| {
            let given: Vec<&Record> = outputs
                .iter()
                .copied()
                .filter(|r| r.list("cyber_labeling").iter().any(|x| x == key))
                .collect();
            vec![
                (*what).to_string(),
                if given.is_empty() {
                    "not given by any labeling output".into()
                } else {
                    ids(&given)
                },
            ]
        })
        .collect();
    d.table(&["Item", "Given by"], rows, "");
    d.h1("Labeling outputs");
    let rows = outputs
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.title(),
                c.f(r, "output_kind"),
                c.f(r, "cyber_labeling"),
                text_or_body(c, r, "description"),
            ]
        })
        .collect();
    d.table(
        &["Id", "Title", "Kind", "Cybersecurity items", "Description"],
        rows,
        "No labeling or IFU outputs are recorded.",
    );
    documents_in_full(c, d, &c.docs(&["labeling"]));
    d.h1("Support");
    d.fields(vec![("Support ends", c.f(c.release, "support_end"))]);
}

fn management_plan(c: &Ctx<'_>, d: &mut Doc) {
    let plans = c.docs(&["cyber-mgmt-plan", "cvd-policy"]);
    if plans.is_empty() {
        d.para("No cybersecurity management plan or coordinated vulnerability disclosure policy is recorded.");
    }
    documents_in_full(c, d, &plans);
    let na: Vec<Vec<String>> = plans
        .iter()
        .filter_map(|p| match p.get("categories_na") {
            Some(Value::Mapping(m)) => Some(
                m.iter()
                    .map(|(k, v)| vec![value_text(k), value_text(v), p.id.clone()])
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    if !na.is_empty() {
        d.h1("Security control categories not applicable");
        d.table(&["Category", "Rationale", "Stated in"], na, "");
    }
}

/// The vulnerabilities as CSV (`vulnerabilities.csv`), one line per VULN record by id.
pub fn vulnerabilities_csv(c: &Ctx<'_>) -> String {
    let header = [
        "id",
        "vuln_id",
        "aliases",
        "state",
        "justification",
        "response",
        "exploitability",
        "severity",
        "cvss",
        "kev",
        "affects",
        "fielded",
        "discovered",
        "remediated",
        "title",
    ];
    let mut s = csv_line(&header);
    for r in c.of_type("vulnerability") {
        let mut cells = vec![r.id.clone()];
        cells.extend(header[1..header.len() - 1].iter().map(|f| c.f(r, f)));
        cells.push(r.title());
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        s.push_str(&csv_line(&refs));
    }
    s
}

/// One CSV line (RFC 4180 quoting; a cell a spreadsheet would read as a formula is prefixed
/// with `'`).
fn csv_line(cells: &[&str]) -> String {
    let mut out = Vec::with_capacity(cells.len());
    for c in cells {
        let c = if c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{c}")
        } else {
            c.to_string()
        };
        if c.contains([',', '"', '\n', '\r']) {
            out.push(format!("\"{}\"", c.replace('"', "\"\"")));
        } else {
            out.push(c);
        }
    }
    out.join(",") + "\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(
            csv_line(&["a,b", "=1+1", "x\"y"]),
            "\"a,b\",'=1+1,\"x\"\"y\"\r\n"
        );
    }

    #[test]
    fn ids_sort_naturally() {
        let mut v = vec!["DI-10", "DI-2", "DO-1", "DI-x"];
        v.sort_by(|a, b| cmp_ids(a, b));
        assert_eq!(v, ["DI-2", "DI-10", "DI-x", "DO-1"]);
    }

    #[test]
    fn value_text_flattens() {
        let v: Value = serde_yaml::from_str("{date: 2024-01-02, result: [a, b]}").expect("yaml");
        assert_eq!(value_text(&v), "date: 2024-01-02; result: a, b");
    }
}
