//! Action families: each has its own executor Lambda, queue and DLQ, so a throttled or
//! failing family never blocks the others.

use serde::{Deserialize, Serialize};

/// The executor family an action belongs to. [`Family::as_str`] names its queue.
///
/// In JSON (a plan's steps, on the wire in signed envelopes) a family is its
/// [`Family::as_str`] name, and only those names deserialise: a value holding a `Family`
/// needs no later [`Family::from_name`] check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// User lookups, create/update/replace and lifecycle (activate … delete).
    Users,
    /// Passwords and MFA factors.
    Credentials,
    /// Sessions and OAuth tokens.
    Sessions,
    /// Groups and memberships.
    Groups,
    /// Applications and assignments.
    Apps,
    /// Admin role assignments.
    Roles,
    /// Event hooks, policies, realms, user types, System Log, raw requests.
    Admin,
    /// Messages to people (webhooks), no Okta call.
    Notify,
}

impl Family {
    /// Every family, in a stable order (queues are created from this list).
    pub const ALL: [Family; 8] = [
        Family::Users,
        Family::Credentials,
        Family::Sessions,
        Family::Groups,
        Family::Apps,
        Family::Roles,
        Family::Admin,
        Family::Notify,
    ];

    /// The lower-case name used in queue and function names (`users`, `notify`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Family::Users => "users",
            Family::Credentials => "credentials",
            Family::Sessions => "sessions",
            Family::Groups => "groups",
            Family::Apps => "apps",
            Family::Roles => "roles",
            Family::Admin => "admin",
            Family::Notify => "notify",
        }
    }

    /// The environment variable naming this family's queue URL
    /// (`OKTA_HOOKS_QUEUE_URL_USERS`, …): the router sends a plan's first step there and
    /// an executor the next step of its own family; the template sets one per family.
    pub const fn queue_url_var(self) -> &'static str {
        match self {
            Family::Users => "OKTA_HOOKS_QUEUE_URL_USERS",
            Family::Credentials => "OKTA_HOOKS_QUEUE_URL_CREDENTIALS",
            Family::Sessions => "OKTA_HOOKS_QUEUE_URL_SESSIONS",
            Family::Groups => "OKTA_HOOKS_QUEUE_URL_GROUPS",
            Family::Apps => "OKTA_HOOKS_QUEUE_URL_APPS",
            Family::Roles => "OKTA_HOOKS_QUEUE_URL_ROLES",
            Family::Admin => "OKTA_HOOKS_QUEUE_URL_ADMIN",
            Family::Notify => "OKTA_HOOKS_QUEUE_URL_NOTIFY",
        }
    }

    /// Whether its executor calls Okta, and so holds an Okta credential (`okta`, or
    /// `okta-<family>`). Only `notify` does not: its actions post to webhooks.
    pub const fn calls_okta(self) -> bool {
        !matches!(self, Family::Notify)
    }

    /// Whether its executor reads the org's `named` secrets: exactly when one of its
    /// actions has a parameter naming a secret ([`crate::ParamSpec::names_secret`]:
    /// `notify.webhook`'s `url_secret`, `event_hook.create`'s `auth_value_secret`).
    /// Derived from the catalog, so a new such parameter grants the read by itself.
    pub fn reads_named_secrets(self) -> bool {
        crate::catalog()
            .iter()
            .any(|a| a.family == self && a.reads_named_secrets())
    }

    /// The family named `name` (the inverse of [`Family::as_str`]).
    pub fn from_name(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_are_the_queue_names_and_nothing_else_reads_back() {
        for family in Family::ALL {
            let json = serde_json::to_string(&family).unwrap();
            assert_eq!(json, format!("\"{}\"", family.as_str()));
            assert_eq!(serde_json::from_str::<Family>(&json).unwrap(), family);
            assert_eq!(Family::from_name(family.as_str()), Some(family));
        }
        for bad in [r#""Users""#, r#""user""#, r#""""#, "1"] {
            assert!(serde_json::from_str::<Family>(bad).is_err(), "{bad}");
        }
    }
}
