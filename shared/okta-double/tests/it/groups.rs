//! Groups and memberships: only real changes count, every call is logged.

use okta_double::{Group, OktaDouble, User};
use serde_json::Value;

use crate::helpers::Api;

fn api(okta: &okta_double::Running) -> Api {
    Api::new(&okta.base_url(), okta.token())
}

async fn seeded() -> okta_double::Running {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.add_user(User::active("00u2", "b@example.com"));
    okta.add_group(Group::okta("00g1", "Engineering"));
    okta.add_group(Group::app("00g2", "AD Engineering"));
    okta
}

#[tokio::test]
async fn adding_a_member_applies_once_and_adding_again_is_204_but_not_a_change() {
    let okta = seeded().await;
    let api = api(&okta);

    let first = api
        .call("PUT", "/api/v1/groups/00g1/users/00u1", None)
        .await;
    let again = api
        .call("PUT", "/api/v1/groups/00g1/users/00u1", None)
        .await;

    assert_eq!((first.status, again.status), (204, 204));
    assert_eq!(okta.members("00g1"), ["00u1"]);
    assert_eq!(okta.applied_membership("add_to_group", "00g1", "00u1"), 1);
    assert_eq!(okta.applied("add_to_group", "00u1"), 1);
    assert_eq!(
        okta.request_count("PUT", "/api/v1/groups/00g1/users/00u1"),
        2
    );
}

#[tokio::test]
async fn removing_a_member_applies_once_and_removing_a_non_member_changes_nothing() {
    let okta = seeded().await;
    okta.add_member("00g1", "00u1");
    let api = api(&okta);

    let first = api
        .call("DELETE", "/api/v1/groups/00g1/users/00u1", None)
        .await;
    let again = api
        .call("DELETE", "/api/v1/groups/00g1/users/00u1", None)
        .await;

    assert_eq!((first.status, again.status), (204, 204));
    assert!(!okta.is_member("00g1", "00u1"));
    assert_eq!(
        okta.applied_membership("remove_from_group", "00g1", "00u1"),
        1
    );
}

#[tokio::test]
async fn an_app_group_membership_cannot_be_written_through_the_api() {
    let okta = seeded().await;
    let api = api(&okta);

    let answer = api
        .call("PUT", "/api/v1/groups/00g2/users/00u1", None)
        .await;

    assert_eq!(
        (answer.status, answer.error_code()),
        (403, Some("E0000006"))
    );
    assert!(okta.members("00g2").is_empty());
    assert!(okta.changes().is_empty());
}

#[tokio::test]
async fn a_membership_call_on_a_missing_group_or_user_is_404() {
    let okta = seeded().await;
    let api = api(&okta);

    let no_group = api
        .call("PUT", "/api/v1/groups/00g9/users/00u1", None)
        .await;
    let no_user = api
        .call("PUT", "/api/v1/groups/00g1/users/00u9", None)
        .await;

    assert_eq!(
        (no_group.status, no_group.error_code()),
        (404, Some("E0000007"))
    );
    assert_eq!(
        (no_user.status, no_user.error_code()),
        (404, Some("E0000007"))
    );
    assert!(okta.changes().is_empty());
}

#[tokio::test]
async fn groups_and_members_read_back_as_okta_lists_them() {
    let okta = seeded().await;
    okta.add_member("00g1", "00u1");
    okta.add_member("00g1", "00u2");
    okta.add_member("00g2", "00u1");
    let api = api(&okta);

    let group = api.get("/api/v1/groups/00g2").await;
    assert_eq!(group.body["type"], "APP_GROUP");
    assert_eq!(group.body["profile"]["name"], "AD Engineering");

    let members = api.get("/api/v1/groups/00g1/users").await;
    let member_ids: Vec<&str> = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(member_ids, ["00u1", "00u2"]);

    let of_user = api.get("/api/v1/users/00u1/groups").await;
    assert_eq!(of_user.body.as_array().map(Vec::len), Some(2));

    let by_name = api.get("/api/v1/groups?q=eng").await;
    assert_eq!(by_name.body.as_array().unwrap()[0]["id"], "00g1");
    let okta_only = api
        .get("/api/v1/groups?search=type%20eq%20%22OKTA_GROUP%22")
        .await;
    assert_eq!(okta_only.body.as_array().map(Vec::len), Some(1));
    let missing = api.get("/api/v1/groups/00g9").await;
    assert_eq!(
        (missing.status, missing.body["errorCode"].clone()),
        (404, Value::from("E0000007"))
    );
}
