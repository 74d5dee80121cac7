//! Comparing runs of decimal digits of any length by value (`007` = `7`), without parsing them
//! into an integer that a long run (a date, a 30-digit build number) would overflow.

use std::cmp::Ordering;

/// Compares two runs of ASCII digits by value; an empty run counts as zero.
pub(crate) fn cmp(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Whether `s` is a non-empty run of ASCII digits.
pub(crate) fn all(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_value() {
        assert_eq!(cmp("007", "7"), Ordering::Equal);
        assert_eq!(cmp("10", "9"), Ordering::Greater);
        assert_eq!(
            cmp(
                "999999999999999999999999999991",
                "999999999999999999999999999999"
            ),
            Ordering::Less
        );
        assert_eq!(cmp("", "0"), Ordering::Equal);
    }
}
