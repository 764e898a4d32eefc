use super::{Links, Profile};

okta_object! {
    /// An Okta group (`GET /api/v1/groups/{groupId}`).
    Group {
        id: String,
        created: String,
        last_updated: String,
        last_membership_updated: String,
        object_class: Vec<String>,
        /// `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN`. Only `OKTA_GROUP` memberships can
        /// be written through the API.
        #[serde(rename = "type")]
        group_type: String,
        profile: Profile,
        #[serde(rename = "_links")]
        links: Links,
        #[serde(rename = "_embedded")]
        embedded: Links,
    }
}
