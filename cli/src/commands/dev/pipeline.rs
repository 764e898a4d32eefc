//! The router and the action executors, in process, for `okta-hooks dev`: each accepted
//! event is routed and its plans run step by step with the same code as the functions,
//! on memory stores and queues.
//!
//! Without an org every Okta request is printed, not sent (an offline dry run). With
//! `--okta-domain` and a credential, reads go to the org and writes too — unless
//! `--dry-run`, which prints them instead.
//!
//! Action requests (`POST /actions`) go through the router's intake as they would from
//! the requests queue; the answer is the plan's result.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use action_calls::WebhookSender;
use actions::Family;
use aws_adapters::memory::{MemoryCounter, MemoryLedger, MemoryRecords, MemoryResults};
use fifo_queue::MemoryQueue;
use okta_adapters::memory::FixedOkta;
use okta_adapters::{OktaClients, OktaDirectory};
use okta_client::{OktaClient, RequestLog};
use org_secrets::{
    ExecutorCredentials, KnownOrgs, OrgName, SecretCache, SecretReads, SecretsConfig, StaticSecrets,
};
use ports::{AccessError, Directory, DirectoryError, OktaAccess};
use router::{
    CachingDirectory, Decision, ReplyQueues, RequestMessage, RequestSettings, Routed, Router, Taken,
};
use rules::RuleSet;
use serde_json::{Value, json};
use step_runner::{Ran, Retry, Settings, StepRunner};
use tokio::sync::{mpsc, oneshot};

/// Longest wait the local runner sits out for a retry (a 429's reset, a backoff).
const MAX_LOCAL_WAIT: Duration = Duration::from_secs(60);

/// Where Okta calls go.
#[derive(Debug, Clone, Copy)]
pub enum DevOkta {
    /// No org: every request printed, none sent.
    Offline,
    /// A real org (the credential is in the local secret); `dry_run` prints writes.
    Org { dry_run: bool },
}

/// Enrichment: the org's users, or an explanation that there is no org.
pub enum DevDirectory {
    Offline,
    Okta(Box<CachingDirectory<OktaDirectory<StaticSecrets>>>),
}

impl Directory for DevDirectory {
    async fn user(
        &self,
        org: &OrgName,
        user_id: &str,
        with_groups: bool,
    ) -> Result<Option<Value>, DirectoryError> {
        match self {
            DevDirectory::Okta(directory) => directory.user(org, user_id, with_groups).await,
            DevDirectory::Offline => Err(DirectoryError::permanent(
                "no Okta org locally: a rule with `enrich` needs --okta-domain (or try `okta-hooks rules test --user`)",
            )),
        }
    }
}

/// Okta clients: the offline recorder, or the org's.
pub enum DevAccess {
    Offline(FixedOkta),
    /// Boxed: far larger than the offline recorder.
    Org(Box<OktaClients<StaticSecrets>>),
}

impl OktaAccess for DevAccess {
    async fn client(&self, org: &OrgName, dry_run: bool) -> Result<OktaClient, AccessError> {
        match self {
            DevAccess::Offline(fixed) => fixed.client(org, true).await,
            DevAccess::Org(clients) => OktaAccess::client(clients.as_ref(), org, dry_run).await,
        }
    }

    async fn renew(&self, org: &OrgName) -> bool {
        match self {
            DevAccess::Offline(_) => false,
            DevAccess::Org(clients) => OktaAccess::renew(clients.as_ref(), org).await,
        }
    }
}

type Queue = Arc<MemoryQueue>;
type LocalRouter = Router<MemoryLedger, MemoryCounter, DevDirectory, Queue, StaticSecrets>;
type LocalRunner = StepRunner<MemoryRecords, Queue, DevAccess, StaticSecrets>;

/// What the pipeline is given: an events-queue body, or an action request with where
/// to answer.
pub enum Input {
    /// An events-queue message body.
    Event(String),
    /// An action request body; the answer is the plan's result (or why it was not
    /// taken), as JSON.
    Request {
        /// The request as `POST /actions` carried it.
        body: String,
        /// Where the answer goes.
        answer: oneshot::Sender<Value>,
    },
}

/// Routes and runs events one after the other.
struct Pipeline {
    router: LocalRouter,
    /// Every plan's result, as the functions would put it on EventBridge.
    results: Arc<MemoryResults>,
    runners: HashMap<Family, LocalRunner>,
    queues: HashMap<Family, Queue>,
    /// Messages of each family queue already run to an end.
    consumed: HashMap<Family, usize>,
    /// Results already printed.
    told: usize,
}

/// Why the pipeline could not start.
#[derive(Debug, thiserror::Error)]
#[error("local executors: {0}")]
pub struct PipelineError(String);

/// Starts the pipeline task; send it events-queue message bodies. Each part reads its own
/// view of `secrets` (as its function's role allows in AWS), cached as `config` says.
pub fn spawn(
    rules: RuleSet,
    secrets: &StaticSecrets,
    config: &SecretsConfig,
    okta: DevOkta,
    credentials: ExecutorCredentials,
    orgs: KnownOrgs,
) -> Result<mpsc::UnboundedSender<Input>, PipelineError> {
    let mut pipeline = build(rules, secrets, config, okta, credentials, orgs)?;
    let (tx, mut rx) = mpsc::unbounded_channel::<Input>();
    tokio::spawn(async move {
        while let Some(input) = rx.recv().await {
            match input {
                Input::Event(body) => {
                    print_routed(pipeline.router.route(&body).await);
                    pipeline.run_steps().await;
                    pipeline.print_results();
                }
                Input::Request { body, answer } => {
                    let told = pipeline.request(&body).await;
                    pipeline.print_results();
                    let _ = answer.send(told);
                }
            }
        }
    });
    Ok(tx)
}

/// The local runner's composition root: the functions' router and step runners, built
/// the same way, over memory stores and queues.
fn build(
    rules: RuleSet,
    all: &StaticSecrets,
    config: &SecretsConfig,
    okta: DevOkta,
    credentials: ExecutorCredentials,
    orgs: KnownOrgs,
) -> Result<Pipeline, PipelineError> {
    let results = Arc::new(MemoryResults::default());
    let view = |reads: SecretReads| -> Arc<SecretCache<StaticSecrets>> {
        Arc::new(config.cache(all.reading(reads)))
    };
    // The router: the signing keys and the read-only credential (enrichment).
    let secrets = view(SecretReads::router());
    let queues: HashMap<Family, Queue> = Family::ALL
        .into_iter()
        .map(|f| (f, Arc::new(MemoryQueue::new())))
        .collect();
    let (directory, dry_run) = match okta {
        DevOkta::Offline => (DevDirectory::Offline, true),
        DevOkta::Org { dry_run } => (
            DevDirectory::Okta(Box::new(CachingDirectory::new(OktaDirectory::new(
                OktaClients::new(secrets.clone(), "okta-hooks-dev"),
            )))),
            dry_run,
        ),
    };
    let offline = matches!(directory, DevDirectory::Offline);
    // Locally a webhook may be a receiver on this machine: plain http to loopback is let
    // through (the functions require https).
    let webhook = WebhookSender::new(action_calls::DEFAULT_WEBHOOK_TIMEOUT)
        .map_err(|e| PipelineError(e.to_string()))?
        .allow_loopback_http();
    let mut runners = HashMap::new();
    for family in Family::ALL {
        // Each executor: the signing keys, its Okta credential unless it calls no Okta,
        // the named values only if its actions name some.
        let family_secrets = view(SecretReads::executor(
            family.as_str(),
            credentials,
            family.calls_okta(),
            family.reads_named_secrets(),
        ));
        let access = if offline {
            let recorder =
                OktaClient::offline_dry_run("https://your-org.okta.com", RequestLog::new())
                    .map_err(|e| PipelineError(e.to_string()))?;
            DevAccess::Offline(FixedOkta {
                live: None,
                dry: Some(recorder),
            })
        } else {
            DevAccess::Org(Box::new(OktaClients::new(
                family_secrets.clone(),
                "okta-hooks-dev",
            )))
        };
        // Named values: the view's `named` (the builder's default), as in AWS.
        let runner = StepRunner::builder(
            family,
            family_secrets,
            rules.protection().clone(),
            webhook.clone(),
        )
        .records(MemoryRecords::new())
        .queues(queues.clone(), Arc::new(MemoryQueue::new()))
        .okta(access)
        .results(results.clone())
        .settings(Settings {
            dry_run,
            ..Settings::default()
        })
        .build();
        runners.insert(family, runner);
    }
    let router = Router::builder(rules, queues.clone(), secrets)
        .ledger(MemoryLedger::default())
        .counter(MemoryCounter::default())
        .directory(directory)
        .ledger_ttl(Duration::from_secs(86_400))
        .results(results.clone())
        .requests(
            Arc::new(MemoryQueue::new()),
            RequestSettings {
                orgs,
                cap_per_hour: router::DEFAULT_REQUEST_CAP_PER_HOUR,
                // No queue to reply to here: the answer to `POST /actions` is the result.
                reply_queues: ReplyQueues {
                    account: None,
                    pattern: router::DEFAULT_REPLY_QUEUE_PATTERN.to_owned(),
                },
                max_receive_count: 1,
            },
        )
        .build();
    Ok(Pipeline {
        router,
        results,
        runners,
        queues,
        consumed: HashMap::new(),
        told: 0,
    })
}

impl Pipeline {
    /// Takes one action request and runs its plan; answers its result, or
    /// `{"request_id", "status": "duplicate"}` for a request taken before.
    async fn request(&mut self, body: &str) -> Value {
        let message_id = uuid::Uuid::new_v4().to_string();
        let taken = self
            .router
            .take_request(RequestMessage {
                body,
                message_id: &message_id,
                sender_id: "okta-hooks-dev",
                receive_count: 1,
            })
            .await;
        let request_id = match taken {
            Err(error) => {
                println!("request   not taken: {error}");
                return json!({"status": "error", "error": error.to_string()});
            }
            Ok(Taken::Duplicate { request_id }) => {
                println!("request   {request_id}: duplicate, already taken");
                return json!({"request_id": request_id, "status": "duplicate"});
            }
            Ok(Taken::Refused { request_id, reason }) => {
                println!("request   {request_id}: refused: {reason}");
                request_id
            }
            Ok(Taken::Sent {
                request_id,
                family,
                dry_run,
                ..
            }) => {
                let how = if dry_run { " (dry run)" } else { "" };
                println!("request   {request_id}: plan sent → {family} queue{how}");
                self.run_steps().await;
                request_id
            }
        };
        self.results
            .published()
            .into_iter()
            .rev()
            .find(|p| p.result.request_id.as_deref() == Some(request_id.as_str()))
            .and_then(|p| serde_json::to_value(p.result).ok())
            .unwrap_or_else(|| {
                json!({"request_id": request_id, "status": "pending",
                       "error": "the plan has not finished (a step waits for a retry)"})
            })
    }

    /// One line per result published since the last call.
    fn print_results(&mut self) {
        let published = self.results.published();
        for told in published.iter().skip(self.told) {
            let result = &told.result;
            let who = result
                .request_id
                .as_deref()
                .map(|id| format!("request {id}"))
                .or_else(|| result.rule.as_deref().map(|r| format!("rule {r}")))
                .unwrap_or_default();
            let error = result
                .error
                .as_deref()
                .map_or_else(String::new, |e| format!(": {e}"));
            println!("  result {who}: {}{error}", result.status.as_str());
        }
        self.told = published.len();
    }

    /// Runs every queued step, family queue by family queue, until none is left.
    async fn run_steps(&mut self) {
        if let DevDirectory::Okta(directory) = self.router.directory() {
            directory.clear();
        }
        loop {
            let mut ran = false;
            for family in Family::ALL {
                while let Some(body) = self.next_body(family) {
                    ran = true;
                    self.run_one(family, &body).await;
                }
            }
            if !ran {
                return;
            }
        }
    }

    fn next_body(&self, family: Family) -> Option<String> {
        let done = self.consumed.get(&family).copied().unwrap_or(0);
        self.queues[&family]
            .messages()
            .get(done)
            .map(|m| m.message.body.clone())
    }

    /// Runs one step; a retry waits (up to a minute here) and runs it again.
    async fn run_one(&mut self, family: Family, body: &str) {
        let mut receive_count = 1;
        loop {
            match self.runners[&family].run(body, receive_count).await {
                Ok(ran) => {
                    print_ran(family, &ran, signed_plan_kid(body).as_deref());
                    break;
                }
                Err(Retry { after, reason }) if after <= MAX_LOCAL_WAIT => {
                    println!("  retry  {family}: {reason}; waiting {}s", after.as_secs());
                    tokio::time::sleep(after).await;
                    receive_count += 1;
                }
                Err(Retry { after, reason }) => {
                    println!(
                        "  gave up {family}: {reason} (retry asked in {}s)",
                        after.as_secs()
                    );
                    break;
                }
            }
        }
        *self.consumed.entry(family).or_default() += 1;
    }
}

/// The router's plan key id of a plan-signed body (`{"plan": {"kid": …}}`); `None` for an
/// HMAC-only body. Only said of a step that ran: the runner verified the signature.
fn signed_plan_kid(body: &str) -> Option<String> {
    let body: Value = serde_json::from_str(body).ok()?;
    body.get("plan")?.get("kid")?.as_str().map(str::to_owned)
}

/// One line per step that ran; a step of a router-signed plan names the plan key.
fn print_ran(family: Family, ran: &Ran, plan_kid: Option<&str>) {
    match ran {
        Ran::Done {
            action,
            already_in_state,
            dry_run,
            requests,
            next,
            ..
        } => {
            let how = match (dry_run, already_in_state) {
                (true, _) => "dry run",
                (false, true) => "done (already in that state)",
                (false, false) => "done",
            };
            let signed = plan_kid.map_or_else(String::new, |kid| {
                format!(" (plan signed by the router, key {kid})")
            });
            println!("  step   {action} [{family}]: {how}{signed}");
            for request in requests {
                println!("           would send: {request}");
            }
            if next.is_none() {
                println!("  plan finished");
            }
        }
        Ran::Duplicate { envelope_id, .. } => {
            println!(
                "  step   [{family}] envelope {} already ran",
                short(envelope_id)
            );
        }
        Ran::Failed {
            report, on_failure, ..
        } => {
            let code = report.error_code.as_deref().unwrap_or("-");
            println!(
                "  failed [{family}]: {} (errorCode {code}) → DLQ",
                report.message
            );
            if on_failure.is_some() {
                println!("  on_failure steps started");
            }
        }
        Ran::Refused { reason } => println!("  refused [{family}]: {reason} → DLQ"),
    }
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
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
                        short(&envelope_id)
                    ),
                    Decision::Held(admission) => format!("matches; {admission}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_signed_body_names_its_plan_key_and_an_hmac_only_one_none() {
        let signed =
            r#"{"kid":"local","sig":"s","payload":"{}","plan":{"kid":"p1","sig":"x","text":"{}"}}"#;
        assert_eq!(signed_plan_kid(signed).as_deref(), Some("p1"));
        assert_eq!(
            signed_plan_kid(r#"{"kid":"local","sig":"s","payload":"{}"}"#),
            None
        );
        assert_eq!(signed_plan_kid("not json"), None);
    }
}
