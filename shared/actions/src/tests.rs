use std::collections::BTreeSet;

use serde_json::json;

use super::*;

/// Issue 5's list, by the names this catalog gives them.
const REQUIRED: &[&str] = &[
    "user.get",
    "user.find",
    "user.search",
    "user.create",
    "user.update",
    "user.replace",
    "user.activate",
    "user.reactivate",
    "user.deactivate",
    "user.suspend",
    "user.unsuspend",
    "user.unlock",
    "user.delete",
    "user.password.reset",
    "user.password.expire",
    "user.password.expire_with_temp",
    "user.password.set",
    "user.password.change",
    "user.factors.list",
    "user.factors.enroll_google",
    "user.factors.enroll_email",
    "user.factors.unenroll",
    "user.factors.reset",
    "user.sessions.clear",
    "session.get",
    "session.revoke",
    "group.get",
    "group.search",
    "group.create",
    "group.update",
    "group.delete",
    "group.add_user",
    "group.remove_user",
    "group.list_members",
    "user.groups.list",
    "app.list",
    "app.get",
    "app.assign_user",
    "app.unassign_user",
    "app.get_assignment",
    "app.update_assignment",
    "app.list_users",
    "user.apps.list",
    "user.roles.list",
    "user.roles.assign",
    "user.roles.unassign",
    "event_hook.list",
    "event_hook.create",
    "event_hook.get",
    "event_hook.activate",
    "event_hook.deactivate",
    "event_hook.verify",
    "event_hook.delete",
    "event_hook.delete_by_url",
    "policy.list",
    "realm.list",
    "user_type.list",
    "log.query",
    "okta.request",
    "notify.webhook",
    // issue 16: Identity Threat Protection
    "user.risk.set",
];

#[test]
fn every_action_of_issue_5_is_in_the_catalog_and_nothing_else() {
    let names: BTreeSet<&str> = catalog().iter().map(|a| a.name).collect();
    assert_eq!(names.len(), catalog().len(), "duplicate action names");
    let wanted: BTreeSet<&str> = REQUIRED.iter().copied().collect();
    assert_eq!(names, wanted);
}

#[test]
fn names_are_dotted_and_params_unique() {
    for a in catalog() {
        assert!(a.name.contains('.'), "{}", a.name);
        assert!(
            a.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'),
            "{}",
            a.name
        );
        let params: BTreeSet<&str> = a.params.iter().map(|p| p.name).collect();
        assert_eq!(params.len(), a.params.len(), "{}", a.name);
        assert!(!(a.destructive && a.read_only), "{}", a.name);
        assert!(!a.summary.is_empty() && !a.scope.is_empty(), "{}", a.name);
    }
}

#[test]
fn families_group_actions() {
    assert_eq!(find("user.suspend").map(|a| a.family), Some(Family::Users));
    assert_eq!(
        find("user.sessions.clear").map(|a| a.family),
        Some(Family::Sessions)
    );
    assert_eq!(
        find("user.factors.reset").map(|a| a.family),
        Some(Family::Credentials)
    );
    assert_eq!(
        find("group.add_user").map(|a| a.family),
        Some(Family::Groups)
    );
    assert_eq!(
        find("notify.webhook").map(|a| a.family),
        Some(Family::Notify)
    );
    assert_eq!(find("okta.request").map(|a| a.family), Some(Family::Admin));
    for family in Family::ALL {
        assert_eq!(Family::from_name(family.as_str()), Some(family));
        assert!(
            catalog().iter().any(|a| a.family == family),
            "{family} is empty"
        );
    }
    assert_eq!(find("user.nope"), None);
}

#[test]
fn user_and_group_params_carry_their_roles() {
    let add = find("group.add_user").unwrap();
    assert_eq!(add.param("user").unwrap().role, ParamRole::UserRef);
    assert_eq!(add.param("group").unwrap().role, ParamRole::GroupRef);
    let create = find("user.create").unwrap();
    assert_eq!(create.param("group_ids").unwrap().role, ParamRole::GroupRef);
    // every action on one user names it `user`, with the UserRef role
    for a in catalog() {
        if let Some(p) = a.param("user") {
            assert_eq!(p.role, ParamRole::UserRef, "{}", a.name);
        }
    }
}

#[test]
fn validation_names_the_parameter() {
    let clear = find("user.sessions.clear").unwrap();
    let ok = json!({"user": "00u1", "oauth_tokens": true});
    assert_eq!(clear.validate(ok.as_object().unwrap()), Ok(()));

    let missing = json!({"oauth_tokens": true});
    let err = clear.validate(missing.as_object().unwrap()).unwrap_err();
    assert!(
        matches!(err, ParamError::Missing { param: "user", .. }),
        "{err}"
    );

    let wrong = json!({"user": "00u1", "oauth_tokens": "yes"});
    let err = clear.validate(wrong.as_object().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `oauth_tokens` of user.sessions.clear must be bool, got string"
    );

    let unknown = json!({"user": "00u1", "tokens": true});
    let err = clear.validate(unknown.as_object().unwrap()).unwrap_err();
    assert!(
        err.to_string().contains("unknown parameter `tokens`"),
        "{err}"
    );

    assert_eq!(
        validate_params("user.nope", &Map::new()),
        Err(ValidateError::UnknownAction("user.nope".into()))
    );
}

#[test]
fn types_accept_only_their_json() {
    assert!(ParamType::Integer.accepts(&json!(3)));
    assert!(!ParamType::Integer.accepts(&json!(3.5)));
    assert!(ParamType::StringList.accepts(&json!(["a", "b"])));
    assert!(!ParamType::StringList.accepts(&json!(["a", 1])));
    assert!(ParamType::Object.accepts(&json!({})));
    assert!(!ParamType::Object.accepts(&json!([])));
    assert!(ParamType::Any.accepts(&json!(null)));
    assert!(!ParamType::String.accepts(&json!(null)));
}

#[test]
fn notify_and_raw_take_what_the_brief_says() {
    let notify = find("notify.webhook").unwrap();
    assert!(notify.param("url_secret").unwrap().required);
    assert_eq!(notify.param("body").unwrap().ty, ParamType::Any);
    let raw = find("okta.request").unwrap();
    assert_eq!(raw.param_names(), "method, path, query, body");
    assert!(raw.destructive);
}

#[test]
fn no_parameter_shadows_a_step_key() {
    // `action`, `name` and `for_each` are keys of a rule step itself.
    for a in catalog() {
        for key in ["action", "name", "for_each"] {
            assert!(a.param(key).is_none(), "{} has a parameter `{key}`", a.name);
        }
    }
}

#[test]
fn example_steps_name_the_action_and_its_required_parameters() {
    let clear = find("user.sessions.clear").unwrap();
    assert_eq!(
        clear.example_step(),
        "- action: user.sessions.clear\n  user: ${ target(\"User\").id }\n"
    );
    let add = find("group.add_user").unwrap().example_step();
    assert!(add.contains("  group: 00g1example0000000x7\n"), "{add}");
}

#[test]
fn an_action_has_no_role_exactly_when_its_family_calls_no_okta() {
    for a in catalog() {
        assert_eq!(
            a.admin_role == AdminRole::None,
            !a.family.calls_okta(),
            "{}: {}",
            a.name,
            a.admin_role
        );
        assert_eq!(
            a.oauth_scope().is_none(),
            !a.family.calls_okta() || a.scope_depends_on_path(),
            "{}: {}",
            a.name,
            a.scope
        );
    }
    for family in Family::ALL {
        assert_eq!(
            family.calls_okta(),
            catalog()
                .iter()
                .any(|a| a.family == family && a.admin_role != AdminRole::None),
            "{family}"
        );
    }
    assert_eq!(
        Family::ALL
            .into_iter()
            .filter(|f| !f.calls_okta())
            .collect::<Vec<_>>(),
        [Family::Notify]
    );
    let by_path: Vec<&str> = catalog()
        .iter()
        .filter(|a| a.scope_depends_on_path())
        .map(|a| a.name)
        .collect();
    assert_eq!(by_path, ["okta.request"]);
}

#[test]
fn a_read_needs_read_only_admin_at_most_unless_its_familys_writes_need_as_much() {
    // Admin roles and event hooks are visible to super admins only: reading them needs
    // what changing them needs, never more.
    for read in catalog().iter().filter(|a| a.read_only) {
        let writes: Vec<&ActionSpec> = catalog()
            .iter()
            .filter(|w| w.family == read.family && !w.read_only)
            .collect();
        assert!(
            AdminRole::ReadOnlyAdmin.covers(read.admin_role)
                || writes.iter().all(|w| w.admin_role.covers(read.admin_role)),
            "{} needs {}",
            read.name,
            read.admin_role
        );
    }
}

#[test]
fn read_only_roles_go_only_with_reads_and_read_scopes() {
    for a in catalog() {
        let reading_role = matches!(
            a.admin_role,
            AdminRole::ReadOnlyAdmin | AdminRole::ReportAdmin
        );
        if reading_role {
            assert!(
                a.read_only,
                "{} changes state with {}",
                a.name, a.admin_role
            );
            assert!(a.scope.ends_with(".read"), "{}: {}", a.name, a.scope);
        }
        if a.read_only {
            assert!(a.scope.ends_with(".read"), "{}: {}", a.name, a.scope);
        }
    }
}

#[test]
fn the_roles_okta_documents_for_the_shipped_rules_actions() {
    let role = |name: &str| find(name).map(|a| a.admin_role);
    assert_eq!(role("user.suspend"), Some(AdminRole::UserAdmin));
    assert_eq!(role("user.sessions.clear"), Some(AdminRole::HelpDeskAdmin));
    assert_eq!(role("user.password.reset"), Some(AdminRole::HelpDeskAdmin));
    assert_eq!(
        role("group.add_user"),
        Some(AdminRole::GroupMembershipAdmin)
    );
    assert_eq!(
        role("group.remove_user"),
        Some(AdminRole::GroupMembershipAdmin)
    );
    assert_eq!(role("group.create"), Some(AdminRole::OrgAdmin));
    assert_eq!(role("user.get"), Some(AdminRole::ReadOnlyAdmin));
    assert_eq!(role("log.query"), Some(AdminRole::ReportAdmin));
    assert_eq!(role("event_hook.list"), Some(AdminRole::SuperAdmin));
    assert_eq!(role("user.roles.list"), Some(AdminRole::SuperAdmin));
    assert_eq!(role("okta.request"), Some(AdminRole::SuperAdmin));
    assert_eq!(role("notify.webhook"), Some(AdminRole::None));
}

#[test]
fn secret_naming_parameters_are_marked_and_decide_who_reads_named_secrets() {
    let mut marked = Vec::new();
    for a in catalog() {
        for p in a.params {
            assert_eq!(
                p.names_secret,
                p.name.ends_with("_secret"),
                "{}.{}: a parameter naming a secret ends in `_secret`, and is marked",
                a.name,
                p.name
            );
            if p.names_secret {
                assert_eq!(p.ty, ParamType::String, "{}.{}", a.name, p.name);
                marked.push(format!("{}.{}", a.name, p.name));
            }
        }
    }
    assert_eq!(
        marked,
        [
            "event_hook.create.auth_value_secret",
            "notify.webhook.url_secret"
        ]
    );
    let readers: Vec<Family> = Family::ALL
        .into_iter()
        .filter(|f| f.reads_named_secrets())
        .collect();
    assert_eq!(readers, [Family::Admin, Family::Notify]);
    assert!(find("event_hook.create").is_some_and(ActionSpec::reads_named_secrets));
    assert!(!find("event_hook.list").is_some_and(ActionSpec::reads_named_secrets));
}

#[test]
fn a_mistyped_action_gets_the_closest_catalog_name_and_a_far_one_none() {
    assert_eq!(closest_action("user.suspnd"), Some("user.suspend"));
    assert_eq!(closest_action("group.add_usr"), Some("group.add_user"));
    assert_eq!(closest_action("completely.different.thing"), None);
    assert_eq!(
        unknown_action_message("user.suspnd"),
        "unknown action `user.suspnd` — did you mean `user.suspend`?"
    );
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}

#[test]
fn the_request_schema_has_one_branch_per_action_typed_from_the_catalog() {
    let schema = request_schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let branches = schema["oneOf"].as_array().unwrap();
    assert_eq!(
        branches.len(),
        catalog().len() + 1,
        "one per action + steps"
    );
    for (spec, branch) in catalog().iter().zip(branches) {
        assert_eq!(branch["properties"]["action"]["const"], spec.name);
        let params = &branch["properties"]["params"];
        assert_eq!(params["additionalProperties"], false, "{}", spec.name);
        for p in spec.params {
            let mut expected = param_type_schema(p.ty);
            expected
                .as_object_mut()
                .unwrap()
                .extend(p.check.schema_keywords());
            expected.as_object_mut().unwrap().insert(
                "description".into(),
                params["properties"][p.name]["description"].clone(),
            );
            assert_eq!(
                params["properties"][p.name], expected,
                "{}.{}",
                spec.name, p.name
            );
            let required = params["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|n| n == p.name));
            assert_eq!(required, p.required, "{}.{}", spec.name, p.name);
        }
    }
    let suspend = &branches[catalog()
        .iter()
        .position(|s| s.name == "user.suspend")
        .unwrap()];
    assert_eq!(suspend["required"], json!(["action", "params"]));
    let steps = branches.last().unwrap();
    assert_eq!(steps["required"], json!(["steps"]));
    let names = schema["$defs"]["step"]["properties"]["action"]["enum"]
        .as_array()
        .unwrap();
    assert_eq!(names.len(), catalog().len());
    assert_eq!(schema["unevaluatedProperties"], false);
    assert_eq!(schema["properties"]["dry_run"]["type"], "boolean");
    assert_eq!(schema["properties"]["reply_to"]["format"], "uri");
}

/// The committed `docs/action-request.schema.json` is what the catalog generates.
#[test]
fn the_committed_request_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/action-request.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == request_schema_text(),
        "{} is not what the action catalog generates: regenerate it with \
         `cargo run -p cli -- actions schema > docs/action-request.schema.json` \
         (or `okta-hooks actions schema > docs/action-request.schema.json`) and commit it",
        path.display()
    );
}

#[test]
fn user_risk_set_is_a_destructive_users_action_needing_the_user_risk_scope_and_a_super_admin() {
    let risk = find("user.risk.set").unwrap();
    assert_eq!(risk.family, Family::Users);
    assert!(risk.destructive && !risk.read_only);
    assert_eq!(risk.oauth_scope(), Some("okta.userRisk.manage"));
    assert_eq!(risk.admin_role, AdminRole::SuperAdmin);
    assert_eq!(risk.param_names(), "user, level, reason");
    assert_eq!(risk.param("user").unwrap().role, ParamRole::UserRef);
    assert!(risk.param("level").unwrap().required);
    assert!(!risk.param("reason").unwrap().required);
    assert_eq!(
        risk.example_step(),
        "- action: user.risk.set\n  user: ${ target(\"User\").id }\n  level: HIGH\n"
    );
}

#[test]
fn a_risk_level_outside_oktas_enum_is_refused_naming_the_values() {
    let risk = find("user.risk.set").unwrap();
    for level in ["HIGH", "MEDIUM", "LOW"] {
        assert_eq!(risk.check_param("level", &json!(level)), Ok(()), "{level}");
    }
    let err = risk.check_param("level", &json!("CRITICAL")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameter `level` of user.risk.set must be one of HIGH, MEDIUM, LOW, got `CRITICAL`"
    );
    // NONE is a level Okta reports, not one it takes.
    assert!(risk.check_param("level", &json!("NONE")).is_err());
    let lower = risk.check_param("level", &json!("high")).unwrap_err();
    assert!(
        lower
            .to_string()
            .contains("(`HIGH`: Okta's values are case-sensitive)"),
        "{lower}"
    );
    // The type is still checked first.
    assert!(matches!(
        risk.check_param("level", &json!(3)),
        Err(ParamError::WrongType { .. })
    ));
    let missing = json!({"user": "00u1"});
    assert!(matches!(
        risk.validate(missing.as_object().unwrap()),
        Err(ParamError::Missing { param: "level", .. })
    ));
}

#[test]
fn a_risk_reason_must_fit_oktas_pattern_and_length() {
    let risk = find("user.risk.set").unwrap();
    let ok = json!({"user": "00u1", "level": "HIGH",
                    "reason": "Brute force, 5 failures in 10 min. See ticket SEC-42"});
    assert_eq!(risk.validate(ok.as_object().unwrap()), Ok(()));
    let colon = risk
        .check_param("reason", &json!("brute force: 5 failures"))
        .unwrap_err();
    assert_eq!(
        colon.to_string(),
        "parameter `reason` of user.risk.set may hold only ASCII letters, digits, whitespace \
         and `-,.`, not ':'"
    );
    assert!(risk.check_param("reason", &json!("a".repeat(500))).is_ok());
    let long = risk
        .check_param("reason", &json!("a".repeat(501)))
        .unwrap_err();
    assert!(
        long.to_string()
            .ends_with("at most 500 characters, got 501"),
        "{long}"
    );
}

#[test]
fn the_request_schema_carries_the_enum_and_the_reason_pattern() {
    let schema = request_schema();
    let branch = schema["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["title"] == "user.risk.set")
        .unwrap();
    let params = &branch["properties"]["params"]["properties"];
    assert_eq!(params["level"]["enum"], json!(["HIGH", "MEDIUM", "LOW"]));
    assert_eq!(params["reason"]["maxLength"], 500);
    // Okta's own pattern, `^[a-zA-Z0-9\s\-,.]*$`.
    assert_eq!(params["reason"]["pattern"], "^[a-zA-Z0-9\\s\\-,.]*$");
    assert_eq!(
        branch["properties"]["params"]["required"],
        json!(["user", "level"])
    );
}
