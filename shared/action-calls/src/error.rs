//! Why an action did not run, and what the executor Lambda should do about it.
//!
//! Read like `aws-lambda-rust-runtime`'s `basic-error-thiserror` example: every variant
//! maps to one [`FailureClass`] — try again later (with or without Okta's retry-after)
//! or give up (DLQ, then the rule's `on_failure` steps). [`FailureClass`] is the form a
//! letter records; whether and when to retry is decided once, by `retry::Policy`, from
//! [`FailureClass::failure`]. Okta's "not allowed in the
//! current status" is a success only when the user, read after it, is where the action
//! leads ([`crate::execute`] checks); otherwise it is [`ExecError::WrongStatus`].
//!
//! No variant carries a secret: parameter errors name the parameter, never its value
//! (passwords travel as parameters); webhook errors never hold the URL; Okta errors are
//! built by `okta-client` from Okta's answer and the request's method and path only.

use std::time::Duration;

use actions::ParamError;
use okta_client::OktaError;
use serde::Serialize;

use crate::notify::WebhookError;
use crate::secrets::SecretLookupError;

/// What to do about a failed action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "class")]
pub enum FailureClass {
    /// Try again later with a growing delay: `5xx`, timeouts, connection failures, a
    /// secret store that could not be reached.
    Retryable,
    /// Rate-limited (`429`): try again after `retry_after` (Okta's `X-Rate-Limit-Reset`
    /// − `Date` + 1 s, or a webhook's `Retry-After`) when known. Never slept on here.
    Throttled {
        /// How long to wait, when the answer said.
        #[serde(
            skip_serializing_if = "Option::is_none",
            serialize_with = "as_secs",
            rename = "retry_after_secs"
        )]
        retry_after: Option<Duration>,
    },
    /// Do not retry: `4xx`, invalid parameters, a refused request. Goes to the DLQ.
    Permanent,
    /// Retried until the last attempt (the step's attempt budget, or the queue's last
    /// receive before its redrive): given up like a permanent failure — letter, audit
    /// line, `on_failure` — with the last error, instead of vanishing into the DLQ.
    Exhausted,
}

impl From<retry::Failure> for FailureClass {
    fn from(failure: retry::Failure) -> Self {
        match failure {
            retry::Failure::Retryable => FailureClass::Retryable,
            retry::Failure::Throttled { wait } => FailureClass::Throttled { retry_after: wait },
            retry::Failure::Permanent => FailureClass::Permanent,
        }
    }
}

impl FailureClass {
    /// The class as the retry decision ([`retry::Policy::decide`]) sees it: an
    /// exhausted failure is already given up, so it reads as permanent.
    pub fn failure(self) -> retry::Failure {
        match self {
            FailureClass::Retryable => retry::Failure::Retryable,
            FailureClass::Throttled { retry_after } => {
                retry::Failure::Throttled { wait: retry_after }
            }
            FailureClass::Permanent | FailureClass::Exhausted => retry::Failure::Permanent,
        }
    }
}

fn as_secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs()),
        None => s.serialize_none(),
    }
}

/// Why an action did not run to completion.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The catalog has no such action.
    #[error("unknown action `{0}`")]
    UnknownAction(String),
    /// The parameters do not fit the catalog's description of the action; nothing was
    /// sent to Okta.
    #[error(transparent)]
    InvalidParams(#[from] ParamError),
    /// The parameters fit the catalog's types but not together or not in value (both
    /// `login` and `email`, a raw path outside `/api/`, a `limit` of 0); nothing was sent.
    #[error("{action}: {message}")]
    BadParam {
        /// The action.
        action: &'static str,
        /// What is wrong, naming the parameter (never its value when it may be secret).
        message: String,
    },
    /// Okta answered an error, or the request could not be sent.
    #[error(transparent)]
    Okta(#[from] OktaError),
    /// The lookup succeeded but found nothing usable (`user.find` with no match, or
    /// several users sharing one email).
    #[error("{action}: {message}")]
    NotFound {
        /// The action.
        action: &'static str,
        /// What was looked for.
        message: String,
    },
    /// Okta accepted the first half of a two-call action but is not ready for the
    /// second (a user still being deactivated before its deletion): retry later.
    #[error("{action}: {message}")]
    InProgress {
        /// The action.
        action: &'static str,
        /// What is still running.
        message: String,
    },
    /// The (rendered) parameters touch a protected user or group.
    #[error("refused: {0}")]
    Protected(String),
    /// The executor was built without something this action needs (the Okta client,
    /// the secret store, the webhook sender): a deployment mistake, not retried.
    #[error("{action} needs {what}, which this executor was not given")]
    NotConfigured {
        /// The action.
        action: &'static str,
        /// The missing dependency.
        what: &'static str,
    },
    /// A named secret (webhook URL, hook auth value) could not be read.
    #[error("{action}: {source}")]
    Secret {
        /// The action.
        action: &'static str,
        /// Why.
        #[source]
        source: SecretLookupError,
    },
    /// The webhook POST failed.
    #[error("notify.webhook: {0}")]
    Webhook(#[from] WebhookError),
    /// Okta refused the action for the user's current status (`E0000038`, `E0000016`),
    /// and the user, read after the refusal, is not where the action leads: a `LOCKED_OUT`
    /// user cannot be suspended. Never retried (the status will not change by itself).
    #[error("user is {status}; {}", needs_text(action, *needs))]
    WrongStatus {
        /// The action.
        action: &'static str,
        /// The user's status when read after the refusal.
        status: String,
        /// The statuses the action needs, when the catalog knows them.
        needs: Option<&'static [&'static str]>,
        /// Okta's refusal (its code, summary and request id go to the letter).
        #[source]
        source: OktaError,
    },
    /// An answer that parsed but could not be turned into the action's output.
    #[error("{action}: {message}")]
    Output {
        /// The action.
        action: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl ExecError {
    /// What the executor Lambda should do: retry later, retry after a delay, or give up.
    pub fn class(&self) -> FailureClass {
        match self {
            // `execute` turns `AlreadyInState` into a success; a caller classifying an
            // error it built itself gets the cautious answer (permanent).
            ExecError::Okta(e) => e.failure().into(),
            ExecError::InProgress { .. } => FailureClass::Retryable,
            ExecError::Secret { source, .. } => source.class(),
            ExecError::Webhook(e) => e.class(),
            ExecError::UnknownAction(_)
            | ExecError::InvalidParams(_)
            | ExecError::BadParam { .. }
            | ExecError::NotFound { .. }
            | ExecError::Protected(_)
            | ExecError::NotConfigured { .. }
            | ExecError::WrongStatus { .. }
            | ExecError::Output { .. } => FailureClass::Permanent,
        }
    }

    /// Okta's `errorCode`, when Okta answered one.
    pub fn error_code(&self) -> Option<&str> {
        self.okta().and_then(OktaError::error_code)
    }

    /// Okta's `errorSummary`, when Okta answered one.
    pub fn error_summary(&self) -> Option<&str> {
        self.okta()
            .and_then(OktaError::api)
            .and_then(|a| a.error_summary.as_deref())
    }

    /// The `X-Okta-Request-Id` of the failed response, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        self.okta().and_then(OktaError::request_id)
    }

    /// The HTTP status of the failed response (Okta's or the webhook's).
    pub fn status(&self) -> Option<u16> {
        match self {
            ExecError::Okta(e) | ExecError::WrongStatus { source: e, .. } => e.status(),
            ExecError::Webhook(e) => e.status(),
            _ => None,
        }
    }

    /// The underlying Okta error, if any.
    pub fn okta(&self) -> Option<&OktaError> {
        match self {
            ExecError::Okta(e) | ExecError::WrongStatus { source: e, .. } => Some(e),
            _ => None,
        }
    }

    /// The user's status that made Okta refuse the action, when it was read.
    pub fn user_status(&self) -> Option<&str> {
        match self {
            ExecError::WrongStatus { status, .. } => Some(status),
            _ => None,
        }
    }

    /// Everything the DLQ message (and an `on_failure` step's `failure`) should carry,
    /// as one serialisable value.
    pub fn report(&self) -> FailureReport {
        FailureReport {
            class: self.class(),
            message: self.to_string(),
            status: self.status(),
            error_code: self.error_code().map(str::to_owned),
            error_summary: self.error_summary().map(str::to_owned),
            request_id: self.request_id().map(str::to_owned),
            user_status: self.user_status().map(str::to_owned),
        }
    }
}

/// `user.suspend needs ACTIVE`, or that Okta does not allow the action in that status.
fn needs_text(action: &str, needs: Option<&[&str]>) -> String {
    match needs {
        Some(needs) => format!("{action} needs {}", needs.join(" or ")),
        None => format!("Okta does not allow {action} in that status"),
    }
}

/// A failed action, summarised for the DLQ, the audit log and `on_failure` steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureReport {
    /// What to do about it.
    #[serde(flatten)]
    pub class: FailureClass,
    /// The error's text (no secret: see [`ExecError`]).
    #[serde(rename = "error")]
    pub message: String,
    /// HTTP status, when there was a response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Okta's `errorCode`.
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Okta's `errorSummary`.
    #[serde(rename = "errorSummary", skip_serializing_if = "Option::is_none")]
    pub error_summary: Option<String>,
    /// `X-Okta-Request-Id` of the failed response.
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The user's status, when Okta refused the action for it.
    #[serde(rename = "userStatus", skip_serializing_if = "Option::is_none")]
    pub user_status: Option<String>,
}

impl FailureReport {
    /// `{"message", "errorCode"?, "errorSummary"?}`: the failure as a step's outcome in a
    /// plan's result states it (what failed, and Okta's words when Okta answered).
    pub fn detail(&self) -> serde_json::Value {
        let mut detail = serde_json::Map::new();
        detail.insert("message".into(), self.message.clone().into());
        if let Some(code) = &self.error_code {
            detail.insert("errorCode".into(), code.clone().into());
        }
        if let Some(summary) = &self.error_summary {
            detail.insert("errorSummary".into(), summary.clone().into());
        }
        serde_json::Value::Object(detail)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::FailureClass;

    #[test]
    fn a_failure_class_reads_back_as_the_retry_failure_it_came_from_and_exhausted_as_permanent() {
        let failures = [
            retry::Failure::Retryable,
            retry::Failure::Throttled { wait: None },
            retry::Failure::Throttled {
                wait: Some(Duration::from_secs(7)),
            },
            retry::Failure::Permanent,
        ];
        for failure in failures {
            assert_eq!(FailureClass::from(failure).failure(), failure);
        }
        assert_eq!(FailureClass::Exhausted.failure(), retry::Failure::Permanent);
    }
}
