//! User risk (Identity Threat Protection): `PUT`/`GET /api/v1/users/{userId}/risk`.

use okta_double::{Fault, OktaDouble, RiskLevel, User, UserRisk};
use serde_json::json;

use crate::helpers::Api;

const RISK: &str = "/api/v1/users/00u1/risk";

async fn org() -> (okta_double::Running, Api) {
    let okta = OktaDouble::start().await;
    okta.add_user(User::active("00u1", "a@example.com"));
    let api = Api::new(&okta.base_url(), okta.token());
    (okta, api)
}

#[tokio::test]
async fn setting_a_risk_answers_201_then_200_like_okta_and_keeps_the_last_level_and_reason() {
    let (okta, api) = org().await;
    assert_eq!(okta.risk("00u1"), None);
    let unset = api.get(RISK).await;
    assert_eq!(
        (unset.status, &unset.body["riskLevel"]),
        (200, &json!("NONE"))
    );
    assert!(unset.body.get("reason").is_none(), "{}", unset.body);

    let first = api
        .call(
            "PUT",
            RISK,
            Some(json!({"riskLevel": "HIGH", "riskReason": "Brute force"})),
        )
        .await;
    assert_eq!(first.status, 201);
    assert_eq!(first.body["riskLevel"], "HIGH");
    assert_eq!(first.body["reason"], "Brute force");
    let base = okta.base_url();
    assert_eq!(
        first.body["_links"]["self"]["href"],
        format!("{base}{RISK}")
    );
    assert_eq!(
        first.body["_links"]["user"]["href"],
        format!("{base}/api/v1/users/00u1")
    );

    // By login, without a reason: Okta's `override.by.admin`.
    let again = api
        .call(
            "PUT",
            "/api/v1/users/a%40example.com/risk",
            Some(json!({"riskLevel": "LOW"})),
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["reason"], "override.by.admin");
    assert_eq!(
        okta.risk("00u1"),
        Some(UserRisk {
            user: "00u1".into(),
            level: RiskLevel::Low,
            reason: "override.by.admin".into(),
        })
    );
    assert_eq!(api.get(RISK).await.body["riskLevel"], "LOW");
    assert_eq!(okta.applied("set_risk", "00u1"), 2);
    assert_eq!(okta.snapshot().risks.len(), 1);
}

#[tokio::test]
async fn an_unknown_user_is_404_e0000007_and_nothing_is_set() {
    let (okta, api) = org().await;
    let answer = api
        .call(
            "PUT",
            "/api/v1/users/00unobody/risk",
            Some(json!({"riskLevel": "HIGH"})),
        )
        .await;
    assert_eq!(
        (answer.status, answer.error_code()),
        (404, Some("E0000007"))
    );
    assert_eq!(api.get("/api/v1/users/00unobody/risk").await.status, 404);
    assert_eq!(okta.applied_total("set_risk"), 0);
    assert!(okta.snapshot().risks.is_empty());
}

#[tokio::test]
async fn a_level_or_reason_okta_refuses_is_400_e0000001_and_changes_nothing() {
    let (okta, api) = org().await;
    for body in [
        json!({}),
        json!({"riskLevel": "NONE"}),
        json!({"riskLevel": "high"}),
        json!({"riskLevel": "HIGH", "riskReason": "rule: brute force"}),
        json!({"riskLevel": "HIGH", "riskReason": "a".repeat(501)}),
    ] {
        let answer = api.call("PUT", RISK, Some(body.clone())).await;
        assert_eq!(
            (answer.status, answer.error_code()),
            (400, Some("E0000001")),
            "{body}"
        );
    }
    assert_eq!(api.call("POST", RISK, None).await.status, 405);
    assert_eq!(okta.risk("00u1"), None);
    assert_eq!(okta.applied_total("set_risk"), 0);
}

#[tokio::test]
async fn a_500_after_apply_leaves_the_risk_set_and_the_retry_is_a_second_harmless_upsert() {
    let (okta, api) = org().await;
    okta.fault(Fault::after_apply_500("PUT", RISK).times(1));
    let body = json!({"riskLevel": "HIGH"});
    let faulted = api.call("PUT", RISK, Some(body.clone())).await;
    assert_eq!(faulted.status, 500);
    assert_eq!(okta.risk("00u1").map(|r| r.level), Some(RiskLevel::High));
    let retry = api.call("PUT", RISK, Some(body)).await;
    assert_eq!(retry.status, 200);
    assert_eq!(okta.risk("00u1").map(|r| r.level), Some(RiskLevel::High));
    assert_eq!(okta.applied("set_risk", "00u1"), 2);
}
