//! The keys that sign action envelopes between the router and the executors.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Shortest key accepted: 32 bytes, as many as HMAC-SHA256's output.
pub const MIN_SIGNING_KEY_LEN: usize = 32;

/// `{"active": "k2", "keys": {"k1": "…", "k2": "…"}}`: new envelopes are signed with
/// `active`; any key listed still verifies, so a rotation adds a key, makes it active,
/// and drops the old one once the queues have drained.
#[derive(Debug, Clone, Deserialize)]
pub struct SigningKeys {
    /// The id of the key new envelopes are signed with.
    pub active: String,
    /// Every key that still verifies, by id.
    pub keys: BTreeMap<String, SecretString>,
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
        }
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
        }
    }
}
