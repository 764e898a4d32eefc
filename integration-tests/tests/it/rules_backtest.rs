//! `okta-hooks rules backtest` through the built binary against the Okta double's System
//! Log: the window read in pages within the log bucket's rate limit, a threshold rule
//! firing once for its five events, the per-rule table and JSON, and nothing written to
//! the org.

use std::path::PathBuf;
use std::time::Duration;

use integration_tests::okta_hooks_async as run;
use okta_double::{BucketName, DEFAULT_LIMIT, DEFAULT_WINDOW, OktaDouble, User};
use serde_json::{Value, json};

const SINCE: &str = "2026-11-01T00:00:00Z";
const UNTIL: &str = "2026-11-08T00:00:00Z";

/// The rules under test, written for this test (not the shipped `rules/`).
const RULES: &str = r#"
rules:
  - id: brute-force
    on: [user.session.start]
    if: outcome.result == "FAILURE"
    threshold: {count: 5, within: 10m, by: 'actor.id'}
    do:
      - action: user.suspend
        user: ${ actor.id }
      - action: user.sessions.clear
        user: ${ actor.id }
  - id: locked-out
    on: [user.account.lock]
    dry_run: true
    do:
      - action: user.sessions.clear
        user: ${ actor.id }
  - id: deactivated-cleanup
    on: [user.lifecycle.deactivate]
    if: user != null
    enrich: [groups]
    do:
      - action: user.sessions.clear
        user: ${ target("User").id }
protected:
  users: [breakglass@example.com]
"#;

/// A rules directory of its own, removed when dropped.
struct RulesDir(PathBuf);

impl RulesDir {
    fn new(text: &str) -> RulesDir {
        let dir = std::env::temp_dir().join(format!(
            "okta-hooks-backtest-{}-{}",
            std::process::id(),
            uuid_like()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("rules.yaml"), text).unwrap();
        RulesDir(dir)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for RulesDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn sign_in(uuid: &str, actor: &str, login: &str, published: &str, result: &str) -> Value {
    json!({
        "uuid": uuid,
        "published": published,
        "eventType": "user.session.start",
        "version": "0",
        "severity": "INFO",
        "actor": {"id": actor, "type": "User", "alternateId": login},
        "outcome": {"result": result},
        "target": []
    })
}

fn okta_env(okta: &OktaDouble) -> Vec<(&'static str, String)> {
    vec![
        ("OKTA_ORG_URL", okta.base_url().unwrap()),
        ("OKTA_API_TOKEN", OktaDouble::DEFAULT_TOKEN.to_owned()),
    ]
}

#[tokio::test]
async fn backtest_reads_the_window_in_paced_pages_fires_the_threshold_once_and_writes_nothing() {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00uBRUTE", "brute@example.com"));
    okta.add_user(User::active("00uSLOW", "slow@example.com"));
    okta.add_user(User::active("00uBREAK", "breakglass@example.com"));
    // Five failures within ten minutes: the threshold fires once (on the fifth).
    for i in 0..5 {
        okta.log_event(sign_in(
            &format!("brute-{i}"),
            "00uBRUTE",
            "brute@example.com",
            &format!("2026-11-02T10:0{i}:00.000Z"),
            "FAILURE",
        ));
    }
    // Four failures spread over an hour: never five within ten minutes.
    for i in 0..4 {
        okta.log_event(sign_in(
            &format!("slow-{i}"),
            "00uSLOW",
            "slow@example.com",
            &format!("2026-11-03T1{i}:00:00.000Z"),
            "FAILURE",
        ));
    }
    // Five failures of a protected user (by login): a plan, refused.
    for i in 0..5 {
        okta.log_event(sign_in(
            &format!("break-{i}"),
            "00uBREAK",
            "breakglass@example.com",
            &format!("2026-11-04T08:0{i}:00.000Z"),
            "FAILURE",
        ));
    }
    // A thousand successful sign-ins: a second page of the window.
    for i in 0..1000 {
        okta.log_event(sign_in(
            &format!("ok-{i:04}"),
            "00uSLOW",
            "slow@example.com",
            &format!("2026-11-05T{:02}:{:02}:00.000Z", i / 60 % 24, i % 60),
            "SUCCESS",
        ));
    }
    // Outside the window, and of a type no rule handles: never read.
    okta.log_event(sign_in(
        "before",
        "00uBRUTE",
        "brute@example.com",
        "2026-10-31T23:59:59.000Z",
        "FAILURE",
    ));
    okta.log_event(json!({
        "uuid": "other-type",
        "published": "2026-11-02T10:00:30.000Z",
        "eventType": "user.lifecycle.create",
        "actor": {"id": "00uADMIN", "type": "User"},
        "target": [{"id": "00uBRUTE", "type": "User"}]
    }));
    // One call a second on the log bucket: the reader must wait, not be refused.
    okta.set_rate_limit(BucketName::Logs, 1, Duration::from_secs(1));
    let before = okta.snapshot();

    let rules = RulesDir::new(RULES);
    let args = |format: &'static str| {
        vec![
            "rules",
            "backtest",
            "--since",
            SINCE,
            "--until",
            UNTIL,
            "--rules",
            rules.path(),
            "--format",
            format,
        ]
    };
    let ran = run(&args("table"), &okta_env(&okta)).await;
    let out = ran.all();
    assert_eq!(ran.code, Some(0), "{out}");
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "backtest of org default from {SINCE} to {UNTIL}: 1014 event(s) in 2 page(s), of \
             the 3 type(s) 3 rule(s) handle"
        ),
        "{out}"
    );
    assert_eq!(
        &lines[1..5],
        [
            "rule                 matched  plans  users  refused  errors",
            "brute-force               14      2      1        1       0",
            "locked-out                 0      0      0        0       0  dry run",
            "deactivated-cleanup        0      0      0        0       0  enriches: see note",
        ],
        "{out}"
    );
    assert!(
        ran.stdout.contains(
            "note: rule deactivated-cleanup enriches (groups): a backtest looks no user up"
        ),
        "{out}"
    );
    assert!(
        ran.stdout.contains(
            "sample plans of brute-force (2 of 2):\n  event brute-4 published \
             2026-11-02T10:04:00.000Z\n    1. user.suspend {\"user\":\"00uBRUTE\"}\n    2. \
             user.sessions.clear"
        ),
        "{out}"
    );
    assert!(
        ran.stdout.contains(
            "  event break-4 published 2026-11-04T08:04:00.000Z  refused: rule brute-force"
        ),
        "{out}"
    );
    // Not a terminal: no progress line.
    assert!(!ran.stderr.contains("event(s) read"), "{out}");
    assert!(!out.contains(OktaDouble::DEFAULT_TOKEN), "{out}");
    // The next runs start with no answer to pace by: give the bucket room again.
    okta.set_rate_limit(BucketName::Logs, DEFAULT_LIMIT, DEFAULT_WINDOW);

    let ran = run(&args("json"), &okta_env(&okta)).await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    let report: Value = serde_json::from_str(&ran.stdout).expect("one JSON document");
    assert_eq!(report["source"]["pages"], 2);
    assert_eq!(report["events"]["read"], 1014);
    assert_eq!(report["events"]["duplicates"], 0);
    let brute = &report["rules"][0];
    assert_eq!(brute["rule"], "brute-force");
    for (field, n) in [
        ("matched", 14),
        ("plans", 2),
        ("users", 1),
        ("refused", 1),
        ("errors", 0),
    ] {
        assert_eq!(brute[field], n, "{field}: {report}");
    }
    assert_eq!(brute["samples"][0]["event"], "brute-4");
    assert_eq!(
        brute["samples"][0]["steps"][0],
        json!({"action": "user.suspend", "params": {"user": "00uBRUTE"}})
    );
    assert_eq!(report["rules"][1]["dry_run"], true);

    let ran = run(&args("csv"), &okta_env(&okta)).await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    assert_eq!(
        ran.stdout,
        "rule,matched,plans,users,refused,errors\nbrute-force,14,2,1,1,0\nlocked-out,0,0,0,0,0\n\
         deactivated-cleanup,0,0,0,0,0\n"
    );

    // Nothing was written: the org is as it was, and every call was a log read that the
    // pacing kept within the bucket (no 429).
    assert_eq!(okta.snapshot(), before);
    assert!(okta.changes().is_empty(), "{:?}", okta.changes());
    let requests = okta.requests();
    assert_eq!(requests.len(), 6, "two pages, three runs: {requests:?}");
    for r in &requests {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("GET", "/api/v1/logs")
        );
        assert_eq!(r.status, 200, "{r:?}");
    }
    assert_eq!(okta.status("00uBRUTE"), Some("ACTIVE"));
}

#[tokio::test]
async fn backtest_refuses_a_window_over_90_days_before_any_call() {
    let okta = OktaDouble::start().await;
    let rules = RulesDir::new(RULES);
    let ran = run(
        &[
            "rules",
            "backtest",
            "--since",
            "2026-08-01T00:00:00Z",
            "--until",
            "2026-11-08T00:00:00Z",
            "--rules",
            rules.path(),
        ],
        &okta_env(&okta),
    )
    .await;
    assert_eq!(ran.code, Some(1), "{}", ran.all());
    assert!(ran.stderr.contains("longer than 90 days"), "{}", ran.all());
    assert!(okta.requests().is_empty());
}
