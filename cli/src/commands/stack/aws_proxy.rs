//! Each function's view of AWS in the local stack: a loopback proxy in front of the emulator
//! that checks every call against the function's role, as AWS IAM would, and injects the
//! scripted faults of the fault tests.
//!
//! `stack up` starts one [`AwsProxy`] per function and gives the function's process
//! `AWS_ENDPOINT_URL=<proxy endpoint>`. For each request the proxy:
//!
//! 1. classifies it: the service from the `SigV4` credential scope of the `Authorization`
//!    header (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`), else from the
//!    `X-Amz-Target` prefix; the operation from `X-Amz-Target` (AWS JSON protocols; the SQS
//!    SDK in Cargo.lock sends `AmazonSQS.SendMessage` with `x-amzn-query-mode: true`) or the
//!    form field `Action=` (query protocol); the IAM action(s) and resource ARN(s) it needs
//!    (see [`classify`]). A secret named without its ARN is looked up in the emulator
//!    (`DescribeSecret`) so the check sees the real ARN with its random `-XXXXXX` suffix, as
//!    AWS does; a secret that does not exist is checked on its bare ARN;
//! 2. evaluates the role's statements: an explicit `Deny` wins, else some `Allow` must match
//!    action (case-insensitive, `*`/`?` wildcards), resource (case-sensitive `*`/`?`) and
//!    condition. A refused call is answered with the protocol's `AccessDenied`, not
//!    forwarded, and recorded with `allowed: false`;
//! 3. applies a scripted [`AwsFault`] if one matches (allowed calls only);
//! 4. forwards the request unchanged to the emulator and returns its answer.
//!
//! Every call is recorded in the shared [`AwsCalls`] (and broadcast to its subscribers), with
//! the grants it used, so a test can assert that no call was denied and list the grants that
//! were never used. Bodies are never logged nor recorded: `GetSecretValue` answers hold
//! secrets.
#![allow(
    dead_code,
    reason = "the stack's runtime starts the proxies; until it is wired, only the tests use parts of this module"
)]

use std::collections::HashMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// How many calls a slow subscriber may lag behind before it misses some.
const BROADCAST_CAPACITY: usize = 4096;
/// The largest request body the proxy accepts (SQS batches are at most 1 MiB).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Shared by every proxy of one stack: the record of AWS calls, the grants of every role and
/// the scripted faults.
pub struct AwsCalls {
    /// One lock per queue or table: `moto_server` is not thread-safe — its SQS
    /// `DeleteMessage` rebuilds the queue's message list from a copy, so a message sent by
    /// another thread meanwhile is lost and two deletes can bring one back; a conditional
    /// DynamoDB write checks and writes without a lock — so the writes to one queue or
    /// table reach it one at a time ([`serialized`]), and so do the (short) receives of one
    /// queue. Reads go freely.
    writes: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    calls: Mutex<Vec<AwsCall>>,
    faults: Mutex<Vec<AwsFault>>,
    grants: Mutex<Vec<Grant>>,
    sender: broadcast::Sender<AwsCall>,
}

/// One AWS call a function made, as the proxy judged it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsCall {
    /// The function's logical id (`EventRouterFunction`).
    pub function: String,
    /// The API operation as `service:Operation` (`sqs:SendMessageBatch`). IAM authorizes some
    /// operations with another action (`SendMessageBatch` needs `sqs:SendMessage`).
    pub action: String,
    /// The resources checked (ARNs), or `["*"]` when the operation names none.
    pub resources: Vec<String>,
    /// Whether the role allowed it (a refused call never reaches the emulator).
    pub allowed: bool,
    /// The scripted fault answered instead of forwarding (`throttle`, `server_error`).
    pub fault: Option<String>,
    /// The HTTP status the function received.
    pub status: u16,
    /// Why it was refused (the message the function received), or why a statement with a
    /// condition was not counted; never any request or response content.
    #[serde(default)]
    pub detail: Option<String>,
}

/// A scripted AWS fault: the next `times` allowed calls of `action` by `function` are
/// answered with the fault instead of being forwarded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AwsFault {
    /// The function's logical id; `None`: any function.
    pub function: Option<String>,
    /// `service:Operation` or the IAM action it needs (`sqs:SendMessage` also matches
    /// `SendMessageBatch`); `*` and `?` wildcards, case-insensitive.
    pub action: String,
    /// What the function hears.
    pub kind: AwsFaultKind,
    /// How many calls get the fault.
    pub times: u32,
}

/// What a scripted fault answers. The Rust SDK retries both (its standard retry mode, three
/// attempts by default) before the function sees the error:
///
/// - `Throttle`: HTTP 400 with the protocol's throttling code: SQS `RequestThrottled` (JSON
///   `__type` `com.amazonaws.sqs#RequestThrottled` and `x-amzn-query-error:
///   RequestThrottled;Sender`), DynamoDB `com.amazonaws.dynamodb.v20120810#ThrottlingException`,
///   others `ThrottlingException` (query protocol: `Throttling`). All are in
///   `aws_runtime::retries::classifiers::THROTTLING_ERRORS`, so the SDK retries with backoff.
/// - `ServerError`: HTTP 500 `InternalFailure` (DynamoDB `InternalServerError`, SQS
///   `InternalError`), retried as a transient status (500/502/503/504) by
///   `aws_smithy_runtime`'s `HttpStatusCodeClassifier`.
///
/// A fault with `times` at least the SDK's attempts reaches the function as that error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwsFaultKind {
    /// The service's throttling error.
    Throttle,
    /// An internal server error (HTTP 500).
    ServerError,
}

impl fmt::Display for AwsFaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AwsFaultKind::Throttle => "throttle",
            AwsFaultKind::ServerError => "server_error",
        })
    }
}

/// One (action pattern, resource pattern) pair an `Allow` statement of a function's role
/// grants, and whether an allowed call used it. An unused grant is broader than the function
/// needs (or the path that needs it was not exercised).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The function's logical id.
    pub function: String,
    /// The statement's `Sid`.
    pub sid: Option<String>,
    /// The action pattern (`sqs:SendMessage`, `sqs:*`).
    pub action: String,
    /// The resource pattern (`arn:aws:secretsmanager:…:secret:okta-hooks/default/hook-??????`).
    pub resource: String,
    /// Whether an allowed call matched this action and resource.
    pub used: bool,
}

/// Why a proxy did not start.
#[derive(Debug, thiserror::Error)]
pub enum AwsProxyError {
    /// A role statement is not one the proxy can evaluate.
    #[error("{function}'s role, statement {index}: {problem}")]
    Statement {
        /// The function's logical id.
        function: String,
        /// The statement's position in the role's statements.
        index: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// A role statement uses an element the proxy does not evaluate.
    #[error(
        "{function}'s role, statement {index}, uses {element}, which the local stack's IAM check does not evaluate (the template uses none: grant with Action and Resource)"
    )]
    Unsupported {
        /// The function's logical id.
        function: String,
        /// The statement's position in the role's statements.
        index: usize,
        /// `NotAction`, `NotResource`, `Principal` or `NotPrincipal`.
        element: &'static str,
    },
    /// The proxy could not listen on 127.0.0.1.
    #[error("cannot listen on 127.0.0.1 for {function}'s AWS proxy")]
    Bind {
        /// The function's logical id.
        function: String,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP client to the emulator could not be built.
    #[error("cannot build the HTTP client of {function}'s AWS proxy")]
    Client {
        /// The function's logical id.
        function: String,
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AwsCalls {
    /// An empty record, shared (`Arc`) by every proxy of one stack.
    pub fn new() -> Arc<AwsCalls> {
        let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
        Arc::new(AwsCalls {
            writes: Mutex::new(HashMap::new()),
            calls: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            grants: Mutex::new(Vec::new()),
            sender,
        })
    }

    /// The write locks of `resources`, in one order (so two calls on the same tables
    /// cannot wait on each other).
    fn write_locks(&self, resources: &[String]) -> Vec<Arc<tokio::sync::Mutex<()>>> {
        let mut names: Vec<&String> = resources.iter().collect();
        names.sort();
        names.dedup();
        let mut writes = lock(&self.writes);
        names
            .into_iter()
            .map(|name| writes.entry(name.clone()).or_default().clone())
            .collect()
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<AwsCall> {
        lock(&self.calls).clone()
    }

    /// Calls refused by the role (should be none).
    pub fn denied(&self) -> Vec<AwsCall> {
        lock(&self.calls)
            .iter()
            .filter(|call| !call.allowed)
            .cloned()
            .collect()
    }

    /// Adds a scripted fault (after those already added: the first that matches a call is
    /// used).
    pub fn add_fault(&self, fault: AwsFault) {
        lock(&self.faults).push(fault);
    }

    /// Per function and `Allow` statement: each (action pattern, resource pattern) granted
    /// and whether an allowed call used it.
    pub fn grants(&self) -> Vec<Grant> {
        lock(&self.grants).clone()
    }

    /// A receiver of every call as it happens (for the stack's printed lines).
    pub fn subscribe(&self) -> broadcast::Receiver<AwsCall> {
        self.sender.subscribe()
    }

    fn record(&self, call: AwsCall) {
        lock(&self.calls).push(call.clone());
        // No subscriber is fine: the record above keeps the call.
        let _ = self.sender.send(call);
    }

    /// The index of this grant, registering it on first sight (a function whose proxy is
    /// started again keeps its grants and their use).
    fn register_grant(
        &self,
        function: &str,
        sid: Option<&str>,
        action: &str,
        resource: &str,
    ) -> usize {
        let mut grants = lock(&self.grants);
        if let Some(index) = grants.iter().position(|grant| {
            grant.function == function
                && grant.sid.as_deref() == sid
                && grant.action == action
                && grant.resource == resource
        }) {
            return index;
        }
        grants.push(Grant {
            function: function.to_owned(),
            sid: sid.map(str::to_owned),
            action: action.to_owned(),
            resource: resource.to_owned(),
            used: false,
        });
        grants.len() - 1
    }

    fn mark_used(&self, indices: &[usize]) {
        let mut grants = lock(&self.grants);
        for &index in indices {
            if let Some(grant) = grants.get_mut(index) {
                grant.used = true;
            }
        }
    }

    /// Takes one use of the first fault matching this call, if any.
    fn take_fault(
        &self,
        function: &str,
        operation: &str,
        actions: &[&str],
    ) -> Option<AwsFaultKind> {
        let mut faults = lock(&self.faults);
        let position = faults.iter().position(|fault| {
            fault.times > 0
                && fault.function.as_deref().is_none_or(|f| f == function)
                && (action_matches(&fault.action, operation)
                    || actions
                        .iter()
                        .any(|action| action_matches(&fault.action, action)))
        })?;
        let fault = &mut faults[position];
        fault.times -= 1;
        let kind = fault.kind;
        if fault.times == 0 {
            faults.remove(position);
        }
        Some(kind)
    }
}

// ---------------------------------------------------------------------------------------
// Globs and the policy evaluator

/// IAM's wildcard match: `*` any run of characters (also none), `?` exactly one.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            backtrack = Some((p, t));
            p += 1;
        } else if let Some((star, from)) = backtrack {
            p = star + 1;
            t = from + 1;
            backtrack = Some((star, from + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Actions match case-insensitively (`SQS:sendmessage` is `sqs:SendMessage`).
fn action_matches(pattern: &str, action: &str) -> bool {
    glob_matches(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

#[derive(Clone, Debug)]
struct Condition {
    operator: String,
    key: String,
    values: Vec<String>,
}

#[derive(Clone, Debug)]
struct Statement {
    sid: Option<String>,
    effect: Effect,
    actions: Vec<String>,
    resources: Vec<String>,
    conditions: Vec<Condition>,
}

/// A role's statements, checked as IAM checks identity-based policies.
#[derive(Clone, Debug)]
struct Policy {
    statements: Vec<Statement>,
}

/// What one (action, resource) check needs, and what the request tells of condition keys.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Check {
    action: String,
    resource: String,
}

/// The condition keys a request provides (lower-case names), and the key prefixes whose
/// absence the proxy knows (a key absent from such a request is absent, not unknown).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ConditionContext {
    values: HashMap<String, Vec<String>>,
    known_prefixes: Vec<String>,
}

impl ConditionContext {
    /// `Some(values)` when the proxy knows the key (`Some(empty)`: known to be absent).
    fn lookup(&self, key: &str) -> Option<Vec<String>> {
        let key = key.to_ascii_lowercase();
        if let Some(values) = self.values.get(&key) {
            return Some(values.clone());
        }
        self.known_prefixes
            .iter()
            .any(|prefix| key.starts_with(prefix.as_str()))
            .then(Vec::new)
    }
}

/// The outcome of checking one (action, resource) against a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Decision {
    /// Allowed by these (statement, action pattern, resource pattern) positions.
    Allow(Vec<(usize, usize, usize)>),
    /// A `Deny` statement matched.
    ExplicitDeny,
    /// No `Allow` matched.
    ImplicitDeny,
}

enum ConditionOutcome {
    Match,
    NoMatch,
    Unknown(String),
}

fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    match value? {
        Value::String(one) => Some(vec![one.clone()]),
        Value::Array(many) => many.iter().map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => None,
    }
}

fn condition_values(value: &Value) -> Vec<String> {
    let scalar = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match value {
        Value::Array(many) => many.iter().map(scalar).collect(),
        one => vec![scalar(one)],
    }
}

impl Policy {
    /// Parses the role's resolved statements; refuses what it cannot evaluate faithfully.
    fn parse(function: &str, statements: &[Value]) -> Result<Policy, AwsProxyError> {
        let problem = |index: usize, problem: String| AwsProxyError::Statement {
            function: function.to_owned(),
            index,
            problem,
        };
        let mut parsed = Vec::with_capacity(statements.len());
        for (index, statement) in statements.iter().enumerate() {
            let Some(object) = statement.as_object() else {
                return Err(problem(index, "not a JSON object".to_owned()));
            };
            for element in ["NotAction", "NotResource", "Principal", "NotPrincipal"] {
                if object.contains_key(element) {
                    return Err(AwsProxyError::Unsupported {
                        function: function.to_owned(),
                        index,
                        element,
                    });
                }
            }
            let effect = match object.get("Effect").and_then(Value::as_str) {
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                other => {
                    return Err(problem(
                        index,
                        format!("Effect is {other:?}, not Allow or Deny"),
                    ));
                }
            };
            let actions = string_list(object.get("Action"))
                .filter(|list| !list.is_empty())
                .ok_or_else(|| {
                    problem(
                        index,
                        "Action is not a string or a list of strings".to_owned(),
                    )
                })?;
            let resources = string_list(object.get("Resource"))
                .filter(|list| !list.is_empty())
                .ok_or_else(|| {
                    problem(
                        index,
                        "Resource is not a string or a list of strings".to_owned(),
                    )
                })?;
            let mut conditions = Vec::new();
            if let Some(condition) = object.get("Condition") {
                let Some(operators) = condition.as_object() else {
                    return Err(problem(index, "Condition is not an object".to_owned()));
                };
                for (operator, keys) in operators {
                    let Some(keys) = keys.as_object() else {
                        return Err(problem(
                            index,
                            format!("Condition {operator} is not an object"),
                        ));
                    };
                    for (key, values) in keys {
                        conditions.push(Condition {
                            operator: operator.clone(),
                            key: key.clone(),
                            values: condition_values(values),
                        });
                    }
                }
            }
            parsed.push(Statement {
                sid: object.get("Sid").and_then(Value::as_str).map(str::to_owned),
                effect,
                actions,
                resources,
                conditions,
            });
        }
        Ok(Policy { statements: parsed })
    }

    /// Whether every condition of the statement holds; `Unknown` (not matching) when one
    /// uses an operator or a key the proxy cannot evaluate.
    fn conditions_hold(statement: &Statement, context: &ConditionContext) -> ConditionOutcome {
        for condition in &statement.conditions {
            let Some(present) = context.lookup(&condition.key) else {
                return ConditionOutcome::Unknown(format!(
                    "statement {} not counted: the local stack cannot know condition key {}",
                    statement.sid.as_deref().unwrap_or("without Sid"),
                    condition.key
                ));
            };
            let any_equal = |like: bool| {
                present.iter().any(|value| {
                    condition.values.iter().any(|wanted| {
                        if like {
                            glob_matches(wanted, value)
                        } else {
                            wanted == value
                        }
                    })
                })
            };
            let holds = match condition.operator.as_str() {
                "StringEquals" => any_equal(false),
                "StringLike" => any_equal(true),
                "StringNotEquals" => !any_equal(false),
                "StringNotLike" => !any_equal(true),
                other => {
                    return ConditionOutcome::Unknown(format!(
                        "statement {} not counted: the local stack does not evaluate condition operator {other}",
                        statement.sid.as_deref().unwrap_or("without Sid"),
                    ));
                }
            };
            if !holds {
                return ConditionOutcome::NoMatch;
            }
        }
        ConditionOutcome::Match
    }

    /// IAM's decision for one check: an explicit deny wins, else an allow is needed. Notes
    /// why statements with conditions the proxy cannot evaluate were not counted.
    fn decide(
        &self,
        check: &Check,
        context: &ConditionContext,
        notes: &mut Vec<String>,
    ) -> Decision {
        let mut used = Vec::new();
        for (s, statement) in self.statements.iter().enumerate() {
            let actions: Vec<usize> = (0..statement.actions.len())
                .filter(|&a| action_matches(&statement.actions[a], &check.action))
                .collect();
            let resources: Vec<usize> = (0..statement.resources.len())
                .filter(|&r| glob_matches(&statement.resources[r], &check.resource))
                .collect();
            if actions.is_empty() || resources.is_empty() {
                continue;
            }
            match Self::conditions_hold(statement, context) {
                ConditionOutcome::Match => {}
                ConditionOutcome::NoMatch => continue,
                ConditionOutcome::Unknown(why) => {
                    notes.push(why);
                    continue;
                }
            }
            match statement.effect {
                Effect::Deny => return Decision::ExplicitDeny,
                Effect::Allow => {
                    for &a in &actions {
                        for &r in &resources {
                            used.push((s, a, r));
                        }
                    }
                }
            }
        }
        if used.is_empty() {
            Decision::ImplicitDeny
        } else {
            Decision::Allow(used)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Classification

/// How the service speaks, for the error answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    /// AWS JSON 1.0/1.1 (`X-Amz-Target`).
    Json,
    /// The query protocol (`Action=` form field), errors as XML.
    Query,
    /// Anything else (REST protocols); errors as XML.
    Other,
}

/// A resource as the request names it: an ARN, or a secret's name whose ARN the emulator
/// knows.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Resource {
    Arn(String),
    SecretName(String),
}

/// What a request asks of AWS.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Classified {
    /// The IAM service prefix (`sqs`).
    service: String,
    protocol: Protocol,
    /// `service:Operation` (`sqs:SendMessageBatch`).
    operation: String,
    /// Each (IAM action, resource) the request needs; all must be allowed.
    checks: Vec<(String, Resource)>,
    context: ConditionContext,
}

/// The (region, service) of the `SigV4` credential scope.
fn credential_scope(headers: &HeaderMap) -> Option<(String, String)> {
    let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let credential = authorization.split("Credential=").nth(1)?;
    let credential = credential.split([',', ' ']).next()?;
    let mut parts = credential.split('/');
    let (_key, _date) = (parts.next()?, parts.next()?);
    let region = parts.next()?;
    let service = parts.next()?;
    Some((region.to_owned(), service.to_owned()))
}

/// The IAM prefix of a `SigV4` signing name, or of an `X-Amz-Target` prefix.
fn iam_prefix(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "monitoring" => "cloudwatch".to_owned(),
        "amazonsqs" => "sqs".to_owned(),
        "trentservice" => "kms".to_owned(),
        "awsevents" => "events".to_owned(),
        _ if lower.starts_with("dynamodb") => "dynamodb".to_owned(),
        _ => lower,
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match text
                    .get(i + 1..i + 3)
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `application/x-www-form-urlencoded` pairs.
fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

/// The account and name of a queue from its URL (`http://host/123456789012/name`) or path.
fn queue_arn(url: &str, region: &str, account: &str) -> Option<String> {
    let path = url.split_once("://").map_or(url, |(_, rest)| {
        rest.split_once('/').map_or("", |(_, path)| path)
    });
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let name = segments.last()?;
    let owner = segments
        .len()
        .checked_sub(2)
        .map(|i| segments[i])
        .filter(|s| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(account);
    Some(format!("arn:aws:sqs:{region}:{owner}:{name}"))
}

fn table_arn(name: &str, region: &str, account: &str) -> String {
    if name.starts_with("arn:") {
        name.to_owned()
    } else {
        format!("arn:aws:dynamodb:{region}:{account}:table/{name}")
    }
}

fn secret_resource(id: &str) -> Resource {
    if id.starts_with("arn:") {
        Resource::Arn(id.to_owned())
    } else {
        Resource::SecretName(id.to_owned())
    }
}

/// The IAM action SQS authorizes an operation with (batches need the single action).
fn sqs_permission(operation: &str) -> &str {
    match operation {
        "SendMessageBatch" => "SendMessage",
        "DeleteMessageBatch" => "DeleteMessage",
        "ChangeMessageVisibilityBatch" => "ChangeMessageVisibility",
        other => other,
    }
}

/// Classifies a request: service, operation, the (action, resource) checks it needs and the
/// condition keys it provides. `region` and `account` build the ARNs.
fn classify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    region: &str,
    account: &str,
) -> Classified {
    let scope_service = credential_scope(headers).map(|(_, service)| iam_prefix(&service));
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit_once('.'));
    if let Some((prefix, operation)) = target {
        let service = scope_service.unwrap_or_else(|| iam_prefix(prefix));
        let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let (checks, context) = json_checks(&service, operation, &json, region, account);
        return Classified {
            operation: format!("{service}:{operation}"),
            service,
            protocol: Protocol::Json,
            checks,
            context,
        };
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let mut form = uri.query().map(parse_form).unwrap_or_default();
    if is_form {
        form.extend(parse_form(&String::from_utf8_lossy(body)));
    }
    let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let service = scope_service.unwrap_or_else(|| "unknown".to_owned());
    if let Some(operation) = field("Action") {
        let checks = if service == "sqs" {
            let arn = field("QueueUrl")
                .and_then(|url| queue_arn(&url, region, account))
                .or_else(|| queue_arn(uri.path(), region, account))
                .or_else(|| {
                    field("QueueName").map(|name| format!("arn:aws:sqs:{region}:{account}:{name}"))
                })
                .unwrap_or_else(|| "*".to_owned());
            vec![(
                format!("sqs:{}", sqs_permission(&operation)),
                Resource::Arn(arn),
            )]
        } else {
            vec![(
                format!("{service}:{operation}"),
                Resource::Arn("*".to_owned()),
            )]
        };
        return Classified {
            operation: format!("{service}:{operation}"),
            service,
            protocol: Protocol::Query,
            checks,
            context: ConditionContext::default(),
        };
    }
    // A REST call: nothing the functions make; an action no role grants, so it is refused
    // with a message that says what it was.
    let operation = format!("{service}:{method} {}", uri.path());
    Classified {
        checks: vec![(operation.clone(), Resource::Arn("*".to_owned()))],
        operation,
        service,
        protocol: Protocol::Other,
        context: ConditionContext::default(),
    }
}

/// The checks of an AWS JSON protocol request.
fn json_checks(
    service: &str,
    operation: &str,
    json: &Value,
    region: &str,
    account: &str,
) -> (Vec<(String, Resource)>, ConditionContext) {
    let text = |v: &Value, field: &str| v.get(field).and_then(Value::as_str).map(str::to_owned);
    let star = || Resource::Arn("*".to_owned());
    let mut context = ConditionContext::default();
    let action = format!("{service}:{operation}");
    let checks = match service {
        "sqs" => {
            let arn = text(json, "QueueUrl")
                .and_then(|url| queue_arn(&url, region, account))
                .or_else(|| {
                    text(json, "QueueName").map(|name| {
                        let owner = text(json, "QueueOwnerAWSAccountId")
                            .unwrap_or_else(|| account.to_owned());
                        format!("arn:aws:sqs:{region}:{owner}:{name}")
                    })
                });
            vec![(
                format!("sqs:{}", sqs_permission(operation)),
                arn.map_or_else(star, Resource::Arn),
            )]
        }
        "dynamodb" => dynamodb_checks(operation, json, region, account),
        "secretsmanager" => {
            if let Some(ids) = string_list(json.get("SecretIdList")) {
                let mut checks = vec![(action.clone(), star())];
                checks.extend(ids.iter().map(|id| {
                    (
                        "secretsmanager:GetSecretValue".to_owned(),
                        secret_resource(id),
                    )
                }));
                checks
            } else {
                let id = text(json, "SecretId").or_else(|| text(json, "Name"));
                vec![(
                    action.clone(),
                    id.map_or_else(star, |id| secret_resource(&id)),
                )]
            }
        }
        "kms" => {
            context.known_prefixes = vec![
                "kms:encryptioncontext:".to_owned(),
                "kms:viaservice".to_owned(),
            ];
            context
                .values
                .insert("kms:calleraccount".to_owned(), vec![account.to_owned()]);
            if let Some(pairs) = json.get("EncryptionContext").and_then(Value::as_object) {
                for (key, value) in pairs {
                    context.values.insert(
                        format!("kms:encryptioncontext:{}", key.to_ascii_lowercase()),
                        condition_values(value),
                    );
                }
            }
            let resource = text(json, "KeyId").map_or_else(star, |id| {
                Resource::Arn(if id.starts_with("arn:") {
                    id
                } else if id.starts_with("alias/") {
                    format!("arn:aws:kms:{region}:{account}:{id}")
                } else {
                    format!("arn:aws:kms:{region}:{account}:key/{id}")
                })
            });
            vec![(action.clone(), resource)]
        }
        "events" if operation == "PutEvents" => {
            let mut buses: Vec<String> = Vec::new();
            for entry in json
                .get("Entries")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let bus = text(entry, "EventBusName").unwrap_or_else(|| "default".to_owned());
                let arn = if bus.starts_with("arn:") {
                    bus
                } else {
                    format!("arn:aws:events:{region}:{account}:event-bus/{bus}")
                };
                if !buses.contains(&arn) {
                    buses.push(arn);
                }
            }
            if buses.is_empty() {
                vec![(action.clone(), star())]
            } else {
                buses
                    .into_iter()
                    .map(|arn| (action.clone(), Resource::Arn(arn)))
                    .collect()
            }
        }
        _ => vec![(action.clone(), star())],
    };
    (checks, context)
}

/// DynamoDB: the table (or index) of single-table operations; batches need their action on
/// every table; transactions need each item's own action (`Put` → `PutItem`) on its table.
fn dynamodb_checks(
    operation: &str,
    json: &Value,
    region: &str,
    account: &str,
) -> Vec<(String, Resource)> {
    let action = format!("dynamodb:{operation}");
    let mut checks: Vec<(String, Resource)> = Vec::new();
    let mut add = |action: String, arn: String| {
        let check = (action, Resource::Arn(arn));
        if !checks.contains(&check) {
            checks.push(check);
        }
    };
    match operation {
        "TransactWriteItems" | "TransactGetItems" => {
            let items = json.get("TransactItems").and_then(Value::as_array);
            for item in items.into_iter().flatten() {
                for (kind, item_action) in [
                    ("Put", "PutItem"),
                    ("Update", "UpdateItem"),
                    ("Delete", "DeleteItem"),
                    ("ConditionCheck", "ConditionCheckItem"),
                    ("Get", "GetItem"),
                ] {
                    if let Some(table) = item
                        .get(kind)
                        .and_then(|i| i.get("TableName"))
                        .and_then(Value::as_str)
                    {
                        add(
                            format!("dynamodb:{item_action}"),
                            table_arn(table, region, account),
                        );
                    }
                }
            }
        }
        "BatchWriteItem" | "BatchGetItem" => {
            if let Some(tables) = json.get("RequestItems").and_then(Value::as_object) {
                for table in tables.keys() {
                    add(action.clone(), table_arn(table, region, account));
                }
            }
        }
        _ => {
            if let Some(table) = json.get("TableName").and_then(Value::as_str) {
                let mut arn = table_arn(table, region, account);
                if let Some(index) = json.get("IndexName").and_then(Value::as_str) {
                    arn = format!("{arn}/index/{index}");
                }
                add(action.clone(), arn);
            }
        }
    }
    if checks.is_empty() {
        checks.push((action, Resource::Arn("*".to_owned())));
    }
    checks
}

// ---------------------------------------------------------------------------------------
// The proxy

/// One function's proxy, listening on 127.0.0.1 (port chosen by the OS); stops when dropped.
pub struct AwsProxy {
    endpoint: String,
    server: tokio::task::JoinHandle<()>,
}

struct ProxyState {
    upstream: String,
    function: String,
    role_name: String,
    region: String,
    account: String,
    policy: Policy,
    /// `grant_ids[statement][action][resource]`: the index in [`AwsCalls::grants`].
    grant_ids: Vec<Vec<Vec<usize>>>,
    calls: Arc<AwsCalls>,
    client: reqwest::Client,
}

impl AwsProxy {
    /// Starts the proxy of `function` (its logical id), which assumes `role_arn` with the
    /// role's resolved `statements`, in front of the emulator at `upstream`
    /// (`http://127.0.0.1:5000`). `region` and `account` build the ARNs that are checked.
    ///
    /// Fails when a statement uses what the proxy does not evaluate (`NotAction`,
    /// `NotResource`, principals), or when it cannot listen.
    pub async fn start(
        upstream: &str,
        function: &str,
        role_arn: &str,
        statements: &[Value],
        region: &str,
        account: &str,
        calls: Arc<AwsCalls>,
    ) -> Result<AwsProxy, AwsProxyError> {
        let policy = Policy::parse(function, statements)?;
        let grant_ids = policy
            .statements
            .iter()
            .map(|statement| {
                statement
                    .actions
                    .iter()
                    .map(|action| {
                        statement
                            .resources
                            .iter()
                            .map(|resource| {
                                if statement.effect == Effect::Allow {
                                    calls.register_grant(
                                        function,
                                        statement.sid.as_deref(),
                                        action,
                                        resource,
                                    )
                                } else {
                                    usize::MAX
                                }
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| AwsProxyError::Client {
                function: function.to_owned(),
                source,
            })?;
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .and_then(|listener| Ok((listener.local_addr()?, listener)));
        let (address, listener) = listener.map_err(|source| AwsProxyError::Bind {
            function: function.to_owned(),
            source,
        })?;
        let state = Arc::new(ProxyState {
            upstream: upstream.trim_end_matches('/').to_owned(),
            function: function.to_owned(),
            role_name: role_arn.rsplit('/').next().unwrap_or(role_arn).to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            policy,
            grant_ids,
            calls,
            client,
        });
        let app = axum::Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(state);
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "AWS proxy stopped");
            }
        });
        Ok(AwsProxy {
            endpoint: format!("http://{address}"),
            server,
        })
    }

    /// `http://127.0.0.1:PORT`: the function's `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    /// Stops listening, and returns once the listener is closed (dropping the proxy stops it
    /// too, without waiting). Connections already open are served until their client closes
    /// them.
    pub async fn stop(mut self) {
        self.server.abort();
        // Cancelled: the server's task and its listener are gone.
        let _ = (&mut self.server).await;
    }
}

impl Drop for AwsProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The secret's ARN as AWS evaluates it: the emulator's (with its random suffix) when the
/// secret exists, else the bare `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME`.
async fn secret_arn(state: &ProxyState, name: &str) -> String {
    let bare = format!(
        "arn:aws:secretsmanager:{}:{}:secret:{name}",
        state.region, state.account
    );
    // The emulator routes by the signing scope; it does not verify the signature.
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=okta-hooks-stack/20000101/{}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0",
        state.region
    );
    let answer = state
        .client
        .post(format!("{}/", state.upstream))
        .header(header::AUTHORIZATION, authorization)
        .header("x-amz-target", "secretsmanager.DescribeSecret")
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .body(json!({ "SecretId": name }).to_string())
        .send()
        .await;
    let Ok(answer) = answer else { return bare };
    if !answer.status().is_success() {
        return bare;
    }
    match answer.json::<Value>().await {
        Ok(described) => described
            .get("ARN")
            .and_then(Value::as_str)
            .map_or(bare, str::to_owned),
        Err(_) => bare,
    }
}

async fn handle(
    State(state): State<Arc<ProxyState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let classified = classify(
        &method,
        &uri,
        &headers,
        &body,
        &state.region,
        &state.account,
    );
    let mut checks = Vec::with_capacity(classified.checks.len());
    for (action, resource) in &classified.checks {
        let resource = match resource {
            Resource::Arn(arn) => arn.clone(),
            Resource::SecretName(name) => secret_arn(&state, name).await,
        };
        checks.push(Check {
            action: action.clone(),
            resource,
        });
    }
    let mut resources: Vec<String> = Vec::new();
    for check in &checks {
        if !resources.contains(&check.resource) {
            resources.push(check.resource.clone());
        }
    }
    let mut notes = Vec::new();
    let mut used = Vec::new();
    let mut refusal = None;
    for check in &checks {
        match state.policy.decide(check, &classified.context, &mut notes) {
            Decision::Allow(positions) => used.extend(positions),
            decision => {
                refusal = Some((check.clone(), decision));
                break;
            }
        }
    }
    let mut call = AwsCall {
        function: state.function.clone(),
        action: classified.operation.clone(),
        resources,
        allowed: refusal.is_none(),
        fault: None,
        status: 0,
        detail: (!notes.is_empty()).then(|| notes.join("; ")),
    };

    if let Some((check, decision)) = refusal {
        let why = if decision == Decision::ExplicitDeny {
            "with an explicit deny in an identity-based policy".to_owned()
        } else {
            format!(
                "because no identity-based policy allows the {} action",
                check.action
            )
        };
        let message = format!(
            "User: arn:aws:sts::{}:assumed-role/{}/{} is not authorized to perform: {} on resource: {} {why}",
            state.account, state.role_name, state.function, check.action, check.resource
        );
        tracing::warn!(function = %state.function, action = %call.action, %message, "AWS call denied");
        let response = error_response(&classified, &headers, ErrorKind::AccessDenied, &message);
        call.status = response.status().as_u16();
        call.detail = Some(match call.detail.take() {
            Some(notes) => format!("{message} ({notes})"),
            None => message,
        });
        state.calls.record(call);
        return response;
    }

    let grant_ids: Vec<usize> = used
        .iter()
        .filter_map(|&(s, a, r)| state.grant_ids.get(s)?.get(a)?.get(r).copied())
        .collect();
    state.calls.mark_used(&grant_ids);

    let actions: Vec<&str> = checks.iter().map(|check| check.action.as_str()).collect();
    if let Some(kind) = state
        .calls
        .take_fault(&state.function, &classified.operation, &actions)
    {
        let error = match kind {
            AwsFaultKind::Throttle => ErrorKind::Throttle,
            AwsFaultKind::ServerError => ErrorKind::ServerError,
        };
        let response = error_response(
            &classified,
            &headers,
            error,
            "scripted fault of the local stack",
        );
        tracing::info!(function = %state.function, action = %call.action, fault = %kind, "AWS fault injected");
        call.status = response.status().as_u16();
        call.fault = Some(kind.to_string());
        state.calls.record(call);
        return response;
    }

    // The emulator's writes to one queue or table, one at a time (see `AwsCalls::writes`).
    let locks = if serialized(&classified.operation) {
        state.calls.write_locks(&call.resources)
    } else {
        Vec::new()
    };
    let mut _held = Vec::with_capacity(locks.len());
    for lock in &locks {
        _held.push(lock.lock().await);
    }
    let response = match forward(&state, method, &uri, &headers, body).await {
        Ok(response) => response,
        Err(error) => {
            tracing::warn!(function = %state.function, action = %call.action, %error, "the AWS emulator did not answer");
            plain(StatusCode::BAD_GATEWAY, "the AWS emulator did not answer")
        }
    };
    call.status = response.status().as_u16();
    tracing::debug!(function = %state.function, action = %call.action, status = call.status, "AWS call");
    state.calls.record(call);
    response
}

/// Headers that belong to one connection, not to the request.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host"
            | "content-length"
            | "transfer-encoding"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "upgrade"
            | "expect"
    )
}

/// The headers without those of one connection.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let mut kept = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !hop_by_hop(name) {
            kept.append(name.clone(), value.clone());
        }
    }
    kept
}

/// The operations moto cannot run concurrently on one queue or table: SQS receives, sends,
/// visibility changes and deletes (a delete rebuilds the list a send appends to; a receive decides which FIFO
/// groups are in flight as it starts), `DynamoDB` writes (a condition is checked, then the
/// item written). `EventBridge` `PutEvents`, one bus at a time: moto delivers the event to
/// the bus rules' targets (SQS queues) inside the call.
fn serialized(operation: &str) -> bool {
    matches!(
        operation,
        "events:PutEvents"
            | "sqs:ReceiveMessage"
            | "sqs:SendMessage"
            | "sqs:SendMessageBatch"
            | "sqs:DeleteMessage"
            | "sqs:DeleteMessageBatch"
            | "sqs:ChangeMessageVisibility"
            | "sqs:ChangeMessageVisibilityBatch"
            | "sqs:PurgeQueue"
            | "dynamodb:PutItem"
            | "dynamodb:UpdateItem"
            | "dynamodb:DeleteItem"
            | "dynamodb:TransactWriteItems"
            | "dynamodb:BatchWriteItem"
    )
}

async fn forward(
    state: &ProxyState,
    method: Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, reqwest::Error> {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let headers = end_to_end(headers);
    let answer = state
        .client
        .request(method, format!("{}{path}", state.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await?;
    let status = answer.status();
    let answer_headers = end_to_end(answer.headers());
    let bytes = answer.bytes().await?;
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = answer_headers;
    Ok(response)
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ErrorKind {
    AccessDenied,
    Throttle,
    ServerError,
}

/// The error AWS answers for this service and protocol: AWS JSON protocols a JSON body with
/// `__type` (SQS adds `x-amzn-query-error: CODE;TYPE`, from which its SDK takes the code),
/// the query protocol an XML `ErrorResponse`.
fn error_response(
    classified: &Classified,
    request_headers: &HeaderMap,
    kind: ErrorKind,
    message: &str,
) -> Response {
    const DYNAMODB: &str = "com.amazonaws.dynamodb.v20120810#";
    let service = classified.service.as_str();
    let json = classified.protocol == Protocol::Json;
    // (status, code, sender or receiver, JSON __type)
    let (status, code, fault_type, json_type) = match (kind, service) {
        (ErrorKind::AccessDenied, _) => {
            let status = if json {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::FORBIDDEN
            };
            (
                status,
                "AccessDenied",
                "Sender",
                "AccessDeniedException".to_owned(),
            )
        }
        (ErrorKind::Throttle, "sqs") => (
            StatusCode::BAD_REQUEST,
            "RequestThrottled",
            "Sender",
            "com.amazonaws.sqs#RequestThrottled".to_owned(),
        ),
        (ErrorKind::Throttle, _) => (
            StatusCode::BAD_REQUEST,
            "Throttling",
            "Sender",
            if service == "dynamodb" {
                format!("{DYNAMODB}ThrottlingException")
            } else {
                "ThrottlingException".to_owned()
            },
        ),
        (ErrorKind::ServerError, "sqs") => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "Receiver",
            "com.amazonaws.sqs#InternalError".to_owned(),
        ),
        (ErrorKind::ServerError, _) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "Receiver",
            if service == "dynamodb" {
                format!("{DYNAMODB}InternalServerError")
            } else {
                "InternalFailure".to_owned()
            },
        ),
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut response = if json {
        let content_type = request_headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("application/x-amz-json-1.1"));
        let mut response = Response::new(Body::from(
            json!({ "__type": json_type, "message": message }).to_string(),
        ));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
        if service == "sqs"
            && let Ok(value) = HeaderValue::from_str(&format!("{code};{fault_type}"))
        {
            response.headers_mut().insert("x-amzn-query-error", value);
        }
        response
    } else {
        let xml = format!(
            "<ErrorResponse><Error><Type>{fault_type}</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            xml_escape(message)
        );
        let mut response = Response::new(Body::from(xml));
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        response
    };
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use aws_sdk_sqs::error::ProvideErrorMetadata;

    use super::*;

    const REGION: &str = "us-east-1";
    const ACCOUNT: &str = "123456789012";
    const FUNCTION: &str = "HookIngestFunction";
    const ROLE: &str = "arn:aws:iam::123456789012:role/x-HookIngestFunctionRole-ZHAHF2RKC1C5";
    const EVENTS: &str = "arn:aws:sqs:us-east-1:123456789012:x-events.fifo";
    const REJECTS: &str = "arn:aws:sqs:us-east-1:123456789012:x-rejects.fifo";
    const HOOK_SECRET: &str =
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:okta-hooks/default/hook";

    fn policy(statements: &Value) -> Policy {
        Policy::parse(FUNCTION, statements.as_array().unwrap()).unwrap()
    }

    fn decide(policy: &Policy, action: &str, resource: &str) -> Decision {
        let check = Check {
            action: action.to_owned(),
            resource: resource.to_owned(),
        };
        policy.decide(&check, &ConditionContext::default(), &mut Vec::new())
    }

    fn allowed(policy: &Policy, action: &str, resource: &str) -> bool {
        matches!(decide(policy, action, resource), Decision::Allow(_))
    }

    /// The role statements `stack_deploy.py` resolves for hook-ingest.
    fn ingest_statements() -> Value {
        json!([
            {"Sid": "EnqueueEvents", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": EVENTS},
            {"Sid": "ParkRejectedEvents", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": REJECTS},
            {"Sid": "ReadHookSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
             "Resource": [format!("{HOOK_SECRET}-??????"), HOOK_SECRET.to_owned()]}
        ])
    }

    #[test]
    fn action_wildcards_match_case_insensitively_and_stay_within_their_service() {
        let policy = policy(&json!([
            {"Effect": "Allow", "Action": ["SQS:Send*", "dynamodb:?etItem"], "Resource": "*"},
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
        ]));
        assert!(allowed(&policy, "sqs:SendMessage", EVENTS));
        assert!(allowed(
            &policy,
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:1:table/t"
        ));
        assert!(allowed(
            &policy,
            "kms:Decrypt",
            "arn:aws:kms:us-east-1:1:key/k"
        ));
        assert!(!allowed(&policy, "sqs:ReceiveMessage", EVENTS));
        assert!(!allowed(
            &policy,
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:1:table/t"
        ));
        assert!(!allowed(
            &policy,
            "dynamodb:BatchGetItem",
            "arn:aws:dynamodb:us-east-1:1:table/t"
        ));
        assert!(!allowed(
            &policy,
            "secretsmanager:GetSecretValue",
            HOOK_SECRET
        ));
    }

    #[test]
    fn the_six_question_marks_match_exactly_a_six_character_secret_suffix() {
        let policy = policy(&ingest_statements());
        assert!(allowed(
            &policy,
            "secretsmanager:GetSecretValue",
            &format!("{HOOK_SECRET}-AbC123")
        ));
        assert!(allowed(
            &policy,
            "secretsmanager:GetSecretValue",
            HOOK_SECRET
        ));
        assert!(!allowed(
            &policy,
            "secretsmanager:GetSecretValue",
            &format!("{HOOK_SECRET}-AbC12")
        ));
        assert!(!allowed(
            &policy,
            "secretsmanager:GetSecretValue",
            &format!("{HOOK_SECRET}-AbC1234")
        ));
        assert!(!allowed(
            &policy,
            "secretsmanager:GetSecretValue",
            &format!("{HOOK_SECRET}s-AbC123")
        ));
        // Resources are case-sensitive.
        assert!(!allowed(
            &policy,
            "secretsmanager:GetSecretValue",
            &HOOK_SECRET.replace("hook", "Hook")
        ));
    }

    #[test]
    fn a_resource_one_character_off_is_denied() {
        let policy = policy(&ingest_statements());
        assert!(allowed(&policy, "sqs:SendMessage", EVENTS));
        assert_eq!(
            decide(
                &policy,
                "sqs:SendMessage",
                &EVENTS.replace("x-events", "x-eventz")
            ),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(&policy, "sqs:SendMessage", &format!("{EVENTS}x")),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(&policy, "sqs:SendMessage", &EVENTS[..EVENTS.len() - 1]),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn an_explicit_deny_beats_an_allow_whatever_their_order() {
        let statements = json!([
            {"Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sqs:DeleteQueue", "Resource": "arn:aws:sqs:*:*:x-*"}
        ]);
        let policy = policy(&statements);
        assert_eq!(
            decide(&policy, "sqs:DeleteQueue", EVENTS),
            Decision::ExplicitDeny
        );
        assert!(allowed(&policy, "sqs:SendMessage", EVENTS));
        let mut reversed = statements.as_array().unwrap().clone();
        reversed.reverse();
        let reversed = Policy::parse(FUNCTION, &reversed).unwrap();
        assert_eq!(
            decide(&reversed, "sqs:DeleteQueue", EVENTS),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn not_action_not_resource_and_a_missing_effect_refuse_to_start_with_the_statement_named() {
        for (statement, expected) in [
            (
                json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
                "NotAction",
            ),
            (
                json!({"Effect": "Allow", "Action": "sqs:*", "NotResource": EVENTS}),
                "NotResource",
            ),
            (json!({"Action": "sqs:*", "Resource": EVENTS}), "Effect"),
            (json!({"Effect": "Allow", "Action": "sqs:*"}), "Resource"),
        ] {
            let error = Policy::parse(
                FUNCTION,
                &[
                    json!({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}),
                    statement,
                ],
            )
            .unwrap_err()
            .to_string();
            assert!(error.contains("statement 1"), "{error}");
            assert!(error.contains(expected), "{error}");
            assert!(error.contains(FUNCTION), "{error}");
        }
    }

    #[test]
    fn a_condition_the_proxy_cannot_know_makes_its_statement_not_count_and_says_why() {
        let policy = policy(&json!([
            {"Sid": "FromVpc", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": EVENTS,
             "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}
        ]));
        let check = Check {
            action: "sqs:SendMessage".to_owned(),
            resource: EVENTS.to_owned(),
        };
        let mut notes = Vec::new();
        assert_eq!(
            policy.decide(&check, &ConditionContext::default(), &mut notes),
            Decision::ImplicitDeny
        );
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("FromVpc") && notes[0].contains("aws:SourceVpce"),
            "{notes:?}"
        );
    }

    #[test]
    fn kms_conditions_are_evaluated_from_the_request_and_via_service_is_absent_on_direct_calls() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/k-1";
        let policy = policy(&json!([
            {"Sid": "Context", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key,
             "Condition": {"StringLike": {"kms:EncryptionContext:aws:sqs:arn": "arn:aws:sqs:*:x-*"}}},
            {"Sid": "KmsQueues", "Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": key,
             "Condition": {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}}}
        ]));
        let request = |operation: &str, body: Value| {
            let mut headers = HeaderMap::new();
            headers.insert(
                "x-amz-target",
                HeaderValue::from_str(&format!("TrentService.{operation}")).unwrap(),
            );
            classify(
                &Method::POST,
                &Uri::from_static("/"),
                &headers,
                body.to_string().as_bytes(),
                REGION,
                ACCOUNT,
            )
        };
        let decide_request = |classified: &Classified| {
            let (action, Resource::Arn(resource)) = classified.checks[0].clone() else {
                panic!()
            };
            policy.decide(
                &Check { action, resource },
                &classified.context,
                &mut Vec::new(),
            )
        };
        let with_context = request(
            "Decrypt",
            json!({"KeyId": "k-1", "EncryptionContext": {"aws:sqs:arn": EVENTS}}),
        );
        assert_eq!(with_context.operation, "kms:Decrypt");
        assert!(matches!(decide_request(&with_context), Decision::Allow(_)));
        let other_context = request(
            "Decrypt",
            json!({"KeyId": key, "EncryptionContext": {"aws:sqs:arn": "arn:aws:sqs:us-east-1:1:y"}}),
        );
        assert_eq!(decide_request(&other_context), Decision::ImplicitDeny);
        let no_context = request("Decrypt", json!({"KeyId": key}));
        assert_eq!(decide_request(&no_context), Decision::ImplicitDeny);
        let direct = request("GenerateDataKey", json!({"KeyId": key}));
        assert_eq!(decide_request(&direct), Decision::ImplicitDeny);
    }

    fn signed(service: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/{REGION}/{service}/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123abcd"
            ))
            .unwrap(),
        );
        headers
    }

    fn classify_json(service: &str, target: &str, body: &Value) -> Classified {
        let mut headers = signed(service);
        headers.insert("x-amz-target", HeaderValue::from_str(target).unwrap());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.0"),
        );
        classify(
            &Method::POST,
            &Uri::from_static("/"),
            &headers,
            body.to_string().as_bytes(),
            REGION,
            ACCOUNT,
        )
    }

    fn arn(action: &str, arn: &str) -> (String, Resource) {
        (action.to_owned(), Resource::Arn(arn.to_owned()))
    }

    #[test]
    fn an_sqs_json_batch_is_the_batch_operation_authorized_as_send_message_on_the_queue_arn() {
        let classified = classify_json(
            "sqs",
            "AmazonSQS.SendMessageBatch",
            &json!({"QueueUrl": "http://127.0.0.1:5000/123456789012/x-events.fifo",
                    "Entries": [{"Id": "0", "MessageBody": "{}", "MessageGroupId": "g"}]}),
        );
        assert_eq!(classified.operation, "sqs:SendMessageBatch");
        assert_eq!(classified.protocol, Protocol::Json);
        assert_eq!(classified.checks, vec![arn("sqs:SendMessage", EVENTS)]);
        let other_account = classify_json(
            "sqs",
            "AmazonSQS.DeleteMessage",
            &json!({"QueueUrl": "https://sqs.us-east-1.amazonaws.com/999999999999/q", "ReceiptHandle": "r"}),
        );
        assert_eq!(
            other_account.checks,
            vec![arn(
                "sqs:DeleteMessage",
                "arn:aws:sqs:us-east-1:999999999999:q"
            )]
        );
    }

    #[test]
    fn a_result_event_is_authorized_on_its_bus_arn_and_its_reply_on_the_reply_queue_arn() {
        let default_bus = format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default");
        let entry = |bus: Option<&str>| {
            let mut e =
                json!({"Source": "okta-hooks", "DetailType": "Action Result", "Detail": "{}"});
            if let Some(bus) = bus {
                e["EventBusName"] = json!(bus);
            }
            e
        };
        let put = |entries: Vec<Value>| {
            classify_json(
                "events",
                "AWSEvents.PutEvents",
                &json!({"Entries": entries}),
            )
        };
        let named = put(vec![entry(Some("default"))]);
        assert_eq!(named.operation, "events:PutEvents");
        assert_eq!(named.protocol, Protocol::Json);
        assert_eq!(named.checks, vec![arn("events:PutEvents", &default_bus)]);
        assert_eq!(
            put(vec![entry(None)]).checks,
            named.checks,
            "no name: default"
        );
        let payroll = "arn:aws:events:us-east-1:123456789012:event-bus/payroll";
        assert_eq!(
            put(vec![
                entry(None),
                entry(Some(payroll)),
                entry(Some("default"))
            ])
            .checks,
            vec![
                arn("events:PutEvents", &default_bus),
                arn("events:PutEvents", payroll)
            ],
            "each bus once"
        );
        let reply = classify_json(
            "sqs",
            "AmazonSQS.SendMessage",
            &json!({"QueueUrl": "http://127.0.0.1:5000/123456789012/okta-hooks-reply-7", "MessageBody": "{}"}),
        );
        let reply_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:okta-hooks-reply-7");
        assert_eq!(reply.checks, vec![arn("sqs:SendMessage", &reply_arn)]);

        // PublishResults as stack_deploy.py resolves it: the default bus and the pattern.
        let publish = policy(&json!([
            {"Sid": "ResultEvents", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": default_bus},
            {"Sid": "Replies", "Effect": "Allow", "Action": ["sqs:SendMessage"],
             "Resource": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:okta-hooks-reply-*")}
        ]));
        assert!(allowed(&publish, "events:PutEvents", &default_bus));
        assert!(!allowed(&publish, "events:PutEvents", payroll));
        assert!(allowed(&publish, "sqs:SendMessage", &reply_arn));
        assert!(!allowed(&publish, "sqs:SendMessage", EVENTS));
        assert!(serialized("events:PutEvents"));
    }

    #[test]
    fn a_dynamodb_transaction_needs_each_items_own_action_on_each_table() {
        let classified = classify_json(
            "dynamodb",
            "DynamoDB_20120810.TransactWriteItems",
            &json!({"TransactItems": [
                {"Put": {"TableName": "x-LedgerTable-1", "Item": {"pk": {"S": "a"}}}},
                {"Update": {"TableName": "x-CounterTable-2", "Key": {"pk": {"S": "b"}}, "UpdateExpression": "ADD n :one"}},
                {"Put": {"TableName": "x-LedgerTable-1", "Item": {"pk": {"S": "c"}}}}
            ]}),
        );
        assert_eq!(classified.operation, "dynamodb:TransactWriteItems");
        assert_eq!(
            classified.checks,
            vec![
                arn(
                    "dynamodb:PutItem",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/x-LedgerTable-1"
                ),
                arn(
                    "dynamodb:UpdateItem",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/x-CounterTable-2"
                ),
            ]
        );
        let query = classify_json(
            "dynamodb",
            "DynamoDB_20120810.Query",
            &json!({"TableName": "t", "IndexName": "by-user"}),
        );
        assert_eq!(
            query.checks,
            vec![arn(
                "dynamodb:Query",
                "arn:aws:dynamodb:us-east-1:123456789012:table/t/index/by-user"
            )]
        );
    }

    #[test]
    fn a_secret_named_by_its_arn_is_taken_as_is_and_by_its_name_is_left_to_the_emulator() {
        let by_arn = classify_json(
            "secretsmanager",
            "secretsmanager.GetSecretValue",
            &json!({"SecretId": format!("{HOOK_SECRET}-AbC123")}),
        );
        assert_eq!(by_arn.operation, "secretsmanager:GetSecretValue");
        assert_eq!(
            by_arn.checks,
            vec![arn(
                "secretsmanager:GetSecretValue",
                &format!("{HOOK_SECRET}-AbC123")
            )]
        );
        let by_name = classify_json(
            "secretsmanager",
            "secretsmanager.GetSecretValue",
            &json!({"SecretId": "okta-hooks/default/hook"}),
        );
        assert_eq!(
            by_name.checks,
            vec![(
                "secretsmanager:GetSecretValue".to_owned(),
                Resource::SecretName("okta-hooks/default/hook".to_owned())
            )]
        );
    }

    #[test]
    fn a_query_protocol_request_is_classified_from_its_form_and_its_queue_path() {
        let mut headers = signed("sqs");
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let body = "Action=ReceiveMessage&QueueUrl=http%3A%2F%2F127.0.0.1%3A5000%2F123456789012%2Fx-events.fifo&MaxNumberOfMessages=10";
        let classified = classify(
            &Method::POST,
            &Uri::from_static("/"),
            &headers,
            body.as_bytes(),
            REGION,
            ACCOUNT,
        );
        assert_eq!(classified.protocol, Protocol::Query);
        assert_eq!(classified.operation, "sqs:ReceiveMessage");
        assert_eq!(classified.checks, vec![arn("sqs:ReceiveMessage", EVENTS)]);
        let by_path = classify(
            &Method::POST,
            &Uri::from_static("/123456789012/x-rejects.fifo"),
            &headers,
            b"Action=SendMessage&MessageBody=a+b%26c",
            REGION,
            ACCOUNT,
        );
        assert_eq!(by_path.checks, vec![arn("sqs:SendMessage", REJECTS)]);
    }

    #[test]
    fn an_unsigned_json_request_takes_its_service_from_the_target_and_unknown_operations_check_star()
     {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("AWSEvents.ListRules"),
        );
        let classified = classify(
            &Method::POST,
            &Uri::from_static("/"),
            &headers,
            b"{}",
            REGION,
            ACCOUNT,
        );
        assert_eq!(classified.operation, "events:ListRules");
        assert_eq!(classified.checks, vec![arn("events:ListRules", "*")]);
    }

    #[test]
    fn a_fault_matches_its_function_and_the_iam_action_of_a_batch_and_runs_out_after_its_times() {
        let calls = AwsCalls::new();
        calls.add_fault(AwsFault {
            function: Some("Other".to_owned()),
            action: "sqs:*".to_owned(),
            kind: AwsFaultKind::ServerError,
            times: 5,
        });
        calls.add_fault(AwsFault {
            function: Some(FUNCTION.to_owned()),
            action: "sqs:SendMessage".to_owned(),
            kind: AwsFaultKind::Throttle,
            times: 2,
        });
        let batch = ("sqs:SendMessageBatch", ["sqs:SendMessage"]);
        assert_eq!(
            calls.take_fault(FUNCTION, batch.0, &batch.1),
            Some(AwsFaultKind::Throttle)
        );
        assert_eq!(
            calls.take_fault(FUNCTION, "sqs:DeleteMessage", &["sqs:DeleteMessage"]),
            None
        );
        assert_eq!(
            calls.take_fault(FUNCTION, batch.0, &batch.1),
            Some(AwsFaultKind::Throttle)
        );
        assert_eq!(calls.take_fault(FUNCTION, batch.0, &batch.1), None);
        assert_eq!(
            calls.take_fault("Other", batch.0, &batch.1),
            Some(AwsFaultKind::ServerError)
        );
    }

    // ---- end to end: a real SDK client, the proxy, and an upstream double

    /// An emulator double on 127.0.0.1: counts requests, keeps their target and body, answers
    /// `SendMessage`, `GetSecretValue`, and `DescribeSecret` of `okta-hooks/default/hook`.
    struct Upstream {
        endpoint: String,
        seen: Arc<Mutex<Vec<(String, String)>>>,
        count: Arc<AtomicUsize>,
        _server: tokio::task::JoinHandle<()>,
    }

    impl Upstream {
        async fn start() -> Upstream {
            let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .unwrap();
            let endpoint = format!("http://{}", listener.local_addr().unwrap());
            let seen = Arc::new(Mutex::new(Vec::new()));
            let count = Arc::new(AtomicUsize::new(0));
            let (seen_by_server, count_by_server) = (seen.clone(), count.clone());
            let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
                let (seen, count) = (seen_by_server.clone(), count_by_server.clone());
                async move {
                    count.fetch_add(1, Ordering::SeqCst);
                    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    let body = String::from_utf8_lossy(&body).into_owned();
                    seen.lock().unwrap().push((target.clone(), body.clone()));
                    let (status, answer) = match target.as_str() {
                        "AmazonSQS.SendMessage" => (200, json!({"MessageId": "m-1", "MD5OfMessageBody": "0"})),
                        "secretsmanager.DescribeSecret" if body.contains("\"okta-hooks/default/hook\"") => {
                            (200, json!({"ARN": format!("{HOOK_SECRET}-AbC123"), "Name": "okta-hooks/default/hook"}))
                        }
                        "secretsmanager.GetSecretValue" => (200, json!({"ARN": format!("{HOOK_SECRET}-AbC123"), "SecretString": "s3cr3t"})),
                        _ => (400, json!({"__type": "ResourceNotFoundException", "message": "not found"})),
                    };
                    let mut response = Response::new(Body::from(answer.to_string()));
                    *response.status_mut() = StatusCode::from_u16(status).unwrap();
                    response
                        .headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.0"));
                    response
                }
            });
            let server = tokio::spawn(async move {
                axum::serve(listener, app).await.unwrap();
            });
            Upstream {
                endpoint,
                seen,
                count,
                _server: server,
            }
        }

        fn count(&self) -> usize {
            self.count.load(Ordering::SeqCst)
        }
    }

    async fn ingest_proxy(upstream: &Upstream, calls: &Arc<AwsCalls>) -> AwsProxy {
        let statements = ingest_statements();
        AwsProxy::start(
            &upstream.endpoint,
            FUNCTION,
            ROLE,
            statements.as_array().unwrap(),
            REGION,
            ACCOUNT,
            calls.clone(),
        )
        .await
        .unwrap()
    }

    fn sqs_client(endpoint: &str) -> aws_sdk_sqs::Client {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .http_client(aws_adapters::http_client::certificates_on_first_request())
            .region(aws_sdk_sqs::config::Region::new(REGION))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "AKIDEXAMPLE",
                "not-a-secret",
                None,
                None,
                "test",
            ))
            .retry_config(
                aws_sdk_sqs::config::retry::RetryConfig::standard()
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build();
        aws_sdk_sqs::Client::from_conf(config)
    }

    fn queue_url(name: &str) -> String {
        format!("http://127.0.0.1:1/{ACCOUNT}/{name}")
    }

    fn used(calls: &AwsCalls) -> Vec<(Option<String>, String, bool)> {
        calls
            .grants()
            .into_iter()
            .map(|grant| (grant.sid, grant.resource, grant.used))
            .collect()
    }

    #[tokio::test]
    async fn an_allowed_send_message_reaches_the_upstream_unchanged_and_uses_only_its_grant() {
        let upstream = Upstream::start().await;
        let calls = AwsCalls::new();
        let mut printed = calls.subscribe();
        let proxy = ingest_proxy(&upstream, &calls).await;
        let sent = sqs_client(&proxy.endpoint())
            .send_message()
            .queue_url(queue_url("x-events.fifo"))
            .message_body("{\"uuid\":\"e-1\"}")
            .message_group_id("u-1")
            .send()
            .await
            .unwrap();
        assert_eq!(sent.message_id(), Some("m-1"));
        assert_eq!(upstream.count(), 1);
        let (target, body) = upstream.seen.lock().unwrap()[0].clone();
        assert_eq!(target, "AmazonSQS.SendMessage");
        assert!(
            body.contains("x-events.fifo") && body.contains("u-1"),
            "{body}"
        );
        let expected = AwsCall {
            function: FUNCTION.to_owned(),
            action: "sqs:SendMessage".to_owned(),
            resources: vec![EVENTS.to_owned()],
            allowed: true,
            fault: None,
            status: 200,
            detail: None,
        };
        assert_eq!(calls.calls(), vec![expected.clone()]);
        assert_eq!(printed.recv().await.unwrap(), expected);
        assert!(calls.denied().is_empty());
        assert_eq!(
            used(&calls),
            vec![
                (Some("EnqueueEvents".to_owned()), EVENTS.to_owned(), true),
                (
                    Some("ParkRejectedEvents".to_owned()),
                    REJECTS.to_owned(),
                    false
                ),
                (
                    Some("ReadHookSecrets".to_owned()),
                    format!("{HOOK_SECRET}-??????"),
                    false
                ),
                (
                    Some("ReadHookSecrets".to_owned()),
                    HOOK_SECRET.to_owned(),
                    false
                ),
            ]
        );
    }

    #[tokio::test]
    async fn a_send_message_the_role_does_not_grant_never_reaches_the_upstream_and_fails_with_access_denied()
     {
        let upstream = Upstream::start().await;
        let calls = AwsCalls::new();
        let proxy = ingest_proxy(&upstream, &calls).await;
        let error = sqs_client(&proxy.endpoint())
            .send_message()
            .queue_url(queue_url("x-users.fifo"))
            .message_body("{}")
            .message_group_id("u-1")
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some("AccessDenied"), "{error:?}");
        let message = error.message().unwrap_or_default().to_owned();
        assert!(
            message.contains(
                "assumed-role/x-HookIngestFunctionRole-ZHAHF2RKC1C5/HookIngestFunction is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:us-east-1:123456789012:x-users.fifo"
            ),
            "{message}"
        );
        assert_eq!(upstream.count(), 0);
        let denied = calls.denied();
        assert_eq!(denied.len(), 1);
        assert_eq!(
            denied[0].resources,
            vec!["arn:aws:sqs:us-east-1:123456789012:x-users.fifo".to_owned()]
        );
        assert_eq!(denied[0].status, 400);
        assert!(calls.grants().iter().all(|grant| !grant.used));
    }

    #[tokio::test]
    async fn a_throttle_fault_once_is_retried_by_the_sdk_which_then_succeeds() {
        let upstream = Upstream::start().await;
        let calls = AwsCalls::new();
        let proxy = ingest_proxy(&upstream, &calls).await;
        calls.add_fault(AwsFault {
            function: Some(FUNCTION.to_owned()),
            action: "sqs:SendMessage".to_owned(),
            kind: AwsFaultKind::Throttle,
            times: 1,
        });
        sqs_client(&proxy.endpoint())
            .send_message()
            .queue_url(queue_url("x-events.fifo"))
            .message_body("{}")
            .message_group_id("u-1")
            .send()
            .await
            .unwrap();
        assert_eq!(upstream.count(), 1);
        let seen: Vec<(Option<String>, u16)> = calls
            .calls()
            .into_iter()
            .map(|call| (call.fault, call.status))
            .collect();
        assert_eq!(seen, vec![(Some("throttle".to_owned()), 400), (None, 200)]);
    }

    #[tokio::test]
    async fn a_server_error_fault_outlasting_the_sdks_attempts_reaches_the_caller_as_a_500() {
        let upstream = Upstream::start().await;
        let calls = AwsCalls::new();
        let proxy = ingest_proxy(&upstream, &calls).await;
        calls.add_fault(AwsFault {
            function: None,
            action: "sqs:Send*".to_owned(),
            kind: AwsFaultKind::ServerError,
            times: 10,
        });
        let error = sqs_client(&proxy.endpoint())
            .send_message()
            .queue_url(queue_url("x-events.fifo"))
            .message_body("{}")
            .message_group_id("u-1")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            error.raw_response().map(|r| r.status().as_u16()),
            Some(500),
            "{error:?}"
        );
        assert_eq!(upstream.count(), 0);
        // The standard retry mode makes three attempts.
        assert_eq!(calls.calls().len(), 3);
        assert!(
            calls
                .calls()
                .iter()
                .all(|call| call.fault.as_deref() == Some("server_error"))
        );
    }

    async fn get_secret(proxy: &AwsProxy, id: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}/", proxy.endpoint()))
            .headers(signed("secretsmanager"))
            .header("x-amz-target", "secretsmanager.GetSecretValue")
            .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
            .body(json!({ "SecretId": id }).to_string())
            .send()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_secret_named_by_name_is_checked_on_the_emulators_arn_and_a_missing_one_on_its_bare_arn()
     {
        let upstream = Upstream::start().await;
        let calls = AwsCalls::new();
        let proxy = ingest_proxy(&upstream, &calls).await;

        let answer = get_secret(&proxy, "okta-hooks/default/hook").await;
        assert_eq!(answer.status(), 200);
        let signing = get_secret(&proxy, "okta-hooks/default/signing").await;
        assert_eq!(signing.status(), 400);
        assert_eq!(
            signing.json::<Value>().await.unwrap()["__type"],
            "AccessDeniedException"
        );

        let recorded = calls.calls();
        assert_eq!(recorded[0].resources, vec![format!("{HOOK_SECRET}-AbC123")]);
        assert!(recorded[0].allowed);
        assert_eq!(
            recorded[1].resources,
            vec![
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:okta-hooks/default/signing"
                    .to_owned()
            ]
        );
        assert!(!recorded[1].allowed);
        let targets: Vec<String> = upstream
            .seen
            .lock()
            .unwrap()
            .iter()
            .map(|(target, _)| target.clone())
            .collect();
        assert_eq!(
            targets,
            [
                "secretsmanager.DescribeSecret",
                "secretsmanager.GetSecretValue",
                "secretsmanager.DescribeSecret"
            ]
        );
        let grants = used(&calls);
        assert!(grants.contains(&(
            Some("ReadHookSecrets".to_owned()),
            format!("{HOOK_SECRET}-??????"),
            true
        )));
        assert!(grants.contains(&(
            Some("ReadHookSecrets".to_owned()),
            HOOK_SECRET.to_owned(),
            false
        )));
        // The secret's value is neither recorded nor broadcast.
        assert!(!format!("{recorded:?}").contains("s3cr3t"));
    }

    #[tokio::test]
    async fn a_denied_query_protocol_call_is_answered_with_an_xml_access_denied_403() {
        let upstream = Upstream::start().await;
        let calls = AwsCalls::new();
        let proxy = ingest_proxy(&upstream, &calls).await;
        let answer = reqwest::Client::new()
            .post(format!("{}/", proxy.endpoint()))
            .headers(signed("sqs"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("Action=SendMessage&QueueUrl=http%3A%2F%2F127.0.0.1%3A1%2F123456789012%2Fx-users.fifo&MessageBody=x")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403);
        let body = answer.text().await.unwrap();
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
        assert!(
            body.contains("not authorized to perform: sqs:SendMessage"),
            "{body}"
        );
        assert_eq!(upstream.count(), 0);
        assert_eq!(calls.denied().len(), 1);
    }

    async fn body_json(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn faults_answer_the_codes_the_sdks_retry_classifiers_know_for_each_service() {
        let headers = HeaderMap::new();
        let put = classify_json(
            "dynamodb",
            "DynamoDB_20120810.PutItem",
            &json!({"TableName": "t"}),
        );
        let throttled = error_response(&put, &headers, ErrorKind::Throttle, "m");
        assert_eq!(throttled.status(), 400);
        assert_eq!(
            body_json(throttled).await["__type"],
            "com.amazonaws.dynamodb.v20120810#ThrottlingException"
        );
        let secret = classify_json(
            "secretsmanager",
            "secretsmanager.GetSecretValue",
            &json!({}),
        );
        let failed = error_response(&secret, &headers, ErrorKind::ServerError, "m");
        assert_eq!(failed.status(), 500);
        assert_eq!(body_json(failed).await["__type"], "InternalFailure");
        let send = classify_json("sqs", "AmazonSQS.SendMessage", &json!({}));
        let throttled = error_response(&send, &headers, ErrorKind::Throttle, "m");
        assert_eq!(
            throttled.headers()["x-amzn-query-error"],
            "RequestThrottled;Sender"
        );
    }

    #[tokio::test]
    async fn a_stopped_proxy_no_longer_accepts_connections() {
        let upstream = Upstream::start().await;
        let proxy = ingest_proxy(&upstream, &AwsCalls::new()).await;
        let address = proxy.endpoint().trim_start_matches("http://").to_owned();
        assert!(tokio::net::TcpStream::connect(&address).await.is_ok());
        proxy.stop().await;
        assert!(tokio::net::TcpStream::connect(&address).await.is_err());
    }
}
