use super::{Links, Profile};

okta_object! {
    /// An application instance (`GET /api/v1/apps/{appId}`). The many sign-on-mode
    /// specific settings stay JSON values.
    Application {
        id: String,
        name: String,
        label: String,
        status: String,
        sign_on_mode: String,
        created: String,
        last_updated: String,
        features: Vec<String>,
        accessibility: serde_json::Value,
        visibility: serde_json::Value,
        licensing: serde_json::Value,
        credentials: serde_json::Value,
        settings: serde_json::Value,
        profile: Profile,
        #[serde(rename = "_links")]
        links: Links,
        #[serde(rename = "_embedded")]
        embedded: Links,
    }
}

okta_object! {
    /// A user's assignment to an app (`GET /api/v1/apps/{appId}/users/{userId}`).
    AppUser {
        id: String,
        external_id: String,
        created: String,
        last_updated: String,
        /// `USER` (direct) or `GROUP` (through a group assignment).
        scope: String,
        status: String,
        status_changed: String,
        password_changed: String,
        sync_state: String,
        last_sync: String,
        credentials: serde_json::Value,
        profile: Profile,
        #[serde(rename = "_links")]
        links: Links,
        #[serde(rename = "_embedded")]
        embedded: Links,
    }
}

okta_object! {
    /// An app link on a user's dashboard (`GET /api/v1/users/{id}/appLinks`).
    AppLink {
        id: String,
        app_instance_id: String,
        app_assignment_id: String,
        app_name: String,
        label: String,
        link_url: String,
        logo_url: String,
        credentials_setup: bool,
        hidden: bool,
        sort_order: i64,
    }
}
