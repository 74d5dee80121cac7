//! The mapping file of `ddf import`: source types, documents and levels to ddf types; source
//! attributes to fields; link roles to link fields; id rules; fixed field values. Each tool has a
//! default ([`default_text`]) that works for a plain requirements tree; `ddf import FORMAT
//! --print-default-mapping` prints it as a starting point. docs/import.md documents every key.

use super::{Item, Tool};
use crate::schema::{Schema, TypeDef};
use indexmap::IndexMap;
use serde::Deserialize;

/// A mapping.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Type rules, tried in order; the first that matches an item gives its ddf type.
    #[serde(default)]
    pub types: Vec<TypeRule>,
    /// Source attribute -> ddf field (`title`, `text` and `status` included); `-` drops it.
    #[serde(default)]
    pub fields: IndexMap<String, String>,
    /// Link role -> link field; `auto`: the first link field of the item's type that accepts
    /// the target's type; `-` drops the links of that role. `*` is any other role.
    #[serde(default)]
    pub links: IndexMap<String, String>,
    /// Field values every imported record of a type gets (`*`: every type), unless the source
    /// gives the field: `owner`, a `source` or `category` the source does not have.
    #[serde(default)]
    pub set: IndexMap<String, IndexMap<String, serde_yaml::Value>>,
    /// The status of imported records when the source gives none (or one that is not a status
    /// of the type); default: the type's first status (`draft`).
    #[serde(default)]
    pub status: Option<String>,
    /// Folder of the records of a type (below the records folder); default: where records of
    /// the type already are, else `<records>/<type>`.
    #[serde(default)]
    pub folders: IndexMap<String, String>,
    /// Id rules.
    #[serde(default)]
    pub ids: IdRules,
    /// What happens to source attributes no field is mapped to.
    #[serde(default)]
    pub unmapped: Unmapped,
    /// CSV and XLSX: which columns hold the id, title, text, type, document and links.
    #[serde(default)]
    pub columns: Columns,
}

/// One type rule: every key given must match the item.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeRule {
    /// The item's document (Doorstop prefix, StrictDoc document title, ReqIF specification).
    #[serde(default)]
    pub document: Option<String>,
    /// The item's type in the source tool (ReqIF SPEC-OBJECT-TYPE name, StrictDoc element,
    /// CSV type column).
    #[serde(default)]
    pub source_type: Option<String>,
    /// The depth of the item's document in the tool's tree (Doorstop: 0 for a root document).
    #[serde(default)]
    pub level: Option<usize>,
    /// The ddf type (name or prefix); `same`: the source type when it is a ddf type (the rule
    /// does not match otherwise); `-`: the items are not imported (reported as skipped).
    #[serde(rename = "type")]
    pub to: String,
}

/// Id rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdRules {
    /// Keep a source id that is a ddf id of the record's type (`DI-012` for a design input).
    #[serde(default = "yes")]
    pub keep: bool,
    /// Keep the number of a source id made of letters and a number (`REQ003` -> `UN-003`),
    /// when that id is free.
    #[serde(default = "yes")]
    pub keep_number: bool,
}

fn yes() -> bool {
    true
}

impl Default for IdRules {
    fn default() -> Self {
        IdRules {
            keep: true,
            keep_number: true,
        }
    }
}

/// What happens to source attributes no field is mapped to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmapped {
    /// Not written; their names are listed in the report (default).
    #[default]
    Report,
    /// Written as fields of their own name (lower case, `_` for other characters); `ddf check`
    /// reports them as unknown fields unless the type allows them (`allow_unknown` in ddf.yaml).
    Keep,
    /// Not written, not reported.
    Drop,
}

/// CSV and XLSX columns (by header text). Columns not named here are attributes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// The id column; default: the first of `id`, `uid`, `key`, `identifier` (any case).
    pub id: Option<String>,
    /// The title column; default: `title`, `name`, `heading`, `summary`.
    pub title: Option<String>,
    /// The text column; default: `text`, `statement`, `description`, `body`.
    pub text: Option<String>,
    /// The type column; default: `type`, `kind`.
    pub source_type: Option<String>,
    /// The document column; default: `document`, `module`.
    pub document: Option<String>,
    /// Link columns: header -> role; default: `parent`, `parents`, `links` as role `parent`.
    /// A cell may hold several ids, separated by commas, semicolons or spaces.
    #[serde(default)]
    pub links: IndexMap<String, String>,
    /// XLSX: the sheet to read; default: the first.
    pub sheet: Option<String>,
}

/// Where an attribute goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldTarget {
    /// To this field.
    Field(String),
    /// Nowhere, on purpose.
    Drop,
    /// Nowhere: no rule for it.
    Unmapped,
}

/// Where a link goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// To this link field.
    Field(String),
    /// To the first link field accepting the target.
    Auto,
    /// Nowhere, on purpose.
    Drop,
    /// Nowhere: no rule for it.
    Unmapped,
}

/// The default mapping of a tool, as the YAML text `--print-default-mapping` prints.
/// `ddf_convention`: a ReqIF file written by `ddf export --format reqif` (identity mapping).
pub fn default_text(tool: Tool, ddf_convention: bool) -> &'static str {
    match tool {
        Tool::Doorstop => DOORSTOP,
        Tool::Strictdoc => STRICTDOC,
        Tool::Reqif if ddf_convention => REQIF_DDF,
        Tool::Reqif => REQIF,
        Tool::Csv | Tool::Xlsx => CSV,
    }
}

const DOORSTOP: &str = r#"# ddf import doorstop: default mapping (docs/import.md).
# Root documents (no parent) become user needs; documents below them design inputs.
types:
  - { level: 0, type: user-need }
  - { type: design-input }
# Item attributes -> fields. `header` is the title and `text` the body already.
# `-` drops an attribute without reporting it.
fields:
  reviewed: "-"
  derived: "-"
  normative: "-"
  active: "-"
  level: "-"
# Doorstop links point to items of the parent document: `auto` picks the child type's first
# link field that accepts the parent's type (a design input `traces_to` a user need).
links:
  parent: auto
# Values every imported record of a type gets where the source has none, e.g.
# set:
#   "*": { owner: PER-001 }
#   user-need: { source: user }
set: {}
ids:
  keep: true          # keep a source id that is a ddf id of the type (DI-012)
  keep_number: true   # REQ003 -> UN-003 when free; else the next free id
unmapped: report      # report | keep | drop
"#;

const STRICTDOC: &str = r#"# ddf import strictdoc: default mapping (docs/import.md).
# Every [REQUIREMENT] (and custom element) becomes a design input, unless its element is a ddf
# type name; [TEXT] nodes and sections are not records.
types:
  - { type: same }
  - { type: design-input }
# Fields of an element -> ddf fields. TITLE is the title and STATEMENT the body already; a field
# with the name of a ddf field of the type (RATIONALE -> rationale) maps to it by itself.
fields:
  MID: "-"
  STATUS: "-"
# Parent relations -> the type's first link field that accepts the parent's type.
links:
  Parent: auto
  "*": auto
set: {}
ids:
  keep: true
  keep_number: true
unmapped: report
"#;

const REQIF: &str = r#"# ddf import reqif: default mapping (docs/import.md).
# Every SPEC-OBJECT becomes a design input, unless its SPEC-OBJECT-TYPE is named after a ddf type.
# ReqIF.ForeignID is the source id (else the IDENTIFIER), ReqIF.Name (or ReqIF.ChapterName) the
# title and ReqIF.Text the body.
types:
  - { type: same }
  - { type: design-input }
fields:
  ddf.status: status
# SPEC-RELATIONs: SOURCE holds the link; a relation type named after a link field of the source's
# type maps to it by itself, any other to the first link field that accepts the target's type.
links:
  "*": auto
set: {}
ids:
  keep: true
  keep_number: true
unmapped: report
"#;

const REQIF_DDF: &str = r#"# ddf import reqif: the identity mapping, for a file `ddf export --format reqif` wrote
# (its SPEC-OBJECT-TYPEs are ddf type names). Types, fields and link roles are kept; ids come from
# ReqIF.ForeignID.
types:
  - { type: same }
fields:
  ddf.status: status
links: {}
set: {}
ids:
  keep: true
  keep_number: false
unmapped: report
"#;

const CSV: &str = r#"# ddf import csv / xlsx: default mapping (docs/import.md).
# The header row names the columns. A `type` column holding ddf type names (or prefixes) gives
# the type; other rows become design inputs.
types:
  - { type: same }
  - { type: design-input }
columns:
  # id: ID             # default: id, uid, key or identifier (any case)
  # title: Title       # default: title, name, heading or summary
  # text: Description  # default: text, statement, description or body
  # source_type: Type  # default: type or kind
  # document: Module   # default: document or module
  # sheet: Requirements  # XLSX: default the first sheet
  links: {}           # header -> role; default: parent, parents, links, traces_to as `parent`
# A column with the name of a ddf field of the type (acceptance_criteria, rationale) maps to it
# by itself; others need a line here.
fields: {}
links:
  "*": auto
set: {}
ids:
  keep: true
  keep_number: true
unmapped: report
"#;

/// Why a mapping file cannot be used.
pub fn parse(text: &str, shown: &str) -> Result<Mapping, super::ReadError> {
    // The bounded parser first: anchors and aliases that expand without bound are refused
    // before serde_yaml expands them again into the typed mapping.
    crate::front_matter::parse_yaml(text)
        .and_then(|_| serde_yaml::from_str::<Mapping>(text))
        .map_err(|e| {
            super::ReadError::new(
                shown,
                e.location().map(|l| l.line()),
                format!("the mapping is not valid: {e}"),
                "compare with `ddf import FORMAT --print-default-mapping` and docs/import.md",
            )
        })
}

/// The default mapping of a tool.
pub fn default_for(tool: Tool, ddf_convention: bool) -> Mapping {
    // The defaults are constants tested below to parse.
    parse(default_text(tool, ddf_convention), "default mapping").unwrap_or_default()
}

fn matches(rule: Option<&str>, value: &str) -> bool {
    rule.is_none_or(|r| r == "*" || r == value)
}

impl Mapping {
    /// Checks the mapping against the schema: every type named exists, every `set` type too.
    pub fn validate(&self, schema: &Schema) -> Result<(), String> {
        for r in &self.types {
            if !matches!(r.to.as_str(), "same" | "-") && schema.lookup(&r.to).is_none() {
                return Err(format!(
                    "type rule names `{}`, which is not a record type",
                    r.to
                ));
            }
        }
        for t in self.set.keys() {
            if t != "*" && schema.lookup(t).is_none() {
                return Err(format!("`set` names `{t}`, which is not a record type"));
            }
        }
        if let Some(s) = &self.status {
            if !schema.types.values().any(|t| t.statuses.contains(s)) {
                return Err(format!("status `{s}` is no status of any type"));
            }
        }
        Ok(())
    }

    /// The ddf type of `item`: the first rule matching it; `None` when none does or it says
    /// `-`.
    pub fn type_of<'s>(
        &self,
        item: &Item,
        schema: &'s Schema,
    ) -> Result<Option<&'s TypeDef>, String> {
        for r in &self.types {
            if !matches(r.document.as_deref(), &item.document)
                || !matches(r.source_type.as_deref(), &item.source_type)
                || r.level.is_some_and(|l| l != item.level)
            {
                continue;
            }
            match r.to.as_str() {
                "-" => return Ok(None),
                "same" => {
                    if let Some(t) = schema.lookup(&item.source_type) {
                        return Ok(Some(t));
                    }
                }
                to => {
                    return schema.lookup(to).map(Some).ok_or_else(|| {
                        format!("type rule names `{to}`, which is not a record type")
                    });
                }
            }
        }
        Ok(None)
    }

    /// Where attribute `name` of an item of type `t` goes.
    pub fn field_of(&self, name: &str, t: &TypeDef) -> FieldTarget {
        let given = self.fields.get(name).or_else(|| {
            self.fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        });
        if let Some(f) = given {
            return if f == "-" {
                FieldTarget::Drop
            } else {
                FieldTarget::Field(f.clone())
            };
        }
        let lower = name.to_ascii_lowercase();
        if t.fields.contains_key(&lower) && !matches!(lower.as_str(), "id" | "type") {
            return FieldTarget::Field(lower);
        }
        let snake = super::field_name(name);
        if t.fields.contains_key(&snake) && !matches!(snake.as_str(), "id" | "type") {
            return FieldTarget::Field(snake);
        }
        FieldTarget::Unmapped
    }

    /// Where a link of role `role` from an item of type `t` goes.
    pub fn link_of(&self, role: &str, t: &TypeDef) -> LinkTarget {
        let given = |v: &String| match v.as_str() {
            "-" => LinkTarget::Drop,
            "auto" => LinkTarget::Auto,
            f => LinkTarget::Field(f.to_string()),
        };
        if let Some(v) = self.links.get(role) {
            return given(v);
        }
        if t.fields.get(role).is_some_and(|d| d.kind.is_reference()) {
            return LinkTarget::Field(role.to_string());
        }
        match self.links.get("*") {
            Some(v) => given(v),
            None => LinkTarget::Unmapped,
        }
    }

    /// The fixed values of type `t`: its own, then `*`'s.
    pub fn set_for<'a>(
        &'a self,
        t: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a serde_yaml::Value)> {
        let own = self.set.iter().filter(move |(k, _)| k.as_str() == t);
        let any = self.set.iter().filter(|(k, _)| k.as_str() == "*");
        own.chain(any).flat_map(|(_, m)| m.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse() {
        for tool in [
            Tool::Doorstop,
            Tool::Strictdoc,
            Tool::Reqif,
            Tool::Csv,
            Tool::Xlsx,
        ] {
            for conv in [false, true] {
                parse(default_text(tool, conv), "default").expect("default mapping parses");
            }
        }
        let schema = Schema::builtin().expect("schema");
        for tool in [Tool::Doorstop, Tool::Strictdoc, Tool::Reqif, Tool::Csv] {
            default_for(tool, false).validate(&schema).expect("valid");
        }
    }

    #[test]
    fn rules_and_identity() {
        let schema = Schema::builtin().expect("schema");
        let m = default_for(Tool::Doorstop, false);
        let root = Item {
            document: "REQ".into(),
            ..Item::default()
        };
        let child = Item {
            level: 1,
            ..root.clone()
        };
        assert_eq!(
            m.type_of(&root, &schema)
                .ok()
                .flatten()
                .map(|t| t.prefix.as_str()),
            Some("UN")
        );
        assert_eq!(
            m.type_of(&child, &schema)
                .ok()
                .flatten()
                .map(|t| t.prefix.as_str()),
            Some("DI")
        );
        let di = schema.lookup("DI").expect("DI");
        assert_eq!(m.field_of("reviewed", di), FieldTarget::Drop);
        assert_eq!(
            m.field_of("Acceptance Criteria", di),
            FieldTarget::Field("acceptance_criteria".into())
        );
        assert_eq!(m.field_of("colour", di), FieldTarget::Unmapped);
        assert_eq!(m.link_of("parent", di), LinkTarget::Auto);
        assert_eq!(
            m.link_of("traces_to", di),
            LinkTarget::Field("traces_to".into())
        );
        assert_eq!(m.link_of("other", di), LinkTarget::Unmapped);
        let bad = parse("types: [{ type: design-input, colour: red }]", "m.yaml")
            .expect_err("unknown key");
        assert_eq!(bad.location.line, Some(1));
    }
}
