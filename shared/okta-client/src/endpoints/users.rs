//! Users: read, list/search, create, update, replace, lifecycle, passwords, delete.

use http::{HeaderValue, Method};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Value, json};

use super::{SendEmail, SortOrder};
use crate::client::{Call, OktaClient, Reply};
use crate::error::Result;
use crate::models::{Group, Profile, User, UserRisk};
use crate::pagination::Paged;
use crate::request::with_query;

/// Query of `GET /api/v1/users`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListUsersQuery {
    /// SCIM search expression (recommended; eventually consistent; includes DEPROVISIONED).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// Filter expression (`status eq "ACTIVE"`, `profile.login eq "…"`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Starts-with match on first name, last name or email; no pagination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Opaque cursor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Page size (default 200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// Sort attribute; applies to `search` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    /// Sort order; applies to `search` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    /// Projection of returned fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<String>,
    /// Embedded metadata (`blocks`, `classification`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expand: Option<String>,
}

/// Query of `POST /api/v1/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserQuery {
    /// Activate at once (Okta's default: true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activate: Option<bool>,
    /// Create with an authentication provider (`credentials.provider`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<bool>,
    /// `changePassword` to force a password change at first login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_login: Option<String>,
}

/// Body of `POST /api/v1/users`, and of update/replace.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserWrite {
    /// Profile attributes (for update: only those to change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Credentials (password, recovery question, provider).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Value>,
    /// Groups to add the new user to (create only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_ids: Option<Vec<String>>,
    /// User type, `{"id": "oty…"}`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<Value>,
    /// Realm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm_id: Option<String>,
}

/// `strict` on update/replace: validate the password against policy and history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StrictQuery {
    /// Enforce password policy and history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// Query of `POST …/lifecycle/reset_password`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordQuery {
    /// Email the reset link (false: the answer carries the reset URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_email: Option<bool>,
    /// Also end the user's sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoke_sessions: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RevokeSessions {
    #[serde(skip_serializing_if = "Option::is_none")]
    revoke_sessions: Option<bool>,
}

/// Body of `PUT /api/v1/users/{userId}/risk` (`UserRiskRequest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRiskWrite {
    /// `HIGH`, `MEDIUM` or `LOW` (Okta refuses anything else with `400 E0000001`).
    pub risk_level: String,
    /// Why; Okta allows ASCII letters, digits, whitespace, `-`, `,` and `.`, at most
    /// 500 characters, and records `override.by.admin` when it is left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_reason: Option<String>,
}

/// How a deactivation or deletion runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifecycleOptions {
    /// Email the admins (Okta's default: false).
    pub send_email: Option<bool>,
    /// Send `Prefer: respond-async`: Okta answers at once and finishes in the background.
    pub respond_async: bool,
}

impl OktaClient {
    /// `GET /api/v1/users/{idOrLogin}`: by id, login or unambiguous short name.
    pub async fn get_user(&self, id_or_login: &str) -> Result<Reply<User>> {
        let url = self.url(&["api", "v1", "users", id_or_login])?;
        self.call_json(Call::new(Method::GET, url)).await
    }

    /// `GET /api/v1/users`: list or search.
    pub fn list_users(&self, query: &ListUsersQuery) -> Result<Paged<User>> {
        let url = with_query(self.url(&["api", "v1", "users"])?, query)?;
        Ok(Paged::new(self.clone(), url))
    }

    /// `POST /api/v1/users`.
    pub async fn create_user(
        &self,
        user: &UserWrite,
        query: &CreateUserQuery,
    ) -> Result<Reply<User>> {
        let url = with_query(self.url(&["api", "v1", "users"])?, query)?;
        self.call_json(Call::new(Method::POST, url).json(user)?)
            .await
    }

    /// `POST /api/v1/users/{id}`: partial update (only the given attributes change).
    pub async fn update_user(
        &self,
        id: &str,
        user: &UserWrite,
        query: &StrictQuery,
    ) -> Result<Reply<User>> {
        let url = with_query(self.url(&["api", "v1", "users", id])?, query)?;
        self.call_json(Call::new(Method::POST, url).json(user)?)
            .await
    }

    /// `PUT /api/v1/users/{id}`: full replace (unspecified profile attributes are removed).
    pub async fn replace_user(
        &self,
        id: &str,
        user: &UserWrite,
        query: &StrictQuery,
    ) -> Result<Reply<User>> {
        let url = with_query(self.url(&["api", "v1", "users", id])?, query)?;
        self.call_json(Call::new(Method::PUT, url).json(user)?)
            .await
    }

    /// `POST /api/v1/users/{id}` with `credentials.password.value`: an admin sets the
    /// password without the old one.
    pub async fn set_password(&self, id: &str, password: &SecretString) -> Result<Reply<User>> {
        let url = self.url(&["api", "v1", "users", id])?;
        let body = json!({ "credentials": { "password": { "value": password.expose_secret() } } });
        self.call_json(Call::new(Method::POST, url).json(&body)?)
            .await
    }

    /// `POST /api/v1/users/{userId}/credentials/change_password`: validates the old password.
    pub async fn change_password(
        &self,
        id: &str,
        old_password: &SecretString,
        new_password: &SecretString,
        query: &StrictQuery,
    ) -> Result<Reply<Value>> {
        let url = with_query(
            self.url(&["api", "v1", "users", id, "credentials", "change_password"])?,
            query,
        )?;
        let body = json!({
            "oldPassword": { "value": old_password.expose_secret() },
            "newPassword": { "value": new_password.expose_secret() },
        });
        self.call_json(Call::new(Method::POST, url).json(&body)?)
            .await
    }

    /// `DELETE /api/v1/users/{id}`. A user not yet deactivated is deactivated by the
    /// first call and deleted by a second.
    pub async fn delete_user(&self, id: &str, options: LifecycleOptions) -> Result<Reply<()>> {
        let url = with_query(
            self.url(&["api", "v1", "users", id])?,
            &SendEmail {
                send_email: options.send_email,
            },
        )?;
        self.call_empty(prefer_async(
            Call::new(Method::DELETE, url),
            options.respond_async,
        ))
        .await
    }

    /// `GET /api/v1/users/{id}/groups`.
    pub fn list_user_groups(&self, id: &str) -> Result<Paged<Group>> {
        Ok(Paged::new(
            self.clone(),
            self.url(&["api", "v1", "users", id, "groups"])?,
        ))
    }

    /// `POST …/lifecycle/activate`. With `send_email = false` the answer carries the
    /// activation URL and token.
    pub async fn activate_user(&self, id: &str, send_email: Option<bool>) -> Result<Reply<Value>> {
        self.lifecycle_json(id, "activate", &SendEmail { send_email })
            .await
    }

    /// `POST …/lifecycle/reactivate` (PROVISIONED or RECOVERY users).
    pub async fn reactivate_user(
        &self,
        id: &str,
        send_email: Option<bool>,
    ) -> Result<Reply<Value>> {
        self.lifecycle_json(id, "reactivate", &SendEmail { send_email })
            .await
    }

    /// `POST …/lifecycle/deactivate`: deprovisions apps; destructive.
    pub async fn deactivate_user(&self, id: &str, options: LifecycleOptions) -> Result<Reply<()>> {
        let url = with_query(
            self.url(&["api", "v1", "users", id, "lifecycle", "deactivate"])?,
            &SendEmail {
                send_email: options.send_email,
            },
        )?;
        self.call_empty(prefer_async(
            Call::new(Method::POST, url),
            options.respond_async,
        ))
        .await
    }

    /// `PUT /api/v1/users/{userId}/risk`: upserts the user's risk (Identity Threat
    /// Protection; scope `okta.userRisk.manage`): `201` when Okta creates the user's risk
    /// object, `200` when it updates it.
    pub async fn set_user_risk(&self, id: &str, risk: &UserRiskWrite) -> Result<Reply<UserRisk>> {
        let url = self.url(&["api", "v1", "users", id, "risk"])?;
        self.call_json(Call::new(Method::PUT, url).json(risk)?)
            .await
    }

    /// `POST …/lifecycle/suspend` (ACTIVE users; keeps assignments).
    pub async fn suspend_user(&self, id: &str) -> Result<Reply<()>> {
        self.lifecycle_empty(id, "suspend").await
    }

    /// `POST …/lifecycle/unsuspend`.
    pub async fn unsuspend_user(&self, id: &str) -> Result<Reply<()>> {
        self.lifecycle_empty(id, "unsuspend").await
    }

    /// `POST …/lifecycle/unlock` (`LOCKED_OUT` users).
    pub async fn unlock_user(&self, id: &str) -> Result<Reply<()>> {
        self.lifecycle_empty(id, "unlock").await
    }

    /// `POST …/lifecycle/reset_factors`: removes every enrolled factor.
    pub async fn reset_factors(&self, id: &str) -> Result<Reply<()>> {
        self.lifecycle_empty(id, "reset_factors").await
    }

    /// `POST …/lifecycle/reset_password`: the user goes to `RECOVERY`.
    pub async fn reset_password(
        &self,
        id: &str,
        query: &ResetPasswordQuery,
    ) -> Result<Reply<Value>> {
        self.lifecycle_json(id, "reset_password", query).await
    }

    /// `POST …/lifecycle/expire_password`: the user goes to `PASSWORD_EXPIRED`.
    pub async fn expire_password(&self, id: &str) -> Result<Reply<User>> {
        let url = self.url(&["api", "v1", "users", id, "lifecycle", "expire_password"])?;
        self.call_json(Call::new(Method::POST, url)).await
    }

    /// `POST …/lifecycle/expire_password_with_temp_password`: answers a temporary password.
    pub async fn expire_password_with_temp_password(
        &self,
        id: &str,
        revoke_sessions: Option<bool>,
    ) -> Result<Reply<Value>> {
        self.lifecycle_json(
            id,
            "expire_password_with_temp_password",
            &RevokeSessions { revoke_sessions },
        )
        .await
    }

    async fn lifecycle_empty(&self, id: &str, op: &str) -> Result<Reply<()>> {
        let url = self.url(&["api", "v1", "users", id, "lifecycle", op])?;
        self.call_empty(Call::new(Method::POST, url)).await
    }

    /// Lifecycle calls whose answer may be `{}` or an object with a URL/token.
    async fn lifecycle_json<Q: Serialize>(
        &self,
        id: &str,
        op: &str,
        query: &Q,
    ) -> Result<Reply<Value>> {
        let url = with_query(
            self.url(&["api", "v1", "users", id, "lifecycle", op])?,
            query,
        )?;
        let raw = self.execute(Call::new(Method::POST, url)).await?;
        let value = if raw.body.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Default::default())
        } else {
            crate::client::parse_body(&format!("POST …/lifecycle/{op}"), &raw.body)?
        };
        Ok(Reply {
            value,
            meta: raw.meta,
        })
    }
}

fn prefer_async(mut call: Call, respond_async: bool) -> Call {
    if respond_async {
        call.headers
            .insert("prefer", HeaderValue::from_static("respond-async"));
    }
    call
}
