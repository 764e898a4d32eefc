//! Action requests: a plan someone asks for with a message on the action-requests queue,
//! taken in by the router beside the events it routes.
//!
//! The router takes them (not a function of their own) because it is the one holder of
//! the plan-signing key: a second function that signs plans would be a second place a
//! plan could be made. It also already holds the rails requests share with rules —
//! protected users and groups, the hourly counters — and the family queues.
//!
//! Per message ([`Router::take_request`]):
//!
//! 1. **read**: the body must be a request ([`ActionRequest`]): `action` (and `params`)
//!    or `steps` (and `on_failure`) in the rules' step syntax, checked by the rules'
//!    loader ([`rules::request_plan`]); `org` one the deployment serves; `reply_to` a
//!    queue of this account whose name the stack lets it answer to.
//! 2. **once**: `request_id` (the SQS message id when absent) is remembered in the
//!    ledger: the same request twice runs once.
//! 3. **rails**: protected users and groups are refused, as in rules; destructive steps
//!    count against the requester's hourly cap — the requester being the IAM principal
//!    SQS reports (`SenderId`), never the free-text `requested_by`. A dry run runs the
//!    plan through the executors with every write recorded, not sent.
//! 4. **audit and send**: one audit line with the requester, `requested_by` and the
//!    reason; the plan signed and its first step sent to its family's queue, in the FIFO
//!    group of the user it touches first, so it runs in order with that user's events.
//!
//! Whatever is refused or invalid leaves a letter on the requests DLQ saying why, and a
//! `refused` result ([`ports::ActionResult`]) on the bus and the `reply_to` queue.

use actions::Family;
use envelope::{Cursor, Envelope, EventRef, Phase, RequestRef, envelope_id};
use fifo_queue::{FifoMessage, FifoQueue, ResendPolicy, send_all};
use org_secrets::{KnownOrgs, OrgName, SecretSource};
use ports::{ActionCounter, ActionResult, Directory, EventLedger, ResultStatus};
use rules::{Plan, REQUEST_RULE_ID, request_plan};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::dead_letter::fresh_dedup_id;
use crate::route::current_hour;
use crate::{LetterClass, RouteError, Router};

/// The `eventType` a requested plan's [`EventRef`] names in place of an Okta event's.
const EVENT_TYPE: &str = "okta_hooks.action_request";

/// The longest `request_id` accepted (it is part of ledger keys and log lines).
const MAX_REQUEST_ID: usize = 128;

/// How the router takes requests: from the function's environment.
#[derive(Debug, Clone)]
pub struct RequestSettings {
    /// The orgs requests may name; a request without `org` acts on the default one.
    pub orgs: KnownOrgs,
    /// `OKTA_HOOKS_REQUEST_CAP_PER_HOUR`: destructive steps one requester may ask for
    /// per hour (0: none).
    pub cap_per_hour: u32,
    /// Which queues `reply_to` may name.
    pub reply_queues: ReplyQueues,
    /// The requests queue's redrive `maxReceiveCount`: on the last receive, a request
    /// that still cannot be taken leaves a letter instead of vanishing into the DLQ.
    pub max_receive_count: u32,
}

/// The queues a result may be sent to: the stack's role may send only there
/// (`ReplyQueuePattern`), so a `reply_to` elsewhere is refused up front rather than
/// failing when the plan is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyQueues {
    /// The account the queues must be in (the requests queue's own); `None`: any.
    pub account: Option<String>,
    /// A queue-name glob whose only wildcard is `*` (`okta-hooks-reply-*`).
    pub pattern: String,
}

impl ReplyQueues {
    /// Why `url` may not be replied to, or `None` when it may.
    pub fn refuses(&self, url: &str) -> Option<String> {
        let path = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .and_then(|rest| rest.split_once('/'))
            .map(|(_, path)| path);
        let Some((account, name)) = path.and_then(|p| p.split_once('/')) else {
            return Some(format!(
                "`reply_to` {url:?} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)"
            ));
        };
        if let Some(ours) = &self.account
            && account != ours
        {
            return Some(format!(
                "`reply_to` names a queue of account {account}; results go only to queues of this account ({ours})"
            ));
        }
        if !glob(&self.pattern, name) {
            return Some(format!(
                "`reply_to` names queue `{name}`; results go only to queues named `{}` (the stack's ReplyQueuePattern)",
                self.pattern
            ));
        }
        None
    }
}

/// `*`-only glob match.
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// A request as the queue carries it. Unknown keys are refused, so a misspelt `dry_run`
/// cannot run a plan for real.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// The org to act on; default: the deployment's default org.
    #[serde(default)]
    pub org: Option<String>,
    /// One action (`user.suspend`) …
    #[serde(default)]
    pub action: Option<String>,
    /// … and its parameters.
    #[serde(default)]
    pub params: Option<Map<String, Value>>,
    /// Or a short plan, in the rules' step syntax.
    #[serde(default)]
    pub steps: Option<Value>,
    /// Steps to run when one of the plan's fails (rules' syntax).
    #[serde(default)]
    pub on_failure: Option<Value>,
    /// Makes the request idempotent; default: the SQS message id.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Who asked, in words (a person, a ticket, a workflow); the audit line keeps it
    /// beside the IAM principal that sent the message.
    #[serde(default)]
    pub requested_by: Option<String>,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// Record every write, send none.
    #[serde(default)]
    pub dry_run: bool,
    /// An SQS queue URL the result is also sent to.
    #[serde(default)]
    pub reply_to: Option<String>,
}

/// One message of the requests queue.
#[derive(Debug, Clone, Copy)]
pub struct RequestMessage<'a> {
    /// The body as received.
    pub body: &'a str,
    /// SQS's `MessageId`: the request id when the body gives none, so a redelivery of
    /// the same message is the same request.
    pub message_id: &'a str,
    /// SQS's `SenderId`: the IAM principal that sent it (empty when unknown).
    pub sender_id: &'a str,
    /// `ApproximateReceiveCount`: 1 on the first receive.
    pub receive_count: u32,
}

/// What became of a request. Every variant deletes the message.
#[derive(Debug, Clone, PartialEq)]
pub enum Taken {
    /// The plan's first step is on its family's queue.
    Sent {
        /// The request's id.
        request_id: String,
        /// The first step's envelope id.
        envelope_id: String,
        /// The first step's family.
        family: Family,
        /// Whether the plan runs as a dry run.
        dry_run: bool,
    },
    /// The same request was taken before: nothing sent.
    Duplicate {
        /// The request's id.
        request_id: String,
    },
    /// Invalid or refused: a letter on the requests DLQ and a `refused` result say why.
    Refused {
        /// The request's id, when the body had one that reads (or the message id).
        request_id: String,
        /// Why, as the letter and the result say it.
        reason: String,
    },
}

/// A request that passed every check but the ledger and the rails.
struct Valid {
    org: OrgName,
    plan: Plan,
    request: RequestRef,
}

/// Why a request is not taken, before anything is sent.
struct Refusal {
    class: &'static str,
    reason: String,
    org: Option<OrgName>,
    request: RequestRef,
}

impl<L, C, D, Q, S> Router<L, C, D, Q, S>
where
    L: EventLedger,
    C: ActionCounter + ports::WindowStore,
    D: Directory,
    Q: FifoQueue,
    S: SecretSource,
{
    /// Takes one message of the requests queue. `Err`: retry it later (a store, a queue
    /// or the secrets could not be reached, before its last receive).
    pub async fn take_request(&self, message: RequestMessage<'_>) -> Result<Taken, RouteError> {
        let Some(intake) = &self.requests else {
            return Err(RouteError::Malformed(
                "this router takes no action requests (no requests DLQ configured)".into(),
            ));
        };
        let result = self.take(message, &intake.settings).await;
        let error = match result {
            Ok(Ok(taken)) => return Ok(taken),
            Ok(Err(refusal)) => return self.refuse(message, *refusal).await,
            Err(error) => error,
        };
        let Some(class) = LetterClass::after(
            &error,
            message.receive_count,
            intake.settings.max_receive_count,
        ) else {
            tracing::info!(receive = message.receive_count, error = %error, "action request not taken: retried");
            return Err(error);
        };
        let request = lenient_ref(message);
        self.refuse(
            message,
            Refusal {
                class: class.as_str(),
                reason: error.to_string(),
                org: None,
                request,
            },
        )
        .await
    }

    /// Checks, rails and sending; `Ok(Err)` is a refusal (final), `Err` a failure that a
    /// retry may cure.
    async fn take(
        &self,
        message: RequestMessage<'_>,
        settings: &RequestSettings,
    ) -> Result<Result<Taken, Box<Refusal>>, RouteError> {
        let valid = match read(message, settings) {
            Ok(valid) => valid,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let key = format!("request:{}", valid.request.id);
        if self.ledger.is_done(&key).await? {
            tracing::info!(request = %valid.request.id, "duplicate action request: already taken");
            return Ok(Ok(Taken::Duplicate {
                request_id: valid.request.id,
            }));
        }
        let refusal = |reason: String| {
            Box::new(Refusal {
                class: "refused",
                reason,
                org: Some(valid.org.clone()),
                request: valid.request.clone(),
            })
        };
        if let Some(reason) = self.rules.protection().refuses_steps(&valid.plan) {
            return Ok(Err(refusal(reason)));
        }
        let destructive = valid.plan.destructive_steps() as u32;
        if !valid.plan.dry_run
            && destructive > 0
            && !self
                .counter
                .try_take(
                    &format!("requester:{}", valid.request.requester),
                    current_hour(),
                    &key,
                    destructive,
                    settings.cap_per_hour,
                )
                .await?
        {
            return Ok(Err(refusal(format!(
                "requester {} has reached the hourly cap of {} destructive actions on request \
                 (ActionRequestCapPerHour)",
                valid.request.requester, settings.cap_per_hour
            ))));
        }
        let taken = self.send_request(valid, &key).await?;
        Ok(Ok(taken))
    }

    /// Signs the plan, sends its first step, remembers the request.
    async fn send_request(&self, valid: Valid, key: &str) -> Result<Taken, RouteError> {
        let Valid { org, plan, request } = valid;
        let Some(first) = plan.steps.first() else {
            return Err(RouteError::Malformed("the plan has no steps".into()));
        };
        let (family, action) = (first.family, first.action.clone());
        let group = plan
            .touched()
            .users
            .into_iter()
            .next()
            .unwrap_or_else(|| key.to_owned());
        let uuid = key.to_owned();
        let dry_run = plan.dry_run;
        let envelope = Envelope {
            id: envelope_id(&uuid, REQUEST_RULE_ID, Phase::Steps, 0),
            org: org.clone(),
            rule_id: REQUEST_RULE_ID.to_owned(),
            cursor: Cursor {
                phase: Phase::Steps,
                index: 0,
            },
            group: group.clone(),
            dry_run,
            event: EventRef {
                uuid,
                event_type: EVENT_TYPE.to_owned(),
                published: Some(now_rfc3339()),
                delivery_id: None,
                request: Some(request.clone()),
            },
            plan,
            outputs: Map::new(),
            failure: None,
            done: Vec::new(),
        };
        let body = self.seal_first(&org, &envelope).await?;
        let queue = self
            .queues
            .get(&family)
            .ok_or(RouteError::NoQueue(family))?;
        let message = FifoMessage {
            entry_id: "request".into(),
            body,
            group_id: group,
            dedup_id: envelope.id.clone(),
        };
        send_all(queue, &[message], &ResendPolicy::default())
            .await
            .map_err(|e| RouteError::Queue {
                family,
                reason: e.to_string(),
            })?;
        self.ledger.mark_done(key, self.ledger_ttl).await?;
        tracing::info!(audit = true, request = %request.id, requester = %request.requester,
            requested_by = request.requested_by.as_deref().unwrap_or(""),
            reason = request.reason.as_deref().unwrap_or(""), org = %org, action = %action,
            steps = envelope.plan.steps.len(), dry_run, envelope = %envelope.id,
            family = family.as_str(), "action request taken: plan sent");
        Ok(Taken::Sent {
            request_id: request.id,
            envelope_id: envelope.id,
            family,
            dry_run,
        })
    }

    /// Tells a refusal: the `refused` result, then the letter (a result told twice on a
    /// retry is fine; a letter without its result is not what the requester waits for).
    async fn refuse(
        &self,
        message: RequestMessage<'_>,
        refusal: Refusal,
    ) -> Result<Taken, RouteError> {
        let Refusal {
            class,
            reason,
            org,
            request,
        } = refusal;
        tracing::warn!(audit = true, request = %request.id, requester = %request.requester,
            requested_by = request.requested_by.as_deref().unwrap_or(""),
            reason = request.reason.as_deref().unwrap_or(""), class, error = %reason,
            "action request refused");
        let result = ActionResult {
            request_id: Some(request.id.clone()),
            requested_by: request.requested_by.clone(),
            requester: Some(request.requester.clone()),
            reason: request.reason.clone(),
            error: Some(reason.clone()),
            ..ActionResult::new(
                org.as_ref().map_or("", OrgName::as_str),
                ResultStatus::Refused,
            )
        };
        self.results
            .publish_dyn(&result, request.reply_to.as_deref())
            .await?;
        let letter = json!({
            "failure": {"class": class, "error": reason},
            "requestId": request.id,
            "requester": request.requester,
            "requestedBy": request.requested_by,
            "org": org.as_ref().map(OrgName::as_str),
            "receiveCount": message.receive_count,
            "message": message.body,
        });
        if let Some(intake) = &self.requests {
            let sent = FifoMessage {
                entry_id: "letter".into(),
                body: letter.to_string(),
                group_id: "requests".into(),
                dedup_id: fresh_dedup_id(message.body),
            };
            send_all(&intake.dlq, &[sent], &ResendPolicy::default())
                .await
                .map_err(|e| RouteError::Letter {
                    reason: e.to_string(),
                    error: Box::new(RouteError::Malformed(reason.clone())),
                })?;
        }
        Ok(Taken::Refused {
            request_id: request.id,
            reason,
        })
    }
}

/// Reads and checks a request body; every problem found is in the refusal.
fn read(message: RequestMessage<'_>, settings: &RequestSettings) -> Result<Valid, Box<Refusal>> {
    let mut request = lenient_ref(message);
    let invalid = |reason: String, request: &RequestRef| {
        Box::new(Refusal {
            class: "invalid",
            reason,
            org: None,
            request: request.clone(),
        })
    };
    let parsed: ActionRequest = serde_json::from_str(message.body).map_err(|e| {
        invalid(
            format!("the request is not valid JSON of a request: {e}"),
            &request,
        )
    })?;
    let mut problems = Vec::new();
    if let Some(id) = &parsed.request_id
        && (id.is_empty()
            || id.len() > MAX_REQUEST_ID
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        problems.push(format!(
            "`request_id` must be 1 to {MAX_REQUEST_ID} letters, digits, `-`, `_`, `.` or `:`"
        ));
    }
    if let Some(url) = &parsed.reply_to {
        match settings.reply_queues.refuses(url) {
            Some(problem) => problems.push(problem),
            None => request.reply_to = Some(url.clone()),
        }
    }
    let org = match parsed.org.as_deref() {
        None => Some(settings.orgs.default_org().clone()),
        Some(name) => match settings.orgs.get(name) {
            Some(org) => Some(org.clone()),
            None => {
                problems.push(format!(
                    "unknown org `{name}` (this deployment serves: {})",
                    settings
                        .orgs
                        .iter()
                        .map(OrgName::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                None
            }
        },
    };
    let steps = match (&parsed.action, &parsed.steps) {
        (Some(_), Some(_)) => {
            problems.push("give `action` (with `params`) or `steps`, not both".into());
            None
        }
        (None, None) => {
            problems.push("a request needs `action` (with `params`) or `steps`".into());
            None
        }
        (None, Some(steps)) => {
            if parsed.params.is_some() {
                problems.push(
                    "`params` goes with `action`; in `steps`, each step has its parameters".into(),
                );
            }
            Some(steps.clone())
        }
        (Some(action), None) => {
            let mut step = Map::new();
            step.insert("action".into(), json!(action));
            for (key, value) in parsed.params.clone().unwrap_or_default() {
                if matches!(key.as_str(), "action" | "name" | "for_each") {
                    problems.push(format!(
                        "`params` may not hold `{key}`: it is not a parameter of an action"
                    ));
                    continue;
                }
                step.insert(key, value);
            }
            Some(json!([step]))
        }
    };
    // Unknown actions first, in the words `okta-hooks run` uses: the closest name.
    let unknown = unknown_actions(&parsed, steps.as_ref());
    let steps = if unknown.is_empty() {
        steps
    } else {
        problems.extend(unknown);
        None
    };
    let plan = steps.and_then(|steps| {
        match request_plan(&steps, parsed.on_failure.as_ref(), parsed.dry_run) {
            Ok(plan) => Some(plan),
            Err(mut found) => {
                // One step as `action` + `params`: `steps[0]` says nothing to its sender.
                if parsed.action.is_some() {
                    for p in &mut found {
                        if let Some(rest) = p.strip_prefix("steps[0]: ") {
                            *p = rest.to_owned();
                        }
                    }
                }
                problems.extend(found);
                None
            }
        }
    });
    request.requested_by = parsed.requested_by.clone();
    request.reason = parsed.reason.clone();
    if let Some(id) = &parsed.request_id
        && problems.iter().all(|p| !p.starts_with("`request_id`"))
    {
        request.id = id.clone();
    }
    if !problems.is_empty() {
        return Err(Box::new(Refusal {
            class: "invalid",
            reason: problems.join("; "),
            org,
            request,
        }));
    }
    match (org, plan) {
        (Some(org), Some(plan)) => Ok(Valid { org, plan, request }),
        _ => Err(invalid("the request is not valid".into(), &request)),
    }
}

/// "unknown action `user.suspnd` — did you mean `user.suspend`?" for each step whose
/// action the catalog does not have (prefixed with its place in `steps`/`on_failure`).
fn unknown_actions(parsed: &ActionRequest, steps: Option<&Value>) -> Vec<String> {
    if let Some(action) = &parsed.action {
        return match actions::find(action) {
            Some(_) => Vec::new(),
            None => vec![actions::unknown_action_message(action)],
        };
    }
    let mut found = Vec::new();
    for (list, value) in [("steps", steps), ("on_failure", parsed.on_failure.as_ref())] {
        let Some(Value::Array(items)) = value else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            if let Some(action) = item.get("action").and_then(Value::as_str)
                && actions::find(action).is_none()
            {
                found.push(format!(
                    "{list}[{i}]: {}",
                    actions::unknown_action_message(action)
                ));
            }
        }
    }
    found
}

/// What can be told of a request before (or without) reading its body: the message id
/// as its id, the sender, and `reply_to` only once checked.
fn lenient_ref(message: RequestMessage<'_>) -> RequestRef {
    RequestRef {
        id: message.message_id.to_owned(),
        requester: if message.sender_id.is_empty() {
            "unknown".to_owned()
        } else {
            message.sender_id.to_owned()
        },
        requested_by: None,
        reason: None,
        reply_to: None,
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_queues_are_this_accounts_queues_whose_names_match_the_pattern() {
        let queues = ReplyQueues {
            account: Some("123456789012".into()),
            pattern: "okta-hooks-reply-*".into(),
        };
        let url = |account: &str, name: &str| {
            format!("https://sqs.us-east-1.amazonaws.com/{account}/{name}")
        };
        assert_eq!(
            queues.refuses(&url("123456789012", "okta-hooks-reply-abc")),
            None
        );
        assert!(
            queues
                .refuses(&url("123456789012", "payroll"))
                .unwrap()
                .contains("okta-hooks-reply-*")
        );
        assert!(
            queues
                .refuses(&url("999999999999", "okta-hooks-reply-abc"))
                .unwrap()
                .contains("account 999999999999")
        );
        assert!(
            queues
                .refuses("not a url")
                .unwrap()
                .contains("not an SQS queue URL")
        );
    }

    #[test]
    fn globs_match_star_anywhere() {
        assert!(glob("a*", "abc"));
        assert!(glob("*c", "abc"));
        assert!(glob("a*c", "abc"));
        assert!(glob("a*b*c", "a-b-c"));
        assert!(glob("abc", "abc"));
        assert!(!glob("abc", "abcd"));
        assert!(!glob("a*d", "abc"));
        assert!(glob("*", ""));
    }
}
