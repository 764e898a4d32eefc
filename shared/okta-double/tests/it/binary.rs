//! The `okta-double` binary: prints its port, serves the seed, obeys `/__double/…`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::helpers::Api;

/// The spawned binary, killed (by its own handle) when the test ends.
struct Spawned(Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The JSON a control endpoint of the double answers to a GET.
async fn get_json(control: &reqwest::Client, url: &str) -> serde_json::Value {
    control.get(url).send().await.unwrap().json().await.unwrap()
}

fn spawn(args: &[&str]) -> (Spawned, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_okta-double"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let spawned = Spawned(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (spawned, url)
}

#[tokio::test]
async fn the_binary_prints_its_port_and_serves_the_seeded_org() {
    let seed = std::env::temp_dir().join(format!("okta-double-seed-{}.json", std::process::id()));
    std::fs::write(
        &seed,
        json!({
            "users": [{"id": "00u1", "status": "LOCKED_OUT",
                       "profile": {"login": "l@example.com", "email": "l@example.com"}}],
            "groups": [{"id": "00g1", "name": "Eng", "type": "OKTA_GROUP"}],
            "memberships": [{"group": "00g1", "user": "00u1"}]
        })
        .to_string(),
    )
    .unwrap();
    let (_child, url) = spawn(&[
        "--port",
        "0",
        "--token",
        "bin-token",
        "--seed",
        seed.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&seed);

    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    let api = Api::new(&url, "bin-token");
    let user = api.get("/api/v1/users/l%40example.com").await;
    assert_eq!(
        (user.status, user.body["status"].as_str()),
        (200, Some("LOCKED_OUT"))
    );
    let refused = api.post("/api/v1/users/00u1/lifecycle/suspend").await;
    assert_eq!(refused.error_code(), Some("E0000038"));
    let members = api.get("/api/v1/groups/00g1/users").await;
    assert_eq!(members.body.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_binary_is_controlled_over_http_under_double() {
    let (_child, url) = spawn(&[]);
    let api = Api::new(&url, okta_double::OktaDouble::DEFAULT_TOKEN);
    let control = reqwest::Client::new();

    let seeded = control
        .post(format!("{url}/__double/seed"))
        .json(&json!({"users": [{"id": "00u1", "status": "ACTIVE",
                                  "profile": {"login": "a@example.com"}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status(), 204);
    let faulted = control
        .post(format!("{url}/__double/faults"))
        .json(
            &json!({"method": "POST", "path": "/api/v1/users/00u1/lifecycle/suspend",
                      "kind": {"type": "after_apply_500"}, "times": 1}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(faulted.status(), 204);

    assert_eq!(
        api.post("/api/v1/users/00u1/lifecycle/suspend")
            .await
            .status,
        500
    );
    assert_eq!(
        api.post("/api/v1/users/00u1/lifecycle/suspend")
            .await
            .status,
        403
    );

    let applied: serde_json::Value = get_json(
        &control,
        &format!("{url}/__double/applied?op=suspend&user=00u1"),
    )
    .await;
    assert_eq!(applied["count"], 1);
    let user: serde_json::Value = get_json(&control, &format!("{url}/__double/users/00u1")).await;
    assert_eq!(user["status"], "SUSPENDED");
    let requests: serde_json::Value = get_json(&control, &format!("{url}/__double/requests")).await;
    let statuses: Vec<u64> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 403]);

    let bucket = control
        .put(format!("{url}/__double/buckets/users_read"))
        .json(&json!({"limit": 1, "windowSecs": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(bucket.status(), 204);
    assert_eq!(api.get("/api/v1/users/00u1").await.status, 200);
    assert_eq!(api.get("/api/v1/users/00u1").await.status, 429);
    let advanced = control
        .post(format!("{url}/__double/clock/advance"))
        .json(&json!({"secs": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 204);
    assert_eq!(api.get("/api/v1/users/00u1").await.status, 200);

    let reset = control
        .post(format!("{url}/__double/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    let state: serde_json::Value = get_json(&control, &format!("{url}/__double/state")).await;
    assert_eq!(state, json!({"users": [], "groups": [], "memberships": []}));
}
