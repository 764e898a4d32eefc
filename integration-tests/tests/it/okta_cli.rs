//! `okta-hooks okta get-user` through the real Okta client against a local HTTP server.

use std::process::Command;

use integration_tests::workspace_binary;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "00TEST-token-do-not-print";

#[tokio::test]
async fn get_user_prints_the_user_and_never_the_token() {
    let okta = MockServer::builder().start().await;
    Mock::given(method("GET"))
        // Logins are percent-encoded in the path.
        .and(path("/api/v1/users/jane.doe%40example.com"))
        .and(header("authorization", format!("SSWS {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-okta-request-id", "req-123")
                .set_body_json(serde_json::json!({
                    "id": "00u1abcd", "status": "ACTIVE",
                    "profile": {"login": "jane.doe@example.com", "department": "Sales"}
                })),
        )
        .expect(1)
        .mount(&okta)
        .await;

    let output = Command::new(workspace_binary("okta-hooks"))
        .args(["okta", "get-user", "jane.doe@example.com"])
        .env("OKTA_ORG_URL", okta.uri())
        .env("OKTA_API_TOKEN", TOKEN)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    let user: serde_json::Value = serde_json::from_str(&stdout).expect("JSON user");
    assert_eq!(user["id"], "00u1abcd");
    assert_eq!(user["profile"]["department"], "Sales");
    assert!(stderr.contains("req-123"), "{stderr}");
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
}

#[test]
fn get_user_without_credentials_says_what_to_set() {
    let output = Command::new(workspace_binary("okta-hooks"))
        .args(["okta", "get-user", "x"])
        .env_remove("OKTA_ORG_URL")
        .env_remove("OKTA_API_TOKEN")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("OKTA_ORG_URL"));
}
