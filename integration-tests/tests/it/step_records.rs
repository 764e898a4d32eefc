//! The executors' idempotency records in DynamoDB (`moto_server`): claims, leases, done
//! records, and the retryable-failure count that lets a step give up on its last attempt.

use std::time::Duration;

use aws_adapters::DynamoStepRecords;
use integration_tests::{Aws, MotoServer};
use ports::{Claim, StepRecords};
use serde_json::json;

const LEASE: Duration = Duration::from_secs(120);
const TTL: Duration = Duration::from_secs(3600);

async fn records() -> (DynamoStepRecords, MotoServer) {
    let moto = MotoServer::start();
    let aws = Aws::new(&moto.endpoint()).await;
    aws.table("steps").await;
    (DynamoStepRecords::from_config(&aws.config, "steps"), moto)
}

#[tokio::test]
async fn failures_are_counted_across_claims_throttled_waits_are_not_and_a_release_forgets_them() {
    let (records, _moto) = records().await;
    assert_eq!(
        records.claim("e1", LEASE).await.ok(),
        Some(Claim::Claimed { failures: 0 })
    );
    // Held by this run: another claim is refused for the lease.
    assert!(matches!(
        records.claim("e1", LEASE).await,
        Ok(Claim::Busy { .. })
    ));
    records
        .retry_later("e1", true, TTL)
        .await
        .expect("released for a retry");
    assert_eq!(
        records.claim("e1", LEASE).await.ok(),
        Some(Claim::Claimed { failures: 1 })
    );
    records
        .retry_later("e1", false, TTL)
        .await
        .expect("a throttled wait");
    assert_eq!(
        records.claim("e1", LEASE).await.ok(),
        Some(Claim::Claimed { failures: 1 })
    );
    records
        .retry_later("e1", true, TTL)
        .await
        .expect("released for a retry");
    assert_eq!(
        records.claim("e1", LEASE).await.ok(),
        Some(Claim::Claimed { failures: 2 })
    );
    // A permanent failure releases the record: a redrive starts with a fresh budget.
    records.release("e1").await.expect("released");
    assert_eq!(
        records.claim("e1", LEASE).await.ok(),
        Some(Claim::Claimed { failures: 0 })
    );
}

#[tokio::test]
async fn a_done_step_stays_done_whatever_a_late_retry_or_release_says() {
    let (records, _moto) = records().await;
    records.claim("e2", LEASE).await.expect("claimed");
    records
        .complete("e2", &json!({"id": "00g1"}), TTL)
        .await
        .expect("done");
    records
        .retry_later("e2", true, TTL)
        .await
        .expect("a late retry is a no-op");
    records
        .release("e2")
        .await
        .expect("a late release is a no-op");
    assert_eq!(
        records.claim("e2", LEASE).await.ok(),
        Some(Claim::Done {
            output: json!({"id": "00g1"})
        })
    );
}
