//! The HTTP client of the Okta client and of webhook posts: the AWS SDK's own connector
//! (`aws-smithy-http-client`: hyper-util's pooled client over hyper-rustls, rustls on
//! ring), so a function links one HTTP and TLS stack for AWS and Okta, not two.
//!
//! Trust store: the connector trusts the OS store (`rustls-native-certs`, which honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`, so a corporate CA needs no rebuild). The SDK reads
//! that store once per process and caches it; the SDK's clients and this one share the
//! copy. It is read when the first connector is built, and this client builds its
//! connector on the first request, not at construction: a cold start reads no
//! certificate.
//!
//! Behaviour the callers rely on: redirects are never followed (hyper does not), every
//! request carries the client's `User-Agent`, `timeout` bounds the whole exchange
//! (connect, send, headers and body), `connect_timeout` the TCP and TLS set-up, and the
//! `HTTP(S)_PROXY`/`NO_PROXY` variables are honoured. `http://` URLs are sent as plain
//! HTTP: callers decide which schemes they accept.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::display::DisplayErrorContext;
use bytes::Bytes;
use http::header::USER_AGENT;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use url::Url;

/// A pooled HTTP(S) client. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Shared>,
}

struct Shared {
    /// Built on the first request (building it reads the trust store).
    connector: OnceLock<Connector>,
    user_agent: HeaderValue,
    timeout: Duration,
    connect_timeout: Duration,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.inner.timeout)
            .field("connect_timeout", &self.inner.connect_timeout)
            .finish_non_exhaustive()
    }
}

/// An answer, whatever its status.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// Why no answer arrived. The messages never carry the URL (a webhook's path is a
/// secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The exchange, or the connection set-up, took longer than its timeout.
    #[error("timed out")]
    Timeout,
    /// The connection failed or broke (DNS, refused, reset, TLS).
    #[error("connection failed: {0}")]
    Connection(String),
    /// The request could not be sent as built (a bad header, an invalid URL), or the
    /// answer could not be read.
    #[error("request failed: {0}")]
    Request(String),
}

impl HttpClient {
    /// A client with `user_agent` on every request, `timeout` for a whole exchange and
    /// `connect_timeout` for connecting. Makes no connection and reads no certificate.
    pub fn new(
        user_agent: &str,
        timeout: Duration,
        connect_timeout: Duration,
    ) -> Result<Self, HttpError> {
        let user_agent = HeaderValue::from_str(user_agent)
            .map_err(|_| HttpError::Request("User-Agent is not a valid header value".into()))?;
        Ok(HttpClient {
            inner: Arc::new(Shared {
                connector: OnceLock::new(),
                user_agent,
                timeout,
                connect_timeout,
            }),
        })
    }

    fn connector(&self) -> &Connector {
        self.inner.connector.get_or_init(|| {
            Connector::builder()
                .connector_settings(
                    HttpConnectorSettings::builder()
                        .connect_timeout(self.inner.connect_timeout)
                        .build(),
                )
                .sleep_impl(TokioSleep::new())
                .proxy_config(ProxyConfig::from_env())
                .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
                .build()
        })
    }

    /// Sends `method url` with `headers` (the `User-Agent` is added) and `body`, and
    /// reads the whole answer. `body` `None` sends no body and no `Content-Length`.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: Option<Bytes>,
    ) -> Result<HttpResponse, HttpError> {
        let mut builder = http::Request::builder().method(method).uri(url.as_str());
        if let Some(h) = builder.headers_mut() {
            *h = headers;
            h.insert(USER_AGENT, self.inner.user_agent.clone());
        }
        let request = builder
            .body(body.map_or_else(SdkBody::empty, SdkBody::from))
            .map_err(|e| HttpError::Request(e.to_string()))?;
        let request = aws_smithy_runtime_api::http::Request::try_from(request)
            .map_err(|e| HttpError::Request(DisplayErrorContext(e).to_string()))?;
        let exchange = async {
            let response = self
                .connector()
                .call(request)
                .await
                .map_err(|e| connector_error(&e))?;
            let response = response
                .try_into_http1x()
                .map_err(|e| HttpError::Request(DisplayErrorContext(e).to_string()))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| HttpError::Connection(DisplayErrorContext(&*e).to_string()))?
                .to_bytes();
            Ok(HttpResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(self.inner.timeout, exchange)
            .await
            .unwrap_or(Err(HttpError::Timeout))
    }
}

/// The SDK connector's error as ours: timeouts apart, I/O as a connection failure.
fn connector_error(e: &ConnectorError) -> HttpError {
    if e.is_timeout() {
        HttpError::Timeout
    } else if e.is_user() {
        HttpError::Request(DisplayErrorContext(e).to_string())
    } else {
        HttpError::Connection(DisplayErrorContext(e).to_string())
    }
}
