//! SPDX 2.x tag-value (`SPDXVersion: SPDX-2.3` and `Tag: value` lines, as Trivy, the SPDX tools
//! and many firmware build systems write it), read into the same model as SPDX JSON.
//!
//! The lines are turned into the JSON shape of the same document (`PackageName` starts a package,
//! `ExternalRef: CATEGORY TYPE LOCATOR` becomes an `externalRefs` entry, `Relationship: A TYPE B`
//! a `relationships` entry, ...), which the SPDX JSON reader then reads, so both spellings of a
//! document give the same components. Each JSON path is remembered with the line it came from,
//! so every message names the line (and column) of the tag-value file, never a path of the
//! intermediate JSON. Multi-line values are `<text>...</text>`; `#` starts a comment line; tags
//! ddf does not use (files, snippets, licences, annotations) are skipped.
//!
//! Hand-written rather than `spdx-rs`: that crate is idle since 2023, reports errors without a
//! line, and reads into its own model, which would still have to be mapped onto this one.

use super::{Sbom, SbomError};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Whether `text` is a tag-value document: its first line that is neither blank nor a comment
/// is an `SPDXVersion:` tag.
pub fn is_tag_value(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with("SPDXVersion:"))
}

/// One `Tag: value` of the file, with where its value starts.
struct Entry {
    tag: String,
    value: String,
    line: usize,
    column: usize,
}

fn err(file: &str, line: usize, column: usize, message: impl Into<String>) -> SbomError {
    SbomError::TagValue {
        file: file.into(),
        line,
        column,
        message: message.into(),
    }
}

/// Splits the text into entries, joining `<text>` values that span lines.
fn entries(text: &str, file: &str) -> Result<Vec<Entry>, SbomError> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, raw)) = lines.next() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((tag, rest)) = line.split_once(':') else {
            return Err(err(
                file,
                i + 1,
                1,
                format!("expected `Tag: value`, found `{}`", clip(trimmed)),
            ));
        };
        let tag = tag.trim();
        if tag.is_empty() || !tag.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(err(
                file,
                i + 1,
                1,
                format!(
                    "`{}` is not an SPDX tag (letters and digits, then `:`)",
                    clip(tag)
                ),
            ));
        }
        // The column (in characters) where the value starts.
        let offset = line.len() - rest.trim_start().len();
        let column = line[..offset].chars().count() + 1;
        let value = rest.trim();
        let value = if let Some(body) = value.strip_prefix("<text>") {
            match body.find("</text>") {
                Some(end) => body[..end].to_string(),
                None => {
                    let mut v = body.to_string();
                    let mut closed = false;
                    for (_, more) in lines.by_ref() {
                        v.push('\n');
                        if let Some(end) = more.find("</text>") {
                            v.push_str(&more[..end]);
                            closed = true;
                            break;
                        }
                        v.push_str(more.strip_suffix('\r').unwrap_or(more));
                    }
                    if !closed {
                        return Err(err(
                            file,
                            i + 1,
                            column,
                            format!("the `<text>` value of `{tag}` is never closed by `</text>`"),
                        ));
                    }
                    v
                }
            }
        } else {
            value.to_string()
        };
        out.push(Entry {
            tag: tag.to_string(),
            value,
            line: i + 1,
            column,
        });
    }
    Ok(out)
}

fn clip(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// What a section of the document is: tags mean different things in each.
#[derive(PartialEq)]
enum Section {
    Document,
    Package,
    Other,
}

/// Parses a tag-value document.
pub(super) fn parse(text: &str, file: &str) -> Result<Sbom, SbomError> {
    let entries = entries(text, file)?;
    let mut doc = Map::new();
    let mut packages: Vec<Map<String, Value>> = Vec::new();
    let mut relationships = Vec::new();
    // JSON path -> (line, column) of the tag it came from.
    let mut at: HashMap<String, (usize, usize)> = HashMap::new();
    let mut section = Section::Document;
    for e in &entries {
        let v = Value::String(e.value.clone());
        match e.tag.as_str() {
            "PackageName" => {
                section = Section::Package;
                let mut p = Map::new();
                p.insert("name".into(), v);
                at.insert(format!("$.packages[{}]", packages.len()), (e.line, 1));
                at.insert(
                    format!("$.packages[{}].name", packages.len()),
                    (e.line, e.column),
                );
                packages.push(p);
                continue;
            }
            "FileName" | "SnippetSPDXID" | "LicenseID" => {
                section = Section::Other;
                continue;
            }
            "Relationship" => {
                let parts: Vec<&str> = e.value.split_whitespace().collect();
                let [from, kind, to] = parts[..] else {
                    return Err(err(
                        file,
                        e.line,
                        e.column,
                        "a Relationship is `SPDXID TYPE SPDXID`",
                    ));
                };
                at.insert(
                    format!("$.relationships[{}]", relationships.len()),
                    (e.line, e.column),
                );
                relationships.push(json!({
                    "spdxElementId": from, "relationshipType": kind, "relatedSpdxElement": to
                }));
                continue;
            }
            _ => {}
        }
        match section {
            Section::Other => {}
            Section::Document => {
                let key = match e.tag.as_str() {
                    "SPDXVersion" => "spdxVersion",
                    "SPDXID" => "SPDXID",
                    "DocumentName" => "name",
                    "DataLicense" => "dataLicense",
                    "DocumentNamespace" => "documentNamespace",
                    _ => continue,
                };
                at.insert(format!("$.{key}"), (e.line, e.column));
                doc.insert(key.into(), v);
            }
            Section::Package => {
                let i = packages.len() - 1;
                let p = &mut packages[i];
                let key = match e.tag.as_str() {
                    "SPDXID" => "SPDXID",
                    "PackageVersion" => "versionInfo",
                    "PackageSupplier" => "supplier",
                    "PackageLicenseConcluded" => "licenseConcluded",
                    "PackageLicenseDeclared" => "licenseDeclared",
                    "PrimaryPackagePurpose" => "primaryPackagePurpose",
                    "ValidUntilDate" => "validUntilDate",
                    "PackageSourceInfo" => "sourceInfo",
                    "PackageChecksum" => {
                        let Some((alg, value)) = e.value.split_once(':') else {
                            return Err(err(
                                file,
                                e.line,
                                e.column,
                                "a PackageChecksum is `ALGORITHM: value`",
                            ));
                        };
                        push(
                            p,
                            "checksums",
                            json!({"algorithm": alg.trim(), "checksumValue": value.trim()}),
                            i,
                            &mut at,
                            e,
                        );
                        continue;
                    }
                    "ExternalRef" => {
                        let parts: Vec<&str> = e.value.split_whitespace().collect();
                        let [category, kind, locator] = parts[..] else {
                            return Err(err(
                                file,
                                e.line,
                                e.column,
                                "an ExternalRef is `CATEGORY TYPE LOCATOR`",
                            ));
                        };
                        push(
                            p,
                            "externalRefs",
                            json!({"referenceCategory": category, "referenceType": kind, "referenceLocator": locator}),
                            i,
                            &mut at,
                            e,
                        );
                        continue;
                    }
                    _ => continue,
                };
                at.insert(format!("$.packages[{i}].{key}"), (e.line, e.column));
                p.insert(key.into(), v);
            }
        }
    }
    doc.insert(
        "packages".into(),
        Value::Array(packages.into_iter().map(Value::Object).collect()),
    );
    doc.insert("relationships".into(), Value::Array(relationships));
    let value = Value::Object(doc);
    let located = |path: &str| -> (usize, usize) {
        // The longest recorded path that is this one or a parent of it.
        let mut p = path.to_string();
        loop {
            if let Some(&lc) = at.get(&p) {
                return lc;
            }
            match p.rfind(['.', '[']) {
                Some(i) if i > 1 => p.truncate(i),
                _ => return (1, 1),
            }
        }
    };
    let mut sbom = match super::spdx::parse(&super::json::Node::root(&value), file) {
        Ok(s) => s,
        Err(SbomError::Shape { error, .. }) => {
            let (line, column) = located(&error.path);
            let message = match tag_of(&error.path) {
                Some(tag) => format!("{} ({tag})", error.message),
                None => error.message,
            };
            return Err(err(file, line, column, message));
        }
        Err(e) => return Err(e),
    };
    // Where things are, in the tag-value file's terms.
    let relocate = |path: &str| -> String {
        let (line, _) = located(path);
        format!("line {line}")
    };
    for c in sbom.components.iter_mut().chain(sbom.product.iter_mut()) {
        c.json_path = relocate(&c.json_path);
    }
    let re = regex::Regex::new(r"\$\.packages\[\d+\](?:\.[A-Za-z]+(?:\[\d+\])?)*")
        .unwrap_or_else(|_| unreachable!("the pattern is valid"));
    for w in &mut sbom.warnings {
        *w = re
            .replace_all(w, |c: &regex::Captures<'_>| relocate(&c[0]))
            .into_owned();
    }
    Ok(sbom)
}

/// The tag a JSON path of the intermediate document stands for (`$.packages[0].versionInfo` ->
/// `PackageVersion`), for messages; `None` for a whole package or document.
fn tag_of(path: &str) -> Option<&'static str> {
    let key = path
        .split('.')
        .map(|s| s.split('[').next().unwrap_or(s))
        .rfind(|s| !s.is_empty() && *s != "$" && *s != "packages")?;
    Some(match key {
        "spdxVersion" => "SPDXVersion",
        "SPDXID" => "SPDXID",
        "name" => "PackageName",
        "versionInfo" => "PackageVersion",
        "supplier" => "PackageSupplier",
        "licenseConcluded" => "PackageLicenseConcluded",
        "licenseDeclared" => "PackageLicenseDeclared",
        "primaryPackagePurpose" => "PrimaryPackagePurpose",
        "validUntilDate" => "ValidUntilDate",
        "sourceInfo" => "PackageSourceInfo",
        "checksums" | "algorithm" | "checksumValue" => "PackageChecksum",
        "externalRefs" | "referenceCategory" | "referenceType" | "referenceLocator" => {
            "ExternalRef"
        }
        "relationships" | "spdxElementId" | "relationshipType" | "relatedSpdxElement" => {
            "Relationship"
        }
        _ => return None,
    })
}

fn push(
    p: &mut Map<String, Value>,
    key: &str,
    item: Value,
    i: usize,
    at: &mut HashMap<String, (usize, usize)>,
    e: &Entry,
) {
    let list = p
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(a) = list {
        at.insert(
            format!("$.packages[{i}].{key}[{}]", a.len()),
            (e.line, e.column),
        );
        a.push(item);
    }
}

#[cfg(test)]
mod tests {
    use crate::sbom::{parse as read, Component, ReadOptions};

    fn data(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/data/{rel}", env!("CARGO_MANIFEST_DIR"))).expect("data")
    }

    fn key(c: &Component) -> (String, Option<String>, Option<String>, Vec<String>) {
        (
            c.name.clone(),
            c.version.clone(),
            c.purl.clone(),
            c.cpes.clone(),
        )
    }

    #[test]
    fn the_spdx_spec_example_reads_as_its_json_spelling() {
        let o = ReadOptions::default();
        let tv = read(&data("spdx/SPDXTagExample-v2.3.spdx"), "t.spdx", &o).expect("tag-value");
        let js = read(&data("spdx/SPDXJSONExample-v2.3.spdx.json"), "t.json", &o).expect("json");
        assert_eq!(tv.spec_version, "SPDX-2.3");
        let p = tv.product.as_ref().expect("product");
        assert_eq!(
            (p.name.as_str(), p.version.as_deref()),
            ("glibc", Some("2.11.1"))
        );
        assert_eq!(p.supplier.as_deref(), Some("Jane Doe"));
        assert_eq!(p.end_of_support.as_deref(), Some("2014-01-29"));
        assert_eq!(p.kind.as_deref(), Some("source"));
        assert!(p.hashes.contains(&(
            "SHA-256".into(),
            "11b6d3ee554eedf79299905a98f9b9a04e498210b59f15094c916c91d150efcd".into()
        )));
        assert_eq!(p.json_path, "line 71");
        let a: Vec<_> = tv.components.iter().map(key).collect();
        let b: Vec<_> = js.components.iter().map(key).collect();
        assert_eq!(a, b);
        assert_eq!(tv.product.as_ref().map(key), js.product.as_ref().map(key));
    }

    #[test]
    fn trivy_tag_value_with_source_packages() {
        let s = read(
            &data("spdx/trivy-centos-7.spdx"),
            "t.spdx",
            &ReadOptions::default(),
        )
        .expect("trivy");
        assert_eq!(s.spec_version, "SPDX-2.2");
        assert!(s.warnings[0].contains("SPDX-2.2"), "{:?}", s.warnings);
        assert_eq!(
            s.product.as_ref().map(|p| p.name.as_str()),
            Some("integration/testdata/fixtures/images/centos-7.tar.gz")
        );
        let ssl = s
            .components
            .iter()
            .find(|c| c.name == "openssl-libs")
            .expect("openssl-libs");
        assert_eq!(ssl.source_name.as_deref(), Some("openssl-libs"));
        assert_eq!(ssl.source_version.as_deref(), Some("1:1.0.2k-16.el7"));
        assert_eq!(ssl.license.as_deref(), Some("OpenSSL"));
        assert!(ssl.purl.as_deref().is_some_and(|p| p.contains("epoch=1")));
        assert_eq!(ssl.json_path, "line 44");
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let o = ReadOptions::default();
        let e = read(
            b"SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\nthis line has no tag\n",
            "t.spdx",
            &o,
        )
        .expect_err("no colon");
        assert_eq!(
            e.to_string(),
            "t.spdx:3:1: expected `Tag: value`, found `this line has no tag`"
        );
        let e = read(
            b"SPDXVersion: SPDX-2.3\n\nPackageName: a\nSPDXID: SPDXRef-a\nExternalRef: PACKAGE-MANAGER purl\n",
            "t.spdx",
            &o,
        )
        .expect_err("short ref");
        assert_eq!(
            e.to_string(),
            "t.spdx:5:14: an ExternalRef is `CATEGORY TYPE LOCATOR`"
        );
        let e = read(
            b"SPDXVersion: SPDX-2.3\nPackageName: a\nPackageComment: <text>never\nclosed\n",
            "t.spdx",
            &o,
        )
        .expect_err("open text");
        assert!(
            e.to_string().starts_with("t.spdx:3:17: the `<text>` value"),
            "{e}"
        );
        // A package without its SPDXID: the SPDX reader's complaint, at the package's line.
        let e = read(
            b"SPDXVersion: SPDX-2.3\nSPDXID: SPDXRef-DOCUMENT\n\nPackageName: a\nPackageVersion: 1\n",
            "t.spdx",
            &o,
        )
        .expect_err("no SPDXID");
        assert_eq!(
            e.to_string(),
            "t.spdx:4:1: missing; the format requires it (SPDXID)"
        );
        assert!(e.hint().contains("tag-value"), "{}", e.hint());
        let e = read(b"SPDXVersion: SPDX-3.0\n", "t.spdx", &o).expect_err("3.0");
        assert!(e.to_string().contains("`SPDX-3.0` is not supported"), "{e}");
    }

    #[test]
    fn multi_line_text_comments_and_crlf() {
        let s = read(
            b"# made by hand\r\nSPDXVersion: SPDX-2.3\r\nSPDXID: SPDXRef-DOCUMENT\r\n\r\nPackageName: a\r\nSPDXID: SPDXRef-a\r\nPackageVersion: 1.0\r\nPackageSourceInfo: <text>built package from: a-src 1:1.0-2\r\nsecond line</text>\r\nFileName: ./x\r\nSPDXID: SPDXRef-x\r\nPackageVersion: 9\r\n",
            "t.spdx",
            &ReadOptions::default(),
        )
        .expect("parses");
        let a = &s.components[0];
        assert_eq!(
            a.version.as_deref(),
            Some("1.0"),
            "a file's tags are not the package's"
        );
        assert_eq!(a.source_name.as_deref(), Some("a-src"));
        assert_eq!(a.source_version.as_deref(), Some("1:1.0-2"));
    }

    #[test]
    fn odd_inputs_are_errors_not_panics() {
        let o = ReadOptions::default();
        for text in [
            "SPDXVersion:",
            "SPDXVersion: SPDX-2.3\nPackageName:\n",
            "SPDXVersion: SPDX-2.3\n: value\n",
            "SPDXVersion: SPDX-2.3\nPackageName: é\nSPDXID: ü\nExternalRef: a b c d\nPackageChecksum: x\n",
            "SPDXVersion: SPDX-2.3\nRelationship: a b\n",
            "SPDXVersion: SPDX-2.3\nPackageName: a\nSPDXID: a\nPackageComment: <text></text>\nPackageVersion: <text>1\n2</text> trailing\n",
            "\u{feff}SPDXVersion: SPDX-2.3\n",
        ] {
            match read(text.as_bytes(), "t.spdx", &o) {
                Ok(_) => {}
                Err(e) => assert!(e.to_string().starts_with("t.spdx"), "{e}"),
            }
        }
        let e = read(
            b"SPDXVersion: SPDX-2.3\nPackageName:\nSPDXID: x\n",
            "t.spdx",
            &o,
        )
        .expect_err("empty name");
        assert_eq!(e.to_string(), "t.spdx:2:1: the package's `name` is empty");
    }
}
