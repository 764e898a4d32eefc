//! Every endpoint: the request it sends (method, path, query, body) and that Okta's
//! example answer (from the spec) parses into its model without losing a field.

use crate::common;

use common::*;
use okta_client::endpoints::PageQuery;
use okta_client::endpoints::apps::{
    AssignUser, ExpandQuery, ListAppUsersQuery, ListAppsQuery, UpdateAppUser,
};
use okta_client::endpoints::factors::EnrollFactorQuery;
use okta_client::endpoints::groups::ListGroupsQuery;
use okta_client::endpoints::logs::LogQuery;
use okta_client::endpoints::misc::{ListPoliciesQuery, ListRealmsQuery};
use okta_client::endpoints::users::{
    CreateUserQuery, LifecycleOptions, ResetPasswordQuery, StrictQuery, UserRiskWrite, UserWrite,
};
use okta_client::models::{EventHook, Factor, Role};
use okta_client::{OktaClient, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

async fn setup() -> (MockServer, OktaClient) {
    let server = MockServer::builder().start().await;
    let client = ssws_client(&server.uri());
    (server, client)
}

async fn answer(server: &MockServer, mock: MockBuilder, status: u16, body: Option<Value>) {
    let mut t = ResponseTemplate::new(status);
    if let Some(b) = body {
        t = t.set_body_json(b);
    }
    mock.respond_with(t).expect(1).mount(server).await;
}

/// The model re-serialises to what Okta sent: unknown fields are kept. The one
/// difference allowed: a named field that was `null` reads as `None` and is omitted
/// (Okta documents that it may omit null properties; they mean the same).
fn lossless<T: Serialize + DeserializeOwned>(original: &Value) {
    let model: T = serde_json::from_value(original.clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&model).unwrap(),
        without_top_level_nulls(original)
    );
}

fn without_top_level_nulls(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(without_top_level_nulls).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn models_round_trip_okta_examples() {
    use okta_client::models::*;
    lossless::<User>(&fixture("user"));
    lossless::<Group>(&fixture("group"));
    lossless::<AppUser>(&fixture("app-user"));
    lossless::<Session>(&fixture("session"));
    lossless::<Factor>(&fixture("factor-enroll-google"));
    lossless::<Vec<Application>>(&fixture("apps-list"));
    lossless::<Vec<Factor>>(&fixture("factors-list"));
    lossless::<Vec<Role>>(&fixture("roles-list"));
    lossless::<Vec<Realm>>(&fixture("realms-list"));
    lossless::<Vec<UserType>>(&fixture("user-types-list"));
    lossless::<Vec<EventHook>>(&fixture("event-hooks-list"));
    lossless::<Vec<Policy>>(&fixture("policies-list"));
    lossless::<Vec<AppLink>>(&fixture("app-links-list"));
    lossless::<Vec<Group>>(&fixture("groups-list"));
    // LogEvent is okta-events' model (nested objects drop nulls); it must parse.
    let events: Vec<LogEvent> = serde_json::from_value(fixture("logs-list")).unwrap();
    assert_eq!(events[0].event_type.as_deref(), Some("user.session.start"));
}

#[tokio::test]
async fn user_reads_and_writes() {
    let (s, c) = setup().await;
    let mut profile = serde_json::Map::new();
    profile.insert("login".into(), json!("isaac.brock@example.com"));
    let write = UserWrite {
        profile: Some(profile.clone()),
        ..Default::default()
    };
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/users/00u1")),
        200,
        Some(fixture("user")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/users"))
            .and(query_param("activate", "false"))
            .and(query_param("nextLogin", "changePassword"))
            .and(body_json(json!({"profile": profile}))),
        200,
        Some(fixture("user")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/users/00u1"))
            .and(query_param("strict", "true")),
        200,
        Some(fixture("user")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("PUT")).and(path("/api/v1/users/00u1")),
        200,
        Some(fixture("user")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("DELETE"))
            .and(path("/api/v1/users/00u1"))
            .and(query_param("sendEmail", "true")),
        204,
        None,
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/users/00u1/groups")),
        200,
        Some(fixture("groups-list")),
    )
    .await;

    let user = c.get_user("00u1").await.unwrap().value;
    assert_eq!(user.login(), Some("isaac.brock@example.com"));
    let q = CreateUserQuery {
        activate: Some(false),
        next_login: Some("changePassword".into()),
        ..Default::default()
    };
    c.create_user(&write, &q).await.unwrap();
    c.update_user("00u1", &write, &StrictQuery { strict: Some(true) })
        .await
        .unwrap();
    c.replace_user("00u1", &write, &StrictQuery::default())
        .await
        .unwrap();
    c.delete_user(
        "00u1",
        LifecycleOptions {
            send_email: Some(true),
            respond_async: false,
        },
    )
    .await
    .unwrap();
    let groups = c.list_user_groups("00u1").unwrap().all().await.unwrap();
    assert_eq!(groups.len(), 2);
}

#[tokio::test]
async fn user_lifecycle() {
    let (s, c) = setup().await;
    let lc = |op: &str| format!("/api/v1/users/00u1/lifecycle/{op}");
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path(lc("activate")))
            .and(query_param("sendEmail", "false")),
        200,
        Some(json!({"activationUrl": "https://x/activate", "activationToken": "t"})),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST")).and(path(lc("reactivate"))),
        200,
        Some(json!({})),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST")).and(path(lc("deactivate"))),
        200,
        None,
    )
    .await;
    for op in ["suspend", "unsuspend", "unlock", "reset_factors"] {
        answer(
            &s,
            Mock::given(method("POST")).and(path(lc(op))),
            200,
            Some(json!({})),
        )
        .await;
    }
    let a = c.activate_user("00u1", Some(false)).await.unwrap();
    assert_eq!(a.value["activationToken"], "t");
    c.reactivate_user("00u1", None).await.unwrap();
    c.deactivate_user("00u1", LifecycleOptions::default())
        .await
        .unwrap();
    c.suspend_user("00u1").await.unwrap();
    c.unsuspend_user("00u1").await.unwrap();
    c.unlock_user("00u1").await.unwrap();
    c.reset_factors("00u1").await.unwrap();
}

#[tokio::test]
async fn setting_a_users_risk_puts_the_level_and_reason_and_reads_the_answer() {
    let (s, c) = setup().await;
    answer(
        &s,
        Mock::given(method("PUT"))
            .and(path("/api/v1/users/00u1/risk"))
            .and(body_json(
                json!({"riskLevel": "HIGH", "riskReason": "Brute force"}),
            )),
        201,
        Some(json!({"riskLevel": "HIGH", "reason": "Brute force",
                    "_links": {"user": {"href": "https://x/api/v1/users/00u1"}}})),
    )
    .await;
    answer(
        &s,
        Mock::given(method("PUT"))
            .and(path("/api/v1/users/00u2/risk"))
            .and(body_json(json!({"riskLevel": "LOW"}))),
        200,
        Some(json!({"riskLevel": "LOW", "reason": "override.by.admin"})),
    )
    .await;
    let high = UserRiskWrite {
        risk_level: "HIGH".into(),
        risk_reason: Some("Brute force".into()),
    };
    let r = c.set_user_risk("00u1", &high).await.unwrap();
    assert_eq!(r.value.risk_level.as_deref(), Some("HIGH"));
    assert_eq!(r.value.reason.as_deref(), Some("Brute force"));
    let low = UserRiskWrite {
        risk_level: "LOW".into(),
        risk_reason: None,
    };
    let r = c.set_user_risk("00u2", &low).await.unwrap();
    assert_eq!(r.value.reason.as_deref(), Some("override.by.admin"));
}

#[tokio::test]
async fn passwords() {
    let (s, c) = setup().await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/users/00u1/lifecycle/reset_password"))
            .and(query_param("sendEmail", "false"))
            .and(query_param("revokeSessions", "true")),
        200,
        Some(json!({"resetPasswordUrl": "https://x/reset"})),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST")).and(path("/api/v1/users/00u1/lifecycle/expire_password")),
        200,
        Some(fixture("user")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path(
                "/api/v1/users/00u1/lifecycle/expire_password_with_temp_password",
            ))
            .and(query_param("revokeSessions", "false")),
        200,
        Some(json!({"tempPassword": "x"})),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/users/00u1"))
            .and(body_json(
                json!({"credentials": {"password": {"value": "N3w-pass!"}}}),
            )),
        200,
        Some(fixture("user")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/users/00u1/credentials/change_password"))
            .and(query_param("strict", "true"))
            .and(body_json(
                json!({"oldPassword": {"value": "old"}, "newPassword": {"value": "new"}}),
            )),
        200,
        Some(json!({"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}})),
    )
    .await;
    let q = ResetPasswordQuery {
        send_email: Some(false),
        revoke_sessions: Some(true),
    };
    assert_eq!(
        c.reset_password("00u1", &q).await.unwrap().value["resetPasswordUrl"],
        "https://x/reset"
    );
    c.expire_password("00u1").await.unwrap();
    c.expire_password_with_temp_password("00u1", Some(false))
        .await
        .unwrap();
    c.set_password("00u1", &SecretString::from("N3w-pass!"))
        .await
        .unwrap();
    c.change_password(
        "00u1",
        &SecretString::from("old"),
        &SecretString::from("new"),
        &StrictQuery { strict: Some(true) },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn sessions_and_factors() {
    let (s, c) = setup().await;
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/sessions/102abc")),
        200,
        Some(fixture("session")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("DELETE")).and(path("/api/v1/sessions/102abc")),
        204,
        None,
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/users/00u1/factors")),
        200,
        Some(fixture("factors-list")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/users/00u1/factors"))
            .and(body_json(
                json!({"factorType": "token:software:totp", "provider": "GOOGLE"}),
            )),
        200,
        Some(fixture("factor-enroll-google")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/users/00u1/factors"))
            .and(query_param("activate", "true"))
            .and(body_json(json!({"factorType": "email", "provider": "OKTA", "profile": {"email": "test@gmail.com"}}))),
        200,
        Some(fixture("factor-enroll-email")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("DELETE"))
            .and(path("/api/v1/users/00u1/factors/uft1"))
            .and(query_param("removeRecoveryEnrollment", "true")),
        204,
        None,
    )
    .await;
    let session = c.get_session("102abc").await.unwrap().value;
    assert!(session.id.is_some());
    c.revoke_session("102abc").await.unwrap();
    assert_eq!(c.list_factors("00u1").await.unwrap().value.len(), 3);
    let g = c
        .enroll_factor(
            "00u1",
            &Factor::google_authenticator(),
            &EnrollFactorQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(g.value.factor_type.as_deref(), Some("token:software:totp"));
    let q = EnrollFactorQuery {
        activate: Some(true),
        ..Default::default()
    };
    let e = c
        .enroll_factor("00u1", &Factor::okta_email("test@gmail.com"), &q)
        .await
        .unwrap();
    assert_eq!(e.value.factor_type.as_deref(), Some("email"));
    c.unenroll_factor("00u1", "uft1", Some(true)).await.unwrap();
}

#[tokio::test]
async fn groups_and_memberships() {
    let (s, c) = setup().await;
    let mut profile = serde_json::Map::new();
    profile.insert("name".into(), json!("West Coast users"));
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/groups/00g1")),
        200,
        Some(fixture("group")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET"))
            .and(path("/api/v1/groups"))
            .and(query_param("search", "type eq \"OKTA_GROUP\""))
            .and(query_param("expand", "stats")),
        200,
        Some(fixture("groups-list")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("PUT"))
            .and(path("/api/v1/groups/00g1"))
            .and(body_json(json!({"profile": profile}))),
        200,
        Some(fixture("group")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("DELETE")).and(path("/api/v1/groups/00g1")),
        204,
        None,
    )
    .await;
    answer(
        &s,
        Mock::given(method("DELETE")).and(path("/api/v1/groups/00g1/users/00u1")),
        204,
        None,
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET"))
            .and(path("/api/v1/groups/00g1/users"))
            .and(query_param("limit", "200")),
        200,
        Some(fixture("users-list")),
    )
    .await;
    c.get_group("00g1").await.unwrap();
    let q = ListGroupsQuery {
        search: Some("type eq \"OKTA_GROUP\"".into()),
        expand: Some("stats".into()),
        ..Default::default()
    };
    assert_eq!(c.list_groups(&q).unwrap().all().await.unwrap().len(), 2);
    c.replace_group("00g1", &profile).await.unwrap();
    c.delete_group("00g1").await.unwrap();
    c.remove_user_from_group("00g1", "00u1").await.unwrap();
    let members = c
        .list_group_users(
            "00g1",
            &PageQuery {
                limit: Some(200),
                after: None,
            },
        )
        .unwrap()
        .all()
        .await
        .unwrap();
    assert_eq!(members.len(), 1);
}

#[tokio::test]
async fn apps_and_assignments() {
    let (s, c) = setup().await;
    answer(
        &s,
        Mock::given(method("GET"))
            .and(path("/api/v1/apps"))
            .and(query_param("filter", "status eq \"ACTIVE\"")),
        200,
        Some(fixture("apps-list")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/apps/0oa1")),
        200,
        Some(fixture("apps-list")[0].clone()),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/apps/0oa1/users"))
            .and(body_json(json!({"id": "00u1", "scope": "USER"}))),
        200,
        Some(fixture("app-user")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("DELETE"))
            .and(path("/api/v1/apps/0oa1/users/00u1"))
            .and(query_param("sendEmail", "false")),
        204,
        None,
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET"))
            .and(path("/api/v1/apps/0oa1/users/00u1"))
            .and(query_param("expand", "user")),
        200,
        Some(fixture("app-user")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/apps/0oa1/users/00u1"))
            .and(body_json(
                json!({"profile": {"salesforceGroups": ["Employee"]}}),
            )),
        200,
        Some(fixture("app-user")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET"))
            .and(path("/api/v1/apps/0oa1/users"))
            .and(query_param("limit", "50")),
        200,
        Some(fixture("app-users-list")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/users/00u1/appLinks")),
        200,
        Some(fixture("app-links-list")),
    )
    .await;

    let q = ListAppsQuery {
        filter: Some("status eq \"ACTIVE\"".into()),
        ..Default::default()
    };
    assert_eq!(c.list_apps(&q).unwrap().all().await.unwrap().len(), 1);
    assert!(
        c.get_app("0oa1", &ExpandQuery::default())
            .await
            .unwrap()
            .value
            .sign_on_mode
            .is_some()
    );
    c.assign_user_to_app("0oa1", &AssignUser::user("00u1"))
        .await
        .unwrap();
    c.unassign_user_from_app("0oa1", "00u1", Some(false))
        .await
        .unwrap();
    c.get_app_user(
        "0oa1",
        "00u1",
        &ExpandQuery {
            expand: Some("user".into()),
        },
    )
    .await
    .unwrap();
    let mut profile = serde_json::Map::new();
    profile.insert("salesforceGroups".into(), json!(["Employee"]));
    c.update_app_user(
        "0oa1",
        "00u1",
        &UpdateAppUser {
            profile: Some(profile),
            credentials: None,
        },
    )
    .await
    .unwrap();
    let q = ListAppUsersQuery {
        limit: Some(50),
        ..Default::default()
    };
    assert_eq!(
        c.list_app_users("0oa1", &q)
            .unwrap()
            .all()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(c.list_user_app_links("00u1").await.unwrap().value.len(), 4);
}

#[tokio::test]
async fn roles_policies_realms_user_types() {
    let (s, c) = setup().await;
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/users/00u1/roles")),
        200,
        Some(fixture("roles-list")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/users/00u1/roles"))
            .and(query_param("disableNotifications", "true"))
            .and(body_json(json!({"type": "USER_ADMIN"}))),
        201,
        Some(fixture("roles-list")[0].clone()),
    )
    .await;
    answer(
        &s,
        Mock::given(method("DELETE")).and(path("/api/v1/users/00u1/roles/ra1")),
        204,
        None,
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET"))
            .and(path("/api/v1/policies"))
            .and(query_param("type", "PASSWORD")),
        200,
        Some(fixture("policies-list")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/realms")),
        200,
        Some(fixture("realms-list")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/meta/types/user")),
        200,
        Some(fixture("user-types-list")),
    )
    .await;
    assert_eq!(
        c.list_user_roles("00u1", &ExpandQuery::default())
            .await
            .unwrap()
            .value
            .len(),
        4
    );
    let role = c
        .assign_role("00u1", &Role::standard("USER_ADMIN"), Some(true))
        .await
        .unwrap();
    assert_eq!(role.meta.status, 201);
    c.unassign_role("00u1", "ra1").await.unwrap();
    let q = ListPoliciesQuery {
        policy_type: "PASSWORD".into(),
        ..Default::default()
    };
    assert_eq!(c.list_policies(&q).unwrap().all().await.unwrap().len(), 1);
    assert_eq!(
        c.list_realms(&ListRealmsQuery::default())
            .unwrap()
            .all()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(c.list_user_types().await.unwrap().value.len(), 2);
}

#[tokio::test]
async fn event_hooks() {
    let (s, c) = setup().await;
    let examples = fixture("event-hooks-examples");
    let created = examples["RetrieveAnEventHook"].clone();
    let request: EventHook = serde_json::from_value(examples["CreateAnEventHook"].clone()).unwrap();
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/eventHooks")),
        200,
        Some(fixture("event-hooks-list")),
    )
    .await;
    answer(
        &s,
        Mock::given(method("POST"))
            .and(path("/api/v1/eventHooks"))
            .and(body_json(examples["CreateAnEventHook"].clone())),
        200,
        Some(created.clone()),
    )
    .await;
    answer(
        &s,
        Mock::given(method("GET")).and(path("/api/v1/eventHooks/who1")),
        200,
        Some(created.clone()),
    )
    .await;
    answer(
        &s,
        Mock::given(method("PUT")).and(path("/api/v1/eventHooks/who1")),
        200,
        Some(created.clone()),
    )
    .await;
    for op in ["activate", "deactivate", "verify"] {
        answer(
            &s,
            Mock::given(method("POST"))
                .and(path(format!("/api/v1/eventHooks/who1/lifecycle/{op}"))),
            200,
            Some(created.clone()),
        )
        .await;
    }
    answer(
        &s,
        Mock::given(method("DELETE")).and(path("/api/v1/eventHooks/who1")),
        204,
        None,
    )
    .await;
    assert_eq!(c.list_event_hooks().await.unwrap().value.len(), 2);
    let hook = c.create_event_hook(&request).await.unwrap().value;
    assert_eq!(hook.verification_status.as_deref(), Some("VERIFIED"));
    c.get_event_hook("who1").await.unwrap();
    c.replace_event_hook("who1", &request).await.unwrap();
    c.activate_event_hook("who1").await.unwrap();
    c.deactivate_event_hook("who1").await.unwrap();
    c.verify_event_hook("who1").await.unwrap();
    c.delete_event_hook("who1").await.unwrap();
}

#[tokio::test]
async fn bounded_log_query() {
    let (s, c) = setup().await;
    answer(
        &s,
        Mock::given(method("GET"))
            .and(path("/api/v1/logs"))
            .and(query_param("since", "2026-01-01T00:00:00Z"))
            .and(query_param("until", "2026-01-02T00:00:00Z"))
            .and(query_param("filter", "eventType eq \"user.session.start\"")),
        200,
        Some(fixture("logs-list")),
    )
    .await;
    let q = LogQuery {
        since: Some("2026-01-01T00:00:00Z".into()),
        until: Some("2026-01-02T00:00:00Z".into()),
        filter: Some("eventType eq \"user.session.start\"".into()),
        ..Default::default()
    };
    let events = c.query_logs(&q).unwrap().all().await.unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].uuid.is_some());
}
