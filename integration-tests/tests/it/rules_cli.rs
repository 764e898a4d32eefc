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
