//! Read-only lists the rules and `rules check` need: policies, realms, user types.

use http::Method;
use serde::Serialize;

use super::SortOrder;
use crate::client::{Call, OktaClient, Reply};
use crate::error::Result;
use crate::models::{Policy, Realm, UserType};
use crate::pagination::Paged;
use crate::request::with_query;

/// Query of `GET /api/v1/policies`; `type` is required by Okta.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPoliciesQuery {
    /// `OKTA_SIGN_ON`, `PASSWORD`, `MFA_ENROLL`, `ACCESS_POLICY`, `PROFILE_ENROLLMENT`, ….
    #[serde(rename = "type")]
    pub policy_type: String,
    /// `ACTIVE` or `INACTIVE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Name match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// `rules`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expand: Option<String>,
    /// Sort attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// Policies mapped to this resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// Opaque cursor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// Query of `GET /api/v1/realms`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListRealmsQuery {
    /// Page size (default 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// Opaque cursor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// SCIM search expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// Sort attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    /// Sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
}

impl OktaClient {
    /// `GET /api/v1/policies`.
    pub fn list_policies(&self, query: &ListPoliciesQuery) -> Result<Paged<Policy>> {
        let url = with_query(self.url(&["api", "v1", "policies"])?, query)?;
        Ok(Paged::new(self.clone(), url))
    }

    /// `GET /api/v1/realms` (needs a subscription that includes realms).
    pub fn list_realms(&self, query: &ListRealmsQuery) -> Result<Paged<Realm>> {
        let url = with_query(self.url(&["api", "v1", "realms"])?, query)?;
        Ok(Paged::new(self.clone(), url))
    }

    /// `GET /api/v1/meta/types/user`.
    pub async fn list_user_types(&self) -> Result<Reply<Vec<UserType>>> {
        let url = self.url(&["api", "v1", "meta", "types", "user"])?;
        self.call_json(Call::new(Method::GET, url)).await
    }
}
