//! Apps, app users, factors, event hooks, seeded `created`/`lastLogin`, the Okta-error
//! fault and the seed's round trip: what `okta-hooks report` and `hook list` read.

use okta_client::endpoints::apps::{ListAppUsersQuery, ListAppsQuery};
use okta_client::{AuthConfig, OktaClient, OktaConfig, SecretString};
use okta_double::{App, AppUser, BucketName, EventHook, Factor, Fault, OktaDouble, Seed, User};
use serde_json::{Value, json};

use crate::helpers::Api;

fn api(okta: &okta_double::Running) -> Api {
    Api::new(&okta.base_url(), okta.token())
}

fn client(okta: &okta_double::Running) -> OktaClient {
    let config = OktaConfig::new(
        &okta.org_url(),
        AuthConfig::ApiToken(SecretString::from(okta.token().to_owned())),
    )
    .unwrap();
    OktaClient::new(config).unwrap()
}

fn ids(body: &Value) -> Vec<&str> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect()
}

/// The URL of the `rel="next"` link, if any.
fn next_link(answer: &crate::helpers::Answer) -> Option<String> {
    answer
        .headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.ends_with("rel=\"next\""))
        .and_then(|v| v.split_once('<'))
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(url, _)| url.to_owned())
}

#[tokio::test]
async fn app_users_are_paged_by_user_id_with_next_links_until_the_last_page() {
    let okta = OktaDouble::start().await;
    okta.add_app(App::new("0oa1", "Salesforce"));
    okta.add_app(App::new("0oa2", "Slack"));
    for i in 1..=7 {
        let id = format!("00u{i}");
        okta.add_user(User::active(&id, format!("u{i}@example.com")));
        okta.assign(AppUser::new("0oa1", &id));
    }
    okta.assign(AppUser::new("0oa1", "00u9").through_group()); // no such user: not listed
    okta.assign(AppUser::new("0oa2", "00u1").through_group());
    let api = api(&okta);

    let mut seen = Vec::new();
    let mut pages = 0;
    let mut url = format!("{}/api/v1/apps/0oa1/users?limit=3", okta.base_url());
    loop {
        let answer = api.get(url.strip_prefix(&okta.base_url()).unwrap()).await;
        assert_eq!(answer.status, 200);
        pages += 1;
        seen.extend(ids(&answer.body).into_iter().map(str::to_owned));
        match next_link(&answer) {
            Some(next) => url = next,
            None => break,
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        ["00u1", "00u2", "00u3", "00u4", "00u5", "00u6", "00u7"]
    );
    let other = api.get("/api/v1/apps/0oa2/users").await;
    assert_eq!(ids(&other.body), ["00u1"]);
    assert_eq!(other.body[0]["scope"], "GROUP");
    assert_eq!(other.body[0]["credentials"]["userName"], "u1@example.com");
    let missing = api.get("/api/v1/apps/0oanope/users").await;
    assert_eq!(
        (missing.status, missing.error_code()),
        (404, Some("E0000007"))
    );
    assert_eq!(okta.request_count("GET", "/api/v1/apps/0oa1/users"), 3);
}

#[tokio::test]
async fn an_app_users_page_holds_at_most_500_whatever_limit_is_asked() {
    let okta = OktaDouble::start().await;
    let mut seed = Seed {
        apps: vec![App::new("0oa1", "Big")],
        ..Seed::default()
    };
    for i in 0..501 {
        let id = format!("00u{i:04}");
        seed.users
            .push(User::active(&id, format!("{id}@example.com")));
        seed.app_users.push(AppUser::new("0oa1", &id));
    }
    okta.seed(seed);
    let api = api(&okta);

    let first = api.get("/api/v1/apps/0oa1/users?limit=1000").await;
    let default = api.get("/api/v1/apps/0oa1/users").await;

    assert_eq!(first.body.as_array().unwrap().len(), 500);
    let next = next_link(&first).expect("a next link");
    let last = api.get(next.strip_prefix(&okta.base_url()).unwrap()).await;
    assert_eq!(ids(&last.body), ["00u0500"]);
    assert_eq!(next_link(&last), None);
    assert_eq!(default.body.as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn the_client_lists_apps_and_every_app_user_across_pages() {
    let okta = OktaDouble::start().await;
    okta.add_app(App::new("0oa1", "Salesforce"));
    okta.add_app(
        App::new("0oa2", "Wiki")
            .status("INACTIVE")
            .sign_on_mode("BOOKMARK"),
    );
    okta.add_app(App::new("0oa3", "Zoom").sign_on_mode("OPENID_CONNECT"));
    for i in 1..=5 {
        let id = format!("00u{i}");
        okta.add_user(User::active(&id, format!("u{i}@example.com")));
        okta.assign(AppUser::new("0oa3", &id));
    }
    let client = client(&okta);

    let apps = client
        .list_apps(&ListAppsQuery {
            limit: Some(2),
            ..ListAppsQuery::default()
        })
        .unwrap()
        .all()
        .await
        .unwrap();
    let users = client
        .list_app_users(
            "0oa3",
            &ListAppUsersQuery {
                limit: Some(2),
                ..ListAppUsersQuery::default()
            },
        )
        .unwrap()
        .all()
        .await
        .unwrap();

    let rows: Vec<_> = apps
        .iter()
        .map(|a| {
            (
                a.id.as_deref().unwrap(),
                a.label.as_deref().unwrap(),
                a.status.as_deref().unwrap(),
                a.sign_on_mode.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("0oa1", "Salesforce", "ACTIVE", "SAML_2_0"),
            ("0oa2", "Wiki", "INACTIVE", "BOOKMARK"),
            ("0oa3", "Zoom", "ACTIVE", "OPENID_CONNECT"),
        ]
    );
    let user_ids: Vec<_> = users.iter().map(|u| u.id.as_deref().unwrap()).collect();
    assert_eq!(user_ids, ["00u1", "00u2", "00u3", "00u4", "00u5"]);
    assert!(users.iter().all(|u| u.scope.as_deref() == Some("USER")));
    assert_eq!(okta.request_count("GET", "/api/v1/apps"), 2 + 3);
}

#[tokio::test]
async fn app_reads_take_units_from_the_apps_bucket_and_not_from_the_users_one() {
    let okta = OktaDouble::start().await;
    okta.add_app(App::new("0oa1", "Salesforce"));
    okta.set_rate_limit(BucketName::Apps, 2, std::time::Duration::from_secs(60));
    let api = api(&okta);

    let first = api.get("/api/v1/apps").await;
    let second = api.get("/api/v1/apps/0oa1/users").await;
    let third = api.get("/api/v1/apps").await;
    let users = api.get("/api/v1/users").await;

    assert_eq!(first.number("x-rate-limit-remaining"), 1);
    assert_eq!(second.number("x-rate-limit-remaining"), 0);
    assert_eq!((third.status, third.error_code()), (429, Some("E0000047")));
    assert_eq!(users.status, 200);
}

#[tokio::test]
async fn a_users_factors_are_listed_with_their_type_provider_and_status() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.add_user(User::active("00u2", "b@example.com"));
    okta.add_factor(Factor::active("00u1", "push"));
    okta.add_factor(
        Factor::active("00u1", "token:software:totp")
            .provider("GOOGLE")
            .status("PENDING_ACTIVATION"),
    );
    okta.add_factor(Factor::active("00u2", "sms"));
    let api = api(&okta);

    let by_login = api.get("/api/v1/users/a%40example.com/factors").await;
    let none = api.get("/api/v1/users/00u3/factors").await;
    let factors = client(&okta).list_factors("00u1").await.unwrap().value;

    assert_eq!(by_login.status, 200);
    let mut rows: Vec<_> = factors
        .iter()
        .map(|f| {
            (
                f.factor_type.as_deref().unwrap(),
                f.provider.as_deref().unwrap(),
                f.status.as_deref().unwrap(),
            )
        })
        .collect();
    rows.sort_unstable();
    assert_eq!(
        rows,
        [
            ("push", "OKTA", "ACTIVE"),
            ("token:software:totp", "GOOGLE", "PENDING_ACTIVATION"),
        ]
    );
    assert_eq!(by_login.body.as_array().unwrap().len(), 2);
    assert!(factors.iter().all(|f| f.id.is_some()));
    assert_eq!((none.status, none.error_code()), (404, Some("E0000007")));
}

#[tokio::test]
async fn seeded_created_and_last_login_are_served_and_an_unset_last_login_is_null() {
    let okta = OktaDouble::start().await;
    okta.add_user(
        User::active("00u1", "a@example.com")
            .created_at("2026-10-01T09:00:00.000Z")
            .last_login_at("2026-11-20T08:30:00.000Z"),
    );
    okta.add_user(User::active("00u2", "b@example.com"));
    let api = api(&okta);

    let seeded = api.get("/api/v1/users/00u1").await;
    let plain = api.get("/api/v1/users/00u2").await;

    assert_eq!(seeded.body["created"], "2026-10-01T09:00:00.000Z");
    assert_eq!(seeded.body["lastLogin"], "2026-11-20T08:30:00.000Z");
    assert_eq!(plain.body["lastLogin"], Value::Null);
    assert!(plain.body["created"].is_string());
}

#[tokio::test]
async fn the_client_lists_seeded_event_hooks_in_oktas_shape() {
    let okta = OktaDouble::start().await;
    okta.add_event_hook(
        EventHook::new("who1", "okta-hooks acme", "https://h.example/okta/acme")
            .event("user.account.lock"),
    );
    let mut inactive = EventHook::new("who2", "old", "https://old.example/hook");
    inactive.status = "INACTIVE".into();
    inactive.verification_status = "UNVERIFIED".into();
    okta.add_event_hook(inactive);

    let hooks = client(&okta).list_event_hooks().await.unwrap().value;
    let one = api(&okta).get("/api/v1/eventHooks/who1").await;
    let missing = api(&okta).get("/api/v1/eventHooks/who9").await;

    let rows: Vec<_> = hooks
        .iter()
        .map(|h| {
            (
                h.id.as_deref().unwrap(),
                h.status.as_deref().unwrap(),
                h.verification_status.as_deref().unwrap(),
                h.channel.as_ref().unwrap()["config"]["uri"]
                    .as_str()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("who1", "ACTIVE", "VERIFIED", "https://h.example/okta/acme"),
            ("who2", "INACTIVE", "UNVERIFIED", "https://old.example/hook"),
        ]
    );
    assert_eq!(one.body["events"]["items"], json!(["user.account.lock"]));
    assert_eq!(
        (missing.status, missing.error_code()),
        (404, Some("E0000007"))
    );
}

#[tokio::test]
async fn an_okta_error_fault_answers_its_status_and_code_and_leaves_other_paths_alone() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    okta.fault(
        Fault::okta_error(
            "GET",
            "/api/v1/logs",
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
        )
        .times(2),
    );
    let api = api(&okta);

    let logs = api.get("/api/v1/logs?limit=1").await;
    let users = api.get("/api/v1/users").await;
    let again = api.get("/api/v1/logs?limit=1").await;
    let third = api.get("/api/v1/logs?limit=1").await;

    assert_eq!((logs.status, logs.error_code()), (403, Some("E0000006")));
    assert_eq!(
        logs.body["errorSummary"],
        "You do not have permission to perform the requested action"
    );
    assert_eq!(users.status, 200);
    assert_eq!(again.status, 403);
    assert_eq!(third.status, 200);
}

#[tokio::test]
async fn the_okta_error_fault_is_scripted_over_http_too() {
    let okta = OktaDouble::start().await;
    let http = reqwest::Client::new();
    let added = http
        .post(format!("{}/__double/faults", okta.base_url()))
        .json(&json!({"method": "GET", "path": "/api/v1/logs",
                      "kind": {"type": "okta", "status": 403, "code": "E0000006",
                               "summary": "You do not have permission to perform the requested action"}}))
        .send()
        .await
        .unwrap();

    let logs = api(&okta).get("/api/v1/logs").await;

    assert_eq!(added.status(), 204);
    assert_eq!((logs.status, logs.error_code()), (403, Some("E0000006")));
}

/// A seed holding every kind of object, in the README's shape.
fn full_seed() -> Value {
    json!({
        "users": [
            {"id": "00u1", "status": "ACTIVE", "hasPassword": true,
             "created": "2026-10-01T09:00:00.000Z", "lastLogin": "2026-11-20T08:30:00.000Z",
             "profile": {"login": "a@example.com", "email": "a@example.com"}},
            {"id": "00u2", "status": "SUSPENDED", "hasPassword": true,
             "profile": {"login": "b@example.com", "email": "b@example.com"}}
        ],
        "groups": [{"id": "00g1", "name": "Engineering", "description": "", "type": "OKTA_GROUP"}],
        "memberships": [{"group": "00g1", "user": "00u1"}],
        "apps": [
            {"id": "0oa1", "label": "Salesforce", "status": "ACTIVE", "signOnMode": "SAML_2_0"},
            {"id": "0oa2", "label": "Wiki", "status": "INACTIVE", "signOnMode": "BOOKMARK"}
        ],
        "appUsers": [
            {"app": "0oa1", "user": "00u1", "scope": "USER"},
            {"app": "0oa1", "user": "00u2", "scope": "GROUP"}
        ],
        "factors": [
            {"user": "00u1", "factorType": "push", "provider": "OKTA", "status": "ACTIVE", "id": "mfa1"}
        ],
        "eventHooks": [
            {"id": "who1", "name": "okta-hooks acme", "status": "ACTIVE",
             "verificationStatus": "VERIFIED", "uri": "https://h.example/okta/acme",
             "events": ["user.account.lock"]}
        ],
        "oauthClients": [
            {"clientId": "0oacli1", "scopes": ["okta.users.read", "okta.apps.read"],
             "rotateRefreshTokens": true, "interval": 0, "expiresIn": 600, "approveAfterPolls": 2}
        ]
    })
}

#[tokio::test]
async fn a_seed_of_every_kind_round_trips_through_the_seed_and_state_endpoints() {
    let okta = OktaDouble::start().await;
    let http = reqwest::Client::new();
    let seed = full_seed();

    let posted = http
        .post(format!("{}/__double/seed", okta.base_url()))
        .json(&seed)
        .send()
        .await
        .unwrap();
    let state: Value = http
        .get(format!("{}/__double/state", okta.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(posted.status(), 204);
    assert_eq!(state, seed);
    let reseeded = OktaDouble::new();
    reseeded.seed(serde_json::from_value::<Seed>(state).unwrap());
    assert_eq!(reseeded.snapshot(), okta.snapshot());
}

#[tokio::test]
async fn a_seed_with_a_malformed_last_login_is_refused_and_nothing_is_seeded() {
    let okta = OktaDouble::start().await;
    let http = reqwest::Client::new();

    let posted = http
        .post(format!("{}/__double/seed", okta.base_url()))
        .json(
            &json!({"users": [{"id": "00u1", "status": "ACTIVE", "lastLogin": "yesterday",
                                 "profile": {"login": "a@example.com"}}]}),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(posted.status(), 400);
    assert!(!okta.exists("00u1"));
}
