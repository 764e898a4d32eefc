//! Shared test helpers: an in-test Okta (wiremock on 127.0.0.1), a client, an executor
//! with named secrets and a loopback webhook sender, and request matchers that check a
//! request exactly (whole query, empty body).
#![allow(dead_code)]

pub mod cases;

use std::collections::BTreeMap;

use action_calls::{StaticNamedSecrets, WebhookSender};
use okta_client::{AuthConfig, OktaClient, OktaConfig, SecretString};
use serde_json::{Map, Value};
use wiremock::{Match, MockServer, Request};

pub const API_TOKEN: &str = "00SSWS-executor-test-token-DO-NOT-LEAK";
pub const ORG: &str = "acme";
/// The webhook path: the secret part of a Slack webhook URL.
pub const WEBHOOK_PATH: &str = "/services/T000/B000/SeCrEtWeBhOoKpArT";
pub const HOOK_AUTH_VALUE: &str = "hook-shared-secret-DO-NOT-LEAK";

// Each test binary uses a different part of this module.
#[allow(unused_imports)]
pub use okta_fixtures::{answer as fixture, error_body};

/// A JSON object literal as parameters (taken by value: the map is moved out, not cloned).
pub fn params(v: Value) -> Map<String, Value> {
    let Value::Object(m) = v else {
        panic!("params must be an object, got {v}");
    };
    m
}

pub fn client(server: &MockServer) -> OktaClient {
    let auth = AuthConfig::ApiToken(SecretString::from(API_TOKEN));
    OktaClient::new(OktaConfig::new(&server.uri(), auth).unwrap()).unwrap()
}

/// Named secrets of [`ORG`]: `slack` → the mock server's webhook URL, `hook_auth` →
/// [`HOOK_AUTH_VALUE`].
pub fn secrets(server: &MockServer) -> StaticNamedSecrets {
    StaticNamedSecrets::new()
        .with(ORG, "slack", format!("{}{WEBHOOK_PATH}", server.uri()))
        .with(ORG, "hook_auth", HOOK_AUTH_VALUE)
}

pub fn sender() -> WebhookSender {
    WebhookSender::new(action_calls::DEFAULT_WEBHOOK_TIMEOUT)
        .unwrap()
        .allow_loopback_http()
}

/// The request's query is exactly these pairs (in any order), nothing more.
pub struct ExactQuery(pub Vec<(String, String)>);

impl ExactQuery {
    pub fn of(pairs: &[(&str, &str)]) -> Self {
        ExactQuery(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

impl Match for ExactQuery {
    fn matches(&self, request: &Request) -> bool {
        let mut got: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let mut want = self.0.clone();
        got.sort();
        want.sort();
        got == want
    }
}

/// The request has no body.
pub struct NoBody;

impl Match for NoBody {
    fn matches(&self, request: &Request) -> bool {
        request.body.is_empty()
    }
}

/// Every request the server received, as `METHOD path?query` lines.
pub async fn received(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| match r.url.query() {
            Some(q) => format!("{} {}?{q}", r.method, r.url.path()),
            None => format!("{} {}", r.method, r.url.path()),
        })
        .collect()
}

/// Headers of every request received, lower-cased names, as a map per request.
pub async fn received_headers(server: &MockServer) -> Vec<BTreeMap<String, String>> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            r.headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        v.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .collect()
}
