//! Version orders of the package ecosystems OSV ranges are written in.
//!
//! Each ecosystem orders its versions its own way, and an advisory range is only meaningful in
//! that order: SemVer 2.0 precedence (npm, Go, crates.io, Hex, GitHub Actions; build metadata
//! such as Go's `+incompatible` ignored; Go pseudo-versions are pre-releases of their base),
//! PEP 440 (PyPI), Maven's `ComparableVersion`, dpkg's order (Debian, Ubuntu), apk's (Alpine),
//! rpm's `rpmvercmp` (Red Hat, Rocky Linux, AlmaLinux, SUSE, openSUSE), PHP's `version_compare`
//! (Packagist), `Gem::Version` (RubyGems), NuGet.Versioning (NuGet) and `pub_semver` (Pub). Each
//! order not already in a well-kept crate is written here after the ecosystem's own reference
//! implementation, named in its module, and tested against version pairs that the ecosystem's
//! own tool ordered (`tests/data/versions`). A version that does not parse under its order
//! yields `None`, which the matcher reports as uncertain rather than guessing.

mod apk;
mod composer;
mod digits;
mod nuget;
mod pub_semver;
mod rpm;
mod rubygems;

pub use apk::Apk;
pub use composer::Composer;
pub use nuget::NuGet;
pub use pub_semver::Pub;
pub use rpm::Rpm;
pub use rubygems::Gem;

use std::cmp::Ordering;
use std::sync::OnceLock;

/// A version order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    /// SemVer 2.0 precedence, lenient about a leading `v` and a missing minor or patch.
    SemVer,
    /// PEP 440.
    Pep440,
    /// Maven ComparableVersion.
    Maven,
    /// dpkg (Debian policy 5.6.12).
    Debian,
    /// apk (Alpine).
    Alpine,
    /// rpmvercmp with epoch and release.
    Rpm,
    /// PHP `version_compare` (Packagist).
    Packagist,
    /// `Gem::Version`.
    RubyGems,
    /// NuGet.Versioning.
    NuGet,
    /// `pub_semver`.
    Pub,
}

impl Order {
    /// The order of an OSV ecosystem (`Debian:12` counts as `Debian`); `None` for ecosystems ddf
    /// cannot order.
    pub fn of_ecosystem(ecosystem: &str) -> Option<Order> {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem);
        Some(match base {
            "npm" | "Go" | "crates.io" | "Hex" | "SwiftURL" | "GitHub Actions" => Order::SemVer,
            "PyPI" => Order::Pep440,
            "Maven" => Order::Maven,
            "Debian" | "Ubuntu" => Order::Debian,
            "Alpine" | "Wolfi" | "Chainguard" => Order::Alpine,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "SUSE" | "openSUSE" | "Mageia"
            | "openEuler" => Order::Rpm,
            "Packagist" => Order::Packagist,
            "RubyGems" => Order::RubyGems,
            "NuGet" => Order::NuGet,
            "Pub" => Order::Pub,
            _ => return None,
        })
    }

    /// The name shown in messages.
    pub fn name(self) -> &'static str {
        match self {
            Order::SemVer => "SemVer",
            Order::Pep440 => "PEP 440",
            Order::Maven => "Maven",
            Order::Debian => "Debian (dpkg)",
            Order::Alpine => "Alpine (apk)",
            Order::Rpm => "RPM (rpmvercmp)",
            Order::Packagist => "Packagist (version_compare)",
            Order::RubyGems => "RubyGems (Gem::Version)",
            Order::NuGet => "NuGet",
            Order::Pub => "Pub (pub_semver)",
        }
    }

    /// Parses `s` under this order.
    pub fn parse(self, s: &str) -> Option<Version> {
        match self {
            Order::SemVer => SemVer::parse(s).map(Version::SemVer),
            Order::Pep440 => Pep440::parse(s).map(Version::Pep440),
            Order::Maven => Some(Version::Maven(maven::parse(s)?)),
            Order::Debian => Debian::parse(s).map(Version::Debian),
            Order::Alpine => Apk::parse(s).map(Version::Alpine),
            Order::Rpm => Rpm::parse(s).map(Version::Rpm),
            Order::Packagist => Composer::parse(s).map(Version::Packagist),
            Order::RubyGems => Gem::parse(s).map(Version::RubyGems),
            Order::NuGet => NuGet::parse(s).map(Version::NuGet),
            Order::Pub => Pub::parse(s).map(Version::Pub),
        }
    }

    /// Compares two versions under this order; `None` when either does not parse.
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        self.parse(a)?.partial_cmp(&self.parse(b)?)
    }
}

/// A parsed version of one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    /// SemVer.
    SemVer(SemVer),
    /// PEP 440.
    Pep440(Pep440),
    /// Maven.
    Maven(maven::Item),
    /// Debian.
    Debian(Debian),
    /// Alpine.
    Alpine(Apk),
    /// RPM.
    Rpm(Rpm),
    /// Packagist.
    Packagist(Composer),
    /// RubyGems.
    RubyGems(Gem),
    /// NuGet.
    NuGet(NuGet),
    /// Pub.
    Pub(Pub),
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Version::SemVer(a), Version::SemVer(b)) => Some(a.cmp(b)),
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            (Version::Maven(a), Version::Maven(b)) => Some(maven::compare(a, Some(b))),
            (Version::Debian(a), Version::Debian(b)) => Some(a.cmp(b)),
            (Version::Alpine(a), Version::Alpine(b)) => Some(a.cmp(b)),
            (Version::Rpm(a), Version::Rpm(b)) => Some(a.cmp(b)),
            (Version::Packagist(a), Version::Packagist(b)) => Some(a.cmp(b)),
            (Version::RubyGems(a), Version::RubyGems(b)) => Some(a.cmp(b)),
            (Version::NuGet(a), Version::NuGet(b)) => Some(a.cmp(b)),
            (Version::Pub(a), Version::Pub(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// A pre-release identifier.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ident {
    /// Numeric identifiers sort first, by value.
    Num(u64),
    /// Alphanumeric identifiers sort after, in ASCII order.
    Alpha(String),
}

/// A SemVer version (build metadata dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemVer {
    /// Major, minor, patch.
    pub core: [u64; 3],
    /// Pre-release identifiers; empty for a release.
    pub pre: Vec<Ident>,
}

impl SemVer {
    /// Parses a SemVer version. Lenient: a leading `v` or `=`, and a missing minor or patch
    /// (`1.2` = `1.2.0`, OSV's `0` = `0.0.0`) are accepted; anything else must be SemVer 2.0.
    pub fn parse(s: &str) -> Option<SemVer> {
        let s = s.trim().trim_start_matches('=');
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let s = s.split_once('+').map_or(s, |(v, _)| v);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let mut nums = [0u64; 3];
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            nums[i] = p.parse().ok()?;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => p
                .split('.')
                .map(|id| {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        None
                    } else if id.bytes().all(|b| b.is_ascii_digit()) {
                        id.parse().ok().map(Ident::Num)
                    } else {
                        Some(Ident::Alpha(id.to_string()))
                    }
                })
                .collect::<Option<Vec<_>>>()?,
        };
        Some(SemVer { core: nums, pre })
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core
            .cmp(&other.core)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A bound that sorts below or above every value, as PEP 440's comparison key needs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bound<T> {
    /// Below everything.
    Min,
    /// A value.
    Val(T),
    /// Above everything.
    Max,
}

/// A local version segment: alphanumeric segments sort before numeric ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Local {
    /// Alphanumeric.
    Alpha(String),
    /// Numeric.
    Num(u64),
}

/// A PEP 440 version, as its comparison key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pep440 {
    epoch: u64,
    release: Vec<u64>,
    pre: Bound<(u8, u64)>,
    post: Bound<u64>,
    dev: Bound<u64>,
    local: Bound<Vec<Local>>,
}

fn pep440_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // The canonical pattern of the PEP (appendix B), anchored.
        regex::Regex::new(
            r"(?ix)^\s*v?
            (?:(?P<epoch>[0-9]+)!)?
            (?P<release>[0-9]+(?:\.[0-9]+)*)
            (?P<pre>[-_\.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?P<pre_n>[0-9]+)?)?
            (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?
            (?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?
            (?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?
            \s*$",
        )
        .unwrap_or_else(|_| unreachable!("the PEP 440 pattern is valid"))
    })
}

impl Pep440 {
    /// Parses a PEP 440 version (any of the spellings the PEP normalises).
    pub fn parse(s: &str) -> Option<Pep440> {
        let c = pep440_re().captures(s)?;
        let num =
            |name: &str| -> Option<u64> { c.name(name).and_then(|m| m.as_str().parse().ok()) };
        let mut release: Vec<u64> = c
            .name("release")?
            .as_str()
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        let pre = c.name("pre_l").map(|l| {
            let rank = match l.as_str().to_ascii_lowercase().as_str() {
                "a" | "alpha" => 0,
                "b" | "beta" => 1,
                _ => 2,
            };
            (rank, num("pre_n").unwrap_or(0))
        });
        let post = if c.name("post").is_some() {
            Some(num("post_n1").or(num("post_n2")).unwrap_or(0))
        } else {
            None
        };
        let dev = c.name("dev").map(|_| num("dev_n").unwrap_or(0));
        let local = c.name("local").map(|l| {
            l.as_str()
                .to_ascii_lowercase()
                .split(['-', '_', '.'])
                .map(|seg| match seg.parse::<u64>() {
                    Ok(n) if seg.bytes().all(|b| b.is_ascii_digit()) => Local::Num(n),
                    _ => Local::Alpha(seg.to_string()),
                })
                .collect()
        });
        Some(Pep440 {
            epoch: num("epoch").unwrap_or(0),
            release,
            // A dev release of a final (1.0.dev1) sorts before its pre-releases (1.0a1).
            pre: match (pre, post, dev) {
                (None, None, Some(_)) => Bound::Min,
                (None, _, _) => Bound::Max,
                (Some(p), _, _) => Bound::Val(p),
            },
            post: post.map_or(Bound::Min, Bound::Val),
            dev: dev.map_or(Bound::Max, Bound::Val),
            local: local.map_or(Bound::Min, Bound::Val),
        })
    }
}

/// A Debian version: epoch, upstream version, revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debian {
    epoch: u64,
    upstream: String,
    revision: String,
}

impl Debian {
    /// Parses `[epoch:]upstream[-revision]`.
    pub fn parse(s: &str) -> Option<Debian> {
        let s = s.trim();
        let (epoch, rest) = match s.split_once(':') {
            Some((e, r)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                (e.parse().ok()?, r)
            }
            Some(_) => return None,
            None => (0, s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, r),
            None => (rest, ""),
        };
        let ok = |t: &str| {
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".+~-:".contains(&b))
        };
        if upstream.is_empty()
            || !upstream.starts_with(|c: char| c.is_ascii_digit())
            || !ok(upstream)
            || !ok(revision)
        {
            return None;
        }
        Some(Debian {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs; `~` sorts before everything, even
/// the end of the string; letters before other characters.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    fn order(c: Option<u8>) -> i32 {
        match c {
            None => 0,
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_ascii_alphabetic() => c as i32,
            Some(b'~') => -1,
            Some(c) => c as i32 + 256,
        }
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == 0 {
                first_diff = a[i] as i32 - b[j] as i32;
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

impl Ord for Debian {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for Debian {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Maven's `ComparableVersion` (maven-artifact), the order Maven Central and OSV's Maven
/// ecosystem use: items separated by `.` and `-` and by digit/letter transitions, known
/// qualifiers ordered `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release
/// < sp`, unknown qualifiers after them in text order, trailing zeros and empty items ignored.
pub mod maven {
    use std::cmp::Ordering;

    /// One item of a parsed version.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Item {
        /// A number (digits kept as text so any length compares right).
        Int(String),
        /// A qualifier, already aliased (`a1` -> `alpha`, `cr` -> `rc`, `ga` -> ``).
        Str(String),
        /// A sub-list (after `-` or a digit/letter transition).
        List(Vec<Item>),
    }

    const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

    fn qualifier_key(q: &str) -> String {
        match QUALIFIERS.iter().position(|x| *x == q) {
            Some(i) => i.to_string(),
            // Unknown qualifiers sort after the known ones, among themselves by text.
            None => format!("{}-{q}", QUALIFIERS.len()),
        }
    }

    fn int_cmp(a: &str, b: &str) -> Ordering {
        let a = a.trim_start_matches('0');
        let b = b.trim_start_matches('0');
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }

    fn is_null(i: &Item) -> bool {
        match i {
            Item::Int(s) => s.trim_start_matches('0').is_empty(),
            Item::Str(s) => s.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    fn string_item(s: &str, followed_by_digit: bool) -> Item {
        let s = if followed_by_digit && s.len() == 1 {
            match s {
                "a" => "alpha",
                "b" => "beta",
                "m" => "milestone",
                other => other,
            }
        } else {
            s
        };
        let s = match s {
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            other => other,
        };
        Item::Str(s.to_string())
    }

    /// Drops null items (zeros, empty qualifiers, empty lists) from the end, looking past
    /// non-null sub-lists as Maven does (`1.0-alpha` = `1-alpha`).
    fn normalize(list: &mut Vec<Item>) {
        let mut i = list.len();
        while i > 0 {
            i -= 1;
            if is_null(&list[i]) {
                list.remove(i);
            } else if !matches!(list[i], Item::List(_)) {
                break;
            }
        }
    }

    /// Parses a Maven version; `None` only for an empty one.
    pub fn parse(version: &str) -> Option<Item> {
        let v = version.trim().to_lowercase();
        if v.is_empty() {
            return None;
        }
        // The list under construction is a path of nested lists; `stack` holds them, the last
        // being the one items go into.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let chars: Vec<char> = v.chars().collect();
        let mut is_digit = false;
        let mut start = 0;
        let push_list = |stack: &mut Vec<Vec<Item>>| stack.push(Vec::new());
        let item = |s: &str, digit: bool, followed: bool| -> Item {
            if digit {
                Item::Int(s.to_string())
            } else {
                string_item(s, followed)
            }
        };
        for (i, &c) in chars.iter().enumerate() {
            let piece: String = chars[start..i].iter().collect();
            if c == '.' || c == '-' {
                let top = stack.last_mut()?;
                if i == start {
                    top.push(Item::Int("0".into()));
                } else {
                    top.push(item(&piece, is_digit, false));
                }
                start = i + 1;
                if c == '-' {
                    push_list(&mut stack);
                }
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    stack.last_mut()?.push(string_item(&piece, true));
                    start = i;
                    push_list(&mut stack);
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    stack.last_mut()?.push(Item::Int(piece));
                    start = i;
                    push_list(&mut stack);
                }
                is_digit = false;
            }
        }
        if chars.len() > start {
            let piece: String = chars[start..].iter().collect();
            stack.last_mut()?.push(item(&piece, is_digit, false));
        }
        // Close the nested lists from the innermost out, normalising each.
        while stack.len() > 1 {
            let mut inner = stack.pop()?;
            normalize(&mut inner);
            stack.last_mut()?.push(Item::List(inner));
        }
        let mut top = stack.pop()?;
        normalize(&mut top);
        Some(Item::List(top))
    }

    /// Compares item `a` with `b` (`None`: the end of a list).
    pub fn compare(a: &Item, b: Option<&Item>) -> Ordering {
        match (a, b) {
            (Item::Int(x), None) => {
                if x.trim_start_matches('0').is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(x), Some(Item::Int(y))) => int_cmp(x, y),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(x), None) => qualifier_key(x).cmp(&qualifier_key("")),
            (Item::Str(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::Str(x), Some(Item::Str(y))) => qualifier_key(x).cmp(&qualifier_key(y)),
            (Item::Str(_), Some(Item::List(_))) => Ordering::Less,
            (Item::List(l), None) => match l.first() {
                None => Ordering::Equal,
                Some(first) => compare(first, None),
            },
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(l), Some(Item::List(r))) => {
                let n = l.len().max(r.len());
                for k in 0..n {
                    let ord = match (l.get(k), r.get(k)) {
                        (None, None) => Ordering::Equal,
                        (None, Some(y)) => compare(y, None).reverse(),
                        (Some(x), y) => compare(x, y),
                    };
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                Ordering::Equal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn cmp(o: Order, a: &str, b: &str) -> Ordering {
        o.compare(a, b)
            .unwrap_or_else(|| panic!("{a} / {b} under {o:?}"))
    }

    #[test]
    fn semver_precedence() {
        let s = Order::SemVer;
        assert_eq!(cmp(s, "1.0.0-rc95", "1.1.12"), Less);
        assert_eq!(cmp(s, "1.0.0-rc93", "v1.0.0-rc95"), Less);
        assert_eq!(cmp(s, "1.0.0-alpha", "1.0.0-alpha.1"), Less);
        assert_eq!(cmp(s, "1.0.0-alpha.beta", "1.0.0-beta"), Less);
        assert_eq!(cmp(s, "1.0.0-beta.2", "1.0.0-beta.11"), Less);
        assert_eq!(cmp(s, "1.0.0-rc.1", "1.0.0"), Less);
        assert_eq!(
            cmp(s, "v20.10.7+incompatible", "20.10.14+incompatible"),
            Less
        );
        assert_eq!(cmp(s, "1.0.0+a", "1.0.0+b"), Equal);
        // Go pseudo-versions are pre-releases of their base.
        assert_eq!(cmp(s, "v0.0.0-20210525063256-abc453219eb5", "0.17.0"), Less);
        assert_eq!(cmp(s, "0", "v0.0.0-20210525063256-abc453219eb5"), Greater);
        // RustSec's `0.0.0-0` is the lowest version there is.
        assert_eq!(cmp(s, "0.0.0-0", "0.0.0-20210525063256-abc453219eb5"), Less);
        assert_eq!(cmp(s, "1.2", "1.2.0"), Equal);
        assert!(SemVer::parse("release-v3.13.0").is_none());
        assert!(SemVer::parse("1.2.3.4").is_none());
        assert!(SemVer::parse("latest-v3.X").is_none());
        assert!(SemVer::parse("1.0.0-").is_none());
    }

    #[test]
    fn pep440_order() {
        let p = Order::Pep440;
        let ordered = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        for w in ordered.windows(2) {
            assert_eq!(cmp(p, w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(cmp(p, "3.1.3", "3.1.4"), Less);
        assert_eq!(cmp(p, "1.0", "1.0.0"), Equal);
        assert_eq!(cmp(p, "1.0-1", "1.0.post1"), Equal);
        assert_eq!(cmp(p, "1.0.0-ALPHA", "1.0a0"), Equal);
        assert_eq!(cmp(p, "1!0.1", "2.0"), Greater);
        assert_eq!(cmp(p, "1.0.13.post1", "1.0.13"), Greater);
        assert_eq!(cmp(p, "4.70.0", "4.66.3"), Greater);
        assert!(Pep440::parse("not a version").is_none());
    }

    #[test]
    fn maven_order() {
        let m = Order::Maven;
        let ordered = [
            "1-alpha",
            "1-alpha2",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1.0.1",
            "1.1",
        ];
        for w in ordered.windows(2) {
            assert_eq!(cmp(m, w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(cmp(m, "1", "1.0.0"), Equal);
        assert_eq!(cmp(m, "1-ga", "1"), Equal);
        assert_eq!(cmp(m, "1.0-final", "1"), Equal);
        assert_eq!(cmp(m, "1-cr1", "1-rc1"), Equal);
        assert_eq!(cmp(m, "2.9.4", "2.9.5"), Less);
        assert_eq!(cmp(m, "2.8.11", "2.8.11.1"), Less);
        assert_eq!(cmp(m, "2.8.11.1", "2.9.0"), Less);
        assert_eq!(cmp(m, "2.0-alpha1", "2.0"), Less);
        assert_eq!(cmp(m, "3.0.0-beta3", "3.0.0-beta2"), Greater);
        assert_eq!(cmp(m, "1.0.10", "1.0.9"), Greater);
        assert_eq!(cmp(m, "1a1", "1-alpha-1"), Equal);
        assert_eq!(cmp(m, "1.0-alpha", "1-alpha"), Equal);
    }

    #[test]
    fn debian_order() {
        let d = Order::Debian;
        assert_eq!(cmp(d, "1.0~rc1", "1.0"), Less);
        assert_eq!(cmp(d, "1.0", "1.0+b1"), Less);
        assert_eq!(cmp(d, "1:0.9", "2.0"), Greater);
        assert_eq!(cmp(d, "1.2.3-1", "1.2.3-1ubuntu1"), Less);
        assert_eq!(cmp(d, "3.0.11-1~deb12u2", "3.0.11-1"), Less);
        assert_eq!(cmp(d, "1.10", "1.9"), Greater);
        assert_eq!(cmp(d, "1.001", "1.1"), Equal);
        assert!(Debian::parse("abc").is_none());
    }

    /// Runs the `a < b` / `a = b` / `a > b` lines of a file of `tests/data/versions` under `o`,
    /// both ways round. Returns the lines skipped because a side does not parse, and fails on
    /// any wrong order except the lines listed in `known`.
    fn fixture(o: Order, file: &str, known: &[&str]) -> Vec<String> {
        let path = format!("{}/tests/data/versions/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("fixture");
        let (mut wrong, mut skipped) = (Vec::new(), Vec::new());
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
                continue;
            }
            let parts: Vec<&str> = line.split(' ').collect();
            let [a, op, b] = parts[..] else {
                panic!("{file}: `{line}`")
            };
            let want = match op {
                "<" => Less,
                "=" => Equal,
                ">" => Greater,
                _ => panic!("{file}: `{line}`"),
            };
            match (o.compare(a, b), o.compare(b, a)) {
                (Some(x), Some(y)) if x == want && y == want.reverse() => {}
                (Some(_), Some(_)) if known.contains(&line) => {}
                (Some(x), _) => wrong.push(format!("{line} (got {x:?})")),
                _ => skipped.push(line.to_string()),
            }
        }
        assert!(
            wrong.is_empty(),
            "{file}: {} wrong: {wrong:#?}",
            wrong.len()
        );
        skipped
    }

    #[test]
    fn alpine_order_matches_apk() {
        let s = fixture(Order::Alpine, "alpine-versions.txt", &[]);
        // The lines outside the documented format (`1-ruff2`, `1.2_blah`, `0..8`, `1.0bc`,
        // `.1`, `a`), on which apk releases disagree, are not ordered; every other line is.
        assert_eq!(s.len(), 33, "{s:#?}");
        assert!(s.contains(&"1-ruff2 = 1-ruff1".to_string()));
        let s = fixture(Order::Alpine, "alpine-versions-generated.txt", &[]);
        assert!(s.is_empty(), "{} skipped: {s:#?}", s.len());
        let a = Order::Alpine;
        assert_eq!(cmp(a, "1.2.3_rc1-r0", "1.2.3-r0"), Less);
        assert_eq!(cmp(a, "1.2.3-r10", "1.2.3-r9"), Greater);
        assert_eq!(cmp(a, "1.2.3_p1", "1.2.3"), Greater);
        assert_eq!(cmp(a, "1.2.3a", "1.2.3_p1"), Greater);
        assert_eq!(cmp(a, "2.4.0~a1b2c3-r0", "2.4.0-r0"), Equal);
        assert!(Apk::parse("1.2.3-1").is_none());
        assert!(Apk::parse("v1.2").is_none());
    }

    #[test]
    fn rpm_order_matches_rpmvercmp() {
        let s = fixture(Order::Rpm, "redhat-versions.txt", &[]);
        assert!(s.is_empty(), "{s:#?}");
        let r = Order::Rpm;
        assert_eq!(cmp(r, "1:1.1.1k-7.el8_6", "1.1.1k-7.el8_6"), Greater);
        assert_eq!(cmp(r, "3.0.7-16.el9_2", "3.0.7-17.el9"), Less);
        assert_eq!(cmp(r, "0:1.0~rc1-1", "1.0-1"), Less);
        assert_eq!(cmp(r, "1.0^git1-1", "1.0-1"), Greater);
    }

    #[test]
    fn packagist_order_matches_php() {
        // osv-scalibr's own "edge case" lines about `#` in a version: PHP's version_compare
        // turns a `#` into a separator (`1.2.3.#` is `1.2.3.`), so they do not hold for PHP.
        let known = [
            "1.2.3.# = 1.2.3",
            "1.2.3.# = 1.2.3.#",
            "1.2.3.# = 1.2.3.1",
            "1.2.3.#.1 > 1.2.3",
            "1.2.3.#.p3 > 1.2.3",
            "1.2.3.#.beta < 1.2.3",
        ];
        let s = fixture(Order::Packagist, "packagist-versions.txt", &known);
        assert!(s.is_empty(), "{s:#?}");
        let s = fixture(Order::Packagist, "packagist-versions-generated.txt", &[]);
        assert!(s.is_empty(), "{s:#?}");
    }

    #[test]
    fn rubygems_order_matches_gem_version() {
        let s = fixture(Order::RubyGems, "rubygems-versions.txt", &[]);
        assert!(s.is_empty(), "{s:#?}");
        let s = fixture(Order::RubyGems, "rubygems-versions-generated.txt", &[]);
        assert!(s.is_empty(), "{s:#?}");
        let g = Order::RubyGems;
        // A `-` is `.pre.`, and `pre` sorts before `rc`.
        assert_eq!(cmp(g, "7.0.0-rc1", "7.0.0.rc1"), Less);
        assert_eq!(cmp(g, "7.0.0-rc1", "7.0.0"), Less);
        assert_eq!(cmp(g, "1.0.0", "1"), Equal);
    }

    #[test]
    fn nuget_order_matches_nuget_versioning() {
        let s = fixture(Order::NuGet, "nuget-versions.txt", &[]);
        assert!(s.is_empty(), "{s:#?}");
        assert!(NuGet::parse("1.2.3.4.5").is_none());
    }

    #[test]
    fn pub_order_matches_pub_semver() {
        let s = fixture(Order::Pub, "pub-versions.txt", &[]);
        // pub_semver has exactly three numbers: `1.1.3.4.5` is not a Pub version.
        assert_eq!(s, vec!["1.1.3.4.5 = 1.1.3.4.5"]);
    }

    #[test]
    fn semver_order_on_the_semver_suite() {
        let s = fixture(Order::SemVer, "semver-versions.txt", &[]);
        // Numbers past 2^64 are not ordered (they are not real versions), nor five numbers.
        assert_eq!(s.len(), 3, "{s:#?}");
        assert!(
            s[..2].iter().all(|l| l.contains("99999999999999999999")),
            "{s:#?}"
        );
        let s = fixture(Order::Debian, "debian-versions.txt", &[]);
        assert!(s.is_empty(), "{s:#?}");
    }

    #[test]
    fn ecosystems() {
        assert_eq!(Order::of_ecosystem("Alpine:v3.22"), Some(Order::Alpine));
        assert_eq!(
            Order::of_ecosystem("Red Hat:enterprise_linux:9::baseos"),
            Some(Order::Rpm)
        );
        assert_eq!(Order::of_ecosystem("GitHub Actions"), Some(Order::SemVer));
        assert_eq!(Order::of_ecosystem("Packagist"), Some(Order::Packagist));
        assert_eq!(Order::of_ecosystem("Go"), Some(Order::SemVer));
        assert_eq!(Order::of_ecosystem("Debian:12"), Some(Order::Debian));
        assert_eq!(Order::of_ecosystem("PyPI"), Some(Order::Pep440));
        assert_eq!(Order::of_ecosystem("OSS-Fuzz"), None);
    }
}
