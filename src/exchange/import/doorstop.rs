//! Doorstop reader: a tree of documents, each a folder with `.doorstop.yml` (its prefix and
//! parent document) and one file per item (`REQ001.yml`, or `REQ001.md` with YAML front-matter
//! where the document's `itemformat` is `markdown`).
//!
//! An item's `header` is its title and `text` its body; its `links` point to items of the parent
//! document (role `parent`). Inactive and non-normative items (headings, notes) are reported as
//! skipped. Folders with `.doorstop.skip`, dot folders and symbolic links are not entered.

use super::{read_bounded, utf8, Foreign, Item, Link, Location, ReadError, Skipped, Tool};
use serde_yaml::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The deepest folder nesting walked below the folder given.
const MAX_DEPTH: usize = 32;
/// The largest item file read.
const MAX_ITEM: u64 = 16 * 1024 * 1024;

struct Document {
    prefix: String,
    parent: Option<String>,
    sep: String,
    markdown: bool,
    /// Folder relative to the folder given, `/`-separated (`""` for the folder itself).
    rel: String,
    dir: PathBuf,
}

fn rel_join(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

/// Reads the Doorstop tree under `dir` (`shown` is how the folder is named in messages).
pub fn read(dir: &Path, shown: &str) -> Result<Foreign, ReadError> {
    if !dir.is_dir() {
        return Err(ReadError::new(
            shown,
            None,
            "is not a folder",
            "give the folder of the Doorstop tree (the one holding the documents, e.g. reqs/)",
        ));
    }
    // 1. Documents.
    let mut docs = Vec::new();
    let mut files_seen = 0usize;
    let mut stack = vec![(dir.to_path_buf(), String::new(), 0usize)];
    let mut item_files: Vec<(usize, PathBuf, String)> = Vec::new();
    while let Some((d, rel, depth)) = stack.pop() {
        if d.join(".doorstop.skip").exists() {
            continue;
        }
        let entries = std::fs::read_dir(&d).map_err(|e| {
            ReadError::new(
                rel_join(shown, &rel),
                None,
                format!("cannot read the folder: {e}"),
                "check its permissions",
            )
        })?;
        let mut names: Vec<(String, std::fs::FileType)> = entries
            .flatten()
            .filter_map(|e| Some((e.file_name().to_str()?.to_string(), e.file_type().ok()?)))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        files_seen += names.len();
        if files_seen > super::MAX_ITEMS {
            return Err(ReadError::new(
                shown,
                None,
                format!("holds more than {} files", super::MAX_ITEMS),
                "import the documents one by one",
            ));
        }
        let doc_index = if names
            .iter()
            .any(|(n, k)| n == ".doorstop.yml" && k.is_file())
        {
            let cfg_shown = rel_join(&rel_join(shown, &rel), ".doorstop.yml");
            let doc = read_config(&d.join(".doorstop.yml"), &cfg_shown, &rel, &d)?;
            docs.push(doc);
            Some(docs.len() - 1)
        } else {
            None
        };
        for (name, kind) in &names {
            if kind.is_dir() && !name.starts_with('.') {
                if depth + 1 > MAX_DEPTH {
                    return Err(ReadError::new(
                        rel_join(shown, &rel_join(&rel, name)),
                        None,
                        format!("is nested more than {MAX_DEPTH} folders deep"),
                        "import a folder nearer the documents",
                    ));
                }
                stack.push((d.join(name), rel_join(&rel, name), depth + 1));
            } else if kind.is_file() {
                if let Some(i) = doc_index {
                    let ext_ok = if docs[i].markdown {
                        name.ends_with(".md")
                    } else {
                        name.ends_with(".yml") || name.ends_with(".yaml")
                    };
                    if ext_ok && !name.starts_with('.') {
                        item_files.push((i, d.join(name), rel_join(&rel, name)));
                    }
                }
            }
        }
    }
    if docs.is_empty() {
        return Err(ReadError::new(
            shown,
            None,
            "holds no Doorstop document (no .doorstop.yml below it)",
            "give the folder of the Doorstop tree (the one holding the documents, e.g. reqs/)",
        ));
    }
    // 2. Levels: the depth of each document below its root.
    let by_prefix: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.prefix.as_str(), i))
        .collect();
    let level = |mut i: usize| {
        let mut n = 0;
        while let Some(p) = docs[i].parent.as_deref().and_then(|p| by_prefix.get(p)) {
            n += 1;
            i = *p;
            if n > docs.len() {
                break; // a cycle of parents
            }
        }
        n
    };
    let levels: Vec<usize> = (0..docs.len()).map(level).collect();
    // 3. Items, in parallel.
    use rayon::prelude::*;
    let read_items: Vec<Result<Item, Skipped>> = item_files
        .par_iter()
        .map(|(i, path, rel)| read_item(&docs[*i], levels[*i], path, &rel_join(shown, rel)))
        .collect();
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    for r in read_items {
        match r {
            Ok(i) => items.push(i),
            Err(s) => skipped.push(s),
        }
    }
    items.sort_by(|a, b| {
        (a.level, &a.document, &a.location.file).cmp(&(b.level, &b.document, &b.location.file))
    });
    Ok(Foreign {
        tool: Tool::Doorstop,
        items,
        skipped,
        ddf_convention: false,
    })
}

fn read_config(path: &Path, shown: &str, rel: &str, dir: &Path) -> Result<Document, ReadError> {
    let text = utf8(read_bounded(path, shown)?, shown)?;
    let v: Value = crate::front_matter::parse_yaml(&text).map_err(|e| {
        ReadError::new(
            shown,
            e.location().map(|l| l.line()),
            format!("is not valid YAML: {e}"),
            "fix the document's settings",
        )
    })?;
    let settings = v.get("settings");
    let get = |k: &str| settings.and_then(|s| s.get(k)).and_then(scalar_text);
    let prefix = get("prefix").filter(|p| !p.is_empty()).ok_or_else(|| {
        ReadError::new(
            shown,
            None,
            "has no settings.prefix",
            "a Doorstop document names its prefix in settings.prefix",
        )
    })?;
    Ok(Document {
        prefix,
        parent: get("parent").filter(|p| !p.is_empty()),
        sep: get("sep").unwrap_or_default(),
        markdown: get("itemformat").as_deref() == Some("markdown"),
        rel: rel.to_string(),
        dir: dir.to_path_buf(),
    })
}

/// A YAML scalar as text.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Any YAML value as the text of an attribute.
fn value_text(v: &Value) -> String {
    scalar_text(v).unwrap_or_else(|| {
        serde_yaml::to_string(v)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default()
    })
}

fn read_item(doc: &Document, level: usize, path: &Path, shown: &str) -> Result<Item, Skipped> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let uid = name.rsplit_once('.').map_or(name, |(s, _)| s).to_string();
    let location = Location {
        file: shown.to_string(),
        line: Some(1),
    };
    let skip = |reason: String, line: Option<usize>| Skipped {
        source_id: uid.clone(),
        location: Location {
            file: shown.to_string(),
            line,
        },
        reason,
    };
    if !uid.starts_with(&format!("{}{}", doc.prefix, doc.sep)) {
        return Err(skip(
            format!(
                "its name does not start with the document prefix `{}`",
                doc.prefix
            ),
            None,
        ));
    }
    let too_big = std::fs::metadata(path)
        .map(|m| m.len() > MAX_ITEM)
        .unwrap_or(false);
    if too_big {
        return Err(skip(
            format!("is larger than {} MiB", MAX_ITEM / (1024 * 1024)),
            None,
        ));
    }
    let text = read_bounded(path, shown)
        .and_then(|b| utf8(b, shown))
        .map_err(|e| skip(e.message, e.location.line))?;
    let (yaml, body, body_line) = if doc.markdown {
        split_front_matter(&text)
    } else {
        (text.as_str(), None, 0)
    };
    if let Some(pos) = crate::front_matter::too_deep(yaml, 1) {
        return Err(skip("its YAML is nested too deep".into(), Some(pos.line)));
    }
    let v: Value = if yaml.trim().is_empty() {
        Value::Mapping(Default::default())
    } else {
        crate::front_matter::parse_yaml(yaml).map_err(|e| {
            skip(
                format!("is not valid YAML: {e}"),
                e.location().map(|l| l.line() + usize::from(doc.markdown)),
            )
        })?
    };
    let Value::Mapping(map) = v else {
        return Err(skip(
            "is not a YAML mapping of item attributes".into(),
            Some(1),
        ));
    };
    let flag = |k: &str| map.get(k).and_then(Value::as_bool);
    if flag("active") == Some(false) {
        return Err(skip("inactive (active: false)".into(), Some(1)));
    }
    if flag("normative") == Some(false) {
        return Err(skip(
            "not normative (a heading or an informative note)".into(),
            Some(1),
        ));
    }
    let mut item = Item {
        source_id: uid.clone(),
        source_type: String::new(),
        document: doc.prefix.clone(),
        level,
        location,
        ..Item::default()
    };
    for (k, v) in &map {
        let Some(k) = k.as_str() else { continue };
        match k {
            "header" => {
                item.title = scalar_text(v)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
            }
            "text" => item.text = scalar_text(v).filter(|s| !s.trim().is_empty()),
            "links" => {
                for l in v.as_sequence().into_iter().flatten() {
                    let target = match l {
                        Value::Mapping(m) => m.keys().next().and_then(scalar_text),
                        other => scalar_text(other),
                    };
                    if let Some(target) = target {
                        item.links.push(Link {
                            role: "parent".into(),
                            target,
                        });
                    }
                }
            }
            _ => item.attributes.push((k.to_string(), value_text(v))),
        }
    }
    if let Some(body) = body {
        let body = body.trim_start_matches('\n');
        let mut lines = body.lines();
        if item.title.is_none() {
            if let Some(h) = lines.clone().next().and_then(|l| l.strip_prefix("# ")) {
                item.title = Some(h.trim().to_string());
                lines.next();
            }
        }
        let rest: Vec<&str> = lines.collect();
        let rest = rest.join("\n");
        if !rest.trim().is_empty() {
            item.text = Some(rest.trim().to_string() + "\n");
        }
        let _ = body_line;
    }
    let _ = (&doc.rel, &doc.dir);
    Ok(item)
}

/// The YAML front-matter and the body of a Markdown item (and the body's first line).
fn split_front_matter(text: &str) -> (&str, Option<&str>, usize) {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return ("", Some(text), 1);
    };
    match rest.find("\n---") {
        Some(end) => {
            let yaml = &rest[..end + 1];
            let after = &rest[end + 4..];
            let body = after.split_once('\n').map_or("", |(_, b)| b);
            let line = yaml.matches('\n').count() + 3;
            (yaml, Some(body), line)
        }
        None => (rest, None, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    #[test]
    fn a_small_tree() {
        let dir = tempfile::tempdir().expect("tmp");
        let r = dir.path();
        write(
            r,
            "reqs/.doorstop.yml",
            "settings:\n  prefix: REQ\n  sep: ''\n  digits: 3\n",
        );
        write(r, "reqs/REQ001.yml", "active: true\nnormative: true\nheader: Ids\nlinks: []\ntext: |\n  Shall.\nlevel: 1.1\n");
        write(r, "reqs/REQ002.yml", "active: false\ntext: gone\n");
        write(r, "reqs/REQ003.yml", "text: [unclosed\n");
        write(
            r,
            "reqs/tst/.doorstop.yml",
            "settings:\n  prefix: TST\n  parent: REQ\n",
        );
        write(
            r,
            "reqs/tst/TST001.yml",
            "links:\n- REQ001: abc\n- REQ009\ntext: Test it\n",
        );
        write(r, "reqs/tst/notes.yml", "x: 1\n");
        write(
            r,
            "reqs/md/.doorstop.yml",
            "settings:\n  prefix: MD\n  itemformat: markdown\n  parent: TST\n",
        );
        write(
            r,
            "reqs/md/MD001.md",
            "---\nlinks: [TST001]\n---\n# Heading\n\nBody.\n",
        );
        // Anchors and aliases that expand to millions of values: refused (bounded), not expanded.
        let xs = vec!["lol"; 1000].join(",");
        let a = vec!["*a"; 1000].join(",");
        let b = vec!["*b"; 20].join(",");
        write(
            r,
            "reqs/tst/TST002.yml",
            &format!("xs: &a [{xs}]\nas: &b [{a}]\nbs: [{b}]\n"),
        );
        let f = read(&r.join("reqs"), "reqs").expect("read");
        let ids: Vec<_> = f
            .items
            .iter()
            .map(|i| (i.source_id.as_str(), i.level))
            .collect();
        assert_eq!(ids, vec![("REQ001", 0), ("TST001", 1), ("MD001", 2)]);
        assert_eq!(f.items[0].title.as_deref(), Some("Ids"));
        assert_eq!(
            f.items[0].attributes,
            vec![
                ("active".to_string(), "true".to_string()),
                ("normative".into(), "true".into()),
                ("level".into(), "1.1".into())
            ]
        );
        assert_eq!(
            f.items[1]
                .links
                .iter()
                .map(|l| l.target.as_str())
                .collect::<Vec<_>>(),
            vec!["REQ001", "REQ009"]
        );
        assert_eq!(f.items[2].title.as_deref(), Some("Heading"));
        assert_eq!(f.items[2].text.as_deref(), Some("Body.\n"));
        let mut why: Vec<_> = f
            .skipped
            .iter()
            .map(|s| (s.source_id.as_str(), s.reason.as_str()))
            .collect();
        why.sort();
        assert_eq!(why[0].0, "REQ002");
        assert!(why[1].1.contains("not valid YAML"), "{why:?}");
        assert_eq!(why[2].0, "TST002", "{why:?}");
        assert!(why[2].1.contains("anchors and aliases"), "{why:?}");
        assert_eq!(why[3].0, "notes");
    }

    #[test]
    fn not_a_tree() {
        let dir = tempfile::tempdir().expect("tmp");
        let e = read(dir.path(), "x").expect_err("no documents");
        assert!(e.message.contains("no Doorstop document"));
        write(dir.path(), ".doorstop.yml", "settings: {}\n");
        let e = read(dir.path(), "x").expect_err("no prefix");
        assert!(e.message.contains("prefix"), "{}", e.message);
    }
}
