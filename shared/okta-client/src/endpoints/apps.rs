//! Applications and their user assignments.

use http::Method;
use serde::Serialize;
use serde_json::Value;

use crate::client::{Call, OktaClient, Reply};
use crate::error::Result;
use crate::models::{AppLink, AppUser, Application, Profile};
use crate::pagination::Paged;
use crate::request::with_query;

/// Query of `GET /api/v1/apps`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAppsQuery {
    /// Starts-with match on name or label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Opaque cursor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// Filter (`status eq "ACTIVE"`, `user.id eq "00u…"`, `group.id eq "00g…"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// `user/{userId}` to embed the user's assignment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expand: Option<String>,
    /// Include apps being deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_non_deleted: Option<bool>,
    /// Smaller answers (fewer fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_optimization: Option<bool>,
}

/// `expand` on app-user reads (`user` embeds the Okta user).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpandQuery {
    /// What to embed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expand: Option<String>,
}

/// Query of `GET /api/v1/apps/{appId}/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAppUsersQuery {
    /// Starts-with match on user name or email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Opaque cursor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Page size (default 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// `user` embeds the Okta user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expand: Option<String>,
}

/// Body of `POST /api/v1/apps/{appId}/users`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignUser {
    /// The Okta user id.
    pub id: String,
    /// Always `USER` for a direct assignment.
    pub scope: String,
    /// App credentials (user name, password) for apps that need them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Value>,
    /// App-specific profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

impl AssignUser {
    /// A direct assignment of `user_id` with no app profile.
    pub fn user(user_id: &str) -> Self {
        AssignUser {
            id: user_id.into(),
            scope: "USER".into(),
            credentials: None,
            profile: None,
        }
    }
}

/// Body of `POST /api/v1/apps/{appId}/users/{userId}` (update an assignment).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAppUser {
    /// App credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Value>,
    /// App-specific profile attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

impl OktaClient {
    /// `GET /api/v1/apps`.
    pub fn list_apps(&self, query: &ListAppsQuery) -> Result<Paged<Application>> {
        let url = with_query(self.url(&["api", "v1", "apps"])?, query)?;
        Ok(Paged::new(self.clone(), url))
    }

    /// `GET /api/v1/apps/{appId}`.
    pub async fn get_app(&self, app_id: &str, query: &ExpandQuery) -> Result<Reply<Application>> {
        let url = with_query(self.url(&["api", "v1", "apps", app_id])?, query)?;
        self.call_json(Call::new(Method::GET, url)).await
    }

    /// `POST /api/v1/apps/{appId}/users`: assigns a user directly.
    pub async fn assign_user_to_app(
        &self,
        app_id: &str,
        body: &AssignUser,
    ) -> Result<Reply<AppUser>> {
        let url = self.url(&["api", "v1", "apps", app_id, "users"])?;
        self.call_json(Call::new(Method::POST, url).json(body)?)
            .await
    }

    /// `DELETE /api/v1/apps/{appId}/users/{userId}`; destructive for provisioning apps.
    pub async fn unassign_user_from_app(
        &self,
        app_id: &str,
        user_id: &str,
        send_email: Option<bool>,
    ) -> Result<Reply<()>> {
        let url = with_query(
            self.url(&["api", "v1", "apps", app_id, "users", user_id])?,
            &super::SendEmail { send_email },
        )?;
        self.call_empty(Call::new(Method::DELETE, url)).await
    }

    /// `GET /api/v1/apps/{appId}/users/{userId}`.
    pub async fn get_app_user(
        &self,
        app_id: &str,
        user_id: &str,
        query: &ExpandQuery,
    ) -> Result<Reply<AppUser>> {
        let url = with_query(
            self.url(&["api", "v1", "apps", app_id, "users", user_id])?,
            query,
        )?;
        self.call_json(Call::new(Method::GET, url)).await
    }

    /// `POST /api/v1/apps/{appId}/users/{userId}`: updates an assignment's profile or
    /// credentials.
    pub async fn update_app_user(
        &self,
        app_id: &str,
        user_id: &str,
        body: &UpdateAppUser,
    ) -> Result<Reply<AppUser>> {
        let url = self.url(&["api", "v1", "apps", app_id, "users", user_id])?;
        self.call_json(Call::new(Method::POST, url).json(body)?)
            .await
    }

    /// `GET /api/v1/apps/{appId}/users`.
    pub fn list_app_users(
        &self,
        app_id: &str,
        query: &ListAppUsersQuery,
    ) -> Result<Paged<AppUser>> {
        let url = with_query(self.url(&["api", "v1", "apps", app_id, "users"])?, query)?;
        Ok(Paged::new(self.clone(), url))
    }

    /// `GET /api/v1/users/{id}/appLinks`: the apps assigned to a user, as dashboard links.
    /// (For full `Application` objects use [`OktaClient::list_apps`] with
    /// `filter = user.id eq "…"`.)
    pub async fn list_user_app_links(&self, user_id: &str) -> Result<Reply<Vec<AppLink>>> {
        let url = self.url(&["api", "v1", "users", user_id, "appLinks"])?;
        self.call_json(Call::new(Method::GET, url)).await
    }
}
