//! ReqIF 1.2 (OMG `dtc/11-04-05`, namespace `http://www.omg.org/spec/ReqIF/20110401/reqif.xsd`):
//! the convention ddf writes and its importer reads (docs/export.md). One SPEC-OBJECT-TYPE per
//! record type (`ddf-type-<type>`), one SPEC-OBJECT per record (`ddf-<id>`) with `ReqIF.ForeignID`
//! (the id), `ReqIF.Name` (title), `ReqIF.Text` (the body as XHTML), `ddf.status` and a string
//! attribute per other field (and per link field written as an empty list, of value `[]`); one
//! SPEC-RELATION-TYPE per link field (`ddf-link-<field>`) and a SPEC-RELATION per link; one
//! SPECIFICATION per record type listing its records in id order.
//!
//! The output is a function of the records and the time given: identifiers are derived from
//! ids, type and field names, never generated, and every list is sorted.

use super::xhtml::{self, attr, text};
use super::{empty_link_fields, fields, links, schema_order};
use crate::corpus::Corpus;
use crate::rules::structure::is_valid_id;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The ReqIF namespace.
pub const NS: &str = "http://www.omg.org/spec/ReqIF/20110401/reqif.xsd";
/// The XHTML namespace.
pub const XHTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// A ReqIF document and what was left out of it.
#[derive(Debug)]
pub struct Document {
    /// The XML text.
    pub xml: String,
    /// Records left out (an id that is not a ddf id or that two records share, a type that is
    /// not a type name), each with its file and why.
    pub left_out: Vec<String>,
    /// Links left out: to a record outside the selection, left out, or not there at all.
    pub links_left_out: usize,
}

/// `name` as part of an XML identifier (an `xsd:ID`): as is when it is letters, digits, `_` and
/// `-` only; otherwise `.` and the hex of its UTF-8 bytes. Plain names never contain `.`, so two
/// names never give the same part.
pub fn ident(name: &str) -> String {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        name.to_string()
    } else {
        let mut s = String::from(".");
        for b in name.bytes() {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

/// `secs` since the Unix epoch as an `xsd:dateTime` in UTC.
pub fn datetime(secs: i64) -> String {
    let day = crate::date::Date::from_unix(secs);
    let t = secs.rem_euclid(86_400);
    format!(
        "{day}T{:02}:{:02}:{:02}Z",
        t / 3600,
        (t % 3600) / 60,
        t % 60
    )
}

struct Attr {
    id: String,
    name: String,
    xhtml: bool,
}

const FOREIGN_ID: &str = "ReqIF.ForeignID";
const NAME: &str = "ReqIF.Name";
const TEXT: &str = "ReqIF.Text";
const STATUS: &str = "ddf.status";

fn attr_id(type_name: &str, attr_name: &str) -> String {
    match attr_name {
        FOREIGN_ID | NAME | TEXT | STATUS => format!("ddf-attr-{type_name}.{attr_name}"),
        field => format!("ddf-attr-{type_name}.{}", ident(field)),
    }
}

/// The records `selected` (indices into `corpus.records`, in id order) as a ReqIF document
/// created at `created` (seconds since the Unix epoch: the commit time of what was read).
pub fn document(corpus: &Corpus, selected: &[usize], created: i64) -> Document {
    let mut left_out = Vec::new();
    let dups = corpus.duplicate_ids();
    let schema = &corpus.config.schema;
    // The records that can be SPEC-OBJECTs: identifiers must be unique and well formed.
    let mut records: Vec<usize> = Vec::new();
    for &i in selected {
        let r = &corpus.records[i];
        if !is_valid_id(&r.id) {
            left_out.push(format!(
                "{}: left out: `{}` is not a ddf id (`ddf check` reports it)",
                r.path, r.id
            ));
        } else if dups.contains_key(r.id.as_str()) {
            left_out.push(format!(
                "{}: left out: id {} is used by more than one record (`ddf check` reports duplicate-id)",
                r.path, r.id
            ));
        } else if !crate::config::is_type_name(&r.type_name) {
            left_out.push(format!(
                "{}: left out: `{}` is not a record type name (`ddf check` reports it)",
                r.path, r.type_name
            ));
        } else {
            records.push(i);
        }
    }
    let included: BTreeSet<&str> = records
        .iter()
        .map(|&i| corpus.records[i].id.as_str())
        .collect();

    // Types in schema order (unknown ones after, by name), each with its attributes.
    let mut by_type: BTreeMap<(usize, &str), Vec<usize>> = BTreeMap::new();
    for &i in &records {
        let t = corpus.records[i].type_name.as_str();
        let rank = schema.types.get_index_of(t).unwrap_or(usize::MAX);
        by_type.entry((rank, t)).or_default().push(i);
    }
    let mut type_attrs: BTreeMap<&str, Vec<Attr>> = BTreeMap::new();
    for (&(_, t), recs) in &by_type {
        let names: BTreeSet<&str> = recs
            .iter()
            .flat_map(|&i| {
                let r = &corpus.records[i];
                fields(corpus, r)
                    .into_iter()
                    .map(|(k, _)| k)
                    .chain(empty_link_fields(corpus, r))
            })
            .collect();
        let mut attrs: Vec<Attr> = [FOREIGN_ID, NAME, TEXT, STATUS]
            .iter()
            .map(|n| Attr {
                id: attr_id(t, n),
                name: n.to_string(),
                xhtml: *n == TEXT,
            })
            .collect();
        attrs.extend(schema_order(corpus, names).into_iter().map(|n| Attr {
            id: attr_id(t, &n),
            name: n,
            xhtml: false,
        }));
        type_attrs.insert(t, attrs);
    }

    // Links between exported records; the others are counted.
    let mut relations: Vec<(&str, &str, &str)> = Vec::new();
    let mut dropped = 0usize;
    for &i in &records {
        let r = &corpus.records[i];
        for (field, targets) in links(r) {
            for t in targets {
                if included.contains(t) {
                    relations.push((r.id.as_str(), field, t));
                } else {
                    dropped += 1;
                }
            }
        }
    }
    relations.sort_unstable();
    let link_fields: BTreeSet<&str> = relations.iter().map(|(_, f, _)| *f).collect();

    let when = datetime(created);
    // Values first, to size the string datatype.
    let mut objects = String::new();
    let mut max_len = 255usize;
    for &i in &records {
        let r = &corpus.records[i];
        let t = r.type_name.as_str();
        let mut values = String::new();
        let mut string_value = |name: &str, value: &str| {
            max_len = max_len.max(value.chars().count());
            let _ = write!(
                values,
                "\n            <ATTRIBUTE-VALUE-STRING THE-VALUE=\"{}\"><DEFINITION><ATTRIBUTE-DEFINITION-STRING-REF>{}</ATTRIBUTE-DEFINITION-STRING-REF></DEFINITION></ATTRIBUTE-VALUE-STRING>",
                attr(value),
                attr_id(t, name)
            );
        };
        string_value(FOREIGN_ID, &r.id);
        let title = r.title();
        if !title.is_empty() {
            string_value(NAME, &title);
        }
        if !r.status().is_empty() {
            string_value(STATUS, r.status());
        }
        for (k, v) in fields(corpus, r) {
            string_value(k, &v);
        }
        for k in empty_link_fields(corpus, r) {
            string_value(k, "[]");
        }
        if r.has_body() {
            let _ = write!(
                values,
                "\n            <ATTRIBUTE-VALUE-XHTML><DEFINITION><ATTRIBUTE-DEFINITION-XHTML-REF>{}</ATTRIBUTE-DEFINITION-XHTML-REF></DEFINITION><THE-VALUE><xhtml:div>{}</xhtml:div></THE-VALUE></ATTRIBUTE-VALUE-XHTML>",
                attr_id(t, TEXT),
                xhtml::markdown(&r.body, "xhtml")
            );
        }
        let _ = write!(
            objects,
            "\n        <SPEC-OBJECT IDENTIFIER=\"ddf-{id}\" LAST-CHANGE=\"{when}\">\n          <VALUES>{values}\n          </VALUES>\n          <TYPE><SPEC-OBJECT-TYPE-REF>ddf-type-{t}</SPEC-OBJECT-TYPE-REF></TYPE>\n        </SPEC-OBJECT>",
            id = r.id
        );
    }

    let tool = format!("ddf {}", env!("CARGO_PKG_VERSION"));
    let mut x = String::new();
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<REQ-IF xmlns=\"{NS}\" xmlns:xhtml=\"{XHTML_NS}\">\n  <THE-HEADER>\n    <REQ-IF-HEADER IDENTIFIER=\"ddf-header\">\n      <COMMENT>{}</COMMENT>\n      <CREATION-TIME>{when}</CREATION-TIME>\n      <REQ-IF-TOOL-ID>{tool}</REQ-IF-TOOL-ID>\n      <REQ-IF-VERSION>1.0</REQ-IF-VERSION>\n      <SOURCE-TOOL-ID>{tool}</SOURCE-TOOL-ID>\n      <TITLE>{}</TITLE>\n    </REQ-IF-HEADER>\n  </THE-HEADER>\n  <CORE-CONTENT>\n    <REQ-IF-CONTENT>",
        text(&format!(
            "The Design and Development File of {}, exported by ddf from {} ({} records)",
            corpus.config.project,
            corpus.source,
            records.len()
        )),
        text(&corpus.config.project)
    );
    let _ = write!(
        x,
        "\n      <DATATYPES>\n        <DATATYPE-DEFINITION-STRING IDENTIFIER=\"ddf-datatype-string\" LAST-CHANGE=\"{when}\" LONG-NAME=\"ddf text\" MAX-LENGTH=\"{max_len}\"/>\n        <DATATYPE-DEFINITION-XHTML IDENTIFIER=\"ddf-datatype-xhtml\" LAST-CHANGE=\"{when}\" LONG-NAME=\"ddf Markdown as XHTML\"/>\n      </DATATYPES>\n      <SPEC-TYPES>"
    );
    for &(_, t) in by_type.keys() {
        let _ = write!(
            x,
            "\n        <SPEC-OBJECT-TYPE IDENTIFIER=\"ddf-type-{t}\" LAST-CHANGE=\"{when}\" LONG-NAME=\"{t}\">\n          <SPEC-ATTRIBUTES>"
        );
        for a in type_attrs.get(t).map_or(&[][..], Vec::as_slice) {
            let kind = if a.xhtml { "XHTML" } else { "STRING" };
            let dt = if a.xhtml { "xhtml" } else { "string" };
            let _ = write!(
                x,
                "\n            <ATTRIBUTE-DEFINITION-{kind} IDENTIFIER=\"{}\" LAST-CHANGE=\"{when}\" LONG-NAME=\"{}\"><TYPE><DATATYPE-DEFINITION-{kind}-REF>ddf-datatype-{dt}</DATATYPE-DEFINITION-{kind}-REF></TYPE></ATTRIBUTE-DEFINITION-{kind}>",
                a.id,
                attr(&a.name)
            );
        }
        x.push_str("\n          </SPEC-ATTRIBUTES>\n        </SPEC-OBJECT-TYPE>");
    }
    for f in &link_fields {
        let _ = write!(
            x,
            "\n        <SPEC-RELATION-TYPE IDENTIFIER=\"ddf-link-{}\" LAST-CHANGE=\"{when}\" LONG-NAME=\"{}\"/>",
            ident(f),
            attr(f)
        );
    }
    let _ = write!(
        x,
        "\n        <SPECIFICATION-TYPE IDENTIFIER=\"ddf-specification-type\" LAST-CHANGE=\"{when}\" LONG-NAME=\"ddf record type\"/>\n      </SPEC-TYPES>"
    );
    if !records.is_empty() {
        x.push_str("\n      <SPEC-OBJECTS>");
        x.push_str(&objects);
        x.push_str("\n      </SPEC-OBJECTS>");
    }
    if !relations.is_empty() {
        x.push_str("\n      <SPEC-RELATIONS>");
        for (a, f, b) in &relations {
            let _ = write!(
                x,
                "\n        <SPEC-RELATION IDENTIFIER=\"ddf-rel-{a}.{fi}.{b}\" LAST-CHANGE=\"{when}\">\n          <SOURCE><SPEC-OBJECT-REF>ddf-{a}</SPEC-OBJECT-REF></SOURCE>\n          <TARGET><SPEC-OBJECT-REF>ddf-{b}</SPEC-OBJECT-REF></TARGET>\n          <TYPE><SPEC-RELATION-TYPE-REF>ddf-link-{fi}</SPEC-RELATION-TYPE-REF></TYPE>\n        </SPEC-RELATION>",
                fi = ident(f)
            );
        }
        x.push_str("\n      </SPEC-RELATIONS>");
    }
    if !by_type.is_empty() {
        x.push_str("\n      <SPECIFICATIONS>");
        for (&(_, t), recs) in &by_type {
            let _ = write!(
                x,
                "\n        <SPECIFICATION IDENTIFIER=\"ddf-spec-{t}\" LAST-CHANGE=\"{when}\" LONG-NAME=\"{t}\">\n          <TYPE><SPECIFICATION-TYPE-REF>ddf-specification-type</SPECIFICATION-TYPE-REF></TYPE>\n          <CHILDREN>"
            );
            for &i in recs {
                let id = &corpus.records[i].id;
                let _ = write!(
                    x,
                    "\n            <SPEC-HIERARCHY IDENTIFIER=\"ddf-hier-{id}\" LAST-CHANGE=\"{when}\"><OBJECT><SPEC-OBJECT-REF>ddf-{id}</SPEC-OBJECT-REF></OBJECT></SPEC-HIERARCHY>"
                );
            }
            x.push_str("\n          </CHILDREN>\n        </SPECIFICATION>");
        }
        x.push_str("\n      </SPECIFICATIONS>");
    }
    x.push_str("\n    </REQ-IF-CONTENT>\n  </CORE-CONTENT>\n</REQ-IF>\n");
    Document {
        xml: x,
        left_out,
        links_left_out: dropped,
    }
}

/// Why a `.reqifz` could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the .reqifz archive: {0}")]
pub struct ZipError(#[from] zip::result::ZipError);

/// The document as a `.reqifz`: a zip archive holding it as `name` (the archive's name with
/// `.reqif`), deflated, with a fixed modification time so the bytes are deterministic.
pub fn reqifz(xml: &str, name: &str) -> Result<Vec<u8>, ZipError> {
    use std::io::Write as _;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        z.start_file(name, opts)?;
        z.write_all(xml.as_bytes())
            .map_err(zip::result::ZipError::Io)?;
        z.finish()?;
    }
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_ncnames_and_distinct() {
        assert_eq!(ident("traces_to"), "traces_to");
        assert_eq!(ident("a b"), ".612062");
        assert_ne!(ident(".612062"), ident("a b"));
        assert_eq!(ident(""), ".");
        assert_eq!(
            attr_id("design-input", "ReqIF.Name"),
            "ddf-attr-design-input.ReqIF.Name"
        );
        assert_ne!(attr_id("t", "ReqIF"), attr_id("t", "ReqIF.Name"));
    }

    #[test]
    fn datetimes_are_utc() {
        assert_eq!(datetime(0), "1970-01-01T00:00:00Z");
        assert_eq!(datetime(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn reqifz_is_a_zip_with_the_document() {
        let z = reqifz("<x/>", "a.reqif").expect("zip");
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(&z)).expect("reads");
        let mut f = a.by_name("a.reqif").expect("entry");
        let mut s = String::new();
        std::io::Read::read_to_string(&mut f, &mut s).expect("text");
        assert_eq!(s, "<x/>");
        assert_eq!(reqifz("<x/>", "a.reqif").expect("zip"), z);
    }
}
