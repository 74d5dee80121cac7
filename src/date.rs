//! Calendar dates as ddf records write them (`YYYY-MM-DD`), and "today".
//!
//! Rules compare dates (review due, re-evaluation overdue); a day count since 1970-01-01 is all
//! they need, so this is a few lines rather than a date-time crate.

use std::fmt;

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i64,
}

/// The environment variable that pins "today" (`YYYY-MM-DD`), for CI, tests and audits.
pub const TODAY_ENV: &str = "DDF_TODAY";

impl Date {
    /// Parses `YYYY-MM-DD` (a time part after `T` or a space is ignored).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let date = s.split(['T', ' ']).next()?;
        let mut it = date.split('-');
        let (y, m, d) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        Some(Date {
            days: days_from_civil(y, m, d),
        })
    }

    /// Today: `DDF_TODAY` if set and valid, else the system clock (UTC).
    pub fn today() -> Date {
        if let Some(d) = std::env::var(TODAY_ENV).ok().and_then(|v| Date::parse(&v)) {
            return d;
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Date {
            days: secs.div_euclid(86_400),
        }
    }

    /// The date `n` days later (earlier for negative `n`), at most 9999-12-31 and at least
    /// -9999-01-01: an interval from ddf.yaml as large as `review_interval_days:
    /// 9223372036854775807` means "never", not an arithmetic overflow.
    pub fn add_days(self, n: i64) -> Date {
        let (first, last) = (days_from_civil(-9999, 1, 1), days_from_civil(9999, 12, 31));
        Date {
            days: self.days.saturating_add(n).clamp(first, last),
        }
    }

    /// Days from `other` to `self`.
    pub fn days_since(self, other: Date) -> i64 {
        self.days - other.days
    }

    /// The date of a Unix timestamp (seconds, UTC).
    pub fn from_unix(secs: i64) -> Date {
        Date {
            days: secs.div_euclid(86_400),
        }
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.days);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_intervals_saturate() {
        // Found by the fuzzer: `policy: { review_interval_days: 9223372036854775807 }` overflowed
        // (a panic in a debug build, a due date in year -25252734927764528 in a release build).
        let d = Date::parse("2026-06-01").expect("valid");
        assert_eq!(d.add_days(i64::MAX).to_string(), "9999-12-31");
        assert_eq!(d.add_days(i64::MIN).to_string(), "-9999-01-01");
        assert!(d.add_days(i64::MAX) > d && d.add_days(i64::MIN) < d);
        assert_eq!(d.add_days(i64::MAX).add_days(-1).to_string(), "9999-12-30");
    }

    #[test]
    fn round_trip_and_arithmetic() {
        let d = Date::parse("2026-02-02").expect("valid");
        assert_eq!(d.to_string(), "2026-02-02");
        assert_eq!(d.add_days(27).to_string(), "2026-03-01");
        assert_eq!(
            Date::parse("2024-02-29")
                .expect("leap")
                .add_days(365)
                .to_string(),
            "2025-02-28"
        );
        assert_eq!(
            Date::parse("1970-01-01")
                .expect("epoch")
                .days_since(Date::from_unix(0)),
            0
        );
        assert_eq!(
            Date::parse("2026-11-21T10:00:00Z")
                .expect("time")
                .to_string(),
            "2026-11-21"
        );
    }

    #[test]
    fn rejects_bad_dates() {
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-01-01",
            "2026/01/01",
            "yesterday",
            "",
        ] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
    }
}
