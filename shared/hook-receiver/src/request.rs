//! The transport-neutral request and response of a hook endpoint.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

/// What a hook handler needs of an HTTP request.
#[derive(Debug, Clone)]
pub struct HookRequest {
    /// The HTTP method (hooks take `POST`; Okta's verification is a `GET`).
    pub method: Method,
    /// The request headers (`Authorization`, `Content-Type`, the challenge).
    pub headers: HeaderMap,
    /// The `{org}` path parameter of `/hooks/okta/{org}`; `None` on `/hooks/okta`.
    pub org: Option<String>,
    /// The body as received.
    pub body: Bytes,
}

impl HookRequest {
    /// A request with no headers and an empty body.
    pub fn new(method: Method, org: Option<&str>) -> Self {
        HookRequest {
            method,
            headers: HeaderMap::new(),
            org: org.map(str::to_owned),
            body: Bytes::new(),
        }
    }

    /// Adds a header; invalid names or values are skipped (test and CLI convenience).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name),
            http::HeaderValue::try_from(value),
        ) {
            self.headers.append(name, value);
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }
}

/// A JSON response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// Always a JSON document; sent with `Content-Type: application/json`.
    pub body: String,
}

impl HookResponse {
    /// `body` serialised, with `status`.
    pub fn json(status: StatusCode, body: &serde_json::Value) -> Self {
        HookResponse {
            status,
            body: body.to_string(),
        }
    }
}
