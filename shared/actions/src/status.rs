//! What a user-lifecycle action needs and what it leads to, and which outputs are secret.
//!
//! Okta answers `403 E0000038` ("not allowed in the user's current status") and
//! `E0000016` ("already active") both when the user is *already* where the action leads
//! and when the user's status does not allow the action at all: a `LOCKED_OUT` user
//! cannot be suspended. Only the user's status, read after the error, tells the two
//! apart, so the executors need each action's target statuses: the step is done when
//! the user is in one of them, and a permanent failure naming the status otherwise.

use crate::ActionSpec;

/// The statuses a lifecycle action starts from and ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRule {
    /// Statuses Okta allows the action from (for the failure message).
    pub needs: &'static [&'static str],
    /// Statuses in which the action's purpose is met: a refused call on a user in one of
    /// them means "already done".
    pub done_when: &'static [&'static str],
}

impl StatusRule {
    /// The action's purpose is met for a user in `status` (or transitioning to it).
    pub fn is_done(&self, status: &str) -> bool {
        self.done_when.contains(&status)
    }
}

/// Every status but DEPROVISIONED.
const NOT_DEPROVISIONED: &[&str] = &[
    "STAGED",
    "PROVISIONED",
    "ACTIVE",
    "RECOVERY",
    "LOCKED_OUT",
    "PASSWORD_EXPIRED",
    "SUSPENDED",
];

/// Lifecycle actions and their statuses (Okta's user lifecycle, NOTES §4). Actions not
/// listed here never count a refusal as done: `user.password.expire_with_temp` on an
/// already expired user, say, would hand no temporary password to the next step.
const STATUS_RULES: &[(&str, StatusRule)] = &[
    (
        "user.activate",
        StatusRule {
            needs: &["STAGED", "DEPROVISIONED"],
            done_when: &["ACTIVE", "PROVISIONED"],
        },
    ),
    (
        "user.reactivate",
        StatusRule {
            needs: &["PROVISIONED", "RECOVERY"],
            done_when: &["ACTIVE"],
        },
    ),
    (
        "user.deactivate",
        StatusRule {
            needs: NOT_DEPROVISIONED,
            done_when: &["DEPROVISIONED"],
        },
    ),
    (
        "user.suspend",
        StatusRule {
            needs: &["ACTIVE"],
            done_when: &["SUSPENDED"],
        },
    ),
    (
        "user.unsuspend",
        StatusRule {
            needs: &["SUSPENDED"],
            done_when: &["ACTIVE"],
        },
    ),
    (
        "user.unlock",
        StatusRule {
            needs: &["LOCKED_OUT"],
            done_when: &["ACTIVE"],
        },
    ),
    (
        "user.password.expire",
        StatusRule {
            needs: &["ACTIVE"],
            done_when: &["PASSWORD_EXPIRED"],
        },
    ),
];

/// Output fields that are credentials or one-time links: they may reach a later step
/// that names them, but never a log line, a DLQ letter, a stored record or a queue in
/// clear.
const SECRET_OUTPUTS: &[&str] = &[
    "tempPassword",
    "resetPasswordUrl",
    "activationUrl",
    "activationToken",
    "password",
    "_embedded",
];

impl ActionSpec {
    /// The lifecycle statuses of this action, when it is a user-lifecycle transition.
    pub fn status_rule(&self) -> Option<StatusRule> {
        STATUS_RULES
            .iter()
            .find(|(name, _)| *name == self.name)
            .map(|(_, rule)| *rule)
    }

    /// The outputs of this action that are secret (see [`is_secret_output`]).
    pub fn secret_outputs(&self) -> impl Iterator<Item = &'static str> {
        self.outputs.iter().copied().filter(|o| is_secret_output(o))
    }
}

/// `field` of an action's output is a credential or a one-time link.
pub fn is_secret_output(field: &str) -> bool {
    SECRET_OUTPUTS.contains(&field)
}

/// `output` without its secret fields ([`is_secret_output`]), at any depth, whatever
/// they hold (a value in clear or a sealed one): what a result or a summary may show.
pub fn without_secret_outputs(output: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match output {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .filter(|(field, _)| !is_secret_output(field))
                .map(|(field, value)| (field, without_secret_outputs(value)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(without_secret_outputs).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use crate::{catalog, find};

    #[test]
    fn every_status_rule_names_a_catalog_action_that_takes_a_user() {
        for (name, rule) in super::STATUS_RULES {
            let spec = find(name).unwrap_or_else(|| panic!("{name} is not in the catalog"));
            assert!(spec.param("user").is_some(), "{name}");
            assert!(
                !rule.needs.is_empty() && !rule.done_when.is_empty(),
                "{name}"
            );
            assert!(
                rule.done_when.iter().all(|s| !rule.needs.contains(s)),
                "{name}: a status both needed and done"
            );
        }
    }

    #[test]
    fn suspend_is_done_only_for_a_suspended_user() {
        let rule = find("user.suspend").and_then(crate::ActionSpec::status_rule);
        let rule = rule.expect("user.suspend has a status rule");
        assert!(rule.is_done("SUSPENDED"));
        for status in [
            "ACTIVE",
            "LOCKED_OUT",
            "PASSWORD_EXPIRED",
            "PROVISIONED",
            "STAGED",
        ] {
            assert!(!rule.is_done(status), "{status}");
        }
        let activate = find("user.activate").and_then(crate::ActionSpec::status_rule);
        assert!(activate.is_some_and(|r| r.is_done("PROVISIONED") && r.is_done("ACTIVE")));
    }

    #[test]
    fn actions_whose_output_matters_have_no_status_rule() {
        for name in [
            "user.password.expire_with_temp",
            "user.password.reset",
            "user.delete",
        ] {
            assert!(
                find(name).is_some_and(|s| s.status_rule().is_none()),
                "{name}"
            );
        }
    }

    #[test]
    fn temporary_passwords_and_activation_links_are_secret_outputs() {
        let temp = find("user.password.expire_with_temp").map(|s| s.secret_outputs().collect());
        assert_eq!(temp, Some(vec!["tempPassword"]));
        let activate: Vec<&str> = find("user.activate")
            .map(|s| s.secret_outputs().collect())
            .unwrap_or_default();
        assert_eq!(activate, vec!["activationUrl", "activationToken"]);
        let plain = catalog()
            .iter()
            .find(|s| s.name == "user.get")
            .map(|s| s.secret_outputs().count());
        assert_eq!(plain, Some(0));
    }
}
