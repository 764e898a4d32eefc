//! The org authorization server (`/oauth2/v1/…`), as much of it as a CLI login needs:
//! the device authorization grant (RFC 8628), refresh tokens (optionally rotated),
//! revocation, and the access tokens the Management API then accepts as
//! `Authorization: Bearer …`.
//!
//! - `POST /oauth2/v1/device/authorize` (form `client_id`, `scope`): an unknown client is
//!   `401 invalid_client`; no scope, or one the client was not granted, `400
//!   invalid_scope` (`openid`, `profile`, `email`, `address`, `phone`, `offline_access`,
//!   `device_sso` are always allowed). Answers `DeviceAuthorizeResponse`.
//! - `POST /oauth2/v1/token`, `grant_type=urn:ietf:params:oauth:grant-type:device_code`:
//!   `authorization_pending` until approved (`/__double/device/approve`, or by itself
//!   after the client's `approveAfterPolls` pending answers); `slow_down` (and the
//!   grant's interval grows by 5 s, RFC 8628 §3.5) when polled sooner than the interval
//!   after the previous poll (the first: after the authorization), on the double's clock;
//!   `expired_token` past `expiresIn`; `access_denied` once denied; `invalid_grant` for an
//!   unknown or already redeemed code. Approved: a `TokenResponse` (`Bearer`, an opaque
//!   access token, `expires_in`, `scope`, and a refresh token when `offline_access` was
//!   granted; no `id_token`).
//! - `grant_type=refresh_token`: `invalid_grant` for an unknown, revoked or rotated-out
//!   token; `scope`, when given, must be within the original grant (`invalid_scope`);
//!   with `rotateRefreshTokens` the answer carries a new refresh token and the old one is
//!   dead at once (no grace period).
//! - `POST /oauth2/v1/revoke` (`token`, `client_id`): `200` whatever the token; a refresh
//!   token of the client is retired with the access tokens of its grant, an access token
//!   just itself.
//!
//! Errors are `OAuthError` (`error`, `error_description`). Tokens are random, opaque and
//! never written anywhere but the answers (`Debug` shows counts only).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::okta_api::{ApiRequest, Reply};

/// An OAuth client of the org authorization server: a native app with the device
/// authorization and refresh token grants, and the Okta API scopes granted to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClient {
    /// `0oa…`: the `client_id` a public client sends.
    pub client_id: String,
    /// The Okta API scopes granted on the app (`okta.users.read`, …).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Whether each refresh hands out a new refresh token and retires the old one.
    #[serde(default)]
    pub rotate_refresh_tokens: bool,
    /// The device flow's polling `interval`, seconds (default 5; `0`: tests never sleep).
    #[serde(default = "five")]
    pub interval: u64,
    /// How long a device code lives, seconds (default 600).
    #[serde(default = "six_hundred")]
    pub expires_in: u64,
    /// When set, a device grant approves itself after this many polls answered
    /// `authorization_pending` (`0`: the first poll gets the tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_after_polls: Option<u32>,
    /// How long an access token lives, seconds (default 3600, as Okta's org server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_expires_in: Option<u64>,
}

fn five() -> u64 {
    5
}

fn six_hundred() -> u64 {
    600
}

impl OAuthClient {
    /// A client granted `scopes`, Okta's defaults otherwise (interval 5 s, codes living
    /// 600 s, no rotation, approval by a control call).
    pub fn new<S: Into<String>>(
        client_id: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> OAuthClient {
        OAuthClient {
            client_id: client_id.into(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            rotate_refresh_tokens: false,
            interval: five(),
            expires_in: six_hundred(),
            approve_after_polls: None,
            access_token_expires_in: None,
        }
    }

    /// The same client with refresh-token rotation on.
    pub fn rotating(mut self) -> OAuthClient {
        self.rotate_refresh_tokens = true;
        self
    }

    /// The same client with this polling interval (`Duration::ZERO`: tests never sleep).
    pub fn interval(mut self, interval: Duration) -> OAuthClient {
        self.interval = interval.as_secs();
        self
    }

    /// The same client approving its device grants after `polls` pending answers.
    pub fn approve_after_polls(mut self, polls: u32) -> OAuthClient {
        self.approve_after_polls = Some(polls);
        self
    }

    fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_expires_in.unwrap_or(3600))
    }
}

/// Scopes every client may ask for besides the Okta API scopes granted to it.
const OIDC_SCOPES: [&str; 7] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
    "device_sso",
];

/// Where a device grant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Waiting for the user.
    Pending,
    /// Approved, tokens not yet fetched.
    Approved,
    /// Denied by the user.
    Denied,
    /// Approved and its tokens handed out: the code is spent.
    Redeemed,
}

/// A device grant as `GET /__double/device` shows it (no device code: it is a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceGrantView {
    /// What the user types at `/activate`.
    pub user_code: String,
    /// The client that asked.
    pub client_id: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// Where it stands.
    pub status: DeviceStatus,
    /// How many token polls it got (slow-downs included).
    pub polls: u32,
}

#[derive(Clone)]
struct DeviceGrant {
    client_id: String,
    user_code: String,
    scopes: Vec<String>,
    expires_at: SystemTime,
    interval: Duration,
    /// No poll before this without a `slow_down`.
    next_poll_at: SystemTime,
    pending_answers: u32,
    polls: u32,
    status: DeviceStatus,
}

#[derive(Clone)]
struct AccessToken {
    client_id: String,
    scopes: Vec<String>,
    expires_at: SystemTime,
    /// The device grant it descends from (revoking its refresh token revokes it).
    grant: u64,
    revoked: bool,
}

#[derive(Clone)]
struct RefreshToken {
    client_id: String,
    scopes: Vec<String>,
    grant: u64,
    active: bool,
}

/// What an `Authorization: Bearer …` is worth.
pub(crate) enum BearerCheck {
    /// Issued here, live: its scopes.
    Valid(Vec<String>),
    /// Unknown, revoked or expired.
    Invalid,
}

/// Clients, device grants (by device code) and tokens (by their value).
#[derive(Clone, Default)]
pub(crate) struct OAuthState {
    pub clients: BTreeMap<String, OAuthClient>,
    devices: BTreeMap<String, DeviceGrant>,
    access: BTreeMap<String, AccessToken>,
    refresh: BTreeMap<String, RefreshToken>,
    next_grant: u64,
}

impl std::fmt::Debug for OAuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthState")
            .field("clients", &self.clients.len())
            .field("devices", &self.devices.len())
            .field("access_tokens", &self.access.len())
            .field("refresh_tokens", &self.refresh.len())
            .finish()
    }
}

impl OAuthState {
    pub fn put_client(&mut self, client: OAuthClient) {
        self.clients.insert(client.client_id.clone(), client);
    }

    /// Sets a pending grant's outcome by its user code; `false` when no pending grant
    /// has that code.
    pub fn decide(&mut self, user_code: &str, approve: bool) -> bool {
        let grant = self
            .devices
            .values_mut()
            .find(|g| g.user_code.eq_ignore_ascii_case(user_code));
        match grant {
            Some(g) if g.status == DeviceStatus::Pending => {
                g.status = if approve {
                    DeviceStatus::Approved
                } else {
                    DeviceStatus::Denied
                };
                true
            }
            _ => false,
        }
    }

    pub fn device_grants(&self) -> Vec<DeviceGrantView> {
        self.devices
            .values()
            .map(|g| DeviceGrantView {
                user_code: g.user_code.clone(),
                client_id: g.client_id.clone(),
                scopes: g.scopes.clone(),
                status: g.status,
                polls: g.polls,
            })
            .collect()
    }

    /// What a Bearer token is worth at `now`.
    pub fn check_bearer(&self, token: &str, now: SystemTime) -> BearerCheck {
        match self.access.get(token) {
            Some(t) if !t.revoked && now < t.expires_at => BearerCheck::Valid(t.scopes.clone()),
            _ => BearerCheck::Invalid,
        }
    }
}

/// The Okta scope a Management API call needs, by method and path segments after
/// `/api/v1/`; `None`: no scope (paths the double does not serve). A `.manage` scope
/// also grants its `.read`.
pub(crate) fn required_scope(method: &str, segments: &[&str]) -> Option<&'static str> {
    let read = method == "GET";
    let pick = |r: &'static str, m: &'static str| Some(if read { r } else { m });
    match segments {
        ["users", _, "sessions", ..] => Some("okta.users.manage"),
        ["users", _, "risk", ..] => pick("okta.userRisk.read", "okta.userRisk.manage"),
        ["users", ..] => pick("okta.users.read", "okta.users.manage"),
        ["groups", ..] => pick("okta.groups.read", "okta.groups.manage"),
        ["apps", ..] => pick("okta.apps.read", "okta.apps.manage"),
        ["logs", ..] => Some("okta.logs.read"),
        ["eventHooks", ..] => pick("okta.eventHooks.read", "okta.eventHooks.manage"),
        _ => None,
    }
}

/// Whether `granted` covers `needed` (`okta.x.manage` covers `okta.x.read`).
pub(crate) fn covers(granted: &[String], needed: &str) -> bool {
    let manage = needed
        .strip_suffix(".read")
        .map(|stem| format!("{stem}.manage"));
    granted
        .iter()
        .any(|g| g == needed || manage.as_deref() == Some(g.as_str()))
}

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `OAuthError`.
fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    Reply::json(
        status,
        json!({"error": error, "error_description": description}),
    )
}

fn invalid_client() -> Reply {
    oauth_error(
        401,
        "invalid_client",
        "The client_id is unknown to the authorization server.",
    )
}

fn missing(name: &str) -> Reply {
    oauth_error(
        400,
        "invalid_request",
        &format!("The `{name}` parameter is required."),
    )
}

/// A fresh opaque secret (122 random bits per UUID, two of them).
fn secret(prefix: &str) -> String {
    format!(
        "{prefix}{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Eight letters from an alphabet without vowels, like Okta's `RGTCFDTL`.
fn user_code() -> String {
    const LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    uuid::Uuid::new_v4().as_bytes()[..8]
        .iter()
        .map(|b| char::from(LETTERS[usize::from(*b) % LETTERS.len()]))
        .collect()
}

/// The form of a `/oauth2/v1/…` call: its body must be `application/x-www-form-urlencoded`
/// (Okta refuses anything else).
pub(crate) struct OAuthCall<'a> {
    pub form: Vec<(String, String)>,
    pub form_encoded: bool,
    pub request: &'a ApiRequest<'a>,
}

impl OAuthCall<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Routes a call under `/oauth2/v1/` (`segments`: what follows it).
pub(crate) fn handle(state: &mut OAuthState, now: SystemTime, call: &OAuthCall<'_>) -> Reply {
    let segs: Vec<&str> = call.request.segments.iter().map(String::as_str).collect();
    if call.request.method != "POST" {
        return crate::okta_api::method_not_allowed();
    }
    if !call.form_encoded {
        return oauth_error(
            400,
            "invalid_request",
            "The request body must be application/x-www-form-urlencoded.",
        );
    }
    match segs.as_slice() {
        ["device", "authorize"] => device_authorize(state, now, call),
        ["token"] => token(state, now, call),
        ["revoke"] => revoke(state, call),
        _ => crate::okta_api::not_found(call.request.raw_path, "Path"),
    }
}

/// The client the call names, or the `401` to answer.
fn client_of(state: &OAuthState, call: &OAuthCall<'_>) -> Result<OAuthClient, Reply> {
    let Some(id) = call.get("client_id") else {
        return Err(oauth_error(
            401,
            "invalid_client",
            "No client credentials found.",
        ));
    };
    state.clients.get(id).cloned().ok_or_else(invalid_client)
}

fn device_authorize(state: &mut OAuthState, now: SystemTime, call: &OAuthCall<'_>) -> Reply {
    let client = match client_of(state, call) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    let scopes: Vec<String> = call
        .get("scope")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return oauth_error(400, "invalid_scope", "No scopes were requested.");
    }
    let allowed = |s: &String| OIDC_SCOPES.contains(&s.as_str()) || client.scopes.contains(s);
    if !scopes.iter().all(allowed) {
        return oauth_error(
            400,
            "invalid_scope",
            "One or more scopes are not configured for the authorization server resource.",
        );
    }
    let device_code = uuid::Uuid::new_v4().to_string();
    let code = user_code();
    let interval = Duration::from_secs(client.interval);
    state.devices.insert(
        device_code.clone(),
        DeviceGrant {
            client_id: client.client_id.clone(),
            user_code: code.clone(),
            scopes,
            expires_at: now + Duration::from_secs(client.expires_in),
            interval,
            next_poll_at: now + interval,
            pending_answers: 0,
            polls: 0,
            status: DeviceStatus::Pending,
        },
    );
    let base = call.request.base_url;
    Reply::json(
        200,
        json!({
            "device_code": device_code,
            "user_code": code,
            "verification_uri": format!("{base}/activate"),
            "verification_uri_complete": format!("{base}/activate?user_code={code}"),
            "expires_in": client.expires_in,
            "interval": client.interval,
        }),
    )
}

fn token(state: &mut OAuthState, now: SystemTime, call: &OAuthCall<'_>) -> Reply {
    let client = match client_of(state, call) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    match call.get("grant_type") {
        Some(DEVICE_GRANT) => device_token(state, now, call, &client),
        Some("refresh_token") => refresh(state, now, call, &client),
        Some(_) => oauth_error(
            400,
            "unsupported_grant_type",
            "The grant type in the request isn't supported.",
        ),
        None => missing("grant_type"),
    }
}

fn device_token(
    state: &mut OAuthState,
    now: SystemTime,
    call: &OAuthCall<'_>,
    client: &OAuthClient,
) -> Reply {
    let Some(code) = call.get("device_code") else {
        return missing("device_code");
    };
    let invalid = || {
        oauth_error(
            400,
            "invalid_grant",
            "The device code is invalid or has expired.",
        )
    };
    let Some(grant) = state.devices.get_mut(code) else {
        return invalid();
    };
    if grant.client_id != client.client_id || grant.status == DeviceStatus::Redeemed {
        return invalid();
    }
    grant.polls += 1;
    if now >= grant.expires_at {
        return oauth_error(400, "expired_token", "The device code has expired.");
    }
    if grant.status == DeviceStatus::Denied {
        return oauth_error(
            400,
            "access_denied",
            "The resource owner or authorization server denied the request.",
        );
    }
    if grant.status == DeviceStatus::Pending {
        if now < grant.next_poll_at {
            grant.interval += Duration::from_secs(5);
            grant.next_poll_at = now + grant.interval;
            return oauth_error(
                400,
                "slow_down",
                "The client is polling too frequently; poll less often.",
            );
        }
        grant.next_poll_at = now + grant.interval;
        if client
            .approve_after_polls
            .is_some_and(|n| grant.pending_answers >= n)
        {
            grant.status = DeviceStatus::Approved;
        } else {
            grant.pending_answers += 1;
            return oauth_error(
                400,
                "authorization_pending",
                "The device authorization is pending. Please try again later.",
            );
        }
    }
    grant.status = DeviceStatus::Redeemed;
    let scopes = grant.scopes.clone();
    state.next_grant += 1;
    let grant_id = state.next_grant;
    let refresh = scopes
        .iter()
        .any(|s| s == "offline_access")
        .then(|| new_refresh(state, client, &scopes, grant_id));
    tokens(state, now, client, scopes, grant_id, refresh)
}

fn new_refresh(
    state: &mut OAuthState,
    client: &OAuthClient,
    scopes: &[String],
    grant: u64,
) -> String {
    let token = secret("dblrt");
    state.refresh.insert(
        token.clone(),
        RefreshToken {
            client_id: client.client_id.clone(),
            scopes: scopes.to_vec(),
            grant,
            active: true,
        },
    );
    token
}

/// Issues an access token and answers `TokenResponse`.
fn tokens(
    state: &mut OAuthState,
    now: SystemTime,
    client: &OAuthClient,
    scopes: Vec<String>,
    grant: u64,
    refresh_token: Option<String>,
) -> Reply {
    let access = secret("dblat");
    let ttl = client.access_ttl();
    let scope = scopes.join(" ");
    state.access.insert(
        access.clone(),
        AccessToken {
            client_id: client.client_id.clone(),
            scopes,
            expires_at: now + ttl,
            grant,
            revoked: false,
        },
    );
    let mut body = json!({
        "token_type": "Bearer",
        "access_token": access,
        "expires_in": ttl.as_secs(),
        "scope": scope,
    });
    if let Some(r) = refresh_token {
        body["refresh_token"] = Value::String(r);
    }
    Reply::json(200, body)
        .with_header("cache-control", "no-store")
        .with_header("pragma", "no-cache")
}

fn refresh(
    state: &mut OAuthState,
    now: SystemTime,
    call: &OAuthCall<'_>,
    client: &OAuthClient,
) -> Reply {
    let Some(presented) = call.get("refresh_token") else {
        return missing("refresh_token");
    };
    let record = match state.refresh.get(presented) {
        Some(r) if r.active && r.client_id == client.client_id => r.clone(),
        _ => {
            return oauth_error(
                400,
                "invalid_grant",
                "The refresh token is invalid or expired.",
            );
        }
    };
    let scopes: Vec<String> = match call.get("scope") {
        Some(asked) => {
            let asked: Vec<String> = asked.split_whitespace().map(str::to_owned).collect();
            if !asked.iter().all(|s| record.scopes.contains(s)) {
                return oauth_error(
                    400,
                    "invalid_scope",
                    "The requested scope is invalid, unknown, or malformed.",
                );
            }
            asked
        }
        None => record.scopes.clone(),
    };
    let next = if client.rotate_refresh_tokens {
        if let Some(old) = state.refresh.get_mut(presented) {
            old.active = false;
        }
        new_refresh(state, client, &record.scopes, record.grant)
    } else {
        presented.to_owned()
    };
    tokens(state, now, client, scopes, record.grant, Some(next))
}

fn revoke(state: &mut OAuthState, call: &OAuthCall<'_>) -> Reply {
    let client = match client_of(state, call) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    let Some(token) = call.get("token") else {
        return missing("token");
    };
    if let Some(r) = state.refresh.get_mut(token)
        && r.client_id == client.client_id
    {
        r.active = false;
        let grant = r.grant;
        for a in state.access.values_mut().filter(|a| a.grant == grant) {
            a.revoked = true;
        }
    } else if let Some(a) = state.access.get_mut(token)
        && a.client_id == client.client_id
    {
        a.revoked = true;
    }
    Reply::empty(200)
}
