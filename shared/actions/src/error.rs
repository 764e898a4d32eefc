//! Why a set of parameters does not fit an action.

use crate::ParamType;

/// A parameter problem; each names the parameter so a rule author can find it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A required parameter is absent.
    #[error("missing parameter `{param}` ({ty}) of {action}")]
    Missing {
        /// The action's catalog name.
        action: &'static str,
        /// The parameter's name.
        param: &'static str,
        /// The type it would have.
        ty: ParamType,
    },
    /// A parameter the action does not take.
    #[error("unknown parameter `{param}` of {action} (it takes: {known})")]
    Unknown {
        /// The action's catalog name.
        action: &'static str,
        /// The name given.
        param: String,
        /// The parameters the action takes, comma-separated.
        known: String,
    },
    /// A value of the wrong JSON type.
    #[error("parameter `{param}` of {action} must be {expected}, got {got}")]
    WrongType {
        /// The action's catalog name.
        action: &'static str,
        /// The parameter's name.
        param: &'static str,
        /// The type the catalog gives it.
        expected: ParamType,
        /// The kind of JSON value given ([`json_kind`]).
        got: &'static str,
    },
    /// A value of the right type that Okta would refuse (not one of an enum's values,
    /// too long, a character its pattern refuses).
    #[error("parameter `{param}` of {action} {problem}")]
    NotAllowed {
        /// The action's catalog name.
        action: &'static str,
        /// The parameter's name.
        param: &'static str,
        /// What is wrong, as [`crate::ValueCheck::problem`] says it.
        problem: String,
    },
}

/// A JSON value's kind, for messages.
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(n) if n.is_f64() => "number with a fraction",
        serde_json::Value::Number(_) => "integer",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "list",
        serde_json::Value::Object(_) => "object",
    }
}
