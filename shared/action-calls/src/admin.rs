//! Admin: event hooks, policies, realms, user types, the System Log.

use okta_client::endpoints::logs::{LogQuery, LogSortOrder};
use okta_client::endpoints::misc::{ListPoliciesQuery, ListRealmsQuery};
use okta_client::models::EventHook;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use crate::dispatch::{Ctx, collect, done, handlers, items};
use crate::error::ExecError;
use crate::outcome::Outcome;

handlers! {
    "event_hook.list" => hooks_list,
    "event_hook.create" => hook_create,
    "event_hook.get" => hook_get,
    "event_hook.activate" => hook_activate,
    "event_hook.deactivate" => hook_deactivate,
    "event_hook.verify" => hook_verify,
    "event_hook.delete" => hook_delete,
    "event_hook.delete_by_url" => hooks_delete_by_url,
    "policy.list" => policies,
    "realm.list" => realms,
    "user_type.list" => user_types,
    "log.query" => logs,
}

async fn hooks_list(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.list_event_hooks().await?;
    items(ctx, done(&r.meta), &r.value)
}

/// An HTTP event hook on `url` for `events`. Its auth header value is a credential, so
/// the rule names a secret (`auth_value_secret`) rather than holding it; the header
/// name defaults to `Authorization`. `headers` are extra, non-secret headers.
async fn hook_create(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let p = &ctx.p;
    let mut config = Map::new();
    config.insert("uri".into(), Value::from(p.id("url")?));
    if let Some(headers) = p.opt_object("headers")? {
        let list = headers
            .iter()
            .map(|(key, value)| match value {
                Value::String(v) => Ok(json!({ "key": key, "value": v })),
                _ => Err(p.bad(format!("header `{key}` of `headers` must be a string"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        config.insert("headers".into(), Value::Array(list));
    }
    match (p.opt_str("auth_header")?, p.opt_str("auth_value_secret")?) {
        (header, Some(secret_name)) => {
            let secrets = ctx.secrets.ok_or(ExecError::NotConfigured {
                action: ctx.action(),
                what: "a secret store (for `auth_value_secret`)",
            })?;
            let value =
                secrets
                    .get(ctx.org, secret_name)
                    .await
                    .map_err(|source| ExecError::Secret {
                        action: ctx.action(),
                        source,
                    })?;
            config.insert(
                "authScheme".into(),
                json!({
                    "type": "HEADER",
                    "key": header.unwrap_or("Authorization"),
                    "value": value.expose_secret(),
                }),
            );
        }
        (Some(_), None) => {
            return Err(
                p.bad("`auth_header` needs `auth_value_secret` (the secret holding its value)")
            );
        }
        (None, None) => {}
    }
    let hook = EventHook {
        name: Some(p.id("hook_name")?.to_owned()),
        events: Some(json!({
            "type": "EVENT_TYPE",
            "items": p.strings("events")?,
        })),
        channel: Some(json!({ "type": "HTTP", "version": "1.0.0", "config": config })),
        ..Default::default()
    };
    let r = ctx.okta()?.create_event_hook(&hook).await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn hook_get(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.get_event_hook(ctx.p.id("id")?).await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn hook_activate(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.activate_event_hook(ctx.p.id("id")?).await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn hook_deactivate(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.deactivate_event_hook(ctx.p.id("id")?).await?;
    ctx.fields(done(&r.meta), &r.value)
}

async fn hook_verify(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.verify_event_hook(ctx.p.id("id")?).await?;
    ctx.fields(done(&r.meta), &r.value)
}

/// Okta deletes INACTIVE hooks only: deactivate, then delete.
async fn hook_delete(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let okta = ctx.okta()?;
    let id = ctx.p.id("id")?;
    let deactivated = okta.deactivate_event_hook(id).await?;
    let mut out = done(&deactivated.meta);
    let deleted = okta.delete_event_hook(id).await?;
    out.saw(&deleted.meta);
    Ok(out)
}

/// Every hook whose `channel.config.uri` is exactly `url`: deactivated (unless already
/// INACTIVE) and deleted. Output `deleted`: their ids. A retry after a partial run
/// lists again and finds only those left.
async fn hooks_delete_by_url(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let okta = ctx.okta()?;
    let url = ctx.p.id("url")?;
    let listed = okta.list_event_hooks().await?;
    let mut out = done(&listed.meta);
    let mut deleted = Vec::new();
    for hook in &listed.value {
        let uri = hook
            .channel
            .as_ref()
            .and_then(|c| c.pointer("/config/uri"))
            .and_then(Value::as_str);
        let (Some(id), Some(uri)) = (hook.id.as_deref(), uri) else {
            continue;
        };
        if uri != url {
            continue;
        }
        if hook.status.as_deref() != Some("INACTIVE") {
            let r = okta.deactivate_event_hook(id).await?;
            out.saw(&r.meta);
        }
        let r = okta.delete_event_hook(id).await?;
        out.saw(&r.meta);
        deleted.push(Value::from(id));
    }
    let mut output = Map::new();
    output.insert("deleted".into(), Value::Array(deleted));
    Ok(out.output(output))
}

async fn policies(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let p = &ctx.p;
    let limit = p.limit()?;
    let query = ListPoliciesQuery {
        policy_type: p.id("type")?.to_owned(),
        status: p.opt_string("status")?,
        q: p.opt_string("q")?,
        limit: limit.map(|n| n.to_string()),
        ..Default::default()
    };
    collect(ctx, ctx.okta()?.list_policies(&query)?, limit).await
}

async fn realms(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let limit = ctx.p.limit()?;
    let query = ListRealmsQuery {
        search: ctx.p.opt_string("search")?,
        limit,
        ..Default::default()
    };
    collect(ctx, ctx.okta()?.list_realms(&query)?, limit).await
}

async fn user_types(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let r = ctx.okta()?.list_user_types().await?;
    items(ctx, done(&r.meta), &r.value)
}

/// A System Log query. Without `until` Okta treats it as a poll whose `next` links
/// never end; the list reader stops at the first empty page, at `limit` events, or
/// after a bounded number of pages.
async fn logs(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let p = &ctx.p;
    let limit = p.limit()?;
    let sort_order = match p.opt_str("sort_order")? {
        None => None,
        Some(s) if s.eq_ignore_ascii_case("ASCENDING") => Some(LogSortOrder::Ascending),
        Some(s) if s.eq_ignore_ascii_case("DESCENDING") => Some(LogSortOrder::Descending),
        Some(_) => {
            return Err(p.bad("parameter `sort_order` must be ASCENDING or DESCENDING"));
        }
    };
    let query = LogQuery {
        since: p.opt_string("since")?,
        until: p.opt_string("until")?,
        filter: p.opt_string("filter")?,
        q: p.opt_string("q")?,
        limit,
        sort_order,
        ..Default::default()
    };
    collect(ctx, ctx.okta()?.query_logs(&query)?, limit).await
}
