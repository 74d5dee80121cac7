//! The head of an OSV record (its id, aliases, withdrawn flag and package keys) read without
//! building the record, for the cold pass over an `all.zip` of several hundred thousand
//! advisories of which a scan needs a few thousand.
//!
//! [`super::osv::parse`] builds a whole `serde_json::Value` tree and then an [`Advisory`], an
//! allocation for every string, array and object of the record, for records the scan then
//! drops. [`head`] reads the same bytes through typed serde visitors instead: the values the
//! head needs are borrowed from the bytes where they have no escapes, and every other value is
//! read by the same serde_json lexer (strings UTF-8 and escape checked, numbers range checked,
//! the same depth limit) and dropped, so nothing is allocated for it.
//!
//! **Contract**: `head(bytes)` is `Some` only when `parse(bytes, _)` is `Ok`, and then its fields
//! are those of the parsed advisory ([`Head::of`]). It checks every shape `parse` checks (and
//! some it does not: a duplicate key, or a second, malformed event key), so it may refuse a
//! record `parse` accepts, never the reverse. A `None` says nothing about the record: the caller
//! runs `parse`, which gives the verdict and the error message, with its JSON path, exactly as
//! before. So a malformed record anywhere in a zip is still refused, naming the entry.
//!
//! [`Advisory`]: super::osv::Advisory

use super::osv::{key, Advisory};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// What the cold pass keeps of an advisory it does not need whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `id`, trimmed.
    pub id: String,
    /// `aliases`, trimmed, empty ones dropped (as [`Advisory::aliases`]).
    pub aliases: Vec<String>,
    /// Whether `withdrawn` is set.
    pub withdrawn: bool,
    /// The [`key`]s of its `affected[]` packages that have a name, sorted, deduplicated.
    pub keys: Vec<(String, String)>,
}

impl Head {
    /// The head of a parsed advisory: what [`head`] gives for the bytes it was parsed from.
    pub fn of(a: &Advisory) -> Head {
        Head {
            id: a.id.clone(),
            aliases: a.aliases.clone(),
            withdrawn: a.withdrawn.is_some(),
            keys: keys(
                a.affected
                    .iter()
                    .map(|af| (&af.ecosystem[..], &af.name[..])),
            ),
        }
    }
}

/// The sorted, deduplicated keys of (ecosystem, name) pairs; a pair without a name has none.
fn keys<'s>(pairs: impl Iterator<Item = (&'s str, &'s str)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs
        .filter(|(_, n)| !n.is_empty())
        .map(|(e, n)| key(e, n))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The head of the OSV record `bytes`, or `None` when it cannot vouch that
/// [`super::osv::parse`] accepts it (see the module's contract).
pub fn head(bytes: &[u8]) -> Option<Head> {
    let root: Root<'_> = serde_json::from_slice(bytes).ok()?;
    let id = root.id?;
    Some(Head {
        id: id.trim().to_string(),
        aliases: root
            .aliases
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        withdrawn: root.withdrawn,
        keys: keys(root.packages.iter().map(|a| {
            (
                a.ecosystem.as_deref().unwrap_or(""),
                a.name.as_deref().unwrap_or(""),
            )
        })),
    })
}

/// A failure of the first pass; its text is never shown (the full parser gives the message).
fn no<E: de::Error>() -> E {
    E::custom("not vouched for")
}

/// A string value, borrowed from the record when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A string value, checked and dropped.
struct IsStr;

impl<'de> Deserialize<'de> for IsStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IsStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<IsStr, E> {
                Ok(IsStr)
            }
        }
        d.deserialize_str(V)
    }
}

/// Any JSON value, read as `serde_json::Value` reads it (through `deserialize_any`: strings
/// checked, numbers parsed and range checked, nesting counted against the same limit) and
/// dropped. Not `IgnoredAny`: serde_json skips that without checking strings' escapes or
/// numbers' range, and would pass a record `parse` refuses.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i128<E: de::Error>(self, _: i128) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u128<E: de::Error>(self, _: u128) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_none<E: de::Error>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Skip, D::Error> {
                Skip::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Skip, A::Error> {
                while s.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Skip, A::Error> {
                while m.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Skip)
            }
        }
        d.deserialize_any(V)
    }
}

/// An array whose elements are each read as `T` and dropped.
struct Each<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Each<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Each<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Each<T>, A::Error> {
                while s.next_element::<T>()?.is_some() {}
                Ok(Each(PhantomData))
            }
        }
        d.deserialize_seq(V(PhantomData))
    }
}

/// The keys of the objects of a record that `parse` reads; any other is [`Field::Other`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Aliases,
    Related,
    Withdrawn,
    Summary,
    Published,
    Severity,
    Affected,
    Package,
    Ecosystem,
    Name,
    Ranges,
    Versions,
    Type,
    Score,
    Events,
    Introduced,
    Fixed,
    LastAffected,
    Limit,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            // Keys arrive unescaped (`"i\u0064"` is `id`), as `serde_json::Value` has them.
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Field, E> {
                Ok(match s {
                    "id" => Field::Id,
                    "aliases" => Field::Aliases,
                    "related" => Field::Related,
                    "withdrawn" => Field::Withdrawn,
                    "summary" => Field::Summary,
                    "published" => Field::Published,
                    "severity" => Field::Severity,
                    "affected" => Field::Affected,
                    "package" => Field::Package,
                    "ecosystem" => Field::Ecosystem,
                    "name" => Field::Name,
                    "ranges" => Field::Ranges,
                    "versions" => Field::Versions,
                    "type" => Field::Type,
                    "score" => Field::Score,
                    "events" => Field::Events,
                    "introduced" => Field::Introduced,
                    "fixed" => Field::Fixed,
                    "last_affected" => Field::LastAffected,
                    "limit" => Field::Limit,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// The members of an object already met, to refuse a key met twice: `serde_json::Value` keeps
/// the last one, and the first pass does not guess which `parse` reads.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn first<E: de::Error>(&mut self, f: Field) -> Result<(), E> {
        let bit = 1u32 << (f as u32);
        if self.0 & bit != 0 {
            return Err(no());
        }
        self.0 |= bit;
        Ok(())
    }
}

/// Implements `Deserialize` for an object type through `deserialize_map` (an array is refused,
/// as `parse` refuses it where it wants an object; serde's derive would take it as a tuple).
macro_rules! object {
    ($ty:ident, $lt:lifetime, $what:literal, |$m:ident| $body:block) => {
        impl<$lt> Deserialize<$lt> for $ty<$lt> {
            fn deserialize<D: Deserializer<$lt>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<$lt> Visitor<$lt> for V {
                    type Value = $ty<$lt>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: MapAccess<$lt>>(self, mut $m: A) -> Result<$ty<$lt>, A::Error> {
                        $body
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

/// The root object: the head's values, every other member `parse` reads checked.
#[derive(Default)]
struct Root<'a> {
    /// `None` when absent or null: `parse` requires it, so the head is refused.
    id: Option<Cow<'a, str>>,
    aliases: Vec<Cow<'a, str>>,
    withdrawn: bool,
    /// The package of each `affected[]` entry.
    packages: Vec<Affected<'a>>,
}

object!(Root, 'de, "an OSV record", |m| {
    let mut r = Root::default();
    let mut seen = Seen::default();
    while let Some(f) = m.next_key::<Field>()? {
        match f {
            Field::Id => {
                seen.first(f)?;
                r.id = m.next_value::<Option<Text<'de>>>()?.map(|t| t.0);
            }
            Field::Aliases => {
                seen.first(f)?;
                let v = m.next_value::<Option<Vec<Text<'de>>>>()?.unwrap_or_default();
                r.aliases = v.into_iter().map(|t| t.0).collect();
            }
            Field::Withdrawn => {
                seen.first(f)?;
                r.withdrawn = m.next_value::<Option<IsStr>>()?.is_some();
            }
            Field::Related => {
                seen.first(f)?;
                m.next_value::<Option<Each<IsStr>>>()?;
            }
            Field::Summary | Field::Published => {
                seen.first(f)?;
                m.next_value::<Option<IsStr>>()?;
            }
            Field::Severity => {
                seen.first(f)?;
                m.next_value::<Option<Each<Severity>>>()?;
            }
            Field::Affected => {
                seen.first(f)?;
                r.packages = m
                    .next_value::<Option<Vec<Affected<'de>>>>()?
                    .unwrap_or_default();
            }
            _ => {
                m.next_value::<Skip>()?;
            }
        }
    }
    Ok(r)
});

/// An `affected[]` entry: its package's ecosystem and name, the rest checked.
#[derive(Default)]
struct Affected<'a> {
    ecosystem: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
}

object!(Affected, 'de, "an affected entry", |m| {
    let mut a = Affected::default();
    let mut seen = Seen::default();
    while let Some(f) = m.next_key::<Field>()? {
        match f {
            Field::Package => {
                seen.first(f)?;
                if let Some(p) = m.next_value::<Option<Package<'de>>>()? {
                    a.ecosystem = p.ecosystem;
                    a.name = p.name;
                }
            }
            Field::Ranges => {
                seen.first(f)?;
                m.next_value::<Option<Each<Range>>>()?;
            }
            Field::Versions => {
                seen.first(f)?;
                m.next_value::<Option<Each<IsStr>>>()?;
            }
            Field::Severity => {
                seen.first(f)?;
                m.next_value::<Option<Each<Severity>>>()?;
            }
            _ => {
                m.next_value::<Skip>()?;
            }
        }
    }
    Ok(a)
});

/// `affected[].package`: `ecosystem` and `name` (`purl` and the rest are not read by `parse`).
#[derive(Default)]
struct Package<'a> {
    ecosystem: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
}

object!(Package, 'de, "a package", |m| {
    let mut p = Package::default();
    let mut seen = Seen::default();
    while let Some(f) = m.next_key::<Field>()? {
        match f {
            Field::Ecosystem => {
                seen.first(f)?;
                p.ecosystem = m.next_value::<Option<Text<'de>>>()?.map(|t| t.0);
            }
            Field::Name => {
                seen.first(f)?;
                p.name = m.next_value::<Option<Text<'de>>>()?.map(|t| t.0);
            }
            _ => {
                m.next_value::<Skip>()?;
            }
        }
    }
    Ok(p)
});

/// Implements `Deserialize` for a checked-only object type: `$req` are the members that must
/// be present as strings, `$opt` those that may be absent or null but are strings otherwise,
/// `$arr` those that may be absent or null but are arrays of `$item` otherwise.
macro_rules! checked {
    ($ty:ident, $what:literal, req [$($req:ident),*], opt [$($opt:ident),*], $(arr $arr:ident of $item:ty,)? any_of [$($any:ident),*]) => {
        /// Checked, not kept.
        struct $ty;

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<$ty, A::Error> {
                        let mut seen = Seen::default();
                        // Members present and not null.
                        let mut set = Seen::default();
                        while let Some(f) = m.next_key::<Field>()? {
                            match f {
                                $(Field::$req)|* $(| Field::$opt)* => {
                                    seen.first(f)?;
                                    if m.next_value::<Option<IsStr>>()?.is_some() {
                                        set.first(f)?;
                                    }
                                }
                                $(Field::$arr => {
                                    seen.first(f)?;
                                    m.next_value::<Option<Each<$item>>>()?;
                                })?
                                _ => {
                                    m.next_value::<Skip>()?;
                                }
                            }
                        }
                        let has = |f: Field| set.0 & (1u32 << (f as u32)) != 0;
                        if !(true $(&& has(Field::$req))*) {
                            return Err(no());
                        }
                        let any: &[Field] = &[$(Field::$any),*];
                        if !any.is_empty() && !any.iter().any(|&f| has(f)) {
                            return Err(no());
                        }
                        Ok($ty)
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

checked!(Severity, "a severity", req [Type], opt [Score], any_of []);
checked!(Range, "a range", req [Type], opt [], arr Events of Event, any_of []);
checked!(
    Event,
    "an event",
    req [],
    opt [Introduced, Fixed, LastAffected, Limit],
    any_of [Introduced, Fixed, LastAffected, Limit]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vuln::osv::parse;
    use serde_json::{json, Value};

    fn real() -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for dir in ["osv", "osv-distro"] {
            let d = format!("{}/tests/data/{dir}", env!("CARGO_MANIFEST_DIR"));
            for e in std::fs::read_dir(d).expect("data").flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                out.push((name, std::fs::read(e.path()).expect("read")));
            }
        }
        out.sort();
        out
    }

    /// The contract: `head` vouches only for what `parse` accepts, and agrees with it.
    fn agree(bytes: &[u8]) -> Option<Head> {
        let h = head(bytes);
        if let Some(h) = &h {
            let a = parse(bytes, "x.json").unwrap_or_else(|e| {
                panic!(
                    "head vouched for a record parse refuses ({e}): {}",
                    String::from_utf8_lossy(bytes)
                )
            });
            assert_eq!(*h, Head::of(&a), "{}", String::from_utf8_lossy(bytes));
        }
        h
    }

    #[test]
    fn the_real_advisories_read_the_same_as_parsed() {
        let all = real();
        assert!(all.len() > 20);
        for (name, bytes) in &all {
            assert!(agree(bytes).is_some(), "{name}");
        }
    }

    #[test]
    fn heads_of_small_records() {
        let h = agree(
            br#"{"i\u0064":" X-1 ","aliases":[" CVE-1","",null],"withdrawn":null,"affected":[{"package":{"ecosystem":"PyPI","name":"Some_Pkg","purl":5}},{"package":null},{"package":{"ecosystem":"Debian:12","name":"zlib"}},{"package":{"ecosystem":"PyPI","name":"some.pkg"}}]}"#,
        );
        // A null alias is refused (as `parse` refuses it).
        assert_eq!(h, None);
        let h = agree(
            br#"{"i\u0064":" X-1 ","aliases":[" CVE-1",""],"withdrawn":"2025-01-01","affected":[{"package":{"ecosystem":"PyPI","name":"Some_Pkg","purl":5}},{"package":null},{"package":{"ecosystem":"Debian:12","name":"zlib"}},{"package":{"ecosystem":"PyPI","name":"some.pkg"}},{"package":{"name":""}}],"details":"caf\u00e9 \ud83d\ude00","database_specific":{"x":[1,2.5,-3e10,true,null,{"y":"z"}]}}"#,
        )
        .expect("head");
        assert_eq!(h.id, "X-1");
        assert_eq!(h.aliases, vec!["CVE-1".to_string()]);
        assert!(h.withdrawn);
        assert_eq!(
            h.keys,
            vec![
                ("Debian".to_string(), "zlib".to_string()),
                ("PyPI".to_string(), "some-pkg".to_string())
            ]
        );
    }

    #[test]
    fn what_parse_refuses_the_head_refuses() {
        let bad: &[&[u8]] = &[
            b"",
            b"[]",
            b"\"x\"",
            br#"{"id":"X","id":5}"#,
            br#"{}"#,
            br#"{"id":null}"#,
            br#"{"id":5}"#,
            br#"{"id":"X"} x"#,
            br#"{"id":"X","aliases":"CVE-1"}"#,
            br#"{"id":"X","aliases":[1]}"#,
            br#"{"id":"X","related":[1]}"#,
            br#"{"id":"X","related":{}}"#,
            br#"{"id":"X","withdrawn":1}"#,
            br#"{"id":"X","summary":[]}"#,
            br#"{"id":"X","published":{}}"#,
            br#"{"id":"X","severity":[{"score":"x"}]}"#,
            br#"{"id":"X","severity":[{"type":"CVSS_V3","score":1}]}"#,
            br#"{"id":"X","severity":["x"]}"#,
            br#"{"id":"X","affected":{}}"#,
            br#"{"id":"X","affected":[[]]}"#,
            br#"{"id":"X","affected":[["a","b"]]}"#,
            br#"{"id":"X","affected":[{"package":[]}]}"#,
            br#"{"id":"X","affected":[{"package":{"name":5}}]}"#,
            br#"{"id":"X","affected":[{"package":{"ecosystem":true}}]}"#,
            br#"{"id":"X","affected":[{"versions":[1]}]}"#,
            br#"{"id":"X","affected":[{"versions":"1"}]}"#,
            br#"{"id":"X","affected":[{"severity":[{}]}]}"#,
            br#"{"id":"X","affected":[{"ranges":[{"events":[]}]}]}"#,
            br#"{"id":"X","affected":[{"ranges":[{"type":"SEMVER","events":[{}]}]}]}"#,
            br#"{"id":"X","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":0}]}]}]}"#,
            br#"{"id":"X","affected":[{"ranges":[{"type":"SEMVER","events":[{"fixed":null}]}]}]}"#,
            br#"{"id":"X","affected":[{"ranges":[{"type":"SEMVER","events":{}}]}]}"#,
            br#"{"id":"X","affected":[{"ranges":[["SEMVER"]]}]}"#,
            // What serde_json checks when it builds a value and not when it skips one.
            br#"{"id":"X","details":"\ud800"}"#,
            br#"{"id":"X","details":"\x"}"#,
            br#"{"id":"X","n":1e999}"#,
            b"{\"id\":\"X\",\"details\":\"\xff\"}",
            b"{\"id\":\"X\",\"details\":\"a\nb\"}",
            br#"{"id":"X","d":[1,]}"#,
        ];
        for b in bad {
            assert!(
                parse(b, "x.json").is_err(),
                "{}",
                String::from_utf8_lossy(b)
            );
            assert_eq!(head(b), None, "{}", String::from_utf8_lossy(b));
        }
        // Nested deeper than serde_json's limit, in a member the head does not read.
        let deep = format!(r#"{{"id":"X","d":{}{}}}"#, "[".repeat(200), "]".repeat(200));
        assert!(parse(deep.as_bytes(), "x.json").is_err());
        assert_eq!(head(deep.as_bytes()), None);
    }

    /// A small deterministic generator (SplitMix64).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Every value of `v`, depth first, by its path of keys and indexes.
    fn paths(v: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        out.push(at.clone());
        match v {
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    at.push(json!(i));
                    paths(x, at, out);
                    at.pop();
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    at.push(json!(k));
                    paths(x, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }

    fn at_mut<'v>(v: &'v mut Value, path: &[Value]) -> Option<&'v mut Value> {
        let mut cur = v;
        for p in path {
            cur = match p {
                Value::Number(n) => cur.get_mut(n.as_u64()? as usize)?,
                Value::String(k) => cur.get_mut(k.as_str())?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Every value of the real advisories replaced, at random, by a value of another shape (or
    /// a member added or removed): whatever the head vouches for, parse accepts, and they agree.
    #[test]
    fn shape_mutations_of_the_real_advisories_never_fool_the_head() {
        let replacements = [
            json!(null),
            json!(1),
            json!(-2.5),
            json!(true),
            json!(""),
            json!("  s  "),
            json!([]),
            json!({}),
            json!([1]),
            json!(["s"]),
            json!([null]),
            json!([{}]),
            json!({"introduced": 1}),
            json!({"fixed": "1.0"}),
            json!({"type": "SEMVER"}),
            json!({"ecosystem": "npm", "name": "Left-Pad"}),
            json!([{"package": {"ecosystem": "PyPI", "name": "A_b"}}]),
        ];
        let mut rng = Rng(17);
        let (mut vouched, mut refused) = (0, 0);
        for (_, bytes) in real() {
            let v: Value = serde_json::from_slice(&bytes).expect("json");
            let mut all = Vec::new();
            paths(&v, &mut Vec::new(), &mut all);
            for _ in 0..400 {
                let mut m = v.clone();
                for _ in 0..1 + rng.below(2) {
                    let path = &all[rng.below(all.len())];
                    let Some(slot) = at_mut(&mut m, path) else {
                        continue;
                    };
                    let r = replacements[rng.below(replacements.len())].clone();
                    match (rng.below(4), slot) {
                        (0, Value::Object(o)) => {
                            let k = ["id", "package", "name", "events", "type", "x"][rng.below(6)];
                            if o.remove(k).is_none() {
                                o.insert(k.to_string(), r);
                            }
                        }
                        (_, slot) => *slot = r,
                    }
                }
                let b = serde_json::to_vec(&m).expect("json");
                match agree(&b) {
                    Some(_) => vouched += 1,
                    None => refused += 1,
                }
            }
        }
        // Both sides of the contract were exercised.
        assert!(vouched > 1000 && refused > 1000, "{vouched} {refused}");
    }
}
