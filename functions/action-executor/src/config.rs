//! The executor's configuration, from environment variables (set per family by the SAM
//! template).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use actions::Family;
use env_config::{
    ConfigError, backoff_cap, fifo_queue_url, flag, max_receive_count, number, required,
};
use org_secrets::{ExecutorCredentials, SecretReads, SecretsConfig};
use step_runner::{Attempts, Backoff};

/// Everything one family's executor reads from its environment, checked once at cold
/// start so a misconfigured deployment fails there, not on the first step.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// `OKTA_HOOKS_FAMILY`: the family whose queue this function reads (`users`, …).
    pub family: Family,
    /// `OKTA_HOOKS_QUEUE_URL_<FAMILY>` for every family: a next step may be of any.
    pub queue_urls: HashMap<Family, String>,
    /// `OKTA_HOOKS_DLQ_URL`: this family's DLQ, where permanent failures go with the
    /// reason.
    pub dlq_url: String,
    /// `OKTA_HOOKS_IDEMPOTENCY_TABLE`: one record per envelope.
    pub idempotency_table: String,
    /// `OKTA_HOOKS_IDEMPOTENCY_TTL_DAYS` (default 30, 1 to 365).
    pub record_ttl: Duration,
    /// `OKTA_HOOKS_SECRET_*`: the org secrets (signing keys, the Okta credential, named
    /// values) and their cache.
    pub secrets: SecretsConfig,
    /// `OKTA_HOOKS_EXECUTOR_CREDENTIALS` (`shared`, the default, `per-family` or
    /// `per-family-only`; the template's `ExecutorCredentials`): whether this family
    /// first looks for its own Okta credential, `okta-<family>`, before the shared
    /// `okta`, or reads only its own.
    pub credentials: ExecutorCredentials,
    /// `OKTA_HOOKS_DRY_RUN` (default false): log each Okta request instead of sending it.
    pub dry_run: bool,
    /// `OKTA_HOOKS_RATE_RESERVE` (default 20: the template's default concurrency 2 ×
    /// batch 10): calls kept in reserve per rate-limit window.
    pub rate_reserve: u64,
    /// `OKTA_HOOKS_RULES_DIR`: rules (their protected users and groups) read from this
    /// directory instead of those built in.
    pub rules_dir: Option<PathBuf>,
    /// `OKTA_HOOKS_MAX_RECEIVE_COUNT` (required; see `env_config::max_receive_count`): this family queue's redrive
    /// `maxReceiveCount`, so the last delivery gives up with a letter instead of being
    /// moved to the DLQ unexplained; `OKTA_HOOKS_MAX_ATTEMPTS` (default 8, below the
    /// receive count): retryable failures (5xx, timeouts) after which a step gives up.
    pub attempts: Attempts,
    /// `OKTA_HOOKS_BACKOFF_CAP_SECS` (default 900, 1 to 43200; see
    /// `env_config::backoff_cap`): the longest wait between retries, on the 5 s doubling
    /// curve ([`Backoff::queue_capped`]).
    pub backoff: Backoff,
    /// `OKTA_HOOKS_ALLOW_LOOPBACK_HTTP` (default false): webhook URLs may also be
    /// `http://` on a loopback address. Set only by `okta-hooks stack up`, whose webhook
    /// doubles listen on 127.0.0.1 without TLS; the template never sets it, so a deployed
    /// executor posts to `https://` URLs only.
    pub allow_loopback_http: bool,
    /// `OKTA_HOOKS_STEP_LEASE_SECS` (default 120, 31 to 900: longer than the function's
    /// 30 s timeout, so a claim outlives the run that holds it): how long a run's claim on
    /// a step keeps other runs out; a run that dies holding it is replaced after this.
    pub lease: Duration,
    /// `OKTA_HOOKS_EVENT_BUS` (default `default`): the EventBridge bus each finished
    /// plan's `Action Result` goes to.
    pub event_bus: String,
}

impl ExecutorConfig {
    /// Reads the process environment; the error names the first variable missing or
    /// invalid.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_config::process_env)
    }

    /// Reads the variables through `lookup` rather than the process environment, so tests
    /// need not set process-wide variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let family_name = required(&lookup, "OKTA_HOOKS_FAMILY", "the action family")?;
        let family = Family::from_name(&family_name).ok_or_else(|| ConfigError {
            var: "OKTA_HOOKS_FAMILY",
            reason: format!(
                "{family_name:?} is not a family; one of {}",
                Family::ALL.map(Family::as_str).join(", ")
            ),
        })?;
        let queue_urls = Family::ALL
            .into_iter()
            .map(|f| Ok((f, fifo_queue_url(&lookup, f.queue_url_var())?)))
            .collect::<Result<_, ConfigError>>()?;
        let days = number(&lookup, "OKTA_HOOKS_IDEMPOTENCY_TTL_DAYS", 1..=365)?.unwrap_or(30);
        let max_receives = max_receive_count(&lookup)?;
        let max_failures = number(&lookup, "OKTA_HOOKS_MAX_ATTEMPTS", 1..=999)?.unwrap_or(8);
        if max_failures >= u64::from(max_receives) {
            return Err(ConfigError {
                var: "OKTA_HOOKS_MAX_ATTEMPTS",
                reason: format!(
                    "{max_failures} must be below OKTA_HOOKS_MAX_RECEIVE_COUNT ({max_receives}), \
                     so throttled waits cannot use up the queue's receives first"
                ),
            });
        }
        let attempts = Attempts {
            max_failures: u32::try_from(max_failures).unwrap_or(8),
            max_receives,
        };
        Ok(ExecutorConfig {
            family,
            queue_urls,
            dlq_url: fifo_queue_url(&lookup, "OKTA_HOOKS_DLQ_URL")?,
            idempotency_table: required(
                &lookup,
                "OKTA_HOOKS_IDEMPOTENCY_TABLE",
                "the idempotency table",
            )?,
            record_ttl: Duration::from_secs(days * 86_400),
            dry_run: flag(&lookup, "OKTA_HOOKS_DRY_RUN", false)?,
            rate_reserve: number(&lookup, "OKTA_HOOKS_RATE_RESERVE", 0..=10_000)?.unwrap_or(20),
            rules_dir: lookup("OKTA_HOOKS_RULES_DIR").map(PathBuf::from),
            attempts,
            backoff: Backoff::queue_capped(backoff_cap(&lookup)?),
            allow_loopback_http: flag(&lookup, "OKTA_HOOKS_ALLOW_LOOPBACK_HTTP", false)?,
            event_bus: lookup("OKTA_HOOKS_EVENT_BUS")
                .unwrap_or_else(|| aws_adapters::DEFAULT_EVENT_BUS.to_owned()),
            lease: Duration::from_secs(
                number(&lookup, "OKTA_HOOKS_STEP_LEASE_SECS", 31..=900)?.unwrap_or(120),
            ),
            credentials: ExecutorCredentials::from_lookup(&lookup)?,
            secrets: SecretsConfig::from_lookup(lookup)?,
        })
    }

    /// The kinds of org secret this family's executor reads: the signing keys; its Okta
    /// credential unless the family calls no Okta (notify); the named values only if its
    /// actions name some (notify, admin). Decided by the family, so no variable can make
    /// the notify executor read an Okta credential.
    pub fn secret_reads(&self) -> SecretReads {
        SecretReads::executor(
            self.family.as_str(),
            self.credentials,
            self.family.calls_okta(),
            self.family.reads_named_secrets(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(name: &str) -> Option<String> {
        match name {
            "OKTA_HOOKS_FAMILY" => Some("sessions".into()),
            "OKTA_HOOKS_IDEMPOTENCY_TABLE" => Some("steps".into()),
            "OKTA_HOOKS_DLQ_URL" => Some("https://sqs/1/sessions-dlq.fifo".into()),
            "OKTA_HOOKS_MAX_RECEIVE_COUNT" => Some("100".into()),
            n if n.starts_with("OKTA_HOOKS_QUEUE_URL_") => Some(format!("https://sqs/1/{n}.fifo")),
            _ => None,
        }
    }

    #[test]
    fn each_family_reads_only_its_kinds_of_secret() {
        use org_secrets::SecretKind;
        let with = |family: &'static str, credentials: Option<&'static str>| {
            ExecutorConfig::from_lookup(move |n| match n {
                "OKTA_HOOKS_FAMILY" => Some(family.into()),
                "OKTA_HOOKS_EXECUTOR_CREDENTIALS" => credentials.map(Into::into),
                other => full(other),
            })
            .unwrap()
            .secret_reads()
            .kinds()
        };
        let groups = SecretKind::okta_family("groups").unwrap();
        assert_eq!(
            with("groups", None),
            [SecretKind::Signing, SecretKind::Okta]
        );
        assert_eq!(
            with("groups", Some("per-family")),
            [SecretKind::Signing, groups, SecretKind::Okta]
        );
        assert_eq!(
            with("notify", Some("per-family")),
            [SecretKind::Signing, SecretKind::Named]
        );
        assert!(with("admin", None).contains(&SecretKind::Named));
        let err = ExecutorConfig::from_lookup(|n| match n {
            "OKTA_HOOKS_EXECUTOR_CREDENTIALS" => Some("each".into()),
            other => full(other),
        })
        .unwrap_err();
        assert!(err.reason.contains("per-family-only"), "{}", err.reason);
        let err = ExecutorConfig::from_lookup(|n| match n {
            "OKTA_HOOKS_EXECUTOR_CREDENTIALS" => Some("each".into()),
            other => full(other),
        })
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_EXECUTOR_CREDENTIALS");
    }

    #[test]
    fn per_family_only_reads_the_familys_own_okta_credential_and_not_the_shared_one() {
        use org_secrets::SecretKind;
        let only = |family: &'static str| {
            ExecutorConfig::from_lookup(move |n| match n {
                "OKTA_HOOKS_FAMILY" => Some(family.into()),
                "OKTA_HOOKS_EXECUTOR_CREDENTIALS" => Some("per-family-only".into()),
                other => full(other),
            })
            .unwrap()
        };
        let groups = only("groups");
        assert_eq!(groups.credentials, ExecutorCredentials::PerFamilyOnly);
        assert_eq!(
            groups.secret_reads().kinds(),
            [
                SecretKind::Signing,
                SecretKind::okta_family("groups").unwrap()
            ]
        );
        assert_eq!(
            only("admin").secret_reads().kinds(),
            [
                SecretKind::Signing,
                SecretKind::okta_family("admin").unwrap(),
                SecretKind::Named
            ]
        );
        assert_eq!(
            only("notify").secret_reads().kinds(),
            [SecretKind::Signing, SecretKind::Named]
        );
    }

    #[test]
    fn reads_the_family_and_defaults() {
        let config = ExecutorConfig::from_lookup(full).unwrap();
        assert_eq!(config.family, Family::Sessions);
        assert_eq!(config.queue_urls.len(), 8);
        assert!(!config.dry_run);
        assert_eq!(config.rate_reserve, 20);
        assert_eq!(config.record_ttl, Duration::from_secs(30 * 86_400));
        assert_eq!(
            config.attempts,
            Attempts {
                max_failures: 8,
                max_receives: 100
            }
        );
        assert!(
            !config.allow_loopback_http,
            "a deployed executor posts to https only"
        );
        assert_eq!(config.lease, Duration::from_secs(120));
        assert_eq!(config.backoff, Backoff::QUEUE);
    }

    #[test]
    fn the_step_lease_outlives_the_function_timeout_and_a_shorter_one_names_the_variable() {
        let with = |value: &'static str| {
            ExecutorConfig::from_lookup(move |name| match name {
                "OKTA_HOOKS_STEP_LEASE_SECS" => Some(value.to_owned()),
                other => full(other),
            })
        };
        assert_eq!(with("45").expect("config").lease, Duration::from_secs(45));
        for bad in ["30", "901", "2m"] {
            let refused = with(bad).expect_err(bad);
            assert_eq!(refused.var, "OKTA_HOOKS_STEP_LEASE_SECS", "{bad}");
        }
    }

    #[test]
    fn loopback_http_webhooks_are_allowed_only_when_the_local_stack_says_so() {
        let with = |value: &'static str| {
            ExecutorConfig::from_lookup(move |name| match name {
                "OKTA_HOOKS_ALLOW_LOOPBACK_HTTP" => Some(value.to_owned()),
                other => full(other),
            })
        };
        assert!(with("true").expect("config").allow_loopback_http);
        assert!(!with("false").expect("config").allow_loopback_http);
        let refused = with("yes please").expect_err("refused");
        assert_eq!(refused.var, "OKTA_HOOKS_ALLOW_LOOPBACK_HTTP");
    }
    #[test]
    fn the_backoff_cap_comes_from_okta_hooks_backoff_cap_secs_and_a_bad_one_names_it() {
        let with = |cap: &'static str| {
            ExecutorConfig::from_lookup(move |n| match n {
                "OKTA_HOOKS_BACKOFF_CAP_SECS" => Some(cap.into()),
                n => full(n),
            })
        };
        let config = with("2").unwrap();
        assert_eq!(config.backoff.max, Duration::from_secs(2));
        assert_eq!(config.backoff.delay(1), Duration::from_secs(2));
        assert_eq!(
            with("60").unwrap().backoff,
            Backoff::queue_capped(Duration::from_secs(60))
        );
        for bad in ["0", "43201", "soon"] {
            assert_eq!(
                with(bad).unwrap_err().var,
                "OKTA_HOOKS_BACKOFF_CAP_SECS",
                "{bad}"
            );
        }
    }

    #[test]
    fn the_secret_cache_honours_okta_hooks_secret_refresh_min_secs_like_every_function() {
        let config = ExecutorConfig::from_lookup(full).unwrap();
        assert_eq!(config.secrets, SecretsConfig::default());
        let config = ExecutorConfig::from_lookup(|n| match n {
            "OKTA_HOOKS_SECRET_REFRESH_MIN_SECS" => Some("30".into()),
            n => full(n),
        })
        .unwrap();
        assert_eq!(config.secrets.refresh_min_age, Duration::from_secs(30));
        let err = ExecutorConfig::from_lookup(|n| match n {
            "OKTA_HOOKS_SECRET_REFRESH_MIN_SECS" => Some("later".into()),
            n => full(n),
        })
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_SECRET_REFRESH_MIN_SECS");
    }

    #[test]
    fn the_receive_count_is_required_and_must_exceed_the_attempts() {
        let err = ExecutorConfig::from_lookup(|n| match n {
            "OKTA_HOOKS_MAX_RECEIVE_COUNT" => None,
            n => full(n),
        })
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_MAX_RECEIVE_COUNT");
        let err = ExecutorConfig::from_lookup(|n| match n {
            "OKTA_HOOKS_MAX_RECEIVE_COUNT" => Some("5".into()),
            "OKTA_HOOKS_MAX_ATTEMPTS" => Some("5".into()),
            n => full(n),
        })
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_MAX_ATTEMPTS");
    }

    #[test]
    fn a_wrong_family_or_missing_dlq_names_the_variable() {
        let err = ExecutorConfig::from_lookup(|n| match n {
            "OKTA_HOOKS_FAMILY" => Some("user".into()),
            n => full(n),
        })
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_FAMILY");
        assert!(err.reason.contains("users"), "{}", err.reason);
        let err = ExecutorConfig::from_lookup(|n| match n {
            "OKTA_HOOKS_DLQ_URL" => None,
            n => full(n),
        })
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_DLQ_URL");
        let err = ExecutorConfig::from_lookup(|n| match n {
            "OKTA_HOOKS_DRY_RUN" => Some("sometimes".into()),
            n => full(n),
        })
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_DRY_RUN");
    }
}
