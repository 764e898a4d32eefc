//! The event router's configuration, from environment variables.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use actions::Family;
use env_config::{ConfigError, fifo_queue_url, max_receive_count, number, required};
use org_secrets::SecretsConfig;

/// Everything the event router function reads from its environment, checked once at cold
/// start so a misconfigured deployment fails there, not on the first event.
#[derive(Debug, Clone)]
pub struct RouterConfig {
    /// `OKTA_HOOKS_LEDGER_TABLE`: the DynamoDB table of routed events.
    pub ledger_table: String,
    /// `OKTA_HOOKS_COUNTER_TABLE`: the DynamoDB table of hourly action counters.
    pub counter_table: String,
    /// `OKTA_HOOKS_QUEUE_URL_<FAMILY>` (e.g. `OKTA_HOOKS_QUEUE_URL_USERS`): one FIFO queue per
    /// action family, all required.
    pub queue_urls: HashMap<Family, String>,
    /// `OKTA_HOOKS_SECRET_*`: the org secrets (signing keys, the Okta credential for
    /// enrichment) and their cache.
    pub secrets: SecretsConfig,
    /// `OKTA_HOOKS_LEDGER_TTL_DAYS`: how long a routed event is remembered (default 14,
    /// 1 to 365); replays older than this run their rules again.
    pub ledger_ttl: Duration,
    /// `OKTA_HOOKS_RULES_DIR`: rules read from this directory instead of those built in.
    pub rules_dir: Option<PathBuf>,
    /// `OKTA_HOOKS_MAX_RECEIVE_COUNT` (required, 1 to 1000): the events queue's redrive
    /// `maxReceiveCount`. The receive with this count is the last: a failure then leaves
    /// a letter on the events DLQ instead of SQS moving the message there unexplained.
    pub max_receive_count: u32,
    /// `OKTA_HOOKS_EVENTS_DLQ_URL` (required): the events DLQ, for those letters.
    pub events_dlq_url: String,
}

impl RouterConfig {
    /// Reads the process environment; the error names the first variable missing or
    /// invalid.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_config::process_env)
    }

    /// Reads the variables through `lookup` rather than the process environment, so tests
    /// and the local runner need not set process-wide variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let queue_urls = Family::ALL
            .into_iter()
            .map(|family| Ok((family, fifo_queue_url(&lookup, family.queue_url_var())?)))
            .collect::<Result<_, ConfigError>>()?;
        let ledger_ttl = number(&lookup, "OKTA_HOOKS_LEDGER_TTL_DAYS", 1..=365)?
            .map_or(crate::DEFAULT_LEDGER_TTL, |days| {
                Duration::from_secs(days * 86_400)
            });
        let max_receive_count = max_receive_count(&lookup)?;
        Ok(RouterConfig {
            ledger_table: required(
                &lookup,
                "OKTA_HOOKS_LEDGER_TABLE",
                "the routed-events table",
            )?,
            counter_table: required(
                &lookup,
                "OKTA_HOOKS_COUNTER_TABLE",
                "the action-counter table",
            )?,
            queue_urls,
            ledger_ttl,
            rules_dir: lookup("OKTA_HOOKS_RULES_DIR").map(PathBuf::from),
            max_receive_count,
            events_dlq_url: fifo_queue_url(&lookup, "OKTA_HOOKS_EVENTS_DLQ_URL")?,
            secrets: SecretsConfig::from_lookup(lookup)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(name: &str) -> Option<String> {
        match name {
            "OKTA_HOOKS_LEDGER_TABLE" => Some("ledger".into()),
            "OKTA_HOOKS_COUNTER_TABLE" => Some("counters".into()),
            "OKTA_HOOKS_MAX_RECEIVE_COUNT" => Some("12".into()),
            "OKTA_HOOKS_EVENTS_DLQ_URL" => Some("https://sqs/1/EventsDlq.fifo".into()),
            n if n.starts_with("OKTA_HOOKS_QUEUE_URL_") => Some(format!("https://sqs/1/{n}.fifo")),
            _ => None,
        }
    }

    #[test]
    fn every_family_needs_its_queue() {
        let config = RouterConfig::from_lookup(full).unwrap();
        assert_eq!(config.queue_urls.len(), Family::ALL.len());
        assert_eq!(config.ledger_ttl, Duration::from_secs(14 * 86_400));
        let err = RouterConfig::from_lookup(|n| {
            if n == "OKTA_HOOKS_QUEUE_URL_GROUPS" {
                None
            } else {
                full(n)
            }
        })
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_QUEUE_URL_GROUPS");
    }

    #[test]
    fn the_secret_cache_honours_okta_hooks_secret_refresh_min_secs_like_every_function() {
        let config = RouterConfig::from_lookup(full).unwrap();
        assert_eq!(config.secrets, SecretsConfig::default());
        let config = RouterConfig::from_lookup(|n| {
            if n == "OKTA_HOOKS_SECRET_REFRESH_MIN_SECS" {
                Some("0".into())
            } else {
                full(n)
            }
        })
        .unwrap();
        assert_eq!(config.secrets.refresh_min_age, Duration::ZERO);
    }

    #[test]
    fn tables_are_required() {
        let err = RouterConfig::from_lookup(|n| {
            if n == "OKTA_HOOKS_LEDGER_TABLE" {
                None
            } else {
                full(n)
            }
        })
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_LEDGER_TABLE");
    }

    #[test]
    fn the_max_receive_count_is_required_and_checked() {
        let config = RouterConfig::from_lookup(full).unwrap();
        assert_eq!(config.max_receive_count, 12);
        assert_eq!(config.events_dlq_url, "https://sqs/1/EventsDlq.fifo");
        for bad in [None, Some("0"), Some("1001"), Some("twelve")] {
            let err = RouterConfig::from_lookup(|n| {
                if n == "OKTA_HOOKS_MAX_RECEIVE_COUNT" {
                    bad.map(str::to_owned)
                } else {
                    full(n)
                }
            })
            .unwrap_err();
            assert_eq!(err.var, "OKTA_HOOKS_MAX_RECEIVE_COUNT", "{bad:?}");
        }
    }

    #[test]
    fn the_events_dlq_must_be_a_fifo_queue() {
        for bad in [None, Some("https://sqs/1/EventsDlq")] {
            let err = RouterConfig::from_lookup(|n| {
                if n == "OKTA_HOOKS_EVENTS_DLQ_URL" {
                    bad.map(str::to_owned)
                } else {
                    full(n)
                }
            })
            .unwrap_err();
            assert_eq!(err.var, "OKTA_HOOKS_EVENTS_DLQ_URL", "{bad:?}");
        }
    }
}
