//! The seed corpus: the example DDF (`docs-example/`: ddf.yaml, records, SBOMs), the real public
//! SBOMs, OSV advisories and KEV catalogue of `tests/data/`, and the `ddf.yaml` example of
//! docs/configuration.md; and the dictionary of tokens harvested from them.

use crate::mutate::{is_id_like, Dict};
use std::collections::BTreeMap;
use std::path::Path;

/// Files by path relative to a DDF root (or one file), `/`-separated.
pub(crate) type Files = BTreeMap<String, Vec<u8>>;

/// Every seed, read once.
pub(crate) struct Seeds {
    /// `docs-example/`: ddf.yaml, records/**/*.md, sboms/**.
    pub(crate) example: Files,
    /// Paths of the example's record files, sorted.
    pub(crate) records: Vec<String>,
    /// Record path by id, in the example.
    pub(crate) path_of: BTreeMap<String, String>,
    /// Record paths by type, in the example.
    pub(crate) of_type: BTreeMap<String, Vec<String>>,
    /// `ddf.yaml` seeds.
    pub(crate) configs: Vec<Vec<u8>>,
    /// CycloneDX JSON seeds (tests/data and the example's SBOMs).
    pub(crate) cyclonedx: Vec<(String, Vec<u8>)>,
    /// SPDX JSON seeds.
    pub(crate) spdx: Vec<(String, Vec<u8>)>,
    /// OSV advisories.
    pub(crate) osv: Vec<(String, Vec<u8>)>,
    /// The KEV catalogue, whole.
    pub(crate) kev: Vec<u8>,
    /// Slices of the KEV catalogue (its header and a window of entries): the whole one is 1.3 MB,
    /// too big to parse thousands of times a minute.
    pub(crate) kev_slices: Vec<Vec<u8>>,
    /// Harvested tokens.
    pub(crate) dict: Dict,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `(name, bytes)` of the `*.json` (and SPDX tag-value `*.spdx`) files in `dir`, sorted by name.
fn json_files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        // `.spdx`: SPDX tag-value, which `ddf sbom import` reads as well as JSON.
        if p.extension().is_some_and(|x| x == "json" || x == "spdx") {
            let name = e.file_name().to_string_lossy().into_owned();
            out.push((name, read(&p)?));
        }
    }
    out.sort();
    Ok(out)
}

/// Every file below `dir` as `rel -> bytes`, skipping hidden entries and a built `site/`.
fn walk(dir: &Path, rel: &str, out: &mut Files) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || (rel.is_empty() && name == "site") {
            continue;
        }
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            walk(&e.path(), &path, out)?;
        } else if t.is_file()
            && (name.ends_with(".md") || name.ends_with(".json") || name == "ddf.yaml")
            && (path.starts_with("records/") || path.starts_with("sboms/") || name == "ddf.yaml")
        {
            out.insert(path, read(&e.path())?);
        }
    }
    Ok(())
}

/// The first ```` ```yaml ```` block of a Markdown file.
fn yaml_block(md: &str) -> Option<String> {
    let start = md.find("```yaml\n")? + "```yaml\n".len();
    let len = md[start..].find("```")?;
    Some(md[start..start + len].to_string())
}

fn harvest_yaml(text: &str, dict: &mut Dict) {
    let Some(fm) = crate::mutate::front_matter_range(text.as_bytes()) else {
        return;
    };
    let yaml = &text[fm.0..fm.1];
    let Ok(serde_yaml::Value::Mapping(m)) = serde_yaml::from_str::<serde_yaml::Value>(yaml) else {
        return;
    };
    for (k, v) in &m {
        let Some(k) = k.as_str() else { continue };
        dict.keys.push(k.to_string());
        match (k, v) {
            ("type", serde_yaml::Value::String(s)) => dict.types.push(s.clone()),
            ("status", serde_yaml::Value::String(s)) => dict.statuses.push(s.clone()),
            ("id", serde_yaml::Value::String(s)) => dict.ids.push(s.clone()),
            (_, serde_yaml::Value::Sequence(items))
                if !items.is_empty()
                    && items.iter().all(|i| i.as_str().is_some_and(is_id_like)) =>
            {
                dict.link_keys.push(k.to_string());
            }
            _ => {}
        }
    }
}

fn harvest_json(v: &serde_json::Value, dict: &mut Dict) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, c) in o {
                dict.json_keys.push(k.clone());
                harvest_json(c, dict);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|c| harvest_json(c, dict)),
        serde_json::Value::String(s) if s.len() < 200 && dict.json_strings.len() < 20_000 => {
            dict.json_strings.push(s.clone());
        }
        _ => {}
    }
}

/// Windows of the KEV catalogue's entries, each with the catalogue's header.
fn kev_slices(kev: &[u8]) -> Vec<Vec<u8>> {
    let Ok(serde_json::Value::Object(root)) = serde_json::from_slice::<serde_json::Value>(kev)
    else {
        return vec![kev.to_vec()];
    };
    let entries = root
        .get("vulnerabilities")
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::new();
    // The window that holds CVE-2023-44487 (the one CVE of the OSV seeds in KEV) first.
    let hit = entries
        .iter()
        .position(|e| e.get("cveID").and_then(|v| v.as_str()) == Some("CVE-2023-44487"))
        .unwrap_or(0);
    for (start, len) in [
        (hit.saturating_sub(2), 5),
        (0, 1),
        (0, 20),
        (entries.len() / 2, 60),
        (entries.len().saturating_sub(10), 10),
        (0, 0),
    ] {
        let mut r = root.clone();
        let window: Vec<_> = entries.iter().skip(start).take(len).cloned().collect();
        r.insert("count".into(), window.len().into());
        r.insert("vulnerabilities".into(), serde_json::Value::Array(window));
        if let Ok(b) = serde_json::to_vec_pretty(&serde_json::Value::Object(r)) {
            out.push(b);
        }
    }
    out
}

impl Seeds {
    /// Reads the seeds of the repository at `root` (the crate's folder).
    pub(crate) fn load(root: &Path) -> Result<Seeds, String> {
        let repo = root.join("docs-example");
        let mut example = Files::new();
        walk(&repo, "", &mut example)?;
        if !example.contains_key("ddf.yaml") {
            return Err(format!("{}: no ddf.yaml", repo.display()));
        }
        let records: Vec<String> = example
            .keys()
            .filter(|p| p.starts_with("records/") && p.ends_with(".md"))
            .cloned()
            .collect();
        let mut dict = Dict::default();
        let mut path_of = BTreeMap::new();
        let mut of_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in &records {
            let text = String::from_utf8_lossy(&example[p]).into_owned();
            let (ids, types) = (dict.ids.len(), dict.types.len());
            harvest_yaml(&text, &mut dict);
            if dict.ids.len() > ids {
                if let Some(id) = dict.ids.last() {
                    path_of.insert(id.clone(), p.clone());
                }
            }
            if dict.types.len() > types {
                if let Some(t) = dict.types.last() {
                    of_type.entry(t.clone()).or_default().push(p.clone());
                }
            }
        }
        let mut configs = vec![example["ddf.yaml"].clone()];
        let conf_doc = root.join("docs/configuration.md");
        if let Some(block) = read(&conf_doc)
            .ok()
            .and_then(|b| yaml_block(&String::from_utf8_lossy(&b)))
        {
            configs.push(block.into_bytes());
        }
        let data = root.join("tests/data");
        let mut cyclonedx = json_files(&data.join("cyclonedx"))?;
        for (p, b) in &example {
            if p.starts_with("sboms/") && p.ends_with(".json") {
                cyclonedx.push((p.clone(), b.clone()));
            }
        }
        let spdx = json_files(&data.join("spdx"))?;
        let osv = json_files(&data.join("osv"))?;
        let kev = read(&data.join("kev/known_exploited_vulnerabilities.json"))?;
        for (_, b) in cyclonedx.iter().chain(&spdx).chain(&osv) {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(b) {
                harvest_json(&v, &mut dict);
            }
        }
        let kev_slices = kev_slices(&kev);
        if let Some(v) = kev_slices
            .first()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        {
            harvest_json(&v, &mut dict);
        }
        dict.finish();
        if records.is_empty() || cyclonedx.is_empty() || spdx.is_empty() || osv.is_empty() {
            return Err("the seed corpus is incomplete (docs-example/, tests/data/)".into());
        }
        Ok(Seeds {
            example,
            records,
            path_of,
            of_type,
            configs,
            cyclonedx,
            spdx,
            osv,
            kev,
            kev_slices,
            dict,
        })
    }
}
