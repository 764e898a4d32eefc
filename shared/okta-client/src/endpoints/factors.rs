//! Factors: list, enroll, unenroll (reset all is a user lifecycle call).

use http::Method;
use serde::Serialize;

use crate::client::{Call, OktaClient, Reply};
use crate::error::Result;
use crate::models::Factor;
use crate::request::with_query;

/// Query of `POST /api/v1/users/{userId}/factors`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollFactorQuery {
    /// Replace an existing phone number (SMS/call factors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_phone: Option<bool>,
    /// SMS template id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// Lifetime of the enrollment OTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_lifetime_seconds: Option<i32>,
    /// Activate at once (email and SMS factors with a verified contact).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activate: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UnenrollQuery {
    #[serde(skip_serializing_if = "Option::is_none")]
    remove_recovery_enrollment: Option<bool>,
}

impl OktaClient {
    /// `GET /api/v1/users/{userId}/factors`.
    pub async fn list_factors(&self, user_id: &str) -> Result<Reply<Vec<Factor>>> {
        let url = self.url(&["api", "v1", "users", user_id, "factors"])?;
        self.call_json(Call::new(Method::GET, url)).await
    }

    /// `POST /api/v1/users/{userId}/factors`, e.g. with [`Factor::google_authenticator`]
    /// or [`Factor::okta_email`].
    pub async fn enroll_factor(
        &self,
        user_id: &str,
        factor: &Factor,
        query: &EnrollFactorQuery,
    ) -> Result<Reply<Factor>> {
        let url = with_query(
            self.url(&["api", "v1", "users", user_id, "factors"])?,
            query,
        )?;
        self.call_json(Call::new(Method::POST, url).json(factor)?)
            .await
    }

    /// `DELETE /api/v1/users/{userId}/factors/{factorId}`.
    pub async fn unenroll_factor(
        &self,
        user_id: &str,
        factor_id: &str,
        remove_recovery_enrollment: Option<bool>,
    ) -> Result<Reply<()>> {
        let url = with_query(
            self.url(&["api", "v1", "users", user_id, "factors", factor_id])?,
            &UnenrollQuery {
                remove_recovery_enrollment,
            },
        )?;
        self.call_empty(Call::new(Method::DELETE, url)).await
    }
}
