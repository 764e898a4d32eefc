//! API Gateway requests (HTTP API payload v2 and REST API v1, via `lambda_http`) to the
//! transport-neutral [`HookRequest`], and back.

use hook_receiver::{HookRequest, HookResponse};
use lambda_http::http::HeaderValue;
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request, RequestExt, Response};

/// The path parameter that selects the org (`/hooks/okta/{org}`).
const ORG_PARAMETER: &str = "org";

/// Converts an API Gateway request. `lambda_http` has already decoded a base64 body and
/// parsed either payload version into one `http::Request`.
pub fn hook_request(request: Request) -> HookRequest {
    let org = request
        .path_parameters_ref()
        .and_then(|params| params.first(ORG_PARAMETER))
        .map(str::to_owned);
    let (parts, body) = request.into_parts();
    let body = match body {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        // `Body` is non-exhaustive upstream; a future variant is read as bytes.
        other => other.to_vec(),
    };
    HookRequest {
        method: parts.method,
        headers: parts.headers,
        org,
        body: body.into(),
    }
}

/// Converts a handler's response; every body is JSON.
pub fn lambda_response(response: HookResponse) -> Response<Body> {
    let mut out = Response::new(Body::Text(response.body));
    *out.status_mut() = response.status;
    out.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    out
}
