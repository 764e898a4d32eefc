//! The functions of the local stack, each run as its built binary behind a Lambda Runtime
//! API of ours, as Lambda runs a `provided.al2023` function.
//!
//! Each *instance* is one process with its own Runtime API server on a loopback port
//! (`AWS_LAMBDA_RUNTIME_API`), so that an invocation is always answered by the process it
//! was given to: a timeout kills that process (as Lambda does), and a test can kill a busy
//! instance between two of its calls. A [`Function`] keeps idle instances and starts a new
//! one (a cold start) when none is idle and its concurrency allows; at most
//! `concurrency` invocations run at once, the others wait.
//!
//! The environment of a process is exactly what `CloudFormation` resolved for the function,
//! plus what Lambda itself sets (`AWS_LAMBDA_FUNCTION_NAME`, `AWS_REGION`, …) and the
//! emulator's endpoint and dummy credentials (the function's own AWS proxy, which checks
//! each call against the function's role). Its stdout and stderr go to `<log dir>/<logical
//! id>.log` and, line by line, to the stack's printer.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};

/// A function of the stack as the deployment reported it (`runtime.functions[]` of
/// `scripts/stack_deploy.py`).
#[derive(Debug, Clone, Deserialize)]
pub struct FunctionSpec {
    /// The template's logical id, e.g. `EventRouterFunction`.
    pub logical_id: String,
    /// The physical name `CloudFormation` gave it.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// The workspace binary that is its code (`BuildProperties.Binary`).
    pub binary: String,
    /// Seconds an invocation may take before the instance is killed.
    pub timeout: u64,
    /// `MemorySize` (reported to the function; not enforced).
    pub memory: u64,
    /// `ReservedConcurrentExecutions`, when set.
    pub reserved_concurrency: Option<u32>,
    /// The execution role.
    pub role_arn: String,
    /// The environment `CloudFormation` resolved.
    pub environment: HashMap<String, String>,
    /// The role's statements (inline and managed policies).
    pub statements: Vec<Value>,
    /// The HTTP API routes that invoke it.
    pub http_routes: Vec<HttpRoute>,
    /// A Lambda Function URL invokes it (every method and path; `Ingress=FunctionUrl`).
    #[serde(default)]
    pub function_url: bool,
    /// `EventBridge` schedule expressions that invoke it.
    pub schedules: Vec<String>,
    /// Its SQS event source mappings.
    pub sqs: Vec<SqsMapping>,
}

/// One route of the template's HTTP API (a path of its OpenAPI body).
#[derive(Debug, Clone, Deserialize)]
pub struct HttpRoute {
    /// `GET`, `POST`, …
    pub method: String,
    /// `/hooks/okta/{org}`
    pub path: String,
}

/// One SQS event source mapping and its queue's settings (the redrive policy is the
/// emulator's to apply).
#[derive(Debug, Clone, Deserialize)]
pub struct SqsMapping {
    /// The queue's ARN.
    pub queue_arn: String,
    /// The queue's URL on the emulator.
    pub queue_url: String,
    /// `BatchSize`.
    pub batch_size: i32,
    /// `ScalingConfig.MaximumConcurrency`.
    pub max_concurrency: Option<u32>,
    /// `FunctionResponseTypes` holds `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// The queue's `VisibilityTimeout` (seconds).
    pub visibility_timeout: u64,
}

/// Why an invocation has no response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InvokeError {
    /// The function answered with an error (`/invocation/{id}/error`).
    #[error("function error: {0}")]
    Function(String),
    /// Init failed (`/init/error`), or the process exited before answering.
    #[error("runtime exited: {0}")]
    Exited(String),
    /// No answer within the function's timeout: the instance was killed.
    #[error("timed out after {0} s (instance killed)")]
    Timeout(u64),
    /// The instance was killed on request (`stack` control API) while busy.
    #[error("instance killed")]
    Killed,
    /// The process could not be started.
    #[error("cannot start {binary}: {reason}")]
    Spawn {
        /// The binary.
        binary: String,
        /// Why.
        reason: String,
    },
}

/// What every instance of the stack shares: where binaries and logs are, the printer, the
/// extra environment.
#[derive(Clone)]
pub struct Launch {
    /// Directory of the built binaries (`target/debug`).
    pub bin_dir: PathBuf,
    /// Directory of the function logs.
    pub log_dir: PathBuf,
    /// The region the stack is in.
    pub region: String,
    /// Environment every function gets on top of its own (`OKTA_HOOKS_RULES_DIR`, …).
    pub overrides: Vec<(String, String)>,
    /// Lines to print (`[Function] …`).
    pub printer: mpsc::UnboundedSender<String>,
}

/// Counters of one function, for the control API and the summary.
#[derive(Debug, Default, serde::Serialize, Clone, Copy)]
pub struct FunctionStats {
    /// Processes started (cold starts).
    pub cold_starts: u64,
    /// Invocations given to an instance.
    pub invocations: u64,
    /// Invocations that ended in an error, a timeout or a crash.
    pub errors: u64,
}

/// One function: its spec, its idle instances, its concurrency.
pub struct Function {
    /// What the deployment said.
    pub spec: FunctionSpec,
    aws_endpoint: String,
    launch: Launch,
    limit: Arc<Semaphore>,
    idle: Mutex<Vec<Instance>>,
    busy: Mutex<HashMap<u64, Arc<Mutex<Option<tokio::process::Child>>>>>,
    next_instance: AtomicU64,
    cold_starts: AtomicU64,
    invocations: AtomicU64,
    errors: AtomicU64,
}

impl Function {
    /// A function whose instances reach AWS at `aws_endpoint` and run at most
    /// `concurrency` at once.
    pub fn new(spec: FunctionSpec, aws_endpoint: String, launch: Launch, concurrency: u32) -> Self {
        Function {
            spec,
            aws_endpoint,
            launch,
            limit: Arc::new(Semaphore::new(concurrency.max(1) as usize)),
            idle: Mutex::new(Vec::new()),
            busy: Mutex::new(HashMap::new()),
            next_instance: AtomicU64::new(1),
            cold_starts: AtomicU64::new(0),
            invocations: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> FunctionStats {
        FunctionStats {
            cold_starts: self.cold_starts.load(Ordering::Relaxed),
            invocations: self.invocations.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }

    /// Invokes the function with `payload` as Lambda does: an idle instance or a new one,
    /// the function's timeout, the instance discarded after anything but a response.
    ///
    /// # Errors
    /// [`InvokeError`]: the function's error, a crash, a timeout, a kill.
    pub async fn invoke(&self, payload: Bytes) -> Result<Bytes, InvokeError> {
        let _permit = self
            .limit
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| InvokeError::Killed)?;
        let idle = self.idle.lock().map(|mut idle| idle.pop()).ok().flatten();
        let instance = match idle {
            Some(instance) if instance.alive() => instance,
            _ => self.spawn().await?,
        };
        self.invocations.fetch_add(1, Ordering::Relaxed);
        let id = instance.id;
        if let Ok(mut busy) = self.busy.lock() {
            busy.insert(id, instance.child.clone());
        }
        let timeout = Duration::from_secs(self.spec.timeout.max(1));
        let outcome = instance.invoke(payload, timeout).await;
        if let Ok(mut busy) = self.busy.lock() {
            busy.remove(&id);
        }
        match outcome {
            Ok(response) => {
                if let Ok(mut idle) = self.idle.lock() {
                    idle.push(instance);
                }
                Ok(response)
            }
            Err(error) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                instance.kill().await;
                Err(error)
            }
        }
    }

    /// Kills every instance that is running an invocation now; returns how many.
    pub async fn kill_busy(&self) -> usize {
        let busy: Vec<_> = self
            .busy
            .lock()
            .map(|busy| busy.values().cloned().collect())
            .unwrap_or_default();
        let mut killed = 0;
        for child in busy {
            let taken = child.lock().ok().and_then(|mut c| c.take());
            if let Some(mut child) = taken {
                let _ = child.kill().await;
                killed += 1;
            }
        }
        killed
    }

    /// Stops every idle instance.
    pub async fn stop(&self) {
        let idle: Vec<Instance> = self
            .idle
            .lock()
            .map(|mut idle| idle.drain(..).collect())
            .unwrap_or_default();
        for instance in idle {
            instance.kill().await;
        }
        let _ = self.kill_busy().await;
    }

    /// A new instance: its Runtime API on a loopback port, then the process.
    async fn spawn(&self) -> Result<Instance, InvokeError> {
        let binary = self.launch.bin_dir.join(&self.spec.binary);
        let spawn_error = |reason: String| InvokeError::Spawn {
            binary: binary.display().to_string(),
            reason,
        };
        let number = self.next_instance.fetch_add(1, Ordering::Relaxed);
        let api = RuntimeApi::start(&self.spec.arn)
            .await
            .map_err(|e| spawn_error(e.to_string()))?;
        let spec = &self.spec;
        let stream = format!("local/{number}");
        let mut command = tokio::process::Command::new(&binary);
        command
            .env_clear()
            .envs(&spec.environment)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .env("AWS_LAMBDA_FUNCTION_NAME", &spec.name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", spec.memory.to_string())
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", spec.name),
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", &stream)
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_REGION", &self.launch.region)
            .env("AWS_DEFAULT_REGION", &self.launch.region)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_ENDPOINT_URL", &self.aws_endpoint)
            .env("_HANDLER", "bootstrap")
            .envs(self.launch.overrides.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| spawn_error(e.to_string()))?;
        self.cold_starts.fetch_add(1, Ordering::Relaxed);
        let log = self.launch.log_dir.join(format!("{}.log", spec.logical_id));
        let label = format!("{}#{number}", spec.logical_id);
        for pipe in [
            child.stdout.take().map(|p| Box::new(p) as Pipe),
            child.stderr.take().map(|p| Box::new(p) as Pipe),
        ]
        .into_iter()
        .flatten()
        {
            tokio::spawn(copy_lines(
                pipe,
                log.clone(),
                label.clone(),
                self.launch.printer.clone(),
            ));
        }
        Ok(Instance {
            id: number,
            api,
            child: Arc::new(Mutex::new(Some(child))),
        })
    }
}

type Pipe = Box<dyn tokio::io::AsyncRead + Unpin + Send>;

/// Appends each line of `pipe` to `log` and hands it to the printer.
async fn copy_lines(
    pipe: Pipe,
    log: PathBuf,
    label: String,
    printer: mpsc::UnboundedSender<String>,
) {
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .await
        .ok();
    let mut lines = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(file) = file.as_mut() {
            let _ = file.write_all(format!("{line}\n").as_bytes()).await;
        }
        if let Some(shown) = condense(&line) {
            let _ = printer.send(format!("[{label}] {shown}"));
        }
    }
}

/// A function's JSON log line as one short line (`level message key=value …`); lines that
/// are not JSON are shown as they are. Debug and trace lines are not shown (they are in
/// the log file).
pub fn condense(line: &str) -> Option<String> {
    let Ok(Value::Object(entry)) = serde_json::from_str::<Value>(line) else {
        return (!line.trim().is_empty()).then(|| line.to_owned());
    };
    let level = entry.get("level").and_then(Value::as_str).unwrap_or("");
    if matches!(level, "DEBUG" | "TRACE") {
        return None;
    }
    let mut out = level.to_owned();
    if let Some(Value::Object(fields)) = entry.get("fields") {
        if let Some(message) = fields.get("message").and_then(Value::as_str) {
            out.push(' ');
            out.push_str(message);
        }
        for (key, value) in fields {
            if key == "message" {
                continue;
            }
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), ToOwned::to_owned);
            out.push_str(&format!(" {key}={value}"));
        }
    } else if entry.contains_key("_aws") {
        out = "EMF metrics".to_owned();
    }
    Some(out)
}

/// One process and its Runtime API.
struct Instance {
    id: u64,
    api: RuntimeApi,
    child: Arc<Mutex<Option<tokio::process::Child>>>,
}

impl Instance {
    fn alive(&self) -> bool {
        self.child
            .lock()
            .ok()
            .is_some_and(|mut c| c.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None))))
    }

    async fn invoke(&self, payload: Bytes, timeout: Duration) -> Result<Bytes, InvokeError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let deadline = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(timeout);
        let sent = self.api.invocations.send(Invocation {
            request_id,
            deadline_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
            payload,
        });
        if sent.is_err() {
            return Err(InvokeError::Exited("runtime API closed".into()));
        }
        let started = Instant::now();
        // Wait for the answer, watching the process: an exit (crash, kill) fails the call.
        loop {
            let remaining = timeout.saturating_sub(started.elapsed());
            if remaining.is_zero() {
                return Err(InvokeError::Timeout(timeout.as_secs()));
            }
            let tick = remaining.min(Duration::from_millis(100));
            tokio::select! {
                () = self.api.shared.answer_ready.notified() => {}
                () = tokio::time::sleep(tick) => {}
            }
            if let Some(outcome) = self.api.take_answer() {
                return outcome;
            }
            let exited = self.child.lock().ok().and_then(|mut c| match c.as_mut() {
                None => Some("killed".to_owned()),
                Some(c) => c.try_wait().ok().flatten().map(|s| s.to_string()),
            });
            if let Some(status) = exited {
                // An answer may have arrived just before the exit.
                if let Some(outcome) = self.api.take_answer() {
                    return outcome;
                }
                return Err(if status == "killed" {
                    InvokeError::Killed
                } else {
                    InvokeError::Exited(status)
                });
            }
        }
    }

    async fn kill(self) {
        let taken = self.child.lock().ok().and_then(|mut c| c.take());
        if let Some(mut child) = taken {
            let _ = child.kill().await;
        }
    }
}

/// An invocation waiting for `/next`.
struct Invocation {
    request_id: String,
    deadline_ms: u64,
    payload: Bytes,
}

/// The Runtime API of one instance (`/2018-06-01/runtime/…`).
struct RuntimeApi {
    address: String,
    invocations: mpsc::UnboundedSender<Invocation>,
    shared: Arc<ApiState>,
    server: tokio::task::JoinHandle<()>,
}

struct ApiState {
    next: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    /// The request id given to the process by `/next` and not answered yet.
    pending: Mutex<Option<String>>,
    answered: Mutex<Option<Result<Bytes, InvokeError>>>,
    answer_ready: tokio::sync::Notify,
    function_arn: String,
}

impl RuntimeApi {
    async fn start(function_arn: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?.to_string();
        let (invocations, next) = mpsc::unbounded_channel();
        let shared = Arc::new(ApiState {
            next: tokio::sync::Mutex::new(next),
            pending: Mutex::new(None),
            answered: Mutex::new(None),
            answer_ready: tokio::sync::Notify::new(),
            function_arn: function_arn.to_owned(),
        });
        let app = axum::Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(invocation_response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi {
            address,
            invocations,
            shared,
            server,
        })
    }

    fn address(&self) -> &str {
        &self.address
    }

    fn take_answer(&self) -> Option<Result<Bytes, InvokeError>> {
        self.shared.answered.lock().ok().and_then(|mut a| a.take())
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next_invocation(State(state): State<Arc<ApiState>>) -> axum::response::Response {
    let invocation = state.next.lock().await.recv().await;
    let Some(invocation) = invocation else {
        return http::StatusCode::GONE.into_response_text("runtime API closed");
    };
    let arn = state.function_arn.clone();
    if let Ok(mut pending) = state.pending.lock() {
        *pending = Some(invocation.request_id.clone());
    }
    axum::response::Response::builder()
        .status(200)
        .header("Lambda-Runtime-Aws-Request-Id", &invocation.request_id)
        .header(
            "Lambda-Runtime-Deadline-Ms",
            invocation.deadline_ms.to_string(),
        )
        .header("Lambda-Runtime-Invoked-Function-Arn", arn)
        .header(
            "Lambda-Runtime-Trace-Id",
            format!("Root=1-{}", invocation.request_id),
        )
        .header("Content-Type", "application/json")
        .body(axum::body::Body::from(invocation.payload))
        .unwrap_or_default()
}

/// Settles the pending invocation `id` with `outcome`.
fn settle(state: &ApiState, id: &str, outcome: Result<Bytes, InvokeError>) -> http::StatusCode {
    let Ok(mut pending) = state.pending.lock() else {
        return http::StatusCode::INTERNAL_SERVER_ERROR;
    };
    if pending.as_deref() != Some(id) {
        return http::StatusCode::BAD_REQUEST;
    }
    *pending = None;
    drop(pending);
    if let Ok(mut answered) = state.answered.lock() {
        *answered = Some(outcome);
    }
    state.answer_ready.notify_one();
    http::StatusCode::ACCEPTED
}

async fn invocation_response(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> http::StatusCode {
    settle(&state, &id, Ok(body))
}

async fn invocation_error(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> http::StatusCode {
    let reason = String::from_utf8_lossy(&body).into_owned();
    settle(&state, &id, Err(InvokeError::Function(reason)))
}

async fn init_error(State(state): State<Arc<ApiState>>, body: Bytes) -> http::StatusCode {
    let reason = String::from_utf8_lossy(&body).into_owned();
    if let Ok(mut answered) = state.answered.lock() {
        *answered = Some(Err(InvokeError::Exited(format!("init error: {reason}"))));
    }
    state.answer_ready.notify_one();
    http::StatusCode::ACCEPTED
}

trait TextResponse {
    fn into_response_text(self, text: &'static str) -> axum::response::Response;
}

impl TextResponse for http::StatusCode {
    fn into_response_text(self, text: &'static str) -> axum::response::Response {
        axum::response::Response::builder()
            .status(self)
            .body(axum::body::Body::from(text))
            .unwrap_or_default()
    }
}
