//! [`StepRunner::run`]: one envelope, from the queue body to the next step.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use action_calls::{
    ExecError, Executor, FailureClass, FailureReport, NamedSecrets, Outcome, WebhookSender,
};
use actions::Family;
use envelope::{Envelope, Opened, SignedPlan, seal, seal_step};
use fifo_queue::{FifoMessage, FifoQueue, ResendPolicy, send_all};
use okta_client::OktaClient;
use org_secrets::{OrgName, SecretCache, SecretSource};
use rules::{Plan, Protection};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::audit::{self, Verdict};
use crate::failure::{self, Attempts, Backoff, Decision, Retry, jitter, permanent};
use crate::next::{current_step, next_step, on_failure_start};
use crate::open::open_envelope;
use crate::results::{self as told, Outcome as Told};
use crate::sealed;
use ports::{AccessError, Claim, DynResultSink, OktaAccess, ResultStatus, StepRecords, StepStatus};

/// Knobs with safe defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Record and log every action instead of acting (`OKTA_HOOKS_DRY_RUN`); a rule's own
    /// `dry_run` does the same for its plans.
    pub dry_run: bool,
    /// How long a claim holds an envelope: longer than the function's timeout.
    pub lease: Duration,
    /// How long a done step is remembered: longer than any redelivery or replay.
    pub record_ttl: Duration,
    /// Calls left in Okta's rate-limit window below which no new call starts: the
    /// message waits for the reset instead, so bursts use the budget without 429s.
    /// At least the calls one function instance can have in flight.
    pub rate_reserve: u64,
    /// Print one CloudWatch EMF metrics line per action (the Lambda functions do; the
    /// local runner and tests do not).
    pub metrics: bool,
    /// When a failing step gives up ([`FailureClass::Exhausted`]).
    pub attempts: Attempts,
    /// The waits between retries of a failing step, or of a store or queue call that
    /// failed: [`Backoff::QUEUE`] by default; the functions cap it at
    /// `OKTA_HOOKS_BACKOFF_CAP_SECS` ([`Backoff::queue_capped`]).
    pub backoff: Backoff,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dry_run: false,
            lease: Duration::from_secs(120),
            record_ttl: Duration::from_secs(30 * 24 * 3600),
            rate_reserve: 20,
            metrics: false,
            attempts: Attempts::default(),
            backoff: Backoff::QUEUE,
        }
    }
}

/// What became of one message. Every variant deletes it from the queue.
#[derive(Debug, Clone, PartialEq)]
pub enum Ran {
    /// The action ran (or Okta said it was already so); `next` is the next step's
    /// envelope id, `None` at the end of the plan.
    Done {
        /// The id of the envelope that ran (the idempotency record's key).
        envelope_id: String,
        /// The catalog name of the action that ran.
        action: String,
        /// Okta answered that the target was already so: nothing changed, the plan
        /// still goes on.
        already_in_state: bool,
        /// Nothing was sent to Okta or a webhook: the writes are in `requests`.
        dry_run: bool,
        /// In a dry run: each write it would have sent (`METHOD URL body`, secrets
        /// redacted).
        requests: Vec<String>,
        /// The next step's envelope id, `None` at the end of the plan.
        next: Option<String>,
    },
    /// The step had already run: nothing ran, the next step was sent again.
    Duplicate {
        /// The id of the envelope received again.
        envelope_id: String,
        /// The next step's envelope id (sent again from the recorded output); `None` at
        /// the end of the plan.
        next: Option<String>,
    },
    /// A permanent failure: the envelope and the reason are on the DLQ, and
    /// `on_failure` is the first `on_failure` step's envelope id, if the rule has one.
    Failed {
        /// The id of the envelope that failed.
        envelope_id: String,
        /// What failed and why, as the DLQ letter carries it.
        report: FailureReport,
        /// The first `on_failure` step's envelope id, `None` when the rule has none.
        on_failure: Option<String>,
    },
    /// Not a valid envelope (unsigned, tampered, unknown key): on the DLQ unopened.
    Refused {
        /// Why it was refused, as the DLQ letter says.
        reason: String,
    },
}

/// The executor of one family and its dependencies, built once per cold start with
/// [`StepRunner::builder`](crate::StepRunnerBuilder).
pub struct StepRunner<R, Q, A, S> {
    /// The family whose queue this executor reads; other families' steps are refused.
    pub(crate) family: Family,
    pub(crate) records: R,
    /// Every family's queue: a plan's next step may belong to any.
    pub(crate) queues: HashMap<Family, Q>,
    /// This family's DLQ.
    pub(crate) dead_letters: Q,
    pub(crate) okta: A,
    /// The org secrets (signing keys).
    pub(crate) secrets: Arc<SecretCache<S>>,
    /// Named secrets (webhook URLs, hook auth values).
    pub(crate) named: Box<dyn NamedSecrets>,
    /// Where each finished plan's result goes.
    pub(crate) results: Arc<dyn DynResultSink>,
    pub(crate) webhook: WebhookSender,
    /// The rules' protected users and groups, re-checked on rendered parameters.
    pub(crate) protection: Protection,
    pub(crate) settings: Settings,
}

impl<R, Q, A, S> StepRunner<R, Q, A, S> {
    /// The idempotency records (a bench empties in-memory ones between rounds).
    pub fn records(&self) -> &R {
        &self.records
    }
}

/// How often a step was tried: retryable failures of earlier runs, and this receive.
#[derive(Debug, Clone, Copy)]
struct Tries {
    failures: u32,
    receive_count: u32,
}

/// A successful action, for the audit line and the next step.
struct Acted {
    outcome: Outcome,
    dry_run: bool,
    /// The writes a dry run recorded instead of sending.
    requests: Vec<String>,
}

impl<R, Q, A, S> StepRunner<R, Q, A, S>
where
    R: StepRecords,
    Q: FifoQueue,
    A: OktaAccess,
    S: SecretSource,
{
    /// Runs one queue body, received `receive_count` times. `Err` leaves the message
    /// on the queue, invisible for [`Retry::after`].
    ///
    /// On the queue's last delivery (`receive_count` ≥ [`Attempts::max_receives`]) no
    /// retry is left: whatever would have been retried (a store or queue that could not
    /// be reached, a claim held by a dead run) is put on the DLQ with its reason instead
    /// of being moved there unexplained by SQS's redrive.
    pub async fn run(&self, body: &str, receive_count: u32) -> Result<Ran, Retry> {
        let result = self.run_once(body, receive_count).await;
        let (Err(retry), Some(why)) =
            (&result, self.settings.attempts.last_delivery(receive_count))
        else {
            return result;
        };
        let retried = failure::report(FailureClass::Retryable, retry.reason.clone());
        let report = failure::exhausted(retried, &why);
        tracing::warn!(family = %self.family, error = %report.message, "last delivery of a step that cannot run now; to the DLQ");
        self.dead_letter(None, body, &report, receive_count).await?;
        Ok(Ran::Refused {
            reason: report.message,
        })
    }

    async fn run_once(&self, body: &str, receive_count: u32) -> Result<Ran, Retry> {
        let Opened {
            envelope,
            plan: signed,
        } = match open_envelope(&self.secrets, body, receive_count, self.settings.backoff).await? {
            Ok(opened) => opened,
            Err(refused) => {
                tracing::warn!(reason = %refused, family = %self.family, "envelope refused unopened; to the DLQ");
                let report = permanent(refused.to_string());
                self.dead_letter(None, body, &report, receive_count).await?;
                return Ok(Ran::Refused { reason: refused.0 });
            }
        };
        let id = envelope.id.clone();
        let claim = self.records.claim(&id, self.settings.lease).await;
        let failures = match claim
            .map_err(|e| Retry::soon(self.settings.backoff, receive_count, e))?
        {
            Claim::Claimed { failures } => failures,
            Claim::Done { output } => {
                tracing::info!(envelope = %id, event = %envelope.event.uuid, "duplicate envelope: the step already ran; passing the plan on again");
                // The record keeps the output, not the call's request ids: the outcome
                // passed on says what the record knows.
                let record = told::step_outcome(
                    &envelope,
                    &Told {
                        status: StepStatus::Done,
                        output: Some(&output),
                        request_ids: &[],
                        requests: &[],
                        failure: None,
                    },
                );
                let next = self
                    .pass_on(&envelope, signed.as_ref(), output, record, receive_count)
                    .await?;
                return Ok(Ran::Duplicate {
                    envelope_id: id,
                    next,
                });
            }
            Claim::Busy { remaining } => {
                return Err(Retry {
                    after: remaining + jitter(&id),
                    reason: "another run holds this envelope".into(),
                });
            }
        };
        let started = Instant::now();
        match self.act(&envelope).await {
            Ok(acted) => {
                let signed = signed.as_ref();
                self.done(&envelope, signed, acted, started, receive_count)
                    .await
            }
            Err(report) => {
                let tries = Tries {
                    failures,
                    receive_count,
                };
                let signed = signed.as_ref();
                self.failed(&envelope, signed, body, report, started, tries)
                    .await
            }
        }
    }

    /// After a successful action: audit, record (not for a dry run: it must not keep
    /// the real run from happening), pass the plan on.
    async fn done(
        &self,
        envelope: &Envelope<Plan>,
        signed: Option<&SignedPlan>,
        acted: Acted,
        started: Instant,
        receive_count: u32,
    ) -> Result<Ran, Retry> {
        let Acted {
            outcome,
            dry_run,
            requests,
        } = acted;
        let verdict = match (dry_run, outcome.already_in_state) {
            (true, _) => Verdict::DryRun,
            (false, already_in_state) => Verdict::Done { already_in_state },
        };
        self.audit(envelope, verdict, &outcome.request_ids, started.elapsed());
        let id = &envelope.id;
        // Secret outputs are dropped or sealed before anything records or sends them.
        let output = sealed::protect_with(&self.secrets, envelope, outcome.output)
            .await
            .map_err(|e| Retry::soon(self.settings.backoff, receive_count, e))?;
        let status = match (dry_run, outcome.already_in_state) {
            (true, _) => StepStatus::DryRun,
            (false, true) => StepStatus::AlreadyInState,
            (false, false) => StepStatus::Done,
        };
        let record = told::step_outcome(
            envelope,
            &Told {
                status,
                output: Some(&output),
                request_ids: &outcome.request_ids,
                requests: &requests,
                failure: None,
            },
        );
        let recorded = if dry_run {
            self.records.release(id).await
        } else {
            let ttl = self.settings.record_ttl;
            self.records.complete(id, &output, ttl).await
        };
        recorded.map_err(|e| Retry::soon(self.settings.backoff, receive_count, e))?;
        let next = self
            .pass_on(envelope, signed, output, record, receive_count)
            .await?;
        Ok(Ran::Done {
            envelope_id: id.clone(),
            action: step_action(envelope).to_owned(),
            already_in_state: outcome.already_in_state,
            dry_run,
            requests,
            next,
        })
    }

    /// After a failed action: retry later (the claim dropped, a retryable failure
    /// counted), or give up — a permanent failure, or the last attempt of a retryable
    /// one ([`FailureClass::Exhausted`]): the DLQ letter, the audit line and the rule's
    /// `on_failure` steps.
    async fn failed(
        &self,
        envelope: &Envelope<Plan>,
        signed: Option<&SignedPlan>,
        body: &str,
        report: FailureReport,
        started: Instant,
        tries: Tries,
    ) -> Result<Ran, Retry> {
        let Tries {
            failures,
            receive_count,
        } = tries;
        let id = &envelope.id;
        let request_ids: Vec<String> = report.request_id.iter().cloned().collect();
        let policy = retry::Policy {
            attempts: self.settings.attempts,
            backoff: self.settings.backoff,
        };
        let report = match failure::decide(report, failures, receive_count, policy, id) {
            Decision::Retry { retry, failed } => {
                let ttl = self.settings.record_ttl;
                if let Err(e) = self.records.retry_later(id, failed, ttl).await {
                    tracing::warn!(envelope = %id, error = %e, "claim not released; it ends with its lease");
                }
                self.audit(
                    envelope,
                    Verdict::Retry(&retry.reason),
                    &request_ids,
                    started.elapsed(),
                );
                return Err(retry);
            }
            Decision::GiveUp(report) => report,
        };
        if let Err(e) = self.records.release(id).await {
            tracing::warn!(envelope = %id, error = %e, "claim not released; it ends with its lease");
        }
        let verdict = Verdict::Failed(&report.message);
        self.audit(envelope, verdict, &request_ids, started.elapsed());
        self.dead_letter(Some(envelope), body, &report, receive_count)
            .await?;
        let record = told::step_outcome(
            envelope,
            &Told {
                status: StepStatus::Failed,
                output: None,
                request_ids: &request_ids,
                requests: &[],
                failure: Some(&report),
            },
        );
        let on_failure = match on_failure_start(envelope, &report) {
            Some(mut start) => {
                start.done.push(record);
                Some(self.send(&start, signed, receive_count).await?)
            }
            None => {
                // The plan ends here. The step is lettered and its claim released, so a
                // retry would run it again: a result that cannot be published is logged,
                // not retried (the letter says what happened).
                let error = match told::finished_status(envelope) {
                    (_, Some(first)) => first,
                    (_, None) => report.message.clone(),
                };
                let done = with_last(&envelope.done, record);
                if let Err(e) = self
                    .publish(envelope, &done, ResultStatus::Failed, Some(error))
                    .await
                {
                    tracing::error!(envelope = %id, error = %e, "the plan's result could not be published");
                }
                None
            }
        };
        Ok(Ran::Failed {
            envelope_id: id.clone(),
            report,
            on_failure,
        })
    }

    /// The audit line, and the metrics line when enabled.
    fn audit(
        &self,
        envelope: &Envelope<Plan>,
        verdict: Verdict<'_>,
        request_ids: &[String],
        took: Duration,
    ) {
        if self.settings.metrics {
            audit::metrics(envelope, self.family.as_str(), &verdict);
        }
        let target = current_step(envelope)
            .map(|s| audit::target(&s.action, &s.params))
            .unwrap_or_default();
        audit::record(envelope, &target, verdict, request_ids, took);
    }

    /// Renders the step's parameters and runs it. The step is the one the envelope's
    /// cursor points at in its signed plan; a step of another family is refused (it
    /// came to the wrong queue).
    async fn act(&self, envelope: &Envelope<Plan>) -> Result<Acted, FailureReport> {
        let step = current_step(envelope)
            .ok_or_else(|| permanent("the envelope's cursor points past its plan"))?;
        if step.family != self.family {
            return Err(permanent(format!(
                "{} is a {} step; this is the {} executor",
                step.action, step.family, self.family
            )));
        }
        let dry_run = self.settings.dry_run || envelope.dry_run;
        // Sealed secret outputs are opened for rendering only (never in a dry run); the
        // opened values live in `params`, which nothing logs or stores.
        let outputs = sealed::open_with(&self.secrets, envelope, dry_run).await?;
        // A failure that echoes an opened value (a webhook quoting its body) names none.
        let opened = sealed::opened_texts(envelope, &outputs);
        let scrub = |report| sealed::scrub(report, &opened);
        let params = step
            .render_deferred(&outputs, envelope.failure.as_ref())
            .map_err(|e| scrub(permanent(format!("{}: {e}", step.action))))?;
        let org = &envelope.org;
        let (outcome, requests) = if step.family == Family::Notify {
            self.notify(org, &step.action, &params, dry_run).await
        } else {
            let aliases = &envelope.plan.aliases;
            self.call_okta(org, &step.action, &params, aliases, dry_run)
                .await
        }
        .map_err(scrub)?;
        Ok(Acted {
            outcome,
            dry_run,
            requests,
        })
    }

    /// `notify.webhook`: no Okta client involved.
    async fn notify(
        &self,
        org: &OrgName,
        action: &str,
        params: &Map<String, Value>,
        dry_run: bool,
    ) -> Result<(Outcome, Vec<String>), FailureReport> {
        if dry_run {
            let body = params.get("body").map(action_calls::message_body);
            let secret = params.get("url_secret").and_then(Value::as_str);
            let request = format!(
                "POST <webhook {}> {}",
                secret.unwrap_or("?"),
                body.unwrap_or_default()
            );
            tracing::info!(dry_run = true, action, request = %request, "dry run: webhook not posted");
            let outcome = Outcome {
                output: json!({}),
                request_ids: Vec::new(),
                already_in_state: false,
            };
            return Ok((outcome, vec![request]));
        }
        Executor::without_okta()
            .with_secrets(org.as_str(), &*self.named)
            .with_webhook(&self.webhook)
            .execute(action, params)
            .await
            .map(|outcome| (outcome, Vec::new()))
            .map_err(|e| e.report())
    }

    /// An Okta action, with one credential re-read if Okta answers 401.
    async fn call_okta(
        &self,
        org: &OrgName,
        action: &str,
        params: &Map<String, Value>,
        aliases: &BTreeMap<String, String>,
        dry_run: bool,
    ) -> Result<(Outcome, Vec<String>), FailureReport> {
        let mut renewed = false;
        loop {
            let client = self
                .okta
                .client(org, dry_run)
                .await
                .map_err(access_report)?;
            if let Some(report) = self.headroom_wait(&client) {
                return Err(report);
            }
            match self.once(&client, org, action, params, aliases).await {
                Err(e) if e.status() == Some(401) && !renewed && self.okta.renew(org).await => {
                    tracing::info!(org = %org, action, "Okta answered 401; retrying once with the re-read credential");
                    renewed = true;
                }
                other => {
                    if self.settings.metrics {
                        let throttled =
                            other.as_ref().err().and_then(ExecError::status) == Some(429);
                        audit::rate_metrics(
                            self.family.as_str(),
                            &client.last_rate_limit(),
                            throttled,
                        );
                    }
                    let recorded = client.dry_run().map(|d| d.log.take()).unwrap_or_default();
                    let requests = recorded.iter().map(ToString::to_string).collect();
                    return other.map(|o| (o, requests)).map_err(|e| e.report());
                }
            }
        }
    }

    async fn once(
        &self,
        client: &OktaClient,
        org: &OrgName,
        action: &str,
        params: &Map<String, Value>,
        aliases: &BTreeMap<String, String>,
    ) -> Result<Outcome, ExecError> {
        Executor::new(client)
            .with_secrets(org.as_str(), &*self.named)
            .with_webhook(&self.webhook)
            .execute_unless_protected(&self.protection, action, params, aliases)
            .await
    }

    /// Holds the call back when Okta's last answer left no more than the reserve in the
    /// current rate-limit window: the message waits for the reset (the throttled report
    /// returned), no 429 is spent. The wait is Okta's (`Reset − Date + 1 s`, less the
    /// time since that answer: [`OktaClient::headroom_wait`]), so a Lambda host whose
    /// clock is off neither skips the wait nor stretches it.
    fn headroom_wait(&self, client: &OktaClient) -> Option<FailureReport> {
        let wait = client.headroom_wait(self.settings.rate_reserve)?;
        let remaining = client.last_rate_limit().remaining.unwrap_or(0);
        Some(failure::report(
            FailureClass::Throttled {
                retry_after: Some(wait),
            },
            format!("{remaining} calls left in Okta's rate-limit window: waiting for its reset"),
        ))
    }

    /// Sends the plan's next step, if any, with the router's signed plan `signed` and
    /// this step's outcome `record` added to `done`; returns its envelope id. At the end
    /// of the plan, publishes its result instead.
    async fn pass_on(
        &self,
        envelope: &Envelope<Plan>,
        signed: Option<&SignedPlan>,
        output: Value,
        record: Value,
        receive_count: u32,
    ) -> Result<Option<String>, Retry> {
        match next_step(envelope, output) {
            Some(mut next) => {
                next.done.push(record);
                Ok(Some(self.send(&next, signed, receive_count).await?))
            }
            None => {
                tracing::info!(event = %envelope.event.uuid, rule = %envelope.rule_id, phase = envelope.cursor.phase.as_str(), "plan finished");
                let (status, error) = told::finished_status(envelope);
                // The step is recorded done: a retry comes back as a duplicate and
                // publishes again (results are at least once).
                let done = with_last(&envelope.done, record);
                self.publish(envelope, &done, status, error)
                    .await
                    .map_err(|e| Retry::soon(self.settings.backoff, receive_count, e))?;
                Ok(None)
            }
        }
    }

    /// Publishes the result of the plan that ends with `envelope`, whose steps' outcomes
    /// are `done` (this one's last).
    async fn publish(
        &self,
        envelope: &Envelope<Plan>,
        done: &[Value],
        status: ResultStatus,
        error: Option<String>,
    ) -> Result<(), ports::StoreError> {
        let (result, reply_to) =
            told::plan_result(envelope, done, status, error, self.settings.dry_run);
        self.results
            .publish_dyn(&result, reply_to.as_deref())
            .await?;
        tracing::info!(event = %envelope.event.uuid, rule = %envelope.rule_id,
            request = result.request_id.as_deref().unwrap_or(""), status = status.as_str(),
            "plan result published");
        Ok(())
    }

    /// Signs an envelope's progress and sends it to its family's queue; returns its id.
    ///
    /// With the router's signed plan (`signed`, from the body this step came in), the
    /// plan goes on unchanged and only the progress is signed here (HMAC): this executor
    /// holds no plan key and cannot make a plan. Without one (an org without plan keys,
    /// whose body was HMAC-only), the whole envelope is HMAC-signed, as before.
    async fn send(
        &self,
        envelope: &Envelope<Plan>,
        signed: Option<&SignedPlan>,
        receive_count: u32,
    ) -> Result<String, Retry> {
        let retry =
            |e: &dyn std::fmt::Display| Retry::soon(self.settings.backoff, receive_count, e);
        let step = current_step(envelope)
            .ok_or_else(|| retry(&"the envelope's cursor points past its plan"))?;
        let family = step.family;
        let queue = self
            .queues
            .get(&family)
            .ok_or_else(|| retry(&format!("no queue configured for family {family}")))?;
        let org = &envelope.org;
        let secret = self.secrets.get(org).await.map_err(|e| retry(&e))?;
        let keys = secret
            .signing
            .as_ref()
            .ok_or_else(|| retry(&format!("org {org} has no signing keys")))?;
        let body = match signed {
            Some(plan) => seal_step(envelope, plan, keys),
            None => seal(envelope, keys),
        }
        .map_err(|e| retry(&e))?;
        let message = FifoMessage {
            entry_id: "next".into(),
            body,
            group_id: envelope.group.clone(),
            dedup_id: envelope.id.clone(),
        };
        send_all(queue, &[message], &ResendPolicy::default())
            .await
            .map_err(|e| retry(&e))?;
        tracing::info!(event = %envelope.event.uuid, rule = %envelope.rule_id, envelope = %envelope.id,
            action = %step.action, family = %family, "step sent");
        Ok(envelope.id.clone())
    }

    /// Puts the original body on this family's DLQ with the reason, so that it can be
    /// read, fixed and redriven (the body is still signed).
    async fn dead_letter(
        &self,
        envelope: Option<&Envelope<Plan>>,
        body: &str,
        report: &FailureReport,
        receive_count: u32,
    ) -> Result<(), Retry> {
        let letter = json!({
            "failure": report,
            "family": self.family.as_str(),
            "envelopeId": envelope.map(|e| e.id.as_str()),
            "action": envelope.map(step_action),
            "rule": envelope.map(|e| e.rule_id.as_str()),
            "event": envelope.map(|e| e.event.uuid.as_str()),
            "org": envelope.map(|e| e.org.as_str()),
            "envelope": body,
        });
        // Unique per failure: a redriven envelope that fails again must land again.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dedup: String = Sha256::digest(format!("{now}:{body}"))
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let message = FifoMessage {
            entry_id: "dead".into(),
            body: letter.to_string(),
            group_id: envelope.map_or_else(|| "refused".to_owned(), |e| e.group.clone()),
            dedup_id: dedup,
        };
        send_all(&self.dead_letters, &[message], &ResendPolicy::default())
            .await
            .map_err(|e| Retry::soon(self.settings.backoff, receive_count, e))?;
        tracing::warn!(family = %self.family, envelope = envelope.map_or("", |e| e.id.as_str()),
            error = %report.message, error_code = report.error_code.as_deref().unwrap_or(""),
            okta_request_id = report.request_id.as_deref().unwrap_or(""), "step on the DLQ");
        Ok(())
    }
}

/// The steps' outcomes so far, and the last one.
fn with_last(done: &[Value], last: Value) -> Vec<Value> {
    let mut all = done.to_vec();
    all.push(last);
    all
}

/// The action of the step the envelope runs (empty when its cursor points past its plan).
fn step_action(envelope: &Envelope<Plan>) -> &str {
    current_step(envelope).map_or("", |step| step.action.as_str())
}

fn access_report(e: AccessError) -> FailureReport {
    let class = if e.retryable {
        FailureClass::Retryable
    } else {
        FailureClass::Permanent
    };
    failure::report(class, e.message)
}
