//! The Okta admin role an action needs, beside its OAuth scope.
//!
//! An OAuth scope only says which API an API Services app may call; the app also needs
//! an admin role that allows the operation, or Okta answers `403` although the token
//! carries the scope (NOTES §3.2: "Assign admin roles to the service app"). The roles
//! here are Okta's *standard* roles, by the `type` a role assignment takes
//! (`POST /api/v1/users/{id}/roles {"type": "USER_ADMIN"}`), and each action names the
//! least-privileged one that can perform it, after Okta's "Standard administrator roles
//! and permissions" tables (help.okta.com, `administrators-admin-comparison`) and the
//! pages of each role. A custom role can be narrower still; these are the floor a
//! standard role gives.

/// An Okta standard administrator role, or [`AdminRole::None`] for an action that calls
/// no Okta API (`notify`).
///
/// The derived order is a stable display order (about from least to most powerful), not
/// a privilege relation: use [`AdminRole::covers`] to compare roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AdminRole {
    /// No Okta call, so no role.
    None,
    /// `REPORT_ADMIN`: views reports and the System Log, nothing else.
    ReportAdmin,
    /// `READ_ONLY_ADMIN`: views users, groups, apps, policies, realms, user types and the
    /// System Log; changes nothing. Not admin role assignments, not event hooks (those
    /// only a super admin sees).
    ReadOnlyAdmin,
    /// `HELP_DESK_ADMIN`: views users; resets passwords and MFA factors, unlocks accounts,
    /// clears sessions. Cannot create, activate, suspend or delete users, nor change
    /// group or app assignments.
    HelpDeskAdmin,
    /// `GROUP_MEMBERSHIP_ADMIN`: views all users and adds or removes them from groups
    /// (not groups holding admin roles). Cannot create, rename or delete groups.
    GroupMembershipAdmin,
    /// `USER_ADMIN`, shown as "Group Administrator": creates, edits, activates, suspends,
    /// deactivates and deletes users, resets their passwords and factors, clears their
    /// sessions, renames groups — for the groups it is given (or all). Cannot create or
    /// delete groups, nor assign apps.
    UserAdmin,
    /// `APP_ADMIN`: manages applications and their user assignments (all apps or some).
    AppAdmin,
    /// `API_ACCESS_MANAGEMENT_ADMIN`: authorization servers, their scopes, claims and
    /// policies.
    ApiAccessManagementAdmin,
    /// `ORG_ADMIN`: users, groups (including creating and deleting them), app
    /// assignments, most org settings; not admin roles, not event hooks.
    OrgAdmin,
    /// `SUPER_ADMIN`: everything, including admin role assignments and event hooks
    /// ("Only Super Admins can view and configure event hooks").
    SuperAdmin,
}

impl AdminRole {
    /// Every role, in the display order.
    pub const ALL: [AdminRole; 10] = [
        AdminRole::None,
        AdminRole::ReportAdmin,
        AdminRole::ReadOnlyAdmin,
        AdminRole::HelpDeskAdmin,
        AdminRole::GroupMembershipAdmin,
        AdminRole::UserAdmin,
        AdminRole::AppAdmin,
        AdminRole::ApiAccessManagementAdmin,
        AdminRole::OrgAdmin,
        AdminRole::SuperAdmin,
    ];

    /// The role's `type` in Okta's Roles API (`READ_ONLY_ADMIN`, …); `NONE` for no role.
    pub const fn as_str(self) -> &'static str {
        match self {
            AdminRole::None => "NONE",
            AdminRole::ReportAdmin => "REPORT_ADMIN",
            AdminRole::ReadOnlyAdmin => "READ_ONLY_ADMIN",
            AdminRole::HelpDeskAdmin => "HELP_DESK_ADMIN",
            AdminRole::GroupMembershipAdmin => "GROUP_MEMBERSHIP_ADMIN",
            AdminRole::UserAdmin => "USER_ADMIN",
            AdminRole::AppAdmin => "APP_ADMIN",
            AdminRole::ApiAccessManagementAdmin => "API_ACCESS_MANAGEMENT_ADMIN",
            AdminRole::OrgAdmin => "ORG_ADMIN",
            AdminRole::SuperAdmin => "SUPER_ADMIN",
        }
    }

    /// The name the Admin Console shows (Security → Administrators).
    pub const fn label(self) -> &'static str {
        match self {
            AdminRole::None => "no role (no Okta call)",
            AdminRole::ReportAdmin => "Report Administrator",
            AdminRole::ReadOnlyAdmin => "Read-only Administrator",
            AdminRole::HelpDeskAdmin => "Help Desk Administrator",
            AdminRole::GroupMembershipAdmin => "Group Membership Administrator",
            AdminRole::UserAdmin => "Group Administrator",
            AdminRole::AppAdmin => "Application Administrator",
            AdminRole::ApiAccessManagementAdmin => "API Access Management Administrator",
            AdminRole::OrgAdmin => "Organization Administrator",
            AdminRole::SuperAdmin => "Super Administrator",
        }
    }

    /// The role whose `type` is `name` (the inverse of [`AdminRole::as_str`]).
    pub fn from_name(name: &str) -> Option<AdminRole> {
        AdminRole::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether a principal holding `self` may do everything `other` allows, by Okta's
    /// comparison tables. Deliberately conservative: only the inclusions the tables
    /// show for every permission are claimed (a super admin covers every role; an org
    /// admin covers the user, group, help desk and read roles; a group administrator
    /// covers the help desk admin; a read-only admin covers the report admin). Every
    /// role covers itself and [`AdminRole::None`].
    pub fn covers(self, other: AdminRole) -> bool {
        use AdminRole::*;
        self == other
            || other == None
            || match self {
                SuperAdmin => true,
                OrgAdmin => matches!(
                    other,
                    UserAdmin | HelpDeskAdmin | GroupMembershipAdmin | ReadOnlyAdmin | ReportAdmin
                ),
                UserAdmin => other == HelpDeskAdmin,
                ReadOnlyAdmin => other == ReportAdmin,
                _ => false,
            }
    }

    /// The fewest roles that together allow what `roles` allow: duplicates and roles
    /// another one of the set covers are dropped, and so is [`AdminRole::None`]. In the
    /// display order; empty when nothing needs a role.
    pub fn least(roles: impl IntoIterator<Item = AdminRole>) -> Vec<AdminRole> {
        let set: std::collections::BTreeSet<AdminRole> = roles
            .into_iter()
            .filter(|r| *r != AdminRole::None)
            .collect();
        set.iter()
            .copied()
            .filter(|r| !set.iter().any(|o| o != r && o.covers(*r)))
            .collect()
    }
}

impl std::fmt::Display for AdminRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::AdminRole::{self, *};

    #[test]
    fn covering_is_a_partial_order() {
        for a in AdminRole::ALL {
            assert!(a.covers(a), "{a} covers itself");
            assert!(a.covers(None), "{a} covers no role");
            for b in AdminRole::ALL {
                if a != b && a.covers(b) {
                    assert!(!b.covers(a), "{a} and {b} cover each other");
                }
                for c in AdminRole::ALL {
                    if a.covers(b) && b.covers(c) {
                        assert!(a.covers(c), "{a} ⊇ {b} ⊇ {c} but not {a} ⊇ {c}");
                    }
                }
            }
        }
        assert!(AdminRole::ALL.iter().all(|r| SuperAdmin.covers(*r)));
    }

    #[test]
    fn roles_that_okta_keeps_apart_do_not_cover_each_other() {
        // Org admins cannot configure apps or authorization servers, see admin roles or
        // event hooks; a group administrator cannot read policies or apps.
        for (a, b) in [
            (OrgAdmin, AppAdmin),
            (OrgAdmin, ApiAccessManagementAdmin),
            (OrgAdmin, SuperAdmin),
            (UserAdmin, ReadOnlyAdmin),
            (UserAdmin, GroupMembershipAdmin),
            (HelpDeskAdmin, ReportAdmin),
            (GroupMembershipAdmin, HelpDeskAdmin),
            (ReadOnlyAdmin, HelpDeskAdmin),
            (None, ReportAdmin),
        ] {
            assert!(!a.covers(b), "{a} must not cover {b}");
        }
    }

    #[test]
    fn least_keeps_only_the_roles_nothing_else_in_the_set_covers() {
        assert_eq!(
            AdminRole::least([ReportAdmin, ReadOnlyAdmin, ReportAdmin]),
            vec![ReadOnlyAdmin]
        );
        assert_eq!(
            AdminRole::least([HelpDeskAdmin, GroupMembershipAdmin, UserAdmin, None]),
            vec![GroupMembershipAdmin, UserAdmin]
        );
        assert_eq!(
            AdminRole::least([AppAdmin, ReadOnlyAdmin, SuperAdmin]),
            vec![SuperAdmin]
        );
        assert_eq!(AdminRole::least([None]), Vec::<AdminRole>::new());
    }

    #[test]
    fn names_are_oktas_role_types_and_read_back() {
        let names: Vec<&str> = AdminRole::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            names,
            [
                "NONE",
                "REPORT_ADMIN",
                "READ_ONLY_ADMIN",
                "HELP_DESK_ADMIN",
                "GROUP_MEMBERSHIP_ADMIN",
                "USER_ADMIN",
                "APP_ADMIN",
                "API_ACCESS_MANAGEMENT_ADMIN",
                "ORG_ADMIN",
                "SUPER_ADMIN"
            ]
        );
        for role in AdminRole::ALL {
            assert_eq!(AdminRole::from_name(role.as_str()), Some(role));
        }
        assert_eq!(UserAdmin.label(), "Group Administrator");
        assert_eq!(AdminRole::from_name("user_admin"), Option::None);
    }
}
