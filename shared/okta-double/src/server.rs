//! HTTP glue: one handler for every path. `/__double/…` is the control API; everything
//! else is the Okta surface, where each call goes through, in order: the `411` check,
//! authentication and the token's scopes (Management API only: `/oauth2/v1/…` clients
//! identify in the form), its rate-limit bucket, the scripted faults, the handler; then
//! it is logged (method, path, query, status: never a body, so no secret) and answered
//! with Okta's headers.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::OktaDouble;
use crate::faults::{self, Fault, FaultKind};
use crate::model::Seed;
use crate::oauth::{self, BearerCheck, OAuthCall};
use crate::okta_api::{self, ApiRequest, Reply};
use crate::org::{LoggedRequest, Org};
use crate::rate_limit::{BucketName, RateHeaders, epoch_ceil};

/// Bodies larger than this are refused (Okta's own limits are far below).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Every request lands here.
pub(crate) async fn dispatch(State(double): State<OktaDouble>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/__double/") {
        let rest = rest.to_owned();
        return control(double, req, &rest).await;
    }
    api(double, req).await
}

/// Decodes `a=1&b=x%40y` (with `+` as a space).
fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_decode_str(&s).decode_utf8_lossy().into_owned()
    };
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

/// What the locked part decided: the answer, its rate-limit headers, and how long to
/// hold it.
struct Answer {
    reply: Reply,
    rate: RateHeaders,
    hold: Option<Duration>,
    date: std::time::SystemTime,
}

/// Which surface a call is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// `/api/v1/…`: needs `SSWS <token>` or a Bearer token issued here.
    Management,
    /// `/oauth2/v1/…`: the org authorization server; clients identify in the form.
    OAuth,
}

async fn api(double: OktaDouble, req: Request) -> Response {
    let request_id = format!("dbl{}", &uuid::Uuid::new_v4().simple().to_string()[..20]);
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return plain(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let method = parts.method.as_str().to_owned();
    let raw_path = parts.uri.path().to_owned();
    let query_string = parts.uri.query().map(str::to_owned);
    let (surface, rest) = match raw_path.strip_prefix("/oauth2/v1/") {
        Some(rest) => (Surface::OAuth, Some(rest)),
        None => (Surface::Management, raw_path.strip_prefix("/api/v1/")),
    };
    let segments: Vec<String> = rest
        .map(|rest| {
            rest.split('/')
                .filter(|s| !s.is_empty())
                .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
                .collect()
        })
        .unwrap_or_else(|| vec![String::new(), raw_path.clone()]);
    let base_url = double.base_url().unwrap_or_default();
    let request = ApiRequest {
        method: &method,
        segments,
        query: parse_query(query_string.as_deref()),
        body: &body,
        request_id: &request_id,
        base_url: &base_url,
        raw_path: &raw_path,
    };
    let outcome = double.with_org(|org| {
        let outcome = decide(org, double.token(), &parts.headers, &request, surface);
        org.requests.push(LoggedRequest {
            method: method.clone(),
            path: raw_path.clone(),
            query: query_string.clone(),
            status: outcome.reply.status,
            request_id: request_id.clone(),
        });
        outcome
    });
    if let Some(hold) = outcome.hold {
        tokio::time::sleep(hold).await;
    }
    respond(&outcome, &request_id)
}

/// Who is calling the Management API: the API token, a live Bearer token issued here
/// (with its scopes), or nobody.
enum Caller {
    ApiToken,
    Bearer(Vec<String>),
    Refused,
}

fn caller(org: &Org, token: &str, headers: &HeaderMap, now: std::time::SystemTime) -> Caller {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Caller::Refused;
    };
    if value.strip_prefix("SSWS ") == Some(token) {
        return Caller::ApiToken;
    }
    match value.strip_prefix("Bearer ") {
        Some(bearer) => match org.oauth.check_bearer(bearer, now) {
            BearerCheck::Valid(scopes) => Caller::Bearer(scopes),
            BearerCheck::Invalid => Caller::Refused,
        },
        None => Caller::Refused,
    }
}

/// The call's handler, by surface.
fn handler(org: &mut Org, req: &ApiRequest<'_>, headers: &HeaderMap, surface: Surface) -> Reply {
    match surface {
        Surface::Management => okta_api::handle(org, req),
        Surface::OAuth => {
            let form_encoded = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| {
                    v.to_ascii_lowercase()
                        .starts_with("application/x-www-form-urlencoded")
                });
            let call = OAuthCall {
                form: parse_query(std::str::from_utf8(req.body).ok()),
                form_encoded,
                request: req,
            };
            let now = org.now();
            oauth::handle(&mut org.oauth, now, &call)
        }
    }
}

fn decide(
    org: &mut Org,
    token: &str,
    headers: &HeaderMap,
    req: &ApiRequest<'_>,
    surface: Surface,
) -> Answer {
    let now = org.now();
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let bucket = match surface {
        Surface::Management => BucketName::of(req.method, &segs),
        Surface::OAuth => BucketName::OAuth,
    };
    let outcome = |reply, rate| Answer {
        reply,
        rate,
        hold: None,
        date: now,
    };
    // Okta answers 411 to a POST/PUT that says nothing about its body's length.
    if matches!(req.method, "POST" | "PUT")
        && !headers.contains_key(header::CONTENT_LENGTH)
        && !headers.contains_key(header::TRANSFER_ENCODING)
    {
        return outcome(
            okta_api::error(
                411,
                "E0000001",
                "Api validation failed: Length Required",
                &[],
            ),
            org.buckets.peek(bucket, now),
        );
    }
    if surface == Surface::Management {
        match caller(org, token, headers, now) {
            Caller::ApiToken => {}
            Caller::Bearer(scopes) => {
                if let Some(needed) = oauth::required_scope(req.method, &segs)
                    && !oauth::covers(&scopes, needed)
                {
                    let reply = okta_api::error(
                        403,
                        "E0000006",
                        "You do not have permission to perform the requested action",
                        &[],
                    )
                    .with_header(
                        "www-authenticate",
                        format!(
                            "Bearer error=\"insufficient_scope\", error_description=\"The access token provided does not contain the required scopes.\", scope=\"{needed}\""
                        ),
                    );
                    return outcome(reply, org.buckets.peek(bucket, now));
                }
            }
            Caller::Refused => {
                let reply = okta_api::error(401, "E0000011", "Invalid token provided", &[]);
                let reply = if headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("Bearer "))
                {
                    reply.with_header(
                        "www-authenticate",
                        "Bearer error=\"invalid_token\", error_description=\"The access token is invalid or has expired.\"",
                    )
                } else {
                    reply
                };
                return outcome(reply, org.buckets.peek(bucket, now));
            }
        }
    }
    let rate = match org.buckets.take(bucket, now) {
        Ok(rate) => rate,
        Err(rate) => return outcome(too_many_requests(), rate),
    };
    let Some(fault) = faults::take(&mut org.faults, req.method, req.raw_path) else {
        return outcome(handler(org, req, headers, surface), rate);
    };
    match fault {
        FaultKind::RateLimited { reset_in_secs } => outcome(
            too_many_requests(),
            RateHeaders {
                limit: rate.limit,
                remaining: 0,
                reset_epoch: epoch_ceil(now) + reset_in_secs,
            },
        ),
        FaultKind::Status { status } => outcome(okta_api::internal_error(status), rate),
        FaultKind::Okta {
            status,
            code,
            summary,
        } => outcome(okta_api::error(status, &code, &summary, &[]), rate),
        FaultKind::Hang { millis } => Answer {
            hold: Some(Duration::from_millis(millis)),
            ..outcome(okta_api::internal_error(503), rate)
        },
        FaultKind::Delay { millis } => Answer {
            hold: Some(Duration::from_millis(millis)),
            ..outcome(handler(org, req, headers, surface), rate)
        },
        FaultKind::AfterApply500 => {
            let _applied = handler(org, req, headers, surface);
            outcome(okta_api::internal_error(500), rate)
        }
    }
}

fn too_many_requests() -> Reply {
    okta_api::error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
        &[],
    )
}

fn respond(outcome: &Answer, request_id: &str) -> Response {
    let status =
        StatusCode::from_u16(outcome.reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match &outcome.reply.body {
        Some(v) => Body::from(v.to_string()),
        None => Body::empty(),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let h = response.headers_mut();
    if outcome.reply.body.is_some() {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.append(name, v);
        }
    };
    put("x-okta-request-id", request_id.to_owned());
    put("date", httpdate::fmt_http_date(outcome.date));
    put("x-rate-limit-limit", outcome.rate.limit.to_string());
    put("x-rate-limit-remaining", outcome.rate.remaining.to_string());
    put("x-rate-limit-reset", outcome.rate.reset_epoch.to_string());
    for link in &outcome.reply.links {
        put("link", link.clone());
    }
    for (name, value) in &outcome.reply.headers {
        put(name, value.clone());
    }
    response
}

fn plain(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn bad_request(message: impl std::fmt::Display) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"error": message.to_string()}),
    )
}

/// Body of `PUT /__double/buckets/{name}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketSettings {
    limit: u64,
    #[serde(default)]
    window_secs: Option<u64>,
    #[serde(default)]
    window_millis: Option<u64>,
}

/// Body of `POST /__double/clock/advance`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Advance {
    #[serde(default)]
    secs: u64,
    #[serde(default)]
    millis: u64,
}

/// Body of `POST /__double/device/approve|deny`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserCode {
    user_code: String,
}

/// One System Log event or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum LogEvents {
    Many(Vec<Value>),
    One(Value),
}

/// One fault or a list of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum Faults {
    One(Fault),
    Many(Vec<Fault>),
}

/// The control API (see the README): seed, read state, applied counts, request log,
/// System Log events, faults, buckets, clock, device grants, reset. Not authenticated: the double listens on loopback only.
async fn control(double: OktaDouble, req: Request, rest: &str) -> Response {
    let method = req.method().as_str().to_owned();
    let query = parse_query(req.uri().query());
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let Ok(body) = to_bytes(req.into_body(), MAX_BODY).await else {
        return plain(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match (method.as_str(), segs.as_slice()) {
        ("POST", ["seed"]) => match serde_json::from_slice::<Seed>(&body) {
            Ok(seed) => {
                double.seed(seed);
                plain(StatusCode::NO_CONTENT)
            }
            Err(e) => bad_request(e),
        },
        ("POST", ["reset"]) => {
            double.reset();
            plain(StatusCode::NO_CONTENT)
        }
        ("GET", ["state"]) => json_response(StatusCode::OK, &json!(double.snapshot())),
        ("GET", ["users", id]) => {
            let id = percent_decode_str(id).decode_utf8_lossy();
            match double.user(&id) {
                Some(user) => json_response(StatusCode::OK, &json!(user)),
                None => plain(StatusCode::NOT_FOUND),
            }
        }
        ("GET", ["changes"]) => json_response(StatusCode::OK, &json!(double.changes())),
        ("GET", ["applied"]) => {
            let (op, user, group) = (param("op"), param("user"), param("group"));
            let count = double
                .changes()
                .iter()
                .filter(|c| op.as_ref().is_none_or(|op| *op == c.op))
                .filter(|c| user.is_none() || c.user == user)
                .filter(|c| group.is_none() || c.group == group)
                .count();
            json_response(StatusCode::OK, &json!({ "count": count }))
        }
        ("GET", ["requests"]) => json_response(StatusCode::OK, &json!(double.requests())),
        ("GET", ["logs"]) => json_response(StatusCode::OK, &json!(double.log_events())),
        ("POST", ["logs"]) => {
            let events = match serde_json::from_slice::<LogEvents>(&body) {
                Ok(LogEvents::Many(events)) => events,
                Ok(LogEvents::One(event)) => vec![event],
                Err(e) => return bad_request(e),
            };
            match double.with_org(|org| org.append_logs(events)) {
                Ok(()) => plain(StatusCode::NO_CONTENT),
                Err(e) => bad_request(e),
            }
        }
        ("GET", ["faults"]) => json_response(StatusCode::OK, &json!(double.pending_faults())),
        ("POST", ["faults"]) => match serde_json::from_slice::<Faults>(&body) {
            Ok(Faults::One(f)) => {
                double.fault(f);
                plain(StatusCode::NO_CONTENT)
            }
            Ok(Faults::Many(fs)) => {
                for f in fs {
                    double.fault(f);
                }
                plain(StatusCode::NO_CONTENT)
            }
            Err(e) => bad_request(e),
        },
        ("DELETE", ["faults"]) => {
            double.clear_faults();
            plain(StatusCode::NO_CONTENT)
        }
        ("PUT", ["buckets", name]) => {
            let Some(bucket) = BucketName::parse(name) else {
                return bad_request(format!("unknown bucket {name}"));
            };
            match serde_json::from_slice::<BucketSettings>(&body) {
                Ok(s) => {
                    let window = match (s.window_millis, s.window_secs) {
                        (Some(ms), _) => Duration::from_millis(ms),
                        (None, Some(secs)) => Duration::from_secs(secs),
                        (None, None) => crate::rate_limit::DEFAULT_WINDOW,
                    };
                    double.set_rate_limit(bucket, s.limit, window);
                    plain(StatusCode::NO_CONTENT)
                }
                Err(e) => bad_request(e),
            }
        }
        ("POST", ["device", verdict @ ("approve" | "deny")]) => {
            match serde_json::from_slice::<UserCode>(&body) {
                Ok(UserCode { user_code }) => {
                    let approve = *verdict == "approve";
                    let decided = double.with_org(|org| org.oauth.decide(&user_code, approve));
                    if decided {
                        plain(StatusCode::NO_CONTENT)
                    } else {
                        json_response(
                            StatusCode::NOT_FOUND,
                            &json!({"error": format!("no pending device grant with user code {user_code}")}),
                        )
                    }
                }
                Err(e) => bad_request(e),
            }
        }
        ("GET", ["device"]) => json_response(StatusCode::OK, &json!(double.device_grants())),
        ("POST", ["clock", "advance"]) => match serde_json::from_slice::<Advance>(&body) {
            Ok(a) => {
                double.advance_clock(Duration::from_secs(a.secs) + Duration::from_millis(a.millis));
                plain(StatusCode::NO_CONTENT)
            }
            Err(e) => bad_request(e),
        },
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no control endpoint {method} /__double/{rest}")}),
        ),
    }
}
