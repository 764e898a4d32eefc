//! No secret reaches a log line while plans run: not the Okta API token, not the
//! envelope signing key, not a webhook URL, not a password a step carries.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use actions::Family;
use common::{KEY, Rig, TOKEN};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const PASSWORD: &str = "Password-SECRET-4471-value";

const RULES: &str = r#"
rules:
  - id: reset-and-tell
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.password.set
        user: ${ target("User").id }
        password: Password-SECRET-4471-value
      - action: user.suspend
        user: ${ target("User").id }
    on_failure:
      - action: notify.webhook
        url_secret: slack
        body: { text: "failed: ${ failure.error }" }
"#;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map(|mut b| b.extend_from_slice(buf)).ok();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_plan_with_a_password_a_failure_and_a_webhook_logs_no_secret() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut rig = Rig::new(RULES).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234"))
        .respond_with(ResponseTemplate::new(200).set_body_json(okta_fixtures::answer("user")))
        .mount(&rig.okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(okta_fixtures::error_body("ErrorAccessDenied")),
        )
        .mount(&rig.okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/slack"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&rig.okta)
        .await;
    rig.route("user.account.report_suspicious_activity_by_enduser.json")
        .await;
    let ran = rig.drain().await;
    assert_eq!(
        ran.len(),
        3,
        "password set, suspend refused, notify: {ran:?}"
    );
    assert!(ran.iter().any(|(f, _)| *f == Family::Notify));

    let logs = String::from_utf8(captured.0.lock().map(|b| b.clone()).unwrap_or_default())
        .unwrap_or_default();
    assert!(
        logs.contains("\"audit\":true"),
        "the audit lines are there: {logs}"
    );
    let webhook = format!("{}/slack", rig.okta.uri());
    for secret in [TOKEN, KEY, PASSWORD, webhook.as_str()] {
        assert!(!logs.contains(secret), "{secret} reached a log line");
    }
}
