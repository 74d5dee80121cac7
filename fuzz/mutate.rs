//! The mutations: byte-level (bit flips, truncation, splices), line-level (delete, duplicate,
//! swap, re-indent) and token-level, plus structure-aware ones that parse the input as YAML or
//! JSON, change a node (wrong type, huge number, long or odd string, deep nesting, swapped or
//! dangling ids) and write it back. Each input gets a few of them, stacked.

use crate::rng::Rng;

/// How far mutations may go. The defaults keep clear of the inputs of issues fixed since (see
/// [`Limits::avoiding_known`]), so a local run spends its time elsewhere; `--include-known` lifts
/// them.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Largest input file, in bytes.
    pub(crate) max_file: usize,
    /// Most copies of a line, list item or key one mutation makes.
    pub(crate) max_repeat: usize,
    /// Longest generated string, in characters.
    pub(crate) max_string: usize,
    /// Deepest generated nesting.
    pub(crate) max_depth: usize,
    /// Whether YAML alias chains that expand exponentially are generated.
    pub(crate) alias_bombs: bool,
}

impl Limits {
    /// The inputs of issues fixed since, avoided: YAML alias bombs and huge link lists or many
    /// unknown keys (once quadratic in front_matter.rs), table cells of more than 65,535
    /// characters (once a panic in cli/output.rs).
    pub(crate) fn avoiding_known() -> Self {
        Limits {
            max_file: 256 * 1024,
            max_repeat: 400,
            max_string: 20_000,
            max_depth: 3_000,
            alias_bombs: false,
        }
    }

    /// Everything on.
    pub(crate) fn unbounded() -> Self {
        Limits {
            max_file: 2 * 1024 * 1024,
            max_repeat: 200_000,
            max_string: 300_000,
            max_depth: 200_000,
            alias_bombs: true,
        }
    }
}

/// Tokens harvested from the seeds, for mutations that make a value plausible enough to get past
/// the first check (a real id, a real field name, a real status).
#[derive(Debug, Default)]
pub(crate) struct Dict {
    /// Record ids (`DI-003`).
    pub(crate) ids: Vec<String>,
    /// Top-level front-matter keys.
    pub(crate) keys: Vec<String>,
    /// Keys whose value is a list of ids in some seed (`traces_to`).
    pub(crate) link_keys: Vec<String>,
    /// Values of `type:`.
    pub(crate) types: Vec<String>,
    /// Values of `status:`.
    pub(crate) statuses: Vec<String>,
    /// Object keys of the JSON seeds.
    pub(crate) json_keys: Vec<String>,
    /// String values of the JSON seeds (purls, refs, versions, ids).
    pub(crate) json_strings: Vec<String>,
}

impl Dict {
    /// Sorts and deduplicates every list, so the same seeds give the same dictionary.
    pub(crate) fn finish(&mut self) {
        for v in [
            &mut self.ids,
            &mut self.keys,
            &mut self.link_keys,
            &mut self.types,
            &mut self.statuses,
            &mut self.json_keys,
            &mut self.json_strings,
        ] {
            v.sort();
            v.dedup();
        }
    }
}

/// What a mutation may assume of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// A YAML document (front-matter, ddf.yaml).
    Yaml,
    /// A whole record: YAML front-matter and a Markdown body.
    Record,
    /// A JSON document.
    Json,
}

/// What the mutations draw from besides the input.
pub(crate) struct Env<'a> {
    /// Harvested tokens.
    pub(crate) dict: &'a Dict,
    /// Bounds.
    pub(crate) limits: &'a Limits,
    /// Other inputs to splice from.
    pub(crate) splice: &'a [&'a [u8]],
}

const INTERESTING_BYTES: &[u8] = b"\x00\xff\x7f\x80\xc0\xe2\n\r\t :-\"'[]{}&*!|>#%@`,?\\09";

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1",
    "255",
    "65536",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "99999999999999999999999999999999999999999999",
    "1e308",
    "1e309",
    "-1e309",
    "1.7976931348623157e308",
    "5e-324",
    "1e-400",
    "0.1",
    "3.14159265358979323846264338327950288419716939937510",
    ".inf",
    "-.inf",
    ".nan",
    "NaN",
    "Infinity",
    "0x7fffffff",
    "0o777",
    "0b101",
    "1_000_000",
    "+12",
    "007",
    "1e",
    "--1",
];

const UNICODE: &[&str] = &[
    "\u{202e}lamron",
    "e\u{301}\u{301}\u{301}",
    "İ",
    "İİİİİİİİ",
    "ß",
    "ẞ",
    "ǅ",
    "ﬃ",
    "K",
    "Ω",
    "\u{200b}",
    "\u{feff}",
    "😀",
    "👩‍👩‍👧‍👦",
    "\u{10ffff}",
    "\u{fffd}",
    "日本語",
    "١٢٣",
    "１２３",
    "DI-０01",
    "Ⅻ",
    "\u{0}",
    "a\u{0}b",
    "\u{1b}[31mred\u{1b}[0m",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{7}",
    "\u{8}\u{8}\u{8}",
    "\r",
    "\t",
    "\u{301}",
];

const YAML_SPECIAL: &[&str] = &[
    "~",
    "null",
    "Null",
    "NULL",
    "yes",
    "no",
    "on",
    "off",
    "true",
    "TRUE",
    "y",
    "n",
    "&a x",
    "*a",
    "*undefined",
    "!!binary aGVsbG8=",
    "!!str",
    "!!int x",
    "!!float 1",
    "!!map {}",
    "!!seq []",
    "!!timestamp 2024-01-01",
    "!custom x",
    "!<tag:yaml.org,2002:str> x",
    "? x",
    "|",
    ">-",
    "|+",
    "|2-",
    "'",
    "\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\x\"",
    "'unterminated",
    "\"unterminated",
    "[",
    "]",
    "{",
    "}",
    "{}",
    "[]",
    "[a, [b, {c: d}]]",
    "{a: 1, a: 2}",
    "[a, b, ]",
    "- - -",
    "---",
    "...",
    "%YAML 1.2",
    "%TAG ! tag:x,2000:",
    "#",
    "key: value",
    ":",
    "::",
    "- ",
    "!",
    "&",
    "*",
    "<<",
    "<<: *a",
    "@",
    "`",
    "\\",
    "2001:db8::1",
    "12:30:00",
    "1:2:3",
    "=",
    "''",
    "\"\"",
];

const DATES: &[&str] = &[
    "2024-02-30",
    "2023-02-29",
    "2024-02-29",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-13-01",
    "2024-00-10",
    "2024-1-1",
    "2024-01-01T25:61:61Z",
    "2024-06-01T00:00:00+99:99",
    "2024-06-01T12:00:00.123456789Z",
    "-2024-01-01",
    "2024-06-01 12:00",
    "2024-W01",
    "unknown",
    "today",
    "1970-01-01",
    "2262-04-12",
    "2038-01-19",
];

const VERSIONS: &[&str] = &[
    "1.0.0-rc.1+build.5",
    "v1",
    "0",
    "999999999999999999999.0.0",
    "1.2.3.4.5.6.7",
    "*",
    ">=1.0",
    "1..2",
    "1.0.0-",
    "1.0.0+",
    "1.0.0-0.0",
    "0:1.2-3",
    "1:",
    "1.0~rc1",
    "1!2.0.post1.dev3",
    "2.0a1",
    "v0.0.0-20210101000000-abcdefabcdef",
    "1.0.0-alpha.beta.1",
    "",
];

const PURLS: &[&str] = &[
    "pkg:npm/%40scope/name@1.0.0",
    "pkg:",
    "pkg:/",
    "pkg:cargo/a@",
    "pkg:golang/github.com/a/b@v1.2.3?x=y#sub/path",
    "pkg:pypi/Django_Rest@3.0",
    "pkg:deb/debian/openssl@1.1.1n-0+deb11u3?arch=amd64",
    "pkg:maven/org.a/b@1.0?type=jar",
    "pkg:generic/%zz@1",
    "pkg:npm/x@1.0.0%",
    "pkg:NPM/X@1",
    "pkg:a/b/c/d/e/f/g@1",
    "cpe:2.3:a:*:*:*:*:*:*:*:*:*:*",
    "cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*",
    "cpe:2.3:a",
    "cpe:/a:x:y:1.0",
    "cpe:2.3:a:v:p:1\\:2:*:*:*:*:*:*:*",
];

const CVSS: &[&str] = &[
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.0/AV:P/AC:H/PR:H/UI:R/S:C/C:N/I:N/A:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    "CVSS:4.0/AV:N",
    "CVSS:3.1/AV:X",
    "CVSS:3.1/AV:N/AV:N",
    "AV:N/AC:L/Au:N/C:P/I:P/A:P",
    "CVSS:9.9/",
    "CVSS:3.1",
];

const BODY: &[&str] = &[
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "| a | b |\n|---|---|\n| 1 |",
    "```\nunclosed code",
    "[^1]\n\n[^1]: note",
    "<!--",
    "&#0;&#x110000;&#xD800;",
    "![](data:text/html,<b>)",
    "* * *",
    "<details><summary>",
    "{{ config }}",
    "{% raw %}",
    "$$\\frac{1}{0}$$",
    "- [ ] task",
    "DI-001 UN-001 HZ-001 RC-001 CMP-001 VULN-001",
    "<https://example.com>",
    "\\",
    "\n---\n",
];

/// `n` copies of `s`, at most `limits.max_string` bytes.
fn repeat(s: &str, n: usize, limits: &Limits) -> String {
    let n = n.min(limits.max_string / s.len().max(1)).max(1);
    s.repeat(n)
}

/// An id-like token of the dictionary, a dangling one, or an odd one.
fn some_id(rng: &mut Rng, env: &Env<'_>) -> String {
    match rng.below(6) {
        0 => {
            let prefix = rng
                .pick(&env.dict.ids)
                .and_then(|id| id.rsplit_once('-'))
                .map_or("DI", |(p, _)| p)
                .to_string();
            let n = rng.pick(NUMBERS).copied().unwrap_or("9");
            format!("{prefix}-{}", n.trim_start_matches(['-', '+']))
        }
        1 => {
            let prefix = rng
                .pick(&env.dict.ids)
                .and_then(|id| id.rsplit_once('-'))
                .map_or("DI", |(p, _)| p)
                .to_string();
            format!("{prefix}-{}", rng.range(0, 100_000))
        }
        2 => [
            "", "-", "DI-", "-001", "di-001", "DI_001", "DI-001-", "DI--001", "ZZZ-001",
        ][rng.below(9)]
        .to_string(),
        _ => rng.pick(&env.dict.ids).cloned().unwrap_or_default(),
    }
}

/// A flow list of `n` ids.
fn id_list(rng: &mut Rng, env: &Env<'_>, n: usize) -> String {
    let same = rng.one_in(3).then(|| some_id(rng, env));
    let items: Vec<String> = (0..n)
        .map(|_| same.clone().unwrap_or_else(|| some_id(rng, env)))
        .collect();
    format!("[{}]", items.join(", "))
}

/// Deep nesting of flow collections, `depth` levels.
fn nesting(rng: &mut Rng, depth: usize) -> String {
    if rng.one_in(2) {
        format!("{}x{}", "[".repeat(depth), "]".repeat(depth))
    } else {
        format!("{}x{}", "{a: ".repeat(depth), "}".repeat(depth))
    }
}

/// A value written as text, for YAML or Markdown.
pub(crate) fn text_value(rng: &mut Rng, env: &Env<'_>) -> String {
    let limits = env.limits;
    match rng.below(16) {
        0 => rng.pick(NUMBERS).copied().unwrap_or("0").to_string(),
        1 | 2 => some_id(rng, env),
        3 => repeat(
            ["A", "ab ", "é", "\\", "DI-001 ", "日"][rng.below(6)],
            rng.size(limits.max_string),
            limits,
        ),
        4 => rng.pick(UNICODE).copied().unwrap_or("").to_string(),
        5 | 6 => rng.pick(YAML_SPECIAL).copied().unwrap_or("").to_string(),
        7 => rng.pick(DATES).copied().unwrap_or("").to_string(),
        8 => rng.pick(&env.dict.statuses).cloned().unwrap_or_default(),
        9 => rng.pick(&env.dict.types).cloned().unwrap_or_default(),
        10 => rng.pick(&env.dict.keys).cloned().unwrap_or_default(),
        11 => {
            let depth = rng.size(limits.max_depth);
            nesting(rng, depth)
        }
        12 => {
            let n = rng.size(limits.max_repeat);
            id_list(rng, env, n)
        }
        13 => rng.pick(VERSIONS).copied().unwrap_or("").to_string(),
        14 => rng.pick(PURLS).copied().unwrap_or("").to_string(),
        _ => rng.pick(CVSS).copied().unwrap_or("").to_string(),
    }
}

/// A setting of ddf.yaml with an odd value: custom types that clash with the built-in ones,
/// risk matrices of the wrong shape, bad globs, rules that do not exist.
fn config_snippet(rng: &mut Rng) -> String {
    const SETTINGS: &[&str] = &[
        "types:\n  design-input:\n    prefix: UN\n",
        "types:\n  x:\n    prefix: X\n    fields:\n      f: { kind: level, scale: severity, required: true }\n",
        "types:\n  x:\n    prefix: DI\n",
        "types:\n  x:\n    prefix: \"\"\n",
        "types:\n  x:\n    fields:\n      l: { kind: link, targets: [NOPE] }\n",
        "types:\n  design-input:\n    body: nope\n    relaxed: [approved]\n    allow_unknown: true\n",
        "types:\n  design-input:\n    fields:\n      category: { values: [] }\n      p: { kind: list, pattern: \"[\" }\n",
        "risk:\n  safety:\n    P1: []\n",
        "risk: {safety: {P9: [A]}}\n",
        "risk:\n  safety:\n    P2: [A, R]\n    P1: [A]\n  safety_acceptable: [Z]\n",
        "risk: {security: {E1: [C, C, C, C, C, C, C]}}\n",
        "records: .\n",
        "records: \"\"\n",
        "records: records/inputs\n",
        "records: records/DI-001.md\n",
        "security_globs: [\"[\", \"{a,b\", \"**/***\", \"\"]\n",
        "rules: {nonexistent: error, front-matter: off, yaml: off}\n",
        "rules: {trace-complete: fatal}\n",
        "policy: {review_interval_days: -1, eos_horizon_days: 99999999999999, vuln_triage_days: 0}\n",
        "change_control_since: HEAD~999\n",
        "sbom: {support_level_property: \"\"}\n",
        "site: {templates: templates, title: \"<script>alert(1)</script>\"}\n",
        "devices: []\n",
        "controlled_branch: \"\"\n",
        "project: \"\"\n",
        // Outside the repository: refused, never read.
        "records: /\n",
        "records: ../..\n",
        "records: records/../../x\n",
        "site: {templates: /etc}\n",
        "site: {templates: ../..}\n",
        "records: .git\n",
        "site: {templates: .git}\n",
    ];
    rng.pick(SETTINGS).copied().unwrap_or("").to_string()
}

/// A YAML fragment to insert at a line boundary: a key with an odd value, anchors and
/// aliases, block scalars, many keys, a long link list.
fn yaml_snippet(rng: &mut Rng, env: &Env<'_>) -> String {
    let limits = env.limits;
    let key = rng
        .pick(&env.dict.keys)
        .cloned()
        .unwrap_or_else(|| "title".into());
    match rng.below(13) {
        0 => format!("{key}: {}\n", text_value(rng, env)),
        1 => {
            let link = rng
                .pick(&env.dict.link_keys)
                .cloned()
                .unwrap_or_else(|| "traces_to".into());
            let n = rng.size(limits.max_repeat);
            format!("{link}: {}\n", id_list(rng, env, n))
        }
        2 => {
            let link = rng
                .pick(&env.dict.link_keys)
                .cloned()
                .unwrap_or_else(|| "traces_to".into());
            let n = rng.size(limits.max_repeat);
            let mut s = format!("{link}:\n");
            for _ in 0..n {
                s.push_str(&format!("  - {}\n", some_id(rng, env)));
            }
            s
        }
        3 => {
            let n = rng.size(limits.max_repeat);
            (0..n)
                .map(|i| format!("unknown_{i}: {i}\n"))
                .collect::<String>()
        }
        4 => format!("anchor_{key}: &a {}\n{key}: *a\n", text_value(rng, env)),
        5 => format!("base: &b {{status: draft, owner: PER-001}}\n{key}:\n  <<: *b\n  x: 1\n"),
        6 => {
            if limits.alias_bombs {
                let mut s = "l0: &l0 [x, x, x, x, x, x, x, x, x]\n".to_string();
                for i in 1..rng.range(2, 12) {
                    let p = i - 1;
                    s.push_str(&format!(
                        "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
                    ));
                }
                s
            } else {
                format!("{key}: &x [a, b]\nother: [*x, *x]\n")
            }
        }
        7 => format!("{key}: |\n  {}\n  more\n", text_value(rng, env)),
        8 => format!("{key}: >-\n  folded\n\n  {}\n", text_value(rng, env)),
        9 => {
            let depth = rng.size(limits.max_depth.min(2_000));
            let mut s = String::new();
            for d in 0..depth {
                s.push_str(&" ".repeat(2 * d));
                s.push_str("a:\n");
            }
            s
        }
        10 => format!("? [complex, key]\n: {}\n", text_value(rng, env)),
        11 => config_snippet(rng),
        _ => {
            let depth = rng.size(limits.max_depth);
            format!("{key}: {}\n", nesting(rng, depth))
        }
    }
}

fn line_starts(data: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        data.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .filter(|&i| i < data.len()),
    );
    v
}

/// The byte range of line `i`, newline included.
fn line_range(data: &[u8], starts: &[usize], i: usize) -> (usize, usize) {
    let start = starts[i];
    let end = starts.get(i + 1).copied().unwrap_or(data.len());
    (start, end)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'+' | b'@' | b'/' | b'%')
}

/// A random token: a run of word bytes or a quoted string.
fn random_token(rng: &mut Rng, data: &[u8]) -> Option<(usize, usize)> {
    if data.is_empty() {
        return None;
    }
    for _ in 0..8 {
        let mut i = rng.below(data.len());
        while i < data.len() && !is_token_byte(data[i]) && data[i] != b'"' {
            i += 1;
        }
        if i >= data.len() {
            continue;
        }
        if data[i] == b'"' {
            let end = data[i + 1..].iter().position(|&b| b == b'"' || b == b'\n');
            if let Some(e) = end {
                return Some((i, i + e + 2));
            }
            continue;
        }
        let mut s = i;
        while s > 0 && is_token_byte(data[s - 1]) {
            s -= 1;
        }
        let mut e = i;
        while e < data.len() && is_token_byte(data[e]) {
            e += 1;
        }
        return Some((s, e));
    }
    None
}

/// What a token looks like, for a replacement of the same sort.
#[derive(Debug, Clone, Copy)]
enum Like {
    Number,
    Date,
    Id,
    Version,
    Purl,
    Cvss,
}

fn like(token: &str) -> Option<Like> {
    let t = token.trim_matches('"');
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if t.starts_with("pkg:") || t.starts_with("cpe:") {
        Some(Like::Purl)
    } else if t.starts_with("CVSS:") {
        Some(Like::Cvss)
    } else if digits(t.trim_start_matches('-')) {
        Some(Like::Number)
    } else if t.len() >= 10 && t.as_bytes()[4] == b'-' && t.get(..4).is_some_and(digits) {
        Some(Like::Date)
    } else if is_id_like(t) {
        Some(Like::Id)
    } else if t.contains('.')
        && t.trim_start_matches('v')
            .starts_with(|c: char| c.is_ascii_digit())
    {
        Some(Like::Version)
    } else {
        None
    }
}

impl Like {
    fn pick(self, rng: &mut Rng, env: &Env<'_>) -> String {
        let from = |rng: &mut Rng, list: &[&str]| rng.pick(list).copied().unwrap_or("").to_string();
        match self {
            Like::Number => from(rng, NUMBERS),
            Like::Date => from(rng, DATES),
            Like::Id => some_id(rng, env),
            Like::Version => from(rng, VERSIONS),
            Like::Purl => from(rng, PURLS),
            Like::Cvss => from(rng, CVSS),
        }
    }
}

/// Whether `t` looks like a record id (`DI-003`, `CVE-2023-44487`).
pub(crate) fn is_id_like(t: &str) -> bool {
    let Some((head, tail)) = t.rsplit_once('-') else {
        return false;
    };
    !head.is_empty()
        && head.starts_with(|c: char| c.is_ascii_uppercase())
        && head
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && !tail.is_empty()
        && tail.chars().all(|c| c.is_ascii_digit())
}

/// A JSON value as text: what a token of a JSON document may be replaced with.
fn json_text(rng: &mut Rng, env: &Env<'_>) -> String {
    match rng.below(8) {
        0 => rng.pick(NUMBERS).copied().unwrap_or("0").to_string(),
        1 => [
            "null", "true", "false", "[]", "{}", "\"\"", "[null]", "{\"\":0}",
        ][rng.below(8)]
        .to_string(),
        2 => format!(
            "{}0{}",
            "[".repeat(rng.size(env.limits.max_depth)),
            "]".repeat(rng.size(env.limits.max_depth))
        ),
        3 => [
            "\"\\u0000\"",
            "\"\\ud800\"",
            "\"\\udc00\\ud800\"",
            "\"\\uffff\"",
            "\"\\\"",
            "\"\\/\"",
            "\"\u{202e}\"",
        ][rng.below(7)]
        .to_string(),
        _ => serde_json::to_string(&text_value(rng, env)).unwrap_or_default(),
    }
}

/// One text-level mutation.
fn text_op(rng: &mut Rng, data: &mut Vec<u8>, syntax: Syntax, env: &Env<'_>) {
    let len = data.len();
    match rng.below(20) {
        0 if len > 0 => {
            let i = rng.below(len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            data[i] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
        }
        2 if len > 0 => {
            let a = rng.below(len);
            let n = rng.size(len - a);
            data.drain(a..a + n);
        }
        3 if len > 0 => {
            let a = rng.below(len);
            let n = rng.size((len - a).min(4096));
            let chunk = data[a..a + n].to_vec();
            let at = rng.below(len + 1);
            let times = rng
                .size(env.limits.max_repeat.min(64))
                .min(env.limits.max_file / n);
            for _ in 0..times {
                data.splice(at..at, chunk.iter().copied());
            }
        }
        4 => {
            let at = rng.below(len + 1);
            let v = match syntax {
                Syntax::Json => json_text(rng, env),
                _ => text_value(rng, env),
            };
            data.splice(at..at, v.into_bytes());
        }
        5 if len > 0 => data.truncate(rng.below(len)),
        6 => {
            if let Some(other) = rng.pick(env.splice).copied() {
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let n = rng.size(other.len() - a);
                    let at = rng.below(len + 1);
                    if rng.one_in(2) {
                        data.truncate(at);
                        data.extend_from_slice(&other[a..a + n]);
                    } else {
                        data.splice(at..at, other[a..a + n].iter().copied());
                    }
                }
            }
        }
        7 | 8 if len > 0 => {
            let starts = line_starts(data);
            let i = rng.below(starts.len());
            let (a, b) = line_range(data, &starts, i);
            if rng.one_in(2) {
                data.drain(a..b);
            } else {
                let line = data[a..b].to_vec();
                let times = rng
                    .size(env.limits.max_repeat)
                    .min(env.limits.max_file / line.len().max(1));
                for _ in 0..times {
                    data.splice(b..b, line.iter().copied());
                }
            }
        }
        9 if len > 0 => {
            let starts = line_starts(data);
            let (i, j) = (rng.below(starts.len()), rng.below(starts.len()));
            let (i, j) = (i.min(j), i.max(j));
            if i != j {
                let (a, b) = line_range(data, &starts, i);
                let (c, d) = line_range(data, &starts, j);
                let mut out = data[..a].to_vec();
                out.extend_from_slice(&data[c..d]);
                out.extend_from_slice(&data[b..c]);
                out.extend_from_slice(&data[a..b]);
                out.extend_from_slice(&data[d..]);
                *data = out;
            }
        }
        10 if len > 0 => {
            let starts = line_starts(data);
            let i = rng.below(starts.len());
            let (a, _) = line_range(data, &starts, i);
            match rng.below(4) {
                0 => {
                    let n = rng.size(8);
                    data.splice(a..a, std::iter::repeat_n(b' ', n));
                }
                1 => data.splice(a..a, [b'\t']).for_each(drop),
                2 => data.splice(a..a, *b"- ").for_each(drop),
                _ => {
                    let spaces = data[a..].iter().take_while(|&&b| b == b' ').count();
                    data.drain(a..a + spaces.min(rng.size(8)));
                }
            }
        }
        11..=13 => {
            if let Some((a, b)) = random_token(rng, data) {
                let token = String::from_utf8_lossy(&data[a..b]).into_owned();
                // Mostly a value of the same sort: a number for a number, a date for a date;
                // those get past the first type check and reach the code that uses them.
                let v = match like(&token) {
                    Some(v) if rng.below(4) != 0 => v.pick(rng, env),
                    _ if syntax == Syntax::Json => json_text(rng, env),
                    _ => text_value(rng, env),
                };
                data.splice(a..b, v.into_bytes());
            }
        }
        14 | 15 if syntax != Syntax::Json => {
            let starts = line_starts(data);
            let at = starts[rng.below(starts.len())];
            data.splice(at..at, yaml_snippet(rng, env).into_bytes());
        }
        16 => {
            let text = String::from_utf8_lossy(data).into_owned();
            let changed = match rng.below(4) {
                0 => text.replace('\n', "\r\n"),
                1 => text.replace('\n', "\r"),
                2 => text.trim_end().to_string(),
                _ => format!("\u{feff}{text}"),
            };
            *data = changed.into_bytes();
        }
        17 if syntax == Syntax::Record => {
            let at = rng.below(len + 1);
            let snippet = rng.pick(BODY).copied().unwrap_or("");
            let n = if snippet.len() < 4 {
                rng.size(env.limits.max_repeat)
            } else {
                1
            };
            data.splice(at..at, repeat(snippet, n, env.limits).into_bytes());
        }
        18 if syntax == Syntax::Record => {
            let prefix = ["> ", "- ", "  ", "1. ", "# ", "* ", "[", "<div>", "|"][rng.below(9)];
            let depth = rng.size(env.limits.max_repeat.min(env.limits.max_depth));
            let at = rng.below(len + 1);
            let s = format!("\n{}x\n", prefix.repeat(depth));
            data.splice(at..at, s.into_bytes());
        }
        _ => {
            if let Some((a, b)) = random_token(rng, data) {
                let at = rng.below(len + 1);
                let token = data[a..b].to_vec();
                data.splice(at..at, token);
            }
        }
    }
}

/// The byte range of the YAML between the front-matter fences of a record, if it has them.
pub(crate) fn front_matter_range(data: &[u8]) -> Option<(usize, usize)> {
    let first_end = data.iter().position(|&b| b == b'\n')? + 1;
    if data[..first_end].trim_ascii() != b"---" {
        return None;
    }
    let mut at = first_end;
    while at < data.len() {
        let end = data[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |e| at + e + 1);
        if data[at..end].trim_ascii() == b"---" {
            return Some((first_end, at));
        }
        at = end;
    }
    None
}

/// Mutates `data` with a few stacked mutations.
pub(crate) fn mutate(rng: &mut Rng, data: &mut Vec<u8>, syntax: Syntax, env: &Env<'_>) {
    match syntax {
        Syntax::Json if rng.below(3) != 0 => json_structural(rng, data, env),
        Syntax::Yaml if rng.one_in(3) => yaml_structural(rng, data, env),
        Syntax::Record if rng.one_in(3) => {
            if let Some((a, b)) = front_matter_range(data) {
                let mut yaml = data[a..b].to_vec();
                yaml_structural(rng, &mut yaml, env);
                data.splice(a..b, yaml);
            }
        }
        _ => {}
    }
    // Structure-aware mutations mostly give valid documents; text mutations then break them in a
    // few places, so few inputs are only noise.
    let ops = if rng.one_in(4) { 0 } else { rng.size(6) };
    for _ in 0..ops {
        text_op(rng, data, syntax, env);
        if data.len() > env.limits.max_file {
            data.truncate(env.limits.max_file);
        }
    }
    if data.len() > env.limits.max_file {
        data.truncate(env.limits.max_file);
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

fn count_json(v: &serde_json::Value) -> usize {
    1 + match v {
        serde_json::Value::Array(a) => a.iter().map(count_json).sum(),
        serde_json::Value::Object(o) => o.values().map(count_json).sum(),
        _ => 0,
    }
}

/// The `n`th node in pre-order.
fn nth_json<'v>(v: &'v mut serde_json::Value, n: &mut usize) -> Option<&'v mut serde_json::Value> {
    if *n == 0 {
        return Some(v);
    }
    *n -= 1;
    match v {
        serde_json::Value::Array(a) => a.iter_mut().find_map(|c| nth_json(c, n)),
        serde_json::Value::Object(o) => o.values_mut().find_map(|c| nth_json(c, n)),
        _ => None,
    }
}

fn json_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    if out.len() >= 512 {
        return;
    }
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|c| json_strings(c, out)),
        serde_json::Value::Object(o) => o.values().for_each(|c| json_strings(c, out)),
        _ => {}
    }
}

fn json_value(rng: &mut Rng, env: &Env<'_>, strings: &[String]) -> serde_json::Value {
    use serde_json::{json, Value};
    match rng.below(14) {
        0 => Value::Null,
        1 => Value::Bool(rng.one_in(2)),
        2 => [
            json!(0),
            json!(-1),
            json!(i64::MAX),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1e308),
            json!(-0.0),
            json!(0.5),
        ][rng.below(8)]
        .clone(),
        3 => json!([]),
        4 => json!({}),
        5 | 6 => Value::String(rng.pick(strings).cloned().unwrap_or_default()),
        7 => Value::String(
            rng.pick(&env.dict.json_strings)
                .cloned()
                .unwrap_or_default(),
        ),
        8 => Value::String(rng.pick(VERSIONS).copied().unwrap_or("").to_string()),
        9 => Value::String(rng.pick(PURLS).copied().unwrap_or("").to_string()),
        10 => Value::String(rng.pick(CVSS).copied().unwrap_or("").to_string()),
        11 => Value::String(rng.pick(DATES).copied().unwrap_or("").to_string()),
        _ => Value::String(text_value(rng, env)),
    }
}

/// One structural change to a JSON document.
fn json_structural(rng: &mut Rng, data: &mut Vec<u8>, env: &Env<'_>) {
    use serde_json::Value;
    let Ok(mut doc) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let mut strings = Vec::new();
    json_strings(&doc, &mut strings);
    let rounds = rng.size(4);
    for _ in 0..rounds {
        let total = count_json(&doc);
        let mut n = rng.below(total);
        let Some(node) = nth_json(&mut doc, &mut n) else {
            continue;
        };
        match rng.below(10) {
            0..=2 => {
                *node = match node {
                    Value::Number(_) if rng.below(4) != 0 => [
                        serde_json::json!(0),
                        serde_json::json!(-1),
                        serde_json::json!(i64::MAX),
                        serde_json::json!(i64::MIN),
                        serde_json::json!(u64::MAX),
                        serde_json::json!(1e308),
                        serde_json::json!(-0.0),
                        serde_json::json!(0.5),
                        serde_json::json!(11),
                    ][rng.below(9)]
                    .clone(),
                    Value::String(s) if rng.one_in(2) => match like(s) {
                        Some(l) => Value::String(l.pick(rng, env)),
                        None => json_value(rng, env, &strings),
                    },
                    _ => json_value(rng, env, &strings),
                }
            }
            3 => {
                let depth = rng.size(env.limits.max_depth.min(500));
                let mut v = node.take();
                for _ in 0..depth {
                    v = Value::Array(vec![v]);
                }
                *node = v;
            }
            4 => {
                if let Value::Array(a) = node {
                    if !a.is_empty() {
                        let i = rng.below(a.len());
                        if rng.one_in(2) {
                            a.remove(i);
                        } else {
                            let item = a[i].clone();
                            let times = rng.size(env.limits.max_repeat);
                            for _ in 0..times {
                                a.push(item.clone());
                            }
                        }
                    }
                } else if let Value::Object(o) = node {
                    if !o.is_empty() {
                        let i = rng.below(o.len());
                        if let Some(k) = o.keys().nth(i).cloned() {
                            o.remove(&k);
                        }
                    }
                }
            }
            5 | 6 => {
                if let Value::Object(o) = node {
                    let key = rng
                        .pick(&env.dict.json_keys)
                        .cloned()
                        .unwrap_or_else(|| "x".into());
                    let v = json_value(rng, env, &strings);
                    o.insert(key, v);
                } else if let Value::Array(a) = node {
                    let v = json_value(rng, env, &strings);
                    let at = rng.below(a.len() + 1);
                    a.insert(at, v);
                }
            }
            // Below a bound on the document's size: a node copied into its own subtree doubles
            // the document, and kept inputs are mutated again and again.
            7 if total <= MAX_JSON_NODES => {
                // The same node once more somewhere else: duplicate refs, cycles.
                let copy = node.clone();
                let mut m = rng.below(total);
                if let Some(other) = nth_json(&mut doc, &mut m) {
                    if let Value::Array(a) = other {
                        a.push(copy);
                    } else if let Value::Object(o) = other {
                        o.insert("copy".into(), copy);
                    }
                }
            }
            8 => {
                if let Value::String(s) = node {
                    let mut bytes = std::mem::take(s).into_bytes();
                    text_op(rng, &mut bytes, Syntax::Yaml, env);
                    *s = String::from_utf8_lossy(&bytes).into_owned();
                }
            }
            _ => {
                if let Value::String(s) = node {
                    *s = rng.pick(&strings).cloned().unwrap_or_default();
                }
            }
        }
    }
    // Written through a cap: the pretty form of a deep document (two spaces per level on every
    // line) once grew the harness past 4 GB before the result could be cut to `max_file`.
    let mut out = Capped {
        buf: Vec::new(),
        cap: env.limits.max_file,
    };
    let written = if rng.one_in(2) {
        serde_json::to_writer_pretty(&mut out, &doc)
    } else {
        serde_json::to_writer(&mut out, &doc)
    };
    if written.is_ok() {
        *data = out.buf;
    }
}

/// The most nodes a JSON document may have for a node of it to be copied elsewhere in it.
const MAX_JSON_NODES: usize = 50_000;

/// A writer that refuses to grow past `cap` bytes.
struct Capped {
    buf: Vec<u8>,
    cap: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + bytes.len() > self.cap {
            return Err(std::io::Error::other("the mutated document is too large"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// YAML

fn yaml_number(rng: &mut Rng) -> serde_yaml::Value {
    serde_yaml::Value::Number(
        [
            serde_yaml::Number::from(0u64),
            serde_yaml::Number::from(-1i64),
            serde_yaml::Number::from(i64::MAX),
            serde_yaml::Number::from(u64::MAX),
            serde_yaml::Number::from(i64::MIN),
            serde_yaml::Number::from(i64::from(i32::MAX) + 1),
            serde_yaml::Number::from(f64::NAN),
            serde_yaml::Number::from(f64::INFINITY),
            serde_yaml::Number::from(-0.0),
            serde_yaml::Number::from(1e300),
            serde_yaml::Number::from(0.5),
        ][rng.below(11)]
        .clone(),
    )
}

fn yaml_value(rng: &mut Rng, env: &Env<'_>) -> serde_yaml::Value {
    use serde_yaml::Value;
    match rng.below(10) {
        0 => Value::Null,
        1 => Value::Bool(rng.one_in(2)),
        2 => yaml_number(rng),
        3 => Value::Sequence(
            (0..rng.size(env.limits.max_repeat))
                .map(|_| Value::String(some_id(rng, env)))
                .collect(),
        ),
        4 => {
            let mut m = serde_yaml::Mapping::new();
            let key = rng.pick(&env.dict.keys).cloned().unwrap_or_default();
            m.insert(Value::String(key), yaml_value(rng, env));
            Value::Mapping(m)
        }
        5 => Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
            tag: serde_yaml::value::Tag::new("custom"),
            value: Value::String(text_value(rng, env)),
        })),
        6 => Value::Sequence(vec![]),
        _ => Value::String(text_value(rng, env)),
    }
}

fn count_yaml(v: &serde_yaml::Value) -> usize {
    1 + match v {
        serde_yaml::Value::Sequence(a) => a.iter().map(count_yaml).sum(),
        serde_yaml::Value::Mapping(m) => m.values().map(count_yaml).sum(),
        serde_yaml::Value::Tagged(t) => count_yaml(&t.value),
        _ => 0,
    }
}

fn nth_yaml<'v>(v: &'v mut serde_yaml::Value, n: &mut usize) -> Option<&'v mut serde_yaml::Value> {
    if *n == 0 {
        return Some(v);
    }
    *n -= 1;
    match v {
        serde_yaml::Value::Sequence(a) => a.iter_mut().find_map(|c| nth_yaml(c, n)),
        serde_yaml::Value::Mapping(m) => m.values_mut().find_map(|c| nth_yaml(c, n)),
        serde_yaml::Value::Tagged(t) => nth_yaml(&mut t.value, n),
        _ => None,
    }
}

/// One structural change to a YAML mapping (a front-matter or ddf.yaml).
fn yaml_structural(rng: &mut Rng, data: &mut Vec<u8>, env: &Env<'_>) {
    use serde_yaml::Value;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Only documents a YAML parser reads quickly: the structure-aware step is for valid inputs.
    let Ok(mut doc) = serde_yaml::from_str::<Value>(text) else {
        return;
    };
    // serde_yaml expands aliases (up to its own bound, a hundred times the document's events),
    // so a small input can be a large document: left to the text mutations.
    if count_yaml(&doc) > MAX_YAML_NODES {
        return;
    }
    let rounds = rng.size(3);
    for _ in 0..rounds {
        match rng.below(6) {
            0 | 1 => {
                let Value::Mapping(m) = &mut doc else { break };
                let key = if rng.one_in(2) && !m.is_empty() {
                    m.keys().nth(rng.below(m.len())).cloned()
                } else {
                    rng.pick(&env.dict.keys).cloned().map(Value::String)
                };
                if let Some(k) = key {
                    m.insert(k, yaml_value(rng, env));
                }
            }
            2 => {
                let Value::Mapping(m) = &mut doc else { break };
                if !m.is_empty() {
                    if let Some(k) = m.keys().nth(rng.below(m.len())).cloned() {
                        m.remove(&k);
                    }
                }
            }
            3 => {
                let Value::Mapping(m) = &mut doc else { break };
                let (key, value) = match rng.below(4) {
                    0 => ("type", rng.pick(&env.dict.types).cloned()),
                    1 => ("status", rng.pick(&env.dict.statuses).cloned()),
                    2 => ("id", Some(some_id(rng, env))),
                    _ => ("owner", Some(some_id(rng, env))),
                };
                m.insert(
                    Value::String(key.into()),
                    Value::String(value.unwrap_or_default()),
                );
            }
            4 => {
                let Value::Mapping(m) = &mut doc else { break };
                let link = rng.pick(&env.dict.link_keys).cloned().unwrap_or_default();
                let n = rng.size(env.limits.max_repeat);
                let ids = (0..n).map(|_| Value::String(some_id(rng, env))).collect();
                m.insert(Value::String(link), Value::Sequence(ids));
            }
            _ => {
                let total = count_yaml(&doc);
                let mut n = rng.below(total);
                if let Some(node) = nth_yaml(&mut doc, &mut n) {
                    *node = match node {
                        Value::Number(_) if rng.below(4) != 0 => yaml_number(rng),
                        Value::String(s) if rng.one_in(2) => match like(s) {
                            Some(l) => Value::String(l.pick(rng, env)),
                            None => yaml_value(rng, env),
                        },
                        _ => yaml_value(rng, env),
                    };
                }
            }
        }
    }
    // Written through a cap, as the JSON mutator's is: each level of nesting indents every line
    // below it, so the text written can be many times the size of the text read.
    let mut out = Capped {
        buf: Vec::new(),
        cap: env.limits.max_file,
    };
    if serde_yaml::to_writer(&mut out, &doc).is_ok() {
        *data = out.buf;
    }
}

/// The most nodes a YAML document may have for the structural mutator to change it.
const MAX_YAML_NODES: usize = 50_000;

/// The harness's check of its own bounds (run by its self-test): a structural mutation never
/// leaves a document larger than `max_file`, even when the document it writes back is many times
/// the text it read (aliases expanded, every nested line indented).
pub(crate) fn check_bounds() -> Result<(), String> {
    let limits = Limits {
        max_file: 4096,
        ..Limits::avoiding_known()
    };
    let dict = Dict::default();
    let env = Env {
        dict: &dict,
        limits: &limits,
        splice: &[],
    };
    // 40 uses of a 40-item list: about 200 bytes read, 40 * 40 items written.
    let items: Vec<String> = (0..40).map(|k| format!("item-{k}")).collect();
    let uses = vec!["*x"; 40].join(", ");
    let yaml = format!("id: UN-001\na: &x [{}]\nb: [{uses}]\n", items.join(", "));
    let nested = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let json = format!("[{}]", vec![nested; 10].join(","));
    for (name, text) in [("YAML", &yaml), ("JSON", &json)] {
        for case in 0..200 {
            let mut rng = Rng::for_case(7, case);
            let mut data = text.clone().into_bytes();
            if name == "YAML" {
                yaml_structural(&mut rng, &mut data, &env);
            } else {
                json_structural(&mut rng, &mut data, &env);
            }
            if data.len() > limits.max_file {
                return Err(format!(
                    "the {name} structural mutator wrote {} bytes, more than max_file ({})",
                    data.len(),
                    limits.max_file
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// File names

/// Another name for a record file: another record's (two files, one id), an odd one, a
/// hidden one, one without `.md`, one in a sub-folder.
pub(crate) fn rename(rng: &mut Rng, path: &str, env: &Env<'_>) -> String {
    let (dir, _) = path.rsplit_once('/').unwrap_or(("", path));
    let name = match rng.below(9) {
        0 | 1 => format!("{}.md", some_id(rng, env)),
        2 => "a name with spaces.md".into(),
        3 => format!("{}.md", rng.pick(UNICODE).copied().unwrap_or("x")),
        4 => ".hidden.md".into(),
        5 => "README.MD".into(),
        6 => format!("deeper/{}.md", some_id(rng, env)),
        7 => "x.md.md".into(),
        _ => format!("{}.md", "İ".repeat(rng.size(40))),
    };
    let name: String = name
        .chars()
        .filter(|&c| c != '\0' && c != '\\')
        .collect::<String>()
        .replace("/.", "/_");
    let name = if name.trim_end_matches(".md").is_empty() || name.starts_with('/') {
        "empty.md".to_string()
    } else {
        name
    };
    if dir.is_empty() {
        name
    } else {
        format!("{dir}/{name}")
    }
}
