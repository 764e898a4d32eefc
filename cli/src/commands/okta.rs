//! `okta-hooks okta …`: calls to a real Okta org through the project's client, to prove a
//! credential works before deploying it.
//!
//! ```sh
//! OKTA_ORG_URL=https://example.okta.com OKTA_API_TOKEN=00abc… okta-hooks okta get-user jane@example.com
//! OKTA_ORG_URL=… OKTA_CLIENT_ID=0oa… OKTA_PRIVATE_KEY_FILE=key.pem [OKTA_KEY_ALG=ES256]
//!   [OKTA_KEY_ID=kid] [OKTA_SCOPES="okta.users.read"] [OKTA_DPOP=true] okta-hooks okta get-user jane@example.com
//! ```

use okta_adapters::okta_config;
use okta_client::{OktaClient, OktaConfig, RetryPolicy, SecretString};
use org_secrets::OktaCredential;

#[derive(clap::Subcommand)]
pub enum OktaCommand {
    /// Fetch one user by id or login and print it as JSON.
    GetUser {
        /// The user's id, login, or login short name.
        user: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum OktaCliError {
    #[error("{0}")]
    Config(String),
    #[error("Okta refused: {error} (class {class:?})")]
    Okta {
        #[source]
        error: okta_client::OktaError,
        class: okta_client::ErrorClass,
    },
}

pub async fn run(command: OktaCommand) -> Result<(), OktaCliError> {
    let client = OktaClient::new(config()?).map_err(|e| OktaCliError::Config(e.to_string()))?;
    match command {
        OktaCommand::GetUser { user } => {
            let reply = client
                .get_user(&user)
                .await
                .map_err(|error| OktaCliError::Okta {
                    class: error.class(),
                    error,
                })?;
            let json = serde_json::to_string_pretty(&reply.value).unwrap_or_default();
            println!("{json}");
            eprintln!(
                "X-Okta-Request-Id: {}  rate limit: {:?}",
                reply.meta.request_id.as_deref().unwrap_or("-"),
                reply.meta.rate_limit
            );
            Ok(())
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The same credential an org secret's `okta` section holds, read from `OKTA_*` variables,
/// and turned into a client configuration the way the functions do it.
fn config() -> Result<OktaConfig, OktaCliError> {
    let missing = |what: &str| OktaCliError::Config(format!("set {what}"));
    let org_url = env("OKTA_ORG_URL").ok_or_else(|| missing("OKTA_ORG_URL"))?;
    let credential = credential(org_url, "okta.users.read")?;
    let mut config = okta_config(&credential, "cli").map_err(|reason| {
        OktaCliError::Config(format!(
            "{reason} (set OKTA_API_TOKEN, or OKTA_CLIENT_ID and OKTA_PRIVATE_KEY_FILE)"
        ))
    })?;
    config.retry = RetryPolicy::interactive();
    Ok(config)
}

/// The org's credential from `OKTA_API_TOKEN`, or `OKTA_CLIENT_ID` and
/// `OKTA_PRIVATE_KEY_FILE` (with `OKTA_KEY_ALG`, `OKTA_KEY_ID`, `OKTA_SCOPES` — default
/// `default_scopes` — and `OKTA_DPOP`).
pub fn credential(org_url: String, default_scopes: &str) -> Result<OktaCredential, OktaCliError> {
    let private_key = match env("OKTA_PRIVATE_KEY_FILE") {
        Some(file) => Some(
            std::fs::read_to_string(&file)
                .map_err(|e| OktaCliError::Config(format!("OKTA_PRIVATE_KEY_FILE {file}: {e}")))?,
        ),
        None => None,
    };
    let credential = OktaCredential {
        org_url,
        api_token: env("OKTA_API_TOKEN").map(SecretString::from),
        client_id: env("OKTA_CLIENT_ID"),
        private_key: private_key.map(SecretString::from),
        key_alg: env("OKTA_KEY_ALG"),
        key_id: env("OKTA_KEY_ID"),
        scopes: env("OKTA_SCOPES")
            .unwrap_or_else(|| default_scopes.into())
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        dpop: env("OKTA_DPOP").is_some_and(|v| v == "true" || v == "1"),
    };
    if credential.api_token.is_none() && credential.private_key.is_none() {
        return Err(OktaCliError::Config(
            "set OKTA_API_TOKEN, or OKTA_CLIENT_ID and OKTA_PRIVATE_KEY_FILE".into(),
        ));
    }
    Ok(credential)
}
