//! Which Okta credential a CLI command uses, in one place.
//!
//! Precedence (the same for every command that calls Okta):
//! 1. `OKTA_ORG_URL` with `OKTA_API_TOKEN`, or with `OKTA_CLIENT_ID` and
//!    `OKTA_PRIVATE_KEY_FILE` (an API Services app; `OKTA_KEY_ALG`, `OKTA_KEY_ID`,
//!    `OKTA_SCOPES`, `OKTA_DPOP`): that credential.
//! 2. `OKTA_ORG_URL` alone: the login `okta-hooks login --okta-domain` saved for that
//!    org; none is an error that says to log in or set a token. It never falls through
//!    to an org secret, which may be another org's.
//! 3. No `OKTA_ORG_URL`: `None`, and the command reads its org secret as before.
//!
//! A login's access token is refreshed with its refresh token; each refresh is saved
//! (the rotated refresh token first), so the next command starts from it. A login that
//! lacks a scope the command needs fails before any call.

use std::sync::Arc;
use std::time::SystemTime;

use okta_client::{AuthConfig, LoginConfig, OktaConfig, RefreshedLogin, RetryPolicy, SecretString};
use org_secrets::OktaCredential;

use super::login::scopes;
use super::login::store::{StoreError, StoredLogin, TokenStore};

/// Where a command's Okta credential comes from.
#[derive(Debug)]
pub enum OktaSource {
    /// An API token or an API Services app (`OKTA_*` variables, or an org secret).
    Credential(OktaCredential),
    /// A login saved by `okta-hooks login`.
    Login(StoredLogin),
}

/// Why no credential could be had.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("{0}")]
    Config(String),
    #[error(
        "no Okta credential for {org_url}: set OKTA_API_TOKEN (or OKTA_CLIENT_ID and \
         OKTA_PRIVATE_KEY_FILE), or run `okta-hooks login --okta-domain {domain} --client-id <native app>`"
    )]
    NoLogin { org_url: String, domain: String },
    #[error(
        "the login for {org_url} lacks {missing}: run `okta-hooks login --okta-domain {domain} \
         --client-id {client_id}{flag}` again (the app must be granted these scopes)"
    )]
    MissingScopes {
        org_url: String,
        domain: String,
        client_id: String,
        missing: String,
        /// ` --with-actions` when a missing scope is only an action's.
        flag: &'static str,
    },
    #[error("saved logins: {0}")]
    Store(#[from] StoreError),
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The credential of `OKTA_API_TOKEN`, or `OKTA_CLIENT_ID` + `OKTA_PRIVATE_KEY_FILE`,
/// for `org_url`; `None` when neither is set. OAuth asks `OKTA_SCOPES`, else `scopes`.
pub fn env_credential(
    org_url: String,
    scopes: &[&str],
) -> Result<Option<OktaCredential>, CredentialsError> {
    let api_token = env("OKTA_API_TOKEN").map(SecretString::from);
    let key_file = env("OKTA_PRIVATE_KEY_FILE");
    if api_token.is_none() && key_file.is_none() {
        return Ok(None);
    }
    let private_key = match key_file {
        Some(file) => Some(SecretString::from(std::fs::read_to_string(&file).map_err(
            |e| CredentialsError::Config(format!("OKTA_PRIVATE_KEY_FILE {file}: {e}")),
        )?)),
        None => None,
    };
    Ok(Some(OktaCredential {
        org_url,
        api_token,
        client_id: env("OKTA_CLIENT_ID"),
        private_key,
        key_alg: env("OKTA_KEY_ALG"),
        key_id: env("OKTA_KEY_ID"),
        scopes: env("OKTA_SCOPES").map_or_else(
            || scopes.iter().map(|s| (*s).to_owned()).collect(),
            |s| s.split_whitespace().map(str::to_owned).collect(),
        ),
        dpop: env("OKTA_DPOP").is_some_and(|v| v == "true" || v == "1"),
    }))
}

/// `https://acme.okta.com` for `acme.okta.com` or any URL of that origin (the key of
/// saved logins).
pub fn origin(domain_or_url: &str) -> Result<String, CredentialsError> {
    let url = okta_client::login::org_url(&super::dev::org_url(domain_or_url.trim()))
        .map_err(|e| CredentialsError::Config(e.to_string()))?;
    Ok(url.origin().ascii_serialization())
}

/// The host as `--okta-domain` takes it (the URL for a loopback test server).
fn domain_of(origin: &str) -> String {
    origin.strip_prefix("https://").unwrap_or(origin).to_owned()
}

/// The saved login for `origin`, read off the async runtime (the keyring blocks).
pub async fn stored_login(origin: &str) -> Result<Option<StoredLogin>, CredentialsError> {
    let origin = origin.to_owned();
    tokio::task::spawn_blocking(move || TokenStore::open()?.get(&origin))
        .await
        .map_err(|e| CredentialsError::Config(format!("reading saved logins: {e}")))?
        .map_err(CredentialsError::from)
}

/// The credential for `org_url` (a command given the org, like `run --local
/// --okta-domain`): `OKTA_*` token or app, else the saved login, else an error.
pub async fn for_org(org_url: &str, scopes: &[&str]) -> Result<OktaSource, CredentialsError> {
    let origin = origin(org_url)?;
    if let Some(credential) = env_credential(origin.clone(), scopes)? {
        return Ok(OktaSource::Credential(credential));
    }
    match stored_login(&origin).await? {
        Some(login) => Ok(OktaSource::Login(login)),
        None => Err(CredentialsError::NoLogin {
            domain: domain_of(&origin),
            org_url: origin,
        }),
    }
}

/// The credential the environment names (see the module doc): `None` without
/// `OKTA_ORG_URL`, so the command reads its org secret.
pub async fn from_environment(scopes: &[&str]) -> Result<Option<OktaSource>, CredentialsError> {
    match env("OKTA_ORG_URL") {
        Some(org_url) => for_org(&org_url, scopes).await.map(Some),
        None => Ok(None),
    }
}

/// A client configuration for `source`, with `agent` in the `User-Agent` and the
/// interactive retry policy. A login must have been granted every one of `scopes`; its
/// refreshes are saved to the store it came from.
pub fn okta_config(
    source: &OktaSource,
    agent: &str,
    scopes: &[&str],
) -> Result<OktaConfig, CredentialsError> {
    let mut config = match source {
        OktaSource::Credential(credential) => okta_adapters::okta_config(credential, agent)
            .map_err(|e| CredentialsError::Config(e.to_string()))?,
        OktaSource::Login(login) => {
            let missing = scopes::missing(&login.scopes, scopes);
            if !missing.is_empty() {
                let usual = scopes::for_login(None, false);
                let flag = if missing.iter().all(|m| usual.contains(m)) {
                    ""
                } else {
                    " --with-actions"
                };
                return Err(CredentialsError::MissingScopes {
                    flag,
                    domain: domain_of(&login.org_url),
                    org_url: login.org_url.clone(),
                    client_id: login.client_id.clone(),
                    missing: missing.join(" "),
                });
            }
            let auth = AuthConfig::Login(LoginConfig {
                client_id: login.client_id.clone(),
                refresh_token: login.refresh_token.clone(),
                access_token: login.access_token.clone(),
                access_expires_at: login.access_expires_at,
                scopes: Vec::new(),
                on_refresh: Some(save_refreshes(login.clone())),
            });
            let mut config = OktaConfig::new(&login.org_url, auth)
                .map_err(|e| CredentialsError::Config(e.to_string()))?;
            config.user_agent_suffix = Some(agent.to_owned());
            config
        }
    };
    config.retry = RetryPolicy::interactive();
    Ok(config)
}

/// The configuration a command gets from the environment (see the module doc), or
/// `None` without `OKTA_ORG_URL`: the log-window commands (`replay`, `rules backtest`,
/// `report`) call this first and read their org secret on `None`.
pub async fn config_from_environment(
    scopes: &[&str],
    agent: &str,
) -> Result<Option<OktaConfig>, CredentialsError> {
    match from_environment(scopes).await? {
        Some(source) => okta_config(&source, agent, scopes).map(Some),
        None => Ok(None),
    }
}

/// The `on_refresh` of a login: writes the refreshed tokens over the saved login. Runs on
/// its own thread (the keyring blocks, and the client calls this from a runtime
/// thread) and waits for it, so the rotated refresh token is saved before the new access
/// token is used. A failed save is a warning: this command goes on; the next one may
/// need a new login.
fn save_refreshes(login: StoredLogin) -> okta_client::OnRefresh {
    Arc::new(move |refreshed: &RefreshedLogin| {
        let mut updated = login.clone();
        updated.refresh_token = refreshed.refresh_token.clone();
        updated.access_token = Some(refreshed.access_token.clone());
        updated.access_expires_at = Some(refreshed.access_expires_at);
        if !refreshed.scopes.is_empty() {
            updated.scopes = refreshed.scopes.clone();
        }
        updated.saved_at = SystemTime::now();
        let saved = std::thread::spawn(move || TokenStore::open()?.put(&updated)).join();
        match saved {
            Ok(Ok(at)) => {
                tracing::debug!(at = %at, rotated = refreshed.rotated, "saved the refreshed login");
            }
            Ok(Err(e)) => eprintln!(
                "warning: could not save the refreshed login for {}: {e}{}",
                login.org_url,
                if refreshed.rotated {
                    " (Okta rotated the refresh token: the next command may need `okta-hooks login` again)"
                } else {
                    ""
                }
            ),
            Err(_) => eprintln!(
                "warning: saving the refreshed login for {} failed",
                login.org_url
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_a_url_and_a_url_with_a_slash_are_one_origin() {
        for given in [
            "acme.okta.com",
            "https://acme.okta.com",
            "https://acme.okta.com/",
        ] {
            assert_eq!(origin(given).unwrap(), "https://acme.okta.com", "{given}");
        }
        assert_eq!(
            origin("http://127.0.0.1:8099").unwrap(),
            "http://127.0.0.1:8099"
        );
        assert!(origin("http://acme.okta.com").is_err());
    }

    #[test]
    fn a_login_lacking_a_commands_scope_is_refused_before_any_call() {
        let login = StoredLogin {
            org_url: "https://acme.okta.com".into(),
            client_id: "0oa-cli".into(),
            scopes: vec!["okta.logs.read".into()],
            access_token: None,
            access_expires_at: None,
            refresh_token: SecretString::from("rt"),
            saved_at: SystemTime::now(),
        };
        let err = okta_config(&OktaSource::Login(login), "cli", scopes::REPORT).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("okta.users.read okta.apps.read"), "{text}");
        assert!(
            text.contains("--okta-domain acme.okta.com --client-id 0oa-cli"),
            "{text}"
        );
    }
}
