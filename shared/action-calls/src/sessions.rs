//! Sessions and OAuth tokens.

use okta_client::endpoints::sessions::ClearSessionsQuery;

use crate::dispatch::{Ctx, done, handlers};
use crate::error::ExecError;
use crate::outcome::Outcome;

handlers! {
    "user.sessions.clear" => clear,
    "session.get" => get,
    "session.revoke" => revoke,
}

async fn clear(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let query = ClearSessionsQuery {
        oauth_tokens: ctx.p.opt_bool("oauth_tokens")?,
        forget_devices: ctx.p.opt_bool("forget_devices")?,
    };
    let r = ctx
        .okta()?
        .clear_user_sessions(ctx.p.id("user")?, &query)
        .await?;
    Ok(done(&r.meta))
}

async fn get(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.get_session(ctx.p.id("session_id")?).await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn revoke(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.revoke_session(ctx.p.id("session_id")?).await?;
    Ok(done(&r.meta))
}
