//! Unit tests of loading, checking and evaluating, on Okta's real events.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::*;

fn examples_dir() -> PathBuf {
    okta_fixtures::workspace_root().join("rules")
}

fn event(name: &str) -> Value {
    serde_json::from_str(&okta_fixtures::read_event(name)).unwrap()
}

fn rules(yaml: &str) -> RuleSet {
    RuleSet::from_sources(&[("t.yaml", yaml)]).unwrap_or_else(|d| panic!("{d:#?}"))
}

/// `yaml` as the functions read it: prepared, then read back.
fn prepared(yaml: &str) -> RuleSet {
    let prepared = RuleSet::prepare(&[("t.yaml", yaml)]).unwrap_or_else(|d| panic!("{d:#?}"));
    RuleSet::from_prepared(&prepared).unwrap()
}

fn errors(yaml: &str) -> Vec<String> {
    RuleSet::check_sources(&[("t.yaml", yaml)])
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect()
}

fn eval(set: &RuleSet, event: &Value, subject: Option<&SubjectUser>) -> Vec<Plan> {
    set.evaluate(&EvalInput {
        org: "prod",
        event,
        subject,
    })
    .unwrap()
}

fn body_text(step: &Step) -> &str {
    step.params["body"]["text"].as_str().unwrap()
}

// ---------- the example rules on real events

fn examples() -> RuleSet {
    RuleSet::load_dir(&examples_dir()).unwrap_or_else(|d| panic!("{d:#?}"))
}

#[test]
fn example_rules_load_and_check_clean() {
    let set = examples();
    assert_eq!(set.len(), 15);
    let diags = RuleSet::check_dir(&examples_dir());
    // Only MFA fatigue's type is not hook-eligible (the poller delivers it): a warning
    // on each of its two rules, nothing else.
    let texts: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), 2, "{texts:#?}");
    assert!(
        texts.iter().all(|d| d.contains("mfa-fatigue.yaml")
            && d.contains(
                "warning: event type `user.mfa.okta_verify.deny_push` is not event-hook eligible"
            )),
        "{texts:#?}"
    );
    assert_eq!(set.warnings().len(), 2);
    // Every rule carries tests, matching and not, and they pass.
    for counts in set.test_counts() {
        assert!(
            counts.expecting_plans > 0 && counts.expecting_none > 0,
            "{counts:?}"
        );
    }
    let report = set.run_tests();
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert!(report.cases >= 2 * set.len());
    assert!(
        set.protection()
            .users()
            .contains(&"breakglass.admin@example.com".to_owned())
    );
    assert!(set.event_types().contains("user.lifecycle.deactivate"));
}

#[test]
fn suspicious_activity_suspends_clears_sessions_and_notifies() {
    let e = event("user.account.report_suspicious_activity_by_enduser.json");
    let plans = eval(&examples(), &e, None);
    assert_eq!(plans.len(), 1);
    let plan = &plans[0];
    assert_eq!(plan.rule_id, "lock-down-on-suspicious-activity");
    let actions: Vec<&str> = plan.steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        ["user.suspend", "user.sessions.clear", "notify.webhook"]
    );
    assert_eq!(plan.steps[0].params["user"], "01234");
    assert_eq!(plan.steps[0].family, actions::Family::Users);
    assert!(plan.steps[0].destructive);
    assert_eq!(plan.steps[1].params["oauth_tokens"], true);
    assert_eq!(plan.steps[1].family, actions::Family::Sessions);
    let text = body_text(&plan.steps[2]);
    assert!(
        text.starts_with("Suspended homer.simpson@duff.com"),
        "{text}"
    );
    assert!(
        text.contains("9.8.7.6 (Springfield, United States)"),
        "{text}"
    );
    assert_eq!(plan.max_destructive_per_hour, Some(20));
    assert_eq!(plan.destructive_steps(), 2);
    // on_failure: rendered now except the failure, which the executor fills in
    let failure = &plan.on_failure[0];
    assert_eq!(failure.deferred.len(), 1);
    assert_eq!(failure.deferred[0].pointer, "/body/text");
    let rendered = failure
        .render_deferred(
            &BTreeMap::new(),
            Some(&json!({"action": "user.sessions.clear", "error": "E0000007"})),
        )
        .unwrap();
    assert_eq!(
        rendered["body"]["text"],
        "Lock-down of homer.simpson@duff.com failed at user.sessions.clear: E0000007"
    );
    assert_eq!(plan.touched().users, ["01234"]);
}

#[test]
fn deactivated_user_loses_sessions_and_okta_groups() {
    let e = event("user.lifecycle.deactivate.json");
    let set = examples();
    assert_eq!(
        set.enrichment("prod", &e),
        Enrichment {
            user: false,
            groups: true
        }
    );
    let subject = SubjectUser {
        id: "00u3m90rxKjGQ0G6L1d6".into(),
        groups: vec![
            SubjectGroup {
                id: "00geveryone".into(),
                name: "Everyone".into(),
                kind: Some("BUILT_IN".into()),
            },
            SubjectGroup {
                id: "00gsales".into(),
                name: "Sales".into(),
                kind: Some("OKTA_GROUP".into()),
            },
            SubjectGroup {
                id: "00gvpn".into(),
                name: "VPN".into(),
                kind: Some("OKTA_GROUP".into()),
            },
        ],
        ..SubjectUser::default()
    };
    let plans = eval(&set, &e, Some(&subject));
    assert_eq!(plans.len(), 1);
    let steps = &plans[0].steps;
    let actions: Vec<&str> = steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.sessions.clear",
            "group.remove_user",
            "group.remove_user"
        ]
    );
    assert_eq!(steps[1].params["group"], "00gsales");
    assert_eq!(steps[2].params["group"], "00gvpn");
    assert_eq!(steps[2].params["user"], "00u3m90rxKjGQ0G6L1d6");
    assert_eq!(plans[0].touched().groups, ["00gsales", "00gvpn"]);
    // the enrichment's names make protection by group name work on ids
    assert_eq!(set.protection().refuses(&plans[0]), None);
    let admin_subject = SubjectUser {
        groups: vec![SubjectGroup {
            id: "00gadm".into(),
            name: "Okta Administrators".into(),
            kind: Some("OKTA_GROUP".into()),
        }],
        ..subject
    };
    let plans = eval(&set, &e, Some(&admin_subject));
    let reason = set.protection().refuses(&plans[0]).unwrap();
    assert!(
        reason.contains("protected group `Okta Administrators`"),
        "{reason}"
    );
}

#[test]
fn a_deactivated_user_deleted_since_makes_no_cleanup_plan_and_no_error() {
    // The router routes the event with `user == null` when Okta no longer knows the
    // user: the rule must neither fail on `user.groups` nor plan calls on a gone user.
    let e = event("user.lifecycle.deactivate.json");
    let plans = examples()
        .evaluate_each(&EvalInput {
            org: "prod",
            event: &e,
            subject: None,
        })
        .expect("evaluated");
    assert!(
        plans.iter().all(std::result::Result::is_ok),
        "{:?}",
        plans
            .iter()
            .filter_map(|p| p.as_ref().err())
            .collect::<Vec<_>>()
    );
    assert!(plans.is_empty(), "{} plan(s)", plans.len());
}

/// `user.lifecycle.create` has no licence-clean real sample: this event is built from
/// the catalog's shape (a `User` target; the profile comes from the enrichment).
fn created_user_event() -> Value {
    json!({
        "uuid": "5c8a3f1e-0000-11ee-a688-db22c99ef6c4",
        "published": "2026-11-22T10:00:00.000Z",
        "eventType": "user.lifecycle.create",
        "version": "0",
        "severity": "INFO",
        "displayMessage": "Create Okta user",
        "actor": {"id": "00uadmin", "type": "User", "alternateId": "admin@example.com", "displayName": "Admin"},
        "outcome": {"result": "SUCCESS"},
        "target": [{"id": "00unew", "type": "User", "alternateId": "new.hire@example.com", "displayName": "New Hire"}],
        "debugContext": {"debugData": {"requestUri": "/api/v1/users"}}
    })
}

#[test]
fn new_user_joins_the_group_of_their_department() {
    let set = examples();
    let e = created_user_event();
    assert!(set.enrichment("prod", &e).user);
    let mut subject = SubjectUser {
        id: "00unew".into(),
        status: Some("STAGED".into()),
        ..SubjectUser::default()
    };
    subject
        .profile
        .insert("login".into(), json!("new.hire@example.com"));
    subject
        .profile
        .insert("department".into(), json!("Engineering"));
    let plans = eval(&set, &e, Some(&subject));
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].steps[0].action, "group.add_user");
    assert_eq!(plans[0].steps[0].params["group"], "00geng00000000000x7");
    assert_eq!(plans[0].steps[0].params["user"], "00unew");

    subject
        .profile
        .insert("department".into(), json!("Finance"));
    assert!(eval(&set, &e, Some(&subject)).is_empty());
    subject.profile.remove("department");
    assert!(eval(&set, &e, Some(&subject)).is_empty());
    // enrichment failed or absent: the condition guards `user != null`
    assert!(eval(&set, &e, None).is_empty());
}

#[test]
fn admin_privilege_lock_and_mfa_events_notify() {
    let set = examples();
    let grant = eval(&set, &event("user.account.privilege.grant.json"), None);
    assert_eq!(grant.len(), 1);
    assert_eq!(
        body_text(&grant[0].steps[0]),
        "jack@acme.io granted admin privileges (Organization administrator, Application \
         administrator (all)) to alice@acme.io."
    );

    let lock = eval(&set, &event("user.account.lock.json"), None);
    assert_eq!(lock.len(), 1);
    assert_eq!(
        body_text(&lock[0].steps[0]),
        "homer.simpson@duff.com was locked out after repeated failed sign-ins"
    );

    let mfa = eval(&set, &event("user.mfa.factor.suspend.json"), None);
    assert_eq!(mfa.len(), 1);
    assert_eq!(
        body_text(&mfa[0].steps[0]),
        "MFA change (user.mfa.factor.suspend) for peter.griffin@company.com by \
         homer.simpson@duff.com: User suspended SIGNED_NONCE factor"
    );
}

#[test]
fn events_no_rule_handles_give_no_plan() {
    let set = examples();
    for name in [
        "user.session.start.json",
        "system.api_token.revoke.json",
        "group.user_membership.remove.json",
    ] {
        assert!(eval(&set, &event(name), None).is_empty(), "{name}");
        assert_eq!(set.enrichment("prod", &event(name)), Enrichment::default());
    }
}

#[test]
fn enrichment_is_asked_only_by_rules_that_could_match_the_event() {
    let set = rules(
        r#"
rules:
  - id: plain
    on: [user.account.lock]
    do:
      - {action: notify.webhook, url_secret: s, body: {text: locked}}
  - id: enriched-elsewhere
    on: [user.lifecycle.suspend]
    enrich: [user, groups]
    do:
      - {action: notify.webhook, url_secret: s, body: {text: suspended}}
  - id: enriched-in-prod-only
    on: [user.session.clear]
    org: prod
    enrich: [user]
    do:
      - {action: notify.webhook, url_secret: s, body: {text: cleared}}
"#,
    );
    let none = Enrichment::default();
    assert_eq!(
        set.enrichment("prod", &event("user.account.lock.json")),
        none,
        "its only rule needs nothing; another type's rule does not count"
    );
    assert_eq!(
        set.enrichment("staging", &event("user.session.clear.json")),
        none,
        "the enriching rule is for another org"
    );
    assert_eq!(
        set.enrichment("prod", &event("user.session.clear.json")),
        Enrichment {
            user: true,
            groups: false
        }
    );
    assert_eq!(
        set.enrichment("prod", &event("user.lifecycle.suspend.json")),
        Enrichment {
            user: true,
            groups: true
        }
    );
}

#[test]
fn a_missing_user_is_null_to_the_rules() {
    let set = rules(
        r#"
rules:
  - id: gone
    on: [user.lifecycle.suspend]
    enrich: [user]
    if: user == null
    do:
      - {action: notify.webhook, url_secret: s, body: {text: "gone"}}
  - id: guarded
    on: [user.lifecycle.suspend]
    enrich: [user]
    if: user != null && user.profile.department == "Sales"
    do:
      - {action: notify.webhook, url_secret: s, body: {text: "sales"}}
"#,
    );
    let plans = eval(&set, &event("user.lifecycle.suspend.json"), None);
    let ids: Vec<&str> = plans.iter().map(|p| p.rule_id.as_str()).collect();
    assert_eq!(ids, ["gone"]);
}

// ---------- conditions and templates on every real event

#[test]
fn conditions_and_templates_on_every_real_event() {
    let files = okta_fixtures::log_event_files();
    assert!(files.len() >= 10);
    for path in files {
        let e: Value = serde_json::from_str(&okta_fixtures::read(&path)).unwrap();
        let event_type = e["eventType"].as_str().unwrap();
        assert!(
            event_types::lookup(event_type).is_some(),
            "{event_type} not in the catalog"
        );
        let yaml = format!(
            r#"
rules:
  - id: every
    on: [{event_type}]
    if: event.eventType == "{event_type}" && size(targets("User")) == {n_users} && org == "prod"
    do:
      - action: notify.webhook
        url_secret: s
        body:
          type: ${{ event.eventType }}
          uuid: ${{ event.uuid }}
          actor: '${{ has(actor.id) ? actor.id : "none" }}'
          result: ${{ outcome.?result.orValue("none") }}
          user: '${{ target("User") == null ? "none" : target("User").id }}'
          users: ${{ targets("User").map(t, t.id) }}
          debug_keys: ${{ size(debugData) }}
          line: "${{ event.eventType }} by ${{ actor.?alternateId.orValue('?') }}"
"#,
            n_users = e["target"]
                .as_array()
                .map_or(0, |t| t.iter().filter(|t| t["type"] == "User").count()),
        );
        let set = rules(&yaml);
        let plans = eval(&set, &e, None);
        assert_eq!(plans.len(), 1, "{}", path.display());
        let body = &plans[0].steps[0].params["body"];
        let users: Vec<&Value> = e["target"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["type"] == "User")
            .map(|t| &t["id"])
            .collect();
        let name = path.display();
        assert_eq!(body["type"], e["eventType"], "{name}");
        assert_eq!(body["uuid"], e["uuid"], "{name}");
        assert_eq!(
            body["actor"],
            e["actor"].get("id").cloned().unwrap_or(json!("none")),
            "{name}"
        );
        assert_eq!(
            body["result"],
            e["outcome"].get("result").cloned().unwrap_or(json!("none")),
            "{name}"
        );
        assert_eq!(
            body["user"],
            users.first().map_or(json!("none"), |u| (*u).clone()),
            "{name}"
        );
        assert_eq!(body["users"], json!(users), "{name}");
        let debug = e
            .pointer("/debugContext/debugData")
            .and_then(Value::as_object)
            .map_or(0, serde_json::Map::len);
        assert_eq!(body["debug_keys"], json!(debug), "{name}");
        let by = e["actor"]
            .get("alternateId")
            .and_then(Value::as_str)
            .unwrap_or("?");
        assert_eq!(body["line"], format!("{event_type} by {by}"), "{name}");
        // and a condition that is false gives no plan
        let other = yaml.replace("&& org == \"prod\"", "&& org == \"staging\"");
        assert!(eval(&rules(&other), &e, None).is_empty(), "{name}");
    }
}

// ---------- validation, with places

#[test]
fn load_dir_fails_with_the_file_and_line() {
    let dir = std::env::temp_dir().join(format!("rules-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("good.yaml"), "protected:\n  users: [a@b.c]\n").unwrap();
    std::fs::write(
        dir.join("bad.yml"),
        "rules:\n  - id: x\n    on: [user.account.lock]\n    do:\n      - action: nope\n",
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a rule file").unwrap();
    let diags = RuleSet::load_dir(&dir).unwrap_err();
    let bad = dir.join("bad.yml");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(diags[0].to_string().starts_with(&format!(
        "{}:5:17: error: unknown action `nope`",
        bad.display()
    )));
    std::fs::remove_file(&bad).unwrap();
    let set = RuleSet::load_dir(&dir).unwrap();
    assert!(set.is_empty());
    assert!(set.warnings().is_empty());
    assert_eq!(set.protection().users(), ["a@b.c"]);
    std::fs::remove_file(dir.join("good.yaml")).unwrap();
    let empty = RuleSet::load_dir(&dir).unwrap();
    assert_eq!(
        empty.warnings()[0].message,
        "no rule files (*.yaml, *.yml) here"
    );
    assert_eq!(RuleSet::check_dir(&dir), empty.warnings());
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        RuleSet::check_dir(Path::new("/nonexistent/rules"))[0].line,
        0
    );
}

// ---------- evaluation details

#[test]
fn whole_templates_keep_their_type_and_optional_nulls_are_dropped() {
    let set = rules(
        "rules:\n  - id: a\n    on: [user.account.lock]\n    do:\n      - action: user.sessions.clear\n        user: ${ actor.id }\n        oauth_tokens: ${ outcome.result == 'FAILURE' }\n        forget_devices: ${ null }\n",
    );
    let plans = eval(&set, &event("user.account.lock.json"), None);
    let params = &plans[0].steps[0].params;
    assert_eq!(params["oauth_tokens"], json!(true));
    assert!(!params.contains_key("forget_devices"));
}

#[test]
fn runtime_errors_name_the_rule_and_keep_other_rules() {
    let set = rules(
        "rules:\n  - id: broken\n    on: [user.account.lock]\n    do:\n      - action: user.suspend\n        user: ${ target('User').id }\n  - id: fine\n    on: [user.account.lock]\n    do:\n      - action: user.suspend\n        user: ${ actor.id }\n  - id: wrong-type\n    on: [user.account.lock]\n    do:\n      - action: user.suspend\n        user: ${ 42 }\n",
    );
    let e = event("user.account.lock.json");
    let input = EvalInput {
        org: "prod",
        event: &e,
        subject: None,
    };
    let err = set.evaluate(&input).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("rule broken, step do[1] (user.suspend): `target('User').id`"),
        "{err}"
    );
    assert!(err.to_string().contains("a value was null"), "{err}");
    let each = set.evaluate_each(&input).unwrap();
    assert_eq!(each.len(), 3);
    assert_eq!(
        each[1].as_ref().unwrap().steps[0].params["user"],
        "00abc123"
    );
    let wrong = each[2].as_ref().unwrap_err().to_string();
    assert_eq!(
        wrong,
        "rule wrong-type, step do[1]: parameter `user` of user.suspend must be string, got integer"
    );
    assert!(matches!(
        set.evaluate(&EvalInput {
            org: "prod",
            event: &json!({}),
            subject: None
        }),
        Err(EvalError::NotAnEvent(_))
    ));
}

#[test]
fn conditions_must_be_bool_and_orgs_scope_rules() {
    let set = rules(
        "rules:\n  - id: a\n    on: [user.account.lock]\n    org: [staging]\n    if: outcome.reason\n    do:\n      - action: user.unlock\n        user: ${ actor.id }\n",
    );
    let e = event("user.account.lock.json");
    assert!(eval(&set, &e, None).is_empty(), "prod is out of scope");
    let err = set
        .evaluate(&EvalInput {
            org: "staging",
            event: &e,
            subject: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("gave string, not a bool"), "{err}");
}

#[test]
fn step_outputs_are_rendered_at_execution_only() {
    let set = rules(
        r#"rules:
  - id: team
    on: [user.account.privilege.grant]
    do:
      - action: group.create
        name: team
        group_name: "Admins of ${ target('User').alternateId }"
      - action: group.add_user
        group: ${ steps.team.id }
        user: ${ target("User").id }
      - action: notify.webhook
        url_secret: s
        body: { text: "${ target('User').alternateId } joined ${ steps.team.profile.name } (${ steps.team.id })" }
"#,
    );
    let plans = eval(&set, &event("user.account.privilege.grant.json"), None);
    let steps = &plans[0].steps;
    assert_eq!(steps[0].params["group_name"], "Admins of alice@acme.io");
    assert_eq!(steps[1].params["group"], Value::Null);
    assert_eq!(
        steps[1].deferred,
        [Deferred {
            pointer: "/group".into(),
            template: DeferredTemplate::Expr("steps.team.id".into())
        }]
    );
    let outputs = BTreeMap::from([(
        "team".to_owned(),
        json!({"id": "00gnew", "profile": {"name": "Admins"}}),
    )]);
    let add = render_deferred(&steps[1], &outputs).unwrap();
    assert_eq!(add["group"], "00gnew");
    assert_eq!(add["user"], "00u6eup97mAJZWYmP357");
    let note = render_deferred(&steps[2], &outputs).unwrap();
    assert_eq!(note["body"]["text"], "alice@acme.io joined Admins (00gnew)");
    // event text is never evaluated later: it was rendered into plain text parts
    assert!(
        matches!(&steps[2].deferred[0].template, DeferredTemplate::Parts(p) if p[0] == DeferredPart::Text("alice@acme.io".into()))
    );
    // a missing output is an execution error, and so is a wrongly typed one
    assert!(render_deferred(&steps[1], &BTreeMap::new()).is_err());
    let bad = BTreeMap::from([("team".to_owned(), json!({"id": 7}))]);
    assert!(matches!(
        render_deferred(&steps[1], &bad),
        Err(RenderError::Param(_))
    ));
}

#[test]
fn a_plan_knows_which_outputs_of_a_step_later_steps_read() {
    let set = rules(
        r#"rules:
  - id: temp-and-tell
    on: [user.account.privilege.grant]
    do:
      - action: user.password.expire_with_temp
        name: temp
        user: ${ target("User").id }
      - action: notify.webhook
        url_secret: s
        body: { text: "temporary password: ${ steps.temp.tempPassword }" }
  - id: temp-only
    on: [user.account.privilege.grant]
    do:
      - action: user.password.expire_with_temp
        name: temp
        user: ${ target("User").id }
    on_failure:
      - action: notify.webhook
        url_secret: s
        body: { text: "failed: ${ failure.error }" }
"#,
    );
    let plans = eval(&set, &event("user.account.privilege.grant.json"), None);
    let (told, quiet) = (&plans[0], &plans[1]);
    assert!(told.references("temp", "tempPassword"));
    assert!(!told.references("temp", "status"));
    assert!(!told.references("other", "tempPassword"));
    assert!(!quiet.references("temp", "tempPassword"));
    // Read whole, by index or through `steps` itself: any field may be read.
    for source in [
        "steps.temp",
        "steps.temp['tempPassword']",
        "steps['temp'].tempPassword",
    ] {
        let mut plan = quiet.clone();
        plan.on_failure[0].deferred = vec![Deferred {
            pointer: "/body".into(),
            template: DeferredTemplate::Parts(vec![
                DeferredPart::Text("x".into()),
                DeferredPart::Expr(source.into()),
            ]),
        }];
        assert!(plan.references("temp", "tempPassword"), "{source}");
    }
}

#[test]
fn plans_travel_as_json() {
    let plans = eval(
        &examples(),
        &event("user.account.report_suspicious_activity_by_enduser.json"),
        None,
    );
    let text = serde_json::to_string(&plans[0]).unwrap();
    let back: Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(back, plans[0]);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["steps"][1]["family"], "sessions");
}

#[test]
fn protection_matches_ids_logins_and_names() {
    let set = rules(
        "protected:\n  users: [Homer.Simpson@duff.com]\n  groups: [00gadmins]\nrules:\n  - id: a\n    on: [user.account.report_suspicious_activity_by_enduser]\n    do:\n      - action: user.suspend\n        user: ${ target('User').id }\n  - id: b\n    on: [user.account.report_suspicious_activity_by_enduser]\n    do:\n      - action: group.add_user\n        group: 00gadmins\n        user: someone\n  - id: c\n    on: [user.account.report_suspicious_activity_by_enduser]\n    do:\n      - action: user.get\n        user: ${ target('User').id }\n",
    );
    let plans = eval(
        &set,
        &event("user.account.report_suspicious_activity_by_enduser.json"),
        None,
    );
    let p = set.protection();
    // the step says 01234; the event says that is homer.simpson@duff.com
    assert_eq!(
        p.refuses(&plans[0]).unwrap(),
        "rule a: user.suspend would touch protected user `Homer.Simpson@duff.com` (01234)"
    );
    assert!(
        p.refuses(&plans[1])
            .unwrap()
            .contains("protected group `00gadmins`")
    );
    assert_eq!(
        p.refuses(&plans[2]),
        None,
        "reading a protected user is allowed"
    );
}

#[test]
fn the_embedded_catalog_matches_okta_reference_catalog() {
    let path = okta_fixtures::reference_dir().join("event-types-catalog.json");
    let reference: Value = serde_json::from_str(&okta_fixtures::read(&path)).unwrap();
    let mut expected: Vec<(String, bool)> = reference["versions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| v["eventTypes"].as_array().unwrap())
        .map(|t| {
            let tags = t["tags"].as_array().unwrap();
            (
                t["id"].as_str().unwrap().to_owned(),
                tags.iter().any(|x| x == "event-hook-eligible"),
            )
        })
        .collect();
    expected.sort();
    let embedded: Vec<(String, bool)> = event_types::all()
        .iter()
        .map(|t| (t.id.clone(), t.hook_eligible))
        .collect();
    assert_eq!(embedded.len(), 1274);
    assert_eq!(embedded, expected, "run scripts/derive-event-types.py");
    assert_eq!(event_types::source().repository, "okta/okta-developer-docs");
    assert_eq!(
        event_types::source().release,
        reference["release"].as_str().unwrap()
    );
    assert_eq!(event_types::lookup("user.lifecycle.create"), Some(true));
    assert_eq!(event_types::lookup("security.threat.detected"), Some(false));
}

#[test]
fn a_rule_set_is_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<RuleSet>();
}

#[test]
fn subject_users_read_okta_answers() {
    let user: SubjectUser = serde_json::from_value(json!({
        "id": "00u1", "status": "ACTIVE", "created": "2026-01-01T00:00:00.000Z",
        "profile": {"login": "a@b.c", "department": "Sales"},
        "groups": [
            {"id": "00g1", "type": "OKTA_GROUP", "profile": {"name": "Sales", "description": null}},
            {"id": "00g2", "name": "Flat"}
        ]
    }))
    .unwrap();
    assert_eq!(user.groups[0].name, "Sales");
    assert_eq!(user.groups[0].kind.as_deref(), Some("OKTA_GROUP"));
    assert_eq!(user.groups[1].name, "Flat");
    assert_eq!(user.profile["department"], "Sales");
    let e = EvalError::Condition {
        rule: "r".into(),
        expr: "x".into(),
        message: "m".into(),
    };
    assert_eq!(e.rule(), Some("r"));
    assert_eq!(EvalError::NotAnEvent("no eventType").rule(), None);
}

#[test]
fn cel_maps_and_lists_become_json() {
    let set = rules(
        "rules:\n  - id: a\n    on: [user.account.lock]\n    do:\n      - action: user.update\n        user: ${ actor.id }\n        profile: '${ {\"title\": \"Locked\", \"n\": 2, \"tags\": [\"a\", true]} }'\n",
    );
    let plans = eval(&set, &event("user.account.lock.json"), None);
    assert_eq!(
        plans[0].steps[0].params["profile"],
        json!({"title": "Locked", "n": 2, "tags": ["a", true]})
    );
}

#[test]
fn enrichment_follows_type_and_org() {
    let set = rules(
        "rules:\n  - id: a\n    on: [user.account.lock]\n    org: [staging]\n    enrich: [user]\n    do:\n      - action: user.unlock\n        user: ${ user.id }\n  - id: b\n    on: [user.account.lock]\n    enrich: [groups]\n    do:\n      - action: user.unlock\n        user: ${ actor.id }\n",
    );
    let e = event("user.account.lock.json");
    assert_eq!(
        set.enrichment("prod", &e),
        Enrichment {
            user: false,
            groups: true
        }
    );
    assert_eq!(
        set.enrichment("staging", &e),
        Enrichment {
            user: true,
            groups: true
        }
    );
    assert_eq!(
        set.enrichment("staging", &json!({"eventType": "user.session.start"})),
        Enrichment::default()
    );
}

#[test]
fn every_catalog_example_step_passes_the_checker() {
    for spec in actions::catalog() {
        let step: String = spec
            .example_step()
            .lines()
            .map(|l| format!("      {l}\n"))
            .collect();
        let yaml = format!("rules:\n  - id: a\n    on: [user.account.lock]\n    do:\n{step}");
        let errs = errors(&yaml);
        assert!(errs.is_empty(), "{}: {errs:#?}\n{yaml}", spec.name);
    }
}

#[test]
fn executors_recheck_rendered_parameters() {
    let p = rules("protected:\n  users: [ceo@example.com]\n")
        .protection()
        .clone();
    let params = json!({"group": "00g1", "user": "00uceo"});
    let params = params.as_object().unwrap();
    assert_eq!(
        p.refuses_action("group.add_user", params, &BTreeMap::new()),
        None
    );
    let known = BTreeMap::from([("00uceo".to_owned(), "CEO@example.com".to_owned())]);
    assert_eq!(
        p.refuses_action("group.add_user", params, &known).unwrap(),
        "group.add_user would touch protected user `ceo@example.com` (00uceo)"
    );
    assert_eq!(
        p.refuses_action(
            "user.get",
            &json!({"user": "00uceo"}).as_object().unwrap().clone(),
            &known
        ),
        None
    );
    assert_eq!(
        touched_by(
            "user.create",
            json!({"profile": {}, "group_ids": ["00g1", "00g2"]})
                .as_object()
                .unwrap()
        )
        .groups,
        ["00g1", "00g2"]
    );
}

/// The YAML shown in the docs (rules/README.md, the crate docs) is checked like a rule file.
#[test]
fn documented_examples_pass_the_checker() {
    let readme = okta_fixtures::read(&examples_dir().join("README.md"));
    let lib = include_str!("lib.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    for (name, text) in [("README.md", readme), ("lib.rs", lib)] {
        let block = text
            .split("```yaml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap_or_else(|| panic!("no yaml block in {name}"));
        let diags = RuleSet::check_sources(&[(name, block)]);
        assert!(diags.is_empty(), "{name}: {diags:#?}");
    }
}

#[test]
fn actions_used_lists_live_rules_do_and_on_failure_steps_once_in_catalog_order() {
    let set = rules(
        r#"
rules:
  - id: a
    on: [user.account.lock]
    enrich: [groups]
    do:
      - action: notify.webhook
        url_secret: hook
        body: {}
      - action: user.suspend
        user: ${ target("User").id }
    on_failure:
      - action: group.add_user
        group: 00g1
        user: ${ target("User").id }
  - id: b
    on: [user.session.start]
    do:
      - action: user.suspend
        user: ${ target("User").id }
  - id: trying
    on: [user.session.start]
    dry_run: true
    do:
      - action: user.suspend
        user: ${ target("User").id }
      - action: user.risk.set
        user: ${ target("User").id }
        level: HIGH
"#,
    );
    let names: Vec<&str> = set.actions_used().iter().map(|a| a.name).collect();
    assert_eq!(names, ["user.suspend", "group.add_user", "notify.webhook"]);
    let dry: Vec<&str> = set
        .actions_only_in_dry_run()
        .iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(
        dry,
        ["user.risk.set"],
        "a dry-run rule's plans reach no executor"
    );
    assert_eq!(
        set.enrichment_used(),
        Enrichment {
            user: false,
            groups: true
        }
    );
    assert!(!rules("rules: []\n").enrichment_used().any());
}

// ---------- prepared rule sets (what the functions' cold start reads)

fn compiled_conditions(set: &RuleSet) -> Vec<(&str, bool)> {
    set.rules
        .iter()
        .filter_map(|r| Some((r.id.as_str(), r.condition.as_ref()?.is_compiled())))
        .collect()
}

#[test]
fn a_prepared_rule_set_compiles_a_rule_only_when_an_event_of_its_type_arrives() {
    let yaml = r#"
rules:
  - id: locked
    on: [user.account.lock]
    if: outcome.result == "SUCCESS"
    do:
      - action: user.suspend
        user: ${ target("User").id }
  - id: reported
    on: [user.account.report_suspicious_activity_by_enduser]
    if: actor.id != ""
    do:
      - action: user.suspend
        user: ${ actor.id }
"#;
    let set = prepared(yaml);
    assert_eq!(
        compiled_conditions(&set),
        [("locked", false), ("reported", false)]
    );
    let plans = eval(
        &set,
        &event("user.account.report_suspicious_activity_by_enduser.json"),
        None,
    );
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].rule_id, "reported");
    assert_eq!(
        compiled_conditions(&set),
        [("locked", false), ("reported", true)]
    );
    // The same plan as the rule file makes, with the user rendered from the event.
    let parsed = rules(yaml);
    let from_file = eval(
        &parsed,
        &event("user.account.report_suspicious_activity_by_enduser.json"),
        None,
    );
    assert_eq!(plans, from_file);
}

#[test]
fn a_prepared_rule_set_keeps_protection_warnings_and_gates_but_not_tests() {
    let yaml = r#"
rules:
  - id: brute
    on: [user.session.start]
    threshold: {count: 2, within: 10m, by: actor.id}
    do:
      - action: user.suspend
        user: ${ actor.id }
    tests:
      - name: one is not enough
        events: [user.session.start]
        expect: none
protected:
  users: [admin@example.com]
  groups: [Okta Administrators]
"#;
    let parsed = RuleSet::from_sources(&[("t.yaml", yaml)]).unwrap();
    let set = prepared(yaml);
    assert_eq!(set.protection(), parsed.protection());
    assert_eq!(set.protection().users(), ["admin@example.com"]);
    assert_eq!(set.warnings(), parsed.warnings());
    assert_eq!(parsed.test_counts()[0].expecting_none, 1);
    assert_eq!(set.test_counts()[0].expecting_none, 0);
    let event = event("user.session.start.json");
    let gated = |set: &RuleSet| {
        let mut windows = Windows::default();
        ["bf-1", "bf-2"]
            .into_iter()
            .map(|uuid| {
                let mut event = event.clone();
                event["uuid"] = json!(uuid);
                set.evaluate_gated(
                    &EvalInput {
                        org: "prod",
                        event: &event,
                        subject: None,
                    },
                    &mut windows,
                )
                .unwrap()
                .into_iter()
                .map(|g| g.unwrap().admission.fires())
                .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    // The second failure reaches the count of two, in both.
    assert_eq!(gated(&set), [[false], [true]]);
    assert_eq!(gated(&parsed), [[false], [true]]);
}

#[test]
fn a_prepared_rule_set_that_is_not_one_is_a_clear_error() {
    let err = RuleSet::from_prepared("{\"rules\": 1}").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the prepared rules do not read"),
        "{err}"
    );
    let unknown = r#"{"rules":[{"id":"x","on":["a"],"condition":null,"orgs":null,
        "enrich":{"user":false,"groups":false},"dry_run":false,"max_destructive_per_hour":null,
        "steps":[{"action":"user.vanish","name":null,"for_each":null,"params":[]}],
        "on_failure":[],"threshold":null,"suppress":null}],
        "protection":{"users":[],"groups":[]},"warnings":[]}"#;
    let err = RuleSet::from_prepared(unknown).unwrap_err();
    assert!(err.to_string().contains("no action `user.vanish`"), "{err}");
}
