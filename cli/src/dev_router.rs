//! The event router, in process, for `okta-hooks dev`: each accepted event is routed with
//! the same code as the `event-router` function, on memory stores and queues, and its
//! plans are printed instead of executed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actions::Family;
use fifo_queue::MemoryQueue;
use org_secrets::{OrgSecret, SecretCache};
use router::memory::{MemoryCounter, MemoryLedger};
use router::{Decision, Directory, Routed, Router, StoreError};
use rules::RuleSet;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::dev::LocalSecret;

/// There is no Okta org locally: rules that ask for enrichment say so.
pub struct OfflineDirectory;

impl Directory for OfflineDirectory {
    async fn user(
        &self,
        _org: &str,
        _user_id: &str,
        _with_groups: bool,
    ) -> Result<Value, StoreError> {
        Err(StoreError {
            store: "directory",
            reason: "no Okta org locally: a rule with `enrich` needs one (try `okta-hooks rules test --user`)".into(),
        })
    }
}

type LocalRouter =
    Router<MemoryLedger, MemoryCounter, OfflineDirectory, Arc<MemoryQueue>, LocalSecret>;

/// Starts the router task; send it events-queue message bodies.
pub fn spawn(rules: RuleSet, secret: OrgSecret) -> mpsc::UnboundedSender<String> {
    let router: LocalRouter = Router {
        rules,
        ledger: MemoryLedger::default(),
        counter: MemoryCounter::default(),
        directory: OfflineDirectory,
        queues: Family::ALL
            .into_iter()
            .map(|f| (f, Arc::new(MemoryQueue::new())))
            .collect::<HashMap<_, _>>(),
        secrets: Arc::new(SecretCache::new(
            LocalSecret(secret),
            Duration::from_secs(3600),
            Duration::ZERO,
        )),
        ledger_ttl: Duration::from_secs(86_400),
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Some(body) = rx.recv().await {
            print_routed(router.route(&body).await);
        }
    });
    tx
}

fn print_routed(result: Result<Routed, router::RouteError>) {
    match result {
        Err(error) => println!("  not routed: {error}"),
        Ok(Routed::Duplicate) => println!("  duplicate: already routed"),
        Ok(Routed::Done(outcomes)) if outcomes.is_empty() => println!("  no rule matches"),
        Ok(Routed::Done(outcomes)) => {
            for outcome in outcomes {
                let steps = outcome.plan.as_ref().map_or(0, |p| p.steps.len());
                let what = match outcome.decision {
                    Decision::Sent {
                        envelope_id,
                        family,
                        action,
                    } => format!(
                        "step 1 of {steps}: {action} → {} queue (envelope {})",
                        family.as_str(),
                        &envelope_id[..12]
                    ),
                    Decision::DryRun => format!("dry run, {steps} step(s) logged, not sent"),
                    Decision::Protected(reason) => format!("refused: {reason}"),
                    Decision::CapReached { cap } => {
                        format!("refused: the hourly cap of {cap} destructive actions is spent")
                    }
                    Decision::Failed(error) => format!("error: {error}"),
                };
                println!("  plan {}: {what}", outcome.rule_id);
                if let Some(plan) = outcome.plan {
                    for (i, step) in plan.steps.iter().enumerate() {
                        println!(
                            "    {}. {} {}",
                            i + 1,
                            step.action,
                            Value::Object(step.params.clone())
                        );
                    }
                }
            }
        }
    }
}
