//! The project's own login code (`okta_client::login`, `AuthConfig::Login`) against the
//! double's authorization server: what `okta-hooks login` and the commands after it see.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_client::login::{self, DeviceLoginError, TokenKind};
use okta_client::{
    AuthConfig, ExposeSecret, LoginConfig, OktaClient, OktaConfig, RefreshedLogin, SecretString,
};
use okta_double::{OAuthClient, OktaDouble, Running, User};

const CLIENT: &str = "0oacli1";

fn scopes(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

async fn org(client: OAuthClient) -> Running {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.add_oauth_client(client);
    okta
}

/// The device login as the CLI runs it, with a sleep that returns at once.
async fn device_login(okta: &Running, asked: &str) -> Result<login::TokenSet, DeviceLoginError> {
    let url = login::org_url(&okta.org_url()).unwrap();
    let http = login::http_client().unwrap();
    let authorization = login::device_authorize(&http, &url, CLIENT, &scopes(asked))
        .await
        .unwrap();
    login::poll_until_done(&http, &url, CLIENT, &authorization, |_| async {}, |_, _| {}).await
}

fn login_client(
    okta: &Running,
    tokens: &login::TokenSet,
    seen: Arc<Mutex<Vec<RefreshedLogin>>>,
) -> OktaClient {
    let config = LoginConfig {
        client_id: CLIENT.to_owned(),
        refresh_token: tokens
            .refresh_token
            .clone()
            .expect("offline_access gives one"),
        access_token: Some(tokens.access_token.clone()),
        access_expires_at: Some(tokens.access_expires_at),
        scopes: Vec::new(),
        on_refresh: Some(Arc::new(move |r: &RefreshedLogin| {
            seen.lock().unwrap().push(r.clone());
        })),
    };
    OktaClient::new(OktaConfig::new(&okta.org_url(), AuthConfig::Login(config)).unwrap()).unwrap()
}

#[tokio::test]
async fn the_clients_device_login_gets_tokens_that_read_users_and_not_apps() {
    let okta = org(OAuthClient::new(CLIENT, ["okta.users.read"])
        .interval(Duration::ZERO)
        .approve_after_polls(2))
    .await;

    let tokens = device_login(&okta, "openid offline_access okta.users.read")
        .await
        .unwrap();
    let client = login_client(&okta, &tokens, Arc::default());
    let user = client.get_user("00u1").await.unwrap().value;
    let apps = client
        .list_apps(&okta_client::endpoints::apps::ListAppsQuery::default())
        .unwrap()
        .all()
        .await
        .unwrap_err();

    assert_eq!(
        tokens.scopes,
        scopes("openid offline_access okta.users.read")
    );
    assert_eq!(okta.device_grants()[0].polls, 3);
    assert_eq!(user.status.as_deref(), Some("ACTIVE"));
    assert_eq!(
        (apps.status(), apps.error_code()),
        (Some(403), Some("E0000006"))
    );
}

#[tokio::test]
async fn the_clients_device_login_ends_denied_when_the_user_denies() {
    let okta = org(OAuthClient::new(CLIENT, ["okta.users.read"]).interval(Duration::ZERO)).await;
    let url = login::org_url(&okta.org_url()).unwrap();
    let http = login::http_client().unwrap();
    let authorization = login::device_authorize(&http, &url, CLIENT, &scopes("okta.users.read"))
        .await
        .unwrap();
    assert!(okta.deny_device(&authorization.user_code));

    let ended =
        login::poll_until_done(&http, &url, CLIENT, &authorization, |_| async {}, |_, _| {}).await;

    assert!(matches!(ended, Err(DeviceLoginError::Denied)), "{ended:?}");
}

#[tokio::test]
async fn an_access_token_expired_on_the_doubles_clock_is_refreshed_once_and_the_rotation_is_seen() {
    let okta = org(OAuthClient::new(CLIENT, ["okta.users.read"])
        .interval(Duration::ZERO)
        .approve_after_polls(0)
        .rotating())
    .await;
    let tokens = device_login(&okta, "offline_access okta.users.read")
        .await
        .unwrap();
    let seen: Arc<Mutex<Vec<RefreshedLogin>>> = Arc::default();
    let client = login_client(&okta, &tokens, seen.clone());

    okta.advance_clock(Duration::from_secs(3600));
    let user = client.get_user("00u1").await.unwrap().value;

    assert_eq!(user.id.as_deref(), Some("00u1"));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].rotated);
    let old = tokens.refresh_token.clone().unwrap();
    assert_ne!(seen[0].refresh_token.expose_secret(), old.expose_secret());
    let url = login::org_url(&okta.org_url()).unwrap();
    let http = login::http_client().unwrap();
    let reused = login::refresh(&http, &url, CLIENT, &old, &[])
        .await
        .unwrap_err();
    assert!(login::is_invalid_grant(&reused), "{reused:?}");
    assert_eq!(okta.request_count("GET", "/api/v1/users/00u1"), 2);
}

#[tokio::test]
async fn after_the_clients_revoke_the_refresh_token_no_longer_refreshes() {
    let okta = org(OAuthClient::new(CLIENT, ["okta.users.read"])
        .interval(Duration::ZERO)
        .approve_after_polls(0))
    .await;
    let tokens = device_login(&okta, "offline_access okta.users.read")
        .await
        .unwrap();
    let refresh_token: SecretString = tokens.refresh_token.unwrap();
    let url = login::org_url(&okta.org_url()).unwrap();
    let http = login::http_client().unwrap();

    login::revoke(&http, &url, CLIENT, &refresh_token, TokenKind::Refresh)
        .await
        .unwrap();
    let after = login::refresh(&http, &url, CLIENT, &refresh_token, &[])
        .await
        .unwrap_err();

    assert!(login::is_invalid_grant(&after), "{after:?}");
}
