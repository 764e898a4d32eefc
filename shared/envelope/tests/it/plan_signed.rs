//! Plan-signed bodies: the router alone can make a plan; executors, who hold the HMAC
//! key, can only carry one on.

use envelope::{
    Cursor, Envelope, EventRef, OpenError, Opened, Phase, envelope_id, open, open_step,
    open_unverified_org, seal, seal_plan, seal_step, sign_plan,
};
use org_secrets::{OrgName, PlanKeyPair, PlanSigningKeys, SigningKeys, generate_plan_key};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

const K1: &str = "k1-0123456789abcdef0123456789abcdef";

/// The router's keys: the HMAC key, the public plan key and the private one.
struct Org {
    pair: PlanKeyPair,
}

impl Org {
    fn new() -> Self {
        Org {
            pair: generate_plan_key().unwrap(),
        }
    }

    fn plan_keys(&self) -> PlanSigningKeys {
        PlanSigningKeys::new("p1", &[("p1", self.pair.seed.expose_secret())])
    }

    /// What an executor holds once plan signatures are on: the HMAC key and the public
    /// plan key (no private key), HMAC-only bodies refused.
    fn executor(&self) -> SigningKeys {
        self.listing().requiring_plan_signatures()
    }

    /// What it holds while they are being turned on: the public plan key listed, not yet
    /// required.
    fn listing(&self) -> SigningKeys {
        SigningKeys::new("k1", &[("k1", K1)]).with_plan_keys(&[("p1", &self.pair.public_key)])
    }
}

fn envelope(uuid: &str, action: &str) -> Envelope<Value> {
    Envelope {
        id: envelope_id(uuid, "lock-down", Phase::Steps, 0),
        org: OrgName::parse("acme").unwrap(),
        rule_id: "lock-down".into(),
        cursor: Cursor {
            phase: Phase::Steps,
            index: 0,
        },
        group: "00u1".into(),
        dry_run: false,
        event: EventRef {
            uuid: uuid.into(),
            event_type: "user.account.lock".into(),
            published: None,
            delivery_id: None,
            request: None,
        },
        plan: json!({"steps": [{"action": action}, {"action": "notify.webhook"}]}),
        outputs: Default::default(),
        failure: None,
        done: Vec::new(),
    }
}

/// The envelope of the step after `opened`'s, as an executor makes it.
fn next(opened: &Envelope<Value>) -> Envelope<Value> {
    let mut next = opened.clone();
    next.cursor.index += 1;
    next.id = envelope_id(&next.event.uuid, &next.rule_id, Phase::Steps, 1);
    next.outputs.insert("first".into(), json!({"id": "00g1"}));
    next
}

fn body_part(body: &str, part: &str) -> Value {
    serde_json::from_str::<Value>(body).unwrap()[part].clone()
}

#[test]
fn a_plan_signed_by_the_router_opens_at_every_step_forwarded_without_the_private_key() {
    let org = Org::new();
    let body = seal_plan(
        &envelope("u1", "user.suspend"),
        &org.executor(),
        &org.plan_keys(),
    )
    .unwrap();
    let Opened {
        envelope: first,
        plan,
    } = open_step::<Value>(&body, &org.executor()).unwrap();
    assert_eq!(first, envelope("u1", "user.suspend"));
    let plan = plan.expect("the router's signed plan");
    assert_eq!(plan.kid(), "p1");
    // What the router signed, exactly (Ed25519 is deterministic).
    assert_eq!(sign_plan(&first, &org.plan_keys()).unwrap(), plan);

    // The executor passes the plan on with its HMAC key only.
    let second = next(&first);
    let forwarded = seal_step(&second, &plan, &org.executor()).unwrap();
    assert_eq!(
        body_part(&forwarded, "plan"),
        body_part(&body, "plan"),
        "copied unchanged"
    );
    let opened = open_step::<Value>(&forwarded, &org.executor()).unwrap();
    assert_eq!(opened.envelope, second);
    assert_eq!(opened.plan.as_ref(), Some(&plan));
    assert_eq!(open::<Value>(&forwarded, &org.executor()).unwrap(), second);
}

#[test]
fn an_executor_holding_only_the_signing_section_cannot_make_a_plan_another_executor_runs() {
    let org = Org::new();
    let held = org.executor();
    let forged = envelope("u-forged", "user.delete");

    // HMAC only, as every body was before plan signatures.
    let hmac_only = seal(&forged, &held).unwrap();
    assert!(matches!(
        open_step::<Value>(&hmac_only, &held),
        Err(OpenError::PlanNotSigned)
    ));
    // Its own key pair, under the router's key id or one of its own.
    let own = generate_plan_key().unwrap();
    for kid in ["p1", "evil"] {
        let keys = PlanSigningKeys::new(kid, &[(kid, own.seed.expose_secret())]);
        let body = seal_plan(&forged, &held, &keys).unwrap();
        let refused = open_step::<Value>(&body, &held).unwrap_err();
        match kid {
            "p1" => assert!(matches!(refused, OpenError::BadPlanSignature), "{refused}"),
            _ => assert!(matches!(&refused, OpenError::UnknownPlanKey(k) if k == "evil")),
        }
    }
    // A public key in place of the seed signs nothing the public key verifies either.
    let keys = PlanSigningKeys::new("p1", &[("p1", &org.pair.public_key)]);
    let body = seal_plan(&forged, &held, &keys).unwrap();
    assert!(matches!(
        open_step::<Value>(&body, &held),
        Err(OpenError::BadPlanSignature)
    ));
}

#[test]
fn progress_glued_to_another_plans_signature_is_refused() {
    let org = Org::new();
    let (held, plan_keys) = (org.executor(), org.plan_keys());
    let mild = seal_plan(&envelope("u1", "user.unlock"), &held, &plan_keys).unwrap();
    let harsh = seal_plan(&envelope("u2", "user.delete"), &held, &plan_keys).unwrap();
    let harsh_plan = open_step::<Value>(&harsh, &held).unwrap().plan.unwrap();

    // The progress (and HMAC) of one body, with the other's signed plan.
    let mut glued: Value = serde_json::from_str(&mild).unwrap();
    glued["plan"] = body_part(&harsh, "plan");
    let refused = open_step::<Value>(&glued.to_string(), &held).unwrap_err();
    assert!(matches!(refused, OpenError::PlanMismatch(_)), "{refused}");
    // Even from the same event and rule (a replay after the rule changed), where the
    // envelope ids agree: the progress names its own plan's digest.
    let changed = seal_plan(&envelope("u1", "user.delete"), &held, &plan_keys).unwrap();
    let mut glued: Value = serde_json::from_str(&mild).unwrap();
    glued["plan"] = body_part(&changed, "plan");
    let refused = open_step::<Value>(&glued.to_string(), &held).unwrap_err();
    assert!(
        matches!(refused, OpenError::PlanMismatch(why) if why.contains("another plan")),
        "{refused}"
    );

    // Progress made afresh for the signed plan, but with the id of another plan's step:
    // the digest matches, the envelope id does not.
    let mut other = envelope("u1", "user.unlock");
    other.id = envelope_id("u1", "lock-down", Phase::Steps, 0);
    let body = seal_step(&other, &harsh_plan, &held).unwrap();
    let refused = open_step::<Value>(&body, &held).unwrap_err();
    assert!(
        matches!(refused, OpenError::PlanMismatch(why) if why.contains("id")),
        "{refused}"
    );
}

#[test]
fn a_tampered_plan_text_or_plan_signature_is_refused() {
    let org = Org::new();
    let held = org.executor();
    let body = seal_plan(&envelope("u1", "user.suspend"), &held, &org.plan_keys()).unwrap();
    // The plan text is inside the body as an escaped string: edit it in place.
    let tampered = body.replace("user.suspend", "user.delete");
    assert_ne!(tampered, body);
    assert!(matches!(
        open_step::<Value>(&tampered, &held),
        Err(OpenError::BadPlanSignature)
    ));
    let mut resigned: Value = serde_json::from_str(&body).unwrap();
    resigned["plan"]["sig"] = json!("AAAA");
    assert!(matches!(
        open_step::<Value>(&resigned.to_string(), &held),
        Err(OpenError::BadPlanSignature)
    ));
    // The HMAC part is still checked first, as before.
    let mut hmac: Value = serde_json::from_str(&body).unwrap();
    hmac["payload"] = json!(
        hmac["payload"]
            .as_str()
            .unwrap()
            .replace("\"index\":0", "\"index\":1")
    );
    assert!(matches!(
        open_step::<Value>(&hmac.to_string(), &held),
        Err(OpenError::BadSignature)
    ));
}

#[test]
fn a_rotated_plan_key_set_still_opens_plans_signed_with_the_old_key() {
    let (old, new) = (generate_plan_key().unwrap(), generate_plan_key().unwrap());
    let before = SigningKeys::new("k1", &[("k1", K1)]).with_plan_keys(&[("p1", &old.public_key)]);
    let during = SigningKeys::new("k1", &[("k1", K1)])
        .with_plan_keys(&[("p1", &old.public_key), ("p2", &new.public_key)]);
    let old_keys = PlanSigningKeys::new("p1", &[("p1", old.seed.expose_secret())]);
    let new_keys = PlanSigningKeys::new(
        "p2",
        &[
            ("p1", old.seed.expose_secret()),
            ("p2", new.seed.expose_secret()),
        ],
    );
    let in_flight = seal_plan(&envelope("u1", "user.suspend"), &before, &old_keys).unwrap();
    assert!(open_step::<Value>(&in_flight, &during).is_ok());
    let fresh = seal_plan(&envelope("u1", "user.suspend"), &during, &new_keys).unwrap();
    assert_eq!(body_part(&fresh, "plan")["kid"], "p2");
    assert!(open_step::<Value>(&fresh, &during).is_ok());
    assert!(matches!(
        open_step::<Value>(&fresh, &before),
        Err(OpenError::UnknownPlanKey(kid)) if kid == "p2"
    ));
}

#[test]
fn hmac_only_bodies_open_until_plan_signatures_are_required_and_are_refused_after() {
    let org = Org::new();
    let unsigned_org = SigningKeys::new("k1", &[("k1", K1)]);
    let today = seal(&envelope("u1", "user.suspend"), &unsigned_org).unwrap();
    let opened = open_step::<Value>(&today, &unsigned_org).unwrap();
    assert_eq!(opened.envelope, envelope("u1", "user.suspend"));
    assert!(opened.plan.is_none());
    // A plan-signed body where no plan keys are known yet: a key to look for, not a
    // verdict (the caller re-reads its secret).
    let signed = seal_plan(
        &envelope("u1", "user.suspend"),
        &unsigned_org,
        &org.plan_keys(),
    )
    .unwrap();
    assert!(matches!(
        open_step::<Value>(&signed, &unsigned_org),
        Err(OpenError::UnknownPlanKey(kid)) if kid == "p1"
    ));
    // Plan keys listed, not yet required: a body a router with an older copy of the
    // secret sealed HMAC-only still opens, and a plan-signed one is verified.
    assert!(open_step::<Value>(&today, &org.listing()).is_ok());
    let tampered = signed.replace("user.suspend", "user.delete");
    assert!(open_step::<Value>(&tampered, &org.listing()).is_err());
    // Once they are required, the same HMAC-only body is refused, and so is one of the
    // previous envelope shape still in flight.
    assert!(matches!(
        open_step::<Value>(&today, &org.executor()),
        Err(OpenError::PlanNotSigned)
    ));
    assert!(matches!(
        open::<Value>(&today, &org.executor()),
        Err(OpenError::PlanNotSigned)
    ));
}

#[test]
fn the_org_of_a_plan_signed_body_is_read_from_its_plan_text() {
    let org = Org::new();
    let body = seal_plan(
        &envelope("u1", "user.suspend"),
        &org.executor(),
        &org.plan_keys(),
    )
    .unwrap();
    assert_eq!(open_unverified_org(&body).unwrap().as_str(), "acme");
    assert!(
        !body_part(&body, "payload")
            .as_str()
            .unwrap()
            .contains("acme"),
        "the progress names no org"
    );
}

#[test]
fn the_private_plan_key_never_reaches_a_body_or_debug_output() {
    let org = Org::new();
    let seed = org.pair.seed.expose_secret().to_owned();
    let router = org.executor().with_plan_signing(org.plan_keys());
    let body = seal_plan(&envelope("u1", "user.suspend"), &router, &org.plan_keys()).unwrap();
    let opened = open_step::<Value>(&body, &org.executor()).unwrap();
    for shown in [
        body.clone(),
        format!("{router:?}"),
        format!("{:?}", org.plan_keys()),
        format!("{:?}", org.pair),
        format!("{opened:?}"),
    ] {
        assert!(!shown.contains(&seed), "the seed shows in {shown}");
    }
}
