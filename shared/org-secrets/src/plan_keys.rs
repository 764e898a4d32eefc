//! The Ed25519 keys plans are signed with: the router alone holds the private ones.
//!
//! Every function that handles envelopes holds the HMAC [`crate::SigningKeys`] (an
//! executor signs the progress it passes on), so an HMAC alone cannot tell a plan the
//! router made from one an executor made up. The router therefore also signs each plan,
//! once, with an Ed25519 key of the `plan-signing` kind, which only its role may read;
//! the executors verify with the public keys listed in the `signing` section they already
//! read (`"plan_keys": {"p1": "<base64 public key>"}`, see
//! [`crate::SigningKeys::plan_keys`]).
//!
//! `plan-signing` is `{"active": "p1", "keys": {"p1": "<base64 32-byte Ed25519 seed>"}}`:
//! new plans are signed with `active`; a rotation lists the new public key in `signing`
//! first, then adds the seed here and makes it active, and drops the old pair once the
//! queues have drained. [`generate_plan_key`] makes a pair.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::{DecodePaddingMode, general_purpose};
use ring::signature::{Ed25519KeyPair, KeyPair};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::Deserialize;

/// Length of an Ed25519 seed (the private key as stored) and of a public key, in bytes.
pub const PLAN_KEY_LEN: usize = 32;

/// Standard base64, padded or not (a key pasted by hand may have lost its `=`).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a plan key could not be made or used. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanKeyError {
    /// `active` names a key id (held here) that `keys` lacks.
    #[error("plan-signing.active names key {0:?}, which plan-signing.keys does not hold")]
    NoActiveKey(String),
    /// The key with this id is not base64 of a 32-byte Ed25519 seed.
    #[error("plan-signing key {0:?} is not base64 of a 32-byte Ed25519 seed")]
    BadSeed(String),
    /// The system's random source failed while making a key.
    #[error("the system random source failed")]
    Random,
}

/// The router's private plan keys: the `plan-signing` kind. Seeds are redacted in
/// `Debug` and never leave this type: [`PlanSigningKeys::sign`] signs with them.
#[derive(Debug, Clone, Deserialize)]
pub struct PlanSigningKeys {
    /// The id of the key new plans are signed with.
    pub active: String,
    /// Every private key by id: base64 (standard alphabet) of a 32-byte Ed25519 seed.
    pub keys: BTreeMap<String, SecretString>,
}

impl PlanSigningKeys {
    /// `keys` as `(id, base64 seed)` pairs, `active` signing.
    pub fn new(active: &str, keys: &[(&str, &str)]) -> Self {
        PlanSigningKeys {
            active: active.to_owned(),
            keys: keys
                .iter()
                .map(|(kid, seed)| (kid.to_string(), SecretString::from(*seed)))
                .collect(),
        }
    }

    /// Signs `message` with the active key: its id and the 64-byte Ed25519 signature.
    pub fn sign(&self, message: &[u8]) -> Result<(&str, Vec<u8>), PlanKeyError> {
        let pair = self.pair(&self.active)?;
        Ok((&self.active, pair.sign(message).as_ref().to_vec()))
    }

    /// The base64 public key of the key `kid` (what `signing.plan_keys` must list for it).
    pub fn public_key(&self, kid: &str) -> Result<String, PlanKeyError> {
        Ok(STANDARD.encode(self.pair(kid)?.public_key().as_ref()))
    }

    fn pair(&self, kid: &str) -> Result<Ed25519KeyPair, PlanKeyError> {
        let seed = self
            .keys
            .get(kid)
            .ok_or_else(|| PlanKeyError::NoActiveKey(kid.to_owned()))?;
        let bad = || PlanKeyError::BadSeed(kid.to_owned());
        let bytes: SecretSlice<u8> = LENIENT
            .decode(seed.expose_secret())
            .map_err(|_| bad())?
            .into();
        if bytes.expose_secret().len() != PLAN_KEY_LEN {
            return Err(bad());
        }
        Ed25519KeyPair::from_seed_unchecked(bytes.expose_secret()).map_err(|_| bad())
    }

    /// Every key is a valid seed and `active` is one of them.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !self.keys.contains_key(&self.active) {
            return Err(PlanKeyError::NoActiveKey(self.active.clone()).to_string());
        }
        for kid in self.keys.keys() {
            self.pair(kid).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// A new plan key pair, both halves base64 (standard alphabet, padded): `seed` goes in
/// the `plan-signing` secret (the router's), `public_key` in `signing.plan_keys` (the
/// executors'), under the same key id.
#[derive(Debug, Clone)]
pub struct PlanKeyPair {
    /// The private half: secret material, redacted in `Debug`.
    pub seed: SecretString,
    /// The public half: not secret.
    pub public_key: String,
}

/// Makes a plan key pair from the system's random source (for `okta-hooks` and tests).
pub fn generate_plan_key() -> Result<PlanKeyPair, PlanKeyError> {
    let mut seed: SecretSlice<u8> = vec![0u8; PLAN_KEY_LEN].into();
    ring::rand::SecureRandom::fill(
        &ring::rand::SystemRandom::new(),
        secrecy::ExposeSecretMut::expose_secret_mut(&mut seed),
    )
    .map_err(|_| PlanKeyError::Random)?;
    let pair = Ed25519KeyPair::from_seed_unchecked(seed.expose_secret())
        .map_err(|_| PlanKeyError::Random)?;
    Ok(PlanKeyPair {
        seed: SecretString::from(general_purpose::STANDARD.encode(seed.expose_secret())),
        public_key: STANDARD.encode(pair.public_key().as_ref()),
    })
}

/// The public key `text` (base64, padded or not) as bytes, if it is 32 bytes of base64.
pub(crate) fn decode_public_key(text: &str) -> Option<Vec<u8>> {
    LENIENT
        .decode(text)
        .ok()
        .filter(|bytes| bytes.len() == PLAN_KEY_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_pair_signs_what_its_public_key_verifies() {
        let pair = generate_plan_key().unwrap();
        let keys = PlanSigningKeys::new("p1", &[("p1", pair.seed.expose_secret())]);
        keys.validate().unwrap();
        assert_eq!(keys.public_key("p1").unwrap(), pair.public_key);
        let (kid, sig) = keys.sign(b"plan").unwrap();
        assert_eq!(kid, "p1");
        let public = decode_public_key(&pair.public_key).unwrap();
        let verify = |msg: &[u8]| {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &public)
                .verify(msg, &sig)
                .is_ok()
        };
        assert!(verify(b"plan"));
        assert!(!verify(b"plan2"));
        assert_ne!(
            generate_plan_key().unwrap().public_key,
            pair.public_key,
            "each pair is new"
        );
    }

    #[test]
    fn a_seed_that_is_not_32_bytes_of_base64_or_a_dangling_active_is_refused() {
        let short = STANDARD.encode([7u8; 16]);
        let err = PlanSigningKeys::new("p1", &[("p1", &short)])
            .validate()
            .unwrap_err();
        assert!(err.contains("\"p1\"") && !err.contains(&short), "{err}");
        let err = PlanSigningKeys::new("p1", &[("p1", "not base64!")])
            .validate()
            .unwrap_err();
        assert!(err.contains("seed"), "{err}");
        let good = generate_plan_key().unwrap();
        let err = PlanSigningKeys::new("p9", &[("p1", good.seed.expose_secret())])
            .validate()
            .unwrap_err();
        assert!(err.contains("p9"), "{err}");
    }

    #[test]
    fn the_seed_never_shows_in_debug() {
        let pair = generate_plan_key().unwrap();
        let seed = pair.seed.expose_secret().to_owned();
        let keys = PlanSigningKeys::new("p1", &[("p1", &seed)]);
        for shown in [format!("{keys:?}"), format!("{pair:?}")] {
            assert!(!shown.contains(&seed), "{shown}");
        }
    }
}
