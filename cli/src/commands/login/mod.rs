//! `okta-hooks login` / `okta-hooks logout`: a person's Okta login for the CLI, with the
//! OAuth 2.0 device authorization grant (RFC 8628) of an OIDC native app.
//!
//! ```sh
//! okta-hooks login --okta-domain acme.okta.com --client-id 0oa…   # prints a URL and a code
//! OKTA_ORG_URL=https://acme.okta.com okta-hooks hook list            # uses the login
//! okta-hooks logout --okta-domain acme.okta.com                       # revokes and forgets it
//! ```
//!
//! The app (Okta Admin Console): an OIDC **Native** app with the *Device Authorization*
//! and *Refresh Token* grants, the Okta API scopes the commands need granted on its
//! Okta API Scopes tab. What a login can do is also bounded by the admin's role. No
//! browser is needed on this host: the URL and code can be opened anywhere (SSH).
//!
//! The tokens go to the OS keyring, else a 0600 file ([`store`]); commands find the
//! login of `OKTA_ORG_URL` ([`super::credentials`]) and refresh it as needed.

pub mod scopes;
pub mod store;

use std::time::{Duration, SystemTime};

use okta_client::OktaError;
use okta_client::login::{self, DeviceLoginError, PollOutcome, TokenKind};

use super::credentials::{self, CredentialsError};
use store::{StoreError, StoredLogin, TokenStore};

#[derive(clap::Args)]
pub struct LoginArgs {
    /// The org: `acme.okta.com`, or its URL.
    #[arg(long)]
    okta_domain: String,
    /// The client id of the org's OIDC native app (Device Authorization and Refresh
    /// Token grants).
    #[arg(long, env = "OKTA_HOOKS_LOGIN_CLIENT_ID")]
    client_id: String,
    /// The scopes to ask for, space- or comma-separated, instead of those of every
    /// command (`okta-hooks hook`, `replay`, `rules backtest`, `report`, `okta
    /// get-user`); `offline_access` is always added.
    #[arg(long)]
    scopes: Option<String>,
    /// Also ask for the fixed scopes of every catalog action (for `run --local`).
    #[arg(long)]
    with_actions: bool,
}

#[derive(clap::Args)]
pub struct LogoutArgs {
    /// The org: `acme.okta.com`, or its URL.
    #[arg(long)]
    okta_domain: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error("saved logins: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Refused(String),
    #[error("Okta: {0}")]
    Okta(#[from] OktaError),
    #[error("{0}")]
    Device(DeviceLoginError),
}

/// Runs the device flow and saves the login.
pub async fn login(args: LoginArgs) -> Result<(), LoginError> {
    let origin = credentials::origin(&args.okta_domain)?;
    let org = login::org_url(&origin)?;
    let client_id = args.client_id.trim().to_owned();
    let given = args.scopes.as_deref().map(scopes::parse);
    let asked = scopes::for_login(given.as_deref(), args.with_actions);
    let http = login::http_client()?;

    let authorization = login::device_authorize(&http, &org, &client_id, &asked)
        .await
        .map_err(|e| explain_authorize(e, &client_id, &asked))?;
    let code_minutes = authorization.expires_in.div_ceil(60);
    println!(
        "To sign in to {origin}, open {}",
        authorization.verification_uri
    );
    println!("and enter the code: {}", authorization.user_code);
    if let Some(complete) = &authorization.verification_uri_complete {
        println!("(or open {complete})");
    }
    println!("Waiting for approval (the code expires in {code_minutes} min; Ctrl-C to stop)…");
    let tokens = login::poll_until_done(
        &http,
        &org,
        &client_id,
        &authorization,
        tokio::time::sleep,
        |outcome, interval| {
            if let PollOutcome::SlowDown = outcome {
                eprintln!("Okta asked to poll less often: every {} s", interval.as_secs());
            }
        },
    )
    .await
    .map_err(|e| match e {
        DeviceLoginError::Denied => LoginError::Refused(format!(
            "the sign-in was denied at {origin} (access_denied): nothing was saved"
        )),
        DeviceLoginError::Expired => LoginError::Refused(format!(
            "the code expired before it was approved ({code_minutes} min): run okta-hooks login again"
        )),
        other => LoginError::Device(other),
    })?;
    let Some(refresh_token) = tokens.refresh_token else {
        return Err(LoginError::Refused(
            "Okta granted no refresh token: give the app the Refresh Token grant type and \
             ask for offline_access"
                .to_owned(),
        ));
    };
    let granted = if tokens.scopes.is_empty() {
        asked.clone()
    } else {
        tokens.scopes.clone()
    };
    let saved = StoredLogin {
        org_url: origin.clone(),
        client_id: client_id.clone(),
        scopes: granted.clone(),
        access_token: Some(tokens.access_token),
        access_expires_at: Some(tokens.access_expires_at),
        refresh_token,
        saved_at: SystemTime::now(),
    };
    let at = tokio::task::spawn_blocking(move || TokenStore::open()?.put(&saved))
        .await
        .map_err(|e| LoginError::Refused(format!("saving the login: {e}")))??;
    println!("Logged in to {origin} (client {client_id}).");
    println!("  scopes: {}", granted.join(" "));
    let lacking: Vec<String> = asked
        .iter()
        .filter(|s| !granted.contains(s))
        .cloned()
        .collect();
    if !lacking.is_empty() {
        println!(
            "  not granted: {} (commands that need them will say so)",
            lacking.join(" ")
        );
    }
    let lifetime = tokens
        .access_expires_at
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    println!(
        "  access token valid for {} min, renewed with the refresh token",
        lifetime.as_secs().div_ceil(60)
    );
    println!("  saved in {at}");
    println!("Commands use it with OKTA_ORG_URL={origin} and no OKTA_API_TOKEN.");
    Ok(())
}

/// Revokes the refresh token (best effort) and forgets the login.
pub async fn logout(args: LogoutArgs) -> Result<(), LoginError> {
    let origin = credentials::origin(&args.okta_domain)?;
    let Some(saved) = credentials::stored_login(&origin).await? else {
        println!("no login for {origin}");
        return Ok(());
    };
    let org = login::org_url(&origin)?;
    let http = login::http_client()?;
    match login::revoke(
        &http,
        &org,
        &saved.client_id,
        &saved.refresh_token,
        TokenKind::Refresh,
    )
    .await
    {
        Ok(()) => println!("revoked the refresh token at {origin}"),
        Err(e) => {
            eprintln!("warning: Okta did not revoke the refresh token ({e}); forgetting it anyway");
        }
    }
    let key = origin.clone();
    let from = tokio::task::spawn_blocking(move || TokenStore::open()?.delete(&key))
        .await
        .map_err(|e| LoginError::Refused(format!("forgetting the login: {e}")))??;
    println!(
        "logged out of {origin}: forgot the login in {}",
        from.join(", ")
    );
    Ok(())
}

/// `/device/authorize` errors as what to do in the Admin Console.
fn explain_authorize(error: OktaError, client_id: &str, asked: &[String]) -> LoginError {
    let OktaError::Token(t) = &error else {
        return LoginError::Okta(error);
    };
    match t.error.as_deref() {
        Some("invalid_scope") => LoginError::Refused(format!(
            "Okta refused the scopes (invalid_scope{}): grant them on the app's Okta API \
             Scopes tab, or ask fewer with --scopes: {}",
            t.error_description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default(),
            asked.join(" ")
        )),
        Some("invalid_client") | Some("unauthorized_client") => LoginError::Refused(format!(
            "Okta refused client {client_id} ({}): it must be an OIDC native app with the \
             Device Authorization grant",
            t.error.as_deref().unwrap_or_default()
        )),
        _ => LoginError::Okta(error),
    }
}
