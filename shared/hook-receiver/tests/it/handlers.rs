//! Every status code of both endpoints, on real Okta payloads, with in-process fakes.

use std::sync::Arc;
use std::time::Duration;

use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, MemoryQueue, QueueError, ResendPolicy};
use hook_receiver::{
    Authenticator, HookRequest, HookResponse, IngestHandler, ReceiverConfig, VerifyHandler,
};
use http::Method;
use okta_events::QueuedEvent;
use org_secrets::{HookAuth, KnownOrgs, OrgName, OrgSecret, SecretCache, StaticSecrets};
use serde_json::Value;

const SECRET: &str = "Basic b2t0YTpzM2NyM3QtdmFsdWU=";

fn secrets() -> StaticSecrets {
    StaticSecrets::new()
        .with(
            "default",
            OrgSecret {
                hook: Some(HookAuth::new("Authorization", SECRET, None)),
                ..Default::default()
            },
        )
        .with(
            "acme",
            OrgSecret {
                hook: Some(HookAuth::new("X-Acme-Hook", "acme-value", Some("acme-old"))),
                ..Default::default()
            },
        )
        .with(
            "nohook",
            OrgSecret {
                hook: None,
                ..Default::default()
            },
        )
}

fn auth(secrets: StaticSecrets) -> Authenticator<StaticSecrets> {
    Authenticator::new(SecretCache::new(
        secrets,
        Duration::from_secs(300),
        Duration::ZERO,
    ))
}

/// Serves `default`, `acme`, `nohook` and `ghost` (configured, but without a secret).
fn config() -> ReceiverConfig {
    let org = |name: &str| OrgName::parse(name).unwrap();
    ReceiverConfig {
        max_body_bytes: 64 * 1024,
        orgs: KnownOrgs::new(org("default"), [org("acme"), org("nohook"), org("ghost")]),
        ..ReceiverConfig::default()
    }
}

fn ingest<Q: FifoQueue>(queue: Q) -> IngestHandler<Q, StaticSecrets> {
    IngestHandler::new(config(), auth(secrets()), queue).with_retry(ResendPolicy {
        attempts: 2,
        first_backoff: Duration::from_millis(1),
    })
}

fn delivery_text() -> String {
    okta_fixtures::read_event("event-hook-delivery.user.session.start.json")
}

fn post(org: Option<&str>, body: &str) -> HookRequest {
    HookRequest::new(Method::POST, org)
        .header("Authorization", SECRET)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
}

fn body(response: &HookResponse) -> Value {
    serde_json::from_str(&response.body).expect("responses are JSON")
}

fn assert_error(response: &HookResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    let body = body(response);
    assert_eq!(body["code"], code);
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(!response.body.contains(SECRET) && !response.body.contains("acme-value"));
}

#[tokio::test]
async fn a_real_delivery_is_accepted_and_enqueued_as_sent() {
    let queue = Arc::new(MemoryQueue::new());
    let response = ingest(queue.clone())
        .handle(&post(None, &delivery_text()))
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(body(&response)["accepted"], 1);

    let stored = queue.messages();
    assert_eq!(stored.len(), 1);
    let message = &stored[0].message;
    assert_eq!(message.dedup_id, "f1d0b993-cc19-11ed-a688-db22c99ef6c4");
    assert_eq!(
        message.group_id, "00uz9fj5aT69fHVro1d6",
        "no User target: the actor"
    );
    let queued: QueuedEvent<Value> = serde_json::from_str(&message.body).unwrap();
    assert_eq!(queued.org, "default");
    assert_eq!(queued.source, "hook");
    assert_eq!(
        queued.delivery_id.as_deref(),
        Some("85b60edb-4263-4e13-993b-818e26201052")
    );
    let original: Value = serde_json::from_str(&delivery_text()).unwrap();
    assert_eq!(queued.event, original["data"]["events"][0]);
}

#[tokio::test]
async fn every_event_of_a_batch_is_enqueued_with_its_subject_as_group() {
    let queue = Arc::new(MemoryQueue::new());
    let text = okta_fixtures::delivery_of(37).0;
    let response = ingest(queue.clone())
        .handle(&post(Some("default"), &text))
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    let stored = queue.messages();
    assert_eq!(stored.len(), 37);
    let sent: Value = serde_json::from_str(&text).unwrap();
    // The queue holds each group's events in order; groups may interleave.
    let mut dedup_ids: Vec<&str> = stored.iter().map(|s| s.message.dedup_id.as_str()).collect();
    dedup_ids.sort_unstable();
    let expected: Vec<String> = (0..37)
        .map(|i| format!("{i:08}-cc19-11ed-a688-db22c99ef6c4"))
        .collect();
    assert_eq!(dedup_ids, expected);
    for stored in &stored {
        let i: usize = stored.message.dedup_id[..8].parse().unwrap();
        let event = &sent["data"]["events"][i];
        let model: okta_events::LogEvent = serde_json::from_value(event.clone()).unwrap();
        assert_eq!(Some(stored.message.group_id.as_str()), model.subject_id());
    }
    let mut last_of_group: std::collections::HashMap<&str, &str> = Default::default();
    for stored in &stored {
        let previous = last_of_group.insert(&stored.message.group_id, &stored.message.dedup_id);
        assert!(
            previous < Some(&stored.message.dedup_id),
            "a group's events in order"
        );
    }
}

#[tokio::test]
async fn the_same_delivery_twice_enqueues_each_event_once() {
    let queue = Arc::new(MemoryQueue::new());
    let handler = ingest(queue.clone());
    let text = okta_fixtures::delivery_of(12).0;
    for _ in 0..2 {
        assert_eq!(handler.handle(&post(None, &text)).await.status, 200);
    }
    assert_eq!(queue.len(), 12);
}

#[tokio::test]
async fn org_in_the_path_selects_that_orgs_secret_and_header() {
    let queue = Arc::new(MemoryQueue::new());
    let handler = ingest(queue.clone());
    let request = |value: &str| {
        HookRequest::new(Method::POST, Some("acme"))
            .header("x-acme-hook", value)
            .header("content-type", "application/json")
            .body(delivery_text())
    };
    assert_eq!(handler.handle(&request("acme-value")).await.status, 200);
    assert_eq!(
        handler.handle(&request("acme-old")).await.status,
        200,
        "previous value"
    );
    assert_error(&handler.handle(&request(SECRET)).await, 401, "unauthorized");
    // The default org's header and value do not open the acme org.
    assert_error(
        &handler.handle(&post(Some("acme"), &delivery_text())).await,
        401,
        "unauthorized",
    );
}

#[tokio::test]
async fn wrong_missing_or_unknown_org_auth_is_401_without_detail() {
    let handler = ingest(MemoryQueue::new());
    let wrong = HookRequest::new(Method::POST, None)
        .header("authorization", "Basic d3Jvbmc=")
        .header("content-type", "application/json")
        .body(delivery_text());
    let response = handler.handle(&wrong).await;
    assert_error(&response, 401, "unauthorized");
    assert!(
        !response.body.contains("d3Jvbmc"),
        "never echoes the header"
    );
    let missing = HookRequest::new(Method::POST, None)
        .header("content-type", "application/json")
        .body(delivery_text());
    assert_error(&handler.handle(&missing).await, 401, "unauthorized");
    assert_error(
        &handler.handle(&post(Some("ghost"), &delivery_text())).await,
        401,
        "unauthorized",
    );
    assert_error(
        &handler
            .handle(&post(Some("nohook"), &delivery_text()))
            .await,
        401,
        "unauthorized",
    );
}

#[tokio::test]
async fn malformed_json_and_invalid_envelopes_are_400() {
    let handler = ingest(MemoryQueue::new());
    let text = delivery_text();
    assert_error(
        &handler.handle(&post(None, &text[..text.len() / 2])).await,
        400,
        "malformed_json",
    );
    assert_error(
        &handler.handle(&post(None, "")).await,
        400,
        "malformed_json",
    );
    for bad in [
        r#"{"eventType":"com.okta.event_hook","eventId":"d"}"#,
        r#"{"eventType":"something.else","eventId":"d","data":{"events":[]}}"#,
        r#"{"eventType":"com.okta.event_hook","eventId":"","data":{"events":[]}}"#,
        r#"{"eventType":"com.okta.event_hook","eventId":"d","data":{"events":{}}}"#,
        r#"[1,2,3]"#,
    ] {
        assert_error(
            &handler.handle(&post(None, bad)).await,
            400,
            "invalid_envelope",
        );
    }
}

/// An ingest handler that parks rejected events on `rejects`.
fn parking<Q: FifoQueue, R: FifoQueue>(queue: Q, rejects: R) -> IngestHandler<Q, StaticSecrets, R> {
    ingest(queue).with_rejects(rejects)
}

/// A three-event delivery whose middle event's JSON text is `middle(original)`.
fn with_bad_middle(middle: impl Fn(&mut Value)) -> (String, Value) {
    let mut delivery: Value = serde_json::from_str(&okta_fixtures::delivery_of(3).0).unwrap();
    middle(&mut delivery["data"]["events"][1]);
    (delivery.to_string(), delivery)
}

/// Asserts: `200 {"accepted": 2, "rejected": 1}`, events 0 and 2 on the events queue,
/// event 1 parked with `reason`. Returns the parked message.
async fn assert_middle_parked(text: &str, reason: &str, config: ReceiverConfig) -> Value {
    let queue = Arc::new(MemoryQueue::new());
    let rejects = Arc::new(MemoryQueue::new());
    let handler =
        IngestHandler::new(config, auth(secrets()), queue.clone()).with_rejects(rejects.clone());
    let response = handler.handle(&post(None, text)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        body(&response),
        serde_json::json!({"accepted": 2, "rejected": 1})
    );
    let queued: Vec<String> = queue
        .messages()
        .into_iter()
        .map(|m| m.message.dedup_id)
        .collect();
    assert_eq!(
        queued,
        [
            "00000000-cc19-11ed-a688-db22c99ef6c4",
            "00000002-cc19-11ed-a688-db22c99ef6c4"
        ]
    );
    let parked = rejects.messages();
    assert_eq!(parked.len(), 1);
    let parked: Value = serde_json::from_str(&parked[0].message.body).unwrap();
    assert_eq!(parked["reason"], reason, "{parked}");
    assert_eq!(parked["index"], 1);
    assert_eq!(parked["org"], "default");
    assert_eq!(parked["deliveryId"], "85b60edb-4263-4e13-993b-818e26201052");
    parked
}

#[tokio::test]
async fn an_event_without_uuid_is_parked_and_the_others_enqueued() {
    let (text, delivery) = with_bad_middle(|e| {
        e.as_object_mut().unwrap().remove("uuid");
    });
    let parked = assert_middle_parked(&text, "missing_uuid", config()).await;
    let event: Value = serde_json::from_str(parked["event"].as_str().unwrap()).unwrap();
    assert_eq!(event, delivery["data"]["events"][1], "the event as sent");
    assert_eq!(parked["truncated"], false);
}

#[tokio::test]
async fn events_sqs_or_the_router_cannot_take_are_parked_with_their_reason() {
    for (middle, reason) in [
        (serde_json::json!(42), "not_an_event"),
        (
            serde_json::json!({"uuid": "a b", "eventType": "x"}),
            "bad_uuid",
        ),
        (serde_json::json!({"uuid": "u-x"}), "missing_event_type"),
    ] {
        let (text, _) = with_bad_middle(|e| *e = middle.clone());
        assert_middle_parked(&text, reason, config()).await;
    }
}

#[tokio::test]
async fn an_event_over_sqs_1_mib_is_parked_with_its_size_and_hash() {
    let (text, _) = with_bad_middle(|e| e["displayMessage"] = Value::from("y".repeat(1024 * 1024)));
    let roomy = ReceiverConfig {
        max_body_bytes: 5 * 1024 * 1024,
        ..config()
    };
    let parked = assert_middle_parked(&text, "too_large", roomy).await;
    assert!(parked["size"].as_u64().unwrap() > 1024 * 1024);
    assert_eq!(parked["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(parked["truncated"], true);
}

#[tokio::test]
async fn an_event_nested_5000_deep_is_parked_as_too_deep() {
    let (text, _) =
        with_bad_middle(|e| e["debugContext"]["debugData"]["deep"] = Value::from("DEEP"));
    let text = text.replacen(
        "\"DEEP\"",
        &format!("{}{}", "[".repeat(5_000), "]".repeat(5_000)),
        1,
    );
    let parked = assert_middle_parked(&text, "too_deep", config()).await;
    assert!(
        parked["event"]
            .as_str()
            .unwrap()
            .contains(&"[".repeat(5_000))
    );
}

#[tokio::test]
async fn a_delivery_whose_rejects_cannot_be_parked_is_503_and_its_retry_loses_nothing() {
    let (text, _) = with_bad_middle(|e| {
        e.as_object_mut().unwrap().remove("uuid");
    });
    let queue = Arc::new(MemoryQueue::new());
    let down = parking(queue.clone(), BrokenQueue { refuse_only: None });
    assert_error(
        &down.handle(&post(None, &text)).await,
        503,
        "queue_unavailable",
    );

    // Okta retries the delivery; the rejects queue is back.
    let rejects = Arc::new(MemoryQueue::new());
    let up = parking(queue.clone(), rejects.clone());
    let response = up.handle(&post(None, &text)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(queue.len(), 2, "the good events once each");
    assert_eq!(rejects.len(), 1);
}

#[tokio::test]
async fn okta_retrying_a_delivery_parks_its_bad_event_once() {
    let (text, _) = with_bad_middle(|e| {
        e.as_object_mut().unwrap().remove("uuid");
    });
    let rejects = Arc::new(MemoryQueue::new());
    let handler = parking(MemoryQueue::new(), rejects.clone());
    for _ in 0..2 {
        assert_eq!(handler.handle(&post(None, &text)).await.status, 200);
    }
    assert_eq!(rejects.len(), 1);
}

#[tokio::test]
async fn an_empty_batch_is_accepted() {
    let body = r#"{"eventType":"com.okta.event_hook","eventId":"d","data":{"events":[]}}"#;
    let response = ingest(MemoryQueue::new()).handle(&post(None, body)).await;
    assert_eq!(response.status, 200);
    assert_eq!(self::body(&response)["accepted"], 0);
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(64 * 1024));
    assert_error(
        &ingest(MemoryQueue::new()).handle(&post(None, &big)).await,
        413,
        "payload_too_large",
    );
}

#[tokio::test]
async fn non_json_media_type_is_415() {
    let handler = ingest(MemoryQueue::new());
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut request = HookRequest::new(Method::POST, None)
            .header("authorization", SECRET)
            .body(delivery_text());
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        assert_error(
            &handler.handle(&request).await,
            415,
            "unsupported_media_type",
        );
    }
}

#[tokio::test]
async fn other_methods_are_405() {
    let handler = ingest(MemoryQueue::new());
    for method in [Method::PUT, Method::DELETE, Method::PATCH, Method::HEAD] {
        let mut request = post(None, &delivery_text());
        request.method = method;
        assert_error(&handler.handle(&request).await, 405, "method_not_allowed");
    }
}

#[tokio::test]
async fn an_invalid_org_in_the_path_is_400() {
    let response = ingest(MemoryQueue::new())
        .handle(&post(Some("a.b"), &delivery_text()))
        .await;
    assert_error(&response, 400, "invalid_org");
}

/// A queue that is down, or refuses one entry every time.
struct BrokenQueue {
    refuse_only: Option<&'static str>,
}

impl FifoQueue for BrokenQueue {
    async fn send_batch(&self, batch: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        match self.refuse_only {
            None => Err(QueueError::new("connection refused")),
            Some(id) => Ok(batch
                .iter()
                .filter(|m| m.entry_id == id)
                .map(|m| FailedEntry {
                    entry_id: m.entry_id.clone(),
                    code: "InternalError".into(),
                    sender_fault: false,
                })
                .collect()),
        }
    }
}

#[tokio::test]
async fn an_unreachable_queue_is_503() {
    let response = ingest(BrokenQueue { refuse_only: None })
        .handle(&post(None, &okta_fixtures::delivery_of(3).0))
        .await;
    assert_error(&response, 503, "queue_unavailable");
}

#[tokio::test]
async fn one_event_left_off_the_queue_is_503() {
    let response = ingest(BrokenQueue {
        refuse_only: Some("e7"),
    })
    .handle(&post(None, &okta_fixtures::delivery_of(20).0))
    .await;
    assert_error(&response, 503, "queue_unavailable");
}

fn verifier(secrets: StaticSecrets) -> VerifyHandler<StaticSecrets> {
    VerifyHandler::new(config(), auth(secrets))
}

fn challenge(org: Option<&str>, header: &str, value: &str) -> HookRequest {
    HookRequest::new(Method::GET, org)
        .header(header, value)
        .header("authorization", SECRET)
}

#[tokio::test]
async fn verification_echoes_the_challenge_whatever_the_header_case() {
    let handler = verifier(secrets());
    for name in [
        "X-Okta-Verification-Challenge",
        "x-okta-verification-challenge",
        "X-OKTA-VERIFICATION-CHALLENGE",
    ] {
        let response = handler
            .handle(&challenge(None, name, "m3-CHALLENGE_value"))
            .await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(
            body(&response),
            serde_json::json!({"verification": "m3-CHALLENGE_value"})
        );
    }
}

#[tokio::test]
async fn verification_without_a_challenge_is_400() {
    let handler = verifier(secrets());
    assert_error(
        &handler
            .handle(&HookRequest::new(Method::GET, None).header("authorization", SECRET))
            .await,
        400,
        "missing_challenge",
    );
    assert_error(
        &handler
            .handle(&challenge(None, "x-okta-verification-challenge", ""))
            .await,
        400,
        "missing_challenge",
    );
}

#[tokio::test]
async fn verification_checks_the_auth_header_when_configured() {
    let handler = verifier(secrets());
    let wrong = HookRequest::new(Method::GET, None)
        .header("x-okta-verification-challenge", "abc")
        .header("authorization", "nope");
    assert_error(&handler.handle(&wrong).await, 401, "unauthorized");
    // An org whose secret has no hook auth answers the challenge without a header.
    let open = HookRequest::new(Method::GET, Some("nohook"))
        .header("x-okta-verification-challenge", "abc");
    assert_eq!(handler.handle(&open).await.status, 200);
}

/// Behind a Lambda Function URL one function takes Okta's verification `GET` and its
/// deliveries: the ingest handler answers every `GET` exactly as the verify handler does.
#[tokio::test]
async fn the_ingest_handler_answers_the_verification_get_as_the_verify_handler_does() {
    let queue = Arc::new(MemoryQueue::new());
    let ingest = ingest(queue.clone());
    let verify = verifier(secrets());
    let get = |org: Option<&str>| HookRequest::new(Method::GET, org);
    let cases = [
        (
            "right auth",
            challenge(None, "X-Okta-Verification-Challenge", "m3-value"),
        ),
        (
            "the org's own header",
            get(Some("acme"))
                .header("x-okta-verification-challenge", "a1")
                .header("X-Acme-Hook", "acme-old"),
        ),
        (
            "wrong auth",
            get(None)
                .header("x-okta-verification-challenge", "abc")
                .header("authorization", "nope"),
        ),
        (
            "no auth",
            get(None).header("x-okta-verification-challenge", "abc"),
        ),
        ("no challenge", get(None).header("authorization", SECRET)),
        (
            "an org not served",
            get(Some("other")).header("x-okta-verification-challenge", "abc"),
        ),
        (
            "an org without hook auth",
            get(Some("nohook")).header("x-okta-verification-challenge", "abc"),
        ),
    ];
    for (case, request) in &cases {
        assert_eq!(
            ingest.handle(request).await,
            verify.handle(request).await,
            "{case}"
        );
    }
    let answered = ingest.handle(&cases[0].1).await;
    assert_eq!(answered.status, 200, "{}", answered.body);
    assert_eq!(
        body(&answered),
        serde_json::json!({"verification": "m3-value"})
    );
    // Wrong auth is refused as a delivery with wrong auth is.
    let wrong = ingest.handle(&cases[2].1).await;
    assert_error(&wrong, 401, "unauthorized");
    let mut bad_post = post(None, &delivery_text());
    bad_post
        .headers
        .insert("authorization", "nope".parse().unwrap());
    assert_eq!(ingest.handle(&bad_post).await, wrong);
    assert!(queue.is_empty(), "a verification enqueues nothing");
}

#[tokio::test]
async fn verification_refuses_other_methods() {
    let mut request = challenge(None, "x-okta-verification-challenge", "abc");
    request.method = Method::POST;
    assert_error(
        &verifier(secrets()).handle(&request).await,
        405,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn a_rotated_secret_is_picked_up_without_restart() {
    let store = secrets();
    let handler = IngestHandler::new(config(), auth(store.clone()), MemoryQueue::new());
    assert_eq!(
        handler.handle(&post(None, &delivery_text())).await.status,
        200
    );
    store.set(
        "default",
        OrgSecret {
            hook: Some(HookAuth::new("Authorization", "rotated", Some(SECRET))),
            ..Default::default()
        },
    );
    let rotated = HookRequest::new(Method::POST, None)
        .header("authorization", "rotated")
        .header("content-type", "application/json")
        .body(delivery_text());
    assert_eq!(
        handler.handle(&rotated).await.status,
        200,
        "re-read after a failed check"
    );
    assert_eq!(
        handler.handle(&post(None, &delivery_text())).await.status,
        200,
        "previous still accepted"
    );
}
