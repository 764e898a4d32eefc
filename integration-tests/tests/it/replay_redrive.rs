//! `okta-hooks replay` against an in-test Okta serving a paged System Log window, and
//! `okta-hooks redrive` between moto FIFO queues, through the built binary.

use aws_sdk_sqs::types::QueueAttributeName;
use integration_tests::{
    Aws, MotoServer, RefusingPort, aws::function_env, okta_hooks_with_env as run,
    utc_midnight_days_ago,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "00TEST-logs-token-never-printed";

/// The replayed window: yesterday's day (relative to now, as `replay` judges a window's
/// age against the router's ledger horizon).
fn since() -> String {
    utc_midnight_days_ago(2)
}
fn until() -> String {
    utc_midnight_days_ago(1)
}
/// As in a query string.
fn encoded(time: &str) -> String {
    time.replace(':', "%3A")
}
const FILTER: &str =
    r#"eventType eq "user.account.update_profile" or eventType eq "user.lifecycle.create""#;

fn log_event(uuid: &str, event_type: &str, user: &str, published: &str) -> Value {
    json!({
        "uuid": uuid,
        "published": published,
        "eventType": event_type,
        "version": "0",
        "severity": "INFO",
        "displayMessage": "replayed in a test",
        "actor": {"id": "00uADMIN", "type": "User", "alternateId": "admin@example.com"},
        "outcome": {"result": "SUCCESS"},
        "target": [{"id": user, "type": "User", "alternateId": format!("{user}@example.com")}],
        "debugContext": {"debugData": {"changedAttributes": "department"}},
        "futureField": {"kept": [1, 2, 3]}
    })
}

/// Queue depth: (visible, in flight).
async fn depth(aws: &Aws, url: &str) -> (u64, u64) {
    aws.depth(url).await
}

#[tokio::test]
async fn replay_feeds_a_paged_window_to_the_events_queue_once_with_source_replay() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let queue = aws.fifo_queue("events.fifo").await;
    let (since, until) = (since(), until());

    let okta = MockServer::builder().start().await;
    let page1 = vec![
        log_event(
            "ev-1",
            "user.lifecycle.create",
            "00uNEW1",
            "2026-11-20T08:00:00.000Z",
        ),
        log_event(
            "ev-2",
            "user.account.update_profile",
            "00uOLD2",
            "2026-11-20T09:00:00.000Z",
        ),
    ];
    let page2 = vec![log_event(
        "ev-3",
        "user.lifecycle.create",
        "00uNEW3",
        "2026-11-20T10:00:00.000Z",
    )];
    let next = format!(
        "<{}/api/v1/logs?since={}&until={}&limit=1000&after=cursor-2>; rel=\"next\"",
        okta.uri(),
        encoded(&since),
        encoded(&until)
    );
    // First page: the window, the filter, ascending; a `next` link to the second.
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(header("authorization", format!("SSWS {TOKEN}").as_str()))
        .and(query_param("since", since.as_str()))
        .and(query_param("until", until.as_str()))
        .and(query_param("filter", FILTER))
        .and(query_param("sortOrder", "ASCENDING"))
        .and(query_param_is_missing("after"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!(
                        "<{}/api/v1/logs?since={}>; rel=\"self\"",
                        okta.uri(),
                        encoded(&since)
                    )
                    .as_str(),
                )
                .append_header("link", next.as_str())
                .set_body_json(&page1),
        )
        .expect(3)
        .mount(&okta)
        .await;
    // Second page: no `next` — a bounded query ends.
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(query_param("after", "cursor-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page2))
        .expect(3)
        .mount(&okta)
        .await;

    let mut env = function_env(&moto.endpoint());
    env.push(("OKTA_ORG_URL", okta.uri()));
    env.push(("OKTA_API_TOKEN", TOKEN.to_owned()));
    let args = |extra: &[&'static str]| {
        let mut args = vec![
            "replay",
            "--org",
            "acme",
            "--since",
            since.as_str(),
            "--until",
            until.as_str(),
            "--type",
            "user.lifecycle.create",
            "--type",
            "user.account.update_profile",
            "--queue-url",
            queue.as_str(),
        ];
        args.extend_from_slice(extra);
        args
    };

    // A dry run lists the window and sends nothing.
    let (ok, out) = run(&args(&["--dry-run"]), &env);
    assert!(ok, "{out}");
    for uuid in ["ev-1", "ev-2", "ev-3"] {
        assert!(out.contains(uuid), "{out}");
    }
    assert!(out.contains("dry run: 3 event(s) from 2 page(s)"), "{out}");
    assert!(!out.contains(TOKEN), "{out}");
    assert_eq!(
        depth(&aws, &queue).await,
        (0, 0),
        "a dry run sent something"
    );

    // Twice: the queue's dedup (id = uuid) keeps one of each.
    for _ in 0..2 {
        let (ok, out) = run(&args(&[]), &env);
        assert!(ok, "{out}");
        assert!(out.contains("2  user.lifecycle.create"), "{out}");
        assert!(out.contains("1  user.account.update_profile"), "{out}");
        assert!(out.contains("replayed 3 event(s) from 2 page(s)"), "{out}");
        assert!(!out.contains(TOKEN), "{out}");
    }

    let mut messages = aws.drain(&queue).await;
    messages.sort_by(|a, b| a.1.cmp(&b.1));
    let expected = [page1[0].clone(), page1[1].clone(), page2[0].clone()];
    assert_eq!(messages.len(), 3, "{messages:?}");
    for ((group, dedup, body), event) in messages.iter().zip(&expected) {
        assert_eq!(dedup, event["uuid"].as_str().unwrap_or_default());
        assert_eq!(group, event["target"][0]["id"].as_str().unwrap_or_default());
        let body: Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(body["org"], "acme");
        assert_eq!(body["source"], "replay");
        assert!(body.get("deliveryId").is_none(), "{body}");
        // The event exactly as Okta answered, unknown fields included.
        assert_eq!(&body["event"], event);
    }
}

#[test]
fn replay_refuses_bad_windows_before_calling_anyone() {
    // This port refuses connections: a refused window must not get as far as a request.
    let nobody = RefusingPort::hold();
    let env = vec![
        ("OKTA_ORG_URL", nobody.url()),
        ("OKTA_API_TOKEN", TOKEN.to_owned()),
    ];
    let (since, until) = (since(), until());
    let base = |since: &str, until: &str| -> Vec<String> {
        [
            "replay",
            "--since",
            since,
            "--until",
            until,
            "--type",
            "user.lifecycle.create",
            "--dry-run",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let run_args = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args, &env)
    };
    let (ok, out) = run_args(base(&until, &since));
    assert!(!ok, "{out}");
    assert!(out.contains("must be after --since"), "{out}");

    let (ok, out) = run_args(base("2026-08-01T00:00:00Z", "2026-11-01T00:00:00Z"));
    assert!(!ok, "{out}");
    assert!(out.contains("longer than 90 days"), "{out}");

    let (ok, out) = run_args(base("yesterday", &until));
    assert!(!ok, "{out}");
    assert!(out.contains("RFC 3339"), "{out}");

    // Without --dry-run, the queue is required.
    let mut no_queue = base(&since, &until);
    no_queue.pop();
    let (ok, out) = run_args(no_queue);
    assert!(!ok, "{out}");
    assert!(out.contains("--queue-url"), "{out}");
}

#[tokio::test]
async fn replay_refuses_a_window_older_than_the_ledger_unless_told_to_rerun() {
    // 20 days back: before the router's ledger horizon (14 days by default).
    let (since, until) = (utc_midnight_days_ago(20), utc_midnight_days_ago(19));
    let okta = MockServer::builder().start().await;
    // AWS (the queue) on a port that refuses connections: nothing may be sent anyway.
    let nobody = RefusingPort::hold();
    let queue_url = format!("{}/123456789012/events.fifo", nobody.url());
    let mut env = function_env(&nobody.url());
    env.push(("OKTA_ORG_URL", okta.uri()));
    env.push(("OKTA_API_TOKEN", TOKEN.to_owned()));
    let replay = |extra: &[&str]| {
        let mut args = vec![
            "replay",
            "--since",
            since.as_str(),
            "--until",
            until.as_str(),
            "--type",
            "user.lifecycle.create",
        ];
        args.extend_from_slice(extra);
        run(&args, &env)
    };

    let horizon_before = utc_midnight_days_ago(14);
    let (ok, out) = replay(&["--queue-url", &queue_url]);
    let horizon_after = utc_midnight_days_ago(14);
    assert!(!ok, "{out}");
    assert!(out.contains("refusing to replay"), "{out}");
    assert!(out.contains(&since), "names the window's start: {out}");
    assert!(
        out.contains(&format!("horizon {}", &horizon_before[..10]))
            || out.contains(&format!("horizon {}", &horizon_after[..10])),
        "names the horizon's date: {out}"
    );
    assert!(out.contains("--allow-rerun"), "{out}");
    assert!(out.contains("--ledger-ttl-days 14"), "{out}");
    assert!(!out.contains(TOKEN), "{out}");
    assert!(
        okta.received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "a refused replay asked Okta"
    );

    // Past the check: an empty window is read from Okta (nothing to send).
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(query_param("since", since.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(2)
        .mount(&okta)
        .await;
    let (ok, out) = replay(&["--queue-url", &queue_url, "--allow-rerun"]);
    assert!(ok, "{out}");
    assert!(out.contains("warning (--allow-rerun given)"), "{out}");
    assert!(out.contains("replayed 0 event(s) from 1 page(s)"), "{out}");

    // A ledger kept 30 days puts the horizon before the window: no refusal, no warning.
    let (ok, out) = replay(&["--queue-url", &queue_url, "--ledger-ttl-days", "30"]);
    assert!(ok, "{out}");
    assert!(!out.contains("horizon"), "{out}");
    assert!(out.contains("replayed 0 event(s) from 1 page(s)"), "{out}");
}

#[tokio::test]
async fn replay_reads_the_pollers_okta_read_secret_or_the_single_secret_only_when_asked() {
    const READ_TOKEN: &str = "00TEST-read-only-logs-token";
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let okta = MockServer::builder().start().await;
    // Okta answers the read-only token (split) and the admin token (single) alike; which
    // one came is read from the requests.
    let answer = || async {
        Mock::given(method("GET"))
            .and(path("/api/v1/logs"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([log_event(
                "ev-9",
                "user.lifecycle.create",
                "00uNEW9",
                "2026-11-20T08:00:00.000Z"
            )])))
            .mount(&okta)
            .await;
    };
    answer().await;
    let credential = |token: &str| json!({"org_url": okta.uri(), "api_token": token});
    let (since, until) = (since(), until());
    let env = function_env(&moto.endpoint());
    let replay = |extra: &[&str]| {
        let mut args = vec![
            "replay",
            "--org",
            "acme",
            "--since",
            since.as_str(),
            "--until",
            until.as_str(),
            "--type",
            "user.lifecycle.create",
            "--dry-run",
        ];
        args.extend_from_slice(extra);
        run(&args, &env)
    };
    let tokens_seen = || async {
        let seen: Vec<String> = okta
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|r| r.headers.get("authorization"))
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .collect();
        okta.reset().await;
        answer().await;
        seen
    };

    // Only the single secret exists: without the flag, the okta-read secret is missing.
    aws.put_legacy_org_secret("acme", &json!({"okta": credential(TOKEN)}))
        .await;
    let (ok, out) = replay(&[]);
    assert!(!ok, "{out}");
    assert!(out.contains("secret okta-hooks/acme/okta-read"), "{out}");
    assert!(out.contains("okta-hooks secrets split"), "{out}");
    assert!(tokens_seen().await.is_empty());

    // Asked for: the single secret's okta serves.
    let (ok, out) = replay(&["--legacy-single-secret"]);
    assert!(ok, "{out}");
    assert!(out.contains("ev-9"), "{out}");
    assert_eq!(tokens_seen().await, [format!("SSWS {TOKEN}")]);

    // Split: the read-only okta-read, not the executors' okta.
    aws.put_org_secrets(
        "acme",
        &json!({"okta": credential(TOKEN), "okta-read": credential(READ_TOKEN)}),
    )
    .await;
    let (ok, out) = replay(&[]);
    assert!(ok, "{out}");
    assert!(!out.contains(READ_TOKEN) && !out.contains(TOKEN), "{out}");
    assert_eq!(tokens_seen().await, [format!("SSWS {READ_TOKEN}")]);

    // A file of either shape: okta-read when it has one, else okta.
    let file = std::env::temp_dir().join(format!("okta-hooks-replay-{}.json", std::process::id()));
    let file_arg = file.display().to_string();
    for (content, token) in [
        (json!({"okta": credential(TOKEN)}), TOKEN),
        (
            json!({"okta": credential(TOKEN), "okta-read": credential(READ_TOKEN)}),
            READ_TOKEN,
        ),
    ] {
        std::fs::write(&file, content.to_string()).expect("write");
        let (ok, out) = replay(&["--secret-file", &file_arg]);
        assert!(ok, "{out}");
        assert_eq!(tokens_seen().await, [format!("SSWS {token}")]);
    }
    let _ = std::fs::remove_file(&file);
}

/// A source FIFO queue whose redrive policy names a FIFO DLQ: (source, DLQ).
async fn queue_with_dlq(aws: &Aws, name: &str) -> (String, String) {
    let source = aws.fifo_queue(&format!("{name}.fifo")).await;
    let dlq = aws.fifo_queue(&format!("{name}-dlq.fifo")).await;
    let arn = aws
        .sqs
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("DLQ attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .expect("DLQ ARN");
    aws.sqs
        .set_queue_attributes()
        .queue_url(&source)
        .attributes(
            QueueAttributeName::RedrivePolicy,
            json!({"deadLetterTargetArn": arn, "maxReceiveCount": "5"}).to_string(),
        )
        .send()
        .await
        .expect("redrive policy");
    (source, dlq)
}

async fn put(aws: &Aws, queue: &str, body: &str, group: &str, dedup: &str) {
    aws.sqs
        .send_message()
        .queue_url(queue)
        .message_body(body)
        .message_group_id(group)
        .message_deduplication_id(dedup)
        .send()
        .await
        .expect("send");
}

fn sealed(id: &str, action: &str) -> String {
    json!({"kid": "k1", "sig": "c2lnbmF0dXJl",
           "payload": json!({"id": id, "action": action, "group": "g"}).to_string()})
    .to_string()
}

#[tokio::test]
async fn redrive_moves_letters_envelopes_and_raw_messages_back_to_the_source() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let (source, dlq) = queue_with_dlq(&aws, "users").await;
    let env = function_env(&moto.endpoint());

    // An executor's letter (shared/step-runner dead_letter) and a message the redrive
    // policy moved as it was.
    let letter_envelope = sealed("env-letter-1", "user.suspend");
    let letter = json!({
        "failure": {"class": "permanent", "error": "Not found: Resource not found: 00uGONE (User)",
                    "status": 404, "errorCode": "E0000007", "requestId": "req-404"},
        "family": "users", "envelopeId": "env-letter-1", "action": "user.suspend",
        "rule": "lock-down-on-suspicious-activity", "event": "ev-9", "org": "acme",
        "envelope": letter_envelope,
    })
    .to_string();
    let raw = sealed("env-raw-2", "user.unlock");
    put(&aws, &dlq, &letter, "00uGONE", "letter-dedup-1").await;
    put(&aws, &dlq, &raw, "00uRAW", "raw-dedup-2").await;

    // Dry run: both listed, nothing moved, both visible again.
    let (ok, out) = run(&["redrive", &dlq, "--dry-run"], &env);
    assert!(ok, "{out}");
    assert!(out.contains("group=00uGONE"), "{out}");
    assert!(
        out.contains("envelope=env-letter-1 action=user.suspend"),
        "{out}"
    );
    assert!(out.contains("E0000007"), "{out}");
    assert!(out.contains("group=00uRAW"), "{out}");
    assert!(
        out.contains("raw envelope=env-raw-2 action=user.unlock"),
        "{out}"
    );
    assert!(
        out.contains("2 message(s) on the DLQ; nothing moved"),
        "{out}"
    );
    assert_eq!(
        depth(&aws, &dlq).await,
        (2, 0),
        "the dry run left messages hidden"
    );
    assert_eq!(
        depth(&aws, &source).await,
        (0, 0),
        "the dry run moved something"
    );

    // The source from ListDeadLetterSourceQueues.
    let (ok, out) = run(&["redrive", &dlq], &env);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("moved 2 message(s) to {source}")),
        "{out}"
    );
    assert_eq!(depth(&aws, &dlq).await, (0, 0), "the DLQ is not empty");

    let mut moved = aws.drain(&source).await;
    moved.sort();
    assert_eq!(moved.len(), 2, "{moved:?}");
    let (group, dedup, body) = &moved[0];
    assert_eq!(group, "00uGONE");
    assert_eq!(body, &letter_envelope, "a letter goes back as its envelope");
    assert_ne!(dedup, "letter-dedup-1", "a fresh dedup id");
    let (group, dedup, body) = &moved[1];
    assert_eq!(group, "00uRAW");
    assert_eq!(body, &raw, "a raw message goes back as it is");
    assert_ne!(dedup, "raw-dedup-2", "a fresh dedup id");
}

#[tokio::test]
async fn redrive_honours_max_and_to_and_needs_a_known_source() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let env = function_env(&moto.endpoint());
    let orphan = aws.fifo_queue("orphan-dlq.fifo").await;
    let elsewhere = aws.fifo_queue("elsewhere.fifo").await;
    put(&aws, &orphan, &sealed("a", "user.suspend"), "g1", "d1").await;
    put(&aws, &orphan, &sealed("b", "user.suspend"), "g1", "d2").await;

    // No queue names it as its DLQ: refused, nothing touched.
    let (ok, out) = run(&["redrive", &orphan], &env);
    assert!(!ok, "{out}");
    assert!(out.contains("give --to"), "{out}");
    assert_eq!(depth(&aws, &orphan).await, (2, 0));

    // --to and --max 1: the first of the group moves, in order; the second stays.
    let (ok, out) = run(
        &["redrive", &orphan, "--to", &elsewhere, "--max", "1"],
        &env,
    );
    assert!(ok, "{out}");
    assert!(out.contains("moved 1 message(s)"), "{out}");
    let moved = aws.drain(&elsewhere).await;
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0].0, "g1");
    assert_eq!(moved[0].2, sealed("a", "user.suspend"));
    assert_eq!(depth(&aws, &orphan).await, (1, 0));
}

/// The "updated users" trigger (rules/profile-updated.yaml): a notify, only when a
/// sensitive attribute changed, and nothing else.
#[test]
fn the_updated_users_rule_notifies_only_on_sensitive_attributes() {
    let dir = std::env::temp_dir().join(format!("okta-hooks-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let event = |uuid: &str, actor: &str, changed: Option<&str>| {
        let mut event = log_event(
            uuid,
            "user.account.update_profile",
            "00uJANE",
            "2026-11-20T09:00:00.000Z",
        );
        event["actor"]["id"] = json!(actor);
        event["debugContext"] = match changed {
            Some(changed) => json!({"debugData": {"changedAttributes": changed}}),
            None => json!({"debugData": {}}),
        };
        let file = dir.join(format!("{uuid}.json"));
        std::fs::write(&file, event.to_string()).expect("write the event");
        file.display().to_string()
    };

    let (ok, out) = run(
        &[
            "rules",
            "test",
            &event("sensitive", "00uADMIN", Some("nickName, mobilePhone")),
        ],
        &[],
    );
    assert!(ok, "{out}");
    assert!(out.contains("rule profile-updated (would run)"), "{out}");
    assert!(
        out.contains(
            "00uJANE@example.com's profile changed (nickName, mobilePhone) by admin@example.com"
        ),
        "{out}"
    );
    let steps = out
        .lines()
        .filter(|l| l.trim_start().starts_with("1. "))
        .count();
    assert_eq!(steps, 1, "{out}");
    assert!(out.contains("1. notify.webhook"), "{out}");
    assert!(!out.contains("2. "), "only a notify: {out}");

    let (ok, out) = run(
        &["rules", "test", &event("self", "00uJANE", Some("title"))],
        &[],
    );
    assert!(ok, "{out}");
    assert!(out.contains("by the user themselves"), "{out}");

    for (uuid, changed) in [("benign", Some("nickName,displayName")), ("unnamed", None)] {
        let (ok, out) = run(&["rules", "test", &event(uuid, "00uADMIN", changed)], &[]);
        assert!(ok, "{out}");
        assert!(out.contains("no rule matches"), "{uuid}: {out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
