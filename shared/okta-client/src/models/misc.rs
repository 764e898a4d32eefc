use super::{Links, Profile};

okta_object! {
    /// An admin role assignment (`/api/v1/users/{userId}/roles`).
    Role {
        id: String,
        label: String,
        /// `SUPER_ADMIN`, `USER_ADMIN`, …, or `CUSTOM`.
        #[serde(rename = "type")]
        role_type: String,
        status: String,
        created: String,
        last_updated: String,
        /// `USER` or `GROUP`.
        assignment_type: String,
        /// Custom role id, for `CUSTOM`.
        role: String,
        /// Resource set id, for `CUSTOM`.
        #[serde(rename = "resource-set")]
        resource_set: String,
        #[serde(rename = "_links")]
        links: Links,
        #[serde(rename = "_embedded")]
        embedded: Links,
    }
}

impl Role {
    /// Assignment body for a standard role such as `USER_ADMIN`.
    pub fn standard(role_type: &str) -> Self {
        Role {
            role_type: Some(role_type.into()),
            ..Role::default()
        }
    }

    /// Assignment body for a custom role bound to a resource set.
    pub fn custom(role_id: &str, resource_set_id: &str) -> Self {
        Role {
            role_type: Some("CUSTOM".into()),
            role: Some(role_id.into()),
            resource_set: Some(resource_set_id.into()),
            ..Role::default()
        }
    }
}

okta_object! {
    /// A user's session (`GET /api/v1/sessions/{sessionId}`).
    Session {
        id: String,
        login: String,
        user_id: String,
        status: String,
        created_at: String,
        expires_at: String,
        last_password_verification: String,
        last_factor_verification: String,
        amr: Vec<String>,
        idp: serde_json::Value,
        mfa_active: bool,
        #[serde(rename = "_links")]
        links: Links,
    }
}

okta_object! {
    /// A policy (`GET /api/v1/policies?type=…`).
    Policy {
        id: String,
        name: String,
        description: String,
        #[serde(rename = "type")]
        policy_type: String,
        status: String,
        priority: i64,
        system: bool,
        created: String,
        last_updated: String,
        conditions: serde_json::Value,
        settings: serde_json::Value,
        #[serde(rename = "_links")]
        links: Links,
        #[serde(rename = "_embedded")]
        embedded: Links,
    }
}

okta_object! {
    /// A realm (`GET /api/v1/realms`).
    Realm {
        id: String,
        is_default: bool,
        created: String,
        last_updated: String,
        profile: Profile,
        #[serde(rename = "_links")]
        links: Links,
    }
}

okta_object! {
    /// A user type (`GET /api/v1/meta/types/user`).
    UserType {
        id: String,
        name: String,
        display_name: String,
        description: String,
        default: bool,
        created: String,
        created_by: String,
        last_updated: String,
        last_updated_by: String,
        #[serde(rename = "_links")]
        links: Links,
    }
}
