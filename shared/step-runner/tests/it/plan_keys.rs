//! Router-signed plans: executors, which hold the HMAC key but no plan key, carry the
//! router's plan from step to step and run nothing else — a plan an executor made up, a
//! plan text altered, or progress glued to another plan is refused before any Okta call.

use crate::common;
use crate::plans::{EVENT, LOCK_DOWN, mock_lock_down};

use std::collections::BTreeSet;
use std::time::Duration;

use actions::Family;
use common::{Rig, executor_view, plan_signed_store};
use envelope::{Envelope, Phase, envelope_id, open_step, seal, seal_plan, seal_step};
use org_secrets::{
    OrgName, PlanSigningKeys, SecretCache, SecretReads, SecretSource, SigningKeys, StaticSecrets,
    StoredSecrets, generate_plan_key,
};
use rules::Plan;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use step_runner::Ran;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, ResponseTemplate};

/// The signing keys an executor holds of `store` (HMAC keys, public plan keys).
async fn executor_keys(store: &StaticSecrets) -> SigningKeys {
    let held = executor_view(store)
        .fetch(&OrgName::default_org())
        .await
        .expect("the executor's view");
    assert!(held.plan_signing().is_none(), "no private plan key");
    held.signing.expect("signing keys")
}

fn plan_part(body: &str) -> Value {
    serde_json::from_str::<Value>(body).expect("a body")["plan"].clone()
}

/// The first step's body the router sent, and the envelope in it.
async fn first_step(rig: &Rig, keys: &SigningKeys) -> (String, Envelope<Plan>) {
    rig.route(EVENT).await;
    let body = rig.bodies(Family::Users).pop().expect("the first step");
    let envelope = open_step::<Plan>(&body, keys).expect("opens").envelope;
    (body, envelope)
}

/// Puts `body` on the users queue and runs it there.
async fn run_on_users(rig: &Rig, body: &str) -> Ran {
    rig.runners[&Family::Users]
        .run(body, 1)
        .await
        .expect("decided, not retried")
}

/// Every request Okta (or the webhook) received.
async fn requests(rig: &Rig) -> usize {
    rig.okta.received_requests().await.unwrap_or_default().len()
}

/// Okta answers anything, so that a forged step that got through would show as a call.
async fn okta_answers_anything(rig: &Rig) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&rig.okta)
        .await;
}

#[tokio::test]
async fn a_router_signed_plan_runs_every_step_across_executors_that_only_pass_it_on() {
    let captured = okta_fixtures::CapturedLogs::json();
    let (store, pair) = plan_signed_store();
    let mut rig = Rig::plan_signed(LOCK_DOWN, &store).await;
    mock_lock_down(&rig).await;
    rig.route(EVENT).await;
    let ran = rig.drain().await;
    let families: Vec<Family> = ran.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        families,
        [
            Family::Users,
            Family::Sessions,
            Family::Groups,
            Family::Groups,
            Family::Notify
        ],
        "{ran:?}"
    );
    assert!(
        ran.iter().all(|(_, r)| matches!(r, Ran::Done { .. })),
        "{ran:?}"
    );

    // Each step's body carries the router's signed plan, unchanged from the first.
    let mut plans = BTreeSet::new();
    for family in [
        Family::Users,
        Family::Sessions,
        Family::Groups,
        Family::Notify,
    ] {
        for body in rig.bodies(family) {
            let plan = plan_part(&body);
            assert_eq!(plan["kid"], "p1", "plan-signed: {body}");
            plans.insert(plan.to_string());
        }
    }
    assert_eq!(plans.len(), 1, "one signed plan for all five steps");
    let seed = pair.seed.expose_secret().to_owned();
    assert!(
        !captured.contents().contains(&seed),
        "the private plan key was logged"
    );
}

#[tokio::test]
async fn a_plan_made_by_an_executor_is_refused_and_never_reaches_okta() {
    let (store, _) = plan_signed_store();
    let rig = Rig::plan_signed(LOCK_DOWN, &store).await;
    let held = executor_keys(&store).await;
    let (_, routed) = first_step(&rig, &held).await;
    okta_answers_anything(&rig).await;

    // A compromised executor's plan: the router's, pointed at another user.
    let mut forged = routed.clone();
    forged.plan.steps[0].params["user"] = json!("00uVICTIM");
    let own = generate_plan_key().unwrap();
    let forgeries = [
        ("HMAC only", seal(&forged, &held).unwrap()),
        (
            "its own key as p1",
            seal_plan(
                &forged,
                &held,
                &PlanSigningKeys::new("p1", &[("p1", own.seed.expose_secret())]),
            )
            .unwrap(),
        ),
        (
            "its own key id",
            seal_plan(
                &forged,
                &held,
                &PlanSigningKeys::new("x9", &[("x9", own.seed.expose_secret())]),
            )
            .unwrap(),
        ),
    ];
    for (how, body) in forgeries {
        let ran = run_on_users(&rig, &body).await;
        assert!(matches!(ran, Ran::Refused { .. }), "{how}: {ran:?}");
    }
    assert_eq!(requests(&rig).await, 0, "no forged step reached Okta");
    assert_eq!(rig.dead_letters(Family::Users).len(), 3, "each on the DLQ");
}

#[tokio::test]
async fn a_tampered_plan_text_or_progress_glued_to_another_plan_is_refused() {
    let (store, _) = plan_signed_store();
    let rig = Rig::plan_signed(LOCK_DOWN, &store).await;
    let held = executor_keys(&store).await;
    let (body, routed) = first_step(&rig, &held).await;
    okta_answers_anything(&rig).await;

    // The signed plan text, pointed at another user.
    let mut tampered: Value = serde_json::from_str(&body).unwrap();
    let text = tampered["plan"]["text"].as_str().unwrap().to_owned();
    assert!(text.contains("01234"));
    tampered["plan"]["text"] = json!(text.replace("01234", "00uVICTIM"));
    let tampered = tampered.to_string();
    let ran = run_on_users(&rig, &tampered).await;
    assert!(
        matches!(&ran, Ran::Refused { reason } if reason.contains("plan signature")),
        "{ran:?}"
    );

    // The router's plan for another event, with this step's progress (and HMAC).
    let mut other_event = routed.clone();
    other_event.event.uuid = "another-event".into();
    other_event.id = envelope_id("another-event", &routed.rule_id, Phase::Steps, 0);
    let router_keys = store
        .reading(SecretReads::router())
        .fetch(&OrgName::default_org())
        .await
        .unwrap();
    let plan_keys = router_keys.plan_signing().expect("the router's plan key");
    let other = seal_plan(&other_event, &held, plan_keys).unwrap();
    let mut glued: Value = serde_json::from_str(&body).unwrap();
    glued["plan"] = plan_part(&other);
    let ran = run_on_users(&rig, &glued.to_string()).await;
    assert!(
        matches!(&ran, Ran::Refused { reason } if reason.contains("does not belong")),
        "{ran:?}"
    );
    // Fresh progress made with the HMAC key for that signed plan must name its own step.
    let signed = open_step::<Plan>(&other, &held).unwrap().plan.unwrap();
    let body = seal_step(&routed, &signed, &held).unwrap();
    let ran = run_on_users(&rig, &body).await;
    assert!(
        matches!(&ran, Ran::Refused { reason } if reason.contains("does not belong")),
        "{ran:?}"
    );
    assert_eq!(requests(&rig).await, 0);
}

#[tokio::test]
async fn hmac_only_bodies_run_until_plan_signatures_are_required_and_are_refused_after() {
    // Today's org: no plan keys; the router seals HMAC-only and the executor runs it.
    let mut today = Rig::new(LOCK_DOWN).await;
    mock_lock_down(&today).await;
    today.route(EVENT).await;
    let body = today.bodies(Family::Users).pop().unwrap();
    assert!(plan_part(&body).is_null(), "HMAC-only");
    let ran = today.drain().await;
    assert_eq!(ran.len(), 5, "{ran:?}");

    // The same HMAC-only body (same HMAC key) once the org lists plan keys, not yet
    // requiring them: a router with a copy of the secret from before the keys sealed it,
    // and it runs rather than being lost.
    let (listing, _) = common::plan_key_store(false);
    let rig = Rig::plan_signed(LOCK_DOWN, &listing).await;
    okta_answers_anything(&rig).await;
    let ran = run_on_users(&rig, &body).await;
    assert!(!matches!(ran, Ran::Refused { .. }), "{ran:?}");
    assert!(requests(&rig).await > 0, "the step reached Okta");
    assert!(rig.dead_letters(Family::Users).is_empty());

    // Once they are required, it is refused.
    let (store, _) = plan_signed_store();
    let rig = Rig::plan_signed(LOCK_DOWN, &store).await;
    okta_answers_anything(&rig).await;
    let ran = run_on_users(&rig, &body).await;
    assert!(
        matches!(&ran, Ran::Refused { reason } if reason.contains("not signed by the router")),
        "{ran:?}"
    );
    assert_eq!(requests(&rig).await, 0);
}

#[tokio::test]
async fn a_plan_key_rotated_in_one_edit_opens_at_an_executor_with_an_older_secret() {
    let (store, old) = plan_signed_store();
    let mut rig = Rig::plan_signed(LOCK_DOWN, &store).await;
    okta_answers_anything(&rig).await;
    // The users executor runs a step first: its cache (TTL 600 s) then holds the secret
    // from before the rotation, so the p2 body below needs its re-read for an unknown key.
    rig.route(EVENT).await;
    assert!(matches!(
        rig.run_next(Family::Users).await,
        Some(Ok(Ran::Done { .. }))
    ));

    // One edit: p2 listed and made active, p1 still verifying.
    let new = generate_plan_key().unwrap();
    let rotated = json!({
        "signing": {"active": "k1", "keys": {"k1": common::KEY},
                    "plan_keys": {"p1": old.public_key, "p2": new.public_key}},
        "plan-signing": {"active": "p2", "keys": {"p1": old.seed.expose_secret(),
                                                  "p2": new.seed.expose_secret()}},
    });
    store.set_stored(
        "default",
        StoredSecrets::from_json(&rotated.to_string()).unwrap(),
    );
    // The next step, in flight under p1, still opens; a fresh router signs with p2.
    let ran = rig.run_next(Family::Sessions).await;
    assert!(matches!(ran, Some(Ok(Ran::Done { .. }))), "{ran:?}");
    let fresh_router = common::router(
        rules::RuleSet::from_sources(&[("rules.yaml", LOCK_DOWN)]).unwrap(),
        rig.queues.clone(),
        std::sync::Arc::new(SecretCache::new(
            store.reading(SecretReads::router()),
            Duration::from_secs(600),
            Duration::ZERO,
        )),
    );
    let mut event: Value = serde_json::from_str(&okta_fixtures::read_event(EVENT)).unwrap();
    event["uuid"] = json!("rotated-event");
    let queued = json!({"org": "default", "source": "hook", "event": event});
    fresh_router.route(&queued.to_string()).await.unwrap();
    let body = rig.bodies(Family::Users).pop().unwrap();
    assert_eq!(plan_part(&body)["kid"], "p2");
    // The users executor's cached secret lacks p2: one re-read, and the step runs.
    let ran = run_on_users(&rig, &body).await;
    assert!(matches!(ran, Ran::Done { .. }), "{ran:?}");
}

#[tokio::test]
async fn a_failed_steps_on_failure_steps_run_under_the_routers_signature() {
    let (store, _) = plan_signed_store();
    let mut rig = Rig::plan_signed(LOCK_DOWN, &store).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/users/01234/lifecycle/suspend"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(okta_fixtures::error_body("ErrorAccessDenied")),
        )
        .mount(&rig.okta)
        .await;
    Mock::given(method("POST"))
        .and(path("/slack"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&rig.okta)
        .await;
    rig.route(EVENT).await;
    let ran = rig.drain().await;
    assert!(
        matches!(
            &ran[..],
            [
                (
                    Family::Users,
                    Ran::Failed {
                        on_failure: Some(_),
                        ..
                    }
                ),
                (Family::Notify, Ran::Done { .. })
            ]
        ),
        "{ran:?}"
    );
    let first = rig.bodies(Family::Users).pop().unwrap();
    let on_failure = rig.bodies(Family::Notify).pop().unwrap();
    assert_eq!(
        plan_part(&on_failure),
        plan_part(&first),
        "the router's plan, unchanged"
    );
    let opened = open_step::<Plan>(&on_failure, &executor_keys(&store).await).unwrap();
    assert_eq!(opened.envelope.cursor.phase, Phase::OnFailure);
    assert!(opened.envelope.failure.is_some());
}
