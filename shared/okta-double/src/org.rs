//! The org's state behind the double: users, groups, memberships, apps and their
//! assignments, factors, event hooks, OAuth clients and the tokens issued to them, and
//! what happened — applied changes, the request log, the System Log, pending faults,
//! rate-limit buckets, clock.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::faults::Fault;
use crate::model::{App, EventHook, Factor, Group, Seed, User, UserRisk};
use crate::oauth::OAuthState;
use crate::rate_limit::Buckets;
use crate::system_log::LogRecord;

/// A change the double applied to the org: a state transition that happened, once.
///
/// A call Okta refused (`E0000038`), a membership that already existed, a call answered
/// with an injected `429`/`5xx` before it was applied: none of these is a change. A call
/// applied and then answered `500` (`Fault::after_apply_500`) or answered late
/// (`Fault::delay`) is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `create`, `update`, `replace`, `activate`, `reactivate`, `deactivate`, `suspend`,
    /// `unsuspend`, `unlock`, `expire_password`, `reset_password`, `delete`,
    /// `clear_sessions`, `add_to_group`, `remove_from_group`, `set_risk`.
    ///
    /// `DELETE /api/v1/users/{id}` on a user not yet deprovisioned is recorded as
    /// `deactivate` (that is what it does), a second one as `delete`.
    ///
    /// `set_risk` is recorded for every upsert the double accepts, also one that leaves
    /// level and reason as they were, so a test sees how many were sent (what Okta's
    /// risk policies make of a repeated level is not modelled).
    pub op: String,
    /// The user's id.
    pub user: Option<String>,
    /// The group's id (memberships).
    pub group: Option<String>,
    /// The call's query parameters (e.g. `oauthTokens=true` on `clear_sessions`).
    pub params: BTreeMap<String, String>,
    /// `X-Okta-Request-Id` of the call that applied it.
    pub request_id: String,
}

/// One call to the Okta surface, whatever its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path, as sent (still percent-encoded).
    pub path: String,
    /// Query string, as sent.
    pub query: Option<String>,
    /// The status the double answered.
    pub status: u16,
    /// `X-Okta-Request-Id` of the answer.
    pub request_id: String,
}

/// A user as stored: the seedable part and Okta's timestamps.
#[derive(Debug, Clone)]
pub(crate) struct UserRecord {
    pub user: User,
    pub created: SystemTime,
    pub activated: Option<SystemTime>,
    pub status_changed: Option<SystemTime>,
    pub last_updated: SystemTime,
    pub password_changed: Option<SystemTime>,
    /// The risk set through `PUT …/risk`; `None`: never set (reads as `NONE`).
    pub risk: Option<UserRisk>,
}

/// A group as stored.
#[derive(Debug, Clone)]
pub(crate) struct GroupRecord {
    pub group: Group,
    pub created: SystemTime,
    pub last_updated: SystemTime,
    pub last_membership_updated: SystemTime,
}

/// An app as stored.
#[derive(Debug, Clone)]
pub(crate) struct AppRecord {
    pub app: App,
    pub created: SystemTime,
}

/// An assignment as stored: its scope and when it was made.
#[derive(Debug, Clone)]
pub(crate) struct AppUserRecord {
    pub scope: String,
    pub created: SystemTime,
}

/// A factor as stored (its `id` always set).
#[derive(Debug, Clone)]
pub(crate) struct FactorRecord {
    pub factor: Factor,
    pub created: SystemTime,
}

/// An event hook as stored.
#[derive(Debug, Clone)]
pub(crate) struct EventHookRecord {
    pub hook: EventHook,
    pub created: SystemTime,
}

/// Everything the double knows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Org {
    pub users: BTreeMap<String, UserRecord>,
    pub groups: BTreeMap<String, GroupRecord>,
    /// `(group id, user id)`.
    pub memberships: BTreeSet<(String, String)>,
    pub apps: BTreeMap<String, AppRecord>,
    /// `(app id, user id)` → the assignment.
    pub app_users: BTreeMap<(String, String), AppUserRecord>,
    /// Factors by id.
    pub factors: BTreeMap<String, FactorRecord>,
    pub event_hooks: BTreeMap<String, EventHookRecord>,
    /// OAuth clients, device grants and issued tokens.
    pub oauth: OAuthState,
    pub changes: Vec<Change>,
    pub requests: Vec<LoggedRequest>,
    pub faults: Vec<Fault>,
    pub buckets: Buckets,
    /// Added to the real time: tests move the clock instead of sleeping.
    pub clock_offset: Duration,
    /// Counter for generated ids.
    pub next_id: u64,
    /// The System Log, in logging order.
    pub logs: Vec<LogRecord>,
    /// The last System Log sequence number handed out (kept across resets, so that an
    /// old cursor never points into new events).
    pub log_seq: u64,
}

impl Org {
    /// The double's clock.
    pub fn now(&self) -> SystemTime {
        SystemTime::now() + self.clock_offset
    }

    /// A fresh id with Okta's prefix (`00u`, `00g`), 20 characters like Okta's.
    pub fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{:0>17}", format!("dbl{}", self.next_id))
    }

    pub fn put_user(&mut self, user: User) {
        let now = self.now();
        let record = UserRecord {
            activated: matches!(user.status, crate::Status::Active).then_some(now),
            user,
            created: now,
            status_changed: None,
            last_updated: now,
            password_changed: None,
            risk: None,
        };
        self.users.insert(record.user.id.clone(), record);
    }

    pub fn put_group(&mut self, group: Group) {
        let now = self.now();
        self.groups.insert(
            group.id.clone(),
            GroupRecord {
                group,
                created: now,
                last_updated: now,
                last_membership_updated: now,
            },
        );
    }

    pub fn seed(&mut self, seed: Seed) {
        for user in seed.users {
            self.put_user(user);
        }
        for group in seed.groups {
            self.put_group(group);
        }
        for m in seed.memberships {
            self.memberships.insert((m.group, m.user));
        }
        let now = self.now();
        for app in seed.apps {
            self.apps
                .insert(app.id.clone(), AppRecord { app, created: now });
        }
        for a in seed.app_users {
            self.app_users.insert(
                (a.app, a.user),
                AppUserRecord {
                    scope: a.scope,
                    created: now,
                },
            );
        }
        for mut factor in seed.factors {
            let id = match &factor.id {
                Some(id) => id.clone(),
                None => self.new_id("mfa"),
            };
            factor.id = Some(id.clone());
            self.factors.insert(
                id,
                FactorRecord {
                    factor,
                    created: now,
                },
            );
        }
        for hook in seed.event_hooks {
            self.event_hooks
                .insert(hook.id.clone(), EventHookRecord { hook, created: now });
        }
        for client in seed.oauth_clients {
            self.oauth.put_client(client);
        }
    }

    /// Resolves `{id}` as Okta does: an id, a login (case-insensitive), or the
    /// unambiguous short name of a login (the part before `@`).
    pub fn resolve_user(&self, key: &str) -> Option<String> {
        if self.users.contains_key(key) {
            return Some(key.to_owned());
        }
        let by_login = self.users.values().find(|r| {
            r.user
                .login()
                .is_some_and(|login| login.eq_ignore_ascii_case(key))
        });
        if let Some(r) = by_login {
            return Some(r.user.id.clone());
        }
        let mut short = self.users.values().filter(|r| {
            r.user.login().is_some_and(|login| {
                login
                    .split('@')
                    .next()
                    .is_some_and(|s| s.eq_ignore_ascii_case(key))
            })
        });
        match (short.next(), short.next()) {
            (Some(r), None) => Some(r.user.id.clone()),
            _ => None,
        }
    }

    pub fn record(
        &mut self,
        op: &str,
        user: Option<&str>,
        group: Option<&str>,
        params: &BTreeMap<String, String>,
        request_id: &str,
    ) {
        self.changes.push(Change {
            op: op.to_owned(),
            user: user.map(str::to_owned),
            group: group.map(str::to_owned),
            params: params.clone(),
            request_id: request_id.to_owned(),
        });
    }

    /// Back to an empty org with default buckets, no faults, no history; the clock
    /// offset is kept (time does not run backwards).
    pub fn reset(&mut self) {
        let offset = self.clock_offset;
        let next_id = self.next_id;
        let log_seq = self.log_seq;
        *self = Org {
            clock_offset: offset,
            next_id,
            log_seq,
            ..Org::default()
        };
    }
}
