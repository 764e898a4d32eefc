//! A person's login against an in-test org authorization server: the device
//! authorization grant (pending, `slow_down`, denied, expired, `invalid_scope`, a 5xx polled
//! through), the refresh-token grant inside a client (a 401 refreshes once, a rotated
//! refresh token reaches `on_refresh`), revoke, and no token in `Debug` or errors.

use crate::common::url_form;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use okta_client::login::{self, DeviceLoginError, PollOutcome, TokenKind};
use okta_client::{
    AuthConfig, ExposeSecret, LoginConfig, OktaClient, OktaConfig, OktaError, RefreshedLogin,
    SecretString,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const CLIENT: &str = "0oa-native-cli";
const DEVICE_CODE: &str = "dc-SECRET-device-code-7f2e";
const REFRESH_1: &str = "rt-SECRET-first-9a1b";
const REFRESH_2: &str = "rt-SECRET-rotated-3c4d";
const ACCESS_OLD: &str = "at-SECRET-saved-5e6f";
const ACCESS_NEW: &str = "at-SECRET-refreshed-7a8b";

/// Answers in order; the last one repeats.
struct Sequence(Mutex<VecDeque<ResponseTemplate>>);

impl Sequence {
    fn new(answers: Vec<ResponseTemplate>) -> Self {
        Sequence(Mutex::new(answers.into()))
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut q = self.0.lock().unwrap();
        if q.len() > 1 {
            q.pop_front().unwrap()
        } else {
            q.front().cloned().unwrap()
        }
    }
}

fn oauth_error(status: u16, error: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": error, "error_description": format!("{error} here")}))
}

fn tokens(access: &str, refresh: Option<&str>) -> ResponseTemplate {
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": 3600,
        "access_token": access,
        "scope": "openid offline_access okta.eventHooks.read",
    });
    if let Some(r) = refresh {
        body["refresh_token"] = Value::from(r);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

async fn mount_authorize(server: &MockServer, interval: Option<u64>) {
    let mut body = json!({
        "device_code": DEVICE_CODE,
        "user_code": "RGTCFDTL",
        "verification_uri": format!("{}/activate", server.uri()),
        "verification_uri_complete": format!("{}/activate?user_code=RGTCFDTL", server.uri()),
        "expires_in": 600,
    });
    if let Some(i) = interval {
        body["interval"] = Value::from(i);
    }
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/device/authorize"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn mount_token(server: &MockServer, answers: Vec<ResponseTemplate>) {
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(Sequence::new(answers))
        .mount(server)
        .await;
}

/// Runs authorize + poll with a recording sleep; returns the result and the waits.
async fn device_login(
    server: &MockServer,
) -> (
    Result<login::TokenSet, DeviceLoginError>,
    Vec<Duration>,
    Vec<String>,
) {
    let http = login::http_client().unwrap();
    let org = login::org_url(&server.uri()).unwrap();
    let scopes = vec!["openid".to_owned(), "okta.eventHooks.read".to_owned()];
    let auth = login::device_authorize(&http, &org, CLIENT, &scopes)
        .await
        .unwrap();
    let waits = Arc::new(Mutex::new(Vec::new()));
    let mut seen = Vec::new();
    let recorder = waits.clone();
    let result = login::poll_until_done(
        &http,
        &org,
        CLIENT,
        &auth,
        move |d| {
            recorder.lock().unwrap().push(d);
            async {}
        },
        |outcome, _| seen.push(format!("{outcome:?}")),
    )
    .await;
    let waits = waits.lock().unwrap().clone();
    (result, waits, seen)
}

async fn token_forms(server: &MockServer) -> Vec<Vec<(String, String)>> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/oauth2/v1/token")
        .map(|r| url_form(&r.body))
        .collect()
}

fn value<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn device_login_polls_through_pending_until_tokens_waiting_the_interval_each_time() {
    let server = MockServer::builder().start().await;
    mount_authorize(&server, Some(5)).await;
    mount_token(
        &server,
        vec![
            oauth_error(400, "authorization_pending"),
            oauth_error(400, "authorization_pending"),
            tokens(ACCESS_NEW, Some(REFRESH_1)),
        ],
    )
    .await;
    let (result, waits, _) = device_login(&server).await;
    let set = result.unwrap();
    assert_eq!(set.access_token.expose_secret(), ACCESS_NEW);
    assert_eq!(
        set.refresh_token.as_ref().map(ExposeSecret::expose_secret),
        Some(REFRESH_1)
    );
    assert_eq!(
        set.scopes,
        ["openid", "offline_access", "okta.eventHooks.read"]
    );
    assert_eq!(
        waits,
        vec![Duration::from_secs(5); 3],
        "a wait before each poll"
    );

    let reqs = server.received_requests().await.unwrap();
    let authorize = url_form(&reqs[0].body);
    assert_eq!(value(&authorize, "client_id"), Some(CLIENT));
    assert_eq!(
        value(&authorize, "scope"),
        Some("openid okta.eventHooks.read")
    );
    let forms = token_forms(&server).await;
    assert_eq!(forms.len(), 3);
    for form in &forms {
        assert_eq!(
            value(form, "grant_type"),
            Some("urn:ietf:params:oauth:grant-type:device_code")
        );
        assert_eq!(value(form, "device_code"), Some(DEVICE_CODE));
        assert_eq!(value(form, "client_id"), Some(CLIENT));
    }
}

#[tokio::test]
async fn slow_down_raises_the_interval_by_five_seconds_for_every_later_poll() {
    let server = MockServer::builder().start().await;
    mount_authorize(&server, None).await;
    mount_token(
        &server,
        vec![
            oauth_error(400, "slow_down"),
            oauth_error(400, "authorization_pending"),
            oauth_error(400, "slow_down"),
            tokens(ACCESS_NEW, Some(REFRESH_1)),
        ],
    )
    .await;
    let (result, waits, _) = device_login(&server).await;
    result.unwrap();
    let secs: Vec<u64> = waits.iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [5, 10, 10, 15]);
}

#[tokio::test]
async fn a_denied_login_ends_with_denied() {
    let server = MockServer::builder().start().await;
    mount_authorize(&server, Some(0)).await;
    mount_token(
        &server,
        vec![
            oauth_error(400, "authorization_pending"),
            oauth_error(400, "access_denied"),
        ],
    )
    .await;
    let (result, _, _) = device_login(&server).await;
    assert!(
        matches!(result, Err(DeviceLoginError::Denied)),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_expired_code_ends_with_expired() {
    let server = MockServer::builder().start().await;
    mount_authorize(&server, Some(0)).await;
    mount_token(&server, vec![oauth_error(400, "expired_token")]).await;
    let (result, _, _) = device_login(&server).await;
    let err = result.unwrap_err();
    assert!(matches!(err, DeviceLoginError::Expired), "{err:?}");
    assert!(err.to_string().contains("run login again"), "{err}");
}

#[tokio::test]
async fn polling_stops_once_the_waits_add_up_to_the_code_lifetime() {
    let server = MockServer::builder().start().await;
    mount_authorize(&server, Some(100)).await; // expires_in 600: six polls at most
    mount_token(&server, vec![oauth_error(400, "authorization_pending")]).await;
    let (result, waits, _) = device_login(&server).await;
    assert!(
        matches!(result, Err(DeviceLoginError::Expired)),
        "{result:?}"
    );
    assert_eq!(waits.len(), 6);
    assert_eq!(token_forms(&server).await.len(), 6);
}

#[tokio::test]
async fn a_server_error_while_polling_is_polled_through() {
    let server = MockServer::builder().start().await;
    mount_authorize(&server, Some(0)).await;
    mount_token(
        &server,
        vec![
            ResponseTemplate::new(503),
            oauth_error(400, "authorization_pending"),
            tokens(ACCESS_NEW, Some(REFRESH_1)),
        ],
    )
    .await;
    let (result, _, seen) = device_login(&server).await;
    result.unwrap();
    assert!(seen[0].starts_with("Failed"), "{seen:?}");
}

#[tokio::test]
async fn another_oauth_error_while_polling_ends_the_login_with_it() {
    let server = MockServer::builder().start().await;
    mount_authorize(&server, Some(0)).await;
    mount_token(&server, vec![oauth_error(401, "invalid_client")]).await;
    let (result, _, _) = device_login(&server).await;
    match result {
        Err(DeviceLoginError::Okta(OktaError::Token(t))) => {
            assert_eq!(t.status, 401);
            assert_eq!(t.error.as_deref(), Some("invalid_client"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(token_forms(&server).await.len(), 1);
}

#[tokio::test]
async fn an_unknown_scope_is_refused_at_authorize_with_the_oauth_error() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/device/authorize"))
        .respond_with(oauth_error(400, "invalid_scope"))
        .mount(&server)
        .await;
    let http = login::http_client().unwrap();
    let org = login::org_url(&server.uri()).unwrap();
    let err = login::device_authorize(&http, &org, CLIENT, &["okta.apps.read".into()])
        .await
        .unwrap_err();
    match &err {
        OktaError::Token(t) => {
            assert_eq!(t.status, 400);
            assert_eq!(t.error.as_deref(), Some("invalid_scope"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_plain_http_org_that_is_not_loopback_is_refused() {
    assert!(login::org_url("http://acme.okta.com").is_err());
    assert!(login::org_url("https://acme.okta.com").is_ok());
}

type Seen = Arc<Mutex<Vec<RefreshedLogin>>>;

fn login_client(uri: &str, saved: Option<(&str, Duration)>) -> (OktaClient, Seen) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let config = LoginConfig {
        client_id: CLIENT.into(),
        refresh_token: SecretString::from(REFRESH_1),
        access_token: saved.map(|(t, _)| SecretString::from(t)),
        access_expires_at: saved.map(|(_, left)| SystemTime::now() + left),
        scopes: vec!["okta.eventHooks.read".into()],
        on_refresh: Some(Arc::new(move |r: &RefreshedLogin| {
            sink.lock().unwrap().push(r.clone());
        })),
    };
    let client = OktaClient::new(OktaConfig::new(uri, AuthConfig::Login(config)).unwrap()).unwrap();
    (client, seen)
}

async fn mount_hooks(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path("/api/v1/eventHooks"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
    // Any other bearer: Okta's invalid-token answer.
    Mock::given(method("GET"))
        .and(path("/api/v1/eventHooks"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "errorCode": "E0000011", "errorSummary": "Invalid token provided"
        })))
        .with_priority(10)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_saved_access_token_that_is_still_valid_is_used_without_a_refresh() {
    let server = MockServer::builder().start().await;
    mount_hooks(&server, ACCESS_OLD).await;
    mount_token(&server, vec![tokens(ACCESS_NEW, Some(REFRESH_2))]).await;
    let (client, seen) = login_client(&server.uri(), Some((ACCESS_OLD, Duration::from_secs(3000))));
    client.list_event_hooks().await.unwrap();
    assert!(token_forms(&server).await.is_empty());
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_401_refreshes_once_and_on_refresh_sees_the_rotated_refresh_token() {
    let server = MockServer::builder().start().await;
    mount_hooks(&server, ACCESS_NEW).await;
    mount_token(&server, vec![tokens(ACCESS_NEW, Some(REFRESH_2))]).await;
    // Valid on this host's clock, revoked (or expired on Okta's) at Okta.
    let (client, seen) = login_client(&server.uri(), Some((ACCESS_OLD, Duration::from_secs(3000))));
    client.list_event_hooks().await.unwrap();
    client.list_event_hooks().await.unwrap();

    let forms = token_forms(&server).await;
    assert_eq!(forms.len(), 1, "one refresh, then the new token is cached");
    assert_eq!(value(&forms[0], "grant_type"), Some("refresh_token"));
    assert_eq!(value(&forms[0], "refresh_token"), Some(REFRESH_1));
    assert_eq!(value(&forms[0], "client_id"), Some(CLIENT));
    assert_eq!(value(&forms[0], "scope"), Some("okta.eventHooks.read"));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].rotated);
    assert_eq!(seen[0].refresh_token.expose_secret(), REFRESH_2);
    assert_eq!(seen[0].access_token.expose_secret(), ACCESS_NEW);
    assert!(seen[0].access_expires_at > SystemTime::now() + Duration::from_secs(3000));
}

#[tokio::test]
async fn a_login_without_a_saved_access_token_refreshes_first_and_keeps_an_unrotated_refresh_token()
{
    let server = MockServer::builder().start().await;
    mount_hooks(&server, ACCESS_NEW).await;
    mount_token(&server, vec![tokens(ACCESS_NEW, None)]).await;
    let (client, seen) = login_client(&server.uri(), None);
    client.list_event_hooks().await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].rotated);
    assert_eq!(seen[0].refresh_token.expose_secret(), REFRESH_1);
    let api = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/api/v1/eventHooks")
        .count();
    assert_eq!(api, 1, "no 401 on the way");
}

#[tokio::test]
async fn a_revoked_refresh_token_is_an_invalid_grant_token_error_without_any_token_in_it() {
    let server = MockServer::builder().start().await;
    mount_hooks(&server, ACCESS_NEW).await;
    mount_token(&server, vec![oauth_error(400, "invalid_grant")]).await;
    let (client, seen) = login_client(&server.uri(), None);
    let err = client.list_event_hooks().await.unwrap_err();
    assert!(login::is_invalid_grant(&err), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("invalid_grant") && text.contains("log in again"),
        "{text}"
    );
    assert!(text.contains("Okta: invalid_grant here"), "{text}");
    assert!(seen.lock().unwrap().is_empty());
    for text in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
        for secret in [REFRESH_1, ACCESS_NEW, ACCESS_OLD] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

#[tokio::test]
async fn refresh_outside_a_client_returns_the_rotated_token_set() {
    let server = MockServer::builder().start().await;
    mount_token(&server, vec![tokens(ACCESS_NEW, Some(REFRESH_2))]).await;
    let http = login::http_client().unwrap();
    let org = login::org_url(&server.uri()).unwrap();
    let set = login::refresh(&http, &org, CLIENT, &SecretString::from(REFRESH_1), &[])
        .await
        .unwrap();
    assert_eq!(
        set.refresh_token.as_ref().map(ExposeSecret::expose_secret),
        Some(REFRESH_2)
    );
    let forms = token_forms(&server).await;
    assert_eq!(value(&forms[0], "scope"), None, "no scopes: none sent");
}

#[tokio::test]
async fn revoke_posts_the_refresh_token_with_its_hint_and_the_client_id() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/revoke"))
        .and(body_string_contains("token_type_hint=refresh_token"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let http = login::http_client().unwrap();
    let org = login::org_url(&server.uri()).unwrap();
    login::revoke(
        &http,
        &org,
        CLIENT,
        &SecretString::from(REFRESH_1),
        TokenKind::Refresh,
    )
    .await
    .unwrap();
    let reqs = server.received_requests().await.unwrap();
    let form = url_form(&reqs[0].body);
    assert_eq!(value(&form, "token"), Some(REFRESH_1));
    assert_eq!(value(&form, "client_id"), Some(CLIENT));
}

#[test]
fn a_login_configuration_debug_prints_no_token() {
    let config = LoginConfig {
        client_id: CLIENT.into(),
        refresh_token: SecretString::from(REFRESH_1),
        access_token: Some(SecretString::from(ACCESS_OLD)),
        access_expires_at: None,
        scopes: vec![],
        on_refresh: None,
    };
    let text = format!("{:?}", AuthConfig::Login(config));
    assert!(text.contains(CLIENT), "{text}");
    assert!(
        !text.contains(REFRESH_1) && !text.contains(ACCESS_OLD),
        "{text}"
    );
}

#[test]
fn a_poll_outcome_with_tokens_debug_prints_no_token() {
    let outcome = PollOutcome::Tokens(login::TokenSet {
        access_token: SecretString::from(ACCESS_NEW),
        refresh_token: Some(SecretString::from(REFRESH_2)),
        access_expires_at: SystemTime::now(),
        scopes: vec![],
        token_type: "Bearer".into(),
    });
    let text = format!("{outcome:?}");
    assert!(
        !text.contains(ACCESS_NEW) && !text.contains(REFRESH_2),
        "{text}"
    );
}
