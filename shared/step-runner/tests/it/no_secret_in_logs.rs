//! No secret reaches a log line while plans run: not the Okta API token, not the
//! envelope signing key, not a webhook URL, not a password a step carries.

use crate::common;

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

#[tokio::test]
async fn a_plan_with_a_password_a_failure_and_a_webhook_logs_no_secret() {
    let captured = okta_fixtures::CapturedLogs::json();

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

    let logs = captured.contents();
    assert!(
        logs.contains("\"audit\":true"),
        "the audit lines are there: {logs}"
    );
    let webhook = format!("{}/slack", rig.okta.uri());
    for secret in [TOKEN, KEY, PASSWORD, webhook.as_str()] {
        assert!(!logs.contains(secret), "{secret} reached a log line");
    }
}
