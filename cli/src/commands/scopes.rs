//! `okta-hooks scopes [--rules DIR] [--format table|json]`: the Okta rights each function
//! needs for the rules in use, so an admin creates API Services apps with exactly those.
//!
//! Per function: the secret it reads its Okta credential from, the OAuth scopes and the
//! Okta admin roles (the fewest standard roles that cover every call, see
//! [`AdminRole::least`]). The router's reads are its enrichment (the subject user, their
//! groups: the calls of `user.get` and `user.groups.list`), the poller's the System Log
//! (`log.query`'s); an executor's are the actions of its family that some step of some
//! live rule names, `on_failure` steps included (a `dry_run` rule's plans reach no
//! executor: its actions are listed apart, as what going live would add). Then per secret: `okta-read` (router and
//! poller), `okta-<family>` (read when `ExecutorCredentials` = `PerFamily`, and the only
//! credential of its family with `PerFamilyOnly`) and `okta` (`Shared`, and with
//! `PerFamily` the fallback of a family without its own; never read with
//! `PerFamilyOnly`). Actions whose scope depends
//! on the request path (`okta.request`) are flagged: no catalog entry can say what
//! they need.
//!
//! The JSON form is for machines; its field names are stable:
//! `{"rules_dir", "functions": [{"function", "family", "secret", "fallback_secret",
//! "calls_okta", "scopes", "admin_roles", "actions", "scope_depends_on_path"}],
//! "credentials": [{"secret", "used_by", "when", "scopes", "admin_roles",
//! "scope_depends_on_path"}], "dry_run_only": [{"action", "scope", "admin_role"}]}`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use actions::{ActionSpec, AdminRole, Family};
use rules::RuleSet;
use serde_json::{Value, json};

use super::rules::{RulesCliError, load};

/// The secret of the read-only credential (router enrichment and the poller).
const READ_SECRET: &str = "okta-read";
/// The secret of the shared executor credential.
const SHARED_SECRET: &str = "okta";

#[derive(clap::Args)]
pub struct ScopesArgs {
    /// The rules directory (the functions read `OKTA_HOOKS_RULES_DIR`, else the built-in
    /// `rules/`).
    #[arg(long, env = "OKTA_HOOKS_RULES_DIR", default_value = "rules")]
    rules: PathBuf,
    /// `table` for people, `json` for machines.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum ScopesError {
    #[error("the rules in {dir} do not load ({source}): no rights to print")]
    Rules {
        dir: PathBuf,
        #[source]
        source: Box<RulesCliError>,
    },
}

pub fn run(args: &ScopesArgs) -> Result<(), ScopesError> {
    let set = load(&args.rules).map_err(|source| ScopesError::Rules {
        dir: args.rules.clone(),
        source: Box::new(source),
    })?;
    let rights = Rights::of(&set);
    let text = match args.format {
        Format::Json => {
            let json = rights.to_json(&args.rules.display().to_string());
            serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"
        }
        Format::Table => rights.table(&args.rules.display().to_string()),
    };
    use std::io::Write;
    // A reader that stopped early (`| head`) is not an error.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(())
}

/// What one function needs of Okta.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Need {
    /// The function (`event-router`, `executor-users`, …).
    function: String,
    /// The executor family, for executors.
    family: Option<Family>,
    /// The secret holding its Okta credential; `None`: it holds none.
    secret: Option<String>,
    /// The secret read when `secret` is absent (`okta` for an executor's `okta-<family>`,
    /// with `ExecutorCredentials=PerFamily`; `PerFamilyOnly` has no fallback).
    fallback_secret: Option<&'static str>,
    /// The catalog entries whose Okta calls it makes.
    calls: Vec<&'static ActionSpec>,
    /// The rules' actions it runs (executors only).
    actions: Vec<&'static str>,
}

impl Need {
    fn calls_okta(&self) -> bool {
        self.calls.iter().any(|a| a.admin_role != AdminRole::None)
    }
}

/// The sorted union of the fixed scopes of `calls`.
fn scopes(calls: &[&'static ActionSpec]) -> Vec<&'static str> {
    let set: BTreeSet<&str> = calls.iter().filter_map(|a| a.oauth_scope()).collect();
    set.into_iter().collect()
}

/// The fewest standard roles that allow every call.
fn roles(calls: &[&'static ActionSpec]) -> Vec<AdminRole> {
    AdminRole::least(calls.iter().map(|a| a.admin_role))
}

/// The calls whose scope depends on the path a rule gives.
fn by_path(calls: &[&'static ActionSpec]) -> Vec<&'static str> {
    let set: BTreeSet<&str> = calls
        .iter()
        .filter(|a| a.scope_depends_on_path())
        .map(|a| a.name)
        .collect();
    set.into_iter().collect()
}

/// A catalog entry this command stands for a function's own calls with (the router's
/// enrichment is `user.get` and `user.groups.list`, the poller's reading `log.query`).
fn same_call_as(name: &str) -> &'static ActionSpec {
    actions::find(name).unwrap_or_else(|| unreachable!("{name} is in the catalog (tested)"))
}

/// One secret and the union of what its readers need.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Credential {
    secret: String,
    used_by: Vec<String>,
    /// When the functions read it, for JSON (`ExecutorCredentials=…`).
    when: &'static str,
    /// The same, in a word, for the table.
    when_short: &'static str,
    calls: Vec<&'static ActionSpec>,
}

/// Every function's needs and every credential's rights, for one rule set.
struct Rights {
    functions: Vec<Need>,
    credentials: Vec<Credential>,
    /// Actions only `dry_run` rules name: needed once they go live, not now.
    dry_run_only: Vec<&'static ActionSpec>,
}

impl Rights {
    fn of(set: &RuleSet) -> Rights {
        let enrichment = set.enrichment_used();
        let mut router_calls = Vec::new();
        if enrichment.any() {
            router_calls.push(same_call_as("user.get"));
        }
        if enrichment.groups {
            router_calls.push(same_call_as("user.groups.list"));
        }
        let router = Need {
            function: "event-router".into(),
            family: None,
            secret: Some(READ_SECRET.into()),
            fallback_secret: None,
            calls: router_calls,
            actions: Vec::new(),
        };
        let poller = Need {
            function: "log-poller".into(),
            family: None,
            secret: Some(READ_SECRET.into()),
            fallback_secret: None,
            calls: vec![same_call_as("log.query")],
            actions: Vec::new(),
        };
        let used = set.actions_used();
        let executors: Vec<Need> = Family::ALL
            .into_iter()
            .filter_map(|family| {
                let calls: Vec<&'static ActionSpec> = used
                    .iter()
                    .copied()
                    .filter(|a| a.family == family)
                    .collect();
                (!calls.is_empty()).then(|| Need {
                    function: format!("executor-{family}"),
                    family: Some(family),
                    secret: family.calls_okta().then(|| format!("okta-{family}")),
                    fallback_secret: family.calls_okta().then_some(SHARED_SECRET),
                    actions: calls.iter().map(|a| a.name).collect(),
                    calls,
                })
            })
            .collect();

        let mut credentials = vec![Credential {
            secret: READ_SECRET.into(),
            used_by: vec![router.function.clone(), poller.function.clone()],
            when: "always",
            when_short: "always",
            calls: router.calls.iter().chain(&poller.calls).copied().collect(),
        }];
        let okta_executors: Vec<&Need> = executors.iter().filter(|n| n.secret.is_some()).collect();
        for need in &okta_executors {
            credentials.push(Credential {
                secret: need.secret.clone().unwrap_or_default(),
                used_by: vec![need.function.clone()],
                when: "ExecutorCredentials=PerFamily or PerFamilyOnly (then required)",
                when_short: "PerFamily[Only]",
                calls: need.calls.clone(),
            });
        }
        if !okta_executors.is_empty() {
            credentials.push(Credential {
                secret: SHARED_SECRET.into(),
                used_by: okta_executors.iter().map(|n| n.function.clone()).collect(),
                when: "ExecutorCredentials=Shared, and PerFamily for a family without its own; \
                       never PerFamilyOnly",
                when_short: "Shared, or fallback",
                calls: okta_executors
                    .iter()
                    .flat_map(|n| n.calls.iter().copied())
                    .collect(),
            });
        }

        let internet_facing = ["hook-verify", "hook-ingest"].map(|function| Need {
            function: function.into(),
            family: None,
            secret: None,
            fallback_secret: None,
            calls: Vec::new(),
            actions: Vec::new(),
        });
        let mut functions: Vec<Need> = internet_facing.into();
        functions.extend([router, poller]);
        functions.extend(executors);
        Rights {
            functions,
            credentials,
            dry_run_only: set.actions_only_in_dry_run(),
        }
    }

    fn to_json(&self, rules_dir: &str) -> Value {
        let role_names = |calls: &[&'static ActionSpec]| -> Vec<&str> {
            roles(calls).into_iter().map(AdminRole::as_str).collect()
        };
        let functions: Vec<Value> = self
            .functions
            .iter()
            .map(|n| {
                json!({
                    "function": n.function,
                    "family": n.family.map(Family::as_str),
                    "secret": n.secret,
                    "fallback_secret": n.fallback_secret,
                    "calls_okta": n.calls_okta(),
                    "scopes": scopes(&n.calls),
                    "admin_roles": role_names(&n.calls),
                    "actions": n.actions,
                    "scope_depends_on_path": by_path(&n.calls),
                })
            })
            .collect();
        let credentials: Vec<Value> = self
            .credentials
            .iter()
            .map(|c| {
                json!({
                    "secret": c.secret,
                    "used_by": c.used_by,
                    "when": c.when,
                    "scopes": scopes(&c.calls),
                    "admin_roles": role_names(&c.calls),
                    "scope_depends_on_path": by_path(&c.calls),
                })
            })
            .collect();
        let dry_run_only: Vec<Value> = self
            .dry_run_only
            .iter()
            .map(|a| json!({"action": a.name, "scope": a.scope, "admin_role": a.admin_role.as_str()}))
            .collect();
        json!({
            "rules_dir": rules_dir,
            "functions": functions,
            "credentials": credentials,
            "dry_run_only": dry_run_only,
        })
    }

    fn table(&self, rules_dir: &str) -> String {
        let mut rows: Vec<Vec<String>> = vec![vec![
            "FUNCTION".into(),
            "SECRET".into(),
            "SCOPES".into(),
            "ADMIN ROLES".into(),
        ]];
        for n in &self.functions {
            let secret = match (&n.secret, n.fallback_secret) {
                (Some(s), Some(fallback)) => format!("{s} (or {fallback})"),
                (Some(s), None) => s.clone(),
                (None, _) => "-".into(),
            };
            let (scope_text, role_text) = match (&n.secret, n.calls_okta()) {
                (None, _) if n.family.is_some() => ("no Okta call".into(), "-".into()),
                (None, _) => ("no Okta credential".into(), "-".into()),
                (Some(_), false) => ("no Okta call with these rules".into(), "-".into()),
                (Some(_), true) => (rights_scopes(&n.calls), rights_roles(&n.calls)),
            };
            rows.push(vec![n.function.clone(), secret, scope_text, role_text]);
        }
        let mut out = format!("Okta rights the rules in {rules_dir} need, per function:\n\n");
        out.push_str(&aligned(&rows));

        let mut rows: Vec<Vec<String>> = vec![vec![
            "CREDENTIAL".into(),
            "SCOPES".into(),
            "ADMIN ROLES".into(),
            "READ BY".into(),
        ]];
        for c in &self.credentials {
            let (scope_text, role_text) = if c.calls.is_empty() {
                ("none".into(), "-".into())
            } else {
                (rights_scopes(&c.calls), rights_roles(&c.calls))
            };
            rows.push(vec![
                c.secret.clone(),
                scope_text,
                role_text,
                format!("{} ({})", c.used_by.join(", "), c.when_short),
            ]);
        }
        out.push_str(
            "\nPer credential: one API Services app each, granted exactly these scopes and \
             assigned these roles.\n\n",
        );
        out.push_str(&aligned(&rows));
        out.push_str(
            "\nExecutorCredentials=Shared (the default): every executor reads `okta`. \
             PerFamily: each reads `okta-<family>`, else `okta`. PerFamilyOnly: each reads \
             only `okta-<family>` and none may read `okta`; create every okta-<family> above \
             yourself (the stack makes no placeholder for them), else that family's Okta \
             steps fail naming the secret.\n",
        );

        let flagged: BTreeSet<&str> = self
            .functions
            .iter()
            .flat_map(|n| by_path(&n.calls))
            .collect();
        for name in flagged {
            out.push_str(&format!(
                "\n! {name}: its scope and role depend on the path each rule gives; add that \
                 path's scope by hand ({} shown: the only standard role that can call any path).\n",
                same_call_as(name).admin_role
            ));
        }
        if !self.dry_run_only.is_empty() {
            out.push_str(
                "\nNot granted above: actions only dry-run rules name (their plans reach no \
                 executor). Turning those rules live adds:\n",
            );
            for a in &self.dry_run_only {
                out.push_str(&format!(
                    "  {} ({}): {}, {}\n",
                    a.name,
                    a.family.as_str(),
                    a.scope,
                    a.admin_role.as_str()
                ));
            }
        }
        out.push_str(
            "\nAn SSWS API token instead carries every right of the admin who created it \
             (a super admin's token can do anything in the org).\n",
        );
        out
    }
}

/// The scopes as a list, with the flag for a path-dependent call.
fn rights_scopes(calls: &[&'static ActionSpec]) -> String {
    let mut parts: Vec<String> = scopes(calls).into_iter().map(str::to_owned).collect();
    parts.extend(
        by_path(calls)
            .into_iter()
            .map(|name| format!("+ what {name}'s paths need (!)")),
    );
    parts.join(", ")
}

fn rights_roles(calls: &[&'static ActionSpec]) -> String {
    roles(calls)
        .into_iter()
        .map(AdminRole::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows as columns padded to their widest cell (the last column unpadded).
pub(crate) fn aligned(rows: &[Vec<String>]) -> String {
    let mut widths = vec![0; rows.first().map_or(0, Vec::len)];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rights(yaml: &str) -> Rights {
        Rights::of(&RuleSet::from_sources(&[("t.yaml", yaml)]).unwrap())
    }

    #[test]
    fn the_calls_it_stands_for_are_in_the_catalog() {
        for name in ["user.get", "user.groups.list", "log.query"] {
            assert!(actions::find(name).is_some(), "{name}");
        }
    }

    #[test]
    fn no_rules_need_only_the_poller_reading_the_log() {
        let json = rights("rules: []\n").to_json("t");
        let functions = json["functions"].as_array().unwrap();
        let names: Vec<&str> = functions
            .iter()
            .map(|f| f["function"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["hook-verify", "hook-ingest", "event-router", "log-poller"]
        );
        assert_eq!(functions[2]["calls_okta"], false);
        assert_eq!(functions[2]["scopes"], json!([]));
        assert_eq!(functions[3]["scopes"], json!(["okta.logs.read"]));
        assert_eq!(functions[3]["admin_roles"], json!(["REPORT_ADMIN"]));
        let secrets: Vec<&str> = json["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["secret"].as_str().unwrap())
            .collect();
        assert_eq!(secrets, ["okta-read"], "no executor, no okta credential");
    }

    #[test]
    fn the_per_family_credentials_say_per_family_only_needs_them_and_never_reads_okta() {
        let r = rights(
            "rules:\n  - id: lock\n    on: [user.account.lock]\n    do:\n      - action: group.add_user\n        group: 00gsales0000000000x7\n        user: ${ event.target[0].id }\n",
        );
        let json = r.to_json("t");
        let own = json["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["secret"] == "okta-groups")
            .unwrap();
        assert!(
            own["when"].as_str().unwrap().contains("PerFamilyOnly"),
            "{own}"
        );
        let shared = json["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["secret"] == "okta")
            .unwrap();
        assert!(
            shared["when"]
                .as_str()
                .unwrap()
                .contains("never PerFamilyOnly"),
            "{shared}"
        );
        let table = r.table("t");
        assert!(
            table.contains("PerFamilyOnly: each reads only `okta-<family>`"),
            "{table}"
        );
        assert!(table.contains("PerFamily[Only]"), "{table}");
    }

    #[test]
    fn a_raw_request_is_flagged_in_both_forms() {
        let r = rights(
            "rules:\n  - id: raw\n    on: [user.account.lock]\n    do:\n      - action: okta.request\n        method: GET\n        path: /api/v1/zones\n",
        );
        let json = r.to_json("t");
        assert_eq!(
            json["functions"][4]["scope_depends_on_path"],
            json!(["okta.request"])
        );
        assert_eq!(json["functions"][4]["scopes"], json!([]));
        let table = r.table("t");
        assert!(
            table.contains("! okta.request: its scope and role depend on the path"),
            "{table}"
        );
        assert!(
            table.contains("+ what okta.request's paths need (!)"),
            "{table}"
        );
    }
}
