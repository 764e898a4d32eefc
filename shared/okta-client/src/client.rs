//! The client: one [`HttpClient`] (the AWS SDK's connector, built on the first request:
//! see [`crate::http`]), the authenticator, a bound on requests in
//! flight, and the request loop that turns Okta's answers into values or typed errors.

use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use url::Url;

use crate::auth::{RequestAuth, transport_error};
use crate::config::{AuthConfig, OktaConfig, RetryPolicy};
use crate::dry_run::{DRY_RUN_HEADER, DryRun, RecordedRequest, RequestLog};
use crate::error::{ApiError, ErrorBody, OktaError, Result};
use crate::http::HttpClient;
use crate::rate_limit::RateLimit;
use crate::request::{describe, url_for};

/// `X-Okta-Request-Id`: Okta's id of one request, also in the System Log.
pub const REQUEST_ID_HEADER: &str = "x-okta-request-id";
/// Sent on a retry: the `X-Okta-Request-Id` of the first attempt.
pub const RETRY_FOR_HEADER: &str = "x-okta-retry-for";
/// Sent on a retry: which retry this is, from 1.
pub const RETRY_COUNT_HEADER: &str = "x-okta-retry-count";

/// The `User-Agent` of every request.
pub const USER_AGENT_PREFIX: &str = concat!("okta-hooks/", env!("CARGO_PKG_VERSION"));

/// What every response says besides its body.
#[derive(Debug, Clone)]
pub struct ResponseMeta {
    /// HTTP status.
    pub status: u16,
    /// `X-Okta-Request-Id`.
    pub request_id: Option<String>,
    /// The rate-limit headers.
    pub rate_limit: RateLimit,
    /// All response headers, for anything not parsed here (`Location`, `Link`, …).
    pub headers: HeaderMap,
}

impl ResponseMeta {
    /// True for the synthetic answer of a dry-run client to a request it did not send
    /// (it carries [`DRY_RUN_HEADER`]); false for anything Okta answered.
    pub fn is_dry_run(&self) -> bool {
        self.headers.contains_key(DRY_RUN_HEADER)
    }

    /// An answer's metadata as read from its status and headers: the request id and the
    /// rate-limit headers parsed, every header kept.
    pub(crate) fn from_headers(status: u16, headers: HeaderMap) -> Self {
        ResponseMeta {
            status,
            request_id: headers
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            rate_limit: RateLimit::from_headers(&headers),
            headers,
        }
    }

    /// A synthetic dry-run answer's metadata: `status`, no request id, no rate limits.
    fn synthetic(status: u16) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(DRY_RUN_HEADER, HeaderValue::from_static("true"));
        ResponseMeta {
            status,
            request_id: None,
            rate_limit: RateLimit::default(),
            headers,
        }
    }
}

/// A successful answer: the parsed body and the response's metadata.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    /// The parsed body.
    pub value: T,
    /// Status, request id, rate limits, headers.
    pub meta: ResponseMeta,
}

impl<T> Reply<T> {
    /// The body, dropping the metadata.
    pub fn into_inner(self) -> T {
        self.value
    }
}

/// A raw answer, for [`OktaClient::raw`] and internal use.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// Metadata.
    pub meta: ResponseMeta,
    /// The body as received.
    pub body: Bytes,
}

/// A request, kept whole so that it can be sent again on a retry.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    pub url: Url,
    /// A JSON body; `None` sends `Content-Length: 0` on POST/PUT.
    pub body: Option<Bytes>,
    pub headers: HeaderMap,
}

impl Call {
    pub(crate) fn new(method: Method, url: Url) -> Self {
        Call {
            method,
            url,
            body: None,
            headers: HeaderMap::new(),
        }
    }

    pub(crate) fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| OktaError::InvalidRequest(format!("request body: {e}")))?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }
}

/// An Okta Management API client. Cheap to clone; clones share the token cache, the
/// DPoP key and nonces, and the in-flight bound.
#[derive(Clone)]
pub struct OktaClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    org_url: Url,
    auth: RequestAuth,
    /// Shared with clients made by [`OktaClient::with_auth`]: the bound is per org.
    in_flight: Arc<Semaphore>,
    retry: RetryPolicy,
    token_refresh_margin: Duration,
    /// The last answer's rate-limit state, and when (monotonic) it arrived.
    last_rate_limit: StdMutex<(RateLimit, Option<Instant>)>,
    /// Record and synthesize instead of sending (all requests, or all but reads).
    dry_run: Option<DryRun>,
}

/// What a dry-run answer stands for: a JSON body, or no content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Json,
    Empty,
}

impl std::fmt::Debug for OktaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OktaClient")
            .field("org_url", &self.inner.org_url.as_str())
            .field("auth", &self.inner.auth)
            .field("retry", &self.inner.retry)
            .field("dry_run", &self.inner.dry_run)
            .finish_non_exhaustive()
    }
}

/// What one attempt produced.
enum Attempt {
    Done(RawResponse),
    Failed(OktaError, Option<RawResponse>),
}

impl OktaClient {
    /// Builds the client. Parses the key and generates the DPoP key now, so a bad
    /// configuration fails at cold start; makes no network call.
    pub fn new(config: OktaConfig) -> Result<Self> {
        crate::jwt_crypto::install();
        let auth = RequestAuth::new(&config)?;
        let user_agent = match &config.user_agent_suffix {
            Some(s) if !s.trim().is_empty() => format!("{USER_AGENT_PREFIX} {}", s.trim()),
            _ => USER_AGENT_PREFIX.to_owned(),
        };
        // Never follows a redirect (one could carry the credential to another host).
        let http = HttpClient::new(&user_agent, config.timeout, config.connect_timeout)
            .map_err(|e| OktaError::Config(format!("HTTP client: {e}")))?;
        Ok(OktaClient {
            inner: Arc::new(Inner {
                http,
                org_url: config.org_url,
                auth,
                in_flight: Arc::new(Semaphore::new(
                    config.max_in_flight.clamp(1, Semaphore::MAX_PERMITS),
                )),
                retry: config.retry,
                token_refresh_margin: config.token_refresh_margin,
                last_rate_limit: StdMutex::new((RateLimit::default(), None)),
                dry_run: config.dry_run,
            }),
        })
    }

    /// A dry-run client for `org_url` that needs no Okta org and no credential: every
    /// request, reads included, is recorded in `log` and answered synthetically; none
    /// is sent and no connection is opened. For the local runner and rule tests.
    pub fn offline_dry_run(org_url: &str, log: RequestLog) -> Result<Self> {
        let org_url = crate::config::parse_org_url(org_url)?;
        let http = HttpClient::new(
            USER_AGENT_PREFIX,
            Duration::from_secs(30),
            Duration::from_secs(5),
        )
        .map_err(|e| OktaError::Config(format!("HTTP client: {e}")))?;
        Ok(OktaClient {
            inner: Arc::new(Inner {
                http,
                org_url,
                auth: RequestAuth::None,
                in_flight: Arc::new(Semaphore::new(1)),
                retry: RetryPolicy::Never,
                token_refresh_margin: Duration::from_secs(300),
                last_rate_limit: StdMutex::new((RateLimit::default(), None)),
                dry_run: Some(DryRun::offline(log)),
            }),
        })
    }

    /// The dry-run mode of this client, if it is in one.
    pub fn dry_run(&self) -> Option<&DryRun> {
        self.inner.dry_run.as_ref()
    }

    /// A client for the same org with another credential — after a secret rotation,
    /// when Okta answered 401 to the old one. It reuses the HTTP client (no new TLS
    /// set-up) and shares the in-flight bound; token cache and DPoP state start fresh.
    pub fn with_auth(&self, auth: AuthConfig) -> Result<Self> {
        let mut config = OktaConfig::new(self.inner.org_url.as_str(), auth)?;
        config.token_refresh_margin = self.inner.token_refresh_margin;
        Ok(OktaClient {
            inner: Arc::new(Inner {
                http: self.inner.http.clone(),
                org_url: self.inner.org_url.clone(),
                auth: RequestAuth::new(&config)?,
                in_flight: self.inner.in_flight.clone(),
                retry: self.inner.retry,
                token_refresh_margin: self.inner.token_refresh_margin,
                last_rate_limit: StdMutex::new(self.last_rate_limit_and_arrival()),
                dry_run: self.inner.dry_run.clone(),
            }),
        })
    }

    /// The org this client talks to.
    pub fn org_url(&self) -> &Url {
        &self.inner.org_url
    }

    /// The rate-limit state of the most recent response that carried rate-limit
    /// headers, across all tasks. Use it to slow down before Okta answers 429.
    pub fn last_rate_limit(&self) -> RateLimit {
        self.last_rate_limit_and_arrival().0
    }

    /// How long to hold the next call back because Okta's most recent answer left no
    /// more than `reserve` calls in its rate-limit window: [`RateLimit::headroom_wait`],
    /// counted from Okta's `Date` and the time (monotonic) since that answer arrived, so
    /// the host's wall clock plays no part. `None` when there is headroom.
    pub fn headroom_wait(&self, reserve: u64) -> Option<Duration> {
        let (limit, arrived) = self.last_rate_limit_and_arrival();
        limit.headroom_wait(reserve, arrived?.elapsed())
    }

    fn last_rate_limit_and_arrival(&self) -> (RateLimit, Option<Instant>) {
        *self
            .inner
            .last_rate_limit
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// `org_url` + encoded segments.
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url> {
        url_for(&self.inner.org_url, segments)
    }

    /// Refuses a URL that would send our credential to another origin (a `next` link
    /// or a raw request given a full URL).
    pub(crate) fn check_origin(&self, url: &Url) -> Result<()> {
        if url.origin() == self.inner.org_url.origin() {
            Ok(())
        } else {
            Err(OktaError::InvalidRequest(format!(
                "refusing to send credentials to {}; the org is {}",
                url.origin().ascii_serialization(),
                self.inner.org_url.origin().ascii_serialization()
            )))
        }
    }

    /// Sends and parses a JSON body.
    pub(crate) async fn call_json<T: DeserializeOwned>(&self, call: Call) -> Result<Reply<T>> {
        let what = describe(&call.method, &call.url);
        let raw = self.execute(call).await?;
        let value = parse_answer(&what, &raw)?;
        Ok(Reply {
            value,
            meta: raw.meta,
        })
    }

    /// Sends, ignoring the body (`204 No Content` answers).
    pub(crate) async fn call_empty(&self, call: Call) -> Result<Reply<()>> {
        let raw = self.execute_as(call, Expect::Empty).await?;
        Ok(Reply {
            value: (),
            meta: raw.meta,
        })
    }

    /// The request loop: authenticate, send, and handle the answers that have a
    /// prescribed reaction — a `401` re-mints the OAuth token once, a DPoP nonce
    /// challenge is answered once, and the optional waiting policy retries the rest.
    ///
    /// In dry run, a request not to be sent is recorded and answered here instead.
    pub(crate) async fn execute(&self, call: Call) -> Result<RawResponse> {
        self.execute_as(call, Expect::Json).await
    }

    async fn execute_as(&self, call: Call, expect: Expect) -> Result<RawResponse> {
        self.check_origin(&call.url)?;
        if let Some(answer) = self.dry_run_answer(&call, expect) {
            return Ok(answer);
        }
        let mut retries: u32 = 0;
        let mut first_request_id: Option<String> = None;
        let mut reminted = false;
        let mut nonce_answered = false;
        loop {
            let mut headers = call.headers.clone();
            if retries > 0 {
                if let Some(id) = first_request_id
                    .as_deref()
                    .and_then(|i| HeaderValue::from_str(i).ok())
                {
                    headers.insert(RETRY_FOR_HEADER, id);
                }
                headers.insert(RETRY_COUNT_HEADER, HeaderValue::from(retries));
            }
            let (outcome, generation) = self.attempt(&call, headers).await;
            let (error, raw) = match outcome {
                Attempt::Done(raw) => return Ok(raw),
                Attempt::Failed(error, raw) => (error, raw),
            };
            if let Some(raw) = &raw {
                if first_request_id.is_none() {
                    first_request_id = raw.meta.request_id.clone();
                }
                let status = raw.meta.status;
                if self.inner.auth.uses_dpop()
                    && !nonce_answered
                    && (status == 400 || status == 401)
                    && let Some(nonce) = dpop_nonce_challenge(&raw.meta.headers)
                {
                    nonce_answered = true;
                    self.inner.auth.set_resource_nonce(&nonce);
                    tracing::debug!(
                        request = %describe(&call.method, &call.url),
                        "resource server asked for a DPoP nonce; retrying once with it"
                    );
                    continue;
                }
                if status == 401 && self.inner.auth.can_remint() && !reminted {
                    reminted = true;
                    self.inner.auth.invalidate(generation).await;
                    tracing::info!(
                        request = %describe(&call.method, &call.url),
                        okta_request_id = raw.meta.request_id.as_deref().unwrap_or(""),
                        "Okta rejected the access token; minting a new one and retrying once"
                    );
                    continue;
                }
            }
            match self.retry_delay(&error, &call.method, retries) {
                Some(delay) => {
                    retries += 1;
                    tracing::info!(
                        request = %describe(&call.method, &call.url),
                        error = %error,
                        delay_ms = delay.as_millis() as u64,
                        retry = retries,
                        "waiting before retrying an Okta request"
                    );
                    tokio::time::sleep(delay).await;
                }
                None => return Err(error),
            }
        }
    }

    /// In dry run, for a request that must not be sent: records it, logs it (redacted)
    /// and returns a synthetic success. `None`: send it.
    fn dry_run_answer(&self, call: &Call, expect: Expect) -> Option<RawResponse> {
        let dry_run = self.inner.dry_run.as_ref()?;
        let read = call.method == Method::GET || call.method == Method::HEAD;
        if read && dry_run.live_reads {
            return None;
        }
        let request = RecordedRequest {
            method: call.method.as_str().to_owned(),
            url: call.url.as_str().to_owned(),
            body: call.body.as_ref().map(|b| {
                // Built by `Call::json`, so it is JSON; keep it verbatim if not.
                serde_json::from_slice(b).unwrap_or_else(|_| {
                    serde_json::Value::from(String::from_utf8_lossy(b).into_owned())
                })
            }),
        };
        tracing::info!(dry_run = true, request = %request, "dry run: Okta request not sent");
        dry_run.log.record(request);
        Some(match expect {
            Expect::Json => RawResponse {
                meta: ResponseMeta::synthetic(200),
                body: Bytes::from_static(b"{}"),
            },
            Expect::Empty => RawResponse {
                meta: ResponseMeta::synthetic(204),
                body: Bytes::new(),
            },
        })
    }

    /// One attempt, holding an in-flight permit while it runs. Returns the token
    /// generation used, so a 401 invalidates exactly that token.
    async fn attempt(&self, call: &Call, extra: HeaderMap) -> (Attempt, u64) {
        let what = describe(&call.method, &call.url);
        let Ok(_permit) = self.inner.in_flight.acquire().await else {
            return (
                Attempt::Failed(OktaError::Config("client is closed".into()), None),
                0,
            );
        };
        let creds = match self
            .inner
            .auth
            .credentials(&self.inner.http, call.method.as_str(), &call.url)
            .await
        {
            Ok(c) => c,
            Err(e) => return (Attempt::Failed(e, None), 0),
        };
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(http::header::AUTHORIZATION, creds.authorization);
        if let Some(proof) = creds.dpop_proof {
            headers.insert("DPoP", proof);
        }
        let body = match &call.body {
            Some(body) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Some(body.clone())
            }
            None if call.method == Method::POST || call.method == Method::PUT => {
                // Okta answers 411 to a body-less POST/PUT without Content-Length.
                headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
                Some(Bytes::new())
            }
            None => None,
        };
        // `extra` adds to what is set above and replaces a header of the same name.
        let mut last = None;
        for (name, value) in extra {
            if let Some(name) = name {
                headers.remove(&name);
                last = Some(name);
            }
            if let Some(name) = &last {
                headers.append(name.clone(), value);
            }
        }
        let response = match self
            .inner
            .http
            .send(call.method.clone(), &call.url, headers, body)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                return (
                    Attempt::Failed(transport_error(&what, e), None),
                    creds.generation,
                );
            }
        };
        let status = response.status;
        let body = response.body;
        let meta = ResponseMeta::from_headers(status.as_u16(), response.headers);
        // A server may hand out a fresh DPoP nonce on any answer (RFC 9449 §8.2).
        if self.inner.auth.uses_dpop()
            && let Some(nonce) = meta.headers.get("dpop-nonce").and_then(|v| v.to_str().ok())
        {
            self.inner.auth.set_resource_nonce(nonce);
        }
        if meta.rate_limit.is_known() {
            *self
                .inner
                .last_rate_limit
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = (meta.rate_limit, Some(Instant::now()));
        }
        tracing::debug!(
            request = %what,
            status = meta.status,
            okta_request_id = meta.request_id.as_deref().unwrap_or(""),
            rate_limit_remaining = meta.rate_limit.remaining,
            rate_limit_limit = meta.rate_limit.limit,
            "Okta answered"
        );
        let raw = RawResponse { meta, body };
        if status.is_success() {
            (Attempt::Done(raw), creds.generation)
        } else {
            let error = api_error(&what, status, &raw);
            (Attempt::Failed(error, Some(raw)), creds.generation)
        }
    }

    fn retry_delay(
        &self,
        error: &OktaError,
        method: &Method,
        retries_done: u32,
    ) -> Option<Duration> {
        let RetryPolicy::Wait {
            max_retries,
            max_wait,
            base_delay,
            retry_non_idempotent,
        } = self.inner.retry
        else {
            return None;
        };
        if retries_done >= max_retries {
            return None;
        }
        // The curve is retry's; the budgets (and a throttle's fallback, the backoff: a
        // person is waiting) are this interactive policy's own.
        let backoff = retry::Backoff {
            first: base_delay,
            max: Duration::MAX,
        }
        .delay(retries_done.saturating_add(1));
        match error.class() {
            crate::ErrorClass::Throttled { retry_after } => {
                let wait = retry_after.unwrap_or(backoff);
                (wait <= max_wait).then_some(wait)
            }
            crate::ErrorClass::Retryable => {
                let idempotent = !matches!(*method, Method::POST | Method::PATCH);
                (idempotent || retry_non_idempotent).then_some(backoff.min(max_wait))
            }
            _ => None,
        }
    }
}

/// `use_dpop_nonce` in `WWW-Authenticate` (or body) plus a `DPoP-Nonce` header.
fn dpop_nonce_challenge(headers: &HeaderMap) -> Option<String> {
    let asks = headers
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("use_dpop_nonce"));
    if !asks {
        return None;
    }
    headers
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(crate) fn api_error(what: &str, status: StatusCode, raw: &RawResponse) -> OktaError {
    let body: ErrorBody = serde_json::from_slice(&raw.body).unwrap_or_default();
    OktaError::Api(Box::new(ApiError {
        status: status.as_u16(),
        error_code: body.error_code,
        error_summary: body.error_summary,
        error_link: body.error_link,
        error_id: body.error_id,
        error_causes: body.error_causes,
        request_id: raw.meta.request_id.clone(),
        rate_limit: raw.meta.rate_limit,
        www_authenticate: raw
            .meta
            .headers
            .get(http::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        request: what.to_owned(),
    }))
}

/// Parses an answer's body. A synthetic dry-run answer reads as the first of `{}`,
/// `[]` and `null` that `T` accepts: the empty object, list or nothing.
pub(crate) fn parse_answer<T: DeserializeOwned>(what: &str, raw: &RawResponse) -> Result<T> {
    if !raw.meta.is_dry_run() {
        return parse_body(what, &raw.body);
    }
    let mut last = None;
    for candidate in ["{}", "[]", "null"] {
        match serde_json::from_str(candidate) {
            Ok(value) => return Ok(value),
            Err(e) => last = Some(e),
        }
    }
    Err(OktaError::Decode {
        request: what.to_owned(),
        message: format!(
            "dry run: no synthetic answer ({{}}, [] or null) fits the expected type: {}",
            last.map(|e| e.to_string()).unwrap_or_default()
        ),
    })
}

pub(crate) fn parse_body<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| OktaError::Decode {
        request: what.to_owned(),
        message: e.to_string(),
    })
}
