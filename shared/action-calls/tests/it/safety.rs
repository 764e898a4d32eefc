//! Safety rails: the raw request stays on the org's `/api/`, and protected users and
//! groups are re-checked on rendered parameters.

use crate::common;

use std::collections::BTreeMap;

use action_calls::{ExecError, FailureClass, execute, recheck_protected, refuse_protected};
use common::*;
use rules::Protection;
use serde_json::json;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn raw_requests_refuse_other_hosts_and_paths_outside_api() {
    let org = MockServer::builder().start().await;
    let elsewhere = MockServer::builder().start().await;
    for server in [&org, &elsewhere] {
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
            .expect(0)
            .mount(server)
            .await;
    }
    let okta = client(&org);
    for p in [
        format!("{}/api/v1/users", elsewhere.uri()),
        format!("//{}/api/v1/users", elsewhere.address()),
        "/oauth2/v1/token".to_owned(),
        "/api/v1/../../oauth2/v1/clients".to_owned(),
        "/api/v1/%2e%2e/%2e%2e/oauth2/v1/clients".to_owned(),
        "/api/v1/users?limit=1".to_owned(),
    ] {
        let e = execute(
            &okta,
            "okta.request",
            &params(json!({"method": "GET", "path": p})),
        )
        .await
        .unwrap_err();
        assert_eq!(e.class(), FailureClass::Permanent, "{p}");
        assert!(matches!(e, ExecError::BadParam { .. }), "{p}: {e:?}");
    }
    assert!(received(&org).await.is_empty());
    assert!(received(&elsewhere).await.is_empty());
}

#[tokio::test]
async fn a_risk_level_or_reason_okta_would_refuse_fails_for_good_before_any_request() {
    let org = MockServer::builder().start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(0)
        .mount(&org)
        .await;
    let okta = client(&org);
    for (p, names) in [
        (
            json!({"user": "00u1", "level": "CRITICAL"}),
            "one of HIGH, MEDIUM, LOW",
        ),
        (json!({"user": "00u1", "level": "high"}), "case-sensitive"),
        (
            json!({"user": "00u1", "level": "HIGH", "reason": "rule: brute-force"}),
            "not ':'",
        ),
    ] {
        let e = execute(&okta, "user.risk.set", &params(p.clone()))
            .await
            .unwrap_err();
        assert_eq!(e.class(), FailureClass::Permanent, "{p}");
        assert!(matches!(e, ExecError::InvalidParams(_)), "{p}: {e:?}");
        assert!(e.to_string().contains(names), "{p}: {e}");
    }
    assert!(received(&org).await.is_empty());
}

#[tokio::test]
async fn raw_requests_answer_status_headers_and_body_and_are_classified() {
    let server = MockServer::builder().start().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/groups/00g1"))
        .respond_with(
            ResponseTemplate::new(204)
                .insert_header("x-okta-request-id", "raw-1")
                .insert_header("set-cookie", "sid=abc"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups/00gNONE"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-okta-request-id", "raw-404")
                .set_body_json(error_body("ErrorResourceNotFound")),
        )
        .mount(&server)
        .await;
    let okta = client(&server);
    let out = execute(
        &okta,
        "okta.request",
        &params(json!({"method": "DELETE", "path": "/api/v1/groups/00g1"})),
    )
    .await
    .unwrap();
    assert_eq!(out.output["status"], 204);
    assert_eq!(out.output["body"], json!(null));
    assert_eq!(out.output["headers"]["x-okta-request-id"], "raw-1");
    assert!(out.output["headers"].get("set-cookie").is_none());
    assert_eq!(out.request_ids, vec!["raw-1"]);

    let e = execute(
        &okta,
        "okta.request",
        &params(json!({"method": "GET", "path": "/api/v1/groups/00gNONE"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Permanent);
    assert_eq!(e.error_code(), Some("E0000007"));
    assert_eq!(e.request_id(), Some("raw-404"));
}

fn protection() -> Protection {
    serde_json::from_value(json!({
        "users": ["admin@example.com", "00uBREAKGLASS"],
        "groups": ["Okta Administrators"]
    }))
    .unwrap()
}

#[test]
fn protected_targets_are_refused_on_rendered_parameters() {
    let p = protection();
    let none = BTreeMap::new();
    let e = refuse_protected(
        &p,
        "user.suspend",
        &params(json!({"user": "00uBREAKGLASS"})),
        &none,
    )
    .unwrap_err();
    assert!(matches!(e, ExecError::Protected(_)));
    assert_eq!(e.class(), FailureClass::Permanent);
    // An id the plan knows the login of.
    let aliases = BTreeMap::from([("00uADMIN".to_owned(), "Admin@Example.com".to_owned())]);
    assert!(
        refuse_protected(
            &p,
            "user.delete",
            &params(json!({"user": "00uADMIN"})),
            &aliases
        )
        .is_err()
    );
    // Reading a protected user is allowed; other users are fine.
    assert!(
        refuse_protected(
            &p,
            "user.get",
            &params(json!({"user": "00uBREAKGLASS"})),
            &none
        )
        .is_ok()
    );
    assert!(
        refuse_protected(
            &p,
            "user.suspend",
            &params(json!({"user": "00uOTHER"})),
            &none
        )
        .is_ok()
    );
}

#[tokio::test]
async fn the_recheck_learns_unknown_ids_from_okta() {
    let server = MockServer::builder().start().await;
    let mut admin = fixture("user");
    admin["id"] = json!("00uADMIN");
    admin["profile"]["login"] = json!("admin@example.com");
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00uADMIN"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-okta-request-id", "look-1")
                .set_body_json(&admin),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut admins = fixture("group");
    admins["id"] = json!("00gADMINS");
    admins["profile"]["name"] = json!("Okta Administrators");
    Mock::given(method("GET"))
        .and(path("/api/v1/groups/00gADMINS"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&admins))
        .expect(1)
        .mount(&server)
        .await;
    let mut plain = fixture("user");
    plain["id"] = json!("00uPLAIN");
    plain["profile"]["login"] = json!("jane@example.com");
    Mock::given(method("GET"))
        .and(path("/api/v1/users/00uPLAIN"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-okta-request-id", "look-2")
                .set_body_json(&plain),
        )
        .expect(1)
        .mount(&server)
        .await;
    let okta = client(&server);
    let p = protection();
    let none = BTreeMap::new();

    let e = recheck_protected(
        &okta,
        &p,
        "user.suspend",
        &params(json!({"user": "00uADMIN"})),
        &none,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("admin@example.com"), "{e}");

    let e = recheck_protected(
        &okta,
        &p,
        "group.add_user",
        &params(json!({"group": "00gADMINS", "user": "00uBREAKGLASS"})),
        &none,
    )
    .await
    .unwrap_err();
    // 00uBREAKGLASS is protected by id: refused before any lookup.
    assert!(e.to_string().contains("00uBREAKGLASS"), "{e}");

    let e = recheck_protected(
        &okta,
        &p,
        "group.remove_user",
        &params(json!({"group": "00gADMINS", "user": "jane@example.com"})),
        &BTreeMap::from([("00uPLAIN".to_owned(), "jane@example.com".to_owned())]),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("Okta Administrators"), "{e}");

    let ids = recheck_protected(
        &okta,
        &p,
        "user.suspend",
        &params(json!({"user": "00uPLAIN"})),
        &none,
    )
    .await
    .unwrap();
    assert_eq!(ids, vec!["look-2"]);

    // Read-only actions and known targets need no lookup.
    let ids = recheck_protected(
        &okta,
        &p,
        "user.get",
        &params(json!({"user": "00uNEW"})),
        &none,
    )
    .await
    .unwrap();
    assert!(ids.is_empty());
    server.verify().await;
}
