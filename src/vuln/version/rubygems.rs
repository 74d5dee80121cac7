//! RubyGems' version order, `Gem::Version#<=>` (rubygems, `lib/rubygems/version.rb`).
//!
//! A `-` starts a pre-release (`1.0-rc1` is `1.0.pre.rc1`); the version is cut into runs of
//! digits and runs of letters (`1.0.a10` is `1, 0, a, 10`); trailing zeros are dropped from the
//! leading numeric part and from the rest (`1.0` = `1`, `1.0.a.0` = `1.0.a`); then segments
//! compare in turn, a missing one counting as 0: numbers by value, letters as text, and letters
//! before numbers, so any version with letters is a pre-release of its numbers
//! (`1.0.b1 < 1.0`). Gem::Version itself refuses a letter glued to the first number (`1beta`);
//! ddf orders it the same way instead of refusing it.

use std::cmp::Ordering;

/// One segment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Num(String),
    Str(String),
}

/// A RubyGems version, as its canonical segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gem(Vec<Seg>);

impl Gem {
    /// Parses a RubyGems version: digits, letters, `.` and `-` only, starting with a digit
    /// (an empty version is `0`, as in RubyGems).
    pub fn parse(s: &str) -> Option<Gem> {
        let s = s.trim();
        if s.is_empty() {
            return Some(Gem(Vec::new()));
        }
        if !s.starts_with(|c: char| c.is_ascii_digit())
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return None;
        }
        let s = s.replace('-', ".pre.");
        let mut segs = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                segs.push(Seg::Num(s[start..i].trim_start_matches('0').to_string()));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segs.push(Seg::Str(s[start..i].to_string()));
            } else {
                i += 1;
            }
        }
        let zero = |s: &Seg| matches!(s, Seg::Num(n) if n.is_empty());
        let split = segs
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segs.len());
        let mut rest = segs.split_off(split);
        while segs.last().is_some_and(zero) {
            segs.pop();
        }
        while rest.last().is_some_and(zero) {
            rest.pop();
        }
        segs.extend(rest);
        Some(Gem(segs))
    }
}

impl Ord for Gem {
    fn cmp(&self, o: &Self) -> Ordering {
        let zero = Seg::Num(String::new());
        let n = self.0.len().max(o.0.len());
        for k in 0..n {
            let a = self.0.get(k).unwrap_or(&zero);
            let b = o.0.get(k).unwrap_or(&zero);
            let ord = match (a, b) {
                (Seg::Num(x), Seg::Num(y)) => super::digits::cmp(x, y),
                (Seg::Str(x), Seg::Str(y)) => x.cmp(y),
                (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
                (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Gem {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
