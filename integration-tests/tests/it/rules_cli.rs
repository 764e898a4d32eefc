//! `okta-hooks rules check|test` and `actions`, and the plans `okta-hooks dev` prints.

use integration_tests::{okta_hooks, reference_event};

#[test]
fn the_shipped_rules_check_clean() {
    let (ok, out) = okta_hooks(&["rules", "check", "rules"]);
    assert!(ok, "{out}");
    assert!(out.contains(": ok"), "{out}");
}

#[test]
fn a_broken_rule_is_reported_with_file_and_line() {
    let dir = std::env::temp_dir().join(format!("okta-hooks-rules-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("bad.yaml"),
        "rules:\n  - id: bad\n    on: [user.acount.lock]\n    if: event.uuid ==\n    do:\n      - action: user.suspend\n",
    )
    .unwrap();
    let (ok, out) = okta_hooks(&["rules", "check", dir.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!ok);
    assert!(
        out.contains("bad.yaml:3:"),
        "unknown event type on line 3: {out}"
    );
    assert!(out.contains("user.acount.lock"), "{out}");
    assert!(
        out.contains("bad.yaml:4:"),
        "CEL that does not compile on line 4: {out}"
    );
    assert!(
        out.contains("bad.yaml:6:"),
        "missing `user` parameter on line 6: {out}"
    );
}

#[test]
fn rules_test_prints_the_plan_of_a_real_event() {
    let event = reference_event("user.account.report_suspicious_activity_by_enduser.json");
    let (ok, out) = okta_hooks(&["rules", "test", &event]);
    assert!(ok, "{out}");
    assert!(
        out.contains("rule lock-down-on-suspicious-activity (would run)"),
        "{out}"
    );
    assert!(
        out.contains(r#"1. user.suspend [users] {"user":"01234"}"#),
        "{out}"
    );
    assert!(out.contains("2. user.sessions.clear"), "{out}");

    let (ok, out) = okta_hooks(&["rules", "test", &reference_event("user.session.start.json")]);
    assert!(ok, "{out}");
    assert!(out.contains("no rule matches"), "{out}");
}

#[test]
fn actions_list_and_show() {
    let (ok, out) = okta_hooks(&["actions", "list"]);
    assert!(ok);
    assert!(
        out.contains("user.suspend")
            && out.contains("notify.webhook")
            && out.contains("group.add_user")
    );
    let (ok, out) = okta_hooks(&["actions", "show", "user.sessions.clear"]);
    assert!(ok, "{out}");
    assert!(out.contains("oauth_tokens"), "{out}");
    let (ok, out) = okta_hooks(&["actions", "show", "user.explode"]);
    assert!(!ok);
    assert!(out.contains("actions list"), "{out}");
}

/// A directory of this test's own with `files` written in it.
fn rules_dir(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("okta-hooks-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

const THRESHOLD_RULE: &str = r#"rules:
  - id: brute
    on: [user.session.start]
    if: outcome.result == "FAILURE"
    threshold: {count: 3, within: 10m, by: actor.id}
    do:
      - action: user.suspend
        user: ${ actor.id }
    tests:
      - name: three failures suspend the user
        events:
          - {eventType: user.session.start, uuid: a, published: "2026-11-30T10:00:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: b, published: "2026-11-30T10:01:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
          - {eventType: user.session.start, uuid: c, published: "2026-11-30T10:02:00Z", actor: {id: 00u1}, outcome: {result: FAILURE}}
        expect:
          - action: user.suspend
            user: 00u1
      - name: a success does not count
        event: {eventType: user.session.start, uuid: d, published: "2026-11-30T10:02:00Z", actor: {id: 00u1}, outcome: {result: SUCCESS}}
        expect: none
"#;

#[test]
fn rules_check_runs_the_tests_in_rule_files_and_fails_on_a_wrong_expectation_with_file_and_line() {
    let dir = rules_dir("rule-tests-pass", &[("brute.yaml", THRESHOLD_RULE)]);
    let (ok, out) = okta_hooks(&["rules", "check", dir.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(
        out.contains("1 rule(s) on 1 event type(s), 0 warning(s), 2 test(s) passed: ok"),
        "{out}"
    );

    let wrong = THRESHOLD_RULE.replace("            user: 00u1", "            user: 00u2");
    let bad = rules_dir("rule-tests-fail", &[("brute.yaml", &wrong)]);
    let (ok, out) = okta_hooks(&["rules", "check", bad.to_str().unwrap()]);
    let file = bad.join("brute.yaml");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&bad);
    assert!(!ok, "a failing test fails the command: {out}");
    assert!(
        out.contains(&format!(
            "{}:15: test \"three failures suspend the user\": expected step 1 (user.suspend) user = \"00u2\", got \"00u1\"",
            file.display()
        )),
        "{out}"
    );
    assert!(out.contains("1 of 2 rule test(s) failed"), "{out}");
}

#[test]
fn rules_test_counts_a_sequence_of_events_through_a_threshold() {
    let events = serde_json::json!([
        {"eventType": "user.session.start", "uuid": "a", "published": "2026-11-30T10:00:00Z", "actor": {"id": "00u1"}, "outcome": {"result": "FAILURE"}},
        {"eventType": "user.session.start", "uuid": "a", "published": "2026-11-30T10:00:00Z", "actor": {"id": "00u1"}, "outcome": {"result": "FAILURE"}},
        {"eventType": "user.session.start", "uuid": "b", "published": "2026-11-30T10:04:00Z", "actor": {"id": "00u1"}, "outcome": {"result": "FAILURE"}},
        {"eventType": "user.session.start", "uuid": "c", "published": "2026-11-30T10:09:00Z", "actor": {"id": "00u1"}, "outcome": {"result": "FAILURE"}},
    ]);
    let dir = rules_dir(
        "rule-sequence",
        &[
            ("brute.yaml", THRESHOLD_RULE),
            ("events.json", &events.to_string()),
        ],
    );
    let (ok, out) = okta_hooks(&[
        "rules",
        "test",
        dir.join("events.json").to_str().unwrap(),
        "--rules",
        dir.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "{out}");
    let expected = [
        "event user.session.start a",
        "  rule brute (matches; threshold: 1 of 3 so far)",
        "event user.session.start a",
        "  duplicate: already routed",
        "event user.session.start b",
        "  rule brute (matches; threshold: 2 of 3 so far)",
        "event user.session.start c",
        "  rule brute (would run)",
        r#"    1. user.suspend [users] {"user":"00u1"}"#,
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, expected, "{out}");
}
