//! Where finished plans are told: one [`ActionResult`] per plan, for whoever asked.
//!
//! The result of a plan is the same whatever started it — a rule matching an Okta event
//! or an action request on the requests queue — so users wire alerts and dashboards to
//! outcomes without parsing logs. The production adapter
//! (`aws_adapters::EventBridgeResults`) puts it on the default EventBridge bus as
//! `source: okta-hooks`, `detail-type: Action Result`, and sends the same body to the
//! request's `reply_to` queue when it has one.
//!
//! Delivery is at least once: a step redelivered after its result went out publishes it
//! again. Consumers key on `request_id` (or `rule` + `event`) and `status`.

use std::future::Future;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::StoreError;

/// EventBridge `Source` of every result event.
pub const RESULT_SOURCE: &str = "okta-hooks";
/// EventBridge `DetailType` of every result event.
pub const RESULT_DETAIL_TYPE: &str = "Action Result";

/// How a plan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultStatus {
    /// Every step succeeded (or, in a dry run, was recorded).
    Done,
    /// A step failed for good; the `on_failure` steps, if any, ran after it.
    Failed,
    /// Nothing ran: the request was invalid, or a rail (protected user or group, the
    /// hourly cap on destructive actions) refused the plan. `error` says which.
    Refused,
}

impl ResultStatus {
    /// The status as the body spells it (`done`, `failed`, `refused`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::Done => "done",
            ResultStatus::Failed => "failed",
            ResultStatus::Refused => "refused",
        }
    }
}

/// What became of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// The action ran and changed what it changes.
    Done,
    /// Okta answered that the target was already so: nothing changed, the plan went on.
    AlreadyInState,
    /// A dry run: nothing was sent; `requests` holds what would have been.
    DryRun,
    /// The step failed for good; `error` says why.
    Failed,
}

impl StepStatus {
    /// The status as the body spells it (`done`, `already_in_state`, `dry_run`,
    /// `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Done => "done",
            StepStatus::AlreadyInState => "already_in_state",
            StepStatus::DryRun => "dry_run",
            StepStatus::Failed => "failed",
        }
    }
}

/// One step of a finished plan, in the order the steps ran (`steps`, then
/// `on_failure`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutcome {
    /// The step's name, or its position in its list (`"0"`, `"1"`, …).
    pub step: String,
    /// `steps` or `on_failure`.
    pub phase: String,
    /// The catalog action (`user.suspend`).
    pub action: String,
    /// What became of it.
    pub status: StepStatus,
    /// The action's output, without its secret fields (temporary passwords, reset
    /// links: never in a result, in clear or sealed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Okta's `X-Okta-Request-Id` of each call the step made, for Okta support.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub okta_request_ids: Vec<String>,
    /// In a dry run: each write it would have sent (secrets redacted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<String>,
    /// For a failed step: `message`, and Okta's `errorCode` / `errorSummary` when Okta
    /// answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

/// The result of one plan: the body of the `Action Result` event and of the reply.
///
/// A requested plan names its `request_id` (and who asked, and why); a rule's plan names
/// its `rule` and the Okta `event` (uuid) that matched it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    /// The request's id, for a requested plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The rule whose plan this was, for a rule's plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The uuid of the Okta event that matched the rule, for a rule's plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The org the plan acted on (empty when an invalid request named none that reads).
    pub org: String,
    /// How the plan ended.
    pub status: ResultStatus,
    /// Nothing was sent to Okta or a webhook.
    pub dry_run: bool,
    /// The request's free-text `requested_by`, as the requester wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    /// Who sent the request, as SQS reports it (`SenderId`: the IAM principal), which
    /// the hourly cap counts by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    /// The request's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why the plan was refused or failed, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Each step that ran, in order.
    #[serde(default)]
    pub steps: Vec<StepOutcome>,
}

impl ActionResult {
    /// A result of `org` with `status` and nothing else: the caller fills in what it
    /// knows (`ActionResult { rule: …, ..ActionResult::new(org, status) }`).
    pub fn new(org: impl Into<String>, status: ResultStatus) -> Self {
        ActionResult {
            request_id: None,
            rule: None,
            event: None,
            org: org.into(),
            status,
            dry_run: false,
            requested_by: None,
            requester: None,
            reason: None,
            error: None,
            steps: Vec::new(),
        }
    }
}

/// Where results go. `reply_to` is the requester's SQS queue URL, when the request gave
/// one; the result goes there as well as to the bus.
pub trait ResultSink: Send + Sync {
    /// Publishes one finished plan's result. An error is retried by the caller (the
    /// message that finished the plan stays on its queue).
    fn publish(
        &self,
        result: &ActionResult,
        reply_to: Option<&str>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A sink that tells nobody: for wiring that has no outlet for results (benches).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoResults;

impl ResultSink for NoResults {
    async fn publish(&self, _: &ActionResult, _: Option<&str>) -> Result<(), StoreError> {
        Ok(())
    }
}

impl<T: ResultSink> ResultSink for std::sync::Arc<T> {
    fn publish(
        &self,
        result: &ActionResult,
        reply_to: Option<&str>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).publish(result, reply_to)
    }
}

/// A [`ResultSink`] behind a pointer (`Arc<dyn DynResultSink>`), for holders that are not
/// generic over their sink: every `ResultSink` is one.
pub trait DynResultSink: Send + Sync {
    /// [`ResultSink::publish`], boxed.
    fn publish_dyn<'a>(
        &'a self,
        result: &'a ActionResult,
        reply_to: Option<&'a str>,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;
}

impl<T: ResultSink> DynResultSink for T {
    fn publish_dyn<'a>(
        &'a self,
        result: &'a ActionResult,
        reply_to: Option<&'a str>,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>> {
        Box::pin(self.publish(result, reply_to))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_result_reads_back_as_written_and_leaves_out_what_it_has_not() {
        let result = ActionResult {
            request_id: Some("r-1".into()),
            rule: None,
            event: None,
            org: "acme".into(),
            status: ResultStatus::Done,
            dry_run: false,
            requested_by: Some("alice@acme.com".into()),
            requester: Some("AIDAEXAMPLE".into()),
            reason: Some("ticket 42".into()),
            error: None,
            steps: vec![StepOutcome {
                step: "0".into(),
                phase: "steps".into(),
                action: "user.suspend".into(),
                status: StepStatus::AlreadyInState,
                output: None,
                okta_request_ids: vec!["req-1".into()],
                requests: vec![],
                error: None,
            }],
        };
        let body = serde_json::to_value(&result).unwrap();
        assert_eq!(body["status"], "done");
        assert_eq!(body["steps"][0]["status"], "already_in_state");
        assert!(body.get("rule").is_none() && body.get("error").is_none());
        assert!(body["steps"][0].get("output").is_none());
        let back: ActionResult = serde_json::from_value(body).unwrap();
        assert_eq!(back, result);
        assert_eq!(
            serde_json::to_value(ResultStatus::Refused).unwrap(),
            json!(ResultStatus::Refused.as_str())
        );
        for status in [
            StepStatus::Done,
            StepStatus::AlreadyInState,
            StepStatus::DryRun,
            StepStatus::Failed,
        ] {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                json!(status.as_str())
            );
        }
    }
}
