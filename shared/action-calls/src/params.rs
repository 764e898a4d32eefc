//! Typed reads of an action's rendered parameters.
//!
//! The catalog has already checked every parameter's JSON type when a handler runs;
//! these readers still return errors rather than panic, so a catalog/handler mismatch
//! is a permanent error naming the parameter, never a crash. Messages never quote a
//! value: some parameters are passwords.

use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::error::ExecError;

/// The rendered parameters of one action.
#[derive(Clone, Copy)]
pub(crate) struct Params<'a> {
    pub action: &'static str,
    map: &'a Map<String, Value>,
}

impl<'a> Params<'a> {
    pub fn new(action: &'static str, map: &'a Map<String, Value>) -> Self {
        Params { action, map }
    }

    /// A parameter problem of this action.
    pub fn bad(&self, message: impl Into<String>) -> ExecError {
        ExecError::BadParam {
            action: self.action,
            message: message.into(),
        }
    }

    fn wrong(&self, name: &str, expected: &str) -> ExecError {
        self.bad(format!("parameter `{name}` must be {expected}"))
    }

    /// A present parameter, or `None` when absent.
    pub fn value(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name)
    }

    /// A required string.
    pub fn str(&self, name: &str) -> Result<&'a str, ExecError> {
        self.opt_str(name)?
            .ok_or_else(|| self.bad(format!("parameter `{name}` is required")))
    }

    /// A required string that must not be empty (ids that go into a path).
    pub fn id(&self, name: &str) -> Result<&'a str, ExecError> {
        let s = self.str(name)?;
        if s.trim().is_empty() {
            return Err(self.bad(format!("parameter `{name}` is empty")));
        }
        Ok(s)
    }

    /// A required secret string (a password), wrapped at once.
    pub fn secret(&self, name: &str) -> Result<SecretString, ExecError> {
        Ok(SecretString::from(self.str(name)?))
    }

    /// An optional string.
    pub fn opt_str(&self, name: &str) -> Result<Option<&'a str>, ExecError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.wrong(name, "a string")),
        }
    }

    /// An optional string, owned.
    pub fn opt_string(&self, name: &str) -> Result<Option<String>, ExecError> {
        Ok(self.opt_str(name)?.map(str::to_owned))
    }

    /// An optional boolean.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ExecError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.wrong(name, "true or false")),
        }
    }

    /// An optional whole number that Okta takes as a 32-bit integer.
    pub fn opt_i32(&self, name: &str) -> Result<Option<i32>, ExecError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.wrong(name, "a whole number that fits 32 bits")),
        }
    }

    /// `limit`: at least 1.
    pub fn limit(&self) -> Result<Option<i32>, ExecError> {
        match self.opt_i32("limit")? {
            Some(n) if n < 1 => Err(self.bad("parameter `limit` must be at least 1")),
            other => Ok(other),
        }
    }

    /// An optional object.
    pub fn opt_object(&self, name: &str) -> Result<Option<&'a Map<String, Value>>, ExecError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(self.wrong(name, "an object")),
        }
    }

    /// An optional list of strings.
    pub fn opt_strings(&self, name: &str) -> Result<Option<Vec<String>>, ExecError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| self.wrong(name, "a list of strings")),
            Some(_) => Err(self.wrong(name, "a list of strings")),
        }
    }

    /// A required list of strings.
    pub fn strings(&self, name: &str) -> Result<Vec<String>, ExecError> {
        self.opt_strings(name)?
            .ok_or_else(|| self.bad(format!("parameter `{name}` is required")))
    }

    /// `sort_order` of users and groups: `asc` or `desc`.
    pub fn sort_order(&self) -> Result<Option<okta_client::endpoints::SortOrder>, ExecError> {
        use okta_client::endpoints::SortOrder;
        match self.opt_str("sort_order")? {
            None => Ok(None),
            Some(s) if s.eq_ignore_ascii_case("asc") => Ok(Some(SortOrder::Asc)),
            Some(s) if s.eq_ignore_ascii_case("desc") => Ok(Some(SortOrder::Desc)),
            Some(_) => Err(self.bad("parameter `sort_order` must be `asc` or `desc`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn typed_reads_and_their_errors_name_the_parameter_not_the_value() {
        let m = params(json!({"user": "00u1", "limit": 0, "flag": "yes", "password": 5}));
        let p = Params::new("user.get", &m);
        assert_eq!(p.str("user").unwrap(), "00u1");
        assert!(p.limit().unwrap_err().to_string().contains("limit"));
        let e = p.opt_bool("flag").unwrap_err().to_string();
        assert!(e.contains("flag") && !e.contains("yes"), "{e}");
        assert!(p.str("missing").is_err());
        assert!(p.secret("password").is_err());
        let big = params(json!({"limit": 5_000_000_000_i64}));
        assert!(Params::new("user.search", &big).limit().is_err());
    }

    #[test]
    fn empty_ids_are_refused_before_any_request() {
        let m = params(json!({"user": "  "}));
        assert!(Params::new("user.get", &m).id("user").is_err());
    }
}
