//! The JSON format of an org's secret.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde::Deserialize;

use crate::{HookAuth, OktaCredential, SigningKeys};

/// One org's secret, as stored in Secrets Manager:
///
/// ```json
/// {
///   "hook": { "header": "Authorization", "current": "…", "previous": "…" },
///   "signing": { "active": "k1", "keys": { "k1": "<at least 32 random bytes>" } },
///   "okta": { "org_url": "https://acme.okta.com", "api_token": "…" },
///   "named": { "slack_webhook": "https://hooks.slack.com/services/…" }
/// }
/// ```
///
/// Sections this version does not know are ignored, so a newer secret still loads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrgSecret {
    /// The event hook's auth header. Absent: the org takes no deliveries.
    #[serde(default)]
    pub hook: Option<HookAuth>,
    /// Envelope signing keys, held by the router and the executors only.
    #[serde(default)]
    pub signing: Option<SigningKeys>,
    /// The Okta credential of the router (enrichment) and the executors.
    #[serde(default)]
    pub okta: Option<OktaCredential>,
    /// Other secret values rules refer to by name (a step's `url_secret`, …).
    #[serde(default)]
    pub named: BTreeMap<String, SecretString>,
}

impl OrgSecret {
    /// Parses a secret string. The error names the position only, never the content.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let secret: OrgSecret = serde_json::from_str(text).map_err(|e| {
            format!(
                "not a valid org secret ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            )
        })?;
        if let Some(hook) = &secret.hook {
            hook.validate()?;
        }
        if let Some(signing) = &secret.signing {
            signing.validate()?;
        }
        if let Some(okta) = &secret.okta {
            okta.validate()?;
        }
        Ok(secret)
    }
}
