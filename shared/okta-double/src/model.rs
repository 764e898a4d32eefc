//! The org's objects as the double keeps them: users (status, profile, whether a password
//! is set, when created and last signed in), groups (name, type), apps and their
//! assigned users, factors, event hooks, and the seed format shared by the Rust API, the
//! `--seed` file and `POST /__double/seed`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::oauth::OAuthClient;

/// A user's status, as Okta names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Created, not activated.
    Staged,
    /// Activated, but the user has not set a password yet.
    Provisioned,
    /// Can sign in.
    Active,
    /// A password reset is in progress.
    Recovery,
    /// Must change the password at the next sign-in.
    PasswordExpired,
    /// Locked out after failed sign-ins.
    LockedOut,
    /// Suspended by an admin; assignments kept.
    Suspended,
    /// Deactivated.
    Deprovisioned,
}

impl Status {
    /// Every status, in Okta's documentation order.
    pub const ALL: [Status; 8] = [
        Status::Staged,
        Status::Provisioned,
        Status::Active,
        Status::Recovery,
        Status::PasswordExpired,
        Status::LockedOut,
        Status::Suspended,
        Status::Deprovisioned,
    ];

    /// The name Okta sends, e.g. `LOCKED_OUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Staged => "STAGED",
            Status::Provisioned => "PROVISIONED",
            Status::Active => "ACTIVE",
            Status::Recovery => "RECOVERY",
            Status::PasswordExpired => "PASSWORD_EXPIRED",
            Status::LockedOut => "LOCKED_OUT",
            Status::Suspended => "SUSPENDED",
            Status::Deprovisioned => "DEPROVISIONED",
        }
    }

    /// Parses Okta's name (exact, upper case).
    pub fn parse(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user to seed, and the double's view of one.
///
/// `profile` always holds `login` and `email` (set by the constructors); add other
/// attributes with [`User::attr`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// `00u…`.
    pub id: String,
    /// Lifecycle status.
    pub status: Status,
    /// Whether the user has a password: decides whether `activate` leads to `ACTIVE`
    /// or to `PROVISIONED`.
    #[serde(default = "yes")]
    pub has_password: bool,
    /// Profile attributes (`login`, `email`, `firstName`, …).
    #[serde(default)]
    pub profile: Map<String, Value>,
    /// `created` as Okta reports it (RFC 3339), when seeded; unset: the time the double
    /// added the user. A report counts users created in its window from it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "rfc3339_opt"
    )]
    pub created: Option<String>,
    /// `lastLogin` (RFC 3339), when seeded; unset: `null`, as Okta reports a user who
    /// never signed in.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "rfc3339_opt"
    )]
    pub last_login: Option<String>,
}

fn yes() -> bool {
    true
}

/// Whether `text` is an RFC 3339 timestamp, as Okta's `created`/`lastLogin` are.
pub(crate) fn is_rfc3339(text: &str) -> bool {
    OffsetDateTime::parse(text, &Rfc3339).is_ok()
}

/// An optional RFC 3339 timestamp: a seed with a malformed one is refused (`400` from
/// `POST /__double/seed`) rather than served to the code under test.
fn rfc3339_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    match text {
        Some(t) if !is_rfc3339(&t) => Err(serde::de::Error::custom(format!(
            "not an RFC 3339 timestamp: {t:?}"
        ))),
        other => Ok(other),
    }
}

/// `text` if it is RFC 3339; a test's own mistake otherwise.
fn checked_time(field: &str, text: &str) -> String {
    assert!(
        is_rfc3339(text),
        "okta-double: {field} is not an RFC 3339 timestamp: {text:?}"
    );
    text.to_owned()
}

impl User {
    /// A user with the given status, a password, and `login` = `email` = `login`.
    pub fn new(id: impl Into<String>, login: impl Into<String>, status: Status) -> User {
        let login = login.into();
        let mut profile = Map::new();
        profile.insert("login".into(), Value::String(login.clone()));
        profile.insert("email".into(), Value::String(login));
        User {
            id: id.into(),
            status,
            has_password: true,
            profile,
            created: None,
            last_login: None,
        }
    }

    /// An `ACTIVE` user with a password.
    pub fn active(id: impl Into<String>, login: impl Into<String>) -> User {
        User::new(id, login, Status::Active)
    }

    /// A `STAGED` user (no password unless [`User::password`] says so).
    pub fn staged(id: impl Into<String>, login: impl Into<String>) -> User {
        User::new(id, login, Status::Staged).password(false)
    }

    /// A `SUSPENDED` user.
    pub fn suspended(id: impl Into<String>, login: impl Into<String>) -> User {
        User::new(id, login, Status::Suspended)
    }

    /// A `LOCKED_OUT` user.
    pub fn locked_out(id: impl Into<String>, login: impl Into<String>) -> User {
        User::new(id, login, Status::LockedOut)
    }

    /// A `DEPROVISIONED` user.
    pub fn deprovisioned(id: impl Into<String>, login: impl Into<String>) -> User {
        User::new(id, login, Status::Deprovisioned)
    }

    /// The same user with another status.
    pub fn status(mut self, status: Status) -> User {
        self.status = status;
        self
    }

    /// The same user with or without a password.
    pub fn password(mut self, has_password: bool) -> User {
        self.has_password = has_password;
        self
    }

    /// The same user with one more profile attribute (replaces `login`/`email` too).
    pub fn attr(mut self, name: impl Into<String>, value: impl Into<Value>) -> User {
        self.profile.insert(name.into(), value.into());
        self
    }

    /// The same user with this `created` (RFC 3339, e.g. `2026-11-01T09:00:00.000Z`).
    ///
    /// # Panics
    /// When `at` is not RFC 3339: a test's own mistake.
    pub fn created_at(mut self, at: &str) -> User {
        self.created = Some(checked_time("created", at));
        self
    }

    /// The same user with this `lastLogin` (RFC 3339).
    ///
    /// # Panics
    /// When `at` is not RFC 3339: a test's own mistake.
    pub fn last_login_at(mut self, at: &str) -> User {
        self.last_login = Some(checked_time("lastLogin", at));
        self
    }

    /// `profile.login`.
    pub fn login(&self) -> Option<&str> {
        self.profile.get("login").and_then(Value::as_str)
    }
}

/// A risk level Okta takes in `PUT /api/v1/users/{userId}/risk` (Identity Threat
/// Protection). A user with none set reads as `NONE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RiskLevel {
    /// `HIGH`: what entity risk policies usually act on (Universal Logout).
    High,
    /// `MEDIUM`.
    Medium,
    /// `LOW`.
    Low,
}

impl RiskLevel {
    /// The name Okta sends.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::High => "HIGH",
            RiskLevel::Medium => "MEDIUM",
            RiskLevel::Low => "LOW",
        }
    }

    /// Parses Okta's name (exact, upper case, as Okta's enum takes it).
    pub fn parse(name: &str) -> Option<RiskLevel> {
        [RiskLevel::High, RiskLevel::Medium, RiskLevel::Low]
            .into_iter()
            .find(|l| l.as_str() == name)
    }
}

/// A user's risk as the double keeps it: the last level set and its reason
/// (`override.by.admin` when the call gave none, as Okta records it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRisk {
    /// The user's id.
    pub user: String,
    /// The level.
    pub level: RiskLevel,
    /// The reason.
    pub reason: String,
}

/// A group's type. Only `OKTA_GROUP` memberships can be written through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupType {
    /// Managed in Okta.
    OktaGroup,
    /// Imported from an app (e.g. Active Directory); memberships come from imports.
    AppGroup,
    /// `Everyone`.
    BuiltIn,
}

impl GroupType {
    /// The name Okta sends.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupType::OktaGroup => "OKTA_GROUP",
            GroupType::AppGroup => "APP_GROUP",
            GroupType::BuiltIn => "BUILT_IN",
        }
    }
}

/// A group to seed, and the double's view of one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// `00g…`.
    pub id: String,
    /// `profile.name`.
    pub name: String,
    /// `profile.description`.
    #[serde(default)]
    pub description: String,
    /// `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN`.
    #[serde(rename = "type", default = "okta_group")]
    pub group_type: GroupType,
}

fn okta_group() -> GroupType {
    GroupType::OktaGroup
}

impl Group {
    /// An `OKTA_GROUP`.
    pub fn okta(id: impl Into<String>, name: impl Into<String>) -> Group {
        Group {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            group_type: GroupType::OktaGroup,
        }
    }

    /// An `APP_GROUP` (e.g. imported from Active Directory).
    pub fn app(id: impl Into<String>, name: impl Into<String>) -> Group {
        Group {
            group_type: GroupType::AppGroup,
            ..Group::okta(id, name)
        }
    }
}

/// A membership to seed: `user` is in `group`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// Group id.
    pub group: String,
    /// User id.
    pub user: String,
}

/// An app (`GET /api/v1/apps`) to seed, and the double's view of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct App {
    /// `0oa…`.
    pub id: String,
    /// The name admins see (`Salesforce`).
    pub label: String,
    /// `ACTIVE` (default) or `INACTIVE`.
    #[serde(default = "active")]
    pub status: String,
    /// `SAML_2_0` (default), `OPENID_CONNECT`, `BOOKMARK`, `AUTO_LOGIN`, …: kept as
    /// given, Okta adds values.
    #[serde(default = "saml")]
    pub sign_on_mode: String,
}

fn active() -> String {
    "ACTIVE".to_owned()
}

fn saml() -> String {
    "SAML_2_0".to_owned()
}

impl App {
    /// An `ACTIVE` `SAML_2_0` app.
    pub fn new(id: impl Into<String>, label: impl Into<String>) -> App {
        App {
            id: id.into(),
            label: label.into(),
            status: active(),
            sign_on_mode: saml(),
        }
    }

    /// The same app with another status (`INACTIVE`).
    pub fn status(mut self, status: impl Into<String>) -> App {
        self.status = status.into();
        self
    }

    /// The same app with another sign-on mode (`OPENID_CONNECT`, `BOOKMARK`, …).
    pub fn sign_on_mode(mut self, mode: impl Into<String>) -> App {
        self.sign_on_mode = mode.into();
        self
    }
}

/// A user assigned to an app: `GET /api/v1/apps/{app}/users` lists it with `id` = the
/// user's id (Okta's `AppUser.id` is the user id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUser {
    /// App id.
    pub app: String,
    /// User id.
    pub user: String,
    /// `USER` (assigned directly, default) or `GROUP` (through a group).
    #[serde(default = "user_scope")]
    pub scope: String,
}

fn user_scope() -> String {
    "USER".to_owned()
}

impl AppUser {
    /// `user` assigned to `app` directly (`scope` `USER`).
    pub fn new(app: impl Into<String>, user: impl Into<String>) -> AppUser {
        AppUser {
            app: app.into(),
            user: user.into(),
            scope: user_scope(),
        }
    }

    /// The same assignment through a group (`scope` `GROUP`).
    pub fn through_group(mut self) -> AppUser {
        self.scope = "GROUP".to_owned();
        self
    }
}

/// A factor a user enrolled (`GET /api/v1/users/{id}/factors`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Factor {
    /// The user's id.
    pub user: String,
    /// `push`, `token:software:totp`, `sms`, `webauthn`, … (kept as given).
    pub factor_type: String,
    /// `OKTA` (default), `GOOGLE`, `FIDO`, …
    #[serde(default = "okta_provider")]
    pub provider: String,
    /// `ACTIVE` (default), `PENDING_ACTIVATION`, `NOT_SETUP`, `INACTIVE`, …
    #[serde(default = "active")]
    pub status: String,
    /// The factor's id; one is made up when seeded without (`mfa…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

fn okta_provider() -> String {
    "OKTA".to_owned()
}

impl Factor {
    /// An `ACTIVE` factor of `factor_type` from provider `OKTA`.
    pub fn active(user: impl Into<String>, factor_type: impl Into<String>) -> Factor {
        Factor {
            user: user.into(),
            factor_type: factor_type.into(),
            provider: okta_provider(),
            status: active(),
            id: None,
        }
    }

    /// The same factor with another status (`PENDING_ACTIVATION`).
    pub fn status(mut self, status: impl Into<String>) -> Factor {
        self.status = status.into();
        self
    }

    /// The same factor from another provider (`GOOGLE`).
    pub fn provider(mut self, provider: impl Into<String>) -> Factor {
        self.provider = provider.into();
        self
    }
}

/// An event hook (`GET /api/v1/eventHooks`), flattened for seeding: the double answers
/// it in Okta's shape (`events.items`, `channel.config.uri`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventHook {
    /// `who…`.
    pub id: String,
    /// The hook's name.
    pub name: String,
    /// `ACTIVE` (default) or `INACTIVE`.
    #[serde(default = "active")]
    pub status: String,
    /// `VERIFIED` (default) or `UNVERIFIED`.
    #[serde(default = "verified")]
    pub verification_status: String,
    /// `channel.config.uri`: where Okta delivers.
    pub uri: String,
    /// `events.items`: the event types it subscribes to.
    #[serde(default)]
    pub events: Vec<String>,
}

fn verified() -> String {
    "VERIFIED".to_owned()
}

impl EventHook {
    /// An `ACTIVE`, `VERIFIED` hook delivering to `uri`, subscribed to nothing yet.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        uri: impl Into<String>,
    ) -> EventHook {
        EventHook {
            id: id.into(),
            name: name.into(),
            status: active(),
            verification_status: verified(),
            uri: uri.into(),
            events: Vec::new(),
        }
    }

    /// The same hook subscribed to one more event type.
    pub fn event(mut self, event_type: impl Into<String>) -> EventHook {
        self.events.push(event_type.into());
        self
    }
}

/// An org's initial content: the `--seed` file and the body of `POST /__double/seed`.
/// Every list is optional; the README has the full example.
///
/// ```json
/// {"users": [{"id": "00u1", "status": "LOCKED_OUT", "hasPassword": true,
///             "created": "2026-10-01T09:00:00.000Z", "lastLogin": "2026-11-20T08:00:00.000Z",
///             "profile": {"login": "a@example.com", "email": "a@example.com"}}],
///  "groups": [{"id": "00g1", "name": "Engineering", "type": "OKTA_GROUP"}],
///  "memberships": [{"group": "00g1", "user": "00u1"}],
///  "apps": [{"id": "0oa1", "label": "Salesforce", "status": "ACTIVE", "signOnMode": "SAML_2_0"}],
///  "appUsers": [{"app": "0oa1", "user": "00u1", "scope": "USER"}],
///  "factors": [{"user": "00u1", "factorType": "push", "provider": "OKTA", "status": "ACTIVE"}],
///  "eventHooks": [{"id": "who1", "name": "okta-hooks acme", "uri": "https://h.example/okta",
///                  "events": ["user.account.lock"]}],
///  "oauthClients": [{"clientId": "0oacli", "scopes": ["okta.users.read"],
///                    "rotateRefreshTokens": true, "interval": 0, "expiresIn": 600,
///                    "approveAfterPolls": 2}]}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    /// Users, added or replaced by id.
    #[serde(default)]
    pub users: Vec<User>,
    /// Groups, added or replaced by id.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Memberships, added (seeding is not an applied change).
    #[serde(default)]
    pub memberships: Vec<Membership>,
    /// Apps, added or replaced by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<App>,
    /// App assignments, added or replaced by (app, user).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub app_users: Vec<AppUser>,
    /// Enrolled factors, added (replaced by id when one is given).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<Factor>,
    /// Event hooks, added or replaced by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_hooks: Vec<EventHook>,
    /// OAuth clients of the org authorization server (device flow, refresh), added or
    /// replaced by client id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oauth_clients: Vec<OAuthClient>,
}
