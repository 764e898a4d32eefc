//! `okta-hooks dev`: the hook endpoints on 127.0.0.1 with an embedded queue.
//!
//! Routes match API Gateway's: `GET` goes to the verification handler, everything else to
//! the ingest handler, on `/hooks/okta` (the default org) and `/hooks/okta/{org}`. As in
//! AWS, only the configured orgs are served: the default org, those of `OKTA_HOOKS_ORGS`,
//! and each `--org`; any other org is `401`.
//!
//! Every served org has the same secrets: `--secret-file` (either shape), or built here in
//! the split shape (`hook` from `--header`/`--secret`, a generated `signing` key and a
//! generated plan key pair — `plan-signing` and `signing.plan_keys`, plan signatures
//! required, so plans run router-signed as in a deployment that turned them on —, `okta` and
//! `okta-read` from the `OKTA_*` credential with `--okta-domain`, `named` from
//! `--named`). Each part holds only what its function holds in AWS: the hook endpoints
//! `hook`, the router `signing`, `plan-signing` and `okta-read`, the poller `okta-read`,
//! each executor `signing`, its Okta credential and (notify, admin) `named`. A
//! `--secret-file` without `plan-signing` runs HMAC-only envelopes (the router warns).

mod pipeline;
mod poll;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Request, Response, StatusCode, header::CONTENT_TYPE};
use axum::routing::{any, post};
use fifo_queue::{MemoryQueue, StoredMessage};
use hook_receiver::{
    Authenticator, HookError, HookRequest, HookResponse, IngestHandler, ReceiverConfig,
    VerifyHandler,
};
use http::Method;
use org_secrets::{
    ExecutorCredentials, KnownOrgs, OktaCredential, OrgName, PlanKeyPair, SecretReads,
    StaticSecrets, StoredSecrets,
};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use pipeline::DevOkta;

/// Default port of the local runner.
pub const DEFAULT_PORT: u16 = 8787;

#[derive(clap::Args)]
pub struct DevArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, env = "OKTA_HOOKS_DEV_PORT", default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The hook's auth header value. Generated and printed when not given.
    #[arg(long, env = "OKTA_HOOKS_DEV_SECRET")]
    secret: Option<String>,
    /// The auth header's name.
    #[arg(long, default_value = "Authorization")]
    header: String,
    /// The org secrets from this JSON file, for every served org, instead of --secret,
    /// --header and --named: the split shape (`{"hook": …, "signing": …, "okta": …,
    /// "okta-read": …, "named": …}`) or the single one of before the split (`okta`
    /// serving every part). Its Okta credentials are used only with --okta-domain (the
    /// same org). A missing `signing` is generated.
    #[arg(long, env = "OKTA_HOOKS_DEV_SECRET_FILE", conflicts_with_all = ["secret", "named"])]
    secret_file: Option<std::path::PathBuf>,
    /// The rules each accepted event is routed through; default `rules/` when there is
    /// one here.
    #[arg(long)]
    rules: Option<std::path::PathBuf>,
    /// Run the plans against this Okta org (`acme.okta.com` or a URL), with the credential
    /// of `OKTA_API_TOKEN` (or `OKTA_CLIENT_ID` + `OKTA_PRIVATE_KEY_FILE`). Without it,
    /// every Okta request is printed, not sent.
    #[arg(long, env = "OKTA_HOOKS_DEV_OKTA_DOMAIN")]
    okta_domain: Option<String>,
    /// With --okta-domain: read from the org, print the writes instead of sending them.
    #[arg(long)]
    dry_run: bool,
    /// With --okta-domain: also poll the org's System Log (every --poll-interval seconds,
    /// from --poll-lookback minutes back), filtered to the rules' event types.
    #[arg(long, requires = "okta_domain")]
    poll: bool,
    /// Seconds between System Log polls.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(5..=3600))]
    poll_interval: u64,
    /// Minutes the first poll reaches back.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=10080))]
    poll_lookback: u64,
    /// A named secret rules use (`slack_webhook=https://hooks.slack.com/…`), repeatable.
    #[arg(long = "named", value_name = "NAME=VALUE")]
    named: Vec<String>,
    /// Also serve `/hooks/okta/ORG` (repeatable); the default org (`OKTA_HOOKS_DEFAULT_ORG`,
    /// else `default`) is always served. Any other org is refused, as in AWS.
    #[arg(long = "org", value_name = "ORG")]
    orgs: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DevError {
    #[error("cannot listen on 127.0.0.1:{port}: {source} (choose another with --port)")]
    Bind { port: u16, source: std::io::Error },
    #[error("the local server stopped: {0}")]
    Serve(std::io::Error),
    #[error("--header {0:?} is not a valid HTTP header name")]
    Header(String),
    #[error(transparent)]
    Config(#[from] hook_receiver::ConfigError),
    #[error(transparent)]
    Rules(#[from] super::rules::RulesCliError),
    #[error(transparent)]
    Okta(#[from] super::okta::OktaCliError),
    #[error("--poll: {0}")]
    Poll(String),
    #[error("--named {0:?}: write NAME=VALUE")]
    Named(String),
    #[error("--org {0:?}: {1}")]
    Org(String, org_secrets::OrgNameError),
    #[error(transparent)]
    Pipeline(#[from] pipeline::PipelineError),
    #[error("--secret-file {file}: {reason}")]
    SecretFile { file: String, reason: String },
    #[error("the local org secrets: {0}")]
    Secrets(String),
    #[error("{} {}", .0.var, .0.reason)]
    ExecutorCredentials(hook_receiver::ConfigError),
}

/// The scopes asked for with an OAuth credential when `OKTA_SCOPES` is not set: what
/// the example rules need.
const DEV_SCOPES: &str = "okta.users.read okta.users.manage okta.groups.manage";

/// `acme.okta.com` → `https://acme.okta.com`; a URL stays as given.
pub(crate) fn org_url(domain: &str) -> String {
    if domain.starts_with("https://") || domain.starts_with("http://") {
        domain.trim_end_matches('/').to_owned()
    } else {
        format!("https://{}", domain.trim_end_matches('/'))
    }
}

struct Endpoints {
    verify: VerifyHandler<StaticSecrets>,
    ingest: IngestHandler<Arc<MemoryQueue>, StaticSecrets>,
    max_body_bytes: usize,
    /// `POST /actions`: the hook's auth (the default org's header), then the pipeline.
    actions: Authenticator<StaticSecrets>,
    default_org: OrgName,
    pipeline: tokio::sync::mpsc::UnboundedSender<pipeline::Input>,
}

/// The credential's JSON as an org secret holds it (in memory only: it becomes the
/// local secrets' `okta` and `okta-read`).
fn credential_json(credential: &OktaCredential) -> Value {
    let expose =
        |v: &Option<secrecy::SecretString>| v.as_ref().map(|s| s.expose_secret().to_owned());
    json!({
        "org_url": credential.org_url,
        "api_token": expose(&credential.api_token),
        "client_id": credential.client_id,
        "private_key": expose(&credential.private_key),
        "key_alg": credential.key_alg,
        "key_id": credential.key_id,
        "scopes": credential.scopes,
        "dpop": credential.dpop,
    })
}

/// The id of the built-in plan key.
const PLAN_KEY_ID: &str = "p1";

/// The built-in org secrets, in the split shape: `hook`, `signing` with the public half
/// of `plan_key` listed, `plan-signing` with its private half (plans are router-signed),
/// and with a credential `okta` and `okta-read` (the same one: locally, one person's
/// credential).
fn built_in_secrets(
    header: &str,
    hook_value: &str,
    signing_key: &str,
    plan_key: &PlanKeyPair,
    credential: Option<&OktaCredential>,
    named: &std::collections::BTreeMap<String, String>,
) -> Result<StoredSecrets, DevError> {
    let mut doc = json!({
        "hook": {"header": header, "current": hook_value},
        "signing": {
            "active": "local",
            "keys": {"local": signing_key},
            "plan_keys": {PLAN_KEY_ID: plan_key.public_key},
            // A fresh local run has no HMAC-only envelope in flight to wait for.
            "require_plan_signatures": true,
        },
        "plan-signing": {
            "active": PLAN_KEY_ID,
            "keys": {PLAN_KEY_ID: plan_key.seed.expose_secret()},
        },
        "named": named,
    });
    if let Some(credential) = credential {
        doc["okta"] = credential_json(credential);
        doc["okta-read"] = credential_json(credential);
    }
    StoredSecrets::from_json(&doc.to_string()).map_err(DevError::Secrets)
}

/// `--secret-file`: either shape; a missing `signing` gets `signing_key`.
fn file_secrets(file: &std::path::Path, signing_key: &str) -> Result<StoredSecrets, DevError> {
    let failed = |reason: String| DevError::SecretFile {
        file: file.display().to_string(),
        reason,
    };
    let mut stored =
        crate::secret_file::read_secret_file(file).map_err(|e| failed(e.to_string()))?;
    if stored.get(&org_secrets::SecretKind::Signing).is_none() {
        let keys = json!({"active": "local", "keys": {"local": signing_key}});
        stored
            .insert(org_secrets::SecretKind::Signing, &keys.to_string())
            .map_err(failed)?;
    }
    // Every part's view must load, as each function's would at its first read.
    for reads in [
        SecretReads::hook_receiver(),
        SecretReads::router(),
        SecretReads::poller(),
        SecretReads::all(),
    ] {
        reads.resolve(&stored).map_err(failed)?;
    }
    Ok(stored)
}

/// The one warning for a `--secret-file` in the single shape.
fn warn_single_shape(file: &std::path::Path) {
    println!(
        "warning: {} is in the single shape of before the split (an `okta` and no \
         `okta-read`): its `okta` credential serves every part, the router's enrichment and \
         the poller included, as with LegacySingleSecret=true. Add an `okta-read` section \
         (a read-only credential) for the split shape",
        file.display()
    );
}

/// With `--secret-file` and `--okta-domain`: every Okta credential of the file is for that
/// org, so the domain says where calls go.
fn same_org(
    stored: &StoredSecrets,
    domain_url: &str,
    file: &std::path::Path,
) -> Result<(), DevError> {
    let mut any = false;
    for (kind, _) in stored.iter().filter(|(k, _)| k.is_okta_credential()) {
        let Some(kind_reads) = reads_of(kind) else {
            continue;
        };
        let held = kind_reads.resolve(stored).map_err(DevError::Secrets)?;
        if let Some(credential) = held.okta {
            any = true;
            if credential.org_url.trim_end_matches('/') != domain_url {
                return Err(DevError::SecretFile {
                    file: file.display().to_string(),
                    reason: format!(
                        "its `{kind}` credential is for {}, not --okta-domain {domain_url}",
                        credential.org_url
                    ),
                });
            }
        }
    }
    if any {
        Ok(())
    } else {
        Err(DevError::SecretFile {
            file: file.display().to_string(),
            reason: "--okta-domain needs an Okta credential in the file (`okta`, `okta-read`)"
                .to_owned(),
        })
    }
}

/// A view that reads exactly the Okta credential `kind` (for checks).
fn reads_of(kind: &org_secrets::SecretKind) -> Option<SecretReads> {
    use org_secrets::SecretKind;
    match kind {
        SecretKind::OktaRead => Some(SecretReads::poller()),
        SecretKind::Okta => Some(SecretReads::executor(
            "users",
            ExecutorCredentials::Shared,
            true,
            false,
        )),
        SecretKind::OktaFamily(family) => Some(SecretReads::executor(
            family.as_str(),
            ExecutorCredentials::PerFamily,
            true,
            false,
        )),
        _ => None,
    }
}

/// The executors' credential choice, as the function reads it
/// (`OKTA_HOOKS_EXECUTOR_CREDENTIALS`, default `shared`; set but empty is refused).
fn executor_credentials() -> Result<ExecutorCredentials, DevError> {
    ExecutorCredentials::from_lookup(|name| std::env::var(name).ok())
        .map_err(DevError::ExecutorCredentials)
}

pub async fn run(args: DevArgs) -> Result<(), DevError> {
    init_logging();
    if http::HeaderName::try_from(args.header.as_str()).is_err() {
        return Err(DevError::Header(args.header));
    }
    let signing_key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let credentials = executor_credentials()?;
    // The OKTA_* credential is read only when the secrets are built here.
    let (okta, credential) = match (&args.okta_domain, &args.secret_file) {
        (Some(domain), None) => {
            let url = org_url(domain);
            let credential = super::okta::credential(url, DEV_SCOPES)?;
            let okta = DevOkta::Org {
                dry_run: args.dry_run,
            };
            (okta, Some(credential))
        }
        (Some(_), Some(_)) => (
            DevOkta::Org {
                dry_run: args.dry_run,
            },
            None,
        ),
        (None, _) => (DevOkta::Offline, None),
    };
    let okta_mode = match (&okta, &args.okta_domain) {
        (DevOkta::Org { dry_run: false }, Some(domain)) => format!("LIVE against {domain}"),
        (DevOkta::Org { dry_run: true }, Some(domain)) => {
            format!("dry run: reads from {domain}, writes printed")
        }
        _ => "dry run: every Okta request printed, none sent (give --okta-domain for a real org)"
            .to_owned(),
    };
    let stored = match &args.secret_file {
        Some(file) => {
            let stored = file_secrets(file, &signing_key)?;
            if let Some(domain) = &args.okta_domain {
                same_org(&stored, &org_url(domain), file)?;
            }
            stored
        }
        None => {
            let mut named = std::collections::BTreeMap::new();
            for pair in &args.named {
                let (name, value) = pair
                    .split_once('=')
                    .ok_or_else(|| DevError::Named(pair.clone()))?;
                named.insert(name.trim().to_owned(), value.to_owned());
            }
            let hook_value = args
                .secret
                .clone()
                .unwrap_or_else(|| format!("dev-{}", uuid::Uuid::new_v4().simple()));
            let plan_key = org_secrets::generate_plan_key()
                .map_err(|e| DevError::Secrets(format!("the local plan key: {e}")))?;
            built_in_secrets(
                &args.header,
                &hook_value,
                &signing_key,
                &plan_key,
                credential.as_ref(),
                &named,
            )?
        }
    };
    let receiver_view = SecretReads::hook_receiver()
        .resolve(&stored)
        .map_err(DevError::Secrets)?;
    let Some(hook) = receiver_view.hook else {
        return Err(DevError::Secrets(
            "no `hook` section (header and current value): every delivery would be refused"
                .to_owned(),
        ));
    };
    let mut config = ReceiverConfig::from_env()?;
    let mut extra = Vec::new();
    for name in &args.orgs {
        extra.push(OrgName::parse(name).map_err(|e| DevError::Org(name.clone(), e))?);
    }
    let served = config.orgs.iter().cloned().chain(extra);
    config.orgs = KnownOrgs::new(config.default_org().clone(), served);
    let secrets = StaticSecrets::new();
    for org in config.orgs.iter() {
        secrets.set_stored(org.as_str(), stored.clone());
    }
    let rules_dir = args
        .rules
        .or_else(|| Some(std::path::PathBuf::from("rules")).filter(|d| d.is_dir()));
    let rules = match &rules_dir {
        Some(dir) => super::rules::load(dir)?,
        None => super::rules::no_rules(),
    };
    let rule_count = rules.len();
    let event_types = rules.event_types();
    // The poller's credential is its own view's: `okta-read` (or a single shape's `okta`).
    let poll_credential = SecretReads::poller()
        .resolve(&stored)
        .map_err(DevError::Secrets)?
        .okta;
    let poll_client = match (&poll_credential, args.poll) {
        (Some(credential), true) => Some(
            okta_adapters::okta_config(credential, "okta-hooks-dev")
                .and_then(|c| okta_client::OktaClient::new(c).map_err(Into::into))
                .map_err(|e| DevError::Poll(e.to_string()))?,
        ),
        (None, true) => {
            return Err(DevError::Poll(
                "no read-only Okta credential (`okta-read`, or a single shape's `okta`) to \
                 poll with"
                    .to_owned(),
            ));
        }
        _ => None,
    };
    let pipeline = pipeline::spawn(
        rules,
        &secrets,
        &config.secrets,
        okta,
        credentials,
        config.orgs.clone(),
    )?;
    let events = pipeline.clone();
    let queue = Arc::new(MemoryQueue::with_observer(move |stored| {
        print_accepted(stored);
        let _ = events.send(pipeline::Input::Event(stored.message.body.clone()));
    }));
    let endpoints = Arc::new(Endpoints {
        verify: VerifyHandler::new(
            config.clone(),
            Authenticator::for_config(secrets.reading(SecretReads::hook_receiver()), &config),
        ),
        ingest: IngestHandler::new(
            config.clone(),
            Authenticator::for_config(secrets.reading(SecretReads::hook_receiver()), &config),
            queue.clone(),
        ),
        max_body_bytes: config.max_body_bytes,
        actions: Authenticator::for_config(secrets.reading(SecretReads::hook_receiver()), &config),
        default_org: config.default_org().clone(),
        pipeline,
    });
    let poll_queue = queue.clone();
    let poll = async move {
        match poll_client {
            Some(client) => {
                let interval = Duration::from_secs(args.poll_interval);
                let lookback = Duration::from_secs(args.poll_lookback * 60);
                poll::run(client, poll_queue, event_types, interval, lookback).await;
            }
            None => std::future::pending().await,
        }
    };
    let app = Router::new()
        .route("/hooks/okta", any(default_org))
        .route("/hooks/okta/{org}", any(named_org))
        .route("/actions", post(action_request))
        .with_state(endpoints);

    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| DevError::Bind {
            port: args.port,
            source,
        })?;
    let local = listener.local_addr().map_err(DevError::Serve)?;
    match &args.secret_file {
        None => print_banner(local, &hook.header, hook.current.expose_secret()),
        Some(file) => {
            print_banner(local, &hook.header, "<hook.current of the file>");
            println!("  secrets       {} (every served org)", file.display());
        }
    }
    let orgs: Vec<&str> = config.orgs.iter().map(OrgName::as_str).collect();
    println!("  orgs          {} (more with --org ORG)", orgs.join(", "));
    match &rules_dir {
        Some(dir) => println!("  rules         {rule_count} from {}", dir.display()),
        None => println!("  rules         none (no rules/ here; give --rules DIR)"),
    }
    println!("  okta          {okta_mode}");
    let router_keys = SecretReads::router()
        .resolve(&stored)
        .ok()
        .and_then(|r| r.signing);
    let plans = match router_keys {
        Some(keys) if keys.plan_signing().is_some() && keys.plan_keys_configured() => {
            if keys.plan_signatures_required() {
                "router-signed; executors refuse HMAC-only envelopes"
            } else {
                "router-signed; executors still run HMAC-only envelopes \
                 (signing.require_plan_signatures is not set)"
            }
        }
        _ => "HMAC-only (no plan key in use: the router warns)",
    };
    println!("  plans         {plans}");
    if let Some(file) = &args.secret_file
        && stored.is_single_shape()
    {
        warn_single_shape(file);
    }
    if args.poll {
        println!(
            "  poll          the org's System Log every {}s, from {} min back",
            args.poll_interval, args.poll_lookback
        );
    }
    let serve = axum::serve(listener, app).with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    // The poller (when asked for) runs beside the server, in this task.
    tokio::select! {
        served = serve => served.map_err(DevError::Serve),
        () = poll => Ok(()),
    }
}

async fn default_org(
    State(endpoints): State<Arc<Endpoints>>,
    request: Request<Body>,
) -> Response<Body> {
    serve(&endpoints, None, request).await
}

async fn named_org(
    State(endpoints): State<Arc<Endpoints>>,
    Path(org): Path<String>,
    request: Request<Body>,
) -> Response<Body> {
    serve(&endpoints, Some(org), request).await
}

async fn serve(
    endpoints: &Endpoints,
    org: Option<String>,
    request: Request<Body>,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    // Read one byte past the limit so the handler still answers an oversized body (413).
    // Over the limit: refused as an oversized delivery is (the size is "more than").
    let Ok(body) = axum::body::to_bytes(body, endpoints.max_body_bytes).await else {
        return to_response(
            HookError::PayloadTooLarge {
                size: endpoints.max_body_bytes + 1,
                limit: endpoints.max_body_bytes,
            }
            .into(),
        );
    };
    let request = HookRequest {
        method: parts.method,
        headers: parts.headers,
        org,
        body,
    };
    let response = if request.method == Method::GET {
        endpoints.verify.handle(&request).await
    } else {
        endpoints.ingest.handle(&request).await
    };
    if response.status != StatusCode::OK {
        println!(
            "refused   {} {} -> {}",
            request.method,
            response.status.as_u16(),
            response.body
        );
    }
    to_response(response)
}

/// `POST /actions`: an action request (the requests queue's JSON), behind the hook's auth
/// header; answers the plan's result once it has run (`status` `done`, `failed` or
/// `refused`), as the functions put it on EventBridge.
async fn action_request(
    State(endpoints): State<Arc<Endpoints>>,
    request: Request<Body>,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    if let Err(error) = endpoints
        .actions
        .authorize(&endpoints.default_org, &parts.headers)
        .await
    {
        println!("refused   POST /actions: {error}");
        return to_response(error.into());
    }
    let Ok(body) = axum::body::to_bytes(body, endpoints.max_body_bytes + 1).await else {
        return to_response(
            HookError::PayloadTooLarge {
                size: endpoints.max_body_bytes + 1,
                limit: endpoints.max_body_bytes,
            }
            .into(),
        );
    };
    let body = String::from_utf8_lossy(&body).into_owned();
    let (answer, told) = tokio::sync::oneshot::channel();
    let sent = endpoints
        .pipeline
        .send(pipeline::Input::Request { body, answer });
    let response = match (sent, told.await) {
        (Ok(()), Ok(result)) => HookResponse::json(StatusCode::OK, &result),
        _ => HookResponse::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"error": "the local pipeline stopped", "code": "unavailable"}),
        ),
    };
    to_response(response)
}

fn to_response(response: HookResponse) -> Response<Body> {
    let mut out = Response::new(Body::from(response.body));
    *out.status_mut() = response.status;
    out.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    out
}

/// One line per event put on the embedded queue: type, uuid, subject (the FIFO group).
fn print_accepted(stored: &StoredMessage) {
    let body: Value = serde_json::from_str(&stored.message.body).unwrap_or_default();
    let event_type = body["event"]["eventType"].as_str().unwrap_or("?");
    let org = body["org"].as_str().unwrap_or("?");
    println!(
        "accepted  {event_type}  uuid={}  subject={}  org={org}",
        stored.message.dedup_id, stored.message.group_id
    );
}

fn print_banner(addr: SocketAddr, header: &str, secret: &str) {
    let url = format!("http://{addr}/hooks/okta");
    let me = this_binary();
    println!("okta-hooks dev: listening on http://{addr} (embedded queue, no AWS, no Okta)");
    println!("  hook URL      {url}   (or {url}/<org>)");
    println!("  auth header   {header}: {secret}");
    println!("  try           {me} send --verify --url {url} --secret {secret}");
    println!(
        "                {me} send events/okta-delivery.user.session.start.json --url {url} --secret {secret}"
    );
}

/// How to call this binary from the current directory, for copy-paste.
fn this_binary() -> String {
    let exe = std::env::current_exe().ok();
    let cwd = std::env::current_dir().ok();
    match (exe, cwd) {
        (Some(exe), Some(cwd)) => match exe.strip_prefix(&cwd) {
            Ok(relative) => relative.display().to_string(),
            Err(_) => "okta-hooks".to_owned(),
        },
        _ => "okta-hooks".to_owned(),
    }
}

/// `RUST_LOG` (default `warn`), with the functions' cap: the crates that log raw HTTP or
/// AWS SDK traffic never log below `INFO`, whatever `RUST_LOG` says, so no secret is
/// printed at any level (see `lambda_support::secret_safe_filter`).
fn init_logging() {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned());
    let layer = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_filter(lambda_support::secret_safe_filter(&spec));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use org_secrets::SecretKind;

    fn token(held: &org_secrets::OrgSecret) -> Option<String> {
        held.okta
            .as_ref()
            .and_then(|o| o.api_token.as_ref())
            .map(|t| t.expose_secret().to_owned())
    }

    #[test]
    fn the_built_in_secrets_are_in_the_split_shape_and_each_part_holds_only_its_own() {
        let credential = OktaCredential {
            org_url: "https://acme.okta.com".to_owned(),
            api_token: Some("00dev".into()),
            client_id: None,
            private_key: None,
            key_alg: None,
            key_id: None,
            scopes: Vec::new(),
            dpop: false,
        };
        let named = [(
            "slack_webhook".to_owned(),
            "https://hooks.example.com/x".to_owned(),
        )]
        .into_iter()
        .collect();
        let plan_key = org_secrets::generate_plan_key().unwrap();
        let stored = built_in_secrets(
            "Authorization",
            "hook-value",
            "0123456789abcdef0123456789abcdef",
            &plan_key,
            Some(&credential),
            &named,
        )
        .unwrap();
        let kinds: Vec<String> = stored.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(
            kinds,
            [
                "hook",
                "signing",
                "plan-signing",
                "okta",
                "okta-read",
                "named"
            ]
        );
        // The router holds the plan key, listed for the executors, which hold no seed.
        let router = SecretReads::router().resolve(&stored).unwrap();
        assert_eq!(router.plan_signing().map(|p| p.active.as_str()), Some("p1"));
        assert_eq!(
            router.plan_signing().unwrap().public_key("p1").unwrap(),
            plan_key.public_key
        );
        assert!(!stored.is_single_shape());

        let receiver = SecretReads::hook_receiver().resolve(&stored).unwrap();
        assert!(receiver.hook.is_some() && receiver.okta.is_none() && receiver.signing.is_none());
        let poller = SecretReads::poller().resolve(&stored).unwrap();
        assert_eq!(token(&poller).as_deref(), Some("00dev"));
        assert!(poller.named.is_empty() && poller.hook.is_none());
        let notify = SecretReads::executor(
            "notify",
            ExecutorCredentials::Shared,
            actions::Family::Notify.calls_okta(),
            actions::Family::Notify.reads_named_secrets(),
        )
        .resolve(&stored)
        .unwrap();
        assert!(notify.okta.is_none() && notify.named.contains_key("slack_webhook"));
        let keys = notify.signing.as_ref().unwrap();
        assert!(notify.plan_signing().is_none() && keys.plan_key("p1").is_some());
        assert!(keys.plan_signatures_required());

        // Offline: no credential, no Okta kind at all.
        let offline = built_in_secrets("Authorization", "v", "k", &plan_key, None, &named);
        let offline = offline.unwrap();
        assert!(!offline.iter().any(|(k, _)| k.is_okta_credential()));
        assert!(offline.get(&SecretKind::Hook).is_some());
    }
}
