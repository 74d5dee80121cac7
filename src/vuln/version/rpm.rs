//! RPM's version order (Red Hat, Rocky Linux, AlmaLinux, SUSE, openSUSE): `[epoch:]version[-release]`
//! split as rpm's `parseEVR` splits it (the epoch is the leading digits before a `:`, the release
//! follows the *last* `-`), each part compared with `rpmvercmp` (rpm, `rpmio/rpmvercmp.c`):
//!
//! - runs of letters and runs of digits are compared in turn; anything else only separates them;
//! - digits compare by value; a digit run is newer than a letter run;
//! - `~` sorts before everything, even the end (`1.0~rc1 < 1.0`); `^` sorts after the end but
//!   before anything else (`1.0 < 1.0^git1 < 1.0.1`);
//! - when one string runs out, the one with something left is newer.
//!
//! A missing epoch is 0; a missing release sorts before any release (`1 < 1-0`).

use std::cmp::Ordering;

/// A parsed RPM version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rpm {
    epoch: String,
    version: String,
    release: Option<String>,
}

impl Rpm {
    /// Parses `[epoch:]version[-release]`. Any string is an RPM version; only an empty one is not.
    pub fn parse(s: &str) -> Option<Rpm> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = if s.as_bytes().get(digits) == Some(&b':') {
            (&s[..digits], &s[digits + 1..])
        } else {
            ("", s)
        };
        let (version, release) = match rest.rfind('-') {
            Some(i) => (&rest[..i], Some(rest[i + 1..].to_string())),
            None => (rest, None),
        };
        Some(Rpm {
            epoch: epoch.to_string(),
            version: version.to_string(),
            release,
        })
    }
}

/// `rpmvercmp`.
pub(crate) fn vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while i < a.len() || j < b.len() {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            match (ca, cb) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), _) if x != b'^' => return Ordering::Greater,
                (_, Some(y)) if y != b'^' => return Ordering::Less,
                _ => {}
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let numeric = ca.is_ascii_digit();
        let run = |s: &[u8], k: &mut usize| {
            let start = *k;
            while *k < s.len()
                && (if numeric {
                    s[*k].is_ascii_digit()
                } else {
                    s[*k].is_ascii_alphabetic()
                })
            {
                *k += 1;
            }
            String::from_utf8_lossy(&s[start..*k]).into_owned()
        };
        let sa = run(a, &mut i);
        let sb = run(b, &mut j);
        if sb.is_empty() {
            // Different kinds of run: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let o = if numeric {
            super::digits::cmp(&sa, &sb)
        } else {
            sa.cmp(&sb)
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (false, _) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

impl Ord for Rpm {
    fn cmp(&self, o: &Self) -> Ordering {
        super::digits::cmp(&self.epoch, &o.epoch)
            .then_with(|| vercmp(&self.version, &o.version))
            .then_with(|| match (&self.release, &o.release) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => vercmp(x, y),
            })
    }
}

impl PartialOrd for Rpm {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
