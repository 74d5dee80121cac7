//! Comparing two SBOMs (or the SBOMs of two releases): components added, removed, with another
//! version, or from another supplier. This is the SBOM delta of a change's impact assessment
//! (domain model 4.1, item 1) and a "may impact cybersecurity" trigger (4.2 d).

use super::Component;
use serde::Serialize;
use std::collections::BTreeMap;

/// A component as the diff shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Name.
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Purl as written.
    pub purl: Option<String>,
    /// Supplier.
    pub supplier: Option<String>,
}

impl From<&Component> for Entry {
    fn from(c: &Component) -> Self {
        Entry {
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
            supplier: c.supplier.clone(),
        }
    }
}

/// A component present on both sides with a different value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Name (side B).
    pub name: String,
    /// Identity key (versionless purl, cpe or name).
    pub key: String,
    /// Value on side A.
    pub old: Option<String>,
    /// Value on side B.
    pub new: Option<String>,
}

/// The difference between side A and side B.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diff {
    /// Components only in B.
    pub added: Vec<Entry>,
    /// Components only in A.
    pub removed: Vec<Entry>,
    /// Components in both, with another version.
    pub version_changed: Vec<Change>,
    /// Components in both, with another supplier.
    pub supplier_changed: Vec<Change>,
    /// Components identical in identity, version and supplier.
    pub unchanged: usize,
}

impl Diff {
    /// Whether the two sides have the same components.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.version_changed.is_empty()
            && self.supplier_changed.is_empty()
    }
}

/// Compares components `a` with `b`. Components pair up by identity (normalised purl without
/// version, else CPE product, else name): same version first, then any version, one to one.
pub fn diff(a: &[Component], b: &[Component]) -> Diff {
    let ida: Vec<_> = a.iter().map(|c| c.identity()).collect();
    let idb: Vec<_> = b.iter().map(|c| c.identity()).collect();
    let mut pair: Vec<Option<usize>> = vec![None; b.len()];
    let mut used = vec![false; a.len()];
    for exact in [true, false] {
        let mut free: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, id) in ida.iter().enumerate() {
            if !used[i] {
                let k = if exact {
                    format!("{}@{:?}", id.key(), id.version)
                } else {
                    id.key()
                };
                free.entry(k).or_default().push(i);
            }
        }
        for (j, id) in idb.iter().enumerate() {
            if pair[j].is_some() {
                continue;
            }
            let k = if exact {
                format!("{}@{:?}", id.key(), id.version)
            } else {
                id.key()
            };
            if let Some(list) = free.get_mut(&k) {
                if !list.is_empty() {
                    let i = list.remove(0);
                    used[i] = true;
                    pair[j] = Some(i);
                }
            }
        }
    }
    let mut d = Diff::default();
    for (j, p) in pair.iter().enumerate() {
        let cb = &b[j];
        let Some(i) = *p else {
            d.added.push(Entry::from(cb));
            continue;
        };
        let ca = &a[i];
        let mut same = true;
        if ida[i].version != idb[j].version {
            same = false;
            d.version_changed.push(Change {
                name: cb.name.clone(),
                key: idb[j].key(),
                old: ca.version.clone(),
                new: cb.version.clone(),
            });
        }
        let norm = |s: &Option<String>| s.as_ref().map(|s| s.trim().to_lowercase());
        if norm(&ca.supplier) != norm(&cb.supplier) {
            same = false;
            d.supplier_changed.push(Change {
                name: cb.name.clone(),
                key: idb[j].key(),
                old: ca.supplier.clone(),
                new: cb.supplier.clone(),
            });
        }
        if same {
            d.unchanged += 1;
        }
    }
    for (i, u) in used.iter().enumerate() {
        if !u {
            d.removed.push(Entry::from(&a[i]));
        }
    }
    let by_name = |x: &Entry, y: &Entry| (&x.name, &x.version).cmp(&(&y.name, &y.version));
    d.added.sort_by(by_name);
    d.removed.sort_by(by_name);
    d.version_changed
        .sort_by(|x, y| (&x.name, &x.key).cmp(&(&y.name, &y.key)));
    d.supplier_changed
        .sort_by(|x, y| (&x.name, &x.key).cmp(&(&y.name, &y.key)));
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, version: &str, purl: Option<&str>, supplier: Option<&str>) -> Component {
        Component {
            name: name.into(),
            version: Some(version.into()),
            purl: purl.map(String::from),
            supplier: supplier.map(String::from),
            ..Component::default()
        }
    }

    #[test]
    fn added_removed_and_changed() {
        let a = vec![
            c(
                "mbedtls",
                "3.5.1",
                Some("pkg:github/Mbed-TLS/mbedtls@v3.5.1"),
                Some("Mbed TLS"),
            ),
            c(
                "zephyr",
                "3.5.0",
                Some("pkg:github/zephyrproject-rtos/zephyr@v3.5.0"),
                Some("Zephyr"),
            ),
            c("old", "1", None, None),
            c("syn", "1.0.109", Some("pkg:cargo/syn@1.0.109"), None),
            c("syn", "2.0.18", Some("pkg:cargo/syn@2.0.18"), None),
        ];
        let b = vec![
            c(
                "mbedtls",
                "3.5.2",
                Some("pkg:github/Mbed-TLS/mbedtls@v3.5.2"),
                Some("Mbed TLS"),
            ),
            c(
                "zephyr",
                "3.5.0",
                Some("pkg:github/zephyrproject-rtos/zephyr@v3.5.0"),
                Some("Linux Foundation"),
            ),
            c("new", "1", None, None),
            c("syn", "2.0.18", Some("pkg:cargo/syn@2.0.18"), None),
            c("syn", "1.0.109", Some("pkg:cargo/syn@1.0.109"), None),
        ];
        let d = diff(&a, &b);
        assert_eq!(d.added.len(), 1);
        assert_eq!(d.added[0].name, "new");
        assert_eq!(d.removed[0].name, "old");
        assert_eq!(d.version_changed.len(), 1);
        assert_eq!(d.version_changed[0].old.as_deref(), Some("3.5.1"));
        assert_eq!(d.supplier_changed.len(), 1);
        assert_eq!(
            d.supplier_changed[0].new.as_deref(),
            Some("Linux Foundation")
        );
        assert_eq!(d.unchanged, 2);
        assert!(diff(&a, &a).is_empty());
    }
}
