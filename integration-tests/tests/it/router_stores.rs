//! The router's DynamoDB stores against `moto_server`.

use std::time::Duration;

use aws_adapters::{DynamoCounter, DynamoLedger};
use integration_tests::{Aws, MotoServer};
use ports::{ActionCounter, EventLedger, WindowStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_marks_an_event_once_and_remembers_it() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.table("ledger").await;
    let ledger = DynamoLedger::from_config(&aws.config, "ledger");
    let ttl = Duration::from_secs(3600);

    assert!(!ledger.is_done("uuid-1").await.unwrap());
    assert!(ledger.mark_done("uuid-1", ttl).await.unwrap());
    assert!(
        !ledger.mark_done("uuid-1", ttl).await.unwrap(),
        "the conditional put refuses a second mark"
    );
    assert!(ledger.is_done("uuid-1").await.unwrap());
    assert!(!ledger.is_done("uuid-2").await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marked_event_is_one_item_of_its_key_and_expiry_only_and_the_poller_reads_it() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.table("ledger").await;
    let ledger = DynamoLedger::from_config(&aws.config, "ledger");
    assert!(
        ledger
            .mark_done("uuid-1", Duration::from_secs(3600))
            .await
            .unwrap()
    );

    let scan = aws
        .dynamodb
        .scan()
        .table_name("ledger")
        .send()
        .await
        .unwrap();
    let items = scan.items();
    assert_eq!(items.len(), 1);
    let mut attributes: Vec<&str> = items[0].keys().map(String::as_str).collect();
    attributes.sort_unstable();
    assert_eq!(attributes, ["expires_at", "pk"], "{items:?}");
    assert_eq!(items[0]["pk"].as_s().unwrap(), "event#uuid-1");
    // The poller's eventually consistent reader sees the mark.
    let poller = DynamoLedger::from_config(&aws.config, "ledger").eventually_consistent();
    assert!(poller.is_done("uuid-1").await.unwrap());
    assert!(!poller.is_done("uuid-2").await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counter_holds_the_hourly_cap() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.table("counters").await;
    let counter = DynamoCounter::from_config(&aws.config, "counters");

    assert!(
        counter
            .try_take("lock-down", 100, "e1", 2, 3)
            .await
            .unwrap()
    );
    let again = counter
        .try_take("lock-down", 100, "e1", 2, 3)
        .await
        .unwrap();
    assert!(again, "a retry of e1 is allowed and not counted twice");
    assert!(
        !counter
            .try_take("lock-down", 100, "e2", 2, 3)
            .await
            .unwrap(),
        "2 + 2 > 3"
    );
    assert!(
        counter
            .try_take("lock-down", 100, "e3", 1, 3)
            .await
            .unwrap()
    );
    assert!(
        !counter
            .try_take("lock-down", 100, "e4", 1, 3)
            .await
            .unwrap(),
        "the cap is reached"
    );
    let next_hour = counter
        .try_take("lock-down", 101, "e4", 3, 3)
        .await
        .unwrap();
    assert!(next_hour, "the next hour starts afresh");
    let other = counter
        .try_take("other-rule", 100, "e4", 3, 3)
        .await
        .unwrap();
    assert!(other, "rules count apart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_table_is_an_error_not_a_pass() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    let ledger = DynamoLedger::from_config(&aws.config, "no-such-table");
    assert!(ledger.is_done("uuid-1").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_store_writes_only_over_the_version_it_read() {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.table("counters").await;
    let windows = DynamoCounter::from_config(&aws.config, "counters");
    let ttl = Duration::from_secs(3600);

    assert_eq!(windows.load("window#r#k").await.unwrap(), None);
    assert!(windows.save("window#r#k", "one", 0, ttl).await.unwrap());
    assert!(
        !windows.save("window#r#k", "lost", 0, ttl).await.unwrap(),
        "a second first write loses"
    );
    let stored = windows.load("window#r#k").await.unwrap().unwrap();
    assert_eq!((stored.state.as_str(), stored.version), ("one", 1));
    assert!(windows.save("window#r#k", "two", 1, ttl).await.unwrap());
    assert!(!windows.save("window#r#k", "stale", 1, ttl).await.unwrap());
    assert_eq!(
        windows.load("window#r#k").await.unwrap().unwrap().state,
        "two"
    );
    // A key longer than DynamoDB takes is stored under its hash, apart from its prefix.
    let long = format!("window#r#{}", "x".repeat(3000));
    assert!(windows.save(&long, "long", 0, ttl).await.unwrap());
    assert_eq!(windows.load(&long).await.unwrap().unwrap().state, "long");
    let longer = format!("{long}y");
    assert_eq!(windows.load(&longer).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_routers_counting_five_failures_at_once_fire_once() {
    use std::collections::HashMap;
    use std::sync::Arc;

    use actions::Family;
    use aws_adapters::memory::MemoryLedger;
    use fifo_queue::MemoryQueue;
    use okta_adapters::memory::StaticDirectory;
    use org_secrets::{OrgSecret, SecretCache, SigningKeys, StaticSecrets};
    use router::{Decision, Routed, Router};
    use rules::RuleSet;

    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.table("counters").await;
    let rules = RuleSet::from_sources(&[(
        "rules.yaml",
        r#"rules:
  - id: brute-force
    on: [user.session.start]
    if: outcome.result == "FAILURE"
    threshold: {count: 5, within: 10m, by: actor.id}
    do:
      - action: user.suspend
        user: ${ actor.id }
"#,
    )])
    .unwrap();
    let users = Arc::new(MemoryQueue::new());
    let secret = OrgSecret {
        signing: Some(SigningKeys::new(
            "k1",
            &[("k1", "router-test-key-0123456789abcdef0123")],
        )),
        ..Default::default()
    };
    // Three routers, each with its own ledger (so each sees every event: the worst case
    // of redeliveries), counting in one table.
    let routers: Vec<_> = (0..3)
        .map(|_| {
            let queues: HashMap<Family, Arc<MemoryQueue>> = Family::ALL
                .into_iter()
                .map(|f| (f, Arc::clone(&users)))
                .collect();
            Router::builder(
                rules.clone(),
                queues,
                Arc::new(SecretCache::new(
                    StaticSecrets::new().with("default", secret.clone()),
                    Duration::from_secs(60),
                    Duration::ZERO,
                )),
            )
            .ledger(MemoryLedger::default())
            .counter(DynamoCounter::from_config(&aws.config, "counters"))
            .directory(StaticDirectory::default())
            .build()
        })
        .collect();
    let body = |n: u32| {
        serde_json::json!({"org": "default", "source": "hook", "event": {
            "uuid": format!("e{n}"),
            "eventType": "user.session.start",
            "published": format!("2026-11-30T10:0{n}:00Z"),
            "actor": {"id": "00u1", "type": "User"},
            "outcome": {"result": "FAILURE"},
        }})
        .to_string()
    };
    let bodies: Vec<String> = (1..=5).map(body).collect();
    let mut runs = Vec::new();
    for router in &routers {
        for body in &bodies {
            runs.push(router.route(body));
        }
    }
    let mut fired_by = std::collections::BTreeSet::new();
    for routed in futures_util::future::join_all(runs).await {
        let Routed::Done(outcomes) = routed.unwrap() else {
            panic!("each router routes each event once")
        };
        for outcome in outcomes {
            if let Decision::Sent { envelope_id, .. } = outcome.decision {
                fired_by.insert(envelope_id);
            }
        }
    }
    assert_eq!(
        fired_by.len(),
        1,
        "one firing, whichever router made it: {fired_by:?}"
    );
    assert_eq!(users.messages().len(), 1, "one suspend queued");
}
