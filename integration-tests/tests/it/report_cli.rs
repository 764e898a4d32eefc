//! `okta-hooks report` through the built binary against the Okta double: users by status
//! and sign-in, apps (assigned, signed in, unused), sign-ins per day and risky activity,
//! as JSON, table and CSV; bad `--since` and a credential without log access refused
//! before any user is read; a run stopped by Okta errors resumes from its checkpoint
//! and ends with the numbers of an uninterrupted run.

use std::path::PathBuf;

use integration_tests::{Ran, okta_hooks_async, okta_hooks_command};
use okta_double::{
    App, AppUser, BucketName, DEFAULT_LIMIT, DEFAULT_WINDOW, Factor, Fault, OktaDouble, Running,
    Status, User,
};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, Time};

/// The window: from midnight UTC three days ago to now (four days, the last partial).
pub(crate) struct Days {
    /// `--since`, RFC 3339.
    pub since: String,
    /// The dates of the window, oldest first (`YYYY-MM-DD`).
    pub dates: Vec<String>,
}

impl Days {
    pub(crate) fn new() -> Days {
        let start = OffsetDateTime::now_utc().replace_time(Time::MIDNIGHT) - Duration::days(3);
        Days {
            since: start.format(&Rfc3339).unwrap(),
            dates: (0..4)
                .map(|d| (start + Duration::days(d)).date().to_string())
                .collect(),
        }
    }

    /// `hour` o'clock on the `day`-th date of the window.
    pub(crate) fn at(&self, day: usize, hour: u8) -> String {
        format!("{}T{hour:02}:00:00.000Z", self.dates[day])
    }
}

fn user(id: &str, status: Status, created: Option<&str>, last_login: Option<&str>) -> User {
    let mut u = User::new(id, format!("{}@example.com", id.to_lowercase()), status);
    u.created = created.map(str::to_owned);
    u.last_login = last_login.map(str::to_owned);
    u
}

fn event(uuid: &str, kind: &str, actor: &str, published: &str, targets: &Value) -> Value {
    json!({
        "uuid": uuid,
        "published": published,
        "eventType": kind,
        "version": "0",
        "severity": "INFO",
        "actor": {"id": actor, "type": "User", "alternateId": format!("{}@example.com", actor.to_lowercase())},
        "outcome": {"result": "SUCCESS"},
        "target": targets
    })
}

fn sso(uuid: &str, actor: &str, app: &str, published: &str) -> Value {
    event(
        uuid,
        "user.authentication.sso",
        actor,
        published,
        &json!([{"id": app, "type": "AppInstance", "displayName": app}]),
    )
}

/// The label a hostile admin could give an app: it must come out as text.
pub(crate) const HOSTILE: &str = "<script>alert(1)</script>";

/// An org of eight users (four ACTIVE), three apps and a few days of log:
/// - 0oaEVIL (the hostile label): 00uA3 assigned, never signed in to it;
/// - 0oaSF Salesforce: A1, A2, A3 and the suspended S assigned; A1 and A2 sign in
///   (3 sign-ins), A3 is unused (S is suspended: not counted unused);
/// - 0oaZM Zoom: A1 and A4 assigned; A1 signs in once; A4 is unused.
///
/// Sign-ins per day: 1, 2, 1, 0 (today). Risk: a lockout, a suspicious-activity report,
/// an admin grant, an MFA reset. Factors: A1 push, A3 totp (active), A2 sms (pending).
pub(crate) fn seed(okta: &OktaDouble, days: &Days) {
    let long_ago = "2026-01-01T00:00:00.000Z";
    okta.add_user(user(
        "00uA1",
        Status::Active,
        Some(long_ago),
        Some(&days.at(2, 9)),
    ));
    okta.add_user(user(
        "00uA2",
        Status::Active,
        Some(&days.at(0, 8)),
        Some(&days.at(1, 9)),
    ));
    okta.add_user(user(
        "00uA3",
        Status::Active,
        Some(long_ago),
        Some("2026-06-01T00:00:00.000Z"),
    ));
    okta.add_user(user("00uA4", Status::Active, Some(long_ago), None));
    okta.add_user(user("00uS", Status::Suspended, Some(long_ago), None));
    okta.add_user(user(
        "00uL",
        Status::LockedOut,
        Some(long_ago),
        Some(&days.at(0, 7)),
    ));
    okta.add_user(user("00uD", Status::Deprovisioned, Some(long_ago), None));
    okta.add_user(user("00uT", Status::Staged, Some(long_ago), None).password(false));
    okta.add_app(App::new("0oaEVIL", HOSTILE).sign_on_mode("BOOKMARK"));
    okta.add_app(App::new("0oaSF", "Salesforce"));
    okta.add_app(App::new("0oaZM", "Zoom").sign_on_mode("OPENID_CONNECT"));
    okta.assign(AppUser::new("0oaEVIL", "00uA3"));
    for u in ["00uA1", "00uA2", "00uA3", "00uS"] {
        okta.assign(AppUser::new("0oaSF", u));
    }
    okta.assign(AppUser::new("0oaZM", "00uA1"));
    okta.assign(AppUser::new("0oaZM", "00uA4"));
    okta.add_factor(Factor::active("00uA1", "push"));
    okta.add_factor(Factor::active("00uA3", "token:software:totp"));
    let mut pending = Factor::active("00uA2", "sms");
    pending.status = "PENDING_ACTIVATION".to_owned();
    okta.add_factor(pending);

    okta.log_event(sso("sso-1", "00uA1", "0oaSF", &days.at(0, 10)));
    okta.log_event(sso("sso-2", "00uA1", "0oaSF", &days.at(1, 10)));
    okta.log_event(sso("sso-3", "00uA2", "0oaSF", &days.at(1, 11)));
    okta.log_event(sso("sso-4", "00uA1", "0oaZM", &days.at(2, 10)));
    let mut failed = sso("sso-5", "00uA4", "0oaZM", &days.at(2, 11));
    failed["outcome"]["result"] = json!("FAILURE");
    okta.log_event(failed);
    let user_target = |id: &str| json!([{"id": id, "type": "User", "alternateId": format!("{}@example.com", id.to_lowercase())}]);
    okta.log_event(event(
        "lock-1",
        "user.account.lock",
        "00uL",
        &days.at(0, 7),
        &user_target("00uL"),
    ));
    okta.log_event(event(
        "report-1",
        "user.account.report_suspicious_activity_by_enduser",
        "00uA2",
        &days.at(1, 12),
        &user_target("00uA2"),
    ));
    okta.log_event(event(
        "grant-1",
        "user.account.privilege.grant",
        "00uADMIN",
        &days.at(2, 12),
        &user_target("00uA1"),
    ));
    okta.log_event(event(
        "reset-1",
        "user.mfa.factor.reset_all",
        "00uADMIN",
        &days.at(2, 13),
        &user_target("00uA4"),
    ));
    // Not a type the report reads, and before the window: neither is counted.
    okta.log_event(event(
        "other",
        "user.session.start",
        "00uA1",
        &days.at(1, 9),
        &json!([]),
    ));
    okta.log_event(sso("before", "00uA1", "0oaSF", "2026-01-02T00:00:00.000Z"));
}

/// A directory of its own for checkpoints and outputs, removed when dropped.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "okta-hooks-report-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn env(okta: &Running, state: &TempDir) -> Vec<(&'static str, String)> {
    vec![
        ("OKTA_ORG_URL", okta.base_url()),
        ("OKTA_API_TOKEN", OktaDouble::DEFAULT_TOKEN.to_owned()),
        ("OKTA_HOOKS_STATE_DIR", state.path().to_owned()),
    ]
}

pub(crate) async fn report(args: &[&str], env: &[(&str, String)]) -> Ran {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    okta_hooks_async(&all, env).await
}

/// The numbers of a JSON report (not when it was written, nor how it was read).
fn numbers(report: &Value) -> Value {
    json!({
        "users": report["users"],
        "mfa": report["mfa"],
        "apps": report["apps"],
        "signins_per_day": report["signins_per_day"],
        "risk": report["risk"],
    })
}

#[tokio::test]
async fn report_json_counts_users_apps_days_and_risk_of_the_org_and_writes_nothing() {
    let okta = OktaDouble::start().await;
    let days = Days::new();
    seed(&okta, &days);
    let before = okta.snapshot();
    let state = TempDir::new("json");

    let ran = report(
        &["--since", &days.since, "--format", "json"],
        &env(&okta, &state),
    )
    .await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    let r: Value = serde_json::from_str(&ran.stdout).expect("one JSON document");
    assert_eq!(
        r["users"]["by_status"],
        json!({"ACTIVE": 4, "STAGED": 1, "PROVISIONED": 0, "RECOVERY": 0,
               "PASSWORD_EXPIRED": 0, "LOCKED_OUT": 1, "SUSPENDED": 1, "DEPROVISIONED": 1})
    );
    let u = &r["users"];
    assert_eq!(u["total"], 8);
    assert_eq!(u["created_in_window"], 1, "{u}");
    assert_eq!(u["signed_in_in_window"], 3, "{u}");
    assert_eq!(u["never_signed_in"], 3, "{u}");
    assert_eq!(u["idle"], 1, "{u}");
    let apps: Vec<Value> = r["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            json!([
                a["id"],
                a["assigned"],
                a["signed_in"],
                a["unused"],
                a["signins"]
            ])
        })
        .collect();
    // Most unused first, then by label.
    assert_eq!(
        apps,
        [
            json!(["0oaEVIL", 1, 0, 1, 0]),
            json!(["0oaSF", 4, 2, 1, 3]),
            json!(["0oaZM", 2, 1, 1, 1]),
        ]
    );
    assert_eq!(r["apps"][1]["unused_users"], json!(["00ua3@example.com"]));
    assert_eq!(r["apps"][2]["unused_users"], json!(["00ua4@example.com"]));
    let per_day: Vec<(String, u64)> = days
        .dates
        .iter()
        .map(|d| (d.clone(), r["signins_per_day"][d].as_u64().unwrap()))
        .collect();
    assert_eq!(
        per_day.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [1, 2, 1, 0],
        "{per_day:?}"
    );
    assert_eq!(r["signins_per_day"].as_object().unwrap().len(), 4);
    let k = &r["risk"];
    for (field, n) in [
        ("lockouts", 1),
        ("locked_users", 1),
        ("suspicious_reports", 1),
        ("admin_grants", 1),
        ("mfa_resets", 1),
        ("admin_revokes", 0),
    ] {
        assert_eq!(k[field], n, "{field}: {k}");
    }
    // Every ACTIVE user fits the default sample of 200: counted, not estimated.
    let m = &r["mfa"];
    assert_eq!(
        (
            m["population"].as_u64(),
            m["sampled"].as_u64(),
            m["enrolled"].as_u64()
        ),
        (Some(4), Some(4), Some(2)),
        "{m}"
    );
    assert_eq!(m["ci_low"], Value::Null);
    assert_eq!(
        m["by_factor_type"],
        json!({"push": 1, "token:software:totp": 1})
    );
    assert_eq!(r["source"]["events"], 9, "{}", r["source"]);

    // Reads only, and the checkpoint is gone once the report is out.
    assert_eq!(okta.snapshot(), before);
    assert!(okta.requests().iter().all(|q| q.method == "GET"));
    assert!(
        std::fs::read_dir(state.0.join("okta-hooks"))
            .unwrap()
            .next()
            .is_none(),
        "checkpoint left behind"
    );
    assert!(!ran.all().contains(OktaDouble::DEFAULT_TOKEN));
}

#[tokio::test]
async fn report_table_and_csv_show_the_same_numbers_for_people_and_machines() {
    let okta = OktaDouble::start().await;
    let days = Days::new();
    seed(&okta, &days);
    let state = TempDir::new("table");

    let ran = report(&["--since", &days.since], &env(&okta, &state)).await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    let t = &ran.stdout;
    for needle in [
        "Users: 8 in all",
        "  ACTIVE                                4\n",
        "  DEPROVISIONED                         1\n",
        "Applications: 3 (most unused first)",
        "  Salesforce                 0oaSF    ACTIVE  4         2          1       3\n",
        &format!("  {}  1\n", days.dates[0]),
        "Sign-ins per day (UTC): 4 in all",
        "  admin grants                 1\n",
        "2 of all 4 ACTIVE users have an active factor (50.0 %)",
    ] {
        assert!(t.contains(needle), "{needle:?} not in\n{t}");
    }

    let ran = report(
        &["--since", &days.since, "--format", "csv"],
        &env(&okta, &state),
    )
    .await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines[0], "section,id,label,metric,value");
    for row in [
        "users,,ACTIVE,count,4",
        "users,,LOCKED_OUT,count,1",
        "app,0oaSF,Salesforce,unused,1",
        "app,0oaZM,Zoom,signins,1",
        &format!("day,{},,signins,2", days.dates[1]),
        "risk,,,lockouts,1",
    ] {
        assert!(lines.contains(&row), "{row:?} not in\n{}", ran.stdout);
    }
}

#[tokio::test]
async fn a_since_in_the_future_or_beyond_90_days_is_refused_before_any_call() {
    let okta = OktaDouble::start().await;
    let state = TempDir::new("since");
    let future = (OffsetDateTime::now_utc() + Duration::days(1))
        .replace_time(Time::MIDNIGHT)
        .format(&Rfc3339)
        .unwrap();
    for (since, says) in [
        (future.as_str(), "is in the future"),
        ("91d", "longer than 90 days"),
        ("yesterday", "neither a duration"),
    ] {
        let ran = report(&["--since", since], &env(&okta, &state)).await;
        assert_eq!(ran.code, Some(2), "{since}: {}", ran.all());
        assert!(ran.stderr.contains(says), "{since}: {}", ran.stderr);
    }
    let ran = report(&["--format", "html"], &env(&okta, &state)).await;
    assert_eq!(ran.code, Some(2), "{}", ran.all());
    assert!(ran.stderr.contains("--out"), "{}", ran.stderr);
    assert!(okta.requests().is_empty());
}

#[tokio::test]
async fn a_credential_without_log_access_fails_naming_the_scope_before_reading_users() {
    let okta = OktaDouble::start().await;
    let days = Days::new();
    seed(&okta, &days);
    okta.fault(Fault::okta_error(
        "GET",
        "/api/v1/logs",
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    ));
    let state = TempDir::new("403");
    let ran = report(&["--since", &days.since], &env(&okta, &state)).await;
    assert_eq!(ran.code, Some(1), "{}", ran.all());
    assert!(
        ran.stderr.contains("cannot read the System Log")
            && ran.stderr.contains("403 E0000006")
            && ran.stderr.contains("okta.logs.read"),
        "{}",
        ran.stderr
    );
    assert_eq!(okta.request_count("GET", "/api/v1/users"), 0);
    assert_eq!(okta.request_count("GET", "/api/v1/logs"), 1);

    // A credential that reads users and logs but not apps: refused at the app list,
    // naming okta.apps.read.
    okta.clear_faults();
    okta.fault(Fault::okta_error(
        "GET",
        "/api/v1/apps",
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    ));
    let ran = report(&["--since", &days.since], &env(&okta, &state)).await;
    assert_eq!(ran.code, Some(1), "{}", ran.all());
    assert!(
        ran.stderr.contains("cannot read the apps") && ran.stderr.contains("okta.apps.read"),
        "{}",
        ran.stderr
    );
}

#[tokio::test]
async fn a_run_stopped_by_okta_errors_resumes_where_it_stopped_with_the_same_numbers() {
    let okta = OktaDouble::start().await;
    let days = Days::new();
    seed(&okta, &days);
    let args = ["--since", days.since.as_str(), "--format", "json"];

    let whole = TempDir::new("whole");
    let ran = report(&args, &env(&okta, &whole)).await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    let uninterrupted: Value = serde_json::from_str(&ran.stdout).unwrap();

    // Zoom's users (the last app) fail on every attempt the client makes.
    let state = TempDir::new("resume");
    okta.fault(Fault::status("GET", "/api/v1/apps/0oaZM/users", 500).times(3));
    let ran = report(&args, &env(&okta, &state)).await;
    assert_eq!(ran.code, Some(1), "{}", ran.all());
    assert!(ran.stdout.is_empty(), "{}", ran.all());
    assert!(
        ran.stderr.contains("stopped in phase 4/6 (app_users)"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("run the same command"),
        "{}",
        ran.stderr
    );
    let checkpoints: Vec<_> = std::fs::read_dir(state.0.join("okta-hooks"))
        .unwrap()
        .collect();
    assert_eq!(checkpoints.len(), 1);

    // Two lists (the plain one and the DEPROVISIONED search) per run that got past
    // them; factor calls (/api/v1/users/{id}/factors) are not lists.
    let user_lists = || {
        okta.requests()
            .iter()
            .filter(|q| q.path == "/api/v1/users")
            .count()
    };
    assert_eq!(user_lists(), 4, "two per run, two runs");
    let users = user_lists();
    let salesforce = okta.request_count("GET", "/api/v1/apps/0oaSF/users");
    let ran = report(&args, &env(&okta, &state)).await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    assert!(
        ran.stderr.contains("resuming the report of"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("app 3 of 3"), "{}", ran.stderr);
    // Nothing before the cursor is read again.
    assert_eq!(user_lists(), users);
    assert_eq!(
        okta.request_count("GET", "/api/v1/apps/0oaSF/users"),
        salesforce
    );
    let resumed: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(numbers(&resumed), numbers(&uninterrupted));
    assert!(
        std::fs::read_dir(state.0.join("okta-hooks"))
            .unwrap()
            .next()
            .is_none(),
        "checkpoint left behind"
    );
}

#[tokio::test]
async fn ctrl_c_keeps_what_was_counted_and_the_same_command_resumes_after_it() {
    let okta = OktaDouble::start().await;
    let days = Days::new();
    seed(&okta, &days);
    let state = TempDir::new("sigint");
    let args = ["report", "--since", days.since.as_str(), "--format", "json"];
    // One apps call a minute: after the app list the report waits for the bucket to
    // reset before the first app's users — it is there when the signal comes.
    okta.set_rate_limit(BucketName::Apps, 1, std::time::Duration::from_secs(60));
    let child = okta_hooks_command(&args, &env(&okta, &state))
        .spawn()
        .expect("okta-hooks starts");
    let app_lists = || {
        okta.requests()
            .iter()
            .filter(|q| q.path == "/api/v1/apps")
            .count()
    };
    // Waits for the app list to be read (a condition, not a duration; bounded so a
    // broken build fails instead of hanging).
    for _ in 0..600 {
        if app_lists() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app_lists(), 1, "the report never read the app list");
    let pid = child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let output = child.wait_with_output().await.expect("okta-hooks ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        stderr.contains("interrupted: run the same command to resume")
            && stderr.contains("stopped in phase 4/6 (app_users)"),
        "{stderr}"
    );

    okta.set_rate_limit(BucketName::Apps, DEFAULT_LIMIT, DEFAULT_WINDOW);
    let ran = report(&args[1..], &env(&okta, &state)).await;
    assert_eq!(ran.code, Some(0), "{}", ran.all());
    assert!(ran.stderr.contains("app 1 of 3"), "{}", ran.stderr);
    assert_eq!(app_lists(), 1, "the app list is not read again");
    let r: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(r["apps"][1]["id"], "0oaSF");
    assert_eq!(r["apps"][1]["assigned"], 4);
    assert_eq!(r["users"]["total"], 8);
}
