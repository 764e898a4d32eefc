//! The event router's configuration, from environment variables.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use actions::Family;
use env_config::{ConfigError, fifo_queue_url, max_receive_count, number, required};
use org_secrets::{KnownOrgs, SecretsConfig};

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
    /// The action-requests intake, when `OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN` is set.
    pub requests: Option<RequestsConfig>,
    /// `OKTA_HOOKS_EVENT_BUS` (default `default`): the EventBridge bus results go to.
    pub event_bus: String,
}

/// How the router takes action requests (see [`crate::RequestSettings`]).
#[derive(Debug, Clone)]
pub struct RequestsConfig {
    /// `OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN`: the requests queue. Its messages are told
    /// from events by their `eventSourceARN`; its account is the one reply queues must
    /// be in.
    pub queue_arn: String,
    /// `OKTA_HOOKS_ACTION_REQUESTS_DLQ_URL` (required with the queue): letters of
    /// refused and invalid requests.
    pub dlq_url: String,
    /// The orgs (`OKTA_HOOKS_ORGS`, `OKTA_HOOKS_DEFAULT_ORG`), cap
    /// (`OKTA_HOOKS_REQUEST_CAP_PER_HOUR`, default 20, 0 to 100000), reply queues
    /// (`OKTA_HOOKS_REPLY_QUEUE_PATTERN`, default `okta-hooks-reply-*`) and the requests
    /// queue's `OKTA_HOOKS_MAX_RECEIVE_COUNT`.
    pub settings: crate::RequestSettings,
}

/// The default `OKTA_HOOKS_REQUEST_CAP_PER_HOUR`.
pub const DEFAULT_REQUEST_CAP_PER_HOUR: u32 = 20;

/// The default `OKTA_HOOKS_REPLY_QUEUE_PATTERN`.
pub const DEFAULT_REPLY_QUEUE_PATTERN: &str = "okta-hooks-reply-*";

impl RequestsConfig {
    /// `None` when `OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN` is unset (no intake).
    fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        max_receive_count: u32,
    ) -> Result<Option<Self>, ConfigError> {
        const ARN: &str = "OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN";
        let Some(queue_arn) = lookup(ARN) else {
            return Ok(None);
        };
        // arn:<partition>:sqs:<region>:<account>:<name>
        let parts: Vec<&str> = queue_arn.split(':').collect();
        let account = match parts.as_slice() {
            ["arn", _, "sqs", _, account, name] if !account.is_empty() && !name.is_empty() => {
                (*account).to_owned()
            }
            _ => {
                return Err(ConfigError {
                    var: ARN,
                    reason: "must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)"
                        .into(),
                });
            }
        };
        let dlq_url = required(
            lookup,
            "OKTA_HOOKS_ACTION_REQUESTS_DLQ_URL",
            "the requests DLQ",
        )?;
        let cap_per_hour = number(lookup, "OKTA_HOOKS_REQUEST_CAP_PER_HOUR", 0..=100_000)?
            .map_or(DEFAULT_REQUEST_CAP_PER_HOUR, |n| n as u32);
        const PATTERN: &str = "OKTA_HOOKS_REPLY_QUEUE_PATTERN";
        let pattern = lookup(PATTERN).unwrap_or_else(|| DEFAULT_REPLY_QUEUE_PATTERN.to_owned());
        if pattern.is_empty()
            || pattern.len() > 80
            || !pattern
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '.'))
        {
            return Err(ConfigError {
                var: PATTERN,
                reason: "must be an SQS queue name in which `*` matches anything".into(),
            });
        }
        Ok(Some(RequestsConfig {
            queue_arn,
            dlq_url,
            settings: crate::RequestSettings {
                orgs: KnownOrgs::from_lookup(lookup)?,
                cap_per_hour,
                reply_queues: crate::ReplyQueues {
                    account: Some(account),
                    pattern,
                },
                max_receive_count,
            },
        }))
    }
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
            requests: RequestsConfig::from_lookup(&lookup, max_receive_count)?,
            event_bus: lookup("OKTA_HOOKS_EVENT_BUS").unwrap_or_else(|| "default".to_owned()),
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
    fn requests_are_taken_only_with_their_queue_and_need_its_dlq() {
        let config = RouterConfig::from_lookup(full).unwrap();
        assert!(config.requests.is_none());
        assert_eq!(config.event_bus, "default");
        let with = |extra: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                extra
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| (*v).to_owned())
                    .or_else(|| full(n))
            }
        };
        const ARN: (&str, &str) = (
            "OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN",
            "arn:aws:sqs:eu-west-1:123456789012:okta-hooks-action-requests",
        );
        const DLQ: (&str, &str) = ("OKTA_HOOKS_ACTION_REQUESTS_DLQ_URL", "https://sqs/1/dlq");
        let err = RouterConfig::from_lookup(with(&[ARN])).unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_ACTION_REQUESTS_DLQ_URL");
        let config = RouterConfig::from_lookup(with(&[ARN, DLQ])).unwrap();
        let requests = config.requests.unwrap();
        assert_eq!(requests.settings.cap_per_hour, DEFAULT_REQUEST_CAP_PER_HOUR);
        assert_eq!(
            requests.settings.reply_queues.account.as_deref(),
            Some("123456789012")
        );
        assert_eq!(requests.settings.reply_queues.pattern, "okta-hooks-reply-*");
        assert_eq!(requests.settings.max_receive_count, 12);
        let err = RouterConfig::from_lookup(with(&[
            ("OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN", "not-an-arn"),
            DLQ,
        ]))
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_ACTION_REQUESTS_QUEUE_ARN");
        let err =
            RouterConfig::from_lookup(with(&[ARN, DLQ, ("OKTA_HOOKS_REPLY_QUEUE_PATTERN", "a/b")]))
                .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_REPLY_QUEUE_PATTERN");
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
