//! Where `okta-hooks hook` reads (and, to rotate, writes) an org's secret: Secrets
//! Manager (`<prefix><org>`, the functions' own source) or a local JSON file of the same
//! shape. Values never leave this module except as [`OrgSecret`] (redacting types) or as
//! the rotated JSON written back.

use std::path::PathBuf;

use aws_adapters::SecretsManagerSource;
use org_secrets::{OrgName, OrgSecret, SecretSource};
use serde_json::Value;

use super::HookCliError;

/// An org's secret, in a file or in Secrets Manager.
pub enum SecretStore {
    File(PathBuf),
    SecretsManager {
        source: SecretsManagerSource,
        org: OrgName,
    },
}

impl SecretStore {
    /// A file when given, else Secrets Manager with the SDK's standard configuration
    /// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, …).
    pub async fn open(
        file: Option<PathBuf>,
        org: &OrgName,
        prefix: &str,
    ) -> Result<Self, HookCliError> {
        if let Some(file) = file {
            return Ok(SecretStore::File(file));
        }
        let config = aws_adapters::load_config().await;
        Ok(SecretStore::SecretsManager {
            // TODO(issue 13, in progress): the split `hook` secret; the single one for now.
            source: SecretsManagerSource::from_config(
                &config,
                &org_secrets::SecretsConfig {
                    prefix: prefix.to_owned(),
                    legacy_single_secret: true,
                    ..org_secrets::SecretsConfig::default()
                },
                org_secrets::SecretReads::all(),
            ),
            org: org.clone(),
        })
    }

    /// Where the secret is, for messages (never its content).
    pub fn describe(&self) -> String {
        match self {
            SecretStore::File(path) => path.display().to_string(),
            SecretStore::SecretsManager { source, org, .. } => {
                format!("secret {}", source.legacy_secret_id(org))
            }
        }
    }

    /// The parsed, validated secret.
    pub async fn read(&self) -> Result<OrgSecret, HookCliError> {
        match self {
            SecretStore::File(_) => OrgSecret::from_json(&self.read_raw().await?)
                .map_err(|reason| self.malformed(reason)),
            SecretStore::SecretsManager { source, org, .. } => {
                source.fetch(org).await.map_err(|e| HookCliError::Secret {
                    at: self.describe(),
                    reason: e.to_string(),
                })
            }
        }
    }

    /// The secret's JSON as stored (to rotate: every section is kept as it is).
    async fn read_raw(&self) -> Result<String, HookCliError> {
        match self {
            SecretStore::File(path) => {
                std::fs::read_to_string(path).map_err(|e| HookCliError::Secret {
                    at: self.describe(),
                    reason: e.to_string(),
                })
            }
            SecretStore::SecretsManager { source, org } => source
                .read_raw(org, &source.legacy_secret_id(org))
                .await
                .map_err(|e| HookCliError::Secret {
                    at: self.describe(),
                    reason: e.to_string(),
                }),
        }
    }

    async fn write_raw(&self, text: &str) -> Result<(), HookCliError> {
        match self {
            SecretStore::File(path) => {
                std::fs::write(path, text).map_err(|e| HookCliError::Secret {
                    at: self.describe(),
                    reason: e.to_string(),
                })
            }
            SecretStore::SecretsManager { source, org } => source
                .write_raw(org, &source.legacy_secret_id(org), text)
                .await
                .map_err(|e| HookCliError::Secret {
                    at: self.describe(),
                    reason: e.to_string(),
                }),
        }
    }

    /// Rotates the hook value: `previous` ← the current value, `current` ← `new_value`;
    /// every other part of the secret stays as it was. Returns the secret as now stored.
    pub async fn rotate_hook_value(&self, new_value: &str) -> Result<OrgSecret, HookCliError> {
        let raw = self.read_raw().await?;
        let rotated = rotate_json(&raw, new_value).map_err(|reason| self.malformed(reason))?;
        // Check the result parses as the functions will parse it before storing it.
        let secret = OrgSecret::from_json(&rotated).map_err(|reason| self.malformed(reason))?;
        self.write_raw(&rotated).await?;
        Ok(secret)
    }

    fn malformed(&self, reason: String) -> HookCliError {
        HookCliError::Secret {
            at: self.describe(),
            reason,
        }
    }
}

/// The rotation on the JSON text; errors name the problem, never a value.
fn rotate_json(raw: &str, new_value: &str) -> Result<String, String> {
    let mut doc: Value = serde_json::from_str(raw).map_err(|e| {
        format!(
            "not JSON ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        )
    })?;
    let hook = doc
        .get_mut("hook")
        .and_then(Value::as_object_mut)
        .ok_or("the secret has no `hook` section to rotate: put one first (README)")?;
    let old = hook
        .get("current")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or("hook.current is missing or empty")?
        .to_owned();
    hook.insert("previous".to_owned(), Value::String(old));
    hook.insert("current".to_owned(), Value::String(new_value.to_owned()));
    serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::rotate_json;

    #[test]
    fn rotation_moves_current_to_previous_and_keeps_the_rest() {
        let raw = r#"{"hook": {"header": "X-Hook", "current": "old", "previous": "older"},
            "signing": {"active": "k1", "keys": {"k1": "0123456789abcdef0123456789abcdef"}},
            "future": [1, 2]}"#;
        let rotated: serde_json::Value =
            serde_json::from_str(&rotate_json(raw, "new").unwrap()).unwrap();
        assert_eq!(rotated["hook"]["current"], "new");
        assert_eq!(rotated["hook"]["previous"], "old");
        assert_eq!(rotated["hook"]["header"], "X-Hook");
        assert_eq!(rotated["signing"]["active"], "k1");
        assert_eq!(rotated["future"], serde_json::json!([1, 2]));
    }

    #[test]
    fn rotation_refuses_a_secret_without_a_hook_value_and_never_echoes_content() {
        let err = rotate_json(r#"{"named": {"x": "s3cr3t"}}"#, "new").unwrap_err();
        assert!(err.contains("no `hook` section"), "{err}");
        let err = rotate_json(r#"{"hook": {"current": ""}}"#, "new").unwrap_err();
        assert!(err.contains("hook.current"), "{err}");
        let err = rotate_json(r#"{"hook": "s3cr3t"#, "new").unwrap_err();
        assert!(!err.contains("s3cr3t"), "{err}");
    }
}
