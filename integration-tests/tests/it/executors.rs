//! End to end on real wire protocols: a delivery through ingest, the router and the
//! action executors (their real handlers and AWS adapters, on `moto_server`), with Okta and
//! the Slack webhook played by wiremock. The repository's example rules decide.

use std::time::Duration;

use actions::Family;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use envelope::open;
use integration_tests::pipeline::{Pipeline, PipelineOptions};
use org_secrets::SigningKeys;
use rules::Plan;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "e2e-signing-key-0123456789abcdef0123456";
const HOOK_SECRET: &str = "e2e-hook-secret";

/// The pipeline, with Okta and the Slack webhook played by one wiremock.
struct Stack {
    pipeline: Pipeline,
    okta: MockServer,
}

impl std::ops::Deref for Stack {
    type Target = Pipeline;

    fn deref(&self) -> &Pipeline {
        &self.pipeline
    }
}

async fn stack() -> Stack {
    stack_holding(None).await
}

/// The pipeline with the org's `secrets` (keyed by kind, `named.slack_webhook` set to
/// the wiremock's `/slack`) instead of every kind, when given.
async fn stack_holding(secrets: Option<Value>) -> Stack {
    let okta = MockServer::builder().start().await;
    let slack_webhook = format!("{}/slack", okta.uri());
    let secrets = secrets.map(|mut secrets| {
        secrets["named"]["slack_webhook"] = json!(slack_webhook);
        secrets
    });
    let pipeline = Pipeline::start(PipelineOptions {
        hook_secret: HOOK_SECRET,
        signing_key: KEY,
        org_url: okta.uri(),
        api_token: "00e2e-token".into(),
        slack_webhook,
        extra_env: &[("OKTA_HOOKS_MAX_RECEIVE_COUNT", "12")],
        secrets,
    })
    .await;
    Stack { pipeline, okta }
}

impl Stack {
    async fn deliver(&self, events: &[Value]) {
        self.pipeline
            .deliver("e2e-delivery", "2026-11-22T10:00:00.000Z", events)
            .await;
    }

    async fn receive(&self, url: &str) -> Vec<SqsMessage> {
        self.aws.receive_batch(url).await
    }

    async fn settle(&self, url: &str, batch: &[SqsMessage], response: &SqsBatchResponse) {
        self.aws.settle(url, batch, response).await;
    }

    async fn pump_once<F, Fut>(&self, url: &str, run: F) -> (usize, SqsBatchResponse)
    where
        F: FnOnce(SqsEvent) -> Fut,
        Fut: std::future::Future<Output = SqsBatchResponse>,
    {
        self.aws.pump_once(url, run).await
    }

    /// Routes every queued event, then runs every family queue until all are empty.
    async fn run_all(&self) {
        while self
            .pump_once(&self.events_url, |e| event_router::handle(&self.router, e))
            .await
            .0
            > 0
        {}
        loop {
            let mut ran = 0;
            for family in Family::ALL {
                let app = &self.executors[&family];
                let (n, response) = self
                    .pump_once(&self.queues[&family], |e| action_executor::handle(app, e))
                    .await;
                assert!(
                    response.batch_item_failures.is_empty(),
                    "{family}: {response:?}"
                );
                ran += n;
            }
            if ran == 0 {
                return;
            }
        }
    }

    /// Okta and webhook calls, as "METHOD /path".
    async fn calls(&self) -> Vec<String> {
        self.okta
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| format!("{} {}", r.method, r.url.path()))
            .collect()
    }

    async fn slack_texts(&self) -> Vec<String> {
        self.okta
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == "/slack")
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .filter_map(|b| b["text"].as_str().map(str::to_owned))
            .collect()
    }
}

fn event(name: &str) -> Value {
    serde_json::from_str(&okta_fixtures::read_event(&format!("{name}.json"))).expect("event")
}

async fn mount_okta(okta: &MockServer) {
    let mut user = okta_fixtures::answer("user");
    user["profile"]["department"] = json!("Sales");
    let groups = json!([
        {"id": "00gokta1", "type": "OKTA_GROUP", "profile": {"name": "Staff"}},
        {"id": "00gad1", "type": "APP_GROUP", "profile": {"name": "From AD"}},
    ]);
    let reply =
        |status: u16| ResponseTemplate::new(status).insert_header("x-okta-request-id", "req-e2e");
    // A user read answers with the id asked for.
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v1/users/[^/]+$"))
        .respond_with(move |request: &wiremock::Request| {
            let mut user = user.clone();
            user["id"] = json!(request.url.path().rsplit('/').next().unwrap_or_default());
            reply(200).set_body_json(user)
        })
        .mount(okta)
        .await;
    // Group reads too: with protected groups, executors learn a group's name first.
    let group = okta_fixtures::answer("group");
    Mock::given(method("GET"))
        .and(path_regex(r"^/api/v1/groups/[^/]+$"))
        .respond_with(move |request: &wiremock::Request| {
            let mut group = group.clone();
            group["id"] = json!(request.url.path().rsplit('/').next().unwrap_or_default());
            reply(200).set_body_json(group)
        })
        .mount(okta)
        .await;
    for (verb, route, response) in [
        (
            "GET",
            r"^/api/v1/users/[^/]+/groups$",
            reply(200).set_body_json(groups),
        ),
        (
            "POST",
            r"^/api/v1/users/[^/]+/lifecycle/suspend$",
            reply(200).set_body_json(json!({})),
        ),
        ("DELETE", r"^/api/v1/users/[^/]+/sessions$", reply(204)),
        ("DELETE", r"^/api/v1/groups/[^/]+/users/[^/]+$", reply(204)),
        ("PUT", r"^/api/v1/groups/[^/]+/users/[^/]+$", reply(204)),
        ("POST", r"^/slack$", ResponseTemplate::new(200)),
    ] {
        Mock::given(method(verb))
            .and(path_regex(route))
            .respond_with(response)
            .mount(okta)
            .await;
    }
}

/// The calls about one user, in order.
fn about(calls: &[String], user: &str) -> Vec<String> {
    calls.iter().filter(|c| c.contains(user)).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_rule_runs_end_to_end_in_order() {
    let stack = stack().await;
    mount_okta(&stack.okta).await;
    let mut created = event("user.lifecycle.deactivate");
    created["eventType"] = json!("user.lifecycle.create");
    created["uuid"] = json!("e2e-created-user");
    created["target"][0]["id"] = json!("00ucreated");
    let events = vec![
        event("user.account.report_suspicious_activity_by_enduser"),
        event("user.account.lock"),
        event("user.account.privilege.grant"),
        event("user.lifecycle.deactivate"),
        event("user.mfa.factor.suspend"),
        created,
    ];
    stack.deliver(&events).await;
    stack.run_all().await;
    let calls = stack.calls().await;

    // suspicious-activity: suspend, then sessions (with tokens), then the notify.
    assert_eq!(
        about(&calls, "/01234"),
        vec![
            "POST /api/v1/users/01234/lifecycle/suspend",
            "DELETE /api/v1/users/01234/sessions"
        ]
    );
    let suspend_at = calls
        .iter()
        .position(|c| c.ends_with("01234/lifecycle/suspend"));
    let sessions_at = calls.iter().position(|c| c.ends_with("01234/sessions"));
    let texts = stack.slack_texts().await;
    assert!(suspend_at < sessions_at);
    // deactivated-cleanup: enrichment, sessions, then each Okta-managed group only (an
    // APP_GROUP membership cannot be changed through the API).
    assert_eq!(
        about(&calls, "00u3m90rxKjGQ0G6L1d6"),
        vec![
            "GET /api/v1/users/00u3m90rxKjGQ0G6L1d6",
            "GET /api/v1/users/00u3m90rxKjGQ0G6L1d6/groups",
            "DELETE /api/v1/users/00u3m90rxKjGQ0G6L1d6/sessions",
            "DELETE /api/v1/groups/00gokta1/users/00u3m90rxKjGQ0G6L1d6",
        ]
    );
    // department-groups: enrichment, then the Sales group.
    assert_eq!(
        about(&calls, "00ucreated"),
        vec![
            "GET /api/v1/users/00ucreated",
            "PUT /api/v1/groups/00gsales0000000000x7/users/00ucreated",
        ]
    );
    // The four notifications: suspicious (after its Okta steps), lock, privilege, MFA.
    assert_eq!(texts.len(), 4, "{texts:?}");
    let has = |needle: &str| texts.iter().any(|t| t.contains(needle));
    assert!(has("Suspended homer.simpson@duff.com"), "{texts:?}");
    assert!(has("locked out"), "{texts:?}");
    assert!(has("granted admin privileges"), "{texts:?}");
    assert!(
        has("MFA change (user.mfa.factor.suspend) for peter.griffin@company.com"),
        "{texts:?}"
    );
    let requests = stack.okta.received_requests().await.unwrap_or_default();
    let notify_at = requests
        .iter()
        .position(|r| String::from_utf8_lossy(&r.body).contains("Suspended homer"));
    assert!(
        sessions_at < notify_at,
        "the notify comes after the Okta steps"
    );
    for family in Family::ALL {
        assert!(stack.dead_letters(family).await.is_empty(), "{family} DLQ");
    }

    // The same delivery again (Okta's retry): nothing runs twice.
    let before = stack.calls().await.len();
    stack.deliver(&events).await;
    stack.run_all().await;
    assert_eq!(stack.calls().await.len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_429s_404s_and_tampering_on_the_users_queue() {
    let stack = stack().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-rate-limit-limit", "600")
                .insert_header("x-rate-limit-remaining", "0")
                .insert_header("x-rate-limit-reset", (now + 2).to_string())
                .insert_header(
                    "date",
                    httpdate::fmt_http_date(std::time::SystemTime::now()),
                )
                .set_body_json(okta_fixtures::error_body("ErrorTooManyRequests")),
        )
        .up_to_n_times(1)
        .mount(&stack.okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&stack.okta)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/users/01234/sessions"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-okta-request-id", "req-404")
                .set_body_json(okta_fixtures::error_body("ErrorResourceNotFound")),
        )
        .mount(&stack.okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/slack"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&stack.okta)
        .await;
    stack
        .deliver(&[event("user.account.report_suspicious_activity_by_enduser")])
        .await;
    stack
        .pump_once(&stack.events_url, |e| {
            event_router::handle(&stack.router, e)
        })
        .await;
    let users = &stack.queues[&Family::Users];
    let app = &stack.executors[&Family::Users];

    // 429: reported failed, held invisible until the reset, then run once.
    let batch = stack.receive(users).await;
    assert_eq!(batch.len(), 1);
    let body = batch[0].body.clone().unwrap_or_default();
    let mut event = SqsEvent::default();
    event.records = batch.clone();
    let response = action_executor::handle(app, event).await;
    assert_eq!(response.batch_item_failures.len(), 1);
    stack.settle(users, &batch, &response).await;
    assert!(
        stack.receive(users).await.is_empty(),
        "held back until the reset"
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (n, response) = stack
        .pump_once(users, |e| action_executor::handle(app, e))
        .await;
    assert_eq!((n, response.batch_item_failures.len()), (1, 0));

    // The same envelope again (a redelivery after the dedup window): no second call.
    stack
        .aws
        .sqs
        .send_message()
        .queue_url(users)
        .message_body(&body)
        .message_group_id("01234")
        .message_deduplication_id("redelivered")
        .send()
        .await
        .expect("send");
    stack
        .pump_once(users, |e| action_executor::handle(app, e))
        .await;
    let suspends = stack
        .calls()
        .await
        .iter()
        .filter(|c| c.ends_with("/lifecycle/suspend"))
        .count();
    assert_eq!(
        suspends, 2,
        "one 429 and one success, nothing for the duplicate"
    );

    // A tampered envelope: to the DLQ, no Okta call.
    let tampered = body.replace("01234", "00uvictim");
    stack
        .aws
        .sqs
        .send_message()
        .queue_url(users)
        .message_body(&tampered)
        .message_group_id("00uvictim")
        .message_deduplication_id("tampered")
        .send()
        .await
        .expect("send");
    stack
        .pump_once(users, |e| action_executor::handle(app, e))
        .await;
    assert!(!stack.calls().await.iter().any(|c| c.contains("00uvictim")));
    let letters = stack.dead_letters(Family::Users).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["failure"]["class"], "permanent");
    assert_eq!(letters[0]["envelope"], json!(tampered));

    // 404 on the sessions step: its DLQ gets the reason; on_failure tells Slack.
    stack.run_all().await;
    let letters = stack.dead_letters(Family::Sessions).await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["failure"]["errorCode"], "E0000007");
    assert_eq!(letters[0]["failure"]["requestId"], "req-404");
    assert_eq!(letters[0]["action"], "user.sessions.clear");
    let keys = SigningKeys::new("k1", &[("k1", KEY)]);
    let original: envelope::Envelope<Plan> =
        open(letters[0]["envelope"].as_str().unwrap_or_default(), &keys).expect("still signed");
    assert_eq!(original.group, "01234");
    let texts = stack.slack_texts().await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("failed at user.sessions.clear"),
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notify_executor_posts_its_webhook_for_an_org_that_has_no_okta_credential_at_all() {
    // The org has its hook values, signing keys and named values: no okta, no okta-read.
    let stack = stack_holding(Some(json!({
        "hook": {"current": HOOK_SECRET},
        "signing": {"active": "k1", "keys": {"k1": KEY}},
        "named": {},
    })))
    .await;
    assert_eq!(
        stack.aws.secret_names().await,
        [
            "okta-hooks/default/hook",
            "okta-hooks/default/named",
            "okta-hooks/default/signing"
        ]
    );
    Mock::given(method("POST"))
        .and(path("/slack"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&stack.okta)
        .await;
    // account-locked: one notify.webhook step, nothing asked of Okta.
    stack.deliver(&[event("user.account.lock")]).await;
    stack.run_all().await;

    assert_eq!(stack.calls().await, ["POST /slack"]);
    let texts = stack.slack_texts().await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains("was locked out"), "{texts:?}");
    for family in Family::ALL {
        assert!(stack.dead_letters(family).await.is_empty(), "{family} DLQ");
    }
}
