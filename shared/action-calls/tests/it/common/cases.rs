//! The table of action runs: for each catalog action, parameters, the exact requests it
//! must send (in order) with Okta's answers, and fields its output must hold. Used by the
//! wiremock test (`tests/actions.rs`) and the OpenAPI check (`examples/action_spec_check.rs`).

use serde_json::{Value, json};

use super::*;

/// One expected request and its answer.
pub struct Call {
    pub method: &'static str,
    pub path: String,
    pub query: Vec<(&'static str, &'static str)>,
    /// The JSON body; `None`: no body at all.
    pub body: Option<Value>,
    pub status: u16,
    pub answer: Option<Value>,
}

pub fn call(m: &'static str, p: &str) -> Call {
    Call {
        method: m,
        path: p.to_owned(),
        query: Vec::new(),
        body: None,
        status: 200,
        answer: None,
    }
}

impl Call {
    pub fn q(mut self, pairs: &[(&'static str, &'static str)]) -> Self {
        self.query = pairs.to_vec();
        self
    }
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    pub fn answer(mut self, status: u16, body: Value) -> Self {
        self.status = status;
        self.answer = Some(body);
        self
    }
    pub fn empty(mut self, status: u16) -> Self {
        self.status = status;
        self.answer = None;
        self
    }
}

/// One action run: parameters, the requests it must make in order, and fields its
/// output must have (`count` for lists, …).
pub struct Case {
    pub action: &'static str,
    pub params: Value,
    pub calls: Vec<Call>,
    pub output: Value,
}

pub fn case(action: &'static str, params: Value, calls: Vec<Call>, output: Value) -> Case {
    Case {
        action,
        params,
        calls,
        output,
    }
}

pub const U: &str = "/api/v1/users/00u1";
pub const USER_ID: &str = "00ub0oNGTSWTBKOLGLNR";

fn lc(op: &str) -> String {
    format!("{U}/lifecycle/{op}")
}

fn user_out() -> Value {
    json!({"id": USER_ID, "status": "ACTIVE"})
}

fn hook(i: usize) -> Value {
    fixture("event-hooks-list")[i].clone()
}

pub fn cases() -> Vec<Case> {
    let user = fixture("user");
    let app = fixture("apps-list")[0].clone();
    let role = fixture("roles-list")[0].clone();
    let profile = json!({
        "firstName": "Isaac", "lastName": "Brock", "email": "isaac.brock@example.com",
        "login": "isaac.brock@example.com", "costCenter": "42"
    });
    let hook_url = "https://hooks.example.com/okta/acme";
    let doomed = "https://example_external_service/gone";
    let mut hooks_to_delete = fixture("event-hooks-list");
    hooks_to_delete[0]["channel"]["config"]["uri"] = json!(doomed);
    hooks_to_delete[1]["channel"]["config"]["uri"] = json!(doomed);
    hooks_to_delete[1]["status"] = json!("INACTIVE");
    let mut kept = hook(0);
    kept["id"] = json!("whoKEPT");
    hooks_to_delete.as_array_mut().unwrap().push(kept);

    vec![
        // ---- users
        case(
            "user.get",
            json!({"user": "00u1"}),
            vec![call("GET", U).answer(200, user.clone())],
            json!({"id": USER_ID, "status": "ACTIVE", "profile": {"login": "isaac.brock@example.com"}}),
        ),
        case(
            "user.find",
            json!({"login": "isaac.brock@example.com"}),
            vec![call("GET", "/api/v1/users/isaac.brock%40example.com").answer(200, user.clone())],
            user_out(),
        ),
        case(
            "user.find",
            json!({"email": "isaac.brock@example.com"}),
            vec![
                call("GET", "/api/v1/users")
                    .q(&[
                        ("search", "profile.email eq \"isaac.brock@example.com\""),
                        ("limit", "2"),
                    ])
                    .answer(200, fixture("users-list")),
            ],
            json!({"id": "00u118oQYT4TBTemp0g4"}),
        ),
        case(
            "user.search",
            json!({"search": "status eq \"ACTIVE\"", "sort_by": "profile.lastName",
                   "sort_order": "desc", "limit": 1}),
            vec![
                call("GET", "/api/v1/users")
                    .q(&[
                        ("search", "status eq \"ACTIVE\""),
                        ("sortBy", "profile.lastName"),
                        ("sortOrder", "desc"),
                        ("limit", "1"),
                    ])
                    .answer(200, fixture("users-list")),
            ],
            json!({"count": 1, "items": [{"id": "00u118oQYT4TBTemp0g4"}]}),
        ),
        case(
            "user.search",
            json!({"filter": "status eq \"SUSPENDED\"", "q": "isa"}),
            vec![
                call("GET", "/api/v1/users")
                    .q(&[("filter", "status eq \"SUSPENDED\""), ("q", "isa")])
                    .answer(200, json!([])),
            ],
            json!({"count": 0, "items": []}),
        ),
        case(
            "user.create",
            json!({"profile": profile, "credentials": {"password": {"value": "Pa55-word!"}},
                   "group_ids": ["00g1", "00g2"], "type_id": "oty1", "realm_id": "guo1",
                   "activate": false, "provider": false, "next_login": "changePassword"}),
            vec![
                call("POST", "/api/v1/users")
                    .q(&[
                        ("activate", "false"),
                        ("provider", "false"),
                        ("nextLogin", "changePassword"),
                    ])
                    .body(json!({
                        "profile": profile,
                        "credentials": {"password": {"value": "Pa55-word!"}},
                        "groupIds": ["00g1", "00g2"],
                        "type": {"id": "oty1"},
                        "realmId": "guo1"
                    }))
                    .answer(200, user.clone()),
            ],
            user_out(),
        ),
        case(
            "user.update",
            json!({"user": "00u1", "profile": {"nickName": "Ike"}, "strict": true}),
            vec![
                call("POST", U)
                    .q(&[("strict", "true")])
                    .body(json!({"profile": {"nickName": "Ike"}}))
                    .answer(200, user.clone()),
            ],
            user_out(),
        ),
        case(
            "user.replace",
            json!({"user": "00u1", "profile": profile}),
            vec![
                call("PUT", U)
                    .body(json!({"profile": profile}))
                    .answer(200, user.clone()),
            ],
            user_out(),
        ),
        case(
            "user.activate",
            json!({"user": "00u1", "send_email": false}),
            vec![
                call("POST", &lc("activate"))
                    .q(&[("sendEmail", "false")])
                    .answer(
                        200,
                        json!({"activationUrl": "https://acme/activate/t0k", "activationToken": "t0k"}),
                    ),
            ],
            json!({"activationUrl": "https://acme/activate/t0k", "activationToken": "t0k"}),
        ),
        case(
            "user.reactivate",
            json!({"user": "00u1", "send_email": false}),
            vec![
                call("POST", &lc("reactivate"))
                    .q(&[("sendEmail", "false")])
                    .answer(200, json!({"activationToken": "r3"})),
            ],
            json!({"activationToken": "r3"}),
        ),
        case(
            "user.deactivate",
            json!({"user": "00u1", "send_email": true}),
            vec![
                call("POST", &lc("deactivate"))
                    .q(&[("sendEmail", "true")])
                    .empty(200),
            ],
            json!({}),
        ),
        case(
            "user.suspend",
            json!({"user": "00u1"}),
            vec![call("POST", &lc("suspend")).answer(200, json!({}))],
            json!({}),
        ),
        case(
            "user.unsuspend",
            json!({"user": "00u1"}),
            vec![call("POST", &lc("unsuspend")).answer(200, json!({}))],
            json!({}),
        ),
        case(
            "user.unlock",
            json!({"user": "00u1"}),
            vec![call("POST", &lc("unlock")).answer(200, json!({}))],
            json!({}),
        ),
        case(
            "user.risk.set",
            json!({"user": "00u1", "level": "HIGH", "reason": "Brute force, 5 failures in 10 minutes"}),
            vec![
                call("PUT", &format!("{U}/risk"))
                    .body(json!({"riskLevel": "HIGH",
                                 "riskReason": "Brute force, 5 failures in 10 minutes"}))
                    .answer(201, json!({"riskLevel": "HIGH",
                                        "reason": "Brute force, 5 failures in 10 minutes"})),
            ],
            json!({"riskLevel": "HIGH", "reason": "Brute force, 5 failures in 10 minutes"}),
        ),
        case(
            "user.risk.set",
            json!({"user": "00u1", "level": "LOW"}),
            vec![
                call("PUT", &format!("{U}/risk"))
                    .body(json!({"riskLevel": "LOW"}))
                    .answer(200, json!({"riskLevel": "LOW", "reason": "override.by.admin"})),
            ],
            json!({"riskLevel": "LOW", "reason": "override.by.admin"}),
        ),
        case(
            "user.delete",
            json!({"user": "00u1", "send_email": false}),
            vec![
                call("GET", U).answer(200, user.clone()),
                call("DELETE", &format!("/api/v1/users/{USER_ID}"))
                    .q(&[("sendEmail", "false")])
                    .empty(204),
                call("DELETE", &format!("/api/v1/users/{USER_ID}"))
                    .q(&[("sendEmail", "false")])
                    .empty(204),
            ],
            json!({}),
        ),
        // ---- passwords and factors
        case(
            "user.password.reset",
            json!({"user": "00u1", "send_email": false, "revoke_sessions": true}),
            vec![
                call("POST", &lc("reset_password"))
                    .q(&[("sendEmail", "false"), ("revokeSessions", "true")])
                    .answer(200, json!({"resetPasswordUrl": "https://acme/reset/xyz"})),
            ],
            json!({"resetPasswordUrl": "https://acme/reset/xyz"}),
        ),
        case(
            "user.password.expire",
            json!({"user": "00u1"}),
            vec![call("POST", &lc("expire_password")).answer(200, user.clone())],
            user_out(),
        ),
        case(
            "user.password.expire_with_temp",
            json!({"user": "00u1", "revoke_sessions": true}),
            vec![
                call("POST", &lc("expire_password_with_temp_password"))
                    .q(&[("revokeSessions", "true")])
                    .answer(200, json!({"tempPassword": "F46gy7X4"})),
            ],
            json!({"tempPassword": "F46gy7X4"}),
        ),
        case(
            "user.password.set",
            json!({"user": "00u1", "password": "N3w-pass!", "strict": true}),
            vec![
                call("POST", U)
                    .q(&[("strict", "true")])
                    .body(json!({"credentials": {"password": {"value": "N3w-pass!"}}}))
                    .answer(200, user.clone()),
            ],
            user_out(),
        ),
        case(
            "user.password.change",
            json!({"user": "00u1", "old_password": "old-Pa55", "new_password": "new-Pa55",
                   "strict": true}),
            vec![
                call("POST", &format!("{U}/credentials/change_password"))
                    .q(&[("strict", "true")])
                    .body(json!({"oldPassword": {"value": "old-Pa55"},
                                 "newPassword": {"value": "new-Pa55"}}))
                    .answer(
                        200,
                        json!({"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}}),
                    ),
            ],
            json!({"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}}),
        ),
        case(
            "user.factors.list",
            json!({"user": "00u1"}),
            vec![call("GET", &format!("{U}/factors")).answer(200, fixture("factors-list"))],
            json!({"count": 3}),
        ),
        case(
            "user.factors.enroll_google",
            json!({"user": "00u1", "activate": false}),
            vec![
                call("POST", &format!("{U}/factors"))
                    .q(&[("activate", "false")])
                    .body(json!({"factorType": "token:software:totp", "provider": "GOOGLE"}))
                    .answer(200, fixture("factor-enroll-google")),
            ],
            json!({"factorType": "token:software:totp", "provider": "GOOGLE"}),
        ),
        case(
            "user.factors.enroll_email",
            json!({"user": "00u1", "email": "isaac@example.org", "activate": true,
                   "token_lifetime_seconds": 300}),
            vec![
                call("POST", &format!("{U}/factors"))
                    .q(&[("activate", "true"), ("tokenLifetimeSeconds", "300")])
                    .body(json!({"factorType": "email", "provider": "OKTA",
                                 "profile": {"email": "isaac@example.org"}}))
                    .answer(200, fixture("factor-enroll-email")),
            ],
            json!({"id": "emfnf3gSScB8xXoXK0g3", "status": "PENDING_ACTIVATION"}),
        ),
        case(
            "user.factors.unenroll",
            json!({"user": "00u1", "factor_id": "ufs1", "remove_recovery_enrollment": true}),
            vec![
                call("DELETE", &format!("{U}/factors/ufs1"))
                    .q(&[("removeRecoveryEnrollment", "true")])
                    .empty(204),
            ],
            json!({}),
        ),
        case(
            "user.factors.reset",
            json!({"user": "00u1"}),
            vec![call("POST", &lc("reset_factors")).answer(200, json!({}))],
            json!({}),
        ),
        // ---- sessions
        case(
            "user.sessions.clear",
            json!({"user": "00u1", "oauth_tokens": true, "forget_devices": false}),
            vec![
                call("DELETE", &format!("{U}/sessions"))
                    .q(&[("oauthTokens", "true"), ("forgetDevices", "false")])
                    .empty(204),
            ],
            json!({}),
        ),
        case(
            "session.get",
            json!({"session_id": "102abc"}),
            vec![call("GET", "/api/v1/sessions/102abc").answer(200, fixture("session"))],
            json!({"id": "l7FbDVqS8zHSy65uJD85", "userId": "00u0abcdefGHIJKLMNOP",
                   "login": "user@example.com", "amr": ["pwd"]}),
        ),
        case(
            "session.revoke",
            json!({"session_id": "102abc"}),
            vec![call("DELETE", "/api/v1/sessions/102abc").empty(204)],
            json!({}),
        ),
        // ---- groups
        case(
            "group.get",
            json!({"group": "00g1"}),
            vec![call("GET", "/api/v1/groups/00g1").answer(200, fixture("group"))],
            json!({"id": fixture("group")["id"], "type": fixture("group")["type"]}),
        ),
        case(
            "group.search",
            json!({"search": "type eq \"OKTA_GROUP\"", "expand": "stats",
                   "sort_by": "lastUpdated", "sort_order": "asc", "limit": 2}),
            vec![
                call("GET", "/api/v1/groups")
                    .q(&[
                        ("search", "type eq \"OKTA_GROUP\""),
                        ("expand", "stats"),
                        ("sortBy", "lastUpdated"),
                        ("sortOrder", "asc"),
                        ("limit", "2"),
                    ])
                    .answer(200, fixture("groups-list")),
            ],
            json!({"count": 2}),
        ),
        case(
            "group.create",
            json!({"group_name": "Contractors", "description": "Everyone on contract",
                   "profile": {"costCenter": "7", "name": "overridden"}}),
            vec![
                call("POST", "/api/v1/groups")
                    .body(json!({"profile": {"name": "Contractors",
                                             "description": "Everyone on contract",
                                             "costCenter": "7"}}))
                    .answer(200, fixture("group")),
            ],
            json!({"id": fixture("group")["id"]}),
        ),
        case(
            "group.update",
            json!({"group": "00g1", "group_name": "Contractors"}),
            vec![
                call("PUT", "/api/v1/groups/00g1")
                    .body(json!({"profile": {"name": "Contractors"}}))
                    .answer(200, fixture("group")),
            ],
            json!({"id": fixture("group")["id"]}),
        ),
        case(
            "group.delete",
            json!({"group": "00g1"}),
            vec![call("DELETE", "/api/v1/groups/00g1").empty(204)],
            json!({}),
        ),
        case(
            "group.add_user",
            json!({"group": "00g1", "user": "00u1"}),
            vec![call("PUT", "/api/v1/groups/00g1/users/00u1").empty(204)],
            json!({}),
        ),
        case(
            "group.remove_user",
            json!({"group": "00g1", "user": "00u1"}),
            vec![call("DELETE", "/api/v1/groups/00g1/users/00u1").empty(204)],
            json!({}),
        ),
        case(
            "group.list_members",
            json!({"group": "00g1", "limit": 50}),
            vec![
                call("GET", "/api/v1/groups/00g1/users")
                    .q(&[("limit", "50")])
                    .answer(200, fixture("users-list")),
            ],
            json!({"count": 1, "items": [{"id": "00u118oQYT4TBTemp0g4"}]}),
        ),
        case(
            "user.groups.list",
            json!({"user": "00u1"}),
            vec![call("GET", &format!("{U}/groups")).answer(200, fixture("groups-list"))],
            json!({"count": 2}),
        ),
        // ---- applications
        case(
            "app.list",
            json!({"q": "sales", "filter": "status eq \"ACTIVE\"", "expand": "user/00u1",
                   "limit": 20}),
            vec![
                call("GET", "/api/v1/apps")
                    .q(&[
                        ("q", "sales"),
                        ("filter", "status eq \"ACTIVE\""),
                        ("expand", "user/00u1"),
                        ("limit", "20"),
                    ])
                    .answer(200, fixture("apps-list")),
            ],
            json!({"count": 1}),
        ),
        case(
            "app.get",
            json!({"app": "0oa1", "expand": "user/00u1"}),
            vec![
                call("GET", "/api/v1/apps/0oa1")
                    .q(&[("expand", "user/00u1")])
                    .answer(200, app.clone()),
            ],
            json!({"id": "0oa1gjh63g214q0Hq0g4", "label": "Custom Saml 2.0 App"}),
        ),
        case(
            "app.assign_user",
            json!({"app": "0oa1", "user": "00u1", "profile": {"role": "Developer"},
                   "credentials": {"userName": "isaac"}}),
            vec![
                call("POST", "/api/v1/apps/0oa1/users")
                    .body(json!({"id": "00u1", "scope": "USER",
                                 "credentials": {"userName": "isaac"},
                                 "profile": {"role": "Developer"}}))
                    .answer(200, fixture("app-user")),
            ],
            json!({"id": "00u1dnq5S0CfjlkpABCD", "scope": fixture("app-user")["scope"]}),
        ),
        case(
            "app.unassign_user",
            json!({"app": "0oa1", "user": "00u1", "send_email": false}),
            vec![
                call("DELETE", "/api/v1/apps/0oa1/users/00u1")
                    .q(&[("sendEmail", "false")])
                    .empty(204),
            ],
            json!({}),
        ),
        case(
            "app.get_assignment",
            json!({"app": "0oa1", "user": "00u1", "expand": "user"}),
            vec![
                call("GET", "/api/v1/apps/0oa1/users/00u1")
                    .q(&[("expand", "user")])
                    .answer(200, fixture("app-user")),
            ],
            json!({"id": "00u1dnq5S0CfjlkpABCD"}),
        ),
        case(
            "app.update_assignment",
            json!({"app": "0oa1", "user": "00u1", "profile": {"role": "Lead"}}),
            vec![
                call("POST", "/api/v1/apps/0oa1/users/00u1")
                    .body(json!({"profile": {"role": "Lead"}}))
                    .answer(200, fixture("app-user")),
            ],
            json!({"id": "00u1dnq5S0CfjlkpABCD"}),
        ),
        case(
            "app.list_users",
            json!({"app": "0oa1", "q": "isaac", "expand": "user", "limit": 10}),
            vec![
                call("GET", "/api/v1/apps/0oa1/users")
                    .q(&[("q", "isaac"), ("expand", "user"), ("limit", "10")])
                    .answer(200, fixture("app-users-list")),
            ],
            json!({"count": 1}),
        ),
        case(
            "user.apps.list",
            json!({"user": "00u1"}),
            vec![call("GET", &format!("{U}/appLinks")).answer(200, fixture("app-links-list"))],
            json!({"count": 4}),
        ),
        // ---- roles
        case(
            "user.roles.list",
            json!({"user": "00u1", "expand": "targets/groups"}),
            vec![
                call("GET", &format!("{U}/roles"))
                    .q(&[("expand", "targets/groups")])
                    .answer(200, fixture("roles-list")),
            ],
            json!({"count": 4}),
        ),
        case(
            "user.roles.assign",
            json!({"user": "00u1", "type": "APP_ADMIN", "disable_notifications": true}),
            vec![
                call("POST", &format!("{U}/roles"))
                    .q(&[("disableNotifications", "true")])
                    .body(json!({"type": "APP_ADMIN"}))
                    .answer(201, role.clone()),
            ],
            json!({"id": "IFIFAX2BIRGUSTQ", "type": "APP_ADMIN", "assignmentType": "USER"}),
        ),
        case(
            "user.roles.assign",
            json!({"user": "00u1", "type": "CUSTOM", "role": "cr0", "resource_set": "iam0"}),
            vec![
                call("POST", &format!("{U}/roles"))
                    .body(json!({"type": "CUSTOM", "role": "cr0", "resource-set": "iam0"}))
                    .answer(201, role.clone()),
            ],
            json!({"id": "IFIFAX2BIRGUSTQ"}),
        ),
        case(
            "user.roles.unassign",
            json!({"user": "00u1", "role_assignment_id": "ra1"}),
            vec![call("DELETE", &format!("{U}/roles/ra1")).empty(204)],
            json!({}),
        ),
        // ---- admin
        case(
            "event_hook.list",
            json!({}),
            vec![call("GET", "/api/v1/eventHooks").answer(200, fixture("event-hooks-list"))],
            json!({"count": 2}),
        ),
        case(
            "event_hook.create",
            json!({"hook_name": "okta-hooks", "url": hook_url,
                   "events": ["user.lifecycle.create", "user.lifecycle.deactivate"],
                   "auth_header": "X-Hook-Auth", "auth_value_secret": "hook_auth",
                   "headers": {"X-Org": "acme"}}),
            vec![
                call("POST", "/api/v1/eventHooks")
                    .body(json!({
                        "name": "okta-hooks",
                        "events": {"type": "EVENT_TYPE",
                                   "items": ["user.lifecycle.create", "user.lifecycle.deactivate"]},
                        "channel": {"type": "HTTP", "version": "1.0.0", "config": {
                            "uri": hook_url,
                            "headers": [{"key": "X-Org", "value": "acme"}],
                            "authScheme": {"type": "HEADER", "key": "X-Hook-Auth",
                                           "value": HOOK_AUTH_VALUE}
                        }}
                    }))
                    .answer(200, hook(0)),
            ],
            json!({"id": "who8tsqyrhCdmetzx135", "status": "ACTIVE"}),
        ),
        case(
            "event_hook.create",
            json!({"hook_name": "plain", "url": hook_url, "events": ["user.session.start"]}),
            vec![
                call("POST", "/api/v1/eventHooks")
                    .body(json!({
                        "name": "plain",
                        "events": {"type": "EVENT_TYPE", "items": ["user.session.start"]},
                        "channel": {"type": "HTTP", "version": "1.0.0",
                                    "config": {"uri": hook_url}}
                    }))
                    .answer(200, hook(1)),
            ],
            json!({"id": "who8vt36qfNpCGz9H1e6"}),
        ),
        case(
            "event_hook.get",
            json!({"id": "who1"}),
            vec![call("GET", "/api/v1/eventHooks/who1").answer(200, hook(0))],
            json!({"id": "who8tsqyrhCdmetzx135", "verificationStatus": hook(0)["verificationStatus"]}),
        ),
        case(
            "event_hook.activate",
            json!({"id": "who1"}),
            vec![call("POST", "/api/v1/eventHooks/who1/lifecycle/activate").answer(200, hook(0))],
            json!({"status": "ACTIVE"}),
        ),
        case(
            "event_hook.deactivate",
            json!({"id": "who1"}),
            vec![
                call("POST", "/api/v1/eventHooks/who1/lifecycle/deactivate")
                    .answer(200, hook(0)),
            ],
            json!({"id": "who8tsqyrhCdmetzx135"}),
        ),
        case(
            "event_hook.verify",
            json!({"id": "who1"}),
            vec![call("POST", "/api/v1/eventHooks/who1/lifecycle/verify").answer(200, hook(0))],
            json!({"name": hook(0)["name"]}),
        ),
        case(
            "event_hook.delete",
            json!({"id": "who1"}),
            vec![
                call("POST", "/api/v1/eventHooks/who1/lifecycle/deactivate")
                    .answer(200, hook(0)),
                call("DELETE", "/api/v1/eventHooks/who1").empty(204),
            ],
            json!({}),
        ),
        case(
            "event_hook.delete_by_url",
            json!({"url": doomed}),
            vec![
                call("GET", "/api/v1/eventHooks").answer(200, hooks_to_delete),
                call("POST", "/api/v1/eventHooks/who8tsqyrhCdmetzx135/lifecycle/deactivate")
                    .answer(200, hook(0)),
                call("DELETE", "/api/v1/eventHooks/who8tsqyrhCdmetzx135").empty(204),
                // already INACTIVE: deleted without a deactivation
                call("DELETE", "/api/v1/eventHooks/who8vt36qfNpCGz9H1e6").empty(204),
            ],
            json!({"deleted": ["who8tsqyrhCdmetzx135", "who8vt36qfNpCGz9H1e6"]}),
        ),
        case(
            "policy.list",
            json!({"type": "PASSWORD", "status": "ACTIVE", "q": "Default", "limit": 5}),
            vec![
                call("GET", "/api/v1/policies")
                    .q(&[
                        ("type", "PASSWORD"),
                        ("status", "ACTIVE"),
                        ("q", "Default"),
                        ("limit", "5"),
                    ])
                    .answer(200, fixture("policies-list")),
            ],
            json!({"count": 1, "items": [{"id": "policyId"}]}),
        ),
        case(
            "realm.list",
            json!({"search": "profile.name eq \"EU\"", "limit": 3}),
            vec![
                call("GET", "/api/v1/realms")
                    .q(&[("search", "profile.name eq \"EU\""), ("limit", "3")])
                    .answer(200, fixture("realms-list")),
            ],
            json!({"count": 1, "items": [{"id": "guox9jQ16k9V8IFEL0g3"}]}),
        ),
        case(
            "user_type.list",
            json!({}),
            vec![
                call("GET", "/api/v1/meta/types/user").answer(200, fixture("user-types-list")),
            ],
            json!({"count": 2}),
        ),
        case(
            "log.query",
            json!({"since": "2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00Z",
                   "filter": "eventType eq \"user.session.start\"", "q": "Isaac",
                   "sort_order": "DESCENDING", "limit": 5}),
            vec![
                call("GET", "/api/v1/logs")
                    .q(&[
                        ("since", "2026-11-01T00:00:00Z"),
                        ("until", "2026-11-02T00:00:00Z"),
                        ("filter", "eventType eq \"user.session.start\""),
                        ("q", "Isaac"),
                        ("sortOrder", "DESCENDING"),
                        ("limit", "5"),
                    ])
                    .answer(200, fixture("logs-list")),
            ],
            json!({"count": 1, "items": [{"eventType": "user.session.start"}]}),
        ),
        case(
            "okta.request",
            json!({"method": "post", "path": "/api/v1/users",
                   "query": {"activate": false}, "body": {"profile": profile}}),
            vec![
                call("POST", "/api/v1/users")
                    .q(&[("activate", "false")])
                    .body(json!({"profile": profile}))
                    .answer(200, user.clone()),
            ],
            json!({"status": 200, "body": {"id": USER_ID}}),
        ),
        case(
            "okta.request",
            json!({"method": "GET", "path": "/api/v1/meta/types/user"}),
            vec![
                call("GET", "/api/v1/meta/types/user").answer(200, fixture("user-types-list")),
            ],
            json!({"status": 200}),
        ),
        // ---- notify
        case(
            "notify.webhook",
            json!({"url_secret": "slack", "body": "Suspended isaac.brock@example.com"}),
            vec![
                call("POST", WEBHOOK_PATH)
                    .body(json!({"text": "Suspended isaac.brock@example.com"}))
                    .empty(200),
            ],
            json!({"status": 200}),
        ),
    ]
}
