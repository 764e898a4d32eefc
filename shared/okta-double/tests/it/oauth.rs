//! The org authorization server: device flow, refresh (with and without rotation),
//! revocation, and the Bearer tokens it issues on the Management API.

use std::time::Duration;

use okta_double::{DeviceStatus, Fault, OAuthClient, OktaDouble, Running, User};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::helpers::Answer;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const CLIENT: &str = "0oacli1";

/// Posts a form to the double, as an OAuth client does.
async fn form(okta: &Running, path: &str, fields: &[(&str, &str)]) -> Answer {
    let body = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, NON_ALPHANUMERIC),
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let response = reqwest::Client::new()
        .post(format!("{}{path}", okta.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    Answer::read(response).await
}

/// A Management API GET with `Authorization: Bearer <token>`.
async fn bearer_get(okta: &Running, token: &str, path: &str) -> Answer {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", okta.base_url()))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    Answer::read(response).await
}

async fn authorize(okta: &Running, client: &str, scope: &str) -> Answer {
    form(
        okta,
        "/oauth2/v1/device/authorize",
        &[("client_id", client), ("scope", scope)],
    )
    .await
}

async fn poll(okta: &Running, device_code: &str) -> Answer {
    form(
        okta,
        "/oauth2/v1/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", CLIENT),
        ],
    )
    .await
}

async fn refresh(okta: &Running, refresh_token: &str) -> Answer {
    form(
        okta,
        "/oauth2/v1/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT),
        ],
    )
    .await
}

fn oauth_error(answer: &Answer) -> (u16, &str) {
    (
        answer.status,
        answer.body["error"].as_str().unwrap_or("<no error>"),
    )
}

fn text<'a>(answer: &'a Answer, field: &str) -> &'a str {
    answer.body[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {}", answer.body))
}

/// A double with one user and a client granted `okta.users.read`, polling interval 0.
async fn org(client: OAuthClient) -> Running {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.add_oauth_client(client);
    okta
}

fn reader() -> OAuthClient {
    OAuthClient::new(CLIENT, ["okta.users.read"]).interval(Duration::ZERO)
}

/// Runs the device flow to its tokens (approving by user code).
async fn login(okta: &Running, scope: &str) -> Answer {
    let started = authorize(okta, CLIENT, scope).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert!(okta.approve_device(text(&started, "user_code")));
    let tokens = poll(okta, text(&started, "device_code")).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    tokens
}

#[tokio::test]
async fn a_device_grant_is_pending_until_approved_then_gives_tokens_once() {
    let okta = org(reader()).await;

    let started = authorize(&okta, CLIENT, "openid offline_access okta.users.read").await;
    let device_code = text(&started, "device_code").to_owned();
    let user_code = text(&started, "user_code").to_owned();
    let pending = poll(&okta, &device_code).await;
    let listed: Value = reqwest::get(format!("{}/__double/device", okta.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let approved = reqwest::Client::new()
        .post(format!("{}/__double/device/approve", okta.base_url()))
        .json(&json!({"userCode": user_code}))
        .send()
        .await
        .unwrap();
    let tokens = poll(&okta, &device_code).await;
    let again = poll(&okta, &device_code).await;

    assert_eq!(started.status, 200);
    assert_eq!(user_code.len(), 8);
    assert_eq!(
        text(&started, "verification_uri"),
        format!("{}/activate", okta.base_url())
    );
    assert_eq!(
        text(&started, "verification_uri_complete"),
        format!("{}/activate?user_code={user_code}", okta.base_url())
    );
    assert_eq!(
        (
            started.body["expires_in"].as_u64(),
            started.body["interval"].as_u64()
        ),
        (Some(600), Some(0))
    );
    assert_eq!(oauth_error(&pending), (400, "authorization_pending"));
    assert_eq!(listed[0]["userCode"], user_code.as_str());
    assert_eq!(listed[0]["status"], "pending");
    assert!(!listed.to_string().contains(&device_code));
    assert_eq!(approved.status(), 204);
    assert_eq!(tokens.status, 200);
    assert_eq!(text(&tokens, "token_type"), "Bearer");
    assert_eq!(
        text(&tokens, "scope"),
        "openid offline_access okta.users.read"
    );
    assert_eq!(tokens.body["expires_in"].as_u64(), Some(3600));
    assert!(!text(&tokens, "access_token").is_empty());
    assert!(!text(&tokens, "refresh_token").is_empty());
    assert_eq!(tokens.header("cache-control"), Some("no-store"));
    assert_eq!(oauth_error(&again), (400, "invalid_grant"));
    assert_eq!(okta.device_grants()[0].status, DeviceStatus::Redeemed);
}

#[tokio::test]
async fn without_offline_access_a_device_grant_gives_no_refresh_token() {
    let okta = org(reader()).await;

    let tokens = login(&okta, "okta.users.read").await;

    assert!(tokens.body.get("refresh_token").is_none());
}

#[tokio::test]
async fn a_client_approving_after_two_polls_gives_tokens_on_the_third() {
    let okta = org(reader().approve_after_polls(2)).await;
    let started = authorize(&okta, CLIENT, "offline_access okta.users.read").await;
    let device_code = text(&started, "device_code");

    let first = poll(&okta, device_code).await;
    let second = poll(&okta, device_code).await;
    let third = poll(&okta, device_code).await;

    assert_eq!(oauth_error(&first), (400, "authorization_pending"));
    assert_eq!(oauth_error(&second), (400, "authorization_pending"));
    assert_eq!(third.status, 200);
    assert_eq!(okta.device_grants()[0].polls, 3);
}

#[tokio::test]
async fn polling_sooner_than_the_interval_is_slow_down_and_the_interval_grows_by_five_seconds() {
    let okta = org(OAuthClient::new(CLIENT, ["okta.users.read"])).await;
    let started = authorize(&okta, CLIENT, "okta.users.read").await;
    let device_code = text(&started, "device_code");

    let at_once = poll(&okta, device_code).await;
    okta.advance_clock(Duration::from_secs(10));
    let after_ten = poll(&okta, device_code).await;
    okta.advance_clock(Duration::from_secs(9));
    let after_nine = poll(&okta, device_code).await;

    assert_eq!(started.body["interval"].as_u64(), Some(5));
    assert_eq!(oauth_error(&at_once), (400, "slow_down"));
    assert_eq!(oauth_error(&after_ten), (400, "authorization_pending"));
    assert_eq!(oauth_error(&after_nine), (400, "slow_down"));
}

#[tokio::test]
async fn a_device_code_past_its_lifetime_is_expired_token_even_once_approved() {
    let okta = org(reader()).await;
    let started = authorize(&okta, CLIENT, "okta.users.read").await;
    let device_code = text(&started, "device_code");
    okta.approve_device(text(&started, "user_code"));

    okta.advance_clock(Duration::from_secs(601));
    let late = poll(&okta, device_code).await;

    assert_eq!(oauth_error(&late), (400, "expired_token"));
}

#[tokio::test]
async fn a_denied_device_grant_is_access_denied_on_every_poll() {
    let okta = org(reader()).await;
    let started = authorize(&okta, CLIENT, "okta.users.read").await;
    let device_code = text(&started, "device_code");

    let denied = reqwest::Client::new()
        .post(format!("{}/__double/device/deny", okta.base_url()))
        .json(&json!({"userCode": text(&started, "user_code")}))
        .send()
        .await
        .unwrap();
    let first = poll(&okta, device_code).await;
    let second = poll(&okta, device_code).await;
    let approve_late = okta.approve_device(text(&started, "user_code"));

    assert_eq!(denied.status(), 204);
    assert_eq!(oauth_error(&first), (400, "access_denied"));
    assert_eq!(oauth_error(&second), (400, "access_denied"));
    assert!(!approve_late);
}

#[tokio::test]
async fn a_scope_not_granted_or_none_is_invalid_scope_and_an_unknown_client_invalid_client() {
    let okta = org(reader()).await;

    let not_granted = authorize(&okta, CLIENT, "okta.users.read okta.apps.read").await;
    let none = authorize(&okta, CLIENT, "").await;
    let stranger = authorize(&okta, "0oastranger", "okta.users.read").await;
    let stranger_token = form(
        &okta,
        "/oauth2/v1/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", "x"),
            ("client_id", "0oastranger"),
        ],
    )
    .await;
    let unknown_code = poll(&okta, "no-such-code").await;

    assert_eq!(oauth_error(&not_granted), (400, "invalid_scope"));
    assert_eq!(oauth_error(&none), (400, "invalid_scope"));
    assert_eq!(oauth_error(&stranger), (401, "invalid_client"));
    assert_eq!(oauth_error(&stranger_token), (401, "invalid_client"));
    assert_eq!(oauth_error(&unknown_code), (400, "invalid_grant"));
    assert!(okta.device_grants().is_empty());
}

#[tokio::test]
async fn a_rotating_client_retires_the_old_refresh_token_at_each_refresh() {
    let okta = org(reader().rotating()).await;
    let tokens = login(&okta, "offline_access okta.users.read").await;
    let first_refresh = text(&tokens, "refresh_token").to_owned();

    let refreshed = refresh(&okta, &first_refresh).await;
    let second_refresh = text(&refreshed, "refresh_token").to_owned();
    let reused = refresh(&okta, &first_refresh).await;
    let again = refresh(&okta, &second_refresh).await;

    assert_eq!(refreshed.status, 200);
    assert_ne!(second_refresh, first_refresh);
    assert_ne!(
        text(&refreshed, "access_token"),
        text(&tokens, "access_token")
    );
    assert_eq!(oauth_error(&reused), (400, "invalid_grant"));
    assert_eq!(again.status, 200);
    let fresh = text(&refreshed, "access_token");
    assert_eq!(
        bearer_get(&okta, fresh, "/api/v1/users/00u1").await.status,
        200
    );
}

#[tokio::test]
async fn a_client_without_rotation_keeps_its_refresh_token_and_narrows_scope_on_request() {
    let okta = org(
        OAuthClient::new(CLIENT, ["okta.users.read", "okta.logs.read"]).interval(Duration::ZERO),
    )
    .await;
    let tokens = login(&okta, "offline_access okta.users.read okta.logs.read").await;
    let refresh_token = text(&tokens, "refresh_token").to_owned();

    let plain = refresh(&okta, &refresh_token).await;
    let narrowed = form(
        &okta,
        "/oauth2/v1/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("client_id", CLIENT),
            ("scope", "okta.logs.read"),
        ],
    )
    .await;
    let wider = form(
        &okta,
        "/oauth2/v1/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("client_id", CLIENT),
            ("scope", "okta.apps.read"),
        ],
    )
    .await;

    assert_eq!(text(&plain, "refresh_token"), refresh_token);
    assert_eq!(text(&narrowed, "scope"), "okta.logs.read");
    let narrow_token = text(&narrowed, "access_token");
    assert_eq!(
        bearer_get(&okta, narrow_token, "/api/v1/users")
            .await
            .status,
        403
    );
    assert_eq!(oauth_error(&wider), (400, "invalid_scope"));
}

#[tokio::test]
async fn a_bearer_token_reads_users_and_is_refused_outside_its_scopes_and_once_expired() {
    let okta = org(reader()).await;
    let tokens = login(&okta, "okta.users.read").await;
    let access = text(&tokens, "access_token").to_owned();

    let users = bearer_get(&okta, &access, "/api/v1/users").await;
    let apps = bearer_get(&okta, &access, "/api/v1/apps").await;
    let logs = bearer_get(&okta, &access, "/api/v1/logs").await;
    let suspend = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/users/00u1/lifecycle/suspend",
            okta.base_url()
        ))
        .header("authorization", format!("Bearer {access}"))
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    let forged = bearer_get(&okta, "dblat-not-issued", "/api/v1/users").await;
    okta.advance_clock(Duration::from_secs(3600));
    let expired = bearer_get(&okta, &access, "/api/v1/users").await;

    assert_eq!(users.status, 200);
    assert_eq!(users.body[0]["id"], "00u1");
    assert_eq!((apps.status, apps.error_code()), (403, Some("E0000006")));
    assert!(
        apps.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer error=\"insufficient_scope\""),
        "{:?}",
        apps.headers
    );
    assert!(
        apps.header("www-authenticate")
            .unwrap()
            .contains("scope=\"okta.apps.read\"")
    );
    assert_eq!((logs.status, logs.error_code()), (403, Some("E0000006")));
    assert_eq!(suspend.status(), 403);
    assert_eq!(okta.status("00u1"), Some("ACTIVE"));
    assert_eq!(
        (forged.status, forged.error_code()),
        (401, Some("E0000011"))
    );
    assert_eq!(
        (expired.status, expired.error_code()),
        (401, Some("E0000011"))
    );
}

#[tokio::test]
async fn a_manage_scope_also_reads_and_writes_within_its_family() {
    let okta = org(
        OAuthClient::new(CLIENT, ["okta.users.manage", "okta.eventHooks.read"])
            .interval(Duration::ZERO),
    )
    .await;
    let tokens = login(&okta, "okta.users.manage okta.eventHooks.read").await;
    let access = text(&tokens, "access_token").to_owned();

    let read = bearer_get(&okta, &access, "/api/v1/users/00u1").await;
    let hooks = bearer_get(&okta, &access, "/api/v1/eventHooks").await;
    let suspend = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/users/00u1/lifecycle/suspend",
            okta.base_url()
        ))
        .header("authorization", format!("Bearer {access}"))
        .header("content-length", "0")
        .send()
        .await
        .unwrap();

    assert_eq!(read.status, 200);
    assert_eq!(hooks.status, 200);
    assert_eq!(suspend.status(), 200);
    assert_eq!(okta.applied("suspend", "00u1"), 1);
}

#[tokio::test]
async fn a_revoked_refresh_token_cannot_refresh_and_its_access_token_stops_working() {
    let okta = org(reader()).await;
    let tokens = login(&okta, "offline_access okta.users.read").await;
    let refresh_token = text(&tokens, "refresh_token").to_owned();
    let access = text(&tokens, "access_token").to_owned();

    let revoked = form(
        &okta,
        "/oauth2/v1/revoke",
        &[
            ("token", &refresh_token),
            ("token_type_hint", "refresh_token"),
            ("client_id", CLIENT),
        ],
    )
    .await;
    let after = refresh(&okta, &refresh_token).await;
    let read = bearer_get(&okta, &access, "/api/v1/users").await;
    let unknown = form(
        &okta,
        "/oauth2/v1/revoke",
        &[("token", "never-issued"), ("client_id", CLIENT)],
    )
    .await;
    let no_token = form(&okta, "/oauth2/v1/revoke", &[("client_id", CLIENT)]).await;

    assert_eq!(revoked.status, 200);
    assert_eq!(oauth_error(&after), (400, "invalid_grant"));
    assert_eq!(read.status, 401);
    assert_eq!(unknown.status, 200);
    assert_eq!(oauth_error(&no_token), (400, "invalid_request"));
}

#[tokio::test]
async fn tokens_appear_in_no_control_answer_and_a_json_body_is_refused() {
    let okta = org(reader()).await;
    let tokens = login(&okta, "offline_access okta.users.read").await;
    let access = text(&tokens, "access_token").to_owned();
    bearer_get(&okta, &access, "/api/v1/users").await;

    let json_body = reqwest::Client::new()
        .post(format!("{}/oauth2/v1/token", okta.base_url()))
        .json(&json!({"grant_type": "refresh_token", "client_id": CLIENT}))
        .send()
        .await
        .unwrap();
    let mut control = String::new();
    for path in ["requests", "state", "device", "changes"] {
        let got = reqwest::get(format!("{}/__double/{path}", okta.base_url()))
            .await
            .unwrap();
        control.push_str(&got.text().await.unwrap());
    }

    assert_eq!(json_body.status(), 400);
    assert!(control.contains("/oauth2/v1/token"));
    assert!(!control.contains(&access));
    assert!(!control.contains(text(&tokens, "refresh_token")));
    assert!(!format!("{:?}", okta.double()).contains(&access));
}

#[tokio::test]
async fn a_scripted_5xx_on_the_token_endpoint_costs_the_grant_nothing() {
    let okta = org(reader()).await;
    let started = authorize(&okta, CLIENT, "okta.users.read").await;
    let device_code = text(&started, "device_code");
    okta.approve_device(text(&started, "user_code"));
    okta.fault(Fault::status("POST", "/oauth2/v1/token", 503));

    let failed = poll(&okta, device_code).await;
    let retried = poll(&okta, device_code).await;

    assert_eq!(failed.status, 503);
    assert_eq!(retried.status, 200);
    assert_eq!(okta.request_count("POST", "/oauth2/v1/token"), 2);
}
