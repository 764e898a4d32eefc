//! Routing one queued event.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actions::Family;
use envelope::{Cursor, Envelope, EventRef, Phase, envelope_id, seal, seal_plan};
use fifo_queue::{FifoMessage, FifoQueue, ResendPolicy, send_all};
use okta_events::{EventKey, QueuedEvent, parse_queued};
use org_secrets::{OrgName, SecretCache, SecretSource};
use rules::{Admission, EvalInput, Plan, RuleSet, SubjectUser};
use serde::Deserialize;
use serde_json::Value;

use ports::{
    ActionCounter, ActionResult, Directory, DirectoryError, DynResultSink, EventLedger,
    ResultStatus, WindowStore,
};

use crate::{RequestSettings, RouteError};

/// The FIFO group of an event without a subject.
const NO_SUBJECT_GROUP: &str = "no-subject";

/// What became of one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Routed {
    /// Already routed (a hook retry, the poller, a replay): nothing sent.
    Duplicate,
    /// Routed: one outcome per matching rule.
    Done(Vec<PlanOutcome>),
}

/// What became of one matching rule's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOutcome {
    /// The rule that matched (`?` when a rule that failed to evaluate cannot be named).
    pub rule_id: String,
    /// What the router did with the plan.
    pub decision: Decision,
    /// The plan the rule made; `None` when the rule could not be evaluated, so there is
    /// no plan.
    pub plan: Option<Plan>,
}

/// What the router did with one plan: sent its first step, or why not. Only `Sent` puts
/// anything on a queue; every other decision is final for this event, since a redelivery
/// is a duplicate in the ledger.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The first step's envelope is on its family's queue.
    Sent {
        /// The envelope's deterministic id (its FIFO dedup id), which the executor's
        /// logs and step records name.
        envelope_id: String,
        /// The family whose queue the first step went to.
        family: Family,
        /// The first step's action.
        action: String,
    },
    /// The rule's threshold or suppression held the plan back: still counting, quiet
    /// after a firing, or an event it had already counted.
    Held(Admission),
    /// `dry_run`: logged, not sent.
    DryRun,
    /// It would touch a protected user or group; the text says which, as logged.
    Protected(String),
    /// The rule's hourly cap on destructive actions is spent.
    CapReached {
        /// The rule's `max_destructive_per_hour`.
        cap: u32,
    },
    /// The rule could not be evaluated on this event (deterministic: not retried).
    Failed(String),
}

/// The router and its dependencies, built once per cold start with
/// [`Router::builder`](crate::RouterBuilder).
pub struct Router<L, C, D, Q, S> {
    pub(crate) rules: RuleSet,
    pub(crate) ledger: L,
    pub(crate) counter: C,
    pub(crate) directory: D,
    pub(crate) queues: HashMap<Family, Q>,
    pub(crate) secrets: Arc<SecretCache<S>>,
    /// How long a routed event is remembered (longer than any replay window you use).
    pub(crate) ledger_ttl: Duration,
    /// The orgs already warned about for having no plan key (one warning per org and
    /// cold start; bounded by the configured orgs, whose secrets alone are found).
    pub(crate) unsigned_orgs: Mutex<BTreeSet<OrgName>>,
    /// Where refused plans are told (finished ones are told by the executors).
    pub(crate) results: Arc<dyn DynResultSink>,
    /// The action-requests intake: its DLQ and settings; `None` takes no requests.
    pub(crate) requests: Option<Requests<Q>>,
}

/// The requests DLQ (letters of refused and invalid requests) and how requests are
/// taken.
pub struct Requests<Q> {
    /// The requests DLQ: a standard queue (the requests queue is one).
    pub dlq: Q,
    /// Orgs, cap, reply queues, receive count.
    pub settings: RequestSettings,
}

impl<L, C, D, Q, S> Router<L, C, D, Q, S> {
    /// The enrichment directory: a caching one is cleared between invocations, and
    /// tests count its lookups.
    pub fn directory(&self) -> &D {
        &self.directory
    }
}

impl<L, C, D, Q, S> Router<L, C, D, Q, S>
where
    L: EventLedger,
    C: ActionCounter + WindowStore,
    D: Directory,
    Q: FifoQueue,
    S: SecretSource,
{
    /// Routes one events-queue message body. An error leaves the message on the queue.
    pub async fn route(&self, body: &str) -> Result<Routed, RouteError> {
        // The same parse (and depth check) producers ran in `queue_entry`; a body naming
        // an invalid org does not read.
        let queued: QueuedEvent<Value, OrgName> =
            parse_queued(body).map_err(|e| RouteError::Malformed(e.to_string()))?;
        // The routing keys, borrowed from the one parse of the event.
        let key = EventKey::deserialize(&queued.event)
            .map_err(|e| RouteError::Malformed(e.to_string()))?;
        let uuid = key
            .uuid
            .as_deref()
            .ok_or(RouteError::Malformed("event without uuid".into()))?;
        if self.ledger.is_done(uuid).await? {
            tracing::info!(event = uuid, "duplicate event: already routed");
            return Ok(Routed::Duplicate);
        }
        let org = &queued.org;
        let event = &queued.event;
        let group = key.subject_id().unwrap_or(NO_SUBJECT_GROUP).to_owned();
        let subject = self.enrich(org, event, key.subject_user_id()).await?;
        let plans = self.rules.evaluate_each(&EvalInput {
            org: org.as_str(),
            event,
            subject: subject.as_ref(),
        });
        let plans = plans.map_err(|e| RouteError::Malformed(e.to_string()))?;

        let source = EventRef {
            uuid: uuid.to_owned(),
            event_type: key.event_type.as_deref().unwrap_or_default().to_owned(),
            published: event
                .get("published")
                .and_then(Value::as_str)
                .map(str::to_owned),
            delivery_id: queued.delivery_id.clone(),
            request: None,
        };
        let mut outcomes = Vec::new();
        let mut outgoing: HashMap<Family, Vec<FifoMessage>> = HashMap::new();
        for plan in plans {
            let outcome = match plan {
                Ok(plan) => {
                    let outcome = self
                        .decide(org, &source, &group, plan, &mut outgoing)
                        .await?;
                    self.tell_refused(org, &source, &outcome).await?;
                    outcome
                }
                Err(error) => {
                    tracing::error!(event = uuid, error = %error, "rule cannot be evaluated on this event");
                    PlanOutcome {
                        rule_id: error.rule().unwrap_or("?").to_owned(),
                        decision: Decision::Failed(error.to_string()),
                        plan: None,
                    }
                }
            };
            outcomes.push(outcome);
        }
        self.send(outgoing).await?;
        self.ledger.mark_done(uuid, self.ledger_ttl).await?;
        Ok(Routed::Done(outcomes))
    }

    /// Fetches the subject user when a rule that handles this event (its type, its org)
    /// asks for it, and the subject is a user.
    ///
    /// `None` (the rules' `user == null`) when no such rule handles the event, when the
    /// subject is not a user (an app or the system acting, no `User` target), and when
    /// the user no longer exists: none of these can be fixed by retrying. Only a failed
    /// lookup is an error.
    async fn enrich(
        &self,
        org: &OrgName,
        event: &Value,
        user_id: Option<&str>,
    ) -> Result<Option<SubjectUser>, RouteError> {
        let needs = self.rules.enrichment(org.as_str(), event);
        let (true, Some(user_id)) = (needs.any(), user_id) else {
            return Ok(None);
        };
        let Some(user) = self.directory.user(org, user_id, needs.groups).await? else {
            tracing::info!(
                user = user_id,
                "the subject user does not exist (any more): the rules see user == null"
            );
            return Ok(None);
        };
        serde_json::from_value(user).map(Some).map_err(|e| {
            RouteError::Directory(DirectoryError::permanent(format!(
                "the answer is not a user: {e}"
            )))
        })
    }

    /// Applies the safety rails to one plan and queues its first step.
    async fn decide(
        &self,
        org: &OrgName,
        source: &EventRef,
        group: &str,
        plan: Plan,
        outgoing: &mut HashMap<Family, Vec<FifoMessage>>,
    ) -> Result<PlanOutcome, RouteError> {
        let rule_id = plan.rule_id.clone();
        let outcome = |decision, plan| PlanOutcome {
            rule_id: rule_id.clone(),
            decision,
            plan,
        };
        // Counting comes first: a threshold counts what matches, whatever becomes of
        // the plan it fires.
        if let Some(gate) = &plan.gate {
            let admission = crate::gate::admit(&self.counter, gate).await?;
            if !admission.fires() {
                tracing::info!(event = %source.uuid, rule = %rule_id, admission = ?admission, "plan held back by the rule's threshold or suppression");
                return Ok(outcome(Decision::Held(admission), Some(plan)));
            }
        }
        if let Some(reason) = self.rules.protection().refuses(&plan) {
            tracing::warn!(event = %source.uuid, rule = %rule_id, reason = %reason, "plan refused: it touches a protected user or group");
            return Ok(outcome(Decision::Protected(reason), Some(plan)));
        }
        if plan.dry_run {
            tracing::info!(event = %source.uuid, rule = %rule_id, plan = %serde_json::to_string(&plan).unwrap_or_default(), "dry run: plan not sent");
            return Ok(outcome(Decision::DryRun, Some(plan)));
        }
        let destructive = plan.steps.iter().filter(|s| s.destructive).count() as u32;
        if let (Some(cap), true) = (plan.max_destructive_per_hour, destructive > 0)
            && !self
                .counter
                .try_take(&rule_id, current_hour(), &source.uuid, destructive, cap)
                .await?
        {
            tracing::warn!(event = %source.uuid, rule = %rule_id, cap, "plan refused: the rule's hourly cap on destructive actions is spent");
            return Ok(outcome(Decision::CapReached { cap }, Some(plan)));
        }
        let Some(first) = plan.steps.first() else {
            return Ok(outcome(
                Decision::Failed("the plan has no steps".into()),
                Some(plan),
            ));
        };
        // The first step is referred to by the cursor, not copied.
        let envelope = Envelope {
            id: envelope_id(&source.uuid, &rule_id, Phase::Steps, 0),
            org: org.clone(),
            rule_id: rule_id.clone(),
            cursor: Cursor {
                phase: Phase::Steps,
                index: 0,
            },
            group: group.to_owned(),
            dry_run: false,
            event: source.clone(),
            plan: plan.clone(),
            outputs: Default::default(),
            failure: None,
            done: Vec::new(),
        };
        let body = self.seal_first(org, &envelope).await?;
        let family = first.family;
        let batch = outgoing.entry(family).or_default();
        batch.push(FifoMessage {
            entry_id: format!("p{}", batch.len()),
            body,
            group_id: group.to_owned(),
            dedup_id: envelope.id.clone(),
        });
        tracing::info!(event = %source.uuid, delivery = ?source.delivery_id, rule = %rule_id,
            envelope = %envelope.id, action = %first.action, family = family.as_str(), "plan routed");
        let decision = Decision::Sent {
            envelope_id: envelope.id,
            family,
            action: first.action.clone(),
        };
        Ok(outcome(decision, Some(plan)))
    }

    /// The queue body of a plan's first step: the plan signed here, once, with the org's
    /// plan key (executors pass it on, and cannot make one), or HMAC-only while the org
    /// has no plan key in use.
    pub(crate) async fn seal_first(
        &self,
        org: &OrgName,
        envelope: &Envelope<Plan>,
    ) -> Result<String, RouteError> {
        let secret = self.secrets.get(org).await?;
        let keys = secret
            .signing
            .as_ref()
            .ok_or_else(|| RouteError::NoSigningKey(org.to_string()))?;
        match (keys.plan_signing(), keys.plan_keys_configured()) {
            (Some(plan_keys), true) => Ok(seal_plan(envelope, keys, plan_keys)?),
            // Required: the executors would refuse an HMAC-only body; wait for the key.
            (None, true) if keys.plan_signatures_required() => {
                Err(RouteError::NoPlanKey(org.to_string()))
            }
            // No plan key held or listed yet: HMAC-only, which executors still accept.
            _ => {
                self.warn_unsigned(org);
                Ok(seal(envelope, keys)?)
            }
        }
    }

    /// A rule's plan the rails refused is told as a `refused` result, as the executors
    /// tell finished ones; the other decisions tell nothing here.
    async fn tell_refused(
        &self,
        org: &OrgName,
        source: &EventRef,
        outcome: &PlanOutcome,
    ) -> Result<(), RouteError> {
        let error = match &outcome.decision {
            Decision::Protected(reason) => reason.clone(),
            Decision::CapReached { cap } => {
                format!("the rule's hourly cap of {cap} destructive actions is spent")
            }
            _ => return Ok(()),
        };
        let result = ActionResult {
            rule: Some(outcome.rule_id.clone()),
            event: Some(source.uuid.clone()),
            error: Some(error),
            ..ActionResult::new(org.as_str(), ResultStatus::Refused)
        };
        self.results.publish_dyn(&result, None).await?;
        Ok(())
    }

    /// Once per org: its plans go out HMAC-only, which any executor could have made.
    fn warn_unsigned(&self, org: &OrgName) {
        let mut warned = self
            .unsigned_orgs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if warned.insert(org.clone()) {
            tracing::warn!(%org, "org has no plan-signing key in use: its plans are sent \
                HMAC-only, which every executor could also make; add a plan key pair \
                (plan-signing for the router, then signing.plan_keys for the executors) so \
                they run only plans the router signed");
        }
    }

    /// Sends every first step, per family queue.
    async fn send(&self, outgoing: HashMap<Family, Vec<FifoMessage>>) -> Result<(), RouteError> {
        for (family, messages) in outgoing {
            let queue = self
                .queues
                .get(&family)
                .ok_or(RouteError::NoQueue(family))?;
            send_all(queue, &messages, &ResendPolicy::default())
                .await
                .map_err(|e| RouteError::Queue {
                    family,
                    reason: e.to_string(),
                })?;
        }
        Ok(())
    }
}

/// The hour since the Unix epoch: the hourly caps' window.
pub(crate) fn current_hour() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 3600)
}
