//! Apps, the users assigned to them, users' factors and event hooks: the reads a usage
//! report and `okta-hooks hook list` make.
//!
//! - `GET /api/v1/apps`: every app (active or not) by id, `limit` 20 by default and at
//!   most 200, `q` a case-insensitive prefix of the label, `Link` `next` while more
//!   remain.
//! - `GET /api/v1/apps/{appId}/users`: the app's assignments by user id, `limit` 50 by
//!   default and at most 500 (`queryAppLimit`); `AppUser.id` **is the user's id**, with
//!   `scope` `USER` or `GROUP`. An unknown app is `404 E0000007`.
//! - `GET /api/v1/users/{id or login}/factors`: the user's factors, all at once (Okta
//!   does not page them).
//! - `GET /api/v1/eventHooks[/{id}]`: the hooks, all at once, in Okta's shape.

use serde_json::{Value, json};

use crate::okta_api::{ApiRequest, Reply, not_found, page_limited, timestamp};
use crate::org::{AppRecord, EventHookRecord, FactorRecord, Org};

/// `GET /api/v1/apps`.
pub(crate) fn list_apps(org: &Org, req: &ApiRequest<'_>) -> Reply {
    let q = req.param("q").map(str::to_lowercase);
    let items = org
        .apps
        .values()
        .filter(|a| {
            q.as_ref()
                .is_none_or(|q| a.app.label.to_lowercase().starts_with(q.as_str()))
        })
        .map(|a| (a.app.id.clone(), app_json(a, req.base_url)))
        .collect();
    page_limited(req, items, 20, 200)
}

/// `GET /api/v1/apps/{appId}`.
pub(crate) fn get_app(org: &Org, req: &ApiRequest<'_>, id: &str) -> Reply {
    match org.apps.get(id) {
        Some(a) => Reply::json(200, app_json(a, req.base_url)),
        None => not_found(id, "AppInstance"),
    }
}

/// `GET /api/v1/apps/{appId}/users`.
pub(crate) fn list_app_users(org: &Org, req: &ApiRequest<'_>, app: &str) -> Reply {
    if !org.apps.contains_key(app) {
        return not_found(app, "AppInstance");
    }
    let base = req.base_url;
    let items = org
        .app_users
        .range((app.to_owned(), String::new())..)
        .take_while(|((a, _), _)| a == app)
        .filter_map(|((_, user), a)| {
            let record = org.users.get(user)?;
            let created = timestamp(a.created);
            let value = json!({
                "id": user,
                "externalId": Value::Null,
                "created": created,
                "lastUpdated": created,
                "scope": a.scope,
                "status": "ACTIVE",
                "statusChanged": created,
                "passwordChanged": Value::Null,
                "syncState": "DISABLED",
                "credentials": {"userName": record.user.login()},
                "profile": {},
                "_links": {
                    "app": {"href": format!("{base}/api/v1/apps/{app}")},
                    "user": {"href": format!("{base}/api/v1/users/{user}")},
                },
            });
            Some((user.clone(), value))
        })
        .collect();
    page_limited(req, items, 50, 500)
}

/// `GET /api/v1/users/{id}/factors`.
pub(crate) fn list_factors(org: &Org, req: &ApiRequest<'_>, key: &str) -> Reply {
    let Some(id) = org.resolve_user(key) else {
        return not_found(key, "User");
    };
    let factors: Vec<Value> = org
        .factors
        .values()
        .filter(|f| f.factor.user == id)
        .map(|f| factor_json(f, req.base_url))
        .collect();
    Reply::json(200, Value::Array(factors))
}

/// `GET /api/v1/eventHooks`.
pub(crate) fn list_event_hooks(org: &Org, req: &ApiRequest<'_>) -> Reply {
    let hooks: Vec<Value> = org
        .event_hooks
        .values()
        .map(|h| event_hook_json(h, req.base_url))
        .collect();
    Reply::json(200, Value::Array(hooks))
}

/// `GET /api/v1/eventHooks/{id}`.
pub(crate) fn get_event_hook(org: &Org, req: &ApiRequest<'_>, id: &str) -> Reply {
    match org.event_hooks.get(id) {
        Some(h) => Reply::json(200, event_hook_json(h, req.base_url)),
        None => not_found(id, "EventHook"),
    }
}

/// Okta's `name` of an app: its key, here made from the label (`my_app`).
fn app_name(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn app_json(a: &AppRecord, base: &str) -> Value {
    let href = format!("{base}/api/v1/apps/{}", a.app.id);
    let created = timestamp(a.created);
    json!({
        "id": a.app.id,
        "name": app_name(&a.app.label),
        "label": a.app.label,
        "status": a.app.status,
        "signOnMode": a.app.sign_on_mode,
        "created": created,
        "lastUpdated": created,
        "accessibility": {"selfService": false},
        "visibility": {"autoSubmitToolbar": false, "hide": {"iOS": false, "web": false}},
        "features": [],
        "_links": {
            "self": {"href": href},
            "users": {"href": format!("{href}/users")},
            "groups": {"href": format!("{href}/groups")},
        },
    })
}

fn factor_json(f: &FactorRecord, base: &str) -> Value {
    let id = f.factor.id.clone().unwrap_or_default();
    let user = format!("{base}/api/v1/users/{}", f.factor.user);
    let created = timestamp(f.created);
    json!({
        "id": id,
        "factorType": f.factor.factor_type,
        "provider": f.factor.provider,
        "vendorName": f.factor.provider,
        "status": f.factor.status,
        "created": created,
        "lastUpdated": created,
        "profile": {},
        "_links": {
            "self": {"href": format!("{user}/factors/{id}")},
            "user": {"href": user},
        },
    })
}

fn event_hook_json(h: &EventHookRecord, base: &str) -> Value {
    let href = format!("{base}/api/v1/eventHooks/{}", h.hook.id);
    let created = timestamp(h.created);
    json!({
        "id": h.hook.id,
        "name": h.hook.name,
        "description": Value::Null,
        "status": h.hook.status,
        "verificationStatus": h.hook.verification_status,
        "events": {"type": "EVENT_TYPE", "items": h.hook.events, "filter": Value::Null},
        "channel": {
            "type": "HTTP",
            "version": "1.0.0",
            "config": {
                "uri": h.hook.uri,
                "headers": [],
                "method": "POST",
                "authScheme": {"type": "HEADER", "key": "Authorization"},
            },
        },
        "created": created,
        "createdBy": Value::Null,
        "lastUpdated": created,
        "_links": {
            "self": {"href": href},
            "verify": {"href": format!("{href}/lifecycle/verify"), "hints": {"allow": ["POST"]}},
        },
    })
}
