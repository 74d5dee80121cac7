//! Text positions and document addresses as the Language Server Protocol writes them: `file:`
//! URIs, 0-based lines and UTF-16 columns; ddf's findings use 1-based lines and columns counted
//! in characters.

use lsp_types::{Position, Range, Uri};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The `file:` URI of an absolute path, percent-encoded as RFC 8089 asks.
pub fn uri_of(path: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => {
                s.push(b as char)
            }
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    Uri::from_str(&s).ok()
}

/// The local path a `file:` URI names; `None` for any other scheme or a malformed escape.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // `file://host/path`: only the local host (empty or `localhost`) is a path here.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// The text of line `line` (0-based) without its line break.
pub fn line_text(text: &str, line: usize) -> &str {
    text.split('\n')
        .nth(line)
        .map_or("", |l| l.strip_suffix('\r').unwrap_or(l))
}

/// Converts a 1-based (line, character column) of ddf into an LSP position.
pub fn position(text: &str, line: usize, column: usize) -> Position {
    let l = line.saturating_sub(1);
    let lt = line_text(text, l);
    let utf16: usize = lt
        .chars()
        .take(column.saturating_sub(1))
        .map(char::len_utf16)
        .sum();
    Position::new(clamp(l), clamp(utf16))
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The byte offset in `line` of a UTF-16 column.
pub fn byte_in_line(line: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (i, c) in line.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16() as u32;
    }
    line.len()
}

/// The UTF-16 column of a byte offset in `line`.
pub fn utf16_in_line(line: &str, byte: usize) -> u32 {
    clamp(
        line[..byte.min(line.len())]
            .chars()
            .map(char::len_utf16)
            .sum(),
    )
}

/// The range a finding at (line, column) marks: from the column to the end of the word there
/// (an id, a key, a value), or the whole line when it has no column.
pub fn finding_range(text: &str, line: Option<usize>, column: Option<usize>) -> Range {
    let Some(line) = line else {
        return Range::new(Position::new(0, 0), Position::new(0, 0));
    };
    let l = line.saturating_sub(1);
    let lt = line_text(text, l);
    let start = match column {
        Some(c) => position(text, line, c),
        None => Position::new(clamp(l), 0),
    };
    let from = byte_in_line(lt, start.character);
    let end_byte = if column.is_some() {
        let word = lt[from..]
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '"' | '\''))
            .map_or(lt.len(), |n| from + n);
        if word == from {
            lt.len()
        } else {
            word
        }
    } else {
        lt.len()
    };
    Range::new(start, Position::new(clamp(l), utf16_in_line(lt, end_byte)))
}

/// The LSP position of byte offset `at` in `text`.
pub fn position_of_byte(text: &str, at: usize) -> Position {
    let at = at.min(text.len());
    let before = &text[..at];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    Position::new(clamp(line), utf16_in_line(&text[start..], at - start))
}

/// Whether `c` may be part of a record id (`DI-012`) or a key.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// The word (id-like run) at an LSP position, with its range.
pub fn word_at(text: &str, pos: Position) -> Option<(String, Range)> {
    let lt = line_text(text, pos.line as usize);
    let at = byte_in_line(lt, pos.character);
    let start = lt[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = lt[at..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(lt.len(), |(i, _)| at + i);
    if start >= end {
        return None;
    }
    let range = Range::new(
        Position::new(pos.line, utf16_in_line(lt, start)),
        Position::new(pos.line, utf16_in_line(lt, end)),
    );
    Some((lt[start..end].to_string(), range))
}

/// Whether `word` is written as a record id: capital letters, a dash, three or more digits.
pub fn is_id(word: &str) -> bool {
    let Some((prefix, number)) = word.split_once('-') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && number.len() >= 3
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// The 0-based line range of the front-matter of a record text (between the `---` lines), if
/// it has one: (first line inside, closing line).
pub fn front_matter_lines(text: &str) -> Option<(usize, usize)> {
    let mut lines = text.split('\n');
    if lines.next().map(|l| l.trim_end()) != Some("---") {
        return None;
    }
    lines
        .position(|l| l.trim_end() == "---")
        .map(|end| (1, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip_with_escapes() {
        let p = Path::new("/tmp/a b/DI-001 é.md");
        let u = uri_of(p).expect("uri");
        assert_eq!(u.as_str(), "file:///tmp/a%20b/DI-001%20%C3%A9.md");
        assert_eq!(path_of(&u).as_deref(), Some(p));
        let other = Uri::from_str("untitled:Untitled-1").expect("uri");
        assert_eq!(path_of(&other), None);
        let remote = Uri::from_str("file://server/share/a.md").expect("uri");
        assert_eq!(path_of(&remote), None);
        let local = Uri::from_str("file://localhost/tmp/a.md").expect("uri");
        assert_eq!(path_of(&local).as_deref(), Some(Path::new("/tmp/a.md")));
    }

    #[test]
    fn columns_are_utf16_units() {
        let text = "---\ntitle: é😀 DI-001\n";
        // Character column 6 (1-based) is after "é😀 "... count: t,i,t,l,e,:, ,é,😀
        let p = position(text, 2, 10);
        assert_eq!(p, Position::new(1, 10)); // 😀 is two UTF-16 units
        let (w, r) = word_at(text, Position::new(1, 12)).expect("word");
        assert_eq!(w, "DI-001");
        assert_eq!(r.start.character, 11);
        assert_eq!(r.end.character, 17);
    }

    #[test]
    fn ids_and_front_matter() {
        assert!(is_id("DI-012"));
        assert!(!is_id("DI-12"));
        assert!(!is_id("di-012"));
        assert!(!is_id("ISO-13485x"));
        assert_eq!(front_matter_lines("---\nid: X\n---\nbody"), Some((1, 2)));
        assert_eq!(front_matter_lines("no\n"), None);
    }

    #[test]
    fn a_finding_marks_its_word() {
        let text = "---\nverifies: [DI-999, DI-001]\n---\n";
        let r = finding_range(text, Some(2), Some(12));
        assert_eq!((r.start.character, r.end.character), (11, 17));
        let whole = finding_range(text, Some(2), None);
        assert_eq!((whole.start.character, whole.end.character), (0, 26));
    }
}
