//! Alpine's package version order, as `apk version -t` computes it (apk-tools, `src/version.c`,
//! the token walk of `apk_version_compare`; the format is documented in apk-package(5):
//! `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}`).
//!
//! The two versions are read token by token in step: numbers (the first by value; a later one
//! with leading zeros sorts as a fraction, `1.02 < 1.1`), one lower-case letter, suffixes
//! (`_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`, each with an optional
//! number) and the `-r` package revision. Where the values are equal and the token kinds differ,
//! the kind decides (more number components sort later; a pre-release suffix earlier). The
//! `~hash` of a build from a commit does not order versions and is ignored. ddf only orders
//! versions that follow the documented format (and a number after the letter, `6.6.2p1-r0`, which
//! real packages have and apk reads); anything else (`1.2.0A`, `1-ruff2`) is not
//! ordered, so a finding on it is reported as uncertain instead of guessed the way one apk
//! release or another happens to sort it.

use std::cmp::Ordering;

/// An Alpine version that follows apk-package(5), hash removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apk(String);

const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

fn valid(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    while i < b.len() && b[i] == b'.' {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if i < b.len() && b[i].is_ascii_lowercase() {
        i += 1;
        // Not in apk-package(5), but real packages have it (openssh `6.6.2p1-r0` before it was
        // spelled `_p1`) and apk reads it: the letter, then a number.
        digits(&mut i);
    }
    while i < b.len() && b[i] == b'_' {
        i += 1;
        let rest = &s[i..];
        let Some(name) = PRE
            .iter()
            .chain(POST.iter())
            .find(|n| rest.starts_with(**n))
        else {
            return false;
        };
        i += name.len();
        digits(&mut i);
    }
    if i < b.len() && b[i] == b'~' {
        i += 1;
        let start = i;
        while i < b.len() && (b[i].is_ascii_digit() || (b'a'..=b'f').contains(&b[i])) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if i < b.len() {
        if !s[i..].starts_with("-r") {
            return false;
        }
        i += 2;
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

impl Apk {
    /// Parses an Alpine version; `None` when it does not follow the documented format.
    pub fn parse(s: &str) -> Option<Apk> {
        let s = s.trim();
        if !valid(s) {
            return None;
        }
        // The hash sits between the suffixes and the revision.
        let without_hash = match s.find('~') {
            Some(t) => {
                let end = s[t..].find('-').map_or(s.len(), |e| t + e);
                format!("{}{}", &s[..t], &s[end..])
            }
            None => s.to_string(),
        };
        Some(Apk(without_hash))
    }
}

/// Token kinds in apk's order: when two versions agree up to a point and then continue with
/// different kinds, the kind that sorts later here makes the version *earlier*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A number after a `.` (leading zeros are special).
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

/// A token's value: numbers compare by value (leading zeros count below every number);
/// suffixes by their rank (pre-release ones negative).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    /// `-n` leading zeros: below every number.
    Zeros(std::cmp::Reverse<usize>),
    /// A number, as digits.
    Num(NumStr),
    /// A letter or a suffix rank.
    Rank(i32),
}

/// Digits compared by value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NumStr(String);

impl Ord for NumStr {
    fn cmp(&self, o: &Self) -> Ordering {
        super::digits::cmp(&self.0, &o.0)
    }
}

impl PartialOrd for NumStr {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
    kind: Kind,
}

impl Reader<'_> {
    /// The kind of the next token, consuming its separator.
    fn next_kind(&mut self) {
        let Some(&c) = self.s.get(self.i) else {
            self.kind = Kind::End;
            return;
        };
        self.kind =
            if matches!(self.kind, Kind::Digit | Kind::DigitOrZero) && c.is_ascii_lowercase() {
                Kind::Letter
            } else if self.kind == Kind::Letter && c.is_ascii_digit() {
                Kind::Digit
            } else if self.kind == Kind::Suffix && c.is_ascii_digit() {
                Kind::SuffixNo
            } else {
                self.i += 1;
                match c {
                    b'.' => Kind::DigitOrZero,
                    b'_' => Kind::Suffix,
                    // `valid` guarantees `-r`.
                    _ => {
                        self.i += 1;
                        Kind::RevisionNo
                    }
                }
            };
    }

    /// Reads the token of the current kind.
    fn token(&mut self) -> Value {
        if self.i >= self.s.len() {
            self.kind = Kind::End;
            return Value::Num(NumStr(String::new()));
        }
        let start = self.i;
        let value = match self.kind {
            Kind::DigitOrZero if self.s[self.i] == b'0' => {
                while self.i < self.s.len() && self.s[self.i] == b'0' {
                    self.i += 1;
                }
                let v = Value::Zeros(std::cmp::Reverse(self.i - start));
                if self.i >= self.s.len() {
                    self.kind = Kind::End;
                } else {
                    self.kind = Kind::Digit;
                }
                return v;
            }
            Kind::DigitOrZero | Kind::Digit | Kind::SuffixNo | Kind::RevisionNo => {
                while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                    self.i += 1;
                }
                Value::Num(NumStr(
                    String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
                ))
            }
            Kind::Letter => {
                self.i += 1;
                Value::Rank(i32::from(self.s[start]))
            }
            Kind::Suffix => {
                let rest = &self.s[self.i..];
                if let Some(p) = PRE.iter().position(|n| rest.starts_with(n.as_bytes())) {
                    self.i += PRE[p].len();
                    Value::Rank(p as i32 - PRE.len() as i32)
                } else {
                    let p = POST
                        .iter()
                        .position(|n| rest.starts_with(n.as_bytes()))
                        .unwrap_or(0);
                    self.i += POST[p].len();
                    Value::Rank(p as i32)
                }
            }
            Kind::End => return Value::Num(NumStr(String::new())),
        };
        self.next_kind();
        value
    }
}

fn is_pre_suffix(s: &[u8], i: usize) -> bool {
    PRE.iter().any(|n| s[i..].starts_with(n.as_bytes()))
}

impl Ord for Apk {
    fn cmp(&self, other: &Self) -> Ordering {
        let mut a = Reader {
            s: self.0.as_bytes(),
            i: 0,
            kind: Kind::Digit,
        };
        let mut b = Reader {
            s: other.0.as_bytes(),
            i: 0,
            kind: Kind::Digit,
        };
        while a.kind == b.kind && a.kind != Kind::End {
            let (av, bv) = (a.token(), b.token());
            match av.cmp(&bv) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        if a.kind == b.kind {
            return Ordering::Equal;
        }
        // Equal so far; the kinds differ. A pre-release suffix sorts before anything.
        if a.kind == Kind::Suffix && is_pre_suffix(a.s, a.i) {
            return Ordering::Less;
        }
        if b.kind == Kind::Suffix && is_pre_suffix(b.s, b.i) {
            return Ordering::Greater;
        }
        b.kind.cmp(&a.kind)
    }
}

impl PartialOrd for Apk {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
