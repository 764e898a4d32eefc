//! The tests' Slack webhook (`named.slack_webhook`): a wiremock on loopback that answers
//! every `POST /slack` with 200 and keeps what it was told.

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A Slack webhook double.
pub struct Slack {
    /// The wiremock (more mocks may be mounted on it, e.g. a slow answer).
    pub server: MockServer,
}

impl Slack {
    /// Starts it on a loopback port of its own.
    pub async fn start() -> Slack {
        let server = MockServer::builder().start().await;
        Mock::given(method("POST"))
            .and(path("/slack"))
            .respond_with(ResponseTemplate::new(200))
            // A test may mount a more urgent answer (priority below 5), e.g. a slow one.
            .with_priority(5)
            .mount(&server)
            .await;
        Slack { server }
    }

    /// The URL to put in the org's `named.slack_webhook`.
    pub fn webhook(&self) -> String {
        format!("{}/slack", self.server.uri())
    }

    /// The `text` of every message posted, in order of arrival.
    pub async fn texts(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .filter_map(|b| b["text"].as_str().map(str::to_owned))
            .collect()
    }
}
