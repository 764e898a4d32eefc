//! `okta-hooks dev`: the hook endpoints on 127.0.0.1 with an embedded queue.
//!
//! Routes match API Gateway's: `GET` goes to the verification handler, everything else to
//! the ingest handler, on `/hooks/okta` (the default org) and `/hooks/okta/{org}`. As in
//! AWS, only the configured orgs are served: the default org, those of `OKTA_HOOKS_ORGS`,
//! and each `--org`; any other org is `401`.

mod pipeline;
mod poll;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Request, Response, StatusCode, header::CONTENT_TYPE};
use axum::routing::any;
use fifo_queue::{MemoryQueue, StoredMessage};
use hook_receiver::{
    Authenticator, HookError, HookRequest, HookResponse, IngestHandler, ReceiverConfig,
    VerifyHandler,
};
use http::Method;
use org_secrets::{
    HookAuth, KnownOrgs, OrgName, OrgSecret, SecretError, SecretSource, SigningKeys,
};
use secrecy::SecretString;
use serde_json::Value;

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
}

/// The scopes asked for with an OAuth credential when `OKTA_SCOPES` is not set: what
/// the example rules need.
const DEV_SCOPES: &str = "okta.users.read okta.users.manage okta.groups.manage";

/// `acme.okta.com` → `https://acme.okta.com`; a URL stays as given.
fn org_url(domain: &str) -> String {
    if domain.starts_with("https://") || domain.starts_with("http://") {
        domain.trim_end_matches('/').to_owned()
    } else {
        format!("https://{}", domain.trim_end_matches('/'))
    }
}

/// Every org gets the one local secret; which orgs are served at all is the
/// configuration's (`--org`) decision.
pub struct LocalSecret(pub OrgSecret);

impl SecretSource for LocalSecret {
    async fn fetch(&self, _org: &OrgName) -> Result<OrgSecret, SecretError> {
        Ok(self.0.clone())
    }
}

struct Endpoints {
    verify: VerifyHandler<LocalSecret>,
    ingest: IngestHandler<Arc<MemoryQueue>, LocalSecret>,
    max_body_bytes: usize,
}

pub async fn run(args: DevArgs) -> Result<(), DevError> {
    init_logging();
    if http::HeaderName::try_from(args.header.as_str()).is_err() {
        return Err(DevError::Header(args.header));
    }
    let secret = args
        .secret
        .unwrap_or_else(|| format!("dev-{}", uuid::Uuid::new_v4().simple()));
    let signing_key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let (okta, credential) = match &args.okta_domain {
        Some(domain) => {
            let url = org_url(domain);
            let credential = super::okta::credential(url, DEV_SCOPES)?;
            let okta = DevOkta::Org {
                dry_run: args.dry_run,
            };
            (okta, Some(credential))
        }
        None => (DevOkta::Offline, None),
    };
    let okta_mode = match (&okta, &args.okta_domain) {
        (DevOkta::Org { dry_run: false }, Some(domain)) => format!("LIVE against {domain}"),
        (DevOkta::Org { dry_run: true }, Some(domain)) => {
            format!("dry run: reads from {domain}, writes printed")
        }
        _ => "dry run: every Okta request printed, none sent (give --okta-domain for a real org)"
            .to_owned(),
    };
    let mut named = std::collections::BTreeMap::new();
    for pair in &args.named {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| DevError::Named(pair.clone()))?;
        named.insert(name.trim().to_owned(), SecretString::from(value.to_owned()));
    }
    let hook = OrgSecret {
        hook: Some(HookAuth::new(&args.header, &secret, None)),
        signing: Some(SigningKeys::new("local", &[("local", &signing_key)])),
        okta: credential,
        named,
    };
    let mut config = ReceiverConfig::from_env()?;
    let mut extra = Vec::new();
    for name in &args.orgs {
        extra.push(OrgName::parse(name).map_err(|e| DevError::Org(name.clone(), e))?);
    }
    let served = config.orgs.iter().cloned().chain(extra);
    config.orgs = KnownOrgs::new(config.default_org().clone(), served);
    let rules_dir = args
        .rules
        .or_else(|| Some(std::path::PathBuf::from("rules")).filter(|d| d.is_dir()));
    let rules = match &rules_dir {
        Some(dir) => super::rules::load(dir)?,
        None => super::rules::no_rules(),
    };
    let rule_count = rules.len();
    let event_types = rules.event_types();
    let poll_client = match (&hook.okta, args.poll) {
        (Some(credential), true) => Some(
            okta_adapters::okta_config(credential, "okta-hooks-dev")
                .and_then(|c| okta_client::OktaClient::new(c).map_err(Into::into))
                .map_err(|e| DevError::Poll(e.to_string()))?,
        ),
        _ => None,
    };
    let router = pipeline::spawn(rules, hook.clone(), &config.secrets, okta)?;
    let queue = Arc::new(MemoryQueue::with_observer(move |stored| {
        print_accepted(stored);
        let _ = router.send(stored.message.body.clone());
    }));
    let endpoints = Arc::new(Endpoints {
        verify: VerifyHandler::new(
            config.clone(),
            Authenticator::for_config(LocalSecret(hook.clone()), &config),
        ),
        ingest: IngestHandler::new(
            config.clone(),
            Authenticator::for_config(LocalSecret(hook), &config),
            queue.clone(),
        ),
        max_body_bytes: config.max_body_bytes,
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
        .with_state(endpoints);

    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| DevError::Bind {
            port: args.port,
            source,
        })?;
    let local = listener.local_addr().map_err(DevError::Serve)?;
    print_banner(local, &args.header, &secret);
    let orgs: Vec<&str> = config.orgs.iter().map(OrgName::as_str).collect();
    println!("  orgs          {} (more with --org ORG)", orgs.join(", "));
    match &rules_dir {
        Some(dir) => println!("  rules         {rule_count} from {}", dir.display()),
        None => println!("  rules         none (no rules/ here; give --rules DIR)"),
    }
    println!("  okta          {okta_mode}");
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
    let Ok(body) = axum::body::to_bytes(body, endpoints.max_body_bytes + 1).await else {
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
