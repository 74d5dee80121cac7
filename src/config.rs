//! `ddf.yaml`: the project configuration.
//!
//! Only `project` is required. Problems that leave ddf unable to run (unreadable file, broken
//! YAML, a schema layer that does not hold together) are a [`ConfigError`] and exit with code 2;
//! problems ddf can work around (an unknown rule name, an unknown key) are `config` findings.

use crate::diagnostic::{Diagnostic, Pos, Severity};
use crate::front_matter::KeyIndex;
use crate::risk::{RawRisk, RiskPolicy};
use crate::schema::{RawType, Schema};
use indexmap::IndexMap;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The config file name.
pub const CONFIG_FILE: &str = "ddf.yaml";

/// A rule's configured severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSetting {
    /// Fail the check.
    Error,
    /// Report only.
    Warning,
    /// Do not report.
    Off,
}

impl RuleSetting {
    /// The severity to report at, or `None` when off.
    pub fn severity(self) -> Option<Severity> {
        match self {
            RuleSetting::Error => Some(Severity::Error),
            RuleSetting::Warning => Some(Severity::Warning),
            RuleSetting::Off => None,
        }
    }
}

/// Numeric policy settings used by rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Planned interval between management reviews (`mr-complete`).
    pub review_interval_days: i64,
    /// Horizon for component end of support (`cmp-eos-horizon`).
    pub eos_horizon_days: i64,
    /// Days a vulnerability may stay `in_triage` after `discovered` (`vuln-triaged`).
    pub vuln_triage_days: i64,
    /// The lowest severity level (1-based, `S2` is 2) whose harm is an injury: a software item
    /// implementing a control of such a risk is at least class B (`swi-class`).
    pub class_b_severity: usize,
    /// The lowest severity level whose harm is a serious injury or death: at least class C.
    pub class_c_severity: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            review_interval_days: 365,
            eos_horizon_days: 365,
            vuln_triage_days: 30,
            class_b_severity: 2,
            class_c_severity: 4,
        }
    }
}

/// `site:` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// Site title.
    pub title: Option<String>,
    /// Folder of template overrides, relative to the DDF root.
    pub templates: Option<String>,
}

/// `sbom:` settings (`ddf sbom import`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SbomConfig {
    /// The CycloneDX property that states a component's support level: there is no official
    /// one yet (the `cdx:fda` taxonomy is only proposed).
    pub support_level_property: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    project: String,
    #[serde(default)]
    devices: Vec<String>,
    #[serde(default)]
    records: Option<String>,
    #[serde(default)]
    controlled_branch: Option<String>,
    #[serde(default)]
    rules: BTreeMap<String, RuleSetting>,
    #[serde(default)]
    risk: RawRisk,
    #[serde(default)]
    policy: Policy,
    #[serde(default)]
    security_globs: Vec<String>,
    #[serde(default)]
    code_tags: Vec<String>,
    #[serde(default)]
    site: SiteConfig,
    #[serde(default)]
    types: IndexMap<String, RawType>,
    #[serde(default)]
    change_control_since: Option<String>,
    #[serde(default)]
    sbom: SbomConfig,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Project name.
    pub project: String,
    /// Device families.
    pub devices: Vec<String>,
    /// Records folder, relative to the DDF root.
    pub records: String,
    /// The branch change control guards.
    pub controlled_branch: String,
    /// Per-rule severities.
    pub rules: BTreeMap<String, RuleSetting>,
    /// The risk matrices of `ddf.yaml` `risk:` over the built-in defaults: the fallback when no
    /// approved risk-management plan carries them. The matrices in force are
    /// [`crate::corpus::Corpus::risk`].
    pub risk: RiskPolicy,
    /// `risk:` as written, to tell what `ddf.yaml` sets from what is a default.
    pub risk_raw: RawRisk,
    /// Where each top-level key is written in `ddf.yaml`, for findings about a setting.
    pub key_pos: BTreeMap<String, Pos>,
    /// Numeric policy.
    pub policy: Policy,
    /// Globs of security-relevant artifacts.
    pub security_globs: Vec<String>,
    /// Globs (relative to the repository top) of the files whose `ddf: ID` comment tags name
    /// the records they implement.
    pub code_tags: Vec<String>,
    /// Site settings.
    pub site: SiteConfig,
    /// SBOM import settings.
    pub sbom: SbomConfig,
    /// The effective schema (built-in profile plus `types:`).
    pub schema: Schema,
    /// Change control (`change-has-cr`, `cr-before-merge`) applies to commits after this one.
    pub change_control_since: Option<String>,
}

/// A configuration ddf cannot run with.
#[derive(Debug, thiserror::Error)]
#[error("{path}{}: {message}", pos.map(|p| format!(":{}:{}", p.line, p.column)).unwrap_or_default())]
pub struct ConfigError {
    /// The config file path as shown to the user.
    pub path: String,
    /// Position in the file, where known.
    pub pos: Option<Pos>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

const KNOWN_KEYS: &[&str] = &[
    "project",
    "devices",
    "records",
    "controlled_branch",
    "rules",
    "risk",
    "policy",
    "security_globs",
    "code_tags",
    "site",
    "sbom",
    "types",
    "change_control_since",
];

impl Config {
    /// A configuration with defaults, for `project`.
    pub fn new(project: &str) -> Result<Config, ConfigError> {
        Config::parse(&format!("project: {project:?}\n"), CONFIG_FILE).map(|(c, _)| c)
    }

    /// Parses the text of `ddf.yaml`. `path` is how the file is named in messages.
    pub fn parse(text: &str, path: &str) -> Result<(Config, Vec<Diagnostic>), ConfigError> {
        let fail = |pos: Option<Pos>, message: String, hint: Option<&str>| ConfigError {
            path: path.to_string(),
            pos,
            message,
            hint: hint.map(String::from),
        };
        let index = KeyIndex::build(text, 1);
        if let Some(pos) = index.tab_indent() {
            return Err(fail(
                Some(pos),
                "a tab is used for indentation".into(),
                Some("YAML indents with spaces only"),
            ));
        }
        if let Some((key, _, again)) = index.duplicates().first() {
            return Err(fail(
                Some(*again),
                format!("`{key}` is written twice"),
                Some("keep one of the two"),
            ));
        }
        if let Some(pos) = crate::front_matter::too_deep(text, 1) {
            return Err(fail(
                Some(pos),
                "ddf.yaml nests too deeply".into(),
                Some("flatten the structure"),
            ));
        }
        let value: serde_yaml::Value = crate::front_matter::parse_yaml(text).map_err(|e| {
            let pos = e.location().map(|l| Pos::new(l.line(), l.column()));
            fail(
                pos,
                format!("not valid YAML: {}", strip_location(&e.to_string())),
                Some("check the indentation and quoting near that position"),
            )
        })?;
        let Some(map) = value.as_mapping() else {
            return Err(fail(
                Some(Pos::new(1, 1)),
                "ddf.yaml must be a mapping of settings".into(),
                Some("start with `project: <name>`"),
            ));
        };
        let mut diags = Vec::new();
        let mut known = serde_yaml::Mapping::new();
        for (k, v) in map {
            let key = k.as_str().unwrap_or_default();
            if KNOWN_KEYS.contains(&key) {
                known.insert(k.clone(), v.clone());
            } else {
                diags.push(
                    Diagnostic::new(
                        "config",
                        path,
                        format!("unknown setting `{key}` is ignored"),
                    )
                    .severity(Severity::Warning)
                    .at(index.key_pos(key))
                    .hint(format!("known settings: {}", KNOWN_KEYS.join(", "))),
                );
            }
        }
        // Rule names are checked here so a typo is a finding, not a silently ignored setting.
        if let Some(rules) = map.get("rules").and_then(|r| r.as_mapping()) {
            for (k, _) in rules {
                let name = k.as_str().unwrap_or_default();
                if crate::rules::info(name).is_none() {
                    known
                        .get_mut("rules")
                        .and_then(|r| r.as_mapping_mut())
                        .map(|m| m.remove(k));
                    diags.push(
                        Diagnostic::new(
                            "config",
                            path,
                            format!("`rules` names `{name}`, which is no rule"),
                        )
                        .at(index.token_pos("rules", name))
                        .hint("`ddf check --list-rules` lists every rule id"),
                    );
                }
            }
        }
        let raw: RawConfig =
            serde_yaml::from_value(serde_yaml::Value::Mapping(known)).map_err(|e| {
                let msg = strip_location(&e.to_string());
                let pos = KNOWN_KEYS
                    .iter()
                    .find(|k| msg.contains(**k) && index.get(k).is_some())
                    .and_then(|k| index.value_pos(k));
                let hint = if msg.contains("missing field `project`") {
                    "add `project: <name of the device or product line>`"
                } else {
                    "see docs/configuration.md for every setting and its form"
                };
                fail(pos, msg, Some(hint))
            })?;
        let risk = RiskPolicy::from_raw(&raw.risk).map_err(|m| {
            fail(
                index.value_pos("risk"),
                format!("risk: {m}"),
                Some("write each row as `P5: [R, U, U, U, U]`, from the highest level down"),
            )
        })?;
        // Folders the config names are read from, and type names become file names (the
        // site's type pages, `ddf schema --json-schema --out`): a hostile ddf.yaml must not
        // point either outside the DDF.
        let folders = [
            (
                "records",
                raw.records.as_deref(),
                index.value_pos("records"),
            ),
            (
                "site.templates",
                raw.site.templates.as_deref(),
                raw.site
                    .templates
                    .as_deref()
                    .and_then(|t| index.token_pos("site", t)),
            ),
        ];
        for (key, value, pos) in folders {
            let Some(value) = value else { continue };
            if crate::fsafe::check_relative(value).is_err() || value.trim().is_empty() {
                return Err(fail(
                    pos,
                    format!("`{key}: {value}` must name a folder inside the DDF root (relative, without `..` or `.git`)"),
                    Some("write the folder relative to the folder that holds ddf.yaml, e.g. `records`"),
                ));
            }
        }
        for g in &raw.code_tags {
            let pos = index.token_pos("code_tags", g);
            if let Err(e) = globset::Glob::new(g) {
                return Err(fail(
                    pos,
                    format!("code_tags: `{g}` is not a valid glob: {}", e.kind()),
                    Some("write a path glob relative to the repository top, like `src/**/*.rs`"),
                ));
            }
            if g.starts_with('/') || g.split('/').any(|c| c == "..") {
                return Err(fail(
                    pos,
                    format!("code_tags: `{g}` leaves the repository"),
                    Some("write a path glob relative to the repository top, like `src/**/*.rs`"),
                ));
            }
        }
        for name in raw.types.keys() {
            if !is_type_name(name) {
                return Err(fail(
                    index.token_pos("types", name),
                    format!("types: `{name}` is not a valid type name"),
                    Some("a type name is lowercase letters, digits and `-`, starting with a letter (like `soup-assessment`): it becomes a file name"),
                ));
            }
        }
        let schema = Schema::layered(&raw.types)
            .map_err(|e| fail(index.value_pos("types"), format!("types: {e}"), None))?;
        for t in schema.types.values() {
            for f in t.fields.values() {
                if let Some(scale) = f.scale {
                    if risk.scale_len(scale) == 0 {
                        return Err(fail(
                            index.value_pos("risk"),
                            format!("the {scale:?} scale has no levels"),
                            None,
                        ));
                    }
                }
            }
        }
        Ok((
            Config {
                project: raw.project,
                devices: raw.devices,
                records: raw.records.unwrap_or_else(|| "records".into()),
                controlled_branch: raw.controlled_branch.unwrap_or_else(|| "main".into()),
                rules: raw.rules,
                risk,
                risk_raw: raw.risk,
                key_pos: KNOWN_KEYS
                    .iter()
                    .filter_map(|k| index.key_pos(k).map(|p| (k.to_string(), p)))
                    .collect(),
                policy: raw.policy,
                security_globs: raw.security_globs,
                code_tags: raw.code_tags,
                site: raw.site,
                sbom: raw.sbom,
                schema,
                change_control_since: raw.change_control_since,
            },
            diags,
        ))
    }

    /// The severity a rule reports at, after `rules:` in `ddf.yaml`.
    pub fn severity_of(&self, rule: &str, default: Severity) -> Option<Severity> {
        match self.rules.get(rule) {
            Some(s) => s.severity(),
            None => Some(default),
        }
    }
}

/// Whether `name` may name a type: lowercase letters, digits and `-`, starting with a letter. Type
/// names become file names (`types/<name>.html`, `<name>.schema.json`), so nothing else passes.
pub fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// serde_yaml appends "at line L column C" to messages; ddf prints the position itself.
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config() {
        let (c, d) = Config::parse("project: Pump\n", "ddf.yaml").expect("valid");
        assert_eq!(c.project, "Pump");
        assert_eq!(c.records, "records");
        assert_eq!(c.controlled_branch, "main");
        assert!(d.is_empty());
    }

    #[test]
    fn missing_project_is_fatal_with_hint() {
        let e = Config::parse("devices: [A]\n", "ddf.yaml").expect_err("fatal");
        assert!(e.message.contains("project"), "{}", e.message);
        assert!(e.hint.is_some());
    }

    #[test]
    fn broken_yaml_has_position() {
        let e = Config::parse("project: x\ndevices: [a, b\n", "ddf.yaml").expect_err("fatal");
        assert!(e.pos.is_some());
        assert!(!e.message.contains(" at line "));
    }

    #[test]
    fn unknown_rule_and_key_are_findings() {
        let (c, d) = Config::parse(
            "project: x\nrules:\n  di-verfied: off\n  doc-review-due: off\ncolour: red\n",
            "ddf.yaml",
        )
        .expect("runs");
        assert_eq!(c.severity_of("doc-review-due", Severity::Warning), None);
        let rules: Vec<_> = d.iter().map(|d| (d.rule, d.severity, d.line)).collect();
        assert!(
            rules.contains(&("config", Severity::Error, Some(3))),
            "{rules:?}"
        );
        assert!(
            rules.contains(&("config", Severity::Warning, Some(5))),
            "{rules:?}"
        );
    }

    #[test]
    fn bad_severity_is_fatal() {
        assert!(Config::parse("project: x\nrules: { di-verified: loud }\n", "ddf.yaml").is_err());
    }

    #[test]
    fn type_names_that_would_leave_a_folder_are_fatal() {
        for name in ["../../x", "a/b", "\"..\"", "Design", "-x", "a b"] {
            let text = format!("project: x\ntypes:\n  {name}:\n    prefix: XX\n    fields: {{}}\n");
            let e = Config::parse(&text, "ddf.yaml").expect_err(name);
            assert!(e.message.contains("not a valid type name"), "{name}: {e}");
            assert_eq!(e.pos.map(|p| p.line), Some(3), "{name}: {e}");
            assert!(e.to_string().starts_with("ddf.yaml:3:"), "{e}");
        }
        let (c, _) = Config::parse(
            "project: x\ntypes:\n  soup-assessment2:\n    prefix: SOUP\n",
            "ddf.yaml",
        )
        .expect("valid");
        assert!(c.schema.get("soup-assessment2").is_some());
    }

    #[test]
    fn folders_must_stay_inside_the_ddf() {
        for (text, line) in [
            ("project: x\nrecords: ../elsewhere\n", 2),
            ("project: x\nrecords: /etc\n", 2),
            ("project: x\nrecords: .git\n", 2),
            ("project: x\nsite:\n  title: T\n  templates: ../../t\n", 4),
        ] {
            let e = Config::parse(text, "ddf.yaml").expect_err(text);
            assert!(e.message.contains("inside the DDF root"), "{text}: {e}");
            assert_eq!(e.pos.map(|p| p.line), Some(line), "{text}: {e}");
        }
        assert!(Config::parse("project: x\nrecords: ddf/records\n", "ddf.yaml").is_ok());
    }

    #[test]
    fn duplicate_key_and_tab() {
        let e = Config::parse("project: a\nproject: b\n", "ddf.yaml").expect_err("dup");
        assert_eq!(e.pos, Some(Pos::new(2, 1)));
        let e = Config::parse("project: a\nrules:\n\tx: off\n", "ddf.yaml").expect_err("tab");
        assert_eq!(e.pos, Some(Pos::new(3, 1)));
    }
}
