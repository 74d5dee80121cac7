//! `ddf export`: ReqIF 1.2 validated against the OMG schema with xmllint and read back with
//! roxmltree (every record, field value and link found), the CSV and XLSX tables read back as a
//! spreadsheet program would, selection, determinism and the refusals.

use crate::harness::{in_ci, un, Run, TestRepo, PER};
use std::collections::BTreeMap;
use std::path::Path;

const RS: &str = "http://www.omg.org/spec/ReqIF/20110401/reqif.xsd";

/// A DDF with a trace chain and the bodies and fields an exporter can get wrong: raw HTML,
/// tables (aligned columns: `align`), images, a `javascript:` link, control characters, lists
/// and maps, a formula.
fn fixture() -> TestRepo {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write(
        "records/DI-001.md",
        "---\nid: DI-001\ntype: design-input\ntitle: \"=HYPERLINK(\\\"http://x\\\") & <b>\"\nstatus: draft\nowner: PER-001\ncategory: functional\nacceptance_criteria: \"Line one\\nline two \\\"quoted\\\"\\tand a tab\"\ntraces_to: [UN-001]\n---\n# Alarm\n\nThe pump **shall** alarm <span onclick=\"x()\">within</span> 2 s.\n\n| a | b | c |\n|:--|:-:|--:|\n| 1 | `2` | 3 |\n\n- [x] done\n- [ ] open\n\n![diagram](<img/a b.png>) [bad](javascript:alert(1)) [ok](https://example.org/a?b=1&c=2)\n\n> quoted\n>\n> <div>html block</div>\n\n```rust\nfn main() {}\n```\n\nControl \u{1} char.\n",
    );
    t.write(
        "records/DO-001.md",
        "---\nid: DO-001\ntype: design-output\ntitle: Pump firmware\nstatus: draft\nowner: PER-001\noutput_kind: source\nessential: true\nartifacts: [\"src/**/*.rs\", docs/a.md]\nsatisfies: [DI-001]\n---\nFirmware.\n",
    );
    t.write(
        "records/VER-001.md",
        "---\nid: VER-001\ntype: verification\ntitle: Alarm test\nstatus: draft\nowner: PER-001\nmethod: test\nacceptance_criteria: ok\nresult: pass\nexecuted_on: 2026-01-02\nbaseline: v1.0\nevidence: reports/ver-001.pdf\nverifies: [DI-001, DO-001]\n---\n",
    );
    t
}

/// The ReqIF schema set in a temp dir, its imports of the XML namespace pointed at the small
/// `xml.xsd` beside it (the copy leaves them empty, which libxml2 refuses).
fn schema_dir() -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reqif-schema");
    let dir = tempfile::tempdir().expect("temp dir");
    let xml_xsd = dir.path().join("xml.xsd");
    for (rel, p) in crate::harness::files_under(&src) {
        let to = dir.path().join(&rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        let text = std::fs::read_to_string(&p).expect("read schema");
        let text = text.replace(
            "schemaLocation=\"\"",
            &format!("schemaLocation=\"file://{}\"", xml_xsd.display()),
        );
        std::fs::write(&to, text).expect("write schema");
    }
    dir
}

/// Validates `file` against ReqIF 1.2 with xmllint (offline). Without xmllint the check is
/// skipped, but fails under CI=true (.ci/run installs libxml2-utils).
fn assert_valid_reqif(file: &Path) {
    let have = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok();
    if !have {
        assert!(
            !in_ci(),
            "xmllint is missing (apt-get install libxml2-utils)"
        );
        eprintln!("xmllint not found: ReqIF schema validation skipped");
        return;
    }
    let schemas = schema_dir();
    let out = std::process::Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(schemas.path().join("reqif.xsd"))
        .arg(file)
        .output()
        .expect("xmllint runs");
    assert!(
        out.status.success(),
        "{} is not valid ReqIF 1.2:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn export_to(t: &TestRepo, name: &str, extra: &[&str]) -> Run {
    let mut args = vec!["export", "-o", name];
    args.extend_from_slice(extra);
    t.ddf(&args)
}

/// The text of a Markdown body as XHTML shows it: text, code and raw HTML, without whitespace.
fn md_text(md: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser};
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut s = String::new();
    for e in Parser::new_ext(md, opts) {
        match e {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                s.push_str(&t)
            }
            Event::TaskListMarker(d) => s.push_str(if d { "[x]" } else { "[ ]" }),
            _ => {}
        }
    }
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c < ' ' { '\u{FFFD}' } else { c })
        .collect()
}

/// Reads the ReqIF back and checks that every record of `ddf export --format json`, each of its
/// field values, its body and each link between exported records is there.
fn assert_round_trip(t: &TestRepo, reqif: &str) {
    let v = t.ddf(&["export"]).json();
    let doc = roxmltree::Document::parse(reqif).expect("the ReqIF parses");
    let el = |n: roxmltree::Node, name: &str| n.is_element() && n.tag_name().name() == name;
    // Attribute definitions: identifier -> long name.
    let defs: BTreeMap<&str, &str> = doc
        .descendants()
        .filter(|n| {
            n.is_element()
                && n.tag_name().name().starts_with("ATTRIBUTE-DEFINITION-")
                && n.has_attribute("LONG-NAME")
        })
        .map(|n| {
            (
                n.attribute("IDENTIFIER").unwrap_or(""),
                n.attribute("LONG-NAME").unwrap_or(""),
            )
        })
        .collect();
    let mut objects: BTreeMap<String, (BTreeMap<String, String>, Option<String>)> = BTreeMap::new();
    for o in doc.descendants().filter(|n| el(*n, "SPEC-OBJECT")) {
        let mut strings = BTreeMap::new();
        let mut body = None;
        for a in o.descendants() {
            let def = a
                .descendants()
                .find(|d| {
                    d.is_element()
                        && d.tag_name().name().ends_with("-REF")
                        && d.tag_name().name().starts_with("ATTRIBUTE-DEFINITION")
                })
                .and_then(|d| d.text())
                .and_then(|id| defs.get(id).copied())
                .unwrap_or("");
            if el(a, "ATTRIBUTE-VALUE-STRING") {
                strings.insert(
                    def.to_string(),
                    a.attribute("THE-VALUE").unwrap_or("").to_string(),
                );
            } else if el(a, "ATTRIBUTE-VALUE-XHTML") {
                assert_eq!(def, "ReqIF.Text");
                let div = a
                    .descendants()
                    .find(|d| {
                        d.is_element()
                            && d.tag_name().namespace() == Some("http://www.w3.org/1999/xhtml")
                    })
                    .expect("an xhtml:div");
                assert_eq!(div.tag_name().name(), "div");
                body = Some(
                    div.descendants()
                        .filter(|d| d.is_text())
                        .filter_map(|d| d.text())
                        .collect::<String>()
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect(),
                );
            }
        }
        let id = strings.get("ReqIF.ForeignID").cloned().expect("ForeignID");
        assert_eq!(
            o.attribute("IDENTIFIER"),
            Some(format!("ddf-{id}").as_str())
        );
        objects.insert(id, (strings, body));
    }
    let records = v["records"].as_array().expect("records");
    assert!(!records.is_empty());
    for r in records {
        let id = r["id"].as_str().expect("id");
        let (strings, body) = objects
            .get(id)
            .unwrap_or_else(|| panic!("{id} is not in the ReqIF"));
        let title = r["title"].as_str().unwrap_or("");
        if !title.is_empty() {
            assert_eq!(
                strings.get("ReqIF.Name").map(String::as_str),
                Some(title),
                "{id}"
            );
        }
        assert_eq!(
            strings.get("ddf.status").map(String::as_str).unwrap_or(""),
            r["status"].as_str().unwrap_or(""),
            "{id}"
        );
        let link_fields: Vec<&str> = r["links"]
            .as_array()
            .expect("links")
            .iter()
            .filter_map(|l| l["field"].as_str())
            .collect();
        for (k, want) in r["fields"].as_object().expect("fields") {
            if matches!(k.as_str(), "title" | "status")
                || want.is_null()
                || link_fields.contains(&k.as_str())
            {
                continue;
            }
            if want.is_array()
                && want.as_array().is_some_and(|a| {
                    a.iter().all(|x| {
                        x.as_str().is_some_and(|s| {
                            s.contains('-')
                                && s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                        })
                    })
                })
                && strings.get(k.as_str()).is_none()
            {
                // A link field whose ids all failed to resolve is still a link field.
                continue;
            }
            let got = strings
                .get(k.as_str())
                .unwrap_or_else(|| panic!("{id}: field {k} is not in the ReqIF"));
            match want {
                serde_json::Value::String(w) => assert_eq!(got, w, "{id}: field {k}"),
                serde_json::Value::Number(n) => assert_eq!(*got, n.to_string(), "{id}: field {k}"),
                serde_json::Value::Bool(b) => assert_eq!(*got, b.to_string(), "{id}: field {k}"),
                w => {
                    // A list or a map: its YAML text, parsed back, is the same value.
                    let y: serde_yaml::Value = serde_yaml::from_str(got).expect("YAML text");
                    let back = serde_json::to_value(y).expect("as JSON");
                    assert_eq!(&back, w, "{id}: field {k}");
                }
            }
        }
        let md = r["body"].as_str().unwrap_or("");
        if md.trim().is_empty() {
            assert!(body.is_none(), "{id}: an empty body has no ReqIF.Text");
        } else {
            assert_eq!(body.as_deref(), Some(md_text(md).as_str()), "{id}: body");
        }
    }
    // Links: relation types by identifier, relations as (from, field, to).
    let rel_types: BTreeMap<&str, &str> = doc
        .descendants()
        .filter(|n| el(*n, "SPEC-RELATION-TYPE"))
        .map(|n| {
            (
                n.attribute("IDENTIFIER").unwrap_or(""),
                n.attribute("LONG-NAME").unwrap_or(""),
            )
        })
        .collect();
    let child_text = |n: roxmltree::Node, outer: &str| -> String {
        n.children()
            .find(|c| el(*c, outer))
            .and_then(|c| {
                c.descendants()
                    .find(|d| d.is_element() && d.tag_name().name().ends_with("-REF"))
            })
            .and_then(|d| d.text())
            .unwrap_or("")
            .to_string()
    };
    let relations: Vec<(String, String, String)> = doc
        .descendants()
        .filter(|n| el(*n, "SPEC-RELATION"))
        .map(|n| {
            (
                child_text(n, "SOURCE")
                    .trim_start_matches("ddf-")
                    .to_string(),
                rel_types
                    .get(child_text(n, "TYPE").as_str())
                    .copied()
                    .unwrap_or("")
                    .to_string(),
                child_text(n, "TARGET")
                    .trim_start_matches("ddf-")
                    .to_string(),
            )
        })
        .collect();
    for l in v["links"].as_array().expect("links") {
        let (a, f, b) = (
            l["from"].as_str().unwrap_or(""),
            l["field"].as_str().unwrap_or(""),
            l["to"].as_str().unwrap_or(""),
        );
        if !objects.contains_key(b) {
            continue; // a dangling link has no SPEC-RELATION (`ddf check` reports it)
        }
        assert!(
            relations.iter().any(|(x, y, z)| x == a && y == f && z == b),
            "link {a} -{f}-> {b} is not a SPEC-RELATION"
        );
    }
    // Every record type is a SPECIFICATION listing its records in id order.
    for s in doc.descendants().filter(|n| el(*n, "SPECIFICATION")) {
        let ids: Vec<String> = s
            .descendants()
            .filter(|n| el(*n, "SPEC-OBJECT-REF"))
            .filter_map(|n| n.text())
            .map(String::from)
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(!ids.is_empty());
    }
    assert_eq!(doc.root_element().tag_name().namespace(), Some(RS));
}

#[test]
fn reqif_of_the_example_ddf_is_valid_and_complete() {
    let mut t = TestRepo::example();
    t.git_init();
    t.commit("the example");
    let run = export_to(&t, "out/ddf.reqif", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("wrote out/ddf.reqif"), "{}", run.stderr);
    assert_valid_reqif(&t.path("out/ddf.reqif"));
    let xml = t.read("out/ddf.reqif");
    // Stamped with the commit time, so the same commit gives the same bytes.
    assert!(
        xml.contains("<CREATION-TIME>2026-01-01T00:00:00Z</CREATION-TIME>"),
        "{}",
        &xml[..600]
    );
    assert!(xml.contains("<REQ-IF-TOOL-ID>ddf "));
    assert!(xml.contains("IDENTIFIER=\"ddf-type-design-input\" LAST-CHANGE=\"2026-01-01T00:00:00Z\" LONG-NAME=\"design-input\""));
    assert_round_trip(&t, &xml);
    let again = t.ddf(&["export", "--format", "reqif"]);
    assert_eq!(again.stdout, xml, "the export is deterministic");
}

#[test]
fn reqif_of_hostile_bodies_is_valid_and_complete() {
    let t = fixture();
    let run = export_to(&t, "x.reqif", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_valid_reqif(&t.path("x.reqif"));
    let xml = t.read("x.reqif");
    assert!(!xml.contains("javascript:"));
    assert!(!xml.contains("<span"), "raw HTML is text");
    assert!(xml.contains("<xhtml:object data=\"img/a%20b.png\">diagram</xhtml:object>"));
    assert!(xml.contains(
        "<xhtml:table><xhtml:tr><xhtml:th align=\"left\">a</xhtml:th><xhtml:th align=\"center\">b</xhtml:th>"
    ));
    // Not in Git: the fixed time.
    assert!(xml.contains("<CREATION-TIME>1970-01-01T00:00:00Z</CREATION-TIME>"));
    assert!(xml.contains("SPEC-RELATION IDENTIFIER=\"ddf-rel-VER-001.verifies.DO-001\""));
    assert_round_trip(&t, &xml);
}

#[test]
fn reqifz_is_the_reqif_zipped() {
    let t = fixture();
    assert_eq!(export_to(&t, "a.reqif", &[]).code, 0);
    let run = export_to(&t, "b.reqifz", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = std::fs::read(t.path("b.reqifz")).expect("written");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    assert_eq!(zip.len(), 1);
    let mut inner = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("b.reqif").expect("b.reqif inside"),
        &mut inner,
    )
    .expect("text");
    assert_eq!(inner, t.read("a.reqif"));
    let refused = t.ddf(&["export", "--format", "csv", "-o", "c.reqifz"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
}

#[test]
fn records_left_out_of_reqif_are_reported() {
    let t = fixture();
    // Two records with one id: neither can be a SPEC-OBJECT `ddf-UN-002`.
    t.write("records/UN-002.md", &un("UN-002"));
    t.write("records/more/UN-002.md", &un("UN-002"));
    let run = t.ddf(&["export", "--format", "reqif", "-o", "x.reqif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "records/more/UN-002.md: left out: id UN-002 is used by more than one record"
        ),
        "{}",
        run.stderr
    );
    assert_valid_reqif(&t.path("x.reqif"));
    assert!(!t.read("x.reqif").contains("ddf-UN-002"));
}

/// A minimal RFC 4180 reader: quoted fields, doubled quotes, line breaks in quotes.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[test]
fn csv_is_a_table_of_records() {
    let t = fixture();
    let run = t.ddf(&["export", "--format", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = parse_csv(&run.stdout);
    let header = &rows[0];
    assert_eq!(&header[..4], ["id", "type", "title", "status"]);
    assert_eq!(header.last().map(String::as_str), Some("body"));
    let ids: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["DI-001", "DO-001", "PER-001", "UN-001", "VER-001"]);
    let cell = |id: &str, col: &str| -> String {
        let c = header
            .iter()
            .position(|h| h == col)
            .unwrap_or_else(|| panic!("no column {col}"));
        rows.iter().find(|r| r[0] == id).expect("row")[c].clone()
    };
    assert_eq!(cell("DO-001", "title"), "Pump firmware");
    assert_eq!(cell("DO-001", "output_kind"), "source");
    assert_eq!(cell("DO-001", "essential"), "true");
    assert_eq!(cell("DO-001", "artifacts"), "'- src/**/*.rs\n- docs/a.md");
    assert_eq!(cell("DO-001", "satisfies"), "DI-001");
    assert_eq!(cell("DO-001", "body"), "Firmware.\n");
    assert_eq!(cell("VER-001", "verifies"), "DI-001;DO-001");
    assert_eq!(
        cell("DI-001", "acceptance_criteria"),
        "Line one\nline two \"quoted\"\tand a tab"
    );
    // A formula is text in a spreadsheet.
    assert!(cell("DI-001", "title").starts_with("'=HYPERLINK("));
    // Columns: each name once (a field of one type, a link field of another).
    let mut names = header.clone();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), header.len());

    let links = t.ddf(&["export", "--format", "csv", "--links"]);
    assert_eq!(
        links.stdout,
        "from,field,to\nDI-001,owner,PER-001\nDI-001,traces_to,UN-001\nDO-001,owner,PER-001\nDO-001,satisfies,DI-001\nPER-001,owner,PER-001\nUN-001,owner,PER-001\nVER-001,owner,PER-001\nVER-001,verifies,DI-001\nVER-001,verifies,DO-001\n"
    );
}

#[test]
fn selection_by_type_and_by_trace() {
    let t = fixture();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["export", "--format", "csv"];
        a.extend_from_slice(args);
        let run = t.ddf(&a);
        assert_eq!(run.code, 0, "{}", run.stderr);
        parse_csv(&run.stdout)[1..]
            .iter()
            .map(|r| r[0].clone())
            .collect()
    };
    assert_eq!(ids(&["--type", "VER"]), ["VER-001"]);
    assert_eq!(
        ids(&["--type", "design-input,design-output"]),
        ["DI-001", "DO-001"]
    );
    assert_eq!(
        ids(&["--type", "UN", "--type", "VER"]),
        ["UN-001", "VER-001"]
    );
    // DO-001: up to DI-001 and UN-001, down to VER-001; the owner is a ref, not a trace.
    assert_eq!(
        ids(&["--trace", "DO-001"]),
        ["DI-001", "DO-001", "UN-001", "VER-001"]
    );
    assert_eq!(ids(&["--trace", "DO-001", "--type", "VER"]), ["VER-001"]);
    // JSON follows the selection too; ReqIF keeps only relations between exported records.
    let v = t.ddf(&["export", "--type", "VER"]).json();
    assert_eq!(v["records"].as_array().map(Vec::len), Some(1));
    let x = t.ddf(&["export", "--format", "reqif", "--trace", "DI-001"]);
    assert_eq!(x.code, 0, "{}", x.stderr);
    assert!(!x.stdout.contains("ddf-PER-001"));
    assert!(x.stdout.contains("ddf-rel-DO-001.satisfies.DI-001"));

    let bad = t.ddf(&["export", "--type", "nonsense"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("no record type `nonsense`")
            && bad.stderr.contains("hint: --type takes"),
        "{}",
        bad.stderr
    );
    let bad = t.ddf(&["export", "--trace", "DI-999"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("no record `DI-999`"), "{}", bad.stderr);
    let bad = t.ddf(&["export", "--format", "reqif", "--links"]);
    assert_eq!(bad.code, 2);
    let bad = t.ddf(&["export", "--format", "xlsx"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("hint: pass -o FILE.xlsx"),
        "{}",
        bad.stderr
    );
}

#[test]
fn xlsx_has_a_sheet_per_type_and_reads_back() {
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
    let t = fixture();
    let run = export_to(&t, "ddf.xlsx", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bytes = std::fs::read(t.path("ddf.xlsx")).expect("written");
    let mut wb: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).expect("an XLSX");
    assert_eq!(
        wb.sheet_names(),
        [
            "user-need",
            "design-input",
            "design-output",
            "verification",
            "person",
            "Links"
        ]
    );
    let range = wb.worksheet_range("design-output").expect("sheet");
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    c => c.to_string(),
                })
                .collect()
        })
        .collect();
    let col = |name: &str| {
        rows[0]
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][col("id")], "DO-001");
    assert_eq!(rows[1][col("title")], "Pump firmware");
    assert_eq!(rows[1][col("satisfies")], "DI-001");
    assert_eq!(rows[1][col("artifacts")], "- src/**/*.rs\n- docs/a.md");
    let di = wb.worksheet_range("design-input").expect("sheet");
    // No formula quoting in XLSX: the cell is a string.
    assert!(di
        .rows()
        .nth(1)
        .is_some_and(|r| r.iter().any(|c| c.to_string().starts_with("=HYPERLINK("))));
    let links = wb.worksheet_range("Links").expect("sheet");
    assert_eq!(links.rows().count(), 10);

    // Header row bold and frozen.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).expect("zip");
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").expect("sheet1"),
        &mut sheet,
    )
    .expect("xml");
    assert!(
        sheet.contains("ySplit=\"1\"") && sheet.contains("state=\"frozen\""),
        "{sheet}"
    );
    let mut styles = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/styles.xml").expect("styles"),
        &mut styles,
    )
    .expect("xml");
    assert!(styles.contains("<b/>"), "{styles}");

    // Same records, same bytes.
    let again = t.ddf(&["export", "-o", "again.xlsx"]);
    assert_eq!(again.code, 0);
    assert_eq!(std::fs::read(t.path("again.xlsx")).expect("written"), bytes);
}

#[test]
fn an_existing_file_is_replaced_only_with_force() {
    let t = fixture();
    t.write("keep.csv", "mine\n");
    let run = t.ddf(&["export", "-o", "keep.csv"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("keep.csv already exists; nothing was written"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: pass --force"), "{}", run.stderr);
    assert_eq!(t.read("keep.csv"), "mine\n");
    let run = t.ddf(&["export", "-o", "keep.csv", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(t.read("keep.csv").starts_with("id,type,title,status,"));
}

#[test]
fn person_record_is_exported_like_any_other() {
    let t = TestRepo::new();
    t.write("records/PER-001.md", PER);
    let run = t.ddf(&["export", "--format", "reqif"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run
        .stdout
        .contains("<SPECIFICATION IDENTIFIER=\"ddf-spec-person\""));
}
