//! Okta's lifecycle rules, through HTTP.

use std::collections::HashSet;

use okta_double::{OktaDouble, Status, User};
use serde_json::Value;

use crate::helpers::Api;

fn api(okta: &okta_double::Running) -> Api {
    Api::new(&okta.base_url(), okta.token())
}

#[tokio::test]
async fn suspending_a_locked_out_user_is_refused_with_e0000038_and_leaves_the_status() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::locked_out("00u1", "locked@example.com"));

    let answer = api(&okta)
        .post("/api/v1/users/00u1/lifecycle/suspend")
        .await;

    assert_eq!(answer.status, 403);
    assert_eq!(answer.error_code(), Some("E0000038"));
    assert_eq!(
        answer.body["errorSummary"],
        "This operation is not allowed in the user's current status."
    );
    assert_eq!(answer.body["errorLink"], "E0000038");
    assert!(
        answer.body["errorId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    assert_eq!(answer.body["errorCauses"], Value::Array(vec![]));
    assert_eq!(okta.status("00u1"), Some("LOCKED_OUT"));
    assert_eq!(okta.applied("suspend", "00u1"), 0);
}

#[tokio::test]
async fn suspending_an_active_user_applies_once_and_a_second_suspend_is_refused() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    let api = api(&okta);

    let first = api.post("/api/v1/users/00u1/lifecycle/suspend").await;
    assert_eq!(first.status, 200);
    assert_eq!(okta.status("00u1"), Some("SUSPENDED"));
    assert_eq!(okta.applied("suspend", "00u1"), 1);

    let second = api.post("/api/v1/users/00u1/lifecycle/suspend").await;
    assert_eq!(second.status, 403);
    assert_eq!(second.error_code(), Some("E0000038"));
    assert_eq!(okta.status("00u1"), Some("SUSPENDED"));
    assert_eq!(okta.applied("suspend", "00u1"), 1);
    assert_eq!(
        okta.request_count("POST", "/api/v1/users/00u1/lifecycle/suspend"),
        2
    );
}

#[tokio::test]
async fn suspending_mixed_status_users_changes_only_the_active_ones() {
    let okta = OktaDouble::start().await;
    for (i, status) in Status::ALL.into_iter().enumerate() {
        okta.add_user(User::new(
            format!("00u{i}"),
            format!("u{i}@example.com"),
            status,
        ));
    }
    let api = api(&okta);

    for (i, status) in Status::ALL.into_iter().enumerate() {
        let answer = api
            .post(&format!("/api/v1/users/00u{i}/lifecycle/suspend"))
            .await;
        let expected = if status == Status::Active { 200 } else { 403 };
        assert_eq!(answer.status, expected, "suspend from {status}");
    }

    for (i, status) in Status::ALL.into_iter().enumerate() {
        let id = format!("00u{i}");
        if status == Status::Active {
            assert_eq!(okta.status(&id), Some("SUSPENDED"));
        } else {
            assert_eq!(
                okta.status(&id),
                Some(status.as_str()),
                "{id} kept its status"
            );
        }
    }
    assert_eq!(okta.applied_total("suspend"), 1);
}

#[tokio::test]
async fn activating_an_active_user_is_refused_with_e0000016() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));

    let answer = api(&okta)
        .post("/api/v1/users/00u1/lifecycle/activate")
        .await;

    assert_eq!(answer.status, 403);
    assert_eq!(answer.error_code(), Some("E0000016"));
    assert_eq!(
        answer.body["errorSummary"],
        "Activation failed because the user is already active"
    );
    assert_eq!(okta.applied("activate", "00u1"), 0);
}

#[tokio::test]
async fn activating_a_staged_user_without_a_password_provisions_it_and_can_answer_the_link() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::staged("00u1", "new@example.com"));
    okta.add_user(User::staged("00u2", "pw@example.com").password(true));
    let api = api(&okta);

    let answer = api
        .post("/api/v1/users/00u1/lifecycle/activate?sendEmail=false")
        .await;
    assert_eq!(answer.status, 200);
    assert!(
        answer.body["activationUrl"]
            .as_str()
            .is_some_and(|u| u.starts_with(&okta.base_url()))
    );
    assert!(answer.body["activationToken"].as_str().is_some());
    assert_eq!(okta.status("00u1"), Some("PROVISIONED"));

    let answer = api.post("/api/v1/users/00u2/lifecycle/activate").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, serde_json::json!({}));
    assert_eq!(okta.status("00u2"), Some("ACTIVE"));
    assert_eq!(okta.applied_total("activate"), 2);
}

#[tokio::test]
async fn unlock_unsuspend_expire_and_reset_move_users_as_okta_does() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::locked_out("00u1", "l@example.com"));
    okta.add_user(User::suspended("00u2", "s@example.com"));
    okta.add_user(User::active("00u3", "a@example.com"));
    okta.add_user(User::active("00u4", "r@example.com"));
    let api = api(&okta);

    assert_eq!(
        api.post("/api/v1/users/00u1/lifecycle/unlock").await.status,
        200
    );
    assert_eq!(
        api.post("/api/v1/users/00u2/lifecycle/unsuspend")
            .await
            .status,
        200
    );
    let expired = api
        .post("/api/v1/users/00u3/lifecycle/expire_password")
        .await;
    assert_eq!(expired.status, 200);
    assert_eq!(expired.body["status"], "PASSWORD_EXPIRED");
    let reset = api
        .post("/api/v1/users/00u4/lifecycle/reset_password?sendEmail=false")
        .await;
    assert!(reset.body["resetPasswordUrl"].as_str().is_some());

    assert_eq!(okta.status("00u1"), Some("ACTIVE"));
    assert_eq!(okta.status("00u2"), Some("ACTIVE"));
    assert_eq!(okta.status("00u3"), Some("PASSWORD_EXPIRED"));
    assert_eq!(okta.status("00u4"), Some("RECOVERY"));
    assert_eq!(
        api.post("/api/v1/users/00u1/lifecycle/unlock")
            .await
            .error_code(),
        Some("E0000038")
    );
}

#[tokio::test]
async fn delete_deactivates_first_then_deletes_on_the_second_call() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.add_group(okta_double::Group::okta("00g1", "Eng"));
    okta.add_member("00g1", "00u1");
    let api = api(&okta);

    assert_eq!(
        api.call("DELETE", "/api/v1/users/00u1", None).await.status,
        204
    );
    assert_eq!(okta.status("00u1"), Some("DEPROVISIONED"));
    assert_eq!(okta.applied("deactivate", "00u1"), 1);
    assert!(okta.exists("00u1"));

    assert_eq!(
        api.call("DELETE", "/api/v1/users/00u1", None).await.status,
        204
    );
    assert!(!okta.exists("00u1"));
    assert_eq!(okta.applied("delete", "00u1"), 1);
    assert!(okta.members("00g1").is_empty());

    let gone = api.get("/api/v1/users/00u1").await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.error_code(), Some("E0000007"));
}

#[tokio::test]
async fn deactivating_a_deprovisioned_user_is_refused_with_e0000038() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::deprovisioned("00u1", "d@example.com"));

    let answer = api(&okta)
        .post("/api/v1/users/00u1/lifecycle/deactivate")
        .await;

    assert_eq!(answer.error_code(), Some("E0000038"));
    assert_eq!(okta.applied_total("deactivate"), 0);
}

#[tokio::test]
async fn a_lifecycle_call_on_an_unknown_user_is_404_e0000007() {
    let okta = OktaDouble::start().await;

    let answer = api(&okta)
        .post("/api/v1/users/00unknown/lifecycle/suspend")
        .await;

    assert_eq!(answer.status, 404);
    assert_eq!(answer.error_code(), Some("E0000007"));
    assert!(okta.changes().is_empty());
}

#[tokio::test]
async fn a_wrong_token_is_401_e0000011_and_changes_nothing() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    let wrong = Api::new(&okta.base_url(), "not-the-token");

    let answer = wrong.post("/api/v1/users/00u1/lifecycle/suspend").await;

    assert_eq!(answer.status, 401);
    assert_eq!(answer.error_code(), Some("E0000011"));
    assert_eq!(okta.status("00u1"), Some("ACTIVE"));
    assert_eq!(okta.requests()[0].status, 401);
}

#[tokio::test]
async fn every_answer_carries_a_unique_request_id_and_a_date() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    let api = api(&okta);
    let mut ids = HashSet::new();

    for path in [
        "/api/v1/users/00u1",
        "/api/v1/users/nobody",
        "/api/v1/users/00u1",
    ] {
        let answer = api.get(path).await;
        let date = answer.header("date").unwrap();
        assert!(httpdate::parse_http_date(date).is_ok(), "{date}");
        ids.insert(answer.header("x-okta-request-id").unwrap().to_owned());
    }

    assert_eq!(ids.len(), 3);
    let logged: HashSet<String> = okta.requests().into_iter().map(|r| r.request_id).collect();
    assert_eq!(logged, ids);
}
