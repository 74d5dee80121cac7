//! Reading JSON documents with the path of every value at hand, so a wrong shape is reported as
//! `$.components[3].purl: expected a string, found a number` rather than a bare serde message.
//!
//! Documents are parsed into a [`serde_json::Value`] first (one pass), then walked through
//! [`Node`]s that carry their JSONPath. A syntax error has no path from serde_json, so
//! [`path_at`] rebuilds it by scanning the text up to the error position.

use serde_json::Value;

/// A value of the document and where it is.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    /// The value.
    pub value: &'a Value,
    /// Its JSONPath (`$.components[3]["bom-ref"]`).
    pub path: String,
}

/// A value that does not have the shape the format prescribes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// JSONPath of the value.
    pub path: String,
    /// What is wrong (`expected a string, found a number`).
    pub message: String,
}

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// How a JSON value is named in messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `.key`, or `["key"]` when the key is not a plain identifier.
fn key_segment(key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        format!(".{key}")
    } else {
        format!("[{}]", serde_json::to_string(key).unwrap_or_default())
    }
}

impl<'a> Node<'a> {
    /// The document root, `$`.
    pub fn root(value: &'a Value) -> Self {
        Node {
            value,
            path: "$".into(),
        }
    }

    fn child(&self, key: &str, value: &'a Value) -> Node<'a> {
        Node {
            value,
            path: format!("{}{}", self.path, key_segment(key)),
        }
    }

    fn wrong(&self, expected: &str) -> ShapeError {
        ShapeError {
            path: self.path.clone(),
            message: format!("expected {expected}, found {}", kind_of(self.value)),
        }
    }

    /// An error about this value.
    pub fn error(&self, message: impl Into<String>) -> ShapeError {
        ShapeError {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// The member `key` of an object, if this is an object and the member is present and not null.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        match self.value {
            Value::Object(m) => m
                .get(key)
                .filter(|v| !v.is_null())
                .map(|v| self.child(key, v)),
            _ => None,
        }
    }

    /// This value as an object (checked).
    pub fn expect_object(&self) -> Result<(), ShapeError> {
        match self.value {
            Value::Object(_) => Ok(()),
            _ => Err(self.wrong("an object")),
        }
    }

    /// This value as a string.
    pub fn as_str(&self) -> Result<&'a str, ShapeError> {
        match self.value {
            Value::String(s) => Ok(s),
            _ => Err(self.wrong("a string")),
        }
    }

    /// The string member `key`, if present; an error if it is not a string.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, ShapeError> {
        self.get(key).map(|n| n.as_str()).transpose()
    }

    /// The string member `key`, which must be present.
    pub fn req_str(&self, key: &str) -> Result<&'a str, ShapeError> {
        match self.get(key) {
            Some(n) => n.as_str(),
            None => Err(ShapeError {
                path: format!("{}{}", self.path, key_segment(key)),
                message: "missing; the format requires it".into(),
            }),
        }
    }

    /// The elements of this array.
    pub fn items(&self) -> Result<Vec<Node<'a>>, ShapeError> {
        match self.value {
            Value::Array(a) => Ok(a
                .iter()
                .enumerate()
                .map(|(i, v)| Node {
                    value: v,
                    path: format!("{}[{i}]", self.path),
                })
                .collect()),
            _ => Err(self.wrong("an array")),
        }
    }

    /// The elements of the array member `key`; empty when it is absent.
    pub fn opt_items(&self, key: &str) -> Result<Vec<Node<'a>>, ShapeError> {
        self.get(key).map_or(Ok(Vec::new()), |n| n.items())
    }

    /// The strings of the array member `key`; empty when it is absent.
    pub fn opt_strings(&self, key: &str) -> Result<Vec<&'a str>, ShapeError> {
        self.opt_items(key)?.iter().map(|n| n.as_str()).collect()
    }
}

/// The JSONPath of the value being read at 1-based `line` and `column` of `text`, for syntax
/// errors (serde_json gives only the position). Best effort: a document broken before that
/// point still yields the path of the containers open there.
pub fn path_at(text: &str, line: usize, column: usize) -> String {
    #[derive(Debug)]
    enum Frame {
        Object(Option<String>),
        Array(usize),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let (mut l, mut c) = (1usize, 0usize);
    let mut chars = text.chars().peekable();
    // The last string read inside an object, before its `:`, is the key.
    let mut last_string: Option<String> = None;
    let mut expecting_key = false;
    while let Some(ch) = chars.next() {
        if ch == '\n' {
            l += 1;
            c = 0;
        } else {
            c += 1;
        }
        if l > line || (l == line && c >= column) {
            break;
        }
        match ch {
            '{' => {
                stack.push(Frame::Object(None));
                expecting_key = true;
            }
            '[' => {
                stack.push(Frame::Array(0));
                expecting_key = false;
            }
            '}' | ']' => {
                stack.pop();
                expecting_key = false;
            }
            ',' => match stack.last_mut() {
                Some(Frame::Array(i)) => *i += 1,
                Some(Frame::Object(k)) => {
                    *k = None;
                    expecting_key = true;
                }
                None => {}
            },
            ':' => {
                if let Some(Frame::Object(k)) = stack.last_mut() {
                    *k = last_string.take();
                }
                expecting_key = false;
            }
            '"' => {
                let mut s = String::new();
                let mut escaped = false;
                for ch in chars.by_ref() {
                    if ch == '\n' {
                        l += 1;
                        c = 0;
                    } else {
                        c += 1;
                    }
                    if escaped {
                        s.push(ch);
                        escaped = false;
                    } else if ch == '\\' {
                        escaped = true;
                    } else if ch == '"' {
                        break;
                    } else {
                        s.push(ch);
                    }
                }
                if expecting_key {
                    last_string = Some(s);
                }
            }
            _ => {}
        }
    }
    let mut path = String::from("$");
    for f in &stack {
        match f {
            Frame::Object(Some(k)) => path.push_str(&key_segment(k)),
            Frame::Object(None) => {}
            Frame::Array(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_shape_errors() {
        let v: Value =
            serde_json::from_str(r#"{"components":[{"bom-ref":"a","purl":3}]}"#).expect("json");
        let root = Node::root(&v);
        let comps = root.opt_items("components").expect("array");
        assert_eq!(comps[0].opt_str("bom-ref").expect("str"), Some("a"));
        let e = comps[0].opt_str("purl").expect_err("number");
        assert_eq!(
            e.to_string(),
            "$.components[0].purl: expected a string, found a number"
        );
        let e = comps[0].req_str("name").expect_err("missing");
        assert_eq!(e.path, "$.components[0].name");
        assert_eq!(
            comps[0].get("bom-ref").map(|n| n.path),
            Some("$.components[0][\"bom-ref\"]".to_string())
        );
    }

    #[test]
    fn path_of_a_syntax_error() {
        let text = "{\n  \"components\": [\n    {\"name\": \"a\"},\n    {\"name\": \"b\", \"purl\": tru}\n  ]\n}\n";
        let e = serde_json::from_str::<Value>(text).expect_err("broken");
        assert_eq!(path_at(text, e.line(), e.column()), "$.components[1].purl");
    }
}
