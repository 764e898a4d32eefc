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
//!
//! The same function takes action requests from a second queue
//! (`OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN`): a batch whose messages come from it goes to
//! [`Router::take_request`] (see `router::request` for why the router takes them).

use std::sync::Arc;

use aws_adapters::{
    DynamoCounter, DynamoLedger, EventBridgeResults, SecretsManagerSource, SqsFifoQueue,
};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use okta_adapters::{OktaClients, OktaDirectory};
use router::{
    CachingDirectory, DeadLetters, Decision, Received, RequestMessage, RouteError, Routed, Router,
    Settled, Taken,
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
    /// The requests queue's ARN, when the router takes action requests: its messages
    /// are requests, every other message an event.
    pub requests_queue_arn: Option<String>,
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
    // One SQS client for every queue, built when the first plan is sent.
    let sqs = SqsFifoQueue::client(aws);
    let queues = config
        .queue_urls
        .iter()
        .map(|(family, url)| (*family, SqsFifoQueue::shared(&sqs, url)))
        .collect();
    let directory = CachingDirectory::new(OktaDirectory::new(OktaClients::new(
        secrets.clone(),
        "event-router",
    )));
    let mut router = Router::builder(rules, queues, secrets)
        .ledger(DynamoLedger::from_config(aws, &config.ledger_table))
        .counter(DynamoCounter::from_config(aws, &config.counter_table))
        .directory(directory)
        .ledger_ttl(config.ledger_ttl)
        .results(Arc::new(EventBridgeResults::from_config(
            aws,
            &config.event_bus,
        )));
    if let Some(requests) = &config.requests {
        router = router.requests(
            SqsFifoQueue::shared(&sqs, &requests.dlq_url),
            requests.settings.clone(),
        );
    }
    let router = router.build();
    Ok(AppRouter {
        router,
        dead_letters: DeadLetters {
            queue: SqsFifoQueue::shared(&sqs, &config.events_dlq_url),
            max_receive_count: config.max_receive_count,
        },
        requests_queue_arn: config.requests.as_ref().map(|r| r.queue_arn.clone()),
    })
}

/// Routes one SQS batch; failed events are reported for retry, in FIFO order.
pub async fn handle(app: &AppRouter, event: SqsEvent) -> SqsBatchResponse {
    // Enrichment answers serve one invocation only: a user's groups may change.
    app.router.directory().clear();
    let from_requests = |m: &SqsMessage| {
        app.requests_queue_arn.is_some() && m.event_source_arn == app.requests_queue_arn
    };
    if event.records.first().is_some_and(from_requests) {
        // One mapping, one queue: a batch of the requests queue holds only requests.
        return lambda_support::process_fifo_batch(event, |message| take(app, message)).await;
    }
    lambda_support::process_fifo_batch(event, |message| route(app, message)).await
}

/// Takes one action request. `Ok`: done (sent, a duplicate, or refused with a letter and
/// a result); `Err`: retried.
async fn take(app: &AppRouter, message: SqsMessage) -> Result<(), RouteError> {
    let request = RequestMessage {
        body: message.body.as_deref().unwrap_or_default(),
        message_id: message.message_id.as_deref().unwrap_or_default(),
        sender_id: message
            .attributes
            .get("SenderId")
            .map_or("", String::as_str),
        receive_count: lambda_support::receive_count(&message),
    };
    let metric = match app.router.take_request(request).await? {
        Taken::Sent { .. } => "RequestsSent",
        Taken::Duplicate { .. } => "RequestsDeduplicated",
        Taken::Refused { .. } => "RequestsRefused",
    };
    emf::emit(
        emf::NAMESPACE,
        &[("function", "event-router")],
        &[emf::count(metric, 1)],
    );
    Ok(())
}

/// Routes one message. `Ok`: done (routed, or on the DLQ with a letter); `Err`: retried.
async fn route(app: &AppRouter, message: SqsMessage) -> Result<(), RouteError> {
    let receive_count = lambda_support::receive_count(&message);
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

/// `EventsRouted` or `EventsDeduplicated`, and what became of the plans: `PlansSent`,
/// `PlansDryRun`, `PlansRefused`, `PlansFailed`, each only when not zero (most events
/// make no plan). CloudWatch bills a metric for every hour it receives a value, a zero
/// too, and a `Sum` over no value is the same zero on the dashboard.
fn metrics(routed: &Routed) -> Vec<emf::Metric> {
    let Routed::Done(outcomes) = routed else {
        return vec![emf::count("EventsDeduplicated", 1)];
    };
    let count =
        |f: fn(&Decision) -> bool| outcomes.iter().filter(|o| f(&o.decision)).count() as u64;
    let plans = [
        ("PlansSent", count(|d| matches!(d, Decision::Sent { .. }))),
        ("PlansDryRun", count(|d| matches!(d, Decision::DryRun))),
        (
            "PlansRefused",
            count(|d| matches!(d, Decision::Protected(_) | Decision::CapReached { .. })),
        ),
        ("PlansFailed", count(|d| matches!(d, Decision::Failed(_)))),
    ];
    std::iter::once(emf::count("EventsRouted", 1))
        .chain(
            plans
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .map(|(name, n)| emf::count(name, n)),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use router::PlanOutcome;

    fn outcome(decision: Decision) -> PlanOutcome {
        PlanOutcome {
            rule_id: "r".into(),
            decision,
            plan: None,
        }
    }

    fn names(metrics: &[emf::Metric]) -> Vec<(&str, f64)> {
        metrics.iter().map(|m| (m.name, m.value)).collect()
    }

    #[test]
    fn an_event_no_rule_acts_on_counts_as_routed_and_nothing_else() {
        assert_eq!(
            names(&metrics(&Routed::Done(Vec::new()))),
            [("EventsRouted", 1.0)]
        );
    }

    #[test]
    fn only_the_plan_outcomes_that_happened_are_counted() {
        let routed = Routed::Done(vec![
            outcome(Decision::DryRun),
            outcome(Decision::DryRun),
            outcome(Decision::CapReached { cap: 1 }),
        ]);
        assert_eq!(
            names(&metrics(&routed)),
            [
                ("EventsRouted", 1.0),
                ("PlansDryRun", 2.0),
                ("PlansRefused", 1.0)
            ]
        );
    }

    #[test]
    fn a_duplicate_counts_as_deduplicated() {
        assert_eq!(
            names(&metrics(&Routed::Duplicate)),
            [("EventsDeduplicated", 1.0)]
        );
    }
}
