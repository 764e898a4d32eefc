//! No secret value, and no presented auth header value, reaches a log line or a response.

use std::time::Duration;

use fifo_queue::{FailedEntry, FifoMessage, FifoQueue, MemoryQueue, QueueError};
use hook_receiver::{Authenticator, HookRequest, IngestHandler, ReceiverConfig, VerifyHandler};
use http::Method;
use org_secrets::{
    HookAuth, KnownOrgs, OrgName, OrgSecret, SecretCache, SecretError, SecretSource, StaticSecrets,
};

const CURRENT: &str = "current-SECRET-7f3a";
const PREVIOUS: &str = "previous-SECRET-91bc";
const GUESS: &str = "guessed-VALUE-55d0";

struct DownQueue;

impl FifoQueue for DownQueue {
    async fn send_batch(&self, _: &[FifoMessage]) -> Result<Vec<FailedEntry>, QueueError> {
        Err(QueueError::new("connection refused"))
    }
}

/// A store that fails, with a message of its own, for org "flaky".
struct Flaky(StaticSecrets);

impl SecretSource for Flaky {
    async fn fetch(&self, org: &OrgName) -> Result<OrgSecret, SecretError> {
        if org.as_str() == "flaky" {
            return Err(SecretError::Unavailable {
                org: org.to_string(),
                reason: "timeout".into(),
            });
        }
        self.0.fetch(org).await
    }
}

fn auth() -> Authenticator<Flaky> {
    let store = StaticSecrets::new().with(
        "default",
        OrgSecret {
            hook: Some(HookAuth::new("Authorization", CURRENT, Some(PREVIOUS))),
            ..Default::default()
        },
    );
    Authenticator::new(SecretCache::new(
        Flaky(store),
        Duration::from_secs(60),
        Duration::ZERO,
    ))
}

fn request(method: Method, org: Option<&str>, value: &str) -> HookRequest {
    HookRequest::new(method, org)
        .header("authorization", value)
        .header("content-type", "application/json")
        .header("x-okta-verification-challenge", "challenge-1")
        .body(okta_fixtures::read_event(
            "event-hook-delivery.user.session.start.json",
        ))
}

#[tokio::test(flavor = "current_thread")]
async fn every_path_logs_without_secret_values() {
    let captured = okta_fixtures::CapturedLogs::json();

    let org = |name: &str| OrgName::parse(name).unwrap();
    let config = ReceiverConfig {
        orgs: KnownOrgs::new(org("default"), [org("flaky"), org("ghost")]),
        ..ReceiverConfig::default()
    };
    let ok = IngestHandler::new(config.clone(), auth(), MemoryQueue::new());
    let down = IngestHandler::new(config.clone(), auth(), DownQueue);
    let verify = VerifyHandler::new(config, auth());
    let mut bodies = Vec::new();
    for value in [CURRENT, PREVIOUS, GUESS] {
        bodies.push(ok.handle(&request(Method::POST, None, value)).await);
        bodies.push(down.handle(&request(Method::POST, None, value)).await);
        bodies.push(verify.handle(&request(Method::GET, None, value)).await);
        bodies.push(
            ok.handle(&request(Method::POST, Some("flaky"), value))
                .await,
        );
        bodies.push(
            ok.handle(&request(Method::POST, Some("ghost"), value))
                .await,
        );
    }
    let statuses: Vec<u16> = bodies.iter().map(|r| r.status.as_u16()).collect();
    assert!(statuses.contains(&200) && statuses.contains(&401) && statuses.contains(&503));

    let logs = captured.contents();
    assert!(logs.lines().count() >= 10, "the paths did log: {logs}");
    for value in [CURRENT, PREVIOUS, GUESS] {
        assert!(!logs.contains(value), "{value} reached a log line:\n{logs}");
        assert!(
            bodies.iter().all(|r| !r.body.contains(value)),
            "{value} reached a response"
        );
    }
}
