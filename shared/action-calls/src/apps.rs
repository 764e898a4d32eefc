//! Applications and user assignments.

use okta_client::endpoints::apps::{
    AssignUser, ExpandQuery, ListAppUsersQuery, ListAppsQuery, UpdateAppUser,
};
use serde_json::Value;

use crate::dispatch::{Ctx, collect, done, handlers, items};
use crate::error::ExecError;
use crate::outcome::Outcome;

handlers! {
    "app.list" => list,
    "app.get" => get,
    "app.assign_user" => assign_user,
    "app.unassign_user" => unassign_user,
    "app.get_assignment" => get_assignment,
    "app.update_assignment" => update_assignment,
    "app.list_users" => list_users,
    "user.apps.list" => user_apps,
}

fn expand(ctx: &Ctx<'_>) -> Result<ExpandQuery, ExecError> {
    Ok(ExpandQuery {
        expand: ctx.p.opt_string("expand")?,
    })
}

async fn list(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let p = &ctx.p;
    let limit = p.limit()?;
    let query = ListAppsQuery {
        q: p.opt_string("q")?,
        filter: p.opt_string("filter")?,
        expand: p.opt_string("expand")?,
        limit,
        ..Default::default()
    };
    collect(ctx, ctx.okta()?.list_apps(&query)?, limit).await
}

async fn get(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.get_app(ctx.p.id("app")?, &expand(ctx)?).await?;
    ctx.fields(done(&r.meta), &r.value)
}

/// A direct assignment; `scope` defaults to `USER` (the only scope a direct
/// assignment has; `GROUP` assignments come from group rules).
async fn assign_user(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let p = &ctx.p;
    let body = AssignUser {
        scope: p.opt_str("scope")?.unwrap_or("USER").to_owned(),
        credentials: p.opt_object("credentials")?.cloned().map(Value::Object),
        profile: p.opt_object("profile")?.cloned(),
        ..AssignUser::user(p.id("user")?)
    };
    let r = ctx.okta()?.assign_user_to_app(p.id("app")?, &body).await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn unassign_user(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx
        .okta()?
        .unassign_user_from_app(
            ctx.p.id("app")?,
            ctx.p.id("user")?,
            ctx.p.opt_bool("send_email")?,
        )
        .await?;
    Ok(done(&r.meta))
}

async fn get_assignment(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx
        .okta()?
        .get_app_user(ctx.p.id("app")?, ctx.p.id("user")?, &expand(ctx)?)
        .await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn update_assignment(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let body = UpdateAppUser {
        credentials: ctx.p.opt_object("credentials")?.cloned().map(Value::Object),
        profile: ctx.p.opt_object("profile")?.cloned(),
    };
    if body.credentials.is_none() && body.profile.is_none() {
        return Err(ctx.p.bad("give `profile` or `credentials` (or both)"));
    }
    let r = ctx
        .okta()?
        .update_app_user(ctx.p.id("app")?, ctx.p.id("user")?, &body)
        .await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn list_users(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let p = &ctx.p;
    let limit = p.limit()?;
    let query = ListAppUsersQuery {
        q: p.opt_string("q")?,
        expand: p.opt_string("expand")?,
        limit,
        ..Default::default()
    };
    let paged = ctx.okta()?.list_app_users(p.id("app")?, &query)?;
    collect(ctx, paged, limit).await
}

/// The user's app links (`GET /api/v1/users/{id}/appLinks`): one call, every app the
/// user sees, with the app instance id in `appInstanceId`.
async fn user_apps(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.list_user_app_links(ctx.p.id("user")?).await?;
    items(ctx, done(&r.meta), &r.value)
}
