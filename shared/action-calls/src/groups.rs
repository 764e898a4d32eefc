//! Groups and memberships.

use okta_client::endpoints::PageQuery;
use okta_client::endpoints::groups::ListGroupsQuery;
use okta_client::models::Profile;
use serde_json::Value;

use crate::dispatch::{Ctx, collect, done, handlers};
use crate::error::ExecError;
use crate::outcome::Outcome;

handlers! {
    "group.get" => get,
    "group.search" => search,
    "group.create" => create,
    "group.update" => update,
    "group.delete" => delete,
    "group.add_user" => add_user,
    "group.remove_user" => remove_user,
    "group.list_members" => list_members,
    "user.groups.list" => user_groups,
}

async fn get(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.get_group(ctx.p.id("group")?).await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn search(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let p = &ctx.p;
    let limit = p.limit()?;
    let query = ListGroupsQuery {
        search: p.opt_string("search")?,
        filter: p.opt_string("filter")?,
        q: p.opt_string("q")?,
        limit,
        expand: p.opt_string("expand")?,
        sort_by: p.opt_string("sort_by")?,
        sort_order: p.sort_order()?,
        ..Default::default()
    };
    collect(ctx, ctx.okta()?.list_groups(&query)?, limit).await
}

/// The group profile: `profile` (extra attributes), then `group_name` and
/// `description`, which win over the same keys in `profile`.
fn profile(ctx: &Ctx<'_>) -> Result<Profile, ExecError> {
    let mut profile = ctx.p.opt_object("profile")?.cloned().unwrap_or_default();
    profile.insert("name".into(), Value::from(ctx.p.id("group_name")?));
    if let Some(description) = ctx.p.opt_str("description")? {
        profile.insert("description".into(), Value::from(description));
    }
    Ok(profile)
}

async fn create(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.create_group(&profile(ctx)?).await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn update(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx
        .okta()?
        .replace_group(ctx.p.id("group")?, &profile(ctx)?)
        .await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn delete(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.delete_group(ctx.p.id("group")?).await?;
    Ok(done(&r.meta))
}

async fn add_user(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx
        .okta()?
        .add_user_to_group(ctx.p.id("group")?, ctx.p.id("user")?)
        .await?;
    Ok(done(&r.meta))
}

async fn remove_user(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx
        .okta()?
        .remove_user_from_group(ctx.p.id("group")?, ctx.p.id("user")?)
        .await?;
    Ok(done(&r.meta))
}

async fn list_members(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let limit = ctx.p.limit()?;
    let query = PageQuery { after: None, limit };
    let paged = ctx.okta()?.list_group_users(ctx.p.id("group")?, &query)?;
    collect(ctx, paged, limit).await
}

async fn user_groups(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let paged = ctx.okta()?.list_user_groups(ctx.p.id("user")?)?;
    collect(ctx, paged, None).await
}
