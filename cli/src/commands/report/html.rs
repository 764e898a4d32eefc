//! The report as one self-contained HTML page: inline style, inline SVG charts, no
//! script, nothing fetched (a Content-Security-Policy of `default-src 'none'` says so
//! to the browser), so it opens anywhere, offline, as a mail attachment.
//!
//! Charts: `signins-per-day` (one bar per day of the window), `users-by-status`,
//! `top-unused-apps` (the ten apps with the most unused assignments). Tables: `#users`,
//! `#mfa`, `#apps`, `#risk`. Every text from Okta (labels, logins) goes through
//! [`esc`].

use std::fmt::Write as _;

use super::model::{Report, statuses_in_order};
use super::svg::{Bar, columns, esc, rows};
use super::text::mfa_line;

/// Sign-ins per day.
pub const BLUE: &str = "#1f77b4";
/// Users by status.
pub const GREEN: &str = "#2ca02c";
/// Top unused apps.
pub const RED: &str = "#d62728";
/// Apps in the unused chart.
const TOP_APPS: usize = 10;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:960px}\
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;text-align:left;\
border-bottom:1px solid #eee}td.n,th.n{text-align:right}svg{display:block;margin:8px 0}\
svg text{font:11px sans-serif;fill:#333}svg text.empty{font-size:14px;fill:#777}\
.muted{color:#666}";

fn table(out: &mut String, id: &str, head: &[&str], body: &[Vec<String>]) {
    let _ = write!(out, "<table id=\"{id}\"><thead><tr>");
    for (i, h) in head.iter().enumerate() {
        let class = if i == 0 { "" } else { " class=\"n\"" };
        let _ = write!(out, "<th{class}>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in body {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let numeric = i > 0 && cell.bytes().all(|b| b.is_ascii_digit());
            let class = if numeric { " class=\"n\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", esc(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn pair(label: &str, value: u64) -> Vec<String> {
    vec![label.to_owned(), value.to_string()]
}

/// The page.
pub fn html(report: &Report) -> String {
    let mut out = String::new();
    let title = format!("Okta usage report: {}", report.org_url);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1>\
         <p class=\"muted\">{} .. {} (UTC); written {}</p>",
        esc(&title),
        esc(&title),
        esc(&report.since),
        esc(&report.until),
        esc(&report.generated_at)
    );

    let days: Vec<Bar> = report
        .signins_per_day
        .iter()
        .map(|(day, n)| Bar::new(day.clone(), *n))
        .collect();
    let total: u64 = days.iter().map(|b| b.value).sum();
    let _ = write!(
        out,
        "<h2>Sign-ins per day</h2><p>{total} app sign-ins in the window.</p>"
    );
    out.push_str(&columns(
        "signins-per-day",
        "Successful app sign-ins per UTC day",
        BLUE,
        &days,
        "no sign-ins in the window",
    ));

    let u = &report.users;
    let _ = write!(out, "<h2>Users</h2><p>{} users in all.</p>", u.total);
    let statuses: Vec<Bar> = statuses_in_order(&u.by_status)
        .into_iter()
        .map(|(status, n)| Bar::new(status, n))
        .collect();
    out.push_str(&rows(
        "users-by-status",
        "Users by status",
        GREEN,
        &statuses,
        "no users",
    ));
    let mut body: Vec<Vec<String>> = statuses_in_order(&u.by_status)
        .into_iter()
        .map(|(status, n)| pair(status, n))
        .collect();
    body.push(pair("created in the window", u.created_in_window));
    body.push(pair("signed in in the window", u.signed_in_in_window));
    body.push(pair("never signed in", u.never_signed_in));
    body.push(pair("ACTIVE, idle since before the window", u.idle));
    let l = &u.last_sign_in;
    body.push(pair("last sign-in 0-6 days ago", l.within_7_days));
    body.push(pair("last sign-in 7-29 days ago", l.within_30_days));
    body.push(pair("last sign-in 30-89 days ago", l.within_90_days));
    body.push(pair("last sign-in 90 days ago or more", l.older));
    table(&mut out, "users", &["", "users"], &body);

    let m = &report.mfa;
    let _ = write!(out, "<h2>MFA</h2><p>{}.</p>", esc(&mfa_line(report)));
    let mut body: Vec<Vec<String>> = m
        .by_factor_type
        .iter()
        .map(|(kind, n)| pair(&format!("active {kind} factors"), *n))
        .collect();
    body.push(pair(
        "users who used MFA in the window",
        m.used_mfa_in_window,
    ));
    body.push(pair("factors enrolled in the window", m.enrolled_in_window));
    body.push(pair("factor resets in the window", m.resets_in_window));
    table(&mut out, "mfa", &["", "count"], &body);

    let _ = write!(
        out,
        "<h2>Applications</h2><p>{} apps; unused = assigned ACTIVE users who did not sign \
         in to the app in the window.</p>",
        report.apps.len()
    );
    let unused: Vec<Bar> = report
        .apps
        .iter()
        .take(TOP_APPS)
        .map(|a| Bar::new(a.label.clone(), a.unused))
        .collect();
    out.push_str(&rows(
        "top-unused-apps",
        "Apps with the most unused assignments",
        RED,
        &unused,
        "no unused assignments",
    ));
    let body: Vec<Vec<String>> = report
        .apps
        .iter()
        .map(|a| {
            vec![
                a.label.clone(),
                a.id.clone(),
                a.status.clone(),
                a.sign_on_mode.clone(),
                a.assigned.to_string(),
                a.signed_in.to_string(),
                a.unused.to_string(),
                a.signins.to_string(),
                a.unused_users.join(", "),
            ]
        })
        .collect();
    table(
        &mut out,
        "apps",
        &[
            "app",
            "id",
            "status",
            "sign-on",
            "assigned",
            "signed in",
            "unused",
            "sign-ins",
            "unused users (first 50)",
        ],
        &body,
    );

    let k = &report.risk;
    out.push_str("<h2>Risky activity in the window</h2>");
    table(
        &mut out,
        "risk",
        &["", "count"],
        &[
            pair("lockouts", k.lockouts),
            pair("lockouts at the limit", k.lockouts_at_limit),
            pair("users locked out", k.locked_users),
            pair("MFA resets", k.mfa_resets),
            pair("suspicious activity reports", k.suspicious_reports),
            pair("admin grants", k.admin_grants),
            pair("admin revokes", k.admin_revokes),
        ],
    );
    if !k.samples.is_empty() {
        let body: Vec<Vec<String>> = k
            .samples
            .iter()
            .map(|s| {
                vec![
                    s.published.clone(),
                    s.event_type.clone(),
                    s.actor.clone(),
                    s.target.clone(),
                ]
            })
            .collect();
        table(
            &mut out,
            "risk-events",
            &["published", "event", "actor", "target"],
            &body,
        );
    }
    for note in &report.notes {
        let _ = write!(out, "<p class=\"muted\">Note: {}</p>", esc(note));
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::text::tests::sample;
    use super::*;

    #[test]
    fn the_page_holds_three_charts_and_the_tables_and_fetches_nothing() {
        let page = html(&sample());
        assert!(page.starts_with("<!DOCTYPE html>"));
        for chart in ["signins-per-day", "users-by-status", "top-unused-apps"] {
            assert_eq!(
                page.matches(&format!("data-chart=\"{chart}\"")).count(),
                1,
                "{chart}"
            );
        }
        for table in ["users", "mfa", "apps", "risk"] {
            assert!(page.contains(&format!("<table id=\"{table}\">")), "{table}");
        }
        let days = page.matches(&format!("fill=\"{BLUE}\"")).count();
        assert_eq!(days, 3);
        assert!(page.contains("default-src 'none'"));
        for fetch in ["<script", " src=", " href=", "url(", "@import"] {
            assert!(!page.contains(fetch), "{fetch}");
        }
    }

    #[test]
    fn a_hostile_app_label_is_text_not_markup() {
        let page = html(&sample());
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<script>alert(1)</script>"));
    }
}
