use super::Links;

okta_object! {
    /// An event hook (`/api/v1/eventHooks`). `events` and `channel` stay JSON: their
    /// shapes (filters, auth scheme) change with Okta releases. `channel.config.
    /// authScheme.value` is write-only: Okta never returns it.
    EventHook {
        id: String,
        name: String,
        description: String,
        /// `ACTIVE` or `INACTIVE`.
        status: String,
        /// `VERIFIED` or `UNVERIFIED`.
        verification_status: String,
        events: serde_json::Value,
        channel: serde_json::Value,
        created: String,
        created_by: String,
        last_updated: String,
        #[serde(rename = "_links")]
        links: Links,
    }
}
