//! The poller's configuration, from environment variables (set by the SAM template).

use std::path::PathBuf;
use std::time::Duration;

use env_config::{ConfigError, fifo_queue_url, number, required};
use org_secrets::{KnownOrgs, OrgName, SecretsConfig};

/// Everything a cold start needs, read and checked once so that a bad variable fails the
/// start (naming the variable) rather than a run.
#[derive(Debug, Clone)]
pub struct PollerConfig {
    /// `OKTA_HOOKS_ORGS`: the orgs to poll, comma-separated (default
    /// `OKTA_HOOKS_DEFAULT_ORG`, else `default`), read as every function reads it
    /// ([`KnownOrgs::from_lookup`]).
    pub orgs: Vec<OrgName>,
    /// `OKTA_HOOKS_EVENTS_QUEUE_URL`: the FIFO events queue.
    pub events_queue_url: String,
    /// `OKTA_HOOKS_CURSOR_TABLE`: the stored `next` link per org.
    pub cursor_table: String,
    /// `OKTA_HOOKS_LEDGER_TABLE`: the router's routed events (read only: what the hook
    /// missed).
    pub ledger_table: String,
    /// `OKTA_HOOKS_SECRET_*`: the org secrets (the Okta credential) and their cache;
    /// after Okta answers 401 the secret is re-read unless it was read more recently
    /// than `refresh_min_age`.
    pub secrets: SecretsConfig,
    /// `OKTA_HOOKS_POLL_LOOKBACK_MINUTES` (default 60, 1 to 129600 = 90 days, the
    /// System Log's retention): where the first run of an org starts.
    pub lookback: Duration,
    /// `OKTA_HOOKS_POLL_BUDGET_SECS` (default 40, 1 to 840): how long a run reads pages;
    /// keep it well below the function's timeout.
    pub budget: Duration,
    /// `OKTA_HOOKS_RULES_DIR`: rules (their event types) read from this directory
    /// instead of those built in.
    pub rules_dir: Option<PathBuf>,
}

impl PollerConfig {
    /// Reads the process environment; the error names the first variable missing or
    /// invalid.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_config::process_env)
    }

    /// Reads the variables through `lookup` rather than the process environment, so tests
    /// need not set process-wide variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let orgs = KnownOrgs::from_lookup(&lookup)?.iter().cloned().collect();
        let minutes =
            number(&lookup, "OKTA_HOOKS_POLL_LOOKBACK_MINUTES", 1..=129_600)?.unwrap_or(60);
        let budget = number(&lookup, "OKTA_HOOKS_POLL_BUDGET_SECS", 1..=840)?.unwrap_or(40);
        Ok(PollerConfig {
            orgs,
            events_queue_url: fifo_queue_url(&lookup, "OKTA_HOOKS_EVENTS_QUEUE_URL")?,
            cursor_table: required(
                &lookup,
                "OKTA_HOOKS_CURSOR_TABLE",
                "the poller's cursor table",
            )?,
            ledger_table: required(
                &lookup,
                "OKTA_HOOKS_LEDGER_TABLE",
                "the routed-events table",
            )?,
            lookback: Duration::from_secs(minutes * 60),
            budget: Duration::from_secs(budget),
            rules_dir: lookup("OKTA_HOOKS_RULES_DIR").map(PathBuf::from),
            secrets: SecretsConfig::from_lookup(lookup)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(name: &str) -> Option<String> {
        match name {
            "OKTA_HOOKS_EVENTS_QUEUE_URL" => Some("https://sqs/1/events.fifo".into()),
            "OKTA_HOOKS_CURSOR_TABLE" => Some("cursors".into()),
            "OKTA_HOOKS_LEDGER_TABLE" => Some("ledger".into()),
            _ => None,
        }
    }

    fn with(extra: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            extra
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
                .or_else(|| base(name))
        }
    }

    #[test]
    fn defaults() {
        let config = PollerConfig::from_lookup(base).unwrap();
        assert_eq!(config.orgs, [OrgName::default_org()]);
        assert_eq!(config.lookback, Duration::from_secs(3600));
        assert_eq!(config.budget, Duration::from_secs(40));
        assert_eq!(config.secrets, SecretsConfig::default());
        assert_eq!(config.cursor_table, "cursors");
        assert_eq!(config.ledger_table, "ledger");
        assert_eq!(config.rules_dir, None);
    }

    #[test]
    fn orgs_are_a_checked_comma_list() {
        let config =
            PollerConfig::from_lookup(with(&[("OKTA_HOOKS_ORGS", " acme, beta ,acme,")])).unwrap();
        let names: Vec<&str> = config.orgs.iter().map(OrgName::as_str).collect();
        assert_eq!(names, ["acme", "beta"]);
        let err =
            PollerConfig::from_lookup(with(&[("OKTA_HOOKS_ORGS", "acme,no/slash")])).unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_ORGS");
        assert!(err.reason.contains("no/slash"), "{}", err.reason);
        let err = PollerConfig::from_lookup(with(&[("OKTA_HOOKS_ORGS", " , ")])).unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_ORGS");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("OKTA_HOOKS_POLL_LOOKBACK_MINUTES", "0"),
            ("OKTA_HOOKS_POLL_LOOKBACK_MINUTES", "an hour"),
            ("OKTA_HOOKS_POLL_BUDGET_SECS", "900"),
            ("OKTA_HOOKS_EVENTS_QUEUE_URL", "https://sqs/1/events"),
            ("OKTA_HOOKS_SECRET_TTL_SECS", "-1"),
        ] {
            let err = PollerConfig::from_lookup(|name| {
                if name == var {
                    Some(value.to_owned())
                } else {
                    base(name)
                }
            })
            .unwrap_err();
            assert_eq!(err.var, var, "{value}");
        }
        for missing in [
            "OKTA_HOOKS_EVENTS_QUEUE_URL",
            "OKTA_HOOKS_CURSOR_TABLE",
            "OKTA_HOOKS_LEDGER_TABLE",
        ] {
            let err =
                PollerConfig::from_lookup(|name| if name == missing { None } else { base(name) })
                    .unwrap_err();
            assert_eq!(err.var, missing);
        }
        let config = PollerConfig::from_lookup(with(&[
            ("OKTA_HOOKS_POLL_LOOKBACK_MINUTES", "1440"),
            ("OKTA_HOOKS_POLL_BUDGET_SECS", "20"),
        ]))
        .unwrap();
        assert_eq!(config.lookback, Duration::from_secs(86_400));
        assert_eq!(config.budget, Duration::from_secs(20));
    }
}
