//! Dry run: requests that would change Okta are recorded and logged instead of sent,
//! and answered with a synthetic success so that the caller's action runs to its end.
//!
//! - [`DryRun`] on [`crate::OktaConfig::dry_run`] puts a client in dry run. With
//!   `live_reads`, `GET`/`HEAD` requests still reach the org (reads are harmless and
//!   give real ids); everything else is recorded in the [`RequestLog`], logged with
//!   `tracing::info!(dry_run = true, request = …)` and never sent.
//! - [`crate::OktaClient::offline_dry_run`] needs no org and no credential: every
//!   request, reads included, is recorded and answered synthetically.
//!
//! A synthetic answer has no request id, status `200` (`204` where the operation
//! answers no content), and carries [`DRY_RUN_HEADER`] so callers can tell it from
//! Okta's ([`crate::ResponseMeta::is_dry_run`]). Its body is whichever of `{}`, `[]`
//! or `null` the caller's type accepts — every model of this crate reads `{}` (all
//! fields optional), lists read `[]` and have no `next` link, so pagination ends.
//!
//! [`RecordedRequest`] keeps the exact body for tests; its `Display` and `Debug` — and
//! so every log line — go through [`RecordedRequest::redacted`], which hides
//! passwords, answers, tokens, secrets and credential values.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value};

/// Response header marking a synthetic dry-run answer (value `true`).
pub const DRY_RUN_HEADER: &str = "x-okta-hooks-dry-run";

/// What replaces a secret in [`RecordedRequest::redacted`].
pub const REDACTED: &str = "[REDACTED]";

/// One request a dry-run client did not send: method, full URL (with query) and JSON
/// body. Never the `Authorization` or `DPoP` headers: they are not recorded at all.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `POST`, `PUT`, `DELETE`, `PATCH`, or `GET` when reads are not live.
    pub method: String,
    /// The full URL, query included, exactly as it would have been sent.
    pub url: String,
    /// The JSON body, unredacted; `None` when the request has no body.
    pub body: Option<Value>,
}

impl RecordedRequest {
    /// The path and query of [`Self::url`] (`/api/v1/users/00u1?sendEmail=false`), for
    /// comparisons that do not care about the origin. The whole URL when it does not
    /// parse (it always does: it was built as a URL).
    pub fn path_and_query(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(url) => match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            },
            Err(_) => self.url.clone(),
        }
    }

    /// A copy whose body has every secret replaced by [`REDACTED`]: the values of
    /// keys naming a password, secret, token, passcode, private or API key, answer,
    /// hash or salt (any case, `_`/`-` ignored), and any `value` under `credentials`,
    /// `authScheme` or `headers` (event hook header values may be credentials).
    pub fn redacted(&self) -> RecordedRequest {
        RecordedRequest {
            method: self.method.clone(),
            url: self.url.clone(),
            body: self.body.as_ref().map(|b| redact(b, false)),
        }
    }
}

/// `METHOD url` and, when there is a body, a space and the compact JSON of the
/// *redacted* body.
impl std::fmt::Display for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.url)?;
        if let Some(body) = &self.body {
            write!(f, " {}", redact(body, false))?;
        }
        Ok(())
    }
}

/// Redacted, like `Display`.
impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("body", &self.body.as_ref().map(|b| redact(b, false)))
            .finish()
    }
}

/// Key fragments whose values are secrets wherever they appear.
const SECRET_KEY_PARTS: &[&str] = &[
    "password",
    "secret",
    "token",
    "passcode",
    "privatekey",
    "apikey",
    "answer",
    "salt",
    "hash",
    "authorization",
    "cookie",
];

/// Keys under which a `value` is a secret (`credentials.password.value`,
/// `channel.config.authScheme.value`, header values).
const SECRET_VALUE_PARENTS: &[&str] = &["credentials", "authscheme", "headers"];

fn normalized(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_secret_key(key: &str, under_secret_parent: bool) -> bool {
    let key = normalized(key);
    SECRET_KEY_PARTS.iter().any(|part| key.contains(part))
        || (under_secret_parent && key == "value")
}

/// `under` is true below a key of [`SECRET_VALUE_PARENTS`].
fn redact(value: &Value, under: bool) -> Value {
    match value {
        Value::Object(map) => {
            let out: Map<String, Value> = map
                .iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(k, under) {
                        Value::from(REDACTED)
                    } else {
                        let parent = SECRET_VALUE_PARENTS.contains(&normalized(k).as_str());
                        redact(v, under || parent)
                    };
                    (k.clone(), v)
                })
                .collect();
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| redact(v, under)).collect()),
        other => other.clone(),
    }
}

/// The requests a dry-run client did not send, in order. Cheap to clone: clones share
/// one list, so keep a clone to read what a client (or all clients made from one
/// configuration) recorded.
#[derive(Clone, Default)]
pub struct RequestLog {
    entries: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl RequestLog {
    /// An empty log.
    pub fn new() -> Self {
        RequestLog::default()
    }

    /// Appends a request.
    pub fn record(&self, request: RecordedRequest) {
        self.lock().push(request);
    }

    /// Every request recorded so far, leaving the log empty.
    pub fn take(&self) -> Vec<RecordedRequest> {
        std::mem::take(&mut *self.lock())
    }

    /// Every request recorded so far, leaving the log as it is.
    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        self.lock().clone()
    }

    /// How many requests are recorded.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RecordedRequest>> {
        // A panic while holding the lock cannot leave a Vec half-pushed.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLog")
            .field("recorded", &self.len())
            .finish()
    }
}

/// Puts a client in dry run (see the [module documentation](self)).
#[derive(Debug, Clone, Default)]
pub struct DryRun {
    /// Where requests not sent are recorded.
    pub log: RequestLog,
    /// Send `GET`/`HEAD` requests to the org (true), or record and synthesize them too.
    pub live_reads: bool,
}

impl DryRun {
    /// Dry run against a real org: reads are sent, writes recorded.
    pub fn with_live_reads(log: RequestLog) -> Self {
        DryRun {
            log,
            live_reads: true,
        }
    }

    /// Nothing is sent: reads are recorded and synthesized too.
    pub fn offline(log: RequestLog) -> Self {
        DryRun {
            log,
            live_reads: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(body: Value) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            url: "https://ex.okta.com/api/v1/users?activate=false".into(),
            body: Some(body),
        }
    }

    #[test]
    fn secret_values_are_redacted_and_others_kept() {
        let r = req(json!({
            "profile": {"login": "a@b.c", "email": "a@b.c"},
            "credentials": {
                "password": {"value": "Pa55"},
                "recovery_question": {"question": "Color?", "answer": "blue"},
                "provider": {"type": "OKTA", "name": "OKTA"},
                "userName": "isaac",
                "value": "bare-credential-value"
            },
            "oldPassword": {"value": "old"},
            "newPassword": {"value": "new"},
            "channel": {"config": {
                "uri": "https://hooks.example.com",
                "headers": [{"key": "X-Api", "value": "hdr-secret"}],
                "authScheme": {"type": "HEADER", "key": "Authorization", "value": "hook-secret"}
            }},
            "client_secret": "cs", "clientSecret": "cs2", "activationToken": "t0k",
            "passCode": "123456", "private_key": "pem", "items": [{"token": "x"}],
            "value": "top-level values are not secrets"
        }));
        let red = r.redacted().body.unwrap_or_default();
        let text = red.to_string();
        for secret in [
            "Pa55",
            "blue",
            "bare-credential-value",
            "\"old\"",
            "\"new\"",
            "hdr-secret",
            "hook-secret",
            "\"cs\"",
            "cs2",
            "t0k",
            "123456",
            "pem",
            "\"x\"",
        ] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
        assert_eq!(red["credentials"]["password"], json!(REDACTED));
        assert_eq!(
            red["credentials"]["recovery_question"]["answer"],
            json!(REDACTED)
        );
        assert_eq!(
            red["credentials"]["recovery_question"]["question"],
            "Color?"
        );
        assert_eq!(red["credentials"]["provider"]["type"], "OKTA");
        assert_eq!(red["credentials"]["userName"], "isaac");
        assert_eq!(
            red["channel"]["config"]["authScheme"]["key"],
            "Authorization"
        );
        assert_eq!(
            red["channel"]["config"]["authScheme"]["value"],
            json!(REDACTED)
        );
        assert_eq!(red["channel"]["config"]["headers"][0]["key"], "X-Api");
        assert_eq!(red["channel"]["config"]["uri"], "https://hooks.example.com");
        assert_eq!(red["profile"]["login"], "a@b.c");
        assert_eq!(red["value"], "top-level values are not secrets");
        // The raw body is untouched.
        assert_eq!(
            r.body.as_ref().unwrap()["credentials"]["password"]["value"],
            "Pa55"
        );
    }

    #[test]
    fn display_and_debug_redact() {
        let r = req(json!({"credentials": {"password": {"value": "Pa55-word!"}}}));
        let shown = r.to_string();
        assert_eq!(
            shown,
            r#"POST https://ex.okta.com/api/v1/users?activate=false {"credentials":{"password":"[REDACTED]"}}"#
        );
        assert!(!format!("{r:?}").contains("Pa55"));
        let no_body = RecordedRequest {
            method: "DELETE".into(),
            url: "https://ex.okta.com/api/v1/groups/00g1".into(),
            body: None,
        };
        assert_eq!(
            no_body.to_string(),
            "DELETE https://ex.okta.com/api/v1/groups/00g1"
        );
        assert_eq!(
            req(json!({})).path_and_query(),
            "/api/v1/users?activate=false"
        );
    }

    #[test]
    fn log_is_shared_by_clones() {
        let log = RequestLog::new();
        let other = log.clone();
        other.record(req(json!({})));
        assert_eq!(log.len(), 1);
        assert_eq!(log.snapshot().len(), 1);
        assert_eq!(log.take().len(), 1);
        assert!(other.is_empty());
    }
}
