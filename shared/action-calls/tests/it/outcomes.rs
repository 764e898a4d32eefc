//! Outcomes against the stateful Okta double: the executors' real code runs an action,
//! and the tests assert the org's final state and how many times each change was
//! applied — not the shape of the calls.

use action_calls::{ExecError, FailureClass, execute};
use okta_client::{AuthConfig, OktaClient, OktaConfig, SecretString};
use okta_double::{Fault, OktaDouble, RiskLevel, Running, User};
use serde_json::json;

use crate::common::params;

const ALICE: &str = "00uRISK0000000000001";
const RISK: &str = "/api/v1/users/00uRISK0000000000001/risk";

async fn org() -> (Running, OktaClient) {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active(ALICE, "alice@example.com"));
    let auth = AuthConfig::ApiToken(SecretString::from(OktaDouble::DEFAULT_TOKEN));
    let client = OktaClient::new(OktaConfig::new(&okta.org_url(), auth).unwrap()).unwrap();
    (okta, client)
}

#[tokio::test]
async fn user_risk_set_leaves_the_user_at_the_level_with_the_reason_applied_once() {
    let (okta, client) = org().await;
    let out = execute(
        &client,
        "user.risk.set",
        &params(json!({"user": ALICE, "level": "HIGH", "reason": "Five failed sign-ins in 10m"})),
    )
    .await
    .unwrap();
    let risk = okta.risk(ALICE).expect("a risk was set");
    assert_eq!(risk.level, RiskLevel::High);
    assert_eq!(risk.reason, "Five failed sign-ins in 10m");
    assert_eq!(okta.applied("set_risk", ALICE), 1);
    assert_eq!(
        out.output,
        json!({"riskLevel": "HIGH", "reason": "Five failed sign-ins in 10m"})
    );
}

#[tokio::test]
async fn user_risk_set_by_login_without_a_reason_gets_oktas_admin_override() {
    let (okta, client) = org().await;
    execute(
        &client,
        "user.risk.set",
        &params(json!({"user": "alice@example.com", "level": "MEDIUM"})),
    )
    .await
    .unwrap();
    let risk = okta.risk(ALICE).expect("a risk was set");
    assert_eq!(
        (risk.level, risk.reason.as_str()),
        (RiskLevel::Medium, "override.by.admin")
    );
    assert_eq!(okta.applied("set_risk", ALICE), 1);
}

/// A `500` after Okta applied the change is transient; the retry (what the step runner
/// does with a transient failure) sends the same upsert again: harmless, the user stays
/// at HIGH, and the org saw two upserts.
#[tokio::test]
async fn a_retried_user_risk_set_after_a_500_leaves_the_same_level_and_is_applied_twice() {
    let (okta, client) = org().await;
    okta.fault(Fault::after_apply_500("PUT", RISK).times(1));
    let p = params(json!({"user": ALICE, "level": "HIGH"}));
    let first = execute(&client, "user.risk.set", &p).await.unwrap_err();
    assert_eq!(first.class(), FailureClass::Retryable, "{first:?}");
    assert_eq!(okta.risk(ALICE).map(|r| r.level), Some(RiskLevel::High));
    execute(&client, "user.risk.set", &p).await.unwrap();
    assert_eq!(okta.risk(ALICE).map(|r| r.level), Some(RiskLevel::High));
    assert_eq!(okta.applied("set_risk", ALICE), 2);
}

#[tokio::test]
async fn user_risk_set_on_an_unknown_user_fails_for_good_with_e0000007_and_sets_nothing() {
    let (okta, client) = org().await;
    let e = execute(
        &client,
        "user.risk.set",
        &params(json!({"user": "00uNOBODY00000000000", "level": "HIGH"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.class(), FailureClass::Permanent, "{e:?}");
    assert_eq!(e.error_code(), Some("E0000007"));
    assert!(matches!(e, ExecError::Okta(_)), "{e:?}");
    assert_eq!(okta.applied_total("set_risk"), 0);
    assert!(okta.snapshot().risks.is_empty());
}

#[tokio::test]
async fn user_risk_set_with_a_level_outside_the_enum_sends_nothing() {
    let (okta, client) = org().await;
    let e = execute(
        &client,
        "user.risk.set",
        &params(json!({"user": ALICE, "level": "SEVERE"})),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ExecError::InvalidParams(_)), "{e:?}");
    assert!(okta.requests().is_empty());
    assert_eq!(okta.risk(ALICE), None);
}
