//! Configuration from environment variables, validated once at cold start.

pub use env_config::ConfigError;
use env_config::{fifo_queue_url, number};
use org_secrets::{KnownOrgs, OrgName, SecretsConfig};

/// What both hook functions need.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// `OKTA_HOOKS_ORGS` and `OKTA_HOOKS_DEFAULT_ORG`: the orgs served, and the org of
    /// `/hooks/okta` without an `{org}` (default: `default` alone). A request for any
    /// other org is refused (`401`) before any secret lookup.
    pub orgs: KnownOrgs,
    /// `OKTA_HOOKS_MAX_BODY_BYTES`: larger deliveries get `413` (default 5 MiB, at most 10 MiB).
    pub max_body_bytes: usize,
    /// `OKTA_HOOKS_SECRET_*`: where the org secrets are, how long one is cached, and how
    /// often (at most) a failed authentication re-reads it.
    pub secrets: SecretsConfig,
}

/// What `hook-ingest` needs besides the common settings.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// The settings both hook functions share.
    pub receiver: ReceiverConfig,
    /// `OKTA_HOOKS_EVENTS_QUEUE_URL`: the FIFO events queue (required, ends in `.fifo`).
    pub events_queue_url: String,
    /// `OKTA_HOOKS_REJECTS_QUEUE_URL`: the FIFO queue where events that cannot go on the
    /// events queue are parked (ends in `.fifo`; `hook-ingest` requires it).
    pub rejects_queue_url: Option<String>,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            orgs: KnownOrgs::default(),
            max_body_bytes: 5 * 1024 * 1024,
            secrets: SecretsConfig::default(),
        }
    }
}

impl ReceiverConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_config::process_env)
    }

    /// Reads variables through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = ReceiverConfig::default();
        let orgs = KnownOrgs::from_lookup(&lookup)?;
        let max_body_bytes = number(&lookup, "OKTA_HOOKS_MAX_BODY_BYTES", 1..=10 * 1024 * 1024)?
            .unwrap_or(defaults.max_body_bytes as u64) as usize;
        Ok(ReceiverConfig {
            orgs,
            max_body_bytes,
            secrets: SecretsConfig::from_lookup(lookup)?,
        })
    }

    /// The org a request is for: its path parameter, else the default org. An org that
    /// is not configured is `401`, decided here with no secret lookup, so invented names
    /// cost nothing; a name that could never be an org is `400`.
    pub fn org_of(&self, path_org: Option<&str>) -> Result<OrgName, crate::HookError> {
        match path_org {
            None | Some("") => Ok(self.orgs.default_org().clone()),
            Some(name) => match self.orgs.get(name) {
                Some(org) => Ok(org.clone()),
                None if OrgName::parse(name).is_err() => Err(crate::HookError::InvalidOrg),
                None => {
                    tracing::warn!(
                        org = name,
                        "hook request for an org this deployment does not serve"
                    );
                    Err(crate::HookError::Unauthorized)
                }
            },
        }
    }

    /// The default org (of `/hooks/okta`).
    pub fn default_org(&self) -> &OrgName {
        self.orgs.default_org()
    }
}

impl IngestConfig {
    /// From the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(env_config::process_env)
    }

    /// From `lookup` (a variable's value by name), so tests need not touch the process
    /// environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let url = fifo_queue_url(&lookup, "OKTA_HOOKS_EVENTS_QUEUE_URL")?;
        let rejects_queue_url = match lookup("OKTA_HOOKS_REJECTS_QUEUE_URL") {
            None => None,
            Some(_) => Some(fifo_queue_url(&lookup, "OKTA_HOOKS_REJECTS_QUEUE_URL")?),
        };
        Ok(IngestConfig {
            receiver: ReceiverConfig::from_lookup(lookup)?,
            events_queue_url: url,
            rejects_queue_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = ReceiverConfig::from_lookup(lookup(&[])).unwrap();
        assert_eq!(config.default_org().as_str(), "default");
        assert_eq!(config.orgs, KnownOrgs::default());
        assert_eq!(config.max_body_bytes, 5 * 1024 * 1024);
        assert_eq!(config.secrets, SecretsConfig::default());
    }

    #[test]
    fn errors_name_the_variable() {
        let err = ReceiverConfig::from_lookup(lookup(&[("OKTA_HOOKS_MAX_BODY_BYTES", "lots")]))
            .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_MAX_BODY_BYTES");
        assert!(err.to_string().contains("OKTA_HOOKS_MAX_BODY_BYTES"));
        let err =
            ReceiverConfig::from_lookup(lookup(&[("OKTA_HOOKS_SECRET_REFRESH_MIN_SECS", "soon")]))
                .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_SECRET_REFRESH_MIN_SECS");
        let err =
            ReceiverConfig::from_lookup(lookup(&[("OKTA_HOOKS_DEFAULT_ORG", "a/b")])).unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_DEFAULT_ORG");
        let err =
            ReceiverConfig::from_lookup(lookup(&[("OKTA_HOOKS_ORGS", "acme,b@d")])).unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_ORGS");
        assert!(err.reason.contains("b@d"), "{}", err.reason);
        let err = ReceiverConfig::from_lookup(lookup(&[
            ("OKTA_HOOKS_ORGS", "acme,beta"),
            ("OKTA_HOOKS_DEFAULT_ORG", "gamma"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_DEFAULT_ORG");
    }

    #[test]
    fn the_orgs_served_come_from_okta_hooks_orgs() {
        let config =
            ReceiverConfig::from_lookup(lookup(&[("OKTA_HOOKS_ORGS", "acme, beta")])).unwrap();
        assert_eq!(config.default_org().as_str(), "acme");
        assert_eq!(config.org_of(Some("beta")).unwrap().as_str(), "beta");
        assert_eq!(
            config.org_of(Some("default")),
            Err(crate::HookError::Unauthorized)
        );
    }

    #[test]
    fn ingest_requires_a_fifo_queue_url() {
        let err = IngestConfig::from_lookup(lookup(&[])).unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_EVENTS_QUEUE_URL");
        let err = IngestConfig::from_lookup(lookup(&[(
            "OKTA_HOOKS_EVENTS_QUEUE_URL",
            "https://sqs.eu-west-1.amazonaws.com/1/events",
        )]))
        .unwrap_err();
        assert!(err.reason.contains(".fifo"));
        let ok = IngestConfig::from_lookup(lookup(&[(
            "OKTA_HOOKS_EVENTS_QUEUE_URL",
            "https://sqs.eu-west-1.amazonaws.com/1/events.fifo",
        )]))
        .unwrap();
        assert!(ok.events_queue_url.ends_with(".fifo"));
        assert_eq!(ok.rejects_queue_url, None);
    }

    #[test]
    fn the_rejects_queue_url_is_optional_but_must_be_fifo() {
        let events = (
            "OKTA_HOOKS_EVENTS_QUEUE_URL",
            "https://sqs.eu-west-1.amazonaws.com/1/events.fifo",
        );
        let err = IngestConfig::from_lookup(lookup(&[
            events,
            (
                "OKTA_HOOKS_REJECTS_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/1/rejects",
            ),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "OKTA_HOOKS_REJECTS_QUEUE_URL");
        let ok = IngestConfig::from_lookup(lookup(&[
            events,
            (
                "OKTA_HOOKS_REJECTS_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/1/rejects.fifo",
            ),
        ]))
        .unwrap();
        assert!(ok.rejects_queue_url.unwrap().ends_with("rejects.fifo"));
    }

    #[test]
    fn org_comes_from_the_path_or_the_default_and_must_be_served() {
        let config = ReceiverConfig {
            orgs: KnownOrgs::new(OrgName::default_org(), [OrgName::parse("acme").unwrap()]),
            ..ReceiverConfig::default()
        };
        assert_eq!(config.org_of(None).unwrap().as_str(), "default");
        assert_eq!(config.org_of(Some("acme")).unwrap().as_str(), "acme");
        assert_eq!(
            config.org_of(Some("stranger")),
            Err(crate::HookError::Unauthorized)
        );
        assert_eq!(
            config.org_of(Some("../etc")),
            Err(crate::HookError::InvalidOrg)
        );
    }
}
