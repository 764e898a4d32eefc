//! The Okta Management API surface: users, lifecycle, sessions, groups, memberships
//! (the System Log is in `system_log.rs`; apps, factors and event hooks in `apps.rs`).
//!
//! Each handler works on the locked [`Org`] and returns a [`Reply`]; authentication,
//! rate limits, faults, logging and headers are the server's job (`server.rs`). Paths,
//! statuses, error codes and bodies follow `management-openapi.yaml` and
//! `error-codes.json`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

use crate::apps;
use crate::filter::Expr;
use crate::lifecycle::{self, Op};
use crate::model::{GroupType, RiskLevel, Status, User, UserRisk};
use crate::org::{GroupRecord, Org, UserRecord};

/// One call, decoded.
pub(crate) struct ApiRequest<'a> {
    pub method: &'a str,
    /// Path segments after `/api/v1/`, percent-decoded.
    pub segments: Vec<String>,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    pub body: &'a [u8],
    pub request_id: &'a str,
    /// `http://127.0.0.1:PORT`, for links.
    pub base_url: &'a str,
    /// The path as sent, for `Link` headers.
    pub raw_path: &'a str,
}

impl ApiRequest<'_> {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn params(&self) -> BTreeMap<String, String> {
        self.query.iter().cloned().collect()
    }

    fn flag(&self, name: &str, default: bool) -> bool {
        match self.param(name) {
            Some(v) => v.eq_ignore_ascii_case("true"),
            None => default,
        }
    }
}

/// An answer before the common headers: status, JSON body (none: empty), `Link`
/// values, other headers (`WWW-Authenticate`, `Cache-Control`).
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub links: Vec<String>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// The same answer with one more header.
    pub(crate) fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            links: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: None,
            links: Vec::new(),
            headers: Vec::new(),
        }
    }
}

/// Okta's error body: `errorCode`, `errorSummary`, `errorLink` (= the code), a fresh
/// `errorId`, `errorCauses`.
pub(crate) fn error(status: u16, code: &str, summary: &str, causes: &[String]) -> Reply {
    let id = uuid::Uuid::new_v4().simple().to_string();
    Reply::json(
        status,
        json!({
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": format!("oae{}", &id[..22]),
            "errorCauses": causes.iter().map(|c| json!({"errorSummary": c})).collect::<Vec<_>>(),
        }),
    )
}

/// `404 E0000007` for a missing object of `kind` (`User`, `UserGroup`).
pub(crate) fn not_found(key: &str, kind: &str) -> Reply {
    error(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {key} ({kind})"),
        &[],
    )
}

/// `500 E0000009`.
pub(crate) fn internal_error(status: u16) -> Reply {
    error(status, "E0000009", "Internal Server Error", &[])
}

pub(crate) fn method_not_allowed() -> Reply {
    error(
        405,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
        &[],
    )
}

fn bad_body() -> Reply {
    error(
        400,
        "E0000003",
        "The request body was not well-formed.",
        &[],
    )
}

pub(crate) fn validation(field: &str, cause: &str) -> Reply {
    error(
        400,
        "E0000001",
        &format!("Api validation failed: {field}"),
        &[format!("{field}: {cause}")],
    )
}

pub(crate) fn invalid_search() -> Reply {
    error(400, "E0000031", "Invalid search criteria.", &[])
}

/// Routes a call to its handler.
pub(crate) fn handle(org: &mut Org, req: &ApiRequest<'_>) -> Reply {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match (req.method, segs.as_slice()) {
        ("GET", ["users"]) => list_users(org, req),
        ("POST", ["users"]) => create_user(org, req),
        (_, ["users"]) => method_not_allowed(),
        ("GET", ["users", key]) => get_user(org, req, key),
        ("POST", ["users", key]) => update_user(org, req, key, false),
        ("PUT", ["users", key]) => update_user(org, req, key, true),
        ("DELETE", ["users", key]) => delete_user(org, req, key),
        (_, ["users", _]) => method_not_allowed(),
        ("POST", ["users", key, "lifecycle", op]) => match Op::parse(op) {
            Some(op) => lifecycle_call(org, req, key, op),
            None => error(
                404,
                "E0000007",
                &format!("Not found: Resource not found: {op} (Lifecycle)"),
                &[],
            ),
        },
        (_, ["users", _, "lifecycle", _]) => method_not_allowed(),
        ("DELETE", ["users", key, "sessions"]) => clear_sessions(org, req, key),
        (_, ["users", _, "sessions"]) => method_not_allowed(),
        ("PUT", ["users", key, "risk"]) => set_risk(org, req, key),
        ("GET", ["users", key, "risk"]) => get_risk(org, req, key),
        (_, ["users", _, "risk"]) => method_not_allowed(),
        ("GET", ["users", key, "groups"]) => user_groups(org, req, key),
        (_, ["users", _, "groups"]) => method_not_allowed(),
        ("GET", ["groups"]) => list_groups(org, req),
        (_, ["groups"]) => method_not_allowed(),
        ("GET", ["groups", gid]) => match org.groups.get(*gid) {
            Some(g) => Reply::json(200, group_json(g, req.base_url)),
            None => not_found(gid, "UserGroup"),
        },
        (_, ["groups", _]) => method_not_allowed(),
        ("GET", ["groups", gid, "users"]) => group_users(org, req, gid),
        (_, ["groups", _, "users"]) => method_not_allowed(),
        ("PUT", ["groups", gid, "users", uid]) => membership(org, req, gid, uid, true),
        ("DELETE", ["groups", gid, "users", uid]) => membership(org, req, gid, uid, false),
        (_, ["groups", _, "users", _]) => method_not_allowed(),
        ("GET", ["logs"]) => crate::system_log::list(org, req),
        (_, ["logs"]) => method_not_allowed(),
        ("GET", ["users", key, "factors"]) => apps::list_factors(org, req, key),
        ("GET", ["apps"]) => apps::list_apps(org, req),
        ("GET", ["apps", id]) => apps::get_app(org, req, id),
        ("GET", ["apps", id, "users"]) => apps::list_app_users(org, req, id),
        ("GET", ["eventHooks"]) => apps::list_event_hooks(org, req),
        ("GET", ["eventHooks", id]) => apps::get_event_hook(org, req, id),
        _ => error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {} (Path)", req.raw_path),
            &[],
        ),
    }
}

// ---------------------------------------------------------------- rendering

/// RFC 3339 with milliseconds, like Okta's `2013-07-02T21:36:25.344Z`.
pub(crate) fn timestamp(t: SystemTime) -> Value {
    let odt = time::OffsetDateTime::from(t);
    let millis = odt.millisecond();
    let odt = odt.replace_millisecond(millis).unwrap_or(odt);
    match odt.format(&time::format_description::well_known::Rfc3339) {
        Ok(s) => Value::String(s),
        Err(_) => Value::Null,
    }
}

fn opt_timestamp(t: Option<SystemTime>) -> Value {
    t.map(timestamp).unwrap_or(Value::Null)
}

pub(crate) fn user_json(r: &UserRecord, base: &str) -> Value {
    let mut credentials = Map::new();
    if r.user.has_password {
        credentials.insert("password".into(), json!({}));
    }
    credentials.insert("provider".into(), json!({"type": "OKTA", "name": "OKTA"}));
    let href = format!("{base}/api/v1/users/{}", r.user.id);
    json!({
        "id": r.user.id,
        "status": r.user.status.as_str(),
        "created": r.user.created.clone().map_or_else(|| timestamp(r.created), Value::String),
        "activated": opt_timestamp(r.activated),
        "statusChanged": opt_timestamp(r.status_changed),
        "lastLogin": r.user.last_login.clone().map_or(Value::Null, Value::String),
        "lastUpdated": timestamp(r.last_updated),
        "passwordChanged": opt_timestamp(r.password_changed),
        "type": {"id": "oty00000000000000000"},
        "profile": r.user.profile,
        "credentials": credentials,
        "_links": {"self": {"href": href}},
    })
}

pub(crate) fn group_json(g: &GroupRecord, base: &str) -> Value {
    let object_class = match g.group.group_type {
        GroupType::AppGroup => "okta:windows_security_principal",
        GroupType::OktaGroup | GroupType::BuiltIn => "okta:user_group",
    };
    let href = format!("{base}/api/v1/groups/{}", g.group.id);
    json!({
        "id": g.group.id,
        "created": timestamp(g.created),
        "lastUpdated": timestamp(g.last_updated),
        "lastMembershipUpdated": timestamp(g.last_membership_updated),
        "objectClass": [object_class],
        "type": g.group.group_type.as_str(),
        "profile": {"name": g.group.name, "description": g.group.description},
        "_links": {
            "self": {"href": href},
            "users": {"href": format!("{href}/users")},
        },
    })
}

// ---------------------------------------------------------------- paging

/// Characters escaped in a query value of a `Link` we build.
pub(crate) const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// This path of the org with the query `pairs` (percent-encoded), as Okta writes the
/// URLs of its `Link` headers.
pub(crate) fn page_url(req: &ApiRequest<'_>, pairs: &[(String, String)]) -> String {
    let query = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY_VALUE),
                utf8_percent_encode(v, QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    if query.is_empty() {
        format!("{}{}", req.base_url, req.raw_path)
    } else {
        format!("{}{}?{query}", req.base_url, req.raw_path)
    }
}

/// One page of `items` (already sorted by id, filtered) after the cursor `after`, and
/// the `self`/`next` links Okta would send.
fn page(req: &ApiRequest<'_>, items: Vec<(String, Value)>, default_limit: usize) -> Reply {
    page_limited(req, items, default_limit, usize::MAX)
}

/// [`page`] where a `limit` above `max_limit` is served as `max_limit`, as Okta does.
pub(crate) fn page_limited(
    req: &ApiRequest<'_>,
    items: Vec<(String, Value)>,
    default_limit: usize,
    max_limit: usize,
) -> Reply {
    let limit = req
        .param("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(default_limit)
        .min(max_limit);
    let after = req.param("after");
    let mut rest = items
        .into_iter()
        .filter(|(id, _)| after.is_none_or(|a| id.as_str() > a))
        .peekable();
    let mut values = Vec::new();
    let mut last = None;
    while values.len() < limit {
        let Some((id, value)) = rest.next() else {
            break;
        };
        values.push(value);
        last = Some(id);
    }
    let link = |after: Option<&str>| {
        let mut pairs: Vec<(String, String)> = req
            .query
            .iter()
            .filter(|(k, _)| k != "after")
            .cloned()
            .collect();
        if let Some(a) = after {
            pairs.push(("after".into(), a.into()));
        }
        page_url(req, &pairs)
    };
    let mut links = vec![format!("<{}>; rel=\"self\"", link(after))];
    if rest.peek().is_some()
        && let Some(last) = last
    {
        links.push(format!("<{}>; rel=\"next\"", link(Some(&last))));
    }
    Reply {
        status: 200,
        body: Some(Value::Array(values)),
        links,
        headers: Vec::new(),
    }
}

// ---------------------------------------------------------------- users

fn user_attr(u: &User) -> impl Fn(&str) -> Option<String> + '_ {
    move |attr: &str| match attr {
        "id" => Some(u.id.clone()),
        "status" => Some(u.status.as_str().to_owned()),
        _ => attr
            .strip_prefix("profile.")
            .and_then(|name| u.profile.get(name))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
    }
}

fn list_users(org: &Org, req: &ApiRequest<'_>) -> Reply {
    let expr = match req.param("search").or(req.param("filter")) {
        Some(text) => match Expr::parse(text) {
            Ok(e) => Some(e),
            Err(_) => return invalid_search(),
        },
        None => None,
    };
    let q = req.param("q").map(str::to_lowercase);
    let items = org
        .users
        .values()
        .filter(|r| match (&expr, &q) {
            (Some(e), _) => e.matches(&user_attr(&r.user)),
            (None, Some(q)) => {
                r.user.status != Status::Deprovisioned
                    && ["firstName", "lastName", "email"].iter().any(|a| {
                        r.user
                            .profile
                            .get(*a)
                            .and_then(Value::as_str)
                            .is_some_and(|v| v.to_lowercase().starts_with(q.as_str()))
                    })
            }
            (None, None) => r.user.status != Status::Deprovisioned,
        })
        .map(|r| (r.user.id.clone(), user_json(r, req.base_url)))
        .collect();
    page(req, items, 200)
}

fn get_user(org: &Org, req: &ApiRequest<'_>, key: &str) -> Reply {
    match org.resolve_user(key).and_then(|id| org.users.get(&id)) {
        Some(r) => Reply::json(200, user_json(r, req.base_url)),
        None => not_found(key, "User"),
    }
}

fn parse_body(req: &ApiRequest<'_>) -> Result<Value, Reply> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(req.body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(bad_body()),
    }
}

fn password_in(body: &Value) -> bool {
    body.pointer("/credentials/password/value")
        .and_then(Value::as_str)
        .is_some()
}

fn login_taken(org: &Org, login: &str, except: Option<&str>) -> bool {
    org.users.values().any(|r| {
        Some(r.user.id.as_str()) != except
            && r.user
                .login()
                .is_some_and(|l| l.eq_ignore_ascii_case(login))
    })
}

fn create_user(org: &mut Org, req: &ApiRequest<'_>) -> Reply {
    let body = match parse_body(req) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let profile = match body.get("profile") {
        Some(Value::Object(p)) => p.clone(),
        _ => return validation("login", "The field cannot be left blank"),
    };
    let Some(login) = profile.get("login").and_then(Value::as_str) else {
        return validation("login", "The field cannot be left blank");
    };
    if login_taken(org, login, None) {
        return validation(
            "login",
            "An object with this field already exists in the current organization",
        );
    }
    let has_password = password_in(&body);
    let status = match (req.flag("activate", true), has_password) {
        (false, _) => Status::Staged,
        (true, true) => Status::Active,
        (true, false) => Status::Provisioned,
    };
    let id = org.new_id("00u");
    let user = User {
        id: id.clone(),
        status,
        has_password,
        profile,
        created: None,
        last_login: None,
    };
    org.put_user(user);
    let now = org.now();
    if let Some(r) = org.users.get_mut(&id)
        && has_password
    {
        r.password_changed = Some(now);
    }
    if let Some(Value::Array(gids)) = body.get("groupIds") {
        for gid in gids.iter().filter_map(Value::as_str) {
            if org.groups.contains_key(gid) {
                org.memberships.insert((gid.to_owned(), id.clone()));
            }
        }
    }
    org.record("create", Some(&id), None, &req.params(), req.request_id);
    match org.users.get(&id) {
        Some(r) => Reply::json(200, user_json(r, req.base_url)),
        None => internal_error(500),
    }
}

fn update_user(org: &mut Org, req: &ApiRequest<'_>, key: &str, replace: bool) -> Reply {
    let Some(id) = org.resolve_user(key) else {
        return not_found(key, "User");
    };
    let body = match parse_body(req) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let new_profile = match body.get("profile") {
        Some(Value::Object(p)) => Some(p.clone()),
        Some(_) => return bad_body(),
        None => None,
    };
    if let Some(login) = new_profile
        .as_ref()
        .and_then(|p| p.get("login"))
        .and_then(Value::as_str)
        && login_taken(org, login, Some(&id))
    {
        return validation(
            "login",
            "An object with this field already exists in the current organization",
        );
    }
    let keeps_login = new_profile
        .as_ref()
        .is_some_and(|p| p.get("login").and_then(Value::as_str).is_some());
    if replace && !keeps_login {
        return validation("login", "The field cannot be left blank");
    }
    let now = org.now();
    let Some(r) = org.users.get_mut(&id) else {
        return not_found(key, "User");
    };
    if let Some(p) = new_profile {
        if replace {
            r.user.profile = p;
        } else {
            r.user.profile.extend(p);
        }
    }
    if password_in(&body) {
        r.user.has_password = true;
        r.password_changed = Some(now);
    }
    r.last_updated = now;
    let json = user_json(r, req.base_url);
    let op = if replace { "replace" } else { "update" };
    org.record(op, Some(&id), None, &req.params(), req.request_id);
    Reply::json(200, json)
}

fn set_status(r: &mut UserRecord, to: Status, now: SystemTime) {
    if to == Status::Active && r.activated.is_none() {
        r.activated = Some(now);
    }
    r.user.status = to;
    r.status_changed = Some(now);
    r.last_updated = now;
}

fn delete_user(org: &mut Org, req: &ApiRequest<'_>, key: &str) -> Reply {
    let Some(id) = org.resolve_user(key) else {
        return not_found(key, "User");
    };
    let now = org.now();
    let Some(r) = org.users.get_mut(&id) else {
        return not_found(key, "User");
    };
    if r.user.status == Status::Deprovisioned {
        org.users.remove(&id);
        org.memberships.retain(|(_, u)| *u != id);
        org.record("delete", Some(&id), None, &req.params(), req.request_id);
    } else {
        set_status(r, Status::Deprovisioned, now);
        org.record("deactivate", Some(&id), None, &req.params(), req.request_id);
    }
    Reply::empty(204)
}

fn lifecycle_call(org: &mut Org, req: &ApiRequest<'_>, key: &str, op: Op) -> Reply {
    let Some(id) = org.resolve_user(key) else {
        return not_found(key, "User");
    };
    let now = org.now();
    let base = req.base_url;
    let Some(r) = org.users.get_mut(&id) else {
        return not_found(key, "User");
    };
    let to = match lifecycle::transition(op, r.user.status, r.user.has_password) {
        Ok(to) => to,
        Err(refusal) => return error(403, refusal.error_code(), &refusal.to_string(), &[]),
    };
    set_status(r, to, now);
    let token = uuid::Uuid::new_v4().simple().to_string();
    let activation = || {
        json!({
            "activationUrl": format!("{base}/welcome/{token}"),
            "activationToken": token,
        })
    };
    let reply = match op {
        Op::Activate if !req.flag("sendEmail", true) => Reply::json(200, activation()),
        Op::Reactivate if !req.flag("sendEmail", false) => Reply::json(200, activation()),
        Op::Activate | Op::Reactivate => Reply::json(200, json!({})),
        Op::ResetPassword if !req.flag("sendEmail", true) => Reply::json(
            200,
            json!({"resetPasswordUrl": format!("{base}/signin/reset-password/{token}")}),
        ),
        Op::ResetPassword => Reply::json(200, json!({})),
        Op::ExpirePassword => Reply::json(200, user_json(r, base)),
        Op::Deactivate | Op::Suspend | Op::Unsuspend | Op::Unlock => Reply::empty(200),
    };
    org.record(op.as_str(), Some(&id), None, &req.params(), req.request_id);
    reply
}

fn clear_sessions(org: &mut Org, req: &ApiRequest<'_>, key: &str) -> Reply {
    let Some(id) = org.resolve_user(key) else {
        return not_found(key, "User");
    };
    org.record(
        "clear_sessions",
        Some(&id),
        None,
        &req.params(),
        req.request_id,
    );
    Reply::empty(204)
}

/// Okta's reason when an admin sets a risk level without one.
const ADMIN_OVERRIDE: &str = "override.by.admin";

/// `UserRiskPutResponse` / `UserRiskGetResponse`: the level (`NONE` when unset), the
/// reason when set, and the `self`/`user` links.
fn risk_json(id: &str, risk: Option<&UserRisk>, base: &str) -> Value {
    let user = format!("{base}/api/v1/users/{id}");
    let mut body = json!({
        "riskLevel": risk.map_or("NONE", |r| r.level.as_str()),
        "_links": {
            "self": {"href": format!("{user}/risk"), "hints": {"allow": ["GET", "PUT"]}},
            "user": {"href": user, "hints": {"allow": ["GET"]}},
        },
    });
    if let Some(r) = risk {
        body["reason"] = json!(r.reason);
    }
    body
}

/// Okta's `riskReason`: at most 500 characters, `^[a-zA-Z0-9\s\-,.]*$`.
fn reason_fits(reason: &str) -> bool {
    reason.chars().count() <= 500
        && reason
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || "-,.".contains(c))
}

/// `PUT /api/v1/users/{userId}/risk`: upserts the risk — `201` the first time, `200`
/// after — and records a `set_risk` change each time (see [`crate::Change::op`]).
fn set_risk(org: &mut Org, req: &ApiRequest<'_>, key: &str) -> Reply {
    let Some(id) = org.resolve_user(key) else {
        return not_found(key, "User");
    };
    let body = match parse_body(req) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let level = match body.get("riskLevel") {
        None | Some(Value::Null) => {
            return validation("riskLevel", "The field cannot be left blank");
        }
        Some(v) => match v.as_str().and_then(RiskLevel::parse) {
            Some(level) => level,
            None => {
                return validation("riskLevel", "The value must be one of HIGH, MEDIUM, LOW");
            }
        },
    };
    let reason = match body.get("riskReason") {
        None | Some(Value::Null) => ADMIN_OVERRIDE.to_owned(),
        Some(Value::String(r)) if reason_fits(r) => r.clone(),
        Some(_) => {
            return validation(
                "riskReason",
                "Only alphanumeric characters, spaces, hyphens, commas, and periods are allowed, at most 500",
            );
        }
    };
    let Some(r) = org.users.get_mut(&id) else {
        return not_found(key, "User");
    };
    let status = if r.risk.is_some() { 200 } else { 201 };
    let risk = UserRisk {
        user: id.clone(),
        level,
        reason,
    };
    let reply = Reply::json(status, risk_json(&id, Some(&risk), req.base_url));
    r.risk = Some(risk);
    org.record("set_risk", Some(&id), None, &req.params(), req.request_id);
    reply
}

/// `GET /api/v1/users/{userId}/risk`: `NONE` until a level is set.
fn get_risk(org: &Org, req: &ApiRequest<'_>, key: &str) -> Reply {
    match org.resolve_user(key).and_then(|id| org.users.get(&id)) {
        Some(r) => Reply::json(200, risk_json(&r.user.id, r.risk.as_ref(), req.base_url)),
        None => not_found(key, "User"),
    }
}

fn user_groups(org: &Org, req: &ApiRequest<'_>, key: &str) -> Reply {
    let Some(id) = org.resolve_user(key) else {
        return not_found(key, "User");
    };
    let items = org
        .memberships
        .iter()
        .filter(|(_, u)| *u == id)
        .filter_map(|(g, _)| org.groups.get(g))
        .map(|g| (g.group.id.clone(), group_json(g, req.base_url)))
        .collect();
    page(req, items, 10_000)
}

// ---------------------------------------------------------------- groups

fn list_groups(org: &Org, req: &ApiRequest<'_>) -> Reply {
    let expr = match req.param("search").or(req.param("filter")) {
        Some(text) => match Expr::parse(text) {
            Ok(e) => Some(e),
            Err(_) => return invalid_search(),
        },
        None => None,
    };
    let q = req.param("q").map(str::to_lowercase);
    let items = org
        .groups
        .values()
        .filter(|g| {
            let attr = |a: &str| match a {
                "id" => Some(g.group.id.clone()),
                "type" => Some(g.group.group_type.as_str().to_owned()),
                "profile.name" => Some(g.group.name.clone()),
                "profile.description" => Some(g.group.description.clone()),
                _ => None,
            };
            expr.as_ref().is_none_or(|e| e.matches(&attr))
                && q.as_ref()
                    .is_none_or(|q| g.group.name.to_lowercase().starts_with(q.as_str()))
        })
        .map(|g| (g.group.id.clone(), group_json(g, req.base_url)))
        .collect();
    page(req, items, 10_000)
}

fn group_users(org: &Org, req: &ApiRequest<'_>, gid: &str) -> Reply {
    if !org.groups.contains_key(gid) {
        return not_found(gid, "UserGroup");
    }
    let items = org
        .memberships
        .iter()
        .filter(|(g, _)| g == gid)
        .filter_map(|(_, u)| org.users.get(u))
        .map(|r| (r.user.id.clone(), user_json(r, req.base_url)))
        .collect();
    page(req, items, 1_000)
}

/// `PUT`/`DELETE /api/v1/groups/{gid}/users/{uid}`: `204` whether or not the
/// membership changed (Okta's calls are idempotent), but only a real change is
/// recorded. Only `OKTA_GROUP` memberships can be written: others get `403 E0000006`.
fn membership(org: &mut Org, req: &ApiRequest<'_>, gid: &str, key: &str, add: bool) -> Reply {
    let now = org.now();
    let Some(group) = org.groups.get(gid) else {
        return not_found(gid, "UserGroup");
    };
    let Some(uid) = org.resolve_user(key) else {
        return not_found(key, "User");
    };
    if group.group.group_type != GroupType::OktaGroup {
        return error(
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
            &[],
        );
    }
    let pair = (gid.to_owned(), uid.clone());
    let changed = if add {
        org.memberships.insert(pair)
    } else {
        org.memberships.remove(&pair)
    };
    if changed {
        if let Some(g) = org.groups.get_mut(gid) {
            g.last_membership_updated = now;
        }
        let op = if add {
            "add_to_group"
        } else {
            "remove_from_group"
        };
        org.record(op, Some(&uid), Some(gid), &req.params(), req.request_id);
    }
    Reply::empty(204)
}
