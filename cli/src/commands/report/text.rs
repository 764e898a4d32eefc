//! The report as text: a table for the terminal, one JSON document, tidy CSV.

use std::fmt::Write as _;

use crate::commands::backtest::csv_field;

use super::model::{FactorsMode, Report, statuses_in_order};

/// [`crate::commands::scopes::aligned`] rows, each indented by two spaces (a section's
/// lines under its heading).
fn aligned(rows: &[Vec<String>]) -> String {
    crate::commands::scopes::aligned(rows)
        .lines()
        .map(|line| format!("  {line}\n"))
        .collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// A share as a percentage with one decimal (`75.0 %`).
pub fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// What the MFA numbers say, in one line (the table's and the HTML's).
pub fn mfa_line(report: &Report) -> String {
    let m = &report.mfa;
    match m.mode {
        FactorsMode::None => "factors not listed (--factors none)".to_owned(),
        _ if m.sampled == 0 => "no ACTIVE user to list the factors of".to_owned(),
        mode => {
            #[allow(clippy::cast_precision_loss)]
            let share = m.enrolled as f64 / m.sampled as f64;
            let whom = if mode == FactorsMode::Sample && m.sampled < m.population {
                format!(
                    "a random sample of {} of {} ACTIVE users",
                    m.sampled, m.population
                )
            } else {
                format!("all {} ACTIVE users", m.sampled)
            };
            let ci = match (m.ci_low, m.ci_high) {
                (Some(low), Some(high)) => {
                    format!(", 95 % CI {} .. {}", percent(low), percent(high))
                }
                _ => String::new(),
            };
            format!(
                "{} of {whom} have an active factor ({}{ci})",
                m.enrolled,
                percent(share)
            )
        }
    }
}

/// The report for a terminal: one aligned section after another.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let u = &report.users;
    let _ = writeln!(
        out,
        "Okta usage report for {}: {} .. {}\n",
        report.org_url, report.since, report.until
    );
    let _ = writeln!(out, "Users: {} in all", u.total);
    let mut rows: Vec<Vec<String>> = statuses_in_order(&u.by_status)
        .into_iter()
        .map(|(status, n)| vec![status.to_owned(), n.to_string()])
        .collect();
    rows.push(row(&[
        "created in the window",
        &u.created_in_window.to_string(),
    ]));
    rows.push(row(&[
        "signed in in the window",
        &u.signed_in_in_window.to_string(),
    ]));
    rows.push(row(&["never signed in", &u.never_signed_in.to_string()]));
    rows.push(row(&[
        "ACTIVE, idle since before the window",
        &u.idle.to_string(),
    ]));
    out.push_str(&aligned(&rows));
    let l = &u.last_sign_in;
    let _ = writeln!(out, "\nLast sign-in (before the end of the window)");
    out.push_str(&aligned(&[
        row(&["0-6 days", &l.within_7_days.to_string()]),
        row(&["7-29 days", &l.within_30_days.to_string()]),
        row(&["30-89 days", &l.within_90_days.to_string()]),
        row(&["90 days or more", &l.older.to_string()]),
        row(&["never", &l.never.to_string()]),
    ]));

    let m = &report.mfa;
    let _ = writeln!(out, "\nMFA");
    let mut rows = vec![row(&["enrolled", &mfa_line(report)])];
    if !m.by_factor_type.is_empty() {
        let kinds: Vec<String> = m
            .by_factor_type
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        rows.push(vec!["active factors".to_owned(), kinds.join(", ")]);
    }
    rows.push(row(&[
        "users who used MFA in the window",
        &m.used_mfa_in_window.to_string(),
    ]));
    rows.push(row(&[
        "factors enrolled in the window",
        &m.enrolled_in_window.to_string(),
    ]));
    rows.push(row(&[
        "factor resets in the window",
        &m.resets_in_window.to_string(),
    ]));
    out.push_str(&aligned(&rows));

    let _ = writeln!(
        out,
        "\nApplications: {} (most unused first)",
        report.apps.len()
    );
    let mut rows = vec![row(&[
        "APP",
        "ID",
        "STATUS",
        "ASSIGNED",
        "SIGNED IN",
        "UNUSED",
        "SIGN-INS",
    ])];
    for a in &report.apps {
        rows.push(vec![
            a.label.clone(),
            a.id.clone(),
            a.status.clone(),
            a.assigned.to_string(),
            a.signed_in.to_string(),
            a.unused.to_string(),
            a.signins.to_string(),
        ]);
    }
    out.push_str(&aligned(&rows));

    let total: u64 = report.signins_per_day.values().sum();
    let _ = writeln!(out, "\nSign-ins per day (UTC): {total} in all");
    let rows: Vec<Vec<String>> = report
        .signins_per_day
        .iter()
        .map(|(day, n)| vec![day.clone(), n.to_string()])
        .collect();
    out.push_str(&aligned(&rows));

    let k = &report.risk;
    let _ = writeln!(out, "\nRisky activity in the window");
    out.push_str(&aligned(&[
        row(&["lockouts", &k.lockouts.to_string()]),
        row(&["lockouts at the limit", &k.lockouts_at_limit.to_string()]),
        row(&["users locked out", &k.locked_users.to_string()]),
        row(&["MFA resets", &k.mfa_resets.to_string()]),
        row(&[
            "suspicious activity reports",
            &k.suspicious_reports.to_string(),
        ]),
        row(&["admin grants", &k.admin_grants.to_string()]),
        row(&["admin revokes", &k.admin_revokes.to_string()]),
    ]));
    if !k.samples.is_empty() {
        let _ = writeln!(out, "\nRisky events (first of each type)");
        let mut rows = vec![row(&["PUBLISHED", "EVENT", "ACTOR", "TARGET"])];
        for s in &k.samples {
            rows.push(vec![
                s.published.clone(),
                s.event_type.clone(),
                s.actor.clone(),
                s.target.clone(),
            ]);
        }
        out.push_str(&aligned(&rows));
    }
    let _ = writeln!(out);
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// The report as one JSON document (pretty).
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| unreachable!("a report is plain data: {e}"))
}

/// The report as tidy CSV, one header, one number per row:
/// `section,id,label,metric,value` (`users,,ACTIVE,count,120`,
/// `app,0oa1,Salesforce,unused,7`, `day,2026-11-03,,signins,41`).
pub fn csv(report: &Report) -> String {
    let mut out = String::from("section,id,label,metric,value\n");
    let mut line = |section: &str, id: &str, label: &str, metric: &str, value: &str| {
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            csv_field(section),
            csv_field(id),
            csv_field(label),
            csv_field(metric),
            csv_field(value)
        );
    };
    let u = &report.users;
    line("users", "", "total", "count", &u.total.to_string());
    for (status, n) in &u.by_status {
        line("users", "", status, "count", &n.to_string());
    }
    for (metric, n) in [
        ("created_in_window", u.created_in_window),
        ("signed_in_in_window", u.signed_in_in_window),
        ("never_signed_in", u.never_signed_in),
        ("idle", u.idle),
        ("last_sign_in_within_7_days", u.last_sign_in.within_7_days),
        ("last_sign_in_within_30_days", u.last_sign_in.within_30_days),
        ("last_sign_in_within_90_days", u.last_sign_in.within_90_days),
        ("last_sign_in_older", u.last_sign_in.older),
        ("last_sign_in_never", u.last_sign_in.never),
    ] {
        line("users", "", "", metric, &n.to_string());
    }
    let m = &report.mfa;
    line("mfa", "", "", "population", &m.population.to_string());
    line("mfa", "", "", "sampled", &m.sampled.to_string());
    line("mfa", "", "", "enrolled", &m.enrolled.to_string());
    if let (Some(low), Some(high)) = (m.ci_low, m.ci_high) {
        line("mfa", "", "", "ci_low", &low.to_string());
        line("mfa", "", "", "ci_high", &high.to_string());
    }
    for (kind, n) in &m.by_factor_type {
        line("mfa", "", kind, "active_factors", &n.to_string());
    }
    line(
        "mfa",
        "",
        "",
        "used_mfa_in_window",
        &m.used_mfa_in_window.to_string(),
    );
    line(
        "mfa",
        "",
        "",
        "enrolled_in_window",
        &m.enrolled_in_window.to_string(),
    );
    line(
        "mfa",
        "",
        "",
        "resets_in_window",
        &m.resets_in_window.to_string(),
    );
    for a in &report.apps {
        for (metric, n) in [
            ("assigned", a.assigned),
            ("signed_in", a.signed_in),
            ("unused", a.unused),
            ("signins", a.signins),
        ] {
            line("app", &a.id, &a.label, metric, &n.to_string());
        }
    }
    for (day, n) in &report.signins_per_day {
        line("day", day, "", "signins", &n.to_string());
    }
    let k = &report.risk;
    for (metric, n) in [
        ("lockouts", k.lockouts),
        ("lockouts_at_limit", k.lockouts_at_limit),
        ("locked_users", k.locked_users),
        ("mfa_resets", k.mfa_resets),
        ("suspicious_reports", k.suspicious_reports),
        ("admin_grants", k.admin_grants),
        ("admin_revokes", k.admin_revokes),
    ] {
        line("risk", "", "", metric, &n.to_string());
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::super::model::{AppRow, LastSignIn, Mfa, Risk, RiskSample, STATUSES, Source, Users};
    use super::*;

    /// A small report: two apps (one with a hostile label), three days.
    pub(crate) fn sample() -> Report {
        let mut by_status: BTreeMap<String, u64> =
            STATUSES.iter().map(|s| ((*s).to_owned(), 0)).collect();
        by_status.insert("ACTIVE".into(), 120);
        by_status.insert("SUSPENDED".into(), 3);
        by_status.insert("LOCKED_OUT".into(), 1);
        Report {
            org_url: "https://acme.okta.com".into(),
            since: "2026-11-01T00:00:00Z".into(),
            until: "2026-11-04T00:00:00Z".into(),
            generated_at: "2026-11-04T00:00:05Z".into(),
            users: Users {
                total: 124,
                by_status,
                created_in_window: 2,
                never_signed_in: 5,
                signed_in_in_window: 100,
                idle: 15,
                last_sign_in: LastSignIn {
                    within_7_days: 100,
                    within_30_days: 10,
                    within_90_days: 5,
                    older: 4,
                    never: 5,
                },
            },
            mfa: Mfa {
                mode: FactorsMode::Sample,
                population: 120,
                sampled: 4,
                enrolled: 2,
                ci_low: Some(0.15),
                ci_high: Some(0.85),
                by_factor_type: [("push".to_owned(), 2)].into_iter().collect(),
                used_mfa_in_window: 40,
                enrolled_in_window: 1,
                resets_in_window: 2,
            },
            apps: vec![
                AppRow {
                    id: "0oa1".into(),
                    label: "Sales, \"force\"".into(),
                    status: "ACTIVE".into(),
                    sign_on_mode: "SAML_2_0".into(),
                    assigned: 10,
                    signed_in: 3,
                    unused: 7,
                    signins: 41,
                    unused_users: vec!["a@example.com".into()],
                },
                AppRow {
                    id: "0oa2".into(),
                    label: "<script>alert(1)</script>".into(),
                    status: "ACTIVE".into(),
                    sign_on_mode: "BOOKMARK".into(),
                    assigned: 2,
                    signed_in: 2,
                    unused: 0,
                    signins: 5,
                    unused_users: vec![],
                },
            ],
            signins_per_day: [("2026-11-01", 10), ("2026-11-02", 0), ("2026-11-03", 36)]
                .into_iter()
                .map(|(d, n)| (d.to_owned(), n))
                .collect(),
            risk: Risk {
                lockouts: 2,
                lockouts_at_limit: 0,
                locked_users: 1,
                mfa_resets: 2,
                suspicious_reports: 1,
                admin_grants: 1,
                admin_revokes: 0,
                samples: vec![RiskSample {
                    event_type: "user.account.privilege.grant".into(),
                    published: "2026-11-02T10:00:00.000Z".into(),
                    actor: "admin@example.com".into(),
                    target: "jane@example.com".into(),
                }],
            },
            source: Source::default(),
            notes: vec!["a note".into()],
        }
    }

    #[test]
    fn json_has_users_by_status_as_an_object_of_counts() {
        let value: serde_json::Value = serde_json::from_str(&json(&sample())).unwrap();
        assert_eq!(value["users"]["by_status"]["ACTIVE"], 120);
        assert_eq!(value["users"]["by_status"]["DEPROVISIONED"], 0);
        assert_eq!(value["apps"][0]["unused"], 7);
        assert_eq!(value["signins_per_day"]["2026-11-03"], 36);
        assert_eq!(value["mfa"]["mode"], "sample");
    }

    #[test]
    fn csv_is_one_number_per_row_with_quoted_labels() {
        let text = csv(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "section,id,label,metric,value");
        assert!(lines.contains(&"users,,ACTIVE,count,120"), "{text}");
        assert!(
            lines.contains(&"app,0oa1,\"Sales, \"\"force\"\"\",unused,7"),
            "{text}"
        );
        assert!(lines.contains(&"day,2026-11-02,,signins,0"), "{text}");
        assert!(lines.contains(&"risk,,,admin_grants,1"), "{text}");
        assert!(lines.iter().all(|l| !l.is_empty()));
    }

    #[test]
    fn the_table_names_each_section_and_says_what_the_sample_is() {
        let text = table(&sample());
        for needle in [
            "Users: 124 in all",
            "ACTIVE ",
            "Applications: 2 (most unused first)",
            "Sign-ins per day (UTC): 46 in all",
            "2026-11-02  0",
            "admin grants",
            "2 of a random sample of 4 of 120 ACTIVE users have an active factor (50.0 %, 95 % CI 15.0 % .. 85.0 %)",
        ] {
            assert!(text.contains(needle), "{needle:?} not in\n{text}");
        }
    }
}
