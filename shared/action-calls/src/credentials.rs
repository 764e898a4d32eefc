//! Passwords and MFA factors.
//!
//! Passwords arrive as parameters and leave at once as [`secrecy::SecretString`]s or
//! inside the request body; no error or log line names them.

use okta_client::endpoints::factors::EnrollFactorQuery;
use okta_client::endpoints::users::{ResetPasswordQuery, StrictQuery, UserWrite};
use okta_client::models::Factor;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::dispatch::{Ctx, done, handlers, items};
use crate::error::ExecError;
use crate::outcome::Outcome;

handlers! {
    "user.password.reset" => reset_password,
    "user.password.expire" => expire_password,
    "user.password.expire_with_temp" => expire_with_temp,
    "user.password.set" => set_password,
    "user.password.change" => change_password,
    "user.factors.list" => list_factors,
    "user.factors.enroll_google" => enroll_google,
    "user.factors.enroll_email" => enroll_email,
    "user.factors.unenroll" => unenroll,
    "user.factors.reset" => reset_factors,
}

async fn reset_password(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let query = ResetPasswordQuery {
        send_email: ctx.p.opt_bool("send_email")?,
        revoke_sessions: ctx.p.opt_bool("revoke_sessions")?,
    };
    let r = ctx
        .okta()?
        .reset_password(ctx.p.id("user")?, &query)
        .await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn expire_password(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.expire_password(ctx.p.id("user")?).await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn expire_with_temp(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx
        .okta()?
        .expire_password_with_temp_password(ctx.p.id("user")?, ctx.p.opt_bool("revoke_sessions")?)
        .await?;
    ctx.fields(done(&r.meta), &r.value)
}

/// An admin sets the password (`POST /api/v1/users/{id}` with
/// `credentials.password.value`): through `update_user` so that `strict` (policy and
/// history checks) can be sent, which `OktaClient::set_password` does not take.
async fn set_password(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let password = ctx.p.secret("password")?;
    let body = UserWrite {
        credentials: Some(json!({ "password": { "value": password.expose_secret() } })),
        ..Default::default()
    };
    let strict = StrictQuery {
        strict: ctx.p.opt_bool("strict")?,
    };
    let r = ctx
        .okta()?
        .update_user(ctx.p.id("user")?, &body, &strict)
        .await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn change_password(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let old = ctx.p.secret("old_password")?;
    let new = ctx.p.secret("new_password")?;
    let strict = StrictQuery {
        strict: ctx.p.opt_bool("strict")?,
    };
    let r = ctx
        .okta()?
        .change_password(ctx.p.id("user")?, &old, &new, &strict)
        .await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn list_factors(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.list_factors(ctx.p.id("user")?).await?;
    items(ctx, done(&r.meta), &r.value)
}

async fn enroll(
    ctx: &Ctx<'_>,
    factor: Factor,
    query: EnrollFactorQuery,
) -> Result<Outcome, ExecError> {
    let r = ctx
        .okta()?
        .enroll_factor(ctx.p.id("user")?, &factor, &query)
        .await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn enroll_google(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let query = EnrollFactorQuery {
        activate: ctx.p.opt_bool("activate")?,
        ..Default::default()
    };
    enroll(ctx, Factor::google_authenticator(), query).await
}

async fn enroll_email(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let email = ctx.p.id("email")?;
    let query = EnrollFactorQuery {
        activate: ctx.p.opt_bool("activate")?,
        token_lifetime_seconds: ctx.p.opt_i32("token_lifetime_seconds")?,
        ..Default::default()
    };
    enroll(ctx, Factor::okta_email(email), query).await
}

async fn unenroll(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx
        .okta()?
        .unenroll_factor(
            ctx.p.id("user")?,
            ctx.p.id("factor_id")?,
            ctx.p.opt_bool("remove_recovery_enrollment")?,
        )
        .await?;
    Ok(done(&r.meta))
}

async fn reset_factors(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.reset_factors(ctx.p.id("user")?).await?;
    Ok(done(&r.meta))
}
