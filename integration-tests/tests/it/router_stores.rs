//! The router's DynamoDB stores against `moto_server`.

use std::time::Duration;

use aws_adapters::{DynamoCounter, DynamoLedger};
use integration_tests::{Aws, MotoServer};
use ports::{ActionCounter, EventLedger};

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
