//! NuGet's version order (NuGet.Versioning `VersionComparer`, described in "Package versioning",
//! learn.microsoft.com/nuget/concepts/package-versioning): SemVer 2.0 with a fourth number
//! (`1.0` = `1.0.0.0`, leading zeros allowed: `1.0.01` = `1.0.1`), a release after its
//! pre-releases, pre-release labels compared per dot-separated identifier (numbers by value and
//! before words, words case-insensitively, fewer identifiers first), build metadata ignored.

use std::cmp::Ordering;

/// A NuGet version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NuGet {
    nums: [String; 4],
    pre: Vec<String>,
}

impl NuGet {
    /// Parses a NuGet version (a leading `v` is tolerated).
    pub fn parse(s: &str) -> Option<NuGet> {
        let s = s.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let s = s.split_once('+').map_or(s, |(v, _)| v);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 4 || !parts.iter().all(|p| super::digits::all(p)) {
            return None;
        }
        let mut nums: [String; 4] = Default::default();
        for (i, p) in parts.iter().enumerate() {
            nums[i] = p.trim_start_matches('0').to_string();
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => {
                let ids: Vec<String> = p.split('.').map(str::to_ascii_lowercase).collect();
                if ids.iter().any(|i| {
                    i.is_empty() || !i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }) {
                    return None;
                }
                ids
            }
        };
        Some(NuGet { nums, pre })
    }
}

/// Compares dot-separated identifiers the SemVer way: numbers by value and before words, words
/// as text, a shorter list first when it is a prefix.
pub(crate) fn cmp_identifiers(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (super::digits::all(x), super::digits::all(y)) {
            (true, true) => super::digits::cmp(x, y),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

impl Ord for NuGet {
    fn cmp(&self, o: &Self) -> Ordering {
        for (x, y) in self.nums.iter().zip(&o.nums) {
            let c = super::digits::cmp(x, y);
            if c != Ordering::Equal {
                return c;
            }
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => cmp_identifiers(&self.pre, &o.pre),
        }
    }
}

impl PartialOrd for NuGet {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
