//! `okta-hooks okta …`: calls to a real Okta org through the project's client, to prove a
//! credential works before deploying it.
//!
//! ```sh
//! OKTA_ORG_URL=https://example.okta.com OKTA_API_TOKEN=00abc… okta-hooks okta get-user jane@example.com
//! OKTA_ORG_URL=… OKTA_CLIENT_ID=0oa… OKTA_PRIVATE_KEY_FILE=key.pem [OKTA_KEY_ALG=ES256]
//!   [OKTA_KEY_ID=kid] [OKTA_SCOPES="okta.users.read"] [OKTA_DPOP=true] okta-hooks okta get-user jane@example.com
//! OKTA_ORG_URL=https://example.okta.com okta-hooks okta get-user jane@example.com   # after okta-hooks login
//! ```

use okta_client::{OktaClient, OktaConfig};
use org_secrets::OktaCredential;

use super::credentials;

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
    let client =
        OktaClient::new(config().await?).map_err(|e| OktaCliError::Config(e.to_string()))?;
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

/// The client configuration: `OKTA_*` variables, or the login saved for `OKTA_ORG_URL`
/// (see [`super::credentials`]), turned into a client configuration the way the
/// functions do it.
async fn config() -> Result<OktaConfig, OktaCliError> {
    credentials::config_from_environment(super::login::scopes::GET_USER, "cli")
        .await
        .map_err(|e| OktaCliError::Config(e.to_string()))?
        .ok_or_else(|| {
            OktaCliError::Config(
                "set OKTA_ORG_URL, with OKTA_API_TOKEN (or OKTA_CLIENT_ID and \
                 OKTA_PRIVATE_KEY_FILE) or after `okta-hooks login`"
                    .into(),
            )
        })
}

/// The org's credential from `OKTA_API_TOKEN`, or `OKTA_CLIENT_ID` and
/// `OKTA_PRIVATE_KEY_FILE` (with `OKTA_KEY_ALG`, `OKTA_KEY_ID`, `OKTA_SCOPES` — default
/// `default_scopes` — and `OKTA_DPOP`); an error when neither is set.
pub fn credential(org_url: String, default_scopes: &str) -> Result<OktaCredential, OktaCliError> {
    let scopes: Vec<&str> = default_scopes.split_whitespace().collect();
    credentials::env_credential(org_url, &scopes)
        .map_err(|e| OktaCliError::Config(e.to_string()))?
        .ok_or_else(|| {
            OktaCliError::Config(
                "set OKTA_API_TOKEN, or OKTA_CLIENT_ID and OKTA_PRIVATE_KEY_FILE".into(),
            )
        })
}
