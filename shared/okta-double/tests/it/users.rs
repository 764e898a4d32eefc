//! Reading, listing, creating and updating users; sessions; the 411 rule.

use std::io::{Read, Write};

use okta_double::{OktaDouble, User};
use serde_json::{Value, json};

use crate::helpers::Api;

fn api(okta: &okta_double::Running) -> Api {
    Api::new(&okta.base_url(), okta.token())
}

fn ids(body: &Value) -> Vec<&str> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_user_is_read_by_id_or_by_url_encoded_login() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "ann+x@example.com").attr("firstName", "Ann"));
    let api = api(&okta);

    let by_id = api.get("/api/v1/users/00u1").await;
    let by_login = api.get("/api/v1/users/ann%2Bx%40example.com").await;

    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.body["status"], "ACTIVE");
    assert_eq!(by_id.body["profile"]["login"], "ann+x@example.com");
    assert_eq!(by_id.body["profile"]["firstName"], "Ann");
    assert_eq!(by_id.body["credentials"]["provider"]["type"], "OKTA");
    assert_eq!(by_login.status, 200);
    assert_eq!(by_login.body["id"], "00u1");
    let missing = api.get("/api/v1/users/nobody%40example.com").await;
    assert_eq!(
        (missing.status, missing.error_code()),
        (404, Some("E0000007"))
    );
}

#[tokio::test]
async fn the_plain_list_omits_deprovisioned_users_and_a_filter_reaches_them() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.add_user(User::deprovisioned("00u2", "d@example.com"));
    okta.add_user(User::suspended("00u3", "s@example.com"));
    let api = api(&okta);

    assert_eq!(ids(&api.get("/api/v1/users").await.body), ["00u1", "00u3"]);
    let filtered = api
        .get("/api/v1/users?filter=status%20eq%20%22DEPROVISIONED%22")
        .await;
    assert_eq!(ids(&filtered.body), ["00u2"]);
    let search = api
        .get("/api/v1/users?search=profile.email%20eq%20%22s%40example.com%22")
        .await;
    assert_eq!(ids(&search.body), ["00u3"]);
    let bad = api.get("/api/v1/users?search=lastUpdated%20gt%201").await;
    assert_eq!((bad.status, bad.error_code()), (400, Some("E0000031")));
}

#[tokio::test]
async fn a_list_is_paged_through_link_headers() {
    let okta = OktaDouble::start().await;
    for i in 1..=3 {
        okta.add_user(User::active(format!("00u{i}"), format!("u{i}@example.com")));
    }
    let api = api(&okta);

    let first = api.get("/api/v1/users?limit=2").await;
    assert_eq!(ids(&first.body), ["00u1", "00u2"]);
    let next = first
        .headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.ends_with("rel=\"next\""))
        .and_then(|v| v.strip_prefix('<'))
        .and_then(|v| v.split_once('>'))
        .map(|(url, _)| url.to_owned())
        .unwrap();
    let path = next.strip_prefix(&okta.base_url()).unwrap();
    let second = api.get(path).await;
    assert_eq!(ids(&second.body), ["00u3"]);
    assert!(
        second
            .headers
            .get_all("link")
            .iter()
            .all(|v| !v.to_str().unwrap().contains("rel=\"next\""))
    );
}

#[tokio::test]
async fn creating_a_user_follows_the_activate_parameter_and_refuses_a_taken_login() {
    let okta = OktaDouble::start().await;
    let api = api(&okta);
    let body = |login: &str| {
        json!({"profile": {"login": login, "email": login, "firstName": "N", "lastName": "U"},
               "credentials": {"password": {"value": "Secret-123"}}})
    };

    let active = api
        .call("POST", "/api/v1/users", Some(body("a@example.com")))
        .await;
    let staged = api
        .call(
            "POST",
            "/api/v1/users?activate=false",
            Some(body("b@example.com")),
        )
        .await;
    let taken = api
        .call("POST", "/api/v1/users", Some(body("A@example.com")))
        .await;

    assert_eq!(active.status, 200);
    let id = active.body["id"].as_str().unwrap();
    assert!(id.starts_with("00u"));
    assert_eq!(okta.status(id), Some("ACTIVE"));
    assert_eq!(
        okta.status(staged.body["id"].as_str().unwrap()),
        Some("STAGED")
    );
    assert_eq!((taken.status, taken.error_code()), (400, Some("E0000001")));
    assert_eq!(okta.applied_total("create"), 2);
}

#[tokio::test]
async fn a_partial_update_merges_the_profile() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com").attr("department", "Sales"));

    let answer = api(&okta)
        .call(
            "POST",
            "/api/v1/users/00u1",
            Some(json!({"profile": {"department": "Engineering"}})),
        )
        .await;

    assert_eq!(answer.status, 200);
    let user = okta.user("00u1").unwrap();
    assert_eq!(user.profile["department"], "Engineering");
    assert_eq!(user.profile["login"], "a@example.com");
    assert_eq!(okta.applied("update", "00u1"), 1);
}

#[tokio::test]
async fn clearing_sessions_counts_each_call_and_records_oauth_tokens() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    let api = api(&okta);

    let first = api
        .call(
            "DELETE",
            "/api/v1/users/00u1/sessions?oauthTokens=true",
            None,
        )
        .await;
    let second = api
        .call("DELETE", "/api/v1/users/00u1/sessions", None)
        .await;
    let unknown = api
        .call("DELETE", "/api/v1/users/00u9/sessions", None)
        .await;

    assert_eq!(
        (first.status, second.status, unknown.status),
        (204, 204, 404)
    );
    assert_eq!(okta.applied("clear_sessions", "00u1"), 2);
    let changes = okta.changes();
    assert_eq!(
        changes[0].params.get("oauthTokens").map(String::as_str),
        Some("true")
    );
    assert_eq!(changes[1].params.get("oauthTokens"), None);
}

#[tokio::test]
async fn a_post_without_content_length_is_refused_with_411_as_okta_does() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    let addr = okta.addr();
    let token = okta.token().to_owned();

    let head = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "POST /api/v1/users/00u1/lifecycle/suspend HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: SSWS {token}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();

    assert!(head.starts_with("HTTP/1.1 411"), "{head}");
    assert_eq!(okta.status("00u1"), Some("ACTIVE"));
}
