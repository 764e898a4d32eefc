//! Dry run through the executor: each action of the table runs once against a live
//! in-test Okta and once with a dry-run client (live reads) against the same server;
//! the dry run must record exactly the writes the live run sent (method, path and
//! query, body; the recorded origin is the org's) and send none. With an offline
//! dry-run client (no org at all) every action completes, except those that need a
//! real read result, which fail with a typed, explained error.

use crate::common;

use std::collections::BTreeSet;

use action_calls::{ExecError, Executor, Outcome};
use common::cases::{Case, cases};
use common::*;
use okta_client::{DryRun, OktaClient, RecordedRequest, RequestLog};
use serde_json::Value;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Actions of several families that must be in the comparison whatever else is.
const REPRESENTATIVE: &[&str] = &[
    "user.suspend",
    "user.sessions.clear",
    "group.add_user",
    "user.password.set",
    "app.assign_user",
    "event_hook.create",
    "event_hook.delete_by_url",
    "okta.request",
    "user.delete",
];

/// Secrets in the table's parameters that a dry-run log line must never show.
const SECRETS: &[&str] = &[
    "Pa55-word!",
    "N3w-pass!",
    "old-Pa55",
    "new-Pa55",
    HOOK_AUTH_VALUE,
    API_TOKEN,
];

/// `notify.webhook` does not go through the Okta client: a dry run of it is the
/// runner's business (see the report), not the client's.
fn okta_cases() -> Vec<Case> {
    cases()
        .into_iter()
        .filter(|c| c.action != "notify.webhook")
        .collect()
}

/// The case's expected calls, each answered once, as `tests/actions.rs` mounts them.
async fn mount(server: &MockServer, case: &Case) {
    for (i, c) in case.calls.iter().enumerate() {
        let mut answer =
            ResponseTemplate::new(c.status).insert_header("x-okta-request-id", format!("req-{i}"));
        if let Some(body) = &c.answer {
            answer = answer.set_body_json(body);
        }
        let mock = Mock::given(method(c.method))
            .and(path(c.path.as_str()))
            .and(ExactQuery::of(&c.query));
        let mock = match &c.body {
            Some(body) => mock.and(body_json(body)),
            None => mock.and(NoBody),
        };
        mock.respond_with(answer)
            .up_to_n_times(1)
            .named(format!("{} call {i}: {} {}", case.action, c.method, c.path))
            .mount(server)
            .await;
    }
}

async fn run(okta: &OktaClient, server: &MockServer, case: &Case) -> Result<Outcome, ExecError> {
    let secrets = secrets(server);
    let sender = sender();
    Executor::new(okta)
        .with_secrets(ORG, &secrets)
        .with_webhook(&sender)
        .execute(case.action, &params(case.params.clone()))
        .await
}

/// Every request the server received, as the dry-run log would record it: the
/// server's own URL (wiremock names the host `localhost`) with the path and query
/// received.
async fn received_as_recorded(server: &MockServer) -> Vec<RecordedRequest> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| RecordedRequest {
            method: r.method.to_string(),
            url: match r.url.query() {
                Some(q) => format!("{}{}?{q}", server.uri(), r.url.path()),
                None => format!("{}{}", server.uri(), r.url.path()),
            },
            body: (!r.body.is_empty()).then(|| {
                serde_json::from_slice(&r.body)
                    .unwrap_or_else(|_| Value::from(String::from_utf8_lossy(&r.body).into_owned()))
            }),
        })
        .collect()
}

fn is_read(r: &RecordedRequest) -> bool {
    r.method == "GET" || r.method == "HEAD"
}

#[tokio::test]
async fn a_dry_run_records_exactly_the_writes_a_live_run_sends_and_sends_none() {
    let cases = okta_cases();
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.action).collect();
    for action in REPRESENTATIVE {
        assert!(covered.contains(action), "{action} is not in the table");
    }
    let server = MockServer::builder().start().await;
    let log = RequestLog::new();
    let live = client(&server);
    let auth = okta_client::AuthConfig::ApiToken(okta_client::SecretString::from(API_TOKEN));
    let config = okta_client::OktaConfig::new(&server.uri(), auth)
        .unwrap()
        .with_dry_run(DryRun::with_live_reads(log.clone()));
    let dry = OktaClient::new(config).unwrap();

    for case in &cases {
        server.reset().await;
        mount(&server, case).await;
        let outcome = run(&live, &server, case).await;
        assert!(
            outcome.is_ok(),
            "{}: live run failed: {outcome:?}",
            case.action
        );
        let sent = received_as_recorded(&server).await;
        assert_eq!(sent.len(), case.calls.len(), "{}: {sent:#?}", case.action);
        let (live_reads, live_writes): (Vec<_>, Vec<_>) = sent.into_iter().partition(is_read);

        server.reset().await;
        mount(&server, case).await;
        let outcome = run(&dry, &server, case).await;
        assert!(
            outcome.is_ok(),
            "{}: dry run failed: {outcome:?}",
            case.action
        );
        let recorded = log.take();
        let reached = received_as_recorded(&server).await;

        assert_eq!(recorded, live_writes, "{}: recorded ≠ sent", case.action);
        assert!(
            reached.iter().all(is_read),
            "{}: a write reached Okta in dry run: {reached:#?}",
            case.action
        );
        assert_eq!(reached, live_reads, "{}: reads differ", case.action);
        for r in &recorded {
            let shown = r.to_string();
            assert!(
                shown.starts_with(&format!("{} {}", r.method, r.url)),
                "{shown}"
            );
            for secret in SECRETS {
                assert!(!shown.contains(secret), "{}: {shown}", case.action);
            }
        }
    }
}

#[tokio::test]
async fn password_set_in_dry_run_is_recorded_exactly_and_shown_redacted() {
    let server = MockServer::builder().start().await;
    let log = RequestLog::new();
    let auth = okta_client::AuthConfig::ApiToken(okta_client::SecretString::from(API_TOKEN));
    let config = okta_client::OktaConfig::new(&server.uri(), auth)
        .unwrap()
        .with_dry_run(DryRun::with_live_reads(log.clone()));
    let okta = OktaClient::new(config).unwrap();
    let case = okta_cases()
        .into_iter()
        .find(|c| c.action == "user.password.set")
        .unwrap();
    let outcome = run(&okta, &server, &case).await.unwrap();
    assert!(
        outcome.request_ids.is_empty(),
        "no Okta request id in dry run"
    );
    let recorded = log.take();
    assert_eq!(recorded.len(), 1);
    let r = &recorded[0];
    assert_eq!(
        r.to_string(),
        format!(
            r#"POST {}/api/v1/users/00u1?strict=true {{"credentials":{{"password":"[REDACTED]"}}}}"#,
            server.uri()
        )
    );
    assert_eq!(r.body, case.calls[0].body);
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// Actions an offline dry run cannot complete: they check what a read returned, and an
/// offline read returns nothing.
const NEED_REAL_READS: &[&str] = &["user.find"];

#[tokio::test]
async fn offline_every_action_completes_or_fails_with_a_clear_error() {
    // The secrets point at this server (event_hook.create's auth value); no Okta
    // request may reach it.
    let server = MockServer::builder().start().await;
    let org = "https://acme.okta.com";
    let log = RequestLog::new();
    let okta = OktaClient::offline_dry_run(org, log.clone()).unwrap();
    let mut failed = BTreeSet::new();
    for case in &okta_cases() {
        let result = run(&okta, &server, case).await;
        let recorded = log.take();
        assert!(
            !recorded.is_empty(),
            "{}: nothing recorded offline",
            case.action
        );
        assert!(recorded.iter().all(|r| r.url.starts_with(org)));
        // The first request is the case's first call: same method, path and query.
        let first = &case.calls[0];
        let url = url::Url::parse(&recorded[0].url).unwrap();
        let mut query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        query.sort();
        let mut want: Vec<(String, String)> = first
            .query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        want.sort();
        assert_eq!(
            (recorded[0].method.as_str(), url.path(), query),
            (first.method, first.path.as_str(), want),
            "{}",
            case.action
        );
        match result {
            Ok(outcome) => {
                assert!(outcome.request_ids.is_empty(), "{}", case.action);
                assert!(outcome.output.is_object(), "{}", case.action);
            }
            Err(e @ ExecError::NotFound { .. }) if NEED_REAL_READS.contains(&case.action) => {
                assert!(e.to_string().contains("no user has that"), "{e}");
                failed.insert(case.action);
            }
            Err(e) => panic!("{}: failed offline: {e}", case.action),
        }
    }
    assert_eq!(failed, NEED_REAL_READS.iter().copied().collect());
    assert!(server.received_requests().await.unwrap().is_empty());
}
