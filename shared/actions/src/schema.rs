//! The JSON Schema (draft 2020-12) of an action request, generated from the catalog:
//! `okta-hooks actions schema` prints it and `docs/action-request.schema.json` is that
//! output, committed (a test fails when it is not current).
//!
//! A request is one of two forms, plus the common fields (`org`, `request_id`,
//! `requested_by`, `reason`, `dry_run`, `reply_to`):
//! - one action: `{"action": "user.suspend", "params": {"user": "00u…"}}` — one `oneOf`
//!   branch per action, its `params` typed from [`ParamType`], required per the catalog,
//!   no other parameter;
//! - a short plan in the rules' step syntax: `{"steps": [{"action": …, "name"?: …,
//!   <parameters>…}], "on_failure"?: [...]}` — each step's parameters sit beside
//!   `action` (so the schema names the action and leaves the parameters to the intake,
//!   which checks them as the rules loader does).
//!
//! `unevaluatedProperties: false` at the top: any key neither the common fields nor the
//! chosen form name is refused, as the intake refuses it.

use serde_json::{Map, Value, json};

use crate::{ActionSpec, ParamType, catalog::CATALOG};

/// The schema's `$id`: where the committed copy lives in the repository.
pub const REQUEST_SCHEMA_ID: &str =
    "https://github.com/okta-hooks/okta-hooks/blob/main/docs/action-request.schema.json";

/// The keys a step of the rules' step syntax has besides its parameters.
const STEP_KEYS: &[(&str, &str)] = &[
    ("action", "The catalog action the step runs."),
    (
        "name",
        "The step's name, for later steps' `${ steps.<name>.<field> }`.",
    ),
    (
        "for_each",
        "An expression giving a list: the step runs once per item (`${ item }`).",
    ),
];

/// The JSON Schema of one parameter type.
pub fn param_type_schema(ty: ParamType) -> Value {
    match ty {
        ParamType::String => json!({"type": "string"}),
        ParamType::Bool => json!({"type": "boolean"}),
        ParamType::Integer => json!({"type": "integer"}),
        ParamType::StringList => json!({"type": "array", "items": {"type": "string"}}),
        ParamType::Object => json!({"type": "object"}),
        ParamType::Any => json!({}),
    }
}

/// The `oneOf` branch of one action's single-action form.
fn action_branch(spec: &ActionSpec) -> Value {
    let mut properties = Map::new();
    for p in spec.params {
        let mut schema = param_type_schema(p.ty);
        if let Value::Object(map) = &mut schema {
            map.extend(p.check.schema_keywords());
            let mut description = format!("{} ({})", p.type_text(), p.default_text());
            if p.names_secret {
                description.push_str("; the name of one of the org's named secrets");
            }
            map.insert("description".into(), Value::String(description));
        }
        properties.insert(p.name.to_owned(), schema);
    }
    let required: Vec<&str> = spec
        .params
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name)
        .collect();
    let mut params = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        params["required"] = json!(required);
    }
    let mut branch_required = vec!["action"];
    if !required.is_empty() {
        branch_required.push("params");
    }
    json!({
        "title": spec.name,
        "description": spec.summary,
        "required": branch_required,
        "properties": {
            "action": {"const": spec.name},
            "params": params,
        },
    })
}

/// One step of the `steps` form (`$defs/step`).
fn step_schema() -> Value {
    let names: Vec<&str> = CATALOG.iter().map(|spec| spec.name).collect();
    let mut properties = Map::new();
    for (key, description) in STEP_KEYS {
        let schema = match *key {
            "action" => json!({"enum": names, "description": description}),
            _ => json!({"type": "string", "minLength": 1, "description": description}),
        };
        properties.insert((*key).to_owned(), schema);
    }
    json!({
        "type": "object",
        "description": "A step in the rules' step syntax: `action`, optional `name` and \
                        `for_each`, and the action's parameters beside them (values; \
                        `${…}` may read only steps.<name>.<field>, failure and item).",
        "required": ["action"],
        "properties": properties,
    })
}

/// The `steps` form's branch.
fn steps_branch() -> Value {
    json!({
        "title": "steps",
        "description": "A short plan: steps run in order; on_failure runs when one fails for good.",
        "required": ["steps"],
        "properties": {
            "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}},
            "on_failure": {"type": "array", "items": {"$ref": "#/$defs/step"}},
        },
    })
}

/// The whole schema, deterministic (catalog order, sorted keys), as `okta-hooks actions
/// schema` prints it.
pub fn request_schema() -> Value {
    let mut branches: Vec<Value> = CATALOG.iter().map(action_branch).collect();
    branches.push(steps_branch());
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": REQUEST_SCHEMA_ID,
        "title": "okta-hooks action request",
        "description": "A message on the stack's ActionRequestsQueue: one catalog action with \
                        its params, or a short plan of steps. Generated from the action \
                        catalog by `okta-hooks actions schema`; do not edit by hand.",
        "type": "object",
        "properties": {
            "org": {
                "type": "string",
                "pattern": "^[A-Za-z0-9_-]{1,64}$",
                "description": "The org to act on (one the stack serves); default: the stack's OrgName.",
            },
            "request_id": {
                "type": "string",
                "minLength": 1,
                "description": "Makes the request idempotent (the same id twice runs once); default: the SQS MessageId.",
            },
            "requested_by": {
                "type": "string",
                "description": "Who asked, in free text (audit); the hourly cap counts the SQS SenderId instead.",
            },
            "reason": {"type": "string", "description": "Why (audit, and the result)."},
            "dry_run": {
                "type": "boolean",
                "description": "Record and report each write instead of sending it.",
            },
            "reply_to": {
                "type": "string",
                "format": "uri",
                "description": "An SQS queue URL (its name matching the stack's ReplyQueuePattern) that gets the Action Result body.",
            },
        },
        "oneOf": branches,
        "unevaluatedProperties": false,
        "$defs": {"step": step_schema()},
    })
}

/// [`request_schema`] as the committed file holds it: pretty JSON and a final newline.
pub fn request_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&request_schema()).unwrap_or_default();
    text.push('\n');
    text
}
