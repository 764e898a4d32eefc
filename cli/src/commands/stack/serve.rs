//! Running the deployed stack: every function behind its Runtime API and its AWS proxy,
//! the SQS event source mappings pumped, the HTTP API (or the Function URL) on the hook
//! URL's loopback port, the
//! schedules, and a control API for the tests.
//!
//! Control API (loopback, its URL in the state file as `control_url`):
//! - `GET /aws/calls`, `GET /aws/denied`, `GET /aws/grants`: the AWS calls the functions
//!   made (each checked against its role), the refused ones, and each grant of each role
//!   with whether a call used it;
//! - `POST /aws/faults` (an [`AwsFault`]): a scripted AWS fault;
//! - `GET /functions`: per function its cold starts, invocations and errors;
//! - `POST /functions/{logical_id}/invoke`: invokes it with the body (its answer back);
//! - `POST /functions/{logical_id}/kill`: kills its instances that are running an
//!   invocation now (a crash mid-invocation, as a test needs it);
//! - `POST /schedules/{logical_id}/run`: runs its schedule now (the `EventBridge` event);
//! - `POST /webhook`: the built-in secrets' `slack_webhook`; each message is printed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::aws_proxy::{AwsCalls, AwsFault, AwsProxy};
use super::http_api::{HttpApi, Route};
use super::pump;
use super::runtime::{Function, FunctionSpec, Launch};

/// HTTP-invoked functions' concurrency here (Lambda's account default is 1,000; a local
/// stack needs a handful).
const HTTP_CONCURRENCY: u32 = 10;

/// The running stack; [`Running::stop`] ends it.
pub struct Running {
    functions: BTreeMap<String, Arc<Function>>,
    tasks: Vec<JoinHandle<()>>,
    _proxies: Vec<AwsProxy>,
    /// The control API's URL.
    pub control_url: String,
}

/// Why the stack could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A binary is missing.
    #[error("{0}")]
    Missing(String),
    /// A proxy or server could not start.
    #[error("{what}: {reason}")]
    Start {
        /// What.
        what: String,
        /// Why.
        reason: String,
    },
}

/// Starts the stack's functions on top of the deployment `specs`.
///
/// # Errors
/// A binary that is not built, or a loopback server that cannot start.
#[allow(clippy::too_many_arguments)]
pub async fn start(
    specs: Vec<FunctionSpec>,
    emulator: &str,
    region: &str,
    account: &str,
    launch: Launch,
    hook_listener: tokio::net::TcpListener,
    control: tokio::net::TcpListener,
    calls: Arc<AwsCalls>,
) -> Result<Running, ServeError> {
    for spec in &specs {
        let binary = launch.bin_dir.join(&spec.binary);
        if !binary.is_file() {
            return Err(ServeError::Missing(format!(
                "{} (the code of {}) is not built: run `cargo build --workspace --bins` \
                 (or give --bin-dir)",
                binary.display(),
                spec.logical_id
            )));
        }
    }
    let start_error = |what: String| move |reason: String| ServeError::Start { what, reason };
    let mut functions = BTreeMap::new();
    let mut proxies = Vec::new();
    let mut tasks = Vec::new();
    let mut routes = Vec::new();
    // Function URLs take every request: after the routes (one ingress or the other is deployed).
    let mut function_urls = Vec::new();
    let printer = launch.printer.clone();
    for spec in specs {
        let proxy = AwsProxy::start(
            emulator,
            &spec.logical_id,
            &spec.role_arn,
            &spec.statements,
            region,
            account,
            calls.clone(),
        )
        .await
        .map_err(|e| start_error(format!("the AWS proxy of {}", spec.logical_id))(e.to_string()))?;
        let concurrency = spec.reserved_concurrency.unwrap_or_else(|| {
            let pumped: u32 = spec
                .sqs
                .iter()
                .map(|m| m.max_concurrency.unwrap_or(5))
                .sum();
            if spec.http_routes.is_empty() && !spec.function_url {
                pumped.max(1)
            } else {
                HTTP_CONCURRENCY.max(pumped)
            }
        });
        let function = Arc::new(Function::new(
            spec.clone(),
            proxy.endpoint(),
            launch.clone(),
            concurrency,
        ));
        let sqs = sqs_client(&proxy.endpoint(), region).await;
        for mapping in &spec.sqs {
            tasks.extend(pump::start(&function, mapping.clone(), &sqs, &printer));
        }
        for route in &spec.http_routes {
            routes.push(Route::new(&route.method, &route.path, function.clone()));
        }
        if spec.function_url {
            function_urls.push(Route::function_url(function.clone()));
        }
        for expression in &spec.schedules {
            match rate(expression) {
                Some(every) => tasks.push(tokio::spawn(schedule(
                    function.clone(),
                    every,
                    account.to_owned(),
                    region.to_owned(),
                    printer.clone(),
                ))),
                None => {
                    let _ = printer.send(format!(
                        "schedule {expression} of {} is not run locally (only rate(…)); \
                         POST {{control}}/schedules/{}/run runs it",
                        spec.logical_id, spec.logical_id
                    ));
                }
            }
        }
        proxies.push(proxy);
        functions.insert(spec.logical_id.clone(), function);
    }

    routes.extend(function_urls);
    let api = Arc::new(HttpApi {
        routes,
        account: account.to_owned(),
        printer: printer.clone(),
    });
    tasks.push(tokio::spawn(async move {
        let _ = axum::serve(hook_listener, super::http_api::app(api)).await;
    }));

    let control_url = format!(
        "http://{}",
        control
            .local_addr()
            .map_err(|e| start_error("the control API".into())(e.to_string()))?
    );
    let state = Arc::new(Control {
        functions: functions.clone(),
        calls,
        account: account.to_owned(),
        region: region.to_owned(),
        printer: printer.clone(),
    });
    let app = axum::Router::new()
        .route("/aws/calls", get(aws_calls))
        .route("/aws/denied", get(aws_denied))
        .route("/aws/grants", get(aws_grants))
        .route("/aws/faults", post(aws_fault))
        .route("/functions", get(function_stats))
        .route("/functions/{id}/invoke", post(invoke))
        .route("/functions/{id}/kill", post(kill))
        .route("/schedules/{id}/run", post(run_schedule))
        .route("/webhook", post(webhook))
        .with_state(state);
    tasks.push(tokio::spawn(async move {
        let _ = axum::serve(control, app).await;
    }));

    Ok(Running {
        functions,
        tasks,
        _proxies: proxies,
        control_url,
    })
}

impl Running {
    /// Stops the pumps, the servers and every instance.
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        for function in self.functions.values() {
            function.stop().await;
        }
    }
}

/// An SQS client for the pumps, through the function's proxy (its role).
async fn sqs_client(endpoint: &str, region: &str) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&super::emulator_aws(endpoint, region).await)
}

/// `rate(5 minutes)` → 5 min; anything else (cron) → None.
pub fn rate(expression: &str) -> Option<Duration> {
    let inner = expression.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = inner.trim().split_once(' ')?;
    let count: u64 = count.parse().ok().filter(|n| *n > 0)?;
    let unit_secs = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(count * unit_secs))
}

/// The `EventBridge` scheduled event.
fn scheduled_event(account: &str, region: &str, function: &Function) -> Value {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": now,
        "region": region,
        "resources": [format!("arn:aws:events:{region}:{account}:rule/{}-schedule", function.spec.name)],
        "detail": {},
    })
}

async fn schedule(
    function: Arc<Function>,
    every: Duration,
    account: String,
    region: String,
    printer: mpsc::UnboundedSender<String>,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        ticks.tick().await;
        let event = scheduled_event(&account, &region, &function);
        let outcome = function.invoke(Bytes::from(event.to_string())).await;
        let _ = printer.send(format!(
            "schedule → {}: {}",
            function.spec.logical_id,
            match outcome {
                Ok(_) => "done".to_owned(),
                Err(e) => e.to_string(),
            }
        ));
    }
}

struct Control {
    functions: BTreeMap<String, Arc<Function>>,
    calls: Arc<AwsCalls>,
    account: String,
    region: String,
    printer: mpsc::UnboundedSender<String>,
}

/// The built-in secrets' `slack_webhook`: each message is printed.
async fn webhook(State(c): State<Arc<Control>>, body: Bytes) -> Response {
    let text = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b["text"].as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    let _ = c.printer.send(format!("webhook ← {text}"));
    http::StatusCode::OK.into_response()
}

async fn aws_calls(State(c): State<Arc<Control>>) -> Response {
    Json(c.calls.calls()).into_response()
}

async fn aws_denied(State(c): State<Arc<Control>>) -> Response {
    Json(c.calls.denied()).into_response()
}

async fn aws_grants(State(c): State<Arc<Control>>) -> Response {
    Json(c.calls.grants()).into_response()
}

async fn aws_fault(State(c): State<Arc<Control>>, Json(fault): Json<AwsFault>) -> Response {
    c.calls.add_fault(fault);
    http::StatusCode::NO_CONTENT.into_response()
}

async fn function_stats(State(c): State<Arc<Control>>) -> Response {
    let stats: BTreeMap<&String, _> = c.functions.iter().map(|(k, f)| (k, f.stats())).collect();
    Json(stats).into_response()
}

fn function<'a>(c: &'a Control, id: &str) -> Result<&'a Arc<Function>, Box<Response>> {
    c.functions.get(id).ok_or_else(|| {
        (
            http::StatusCode::NOT_FOUND,
            format!(
                "no function {id}; the stack has {:?}\n",
                c.functions.keys().collect::<Vec<_>>()
            ),
        )
            .into_response()
            .into()
    })
}

async fn invoke(State(c): State<Arc<Control>>, Path(id): Path<String>, body: Bytes) -> Response {
    let function = match function(&c, &id) {
        Ok(f) => f.clone(),
        Err(r) => return *r,
    };
    match function.invoke(body).await {
        Ok(answer) => (http::StatusCode::OK, answer).into_response(),
        Err(e) => (http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

async fn kill(State(c): State<Arc<Control>>, Path(id): Path<String>) -> Response {
    let function = match function(&c, &id) {
        Ok(f) => f.clone(),
        Err(r) => return *r,
    };
    Json(json!({"killed": function.kill_busy().await})).into_response()
}

async fn run_schedule(State(c): State<Arc<Control>>, Path(id): Path<String>) -> Response {
    let function = match function(&c, &id) {
        Ok(f) => f.clone(),
        Err(r) => return *r,
    };
    let event = scheduled_event(&c.account, &c.region, &function);
    match function.invoke(Bytes::from(event.to_string())).await {
        Ok(answer) => (http::StatusCode::OK, answer).into_response(),
        Err(e) => (http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_expressions_become_periods_and_cron_is_not_run() {
        assert_eq!(rate("rate(1 minute)"), Some(Duration::from_secs(60)));
        assert_eq!(rate("rate(5 minutes)"), Some(Duration::from_secs(300)));
        assert_eq!(rate("rate(2 hours)"), Some(Duration::from_secs(7200)));
        assert_eq!(rate("rate(0 minutes)"), None);
        assert_eq!(rate("cron(0 12 * * ? *)"), None);
        assert_eq!(rate("rate(1 fortnight)"), None);
    }
}
