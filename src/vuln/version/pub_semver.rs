//! Pub's version order (Dart's `pub_semver`, `Version.compareTo`): SemVer 2.0 precedence, except
//! that build metadata is *not* ignored: a version with a build sorts after the same version
//! without one (`1.0.0 < 1.0.0+1`), builds comparing as pre-release identifiers do
//! (`1.2.3+9 < 1.2.3+a`). Like ddf's SemVer order, a leading `v` and a missing minor or patch are
//! tolerated; numbers compare by value at any length.

use super::nuget::cmp_identifiers;
use std::cmp::Ordering;

/// A Pub version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pub {
    core: [String; 3],
    pre: Vec<String>,
    build: Vec<String>,
}

fn identifiers(s: &str) -> Option<Vec<String>> {
    let ids: Vec<String> = s.split('.').map(String::from).collect();
    if ids
        .iter()
        .any(|i| i.is_empty() || !i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return None;
    }
    Some(ids)
}

impl Pub {
    /// Parses a Pub version.
    pub fn parse(s: &str) -> Option<Pub> {
        let s = s.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let (s, build) = match s.split_once('+') {
            Some((v, b)) => (v, identifiers(b)?),
            None => (s, Vec::new()),
        };
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, identifiers(p)?),
            None => (s, Vec::new()),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 3 || !parts.iter().all(|p| super::digits::all(p)) {
            return None;
        }
        let mut nums: [String; 3] = Default::default();
        for (i, p) in parts.iter().enumerate() {
            nums[i] = p.trim_start_matches('0').to_string();
        }
        Some(Pub {
            core: nums,
            pre,
            build,
        })
    }
}

impl Ord for Pub {
    fn cmp(&self, o: &Self) -> Ordering {
        for (x, y) in self.core.iter().zip(&o.core) {
            let c = super::digits::cmp(x, y);
            if c != Ordering::Equal {
                return c;
            }
        }
        let pre = match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => cmp_identifiers(&self.pre, &o.pre),
        };
        pre.then_with(|| match (self.build.is_empty(), o.build.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => cmp_identifiers(&self.build, &o.build),
        })
    }
}

impl PartialOrd for Pub {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
