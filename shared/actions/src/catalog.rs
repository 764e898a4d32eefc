//! Every action a rule can name. Parameters follow the Okta operations of
//! `okta-client` (`shared/okta-client/src/endpoints`), in the `snake_case` a YAML rule
//! reads best in; the executors map them onto those calls.
//!
//! # Admin roles
//!
//! Each action names the least-privileged Okta standard role that can perform it (see
//! [`AdminRole`] for what each role may do), after Okta's "Standard administrator roles
//! and permissions" tables and the pages of each role:
//! - reads map to `READ_ONLY_ADMIN`, the System Log to `REPORT_ADMIN` (which sees
//!   reports and the log only);
//! - password resets, MFA resets (unenroll one factor or all), unlocking and clearing
//!   sessions are the help desk admin's fixed set: `HELP_DESK_ADMIN`;
//! - creating, editing, activating, suspending, deactivating and deleting users, setting,
//!   changing or expiring passwords (beyond the help desk's "reset") and renaming
//!   groups are the group administrator's: `USER_ADMIN`;
//! - adding users to and removing them from groups: `GROUP_MEMBERSHIP_ADMIN`;
//! - creating and deleting groups (group administrators cannot) and enrolling a factor
//!   for a user (no narrower role lists it): `ORG_ADMIN`;
//! - app assignments: `APP_ADMIN` (it can be limited to the apps the rules name);
//! - admin role assignments, even listing them ("add, remove and view administrators"),
//!   and event hooks, even reading them ("only super admins can view and configure
//!   event hooks"), and a raw request to any path: `SUPER_ADMIN`;
//! - a user's risk level (Identity Threat Protection): `SUPER_ADMIN`, the one standard
//!   role with "Manage users' risk" (help.okta.com, "Admin roles for ITP"; a custom role
//!   with that permission is narrower);
//! - `notify` calls no Okta API: no role.

use crate::{ActionSpec, AdminRole, Family, ParamRole, ParamSpec, ParamType};

use Family::*;
use ParamType::{Any, Bool, Integer, Object, String as Str, StringList};

const fn req(name: &'static str, ty: ParamType) -> ParamSpec {
    ParamSpec::required(name, ty)
}
const fn opt(name: &'static str, ty: ParamType) -> ParamSpec {
    ParamSpec::optional(name, ty)
}
/// The user acted on: an Okta user id (or a login where Okta accepts one).
const USER: ParamSpec = req("user", Str).role(ParamRole::UserRef);
/// The group acted on: an Okta group id.
const GROUP: ParamSpec = req("group", Str).role(ParamRole::GroupRef);
/// The application acted on: an Okta app instance id.
const APP: ParamSpec = req("app", Str).role(ParamRole::AppRef);
/// The scope of an action whose Okta call is a raw request: whatever its path needs.
pub(crate) const SCOPE_BY_PATH: &str = "(depends on the path)";
/// The scope of an action that calls no Okta API.
pub(crate) const SCOPE_NONE: &str = "(none: no Okta call)";
const SEND_EMAIL: ParamSpec = opt("send_email", Bool);
const LIMIT: ParamSpec = opt("limit", Integer).default("100 (at most 10 pages)");

const USER_OUT: &[&str] = &[
    "id",
    "status",
    "created",
    "activated",
    "statusChanged",
    "lastLogin",
    "lastUpdated",
    "passwordChanged",
    "type",
    "profile",
    "credentials",
];
const GROUP_OUT: &[&str] = &["id", "created", "lastUpdated", "type", "profile"];
const APP_USER_OUT: &[&str] = &[
    "id",
    "externalId",
    "status",
    "scope",
    "syncState",
    "credentials",
    "profile",
];
const HOOK_OUT: &[&str] = &[
    "id",
    "name",
    "status",
    "verificationStatus",
    "events",
    "channel",
];
const ITEMS: &[&str] = &["items", "count"];
const NONE: &[&str] = &[];

/// Builds one catalog entry; the read-only flag follows from `destructive` and `read_only`.
#[allow(clippy::too_many_arguments)]
const fn action(
    name: &'static str,
    family: Family,
    summary: &'static str,
    scope: &'static str,
    admin_role: AdminRole,
    params: &'static [ParamSpec],
    destructive: bool,
    read_only: bool,
    outputs: &'static [&'static str],
) -> ActionSpec {
    ActionSpec {
        name,
        family,
        summary,
        scope,
        admin_role,
        params,
        destructive,
        read_only,
        outputs,
    }
}

/// Changes state, not destructive.
const W: (bool, bool) = (false, false);
/// Changes state and is destructive (counted against `max_destructive_per_hour`).
const D: (bool, bool) = (true, false);
/// Reads only.
const R: (bool, bool) = (false, true);

macro_rules! actions {
    ($( $name:literal, $family:ident, $kind:ident, $scope:expr, $role:ident, [$($param:expr),* $(,)?], $outputs:expr, $summary:literal; )*) => {
        &[$( action($name, $family, $summary, $scope, AdminRole::$role, &[$($param),*], $kind.0, $kind.1, $outputs), )*]
    };
}

pub(crate) static CATALOG: &[ActionSpec] = actions![
    // ---- users: lookups, create/update, lifecycle
    "user.get", Users, R, "okta.users.read", ReadOnlyAdmin, [USER], USER_OUT,
        "Get a user by id or login";
    "user.find", Users, R, "okta.users.read", ReadOnlyAdmin, [opt("login", Str), opt("email", Str)], USER_OUT,
        "Find one user by login or email (give one of them)";
    "user.search", Users, R, "okta.users.read", ReadOnlyAdmin,
        [opt("search", Str), opt("filter", Str), opt("q", Str), opt("sort_by", Str),
         opt("sort_order", Str), LIMIT], ITEMS,
        "Search users (SCIM search, filter or q)";
    "user.create", Users, W, "okta.users.manage", UserAdmin,
        [req("profile", Object), opt("credentials", Object),
         opt("group_ids", StringList).role(ParamRole::GroupRef), opt("type_id", Str),
         opt("realm_id", Str), opt("activate", Bool), opt("provider", Bool),
         opt("next_login", Str)], USER_OUT,
        "Create a user (profile with any extra attributes, credentials or none, groups)";
    "user.update", Users, W, "okta.users.manage", UserAdmin,
        [USER, opt("profile", Object), opt("credentials", Object), opt("strict", Bool)], USER_OUT,
        "Partial update: only the given profile attributes change";
    "user.replace", Users, D, "okta.users.manage", UserAdmin,
        [USER, req("profile", Object), opt("credentials", Object), opt("strict", Bool)], USER_OUT,
        "Full replace: profile attributes not given are removed";
    "user.activate", Users, W, "okta.users.manage", UserAdmin, [USER, SEND_EMAIL],
        &["activationUrl", "activationToken"], "Activate a STAGED or DEPROVISIONED user";
    "user.reactivate", Users, W, "okta.users.manage", UserAdmin, [USER, SEND_EMAIL],
        &["activationUrl", "activationToken"], "Reactivate a PROVISIONED or RECOVERY user";
    "user.deactivate", Users, D, "okta.users.manage", UserAdmin, [USER, SEND_EMAIL], NONE,
        "Deactivate (deprovision) a user";
    "user.suspend", Users, D, "okta.users.manage", UserAdmin, [USER], NONE,
        "Suspend an ACTIVE user (assignments kept)";
    "user.unsuspend", Users, W, "okta.users.manage", UserAdmin, [USER], NONE, "Unsuspend a user";
    "user.unlock", Users, W, "okta.users.manage", HelpDeskAdmin, [USER], NONE, "Unlock a LOCKED_OUT user";
    "user.delete", Users, D, "okta.users.manage", UserAdmin, [USER, SEND_EMAIL], NONE,
        "Delete a user, deactivating first when needed";
    // Identity Threat Protection. Destructive: a HIGH risk is what Okta's entity risk
    // policy acts on (Universal Logout, session revocation), so it counts against caps.
    "user.risk.set", Users, D, "okta.userRisk.manage", SuperAdmin,
        [USER, req("level", Str).one_of(&["HIGH", "MEDIUM", "LOW"]), opt("reason", Str).text(500, "-,.")],
        &["riskLevel", "reason"],
        "Set a user's risk level (Identity Threat Protection): Okta's entity risk policy acts on it \
         (reason left out: Okta's `override.by.admin`)";
    // ---- passwords and factors
    "user.password.reset", Credentials, D, "okta.users.manage", HelpDeskAdmin,
        [USER, SEND_EMAIL, opt("revoke_sessions", Bool)], &["resetPasswordUrl"],
        "Reset the password (the user goes to RECOVERY)";
    "user.password.expire", Credentials, D, "okta.users.manage", UserAdmin, [USER], USER_OUT,
        "Expire the password (change at next login)";
    "user.password.expire_with_temp", Credentials, D, "okta.users.manage", UserAdmin,
        [USER, opt("revoke_sessions", Bool)], &["tempPassword"],
        "Expire the password and set a temporary one (answered in `tempPassword`)";
    "user.password.set", Credentials, D, "okta.users.manage", UserAdmin,
        [USER, req("password", Str), opt("strict", Bool)], USER_OUT,
        "Set a password as an admin, without the old one";
    "user.password.change", Credentials, W, "okta.users.manage", UserAdmin,
        [USER, req("old_password", Str), req("new_password", Str), opt("strict", Bool)],
        &["password", "recovery_question", "provider"],
        "Change a password, checking the old one";
    "user.factors.list", Credentials, R, "okta.users.read", ReadOnlyAdmin, [USER], ITEMS,
        "List a user's enrolled factors";
    "user.factors.enroll_google", Credentials, W, "okta.users.manage", OrgAdmin,
        [USER, opt("activate", Bool)], &["id", "status", "factorType", "provider", "_embedded"],
        "Enroll Google Authenticator (the answer carries the activation QR code)";
    "user.factors.enroll_email", Credentials, W, "okta.users.manage", OrgAdmin,
        [USER, req("email", Str), opt("activate", Bool), opt("token_lifetime_seconds", Integer)],
        &["id", "status", "factorType", "provider"], "Enroll the Okta email factor";
    "user.factors.unenroll", Credentials, D, "okta.users.manage", HelpDeskAdmin,
        [USER, req("factor_id", Str), opt("remove_recovery_enrollment", Bool)], NONE,
        "Unenroll one factor";
    "user.factors.reset", Credentials, D, "okta.users.manage", HelpDeskAdmin, [USER], NONE,
        "Reset (unenroll) all of a user's factors";
    // ---- sessions
    "user.sessions.clear", Sessions, D, "okta.users.manage", HelpDeskAdmin,
        [USER, opt("oauth_tokens", Bool), opt("forget_devices", Bool)], NONE,
        "End all of a user's sessions (and OAuth tokens, remembered devices)";
    "session.get", Sessions, R, "okta.sessions.read", ReadOnlyAdmin, [req("session_id", Str)],
        &["id", "userId", "login", "status", "createdAt", "expiresAt", "lastFactorVerification",
          "lastPasswordVerification", "amr", "idp", "mfaActive"],
        "Get a session";
    "session.revoke", Sessions, D, "okta.sessions.manage", HelpDeskAdmin, [req("session_id", Str)], NONE,
        "Revoke one session";
    // ---- groups
    "group.get", Groups, R, "okta.groups.read", ReadOnlyAdmin, [GROUP], GROUP_OUT, "Get a group";
    "group.search", Groups, R, "okta.groups.read", ReadOnlyAdmin,
        [opt("search", Str), opt("filter", Str), opt("q", Str), opt("sort_by", Str),
         opt("sort_order", Str), opt("expand", Str), LIMIT], ITEMS,
        "Search groups (search, filter or q)";
    "group.create", Groups, W, "okta.groups.manage", OrgAdmin,
        [req("group_name", Str), opt("description", Str), opt("profile", Object)], GROUP_OUT,
        "Create an Okta group";
    "group.update", Groups, W, "okta.groups.manage", UserAdmin,
        [GROUP, req("group_name", Str), opt("description", Str), opt("profile", Object)], GROUP_OUT,
        "Replace a group's profile";
    "group.delete", Groups, D, "okta.groups.manage", OrgAdmin, [GROUP], NONE, "Delete a group";
    "group.add_user", Groups, W, "okta.groups.manage", GroupMembershipAdmin, [GROUP, USER], NONE,
        "Add a user to a group";
    "group.remove_user", Groups, D, "okta.groups.manage", GroupMembershipAdmin, [GROUP, USER], NONE,
        "Remove a user from a group";
    "group.list_members", Groups, R, "okta.groups.read", ReadOnlyAdmin, [GROUP, LIMIT], ITEMS,
        "List a group's members";
    "user.groups.list", Groups, R, "okta.users.read", ReadOnlyAdmin, [USER], ITEMS, "List a user's groups";
    // ---- applications
    "app.list", Apps, R, "okta.apps.read", ReadOnlyAdmin,
        [opt("q", Str), opt("filter", Str), opt("expand", Str), LIMIT], ITEMS,
        "List applications";
    "app.get", Apps, R, "okta.apps.read", ReadOnlyAdmin, [APP, opt("expand", Str)],
        &["id", "name", "label", "status", "signOnMode", "settings", "features"],
        "Get an application";
    "app.assign_user", Apps, W, "okta.apps.manage", AppAdmin,
        [APP, USER, opt("profile", Object), opt("credentials", Object), opt("scope", Str).default("USER")],
        APP_USER_OUT, "Assign a user to an application";
    "app.unassign_user", Apps, D, "okta.apps.manage", AppAdmin, [APP, USER, SEND_EMAIL], NONE,
        "Unassign a user from an application (deprovisions in provisioning apps)";
    "app.get_assignment", Apps, R, "okta.apps.read", ReadOnlyAdmin, [APP, USER, opt("expand", Str)],
        APP_USER_OUT, "Get a user's assignment to an application";
    "app.update_assignment", Apps, W, "okta.apps.manage", AppAdmin,
        [APP, USER, opt("profile", Object), opt("credentials", Object)], APP_USER_OUT,
        "Update a user's assignment (profile, credentials)";
    "app.list_users", Apps, R, "okta.apps.read", ReadOnlyAdmin,
        [APP, opt("q", Str), opt("expand", Str), LIMIT], ITEMS,
        "List an application's assigned users";
    "user.apps.list", Apps, R, "okta.users.read", ReadOnlyAdmin, [USER], ITEMS,
        "List the applications assigned to a user";
    // ---- admin roles
    "user.roles.list", Roles, R, "okta.roles.read", SuperAdmin, [USER, opt("expand", Str)], ITEMS,
        "List a user's admin role assignments";
    "user.roles.assign", Roles, W, "okta.roles.manage", SuperAdmin,
        [USER, req("type", Str), opt("role", Str), opt("resource_set", Str),
         opt("disable_notifications", Bool)],
        &["id", "type", "label", "status", "assignmentType"],
        "Assign an admin role (a standard `type`, or CUSTOM with `role` and `resource_set`)";
    "user.roles.unassign", Roles, D, "okta.roles.manage", SuperAdmin,
        [USER, req("role_assignment_id", Str)], NONE, "Unassign an admin role";
    // ---- admin: event hooks, policies, realms, user types, System Log, raw
    "event_hook.list", Admin, R, "okta.eventHooks.read", SuperAdmin, [], ITEMS, "List event hooks";
    "event_hook.create", Admin, W, "okta.eventHooks.manage", SuperAdmin,
        [req("hook_name", Str), req("url", Str), req("events", StringList),
         opt("auth_header", Str), opt("auth_value_secret", Str).secret_name(), opt("headers", Object)],
        HOOK_OUT,
        "Create an event hook (the auth header value is read from the org's secret)";
    "event_hook.get", Admin, R, "okta.eventHooks.read", SuperAdmin, [req("id", Str)], HOOK_OUT,
        "Get an event hook";
    "event_hook.activate", Admin, W, "okta.eventHooks.manage", SuperAdmin, [req("id", Str)], HOOK_OUT,
        "Activate an event hook";
    "event_hook.deactivate", Admin, D, "okta.eventHooks.manage", SuperAdmin, [req("id", Str)], HOOK_OUT,
        "Deactivate an event hook";
    "event_hook.verify", Admin, W, "okta.eventHooks.manage", SuperAdmin, [req("id", Str)], HOOK_OUT,
        "Ask Okta to verify an event hook";
    "event_hook.delete", Admin, D, "okta.eventHooks.manage", SuperAdmin, [req("id", Str)], NONE,
        "Delete an event hook (deactivating it first)";
    "event_hook.delete_by_url", Admin, D, "okta.eventHooks.manage", SuperAdmin, [req("url", Str)],
        &["deleted"], "Delete every event hook that points at a URL";
    "policy.list", Admin, R, "okta.policies.read", ReadOnlyAdmin,
        [req("type", Str), opt("status", Str), opt("q", Str), LIMIT], ITEMS,
        "List policies of a type (OKTA_SIGN_ON, PASSWORD, MFA_ENROLL, …)";
    "realm.list", Admin, R, "okta.realms.read", ReadOnlyAdmin, [opt("search", Str), LIMIT], ITEMS,
        "List realms";
    "user_type.list", Admin, R, "okta.userTypes.read", ReadOnlyAdmin, [], ITEMS, "List user types";
    "log.query", Admin, R, "okta.logs.read", ReportAdmin,
        [opt("since", Str), opt("until", Str), opt("filter", Str), opt("q", Str),
         opt("sort_order", Str), LIMIT], ITEMS,
        "Query the System Log";
    "okta.request", Admin, D, SCOPE_BY_PATH, SuperAdmin,
        [req("method", Str), req("path", Str), opt("query", Object), opt("body", Any)],
        &["status", "headers", "body"],
        "A raw Management API request, for anything Okta adds later (counted as destructive)";
    // ---- notify
    "notify.webhook", Notify, W, SCOPE_NONE, None,
        [req("url_secret", Str).secret_name(), req("body", Any)], &["status"],
        "POST a JSON body to a webhook whose URL is the named key of the org's secret \
         (Slack- and Teams-compatible)";
];
