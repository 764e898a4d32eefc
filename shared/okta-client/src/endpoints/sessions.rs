//! Sessions: clear a user's sessions, get or revoke one session.

use http::Method;
use serde::Serialize;

use crate::client::{Call, OktaClient, Reply};
use crate::error::Result;
use crate::models::Session;
use crate::request::with_query;

/// Query of `DELETE /api/v1/users/{userId}/sessions`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearSessionsQuery {
    /// Also revoke the OIDC/OAuth access and refresh tokens Okta issued (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_tokens: Option<bool>,
    /// Forget the user's remembered devices (Okta's default: true on Identity Engine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forget_devices: Option<bool>,
}

impl OktaClient {
    /// `DELETE /api/v1/users/{userId}/sessions`: ends every Okta session of the user.
    pub async fn clear_user_sessions(
        &self,
        user_id: &str,
        query: &ClearSessionsQuery,
    ) -> Result<Reply<()>> {
        let url = with_query(
            self.url(&["api", "v1", "users", user_id, "sessions"])?,
            query,
        )?;
        self.call_empty(Call::new(Method::DELETE, url)).await
    }

    /// `GET /api/v1/sessions/{sessionId}`.
    pub async fn get_session(&self, session_id: &str) -> Result<Reply<Session>> {
        let url = self.url(&["api", "v1", "sessions", session_id])?;
        self.call_json(Call::new(Method::GET, url)).await
    }

    /// `DELETE /api/v1/sessions/{sessionId}`.
    pub async fn revoke_session(&self, session_id: &str) -> Result<Reply<()>> {
        let url = self.url(&["api", "v1", "sessions", session_id])?;
        self.call_empty(Call::new(Method::DELETE, url)).await
    }
}
