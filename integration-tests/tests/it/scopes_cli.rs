//! `okta-hooks scopes`: the Okta rights each function needs, from the built binary, for
//! the shipped `rules/` and for a rules folder whose actions the test chooses.

use std::path::PathBuf;
use std::process::Command;

use integration_tests::{okta_hooks, workspace_binary, workspace_root};
use serde_json::{Value, json};

/// `okta-hooks scopes --format json ARGS`, its stdout parsed (stderr only in a failure).
fn scopes_json(args: &[&str]) -> Value {
    let output = Command::new(workspace_binary("okta-hooks"))
        .args(["scopes", "--format", "json"])
        .args(args)
        .env_remove("OKTA_HOOKS_RULES_DIR")
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The entry of `list` whose `key` is `name`.
fn entry<'a>(json: &'a Value, list: &str, key: &str, name: &str) -> &'a Value {
    json[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e[key] == name)
        .unwrap_or_else(|| panic!("no {list} entry {name}: {json:#}"))
}

/// (secret, scopes, admin roles) of a function.
fn function(json: &Value, name: &str) -> (Value, Value, Value) {
    let f = entry(json, "functions", "function", name);
    (
        f["secret"].clone(),
        f["scopes"].clone(),
        f["admin_roles"].clone(),
    )
}

/// (scopes, admin roles) of a credential.
fn credential(json: &Value, secret: &str) -> (Value, Value) {
    let c = entry(json, "credentials", "secret", secret);
    (c["scopes"].clone(), c["admin_roles"].clone())
}

fn names(json: &Value, list: &str, key: &str) -> Vec<String> {
    json[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[key].as_str().unwrap().to_owned())
        .collect()
}

/// A fresh folder under the temp dir, removed on drop.
struct TempRules(PathBuf);

impl TempRules {
    fn new(tag: &str, files: &[(&str, &str)]) -> TempRules {
        let dir =
            std::env::temp_dir().join(format!("okta-hooks-scopes-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        TempRules(dir)
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempRules {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_shipped_rules_need_read_only_reads_and_three_narrow_executor_roles() {
    let json = scopes_json(&["--rules", "rules"]);
    assert_eq!(
        names(&json, "functions", "function"),
        [
            "hook-verify",
            "hook-ingest",
            "event-router",
            "log-poller",
            "executor-users",
            "executor-sessions",
            "executor-groups",
            "executor-notify"
        ]
    );
    for internet_facing in ["hook-verify", "hook-ingest"] {
        assert_eq!(
            function(&json, internet_facing),
            (json!(null), json!([]), json!([]))
        );
        assert_eq!(
            entry(&json, "functions", "function", internet_facing)["calls_okta"],
            false
        );
    }
    // Enrichment (user, groups) reads /users/{id} and /users/{id}/groups: okta.users.read.
    assert_eq!(
        function(&json, "event-router"),
        (
            json!("okta-read"),
            json!(["okta.users.read"]),
            json!(["READ_ONLY_ADMIN"])
        )
    );
    assert_eq!(
        function(&json, "log-poller"),
        (
            json!("okta-read"),
            json!(["okta.logs.read"]),
            json!(["REPORT_ADMIN"])
        )
    );
    assert_eq!(
        function(&json, "executor-users"),
        (
            json!("okta-users"),
            json!(["okta.users.manage"]),
            json!(["USER_ADMIN"])
        )
    );
    assert_eq!(
        function(&json, "executor-sessions"),
        (
            json!("okta-sessions"),
            json!(["okta.users.manage"]),
            json!(["HELP_DESK_ADMIN"])
        )
    );
    assert_eq!(
        function(&json, "executor-groups"),
        (
            json!("okta-groups"),
            json!(["okta.groups.manage"]),
            json!(["GROUP_MEMBERSHIP_ADMIN"])
        )
    );
    let groups = entry(&json, "functions", "function", "executor-groups");
    assert_eq!(
        groups["actions"],
        json!(["group.add_user", "group.remove_user"])
    );
    assert_eq!(groups["fallback_secret"], "okta");
    assert_eq!(
        function(&json, "executor-notify"),
        (json!(null), json!([]), json!([]))
    );
    assert_eq!(
        entry(&json, "functions", "function", "executor-notify")["calls_okta"],
        false
    );

    assert_eq!(
        names(&json, "credentials", "secret"),
        [
            "okta-read",
            "okta-users",
            "okta-sessions",
            "okta-groups",
            "okta"
        ]
    );
    // READ_ONLY_ADMIN reads the System Log too: one role for the combined credential.
    assert_eq!(
        credential(&json, "okta-read"),
        (
            json!(["okta.logs.read", "okta.users.read"]),
            json!(["READ_ONLY_ADMIN"])
        )
    );
    // A group administrator can do all the help desk does; group membership is apart.
    assert_eq!(
        credential(&json, "okta"),
        (
            json!(["okta.groups.manage", "okta.users.manage"]),
            json!(["GROUP_MEMBERSHIP_ADMIN", "USER_ADMIN"])
        )
    );
    assert_eq!(
        entry(&json, "credentials", "secret", "okta")["used_by"],
        json!(["executor-users", "executor-sessions", "executor-groups"])
    );
    // The shipped rules try user.risk.set in dry run: nothing is granted for it, and the
    // report says what going live would add.
    assert_eq!(
        json["dry_run_only"],
        json!([{"action": "user.risk.set", "scope": "okta.userRisk.manage", "admin_role": "SUPER_ADMIN"}])
    );
    for f in json["functions"].as_array().unwrap() {
        assert_eq!(f["scope_depends_on_path"], json!([]), "{f}");
    }
}

#[test]
fn chosen_actions_give_their_families_scopes_and_roles_and_a_raw_request_is_flagged() {
    let rules = TempRules::new(
        "chosen",
        &[(
            "chosen.yaml",
            r#"rules:
  - id: unlock-and-assign
    on: [user.account.lock]
    do:
      - action: user.unlock
        user: ${ target("User").id }
      - action: app.assign_user
        app: 0oa1example0000000x7
        user: ${ target("User").id }
    on_failure:
      - action: okta.request
        method: GET
        path: /api/v1/zones
      - action: notify.webhook
        url_secret: slack_webhook
        body: { text: "failed" }
  - id: reset-new-users
    on: [user.lifecycle.create]
    enrich: [user]
    do:
      - action: user.factors.list
        user: ${ target("User").id }
      - action: user.password.reset
        user: ${ target("User").id }
"#,
        )],
    );
    let json = scopes_json(&["--rules", rules.arg()]);
    assert_eq!(json["rules_dir"], rules.arg());
    assert_eq!(
        function(&json, "event-router"),
        (
            json!("okta-read"),
            json!(["okta.users.read"]),
            json!(["READ_ONLY_ADMIN"])
        )
    );
    assert_eq!(
        function(&json, "executor-users"),
        (
            json!("okta-users"),
            json!(["okta.users.manage"]),
            json!(["HELP_DESK_ADMIN"])
        )
    );
    assert_eq!(
        function(&json, "executor-credentials"),
        (
            json!("okta-credentials"),
            json!(["okta.users.manage", "okta.users.read"]),
            json!(["READ_ONLY_ADMIN", "HELP_DESK_ADMIN"])
        )
    );
    assert_eq!(
        function(&json, "executor-apps"),
        (
            json!("okta-apps"),
            json!(["okta.apps.manage"]),
            json!(["APP_ADMIN"])
        )
    );
    // on_failure steps count: the admin executor runs the raw request.
    assert_eq!(
        function(&json, "executor-admin"),
        (json!("okta-admin"), json!([]), json!(["SUPER_ADMIN"]))
    );
    let admin = entry(&json, "functions", "function", "executor-admin");
    assert_eq!(admin["scope_depends_on_path"], json!(["okta.request"]));
    assert_eq!(admin["calls_okta"], true);
    assert_eq!(
        entry(&json, "functions", "function", "executor-notify")["actions"],
        json!(["notify.webhook"])
    );
    assert!(
        !names(&json, "functions", "function").contains(&"executor-groups".to_owned()),
        "no rule uses a groups action: {json:#}"
    );
    assert_eq!(
        credential(&json, "okta"),
        (
            json!(["okta.apps.manage", "okta.users.manage", "okta.users.read"]),
            json!(["SUPER_ADMIN"])
        )
    );
    assert_eq!(
        entry(&json, "credentials", "secret", "okta")["scope_depends_on_path"],
        json!(["okta.request"])
    );

    let (ok, table) = okta_hooks(&["scopes", "--rules", rules.arg()]);
    assert!(ok, "{table}");
    assert!(
        table.contains("! okta.request: its scope and role depend on the path"),
        "{table}"
    );
    assert!(table.contains("SSWS API token"), "{table}");
}

#[test]
fn rules_that_do_not_load_give_a_clear_error() {
    let missing =
        std::env::temp_dir().join(format!("okta-hooks-scopes-missing-{}", std::process::id()));
    let missing = missing.to_str().unwrap();
    let (ok, out) = okta_hooks(&["scopes", "--rules", missing]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("the rules in {missing} do not load")),
        "{out}"
    );
    assert!(out.contains("cannot read"), "{out}");

    let broken = TempRules::new(
        "broken",
        &[(
            "bad.yaml",
            "rules:\n  - id: bad\n    on: [user.account.lock]\n    do:\n      - action: user.explode\n",
        )],
    );
    let (ok, out) = okta_hooks(&["scopes", "--rules", broken.arg(), "--format", "json"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("bad.yaml:5:"),
        "the unknown action's line: {out}"
    );
    assert!(out.contains("do not load"), "{out}");
}
