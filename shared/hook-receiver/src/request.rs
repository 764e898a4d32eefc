//! The transport-neutral request and response of a hook endpoint.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

use crate::HookError;

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

/// The path Okta is given for the default org; `HOOK_PATH/{org}` serves each other org.
pub const HOOK_PATH: &str = "/hooks/okta";

/// The org of a hook path, for transports that do not route by path themselves (a Lambda
/// Function URL sends every path to the function; API Gateway's routes give the `{org}`
/// path parameter instead): `/hooks/okta` → `None` (the default org), `/hooks/okta/{org}`
/// → `Some(org)`, one trailing `/` allowed; any other path is [`HookError::NotFound`].
/// The org is not checked here: [`ReceiverConfig::org_of`](crate::ReceiverConfig::org_of)
/// decides, as for a path parameter.
pub fn org_of_path(path: &str) -> Result<Option<String>, HookError> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let rest = path.strip_prefix(HOOK_PATH).ok_or(HookError::NotFound)?;
    if rest.is_empty() {
        return Ok(None);
    }
    match rest.strip_prefix('/') {
        Some(org) if !org.is_empty() && !org.contains('/') => Ok(Some(org.to_owned())),
        _ => Err(HookError::NotFound),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_hook_paths_name_the_default_org_or_theirs_and_nothing_else_is_found() {
        assert_eq!(org_of_path("/hooks/okta"), Ok(None));
        assert_eq!(org_of_path("/hooks/okta/"), Ok(None));
        assert_eq!(org_of_path("/hooks/okta/acme"), Ok(Some("acme".to_owned())));
        assert_eq!(
            org_of_path("/hooks/okta/acme/"),
            Ok(Some("acme".to_owned()))
        );
        for other in [
            "/",
            "",
            "/hooks",
            "/hooks/oktaacme",
            "/hooks/okta/acme/more",
            "/hooks/okta//",
            "/other/hooks/okta",
        ] {
            assert_eq!(org_of_path(other), Err(HookError::NotFound), "{other}");
        }
    }
}
