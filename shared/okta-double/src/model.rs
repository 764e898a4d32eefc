//! The org's objects as the double keeps them: users (status, profile, whether a password
//! is set), groups (name, type) and the seed format shared by the Rust API, the
//! `--seed` file and `POST /__double/seed`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
}

fn yes() -> bool {
    true
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

/// An org's initial content: the `--seed` file and the body of `POST /__double/seed`.
///
/// ```json
/// {"users": [{"id": "00u1", "status": "LOCKED_OUT", "hasPassword": true,
///             "profile": {"login": "a@example.com", "email": "a@example.com"}}],
///  "groups": [{"id": "00g1", "name": "Engineering", "type": "OKTA_GROUP"}],
///  "memberships": [{"group": "00g1", "user": "00u1"}]}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
}
