//! `okta-hooks dev` and `okta-hooks send`, as a newcomer runs them.

use std::cell::RefCell;
use std::process::{Command, Stdio};
use std::time::Duration;

use integration_tests::{
    ChildLines, Guarded, okta_hooks, port_after, reference_event, wait_until_answers,
    workspace_binary,
};

fn send(args: &[&str]) -> (bool, String) {
    okta_hooks(&[&["send"], args].concat())
}

/// How long a test waits for a line of `okta-hooks dev`.
const WAIT: Duration = Duration::from_secs(30);

/// `okta-hooks dev --port 0`: the server binds a port of its own choosing and names it in
/// its first line, so no other process can be on that port.
struct DevServer {
    url: String,
    /// The `okta-hooks dev: listening on …` line.
    banner: String,
    /// Its stdout: the runner's report, one `println!` a line from whichever task prints
    /// (the poller's summary, the pipeline's steps), and its log lines (`RUST_LOG`).
    lines: ChildLines,
    /// Its stderr (a panic, the error it exits with): read to explain a failed wait.
    stderr: ChildLines,
    child: RefCell<Guarded>,
}

impl DevServer {
    fn start(secret: &str) -> Self {
        Self::start_with(secret, &[], &[])
    }

    fn start_with(secret: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_args(&[&["--secret", secret], args].concat(), env)
    }

    /// `okta-hooks dev --port 0 ARGS`, with `env` added to an environment without the test
    /// run's `OKTA_*`, `AWS_*` and `RUST_LOG` (a developer's settings must not change what
    /// it serves or prints).
    fn start_args(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(workspace_binary("okta-hooks"));
        for (name, _) in std::env::vars() {
            if name.starts_with("OKTA_") || name.starts_with("AWS_") || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        let mut child = command
            .args(["dev", "--port", "0"])
            .args(args)
            .envs(env.iter().copied())
            .current_dir(integration_tests::workspace_root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("okta-hooks dev starts");
        let lines = ChildLines::read(child.stdout.take().expect("stdout"));
        let stderr = ChildLines::read(child.stderr.take().expect("stderr"));
        let mut child = Guarded(child);
        let (banner, port) =
            lines.wait_for("\"listening on\" line from okta-hooks dev", WAIT, |line| {
                let port = port_after(line, "okta-hooks dev: listening on http://127.0.0.1:")?;
                Some((line.to_owned(), port))
            });
        // Unauthenticated: refused, but answered by the server that printed the port.
        let status = wait_until_answers(port, "/hooks/okta", WAIT, &mut child.0);
        assert_eq!(
            status, 401,
            "okta-hooks dev on port {port} answered {status}"
        );
        DevServer {
            url: format!("http://127.0.0.1:{port}/hooks/okta"),
            banner,
            lines,
            stderr,
            child: RefCell::new(child),
        }
    }

    /// The next line starting with `prefix`, skipping others.
    fn next_line(&self, prefix: &str) -> String {
        self.wait_for(&format!("line starting {prefix:?}"), |line| {
            line.starts_with(prefix).then(|| line.to_owned())
        })
    }

    /// The first stdout line `pick` maps to a value, skipping others. When none comes, the
    /// panic says whether `okta-hooks dev` had exited (its stdout closed: the wait ends at
    /// once and nothing more can come) or was still running, with its stderr, then its
    /// last stdout lines: a wait that fails is told apart from a process that died.
    fn wait_for<T>(&self, what: &str, mut pick: impl FnMut(&str) -> Option<T>) -> T {
        let started = std::time::Instant::now();
        if let Some(found) = self.lines.next_match(WAIT, &mut pick) {
            return found;
        }
        let waited = started.elapsed();
        let state = match self.child.borrow_mut().0.try_wait() {
            Ok(Some(status)) => format!("okta-hooks dev had exited: {status}"),
            Ok(None) => "okta-hooks dev still running".to_owned(),
            Err(error) => format!("okta-hooks dev: no status ({error})"),
        };
        let mut stderr = Vec::new();
        while stderr.len() < 40 {
            match self
                .stderr
                .next_match(Duration::from_millis(200), |l| Some(l.to_owned()))
            {
                Some(line) => stderr.push(line),
                None => break,
            }
        }
        // Panics with the stdout lines seen (or returns a line that came just now).
        self.lines.wait_for(
            &format!(
                "{what} after {waited:.1?} of a {WAIT:?} wait ({state}; its stderr: \
                 {stderr:?}), nor in a last look"
            ),
            Duration::ZERO,
            pick,
        )
    }
}

#[test]
fn dev_accepts_a_real_event_verifies_and_keeps_serving_after_refusals() {
    // Only the orgs it is told of are served: acme is one (for the named-org delivery).
    let dev = DevServer::start_with("local-secret", &["--org", "acme"], &[]);
    assert!(dev.banner.contains("127.0.0.1"), "{}", dev.banner);
    assert_eq!(
        dev.next_line("  plans "),
        "  plans         router-signed; executors refuse HMAC-only envelopes"
    );

    let (ok, out) = send(&["--verify", "--url", &dev.url, "--secret", "local-secret"]);
    assert!(ok, "{out}");
    assert!(out.starts_with("verified:"), "{out}");

    let suspend = reference_event("user.lifecycle.suspend.json");
    let (ok, out) = send(&[&suspend, "--url", &dev.url, "--secret", "local-secret"]);
    assert!(ok, "{out}");
    assert!(out.contains(r#"200 {"accepted":1,"rejected":0}"#), "{out}");
    let accepted = dev.next_line("accepted");
    assert!(accepted.contains("user.lifecycle.suspend"), "{accepted}");
    assert!(
        accepted.contains("uuid=9de5069c-5afe-602b-2ea0-a04b66beb2c0"),
        "{accepted}"
    );
    assert!(accepted.contains("subject=12345"), "{accepted}");

    let (ok, out) = send(&[&suspend, "--url", &dev.url, "--secret", "wrong"]);
    assert!(!ok);
    assert!(out.contains("401"), "{out}");
    assert!(dev.next_line("refused").contains("401"));

    let truncated =
        std::env::temp_dir().join(format!("okta-hooks-truncated-{}.json", std::process::id()));
    let text = std::fs::read_to_string(&suspend).unwrap();
    std::fs::write(
        &truncated,
        format!(
            r#"{{"eventType":"com.okta.event_hook","eventId":"d","data":{{"events":[{}"#,
            &text[..text.len() / 2]
        ),
    )
    .unwrap();
    let (ok, out) = send(&[
        truncated.to_str().unwrap(),
        "--url",
        &dev.url,
        "--secret",
        "local-secret",
    ]);
    let _ = std::fs::remove_file(&truncated);
    assert!(!ok, "{out}");
    assert!(
        out.contains("not JSON"),
        "send refuses a file that is not JSON: {out}"
    );

    // The router runs in process: a reported suspicious activity prints its plan.
    let report = reference_event("user.account.report_suspicious_activity_by_enduser.json");
    let (ok, out) = send(&[&report, "--url", &dev.url, "--secret", "local-secret"]);
    assert!(ok, "{out}");
    let plan = dev.next_line("  plan ");
    assert!(plan.contains("lock-down-on-suspicious-activity"), "{plan}");
    assert!(plan.contains("user.suspend → users queue"), "{plan}");
    // …and the executors run it in process, dry: each Okta request printed, none sent.
    // The built-in secrets have a plan key: every step ran from the router-signed plan.
    assert_eq!(
        dev.next_line("  step "),
        "  step   user.suspend [users]: dry run (plan signed by the router, key p1)"
    );
    let request = dev.next_line("           would send:");
    assert!(
        request.ends_with("POST https://your-org.okta.com/api/v1/users/01234/lifecycle/suspend"),
        "{request}"
    );
    assert_eq!(
        dev.next_line("  step "),
        "  step   user.sessions.clear [sessions]: dry run (plan signed by the router, key p1)"
    );
    assert!(
        dev.next_line("           would send:")
            .contains("sessions?oauthTokens=true")
    );
    assert_eq!(
        dev.next_line("  step "),
        "  step   notify.webhook [notify]: dry run (plan signed by the router, key p1)"
    );

    // A delivery for a named org, after the refusals: still served.
    let delivery = reference_event("event-hook-delivery.user.session.start.json");
    let (ok, out) = send(&[
        &delivery,
        "--url",
        &format!("{}/acme", dev.url),
        "--secret",
        "local-secret",
    ]);
    assert!(ok, "{out}");
    assert!(dev.next_line("accepted").contains("org=acme"));
}

#[test]
fn dev_answers_truncated_json_with_400() {
    let dev = DevServer::start("s");
    let port = dev
        .url
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let body = r#"{"eventType":"com.okta.event_hook","eventId":"d","data":{"events":[{"uuid":"#;
    let request = format!(
        "POST /hooks/okta HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: s\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = raw_http(&port, &request);
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(
        response.contains(r#""code":"malformed_json""#),
        "{response}"
    );
    let (ok, out) = send(&["--verify", "--url", &dev.url, "--secret", "s"]);
    assert!(ok, "still serving: {out}");
}

fn raw_http(port: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_runs_the_plan_against_a_real_org_when_given_one() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let okta = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .and(header("authorization", "SSWS dev-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .expect(1)
        .mount(&okta)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/users/01234/sessions"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&okta)
        .await;
    let uri = okta.uri();
    let dev = DevServer::start_with(
        "s",
        &["--okta-domain", &uri],
        &[("OKTA_API_TOKEN", "dev-token")],
    );
    assert!(dev.next_line("  okta ").contains("LIVE against"));
    let report = reference_event("user.account.report_suspicious_activity_by_enduser.json");
    let (ok, out) = send(&[&report, "--url", &dev.url, "--secret", "s"]);
    assert!(ok, "{out}");
    assert_eq!(
        dev.next_line("  step "),
        "  step   user.suspend [users]: done (plan signed by the router, key p1)"
    );
    assert_eq!(
        dev.next_line("  step "),
        "  step   user.sessions.clear [sessions]: done (plan signed by the router, key p1)"
    );
    // The webhook secret was not given: the notify step fails, clearly, to the DLQ.
    let failed = dev.next_line("  failed ");
    assert!(failed.contains("slack_webhook"), "{failed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_polls_the_system_log_of_a_real_org_when_asked() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let okta = MockServer::builder().start().await;
    let event: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reference_event(
            "user.account.report_suspicious_activity_by_enduser.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let next = format!("{}/api/v1/logs?after=page2", okta.uri());
    // As Okta's System Log answers a polling query: the last page is empty and links on
    // to itself (the poll is caught up; with no next link the poller takes the query for
    // one that is not polling, and fails).
    let link = format!("<{next}>; rel=\"next\"");
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(query_param("after", "page2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link.as_str())
                .set_body_json(serde_json::json!([])),
        )
        .mount(&okta)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link.as_str())
                .set_body_json(serde_json::json!([event])),
        )
        .mount(&okta)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .expect(0)
        .mount(&okta)
        .await;
    let uri = okta.uri();
    let dev = DevServer::start_with(
        "s",
        &[
            "--okta-domain",
            &uri,
            "--poll",
            "--poll-interval",
            "5",
            "--dry-run",
        ],
        &[("OKTA_API_TOKEN", "dev-token")],
    );
    let accepted = dev.next_line("accepted");
    assert!(
        accepted.contains("user.account.report_suspicious_activity_by_enduser"),
        "{accepted}"
    );
    // The poll's summary and the pipeline's step lines are printed by concurrent tasks:
    // either may come first, so both are awaited in any order.
    let mut polled = None;
    let mut suspend_step = None;
    dev.wait_for("a \"polled\" line and the user.suspend step", |line| {
        if line.starts_with("polled") {
            polled = Some(line.to_owned());
        } else if line.starts_with("  step ") && line.contains("user.suspend") {
            suspend_step = Some(line.to_owned());
        }
        (polled.is_some() && suspend_step.is_some()).then_some(())
    });
    let (polled, suspend_step) = (polled.unwrap_or_default(), suspend_step.unwrap_or_default());
    assert!(polled.contains("1 event(s) read, 1 queued"), "{polled}");
    assert!(!polled.contains("failed"), "{polled}");
    // --dry-run: the plan is printed, the write is not sent.
    assert!(
        suspend_step.contains("user.suspend [users]: dry run"),
        "{suspend_step}"
    );
    let received = okta.received_requests().await.unwrap_or_default();
    assert!(
        received.iter().all(|r| r.method.as_str() == "GET"),
        "a dry run sends no write"
    );
}

fn secret_file(name: &str, content: &serde_json::Value) -> std::path::PathBuf {
    let file =
        std::env::temp_dir().join(format!("okta-hooks-dev-{name}-{}.json", std::process::id()));
    std::fs::write(&file, content.to_string()).expect("write the secret file");
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_with_a_split_secret_file_gives_each_part_its_own_credential() {
    use wiremock::matchers::{body_string_contains, header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let okta = MockServer::builder().start().await;
    // The poller reads the System Log with the read-only credential only.
    let event: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reference_event(
            "user.account.report_suspicious_activity_by_enduser.json",
        ))
        .unwrap(),
    )
    .unwrap();
    // The last page links on to itself, as a polling query's does.
    let link = format!("<{}/api/v1/logs?after=page2>; rel=\"next\"", okta.uri());
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(header("authorization", "SSWS read-token"))
        .and(query_param("after", "page2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link.as_str())
                .set_body_json(serde_json::json!([])),
        )
        .mount(&okta)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/logs"))
        .and(header("authorization", "SSWS read-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link.as_str())
                .set_body_json(serde_json::json!([event])),
        )
        .mount(&okta)
        .await;
    // The executors act with the shared `okta` credential.
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .and(header("authorization", "SSWS admin-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .expect(1)
        .mount(&okta)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/users/01234/sessions"))
        .and(header("authorization", "SSWS admin-token"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&okta)
        .await;
    // The notify executor reads the named webhook (plain http to loopback, locally).
    Mock::given(method("POST"))
        .and(path("/slack"))
        .and(body_string_contains("Suspended"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&okta)
        .await;
    let credential = |token: &str| serde_json::json!({"org_url": okta.uri(), "api_token": token});
    let file = secret_file(
        "split",
        &serde_json::json!({
            "hook": {"header": "Authorization", "current": "file-hook-value"},
            "okta": credential("admin-token"),
            "okta-read": credential("read-token"),
            "named": {"slack_webhook": format!("{}/slack", okta.uri())}
        }),
    );
    let uri = okta.uri();
    let file_arg = file.display().to_string();
    let dev = DevServer::start_args(
        &[
            "--secret-file",
            &file_arg,
            "--okta-domain",
            &uri,
            "--poll",
            "--poll-interval",
            "5",
        ],
        &[],
    );
    assert!(dev.next_line("  secrets ").contains(&file_arg));
    assert!(dev.next_line("  okta ").contains("LIVE against"));
    // The file has no plan-signing: HMAC-only envelopes, as before plan signatures.
    let plans = dev.next_line("  plans ");
    assert!(plans.contains("HMAC-only"), "{plans}");
    let accepted = dev.next_line("accepted");
    assert!(
        accepted.contains("user.account.report_suspicious_activity_by_enduser"),
        "{accepted}"
    );
    assert_eq!(
        dev.next_line("  step "),
        "  step   user.suspend [users]: done"
    );
    assert_eq!(
        dev.next_line("  step "),
        "  step   user.sessions.clear [sessions]: done"
    );
    assert_eq!(
        dev.next_line("  step "),
        "  step   notify.webhook [notify]: done"
    );

    // The hook endpoints take the file's hook value, and only it.
    let delivery = reference_event("event-hook-delivery.user.session.start.json");
    let (ok, out) = send(&[&delivery, "--url", &dev.url, "--secret", "file-hook-value"]);
    assert!(ok, "{out}");
    assert!(dev.next_line("accepted").contains("user.session.start"));
    let (ok, out) = send(&[&delivery, "--url", &dev.url, "--secret", "wrong"]);
    assert!(!ok && out.contains("401"), "{out}");
    let _ = std::fs::remove_file(&file);
    okta.verify().await;
}

#[test]
fn dev_with_a_single_shape_secret_file_serves_and_warns_about_the_shape() {
    let file = secret_file(
        "single",
        &serde_json::json!({
            "hook": {"header": "X-Dev-Auth", "current": "single-hook-value"},
            "signing": {"active": "k1", "keys": {"k1": "0123456789abcdef0123456789abcdef-dev"}},
            "okta": {"org_url": "https://acme.okta.com", "api_token": "00admin-never-used"},
            "named": {"slack_webhook": "https://hooks.example.com/x"}
        }),
    );
    let file_arg = file.display().to_string();
    let dev = DevServer::start_args(&["--secret-file", &file_arg], &[]);
    let _ = std::fs::remove_file(&file);
    // The banner names the header, never the file's value.
    assert!(!dev.banner.contains("single-hook-value"), "{}", dev.banner);
    let header = dev.next_line("  auth header");
    assert!(header.contains("X-Dev-Auth"), "{header}");
    assert!(!header.contains("single-hook-value"), "{header}");
    let warning = dev.next_line("warning:");
    assert!(warning.contains("single shape"), "{warning}");
    assert!(warning.contains("okta-read"), "{warning}");

    let port = dev
        .url
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let body = std::fs::read_to_string(reference_event(
        "event-hook-delivery.user.session.start.json",
    ))
    .unwrap();
    let post = |value: &str| {
        raw_http(
            &port,
            &format!(
                "POST /hooks/okta HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Dev-Auth: {value}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let accepted = post("single-hook-value");
    assert!(accepted.starts_with("HTTP/1.1 200"), "{accepted}");
    assert!(dev.next_line("accepted").contains("user.session.start"));
    let refused = post("wrong");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
}

#[test]
fn dev_refuses_a_secret_file_whose_credential_is_for_another_org_than_okta_domain() {
    let file = secret_file(
        "other-org",
        &serde_json::json!({
            "hook": {"current": "v"},
            "okta": {"org_url": "https://other.okta.com", "api_token": "00never-printed"}
        }),
    );
    let file_arg = file.display().to_string();
    let output = Command::new(workspace_binary("okta-hooks"))
        .args(["dev", "--port", "0", "--secret-file", &file_arg])
        .args(["--okta-domain", "acme.okta.com"])
        .output()
        .expect("runs");
    let _ = std::fs::remove_file(&file);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains(
            "credential is for https://other.okta.com, not --okta-domain https://acme.okta.com"
        ),
        "{text}"
    );
    assert!(!text.contains("00never-printed"), "{text}");
}

/// `POST /actions` of `okta-hooks dev`: `body` with the hook's auth header `secret`.
async fn post_action(
    dev: &DevServer,
    secret: Option<&str>,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let url = dev.url.replace("/hooks/okta", "/actions");
    let mut request = reqwest::Client::new().post(url).json(body);
    if let Some(secret) = secret {
        request = request.header("Authorization", secret);
    }
    let response = request.send().await.expect("dev answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_runs_an_action_request_posted_to_actions_and_answers_its_result() {
    use okta_double::{OktaDouble, User};
    use serde_json::json;
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00uDEVREQACT", "dev.request@example.com"));
    okta.add_user(User::locked_out("00uDEVREQLCK", "dev.locked@example.com"));
    let dev = DevServer::start_with(
        "s",
        &["--okta-domain", &okta.org_url()],
        &[("OKTA_API_TOKEN", OktaDouble::DEFAULT_TOKEN)],
    );
    let suspend = json!({"action": "user.suspend", "params": {"user": "00uDEVREQACT"},
        "request_id": "dev-1", "requested_by": "oncall", "reason": "phishing"});

    // The hook's auth guards it.
    let (status, _) = post_action(&dev, None, &suspend).await;
    assert_eq!(status, 401);
    assert_eq!(okta.status("00uDEVREQACT"), Some("ACTIVE"));

    let (status, result) = post_action(&dev, Some("s"), &suspend).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["status"], "done", "{result}");
    assert_eq!(result["request_id"], "dev-1");
    assert_eq!(result["requested_by"], "oncall");
    assert_eq!(result["reason"], "phishing");
    assert_eq!(result["steps"][0]["action"], "user.suspend");
    assert_eq!(result["steps"][0]["status"], "done");
    let change = &okta.changes()[0];
    // Every Okta request id of the step, the suspend's among them (a protection re-check
    // reads the user first).
    let ids = result["steps"][0]["okta_request_ids"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(ids.contains(&json!(change.request_id)), "{result}");
    assert_eq!(okta.status("00uDEVREQACT"), Some("SUSPENDED"));

    // The same request again runs nothing.
    let (_, again) = post_action(&dev, Some("s"), &suspend).await;
    assert_eq!(again, json!({"request_id": "dev-1", "status": "duplicate"}));
    assert_eq!(okta.applied("suspend", "00uDEVREQACT"), 1);

    // A LOCKED_OUT user cannot be suspended: failed, with Okta's reason.
    let (_, failed) = post_action(
        &dev,
        Some("s"),
        &json!({"action": "user.suspend", "params": {"user": "00uDEVREQLCK"}}),
    )
    .await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(
        failed["steps"][0]["error"]["errorCode"], "E0000038",
        "{failed}"
    );
    assert_eq!(okta.status("00uDEVREQLCK"), Some("LOCKED_OUT"));

    // A bad request is refused, saying what is wrong.
    let (_, refused) = post_action(
        &dev,
        Some("s"),
        &json!({"action": "user.suspnd", "params": {"user": "00uDEVREQACT"}}),
    )
    .await;
    assert_eq!(refused["status"], "refused");
    assert_eq!(
        refused["error"],
        "unknown action `user.suspnd` — did you mean `user.suspend`?"
    );
    assert_eq!(
        okta.changes().len(),
        1,
        "only the first suspend changed the org"
    );
}

#[test]
fn dev_counts_the_shipped_brute_force_threshold_across_deliveries_in_memory() {
    let dev = DevServer::start("local-secret");
    let failure: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            integration_tests::workspace_root()
                .join("rules/events/user.session.start.failure.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("okta-hooks-dev-threshold-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Five failed sign-ins of one user within ten minutes, one delivery each; the third
    // is delivered twice.
    for (n, minute) in [(1, 0), (2, 2), (3, 4), (3, 4), (4, 6), (5, 8)] {
        let mut event = failure.clone();
        event["uuid"] = serde_json::json!(format!("dev-bf-{n}"));
        event["published"] = serde_json::json!(format!("2026-11-30T10:{minute:02}:00.000Z"));
        let file = dir.join(format!("{n}.json"));
        std::fs::write(&file, event.to_string()).unwrap();
        let (ok, out) = send(&[
            file.to_str().unwrap(),
            "--url",
            &dev.url,
            "--secret",
            "local-secret",
        ]);
        assert!(ok, "{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    // The third event's second delivery is dropped (the embedded FIFO queue's dedup, as
    // SQS's): it neither counts nor fires.
    for seen in 1..=4 {
        assert_eq!(
            dev.next_line("  plan brute-force-sign-in:"),
            format!("  plan brute-force-sign-in: matches; threshold: {seen} of 5 so far")
        );
    }
    let fired = dev.next_line("  plan brute-force-sign-in:");
    assert!(
        fired.starts_with("  plan brute-force-sign-in: step 1 of 1: notify.webhook → notify queue"),
        "{fired}"
    );
}
