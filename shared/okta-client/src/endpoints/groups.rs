//! Groups and memberships.

use http::Method;
use serde::Serialize;

use super::{PageQuery, SortOrder};
use crate::client::{Call, OktaClient, Reply};
use crate::error::Result;
use crate::models::{Group, Profile, User};
use crate::pagination::Paged;
use crate::request::with_query;

/// Query of `GET /api/v1/groups`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListGroupsQuery {
    /// SCIM search expression (`type eq "OKTA_GROUP"`, `profile.name sw "Eng"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// Filter expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Starts-with match on the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Opaque cursor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Page size (≤ 200 recommended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// `stats`, `app`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expand: Option<String>,
    /// Sort attribute (with `search`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    /// Sort order (with `search`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
}

#[derive(Serialize)]
struct GroupWrite<'a> {
    profile: &'a Profile,
}

impl OktaClient {
    /// `GET /api/v1/groups/{groupId}`.
    pub async fn get_group(&self, group_id: &str) -> Result<Reply<Group>> {
        let url = self.url(&["api", "v1", "groups", group_id])?;
        self.call_json(Call::new(Method::GET, url)).await
    }

    /// `GET /api/v1/groups`: list or search.
    pub fn list_groups(&self, query: &ListGroupsQuery) -> Result<Paged<Group>> {
        let url = with_query(self.url(&["api", "v1", "groups"])?, query)?;
        Ok(Paged::new(self.clone(), url))
    }

    /// `POST /api/v1/groups`: creates an `OKTA_GROUP` with `profile` (`name`, `description`).
    pub async fn create_group(&self, profile: &Profile) -> Result<Reply<Group>> {
        let url = self.url(&["api", "v1", "groups"])?;
        self.call_json(Call::new(Method::POST, url).json(&GroupWrite { profile })?)
            .await
    }

    /// `PUT /api/v1/groups/{groupId}`: replaces the profile (`OKTA_GROUP` only).
    pub async fn replace_group(&self, group_id: &str, profile: &Profile) -> Result<Reply<Group>> {
        let url = self.url(&["api", "v1", "groups", group_id])?;
        self.call_json(Call::new(Method::PUT, url).json(&GroupWrite { profile })?)
            .await
    }

    /// `DELETE /api/v1/groups/{groupId}`.
    pub async fn delete_group(&self, group_id: &str) -> Result<Reply<()>> {
        let url = self.url(&["api", "v1", "groups", group_id])?;
        self.call_empty(Call::new(Method::DELETE, url)).await
    }

    /// `PUT /api/v1/groups/{groupId}/users/{userId}` (`OKTA_GROUP` only; idempotent).
    pub async fn add_user_to_group(&self, group_id: &str, user_id: &str) -> Result<Reply<()>> {
        let url = self.url(&["api", "v1", "groups", group_id, "users", user_id])?;
        self.call_empty(Call::new(Method::PUT, url)).await
    }

    /// `DELETE /api/v1/groups/{groupId}/users/{userId}` (`OKTA_GROUP` only).
    pub async fn remove_user_from_group(&self, group_id: &str, user_id: &str) -> Result<Reply<()>> {
        let url = self.url(&["api", "v1", "groups", group_id, "users", user_id])?;
        self.call_empty(Call::new(Method::DELETE, url)).await
    }

    /// `GET /api/v1/groups/{groupId}/users`.
    pub fn list_group_users(&self, group_id: &str, query: &PageQuery) -> Result<Paged<User>> {
        let url = with_query(
            self.url(&["api", "v1", "groups", group_id, "users"])?,
            query,
        )?;
        Ok(Paged::new(self.clone(), url))
    }
}
