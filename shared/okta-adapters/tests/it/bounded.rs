//! The per-org client cache stays within the secret cache's bound, however many orgs
//! come and go.

use std::sync::Arc;
use std::time::Duration;

use okta_adapters::OktaClients;
use org_secrets::{OrgName, OrgSecret, SecretCache, StaticSecrets};
use serde_json::json;

fn secret(org: &str) -> OrgSecret {
    OrgSecret::from_json(
        &json!({"okta": {"org_url": format!("https://{org}.okta.com"), "api_token": "00token"}})
            .to_string(),
    )
    .expect("secret")
}

#[tokio::test]
async fn clients_are_never_more_than_the_secret_cache_holds() {
    let store = StaticSecrets::new();
    let cache =
        SecretCache::new(store.clone(), Duration::from_secs(300), Duration::ZERO).with_capacity(3);
    let clients = OktaClients::new(Arc::new(cache), "test");
    for i in 0..10 {
        let name = format!("org{i}");
        store.set(&name, secret(&name));
        let org = OrgName::parse(&name).expect("org");
        clients.client(&org).await.expect("client");
        clients.dry_run_client(&org).await.expect("dry-run client");
        assert!(
            clients.cached_clients().await <= 2 * 3,
            "{} clients after {} orgs",
            clients.cached_clients().await,
            i + 1
        );
    }
    // An org without a secret gets no client and no entry.
    let ghost = OrgName::parse("ghost").expect("org");
    assert!(clients.client(&ghost).await.is_err());
    assert!(clients.cached_clients().await <= 6);
}
