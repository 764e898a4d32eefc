//! The keys that sign action envelopes between the router and the executors.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::PlanSigningKeys;
use crate::plan_keys::decode_public_key;

/// Shortest key accepted: 32 bytes, as many as HMAC-SHA256's output.
pub const MIN_SIGNING_KEY_LEN: usize = 32;

/// `{"active": "k2", "keys": {"k1": "…", "k2": "…"}}`: new envelopes are signed with
/// `active`; any key listed still verifies, so a rotation adds a key, makes it active,
/// and drops the old one once the queues have drained.
///
/// `"plan_keys": {"p1": "<base64 Ed25519 public key>"}` (optional, not secret) are the
/// public halves of the router's plan keys ([`PlanSigningKeys`]): once listed, the router
/// signs every plan and executors verify the plan signature of every body that has one.
/// `"require_plan_signatures": true` then makes executors refuse HMAC-only bodies too —
/// set it a secret TTL after `plan_keys` (and once the queues hold no HMAC-only body),
/// so that no router still holding a copy without `plan_keys` sends a body that every
/// executor refuses. Without `plan_keys`, every envelope is HMAC-only, as before.
#[derive(Debug, Clone, Deserialize)]
pub struct SigningKeys {
    /// The id of the key new envelopes are signed with.
    pub active: String,
    /// Every key that still verifies, by id.
    pub keys: BTreeMap<String, SecretString>,
    /// The router's plan public keys by id (base64 of 32 bytes); `None`: plans are not
    /// signed yet (migration).
    #[serde(default)]
    pub plan_keys: Option<BTreeMap<String, String>>,
    /// Whether executors refuse bodies that carry no router plan signature (the last
    /// step of turning plan signatures on; needs `plan_keys`).
    #[serde(default)]
    pub require_plan_signatures: bool,
    /// The router's private plan keys, from the `plan-signing` kind (never from the
    /// `signing` section): held only where [`crate::SecretReads`] reads that kind.
    #[serde(skip)]
    plan_signing: Option<PlanSigningKeys>,
}

impl SigningKeys {
    /// `keys` as `(id, key)` pairs, `active` signing.
    pub fn new(active: &str, keys: &[(&str, &str)]) -> Self {
        SigningKeys {
            active: active.to_owned(),
            keys: keys
                .iter()
                .map(|(kid, key)| (kid.to_string(), SecretString::from(*key)))
                .collect(),
            plan_keys: None,
            require_plan_signatures: false,
            plan_signing: None,
        }
    }

    /// These keys with HMAC-only bodies refused ([`SigningKeys::plan_signatures_required`]).
    pub fn requiring_plan_signatures(mut self) -> Self {
        self.require_plan_signatures = true;
        self
    }

    /// Whether executors must refuse a body without a router plan signature: only once
    /// `require_plan_signatures` is set (and `plan_keys` listed, which validation
    /// demands of it).
    pub fn plan_signatures_required(&self) -> bool {
        self.require_plan_signatures && self.plan_keys.is_some()
    }

    /// These keys with the plan public keys `plan_keys` (`(id, base64 public key)`).
    pub fn with_plan_keys(mut self, plan_keys: &[(&str, &str)]) -> Self {
        self.plan_keys = Some(
            plan_keys
                .iter()
                .map(|(kid, key)| (kid.to_string(), key.to_string()))
                .collect(),
        );
        self
    }

    /// These keys with the router's private plan keys (what reading the `plan-signing`
    /// kind adds).
    pub fn with_plan_signing(mut self, plan_signing: PlanSigningKeys) -> Self {
        self.plan_signing = Some(plan_signing);
        self
    }

    /// The router's private plan keys, where this function reads them (the router).
    pub fn plan_signing(&self) -> Option<&PlanSigningKeys> {
        self.plan_signing.as_ref()
    }

    /// These keys without the private plan keys (what a function that does not read
    /// `plan-signing` holds).
    pub(crate) fn without_plan_signing(mut self) -> Self {
        self.plan_signing = None;
        self
    }

    /// Whether plan public keys are listed: then only router-signed plans may run.
    pub fn plan_keys_configured(&self) -> bool {
        self.plan_keys.is_some()
    }

    /// The plan public key `kid` as bytes; `None` when it is not listed (or, in keys
    /// built without validation, not 32 bytes of base64).
    pub fn plan_key(&self, kid: &str) -> Option<Vec<u8>> {
        decode_public_key(self.plan_keys.as_ref()?.get(kid)?)
    }

    /// The key new envelopes are signed with (`None` only before validation).
    pub fn active_key(&self) -> Option<&SecretString> {
        self.keys.get(&self.active)
    }

    /// The key with id `kid`, to verify an envelope signed with it.
    pub fn key(&self, kid: &str) -> Option<&SecretString> {
        self.keys.get(kid)
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.active_key().is_none() {
            return Err("signing.active names a key that signing.keys does not hold".to_owned());
        }
        match self
            .keys
            .iter()
            .find(|(_, key)| key.expose_secret().len() < MIN_SIGNING_KEY_LEN)
        {
            Some((kid, _)) => Err(format!(
                "signing key {kid:?} is shorter than {MIN_SIGNING_KEY_LEN} bytes"
            )),
            None => Ok(()),
        }?;
        let Some(plan_keys) = &self.plan_keys else {
            if self.require_plan_signatures {
                return Err(
                    "signing.require_plan_signatures needs signing.plan_keys: list \
                            the router's public plan keys first"
                        .to_owned(),
                );
            }
            return Ok(());
        };
        if plan_keys.is_empty() {
            return Err(
                "signing.plan_keys is empty: leave it out until a plan key is made".to_owned(),
            );
        }
        match plan_keys
            .iter()
            .find(|(_, key)| decode_public_key(key).is_none())
        {
            Some((kid, _)) => Err(format!(
                "signing.plan_keys {kid:?} is not base64 of a 32-byte Ed25519 public key"
            )),
            None => Ok(()),
        }
    }

    /// `plan_signing` held with these keys: valid, and once `plan_keys` are listed, its
    /// active public key among them under its id, so that what the router signs the
    /// executors verify. Before `plan_keys` are listed the router holds the key but does
    /// not sign with it yet (the first step of turning plan signatures on).
    pub(crate) fn attach(mut self, plan_signing: PlanSigningKeys) -> Result<Self, String> {
        plan_signing.validate()?;
        if self.plan_keys.is_none() {
            self.plan_signing = Some(plan_signing);
            return Ok(self);
        }
        let kid = &plan_signing.active;
        let public = plan_signing.public_key(kid).map_err(|e| e.to_string())?;
        let listed = self
            .plan_keys
            .as_ref()
            .and_then(|keys| keys.get(kid))
            .and_then(|key| decode_public_key(key));
        if listed.as_deref() != decode_public_key(&public).as_deref() {
            return Err(format!(
                "plan-signing.active {kid:?}: signing.plan_keys must list its public key \
                 under the same id, or the executors refuse every plan"
            ));
        }
        self.plan_signing = Some(plan_signing);
        Ok(self)
    }
}

#[cfg(test)]
mod require_tests {
    use crate::OrgSecret;

    const KEYS: &str = r#""active": "k1", "keys": {"k1": "0123456789abcdef0123456789abcdef"}"#;

    #[test]
    fn requiring_plan_signatures_needs_listed_plan_keys() {
        let without = format!(r#"{{"signing": {{{KEYS}, "require_plan_signatures": true}}}}"#);
        let err = OrgSecret::from_json(&without).unwrap_err();
        assert!(err.contains("plan_keys"), "{err}");

        let public = crate::generate_plan_key().unwrap().public_key;
        let listed = |required: bool| {
            let text = format!(
                r#"{{"signing": {{{KEYS}, "plan_keys": {{"p1": "{public}"}},
                    "require_plan_signatures": {required}}}}}"#
            );
            OrgSecret::from_json(&text).unwrap().signing.unwrap()
        };
        assert!(!listed(false).plan_signatures_required());
        assert!(listed(true).plan_signatures_required());
    }
}
