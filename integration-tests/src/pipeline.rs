//! The whole pipeline in process on `moto_server`: ingest, the event router and one action
//! executor per family — their real handlers and AWS adapters, each reading only its own
//! kinds of the org's secrets, as in AWS — over the tables, secrets and FIFO queues (each
//! with its DLQ) the template creates. The repository's rules decide.
//!
//! What plays Okta (wiremock, the stateful Okta double) and the Slack webhook is the
//! test's: it passes their addresses in [`PipelineOptions`].

use std::collections::HashMap;
use std::time::Duration;

use action_calls::WebhookSender;
use action_executor::{App, ExecutorConfig};
use actions::Family;
use aws_adapters::{SecretsManagerSource, SqsFifoQueue};
use event_router::{AppRouter, RouterConfig};
use hook_receiver::{Authenticator, HookRequest, IngestHandler, ReceiverConfig};
use serde_json::{Value, json};

use crate::{Aws, MotoServer};

/// What differs between the tests that run the pipeline.
pub struct PipelineOptions<'a> {
    /// The hook's shared secret (the `authorization` header ingest accepts).
    pub hook_secret: &'a str,
    /// The org's one signing key (`k1`, active).
    pub signing_key: &'a str,
    /// The Okta org the executors call (the secret's `okta.org_url`).
    pub org_url: String,
    /// The org's API token (the secret's `okta.api_token`).
    pub api_token: String,
    /// The secret's `named.slack_webhook`.
    pub slack_webhook: String,
    /// Added to every function's environment, over the defaults (e.g.
    /// `OKTA_HOOKS_MAX_ATTEMPTS`, or `OKTA_HOOKS_MAX_RECEIVE_COUNT` for another redrive
    /// policy than the template's default of 100).
    pub extra_env: &'a [(&'a str, &'a str)],
    /// The org's secrets, keyed by kind, to put instead of those the fields above make
    /// ([`PipelineOptions::split_secrets`]): e.g. per-family Okta credentials.
    pub secrets: Option<Value>,
}

impl PipelineOptions<'_> {
    /// The org's secrets in the split shape, one secret per kind: `hook` (ingest),
    /// `signing` (the router, the executors), `okta` (the executors but notify),
    /// `okta-read` (the router's enrichment; the same credential, as the double accepts
    /// one token) and `named` (notify's webhook).
    pub fn split_secrets(&self) -> Value {
        json!({
            "hook": {"current": self.hook_secret},
            "signing": {"active": "k1", "keys": {"k1": self.signing_key}},
            "okta": {"org_url": self.org_url, "api_token": self.api_token},
            "okta-read": {"org_url": self.org_url, "api_token": self.api_token},
            "named": {"slack_webhook": self.slack_webhook},
        })
    }

    /// The same in the single secret of before the split, where `okta` serves every
    /// Okta credential: what the pipeline puts when `extra_env` sets
    /// `OKTA_HOOKS_LEGACY_SINGLE_SECRET=true`.
    pub fn single_secret(&self) -> Value {
        let mut single = self.split_secrets();
        if let Some(sections) = single.as_object_mut() {
            sections.remove("okta-read");
        }
        single
    }
}

/// The running pipeline: the handles a test drives and inspects.
pub struct Pipeline {
    /// Clients of the `moto_server` everything runs on, to read queues and tables.
    pub aws: Aws,
    /// The hook's shared secret, sent as `authorization` by [`Pipeline::deliver`].
    pub hook_secret: String,
    /// URL of the events queue ingest sends to and the router reads.
    pub events_url: String,
    /// URL of the events queue's DLQ (the router's `OKTA_HOOKS_EVENTS_DLQ_URL`).
    pub events_dlq: String,
    /// URL of each family's action queue, which the router sends to.
    pub queues: HashMap<Family, String>,
    /// URL of each family's DLQ, where its executor dead-letters.
    pub dlqs: HashMap<Family, String>,
    /// The ingest handler, with the SQS queue and Secrets Manager source of production.
    pub ingest: IngestHandler<SqsFifoQueue, SecretsManagerSource>,
    /// The event router, built from its environment as the Lambda would be.
    pub router: AppRouter,
    /// One action executor per family, built from its environment the same way.
    pub executors: HashMap<Family, App>,
    _moto: MotoServer,
}

impl Pipeline {
    /// Starts `moto_server`, creates the tables (`ledger`, `counters`, `steps`), the org
    /// `default`'s secrets (split, one per kind: [`PipelineOptions::split_secrets`]; or
    /// the single one with `OKTA_HOOKS_LEGACY_SINGLE_SECRET=true`), the events queue and each family's queue with their
    /// DLQs, and builds the functions from their environment as Lambda would.
    pub async fn start(options: PipelineOptions<'_>) -> Self {
        let moto = MotoServer::start();
        let aws = Aws::new(&moto.endpoint()).await;
        for table in ["ledger", "counters", "steps"] {
            aws.table(table).await;
        }
        let legacy = options
            .extra_env
            .iter()
            .any(|(k, v)| *k == "OKTA_HOOKS_LEGACY_SINGLE_SECRET" && *v == "true");
        match (&options.secrets, legacy) {
            (Some(secrets), false) => aws.put_org_secrets("default", secrets).await,
            (Some(secrets), true) => aws.put_legacy_org_secret("default", secrets).await,
            (None, false) => {
                aws.put_org_secrets("default", &options.split_secrets())
                    .await;
            }
            (None, true) => {
                aws.put_legacy_org_secret("default", &options.single_secret())
                    .await;
            }
        }
        let events_url = aws.fifo_queue("events.fifo").await;
        let events_dlq = aws.fifo_queue("events-dlq.fifo").await;
        let mut queues = HashMap::new();
        let mut dlqs = HashMap::new();
        for family in Family::ALL {
            let name = family.as_str();
            queues.insert(family, aws.fifo_queue(&format!("{name}.fifo")).await);
            dlqs.insert(family, aws.fifo_queue(&format!("{name}-dlq.fifo")).await);
        }
        let extra: HashMap<String, String> = options
            .extra_env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let env = |family: Family| {
            let queues = queues.clone();
            let dlq = dlqs[&family].clone();
            let extra = extra.clone();
            let events_dlq = events_dlq.clone();
            move |name: &str| -> Option<String> {
                if let Some(value) = extra.get(name) {
                    return Some(value.clone());
                }
                match name {
                    "OKTA_HOOKS_FAMILY" => Some(family.as_str().to_owned()),
                    "OKTA_HOOKS_DLQ_URL" => Some(dlq.clone()),
                    "OKTA_HOOKS_IDEMPOTENCY_TABLE" => Some("steps".into()),
                    "OKTA_HOOKS_LEDGER_TABLE" => Some("ledger".into()),
                    "OKTA_HOOKS_COUNTER_TABLE" => Some("counters".into()),
                    // The redrive policy's maxReceiveCount: the template's default.
                    "OKTA_HOOKS_MAX_RECEIVE_COUNT" => Some("100".into()),
                    "OKTA_HOOKS_EVENTS_DLQ_URL" => Some(events_dlq.clone()),
                    other => Family::ALL
                        .into_iter()
                        .find(|f| f.queue_url_var() == other)
                        .map(|f| queues[&f].clone()),
                }
            }
        };
        let router_config = RouterConfig::from_lookup(env(Family::Users)).expect("router config");
        let router = event_router::build(&router_config, &aws.config).expect("router");
        let executors = Family::ALL
            .into_iter()
            .map(|family| {
                let config = ExecutorConfig::from_lookup(env(family)).expect("executor config");
                // The webhook is wiremock on plain loopback HTTP, which production refuses.
                let webhook = WebhookSender::new(Duration::from_secs(5))
                    .expect("webhook sender")
                    .allow_loopback_http();
                let app = action_executor::build_with_webhook(&config, &aws.config, webhook)
                    .expect("executor");
                (family, app)
            })
            .collect();
        let mut receiver = ReceiverConfig::default();
        receiver.secrets.legacy_single_secret = legacy;
        let secrets = SecretsManagerSource::for_hook_receiver(&aws.config, &receiver.secrets);
        let auth = Authenticator::for_config(secrets, &receiver);
        let ingest = IngestHandler::new(
            receiver,
            auth,
            SqsFifoQueue::from_config(&aws.config, &events_url),
        );
        Pipeline {
            aws,
            hook_secret: options.hook_secret.to_owned(),
            events_url,
            events_dlq,
            queues,
            dlqs,
            ingest,
            router,
            executors,
            _moto: moto,
        }
    }

    /// Posts one delivery of `events` to ingest, as Okta does, and asserts it is taken.
    pub async fn deliver(&self, event_id: &str, event_time: &str, events: &[Value]) {
        let body = json!({
            "eventType": "com.okta.event_hook", "eventTypeVersion": "1.0",
            "cloudEventsVersion": "0.1", "eventId": event_id,
            "eventTime": event_time, "contentType": "application/json",
            "data": { "events": events }
        });
        let request = HookRequest::new(http::Method::POST, None)
            .header("authorization", &self.hook_secret)
            .header("content-type", "application/json")
            .body(body.to_string());
        let response = self.ingest.handle(&request).await;
        assert_eq!(response.status, 200, "{}", response.body);
    }

    /// Takes every letter off a family's DLQ (those that are not JSON are dropped).
    pub async fn dead_letters(&self, family: Family) -> Vec<Value> {
        self.aws
            .drain(&self.dlqs[&family])
            .await
            .into_iter()
            .filter_map(|(_, _, body)| serde_json::from_str(&body).ok())
            .collect()
    }
}
