//! `event-router`: for each event on the events queue, the plans of the matching rules,
//! each plan's first step signed and sent to its family's queue.
//!
//! [`build`] loads and checks the rules (built in, or `OKTA_HOOKS_RULES_DIR`) and wires
//! the AWS and Okta adapters once per cold start; a rule error stops it with the file
//! and line. [`handle`] runs one SQS batch: an event that cannot be routed is retried
//! while that may help, and otherwise — at once for a permanent failure, on the last
//! receive (`OKTA_HOOKS_MAX_RECEIVE_COUNT`) for a transient one — leaves a letter on the
//! events DLQ (`OKTA_HOOKS_EVENTS_DLQ_URL`) saying why, instead of SQS's redrive moving
//! it there unexplained.

use std::sync::Arc;

use aws_adapters::{DynamoCounter, DynamoLedger, SecretsManagerSource, SqsFifoQueue};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use okta_adapters::{OktaClients, OktaDirectory};
use router::{
    CachingDirectory, DeadLetters, Decision, Received, RouteError, Routed, Router, Settled,
};

pub use router::RouterConfig;

/// The router with its AWS adapters, and the events DLQ for its letters.
pub struct AppRouter {
    /// Routes each message; its enrichment directory caches answers for one invocation
    /// only ([`handle`] clears it first).
    pub router: Router<
        DynamoLedger,
        DynamoCounter,
        CachingDirectory<OktaDirectory<SecretsManagerSource>>,
        SqsFifoQueue,
        SecretsManagerSource,
    >,
    /// Settles each routing result: a message that will not route is put on the events
    /// DLQ with a letter saying why, or left on the queue for a retry.
    pub dead_letters: DeadLetters<SqsFifoQueue>,
}

/// The composition root: the router from its configuration, with the AWS adapters
/// (stores, queues, secrets) and the Okta directory; once per cold start.
pub fn build(
    config: &RouterConfig,
    aws: &aws_config::SdkConfig,
) -> Result<AppRouter, shipped_rules::RulesError> {
    let rules = shipped_rules::load(config.rules_dir.as_deref())?;
    let secrets = Arc::new(SecretsManagerSource::cache(
        aws,
        &config.secrets,
        org_secrets::SecretReads::router(),
    ));
    let queues = config
        .queue_urls
        .iter()
        .map(|(family, url)| (*family, SqsFifoQueue::from_config(aws, url)))
        .collect();
    let directory = CachingDirectory::new(OktaDirectory::new(OktaClients::new(
        secrets.clone(),
        "event-router",
    )));
    let router = Router::builder(rules, queues, secrets)
        .ledger(DynamoLedger::from_config(aws, &config.ledger_table))
        .counter(DynamoCounter::from_config(aws, &config.counter_table))
        .directory(directory)
        .ledger_ttl(config.ledger_ttl)
        .build();
    Ok(AppRouter {
        router,
        dead_letters: DeadLetters {
            queue: SqsFifoQueue::from_config(aws, &config.events_dlq_url),
            max_receive_count: config.max_receive_count,
        },
    })
}

/// Routes one SQS batch; failed events are reported for retry, in FIFO order.
pub async fn handle(app: &AppRouter, event: SqsEvent) -> SqsBatchResponse {
    // Enrichment answers serve one invocation only: a user's groups may change.
    app.router.directory().clear();
    lambda_support::process_fifo_batch(event, |message| route(app, message)).await
}

/// Routes one message. `Ok`: done (routed, or on the DLQ with a letter); `Err`: retried.
async fn route(app: &AppRouter, message: SqsMessage) -> Result<(), RouteError> {
    let receive_count = message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let group_id = message.attributes.get(lambda_support::FIFO_GROUP_ATTRIBUTE);
    let body = message.body.as_deref().unwrap_or_default();
    let received = Received {
        body,
        group_id: group_id.map(String::as_str),
        receive_count,
    };
    let result = app.router.route(body).await;
    let metrics = match app.dead_letters.settle(received, result).await? {
        Settled::Routed(routed) => metrics(&routed),
        Settled::DeadLettered { .. } => vec![emf::count("EventsDeadLettered", 1)],
    };
    emf::emit(emf::NAMESPACE, &[("function", "event-router")], &metrics);
    Ok(())
}

/// `EventsRouted` or `EventsDeduplicated`, and what became of the plans.
fn metrics(routed: &Routed) -> Vec<emf::Metric> {
    let Routed::Done(outcomes) = routed else {
        return vec![emf::count("EventsDeduplicated", 1)];
    };
    let count =
        |f: fn(&Decision) -> bool| outcomes.iter().filter(|o| f(&o.decision)).count() as u64;
    vec![
        emf::count("EventsRouted", 1),
        emf::count("PlansSent", count(|d| matches!(d, Decision::Sent { .. }))),
        emf::count("PlansDryRun", count(|d| matches!(d, Decision::DryRun))),
        emf::count(
            "PlansRefused",
            count(|d| matches!(d, Decision::Protected(_) | Decision::CapReached { .. })),
        ),
        emf::count("PlansFailed", count(|d| matches!(d, Decision::Failed(_)))),
    ]
}
