//! Signing and verifying queue bodies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use org_secrets::{OrgName, SigningKeys};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{Envelope, SignedPlan};

type HmacSha256 = Hmac<Sha256>;

/// The queue body: the envelope as a string, and its signature.
#[derive(Serialize)]
struct Sealed<'a> {
    kid: &'a str,
    sig: &'a str,
    payload: &'a str,
}

/// The same, read back (the payload string is escaped JSON, so it cannot be borrowed).
/// A body with `plan` is plan-signed ([`crate::seal_step`]): its payload is the progress
/// only, and the rest of the envelope is the router-signed plan text.
#[derive(Deserialize)]
pub(crate) struct Received {
    pub(crate) kid: String,
    pub(crate) sig: String,
    pub(crate) payload: String,
    #[serde(default)]
    pub(crate) plan: Option<SignedPlan>,
}

/// Why an envelope could not be signed. Either way nothing is sent: an unsigned envelope
/// would be refused by every executor.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The org secret's `active` names a key id (held here) that its key list lacks: the
    /// secret is misconfigured, and only fixing it helps.
    #[error("the org secret names active signing key {0:?}, which it does not hold")]
    NoActiveKey(String),
    /// The envelope (its plan, in practice) could not be turned into JSON.
    #[error("envelope cannot be serialised: {0}")]
    Serialise(#[from] serde_json::Error),
    /// The router's plan key could not sign (no active key, or not a valid seed): the
    /// `plan-signing` secret is misconfigured. Says which key id, never the key.
    #[error("the plan cannot be signed: {0}")]
    PlanKey(#[from] org_secrets::PlanKeyError),
}

/// Why a body was refused. None of these may reach an Okta call.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The body is not `{"kid", "sig", "payload"}` JSON at all.
    #[error("not a signed envelope")]
    Unsigned,
    /// The body names a key id (held here) that the keys given do not hold. The only
    /// refusal a caller may retry: the key may be newer than its copy of the org secret.
    #[error("signed with unknown key {0:?}")]
    UnknownKey(String),
    /// The signature is not base64, or not the payload's HMAC under the named key: the
    /// body was altered or not signed by the router.
    #[error("signature does not match")]
    BadSignature,
    /// The payload is not an envelope (or names no valid org); for [`open`], only said
    /// once its signature is known good.
    #[error("signed payload is not an envelope: {0}")]
    Malformed(serde_json::Error),
    /// The plan is signed with a plan key id (held here) that the keys given do not list
    /// (or they list none yet). Retryable like [`OpenError::UnknownKey`]: the key may be
    /// newer than the caller's copy of the org secret.
    #[error("plan signed with unknown plan key {0:?}")]
    UnknownPlanKey(String),
    /// The org's signing keys require plan signatures, so only plans the router signed
    /// run, and this body carries none (an HMAC alone, which every executor can make).
    #[error("the plan is not signed by the router, and this org requires it")]
    PlanNotSigned,
    /// The plan signature is not base64, or not the router's signature of the plan text:
    /// the plan was altered or not made by the router.
    #[error("plan signature does not match")]
    BadPlanSignature,
    /// Both signatures hold but the progress does not belong to the signed plan (it names
    /// another plan's digest, or an envelope id that is not its step's): parts of two
    /// bodies glued together.
    #[error("the progress does not belong to the signed plan: {0}")]
    PlanMismatch(&'static str),
}

/// Signs an envelope with the org's active key (HMAC only); returns the queue body.
///
/// The body of before plan signatures: an executor whose org requires plan signatures
/// refuses it ([`OpenError::PlanNotSigned`]). The router seals with [`crate::seal_plan`] once the
/// org has a plan key; an executor forwards with [`crate::seal_step`].
pub fn seal<P: Serialize>(envelope: &Envelope<P>, keys: &SigningKeys) -> Result<String, SealError> {
    let payload = serde_json::to_string(envelope)?;
    let (kid, sig) = sign_mac(keys, &payload)?;
    Ok(serde_json::to_string(&Sealed {
        kid,
        sig: &sig,
        payload: &payload,
    })?)
}

/// The org a body's payload names, so the caller can fetch that org's keys before
/// [`open`]. Nothing in the body is trusted until `open` succeeds.
///
/// A payload that names no org, or an invalid org name, is [`OpenError::Malformed`].
pub fn open_unverified_org(body: &str) -> Result<OrgName, OpenError> {
    #[derive(Deserialize)]
    struct OrgOnly {
        org: OrgName,
    }
    let sealed: Received = serde_json::from_str(body).map_err(|_| OpenError::Unsigned)?;
    // A plan-signed body names its org in the plan text only.
    let text = sealed.plan.as_ref().map_or(&sealed.payload, |p| &p.text);
    let payload: OrgOnly = serde_json::from_str(text).map_err(OpenError::Malformed)?;
    Ok(payload.org)
}

/// Verifies the signature (constant time) and only then parses the envelope: either
/// shape of body, under the rule of [`crate::open_step`] (whose envelope this is; a
/// caller that forwards the plan needs `open_step`'s signed plan too).
///
/// With keys that list no plan keys ([`SigningKeys::new`]), this is the HMAC-only check
/// of before plan signatures.
pub fn open<P: DeserializeOwned>(body: &str, keys: &SigningKeys) -> Result<Envelope<P>, OpenError> {
    crate::open_step(body, keys).map(|opened| opened.envelope)
}

/// `sealed`'s HMAC checked (constant time) under the key it names.
pub(crate) fn verify_mac(sealed: &Received, keys: &SigningKeys) -> Result<(), OpenError> {
    let key = keys
        .key(&sealed.kid)
        .ok_or(OpenError::UnknownKey(sealed.kid.clone()))?;
    let sig = STANDARD_NO_PAD
        .decode(&sealed.sig)
        .map_err(|_| OpenError::BadSignature)?;
    mac(key.expose_secret().as_bytes(), &sealed.payload)
        .verify_slice(&sig)
        .map_err(|_| OpenError::BadSignature)
}

/// The HMAC of `payload` under the active key, and that key's id.
pub(crate) fn sign_mac<'k>(
    keys: &'k SigningKeys,
    payload: &str,
) -> Result<(&'k str, String), SealError> {
    let key = keys
        .active_key()
        .ok_or_else(|| SealError::NoActiveKey(keys.active.clone()))?;
    let sig = STANDARD_NO_PAD.encode(
        mac(key.expose_secret().as_bytes(), payload)
            .finalize()
            .into_bytes(),
    );
    Ok((&keys.active, sig))
}

fn mac(key: &[u8], payload: &str) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(payload.as_bytes());
    mac
}
