//! The CISA Known Exploited Vulnerabilities catalogue, read from a local copy of its JSON feed
//! (`known_exploited_vulnerabilities.json`): a CVE in it is exploited in the wild, which makes
//! its exploitability E5 whatever CVSS says (domain model 3.1).

use crate::sbom::json::Node;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// `dateAdded`.
    pub date_added: String,
    /// `knownRansomwareCampaignUse`.
    pub ransomware: String,
}

/// The catalogue.
#[derive(Debug, Clone, Default)]
pub struct Kev {
    /// `catalogVersion`.
    pub version: String,
    /// Entries by CVE id (upper case).
    pub entries: HashMap<String, Entry>,
}

impl Kev {
    /// The entry for `id`, if the catalogue lists it.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(&id.trim().to_ascii_uppercase())
    }

    /// Parses the catalogue JSON; `file` names it in messages.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Kev, String> {
        let v: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("{file}:{}:{}: not valid JSON: {e}", e.line(), e.column()))?;
        let root = Node::root(&v);
        let err = |e: crate::sbom::json::ShapeError| format!("{file}: {e}");
        root.expect_object().map_err(err)?;
        let items = match root.get("vulnerabilities") {
            Some(n) => n.items().map_err(err)?,
            None => {
                return Err(format!(
                    "{file}: not a CISA KEV catalogue: it has no `vulnerabilities` array"
                ))
            }
        };
        let mut entries = HashMap::with_capacity(items.len());
        for it in items {
            let id = it
                .req_str("cveID")
                .map_err(err)?
                .trim()
                .to_ascii_uppercase();
            entries.insert(
                id,
                Entry {
                    date_added: it
                        .opt_str("dateAdded")
                        .map_err(err)?
                        .unwrap_or("")
                        .to_string(),
                    ransomware: it
                        .opt_str("knownRansomwareCampaignUse")
                        .map_err(err)?
                        .unwrap_or("")
                        .to_string(),
                },
            );
        }
        Ok(Kev {
            version: root
                .opt_str("catalogVersion")
                .map_err(err)?
                .unwrap_or("")
                .to_string(),
            entries,
        })
    }

    /// Reads the catalogue file at `path`.
    pub fn read(path: &Path) -> Result<Kev, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("{}: cannot read the file: {e}", path.display()))?;
        Kev::parse(&bytes, &path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_looks_up_case_blind() {
        let k = Kev::parse(
            br#"{"catalogVersion":"2025.08.25","vulnerabilities":[{"cveID":"CVE-2023-44487","dateAdded":"2023-10-10","knownRansomwareCampaignUse":"Unknown"}]}"#,
            "kev.json",
        )
        .expect("parses");
        assert_eq!(k.version, "2025.08.25");
        assert_eq!(
            k.get("cve-2023-44487").map(|e| e.date_added.as_str()),
            Some("2023-10-10")
        );
        assert!(k.get("CVE-2024-21626").is_none());
        let e = Kev::parse(br#"{"vulnerabilities":[{"cveID":5}]}"#, "kev.json").expect_err("bad");
        assert!(
            e.contains("$.vulnerabilities[0].cveID: expected a string"),
            "{e}"
        );
        assert!(Kev::parse(br#"{"x":1}"#, "kev.json")
            .expect_err("no array")
            .contains("not a CISA KEV"));
    }
}
