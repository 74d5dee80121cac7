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

/// One JSON Schema for the front-matter of every record type: `type` must name a type, and the
/// schema of that type (in `$defs`) applies, through one `if`/`then` per type on `type`'s
/// value. A front-matter without `type`, or with a type the schema does not know, is invalid.
pub fn record_schema(schema: &Schema, project: Option<&str>) -> Value {
    let mut defs = Map::new();
    let mut dispatch = Vec::new();
    for t in schema.types.values() {
        let mut one = json_schema(schema, t);
        if let Some(obj) = one.as_object_mut() {
            // Sub-schemas share the root's dialect and base URI.
            obj.remove("$schema");
            obj.remove("$id");
        }
        defs.insert(t.name.clone(), one);
        dispatch.push(json!({
            "if": { "properties": { "type": { "const": t.name } }, "required": ["type"] },
            "then": { "$ref": format!("#/$defs/{}", pointer_escape(&t.name)) },
        }));
    }
    let names: Vec<&str> = schema.types.keys().map(String::as_str).collect();
    let title = match project {
        Some(p) => format!("ddf record front-matter ({p})"),
        None => "ddf record front-matter".to_string(),
    };
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "ddf:record",
        "title": title,
        "description": "The YAML front-matter of a ddf record; `type` selects the record type's schema. Generated by `ddf schema --json-schema`.",
        "type": "object",
        "required": ["type"],
        "properties": { "type": { "enum": names } },
        "allOf": dispatch,
        "$defs": defs,
    })
}

/// `s` as one token of a JSON Pointer (RFC 6901): `~` and `/` escaped. Type names are
/// checked to be lowercase letters, digits and `-`; this keeps any other name a valid pointer.
fn pointer_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_schema_dispatches_on_type() {
        let s = Schema::builtin().expect("schema");
        let all = record_schema(&s, Some("Pump"));
        assert_eq!(
            all["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(all["required"], json!(["type"]));
        let rules = all["allOf"].as_array().expect("allOf");
        assert_eq!(rules.len(), s.types.len());
        assert_eq!(rules[0]["if"]["properties"]["type"]["const"], "user-need");
        assert_eq!(rules[0]["then"]["$ref"], "#/$defs/user-need");
        let un = &all["$defs"]["user-need"];
        assert!(un.get("$id").is_none() && un.get("$schema").is_none());
        assert_eq!(un["properties"]["type"]["const"], "user-need");
    }

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
