//! Signed envelopes: what verifies, and everything that must not.

use envelope::{
    Cursor, Envelope, EventRef, OpenError, Phase, envelope_id, open, open_unverified_org, seal,
};
use org_secrets::SigningKeys;
use serde_json::{Value, json};

const K1: &str = "k1-0123456789abcdef0123456789abcdef";
const K2: &str = "k2-fedcba9876543210fedcba9876543210";

fn envelope() -> Envelope<Value> {
    let params = json!({"user": "00u1"}).as_object().cloned().unwrap();
    Envelope {
        id: envelope_id("uuid-1", "lock-down", Phase::Steps, 0),
        org: "default".into(),
        rule_id: "lock-down".into(),
        family: "users".into(),
        action: "user.suspend".into(),
        params,
        cursor: Cursor {
            phase: Phase::Steps,
            index: 0,
        },
        group: "00u1".into(),
        dry_run: false,
        event: EventRef {
            uuid: "uuid-1".into(),
            event_type: "user.account.lock".into(),
            published: None,
            delivery_id: None,
        },
        plan: json!({"steps": [{"action": "user.suspend"}]}),
        outputs: Default::default(),
        failure: None,
    }
}

#[test]
fn a_sealed_envelope_opens_with_the_same_keys() {
    let keys = SigningKeys::new("k1", &[("k1", K1)]);
    let body = seal(&envelope(), &keys).unwrap();
    assert!(!body.contains(K1), "the key is never in the body");
    let opened: Envelope<Value> = open(&body, &keys).unwrap();
    assert_eq!(opened, envelope());
}

#[test]
fn the_org_to_verify_with_is_read_before_verification() {
    let body = seal(&envelope(), &SigningKeys::new("k1", &[("k1", K1)])).unwrap();
    assert_eq!(open_unverified_org(&body).unwrap(), envelope().org);
    assert!(matches!(
        open_unverified_org("not json"),
        Err(OpenError::Unsigned)
    ));
    let no_org = r#"{"kid":"k1","sig":"x","payload":"{}"}"#;
    assert!(matches!(
        open_unverified_org(no_org),
        Err(OpenError::Malformed(_))
    ));
}

#[test]
fn a_rotated_key_set_still_opens_envelopes_in_flight() {
    let old = SigningKeys::new("k1", &[("k1", K1)]);
    let rotated = SigningKeys::new("k2", &[("k1", K1), ("k2", K2)]);
    let in_flight = seal(&envelope(), &old).unwrap();
    assert!(open::<Value>(&in_flight, &rotated).is_ok());
    let new = seal(&envelope(), &rotated).unwrap();
    assert!(new.contains(r#""kid":"k2""#));
    assert!(matches!(open::<Value>(&new, &old), Err(OpenError::UnknownKey(kid)) if kid == "k2"));
}

#[test]
fn tampering_with_the_payload_or_signature_is_refused() {
    let keys = SigningKeys::new("k1", &[("k1", K1)]);
    let body = seal(&envelope(), &keys).unwrap();
    let tampered = body.replace("user.suspend", "user.delete");
    assert!(matches!(
        open::<Value>(&tampered, &keys),
        Err(OpenError::BadSignature)
    ));
    let mut sealed: Value = serde_json::from_str(&body).unwrap();
    sealed["sig"] = json!("AAAA");
    assert!(matches!(
        open::<Value>(&sealed.to_string(), &keys),
        Err(OpenError::BadSignature)
    ));
    let other = SigningKeys::new("k1", &[("k1", K2)]);
    assert!(matches!(
        open::<Value>(&body, &other),
        Err(OpenError::BadSignature)
    ));
}

#[test]
fn an_unsigned_message_is_refused() {
    let keys = SigningKeys::new("k1", &[("k1", K1)]);
    let plain = serde_json::to_string(&envelope()).unwrap();
    assert!(matches!(
        open::<Value>(&plain, &keys),
        Err(OpenError::Unsigned)
    ));
    assert!(matches!(
        open::<Value>("not json", &keys),
        Err(OpenError::Unsigned)
    ));
}

#[test]
fn signing_keys_never_show_in_debug() {
    let keys = SigningKeys::new("k1", &[("k1", K1)]);
    assert!(!format!("{keys:?}").contains(K1));
}

#[test]
fn short_or_dangling_keys_are_refused_in_the_secret() {
    let short = json!({"signing": {"active": "k1", "keys": {"k1": "short"}}}).to_string();
    assert!(
        org_secrets::OrgSecret::from_json(&short)
            .unwrap_err()
            .contains("shorter")
    );
    let dangling = json!({"signing": {"active": "k9", "keys": {"k1": K1}}}).to_string();
    assert!(
        org_secrets::OrgSecret::from_json(&dangling)
            .unwrap_err()
            .contains("active")
    );
}
