//! Action executors: one catalog action with its rendered parameters becomes the right
//! Okta Management API call(s) and a classified result.
//!
//! Pure of AWS: the executor Lambdas (one per family) verify the envelope, check
//! idempotency, render deferred parameters, call [`execute`] (or
//! [`Executor::execute`]), record the [`Outcome`] and send the next step; on an
//! [`ExecError`] they act on [`ExecError::class`]:
//!
//! | class | executor Lambda |
//! | --- | --- |
//! | [`FailureClass::Throttled`] | visibility timeout = `retry_after` (no sleeping) |
//! | [`FailureClass::Retryable`] | visibility timeout growing with the receive count |
//! | [`FailureClass::Permanent`] | DLQ with [`ExecError::report`], then `on_failure` |
//! | [`FailureClass::Exhausted`] | (set by the step runner on the last attempt) as permanent |
//!
//! Okta's "not allowed in the current status" (`E0000038`, `E0000016`) is a success
//! with [`Outcome::already_in_state`] set only when the user, read after the refusal, is
//! in one of the action's target statuses (`actions::StatusRule`); otherwise it is a
//! permanent [`ExecError::WrongStatus`] naming the user's status.
//!
//! Parameters are checked against the catalog before anything is sent. Each family's
//! actions live in their own module (`users`, `credentials`, `sessions`, `groups`,
//! `apps`, `roles`, `admin`, `raw`, `notify`), each a table of handlers;
//! [`implemented_actions`] lists them, and a test proves the catalog is covered.
//!
//! ```no_run
//! # async fn run(client: okta_client::OktaClient) {
//! let params = serde_json::json!({ "user": "00u1", "oauth_tokens": true });
//! match action_calls::execute(&client, "user.sessions.clear", params.as_object().unwrap()).await {
//!     Ok(outcome) => println!("done, Okta request ids {:?}", outcome.request_ids),
//!     Err(e) => println!("{:?}: {}", e.class(), e),
//! }
//! # }
//! ```

mod admin;
mod apps;
mod credentials;
mod dispatch;
mod error;
mod groups;
mod notify;
mod outcome;
mod params;
mod protect;
mod raw;
mod roles;
mod secrets;
mod sessions;
mod users;

use okta_client::{ErrorClass, OktaClient};
use serde_json::{Map, Value};

pub use dispatch::{DEFAULT_LIST_LIMIT, MAX_LIST_PAGES, implemented_actions};
pub use error::{ExecError, FailureClass, FailureReport};
pub use notify::{DEFAULT_WEBHOOK_TIMEOUT, WebhookError, WebhookSender, message_body};
pub use outcome::Outcome;
pub use protect::{recheck_protected, refuse_protected};
#[cfg(any(test, feature = "memory"))]
pub use secrets::StaticNamedSecrets;
pub use secrets::{NamedSecrets, OrgSecretNames, SecretLookupError};

use dispatch::Ctx;
use params::Params;

/// Runs `action` with `params` against Okta. For every action but `notify.webhook` and
/// `event_hook.create` with `auth_value_secret`, which need the secret store and the
/// webhook sender of an [`Executor`].
pub async fn execute(
    client: &OktaClient,
    action: &str,
    params: &Map<String, Value>,
) -> Result<Outcome, ExecError> {
    Executor::new(client).execute(action, params).await
}

/// What an action may use: the org's Okta client, its named secrets, a webhook sender.
/// Cheap to build per message; it borrows everything.
#[derive(Clone, Copy, Default)]
pub struct Executor<'a> {
    okta: Option<&'a OktaClient>,
    org: &'a str,
    secrets: Option<&'a dyn NamedSecrets>,
    webhook: Option<&'a WebhookSender>,
}

impl std::fmt::Debug for Executor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("okta", &self.okta)
            .field("org", &self.org)
            .field("secrets", &self.secrets.is_some())
            .field("webhook", &self.webhook)
            .finish()
    }
}

impl<'a> Executor<'a> {
    /// An executor for the org `okta` talks to.
    pub fn new(okta: &'a OktaClient) -> Self {
        Executor {
            okta: Some(okta),
            ..Executor::default()
        }
    }

    /// An executor with no Okta client (the notify family): Okta actions answer
    /// [`ExecError::NotConfigured`].
    pub fn without_okta() -> Self {
        Executor::default()
    }

    /// Named secrets (webhook URLs, hook auth values) of `org`.
    pub fn with_secrets(mut self, org: &'a str, secrets: &'a dyn NamedSecrets) -> Self {
        self.org = org;
        self.secrets = Some(secrets);
        self
    }

    /// The sender `notify.webhook` posts with.
    pub fn with_webhook(mut self, sender: &'a WebhookSender) -> Self {
        self.webhook = Some(sender);
        self
    }

    /// Validates `params` against the catalog (no request on failure), runs the action,
    /// and settles Okta's "not allowed in the current status" by the user's status.
    pub async fn execute(
        &self,
        action: &str,
        params: &Map<String, Value>,
    ) -> Result<Outcome, ExecError> {
        let spec =
            actions::find(action).ok_or_else(|| ExecError::UnknownAction(action.to_owned()))?;
        spec.validate(params)?;
        let handler = dispatch::handler(spec.name)
            .ok_or_else(|| ExecError::UnknownAction(action.to_owned()))?;
        let ctx = Ctx {
            spec,
            p: Params::new(spec.name, params),
            okta: self.okta,
            org: self.org,
            secrets: self.secrets,
            webhook: self.webhook,
        };
        match handler(&ctx).await {
            Err(ExecError::Okta(e)) if e.class() == ErrorClass::AlreadyInState => {
                settle_status_refusal(&ctx, e).await
            }
            other => other,
        }
    }
}

impl Executor<'_> {
    /// What the executors run for an Okta action: [`recheck_protected`] with this
    /// executor's Okta client (the rules' protected users and groups, on the rendered
    /// parameters, with the ids' logins and names looked up), then [`Executor::execute`].
    /// The outcome's request ids are the lookups' and then the action's.
    pub async fn execute_unless_protected(
        &self,
        protection: &rules::Protection,
        action: &str,
        params: &Map<String, Value>,
        aliases: &std::collections::BTreeMap<String, String>,
    ) -> Result<Outcome, ExecError> {
        let okta = self.okta.ok_or_else(|| ExecError::NotConfigured {
            action: actions::find(action).map_or("?", |spec| spec.name),
            what: "an Okta client",
        })?;
        let mut request_ids = recheck_protected(okta, protection, action, params, aliases).await?;
        let mut outcome = self.execute(action, params).await?;
        request_ids.append(&mut outcome.request_ids);
        outcome.request_ids = request_ids;
        Ok(outcome)
    }
}

/// Okta refused the action for the user's current status (`E0000038`, `E0000016`): that
/// is "done" only when the user, read now, is where the action leads (already suspended);
/// a user in any other status (`LOCKED_OUT` for a suspend) is a permanent failure naming
/// it, so the rule's `on_failure` runs. Actions without a user, or whose catalog entry
/// names no target status, keep Okta's refusal as a permanent failure.
async fn settle_status_refusal(
    ctx: &Ctx<'_>,
    refusal: okta_client::OktaError,
) -> Result<Outcome, ExecError> {
    let (Some(okta), Some(user)) = (ctx.okta, ctx.p.opt_str("user").ok().flatten()) else {
        return Err(ExecError::Okta(refusal));
    };
    let read = okta.get_user(user).await?;
    let status = read
        .value
        .status
        .clone()
        .unwrap_or_else(|| "UNKNOWN".to_owned());
    let transitioning = read.value.transitioning_to_status.as_deref();
    let rule = ctx.spec.status_rule();
    let done =
        rule.is_some_and(|r| r.is_done(&status) || transitioning.is_some_and(|t| r.is_done(t)));
    if !done {
        tracing::warn!(
            action = ctx.action(),
            user_status = %status,
            okta_error_code = refusal.error_code().unwrap_or(""),
            okta_request_id = refusal.request_id().unwrap_or(""),
            "Okta refused the action for the user's status, which is not the action's target"
        );
        return Err(ExecError::WrongStatus {
            action: ctx.action(),
            status,
            needs: rule.map(|r| r.needs),
            source: refusal,
        });
    }
    tracing::info!(
        action = ctx.action(),
        user_status = %status,
        okta_error_code = refusal.error_code().unwrap_or(""),
        okta_request_id = refusal.request_id().unwrap_or(""),
        "the user is already where the action leads; counted as done"
    );
    let mut outcome = Outcome {
        output: Value::Object(Map::new()),
        request_ids: refusal
            .request_id()
            .map(str::to_owned)
            .into_iter()
            .collect(),
        already_in_state: true,
    };
    outcome.saw(&read.meta);
    Ok(outcome)
}
