//! Envelope opening as an executor does it: `open_unverified_org` (to pick the org's
//! keys), then `open_step` with fixed keys, for the plan shape executors read
//! (`rules::Plan`) and for any JSON.
//!
//! The first input byte picks how the rest is used:
//! - even: the rest is the queue body, as received (forgeries, truncations, real bodies
//!   from the seeds);
//! - odd: the rest is `payload` [NUL `plan text`], and the harness signs them as the
//!   router would (HMAC with key `k1`; Ed25519 plan signature with plan key `p1` when
//!   there is a plan text), so the fuzzer reaches what is parsed after the signatures
//!   hold. Bit 1 makes the payload's `planSha256` the text's digest, bit 2 its `id` the
//!   step's envelope id, so the later checks pass too.
//!
//! Properties: no panic; a body that opens names the org `open_unverified_org` said; a
//! body opens under keys that require plan signatures only if it carries a plan.

#![no_main]

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use envelope::{Cursor, PLAN_CONTEXT, envelope_id, open_step, open_unverified_org};
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use org_secrets::{PlanSigningKeys, SigningKeys};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The HMAC key `k1` (the seeds are sealed with it too: fuzz/seeds.py).
const K1: &str = "k1-0123456789abcdef0123456789abcdef";

struct Keys {
    /// The router's private plan key `p1`: the seed 0, 1, …, 31.
    plan_signing: PlanSigningKeys,
    /// HMAC only, as before plan signatures.
    hmac_only: SigningKeys,
    /// `p1` listed, not required.
    listing: SigningKeys,
    /// `p1` listed and required.
    requiring: SigningKeys,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let seed = STANDARD.encode((0u8..32).collect::<Vec<u8>>());
    let plan_signing = PlanSigningKeys::new("p1", &[("p1", &seed)]);
    let public = plan_signing.public_key("p1").expect("a valid seed");
    let hmac_only = SigningKeys::new("k1", &[("k1", K1)]);
    let listing = hmac_only.clone().with_plan_keys(&[("p1", &public)]);
    let requiring = listing.clone().requiring_plan_signatures();
    Keys {
        plan_signing,
        hmac_only,
        listing,
        requiring,
    }
});

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `payload` with the fix-ups `mode` asks for, when it is a JSON object.
fn fix_up(mode: u8, payload: &str, text: &str) -> String {
    let Ok(Value::Object(mut progress)) = serde_json::from_str::<Value>(payload) else {
        return payload.to_owned();
    };
    if mode & 2 != 0 {
        progress.insert("planSha256".into(), hex(&Sha256::digest(text)).into());
    }
    if mode & 4 != 0 {
        let part: Value = serde_json::from_str(text).unwrap_or_default();
        let cursor = progress
            .get("cursor")
            .cloned()
            .and_then(|c| serde_json::from_value::<Cursor>(c).ok());
        if let (Some(uuid), Some(rule), Some(cursor)) = (
            part["event"]["uuid"].as_str(),
            part["ruleId"].as_str(),
            cursor,
        ) {
            let id = envelope_id(uuid, rule, cursor.phase, cursor.index);
            progress.insert("id".into(), id.into());
        }
    }
    Value::Object(progress).to_string()
}

/// A body with `payload` under a good HMAC and `text` (if any) under a good plan signature.
fn sign(keys: &Keys, mode: u8, rest: &[u8]) -> Option<String> {
    let rest = std::str::from_utf8(rest).ok()?;
    let (payload, text) = match rest.split_once('\0') {
        Some((payload, text)) => (fix_up(mode, payload, text), Some(text)),
        None => (rest.to_owned(), None),
    };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(K1.as_bytes()).ok()?;
    mac.update(payload.as_bytes());
    let sig = STANDARD_NO_PAD.encode(mac.finalize().into_bytes());
    let mut body = json!({"kid": "k1", "sig": sig, "payload": payload});
    if let Some(text) = text {
        let mut message = PLAN_CONTEXT.to_vec();
        message.extend_from_slice(text.as_bytes());
        let (kid, plan_sig) = keys.plan_signing.sign(&message).ok()?;
        body["plan"] = json!({"kid": kid, "sig": STANDARD_NO_PAD.encode(plan_sig), "text": text});
    }
    Some(body.to_string())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let keys = &*KEYS;
    let body = if mode & 1 == 0 {
        match std::str::from_utf8(rest) {
            Ok(body) => body.to_owned(),
            Err(_) => return,
        }
    } else {
        match sign(keys, mode, rest) {
            Some(body) => body,
            None => return,
        }
    };
    let org = open_unverified_org(&body).ok();
    for held in [&keys.hmac_only, &keys.listing, &keys.requiring] {
        if let Ok(opened) = open_step::<rules::Plan>(&body, held) {
            assert_eq!(
                org.as_ref(),
                Some(&opened.envelope.org),
                "opened under another org"
            );
            assert!(
                opened.plan.is_some() || !held.plan_signatures_required(),
                "a body without a plan opened under keys that require one"
            );
        }
        if let Ok(opened) = open_step::<Value>(&body, held) {
            assert_eq!(
                org.as_ref(),
                Some(&opened.envelope.org),
                "opened under another org"
            );
        }
    }
});
