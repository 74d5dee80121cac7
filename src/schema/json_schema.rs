//! JSON Schema (draft 2020-12) for a record type's front-matter, so an editor with a YAML
//! language server validates records while people type.

use super::{FieldDef, FieldKind, Schema, TypeDef};
use serde_json::{json, Map, Value};

const ID_PATTERN: &str = "^[A-Z]+-[0-9]{3,}$";

fn field_schema(schema: &Schema, f: &FieldDef) -> Value {
    let mut s = match f.kind {
        FieldKind::String => json!({ "type": ["string", "number", "boolean"] }),
        FieldKind::Text => json!({ "type": "string" }),
        FieldKind::Enum => json!({ "enum": f.values }),
        FieldKind::Enums => json!({
            "anyOf": [ { "enum": f.values }, { "type": "array", "items": { "enum": f.values } } ]
        }),
        FieldKind::Bool => json!({ "type": "boolean" }),
        FieldKind::Number => json!({ "type": "number" }),
        FieldKind::Date => json!({ "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" }),
        FieldKind::DateOrUnknown => {
            json!({ "type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2}|unknown)$" })
        }
        FieldKind::Level => {
            let letter = f.scale.map_or('S', |s| s.letter());
            json!({ "type": "string", "pattern": format!("^{letter}[1-9]$") })
        }
        FieldKind::List => {
            let mut item = json!({ "type": ["string", "number"] });
            if let Some(p) = &f.pattern {
                item = json!({ "type": "string", "pattern": p });
            }
            json!({ "type": "array", "items": item })
        }
        FieldKind::Map => json!({ "type": "object" }),
        FieldKind::Maps => json!({ "type": "array", "items": { "type": "object" } }),
        FieldKind::Any => json!({}),
        FieldKind::Link | FieldKind::Ref => {
            let id = id_schema(schema, &f.targets);
            if f.kind == FieldKind::Ref {
                id
            } else {
                json!({ "anyOf": [ id.clone(), { "type": "array", "items": id } ] })
            }
        }
    };
    if let (Some(doc), Some(obj)) = (&f.doc, s.as_object_mut()) {
        obj.insert("description".into(), json!(doc));
    }
    if f.kind == FieldKind::String {
        if let (Some(p), Some(obj)) = (&f.pattern, s.as_object_mut()) {
            obj.insert("pattern".into(), json!(p));
        }
    }
    s
}

fn id_schema(schema: &Schema, targets: &[String]) -> Value {
    if targets.iter().any(|t| t == "*") {
        return json!({ "type": "string", "pattern": ID_PATTERN });
    }
    let alts: Vec<&str> = targets
        .iter()
        .filter(|t| schema.by_prefix(t).is_some())
        .map(String::as_str)
        .collect();
    json!({ "type": "string", "pattern": format!("^({})-[0-9]{{3,}}$", alts.join("|")) })
}

/// The JSON Schema of one type's front-matter.
pub fn json_schema(schema: &Schema, t: &TypeDef) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    // Fields required only in some statuses: one `if status is one of ... then required` each.
    let mut conditional = Vec::new();
    for f in t.fields.values() {
        let mut fs = field_schema(schema, f);
        if f.name == "id" {
            fs = json!({ "type": "string", "pattern": format!("^{}-[0-9]{{3,}}$", t.prefix),
                         "description": f.doc });
        }
        if f.name == "type" {
            fs = json!({ "const": t.name });
        }
        props.insert(f.name.clone(), fs);
        // The body may stand in for the main text field, so it is not required in front-matter.
        if f.required && t.body.as_deref() != Some(f.name.as_str()) {
            required.push(f.name.clone());
        } else if !f.required && !f.required_in.is_empty() {
            conditional.push(json!({
                "if": { "properties": { "status": { "enum": f.required_in } }, "required": ["status"] },
                "then": { "required": [f.name] },
            }));
        }
    }
    let mut out = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("ddf:{}", t.name),
        "title": format!("{} ({})", t.name, t.prefix),
        "description": format!("{} {}", t.doc, t.clause).trim().to_string(),
        "type": "object",
        "properties": props,
        "required": required,
    });
    if !conditional.is_empty() {
        if let Some(obj) = out.as_object_mut() {
            obj.insert("allOf".into(), Value::Array(conditional));
        }
    }
    if !t.allow_unknown {
        if let Some(obj) = out.as_object_mut() {
            obj.insert("additionalProperties".into(), json!(false));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_input_schema() {
        let s = Schema::builtin().expect("schema");
        let di = s.get("design-input").expect("DI");
        let js = json_schema(&s, di);
        assert_eq!(js["properties"]["type"]["const"], "design-input");
        assert_eq!(js["properties"]["id"]["pattern"], "^DI-[0-9]{3,}$");
        let req: Vec<&str> = js["required"]
            .as_array()
            .expect("array")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(req.contains(&"category"));
        assert!(
            !req.contains(&"statement"),
            "the body may stand in for statement"
        );
        let link = &js["properties"]["traces_to"]["anyOf"][0]["pattern"];
        assert_eq!(link, "^(UN|DI)-[0-9]{3,}$");
        assert_eq!(js["additionalProperties"], false);
    }

    #[test]
    fn fields_required_in_a_status_are_conditional() {
        let s = Schema::builtin().expect("schema");
        let capa = json_schema(&s, s.get("capa").expect("CAPA"));
        let req = capa["required"].as_array().expect("array");
        assert!(!req.iter().any(|r| r == "closed_by"));
        let rule = capa["allOf"]
            .as_array()
            .expect("allOf")
            .iter()
            .find(|r| r["then"]["required"][0] == "closed_by")
            .expect("closed_by rule");
        assert_eq!(rule["if"]["properties"]["status"]["enum"][0], "closed");
    }
}
