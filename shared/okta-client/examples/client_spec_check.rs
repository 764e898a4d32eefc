//! Sends every endpoint's request to a mock server that validates requests against
//! Okta's OpenAPI spec (Prism, started by `spec-check/run.sh`), and checks that each
//! answer parses into its model. Two deliberately wrong requests must be refused, so a
//! mock that accepts anything cannot pass.
//!
//! Usage: `cargo run -p okta-client --example client_spec_check -- http://127.0.0.1:4010`

use std::future::Future;
use std::pin::Pin;

use http::Method;
use okta_client::endpoints::PageQuery;
use okta_client::endpoints::apps::{
    AssignUser, ExpandQuery, ListAppUsersQuery, ListAppsQuery, UpdateAppUser,
};
use okta_client::endpoints::factors::EnrollFactorQuery;
use okta_client::endpoints::groups::ListGroupsQuery;
use okta_client::endpoints::logs::LogQuery;
use okta_client::endpoints::misc::{ListPoliciesQuery, ListRealmsQuery};
use okta_client::endpoints::sessions::ClearSessionsQuery;
use okta_client::endpoints::users::{
    CreateUserQuery, LifecycleOptions, ListUsersQuery, ResetPasswordQuery, StrictQuery,
    UserRiskWrite, UserWrite,
};
use okta_client::models::{EventHook, Factor, Role};
use okta_client::{
    AuthConfig, OktaClient, OktaConfig, OktaError, Page, Reply, ResponseMeta, SecretString,
};
use serde_json::json;

type Check<'a> = (
    &'static str,
    Pin<Box<dyn Future<Output = Result<(), String>> + 'a>>,
);

/// Anything that carries the response's metadata.
trait HasMeta {
    fn meta(&self) -> &ResponseMeta;
}
impl<T> HasMeta for Reply<T> {
    fn meta(&self) -> &ResponseMeta {
        &self.meta
    }
}
impl<T> HasMeta for Page<T> {
    fn meta(&self) -> &ResponseMeta {
        &self.meta
    }
}

/// Success means: a 2xx whose body parsed into the model, and no request-side
/// violation in Prism's `sl-violations` header. (Response-side violations are the
/// spec's own examples not matching its schemas; they are reported, not failed.)
fn ok<T: HasMeta>(r: Result<T, OktaError>) -> Result<(), String> {
    let reply = r.map_err(|e| e.to_string())?;
    let violations = reply
        .meta()
        .headers
        .get("sl-violations")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str::<Vec<serde_json::Value>>(v).ok())
        .unwrap_or_default();
    let request_side: Vec<_> = violations
        .iter()
        .filter(|v| v["location"][0] == "request")
        .collect();
    if request_side.is_empty() {
        Ok(())
    } else {
        Err(format!("request violations: {request_side:?}"))
    }
}

/// For operations whose spec `oneOf` is ambiguous (Prism refuses even the spec's own
/// example): passes only if our request and the spec's example are refused alike, so
/// the exception disappears as soon as the spec or Prism is fixed.
async fn refused_like_spec_example<T: HasMeta>(
    c: &OktaClient,
    ours: Result<T, OktaError>,
    method: Method,
    path: &str,
    spec_example: serde_json::Value,
) -> Result<(), String> {
    let ours = match ours {
        Ok(r) => return ok(Ok(r)),
        Err(e) => e,
    };
    let theirs = c.raw(method, path, Some(&spec_example)).await;
    match (ours.status(), theirs) {
        (Some(400), Err(t)) if t.status() == Some(400) => {
            println!("        (spec example refused alike: ambiguous oneOf in the spec)");
            Ok(())
        }
        (_, theirs) => Err(format!(
            "ours: {ours}; spec example: {:?}",
            theirs.map(|r| r.meta.status)
        )),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(base) = std::env::args().nth(1) else {
        eprintln!("usage: client_spec_check http://127.0.0.1:PORT");
        std::process::exit(2);
    };
    let config = match OktaConfig::new(
        &base,
        AuthConfig::ApiToken(SecretString::from("spec-check-token")),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let c = match OktaClient::new(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };

    let mut profile = serde_json::Map::new();
    profile.insert("firstName".into(), json!("Isaac"));
    profile.insert("lastName".into(), json!("Brock"));
    profile.insert("email".into(), json!("isaac.brock@example.com"));
    profile.insert("login".into(), json!("isaac.brock@example.com"));
    let user = UserWrite {
        profile: Some(profile.clone()),
        ..Default::default()
    };
    let mut group_profile = serde_json::Map::new();
    group_profile.insert("name".into(), json!("West Coast users"));
    group_profile.insert("description".into(), json!("All users West of The Rockies"));
    let mut app_profile = serde_json::Map::new();
    app_profile.insert("role".into(), json!("Developer"));
    let hook: EventHook = serde_json::from_value(json!({
        "name": "Event Hook Test",
        "events": { "type": "EVENT_TYPE", "items": ["user.lifecycle.create"] },
        "channel": {
            "type": "HTTP", "version": "1.0.0",
            "config": {
                "uri": "https://hooks.example.com/okta",
                "authScheme": { "type": "HEADER", "key": "Authorization", "value": "shared-secret" }
            }
        }
    }))
    .unwrap_or_default();
    let login = "isaac.brock@example.com";

    let checks: Vec<Check> = vec![
        ("getUser", Box::pin(async { ok(c.get_user(login).await) })),
        (
            "listUsers",
            Box::pin(async {
                let q = ListUsersQuery {
                    search: Some("profile.department eq \"Engineering\"".into()),
                    limit: Some(200),
                    sort_by: Some("status".into()),
                    sort_order: Some(okta_client::endpoints::SortOrder::Asc),
                    ..Default::default()
                };
                ok(c.list_users(&q)
                    .map_err(|e| e.to_string())?
                    .first_page()
                    .await)
            }),
        ),
        (
            "createUser",
            Box::pin(async {
                ok(c.create_user(
                    &user,
                    &CreateUserQuery {
                        activate: Some(false),
                        ..Default::default()
                    },
                )
                .await)
            }),
        ),
        (
            "updateUser",
            Box::pin(async {
                ok(
                    c.update_user("00u1", &user, &StrictQuery { strict: Some(true) })
                        .await,
                )
            }),
        ),
        (
            "replaceUser",
            Box::pin(async { ok(c.replace_user("00u1", &user, &StrictQuery::default()).await) }),
        ),
        (
            "activateUser",
            Box::pin(async { ok(c.activate_user("00u1", Some(false)).await) }),
        ),
        (
            "reactivateUser",
            Box::pin(async { ok(c.reactivate_user("00u1", Some(false)).await) }),
        ),
        (
            "deactivateUser",
            Box::pin(async {
                ok(c.deactivate_user(
                    "00u1",
                    LifecycleOptions {
                        send_email: Some(false),
                        respond_async: true,
                    },
                )
                .await)
            }),
        ),
        (
            "suspendUser",
            Box::pin(async { ok(c.suspend_user("00u1").await) }),
        ),
        (
            "unsuspendUser",
            Box::pin(async { ok(c.unsuspend_user("00u1").await) }),
        ),
        (
            "unlockUser",
            Box::pin(async { ok(c.unlock_user("00u1").await) }),
        ),
        (
            "upsertUserRisk",
            Box::pin(async {
                let risk = UserRiskWrite {
                    risk_level: "HIGH".into(),
                    risk_reason: Some("Brute force, 5 failures in 10 minutes".into()),
                };
                ok(c.set_user_risk("00u1", &risk).await)
            }),
        ),
        (
            "deleteUser",
            Box::pin(async { ok(c.delete_user("00u1", LifecycleOptions::default()).await) }),
        ),
        (
            "resetPassword",
            Box::pin(async {
                let q = ResetPasswordQuery {
                    send_email: Some(false),
                    revoke_sessions: Some(true),
                };
                ok(c.reset_password("00u1", &q).await)
            }),
        ),
        (
            "expirePassword",
            Box::pin(async { ok(c.expire_password("00u1").await) }),
        ),
        (
            "expirePasswordWithTempPassword",
            Box::pin(async {
                ok(c.expire_password_with_temp_password("00u1", Some(true))
                    .await)
            }),
        ),
        (
            "setPassword (updateUser)",
            Box::pin(async {
                ok(c.set_password("00u1", &SecretString::from("N3w-pass!"))
                    .await)
            }),
        ),
        (
            "changePassword",
            Box::pin(async {
                ok(c.change_password(
                    "00u1",
                    &SecretString::from("old"),
                    &SecretString::from("new"),
                    &StrictQuery::default(),
                )
                .await)
            }),
        ),
        (
            "revokeUserSessions",
            Box::pin(async {
                let q = ClearSessionsQuery {
                    oauth_tokens: Some(true),
                    forget_devices: Some(false),
                };
                ok(c.clear_user_sessions("00u1", &q).await)
            }),
        ),
        (
            "getSession",
            Box::pin(async { ok(c.get_session("102abc").await) }),
        ),
        (
            "revokeSession",
            Box::pin(async { ok(c.revoke_session("102abc").await) }),
        ),
        (
            "listFactors",
            Box::pin(async { ok(c.list_factors("00u1").await) }),
        ),
        (
            "enrollFactor (Google TOTP)",
            Box::pin(async {
                ok(c.enroll_factor(
                    "00u1",
                    &Factor::google_authenticator(),
                    &EnrollFactorQuery::default(),
                )
                .await)
            }),
        ),
        (
            "enrollFactor (Okta email)",
            Box::pin(async {
                let q = EnrollFactorQuery {
                    activate: Some(true),
                    ..Default::default()
                };
                let ours = c
                    .enroll_factor("00u1", &Factor::okta_email("test@gmail.com"), &q)
                    .await;
                let example = json!({"factorType": "email", "provider": "OKTA", "profile": {"email": "test@gmail.com"}});
                refused_like_spec_example(
                    &c,
                    ours,
                    Method::POST,
                    "/api/v1/users/00u1/factors?activate=true",
                    example,
                )
                .await
            }),
        ),
        (
            "unenrollFactor",
            Box::pin(async { ok(c.unenroll_factor("00u1", "uft1", Some(false)).await) }),
        ),
        (
            "resetFactors",
            Box::pin(async { ok(c.reset_factors("00u1").await) }),
        ),
        (
            "getGroup",
            Box::pin(async { ok(c.get_group("00g1").await) }),
        ),
        (
            "listGroups",
            Box::pin(async {
                let q = ListGroupsQuery {
                    search: Some("type eq \"OKTA_GROUP\"".into()),
                    limit: Some(200),
                    ..Default::default()
                };
                ok(c.list_groups(&q)
                    .map_err(|e| e.to_string())?
                    .first_page()
                    .await)
            }),
        ),
        (
            "addGroup",
            Box::pin(async { ok(c.create_group(&group_profile).await) }),
        ),
        (
            "replaceGroup",
            Box::pin(async { ok(c.replace_group("00g1", &group_profile).await) }),
        ),
        (
            "deleteGroup",
            Box::pin(async { ok(c.delete_group("00g1").await) }),
        ),
        (
            "assignUserToGroup",
            Box::pin(async { ok(c.add_user_to_group("00g1", "00u1").await) }),
        ),
        (
            "unassignUserFromGroup",
            Box::pin(async { ok(c.remove_user_from_group("00g1", "00u1").await) }),
        ),
        (
            "listGroupUsers",
            Box::pin(async {
                ok(c.list_group_users(
                    "00g1",
                    &PageQuery {
                        limit: Some(200),
                        after: None,
                    },
                )
                .map_err(|e| e.to_string())?
                .first_page()
                .await)
            }),
        ),
        (
            "listUserGroups",
            Box::pin(async {
                ok(c.list_user_groups("00u1")
                    .map_err(|e| e.to_string())?
                    .first_page()
                    .await)
            }),
        ),
        (
            "listApplications",
            Box::pin(async {
                let q = ListAppsQuery {
                    filter: Some("status eq \"ACTIVE\"".into()),
                    limit: Some(20),
                    ..Default::default()
                };
                ok(c.list_apps(&q)
                    .map_err(|e| e.to_string())?
                    .first_page()
                    .await)
            }),
        ),
        (
            "getApplication",
            Box::pin(async { ok(c.get_app("0oa1", &ExpandQuery::default()).await) }),
        ),
        (
            "assignUserToApplication",
            Box::pin(async {
                ok(c.assign_user_to_app("0oa1", &AssignUser::user("00u1"))
                    .await)
            }),
        ),
        (
            "unassignUserFromApplication",
            Box::pin(async { ok(c.unassign_user_from_app("0oa1", "00u1", Some(false)).await) }),
        ),
        (
            "getApplicationUser",
            Box::pin(async {
                ok(c.get_app_user(
                    "0oa1",
                    "00u1",
                    &ExpandQuery {
                        expand: Some("user".into()),
                    },
                )
                .await)
            }),
        ),
        (
            "updateApplicationUser",
            Box::pin(async {
                let body = UpdateAppUser {
                    profile: Some(app_profile.clone()),
                    credentials: None,
                };
                let ours = c.update_app_user("0oa1", "00u1", &body).await;
                let example = json!({"profile": {"name": "Rae Mae Cloud", "middle_name": "Mae"}});
                refused_like_spec_example(
                    &c,
                    ours,
                    Method::POST,
                    "/api/v1/apps/0oa1/users/00u1",
                    example,
                )
                .await
            }),
        ),
        (
            "listApplicationUsers",
            Box::pin(async {
                ok(c.list_app_users(
                    "0oa1",
                    &ListAppUsersQuery {
                        limit: Some(50),
                        ..Default::default()
                    },
                )
                .map_err(|e| e.to_string())?
                .first_page()
                .await)
            }),
        ),
        (
            "listAppLinks",
            Box::pin(async { ok(c.list_user_app_links("00u1").await) }),
        ),
        (
            "listAssignedRolesForUser",
            Box::pin(async { ok(c.list_user_roles("00u1", &ExpandQuery::default()).await) }),
        ),
        (
            "assignRoleToUser",
            Box::pin(async {
                ok(
                    c.assign_role("00u1", &Role::standard("USER_ADMIN"), Some(true))
                        .await,
                )
            }),
        ),
        (
            "unassignRoleFromUser",
            Box::pin(async { ok(c.unassign_role("00u1", "ra1").await) }),
        ),
        (
            "listPolicies",
            Box::pin(async {
                let q = ListPoliciesQuery {
                    policy_type: "PASSWORD".into(),
                    ..Default::default()
                };
                ok(c.list_policies(&q)
                    .map_err(|e| e.to_string())?
                    .first_page()
                    .await)
            }),
        ),
        (
            "listRealms",
            Box::pin(async {
                ok(c.list_realms(&ListRealmsQuery::default())
                    .map_err(|e| e.to_string())?
                    .first_page()
                    .await)
            }),
        ),
        (
            "listUserTypes",
            Box::pin(async { ok(c.list_user_types().await) }),
        ),
        (
            "listEventHooks",
            Box::pin(async { ok(c.list_event_hooks().await) }),
        ),
        (
            "createEventHook",
            Box::pin(async { ok(c.create_event_hook(&hook).await) }),
        ),
        (
            "getEventHook",
            Box::pin(async { ok(c.get_event_hook("who1").await) }),
        ),
        (
            "replaceEventHook",
            Box::pin(async { ok(c.replace_event_hook("who1", &hook).await) }),
        ),
        (
            "activateEventHook",
            Box::pin(async { ok(c.activate_event_hook("who1").await) }),
        ),
        (
            "deactivateEventHook",
            Box::pin(async { ok(c.deactivate_event_hook("who1").await) }),
        ),
        (
            "verifyEventHook",
            Box::pin(async { ok(c.verify_event_hook("who1").await) }),
        ),
        (
            "deleteEventHook",
            Box::pin(async { ok(c.delete_event_hook("who1").await) }),
        ),
        (
            "listLogEvents (bounded)",
            Box::pin(async {
                let q = LogQuery {
                    since: Some("2026-01-01T00:00:00.000Z".into()),
                    until: Some("2026-01-02T00:00:00.000Z".into()),
                    filter: Some("eventType eq \"user.session.start\"".into()),
                    limit: Some(100),
                    ..Default::default()
                };
                ok(c.query_logs(&q)
                    .map_err(|e| e.to_string())?
                    .first_page()
                    .await)
            }),
        ),
        (
            "listLogEvents (poll start)",
            Box::pin(async {
                let cursor = c
                    .log_poll_start(&LogQuery {
                        limit: Some(100),
                        ..Default::default()
                    })
                    .map_err(|e| e.to_string())?;
                let okta_client::LogCursor::Start(url) = cursor else {
                    unreachable!("a start cursor")
                };
                ok(c.page::<okta_client::models::LogEvent>(url).await)
            }),
        ),
    ];

    let mut passed = 0;
    let mut failed = 0;
    for (name, check) in checks {
        match check.await {
            Ok(()) => {
                passed += 1;
                println!("ok      {name}");
            }
            Err(e) => {
                failed += 1;
                println!("FAILED  {name}: {e}");
            }
        }
    }

    // Requests that do not fit the spec must be refused, or this check proves nothing.
    let wrong: [(&str, Method, &str, Option<serde_json::Value>); 2] = [
        (
            "listPolicies without the required type",
            Method::GET,
            "/api/v1/policies",
            None,
        ),
        (
            "listUsers with a non-numeric limit",
            Method::GET,
            "/api/v1/users?limit=many",
            None,
        ),
    ];
    for (name, method, path, body) in wrong {
        match c.raw(method, path, body.as_ref()).await {
            Err(e) if matches!(e.status(), Some(400) | Some(422)) => {
                passed += 1;
                println!("ok      refused: {name} (HTTP {:?})", e.status());
            }
            other => {
                failed += 1;
                println!("FAILED  not refused: {name}: {other:?}");
            }
        }
    }

    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
