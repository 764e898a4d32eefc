//! The template's HTTP API (the routes of its API's OpenAPI body) on a loopback URL, as
//! API Gateway HTTP APIs invoke a Lambda integration with payload format 2.0; or, with
//! `Ingress=FunctionUrl`, the Lambda Function URL there: every method and path invokes its
//! one function with the same payload (route key `$default`, no path parameters).
//!
//! A request whose method and path match a route (`/hooks/okta/{org}`: one `{name}` per
//! segment) invokes the route's function with the API Gateway v2 event; the function's
//! answer (`statusCode`, `headers`, `body`, `isBase64Encoded`; a bare JSON value is a 200
//! with it as body, as API Gateway reads format 2.0) is the HTTP response. No route: `404
//! {"message":"Not Found"}`; a function error or crash: `500 {"message":"Internal Server
//! Error"}`; no answer within the integration timeout (30 s, API Gateway's maximum): `503
//! {"message":"Service Unavailable"}`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::runtime::{Function, InvokeError};

/// API Gateway's integration timeout.
const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest body an HTTP API takes (10 MB).
const MAX_BODY: usize = 10 * 1024 * 1024;

/// One route and the function behind it.
pub struct Route {
    /// `GET`, `POST`, …
    pub method: String,
    /// The route's path segments (`{org}` a parameter).
    pub segments: Vec<String>,
    /// The route key, e.g. `POST /hooks/okta/{org}`; `$default` for a Function URL.
    pub key: String,
    /// Every method and path (a Function URL), whatever `method` and `segments` say.
    pub catch_all: bool,
    /// The function it invokes.
    pub function: Arc<Function>,
}

impl Route {
    /// A route of `function`.
    pub fn new(method: &str, path: &str, function: Arc<Function>) -> Route {
        Route {
            method: method.to_ascii_uppercase(),
            segments: split(path),
            key: format!("{} {path}", method.to_ascii_uppercase()),
            catch_all: false,
            function,
        }
    }

    /// A Lambda Function URL of `function`: every request goes to it, unrouted.
    pub fn function_url(function: Arc<Function>) -> Route {
        Route {
            method: "*".to_owned(),
            segments: Vec::new(),
            key: "$default".to_owned(),
            catch_all: true,
            function,
        }
    }

    /// The path parameters when `path` matches this route's.
    fn matches(&self, method: &str, path: &str) -> Option<BTreeMap<String, String>> {
        if self.catch_all {
            return Some(BTreeMap::new());
        }
        if !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let given = split(path);
        if given.len() != self.segments.len() {
            return None;
        }
        let mut parameters = BTreeMap::new();
        for (want, got) in self.segments.iter().zip(given) {
            if let Some(name) = want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                if got.is_empty() {
                    return None;
                }
                parameters.insert(name.to_owned(), got);
            } else if *want != got {
                return None;
            }
        }
        Some(parameters)
    }
}

fn split(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What the HTTP API server holds.
pub struct HttpApi {
    /// The routes, in template order (a Function URL's last).
    pub routes: Vec<Route>,
    /// The account id put in the events.
    pub account: String,
    /// Lines to print.
    pub printer: mpsc::UnboundedSender<String>,
}

/// The axum app serving the routes.
pub fn app(api: Arc<HttpApi>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(api)
}

async fn handle(State(api): State<Arc<HttpApi>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let method = parts.method.as_str().to_owned();
    let Some((route, parameters)) = api
        .routes
        .iter()
        .find_map(|r| r.matches(&method, &path).map(|p| (r, p)))
    else {
        return message(404, "Not Found");
    };
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return message(413, "Request Entity Too Large");
    };
    let event = event(&api.account, route, &parameters, &parts, &body);
    let invoked = tokio::time::timeout(
        INTEGRATION_TIMEOUT,
        route.function.invoke(Bytes::from(event.to_string())),
    )
    .await;
    let response = match invoked {
        Err(_) => message(503, "Service Unavailable"),
        Ok(Err(error)) => {
            let _ = api.printer.send(format!(
                "{method} {path} → {}: {error}",
                route.function.spec.logical_id
            ));
            return match error {
                InvokeError::Timeout(_) => message(503, "Service Unavailable"),
                _ => message(500, "Internal Server Error"),
            };
        }
        Ok(Ok(answer)) => response(&answer),
    };
    let _ = api.printer.send(format!(
        "{method} {path} → {} → {}",
        route.function.spec.logical_id,
        response.status().as_u16()
    ));
    response
}

/// The API Gateway v2 (payload format 2.0) event of one request.
fn event(
    account: &str,
    route: &Route,
    parameters: &BTreeMap<String, String>,
    parts: &http::request::Parts,
    body: &[u8],
) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_ascii_lowercase())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let query = parts.uri.query().unwrap_or("").to_owned();
    let mut query_parameters = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        query_parameters.insert(k.to_owned(), Value::String(v.to_owned()));
    }
    let (text, base64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let host = headers.get("host").cloned().unwrap_or_default();
    let user_agent = headers.get("user-agent").cloned().unwrap_or_default();
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": parts.uri.path(),
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": account,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": user_agent,
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route.key,
            "stage": "$default",
            "time": httpdate::fmt_http_date(SystemTime::now()),
            "timeEpoch": u64::try_from(now.as_millis()).unwrap_or(u64::MAX),
        },
        "isBase64Encoded": base64,
    });
    if !parameters.is_empty() {
        event["pathParameters"] = json!(parameters);
    }
    if !query_parameters.is_empty() {
        event["queryStringParameters"] = Value::Object(query_parameters);
    }
    if !body.is_empty() {
        event["body"] = Value::String(text);
    }
    event
}

/// The HTTP response of a function's answer (payload format 2.0).
fn response(answer: &[u8]) -> Response {
    let Ok(value) = serde_json::from_slice::<Value>(answer) else {
        return message(500, "Internal Server Error");
    };
    let Some(status) = value.get("statusCode").and_then(Value::as_u64) else {
        // Format 2.0: a bare JSON answer is a 200 with that JSON as body.
        return Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(answer.to_vec()))
            .unwrap_or_default();
    };
    let mut builder = Response::builder().status(u16::try_from(status).unwrap_or(500));
    if let Some(Value::Object(headers)) = value.get("headers") {
        for (name, value) in headers {
            if let Some(value) = value.as_str() {
                builder = builder.header(name.as_str(), value);
            }
        }
    }
    let body = value.get("body").and_then(Value::as_str).unwrap_or("");
    let body = if value.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    };
    builder.body(Body::from(body)).unwrap_or_default()
}

fn message(status: u16, text: &str) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(json!({ "message": text }).to_string()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(path: &str) -> Route {
        Route {
            method: "POST".into(),
            segments: split(path),
            key: format!("POST {path}"),
            catch_all: false,
            function: Arc::new(dummy()),
        }
    }

    fn dummy() -> Function {
        use super::super::runtime::{FunctionSpec, Launch};
        let spec: FunctionSpec = serde_json::from_value(json!({
            "logical_id": "F", "name": "f", "arn": "arn", "binary": "none", "timeout": 1,
            "memory": 128, "reserved_concurrency": null, "role_arn": "r", "environment": {},
            "statements": [], "http_routes": [], "schedules": [], "sqs": []
        }))
        .expect("spec");
        let (printer, _) = mpsc::unbounded_channel();
        Function::new(
            spec,
            String::new(),
            Launch {
                bin_dir: ".".into(),
                log_dir: ".".into(),
                region: "us-east-1".into(),
                overrides: vec![],
                printer,
            },
            1,
        )
    }

    #[test]
    fn a_route_with_a_parameter_matches_one_segment_and_names_it() {
        let route = segments("/hooks/okta/{org}");
        let found = route.matches("POST", "/hooks/okta/acme").expect("matches");
        assert_eq!(found.get("org").map(String::as_str), Some("acme"));
        assert!(route.matches("POST", "/hooks/okta").is_none());
        assert!(route.matches("POST", "/hooks/okta/acme/more").is_none());
        assert!(route.matches("GET", "/hooks/okta/acme").is_none());
        assert!(route.matches("POST", "/hooks/other/acme").is_none());
    }

    #[test]
    fn the_event_is_what_lambda_http_reads_as_an_api_gateway_v2_request() {
        let route = segments("/hooks/okta/{org}");
        let request = http::Request::builder()
            .method("POST")
            .uri("/hooks/okta/acme?x=1")
            .header("Authorization", "a")
            .header("X-Many", "1")
            .header("X-Many", "2")
            .body(())
            .expect("request");
        let (parts, ()) = request.into_parts();
        let parameters = route.matches("POST", "/hooks/okta/acme").expect("matches");
        let event = event("123456789012", &route, &parameters, &parts, b"{\"a\":1}");
        let parsed: aws_lambda_events::event::apigw::ApiGatewayV2httpRequest =
            serde_json::from_value(event).expect("an API Gateway v2 event");
        assert_eq!(parsed.route_key.as_deref(), Some("POST /hooks/okta/{org}"));
        assert_eq!(
            parsed.path_parameters.get("org").map(String::as_str),
            Some("acme")
        );
        assert_eq!(
            parsed
                .headers
                .get("authorization")
                .map(http::HeaderValue::as_bytes),
            Some(&b"a"[..])
        );
        assert_eq!(
            parsed
                .headers
                .get("x-many")
                .map(http::HeaderValue::as_bytes),
            Some(&b"1,2"[..])
        );
        assert_eq!(parsed.body.as_deref(), Some("{\"a\":1}"));
        assert_eq!(parsed.request_context.http.method, http::Method::POST);
    }

    #[test]
    fn a_function_url_takes_every_method_and_path_unrouted_as_lambda_http_reads_it() {
        let url = Route::function_url(Arc::new(dummy()));
        for (method, path) in [
            ("GET", "/hooks/okta"),
            ("POST", "/hooks/okta/acme"),
            ("PUT", "/"),
        ] {
            assert_eq!(
                url.matches(method, path),
                Some(BTreeMap::new()),
                "{method} {path}"
            );
        }
        let request = http::Request::builder()
            .method("GET")
            .uri("/hooks/okta/acme")
            .header("x-okta-verification-challenge", "c")
            .body(())
            .expect("request");
        let (parts, ()) = request.into_parts();
        let event = event("123456789012", &url, &BTreeMap::new(), &parts, b"");
        let parsed: aws_lambda_events::event::apigw::ApiGatewayV2httpRequest =
            serde_json::from_value(event).expect("an API Gateway v2 event");
        assert_eq!(parsed.route_key.as_deref(), Some("$default"));
        assert_eq!(
            parsed.request_context.route_key.as_deref(),
            Some("$default")
        );
        assert_eq!(parsed.raw_path.as_deref(), Some("/hooks/okta/acme"));
        assert!(parsed.path_parameters.is_empty());
        assert_eq!(parsed.request_context.http.method, http::Method::GET);
    }

    #[test]
    fn a_function_answer_becomes_the_response_status_headers_and_body() {
        let answer = json!({"statusCode": 202, "headers": {"x-a": "b"}, "body": "ok"});
        let response = response(answer.to_string().as_bytes());
        assert_eq!(response.status(), 202);
        assert_eq!(response.headers()["x-a"], "b");
        let bare = super::response(b"{\"challenge\":1}");
        assert_eq!(bare.status(), 200);
        assert_eq!(super::response(b"not json").status(), 500);
    }
}
