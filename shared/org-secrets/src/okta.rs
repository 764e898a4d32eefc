//! The Okta credential in an org's secret: an API token, or an API Services app.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// `{"org_url": "https://acme.okta.com", "api_token": "…"}`, or
/// `{"org_url": …, "client_id": "0oa…", "private_key": "-----BEGIN …", "key_alg": "RS256",
///   "key_id": "…", "scopes": ["okta.users.manage"], "dpop": true}`.
#[derive(Debug, Clone, Deserialize)]
pub struct OktaCredential {
    /// The org's base URL (`https://acme.okta.com`).
    pub org_url: String,
    /// An SSWS API token; when given, the OAuth fields are not used.
    #[serde(default)]
    pub api_token: Option<SecretString>,
    /// The API Services app's client id (OAuth with a private-key JWT).
    #[serde(default)]
    pub client_id: Option<String>,
    /// The app's private key, PEM.
    #[serde(default)]
    pub private_key: Option<SecretString>,
    /// `RS256` (default) or `ES256`.
    #[serde(default)]
    pub key_alg: Option<String>,
    /// The key's `kid`, when the app has several keys.
    #[serde(default)]
    pub key_id: Option<String>,
    /// The OAuth scopes to ask for (`okta.users.manage`, …).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Whether the app requires DPoP-bound tokens.
    #[serde(default)]
    pub dpop: bool,
}

impl OktaCredential {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !self.org_url.starts_with("https://") && !self.org_url.starts_with("http://127.0.0.1") {
            return Err("okta.org_url must be an https URL".to_owned());
        }
        let token = self
            .api_token
            .as_ref()
            .is_some_and(|t| !t.expose_secret().is_empty());
        let app = self.client_id.is_some() && self.private_key.is_some();
        match (token, app) {
            (true, false) | (false, true) => Ok(()),
            (true, true) => {
                Err("okta: give api_token or client_id + private_key, not both".to_owned())
            }
            (false, false) => Err("okta: give api_token, or client_id and private_key".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::OrgSecret;

    #[test]
    fn a_token_or_an_app_but_not_both_nor_neither() {
        let token = r#"{"okta": {"org_url": "https://acme.okta.com", "api_token": "00abc"}}"#;
        assert!(OrgSecret::from_json(token).unwrap().okta.is_some());
        let app = r#"{"okta": {"org_url": "https://acme.okta.com", "client_id": "0oa1",
            "private_key": "-----BEGIN PRIVATE KEY-----", "scopes": ["okta.users.read"], "dpop": true}}"#;
        assert!(OrgSecret::from_json(app).unwrap().okta.unwrap().dpop);
        let neither = r#"{"okta": {"org_url": "https://acme.okta.com"}}"#;
        assert!(OrgSecret::from_json(neither).is_err());
        let plain = r#"{"okta": {"org_url": "http://acme.okta.com", "api_token": "00abc"}}"#;
        assert!(OrgSecret::from_json(plain).unwrap_err().contains("https"));
    }

    #[test]
    fn debug_hides_the_token_and_key() {
        let text =
            r#"{"okta": {"org_url": "https://acme.okta.com", "api_token": "00SECRETTOKEN"}}"#;
        let secret = OrgSecret::from_json(text).unwrap();
        assert!(!format!("{secret:?}").contains("00SECRETTOKEN"));
    }
}
