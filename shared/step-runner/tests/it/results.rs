//! One result per finished plan, told by the executor that ran its last step.

use crate::common;
use crate::plans::{EVENT, LOCK_DOWN, mock_lock_down};

use common::Rig;
use ports::{ResultStatus, StepStatus};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn a_plan_that_runs_to_its_end_is_told_once_as_done_with_every_step_in_order() {
    let mut rig = Rig::new(LOCK_DOWN).await;
    mock_lock_down(&rig).await;
    rig.route(EVENT).await;
    rig.drain().await;
    let published = rig.results.published();
    assert_eq!(published.len(), 1, "{published:?}");
    let result = &published[0].result;
    assert_eq!(result.status, ResultStatus::Done);
    assert_eq!(result.rule.as_deref(), Some("lock-down"));
    assert_eq!(result.event.as_deref(), Some("ABC1234"));
    assert_eq!(result.request_id, None);
    assert_eq!(published[0].reply_to, None);
    let steps: Vec<(&str, StepStatus)> = result
        .steps
        .iter()
        .map(|s| (s.action.as_str(), s.status))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("user.suspend", StepStatus::Done),
            ("user.sessions.clear", StepStatus::Done),
            ("group.create", StepStatus::Done),
            ("group.add_user", StepStatus::Done),
            ("notify.webhook", StepStatus::Done),
        ]
    );
    assert_eq!(result.steps[0].okta_request_ids, vec!["req-ok"]);
    assert_eq!(result.steps[2].step, "quarantine");
    assert_eq!(
        result.steps[2].output.as_ref().map(|o| o["id"].clone()),
        Some(json!("00gquarantine"))
    );
}

#[tokio::test]
async fn a_failed_step_is_told_once_as_failed_after_the_on_failure_steps_ran() {
    let mut rig = Rig::new(LOCK_DOWN).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-okta-request-id", "req-404")
                .set_body_json(okta_fixtures::error_body("ErrorResourceNotFound")),
        )
        .mount(&rig.okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/slack"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    rig.drain().await;
    let published = rig.results.published();
    assert_eq!(published.len(), 1, "{published:?}");
    let result = &published[0].result;
    assert_eq!(result.status, ResultStatus::Failed);
    assert!(
        result.error.as_deref().unwrap_or("").contains("Not found"),
        "{result:?}"
    );
    assert_eq!(result.steps.len(), 2, "{result:?}");
    assert_eq!(result.steps[0].action, "user.suspend");
    assert_eq!(result.steps[0].status, StepStatus::Failed);
    assert_eq!(result.steps[0].okta_request_ids, vec!["req-404"]);
    assert_eq!(
        result.steps[0]
            .error
            .as_ref()
            .map(|e| e["errorCode"].clone()),
        Some(json!("E0000007"))
    );
    assert_eq!(
        (
            result.steps[1].phase.as_str(),
            result.steps[1].action.as_str(),
            result.steps[1].status
        ),
        ("on_failure", "notify.webhook", StepStatus::Done)
    );
}

#[tokio::test]
async fn a_failed_step_without_on_failure_is_told_as_failed_at_once() {
    let rules = r#"
rules:
  - id: suspend-only
    on: [user.account.report_suspicious_activity_by_enduser]
    do:
      - action: user.suspend
        user: ${ target("User").id }
"#;
    let mut rig = Rig::new(rules).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(okta_fixtures::error_body("AccessDeniedException")),
        )
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    rig.drain().await;
    let published = rig.results.published();
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0].result.status, ResultStatus::Failed);
    assert_eq!(published[0].result.steps.len(), 1);
    assert_eq!(published[0].result.steps[0].status, StepStatus::Failed);
}
