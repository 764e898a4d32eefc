//! Runs every Okta action of the test table (`tests/it/common/cases.rs`) through the
//! executor against Prism mocking Okta's Management OpenAPI spec (started by
//! `spec-check/run.sh`), and fails if Prism finds a request that breaks the spec: a
//! `400`/`422` answer, or a request-side entry in its `sl-violations` header (read by a
//! small recording proxy between the executor and Prism). Two deliberately wrong raw
//! requests must be refused, so a mock that accepts anything cannot pass.
//!
//! Usage: `cargo run -p action-calls --example action_spec_check -- http://127.0.0.1:4010`

#[path = "../tests/it/common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use action_calls::{ExecError, Executor, StaticNamedSecrets};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use axum::response::Response;
use okta_client::{AuthConfig, OktaClient, OktaConfig, SecretString};
use serde_json::{Value, json};

struct Proxy {
    upstream: String,
    http: reqwest::Client,
    violations: Mutex<Vec<String>>,
}

async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut out = proxy
        .http
        .request(parts.method.clone(), format!("{}{target}", proxy.upstream));
    for (name, value) in &parts.headers {
        if name != HOST && name != CONTENT_LENGTH {
            out = out.header(name, value);
        }
    }
    let answer = match out.body(bytes).send().await {
        Ok(a) => a,
        Err(e) => {
            let mut r = Response::new(Body::from(format!("proxy: {e}")));
            *r.status_mut() = axum::http::StatusCode::BAD_GATEWAY;
            return r;
        }
    };
    if let Some(v) = answer
        .headers()
        .get("sl-violations")
        .and_then(|v| v.to_str().ok())
    {
        let all: Vec<Value> = serde_json::from_str(v).unwrap_or_default();
        let request_side: Vec<&Value> = all
            .iter()
            .filter(|v| v["location"][0] == "request")
            .collect();
        if !request_side.is_empty()
            && let Ok(mut list) = proxy.violations.lock()
        {
            let json = Value::Array(request_side.into_iter().cloned().collect());
            list.push(format!("{} {target}: {json}", parts.method));
        }
    }
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != TRANSFER_ENCODING && name != CONTENT_LENGTH && name != CONNECTION {
            response = response.header(name, value);
        }
    }
    let body = answer.bytes().await.unwrap_or_default();
    response
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn take(proxy: &Proxy) -> Vec<String> {
    proxy
        .violations
        .lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default()
}

/// Whether Prism refused the request (status or violations).
fn refused(
    result: &Result<action_calls::Outcome, ExecError>,
    violations: &[String],
) -> Option<String> {
    if !violations.is_empty() {
        return Some(violations.join("; "));
    }
    match result {
        Err(e) if matches!(e.status(), Some(400) | Some(422)) => Some(e.to_string()),
        _ => None,
    }
}

/// Operations whose request body is a `oneOf` that Prism cannot tell apart (it refuses
/// even the spec's own example; okta-client's spec check makes the same exception):
/// action, method, path, the spec's example body.
const AMBIGUOUS: &[(&str, &str, &str)] = &[
    (
        "user.factors.enroll_email",
        "/api/v1/users/00u1/factors?activate=true",
        r#"{"factorType": "email", "provider": "OKTA", "profile": {"email": "test@gmail.com"}}"#,
    ),
    (
        "app.update_assignment",
        "/api/v1/apps/0oa1/users/00u1",
        r#"{"profile": {"name": "Rae Mae Cloud", "middle_name": "Mae"}}"#,
    ),
];

/// For the [`AMBIGUOUS`] operations: true when our request broke only a `oneOf` and the
/// spec's example breaks it alike — so the exception vanishes once the spec is fixed.
async fn refused_like_spec_example(
    okta: &OktaClient,
    proxy: &Proxy,
    action: &str,
    ours: &[String],
) -> bool {
    let Some((_, path, example)) = AMBIGUOUS.iter().find(|(a, _, _)| *a == action) else {
        return false;
    };
    if ours.is_empty() || !ours.iter().all(|v| v.contains("\"oneOf\"")) {
        return false;
    }
    let Ok(example) = serde_json::from_str::<Value>(example) else {
        return false;
    };
    let _ = okta.raw(http::Method::POST, path, Some(&example)).await;
    let theirs = take(proxy);
    !theirs.is_empty() && theirs.iter().all(|v| v.contains("\"oneOf\""))
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(prism) = std::env::args().nth(1) else {
        eprintln!("usage: action_spec_check http://127.0.0.1:PORT");
        return ExitCode::from(2);
    };
    let proxy = Arc::new(Proxy {
        upstream: prism.trim_end_matches('/').to_owned(),
        http: reqwest::Client::new(),
        violations: Mutex::new(Vec::new()),
    });
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(address) = listener.local_addr() else {
        return ExitCode::FAILURE;
    };
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(proxy.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let auth = AuthConfig::ApiToken(SecretString::from("00spec-check"));
    let Ok(okta) = OktaConfig::new(&format!("http://{address}"), auth).and_then(OktaClient::new)
    else {
        eprintln!("client");
        return ExitCode::FAILURE;
    };
    let secrets = StaticNamedSecrets::new().with(common::ORG, "hook_auth", "spec-check-secret");
    let exec = Executor::new(&okta).with_secrets(common::ORG, &secrets);

    let mut failures = Vec::new();
    let mut checked = 0;
    for case in common::cases::cases() {
        if case.action == "notify.webhook" {
            continue; // no Okta request
        }
        let params = common::params(case.params.clone());
        let result = exec.execute(case.action, &params).await;
        let violations = take(&proxy);
        checked += 1;
        match (refused(&result, &violations), &result) {
            (Some(_), _)
                if refused_like_spec_example(&okta, &proxy, case.action, &violations).await =>
            {
                println!(
                    "ok    {} (the spec's own example is refused alike: ambiguous oneOf)",
                    case.action
                );
            }
            (Some(why), _) => failures.push(format!("{} {}: {why}", case.action, case.params)),
            (None, Ok(_)) => println!("ok    {}", case.action),
            // Prism answers the spec's examples, not our fixtures: a lookup that finds
            // "nobody" or an answer our model rejects is not a request problem.
            (None, Err(e)) => println!("ok    {} (request valid; answer: {e})", case.action),
        }
    }

    // Controls: these break the spec and must be refused.
    for (what, params) in [
        (
            "GET /api/v1/policies without the required `type`",
            json!({"method": "GET", "path": "/api/v1/policies"}),
        ),
        (
            "POST /api/v1/groups with a profile that is not an object",
            json!({"method": "POST", "path": "/api/v1/groups", "body": {"profile": 42}}),
        ),
    ] {
        let result = exec.execute("okta.request", &common::params(params)).await;
        let violations = take(&proxy);
        match refused(&result, &violations) {
            Some(_) => println!("ok    control refused: {what}"),
            None => failures.push(format!(
                "control accepted (the check proves nothing): {what}"
            )),
        }
    }

    println!("{checked} action runs checked against the spec");
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("FAIL  {f}");
        }
        ExitCode::FAILURE
    }
}
