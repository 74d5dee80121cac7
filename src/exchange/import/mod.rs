//! `ddf import`: records from the tools a team is leaving (Doorstop, StrictDoc, ReqIF, CSV,
//! XLSX).
//!
//! Every reader produces one neutral model, [`Foreign`]: each foreign item with its source id,
//! source type and document, title, text, attributes, links (role and target source id) and where
//! it was read. One engine, [`plan`], maps it through a [`mapping::Mapping`] and plans the ddf
//! records: the type, the file under the records folder, the id (kept where it is a ddf id of the
//! type and free, else mapped), the fields and the links. [`apply`] writes new files only, never
//! replacing one, and the map of source ids to ddf ids (`import-map.csv`) beside the records, so
//! a second import of the same items reports them as conflicts instead of duplicating them.

pub mod csv;
pub mod doorstop;
pub mod mapping;
pub mod reqif;
pub mod strictdoc;
pub mod xlsx;

use crate::corpus::Corpus;
use crate::rules::structure::is_valid_id;
use crate::schema::{FieldKind, TypeDef};
use mapping::{LinkTarget, Mapping, Unmapped};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The largest input file a reader takes (a ReqIF of 20,000 objects is some 30 MB).
pub const MAX_INPUT: u64 = 256 * 1024 * 1024;
/// The most items one import takes.
pub const MAX_ITEMS: usize = 1_000_000;

/// The tools ddf imports from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    /// A Doorstop tree (documents with `.doorstop.yml`, one YAML file per item).
    Doorstop,
    /// StrictDoc `.sdoc` files.
    Strictdoc,
    /// ReqIF 1.x, `.reqif` or `.reqifz`.
    Reqif,
    /// A CSV file with a header row.
    Csv,
    /// An XLSX workbook, first sheet (or the one the mapping names), header row.
    Xlsx,
}

impl Tool {
    /// The name as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Doorstop => "doorstop",
            Tool::Strictdoc => "strictdoc",
            Tool::Reqif => "reqif",
            Tool::Csv => "csv",
            Tool::Xlsx => "xlsx",
        }
    }
}

/// Where an item was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file, as given or relative to the folder given.
    pub file: String,
    /// 1-based line, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}", self.file),
            None => write!(f, "{}", self.file),
        }
    }
}

/// A link of a foreign item: its role (Doorstop `parent`, StrictDoc `Parent`, a ReqIF relation
/// type's name, a CSV column) and the source id of the item it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The role.
    pub role: String,
    /// The target's source id.
    pub target: String,
}

/// One foreign item, as a reader found it.
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// Its id in the source tool (Doorstop `REQ001`, StrictDoc UID, ReqIF `ReqIF.ForeignID` or
    /// IDENTIFIER, the id column).
    pub source_id: String,
    /// Its type in the source tool (a ReqIF SPEC-OBJECT-TYPE name, a StrictDoc element, a type
    /// column); empty where the tool has none.
    pub source_type: String,
    /// Its document (Doorstop prefix, StrictDoc document title, ReqIF specification name).
    pub document: String,
    /// The depth of its document in the tool's document tree (Doorstop: 0 for a root document).
    pub level: usize,
    /// Title.
    pub title: Option<String>,
    /// Text, Markdown.
    pub text: Option<String>,
    /// Other attributes, by name, in source order; values are text (YAML text for structured
    /// values).
    pub attributes: Vec<(String, String)>,
    /// Links to other items.
    pub links: Vec<Link>,
    /// Where it was read.
    pub location: Location,
}

/// An input item not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Its source id (or a description where it has none).
    pub source_id: String,
    /// Where it is.
    pub location: Location,
    /// Why it was not imported.
    pub reason: String,
}

/// What a reader produced.
#[derive(Debug, Clone)]
pub struct Foreign {
    /// The tool.
    pub tool: Tool,
    /// The items, in source order.
    pub items: Vec<Item>,
    /// Items the reader did not turn into items (an inactive Doorstop item, a StrictDoc text
    /// node), with why.
    pub skipped: Vec<Skipped>,
    /// The input follows ddf's own ReqIF convention (types are ddf type names): the identity
    /// mapping is the default.
    pub ddf_convention: bool,
}

/// An input ddf cannot read: the file, the line where known, what is wrong and a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ReadError {
    /// Where.
    pub location: Location,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl ReadError {
    /// An error at `file` (line `line` where known).
    pub fn new(
        file: impl Into<String>,
        line: Option<usize>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ReadError {
            location: Location {
                file: file.into(),
                line,
            },
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// Reads a whole input file, refusing one that is not a regular file or is larger than
/// [`MAX_INPUT`] (read through `take`, so a file that grows meanwhile is still bounded).
pub fn read_bounded(path: &Path, shown: &str) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let meta = std::fs::metadata(path)
        .map_err(|e| ReadError::new(shown, None, format!("cannot read: {e}"), "check the path"))?;
    if !meta.is_file() {
        return Err(ReadError::new(
            shown,
            None,
            "is not a regular file",
            "give the path of the file to import",
        ));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| ReadError::new(shown, None, format!("cannot read: {e}"), "check the path"))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::new(shown, None, format!("cannot read: {e}"), "check the path"))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(too_large(shown));
    }
    Ok(bytes)
}

fn too_large(shown: &str) -> ReadError {
    ReadError::new(
        shown,
        None,
        format!("is larger than {} MiB", MAX_INPUT / (1024 * 1024)),
        "split the export into several files and import them one by one",
    )
}

/// `bytes` as UTF-8 text (a byte-order mark dropped), or an error naming the line and column of
/// the first byte that is not UTF-8.
pub fn utf8(bytes: Vec<u8>, shown: &str) -> Result<String, ReadError> {
    let bytes = match bytes.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = at
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        ReadError::new(
            shown,
            Some(line),
            format!("is not UTF-8 (column {col})"),
            "save the file as UTF-8 and import it again",
        )
    })
}

/// A title from the first line of `text`: Markdown emphasis and heading marks dropped, at most
/// 100 characters.
pub fn title_from_text(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = line.trim_start_matches('#').trim().replace("**", "");
    let line = line.trim_matches(|c: char| c == '*' || c == '_' || c.is_whitespace());
    if line.is_empty() {
        return None;
    }
    let mut out: String = line.chars().take(100).collect();
    if line.chars().count() > 100 {
        out.push_str("...");
    }
    Some(out)
}

/// One record the import writes.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    /// The source id.
    pub source_id: String,
    /// The ddf id.
    pub id: String,
    /// Whether the source id is kept as it is.
    pub kept: bool,
    /// The ddf type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The file, relative to the DDF root.
    pub path: String,
    /// Where the item was read.
    pub from: Location,
    /// Links written: (field, ddf id), in field order.
    pub links: Vec<(String, String)>,
    /// Required fields the source did not give: to fill in.
    pub missing: Vec<String>,
    /// The file's text.
    #[serde(skip)]
    pub text: String,
}

/// An item not written because its id or file exists.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    /// The source id.
    pub source_id: String,
    /// The ddf id it maps to.
    pub id: String,
    /// The file it would be written to.
    pub path: String,
    /// Where the item was read.
    pub from: Location,
    /// What is in the way.
    pub reason: String,
}

/// A link not written, and why.
#[derive(Debug, Clone, Serialize)]
pub struct DroppedLink {
    /// The item holding it.
    pub source_id: String,
    /// Its role.
    pub role: String,
    /// The target's source id.
    pub target: String,
    /// Why.
    pub reason: String,
}

/// A required field no imported record of a type got: what a person must fill in.
#[derive(Debug, Clone, Serialize)]
pub struct Missing {
    /// The ddf type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The field.
    pub field: String,
    /// How many planned records lack it.
    pub records: usize,
}

/// One row of the id map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapRow {
    /// The tool.
    pub tool: String,
    /// The source id.
    pub source_id: String,
    /// The ddf id.
    pub id: String,
}

/// What an import does.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The tool.
    pub tool: Tool,
    /// How many items the reader found (imported, conflicting and skipped together).
    pub items: usize,
    /// The records written, in source order.
    pub records: Vec<Planned>,
    /// Items not written because their id or file exists.
    pub conflicts: Vec<Conflict>,
    /// Items not imported, with why.
    pub skipped: Vec<Skipped>,
    /// Links not written, with why.
    pub dropped_links: Vec<DroppedLink>,
    /// Source attributes no field was mapped to (not written), with how many items had each.
    pub unmapped: BTreeMap<String, usize>,
    /// Attributes kept as fields of their own name (`unmapped: keep`), with counts.
    pub kept_attributes: BTreeMap<String, usize>,
    /// Required fields the source lacks, by type.
    pub missing: Vec<Missing>,
    /// The id map file, relative to the DDF root.
    pub map_path: String,
    /// Rows added to the id map (only ids that were not kept as they are).
    pub map_rows: Vec<MapRow>,
    /// The id map's text after the import.
    #[serde(skip)]
    pub map_text: String,
    /// Notes (values that were not valid and were replaced, and the like).
    pub warnings: Vec<String>,
}

/// Why an import cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PlanError {
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

fn plan_error(message: impl Into<String>, hint: impl Into<String>) -> PlanError {
    PlanError {
        message: message.into(),
        hint: hint.into(),
    }
}

/// The id map file by default: `import-map.csv` in the records folder.
pub fn default_map_path(corpus: &Corpus) -> String {
    if corpus.config.records == "." {
        "import-map.csv".into()
    } else {
        format!("{}/import-map.csv", corpus.config.records)
    }
}

/// Reads the id map text: `tool,source_id,id` rows after a header. Rows that do not parse are
/// ignored (the file is ddf's own; a person may have edited it).
pub fn parse_map(text: &str) -> Vec<MapRow> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .flatten()
        .filter_map(|r| {
            Some(MapRow {
                tool: r.get(0)?.to_string(),
                source_id: r.get(1)?.to_string(),
                id: r.get(2)?.to_string(),
            })
        })
        .filter(|r| is_valid_id(&r.id))
        .collect()
}

fn map_text(rows: &[MapRow]) -> String {
    let mut w = ::csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(["tool", "source_id", "id"]);
    for r in rows {
        let _ = w.write_record([&r.tool, &r.source_id, &r.id]);
    }
    w.into_inner()
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

/// Checks a folder a mapping names: relative, below the records folder, plain names only (no
/// `..`, `.`, dot folders or backslashes). Returns it with `/` separators.
pub fn checked_folder(records: &str, folder: &str) -> Result<String, String> {
    let rel = folder.trim_end_matches('/');
    let mut parts = Vec::new();
    for part in rel.split('/') {
        if part.is_empty()
            || part == "."
            || part == ".."
            || part.starts_with('.')
            || part.contains(['\\', ':', '\0'])
        {
            return Err(format!(
                "folder `{}` is not a plain relative path",
                folder.escape_debug()
            ));
        }
        parts.push(part);
    }
    let records_parts: Vec<&str> = records.split('/').filter(|p| !p.is_empty()).collect();
    if records != "." && !parts.starts_with(&records_parts) {
        return Err(format!(
            "folder `{folder}` is not below the records folder `{records}`"
        ));
    }
    Ok(parts.join("/"))
}

/// The ddf id a source id becomes when it keeps its number: `REQ003` -> `UN-003`,
/// `SDOC-SRS-18` -> `DI-018`. Only for ids made of letters and separators followed by a number.
fn numbered(prefix: &str, source_id: &str) -> Option<String> {
    let digits_at = source_id
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map(|(i, _)| i)?;
    let (head, num) = source_id.split_at(digits_at);
    if head.is_empty()
        || !head
            .chars()
            .all(|c| c.is_ascii_alphabetic() || matches!(c, '-' | '_' | '.'))
        || num.len() > 12
    {
        return None;
    }
    let n: u64 = num.parse().ok()?;
    let digits = n.to_string();
    Some(format!(
        "{prefix}-{}{digits}",
        "0".repeat(3usize.saturating_sub(digits.len()))
    ))
}

/// Renders `value` as the YAML of field `key` (without a newline): plain scalars on the line,
/// text over several lines as a block.
fn field_yaml(key: &str, value: &serde_yaml::Value) -> String {
    if let serde_yaml::Value::String(s) = value {
        if !s.contains(['\n', '\r']) {
            return format!("{key}: {}", crate::sbom::edit::scalar(s, false));
        }
    }
    let mut m = serde_yaml::Mapping::new();
    m.insert(serde_yaml::Value::String(key.to_string()), value.clone());
    serde_yaml::to_string(&m)
        .map(|s| s.trim_end().to_string())
        .unwrap_or_else(|_| format!("{key}: ''"))
}

/// The YAML value of a source attribute for a field of `kind`: structured kinds and booleans
/// and numbers are parsed as YAML (the ddf ReqIF convention writes lists and maps as YAML text),
/// anything else stays text.
fn field_value(kind: FieldKind, text: &str) -> serde_yaml::Value {
    use serde_yaml::Value;
    let parsed = || crate::front_matter::parse_yaml(text).ok();
    match kind {
        FieldKind::List
        | FieldKind::Map
        | FieldKind::Maps
        | FieldKind::Enums
        | FieldKind::Any
        | FieldKind::Bool
        | FieldKind::Number
        | FieldKind::Link => match parsed() {
            Some(Value::Null) | None => Value::String(text.to_string()),
            Some(v) => v,
        },
        _ => Value::String(text.to_string()),
    }
}

fn is_empty_value(v: &serde_yaml::Value) -> bool {
    match v {
        serde_yaml::Value::Null => true,
        serde_yaml::Value::String(s) => s.trim().is_empty(),
        serde_yaml::Value::Sequence(s) => s.is_empty(),
        serde_yaml::Value::Mapping(m) => m.is_empty(),
        _ => false,
    }
}

/// A field name for an attribute kept as it is (`unmapped: keep`): lower case, runs of other
/// characters as `_`.
fn field_name(attr: &str) -> String {
    let mut out = String::new();
    for c in attr.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("x_{out}")
    } else {
        out
    }
}

/// The common fields ddf writes itself.
const COMMON: [&str; 5] = ["id", "type", "title", "status", "owner"];

/// Plans an import of `foreign` into the DDF `corpus` (at `root`) through `mapping`, with the id
/// map at `map_path` (relative to `root`; its current text `map_before`, if it exists).
pub fn plan(
    corpus: &Corpus,
    root: &Path,
    foreign: Foreign,
    mapping: &Mapping,
    map_path: &str,
    map_before: Option<&str>,
) -> Result<Plan, PlanError> {
    let schema = &corpus.config.schema;
    let tool = foreign.tool;
    let items_total = foreign.items.len() + foreign.skipped.len();
    let mut skipped = foreign.skipped;
    // ddf's own ReqIF writes a list given empty on purpose (`new_risks: []`) as the value `[]`
    // (docs/export.md): such a value is kept as an empty list. Any other tool's empty value
    // says nothing and stays dropped.
    let keep_empty = foreign.ddf_convention;
    let mut warnings = Vec::new();
    let old_rows = map_before.map(parse_map).unwrap_or_default();
    let old_map: HashMap<&str, &str> = old_rows
        .iter()
        .filter(|r| r.tool == tool.name())
        .map(|r| (r.source_id.as_str(), r.id.as_str()))
        .collect();

    // 1. Types and folders.
    let mut typed: Vec<(Item, &TypeDef)> = Vec::with_capacity(foreign.items.len());
    let mut folders: HashMap<String, String> = HashMap::new();
    for (t, f) in &mapping.folders {
        let def = schema.lookup(t).ok_or_else(|| {
            plan_error(
                format!("the mapping's folders name `{t}`, which is not a record type"),
                "use a type name from docs/schema.md or ddf.yaml",
            )
        })?;
        let f = checked_folder(&corpus.config.records, f).map_err(|m| {
            plan_error(
                format!("the mapping's folders: {m}"),
                "give a folder below the records folder, e.g. records/imported",
            )
        })?;
        folders.insert(def.name.clone(), f);
    }
    let mut seen_source: HashSet<String> = HashSet::new();
    for item in foreign.items {
        if !seen_source.insert(item.source_id.clone()) {
            skipped.push(Skipped {
                source_id: item.source_id.clone(),
                location: item.location.clone(),
                reason: "an earlier item has the same source id".into(),
            });
            continue;
        }
        match mapping.type_of(&item, schema) {
            Ok(Some(t)) => typed.push((item, t)),
            Ok(None) => skipped.push(Skipped {
                source_id: item.source_id.clone(),
                location: item.location.clone(),
                reason: format!(
                    "no type rule of the mapping matches it (document `{}`, type `{}`, level {})",
                    item.document, item.source_type, item.level
                ),
            }),
            Err(m) => return Err(plan_error(m, "fix the types rules of the mapping")),
        }
    }

    // 2. Ids: an id already in the map; else the source id where it is a free ddf id of the
    //    type; else its number under the type's prefix where free; else the next free id.
    let mut used_by_prefix: HashMap<String, HashSet<String>> = HashMap::new();
    for (_, t) in &typed {
        if !used_by_prefix.contains_key(&t.prefix) {
            let ids = crate::ids::used_ids(corpus, root, &t.prefix);
            used_by_prefix.insert(t.prefix.clone(), ids);
        }
    }
    let empty = HashSet::new();
    let used = |prefix: &str| -> &HashSet<String> { used_by_prefix.get(prefix).unwrap_or(&empty) };
    let mut taken: HashSet<String> = HashSet::new();
    let n = typed.len();
    let mut ids: Vec<Option<(String, bool, Option<String>)>> = vec![None; n];
    // Map entries and kept ids first, so a renumbered item never takes the id of a later item
    // that keeps its own.
    for (i, (item, t)) in typed.iter().enumerate() {
        if let Some(old) = old_map.get(item.source_id.as_str()) {
            ids[i] = Some((
                (*old).to_string(),
                false,
                Some(format!("imported before as {old} ({map_path})")),
            ));
            taken.insert((*old).to_string());
            continue;
        }
        let fits = mapping.ids.keep
            && is_valid_id(&item.source_id)
            && item.source_id.split('-').next() == Some(t.prefix.as_str());
        if fits && !taken.contains(&item.source_id) {
            let exists = used(&t.prefix).contains(&item.source_id);
            taken.insert(item.source_id.clone());
            ids[i] = Some((
                item.source_id.clone(),
                true,
                exists.then(|| format!("{} exists in the DDF", item.source_id)),
            ));
        }
    }
    for (i, (item, t)) in typed.iter().enumerate() {
        if ids[i].is_some() || !mapping.ids.keep_number {
            continue;
        }
        if let Some(id) = numbered(&t.prefix, &item.source_id) {
            if !taken.contains(&id) && !used(&t.prefix).contains(&id) {
                taken.insert(id.clone());
                ids[i] = Some((id, false, None));
            }
        }
    }
    let mut allocators: HashMap<String, crate::ids::IdAllocator> = HashMap::new();
    for (i, (_, t)) in typed.iter().enumerate() {
        if ids[i].is_some() {
            continue;
        }
        let alloc = allocators.entry(t.prefix.clone()).or_insert_with(|| {
            let mut all: Vec<String> = used(&t.prefix).iter().cloned().collect();
            all.extend(
                taken
                    .iter()
                    .filter(|id| id.split('-').next() == Some(t.prefix.as_str()))
                    .cloned(),
            );
            crate::ids::IdAllocator::after(&t.prefix, all.into_iter())
        });
        let mut id = alloc.next_id();
        while taken.contains(&id) {
            id = alloc.next_id();
        }
        taken.insert(id.clone());
        ids[i] = Some((id, false, None));
    }
    // Source id -> ddf id, for links: this import's items, then earlier imports' map rows.
    let mut id_of: HashMap<&str, &str> = HashMap::new();
    for (k, v) in &old_map {
        id_of.insert(k, v);
    }
    for (i, (item, _)) in typed.iter().enumerate() {
        if let Some((id, _, _)) = &ids[i] {
            id_of.insert(item.source_id.as_str(), id.as_str());
        }
    }
    let type_of_id = |id: &str| -> Option<String> {
        let prefix = id.split('-').next().unwrap_or("");
        schema.by_prefix(prefix).map(|t| t.prefix.clone())
    };

    // 3. Records.
    let mut records = Vec::new();
    let mut conflicts = Vec::new();
    let mut dropped_links = Vec::new();
    let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
    let mut kept_attributes: BTreeMap<String, usize> = BTreeMap::new();
    let mut missing_count: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut map_rows = Vec::new();
    let mut paths: HashSet<String> = HashSet::new();
    for (i, (item, t)) in typed.iter().enumerate() {
        let Some((id, kept, conflict)) = ids[i].clone() else {
            continue;
        };
        // Once per type: the default folder is found by counting the folders of all the
        // DDF's records of the type, which per item made an import into a large DDF quadratic.
        let folder = folders
            .entry(t.name.clone())
            .or_insert_with(|| crate::ids::default_folder(corpus, t))
            .clone();
        let path = format!("{folder}/{id}.md");
        let conflict = conflict.or_else(|| {
            if corpus.by_id.contains_key(&id) {
                Some(format!("{id} exists in the DDF"))
            } else if std::fs::symlink_metadata(root.join(&path)).is_ok() {
                Some(format!("{path} exists"))
            } else if !paths.insert(path.clone()) {
                Some(format!("another item is planned at {path}"))
            } else {
                None
            }
        });
        if let Some(reason) = conflict {
            conflicts.push(Conflict {
                source_id: item.source_id.clone(),
                id,
                path,
                from: item.location.clone(),
                reason,
            });
            continue;
        }
        // Fields.
        let mut fields: Vec<(String, serde_yaml::Value)> = Vec::new();
        let mut status: Option<String> = None;
        let mut title = item.title.clone().filter(|s| !s.trim().is_empty());
        let mut body = item.text.clone().unwrap_or_default();
        for (name, value) in &item.attributes {
            if value.trim().is_empty() {
                continue;
            }
            match mapping.field_of(name, t) {
                mapping::FieldTarget::Drop => {}
                mapping::FieldTarget::Field(f) => match f.as_str() {
                    "status" => status = Some(value.trim().to_string()),
                    "title" => title = Some(value.trim().to_string()).filter(|s| !s.is_empty()),
                    "text" | "body" => body = value.clone(),
                    "id" | "type" => {}
                    _ => {
                        let kind = t.fields.get(&f).map_or(FieldKind::Any, |d| d.kind);
                        let empty = keep_empty && matches!(value.trim(), "[]" | "{}");
                        if empty && kind.is_reference() {
                            if !fields.iter().any(|(n, _)| n == &f) {
                                fields.push((f, serde_yaml::Value::Sequence(Vec::new())));
                            }
                            continue;
                        }
                        if kind.is_reference() && f != "owner" {
                            // A link field given as an attribute: its ids are source ids.
                            for target in split_ids(value) {
                                push_link(
                                    &mut fields,
                                    &f,
                                    &target,
                                    item,
                                    &id_of,
                                    &mut dropped_links,
                                    corpus,
                                );
                            }
                            continue;
                        }
                        let v = field_value(kind, value);
                        let collection = matches!(
                            v,
                            serde_yaml::Value::Sequence(_) | serde_yaml::Value::Mapping(_)
                        );
                        if !is_empty_value(&v) || (empty && collection) {
                            set_field(&mut fields, &f, v);
                        }
                    }
                },
                mapping::FieldTarget::Unmapped => match mapping.unmapped {
                    Unmapped::Report => *unmapped.entry(name.clone()).or_default() += 1,
                    Unmapped::Drop => {}
                    Unmapped::Keep => {
                        let f = field_name(name);
                        if COMMON.contains(&f.as_str())
                            || t.fields.get(&f).is_some_and(|d| d.kind.is_reference())
                        {
                            *unmapped.entry(name.clone()).or_default() += 1;
                        } else if !value.trim().is_empty() {
                            *kept_attributes.entry(name.clone()).or_default() += 1;
                            set_field(&mut fields, &f, serde_yaml::Value::String(value.clone()));
                        }
                    }
                },
            }
        }
        for (field, value) in mapping.set_for(&t.name) {
            if field == "status" {
                if status.is_none() {
                    status = value.as_str().map(String::from);
                }
            } else if !fields.iter().any(|(f, _)| f == field) {
                fields.push((field.clone(), value.clone()));
            }
        }
        // Links.
        for link in &item.links {
            match mapping.link_of(&link.role, t) {
                LinkTarget::Drop => {}
                LinkTarget::Field(f) => {
                    if !t.fields.get(&f).is_some_and(|d| d.kind.is_reference()) {
                        dropped_links.push(DroppedLink {
                            source_id: item.source_id.clone(),
                            role: link.role.clone(),
                            target: link.target.clone(),
                            reason: format!("`{f}` is not a link field of {}", t.name),
                        });
                        continue;
                    }
                    push_link(
                        &mut fields,
                        &f,
                        &link.target,
                        item,
                        &id_of,
                        &mut dropped_links,
                        corpus,
                    );
                }
                LinkTarget::Auto => {
                    let Some(target) = resolve(&link.target, &id_of, corpus) else {
                        dropped_links.push(DroppedLink {
                            source_id: item.source_id.clone(),
                            role: link.role.clone(),
                            target: link.target.clone(),
                            reason: "the target is neither in the import nor in the DDF".into(),
                        });
                        continue;
                    };
                    let prefix = type_of_id(&target).unwrap_or_default();
                    match t
                        .link_fields()
                        .find(|d| d.name != "owner" && d.name != "supersedes" && d.accepts_target(&prefix))
                    {
                        Some(d) => {
                            let name = d.name.clone();
                            push_link(&mut fields, &name, &link.target, item, &id_of, &mut dropped_links, corpus);
                        }
                        None => dropped_links.push(DroppedLink {
                            source_id: item.source_id.clone(),
                            role: link.role.clone(),
                            target: link.target.clone(),
                            reason: format!(
                                "{} has no link field to {target} ({prefix}); map the role to a field in the mapping",
                                t.name
                            ),
                        }),
                    }
                }
                LinkTarget::Unmapped => dropped_links.push(DroppedLink {
                    source_id: item.source_id.clone(),
                    role: link.role.clone(),
                    target: link.target.clone(),
                    reason: format!("the mapping maps no link field to role `{}`", link.role),
                }),
            }
        }
        dedup_links(&mut fields, t);
        // Status.
        let default_status = mapping
            .status
            .clone()
            .or_else(|| t.statuses.first().cloned())
            .unwrap_or_else(|| "draft".into());
        let status = status.map(|s| {
            t.statuses
                .iter()
                .find(|v| v.eq_ignore_ascii_case(&s))
                .cloned()
                .unwrap_or(s)
        });
        let status = match status {
            Some(s) if t.statuses.contains(&s) => s,
            Some(s) => {
                if !s.is_empty() {
                    warnings.push(format!(
                        "{} ({}): status `{s}` is not a status of {}; written as {default_status}",
                        item.source_id, item.location, t.name
                    ));
                }
                default_status
            }
            None => default_status,
        };
        let title = match title {
            Some(t) => t,
            None => match title_from_text(&body) {
                Some(t) => t,
                None => item.source_id.clone(),
            },
        };
        let title = title.replace(['\n', '\r'], " ");
        // Required fields the source lacks (the body stands in for the type's body field).
        let mut missing = Vec::new();
        for f in t.fields.values() {
            if !f.required_for(&status)
                || f.allow_empty
                || matches!(f.name.as_str(), "id" | "type" | "title" | "status")
            {
                continue;
            }
            let has = fields
                .iter()
                .any(|(n, v)| n == &f.name && !is_empty_value(v))
                || (t.body.as_deref() == Some(f.name.as_str()) && !body.trim().is_empty());
            if !has {
                missing.push(f.name.clone());
                *missing_count
                    .entry((t.name.clone(), f.name.clone()))
                    .or_default() += 1;
            }
        }
        // The text.
        let owner = fields
            .iter()
            .position(|(f, _)| f == "owner")
            .map(|p| fields.remove(p).1);
        let mut front = String::from("---\n");
        front.push_str(&format!("id: {id}\ntype: {}\n", t.name));
        front.push_str(&field_yaml("title", &serde_yaml::Value::String(title)));
        front.push('\n');
        front.push_str(&field_yaml("status", &serde_yaml::Value::String(status)));
        front.push('\n');
        if let Some(o) = owner {
            front.push_str(&field_yaml("owner", &one_ref(o)));
            front.push('\n');
        }
        // Schema order first, then the rest in source order.
        let mut ordered: Vec<&(String, serde_yaml::Value)> = Vec::new();
        for name in t.fields.keys() {
            ordered.extend(fields.iter().filter(|(f, _)| f == name));
        }
        ordered.extend(fields.iter().filter(|(f, _)| !t.fields.contains_key(f)));
        let mut links = Vec::new();
        for (f, v) in ordered {
            if let serde_yaml::Value::Sequence(seq) = v {
                // A field that names one record (`owner`, `closed_by`) is written as that id,
                // as a person would write it, not as a list of one.
                if t.fields.get(f).is_some_and(|d| d.kind == FieldKind::Ref) && seq.len() == 1 {
                    if let Some(s) = seq[0].as_str() {
                        links.push((f.clone(), s.to_string()));
                        front.push_str(&format!("{f}: {s}\n"));
                        continue;
                    }
                }
                if t.fields.get(f).is_some_and(|d| d.kind.is_reference()) {
                    for s in seq.iter().filter_map(|s| s.as_str()) {
                        links.push((f.clone(), s.to_string()));
                    }
                    let ids: Vec<String> = seq
                        .iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect();
                    front.push_str(&format!("{f}: {}\n", crate::sbom::edit::list(&ids)));
                    continue;
                }
            }
            front.push_str(&field_yaml(f, v));
            front.push('\n');
        }
        front.push_str("---\n");
        let body = body.trim_end();
        if !body.is_empty() {
            front.push_str(body);
            front.push('\n');
        }
        if !kept {
            map_rows.push(MapRow {
                tool: tool.name().to_string(),
                source_id: item.source_id.clone(),
                id: id.clone(),
            });
        }
        records.push(Planned {
            source_id: item.source_id.clone(),
            id,
            kept,
            type_name: t.name.clone(),
            path,
            from: item.location.clone(),
            links,
            missing,
            text: front,
        });
    }
    let missing = missing_count
        .into_iter()
        .map(|((type_name, field), records)| Missing {
            type_name,
            field,
            records,
        })
        .collect();
    let mut all_rows = old_rows;
    all_rows.extend(map_rows.iter().cloned());
    Ok(Plan {
        tool,
        items: items_total,
        records,
        conflicts,
        skipped,
        dropped_links,
        unmapped,
        kept_attributes,
        missing,
        map_path: map_path.to_string(),
        map_text: map_text(&all_rows),
        map_rows,
        warnings,
    })
}

/// Ids in a text: separated by commas, semicolons, whitespace or YAML list brackets.
pub fn split_ids(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace() || c == '[' || c == ']')
        .map(|s| s.trim_matches(|c| c == '"' || c == '\''))
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The ddf id a link target (a source id) stands for: an item of this import or of an earlier
/// one, else a record of the DDF with that id.
fn resolve(target: &str, id_of: &HashMap<&str, &str>, corpus: &Corpus) -> Option<String> {
    if let Some(id) = id_of.get(target) {
        return Some((*id).to_string());
    }
    corpus
        .by_id
        .contains_key(target)
        .then(|| target.to_string())
}

fn set_field(fields: &mut Vec<(String, serde_yaml::Value)>, name: &str, v: serde_yaml::Value) {
    match fields.iter_mut().find(|(f, _)| f == name) {
        Some(slot) => slot.1 = v,
        None => fields.push((name.to_string(), v)),
    }
}

fn push_link(
    fields: &mut Vec<(String, serde_yaml::Value)>,
    field: &str,
    target: &str,
    item: &Item,
    id_of: &HashMap<&str, &str>,
    dropped: &mut Vec<DroppedLink>,
    corpus: &Corpus,
) {
    let Some(id) = resolve(target, id_of, corpus) else {
        dropped.push(DroppedLink {
            source_id: item.source_id.clone(),
            role: field.to_string(),
            target: target.to_string(),
            reason: "the target is neither in the import nor in the DDF".into(),
        });
        return;
    };
    let v = serde_yaml::Value::String(id);
    match fields.iter_mut().find(|(f, _)| f == field) {
        // Pushed even when it is there already: [`dedup_links`] drops the repeats once, as a
        // search here per link made an item with many links quadratic.
        Some((_, serde_yaml::Value::Sequence(seq))) => seq.push(v),
        Some(slot) => slot.1 = serde_yaml::Value::Sequence(vec![v]),
        None => fields.push((field.to_string(), serde_yaml::Value::Sequence(vec![v]))),
    }
}

/// Drops the repeated ids of the link fields of `t` in `fields`, keeping the first of each
/// ([`push_link`] pushes every link it resolves).
fn dedup_links(fields: &mut [(String, serde_yaml::Value)], t: &TypeDef) {
    for (f, v) in fields.iter_mut() {
        if !t.fields.get(f).is_some_and(|d| d.kind.is_reference()) {
            continue;
        }
        if let serde_yaml::Value::Sequence(seq) = v {
            let mut seen = HashSet::new();
            seq.retain(|x| seen.insert(x.clone()));
        }
    }
}

/// A list of one id as that id (the value of a field that names one record).
fn one_ref(v: serde_yaml::Value) -> serde_yaml::Value {
    match v {
        serde_yaml::Value::Sequence(mut seq) if seq.len() == 1 && seq[0].is_string() => {
            seq.remove(0)
        }
        v => v,
    }
}

/// Writes a file, never replacing one (`path`, `contents`, `overwrite`): the command line's
/// atomic writer.
pub type Writer = dyn Fn(&Path, &[u8], bool) -> std::io::Result<()> + Sync;

/// A file [`apply`] could not write.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct WriteError {
    /// Path relative to the DDF root.
    pub path: String,
    /// The error.
    #[source]
    pub source: std::io::Error,
}

/// Writes the planned records under `root` (new files only, in parallel), then the id map
/// (replaced whole: it is ddf's own file) when rows were added. Returns the number of records
/// written.
pub fn apply(root: &Path, plan: &Plan, write: &Writer) -> Result<usize, WriteError> {
    use rayon::prelude::*;
    let mut errors: Vec<WriteError> = plan
        .records
        .par_iter()
        .filter_map(|r| {
            write(&root.join(&r.path), r.text.as_bytes(), false)
                .err()
                .map(|source| WriteError {
                    path: r.path.clone(),
                    source,
                })
        })
        .collect();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    if !plan.map_rows.is_empty() {
        write(&root.join(&plan.map_path), plan.map_text.as_bytes(), true).map_err(|source| {
            WriteError {
                path: plan.map_path.clone(),
                source,
            }
        })?;
    }
    Ok(plan.records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_kept_under_the_type_prefix() {
        assert_eq!(numbered("UN", "REQ003").as_deref(), Some("UN-003"));
        assert_eq!(numbered("DI", "SDOC-SRS-18").as_deref(), Some("DI-018"));
        assert_eq!(numbered("DI", "REQ-1234").as_deref(), Some("DI-1234"));
        assert_eq!(numbered("DI", "2c84e85a-59d1-11da-8ef5-afdbd01c7a79"), None);
        assert_eq!(numbered("DI", "12"), None);
        assert_eq!(numbered("DI", "REQ99999999999999999999"), None);
        assert_eq!(numbered("DI", "../x1"), None);
    }

    #[test]
    fn folders_stay_below_the_records_folder() {
        assert_eq!(
            checked_folder("records", "records/a/").as_deref(),
            Ok("records/a")
        );
        for bad in [
            "records/../x",
            "../records",
            "records/.git",
            "/records",
            "other",
            "records\\..\\x",
        ] {
            assert!(checked_folder("records", bad).is_err(), "{bad}");
        }
        assert!(checked_folder(".", "x").is_ok());
    }

    #[test]
    fn text_fields_are_blocks_and_scalars_plain() {
        use serde_yaml::Value;
        assert_eq!(
            field_yaml("title", &Value::String("A: b".into())),
            "title: \"A: b\""
        );
        let block = field_yaml("rationale", &Value::String("one\ntwo\n".into()));
        // The record text puts a line break after each field.
        let back: serde_yaml::Mapping = serde_yaml::from_str(&format!("{block}\n")).expect("yaml");
        assert_eq!(
            back.get("rationale").and_then(Value::as_str),
            Some("one\ntwo\n")
        );
    }

    #[test]
    fn map_round_trips() {
        let rows = vec![MapRow {
            tool: "doorstop".into(),
            source_id: "REQ,1".into(),
            id: "UN-001".into(),
        }];
        assert_eq!(parse_map(&map_text(&rows)), rows);
        assert!(parse_map("tool,source_id,id\nx,y,../z\n").is_empty());
    }

    #[test]
    fn titles_from_text() {
        assert_eq!(
            title_from_text("\n**Creating** it\nmore").as_deref(),
            Some("Creating it")
        );
        assert_eq!(title_from_text("  \n"), None);
        assert_eq!(
            title_from_text(&"x".repeat(200)).map(|t| t.len()),
            Some(103)
        );
    }

    #[test]
    fn bad_utf8_names_the_line() {
        let e = utf8(b"ok\nab\xff".to_vec(), "f.sdoc").expect_err("not utf-8");
        assert_eq!(e.location.line, Some(2));
        assert!(e.message.contains("column 3"), "{}", e.message);
    }
}
