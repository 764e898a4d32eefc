//! Plan-signed bodies: the router signs a plan once, executors only pass it on.
//!
//! The HMAC key is held by the router and by every executor (each signs the step it
//! passes on), so an HMAC cannot tell a plan the router made from one a compromised
//! executor made up. A plan-signed body therefore has two parts:
//!
//! ```json
//! {"kid": "k1", "sig": "<HMAC-SHA256 of payload>", "payload": "<progress JSON>",
//!  "plan": {"kid": "p1", "sig": "<Ed25519 of the plan text>", "text": "<plan JSON>"}}
//! ```
//!
//! - `plan.text` is what never changes between the steps of a plan — `org`, `ruleId`,
//!   `group`, `dryRun`, `event`, `plan` — as the router wrote it, signed by the router
//!   alone with the org's Ed25519 plan key `plan.kid` (over [`PLAN_CONTEXT`] followed by
//!   the text's bytes: the exact string, no canonical JSON). Every step carries it
//!   unchanged.
//! - `payload` is the progress — `id`, `cursor`, `outputs`, `failure`, `done` — and
//!   `planSha256`, the SHA-256 (hex) of `plan.text`, which ties the progress to its plan;
//!   it is under the HMAC, as every body was before.
//!
//! [`open_step`] accepts a body only if both signatures hold, the progress names this
//! plan's digest and its envelope id is its step's; the envelope's unchanging fields are
//! taken from the signed text only. Whoever holds the HMAC key can still make progress
//! for a plan the router signed (that is what executors do), but not a plan.
//!
//! Migration: while an org's `signing` lists no `plan_keys`, bodies of before plan
//! signatures (`{"kid", "sig", "payload"}`, the whole envelope in `payload`) still open;
//! once it lists some, only plan-signed bodies do.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use org_secrets::{OrgName, PlanSigningKeys, SigningKeys};
use ring::signature::{ED25519, UnparsedPublicKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::seal::{Received, sign_mac, verify_mac};
use crate::{Cursor, Envelope, EventRef, OpenError, SealError, envelope_id};

/// What the router's plan signature covers before the plan text: a key that signs plans
/// signs nothing that reads as anything else.
pub const PLAN_CONTEXT: &[u8] = b"okta-hooks plan v1\n";

/// A plan as the router signed it: the text of the plan's unchanging part, the plan key
/// id and the signature. An executor copies it unchanged into each step it passes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedPlan {
    pub(crate) kid: String,
    pub(crate) sig: String,
    pub(crate) text: String,
}

impl SignedPlan {
    /// The id of the plan key that signed it.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The signed text (JSON: `org`, `ruleId`, `group`, `dryRun`, `event`, `plan`).
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// An opened body: the envelope, and the router's signed plan when the body had one (to
/// be passed on unchanged with [`seal_step`]); `None` for a body of before plan
/// signatures, which only an org without plan keys accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened<P> {
    /// The envelope; its unchanging fields come from the signed plan text.
    pub envelope: Envelope<P>,
    /// The router's signed plan, if the body was plan-signed.
    pub plan: Option<SignedPlan>,
}

/// The unchanging part of a plan's envelopes, as signed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanPart<'a, P> {
    org: &'a OrgName,
    rule_id: &'a str,
    group: &'a str,
    dry_run: bool,
    event: &'a EventRef,
    plan: &'a P,
}

/// The same, read back.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadPlanPart<P> {
    org: OrgName,
    rule_id: String,
    group: String,
    dry_run: bool,
    event: EventRef,
    plan: P,
}

/// The progress of one step, under the HMAC.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress<'a> {
    id: &'a str,
    cursor: Cursor,
    #[serde(skip_serializing_if = "Map::is_empty")]
    outputs: &'a Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<&'a Value>,
    #[serde(skip_serializing_if = "<[Value]>::is_empty")]
    done: &'a [Value],
    plan_sha256: String,
}

/// The same, read back.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadProgress {
    id: String,
    cursor: Cursor,
    #[serde(default)]
    outputs: Map<String, Value>,
    #[serde(default)]
    failure: Option<Value>,
    #[serde(default)]
    done: Vec<Value>,
    plan_sha256: String,
}

/// The plan-signed queue body.
#[derive(Serialize)]
struct SealedStep<'a> {
    kid: &'a str,
    sig: &'a str,
    payload: &'a str,
    plan: &'a SignedPlan,
}

/// The router's signature over `envelope`'s unchanging part, with the org's active plan
/// key. Made once per plan; every step of it carries the result.
pub fn sign_plan<P: Serialize>(
    envelope: &Envelope<P>,
    plan_keys: &PlanSigningKeys,
) -> Result<SignedPlan, SealError> {
    let text = serde_json::to_string(&PlanPart {
        org: &envelope.org,
        rule_id: &envelope.rule_id,
        group: &envelope.group,
        dry_run: envelope.dry_run,
        event: &envelope.event,
        plan: &envelope.plan,
    })?;
    let (kid, sig) = plan_keys.sign(&signed_message(&text))?;
    Ok(SignedPlan {
        kid: kid.to_owned(),
        sig: STANDARD_NO_PAD.encode(sig),
        text,
    })
}

/// The queue body of `envelope`'s step: `plan` as signed, and the envelope's progress
/// (id, cursor, outputs, failure) under the HMAC of the active key. Only the progress is
/// taken from `envelope`: its unchanging fields are `plan`'s, whatever they say here.
pub fn seal_step<P>(
    envelope: &Envelope<P>,
    plan: &SignedPlan,
    keys: &SigningKeys,
) -> Result<String, SealError> {
    let payload = serde_json::to_string(&Progress {
        id: &envelope.id,
        cursor: envelope.cursor,
        outputs: &envelope.outputs,
        failure: envelope.failure.as_ref(),
        done: &envelope.done,
        plan_sha256: digest(&plan.text),
    })?;
    let (kid, sig) = sign_mac(keys, &payload)?;
    Ok(serde_json::to_string(&SealedStep {
        kid,
        sig: &sig,
        payload: &payload,
        plan,
    })?)
}

/// The router's body for a plan's first step: [`sign_plan`] then [`seal_step`].
pub fn seal_plan<P: Serialize>(
    envelope: &Envelope<P>,
    keys: &SigningKeys,
    plan_keys: &PlanSigningKeys,
) -> Result<String, SealError> {
    seal_step(envelope, &sign_plan(envelope, plan_keys)?, keys)
}

/// Verifies a body of either shape and only then parses it.
///
/// The HMAC must hold under the key it names. A plan-signed body's plan signature must
/// hold under a plan key `keys` list ([`OpenError::UnknownPlanKey`] when they list no
/// such key: the caller's copy may predate it), and its progress must belong to its plan
/// ([`OpenError::PlanMismatch`]). A body without a plan signature (HMAC-only, as before
/// plan signatures) opens unless `keys` require plan signatures
/// ([`OpenError::PlanNotSigned`]).
pub fn open_step<P: DeserializeOwned>(
    body: &str,
    keys: &SigningKeys,
) -> Result<Opened<P>, OpenError> {
    let sealed: Received = serde_json::from_str(body).map_err(|_| OpenError::Unsigned)?;
    verify_mac(&sealed, keys)?;
    let Some(plan) = sealed.plan else {
        if keys.plan_signatures_required() {
            return Err(OpenError::PlanNotSigned);
        }
        let envelope = serde_json::from_str(&sealed.payload).map_err(OpenError::Malformed)?;
        return Ok(Opened {
            envelope,
            plan: None,
        });
    };
    verify_plan(&plan, keys)?;
    let progress: ReadProgress =
        serde_json::from_str(&sealed.payload).map_err(OpenError::Malformed)?;
    if progress.plan_sha256 != digest(&plan.text) {
        return Err(OpenError::PlanMismatch("it names another plan"));
    }
    let part: ReadPlanPart<P> = serde_json::from_str(&plan.text).map_err(OpenError::Malformed)?;
    let cursor = progress.cursor;
    if progress.id != envelope_id(&part.event.uuid, &part.rule_id, cursor.phase, cursor.index) {
        return Err(OpenError::PlanMismatch("its envelope id is not its step's"));
    }
    let envelope = Envelope {
        id: progress.id,
        org: part.org,
        rule_id: part.rule_id,
        cursor,
        group: part.group,
        dry_run: part.dry_run,
        event: part.event,
        plan: part.plan,
        outputs: progress.outputs,
        failure: progress.failure,
        done: progress.done,
    };
    Ok(Opened {
        envelope,
        plan: Some(plan),
    })
}

/// The router's signature of `plan`, checked under the public plan key it names.
fn verify_plan(plan: &SignedPlan, keys: &SigningKeys) -> Result<(), OpenError> {
    let public = keys
        .plan_key(&plan.kid)
        .ok_or_else(|| OpenError::UnknownPlanKey(plan.kid.clone()))?;
    let sig = STANDARD_NO_PAD
        .decode(&plan.sig)
        .map_err(|_| OpenError::BadPlanSignature)?;
    UnparsedPublicKey::new(&ED25519, &public)
        .verify(&signed_message(&plan.text), &sig)
        .map_err(|_| OpenError::BadPlanSignature)
}

/// What the plan signature covers: [`PLAN_CONTEXT`], then the text.
fn signed_message(text: &str) -> Vec<u8> {
    let mut message = PLAN_CONTEXT.to_vec();
    message.extend_from_slice(text.as_bytes());
    message
}

/// SHA-256 of `text`, in hex.
fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
