//! Where a function's org secrets live and how long a read of one is trusted: the same
//! three variables for every function and the local runner, read in one place.

use std::time::Duration;

use env_config::{ConfigError, seconds};

use crate::{SecretCache, SecretSource};

/// The org secrets' configuration, shared by every function (hook ingest and verify, the
/// router, the executors, the poller) and the local runner.
///
/// The cache's capacity is not configured: it is [`crate::DEFAULT_CAPACITY`], or the
/// number of known orgs when the cache is limited to them
/// ([`SecretCache::with_known_orgs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretsConfig {
    /// `OKTA_HOOKS_SECRET_PREFIX` (default `okta-hooks/`): an org's secret id is this
    /// prefix followed by the org name.
    pub prefix: String,
    /// `OKTA_HOOKS_SECRET_TTL_SECS` (default 300, at most a day): how long a read secret
    /// is used before it is read again.
    pub ttl: Duration,
    /// `OKTA_HOOKS_SECRET_REFRESH_MIN_SECS` (default 10, at most a day): a forced re-read
    /// (after a failed hook authentication, an Okta `401`, an unknown signing key) is
    /// skipped when the secret was read more recently than this, so a caller cannot run
    /// up Secrets Manager calls by failing on purpose.
    pub refresh_min_age: Duration,
    /// `OKTA_HOOKS_LEGACY_SINGLE_SECRET` (default false; the template's
    /// `LegacySingleSecret`): read the org's single secret of before the split,
    /// `<prefix><org>`, instead of one secret per kind. Every function can then read every
    /// section, so each warns at cold start; `okta-hooks secrets split` ends it.
    pub legacy_single_secret: bool,
}

impl SecretsConfig {
    /// The prefix when `OKTA_HOOKS_SECRET_PREFIX` is not set.
    pub const DEFAULT_PREFIX: &str = "okta-hooks/";
    /// The TTL when `OKTA_HOOKS_SECRET_TTL_SECS` is not set.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
    /// The minimum age when `OKTA_HOOKS_SECRET_REFRESH_MIN_SECS` is not set.
    pub const DEFAULT_REFRESH_MIN_AGE: Duration = Duration::from_secs(10);

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_config::process_env)
    }

    /// Reads the four variables through `lookup` (unset ones take their defaults); a bad
    /// value is an error naming its variable.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(SecretsConfig {
            prefix: lookup("OKTA_HOOKS_SECRET_PREFIX")
                .unwrap_or_else(|| Self::DEFAULT_PREFIX.to_owned()),
            ttl: seconds(&lookup, "OKTA_HOOKS_SECRET_TTL_SECS")?.unwrap_or(Self::DEFAULT_TTL),
            refresh_min_age: seconds(&lookup, "OKTA_HOOKS_SECRET_REFRESH_MIN_SECS")?
                .unwrap_or(Self::DEFAULT_REFRESH_MIN_AGE),
            legacy_single_secret: env_config::flag(
                &lookup,
                "OKTA_HOOKS_LEGACY_SINGLE_SECRET",
                false,
            )?,
        })
    }

    /// A cache of `source` with this TTL and minimum refresh age (and the default
    /// capacity).
    pub fn cache<S: SecretSource>(&self, source: S) -> SecretCache<S> {
        SecretCache::new(source, self.ttl, self.refresh_min_age)
    }
}

impl Default for SecretsConfig {
    /// What [`SecretsConfig::from_lookup`] reads when nothing is set.
    fn default() -> Self {
        SecretsConfig {
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            ttl: Self::DEFAULT_TTL,
            refresh_min_age: Self::DEFAULT_REFRESH_MIN_AGE,
            legacy_single_secret: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(var: &'static str, value: &'static str) -> impl Fn(&str) -> Option<String> {
        move |name| (name == var).then(|| value.to_owned())
    }

    #[test]
    fn nothing_set_means_the_documented_defaults() {
        let config = SecretsConfig::from_lookup(|_| None).unwrap();
        assert_eq!(config.prefix, "okta-hooks/");
        assert_eq!(config.ttl, Duration::from_secs(300));
        assert_eq!(config.refresh_min_age, Duration::from_secs(10));
        assert_eq!(config, SecretsConfig::default());
    }

    #[test]
    fn each_variable_sets_its_value() {
        let read = |var, value| SecretsConfig::from_lookup(only(var, value)).unwrap();
        assert_eq!(read("OKTA_HOOKS_SECRET_PREFIX", "acme/").prefix, "acme/");
        assert_eq!(
            read("OKTA_HOOKS_SECRET_TTL_SECS", "60").ttl,
            Duration::from_secs(60)
        );
        assert_eq!(
            read("OKTA_HOOKS_SECRET_REFRESH_MIN_SECS", "0").refresh_min_age,
            Duration::ZERO
        );
        assert!(read("OKTA_HOOKS_LEGACY_SINGLE_SECRET", "true").legacy_single_secret);
    }

    #[test]
    fn a_bad_value_is_an_error_naming_its_variable() {
        for var in [
            "OKTA_HOOKS_SECRET_TTL_SECS",
            "OKTA_HOOKS_SECRET_REFRESH_MIN_SECS",
            "OKTA_HOOKS_LEGACY_SINGLE_SECRET",
        ] {
            for bad in ["-1", "ten", "86401", "maybe"] {
                let err = SecretsConfig::from_lookup(only(var, bad)).unwrap_err();
                assert_eq!(err.var, var, "{bad}");
                assert!(err.to_string().contains(var), "{err}");
            }
        }
    }

    #[tokio::test]
    async fn the_cache_keeps_a_secret_for_the_ttl_and_holds_re_reads_for_the_min_age() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        use crate::{OrgName, OrgSecret, SecretError};

        #[derive(Clone, Default)]
        struct Counting(Arc<AtomicUsize>);
        impl SecretSource for Counting {
            async fn fetch(&self, _org: &OrgName) -> Result<OrgSecret, SecretError> {
                self.0.fetch_add(1, Ordering::SeqCst);
                Ok(OrgSecret::default())
            }
        }

        let org = OrgName::default_org();
        let source = Counting::default();
        let held = SecretsConfig {
            ttl: Duration::from_secs(3600),
            refresh_min_age: Duration::from_secs(3600),
            ..SecretsConfig::default()
        }
        .cache(source.clone());
        held.get(&org).await.unwrap();
        held.get(&org).await.unwrap();
        assert!(held.refresh(&org).await.is_none(), "read moments ago: held");
        assert_eq!(
            source.0.load(Ordering::SeqCst),
            1,
            "one read within the TTL"
        );

        let eager = SecretsConfig {
            refresh_min_age: Duration::ZERO,
            ..SecretsConfig::default()
        }
        .cache(source.clone());
        eager.get(&org).await.unwrap();
        assert!(
            eager.refresh(&org).await.is_some(),
            "no minimum age: re-read"
        );
        assert_eq!(source.0.load(Ordering::SeqCst), 3);
    }
}
