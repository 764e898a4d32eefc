use super::{Links, Profile};

okta_object! {
    /// An Okta user (`GET /api/v1/users/{id}`).
    User {
        id: String,
        /// `STAGED`, `PROVISIONED`, `ACTIVE`, `RECOVERY`, `PASSWORD_EXPIRED`,
        /// `LOCKED_OUT`, `SUSPENDED`, `DEPROVISIONED`, or a newer value.
        status: String,
        /// Set while an asynchronous lifecycle change runs.
        transitioning_to_status: String,
        created: String,
        activated: String,
        status_changed: String,
        last_login: String,
        last_updated: String,
        password_changed: String,
        realm_id: String,
        #[serde(rename = "type")]
        user_type: serde_json::Value,
        profile: Profile,
        credentials: serde_json::Value,
        #[serde(rename = "_links")]
        links: Links,
        #[serde(rename = "_embedded")]
        embedded: Links,
    }
}

okta_object! {
    /// A user's risk (`GET`/`PUT /api/v1/users/{userId}/risk`, Identity Threat
    /// Protection).
    UserRisk {
        /// `HIGH`, `MEDIUM`, `LOW`, or `NONE` (read only: no risk set), or a newer value.
        risk_level: String,
        /// Why: the `riskReason` given, or `override.by.admin` when an admin set the
        /// level without one.
        reason: String,
        #[serde(rename = "_links")]
        links: Links,
    }
}

impl User {
    /// `profile.login`, when present.
    pub fn login(&self) -> Option<&str> {
        self.profile.as_ref()?.get("login")?.as_str()
    }
}
