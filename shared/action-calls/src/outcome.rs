//! A successful action: its output for later steps, and the Okta request ids to log.

use std::fmt;

use okta_client::ResponseMeta;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ExecError;

/// What a successful action produced.
#[derive(Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The fields named by the catalog's `outputs` for the action (those Okta sent), as
    /// an object, so later steps can read `steps.<name>.<field>`. Lists are
    /// `{"items": [...], "count": n}`. `{}` for actions without outputs and for
    /// [`Outcome::already_in_state`].
    pub output: Value,
    /// The `X-Okta-Request-Id` of every Okta response, in order (several for two-call
    /// actions such as `user.delete`).
    pub request_ids: Vec<String>,
    /// Okta said the target was already in the requested state (`E0000038`,
    /// `E0000016`); the action counts as done but `output` is empty.
    pub already_in_state: bool,
}

impl Outcome {
    /// An outcome with no output yet.
    pub(crate) fn new() -> Self {
        Outcome {
            output: Value::Object(Map::new()),
            request_ids: Vec::new(),
            already_in_state: false,
        }
    }

    /// Records a response's request id.
    pub(crate) fn saw(&mut self, meta: &ResponseMeta) {
        if let Some(id) = &meta.request_id {
            self.request_ids.push(id.clone());
        }
    }

    /// Sets the output to the `fields` of `value` (serialised to JSON).
    pub(crate) fn output_fields<T: Serialize>(
        mut self,
        action: &'static str,
        value: &T,
        fields: &[&str],
    ) -> Result<Self, ExecError> {
        self.output = project(to_json(action, value)?, fields);
        Ok(self)
    }

    /// Sets the output to `{"items": [...], "count": n}`.
    pub(crate) fn output_items(mut self, items: Vec<Value>) -> Self {
        let count = items.len();
        let mut map = Map::new();
        map.insert("items".into(), Value::Array(items));
        map.insert("count".into(), Value::from(count));
        self.output = Value::Object(map);
        self
    }

    /// Sets the output to an object built by the handler.
    pub(crate) fn output(mut self, output: Map<String, Value>) -> Self {
        self.output = Value::Object(output);
        self
    }
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outcome")
            .field("output", &Redacted(&self.output))
            .field("request_ids", &self.request_ids)
            .field("already_in_state", &self.already_in_state)
            .finish()
    }
}

/// The output with sensitive fields' values replaced.
struct Redacted<'a>(&'a Value);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Object(map) => {
                let mut m = f.debug_map();
                for (k, v) in map {
                    if actions::is_secret_output(k) {
                        m.entry(k, &"[REDACTED]");
                    } else {
                        m.entry(k, &Redacted(v));
                    }
                }
                m.finish()
            }
            Value::Array(items) => f.debug_list().entries(items.iter().map(Redacted)).finish(),
            other => write!(f, "{other}"),
        }
    }
}

/// `value` serialised to JSON.
pub(crate) fn to_json<T: Serialize>(action: &'static str, value: &T) -> Result<Value, ExecError> {
    serde_json::to_value(value).map_err(|e| ExecError::Output {
        action,
        message: format!("answer not representable as JSON: {e}"),
    })
}

/// The named fields of an object (those present); `{}` for anything else.
pub(crate) fn project(value: Value, fields: &[&str]) -> Value {
    let Value::Object(mut map) = value else {
        return Value::Object(Map::new());
    };
    let kept: Map<String, Value> = fields
        .iter()
        .filter_map(|f| map.remove(*f).map(|v| ((*f).to_owned(), v)))
        .collect();
    Value::Object(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn projection_keeps_named_fields_only() {
        let v = json!({"id": "00u1", "status": "ACTIVE", "_links": {}, "extra": 1});
        assert_eq!(
            project(v, &["id", "status", "missing"]),
            json!({"id": "00u1", "status": "ACTIVE"})
        );
        assert_eq!(project(json!([1, 2]), &["id"]), json!({}));
    }

    #[test]
    fn debug_hides_temporary_passwords_and_links() {
        let mut o = Outcome::new();
        o.output = json!({"tempPassword": "F46gy7X4", "items": [{"activationToken": "tok123"}]});
        let text = format!("{o:?}");
        assert!(!text.contains("F46gy7X4"), "{text}");
        assert!(!text.contains("tok123"), "{text}");
        assert!(text.contains("REDACTED"), "{text}");
    }
}
