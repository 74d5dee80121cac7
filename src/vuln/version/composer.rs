//! Packagist (Composer) version order: PHP's `version_compare`, which Composer's
//! `Composer\Semver\Comparator` applies to versions (php-src `ext/standard/versioning.c`), after
//! Composer's removal of a leading `v`.
//!
//! The version is canonicalised (`-`, `_`, `+` become `.`; a `.` is put between a digit and a
//! non-digit; runs of `.` collapse), then compared part by part: numbers by value; words by
//! their special form, matched by prefix in this order: `dev` < `alpha` = `a` < `beta` = `b` <
//! `RC` = `rc` < `#` (a number) < `pl` = `p`, any other word before all of them; a number against
//! a word as `#`. When one version has parts left, a number left makes it newer, a word is
//! compared with `#` (`1.0 < 1.0pl1`, `1.0-beta < 1.0`). Digits are compared by value at any
//! length (PHP's `strtol` would saturate at 2^63).

use std::cmp::Ordering;

/// A Packagist version, canonicalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composer(String);

fn canonical(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 2);
    let mut chars = v.chars();
    let Some(first) = chars.next() else {
        return out;
    };
    out.push(first);
    let mut lp = first;
    let dig = |c: char| c.is_ascii_digit();
    let ndig = |c: char| !c.is_ascii_digit() && c != '.';
    for c in chars {
        let dot_last = out.ends_with('.');
        if matches!(c, '-' | '_' | '+') || !c.is_ascii_alphanumeric() {
            // Separators, and any other character that is not a letter or digit (`.` included,
            // so runs of them collapse), become one `.`.
            if !dot_last {
                out.push('.');
            }
        } else {
            if ((ndig(lp) && dig(c)) || (dig(lp) && ndig(c))) && !dot_last {
                out.push('.');
            }
            out.push(c);
        }
        lp = c;
    }
    out
}

impl Composer {
    /// Parses a Packagist version; `None` only for an empty one.
    pub fn parse(s: &str) -> Option<Composer> {
        let s = s.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        if s.is_empty() {
            return None;
        }
        Some(Composer(canonical(s)))
    }
}

fn special(part: &str) -> i32 {
    const FORMS: [(&str, i32); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(f, _)| part.starts_with(f))
        .map_or(-6, |(_, w)| *w)
}

fn starts_digit(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
}

/// Leading digits of a part (PHP reads a part starting with a digit as a number).
fn leading_digits(s: &str) -> &str {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    &s[..n]
}

/// `php_version_compare` on canonical forms (`#N#` stands for "a number" and, starting with
/// `#`, is not canonicalised, as in PHP).
fn compare(a: &str, b: &str) -> Ordering {
    if a.is_empty() || b.is_empty() {
        return (!a.is_empty()).cmp(&!b.is_empty());
    }
    let part = |p: &str, q: &str| match (starts_digit(p), starts_digit(q)) {
        (true, true) => super::digits::cmp(leading_digits(p), leading_digits(q)),
        (false, false) => special(p).cmp(&special(q)),
        (true, false) => special("#N#").cmp(&special(q)),
        (false, true) => special(p).cmp(&special("#N#")),
    };
    let (mut p1, mut p2) = (a, b);
    // Whether a `.` followed the part last read (PHP's `n1`, `n2`).
    let (mut n1, mut n2) = (true, true);
    while !p1.is_empty() && !p2.is_empty() && n1 && n2 {
        let (x, r1) = p1.split_once('.').map_or((p1, None), |(h, t)| (h, Some(t)));
        let (y, r2) = p2.split_once('.').map_or((p2, None), |(h, t)| (h, Some(t)));
        n1 = r1.is_some();
        n2 = r2.is_some();
        let o = part(x, y);
        if o != Ordering::Equal {
            return o;
        }
        if let Some(r) = r1 {
            p1 = r;
        }
        if let Some(r) = r2 {
            p2 = r;
        }
    }
    if n1 {
        if starts_digit(p1) {
            Ordering::Greater
        } else {
            compare(p1, "#N#")
        }
    } else if n2 {
        if starts_digit(p2) {
            Ordering::Less
        } else {
            compare("#N#", p2)
        }
    } else {
        Ordering::Equal
    }
}

impl Ord for Composer {
    fn cmp(&self, o: &Self) -> Ordering {
        compare(&self.0, &o.0)
    }
}

impl PartialOrd for Composer {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
