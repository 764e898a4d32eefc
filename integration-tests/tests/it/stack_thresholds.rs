//! A threshold rule through the deployed stack: five failed sign-ins of one user within
//! ten minutes, each delivered several times (Okta's retries, overlapping deliveries,
//! out of order), suspend that user exactly once; four of another user's suspend nothing.
//! The count lives in the stack's counter table (DynamoDB in moto), which the router's
//! role may read and update.

use std::time::Duration;

use integration_tests::stack::{LocalStack, StackOptions};
use okta_double::{OktaDouble, User};
use serde_json::{Value, json};

const SETTLES_WITHIN: Duration = Duration::from_secs(90);
const ATTACKED: &str = "00uBRUTE1";
const BELOW: &str = "00uBRUTE2";

const RULES: &str = r#"rules:
  - id: brute-force-suspend
    on: [user.session.start]
    if: outcome.result == "FAILURE" && actor.type == "User"
    threshold: {count: 5, within: 10m, by: actor.id}
    suppress: {for: 1h, by: actor.id}
    do:
      - action: user.suspend
        user: ${ actor.id }
"#;

/// A failed sign-in of `user` at 10:`minute`.
fn failure(n: u32, user: &str, minute: u32) -> Value {
    json!({
        "uuid": format!("bf-{user}-{n}"),
        "eventType": "user.session.start",
        "published": format!("2026-11-30T10:{minute:02}:00.000Z"),
        "severity": "WARN",
        "actor": {"id": user, "type": "User", "alternateId": format!("{user}@example.com")},
        "outcome": {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
        "target": [],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failed_sign_ins_delivered_many_times_suspend_the_user_once() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active(ATTACKED, "attacked@example.com"));
    okta.add_user(User::active(BELOW, "below@example.com"));
    let rules = tempfile_dir();
    std::fs::write(rules.join("brute-force.yaml"), RULES).unwrap();
    let mut options = StackOptions::new(
        "it-thresholds",
        &okta.org_url(),
        OktaDouble::DEFAULT_TOKEN,
        json!({}),
    );
    options.rules = Some(rules.clone());
    let stack = LocalStack::up(options).await;

    let attacked: Vec<Value> = (1..=5).map(|n| failure(n, ATTACKED, n)).collect();
    let below: Vec<Value> = (1..=4).map(|n| failure(n, BELOW, n)).collect();
    // Out of order and overlapping: every event of the attacked user three times.
    let deliveries = [
        vec![attacked[2].clone(), attacked[0].clone(), below[0].clone()],
        vec![attacked[0].clone(), attacked[3].clone(), below[1].clone()],
        vec![
            attacked[1].clone(),
            attacked[2].clone(),
            attacked[3].clone(),
        ],
        vec![attacked[4].clone(), below[2].clone(), attacked[1].clone()],
        vec![attacked[4].clone(), attacked[0].clone(), below[3].clone()],
        vec![
            attacked[3].clone(),
            attacked[1].clone(),
            attacked[4].clone(),
            attacked[2].clone(),
        ],
    ];
    for delivery in &deliveries {
        assert_eq!(stack.deliver(delivery).await, 200);
    }
    stack
        .wait_until("the attacked user suspended", SETTLES_WITHIN, || async {
            okta.status(ATTACKED) == Some("SUSPENDED")
        })
        .await;
    stack.settled(SETTLES_WITHIN).await;
    stack.no_letters().await;

    assert_eq!(okta.applied("suspend", ATTACKED), 1, "suspended once");
    assert_eq!(
        okta.status(BELOW),
        Some("ACTIVE"),
        "four failures are below the threshold"
    );
    assert_eq!(okta.applied_total("suspend"), 1);
    // The counts are in the counter table, under the rule and the user.
    let table = stack.state["outputs"]["CounterTableName"]
        .as_str()
        .expect("the CounterTableName output")
        .to_owned();
    let items = stack
        .aws
        .dynamodb
        .scan()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let keys: Vec<String> = items
        .items()
        .iter()
        .filter_map(|i| i.get("pk")?.as_s().ok().cloned())
        .collect();
    for key in [
        format!("window#brute-force-suspend#{ATTACKED}"),
        format!("window#brute-force-suspend#{BELOW}"),
        format!("quiet#brute-force-suspend#{ATTACKED}"),
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert!(
        stack.denied().await.is_empty(),
        "no call outside a role: {:?}",
        stack.denied().await
    );
    std::fs::remove_dir_all(rules).ok();
}

/// A fresh directory of this test's own.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("okta-hooks-it-thresholds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
