//! An org the deployment does not serve costs nothing: `401` before any secret lookup,
//! and no cache grows, however many names a caller invents.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use fifo_queue::MemoryQueue;
use hook_receiver::{
    Authenticator, HookRequest, HookResponse, IngestHandler, ReceiverConfig, VerifyHandler,
};
use http::Method;
use org_secrets::{
    HookAuth, KnownOrgs, OrgName, OrgSecret, SecretError, SecretSource, StaticSecrets,
};

const SECRET: &str = "Basic b2t0YTpzM2NyM3QtdmFsdWU=";

/// A secret source that counts its reads: every read would be a Secrets Manager call.
#[derive(Clone)]
struct Counting {
    inner: StaticSecrets,
    reads: Arc<AtomicUsize>,
}

impl SecretSource for Counting {
    async fn fetch(&self, org: &OrgName) -> Result<OrgSecret, SecretError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.fetch(org).await
    }
}

impl Counting {
    fn new() -> Self {
        let hook = |value: &str| OrgSecret {
            hook: Some(HookAuth::new("Authorization", value, None)),
            ..Default::default()
        };
        Counting {
            inner: StaticSecrets::new()
                .with("default", hook(SECRET))
                .with("acme", hook(SECRET))
                // Has a secret in the account, but this deployment does not serve it.
                .with("elsewhere", hook(SECRET)),
            reads: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

fn config() -> ReceiverConfig {
    ReceiverConfig {
        orgs: KnownOrgs::new(OrgName::default_org(), [OrgName::parse("acme").unwrap()]),
        ..ReceiverConfig::default()
    }
}

fn ingest(source: &Counting) -> IngestHandler<MemoryQueue, Counting> {
    let config = config();
    let auth = Authenticator::for_config(source.clone(), &config);
    IngestHandler::new(config, auth, MemoryQueue::new())
}

fn verify(source: &Counting) -> VerifyHandler<Counting> {
    let config = config();
    let auth = Authenticator::for_config(source.clone(), &config);
    VerifyHandler::new(config, auth)
}

fn delivery(org: Option<&str>) -> HookRequest {
    HookRequest::new(Method::POST, org)
        .header("Authorization", SECRET)
        .header("Content-Type", "application/json")
        .body(okta_fixtures::read_event(
            "event-hook-delivery.user.session.start.json",
        ))
}

fn challenge(org: Option<&str>) -> HookRequest {
    HookRequest::new(Method::GET, org)
        .header("Authorization", SECRET)
        .header("X-Okta-Verification-Challenge", "challenge-1")
}

fn assert_unauthorized(response: &HookResponse) {
    assert_eq!(response.status, 401, "{}", response.body);
    assert!(response.body.contains(r#""code":"unauthorized""#));
}

#[tokio::test]
async fn a_delivery_for_an_unknown_org_is_refused_with_no_secret_read() {
    let source = Counting::new();
    let handler = ingest(&source);
    for org in ["stranger", "elsewhere"] {
        assert_unauthorized(&handler.handle(&delivery(Some(org))).await);
    }
    assert_eq!(source.reads(), 0);
}

#[tokio::test]
async fn a_challenge_for_an_unknown_org_is_refused_with_no_secret_read() {
    let source = Counting::new();
    let handler = verify(&source);
    for org in ["stranger", "elsewhere"] {
        assert_unauthorized(&handler.handle(&challenge(Some(org))).await);
    }
    assert_eq!(source.reads(), 0);
}

#[tokio::test]
async fn many_distinct_unknown_orgs_read_nothing_and_grow_no_cache() {
    let source = Counting::new();
    let ingest = ingest(&source);
    let verify = verify(&source);
    for i in 0..500 {
        let org = format!("invented-{i}");
        assert_unauthorized(&ingest.handle(&delivery(Some(&org))).await);
        assert_unauthorized(&verify.handle(&challenge(Some(&org))).await);
    }
    assert_eq!(source.reads(), 0);
    assert_eq!(ingest.authenticator().cached_orgs().await, 0);
    assert_eq!(verify.authenticator().cached_orgs().await, 0);
}

#[tokio::test]
async fn the_configured_orgs_still_work_with_one_read_each() {
    let source = Counting::new();
    let ingest = ingest(&source);
    let verify = verify(&source);
    for org in [None, Some("default"), Some("acme")] {
        let response = ingest.handle(&delivery(org)).await;
        assert_eq!(response.status, 200, "{org:?}: {}", response.body);
        let response = verify.handle(&challenge(org)).await;
        assert_eq!(response.status, 200, "{org:?}: {}", response.body);
        assert!(response.body.contains("challenge-1"));
    }
    // default and acme, once per handler; then from memory.
    assert_eq!(source.reads(), 4);
    assert_eq!(ingest.authenticator().cached_orgs().await, 2);
}

#[tokio::test]
async fn a_path_that_is_no_org_name_is_a_bad_request() {
    let source = Counting::new();
    let response = ingest(&source).handle(&delivery(Some("a b"))).await;
    assert_eq!(response.status, 400, "{}", response.body);
    assert_eq!(source.reads(), 0);
}
