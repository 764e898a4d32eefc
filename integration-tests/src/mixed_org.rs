//! The mixed-status org of the seam and stack tests: one user per status the shipped
//! suspend rule can meet, plus users for each other shipped rule, one delivery with an event
//! for each, and the outcome the shipped rules must reach on it — asserted on the org's
//! state, the letters and what the security channel was told, wherever the pipeline runs
//! (in process on moto, or as the deployed stack).

use okta_double::{Group, GroupType, OktaDouble, Status, User};
use serde_json::{Value, json};

/// The group the shipped `department-groups` rule adds Sales people to.
pub const SALES_GROUP: &str = "00gsales0000000000x7";

/// The changes applied to the org `okta` plays, as `op user [group]` lines, sorted.
pub fn changes_of(okta: &OktaDouble) -> Vec<String> {
    let mut lines: Vec<String> = okta
        .changes()
        .iter()
        .map(|c| {
            let mut line = format!("{} {}", c.op, c.user.as_deref().unwrap_or("-"));
            if let Some(group) = &c.group {
                line.push(' ');
                line.push_str(group);
            }
            line
        })
        .collect();
    lines.sort();
    lines
}

/// A reference event (`okta_fixtures::reference_dir`, by default `../shared/okta`) with
/// its own `uuid`, about `user`: the first target (or, for an event without targets, the actor) becomes that user.
pub fn event_about(name: &str, uuid: &str, user: &User) -> Value {
    let text = std::fs::read_to_string(crate::reference_event(&format!("{name}.json")))
        .expect("reference event");
    let mut event: Value = serde_json::from_str(&text).expect("event JSON");
    event["uuid"] = json!(uuid);
    let login = user.login().unwrap_or_default();
    let subject = match event["target"].as_array_mut().and_then(|t| t.first_mut()) {
        Some(target) => target,
        None => &mut event["actor"],
    };
    subject["id"] = json!(user.id);
    subject["alternateId"] = json!(login);
    event
}

/// A `user.lifecycle.create` event (Okta's deactivate event, retyped) about `user`.
pub fn created(uuid: &str, user: &User) -> Value {
    let mut event = event_about("user.lifecycle.deactivate", uuid, user);
    event["eventType"] = json!("user.lifecycle.create");
    event["legacyEventType"] = json!("core.user.config.user_creation.success");
    event
}

/// The login of the user `id` in these tests.
pub fn login(id: &str) -> String {
    format!("{id}@example.com")
}

/// The people of the mixed-status org: one per status the suspend rule can meet, plus
/// users for the other shipped rules. Ids are the same length, so that none is a prefix
/// of another.
pub struct Org {
    /// `ACTIVE`: suspended and signed out.
    pub active: User,
    /// `SUSPENDED`: the suspend is done already; signed out.
    pub suspended: User,
    /// `LOCKED_OUT`: the suspend is refused (a letter).
    pub locked: User,
    /// `PASSWORD_EXPIRED`: refused.
    pub expired: User,
    /// `RECOVERY`: refused.
    pub recovery: User,
    /// `STAGED`: refused.
    pub staged: User,
    /// `PROVISIONED`: refused.
    pub provisioned: User,
    /// `DEPROVISIONED`: refused.
    pub deprovisioned: User,
    /// Deactivated: signed out, taken out of the Okta-managed group.
    pub leaver: User,
    /// Created in Sales: added to Sales.
    pub joiner: User,
    /// Created in Marketing: no group.
    pub marketer: User,
    /// Locked out: the channel is told.
    pub lockout: User,
    /// Factors suspended: the channel is told.
    pub mfa: User,
    /// Granted admin: the channel is told.
    pub admin: User,
}

impl Org {
    /// Adds the org's users, groups and memberships to `okta`.
    pub fn seed(okta: &OktaDouble) -> Org {
        let user = |id: &str, status: Status| User::new(id, login(id), status);
        let org = Org {
            active: user("00uactive000", Status::Active),
            suspended: user("00ususpend00", Status::Suspended),
            locked: user("00ulocked000", Status::LockedOut),
            expired: user("00uexpired00", Status::PasswordExpired),
            recovery: user("00urecovery0", Status::Recovery),
            staged: user("00ustaged000", Status::Staged).password(false),
            provisioned: user("00uprovisio0", Status::Provisioned).password(false),
            deprovisioned: user("00udeprovis0", Status::Deprovisioned),
            leaver: user("00uleaver000", Status::Deprovisioned),
            joiner: user("00ujoiner000", Status::Staged)
                .password(false)
                .attr("department", "Sales"),
            marketer: user("00umarketer0", Status::Provisioned)
                .password(false)
                .attr("department", "Marketing"),
            lockout: user("00ulockout00", Status::LockedOut),
            mfa: user("00umfa000000", Status::Active),
            admin: user("00uadmin0000", Status::Active),
        };
        for u in org.all() {
            okta.add_user(u.clone());
        }
        okta.add_group(Group::okta(SALES_GROUP, "Sales"));
        okta.add_group(Group::okta("00gengineers", "Engineering"));
        okta.add_group(Group::app("00gadimport0", "AD Engineering"));
        okta.add_group(Group {
            group_type: GroupType::BuiltIn,
            ..Group::okta("00geveryone0", "Everyone")
        });
        for group in ["00gengineers", "00gadimport0", "00geveryone0"] {
            okta.add_member(group, &org.leaver.id);
        }
        okta.add_member("00geveryone0", &org.active.id);
        org
    }

    /// Every user of the org.
    pub fn all(&self) -> [&User; 14] {
        [
            &self.active,
            &self.suspended,
            &self.locked,
            &self.expired,
            &self.recovery,
            &self.staged,
            &self.provisioned,
            &self.deprovisioned,
            &self.leaver,
            &self.joiner,
            &self.marketer,
            &self.lockout,
            &self.mfa,
            &self.admin,
        ]
    }

    /// Users the suspend step cannot act on: each gets a letter and `on_failure`.
    pub fn wrong_status(&self) -> [&User; 6] {
        [
            &self.locked,
            &self.expired,
            &self.recovery,
            &self.staged,
            &self.provisioned,
            &self.deprovisioned,
        ]
    }

    /// One delivery with an event for each user, for the rule that reacts to it.
    pub fn delivery(&self) -> Vec<Value> {
        let suspicious = "user.account.report_suspicious_activity_by_enduser";
        let mut events: Vec<Value> = [
            &self.active,
            &self.suspended,
            &self.locked,
            &self.expired,
            &self.recovery,
            &self.staged,
            &self.provisioned,
            &self.deprovisioned,
        ]
        .iter()
        .map(|u| event_about(suspicious, &format!("suspicious-{}", u.id), u))
        .collect();
        events.push(event_about(
            "user.lifecycle.deactivate",
            "deactivated-leaver",
            &self.leaver,
        ));
        events.push(created("created-joiner", &self.joiner));
        events.push(created("created-marketer", &self.marketer));
        events.push(event_about(
            "user.account.lock",
            "locked-lockout",
            &self.lockout,
        ));
        events.push(event_about(
            "user.mfa.factor.suspend",
            "mfa-suspend",
            &self.mfa,
        ));
        events.push(event_about(
            "user.account.privilege.grant",
            "privilege-grant",
            &self.admin,
        ));
        events
    }

    /// The changes the shipped rules make on [`Org::delivery`], as [`changes_of`] lists
    /// them: the ACTIVE user suspended and signed out; the already SUSPENDED one signed
    /// out (the refused suspend counted as done, not applied); the leaver signed out and
    /// taken out of the one Okta-managed group (not the `APP_GROUP`, not Everyone); the
    /// Sales joiner added to Sales; the wrong-status users untouched.
    pub fn expected_changes(&self) -> Vec<String> {
        let active = &self.active.id;
        let suspended = &self.suspended.id;
        let leaver = &self.leaver.id;
        let joiner = &self.joiner.id;
        let mut expected = vec![
            format!("suspend {active}"),
            format!("clear_sessions {active}"),
            format!("clear_sessions {suspended}"),
            format!("clear_sessions {leaver}"),
            format!("remove_from_group {leaver} 00gengineers"),
            format!("add_to_group {joiner} {SALES_GROUP}"),
        ];
        expected.sort();
        expected
    }

    /// Asserts the org's state after the shipped rules ran on [`Org::delivery`] once (or
    /// more: nothing may change twice): the changes, each once; every user's status; the
    /// memberships; and the suspend before the sign-out within the lock-down plan.
    pub fn assert_state(&self, okta: &OktaDouble) {
        assert_eq!(changes_of(okta), self.expected_changes());
        for user in self.all() {
            let want = if user.id == self.active.id {
                "SUSPENDED"
            } else {
                user.status.as_str()
            };
            assert_eq!(okta.status(&user.id), Some(want), "{}", user.id);
        }
        assert_eq!(
            okta.groups_of(&self.leaver.id),
            ["00gadimport0", "00geveryone0"]
        );
        assert!(okta.is_member(SALES_GROUP, &self.joiner.id));
        assert!(!okta.is_member(SALES_GROUP, &self.marketer.id));
        let order: Vec<String> = okta
            .changes()
            .iter()
            .filter(|c| c.user.as_deref() == Some(self.active.id.as_str()))
            .map(|c| c.op.clone())
            .collect();
        assert_eq!(order, ["suspend", "clear_sessions"]);
    }

    /// Asserts the users DLQ's `letters`: one per wrong-status user, naming the status.
    pub fn assert_letters(&self, letters: &[Value]) {
        assert_eq!(letters.len(), self.wrong_status().len(), "{letters:?}");
        for user in self.wrong_status() {
            let status = user.status.as_str();
            let letter = letters
                .iter()
                .find(|l| l["event"] == json!(format!("suspicious-{}", user.id)))
                .unwrap_or_else(|| panic!("no letter for {} ({status}): {letters:?}", user.id));
            assert_eq!(letter["action"], "user.suspend", "{letter}");
            assert_eq!(
                letter["rule"], "lock-down-on-suspicious-activity",
                "{letter}"
            );
            let failure = &letter["failure"];
            assert_eq!(failure["class"], "permanent", "{letter}");
            assert_eq!(failure["userStatus"], status, "{letter}");
            assert_eq!(
                failure["error"],
                format!("user is {status}; user.suspend needs ACTIVE"),
                "{letter}"
            );
            assert_eq!(failure["errorCode"], "E0000038", "{letter}");
        }
    }

    /// Asserts what the security channel was told (`texts`, every message once): two
    /// lock-downs, six failed lock-downs, the lockout, the MFA change, the grant.
    pub fn assert_told(&self, texts: &[String]) {
        let with = |needle: &str| texts.iter().filter(|t| t.contains(needle)).count();
        for user in self.wrong_status() {
            let login = login(&user.id);
            let status = user.status.as_str();
            assert_eq!(
                with(&format!(
                    "Lock-down of {login} failed at user.suspend: user is {status}; user.suspend needs ACTIVE"
                )),
                1,
                "{texts:?}"
            );
            assert_eq!(with(&format!("Suspended {login} ")), 0, "{texts:?}");
        }
        for user in [&self.active, &self.suspended] {
            assert_eq!(
                with(&format!(
                    "Suspended {} and ended their sessions",
                    login(&user.id)
                )),
                1,
                "{texts:?}"
            );
        }
        assert_eq!(
            with(&format!("{} was locked out", login(&self.lockout.id))),
            1
        );
        assert_eq!(
            with(&format!("for {} by", login(&self.mfa.id))),
            1,
            "{texts:?}"
        );
        assert_eq!(
            with(&format!("to {}.", login(&self.admin.id))),
            1,
            "{texts:?}"
        );
        assert_eq!(texts.len(), 11, "{texts:?}");
    }
}
