//! The schema as data: record types, their fields, value sets and link fields.
//!
//! The built-in QMSR profile (`qmsr.yaml`, embedded in the binary) is loaded first; a project's
//! `ddf.yaml` `types:` section is layered on top of it (new types, new fields, more values for a
//! value set). Rules are code; what a record may contain is data.

mod doc;
mod json_schema;

pub use doc::markdown;
pub use json_schema::{json_schema, record_schema};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The built-in QMSR profile, as shipped.
pub const BUILTIN_PROFILE: &str = include_str!("qmsr.yaml");

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldKind {
    /// One line of text (numbers and booleans are accepted and read as text).
    String,
    /// Free text; may be the Markdown body where the type says so.
    Text,
    /// One value of a value set.
    Enum,
    /// A list of values of a value set.
    Enums,
    /// `true` or `false`.
    Bool,
    /// An integer or a decimal.
    Number,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A date or the word `unknown`.
    DateOrUnknown,
    /// A risk level on one of the scales (`S3`, `P2`, `E4`).
    Level,
    /// A list of strings.
    List,
    /// A mapping.
    Map,
    /// A list of mappings.
    Maps,
    /// Anything.
    Any,
    /// A list of record ids (a single id is accepted); followed by trace walks.
    Link,
    /// One record id; not followed by trace walks (an owner, a benefit-risk file).
    Ref,
}

impl FieldKind {
    /// Whether the field names records.
    pub fn is_reference(self) -> bool {
        matches!(self, FieldKind::Link | FieldKind::Ref)
    }
}

/// One of the risk scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Severity of harm, `S1`..`Sn`.
    Severity,
    /// Probability of occurrence (safety), `P1`..`Pn`.
    Probability,
    /// Exploitability (security), `E1`..`En`.
    Exploitability,
    /// Impact of a security-only threat (no patient harm), `I1`..`In`.
    Impact,
}

impl Scale {
    /// The letter levels of this scale start with.
    pub fn letter(self) -> char {
        match self {
            Scale::Severity => 'S',
            Scale::Probability => 'P',
            Scale::Exploitability => 'E',
            Scale::Impact => 'I',
        }
    }
}

/// A field as written in a profile or in `ddf.yaml` (every attribute optional, for layering).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    /// Field kind.
    pub kind: Option<FieldKind>,
    /// Mandatory.
    pub required: Option<bool>,
    /// Mandatory once the record has one of these statuses (a closed CAPA names who closed it).
    pub required_in: Option<Vec<String>>,
    /// A required list may be empty.
    pub allow_empty: Option<bool>,
    /// Value set (enum, enums); in `ddf.yaml` these values are added to the built-in ones.
    #[serde(default)]
    pub values: Vec<String>,
    /// Target prefixes (link, ref); `"*"` for any.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Scale (level).
    pub scale: Option<Scale>,
    /// Regular expression every string value (or list item) must match.
    pub pattern: Option<String>,
    /// Help text.
    pub doc: Option<String>,
    /// Whether trace walks follow the link (default true for `link`).
    pub trace: Option<bool>,
    /// Whether `ddf new` writes the field although it is optional: a trace rule needs it in
    /// some records (a VER of a risk control needs `control_check`), so its author should see it.
    pub scaffold: Option<bool>,
}

/// A type as written in a profile or in `ddf.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawType {
    /// Id prefix.
    pub prefix: Option<String>,
    /// Regulatory clauses the type serves.
    pub clause: Option<String>,
    /// Help text.
    pub doc: Option<String>,
    /// The text field the Markdown body may stand in for.
    pub body: Option<String>,
    /// Status values, where the type has its own.
    pub statuses: Option<Vec<String>>,
    /// Statuses in which missing required fields are warnings.
    pub relaxed: Option<Vec<String>>,
    /// Fields not in the schema are accepted without an `unknown-field` finding.
    pub allow_unknown: Option<bool>,
    /// The signature meanings an `approved` record of this type needs, each from a valid signed
    /// approval of its content (default: `approval`).
    pub signatures: Option<Vec<String>>,
    /// Whether the only author of a record's content may approve it (default: yes, but for
    /// change requests, releases and plans).
    pub self_approval: Option<bool>,
    /// Fields.
    #[serde(default)]
    pub fields: IndexMap<String, RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    statuses: Vec<String>,
    common: IndexMap<String, RawField>,
    types: IndexMap<String, RawType>,
}

/// A resolved field definition.
#[derive(Debug, Clone, Serialize)]
pub struct FieldDef {
    /// Field name.
    pub name: String,
    /// Field kind.
    pub kind: FieldKind,
    /// Mandatory.
    pub required: bool,
    /// Mandatory once the record has one of these statuses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub required_in: Vec<String>,
    /// A required list may be empty.
    pub allow_empty: bool,
    /// Value set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Target prefixes; `"*"` for any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Scale of a level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<Scale>,
    /// Pattern for string values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Help text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Whether trace walks and cycle detection follow this link.
    pub trace: bool,
    /// Whether `ddf new` writes the field although it is optional (a rule needs it in some
    /// records).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub scaffold: bool,
    /// Compiled pattern.
    #[serde(skip)]
    pub regex: Option<regex::Regex>,
}

impl FieldDef {
    /// Whether the field is mandatory on a record in `status`.
    pub fn required_for(&self, status: &str) -> bool {
        self.required || self.required_in.iter().any(|s| s == status)
    }

    /// Whether a record of prefix `prefix` is an allowed target.
    pub fn accepts_target(&self, prefix: &str) -> bool {
        self.targets.iter().any(|t| t == "*" || t == prefix)
    }
}

/// A resolved record type.
#[derive(Debug, Clone, Serialize)]
pub struct TypeDef {
    /// Type name (`design-input`).
    pub name: String,
    /// Id prefix (`DI`).
    pub prefix: String,
    /// Regulatory clauses.
    pub clause: String,
    /// Help text.
    pub doc: String,
    /// The text field the body may stand in for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Status values.
    pub statuses: Vec<String>,
    /// Statuses in which missing required fields are warnings.
    pub relaxed: Vec<String>,
    /// Fields not in the schema are accepted silently.
    pub allow_unknown: bool,
    /// The signature meanings an `approved` record needs, each from a valid signed approval.
    pub signatures: Vec<String>,
    /// Whether the only author of a record's content may approve it; `None`: the default (yes,
    /// but for change requests, releases and plans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_approval: Option<bool>,
    /// Every field, common fields first.
    pub fields: IndexMap<String, FieldDef>,
}

impl TypeDef {
    /// The link and ref fields, in schema order.
    pub fn link_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.values().filter(|f| f.kind.is_reference())
    }
}

/// Why a schema could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The profile text is not valid.
    #[error("the schema profile is not valid: {0}")]
    Profile(#[from] serde_yaml::Error),
    /// A type or field is not consistent.
    #[error("{0}")]
    Invalid(String),
}

/// The effective schema.
#[derive(Debug, Clone, Serialize)]
pub struct Schema {
    /// Types by name, in profile order.
    pub types: IndexMap<String, TypeDef>,
    #[serde(skip)]
    by_prefix: HashMap<String, String>,
}

impl Schema {
    /// The built-in QMSR profile alone.
    pub fn builtin() -> Result<Schema, SchemaError> {
        Schema::layered(&IndexMap::new())
    }

    /// The built-in profile with `extra` (from `ddf.yaml` `types:`) layered on top.
    pub fn layered(extra: &IndexMap<String, RawType>) -> Result<Schema, SchemaError> {
        let profile: RawProfile = serde_yaml::from_str(BUILTIN_PROFILE)?;
        let mut raw_types = profile.types;
        for (name, layer) in extra {
            match raw_types.get_mut(name) {
                Some(base) => merge_type(base, layer),
                None => {
                    if layer.prefix.is_none() {
                        return Err(SchemaError::Invalid(format!(
                            "type `{name}` is new and needs a `prefix`"
                        )));
                    }
                    raw_types.insert(name.clone(), layer.clone());
                }
            }
        }
        let mut types = IndexMap::new();
        let mut by_prefix = HashMap::new();
        for (name, raw) in raw_types {
            let prefix = raw.prefix.clone().unwrap_or_default();
            if !prefix.chars().all(|c| c.is_ascii_uppercase()) || prefix.is_empty() {
                return Err(SchemaError::Invalid(format!(
                    "type `{name}`: prefix `{prefix}` must be upper-case letters A-Z"
                )));
            }
            if let Some(other) = by_prefix.insert(prefix.clone(), name.clone()) {
                return Err(SchemaError::Invalid(format!(
                    "types `{other}` and `{name}` both use the prefix `{prefix}`"
                )));
            }
            let mut fields = IndexMap::new();
            for (fname, f) in profile.common.iter().chain(raw.fields.iter()) {
                let def = resolve_field(&name, fname, f)?;
                fields.insert(fname.clone(), def);
            }
            let statuses = raw
                .statuses
                .clone()
                .unwrap_or_else(|| profile.statuses.clone());
            if let Some(status) = fields.get_mut("status") {
                status.values = statuses.clone();
            }
            if let Some(body) = &raw.body {
                if !fields.contains_key(body) {
                    return Err(SchemaError::Invalid(format!(
                        "type `{name}`: body field `{body}` is not one of its fields"
                    )));
                }
            }
            types.insert(
                name.clone(),
                TypeDef {
                    name: name.clone(),
                    prefix,
                    clause: raw.clause.unwrap_or_default(),
                    doc: raw.doc.unwrap_or_default(),
                    body: raw.body,
                    statuses,
                    relaxed: raw.relaxed.unwrap_or_else(|| vec!["draft".into()]),
                    allow_unknown: raw.allow_unknown.unwrap_or(false),
                    signatures: raw
                        .signatures
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| vec!["approval".into()]),
                    self_approval: raw.self_approval,
                    fields,
                },
            );
        }
        let schema = Schema { types, by_prefix };
        for t in schema.types.values() {
            for f in t.link_fields() {
                for target in &f.targets {
                    if target != "*" && !schema.by_prefix.contains_key(target) {
                        return Err(SchemaError::Invalid(format!(
                            "type `{}` field `{}`: target prefix `{target}` is no type's prefix",
                            t.name, f.name
                        )));
                    }
                }
            }
        }
        Ok(schema)
    }

    /// A type by name.
    pub fn get(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    /// A type by id prefix.
    pub fn by_prefix(&self, prefix: &str) -> Option<&TypeDef> {
        self.by_prefix.get(prefix).and_then(|n| self.types.get(n))
    }

    /// A type by name or prefix (case-insensitive for the prefix), as a user types it on the
    /// command line.
    pub fn lookup(&self, name_or_prefix: &str) -> Option<&TypeDef> {
        self.get(name_or_prefix)
            .or_else(|| self.by_prefix(&name_or_prefix.to_ascii_uppercase()))
    }
}

fn merge_type(base: &mut RawType, layer: &RawType) {
    if layer.prefix.is_some() {
        base.prefix.clone_from(&layer.prefix);
    }
    for (attr, value) in [
        (&mut base.clause, &layer.clause),
        (&mut base.doc, &layer.doc),
        (&mut base.body, &layer.body),
    ] {
        if value.is_some() {
            attr.clone_from(value);
        }
    }
    if let Some(st) = &layer.statuses {
        let base_st = base.statuses.get_or_insert_with(Vec::new);
        for s in st {
            if !base_st.contains(s) {
                base_st.push(s.clone());
            }
        }
    }
    if layer.relaxed.is_some() {
        base.relaxed.clone_from(&layer.relaxed);
    }
    if layer.signatures.is_some() {
        base.signatures.clone_from(&layer.signatures);
    }
    if layer.self_approval.is_some() {
        base.self_approval = layer.self_approval;
    }
    if layer.allow_unknown.is_some() {
        base.allow_unknown = layer.allow_unknown;
    }
    for (name, f) in &layer.fields {
        match base.fields.get_mut(name) {
            Some(bf) => {
                if f.kind.is_some() {
                    bf.kind = f.kind;
                }
                if f.required.is_some() {
                    bf.required = f.required;
                }
                if f.required_in.is_some() {
                    bf.required_in.clone_from(&f.required_in);
                }
                if f.allow_empty.is_some() {
                    bf.allow_empty = f.allow_empty;
                }
                for v in &f.values {
                    if !bf.values.contains(v) {
                        bf.values.push(v.clone());
                    }
                }
                for t in &f.targets {
                    if !bf.targets.contains(t) {
                        bf.targets.push(t.clone());
                    }
                }
                if f.scale.is_some() {
                    bf.scale = f.scale;
                }
                if f.pattern.is_some() {
                    bf.pattern.clone_from(&f.pattern);
                }
                if f.doc.is_some() {
                    bf.doc.clone_from(&f.doc);
                }
                if f.trace.is_some() {
                    bf.trace = f.trace;
                }
                if f.scaffold.is_some() {
                    bf.scaffold = f.scaffold;
                }
            }
            None => {
                base.fields.insert(name.clone(), f.clone());
            }
        }
    }
}

fn resolve_field(type_name: &str, name: &str, f: &RawField) -> Result<FieldDef, SchemaError> {
    let err = |m: &str| SchemaError::Invalid(format!("type `{type_name}` field `{name}`: {m}"));
    let kind = f.kind.ok_or_else(|| err("has no `kind`"))?;
    if matches!(kind, FieldKind::Enum | FieldKind::Enums) && f.values.is_empty() && name != "status"
    {
        return Err(err("an enum needs `values`"));
    }
    if kind.is_reference() && f.targets.is_empty() {
        return Err(err("a link needs `targets`"));
    }
    if kind == FieldKind::Level && f.scale.is_none() {
        return Err(err("a level needs a `scale`"));
    }
    let regex = match &f.pattern {
        Some(p) => Some(regex::Regex::new(p).map_err(|e| err(&format!("bad pattern: {e}")))?),
        None => None,
    };
    Ok(FieldDef {
        name: name.to_string(),
        kind,
        required: f.required.unwrap_or(false),
        required_in: f.required_in.clone().unwrap_or_default(),
        allow_empty: f.allow_empty.unwrap_or(false),
        values: f.values.clone(),
        targets: f.targets.clone(),
        scale: f.scale,
        pattern: f.pattern.clone(),
        doc: f.doc.clone(),
        trace: kind == FieldKind::Link && f.trace.unwrap_or(true),
        scaffold: f.scaffold.unwrap_or(false),
        regex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_all_23_types() {
        let s = Schema::builtin().expect("builtin schema loads");
        assert_eq!(s.types.len(), 23);
        let prefixes: Vec<&str> = s.types.values().map(|t| t.prefix.as_str()).collect();
        for p in [
            "UN", "DI", "DO", "VER", "VAL", "DR", "HAZ", "HARM", "HS", "RC", "THR", "VULN", "CMP",
            "SUP", "CR", "CAPA", "SIG", "MR", "REL", "DOC", "PER", "SWI", "ANOM",
        ] {
            assert!(prefixes.contains(&p), "missing {p}");
        }
    }

    #[test]
    fn written_links_match_design() {
        let s = Schema::builtin().expect("loads");
        let di = s.by_prefix("DI").expect("DI");
        assert_eq!(di.fields["traces_to"].targets, vec!["UN", "DI"]);
        let hs = s.get("hazardous-situation").expect("HS");
        assert_eq!(hs.fields["threats"].targets, vec!["THR", "VULN"]);
        assert_eq!(s.by_prefix("CR").expect("CR").statuses[0], "open");
        assert_eq!(
            di.fields["status"].values,
            vec!["draft", "in-review", "approved", "obsolete"]
        );
    }

    #[test]
    fn layering_adds_types_fields_and_values() {
        let extra: IndexMap<String, RawType> = serde_yaml::from_str(
            "design-input:\n  fields:\n    category: { values: [environmental] }\n    jira: { kind: string }\nsoup-review:\n  prefix: SR\n  fields:\n    verdict: { kind: enum, values: [ok, not-ok], required: true }\n",
        )
        .expect("yaml");
        let s = Schema::layered(&extra).expect("layers");
        let di = s.get("design-input").expect("DI");
        assert!(di.fields["category"]
            .values
            .contains(&"environmental".to_string()));
        assert!(di.fields["category"]
            .values
            .contains(&"functional".to_string()));
        assert_eq!(di.fields["jira"].kind, FieldKind::String);
        assert!(s.by_prefix("SR").expect("SR").fields["verdict"].required);
        assert!(s.by_prefix("SR").expect("SR").fields.contains_key("owner"));
    }

    #[test]
    fn layering_rejects_bad_types() {
        let extra: IndexMap<String, RawType> =
            serde_yaml::from_str("thing:\n  fields: {}\n").expect("yaml");
        assert!(Schema::layered(&extra).is_err());
        let extra: IndexMap<String, RawType> =
            serde_yaml::from_str("thing:\n  prefix: DI\n").expect("yaml");
        assert!(Schema::layered(&extra).is_err());
        let extra: IndexMap<String, RawType> = serde_yaml::from_str(
            "thing:\n  prefix: TH\n  fields:\n    x: { kind: link, targets: [NOPE] }\n",
        )
        .expect("yaml");
        assert!(Schema::layered(&extra).is_err());
    }
}
