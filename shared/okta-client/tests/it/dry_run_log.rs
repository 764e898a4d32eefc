//! The dry-run log line: redacted (no password, no token), while the recorded request
//! keeps the exact body. Alone in its test binary: a thread-local subscriber and other
//! tests' threads would race over callsite interest.

use crate::common;

use common::*;
use okta_client::endpoints::users::{StrictQuery, UserWrite};
use okta_client::{DryRun, OktaClient, RequestLog};
use serde_json::json;
use wiremock::MockServer;

const PASSWORD: &str = "Pa55-word!-DO-NOT-LOG";

#[tokio::test]
async fn the_log_line_and_display_redact_passwords_and_the_record_keeps_them() {
    let captured = okta_fixtures::CapturedLogs::text();

    let server = MockServer::builder().start().await;
    let log = RequestLog::new();
    let config = ssws_config(&server.uri()).with_dry_run(DryRun::with_live_reads(log.clone()));
    let okta = OktaClient::new(config).unwrap();
    let user = UserWrite {
        profile: json!({"login": "isaac@example.com"}).as_object().cloned(),
        credentials: Some(json!({"password": {"value": PASSWORD}})),
        ..UserWrite::default()
    };
    okta.update_user("00u1", &user, &StrictQuery::default())
        .await
        .unwrap();

    let lines = captured.contents();
    assert!(lines.contains("dry run: Okta request not sent"), "{lines}");
    assert!(lines.contains("dry_run=true"), "{lines}");
    let expected = format!(
        "POST {}/api/v1/users/00u1 {}",
        server.uri(),
        json!({"profile": {"login": "isaac@example.com"},
               "credentials": {"password": "[REDACTED]"}})
    );
    assert!(lines.contains(&expected), "{lines}");
    assert!(!lines.contains(PASSWORD), "{lines}");
    assert!(!lines.contains(API_TOKEN), "{lines}");

    let recorded = log.take();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].to_string(), expected);
    assert!(!format!("{:?}", recorded[0]).contains(PASSWORD));
    assert_eq!(
        recorded[0].body.as_ref().unwrap()["credentials"]["password"]["value"],
        PASSWORD
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
