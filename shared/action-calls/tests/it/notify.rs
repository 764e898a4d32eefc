//! `notify.webhook`: the URL comes from the named secret and never shows in an error,
//! a `Debug` print or the outcome; statuses are classified for the Lambda.

use crate::common;

use std::time::Duration;

use action_calls::{
    ExecError, Executor, FailureClass, NamedSecrets, SecretLookupError, StaticNamedSecrets,
    WebhookError,
};
use common::*;
use futures_util::future::BoxFuture;
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The secret part of the URL.
const SECRET_PART: &str = "SeCrEtWeBhOoKpArT";

async fn notify(
    server: &MockServer,
    body: serde_json::Value,
) -> Result<action_calls::Outcome, ExecError> {
    let secrets = secrets(server);
    let sender = sender();
    Executor::without_okta()
        .with_secrets(ORG, &secrets)
        .with_webhook(&sender)
        .execute(
            "notify.webhook",
            &params(json!({"url_secret": "slack", "body": body})),
        )
        .await
}

fn assert_no_url(e: &ExecError, server: &MockServer) {
    for text in [
        e.to_string(),
        format!("{e:?}"),
        json!(e.report()).to_string(),
    ] {
        assert!(!text.contains(SECRET_PART), "URL leaked: {text}");
        assert!(!text.contains(&server.uri()), "URL leaked: {text}");
    }
}

#[tokio::test]
async fn posts_json_to_the_url_held_in_the_secret() {
    let server = MockServer::builder().start().await;
    let card = json!({"text": "Suspended jane", "blocks": [{"type": "section"}]});
    Mock::given(method("POST"))
        .and(path(WEBHOOK_PATH))
        .and(header("content-type", "application/json"))
        .and(body_json(&card))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let out = notify(&server, card).await.unwrap();
    assert_eq!(out.output, json!({"status": 200}));
    assert!(out.request_ids.is_empty());
    let debug = format!("{out:?}");
    assert!(!debug.contains(SECRET_PART), "{debug}");
    server.verify().await;
}

#[tokio::test]
async fn failures_are_classified_and_never_show_the_url() {
    let server = MockServer::builder().start().await;
    let echo = format!("no_service for {}{WEBHOOK_PATH}", server.uri());
    for (text, answer, class) in [
        (
            "gone",
            ResponseTemplate::new(404).set_body_string(echo.as_str()),
            FailureClass::Permanent,
        ),
        (
            "bad",
            ResponseTemplate::new(400).set_body_string(format!("invalid_payload {WEBHOOK_PATH}")),
            FailureClass::Permanent,
        ),
        (
            "down",
            ResponseTemplate::new(503).set_body_string("try later"),
            FailureClass::Retryable,
        ),
        (
            "slow down",
            ResponseTemplate::new(429).insert_header("retry-after", "7"),
            FailureClass::Throttled {
                retry_after: Some(Duration::from_secs(7)),
            },
        ),
        (
            "redirected",
            ResponseTemplate::new(302).insert_header("location", "https://elsewhere.example/x"),
            FailureClass::Permanent,
        ),
    ] {
        Mock::given(method("POST"))
            .and(path(WEBHOOK_PATH))
            .and(body_json(json!({"text": text})))
            .respond_with(answer)
            .expect(1)
            .mount(&server)
            .await;
        let e = notify(&server, json!(text)).await.unwrap_err();
        assert_eq!(e.class(), class, "{text}: {e}");
        assert_no_url(&e, &server);
    }
    server.verify().await;
}

#[tokio::test]
async fn a_webhook_that_cannot_be_reached_is_retryable_and_unnamed() {
    let closed = okta_fixtures::RefusingPort::hold();
    let url = format!("{}/services/T/B/{SECRET_PART}", closed.url());
    let secrets = StaticNamedSecrets::new().with(ORG, "slack", url.as_str());
    let sender = sender();
    let e = Executor::without_okta()
        .with_secrets(ORG, &secrets)
        .with_webhook(&sender)
        .execute(
            "notify.webhook",
            &params(json!({"url_secret": "slack", "body": "x"})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.class(), FailureClass::Retryable, "{e}");
    assert!(
        matches!(e, ExecError::Webhook(WebhookError::Connection)),
        "{e:?}"
    );
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(SECRET_PART), "{text}");
        assert!(!text.contains(&closed.port.to_string()), "{text}");
    }
    assert!(!format!("{secrets:?} {sender:?}").contains(SECRET_PART));
}

#[tokio::test]
async fn plain_http_and_missing_secrets_are_permanent() {
    let secrets = StaticNamedSecrets::new().with(ORG, "slack", "http://hooks.example.com/x/y");
    let sender = sender();
    let exec = Executor::without_okta()
        .with_secrets(ORG, &secrets)
        .with_webhook(&sender);
    let e = exec
        .execute(
            "notify.webhook",
            &params(json!({"url_secret": "slack", "body": "x"})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.class(), FailureClass::Permanent);
    assert!(matches!(e, ExecError::Webhook(WebhookError::InvalidUrl(_))));
    assert!(!e.to_string().contains("hooks.example.com"), "{e}");

    let e = exec
        .execute(
            "notify.webhook",
            &params(json!({"url_secret": "teams", "body": "x"})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.class(), FailureClass::Permanent);
    assert!(e.to_string().contains("`teams`"), "{e}");

    let e = Executor::without_okta()
        .execute(
            "notify.webhook",
            &params(json!({"url_secret": "slack", "body": "x"})),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ExecError::NotConfigured { .. }), "{e:?}");
}

/// A store that cannot be reached right now.
struct Unreachable;

impl NamedSecrets for Unreachable {
    fn get<'a>(
        &'a self,
        org: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, Result<SecretString, SecretLookupError>> {
        Box::pin(async move {
            Err(SecretLookupError::Unavailable {
                org: org.to_owned(),
                name: name.to_owned(),
                reason: "throttled by Secrets Manager".into(),
            })
        })
    }
}

#[tokio::test]
async fn an_unreachable_secret_store_is_retryable() {
    let sender = sender();
    let e = Executor::without_okta()
        .with_secrets(ORG, &Unreachable)
        .with_webhook(&sender)
        .execute(
            "notify.webhook",
            &params(json!({"url_secret": "slack", "body": "x"})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.class(), FailureClass::Retryable, "{e}");
}
