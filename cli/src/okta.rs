//! `okta-hooks okta …`: calls to a real Okta org through the project's client, to prove a
//! credential works before deploying it.
//!
//! ```sh
//! OKTA_ORG_URL=https://example.okta.com OKTA_API_TOKEN=00abc… okta-hooks okta get-user jane@example.com
//! OKTA_ORG_URL=… OKTA_CLIENT_ID=0oa… OKTA_PRIVATE_KEY_FILE=key.pem [OKTA_KEY_ALG=ES256]
//!   [OKTA_KEY_ID=kid] [OKTA_SCOPES="okta.users.read"] [OKTA_DPOP=true] okta-hooks okta get-user jane@example.com
//! ```

use okta_client::{
    AuthConfig, KeyAlgorithm, OAuthConfig, OktaClient, OktaConfig, RetryPolicy, SecretString,
};

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
    #[error("Okta refused: {error} (class {class})")]
    Okta { error: String, class: String },
}

pub async fn run(command: OktaCommand) -> Result<(), OktaCliError> {
    let client = OktaClient::new(config()?).map_err(|e| OktaCliError::Config(e.to_string()))?;
    match command {
        OktaCommand::GetUser { user } => {
            let reply = client
                .get_user(&user)
                .await
                .map_err(|e| OktaCliError::Okta {
                    class: format!("{:?}", e.class()),
                    error: e.to_string(),
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

fn config() -> Result<OktaConfig, OktaCliError> {
    let missing = |what: &str| OktaCliError::Config(format!("set {what}"));
    let org = env("OKTA_ORG_URL").ok_or_else(|| missing("OKTA_ORG_URL"))?;
    let auth = match env("OKTA_API_TOKEN") {
        Some(token) => AuthConfig::ApiToken(SecretString::from(token)),
        None => AuthConfig::OAuth(oauth_config()?),
    };
    let mut config = OktaConfig::new(&org, auth)
        .map_err(|e| OktaCliError::Config(format!("OKTA_ORG_URL: {e}")))?;
    config.retry = RetryPolicy::interactive();
    config.user_agent_suffix = Some("cli".into());
    Ok(config)
}

fn oauth_config() -> Result<OAuthConfig, OktaCliError> {
    let client_id = env("OKTA_CLIENT_ID").ok_or_else(|| {
        OktaCliError::Config(
            "set OKTA_API_TOKEN, or OKTA_CLIENT_ID and OKTA_PRIVATE_KEY_FILE".into(),
        )
    })?;
    let key_file = env("OKTA_PRIVATE_KEY_FILE")
        .ok_or_else(|| OktaCliError::Config("set OKTA_PRIVATE_KEY_FILE".into()))?;
    let pem = std::fs::read_to_string(&key_file)
        .map_err(|e| OktaCliError::Config(format!("OKTA_PRIVATE_KEY_FILE {key_file}: {e}")))?;
    let algorithm = match env("OKTA_KEY_ALG").as_deref().unwrap_or("RS256") {
        "RS256" => KeyAlgorithm::Rs256,
        "ES256" => KeyAlgorithm::Es256,
        other => {
            return Err(OktaCliError::Config(format!(
                "OKTA_KEY_ALG must be RS256 or ES256, not {other}"
            )));
        }
    };
    Ok(OAuthConfig {
        client_id,
        private_key_pem: SecretString::from(pem),
        algorithm,
        key_id: env("OKTA_KEY_ID"),
        scopes: env("OKTA_SCOPES")
            .unwrap_or_else(|| "okta.users.read".into())
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        dpop: env("OKTA_DPOP").is_some_and(|v| v == "true" || v == "1"),
    })
}
