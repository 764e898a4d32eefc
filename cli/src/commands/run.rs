//! `okta-hooks run ACTION key=value…`: one catalog action, on request.
//!
//! ```sh
//! okta-hooks run user.suspend user=00u1abc --reason "ticket 42" --stack okta-hooks --wait
//! okta-hooks run user.sessions.clear user=00u1abc oauth_tokens=true --queue-url "$QUEUE_URL"
//! okta-hooks run user.suspend user=00u1abc --local --okta-domain acme.okta.com   # OKTA_API_TOKEN
//! ```
//!
//! Values are typed by the catalog: `true`/`false` for a bool, a whole number for an
//! integer, `[a,b]` (or `a,b`, or a JSON list) for a list of strings, JSON for an object,
//! JSON or else the text itself for "any"; everything else is the text as given. An unknown
//! action, an unknown, missing or mistyped parameter is refused before anything is sent,
//! naming it (exit code 2).
//!
//! Where it goes:
//! - `--queue-url URL` / `--stack NAME` (the stack's `ActionRequestsQueueUrl` output, read as
//!   `hook setup --stack` reads outputs): the request JSON is sent to the stack's requests
//!   queue. With `--wait`, a temporary standard queue `okta-hooks-reply-<random>` is
//!   created in the same account and region, named as the request's `reply_to`, read with
//!   long polls until the result arrives or `--timeout` passes, and deleted after —
//!   whatever happened, Ctrl-C included.
//! - `--local`: the action runs here, with the executors' code (`action_calls::Executor`,
//!   after the protected-users re-check the executors make, with the rules of `--rules` or
//!   the shipped ones), against `--okta-domain` with `OKTA_API_TOKEN` (or `OKTA_CLIENT_ID` +
//!   `OKTA_PRIVATE_KEY_FILE`, else the org's `okta-hooks login --with-actions`); each Okta request is printed (method, path, status,
//!   `X-Okta-Request-Id`) as it is answered.
//!
//! The result is printed as a summary (`--json`: the `Action Result` body). Exit codes: 0
//! when the plan is `done`; 1 when it `failed` or was `refused`, or when it could not be
//! sent or no result came in time; 2 for an invalid request.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use action_calls::{ExecError, Executor};
use actions::{ActionSpec, Family, ParamError, ParamSpec, ParamType};
use aws_sdk_sqs::error::DisplayErrorContext;
use okta_client::{DryRun, OktaClient, RequestLog, RetryPolicy};
use ports::{ActionResult, ResultStatus, StepOutcome, StepStatus};
use serde_json::{Map, Value, json};

use crate::stack_outputs::{Location, StackOutputs};

/// The stack output naming the requests queue.
const QUEUE_OUTPUT: &str = "ActionRequestsQueueUrl";
/// The longest long poll SQS allows.
const MAX_POLL_SECS: u64 = 20;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["stack", "queue_url", "local"])))]
pub struct RunArgs {
    /// The catalog action (`okta-hooks actions list`), e.g. `user.suspend`.
    action: String,
    /// Its parameters, `key=value` each (`user=00u1abc`, `oauth_tokens=true`,
    /// `groups=[00g1,00g2]`, `profile={"department":"IR"}`).
    #[arg(value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// The org to act on (one the stack serves). Default: the stack's `OrgName`.
    #[arg(long)]
    org: Option<String>,
    /// Why: kept in the audit line and the result.
    #[arg(long)]
    reason: Option<String>,
    /// Who asks, in words. Default: the local user name ($USER).
    #[arg(long)]
    requested_by: Option<String>,
    /// Record each write instead of sending it.
    #[arg(long)]
    dry_run: bool,
    /// Makes the request idempotent: the same id twice runs once. Default: the SQS message id.
    #[arg(long)]
    request_id: Option<String>,
    /// Send to this stack's requests queue (its `ActionRequestsQueueUrl` output; a local
    /// `okta-hooks stack up` stack is found by its state file).
    #[arg(long)]
    stack: Option<String>,
    /// With --stack: the local stack's state file.
    #[arg(long, requires = "stack")]
    stack_state: Option<PathBuf>,
    /// Send to this requests queue URL.
    #[arg(long)]
    queue_url: Option<String>,
    /// Run the action here against --okta-domain, with the executors' code.
    #[arg(long, requires = "okta_domain")]
    local: bool,
    /// With --local: the org (`acme.okta.com` or a URL); credential from `OKTA_API_TOKEN`,
    /// or `OKTA_CLIENT_ID` + `OKTA_PRIVATE_KEY_FILE`, else the org's `okta-hooks login`.
    #[arg(long, env = "OKTA_HOOKS_DEV_OKTA_DOMAIN")]
    okta_domain: Option<String>,
    /// With --local: the rules whose protected users and groups are refused. Default: the
    /// rules built into this binary (the repository's rules/).
    #[arg(long, requires = "local")]
    rules: Option<PathBuf>,
    /// Wait for the result on a temporary reply queue (deleted after).
    #[arg(long, conflicts_with = "local")]
    wait: bool,
    /// With --wait: how long (`90s`, `5m`, `1h`, or seconds).
    #[arg(long, default_value = "5m", value_parser = parse_timeout, requires = "wait")]
    timeout: Duration,
    /// Print the result as the `Action Result` JSON body instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Why `run` stopped; the exit code says which kind.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The request is not valid (unknown action, parameter problems): nothing was sent.
    #[error("{0}")]
    Invalid(String),
    /// Sending, waiting or calling failed.
    #[error("{0}")]
    Failed(String),
}

impl RunError {
    fn exit_code(&self) -> ExitCode {
        match self {
            RunError::Invalid(_) => ExitCode::from(2),
            RunError::Failed(_) => ExitCode::FAILURE,
        }
    }
}

/// Runs the command; prints its error and returns the exit code.
pub async fn main(args: RunArgs) -> ExitCode {
    match run(args).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}

async fn run(args: RunArgs) -> Result<ExitCode, RunError> {
    let spec = actions::find(&args.action)
        .ok_or_else(|| RunError::Invalid(actions::unknown_action_message(&args.action)))?;
    let params = typed_params(spec, &args.params).map_err(RunError::Invalid)?;
    let result = if args.local {
        local(&args, spec, &params).await?
    } else {
        match send(&args, spec, &params).await? {
            Some(result) => result,
            None => return Ok(ExitCode::SUCCESS),
        }
    };
    print_result(&result, args.json);
    match result.status {
        ResultStatus::Done => Ok(ExitCode::SUCCESS),
        status => {
            let why = result.error.as_deref().unwrap_or("see the steps above");
            Err(RunError::Failed(format!(
                "{} {}: {why}",
                args.action,
                status.as_str()
            )))
        }
    }
}

// ------------------------------------------------------------------ parameters

/// `key=value` pairs typed by the action's catalog parameters: every key known, every
/// required one given, each value of its type.
pub fn typed_params(spec: &ActionSpec, pairs: &[String]) -> Result<Map<String, Value>, String> {
    let mut params = Map::new();
    for pair in pairs {
        let Some((key, text)) = pair.split_once('=') else {
            return Err(format!(
                "`{pair}` is not KEY=VALUE (parameters of {}: {})",
                spec.name,
                spec.param_names()
            ));
        };
        let Some(param) = spec.param(key) else {
            return Err(ParamError::Unknown {
                action: spec.name,
                param: key.to_owned(),
                known: spec.param_names(),
            }
            .to_string());
        };
        if params.contains_key(key) {
            return Err(format!("parameter `{key}` of {} is given twice", spec.name));
        }
        params.insert(key.to_owned(), typed_value(spec, param, text)?);
    }
    if let Some(missing) = spec.missing(|name| params.contains_key(name)).next() {
        return Err(missing.to_string());
    }
    spec.validate(&params).map_err(|e| e.to_string())?;
    Ok(params)
}

/// One value, typed by its parameter's catalog type.
fn typed_value(spec: &ActionSpec, param: &ParamSpec, text: &str) -> Result<Value, String> {
    let wrong = |hint: &str| {
        format!(
            "parameter `{}` of {} must be {}{hint}, got `{text}`",
            param.name, spec.name, param.ty
        )
    };
    match param.ty {
        ParamType::String => Ok(Value::String(text.to_owned())),
        ParamType::Bool => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(wrong(" (true or false)")),
        },
        ParamType::Integer => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| wrong(" (a whole number)")),
        ParamType::StringList => {
            string_list(text).ok_or_else(|| wrong(" ([a,b] or a JSON list of strings)"))
        }
        ParamType::Object => match serde_json::from_str::<Value>(text) {
            Ok(value @ Value::Object(_)) => Ok(value),
            _ => Err(wrong(" (a JSON object, e.g. {\"key\":\"value\"})")),
        },
        ParamType::Any => {
            Ok(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())))
        }
    }
}

/// `[a, b]`, `a,b` or `["a","b"]` as a list of strings; `None` for a JSON list holding
/// anything but strings.
fn string_list(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        return match value {
            Value::Array(items) if items.iter().all(Value::is_string) => Some(Value::Array(items)),
            _ => None,
        };
    }
    let inner = trimmed
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(trimmed);
    let items: Vec<Value> = inner
        .split(',')
        .map(|item| item.trim().trim_matches('"').trim_matches('\''))
        .filter(|item| !item.is_empty())
        .map(|item| Value::String(item.to_owned()))
        .collect();
    Some(Value::Array(items))
}

/// `5m`, `90s`, `1h` (as rule files write durations) or a number of seconds.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        text.parse().ok().map(Duration::from_secs)
    } else {
        rules::parse_duration(text)
    };
    match duration {
        None => Err(format!("`{text}` is not a duration (90s, 5m, 1h)")),
        Some(d) if d < Duration::from_secs(1) => Err("the timeout must be at least 1s".to_owned()),
        Some(d) => Ok(d),
    }
}

/// Who asks, when --requested-by is not given: the local user name.
fn local_user() -> Option<String> {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
}

/// The request message: the single-action form of the contract.
pub fn request_body(
    args_org: Option<&str>,
    action: &str,
    params: &Map<String, Value>,
    meta: &RequestMeta,
) -> Value {
    let mut body = Map::new();
    if let Some(org) = args_org {
        body.insert("org".into(), json!(org));
    }
    body.insert("action".into(), json!(action));
    body.insert("params".into(), Value::Object(params.clone()));
    for (key, value) in [
        ("request_id", &meta.request_id),
        ("requested_by", &meta.requested_by),
        ("reason", &meta.reason),
        ("reply_to", &meta.reply_to),
    ] {
        if let Some(value) = value {
            body.insert(key.into(), json!(value));
        }
    }
    if meta.dry_run {
        body.insert("dry_run".into(), json!(true));
    }
    Value::Object(body)
}

/// The request's fields besides the action.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// `request_id`.
    pub request_id: Option<String>,
    /// `requested_by`.
    pub requested_by: Option<String>,
    /// `reason`.
    pub reason: Option<String>,
    /// `reply_to`.
    pub reply_to: Option<String>,
    /// `dry_run`.
    pub dry_run: bool,
}

impl RequestMeta {
    fn of(args: &RunArgs) -> Self {
        RequestMeta {
            request_id: args.request_id.clone(),
            requested_by: args.requested_by.clone().or_else(local_user),
            reason: args.reason.clone(),
            reply_to: None,
            dry_run: args.dry_run,
        }
    }
}

// ------------------------------------------------------------------ via the queue

/// Sends the request; with --wait, returns the result that came back.
async fn send(
    args: &RunArgs,
    spec: &ActionSpec,
    params: &Map<String, Value>,
) -> Result<Option<ActionResult>, RunError> {
    let (sqs, queue_url) = requests_queue(args).await?;
    let mut meta = RequestMeta::of(args);
    let reply = if args.wait {
        let reply = ReplyQueue::create(&sqs).await?;
        meta.reply_to = Some(reply.url.clone());
        Some(reply)
    } else {
        None
    };
    let body = request_body(args.org.as_deref(), spec.name, params, &meta);
    let sent = sqs
        .send_message()
        .queue_url(&queue_url)
        .message_body(body.to_string())
        .send()
        .await;
    let message_id = match sent {
        Ok(sent) => sent.message_id().unwrap_or("-").to_owned(),
        Err(error) => {
            if let Some(reply) = reply {
                reply.delete(&sqs).await;
            }
            return Err(RunError::Failed(format!(
                "SQS SendMessage to {queue_url}: {}",
                DisplayErrorContext(&error)
            )));
        }
    };
    let request_id = meta
        .request_id
        .clone()
        .unwrap_or_else(|| message_id.clone());
    eprintln!(
        "sent {} to {queue_url}: message {message_id}, request_id {request_id}{}",
        spec.name,
        if args.dry_run { " (dry run)" } else { "" }
    );
    let Some(reply) = reply else {
        if args.json {
            println!(
                "{}",
                json!({"message_id": message_id, "request_id": request_id})
            );
        }
        return Ok(None);
    };
    eprintln!(
        "waiting up to {}s for the result on {}",
        args.timeout.as_secs(),
        reply.url
    );
    let waited = tokio::select! {
        result = reply.receive(&sqs, args.timeout) => result,
        _ = tokio::signal::ctrl_c() => Err(RunError::Failed(
            "interrupted before the result came".to_owned(),
        )),
    };
    reply.delete(&sqs).await;
    waited.map(Some)
}

/// The SQS client and the requests queue URL of --stack or --queue-url.
async fn requests_queue(args: &RunArgs) -> Result<(aws_sdk_sqs::Client, String), RunError> {
    if let Some(url) = &args.queue_url {
        let config = aws_adapters::load_config().await;
        return Ok((aws_sdk_sqs::Client::new(&config), url.clone()));
    }
    let stack = args.stack.as_deref().unwrap_or_default();
    let outputs = StackOutputs::read(stack, args.stack_state.as_deref())
        .await
        .map_err(|e| RunError::Failed(e.to_string()))?;
    let url = outputs
        .output(QUEUE_OUTPUT)
        .map_err(|e| RunError::Failed(e.to_string()))?
        .to_owned();
    let config = match outputs.location() {
        Location::Local {
            endpoint, region, ..
        } => crate::commands::stack::emulator_aws(endpoint, region).await,
        Location::Aws { .. } => aws_adapters::load_config().await,
    };
    Ok((aws_sdk_sqs::Client::new(&config), url))
}

/// The temporary reply queue of --wait.
struct ReplyQueue {
    url: String,
}

impl ReplyQueue {
    /// `okta-hooks-reply-<random>`: a name the stack's `ReplyQueuePattern` default
    /// (`okta-hooks-reply-*`) lets the functions send to.
    async fn create(sqs: &aws_sdk_sqs::Client) -> Result<Self, RunError> {
        let random = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("okta-hooks-reply-{}", &random[..16]);
        let created = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .map_err(|e| {
                RunError::Failed(format!(
                    "SQS CreateQueue {name} (the reply queue of --wait): {}",
                    DisplayErrorContext(&e)
                ))
            })?;
        let url = created
            .queue_url()
            .ok_or_else(|| RunError::Failed(format!("SQS CreateQueue {name}: no queue URL")))?;
        Ok(ReplyQueue {
            url: url.to_owned(),
        })
    }

    /// The first `Action Result` body to arrive, with long polls until `timeout`.
    async fn receive(
        &self,
        sqs: &aws_sdk_sqs::Client,
        timeout: Duration,
    ) -> Result<ActionResult, RunError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RunError::Failed(format!(
                    "no result within {}s (the request may still run: its result event is on \
                     the default EventBridge bus, source okta-hooks, detail-type Action Result)",
                    timeout.as_secs()
                )));
            }
            let wait = left.as_secs().clamp(1, MAX_POLL_SECS);
            let received = sqs
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(1)
                .wait_time_seconds(i32::try_from(wait).unwrap_or(1))
                .send()
                .await
                .map_err(|e| {
                    RunError::Failed(format!(
                        "SQS ReceiveMessage {}: {}",
                        self.url,
                        DisplayErrorContext(&e)
                    ))
                })?;
            for message in received.messages() {
                let body = message.body().unwrap_or_default();
                match serde_json::from_str::<ActionResult>(body) {
                    Ok(result) => return Ok(result),
                    Err(e) => eprintln!("ignoring a reply that is not an Action Result: {e}"),
                }
            }
        }
    }

    /// Deletes the queue; a failure is reported, not fatal (the result is what matters).
    async fn delete(self, sqs: &aws_sdk_sqs::Client) {
        if let Err(e) = sqs.delete_queue().queue_url(&self.url).send().await {
            eprintln!(
                "warning: could not delete the reply queue {}: {}",
                self.url,
                DisplayErrorContext(&e)
            );
        }
    }
}

// ------------------------------------------------------------------ --local

/// Runs the action here, as an executor would, and describes it as an `Action Result`.
async fn local(
    args: &RunArgs,
    spec: &'static ActionSpec,
    params: &Map<String, Value>,
) -> Result<ActionResult, RunError> {
    if spec.family == Family::Notify || spec.reads_named_secrets() {
        return Err(RunError::Invalid(format!(
            "{} reads the org's named secrets, which --local does not have: send it to the \
             stack (--stack or --queue-url) or try it in `okta-hooks dev`",
            spec.name
        )));
    }
    let domain = args.okta_domain.as_deref().unwrap_or_default();
    let org_url = super::dev::org_url(domain);
    let scopes = spec
        .oauth_scope()
        .unwrap_or("okta.users.read okta.users.manage okta.groups.manage");
    let scopes: Vec<&str> = scopes.split_whitespace().collect();
    let source = super::credentials::for_org(&org_url, &scopes)
        .await
        .map_err(|e| RunError::Failed(e.to_string()))?;
    let mut config = super::credentials::okta_config(&source, "okta-hooks-run", &scopes)
        .map_err(|e| RunError::Failed(format!("--okta-domain {domain}: {e}")))?;
    config.retry = RetryPolicy::interactive();
    let log = RequestLog::new();
    if args.dry_run {
        config = config.with_dry_run(DryRun::with_live_reads(log.clone()));
    }
    let client = OktaClient::new(config)
        .map_err(|e| RunError::Failed(format!("--okta-domain {domain}: {e}")))?;
    let rules = shipped_rules::load(args.rules.as_deref()).map_err(|e| {
        RunError::Invalid(format!(
            "--rules {}: {e}",
            args.rules
                .as_deref()
                .unwrap_or(std::path::Path::new("(built in)"))
                .display()
        ))
    })?;
    okta_calls::init(args.json);
    if !args.json {
        println!(
            "{} {} on {org_url}{}",
            spec.name,
            params_text(params),
            if args.dry_run {
                " (dry run: reads sent, writes printed)"
            } else {
                ""
            }
        );
    }
    let ran = Executor::new(&client)
        .execute_unless_protected(rules.protection(), spec.name, params, &BTreeMap::new())
        .await;
    let requests: Vec<String> = log.take().iter().map(ToString::to_string).collect();
    let meta = RequestMeta::of(args);
    let mut result = ActionResult {
        request_id: meta.request_id,
        dry_run: args.dry_run,
        requested_by: meta.requested_by,
        reason: meta.reason,
        ..ActionResult::new(
            args.org.clone().unwrap_or_else(|| domain.to_owned()),
            ResultStatus::Done,
        )
    };
    let mut step = StepOutcome {
        step: "0".to_owned(),
        phase: "steps".to_owned(),
        action: spec.name.to_owned(),
        status: StepStatus::Done,
        output: None,
        okta_request_ids: Vec::new(),
        requests,
        error: None,
    };
    match ran {
        Ok(outcome) => {
            step.status = if args.dry_run {
                StepStatus::DryRun
            } else if outcome.already_in_state {
                StepStatus::AlreadyInState
            } else {
                StepStatus::Done
            };
            step.output =
                Some(actions::without_secret_outputs(outcome.output)).filter(|o| o != &json!({}));
            step.okta_request_ids = outcome.request_ids;
        }
        Err(error) => {
            let report = error.report();
            result.status = if matches!(error, ExecError::Protected(_)) {
                ResultStatus::Refused
            } else {
                ResultStatus::Failed
            };
            result.error = Some(report.message.clone());
            step.status = StepStatus::Failed;
            step.okta_request_ids = report.request_id.clone().into_iter().collect();
            step.error = Some(report.detail());
        }
    }
    result.steps.push(step);
    Ok(result)
}

/// `user=00u1 oauth_tokens=true`.
fn params_text(params: &Map<String, Value>) -> String {
    params
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prints each Okta request the client makes as it is answered: method, path, status,
/// `X-Okta-Request-Id` — read from the client's own `Okta answered` trace events, so
/// every call is shown, retries and the executors' follow-up reads included.
mod okta_calls {
    use tracing::field::{Field, Visit};
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    /// Installs the printer; to stderr when stdout carries JSON.
    pub fn init(to_stderr: bool) {
        let layer =
            OktaCalls { to_stderr }.with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                meta.target().starts_with("okta_client")
            }));
        let _ = tracing_subscriber::registry().with(layer).try_init();
    }

    struct OktaCalls {
        to_stderr: bool,
    }

    #[derive(Default)]
    struct Fields {
        message: String,
        request: String,
        status: String,
        request_id: String,
        delay_ms: String,
    }

    impl Visit for Fields {
        fn record_str(&mut self, field: &Field, value: &str) {
            self.set(field, value.to_owned());
        }
        fn record_u64(&mut self, field: &Field, value: u64) {
            self.set(field, value.to_string());
        }
        fn record_i64(&mut self, field: &Field, value: i64) {
            self.set(field, value.to_string());
        }
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.set(field, format!("{value:?}"));
        }
    }

    impl Fields {
        fn set(&mut self, field: &Field, value: String) {
            match field.name() {
                "message" => self.message = value,
                "request" => self.request = value,
                "status" => self.status = value,
                "okta_request_id" => self.request_id = value,
                "delay_ms" => self.delay_ms = value,
                _ => {}
            }
        }
    }

    impl<S: tracing::Subscriber> Layer<S> for OktaCalls {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            let line = match fields.message.as_str() {
                "Okta answered" => format!(
                    "  Okta {} → {}  X-Okta-Request-Id: {}",
                    fields.request,
                    fields.status,
                    if fields.request_id.is_empty() {
                        "-"
                    } else {
                        &fields.request_id
                    }
                ),
                "dry run: Okta request not sent" => {
                    format!("  Okta {}  (dry run: not sent)", fields.request)
                }
                "waiting before retrying an Okta request" => format!(
                    "  Okta {}: retrying in {} ms",
                    fields.request, fields.delay_ms
                ),
                _ => return,
            };
            if self.to_stderr {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
    }
}

// ------------------------------------------------------------------ output

/// The result: its JSON body with --json, else a summary.
fn print_result(result: &ActionResult, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(result).unwrap_or_default()
        );
    } else {
        print!("{}", summary(result));
    }
}

/// A few lines: the plan's status, then each step's action, status, Okta request ids,
/// dry-run writes and error.
pub fn summary(result: &ActionResult) -> String {
    let mut out = String::new();
    let id = result
        .request_id
        .as_deref()
        .map(|id| format!("request {id}"))
        .or_else(|| result.rule.as_deref().map(|rule| format!("rule {rule}")))
        .unwrap_or_else(|| "request".to_owned());
    let _ = writeln!(
        out,
        "{id}: {}{}{}",
        result.status.as_str(),
        if result.dry_run { " (dry run)" } else { "" },
        if result.org.is_empty() {
            String::new()
        } else {
            format!(" — org {}", result.org)
        }
    );
    for step in &result.steps {
        let _ = write!(
            out,
            "  {}[{}] {}: {}",
            step.phase,
            step.step,
            step.action,
            step.status.as_str()
        );
        if !step.okta_request_ids.is_empty() {
            let _ = write!(
                out,
                "  Okta request ids: {}",
                step.okta_request_ids.join(", ")
            );
        }
        out.push('\n');
        for request in &step.requests {
            let _ = writeln!(out, "    would send: {request}");
        }
        if let Some(output) = &step.output {
            let _ = writeln!(out, "    output: {output}");
        }
        if let Some(error) = &step.error {
            let message = error["message"]
                .as_str()
                .map_or_else(|| error.to_string(), str::to_owned);
            let code = error["errorCode"]
                .as_str()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            let _ = writeln!(out, "    error: {message}{code}");
        }
    }
    if let Some(error) = &result.error {
        let _ = writeln!(out, "  {}: {error}", result.status.as_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> &'static ActionSpec {
        actions::find(name).unwrap()
    }

    fn pairs(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn values_are_typed_by_the_catalog() {
        let params = typed_params(
            spec("user.sessions.clear"),
            &pairs(&["user=00u1", "oauth_tokens=true"]),
        )
        .unwrap();
        assert_eq!(params["user"], json!("00u1"));
        assert_eq!(params["oauth_tokens"], json!(true));
        assert_eq!(string_list("[a, b]"), Some(json!(["a", "b"])));
        assert_eq!(string_list("a,b"), Some(json!(["a", "b"])));
        assert_eq!(string_list(r#"["a","b"]"#), Some(json!(["a", "b"])));
        assert_eq!(string_list("[1,2]"), None);
    }

    #[test]
    fn unknown_missing_and_mistyped_parameters_are_named() {
        let suspend = spec("user.suspend");
        assert_eq!(
            typed_params(suspend, &[]).unwrap_err(),
            "missing parameter `user` (string) of user.suspend"
        );
        assert_eq!(
            typed_params(suspend, &pairs(&["user=00u1", "usr=x"])).unwrap_err(),
            "unknown parameter `usr` of user.suspend (it takes: user)"
        );
        assert_eq!(
            typed_params(
                spec("user.sessions.clear"),
                &pairs(&["user=00u1", "oauth_tokens=yes"])
            )
            .unwrap_err(),
            "parameter `oauth_tokens` of user.sessions.clear must be bool (true or false), got `yes`"
        );
    }

    #[test]
    fn timeouts_read_seconds_minutes_and_hours() {
        assert_eq!(parse_timeout("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_timeout("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_timeout("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_timeout("5x").is_err() && parse_timeout("0").is_err());
    }

    #[test]
    fn the_request_body_has_only_what_was_given() {
        let params = typed_params(spec("user.suspend"), &pairs(&["user=00u1"])).unwrap();
        let meta = RequestMeta {
            request_id: Some("r-1".into()),
            requested_by: Some("alice".into()),
            reason: None,
            reply_to: None,
            dry_run: false,
        };
        assert_eq!(
            request_body(None, "user.suspend", &params, &meta),
            json!({"action": "user.suspend", "params": {"user": "00u1"}, "request_id": "r-1", "requested_by": "alice"})
        );
    }
}
