//! Admin role assignments.

use okta_client::endpoints::apps::ExpandQuery;
use okta_client::models::Role;

use crate::dispatch::{Ctx, done, handlers, items};
use crate::error::ExecError;
use crate::outcome::Outcome;

handlers! {
    "user.roles.list" => list,
    "user.roles.assign" => assign,
    "user.roles.unassign" => unassign,
}

async fn list(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let query = ExpandQuery {
        expand: ctx.p.opt_string("expand")?,
    };
    let r = ctx
        .okta()?
        .list_user_roles(ctx.p.id("user")?, &query)
        .await?;
    items(ctx, done(&r.meta), &r.value)
}

/// A standard role by `type`, or `CUSTOM` with both `role` and `resource_set` (Okta
/// refuses a custom role without its resource set; say so before calling).
async fn assign(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let p = &ctx.p;
    let role_type = p.id("type")?;
    let custom = (p.opt_str("role")?, p.opt_str("resource_set")?);
    let role = if role_type.eq_ignore_ascii_case("CUSTOM") {
        match custom {
            (Some(role), Some(set)) => Role::custom(role, set),
            _ => return Err(p.bad("a CUSTOM role needs `role` and `resource_set`")),
        }
    } else {
        if custom.0.is_some() || custom.1.is_some() {
            return Err(p.bad("`role` and `resource_set` go with type CUSTOM only"));
        }
        Role::standard(role_type)
    };
    let r = ctx
        .okta()?
        .assign_role(p.id("user")?, &role, p.opt_bool("disable_notifications")?)
        .await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn unassign(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx
        .okta()?
        .unassign_role(ctx.p.id("user")?, ctx.p.id("role_assignment_id")?)
        .await?;
    Ok(done(&r.meta))
}
