//! End-to-end check against a real Okta org: fetch one user by id or login and print it.
//!
//! ```sh
//! # API token
//! OKTA_ORG_URL=https://example.okta.com OKTA_API_TOKEN=00abc… \
//!   cargo run -p okta-client --example get_user -- jane.doe@example.com
//! # OAuth 2.0 service app (private_key_jwt), with DPoP if the app requires it
//! OKTA_ORG_URL=https://example.okta.com OKTA_CLIENT_ID=0oa… \
//!   OKTA_PRIVATE_KEY_FILE=key.pem OKTA_KEY_ALG=RS256 OKTA_KEY_ID=kid1 \
//!   OKTA_SCOPES=okta.users.read OKTA_DPOP=true \
//!   cargo run -p okta-client --example get_user -- jane.doe@example.com
//! ```
//!
//! Prints the user as JSON, then the request id and rate-limit state; on failure the
//! typed error and its class. Credentials are read from the environment and never
//! printed.

use okta_client::{
    AuthConfig, KeyAlgorithm, OAuthConfig, OktaClient, OktaConfig, RetryPolicy, SecretString,
};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn config() -> Result<OktaConfig, String> {
    let org = env("OKTA_ORG_URL").ok_or("set OKTA_ORG_URL")?;
    let auth = if let Some(token) = env("OKTA_API_TOKEN") {
        AuthConfig::ApiToken(SecretString::from(token))
    } else {
        let client_id = env("OKTA_CLIENT_ID")
            .ok_or("set OKTA_API_TOKEN, or OKTA_CLIENT_ID and OKTA_PRIVATE_KEY_FILE")?;
        let key_file = env("OKTA_PRIVATE_KEY_FILE").ok_or("set OKTA_PRIVATE_KEY_FILE")?;
        let pem = std::fs::read_to_string(&key_file).map_err(|e| format!("{key_file}: {e}"))?;
        let algorithm = match env("OKTA_KEY_ALG").as_deref().unwrap_or("RS256") {
            "RS256" => KeyAlgorithm::Rs256,
            "ES256" => KeyAlgorithm::Es256,
            other => return Err(format!("OKTA_KEY_ALG must be RS256 or ES256, not {other}")),
        };
        AuthConfig::OAuth(OAuthConfig {
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
    };
    let mut config = OktaConfig::new(&org, auth).map_err(|e| e.to_string())?;
    config.retry = RetryPolicy::interactive();
    config.user_agent_suffix = Some("get_user-example".into());
    Ok(config)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(login) = std::env::args().nth(1) else {
        eprintln!("usage: get_user ID_OR_LOGIN (see the file's doc comment for the environment)");
        std::process::exit(2);
    };
    let client = match config().and_then(|c| OktaClient::new(c).map_err(|e| e.to_string())) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    match client.get_user(&login).await {
        Ok(reply) => {
            match serde_json::to_string_pretty(&reply.value) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("could not print the user: {e}"),
            }
            eprintln!(
                "X-Okta-Request-Id: {}",
                reply.meta.request_id.as_deref().unwrap_or("-")
            );
            eprintln!("rate limit: {:?}", reply.meta.rate_limit);
        }
        Err(e) => {
            eprintln!("error: {e}\nclass: {:?}", e.class());
            std::process::exit(1);
        }
    }
}
