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

#[cfg(test)]
mod tests {
    use lambda_http::http::Method;
    use lambda_http::request::from_str;

    use super::*;

    fn event(name: &str) -> Request {
        let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("events/ file");
        from_str(&text).expect("an API Gateway event")
    }

    #[test]
    fn http_api_v2_delivery_keeps_org_headers_and_body() {
        let request = hook_request(event("apigw-v2-delivery.json"));
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.org.as_deref(), Some("default"));
        assert_eq!(
            request.headers["Authorization"],
            "okta-hooks-example-secret"
        );
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["data"]["events"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn rest_api_v1_delivery_reads_the_same() {
        let v1 = hook_request(event("apigw-v1-delivery.json"));
        let v2 = hook_request(event("apigw-v2-delivery.json"));
        assert_eq!(v1.method, Method::POST);
        assert_eq!(v1.org, v2.org);
        assert_eq!(v1.body, v2.body);
        assert_eq!(v1.headers["authorization"], v2.headers["authorization"]);
    }

    #[test]
    fn verification_get_carries_the_challenge() {
        let request = hook_request(event("apigw-v2-verify.json"));
        assert_eq!(request.method, Method::GET);
        assert!(request.body.is_empty());
        assert!(
            request
                .headers
                .contains_key("X-Okta-Verification-Challenge")
        );
    }

    #[test]
    fn responses_are_json_with_the_handlers_status() {
        let response = lambda_response(HookResponse {
            status: lambda_http::http::StatusCode::SERVICE_UNAVAILABLE,
            body: r#"{"code":"queue_unavailable"}"#.to_owned(),
        });
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(
            response.body(),
            &Body::Text(r#"{"code":"queue_unavailable"}"#.into())
        );
    }
}
