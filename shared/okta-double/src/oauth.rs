//! The org authorization server's clients (`oauthClients` in a seed).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An OAuth client of the org authorization server: a native app with the device
/// authorization and refresh token grants, and the Okta API scopes granted to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClient {
    /// `0oa…`: the `client_id` a public client sends.
    pub client_id: String,
    /// The Okta API scopes granted on the app (`okta.users.read`, …).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Whether each refresh hands out a new refresh token and retires the old one.
    #[serde(default)]
    pub rotate_refresh_tokens: bool,
    /// The device flow's polling `interval`, seconds (default 5; `0`: tests never sleep).
    #[serde(default = "five")]
    pub interval: u64,
    /// How long a device code lives, seconds (default 600).
    #[serde(default = "six_hundred")]
    pub expires_in: u64,
    /// When set, a device grant approves itself after this many polls answered
    /// `authorization_pending` (`0`: the first poll gets the tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_after_polls: Option<u32>,
}

fn five() -> u64 {
    5
}

fn six_hundred() -> u64 {
    600
}

impl OAuthClient {
    /// A client granted `scopes`, Okta's defaults otherwise (interval 5 s, codes living
    /// 600 s, no rotation, approval by a control call).
    pub fn new<S: Into<String>>(
        client_id: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> OAuthClient {
        OAuthClient {
            client_id: client_id.into(),
            scopes: scopes.into_iter().map(Into::into).collect(),
            rotate_refresh_tokens: false,
            interval: five(),
            expires_in: six_hundred(),
            approve_after_polls: None,
        }
    }
}

/// Clients, device grants and tokens.
#[derive(Clone, Default)]
pub(crate) struct OAuthState {
    pub clients: BTreeMap<String, OAuthClient>,
}

impl std::fmt::Debug for OAuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthState")
            .field("clients", &self.clients.len())
            .finish_non_exhaustive()
    }
}

impl OAuthState {
    pub fn put_client(&mut self, client: OAuthClient) {
        self.clients.insert(client.client_id.clone(), client);
    }
}
