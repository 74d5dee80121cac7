//! Splitting a record file into YAML front-matter and Markdown body, and locating things in it.
//!
//! serde_yaml reports syntax errors with a position inside the YAML snippet, and no position at all
//! for duplicate keys or type errors. This module therefore keeps the offsets of the front-matter
//! in the file and builds its own index of top-level keys and their values, so every finding can
//! name the line and column *in the file*.

use crate::diagnostic::Pos;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Largest front-matter ddf parses, in bytes. Real records have a few kilobytes; the bound keeps
/// a pathological file from costing seconds of parse time.
pub const MAX_FRONT_MATTER: usize = 1024 * 1024;

/// A record file split at its front-matter fences.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The YAML text between the fences (without them).
    pub yaml: &'a str,
    /// 1-based line of the file on which the YAML text starts.
    pub yaml_line: usize,
    /// The Markdown body after the closing fence, verbatim.
    pub body: &'a str,
    /// 1-based line of the file on which the body starts.
    pub body_line: usize,
}

/// Why a file could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// The file is empty or only whitespace.
    Empty,
    /// The first line is not `---`.
    Missing,
    /// The opening `---` has no closing `---`.
    Unterminated,
    /// The front-matter is larger than [`MAX_FRONT_MATTER`].
    TooLarge(usize),
}

impl SplitError {
    /// Message and hint for the `front-matter` rule.
    pub fn message_and_hint(&self) -> (String, String) {
        match self {
            SplitError::Empty => (
                "the file is empty".into(),
                "a record starts with a `---` line, YAML fields (id, type, title, ...), and a closing `---`; `ddf new TYPE` writes one".into(),
            ),
            SplitError::Missing => (
                "the file has no front-matter: the first line is not `---`".into(),
                "every *.md file below the records folder is a record; start it with `---`, the YAML fields, and `---`, or move the file out of the records folder".into(),
            ),
            SplitError::Unterminated => (
                "the front-matter opened on line 1 is never closed".into(),
                "did you forget the closing `---` line after the YAML fields?".into(),
            ),
            SplitError::TooLarge(n) => (
                format!("the front-matter is {n} bytes, more than the {MAX_FRONT_MATTER} ddf reads"),
                "keep long text in the Markdown body below the closing `---`".into(),
            ),
        }
    }
}

fn is_fence(line: &str) -> bool {
    line.trim_end_matches(['\r', '\n']).trim_end() == "---"
}

/// Splits `text` at its front-matter fences. A UTF-8 byte-order mark is ignored.
pub fn split(text: &str) -> Result<Split<'_>, SplitError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(SplitError::Empty);
    }
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if !is_fence(first) {
        return Err(SplitError::Missing);
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for (line_no, line) in (2..).zip(lines) {
        if is_fence(line) {
            let yaml = &text[yaml_start..offset];
            if yaml.len() > MAX_FRONT_MATTER {
                return Err(SplitError::TooLarge(yaml.len()));
            }
            let body = &text[offset + line.len()..];
            return Ok(Split {
                yaml,
                yaml_line: 2,
                body,
                body_line: line_no + 1,
            });
        }
        offset += line.len();
    }
    Err(SplitError::Unterminated)
}

/// Where a top-level key and its value are in the front-matter, as [`KeyIndex`] gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpan<'a> {
    /// The key as written.
    pub key: &'a str,
    /// Position of the key, in the file.
    pub key_pos: Pos,
    /// Position of the first character of the value, in the file (on the next line for block values).
    pub value_pos: Pos,
    /// File lines `first..=last` the key and its value occupy.
    pub first_line: usize,
    /// Last file line of the value.
    pub last_line: usize,
}

/// A key as [`KeyIndex`] keeps it: its text a range of the front-matter, lines and columns in
/// 32 bits, in one allocation with the other keys. Every record of a DDF holds its index until
/// the check is done, and as twelve `String`s and 72-byte spans in a growing `Vec` the indexes
/// of 100,000 records took 156 MB, and more once freed among the records' own allocations.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    /// Byte offset of the key in the front-matter, and its length.
    key_at: u32,
    key_len: u32,
    /// File lines the key and its value occupy.
    first_line: u32,
    last_line: u32,
    /// Position of the first character of the value.
    value_line: u32,
    value_col: u32,
}

/// `n` in 32 bits (a front-matter is far smaller than 4 GB; past it, a position is wrong, and
/// nothing else).
fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The top-level keys of a front-matter, with positions counted in the file.
///
/// Every look-up is cheap whatever the size of the front-matter (a record may be written with
/// tens of thousands of keys or list items, and the rules look up each of them): keys are
/// hashed, lines are found by offset, and the ids in a value are indexed the first time one is
/// looked for.
#[derive(Debug, Clone, Default)]
pub struct KeyIndex {
    /// Keys in file order (duplicates included).
    spans: Box<[Span]>,
    /// Index in `keys` of the first occurrence of each key, for a front-matter of more than
    /// [`LINEAR_KEYS`] keys; a record's few keys are found by a scan, which saves a map (and a
    /// copy of every key) per record: a tenth of the memory of 100,000 records.
    first: FxHashMap<String, usize>,
    /// The front-matter text, kept once so list items can be located on demand.
    text: Box<str>,
    /// Byte offset in `text` at which each line starts.
    line_starts: Box<[u32]>,
    /// 1-based file line of the first line of `text`.
    first_line: usize,
    /// Per key (parallel to `keys`): the position of the first occurrence of each word (a run
    /// of ASCII letters, digits, `-` and `_`, as an id is written) in its value, built on the
    /// first [`KeyIndex::token_pos`] for that key.
    /// Made on the first look-up: most records are never asked.
    words: OnceLock<Box<[OnceLock<Words>]>>,
    /// How many more [`KeyIndex::token_pos`] look-ups of text that is not one word may scan
    /// a value: each scan is linear, and a list of thousands of such items must not make the
    /// rules quadratic. Past it the value's position stands in.
    scans_left: ScanBudget,
}

/// The first position of each word of a value.
type Words = FxHashMap<Box<str>, Pos>;

/// Up to this many keys, [`KeyIndex`] finds a key by a scan of its keys rather than a map.
const LINEAR_KEYS: usize = 24;

/// Scans of a value by text that [`KeyIndex::token_pos`] may still make for one record.
const TOKEN_SCANS: usize = 256;

/// A counter that threads may share (records are checked in parallel) and that clones as a
/// fresh budget.
#[derive(Debug, Default)]
struct ScanBudget(AtomicUsize);

impl ScanBudget {
    fn new() -> Self {
        ScanBudget(AtomicUsize::new(TOKEN_SCANS))
    }

    /// Takes one scan; false when none is left.
    fn take(&self) -> bool {
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }
}

impl Clone for ScanBudget {
    fn clone(&self) -> Self {
        ScanBudget::new()
    }
}

impl KeyIndex {
    /// Indexes the top-level keys of `yaml`, which starts on file line `yaml_line`.
    pub fn build(yaml: &str, yaml_line: usize) -> Self {
        let lines: Vec<&str> = yaml.lines().collect();
        let numbered = |l: usize| lines.get(l - yaml_line).copied().unwrap_or("");
        let last_content = |first: usize, upto: usize| {
            (first..=upto)
                .rev()
                .find(|&l| {
                    let t = numbered(l).trim_start();
                    !t.is_empty() && !t.starts_with('#')
                })
                .unwrap_or(first)
        };
        let mut keys: Vec<KeySpan> = Vec::new();
        for (i, raw) in lines.iter().enumerate() {
            let file_line = yaml_line + i;
            let Some((key, value_col)) = top_level_key(raw) else {
                continue;
            };
            if let Some(prev) = keys.last_mut() {
                prev.last_line = last_content(prev.first_line, file_line - 1);
            }
            let rest = raw.get(value_col - 1..).unwrap_or("");
            let value_pos = if rest.trim().is_empty() || rest.trim_start().starts_with('#') {
                Pos::new(file_line + 1, 1)
            } else {
                Pos::new(file_line, char_col(raw, value_col - 1 + leading_ws(rest)))
            };
            keys.push(KeySpan {
                key,
                key_pos: Pos::new(file_line, 1),
                value_pos,
                first_line: file_line,
                last_line: file_line,
            });
        }
        if let Some(prev) = keys.last_mut() {
            prev.last_line =
                last_content(prev.first_line, yaml_line + lines.len().saturating_sub(1));
        }
        // A block value starts on the line after its key: point at its first non-blank character.
        for k in &mut keys {
            if k.value_pos.line > k.first_line {
                let first =
                    (k.first_line + 1..=k.last_line).find(|&l| !numbered(l).trim().is_empty());
                k.value_pos = match first {
                    Some(l) => Pos::new(l, char_col(numbered(l), leading_ws(numbered(l)))),
                    None => Pos::new(k.first_line, k.key.chars().count() + 2),
                };
            }
        }
        let mut first = FxHashMap::default();
        if keys.len() > LINEAR_KEYS {
            for (i, k) in keys.iter().enumerate() {
                first.entry(k.key.to_string()).or_insert(i);
            }
        }
        // Each key is a slice of `yaml` (a line of it, itself a slice): its offset is where it
        // starts past the start of `yaml`.
        let spans = keys
            .iter()
            .map(|k| Span {
                key_at: small((k.key.as_ptr() as usize).saturating_sub(yaml.as_ptr() as usize)),
                key_len: small(k.key.len()),
                first_line: small(k.first_line),
                last_line: small(k.last_line),
                value_line: small(k.value_pos.line),
                value_col: small(k.value_pos.column),
            })
            .collect();
        let mut line_starts = Vec::with_capacity(yaml.bytes().filter(|&b| b == b'\n').count() + 1);
        line_starts.push(0);
        line_starts.extend(yaml.match_indices('\n').map(|(at, _)| small(at + 1)));
        KeyIndex {
            words: OnceLock::new(),
            spans,
            first,
            text: yaml.into(),
            line_starts: line_starts.into_boxed_slice(),
            first_line: yaml_line,
            scans_left: ScanBudget::new(),
        }
    }

    /// Lines `from..=to` of the front-matter with their file line numbers.
    fn lines(&self, from: usize, to: usize) -> impl Iterator<Item = (usize, &str)> {
        let skip = from.saturating_sub(self.first_line);
        let start = self
            .line_starts
            .get(skip)
            .map_or(self.text.len(), |&at| at as usize);
        self.text
            .get(start..)
            .unwrap_or("")
            .lines()
            .enumerate()
            .map(move |(i, l)| (self.first_line + skip + i, l))
            .take_while(move |(l, _)| *l <= to)
    }

    /// The index in `keys` of the first occurrence of `key`.
    fn first_of(&self, key: &str) -> Option<usize> {
        if self.spans.len() > LINEAR_KEYS {
            self.first.get(key).copied()
        } else {
            self.spans.iter().position(|s| self.key_of(s) == key)
        }
    }

    /// The text of the key of `s`.
    fn key_of(&self, s: &Span) -> &str {
        let at = s.key_at as usize;
        self.text.get(at..at + s.key_len as usize).unwrap_or("")
    }

    /// The `i`th key.
    fn span(&self, i: usize) -> Option<KeySpan<'_>> {
        self.spans.get(i).map(|s| self.view(s))
    }

    /// `s` as the [`KeySpan`] it stands for.
    fn view(&self, s: &Span) -> KeySpan<'_> {
        KeySpan {
            key: self.key_of(s),
            key_pos: Pos::new(s.first_line as usize, 1),
            value_pos: Pos::new(s.value_line as usize, s.value_col as usize),
            first_line: s.first_line as usize,
            last_line: s.last_line as usize,
        }
    }

    /// The keys in file order (duplicates included).
    pub fn keys(&self) -> impl ExactSizeIterator<Item = KeySpan<'_>> + '_ {
        self.spans.iter().map(|s| self.view(s))
    }

    /// Drops the word index [`KeyIndex::token_pos`] built, which a later look-up builds again.
    /// The structure rules locate every link of every record and then call this: kept, the
    /// indexes of 100,000 records held 80 MB for the few look-ups findings make afterwards.
    pub fn release_words(&mut self) {
        self.words = OnceLock::new();
    }

    /// The first occurrence of `key`.
    pub fn get(&self, key: &str) -> Option<KeySpan<'_>> {
        self.first_of(key).and_then(|i| self.span(i))
    }

    /// Position of the key `key`, or `None` if it is not written.
    pub fn key_pos(&self, key: &str) -> Option<Pos> {
        self.get(key).map(|k| k.key_pos)
    }

    /// Position of the value of `key`.
    pub fn value_pos(&self, key: &str) -> Option<Pos> {
        self.get(key).map(|k| k.value_pos)
    }

    /// Position of the token `needle` inside the value of `key` (a list item, say); falls back to
    /// the value's position.
    pub fn token_pos(&self, key: &str, needle: &str) -> Option<Pos> {
        let i = self.first_of(key)?;
        let span = self.span(i)?;
        if !needle.is_empty() && needle.chars().all(is_word) {
            let all = self
                .words
                .get_or_init(|| self.spans.iter().map(|_| OnceLock::new()).collect());
            let Some(cell) = all.get(i) else {
                return Some(span.value_pos);
            };
            let words = cell.get_or_init(|| self.words_of(span));
            return Some(words.get(needle).copied().unwrap_or(span.value_pos));
        }
        if !self.scans_left.take() {
            return Some(span.value_pos);
        }
        for (l, text, from) in self.value_lines(span) {
            if let Some(found) = find_token(&text[from..], needle) {
                return Some(Pos::new(l, char_col(text, from + found)));
            }
        }
        Some(span.value_pos)
    }

    /// The lines of the value of `span`, each with its file line and the byte offset at which
    /// the value starts on it (after the colon on the key's line).
    fn value_lines<'s>(
        &'s self,
        span: KeySpan<'s>,
    ) -> impl Iterator<Item = (usize, &'s str, usize)> + 's {
        let key_line = span.first_line;
        self.lines(span.first_line, span.last_line)
            .map(move |(l, text)| {
                let from = if l == key_line {
                    text.find(':').map(|c| c + 1).unwrap_or(0)
                } else {
                    0
                };
                (l, text, from)
            })
    }

    /// The first position of each word in the value of `span`.
    fn words_of(&self, span: KeySpan<'_>) -> FxHashMap<Box<str>, Pos> {
        let mut out: FxHashMap<Box<str>, Pos> = FxHashMap::default();
        for (l, text, from) in self.value_lines(span) {
            let first_col = text[..from].chars().count() + 1;
            let mut word_start: Option<(usize, usize)> = None;
            for (col, (b, c)) in (first_col..).zip(text[from..].char_indices()) {
                let at = from + b;
                match (is_word(c), word_start) {
                    (true, None) => word_start = Some((at, col)),
                    (false, Some((start, start_col))) => {
                        out.entry(text[start..at].into())
                            .or_insert(Pos::new(l, start_col));
                        word_start = None;
                    }
                    _ => {}
                }
            }
            if let Some((start, start_col)) = word_start {
                out.entry(text[start..].into())
                    .or_insert(Pos::new(l, start_col));
            }
        }
        out
    }

    /// Keys written more than once: (key, first position, repeated position).
    pub fn duplicates(&self) -> Vec<(&str, Pos, Pos)> {
        let mut out = Vec::new();
        for (i, k) in self.keys().enumerate() {
            match self.first_of(k.key) {
                Some(first) if first != i => {
                    let earlier = self.span(first).map_or(k.key_pos, |f| f.key_pos);
                    out.push((k.key, earlier, k.key_pos));
                }
                _ => {}
            }
        }
        out
    }

    /// Where a plain (unquoted) one-line value of `key` is cut by a YAML comment: the position
    /// of the `#` that starts it, and the text after it. `title: Bolus test #2` reads as `Bolus
    /// test`; quoting keeps the whole text.
    pub fn cut_by_comment(&self, key: &str) -> Option<(Pos, &str)> {
        let span = self.get(key)?;
        if span.value_pos.line != span.first_line {
            return None;
        }
        let (l, text) = self.lines(span.first_line, span.first_line).next()?;
        let start = text.find(':')? + 1;
        let value = text.get(start..)?.trim_start();
        if value.is_empty()
            || value.starts_with(['"', '\'', '[', '{', '|', '>', '#', '&', '*', '!'])
        {
            return None;
        }
        let at = text.len() - value.len();
        let hash = value
            .char_indices()
            .find(|&(i, c)| c == '#' && value[..i].ends_with([' ', '\t']))
            .map(|(i, _)| i)?;
        let byte = at + hash;
        Some((Pos::new(l, char_col(text, byte)), &text[byte + 1..]))
    }

    /// The first line that indents with a tab, with its position.
    pub fn tab_indent(&self) -> Option<Pos> {
        self.lines(self.first_line, usize::MAX).find_map(|(l, t)| {
            let ws: String = t.chars().take_while(|c| c.is_whitespace()).collect();
            ws.find('\t').map(|i| Pos::new(l, i + 1))
        })
    }
}

/// Deepest nesting ddf lets the YAML parser see. serde_yaml stops at 128 levels itself, but only
/// after libyaml has scanned the whole text, which is quadratic in the nesting depth of flow
/// collections: 100,000 nested `[` take minutes. Counting brackets first keeps it bounded.
pub const MAX_DEPTH: usize = 128;

/// The position of the first flow bracket (`[` or `{`) nested deeper than [`MAX_DEPTH`], or of
/// the first line indented deeper than it could be legitimately.
pub fn too_deep(yaml: &str, yaml_line: usize) -> Option<Pos> {
    let mut depth = 0usize;
    for (i, line) in yaml.lines().enumerate() {
        if leading_ws(line) > 4 * MAX_DEPTH {
            return Some(Pos::new(yaml_line + i, 1));
        }
        for (col, c) in line.chars().enumerate() {
            match c {
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(Pos::new(yaml_line + i, col + 1));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    None
}

/// The fewest values (YAML nodes) a front-matter may expand to through anchors and aliases,
/// whatever its size. See [`max_nodes`].
pub const MIN_NODE_BUDGET: usize = 10_000;

/// The most values (YAML nodes: scalars, lists, mappings, keys) `yaml` may hold once its aliases
/// are expanded: one per byte of text, and at least [`MIN_NODE_BUDGET`]. A YAML node takes at
/// least two bytes to write (`a,`), so text without aliases never reaches it; an alias bomb
/// (`b: [*a, *a, ...]` nested a few times) does long before the parser's own limit, which counts
/// alias jumps rather than the values they bring, and would let 100 KB of text grow to gigabytes.
pub fn max_nodes(yaml: &str) -> usize {
    yaml.len().max(MIN_NODE_BUDGET)
}

/// Parses `yaml` into a [`serde_yaml::Value`], refusing a text whose anchors and aliases expand
/// to more than [`max_nodes`] values before any value is built. Nesting is not bounded here:
/// call [`too_deep`] first.
///
/// A text with no `&` or no `*` has no alias to expand and is parsed once; any other is first
/// walked by a visitor that only counts the values (serde_yaml replays an alias's events for each
/// use, so the count is the expanded size) and stops at the budget, then parsed.
pub fn parse_yaml(yaml: &str) -> Result<serde_yaml::Value, serde_yaml::Error> {
    use serde::de::DeserializeSeed;
    if yaml.contains('&') && yaml.contains('*') {
        let left = std::cell::Cell::new(max_nodes(yaml));
        NodeCounter(&left).deserialize(serde_yaml::Deserializer::from_str(yaml))?;
    }
    serde_yaml::from_str(yaml)
}

/// Counts the values of a YAML document against a budget, building none of them.
struct NodeCounter<'a>(&'a std::cell::Cell<usize>);

impl NodeCounter<'_> {
    fn tick<E: serde::de::Error>(&self) -> Result<(), E> {
        match self.0.get().checked_sub(1) {
            Some(left) => {
                self.0.set(left);
                Ok(())
            }
            None => Err(E::custom(EXPANSION_MESSAGE)),
        }
    }
}

/// The message of a refused alias expansion (matched by the hint of the `yaml` finding).
pub const EXPANSION_MESSAGE: &str =
    "anchors and aliases expand to more values than ddf reads (one per byte of the text, at least 10,000)";

impl<'de> serde::de::DeserializeSeed<'de> for NodeCounter<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NodeCounter<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.tick()
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.tick()
    }

    fn visit_i128<E: serde::de::Error>(self, _: i128) -> Result<(), E> {
        self.tick()
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.tick()
    }

    fn visit_u128<E: serde::de::Error>(self, _: u128) -> Result<(), E> {
        self.tick()
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.tick()
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.tick()
    }

    fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<(), E> {
        self.tick()
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.tick()
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.tick()
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        serde::de::DeserializeSeed::deserialize(self, d)
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        serde::de::DeserializeSeed::deserialize(self, d)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.tick()?;
        while seq.next_element_seed(NodeCounter(self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.tick()?;
        while map.next_key_seed(NodeCounter(self.0))?.is_some() {
            map.next_value_seed(NodeCounter(self.0))?;
        }
        Ok(())
    }

    // A tagged value (`!tag value`) comes as an enum: the tag, then the value.
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        self.tick()?;
        let ((), variant) = data.variant_seed(NodeCounter(self.0))?;
        variant.newtype_variant_seed(NodeCounter(self.0))
    }
}

/// Character (1-based) column of byte offset `byte` in `line`.
fn char_col(line: &str, byte: usize) -> usize {
    line.get(..byte).map_or(byte, |s| s.chars().count()) + 1
}

fn leading_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// If `line` starts a top-level mapping key (`key:` at column 1), returns the key and the 1-based
/// byte column just after the colon.
fn top_level_key(line: &str) -> Option<(&str, usize)> {
    let first = line.chars().next()?;
    if first.is_whitespace()
        || matches!(
            first,
            '#' | '-' | '[' | '{' | '}' | ']' | '&' | '*' | '!' | '|' | '>' | '%' | '@' | '`'
        )
    {
        return None;
    }
    let (key, rest_at) = if first == '"' || first == '\'' {
        let close = line[1..].find(first)? + 1;
        (&line[1..close], close + 1)
    } else {
        let colon = line
            .find(": ")
            .or_else(|| line.strip_suffix(':').map(|s| s.len()))?;
        (line[..colon].trim_end(), colon)
    };
    let after = line.get(rest_at..)?;
    if !after.starts_with(':') {
        return None;
    }
    Some((key, rest_at + 2))
}

/// Whether `c` can be part of an id: a token is not found inside a longer run of these.
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Byte offset of `needle` in `hay` as a whole token (not inside a longer id).
fn find_token(hay: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let at = from + i;
        let before = hay[..at].chars().next_back();
        let after = hay[at + needle.len()..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            return Some(at);
        }
        from = at + needle.len();
    }
    None
}

/// Finds the line and column of the first invalid UTF-8 byte in `bytes`.
pub fn utf8_error_pos(bytes: &[u8]) -> Pos {
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) => e.valid_up_to(),
    };
    let prefix = String::from_utf8_lossy(&bytes[..valid]);
    let line = prefix.matches('\n').count() + 1;
    let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Pos::new(line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_counts_lines() {
        let text = "---\nid: UN-001\ntype: user-need\n---\nBody line\n";
        let s = split(text).expect("splits");
        assert_eq!(s.yaml, "id: UN-001\ntype: user-need\n");
        assert_eq!(s.yaml_line, 2);
        assert_eq!(s.body, "Body line\n");
        assert_eq!(s.body_line, 5);
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let text = "\u{feff}---\r\nid: UN-001\r\n---\r\nBody\r\n";
        let s = split(text).expect("splits");
        assert_eq!(s.yaml, "id: UN-001\r\n");
        assert_eq!(s.body, "Body\r\n");
    }

    #[test]
    fn split_errors() {
        assert_eq!(split("").unwrap_err(), SplitError::Empty);
        assert_eq!(split("  \n\n").unwrap_err(), SplitError::Empty);
        assert_eq!(split("# Title\n").unwrap_err(), SplitError::Missing);
        assert_eq!(
            split("---\nid: X-001\n").unwrap_err(),
            SplitError::Unterminated
        );
    }

    #[test]
    fn empty_body_and_no_trailing_newline() {
        let s = split("---\nid: A-001\n---").expect("splits");
        assert_eq!(s.body, "");
    }

    #[test]
    fn key_index_positions_in_file() {
        let yaml = "id: DI-001\ntraces_to: [UN-001, UN-002]\nharms:\n  - HARM-001\n  - HARM-002\n# c\ntitle: x\n";
        let idx = KeyIndex::build(yaml, 2);
        assert_eq!(idx.key_pos("id"), Some(Pos::new(2, 1)));
        assert_eq!(idx.value_pos("traces_to"), Some(Pos::new(3, 12)));
        assert_eq!(idx.token_pos("traces_to", "UN-002"), Some(Pos::new(3, 21)));
        assert_eq!(idx.value_pos("harms"), Some(Pos::new(5, 3)));
        assert_eq!(idx.token_pos("harms", "HARM-002"), Some(Pos::new(6, 5)));
        assert_eq!(idx.get("harms").map(|k| k.last_line), Some(6));
        assert_eq!(idx.key_pos("title"), Some(Pos::new(8, 1)));
    }

    #[test]
    fn token_pos_is_whole_word() {
        let idx = KeyIndex::build("links: [UN-0010, UN-001]\n", 2);
        assert_eq!(idx.token_pos("links", "UN-001"), Some(Pos::new(2, 18)));
    }

    #[test]
    fn duplicates_and_tabs() {
        let idx = KeyIndex::build("id: A-001\ntitle: a\nid: A-002\nx:\n\t- 1\n", 2);
        let d = idx.duplicates();
        assert_eq!(d, vec![("id", Pos::new(2, 1), Pos::new(4, 1))]);
        assert_eq!(idx.tab_indent(), Some(Pos::new(6, 1)));
    }

    #[test]
    fn duplicates_are_found_with_few_keys_and_with_many() {
        for n in [3, LINEAR_KEYS, LINEAR_KEYS + 1, 200] {
            let mut yaml: String = (0..n).map(|i| format!("k{i}: v\n")).collect();
            yaml.push_str("k1: again\n");
            let idx = KeyIndex::build(&yaml, 2);
            assert_eq!(
                idx.duplicates(),
                vec![("k1", Pos::new(3, 1), Pos::new(n + 2, 1))],
                "{n} keys"
            );
            assert_eq!(
                idx.key_pos(&format!("k{}", n - 1)),
                Some(Pos::new(n + 1, 1))
            );
            assert_eq!(
                idx.key_pos("k1"),
                Some(Pos::new(3, 1)),
                "the first occurrence"
            );
            assert_eq!(idx.key_pos("absent"), None);
        }
    }

    #[test]
    fn quoted_keys_and_urls() {
        let idx = KeyIndex::build(
            "\"odd key\": 1\nurl: http://x.example/a:b\n'débit é': 2\nlast: |\n  a\n  b\n",
            2,
        );
        assert!(idx.get("odd key").is_some());
        assert_eq!(idx.value_pos("url"), Some(Pos::new(3, 6)));
        // Keys are kept as ranges of the text: quoted, not ASCII, the last one.
        let keys: Vec<_> = idx
            .keys()
            .map(|k| (k.key, k.first_line, k.last_line))
            .collect();
        assert_eq!(
            keys,
            [
                ("odd key", 2, 2),
                ("url", 3, 3),
                ("débit é", 4, 4),
                ("last", 5, 7)
            ]
        );
        assert_eq!(idx.value_pos("débit é"), Some(Pos::new(4, 12)));
    }

    /// Before the key index hashed its keys and indexed the words of a value, these look-ups
    /// were quadratic: 20,000 items took tens of seconds (80,000 took minutes).
    #[test]
    fn many_list_items_and_keys_are_located_in_linear_time() {
        let n = 20_000;
        let mut yaml = String::from("traces_to:\n");
        for i in 0..n {
            yaml.push_str(&format!("  - UN-{i:05}\n"));
        }
        for i in 0..n {
            yaml.push_str(&format!("k{i}: v\n"));
        }
        let idx = KeyIndex::build(&yaml, 2);
        assert!(idx.duplicates().is_empty());
        for i in 0..n {
            let item = format!("UN-{i:05}");
            assert_eq!(idx.token_pos("traces_to", &item), Some(Pos::new(i + 3, 5)));
            assert_eq!(idx.key_pos(&format!("k{i}")), Some(Pos::new(n + i + 3, 1)));
        }
        assert_eq!(
            idx.token_pos("traces_to", "UN-99999"),
            idx.value_pos("traces_to"),
            "not written: the value's position"
        );
        let mut idx = idx;
        idx.release_words();
        assert_eq!(
            idx.token_pos("traces_to", "UN-00007"),
            Some(Pos::new(10, 5)),
            "built again after a release"
        );
    }

    #[test]
    fn text_items_are_searched_a_bounded_number_of_times() {
        let items: Vec<String> = (0..TOKEN_SCANS + 10).map(|i| format!("a b{i}")).collect();
        let yaml = format!("tags: [{}]\n", items.join(", "));
        let idx = KeyIndex::build(&yaml, 2);
        assert_eq!(idx.token_pos("tags", "a b1"), Some(Pos::new(2, 14)));
        for item in &items {
            idx.token_pos("tags", item);
        }
        assert_eq!(
            idx.token_pos("tags", "a b2"),
            idx.value_pos("tags"),
            "past the budget, the value's position"
        );
        assert_eq!(
            idx.clone().token_pos("tags", "a b2"),
            Some(Pos::new(2, 20)),
            "a copy has its own budget"
        );
    }

    #[test]
    fn comments_that_cut_a_plain_value() {
        let idx = KeyIndex::build(
            "title: Bolus test #2\nquoted: \"a #1\"\nplain: a#1\nstatus: draft # note\nlist: [a] # x\n",
            2,
        );
        assert_eq!(idx.cut_by_comment("title"), Some((Pos::new(2, 19), "2")));
        assert_eq!(idx.cut_by_comment("quoted"), None);
        assert_eq!(
            idx.cut_by_comment("plain"),
            None,
            "no space before: part of the value"
        );
        assert_eq!(
            idx.cut_by_comment("status"),
            Some((Pos::new(5, 15), " note"))
        );
        assert_eq!(idx.cut_by_comment("list"), None);
    }

    #[test]
    fn depth_bound() {
        assert_eq!(too_deep("a: [[x]]\nb: {c: [1]}\n", 2), None);
        let deep = format!("a: {}\n", "[".repeat(MAX_DEPTH + 1));
        assert_eq!(too_deep(&deep, 2), Some(Pos::new(2, MAX_DEPTH + 4)));
        let indented = format!("a:\n{}b: 1\n", " ".repeat(4 * MAX_DEPTH + 1));
        assert_eq!(too_deep(&indented, 2), Some(Pos::new(3, 1)));
    }

    #[test]
    fn utf8_position() {
        let bytes = b"---\nid: A-001\ntitle: caf\xe9\n";
        assert_eq!(utf8_error_pos(bytes), Pos::new(3, 11));
    }
}
