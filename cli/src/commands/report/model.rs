//! The report as data: what `collect` and `aggregate` produce and every output format
//! (table, JSON, CSV, HTML) reads. `--format json` prints it as is, so its field names
//! are the machine contract: `users.by_status` is `{"ACTIVE": n, "SUSPENDED": n, …}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The user statuses Okta documents: always present in `users.by_status` (zero when no
/// user has it), so a consumer need not test for a missing key. Newer values Okta may
/// send are kept as extra keys.
pub const STATUSES: [&str; 8] = [
    "ACTIVE",
    "STAGED",
    "PROVISIONED",
    "RECOVERY",
    "PASSWORD_EXPIRED",
    "LOCKED_OUT",
    "SUSPENDED",
    "DEPROVISIONED",
];

/// `by_status` in the order of [`STATUSES`] (the lifecycle's), then any other status
/// alphabetically: the order a table or chart shows them in.
pub fn statuses_in_order(by_status: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    let known = STATUSES
        .iter()
        .map(|s| (*s, by_status.get(*s).copied().unwrap_or(0)));
    let other = by_status
        .iter()
        .filter(|(s, _)| !STATUSES.contains(&s.as_str()))
        .map(|(s, n)| (s.as_str(), *n));
    known.chain(other).collect()
}

/// At most this many logins of unused users are listed per app.
pub const UNUSED_USERS_LISTED: usize = 50;
/// At most this many sample events are kept per risky event type.
pub const RISK_SAMPLES: usize = 20;

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The org read (`https://acme.okta.com`).
    pub org_url: String,
    /// Start of the window (RFC 3339, UTC, inclusive).
    pub since: String,
    /// End of the window (RFC 3339, UTC, exclusive): when the run started.
    pub until: String,
    /// When the report was written (RFC 3339, UTC).
    pub generated_at: String,
    /// Users by status and sign-in.
    pub users: Users,
    /// MFA enrolment (sampled or counted) and MFA use in the window.
    pub mfa: Mfa,
    /// Every app, most unused assignments first.
    pub apps: Vec<AppRow>,
    /// Successful app sign-ins (`user.authentication.sso`) per UTC day, every day of
    /// the window (zeros kept).
    pub signins_per_day: BTreeMap<String, u64>,
    /// Risky activity in the window.
    pub risk: Risk,
    /// What was read to make it.
    pub source: Source,
    /// What the numbers do not show.
    pub notes: Vec<String>,
}

/// Users by status and sign-in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Users {
    /// Every user, DEPROVISIONED included.
    pub total: u64,
    /// Users per status: the eight of [`STATUSES`] always, and any other Okta sent.
    pub by_status: BTreeMap<String, u64>,
    /// Users (not DEPROVISIONED) created in the window.
    pub created_in_window: u64,
    /// Users (not DEPROVISIONED) who never signed in to Okta (`lastLogin` null).
    pub never_signed_in: u64,
    /// Users (not DEPROVISIONED) whose last sign-in is in the window.
    pub signed_in_in_window: u64,
    /// ACTIVE users who signed in once, but not since the window started.
    pub idle: u64,
    /// Users (not DEPROVISIONED) by how long ago they last signed in, counted back from
    /// the end of the window.
    pub last_sign_in: LastSignIn,
}

/// Users (not DEPROVISIONED) by the age of their last sign-in at the end of the window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSignIn {
    /// In the last 7 days.
    pub within_7_days: u64,
    /// 8 to 30 days ago.
    pub within_30_days: u64,
    /// 31 to 90 days ago.
    pub within_90_days: u64,
    /// More than 90 days ago.
    pub older: u64,
    /// Never.
    pub never: u64,
}

/// How MFA enrolment was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FactorsMode {
    /// No factor listed (only the System Log's MFA numbers).
    None,
    /// The factors of a random sample of ACTIVE users.
    Sample,
    /// The factors of every ACTIVE user (one call per user).
    All,
}

impl FactorsMode {
    /// Its name on the command line and in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorsMode::None => "none",
            FactorsMode::Sample => "sample",
            FactorsMode::All => "all",
        }
    }
}

/// MFA enrolment and use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mfa {
    /// How enrolment was measured.
    pub mode: FactorsMode,
    /// ACTIVE users: the population sampled.
    pub population: u64,
    /// Users whose factors were listed.
    pub sampled: u64,
    /// Of those, users with at least one ACTIVE factor.
    pub enrolled: u64,
    /// Wilson 95 % interval of the enrolled share of the population, when the users
    /// listed are a sample smaller than it (`None` when every user was listed).
    pub ci_low: Option<f64>,
    /// Upper bound of that interval.
    pub ci_high: Option<f64>,
    /// ACTIVE factors of the users listed, per `factorType`.
    pub by_factor_type: BTreeMap<String, u64>,
    /// Distinct users who signed in with MFA in the window (`user.authentication.auth_via_mfa`).
    pub used_mfa_in_window: u64,
    /// Factors enrolled in the window (`user.mfa.factor.activate`).
    pub enrolled_in_window: u64,
    /// Factor resets in the window (`user.mfa.factor.reset_all`, `user.mfa.factor.deactivate`).
    pub resets_in_window: u64,
}

/// One app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppRow {
    /// The app's id (`0oa…`).
    pub id: String,
    /// Its label.
    pub label: String,
    /// `ACTIVE`, `INACTIVE`.
    pub status: String,
    /// `SAML_2_0`, `OPENID_CONNECT`, `BOOKMARK`, …
    pub sign_on_mode: String,
    /// Users assigned (directly or through a group).
    pub assigned: u64,
    /// Distinct users who signed in to it in the window.
    pub signed_in: u64,
    /// Assigned ACTIVE users who did not sign in to it in the window.
    pub unused: u64,
    /// Successful sign-ins to it in the window.
    pub signins: u64,
    /// Logins of the first unused users (at most [`UNUSED_USERS_LISTED`], sorted).
    pub unused_users: Vec<String>,
}

/// Risky activity in the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    /// Account lockouts (`user.account.lock`).
    pub lockouts: u64,
    /// Lockouts at the lockout limit (`user.account.lock.limit`).
    pub lockouts_at_limit: u64,
    /// Distinct users locked out (either event).
    pub locked_users: u64,
    /// MFA resets (`user.mfa.factor.reset_all`, `user.mfa.factor.deactivate`).
    pub mfa_resets: u64,
    /// Suspicious activity reported by users
    /// (`user.account.report_suspicious_activity_by_enduser`).
    pub suspicious_reports: u64,
    /// Admin privileges granted (`user.account.privilege.grant`, `group.privilege.grant`).
    pub admin_grants: u64,
    /// Admin privileges revoked (`user.account.privilege.revoke`).
    pub admin_revokes: u64,
    /// The first events of each type (at most [`RISK_SAMPLES`] per type).
    pub samples: Vec<RiskSample>,
}

/// One risky event, as listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskSample {
    /// Its `eventType`.
    pub event_type: String,
    /// Its `published`.
    pub published: String,
    /// The actor's `alternateId` (else id).
    pub actor: String,
    /// The targets' `alternateId`s (else ids), comma separated.
    pub target: String,
}

/// What was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Pages (or single calls) read per phase.
    pub pages_by_phase: BTreeMap<String, u64>,
    /// System Log events read.
    pub events: u64,
    /// Seconds spent waiting for rate limits.
    pub waited_s: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_show_in_lifecycle_order_then_unknown_ones() {
        let by_status: BTreeMap<String, u64> = [("SUSPENDED", 2), ("ACTIVE", 5), ("NEW_ONE", 1)]
            .into_iter()
            .map(|(s, n)| (s.to_owned(), n))
            .collect();
        let order = statuses_in_order(&by_status);
        assert_eq!(order.len(), 9);
        assert_eq!(order[0], ("ACTIVE", 5));
        assert_eq!(order[1], ("STAGED", 0));
        assert_eq!(order[6], ("SUSPENDED", 2));
        assert_eq!(order[8], ("NEW_ONE", 1));
    }
}
