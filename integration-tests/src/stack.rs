//! The local stack (`okta-hooks stack up`) as the stack tests run it: its own
//! `moto_server`, the template deployed with short timings, every function running as its
//! built binary, Okta played by a double the test holds, and the stack's control API.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actions::Family;
use serde_json::{Value, json};

use crate::{Aws, ChildLines, Guarded, MotoServer, workspace_binary, workspace_root};

/// The hook auth value of the stack tests' org secret.
pub const HOOK_SECRET: &str = "stack-test-hook-secret";

/// How a test's stack is deployed.
pub struct StackOptions {
    /// The stack name (unique per test: queue names follow it).
    pub name: String,
    /// Template parameters (`VisibilityTimeout`, `MaxReceiveCount`, …).
    pub parameters: Vec<(String, String)>,
    /// The org secret by kind (`hook` is added when absent), written to a file for
    /// `--secret-file`.
    pub secrets: Value,
    /// `--okta-domain`: where every Okta credential of the secrets points.
    pub okta_domain: Option<String>,
    /// `--rules`.
    pub rules: Option<PathBuf>,
}

impl StackOptions {
    /// A stack named `name` acting on the Okta org at `org_url` with `token` (the
    /// executors' and the read-only credential), `named` values as given, and the short
    /// timings of the stack tests: 5 receives before the DLQ, 3 attempts of a retried step,
    /// retries at most 2 s apart, a dead run's claim on a step over after 31 s, and a visibility timeout of 20 s — short, yet longer than
    /// any batch takes here, as a deployment's must be (a message whose batch outlives its
    /// visibility timeout is delivered again while it runs).
    pub fn new(name: &str, org_url: &str, token: &str, named: Value) -> StackOptions {
        let credential = json!({"org_url": org_url, "api_token": token});
        let mut options = StackOptions {
            name: name.to_owned(),
            parameters: vec![
                ("VisibilityTimeout".into(), "20".into()),
                ("MaxReceiveCount".into(), "5".into()),
                ("MaxAttempts".into(), "3".into()),
                ("BackoffCapSeconds".into(), "2".into()),
                ("StepLeaseSeconds".into(), "31".into()),
            ],
            secrets: json!({
                "hook": {"header": "Authorization", "current": HOOK_SECRET},
                "okta": credential,
                "okta-read": credential,
            }),
            okta_domain: None,
            rules: None,
        };
        options.secrets["named"] = named;
        options
    }

    /// Sets a template parameter.
    #[must_use]
    pub fn parameter(mut self, key: &str, value: &str) -> StackOptions {
        self.parameters.retain(|(k, _)| k != key);
        self.parameters.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// A running local stack; stopped (Ctrl-C, then by PID) when dropped.
pub struct LocalStack {
    /// The emulator the stack is deployed into.
    pub moto: MotoServer,
    /// The stack's state file.
    pub state: Value,
    /// What `stack up` prints, line by line.
    pub stdout: ChildLines,
    /// AWS clients on the emulator (not through any function's role).
    pub aws: Aws,
    child: Option<Guarded>,
    dir: PathBuf,
    http: reqwest::Client,
}

impl LocalStack {
    /// Deploys and starts the stack; returns once it says it is up.
    ///
    /// # Panics
    /// When the stack does not come up within two minutes (with its last lines).
    pub async fn up(options: StackOptions) -> LocalStack {
        let moto = MotoServer::start();
        let dir = std::env::temp_dir().join(format!(
            "okta-hooks-{}-{}-{}",
            options.name,
            std::process::id(),
            moto.port
        ));
        std::fs::create_dir_all(&dir).expect("the test's directory");
        let secret_file = dir.join("secret.json");
        std::fs::write(&secret_file, options.secrets.to_string()).expect("the secret file");
        let state_file = dir.join("state.json");
        let mut command = Command::new(workspace_binary("okta-hooks"));
        for (name, _) in std::env::vars() {
            if name.starts_with("OKTA_") || name.starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        command
            .args(["stack", "up", "--stack-name", &options.name])
            .args(["--endpoint", &moto.endpoint()])
            .arg("--workspace")
            .arg(workspace_root())
            .arg("--state-file")
            .arg(&state_file)
            .arg("--secret-file")
            .arg(&secret_file);
        for (key, value) in &options.parameters {
            command.args(["--parameter", &format!("{key}={value}")]);
        }
        if let Some(domain) = &options.okta_domain {
            command.args(["--okta-domain", domain]);
        }
        if let Some(rules) = &options.rules {
            command.arg("--rules").arg(rules);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("okta-hooks stack up starts");
        let stdout = ChildLines::read(child.stdout.take().expect("stdout"));
        let child = Guarded(child);
        stdout.wait_for("the up line", Duration::from_secs(120), |line| {
            line.starts_with("up: Ctrl-C").then_some(())
        });
        let state: Value =
            serde_json::from_str(&std::fs::read_to_string(&state_file).expect("the state file"))
                .expect("the state file is JSON");
        let aws = Aws::new(&moto.endpoint()).await;
        LocalStack {
            moto,
            state,
            stdout,
            aws,
            child: Some(child),
            dir,
            http: reqwest::Client::new(),
        }
    }

    /// The hook URL of the default org (`…/hooks/okta`).
    pub fn hook_url(&self) -> String {
        text(&self.state["outputs"]["HookUrlDefaultOrg"])
    }

    /// The URL of the queue `logical_id` (`EventsQueue`, `UsersDlq`, …).
    pub fn queue(&self, logical_id: &str) -> String {
        let url = text(&self.state["queues"][logical_id]);
        assert!(!url.is_empty(), "the stack has no queue {logical_id}");
        url
    }

    /// What function `logical_id` has written to its log so far.
    pub fn log(&self, logical_id: &str) -> String {
        let dir = PathBuf::from(text(&self.state["log_dir"]));
        std::fs::read_to_string(dir.join(format!("{logical_id}.log"))).unwrap_or_default()
    }

    /// Posts one delivery of `events` to the hook URL with the org's auth value, as Okta
    /// does; returns the status.
    pub async fn deliver(&self, events: &[Value]) -> u16 {
        let body = json!({
            "eventType": "com.okta.event_hook",
            "eventTypeVersion": "1.0",
            "cloudEventsVersion": "0.1",
            "source": "https://example.okta.com/api/v1/eventHooks/whostacktest",
            "eventId": uuid_like(),
            "eventTime": "2026-11-30T10:00:00.000Z",
            "contentType": "application/json",
            "data": {"events": events},
        });
        self.post_delivery(&body.to_string()).await
    }

    /// Posts a delivery body as given; returns the status.
    pub async fn post_delivery(&self, body: &str) -> u16 {
        self.http
            .post(self.hook_url())
            .header("Authorization", HOOK_SECRET)
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("the hook URL answers")
            .status()
            .as_u16()
    }

    /// `GET` on the control API.
    pub async fn control_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", text(&self.state["control_url"])))
            .send()
            .await
            .expect("the control API answers")
            .json()
            .await
            .expect("JSON")
    }

    /// `POST` on the control API; (status, body text).
    pub async fn control_post(&self, path: &str, body: &Value) -> (u16, String) {
        let response = self
            .http
            .post(format!("{}{path}", text(&self.state["control_url"])))
            .json(body)
            .send()
            .await
            .expect("the control API answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// The AWS calls the functions made that their roles do not allow.
    pub async fn denied(&self) -> Vec<Value> {
        self.control_get("/aws/denied")
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits (polling every 100 ms) until `done` holds; panics with `what` after `timeout`.
    pub async fn wait_until<F, Fut>(&self, what: &str, timeout: Duration, mut done: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let start = Instant::now();
        while !done().await {
            if start.elapsed() >= timeout {
                let calls = self.calls_summary().await;
                std::fs::write(self.dir.join("aws-calls.txt"), &calls).ok();
                panic!(
                    "{what}: not within {timeout:?}; the stack's last lines:\n{}\nits AWS \
                     calls (function action status: count):\n{calls}",
                    self.stdout_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The AWS calls so far, counted by function, action and status.
    pub async fn calls_summary(&self) -> String {
        let calls = self.control_get("/aws/calls").await;
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for call in calls.as_array().into_iter().flatten() {
            let key = format!(
                "{} {} {}{}",
                text(&call["function"]),
                text(&call["action"]),
                call["status"],
                call["fault"]
                    .as_str()
                    .map(|f| format!(" ({f})"))
                    .unwrap_or_default()
            );
            *counts.entry(key).or_default() += 1;
        }
        counts
            .iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn stdout_tail(&self) -> String {
        let mut lines = Vec::new();
        while let Some(line) = self
            .stdout
            .next_match(Duration::from_millis(10), |l| Some(l.to_owned()))
        {
            lines.push(line);
        }
        let skip = lines.len().saturating_sub(40);
        lines[skip..].join("\n")
    }

    /// Waits until the events queue and every family queue are empty (in flight
    /// included): nothing left to run or retry.
    pub async fn settled(&self, within: Duration) {
        let mut queues = vec!["EventsQueue".to_owned()];
        queues.extend(Family::ALL.map(|f| family_id(f, "Queue")));
        for queue in queues {
            self.wait_until(&format!("{queue} empty"), within, || async {
                self.depth(&queue).await == (0, 0)
            })
            .await;
        }
    }

    /// The letters on `family`'s DLQ (drained).
    pub async fn letters(&self, family: Family) -> Vec<Value> {
        self.aws
            .drain(&self.queue(&family_id(family, "Dlq")))
            .await
            .into_iter()
            .filter_map(|(_, _, body)| serde_json::from_str(&body).ok())
            .collect()
    }

    /// Asserts that no DLQ, the events DLQ included, holds a letter.
    pub async fn no_letters(&self) {
        assert!(
            self.aws.drain(&self.queue("EventsDlq")).await.is_empty(),
            "letters on EventsDlq"
        );
        for family in Family::ALL {
            let letters = self.letters(family).await;
            assert!(letters.is_empty(), "{family} letters: {letters:?}");
        }
    }

    /// Messages on the queue `logical_id`: (visible, in flight).
    pub async fn depth(&self, logical_id: &str) -> (u64, u64) {
        self.aws.depth(&self.queue(logical_id)).await
    }

    /// Stops the stack as Ctrl-C does and waits for it; true when it exited cleanly.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let pid = child.0.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.0.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(child);
        false
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!(
                "the failed stack's state and function logs: {}",
                self.dir.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The template's logical id of one of `family`'s resources: `suffix` `Queue` →
/// `UsersQueue`, `Dlq` → `UsersDlq`, `ExecutorFunction` → `UsersExecutorFunction`.
pub fn family_id(family: Family, suffix: &str) -> String {
    let name = family.to_string();
    let mut chars = name.chars();
    let title = chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default();
    format!("{title}{suffix}")
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// A fresh id for a delivery.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("stack-{nanos}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
