//! The org secrets the local stack runs with, put into the emulator's Secrets Manager
//! where the template's functions read them.
//!
//! - `--secret-file F` (either shape, read once by the caller): its sections, as given;
//! - otherwise built-in: a fresh hook auth value (printed: it is a local stack's), and an
//!   Okta credential for the embedded Okta double;
//! - either way a missing `signing` or `plan-signing` is generated (plans router-signed,
//!   HMAC-only envelopes refused, as a new deployment should run);
//! - `--okta-domain URL` points every Okta credential of the secrets at that org.
//!
//! The secrets go to `<prefix><org>/<kind>` for each served org (the split shape the
//! template's roles may read), or to `<prefix><org>` when the stack runs with
//! `LegacySingleSecret=true`.

use org_secrets::{OrgName, SecretKind, StoredSecrets};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// The id of the generated plan key.
const PLAN_KEY_ID: &str = "stack";

/// Where the secrets' Okta credentials point when neither `--okta-domain` nor a file
/// gives one.
pub struct DefaultOkta {
    /// The embedded Okta double's org URL.
    pub org_url: String,
    /// Its API token.
    pub token: String,
    /// Where the built-in `slack_webhook` points (the stack's own printing sink).
    pub webhook: String,
}

/// The stack's secrets and what to print about them.
pub struct Prepared {
    /// The secrets, by kind.
    pub stored: StoredSecrets,
    /// The hook auth header and value, when generated here (to print for `okta-hooks send`).
    pub generated_hook: Option<(String, String)>,
}

/// Builds the stack's secrets.
///
/// # Errors
/// `--okta-domain` with secrets that have no Okta credential to point at it.
pub fn prepare(
    from_file: Option<StoredSecrets>,
    okta_domain: Option<&str>,
    default_okta: Option<&DefaultOkta>,
) -> Result<Prepared, String> {
    let mut generated_hook = None;
    let mut stored = match from_file {
        Some(stored) => stored,
        None => {
            let value = format!("stack-{}", uuid::Uuid::new_v4().simple());
            let mut stored = StoredSecrets::new();
            stored.insert(
                SecretKind::Hook,
                &json!({"header": "Authorization", "current": value}).to_string(),
            )?;
            generated_hook = Some(("Authorization".to_owned(), value));
            if let Some(okta) = default_okta.filter(|_| okta_domain.is_none()) {
                let credential = json!({"org_url": okta.org_url, "api_token": okta.token});
                stored.insert(SecretKind::Okta, &credential.to_string())?;
                stored.insert(SecretKind::OktaRead, &credential.to_string())?;
                stored.insert(
                    SecretKind::Named,
                    &json!({"slack_webhook": okta.webhook}).to_string(),
                )?;
            }
            stored
        }
    };
    ensure_signing(&mut stored)?;
    if let Some(domain) = okta_domain {
        point_at(&mut stored, &crate::commands::dev::org_url(domain))?;
    }
    Ok(Prepared {
        stored,
        generated_hook,
    })
}

/// Adds a `signing` key and a router plan key (`plan-signing`, its public half in
/// `signing.plan_keys`, plan signatures required) where the secrets lack them.
fn ensure_signing(stored: &mut StoredSecrets) -> Result<(), String> {
    let mut signing: Value = match stored.get(&SecretKind::Signing) {
        Some(text) => serde_json::from_str(text.expose_secret())
            .map_err(|e| format!("the `signing` section is not JSON: {e}"))?,
        None => json!({
            "active": "stack",
            "keys": {"stack": format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())},
        }),
    };
    if stored.get(&SecretKind::PlanSigning).is_none() {
        let pair = org_secrets::generate_plan_key().map_err(|e| format!("a plan key: {e}"))?;
        stored.insert(
            SecretKind::PlanSigning,
            &json!({"active": PLAN_KEY_ID, "keys": {PLAN_KEY_ID: pair.seed.expose_secret()}})
                .to_string(),
        )?;
        signing["plan_keys"] = json!({PLAN_KEY_ID: pair.public_key});
        signing["require_plan_signatures"] = json!(true);
    }
    stored.insert(SecretKind::Signing, &signing.to_string())
}

/// Sets `org_url` of every Okta credential of the secrets.
fn point_at(stored: &mut StoredSecrets, url: &str) -> Result<(), String> {
    let kinds: Vec<SecretKind> = stored
        .iter()
        .map(|(kind, _)| kind.clone())
        .filter(SecretKind::is_okta_credential)
        .collect();
    if kinds.is_empty() {
        return Err(format!(
            "--okta-domain {url}: the secrets have no Okta credential (`okta`, `okta-read`) \
             to point at it; give --secret-file with one"
        ));
    }
    for kind in kinds {
        let Some(text) = stored.get(&kind) else {
            continue;
        };
        let mut credential: Value = serde_json::from_str(text.expose_secret())
            .map_err(|e| format!("the `{}` section is not JSON: {e}", kind.suffix()))?;
        credential["org_url"] = Value::String(url.to_owned());
        stored.insert(kind, &credential.to_string())?;
    }
    Ok(())
}

/// The secrets as (secret id, text) for each org: one per kind, or the single secret.
pub fn secret_values(
    stored: &StoredSecrets,
    prefix: &str,
    orgs: &[OrgName],
    legacy_single_secret: bool,
) -> Vec<(String, String)> {
    let mut values = Vec::new();
    for org in orgs {
        if legacy_single_secret {
            let mut single = serde_json::Map::new();
            for (kind, text) in stored.iter() {
                let section = serde_json::from_str(text.expose_secret())
                    .unwrap_or_else(|_| Value::String(text.expose_secret().to_owned()));
                single.insert(kind.suffix().into_owned(), section);
            }
            values.push((format!("{prefix}{org}"), Value::Object(single).to_string()));
        } else {
            for (kind, text) in stored.iter() {
                values.push((kind.secret_id(prefix, org), text.expose_secret().to_owned()));
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(stored: &StoredSecrets, kind: &SecretKind) -> Value {
        serde_json::from_str(stored.get(kind).expect("present").expose_secret()).expect("json")
    }

    #[test]
    fn built_in_secrets_have_a_hook_value_plan_keys_and_the_default_okta() {
        let okta = DefaultOkta {
            org_url: "http://127.0.0.1:9".into(),
            token: "t".into(),
            webhook: "http://127.0.0.1:9/webhook".into(),
        };
        let prepared = prepare(None, None, Some(&okta)).expect("prepared");
        let (header, value) = prepared.generated_hook.expect("generated");
        assert_eq!(header, "Authorization");
        assert_eq!(
            section(&prepared.stored, &SecretKind::Hook)["current"],
            value
        );
        assert_eq!(
            section(&prepared.stored, &SecretKind::OktaRead)["org_url"],
            okta.org_url
        );
        let signing = section(&prepared.stored, &SecretKind::Signing);
        assert_eq!(signing["require_plan_signatures"], true);
        assert!(signing["plan_keys"][PLAN_KEY_ID].is_string());
        assert!(prepared.stored.get(&SecretKind::PlanSigning).is_some());
    }

    #[test]
    fn okta_domain_points_every_okta_credential_and_needs_one() {
        let okta = DefaultOkta {
            org_url: "http://127.0.0.1:9".into(),
            token: "t".into(),
            webhook: "http://127.0.0.1:9/webhook".into(),
        };
        // Built-in secrets with --okta-domain have no credential for it: refused.
        let refused = prepare(None, Some("acme.okta.com"), Some(&okta))
            .err()
            .expect("refused");
        assert!(refused.contains("--okta-domain"), "{refused}");
        let mut stored = StoredSecrets::new();
        for kind in [SecretKind::Okta, SecretKind::OktaRead] {
            stored
                .insert(
                    kind,
                    &json!({"org_url": "https://old", "api_token": "x"}).to_string(),
                )
                .expect("insert");
        }
        point_at(&mut stored, "https://acme.okta.com").expect("pointed");
        assert_eq!(
            section(&stored, &SecretKind::Okta)["org_url"],
            "https://acme.okta.com"
        );
        assert_eq!(
            section(&stored, &SecretKind::OktaRead)["org_url"],
            "https://acme.okta.com"
        );
        assert_eq!(section(&stored, &SecretKind::Okta)["api_token"], "x");
    }

    #[test]
    fn the_secrets_go_to_one_id_per_kind_and_org_or_to_the_single_secret() {
        let okta = DefaultOkta {
            org_url: "http://127.0.0.1:9".into(),
            token: "t".into(),
            webhook: "http://127.0.0.1:9/webhook".into(),
        };
        let prepared = prepare(None, None, Some(&okta)).expect("prepared");
        let orgs = [
            OrgName::parse("default").expect("org"),
            OrgName::parse("b").expect("org"),
        ];
        let split = secret_values(&prepared.stored, "p/", &orgs, false);
        let ids: Vec<&str> = split.iter().map(|(id, _)| id.as_str()).collect();
        assert!(
            ids.contains(&"p/default/hook") && ids.contains(&"p/b/plan-signing"),
            "{ids:?}"
        );
        assert_eq!(split.len(), 2 * prepared.stored.iter().count());
        let single = secret_values(&prepared.stored, "p/", &orgs, true);
        assert_eq!(single.len(), 2);
        let body: Value = serde_json::from_str(&single[0].1).expect("json");
        assert!(body["hook"]["current"].is_string() && body["okta-read"].is_object());
    }
}
