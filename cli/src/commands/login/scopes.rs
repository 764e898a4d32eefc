//! The Okta API scopes each command asks for: one table, used by the commands when they
//! build a credential and by `okta-hooks login` to ask for all of them at once.
//!
//! A login grants what the native app is granted (its Okta API Scopes tab) and what the
//! signed-in admin's role allows; a command whose scope the login lacks fails before its
//! first call ([`missing`]).

use std::collections::BTreeSet;

/// Always asked by `login`: an ID token and a refresh token.
pub const LOGIN_BASE: &[&str] = &["openid", "offline_access"];
/// `okta-hooks hook …` (setup, status, list, deactivate, delete, rotate-secret).
pub const HOOK: &[&str] = &["okta.eventHooks.read", "okta.eventHooks.manage"];
/// `okta-hooks replay`, `okta-hooks rules backtest`: the System Log.
pub const LOGS: &[&str] = &["okta.logs.read"];
/// `okta-hooks report`.
pub const REPORT: &[&str] = &["okta.users.read", "okta.apps.read", "okta.logs.read"];
/// `okta-hooks okta get-user`.
pub const GET_USER: &[&str] = &["okta.users.read"];

/// Command → scopes (`run --local` asks its action's own scope: see [`actions`]).
pub const TABLE: &[(&str, &[&str])] = &[
    ("hook", HOOK),
    ("replay", LOGS),
    ("rules backtest", LOGS),
    ("report", REPORT),
    ("okta get-user", GET_USER),
];

/// The fixed scopes of every catalog action (what `run --local` may ask), sorted.
pub fn actions() -> BTreeSet<&'static str> {
    actions::catalog()
        .iter()
        .filter_map(actions::ActionSpec::oauth_scope)
        .flat_map(str::split_whitespace)
        .collect()
}

/// What `login` asks: `replace` (from `--scopes`) when given, else [`LOGIN_BASE`] and
/// every command's scopes, plus the actions' with `with_actions`. `offline_access` is
/// always added: without a refresh token the login would last one access token.
pub fn for_login(replace: Option<&[String]>, with_actions: bool) -> Vec<String> {
    let mut set: BTreeSet<String> = BTreeSet::new();
    match replace {
        Some(given) => set.extend(given.iter().cloned()),
        None => {
            set.extend(LOGIN_BASE.iter().map(|s| (*s).to_owned()));
            for (_, scopes) in TABLE {
                set.extend(scopes.iter().map(|s| (*s).to_owned()));
            }
        }
    }
    if with_actions {
        set.extend(actions().into_iter().map(str::to_owned));
    }
    set.insert("offline_access".to_owned());
    // openid first, as Okta's examples write it; the rest sorted.
    let mut out: Vec<String> = Vec::with_capacity(set.len());
    if set.remove("openid") {
        out.push("openid".to_owned());
    }
    out.extend(set);
    out
}

/// The scopes of `needed` that `granted` lacks. A `.manage` scope does not stand in for
/// its `.read`: Okta checks each scope by name.
pub fn missing(granted: &[String], needed: &[&str]) -> Vec<String> {
    needed
        .iter()
        .filter(|n| !granted.iter().any(|g| g == *n))
        .map(|n| (*n).to_owned())
        .collect()
}

/// `--scopes` as typed: space- or comma-separated.
pub fn parse(text: &str) -> Vec<String> {
    text.split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_asks_openid_offline_access_and_every_commands_scopes_once() {
        let asked = for_login(None, false);
        assert_eq!(asked[0], "openid");
        for (command, scopes) in TABLE {
            assert!(missing(&asked, scopes).is_empty(), "{command}");
        }
        assert!(asked.contains(&"offline_access".to_owned()));
        let unique: BTreeSet<&String> = asked.iter().collect();
        assert_eq!(unique.len(), asked.len());
        assert!(!asked.iter().any(|s| s == "okta.users.manage"));
    }

    #[test]
    fn with_actions_adds_the_catalogs_fixed_scopes() {
        let asked = for_login(None, true);
        assert!(asked.contains(&"okta.users.manage".to_owned()), "{asked:?}");
        assert!(missing(&asked, &actions().into_iter().collect::<Vec<_>>()).is_empty());
    }

    #[test]
    fn given_scopes_replace_the_table_but_keep_offline_access() {
        let asked = for_login(Some(&parse("okta.logs.read,openid")), false);
        assert_eq!(asked, ["openid", "offline_access", "okta.logs.read"]);
    }

    #[test]
    fn a_manage_scope_does_not_stand_in_for_its_read_scope() {
        let granted = vec!["okta.eventHooks.manage".to_owned()];
        assert_eq!(missing(&granted, HOOK), ["okta.eventHooks.read"]);
    }
}
