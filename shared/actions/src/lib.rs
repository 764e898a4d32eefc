//! The action catalog: every Okta action a rule step can name, with typed parameters.
//!
//! One list serves three readers: the rules checker (unknown actions, missing or
//! mistyped parameters are errors at `rules check` and cold start), the router (which
//! family queue a step goes to, which users and groups it touches, whether it counts
//! against a rule's destructive cap) and the executors (which call to make).
//!
//! ```
//! let spec = actions::find("user.suspend").unwrap();
//! assert_eq!(spec.family, actions::Family::Users);
//! assert!(spec.destructive);
//! let params = serde_json::json!({ "user": "00u1" });
//! assert!(spec.validate(params.as_object().unwrap()).is_ok());
//! ```

mod admin_role;
mod catalog;
mod error;
mod family;
mod page;
mod param;
mod schema;
mod status;
mod suggest;

use serde_json::{Map, Value};

pub use admin_role::AdminRole;
pub use error::{ParamError, json_kind};
pub use family::Family;
pub use page::markdown;
pub use param::{ParamRole, ParamSpec, ParamType, ValueCheck};
pub use schema::{REQUEST_SCHEMA_ID, param_type_schema, request_schema, request_schema_text};
pub use status::{StatusRule, is_secret_output, without_secret_outputs};
pub use suggest::{closest, closest_action, edit_distance, unknown_action_message};

/// One action of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    /// The dotted name a rule step gives as `action:` (`user.suspend`).
    pub name: &'static str,
    /// The executor family (and so the queue) that runs it.
    pub family: Family,
    /// One line for `okta-hooks actions list`.
    pub summary: &'static str,
    /// The Okta OAuth 2.0 scope the executor's credential needs for it, or a text in
    /// parentheses when there is no one scope ([`ActionSpec::oauth_scope`]).
    pub scope: &'static str,
    /// The least-privileged Okta standard admin role that can perform it (an API
    /// Services app needs the role as well as the scope; an SSWS token has its
    /// creator's roles). [`AdminRole::None`] exactly for actions that call no Okta API.
    pub admin_role: AdminRole,
    /// Its parameters.
    pub params: &'static [ParamSpec],
    /// Counts against a rule's `max_destructive_per_hour` (lifecycle downgrades,
    /// removals, deletions, session and credential resets).
    pub destructive: bool,
    /// Only reads: such a step touches no user or group (protected ones may be read).
    pub read_only: bool,
    /// Fields of the answer that later steps may use as `steps.<name>.<field>`.
    pub outputs: &'static [&'static str],
}

impl ActionSpec {
    /// The parameter named `name`.
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Checks one parameter value against its spec (its name must be known): its JSON
    /// type, then its [`ValueCheck`].
    pub fn check_param(&self, name: &str, value: &Value) -> Result<(), ParamError> {
        let spec = self.param(name).ok_or_else(|| ParamError::Unknown {
            action: self.name,
            param: name.to_owned(),
            known: self.param_names(),
        })?;
        if !spec.ty.accepts(value) {
            return Err(ParamError::WrongType {
                action: self.name,
                param: spec.name,
                expected: spec.ty,
                got: json_kind(value),
            });
        }
        match spec.check.problem(value) {
            None => Ok(()),
            Some(problem) => Err(ParamError::NotAllowed {
                action: self.name,
                param: spec.name,
                problem,
            }),
        }
    }

    /// Required parameters absent from `present`.
    pub fn missing<'a>(
        &'a self,
        present: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = ParamError> + 'a {
        self.params
            .iter()
            .filter(move |p| p.required && !present(p.name))
            .map(|p| ParamError::Missing {
                action: self.name,
                param: p.name,
                ty: p.ty,
            })
    }

    /// Checks a complete set of rendered parameters: every required one present, none
    /// unknown, each of its type. Returns the first problem.
    pub fn validate(&self, params: &Map<String, Value>) -> Result<(), ParamError> {
        if let Some(missing) = self.missing(|name| params.contains_key(name)).next() {
            return Err(missing);
        }
        params
            .iter()
            .try_for_each(|(name, value)| self.check_param(name, value))
    }

    /// A rule step using this action with its required parameters, as YAML (for
    /// `okta-hooks actions show`). Users come from the event's first `User` target.
    pub fn example_step(&self) -> String {
        let mut out = format!("- action: {}\n", self.name);
        for p in self.params.iter().filter(|p| p.required) {
            let value = match (p.check, p.role, p.ty) {
                (ValueCheck::OneOf([first, ..]), _, _) => first,
                (_, ParamRole::UserRef, _) => "${ target(\"User\").id }",
                (_, ParamRole::GroupRef, _) => "00g1example0000000x7",
                (_, ParamRole::AppRef, _) => "0oa1example0000000x7",
                (_, _, ParamType::String) => "example",
                (_, _, ParamType::Bool) => "true",
                (_, _, ParamType::Integer) => "10",
                (_, _, ParamType::StringList) => "[user.lifecycle.create]",
                (_, _, ParamType::Object) => "{ example: value }",
                (_, _, ParamType::Any) => "{ text: \"${ event.displayMessage }\" }",
            };
            out.push_str(&format!("  {}: {value}\n", p.name));
        }
        out
    }

    /// The one OAuth scope its Okta call needs; `None` when it calls no Okta API
    /// (`notify`) or when the scope depends on the request ([`ActionSpec::scope_depends_on_path`]).
    pub fn oauth_scope(&self) -> Option<&'static str> {
        (self.scope != catalog::SCOPE_BY_PATH && self.scope != catalog::SCOPE_NONE)
            .then_some(self.scope)
    }

    /// Whether the scope (and the role) it needs depend on the path a rule gives
    /// (`okta.request`): no catalog entry can say, so `okta-hooks scopes` flags it.
    pub fn scope_depends_on_path(&self) -> bool {
        self.scope == catalog::SCOPE_BY_PATH
    }

    /// Its parameters whose value names one of the org's named secrets.
    pub fn secret_name_params(&self) -> impl Iterator<Item = &'static ParamSpec> {
        self.params.iter().filter(|p| p.names_secret)
    }

    /// Whether a step of it reads one of the org's named secrets (it has a parameter
    /// naming one, given or not: the executor must be able to read them).
    pub fn reads_named_secrets(&self) -> bool {
        self.secret_name_params().next().is_some()
    }

    /// `user, oauth_tokens, forget_devices` — for messages.
    pub fn param_names(&self) -> String {
        let names: Vec<&str> = self.params.iter().map(|p| p.name).collect();
        if names.is_empty() {
            "no parameters".to_owned()
        } else {
            names.join(", ")
        }
    }
}

/// Every action, grouped by family.
pub fn catalog() -> &'static [ActionSpec] {
    catalog::CATALOG
}

/// The action named `name`.
pub fn find(name: &str) -> Option<&'static ActionSpec> {
    catalog::CATALOG.iter().find(|a| a.name == name)
}

/// Checks `params` against the action named `action`.
pub fn validate_params(action: &str, params: &Map<String, Value>) -> Result<(), ValidateError> {
    let spec = find(action).ok_or_else(|| ValidateError::UnknownAction(action.to_owned()))?;
    spec.validate(params).map_err(ValidateError::Param)
}

/// Why [`validate_params`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidateError {
    /// No such action in the catalog.
    #[error("unknown action `{0}`")]
    UnknownAction(String),
    /// A parameter problem.
    #[error(transparent)]
    Param(#[from] ParamError),
}

#[cfg(test)]
mod tests;
