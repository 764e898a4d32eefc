//! `notify.webhook`: POST a JSON message to a webhook (Slack, Teams, anything that takes
//! JSON) whose URL is a named secret of the org.
//!
//! A webhook URL is a credential — whoever holds it can post to the channel — so it is
//! read from the secret store at the last moment, kept in a [`SecretString`], and never
//! reaches a log line, a `Debug` print or an error: transport errors are reported by
//! kind only (transport messages may carry the URL).

use std::time::Duration;

use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Method};
use okta_client::http::{HttpClient, HttpError};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use url::Url;

use crate::dispatch::{Ctx, handlers};
use crate::error::{ExecError, FailureClass};
use crate::outcome::Outcome;

handlers! {
    "notify.webhook" => webhook,
}

/// How long a webhook may take to answer. Slack and Teams answer in well under a
/// second; a stuck endpoint must not eat the Lambda's time budget.
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest part of a webhook's error answer kept in an error (Slack answers short
/// codes such as `invalid_payload` or `no_service`).
const DETAIL_MAX: usize = 200;

/// Why a webhook POST failed. No variant holds the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The secret does not hold a usable URL (not https, not a URL at all).
    #[error("the webhook URL in the secret is not usable: {0}")]
    InvalidUrl(&'static str),
    /// The webhook answered a non-2xx status.
    #[error("the webhook answered HTTP {status}{}", detail_suffix(.detail))]
    Status {
        /// HTTP status.
        status: u16,
        /// `Retry-After` in seconds, when sent with a 429 or 503.
        retry_after: Option<Duration>,
        /// The start of the answer's body, with the URL removed.
        detail: String,
    },
    /// No answer in time.
    #[error("the webhook did not answer in time")]
    Timeout,
    /// The connection failed.
    #[error("could not connect to the webhook")]
    Connection,
    /// Another transport failure.
    #[error("the webhook request failed")]
    Request,
    /// The HTTP client could not be built.
    #[error("the webhook HTTP client could not be built")]
    Client,
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

impl WebhookError {
    /// `5xx`, timeouts and connection failures are retried; `429` waits for its
    /// `Retry-After`; other statuses and bad URLs are permanent.
    pub fn class(&self) -> FailureClass {
        match self {
            WebhookError::Status {
                status: 429,
                retry_after,
                ..
            } => FailureClass::Throttled {
                retry_after: *retry_after,
            },
            WebhookError::Status { status, .. } if *status >= 500 => FailureClass::Retryable,
            WebhookError::Timeout | WebhookError::Connection | WebhookError::Request => {
                FailureClass::Retryable
            }
            WebhookError::Status { .. } | WebhookError::InvalidUrl(_) | WebhookError::Client => {
                FailureClass::Permanent
            }
        }
    }

    /// The status the webhook answered, if it did.
    pub fn status(&self) -> Option<u16> {
        match self {
            WebhookError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Posts JSON to webhooks, over the Okta client's HTTP client (the AWS SDK's connector,
/// built on the first post). Build one per process and clone it: clones share the pool.
#[derive(Clone)]
pub struct WebhookSender {
    http: HttpClient,
    allow_loopback_http: bool,
}

impl std::fmt::Debug for WebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSender")
            .field("allow_loopback_http", &self.allow_loopback_http)
            .finish_non_exhaustive()
    }
}

impl WebhookSender {
    /// A sender with `timeout` per request. Redirects are not followed: a redirect
    /// would take the message somewhere the secret did not name.
    pub fn new(timeout: Duration) -> Result<Self, WebhookError> {
        let http = HttpClient::new(
            concat!("okta-hooks/", env!("CARGO_PKG_VERSION")),
            timeout,
            timeout.min(Duration::from_secs(5)),
        )
        .map_err(|_| WebhookError::Client)?;
        Ok(WebhookSender {
            http,
            allow_loopback_http: false,
        })
    }

    /// Also accepts `http://` URLs on a loopback address (tests, the local runner).
    /// Everything else must be `https://`.
    pub fn allow_loopback_http(mut self) -> Self {
        self.allow_loopback_http = true;
        self
    }

    /// POSTs `body` as JSON to `url`; answers the status of a 2xx response.
    pub async fn post(&self, url: &SecretString, body: &Value) -> Result<u16, WebhookError> {
        let parsed = self.check(url.expose_secret())?;
        let payload = serde_json::to_vec(body).map_err(|_| WebhookError::Request)?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let response = self
            .http
            .send(Method::POST, &parsed, headers, Some(payload.into()))
            .await
            .map_err(|e| transport(&e))?;
        let status = response.status.as_u16();
        if response.status.is_success() {
            return Ok(status);
        }
        let retry_after = response
            .headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = String::from_utf8_lossy(&response.body);
        Err(WebhookError::Status {
            status,
            retry_after,
            detail: detail(&text, url.expose_secret()),
        })
    }

    fn check(&self, url: &str) -> Result<Url, WebhookError> {
        let parsed = Url::parse(url.trim()).map_err(|_| WebhookError::InvalidUrl("not a URL"))?;
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        match parsed.scheme() {
            "https" => Ok(parsed),
            "http" if self.allow_loopback_http && loopback => Ok(parsed),
            _ => Err(WebhookError::InvalidUrl("it must be an https URL")),
        }
    }
}

/// A transport error by kind only: its message may name the URL.
fn transport(e: &HttpError) -> WebhookError {
    match e {
        HttpError::Timeout => WebhookError::Timeout,
        HttpError::Connection(_) => WebhookError::Connection,
        HttpError::Request(_) => WebhookError::Request,
    }
}

/// The start of an error answer, on one line, with the URL (and its path, the secret
/// part) cut out should the webhook echo it.
fn detail(text: &str, url: &str) -> String {
    let mut t = text.replace(url, "[webhook URL]");
    if let Ok(u) = Url::parse(url)
        && u.path().len() > 1
    {
        t = t.replace(u.path(), "[webhook path]");
    }
    let one_line: String = t
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(DETAIL_MAX)
        .collect();
    one_line.trim().to_owned()
}

/// `body` as sent: a string becomes `{"text": …}`, the message shape Slack and Teams
/// incoming webhooks both take; anything else is sent as given (Slack blocks, an
/// adaptive card).
pub fn message_body(body: &Value) -> Value {
    match body {
        Value::String(text) => json!({ "text": text }),
        other => other.clone(),
    }
}

async fn webhook(ctx: &Ctx<'_>) -> Result<Outcome, ExecError> {
    let name = ctx.p.id("url_secret")?;
    let body = ctx
        .p
        .value("body")
        .filter(|b| !b.is_null())
        .ok_or_else(|| ctx.p.bad("parameter `body` is required and not null"))?;
    let sender = ctx.webhook.ok_or(ExecError::NotConfigured {
        action: ctx.action(),
        what: "a webhook sender",
    })?;
    let secrets = ctx.secrets.ok_or(ExecError::NotConfigured {
        action: ctx.action(),
        what: "a secret store (for `url_secret`)",
    })?;
    let url = secrets
        .get(ctx.org, name)
        .await
        .map_err(|source| ExecError::Secret {
            action: ctx.action(),
            source,
        })?;
    let status = sender.post(&url, &message_body(body)).await?;
    let mut output = Map::new();
    output.insert("status".into(), Value::from(status));
    Ok(Outcome::new().output(output))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_become_slack_and_teams_text() {
        assert_eq!(message_body(&json!("hi")), json!({"text": "hi"}));
        let blocks = json!({"blocks": []});
        assert_eq!(message_body(&blocks), blocks);
    }

    #[test]
    fn details_never_echo_the_url() {
        let url = "https://hooks.slack.com/services/T0/B0/SECRETPART";
        let d = detail(&format!("bad {url}\nand /services/T0/B0/SECRETPART"), url);
        assert!(!d.contains("SECRETPART"), "{d}");
        assert!(!d.contains('\n'));
        assert!(detail(&"x".repeat(1000), url).len() <= DETAIL_MAX);
    }

    #[test]
    fn only_https_or_loopback_http_when_allowed() {
        let s = WebhookSender::new(DEFAULT_WEBHOOK_TIMEOUT).unwrap();
        assert!(s.check("https://hooks.slack.com/services/x").is_ok());
        assert!(s.check("http://127.0.0.1:9/x").is_err());
        assert!(s.check("ftp://x/y").is_err());
        assert!(s.check("not a url").is_err());
        let s = s.allow_loopback_http();
        assert!(s.check("http://127.0.0.1:9/x").is_ok());
        assert!(s.check("http://example.com/x").is_err());
    }

    #[test]
    fn classes() {
        let st = |status| WebhookError::Status {
            status,
            retry_after: None,
            detail: String::new(),
        };
        assert_eq!(st(500).class(), FailureClass::Retryable);
        assert_eq!(st(404).class(), FailureClass::Permanent);
        assert_eq!(
            st(429).class(),
            FailureClass::Throttled { retry_after: None }
        );
        assert_eq!(WebhookError::Timeout.class(), FailureClass::Retryable);
    }
}
