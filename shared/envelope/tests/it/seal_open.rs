//! Signed envelopes: what verifies, and everything that must not.

use envelope::{
    Cursor, Envelope, EventRef, OpenError, Phase, envelope_id, open, open_unverified_org, seal,
};
use org_secrets::{OrgName, SigningKeys};
use serde_json::{Value, json};

const K1: &str = "k1-0123456789abcdef0123456789abcdef";
const K2: &str = "k2-fedcba9876543210fedcba9876543210";

fn envelope() -> Envelope<Value> {
    Envelope {
        id: envelope_id("uuid-1", "lock-down", Phase::Steps, 0),
        org: OrgName::parse("default").unwrap(),
        rule_id: "lock-down".into(),
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
            request: None,
        },
        plan: json!({"steps": [{"action": "user.suspend"}]}),
        outputs: Default::default(),
        failure: None,
        done: Vec::new(),
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
    let bad_org = r#"{"kid":"k1","sig":"x","payload":"{\"org\":\"../x\"}"}"#;
    assert!(matches!(
        open_unverified_org(bad_org),
        Err(OpenError::Malformed(_))
    ));
}

#[test]
fn an_envelope_naming_an_invalid_org_does_not_open_even_when_signed() {
    let mut payload = serde_json::to_value(envelope()).unwrap();
    payload["org"] = json!("a/b");
    let body = signed("k1", K1, &payload.to_string());
    let keys = SigningKeys::new("k1", &[("k1", K1)]);
    assert!(matches!(
        open::<Value>(&body, &keys),
        Err(OpenError::Malformed(_))
    ));
    let mut payload = serde_json::to_value(envelope()).unwrap();
    payload["org"] = json!("acme");
    assert!(open::<Value>(&signed("k1", K1, &payload.to_string()), &keys).is_ok());
}

/// The queue body `seal` makes, for any payload text (`seal` only signs envelopes).
fn signed(kid: &str, key: &str, payload: &str) -> String {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD_NO_PAD.encode(mac.finalize().into_bytes());
    json!({"kid": kid, "sig": sig, "payload": payload}).to_string()
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

/// The key `events/` envelopes are signed with (events/README.md).
const EXAMPLE_KEY: &str = "okta-hooks-example-signing-key-0123456789";

/// The body of the envelope the previous version's router signed (with its copies of
/// the step's `family`, `action` and `params`), kept as it was sent.
fn previous_version_body() -> String {
    let batch: Value = serde_json::from_str(include_str!(
        "../../../../events/sqs-envelopes-batch-previous.json"
    ))
    .unwrap();
    batch["Records"][0]["body"].as_str().unwrap().to_owned()
}

#[test]
fn an_envelope_signed_by_the_previous_version_still_verifies_and_opens() {
    let body = previous_version_body();
    let sealed: Value = serde_json::from_str(&body).unwrap();
    let payload: Value = serde_json::from_str(sealed["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["family"], "users", "the fixture is the old shape");
    assert_eq!(payload["action"], "user.suspend");
    assert_eq!(payload["params"]["user"], "01234");

    let keys = SigningKeys::new("example", &[("example", EXAMPLE_KEY)]);
    assert_eq!(open_unverified_org(&body).unwrap().as_str(), "default");
    let opened: Envelope<Value> = open(&body, &keys).unwrap();
    assert_eq!(opened.org.as_str(), "default");
    assert_eq!(
        opened.cursor,
        Cursor {
            phase: Phase::Steps,
            index: 0
        }
    );
    assert_eq!(opened.plan["steps"][0]["action"], "user.suspend");
    assert_eq!(opened.plan["steps"][0]["family"], "users");
    assert_eq!(opened.id, payload["id"]);
    // Written again, it is the new shape: the copies are gone, the rest is kept.
    let rewritten = serde_json::to_value(&opened).unwrap();
    for copy in ["family", "action", "params"] {
        assert!(rewritten.get(copy).is_none(), "{copy} still copied");
    }
    let mut expected = payload.clone();
    for copy in ["family", "action", "params"] {
        expected.as_object_mut().unwrap().remove(copy);
    }
    assert_eq!(rewritten, expected);
}

#[test]
fn a_new_envelope_copies_nothing_of_its_step() {
    let payload = serde_json::to_value(envelope()).unwrap();
    let mut keys: Vec<&str> = payload
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "cursor", "dryRun", "event", "group", "id", "org", "plan", "ruleId"
        ]
    );
}
