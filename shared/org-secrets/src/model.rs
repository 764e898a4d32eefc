//! The JSON format of an org's secret.

use std::collections::BTreeMap;

use secrecy::SecretString;

use crate::{HookAuth, OktaCredential, PlanSigningKeys, SecretReads, SigningKeys, StoredSecrets};

/// What one function holds of an org's secrets: only the sections of the kinds it reads
/// ([`SecretReads`]), each parsed and checked. In the single shape of before the split it
/// was also the stored format:
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
#[derive(Debug, Clone, Default)]
pub struct OrgSecret {
    /// The event hook's auth header. Absent: the org takes no deliveries.
    pub hook: Option<HookAuth>,
    /// Envelope signing keys, held by the router and the executors only; the router's
    /// also hold its private plan keys ([`OrgSecret::plan_signing`]).
    pub signing: Option<SigningKeys>,
    /// The Okta credential this function uses (`okta-read`, `okta-<family>` or `okta`).
    pub okta: Option<OktaCredential>,
    /// Other secret values rules refer to by name (a step's `url_secret`, …).
    pub named: BTreeMap<String, SecretString>,
}

impl OrgSecret {
    /// Parses a secret in the single shape (or a file of either shape), every section
    /// included, `okta` as the credential. The error names the kind and position only,
    /// never the content.
    pub fn from_json(text: &str) -> Result<Self, String> {
        SecretReads::all().resolve(&StoredSecrets::from_json(text)?)
    }

    /// The router's private plan keys (the `plan-signing` kind), where this function
    /// reads them. They are held inside [`OrgSecret::signing`], which they need.
    pub fn plan_signing(&self) -> Option<&PlanSigningKeys> {
        self.signing.as_ref()?.plan_signing()
    }
}
