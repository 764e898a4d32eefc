//! Admin role assignments of users.

use http::Method;
use serde::Serialize;

use super::apps::ExpandQuery;
use crate::client::{Call, OktaClient, Reply};
use crate::error::Result;
use crate::models::Role;
use crate::request::with_query;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignRoleQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    disable_notifications: Option<bool>,
}

impl OktaClient {
    /// `GET /api/v1/users/{userId}/roles`.
    pub async fn list_user_roles(
        &self,
        user_id: &str,
        query: &ExpandQuery,
    ) -> Result<Reply<Vec<Role>>> {
        let url = with_query(self.url(&["api", "v1", "users", user_id, "roles"])?, query)?;
        self.call_json(Call::new(Method::GET, url)).await
    }

    /// `POST /api/v1/users/{userId}/roles` with [`Role::standard`] or [`Role::custom`].
    pub async fn assign_role(
        &self,
        user_id: &str,
        role: &Role,
        disable_notifications: Option<bool>,
    ) -> Result<Reply<Role>> {
        let url = with_query(
            self.url(&["api", "v1", "users", user_id, "roles"])?,
            &AssignRoleQuery {
                disable_notifications,
            },
        )?;
        self.call_json(Call::new(Method::POST, url).json(role)?)
            .await
    }

    /// `DELETE /api/v1/users/{userId}/roles/{roleAssignmentId}`.
    pub async fn unassign_role(
        &self,
        user_id: &str,
        role_assignment_id: &str,
    ) -> Result<Reply<()>> {
        let url = self.url(&["api", "v1", "users", user_id, "roles", role_assignment_id])?;
        self.call_empty(Call::new(Method::DELETE, url)).await
    }
}
