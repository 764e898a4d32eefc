//! `okta-hooks login` / `logout` against the Okta double's org authorization server
//! (device authorization grant, refresh with rotation, revoke), and the commands using
//! the saved login for `OKTA_ORG_URL` when no `OKTA_*` credential is set.
//!
//! Every run keeps its logins in a fresh directory (`OKTA_HOOKS_CONFIG_DIR`, file store:
//! CI has no OS keyring). The double's clients poll at interval 0, so nothing sleeps.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use integration_tests::{Ran, okta_hooks_async, okta_hooks_command};
use okta_double::{EventHook, OAuthClient, OktaDouble, Running};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const CLIENT: &str = "0oa-okta-hooks-cli";
/// What `login` asks by default: the commands' scopes.
const GRANTED: [&str; 5] = [
    "okta.eventHooks.read",
    "okta.eventHooks.manage",
    "okta.logs.read",
    "okta.users.read",
    "okta.apps.read",
];

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "okta-hooks-login-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn logins(&self) -> PathBuf {
        self.0.join("logins.json")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn org(client: OAuthClient) -> Running {
    let okta = OktaDouble::start().await;
    okta.add_oauth_client(client);
    okta.add_event_hook(
        EventHook::new(
            "who1abc",
            "okta-hooks acme",
            "https://h.example/hooks/okta/acme",
        )
        .event("user.account.lock"),
    );
    okta
}

/// A client approving its device grant after two pending polls, rotating refresh tokens.
fn approving_client() -> OAuthClient {
    OAuthClient::new(CLIENT, GRANTED)
        .rotating()
        .interval(Duration::ZERO)
        .approve_after_polls(2)
}

fn store_env(dir: &TempDir) -> Vec<(&'static str, String)> {
    vec![
        ("OKTA_HOOKS_TOKEN_STORE", "file".to_owned()),
        (
            "OKTA_HOOKS_CONFIG_DIR",
            dir.path().to_string_lossy().into_owned(),
        ),
    ]
}

fn with(
    mut env: Vec<(&'static str, String)>,
    more: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    env.extend_from_slice(more);
    env
}

async fn login(okta: &Running, dir: &TempDir) -> Ran {
    okta_hooks_async(
        &[
            "login",
            "--okta-domain",
            &okta.base_url(),
            "--client-id",
            CLIENT,
        ],
        &store_env(dir),
    )
    .await
}

async fn hook_list(okta: &Running, dir: &TempDir, extra: &[(&'static str, String)]) -> Ran {
    let env = with(
        with(store_env(dir), &[("OKTA_ORG_URL", okta.base_url())]),
        extra,
    );
    okta_hooks_async(&["hook", "list"], &env).await
}

/// The saved record of the double's org.
fn saved(okta: &Running, dir: &TempDir) -> Value {
    let all: Value = serde_json::from_slice(&std::fs::read(dir.logins()).unwrap()).unwrap();
    all[okta.base_url().trim_end_matches('/')].clone()
}

fn bearer_paths(okta: &Running) -> Vec<String> {
    okta.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/"))
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect()
}

#[tokio::test]
async fn login_prints_the_url_and_code_and_hook_list_then_uses_it_with_no_token() {
    let okta = org(approving_client()).await;
    let dir = TempDir::new("ok");

    let ran = login(&okta, &dir).await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    let grant = okta.device_grants().pop().expect("one device grant");
    assert!(
        ran.stdout.contains(&format!(
            "{}/activate",
            okta.base_url().trim_end_matches('/')
        )),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains(&grant.user_code), "{}", ran.stdout);
    assert_eq!(grant.client_id, CLIENT);
    for scope in GRANTED.iter().chain(&["openid", "offline_access"]) {
        assert!(
            grant.scopes.iter().any(|s| s == scope),
            "{scope}: {:?}",
            grant.scopes
        );
    }
    assert_eq!(grant.polls, 3, "two pending answers, then the tokens");

    let record = saved(&okta, &dir);
    let refresh = record["refresh_token"].as_str().unwrap().to_owned();
    let access = record["access_token"].as_str().unwrap().to_owned();
    assert_eq!(record["client_id"], CLIENT);
    assert!(!ran.all().contains(&refresh) && !ran.all().contains(&access));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.logins())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the logins file is the user's only");
    }

    let listed = hook_list(&okta, &dir, &[]).await;
    assert_eq!(listed.code, Some(0), "{}", listed.all());
    assert!(listed.stdout.contains("who1abc"), "{}", listed.stdout);
    assert!(!listed.all().contains(&refresh) && !listed.all().contains(&access));
    assert_eq!(bearer_paths(&okta), ["GET /api/v1/eventHooks 200"]);
    assert_eq!(
        saved(&okta, &dir)["refresh_token"],
        refresh.as_str(),
        "no refresh needed"
    );
}

#[tokio::test]
async fn an_access_token_expired_on_the_doubles_clock_is_refreshed_and_the_rotated_refresh_token_saved()
 {
    let okta = org(approving_client()).await;
    let dir = TempDir::new("refresh");
    assert_eq!(login(&okta, &dir).await.code, Some(0));
    let first = saved(&okta, &dir)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Okta's clock passes the access token's hour; this host's does not.
    okta.advance_clock(Duration::from_secs(2 * 3600));
    let listed = hook_list(&okta, &dir, &[]).await;
    assert_eq!(listed.code, Some(0), "{}", listed.all());
    assert!(listed.stdout.contains("who1abc"));
    assert_eq!(
        bearer_paths(&okta),
        ["GET /api/v1/eventHooks 401", "GET /api/v1/eventHooks 200"],
        "one 401, one refresh, one retry"
    );
    let second = saved(&okta, &dir)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(second, first, "the rotated refresh token is saved");

    // The next command starts from the saved tokens: the old refresh token is retired.
    okta.advance_clock(Duration::from_secs(2 * 3600));
    let again = hook_list(&okta, &dir, &[]).await;
    assert_eq!(again.code, Some(0), "{}", again.all());
    assert_ne!(saved(&okta, &dir)["refresh_token"], second.as_str());
}

#[tokio::test]
async fn hook_list_with_only_okta_org_url_and_no_login_says_to_log_in_and_reads_no_secret() {
    let okta = org(approving_client()).await;
    let dir = TempDir::new("none");
    let listed = hook_list(&okta, &dir, &[]).await;
    assert_eq!(listed.code, Some(1), "{}", listed.all());
    assert!(
        listed.stderr.contains("okta-hooks login --okta-domain"),
        "{}",
        listed.stderr
    );
    assert!(
        listed.stderr.contains("OKTA_API_TOKEN"),
        "{}",
        listed.stderr
    );
    assert!(okta.requests().is_empty());
}

#[tokio::test]
async fn okta_api_token_beats_a_saved_login() {
    let okta = org(approving_client()).await;
    let dir = TempDir::new("token");
    assert_eq!(login(&okta, &dir).await.code, Some(0));
    // Were the login used, its expired access token would need a refresh.
    okta.advance_clock(Duration::from_secs(2 * 3600));
    let before = saved(&okta, &dir)["refresh_token"].clone();
    let listed = hook_list(
        &okta,
        &dir,
        &[("OKTA_API_TOKEN", OktaDouble::DEFAULT_TOKEN.to_owned())],
    )
    .await;
    assert_eq!(listed.code, Some(0), "{}", listed.all());
    assert_eq!(bearer_paths(&okta), ["GET /api/v1/eventHooks 200"]);
    assert_eq!(
        saved(&okta, &dir)["refresh_token"],
        before,
        "the login was not touched"
    );
}

#[tokio::test]
async fn logout_revokes_the_login_forgets_it_and_hook_list_then_names_login() {
    let okta = org(approving_client()).await;
    let dir = TempDir::new("logout");
    assert_eq!(login(&okta, &dir).await.code, Some(0));
    let kept = std::fs::read(dir.logins()).unwrap();

    let out = okta_hooks_async(
        &["logout", "--okta-domain", &okta.base_url()],
        &store_env(&dir),
    )
    .await;
    assert_eq!(out.code, Some(0), "{}", out.all());
    assert!(
        out.stdout.contains("revoked the refresh token"),
        "{}",
        out.stdout
    );
    assert!(
        okta.requests()
            .iter()
            .any(|r| r.path == "/oauth2/v1/revoke" && r.status == 200),
        "{:?}",
        okta.requests()
    );
    let listed = hook_list(&okta, &dir, &[]).await;
    assert_eq!(listed.code, Some(1), "{}", listed.all());
    assert!(
        listed.stderr.contains("okta-hooks login"),
        "{}",
        listed.stderr
    );

    // The revoked tokens are dead at Okta: a copy kept from before the logout fails,
    // naming what to do.
    std::fs::write(dir.logins(), kept).unwrap();
    let stale = hook_list(&okta, &dir, &[]).await;
    assert_eq!(stale.code, Some(1), "{}", stale.all());
    assert!(stale.stderr.contains("invalid_grant"), "{}", stale.stderr);
    assert!(stale.stderr.contains("log in again"), "{}", stale.stderr);

    let twice = okta_hooks_async(
        &["logout", "--okta-domain", &okta.base_url()],
        &store_env(&TempDir::new("empty")),
    )
    .await;
    assert_eq!(twice.code, Some(0), "{}", twice.all());
    assert!(twice.stdout.contains("no login for"), "{}", twice.stdout);
}

/// Starts `login` and returns it with the user code it printed.
async fn login_until_code(okta: &Running, dir: &TempDir) -> (tokio::process::Child, String) {
    let mut child = okta_hooks_command(
        &[
            "login",
            "--okta-domain",
            &okta.base_url(),
            "--client-id",
            CLIENT,
        ],
        &store_env(dir),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true)
    .spawn()
    .expect("okta-hooks runs");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let code = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("login printed its code before it ended");
        if let Some(code) = line.strip_prefix("and enter the code: ") {
            break code.trim().to_owned();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, code)
}

async fn ended(child: tokio::process::Child) -> (Option<i32>, String) {
    // A hang guard, not an assertion on time.
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("login ends")
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_denied_login_fails_saying_so_and_saves_nothing() {
    let okta = org(OAuthClient::new(CLIENT, GRANTED).interval(Duration::ZERO)).await;
    let dir = TempDir::new("denied");
    let (child, code) = login_until_code(&okta, &dir).await;
    assert!(okta.deny_device(&code), "a pending grant with code {code}");
    let (status, stderr) = ended(child).await;
    assert_eq!(status, Some(1), "{stderr}");
    assert!(stderr.contains("denied"), "{stderr}");
    assert!(!dir.logins().exists());
}

#[tokio::test]
async fn an_expired_code_fails_saying_to_run_login_again() {
    let okta = org(OAuthClient::new(CLIENT, GRANTED).interval(Duration::ZERO)).await;
    let dir = TempDir::new("expired");
    let (child, _) = login_until_code(&okta, &dir).await;
    okta.advance_clock(Duration::from_secs(601));
    let (status, stderr) = ended(child).await;
    assert_eq!(status, Some(1), "{stderr}");
    assert!(stderr.contains("expired"), "{stderr}");
    assert!(stderr.contains("run okta-hooks login again"), "{stderr}");
    assert!(!dir.logins().exists());
}

#[tokio::test]
async fn a_scope_the_app_is_not_granted_is_refused_at_login_naming_the_scopes_tab() {
    let okta = org(OAuthClient::new(CLIENT, ["okta.logs.read"])
        .interval(Duration::ZERO)
        .approve_after_polls(0))
    .await;
    let dir = TempDir::new("scope");
    let ran = login(&okta, &dir).await;
    assert_eq!(ran.code, Some(1), "{}", ran.all());
    assert!(ran.stderr.contains("invalid_scope"), "{}", ran.stderr);
    assert!(ran.stderr.contains("Okta API Scopes tab"), "{}", ran.stderr);

    // Asking only what it has works, and a command needing more says what is missing.
    let ok = okta_hooks_async(
        &[
            "login",
            "--okta-domain",
            &okta.base_url(),
            "--client-id",
            CLIENT,
            "--scopes",
            "okta.logs.read",
        ],
        &store_env(&dir),
    )
    .await;
    assert_eq!(ok.code, Some(0), "{}", ok.all());
    let listed = hook_list(&okta, &dir, &[]).await;
    assert_eq!(listed.code, Some(1), "{}", listed.all());
    assert!(
        listed
            .stderr
            .contains("lacks okta.eventHooks.read okta.eventHooks.manage"),
        "{}",
        listed.stderr
    );
    assert!(bearer_paths(&okta).is_empty(), "refused before any call");
}
