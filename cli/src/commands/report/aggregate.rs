//! The report's numbers, tallied from what the reads return, with no I/O: users, apps,
//! assignments, factor lists and System Log events go in ([`Tally::user`], …), a
//! [`Report`] comes out ([`Tally::finish`]). A tally is plain data (serde) so a
//! checkpoint can hold it between runs.

use std::collections::{BTreeMap, BTreeSet};

use okta_client::models::{AppUser, Application, Factor, User};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::model::{
    AppRow, FactorsMode, LastSignIn, Mfa, RISK_SAMPLES, Report, Risk, RiskSample, STATUSES, Source,
    UNUSED_USERS_LISTED, Users,
};

/// A successful sign-in to an app.
pub const SSO: &str = "user.authentication.sso";
const LOCK: &str = "user.account.lock";
const LOCK_LIMIT: &str = "user.account.lock.limit";
const MFA_RESET_ALL: &str = "user.mfa.factor.reset_all";
const MFA_DEACTIVATE: &str = "user.mfa.factor.deactivate";
const MFA_ACTIVATE: &str = "user.mfa.factor.activate";
const AUTH_VIA_MFA: &str = "user.authentication.auth_via_mfa";
const SUSPICIOUS: &str = "user.account.report_suspicious_activity_by_enduser";
const USER_GRANT: &str = "user.account.privilege.grant";
const GROUP_GRANT: &str = "group.privilege.grant";
const USER_REVOKE: &str = "user.account.privilege.revoke";

/// Every event type the report reads from the System Log, in one query.
pub const EVENT_TYPES: [&str; 11] = [
    SSO,
    LOCK,
    LOCK_LIMIT,
    MFA_RESET_ALL,
    MFA_DEACTIVATE,
    MFA_ACTIVATE,
    AUTH_VIA_MFA,
    SUSPICIOUS,
    USER_GRANT,
    GROUP_GRANT,
    USER_REVOKE,
];

/// One app and the users assigned to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppTally {
    /// Id, label, status, sign-on mode (the counts are filled by [`Tally::finish`]).
    pub row: AppRow,
    /// Ids of the users assigned.
    pub assigned: BTreeSet<String>,
}

/// Sign-ins to one app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Signins {
    count: u64,
    users: BTreeSet<String>,
}

/// Everything counted so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Start of the window (Unix seconds).
    since: i64,
    /// End of the window (Unix seconds, exclusive).
    until: i64,
    /// How many ACTIVE users to sample for factors.
    sample_size: usize,
    by_status: BTreeMap<String, u64>,
    created_in_window: u64,
    never_signed_in: u64,
    signed_in_in_window: u64,
    idle: u64,
    last_sign_in: LastSignIn,
    /// ACTIVE users: id → login (the unused users of an app are named by login).
    active: BTreeMap<String, String>,
    /// The factor sample (Algorithm R over the ACTIVE users, in list order).
    reservoir: Vec<String>,
    /// ACTIVE users the reservoir has seen.
    reservoir_seen: u64,
    /// The reservoir's random state (splitmix64).
    rng: u64,
    /// The apps, in list order.
    pub apps: Vec<AppTally>,
    signins: BTreeMap<String, Signins>,
    per_day: BTreeMap<String, u64>,
    risk: Risk,
    locked: BTreeSet<String>,
    mfa_users: BTreeSet<String>,
    enrolled_in_window: u64,
    factors_listed: u64,
    factors_enrolled: u64,
    by_factor_type: BTreeMap<String, u64>,
    events: u64,
}

fn parse_time(text: Option<&str>) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text?, &Rfc3339).ok()
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

impl Tally {
    /// An empty tally of the window `since .. until`, sampling `sample_size` ACTIVE users'
    /// factors with a generator seeded by `seed` (the same seed, the same sample).
    pub fn new(
        since: OffsetDateTime,
        until: OffsetDateTime,
        sample_size: usize,
        seed: u64,
    ) -> Tally {
        let mut per_day = BTreeMap::new();
        let mut day = since.date();
        let last = (until - Duration::nanoseconds(1)).date();
        while day <= last {
            per_day.insert(day.to_string(), 0);
            match day.next_day() {
                Some(next) => day = next,
                None => break,
            }
        }
        Tally {
            since: since.unix_timestamp(),
            until: until.unix_timestamp(),
            sample_size,
            by_status: STATUSES.iter().map(|s| ((*s).to_owned(), 0)).collect(),
            created_in_window: 0,
            never_signed_in: 0,
            signed_in_in_window: 0,
            idle: 0,
            last_sign_in: LastSignIn::default(),
            active: BTreeMap::new(),
            reservoir: Vec::new(),
            reservoir_seen: 0,
            rng: seed,
            apps: Vec::new(),
            signins: BTreeMap::new(),
            per_day,
            risk: Risk::default(),
            locked: BTreeSet::new(),
            mfa_users: BTreeSet::new(),
            enrolled_in_window: 0,
            factors_listed: 0,
            factors_enrolled: 0,
            by_factor_type: BTreeMap::new(),
            events: 0,
        }
    }

    /// splitmix64: small, seedable, and good enough to pick a sample.
    fn next_random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A user of the plain list (every status but DEPROVISIONED: a DEPROVISIONED user
    /// here is skipped, as [`Tally::deprovisioned`] counts those).
    pub fn user(&mut self, user: &User) {
        let status = user.status.as_deref().unwrap_or("UNKNOWN");
        if status == "DEPROVISIONED" {
            return;
        }
        *self.by_status.entry(status.to_owned()).or_default() += 1;
        let (since, until) = (self.since, self.until);
        let in_window = |t: OffsetDateTime| (since..until).contains(&t.unix_timestamp());
        if parse_time(user.created.as_deref()).is_some_and(in_window) {
            self.created_in_window += 1;
        }
        let last = parse_time(user.last_login.as_deref());
        match last {
            None => {
                self.never_signed_in += 1;
                self.last_sign_in.never += 1;
            }
            Some(t) => {
                if t.unix_timestamp() >= since {
                    self.signed_in_in_window += 1;
                } else if status == "ACTIVE" {
                    self.idle += 1;
                }
                let days = (until - t.unix_timestamp()) / 86_400;
                match days {
                    ..7 => self.last_sign_in.within_7_days += 1,
                    7..30 => self.last_sign_in.within_30_days += 1,
                    30..90 => self.last_sign_in.within_90_days += 1,
                    _ => self.last_sign_in.older += 1,
                }
            }
        }
        if status == "ACTIVE"
            && let Some(id) = &user.id
        {
            let login = user.login().unwrap_or(id).to_owned();
            self.active.insert(id.clone(), login);
            self.sample(id);
        }
    }

    /// Algorithm R: the first `k` ACTIVE users fill the reservoir, the i-th after them
    /// replaces a random one with probability k / i.
    fn sample(&mut self, id: &str) {
        let k = self.sample_size;
        self.reservoir_seen += 1;
        if self.reservoir.len() < k {
            self.reservoir.push(id.to_owned());
        } else if k > 0 {
            let j = self.next_random() % self.reservoir_seen;
            if let Ok(j) = usize::try_from(j)
                && j < k
            {
                self.reservoir[j] = id.to_owned();
            }
        }
    }

    /// A user of the DEPROVISIONED search.
    pub fn deprovisioned(&mut self, _user: &User) {
        *self
            .by_status
            .entry("DEPROVISIONED".to_owned())
            .or_default() += 1;
    }

    /// An app of the list.
    pub fn app(&mut self, app: &Application) {
        let Some(id) = &app.id else { return };
        self.apps.push(AppTally {
            row: AppRow {
                id: id.clone(),
                label: app.label.clone().unwrap_or_else(|| id.clone()),
                status: app.status.clone().unwrap_or_default(),
                sign_on_mode: app.sign_on_mode.clone().unwrap_or_default(),
                ..AppRow::default()
            },
            assigned: BTreeSet::new(),
        });
    }

    /// A user assigned to the `index`-th app (its `id` is the user's id).
    pub fn app_user(&mut self, index: usize, user: &AppUser) {
        if let (Some(app), Some(id)) = (self.apps.get_mut(index), &user.id) {
            app.assigned.insert(id.clone());
        }
    }

    /// The users whose factors are to be listed, in the order to list them.
    pub fn factor_users(&self, mode: FactorsMode) -> Vec<String> {
        match mode {
            FactorsMode::None => Vec::new(),
            FactorsMode::Sample => self.reservoir.clone(),
            FactorsMode::All => self.active.keys().cloned().collect(),
        }
    }

    /// One user's factors: enrolled when at least one is ACTIVE.
    pub fn factors(&mut self, factors: &[Factor]) {
        self.factors_listed += 1;
        let mut enrolled = false;
        for factor in factors {
            if factor.status.as_deref() == Some("ACTIVE") {
                enrolled = true;
                let kind = factor.factor_type.as_deref().unwrap_or("unknown");
                *self.by_factor_type.entry(kind.to_owned()).or_default() += 1;
            }
        }
        if enrolled {
            self.factors_enrolled += 1;
        }
    }

    /// One System Log event (of [`EVENT_TYPES`]; others are skipped).
    pub fn event(&mut self, event: &Value) {
        self.events += 1;
        let Some(kind) = str_at(event, "/eventType") else {
            return;
        };
        let actor = str_at(event, "/actor/id").unwrap_or_default().to_owned();
        let success = str_at(event, "/outcome/result").is_none_or(|r| r == "SUCCESS");
        match kind {
            SSO if success => {
                let day = str_at(event, "/published")
                    .and_then(|p| p.get(..10))
                    .unwrap_or_default();
                if let Some(n) = self.per_day.get_mut(day) {
                    *n += 1;
                }
                let app = event
                    .get("target")
                    .and_then(Value::as_array)
                    .and_then(|targets| {
                        targets
                            .iter()
                            .find(|t| str_at(t, "/type") == Some("AppInstance"))
                    })
                    .and_then(|t| str_at(t, "/id"));
                // Per app id, listed or not (the app list is checked once, in finish).
                let entry = self
                    .signins
                    .entry(app.unwrap_or_default().to_owned())
                    .or_default();
                entry.count += 1;
                if !actor.is_empty() {
                    entry.users.insert(actor);
                }
                return;
            }
            LOCK | LOCK_LIMIT => {
                if kind == LOCK {
                    self.risk.lockouts += 1;
                } else {
                    self.risk.lockouts_at_limit += 1;
                }
                if !actor.is_empty() {
                    self.locked.insert(actor);
                }
            }
            MFA_RESET_ALL | MFA_DEACTIVATE => self.risk.mfa_resets += 1,
            MFA_ACTIVATE => {
                self.enrolled_in_window += 1;
                return;
            }
            AUTH_VIA_MFA if success => {
                if !actor.is_empty() {
                    self.mfa_users.insert(actor);
                }
                return;
            }
            SUSPICIOUS => self.risk.suspicious_reports += 1,
            USER_GRANT | GROUP_GRANT => self.risk.admin_grants += 1,
            USER_REVOKE => self.risk.admin_revokes += 1,
            _ => return,
        }
        let kept = self
            .risk
            .samples
            .iter()
            .filter(|s| s.event_type == kind)
            .count();
        if kept < RISK_SAMPLES {
            let name = |v: &Value| {
                str_at(v, "/alternateId")
                    .or_else(|| str_at(v, "/id"))
                    .unwrap_or_default()
                    .to_owned()
            };
            let target = event
                .get("target")
                .and_then(Value::as_array)
                .map(|targets| targets.iter().map(name).collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            self.risk.samples.push(RiskSample {
                event_type: kind.to_owned(),
                published: str_at(event, "/published").unwrap_or_default().to_owned(),
                actor: event.get("actor").map(name).unwrap_or_default(),
                target,
            });
        }
    }

    /// The report: apps with the most unused assignments first.
    pub fn finish(
        &self,
        org_url: &str,
        generated_at: &str,
        mode: FactorsMode,
        source: Source,
    ) -> Report {
        let format = |unix: i64| {
            OffsetDateTime::from_unix_timestamp(unix)
                .ok()
                .and_then(|t| t.format(&Rfc3339).ok())
                .unwrap_or_default()
        };
        let empty = Signins::default();
        let mut apps: Vec<AppRow> = self
            .apps
            .iter()
            .map(|app| {
                let signins = self.signins.get(&app.row.id).unwrap_or(&empty);
                let unused: Vec<&String> = app
                    .assigned
                    .iter()
                    .filter(|id| !signins.users.contains(*id))
                    .filter_map(|id| self.active.get(id))
                    .collect();
                let mut unused_users: Vec<String> = unused.iter().map(|l| (*l).clone()).collect();
                unused_users.sort();
                unused_users.truncate(UNUSED_USERS_LISTED);
                AppRow {
                    assigned: app.assigned.len() as u64,
                    signed_in: signins.users.len() as u64,
                    unused: unused.len() as u64,
                    signins: signins.count,
                    unused_users,
                    ..app.row.clone()
                }
            })
            .collect();
        apps.sort_by(|a, b| {
            b.unused
                .cmp(&a.unused)
                .then_with(|| a.label.cmp(&b.label))
                .then_with(|| a.id.cmp(&b.id))
        });
        let population = self.active.len() as u64;
        let (ci_low, ci_high) = match mode {
            FactorsMode::Sample if self.factors_listed > 0 && self.factors_listed < population => {
                let (low, high) = wilson(self.factors_enrolled, self.factors_listed);
                (Some(low), Some(high))
            }
            _ => (None, None),
        };
        let mut risk = self.risk.clone();
        risk.locked_users = self.locked.len() as u64;
        let mut notes = Vec::new();
        let listed: BTreeSet<&str> = self.apps.iter().map(|a| a.row.id.as_str()).collect();
        let unlisted: u64 = self
            .signins
            .iter()
            .filter(|(id, _)| !listed.contains(id.as_str()))
            .map(|(_, s)| s.count)
            .sum();
        if unlisted > 0 {
            notes.push(format!(
                "{unlisted} sign-in(s) to apps not in the app list (deleted since?) are in the \
                 daily counts only"
            ));
        }
        notes.push(
            "sign-ins are user.authentication.sso events: OIDC and bookmark apps may log \
             fewer; never signed in means to Okta (lastLogin), not to an app"
                .to_owned(),
        );
        Report {
            org_url: org_url.to_owned(),
            since: format(self.since),
            until: format(self.until),
            generated_at: generated_at.to_owned(),
            users: Users {
                total: self.by_status.values().sum(),
                by_status: self.by_status.clone(),
                created_in_window: self.created_in_window,
                never_signed_in: self.never_signed_in,
                signed_in_in_window: self.signed_in_in_window,
                idle: self.idle,
                last_sign_in: self.last_sign_in.clone(),
            },
            mfa: Mfa {
                mode,
                population,
                sampled: self.factors_listed,
                enrolled: self.factors_enrolled,
                ci_low,
                ci_high,
                by_factor_type: self.by_factor_type.clone(),
                used_mfa_in_window: self.mfa_users.len() as u64,
                enrolled_in_window: self.enrolled_in_window,
                resets_in_window: self.risk.mfa_resets,
            },
            apps,
            signins_per_day: self.per_day.clone(),
            risk,
            source: Source {
                events: self.events,
                ..source
            },
            notes,
        }
    }
}

/// The Wilson score interval (95 %) of `k` successes in `n` trials, as shares (0..1),
/// rounded to four places.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    #[allow(clippy::cast_precision_loss)]
    let (k, n) = (k as f64, n as f64);
    let z = 1.959_964_f64;
    let p = k / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let round = |x: f64| (x.clamp(0.0, 1.0) * 10_000.0).round() / 10_000.0;
    (round(centre - half), round(centre + half))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &Rfc3339).unwrap()
    }

    /// The window 2026-11-01T00:00Z .. 2026-11-04T00:00Z: three days.
    fn tally() -> Tally {
        Tally::new(at("2026-11-01T00:00:00Z"), at("2026-11-04T00:00:00Z"), 2, 7)
    }

    fn user(id: &str, status: &str, created: &str, last_login: Option<&str>) -> User {
        serde_json::from_value(json!({
            "id": id, "status": status, "created": created, "lastLogin": last_login,
            "profile": {"login": format!("{id}@example.com")}
        }))
        .unwrap()
    }

    fn app(id: &str, label: &str) -> Application {
        serde_json::from_value(json!({"id": id, "label": label, "status": "ACTIVE",
            "signOnMode": "SAML_2_0"}))
        .unwrap()
    }

    fn assigned(id: &str) -> AppUser {
        serde_json::from_value(json!({"id": id, "scope": "USER"})).unwrap()
    }

    fn sso(actor: &str, app: &str, published: &str, result: &str) -> Value {
        json!({"eventType": SSO, "published": published, "outcome": {"result": result},
            "actor": {"id": actor, "type": "User"},
            "target": [{"id": app, "type": "AppInstance"}]})
    }

    fn event(kind: &str, actor: &str, published: &str) -> Value {
        json!({"eventType": kind, "published": published, "outcome": {"result": "SUCCESS"},
            "actor": {"id": actor, "alternateId": format!("{actor}@example.com")},
            "target": [{"id": "00uT", "alternateId": "t@example.com", "type": "User"}]})
    }

    #[test]
    fn users_are_counted_by_status_with_every_documented_status_present() {
        let mut t = tally();
        t.user(&user(
            "00u1",
            "ACTIVE",
            "2026-10-01T00:00:00Z",
            Some("2026-11-02T00:00:00Z"),
        ));
        t.user(&user("00u2", "ACTIVE", "2026-11-02T00:00:00Z", None));
        t.user(&user(
            "00u3",
            "SUSPENDED",
            "2026-01-01T00:00:00Z",
            Some("2026-10-01T00:00:00Z"),
        ));
        t.user(&user(
            "00u4",
            "ACTIVE",
            "2026-01-01T00:00:00Z",
            Some("2026-06-01T00:00:00Z"),
        ));
        t.user(&user(
            "00u5",
            "PENDING_SOMETHING",
            "2026-01-01T00:00:00Z",
            None,
        ));
        // A DEPROVISIONED user in the plain list is the search's to count.
        t.user(&user("00u6", "DEPROVISIONED", "2026-01-01T00:00:00Z", None));
        t.deprovisioned(&user("00u6", "DEPROVISIONED", "2026-01-01T00:00:00Z", None));
        let r = t.finish("https://x", "now", FactorsMode::None, Source::default());
        let u = &r.users;
        assert_eq!(u.by_status["ACTIVE"], 3);
        assert_eq!(u.by_status["SUSPENDED"], 1);
        assert_eq!(u.by_status["DEPROVISIONED"], 1);
        assert_eq!(u.by_status["LOCKED_OUT"], 0);
        assert_eq!(u.by_status["PENDING_SOMETHING"], 1);
        assert_eq!(u.by_status.len(), 9);
        assert_eq!(u.total, 6);
        assert_eq!(u.created_in_window, 1);
        assert_eq!(u.never_signed_in, 2);
        assert_eq!(u.signed_in_in_window, 1);
        // Only ACTIVE users are idle: 00u4 (00u3 is suspended).
        assert_eq!(u.idle, 1);
        assert_eq!(u.last_sign_in.within_7_days, 1);
        assert_eq!(u.last_sign_in.within_90_days, 1);
        assert_eq!(u.last_sign_in.older, 1);
        assert_eq!(u.last_sign_in.never, 2);
    }

    #[test]
    fn sign_ins_count_per_app_and_per_day_and_unused_excludes_suspended_users() {
        let mut t = tally();
        for (id, status) in [("00uA", "ACTIVE"), ("00uB", "ACTIVE"), ("00uC", "ACTIVE")] {
            t.user(&user(id, status, "2026-01-01T00:00:00Z", None));
        }
        t.user(&user("00uS", "SUSPENDED", "2026-01-01T00:00:00Z", None));
        t.app(&app("0oa1", "Salesforce"));
        t.app(&app("0oa2", "Zoom"));
        for u in ["00uA", "00uB", "00uC", "00uS"] {
            t.app_user(0, &assigned(u));
        }
        t.app_user(1, &assigned("00uA"));
        t.app_user(1, &assigned("00uA"));
        t.event(&sso("00uA", "0oa1", "2026-11-01T10:00:00.000Z", "SUCCESS"));
        t.event(&sso("00uA", "0oa1", "2026-11-03T10:00:00.000Z", "SUCCESS"));
        t.event(&sso("00uB", "0oa1", "2026-11-03T11:00:00.000Z", "FAILURE"));
        t.event(&sso("00uA", "0oa2", "2026-11-03T12:00:00.000Z", "SUCCESS"));
        t.event(&sso(
            "00uZ",
            "0oaGONE",
            "2026-11-03T12:00:00.000Z",
            "SUCCESS",
        ));
        let r = t.finish("https://x", "now", FactorsMode::None, Source::default());
        let days: Vec<(&str, u64)> = r
            .signins_per_day
            .iter()
            .map(|(d, n)| (d.as_str(), *n))
            .collect();
        assert_eq!(
            days,
            [("2026-11-01", 1), ("2026-11-02", 0), ("2026-11-03", 3)]
        );
        let sf = &r.apps[0];
        assert_eq!(sf.label, "Salesforce");
        assert_eq!(
            (sf.assigned, sf.signed_in, sf.signins, sf.unused),
            (4, 1, 2, 2)
        );
        // 00uS is assigned but suspended: not unused; 00uB failed: unused.
        assert_eq!(sf.unused_users, ["00uB@example.com", "00uC@example.com"]);
        let zoom = &r.apps[1];
        assert_eq!(
            (zoom.assigned, zoom.signed_in, zoom.signins, zoom.unused),
            (1, 1, 1, 0)
        );
        assert!(r.notes[0].starts_with("1 sign-in(s) to apps not in the app list"));
    }

    #[test]
    fn risky_events_are_counted_with_samples_and_distinct_locked_users() {
        let mut t = tally();
        let p = "2026-11-02T00:00:00.000Z";
        t.event(&event(LOCK, "00u1", p));
        t.event(&event(LOCK, "00u1", p));
        t.event(&event(LOCK_LIMIT, "00u2", p));
        t.event(&event(MFA_RESET_ALL, "00uADMIN", p));
        t.event(&event(MFA_DEACTIVATE, "00uADMIN", p));
        t.event(&event(MFA_ACTIVATE, "00u3", p));
        t.event(&event(AUTH_VIA_MFA, "00u3", p));
        t.event(&event(AUTH_VIA_MFA, "00u3", p));
        t.event(&event(AUTH_VIA_MFA, "00u4", p));
        t.event(&event(SUSPICIOUS, "00u5", p));
        t.event(&event(USER_GRANT, "00uADMIN", p));
        t.event(&event(GROUP_GRANT, "00uADMIN", p));
        t.event(&event(USER_REVOKE, "00uADMIN", p));
        t.event(&event("user.session.start", "00u1", p));
        let r = t.finish("https://x", "now", FactorsMode::None, Source::default());
        let k = &r.risk;
        assert_eq!((k.lockouts, k.lockouts_at_limit, k.locked_users), (2, 1, 2));
        assert_eq!(k.mfa_resets, 2);
        assert_eq!(k.suspicious_reports, 1);
        assert_eq!((k.admin_grants, k.admin_revokes), (2, 1));
        assert_eq!(r.mfa.used_mfa_in_window, 2);
        assert_eq!(r.mfa.enrolled_in_window, 1);
        assert_eq!(r.mfa.resets_in_window, 2);
        assert_eq!(r.source.events, 14);
        let grant = k
            .samples
            .iter()
            .find(|s| s.event_type == USER_GRANT)
            .unwrap();
        assert_eq!(grant.actor, "00uADMIN@example.com");
        assert_eq!(grant.target, "t@example.com");
        assert_eq!(k.samples.len(), 9);
    }

    #[test]
    fn the_factor_sample_is_seeded_and_bounded_and_enrolled_means_an_active_factor() {
        let users: Vec<User> = (0..50)
            .map(|i| {
                user(
                    &format!("00u{i:02}"),
                    "ACTIVE",
                    "2026-01-01T00:00:00Z",
                    None,
                )
            })
            .collect();
        let run = |seed| {
            let mut t = Tally::new(
                at("2026-11-01T00:00:00Z"),
                at("2026-11-04T00:00:00Z"),
                5,
                seed,
            );
            users.iter().for_each(|u| t.user(u));
            t
        };
        let a = run(1).factor_users(FactorsMode::Sample);
        assert_eq!(a.len(), 5);
        assert_eq!(a, run(1).factor_users(FactorsMode::Sample));
        assert_ne!(a, run(2).factor_users(FactorsMode::Sample));
        assert_eq!(run(1).factor_users(FactorsMode::All).len(), 50);
        assert!(run(1).factor_users(FactorsMode::None).is_empty());

        let mut t = run(1);
        let factor = |kind: &str, status: &str| -> Factor {
            serde_json::from_value(json!({"factorType": kind, "status": status})).unwrap()
        };
        t.factors(&[
            factor("push", "ACTIVE"),
            factor("sms", "PENDING_ACTIVATION"),
        ]);
        t.factors(&[factor("sms", "PENDING_ACTIVATION")]);
        t.factors(&[]);
        t.factors(&[factor("push", "ACTIVE"), factor("webauthn", "ACTIVE")]);
        let r = t.finish("https://x", "now", FactorsMode::Sample, Source::default());
        assert_eq!(
            (r.mfa.population, r.mfa.sampled, r.mfa.enrolled),
            (50, 4, 2)
        );
        assert_eq!(r.mfa.by_factor_type["push"], 2);
        assert!(!r.mfa.by_factor_type.contains_key("sms"));
        assert_eq!((r.mfa.ci_low, r.mfa.ci_high), (Some(0.1500), Some(0.8500)));
    }

    #[test]
    fn the_wilson_interval_matches_the_textbook_values() {
        // 81 of 263: 0.2553 .. 0.3662 (Wilson 1927 via Newcombe 1998's worked example).
        assert_eq!(wilson(81, 263), (0.2553, 0.3662));
        assert_eq!(wilson(0, 10).0, 0.0);
        assert_eq!(wilson(10, 10).1, 1.0);
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }

    #[test]
    fn a_tally_survives_a_json_round_trip() {
        let mut t = tally();
        t.user(&user("00u1", "ACTIVE", "2026-10-01T00:00:00Z", None));
        t.app(&app("0oa1", "A"));
        t.app_user(0, &assigned("00u1"));
        let back: Tally = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }
}
