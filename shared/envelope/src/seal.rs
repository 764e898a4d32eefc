//! Signing and verifying queue bodies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use org_secrets::{OrgName, SigningKeys};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::Envelope;

type HmacSha256 = Hmac<Sha256>;

/// The queue body: the envelope as a string, and its signature.
#[derive(Serialize)]
struct Sealed<'a> {
    kid: &'a str,
    sig: &'a str,
    payload: &'a str,
}

/// The same, read back (the payload string is escaped JSON, so it cannot be borrowed).
#[derive(Deserialize)]
struct Received {
    kid: String,
    sig: String,
    payload: String,
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
}

/// Signs an envelope with the org's active key; returns the queue body.
pub fn seal<P: Serialize>(envelope: &Envelope<P>, keys: &SigningKeys) -> Result<String, SealError> {
    let key = keys
        .active_key()
        .ok_or_else(|| SealError::NoActiveKey(keys.active.clone()))?;
    let payload = serde_json::to_string(envelope)?;
    let sig = STANDARD_NO_PAD.encode(
        mac(key.expose_secret().as_bytes(), &payload)
            .finalize()
            .into_bytes(),
    );
    Ok(serde_json::to_string(&Sealed {
        kid: &keys.active,
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
    let payload: OrgOnly = serde_json::from_str(&sealed.payload).map_err(OpenError::Malformed)?;
    Ok(payload.org)
}

/// Verifies the signature (constant time) and only then parses the envelope.
pub fn open<P: DeserializeOwned>(body: &str, keys: &SigningKeys) -> Result<Envelope<P>, OpenError> {
    let sealed: Received = serde_json::from_str(body).map_err(|_| OpenError::Unsigned)?;
    let key = keys
        .key(&sealed.kid)
        .ok_or(OpenError::UnknownKey(sealed.kid.clone()))?;
    let sig = STANDARD_NO_PAD
        .decode(&sealed.sig)
        .map_err(|_| OpenError::BadSignature)?;
    mac(key.expose_secret().as_bytes(), &sealed.payload)
        .verify_slice(&sig)
        .map_err(|_| OpenError::BadSignature)?;
    serde_json::from_str(&sealed.payload).map_err(OpenError::Malformed)
}

fn mac(key: &[u8], payload: &str) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(payload.as_bytes());
    mac
}
