//! Where `okta-hooks hook` reads (and, to rotate, writes) an org's hook values and, when
//! no `OKTA_*` credential is given, its Okta credential:
//!
//! - Secrets Manager, split by kind (the default, as the functions read it): the hook
//!   values are the secret `<prefix><org>/hook` (its JSON is the section itself:
//!   `{"header", "current", "previous"}`), the credential `<prefix><org>/okta`;
//! - Secrets Manager, the single secret of before the split, `<prefix><org>`, when asked
//!   (`--legacy-single-secret`, or `OKTA_HOOKS_LEGACY_SINGLE_SECRET=true`);
//! - a local JSON file of either shape (`{"hook": …, "okta": …, …}`).
//!
//! Values never leave this module except as [`OrgSecret`] (redacting types) or as the
//! rotated JSON written back; messages name the secret id or the file.

use std::path::PathBuf;

use aws_adapters::SecretsManagerSource;
use org_secrets::{OrgName, OrgSecret, SecretError, SecretKind, SecretReads, StoredSecrets};
use serde_json::Value;

use super::HookCliError;
use crate::secret_file::{id_source, parse_stored, read_secret_file};

/// An org's hook values (and Okta credential), in a file or in Secrets Manager.
pub enum SecretStore {
    /// A JSON file of either shape; rotation rewrites its `hook` section.
    File(PathBuf),
    /// The split secrets: `hook` and, to read a credential, `okta`.
    Split {
        source: SecretsManagerSource,
        org: OrgName,
    },
    /// The single secret of before the split, read and written whole.
    Single {
        source: SecretsManagerSource,
        org: OrgName,
    },
}

impl SecretStore {
    /// A file when given, else Secrets Manager with the SDK's standard configuration
    /// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, …): the split secrets, or the
    /// single one with `legacy_single_secret`.
    pub async fn open(
        file: Option<PathBuf>,
        org: &OrgName,
        prefix: &str,
        legacy_single_secret: bool,
    ) -> Result<Self, HookCliError> {
        if let Some(file) = file {
            return Ok(SecretStore::File(file));
        }
        // The command reads and writes ids itself (`read_raw`, `write_raw`): the source's
        // own reads, and its legacy warning, are not used.
        let source = id_source(prefix).await;
        let org = org.clone();
        Ok(if legacy_single_secret {
            SecretStore::Single { source, org }
        } else {
            SecretStore::Split { source, org }
        })
    }

    /// Where the hook values are, for messages (never their content).
    pub fn describe(&self) -> String {
        match self {
            SecretStore::File(path) => path.display().to_string(),
            SecretStore::Split { source, org } => {
                format!("secret {}", source.secret_id(org, &SecretKind::Hook))
            }
            SecretStore::Single { source, org } => {
                format!("secret {}", source.legacy_secret_id(org))
            }
        }
    }

    /// Where the Okta credential is read, for messages.
    pub fn describe_credential(&self) -> String {
        match self {
            SecretStore::Split { source, org } => format!(
                "the secret {} (an admin's token, or an app with okta.eventHooks.manage)",
                source.secret_id(org, &SecretKind::Okta)
            ),
            other => format!("{} an `okta` section", other.describe()),
        }
    }

    /// The hook values and, with `credential`, the Okta credential (`okta`), parsed and
    /// validated. In the split shape a missing `okta` secret leaves the credential out.
    pub async fn read(&self, credential: bool) -> Result<OrgSecret, HookCliError> {
        let stored = match self {
            SecretStore::File(file) => {
                read_secret_file(file).map_err(|e| self.malformed(e.to_string()))?
            }
            SecretStore::Single { .. } => parse_stored(&self.read_raw().await?, &self.describe())
                .map_err(|reason| self.malformed(reason))?,
            SecretStore::Split { source, org } => {
                let mut stored = StoredSecrets::new();
                let hook = self.read_raw().await?;
                stored
                    .insert(SecretKind::Hook, &hook)
                    .map_err(|reason| self.malformed(reason))?;
                if credential {
                    let id = source.secret_id(org, &SecretKind::Okta);
                    match source.read_raw(org, &id).await {
                        Ok(text) => stored.insert(SecretKind::Okta, &text).map_err(|reason| {
                            HookCliError::Secret {
                                at: format!("secret {id}"),
                                reason,
                            }
                        })?,
                        Err(SecretError::NotFound { .. }) => {}
                        Err(e) => {
                            return Err(HookCliError::Secret {
                                at: format!("secret {id}"),
                                reason: e.to_string(),
                            });
                        }
                    }
                }
                stored
            }
        };
        let reads = if credential {
            SecretReads::all()
        } else {
            SecretReads::hook_receiver()
        };
        reads
            .resolve(&stored)
            .map_err(|reason| self.malformed(reason))
    }

    /// The hook values' JSON as stored: the file's or single secret's whole document, or
    /// the split `hook` secret (to rotate: everything else is kept as it is).
    async fn read_raw(&self) -> Result<String, HookCliError> {
        let failed = |reason: String| HookCliError::Secret {
            at: self.describe(),
            reason,
        };
        match self {
            SecretStore::File(path) => {
                std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))
            }
            SecretStore::Split { source, org } => source
                .read_raw(org, &source.secret_id(org, &SecretKind::Hook))
                .await
                .map_err(|e| match e {
                    SecretError::NotFound { .. } => failed(format!(
                        "{e}: there is no such secret (`okta-hooks secrets split --org {org}` \
                         makes it from the single secret of before the split; or give \
                         --legacy-single-secret to use that one)"
                    )),
                    other => failed(other.to_string()),
                }),
            SecretStore::Single { source, org } => source
                .read_raw(org, &source.legacy_secret_id(org))
                .await
                .map_err(|e| failed(e.to_string())),
        }
    }

    async fn write_raw(&self, text: &str) -> Result<(), HookCliError> {
        let failed = |e: &dyn std::fmt::Display| HookCliError::Secret {
            at: self.describe(),
            reason: e.to_string(),
        };
        match self {
            SecretStore::File(path) => std::fs::write(path, text).map_err(|e| failed(&e)),
            SecretStore::Split { source, org } => source
                .write_raw(org, &source.secret_id(org, &SecretKind::Hook), text)
                .await
                .map_err(|e| failed(&e)),
            SecretStore::Single { source, org } => source
                .write_raw(org, &source.legacy_secret_id(org), text)
                .await
                .map_err(|e| failed(&e)),
        }
    }

    /// Rotates the hook value: `previous` ← the current value, `current` ← `new_value`;
    /// every other part of the secret (or file) stays as it was. Returns the hook values
    /// as now stored.
    pub async fn rotate_hook_value(&self, new_value: &str) -> Result<OrgSecret, HookCliError> {
        let raw = self.read_raw().await?;
        let section = match self {
            SecretStore::Split { .. } => Section::Whole,
            SecretStore::File(_) | SecretStore::Single { .. } => Section::HookKey,
        };
        let rotated =
            rotate_json(&raw, new_value, section).map_err(|reason| self.malformed(reason))?;
        // Check the result parses as the hook receivers will parse it before storing it.
        let mut stored = StoredSecrets::new();
        let hook_text = match section {
            Section::Whole => rotated.clone(),
            Section::HookKey => {
                let doc: Value =
                    serde_json::from_str(&rotated).map_err(|e| self.malformed(e.to_string()))?;
                doc["hook"].to_string()
            }
        };
        stored
            .insert(SecretKind::Hook, &hook_text)
            .map_err(|reason| self.malformed(reason))?;
        let secret = SecretReads::hook_receiver()
            .resolve(&stored)
            .map_err(|reason| self.malformed(reason))?;
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

/// Where the hook values sit in the JSON being rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// The document is the hook section (the split `hook` secret).
    Whole,
    /// The document's `hook` key (a file, or the single secret).
    HookKey,
}

/// The rotation on the JSON text; errors name the problem, never a value.
fn rotate_json(raw: &str, new_value: &str, section: Section) -> Result<String, String> {
    let mut doc: Value = serde_json::from_str(raw).map_err(|e| {
        format!(
            "not JSON ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        )
    })?;
    let hook = match section {
        Section::Whole => doc
            .as_object_mut()
            .filter(|hook| hook.contains_key("current"))
            .ok_or(
                "the secret has no hook value to rotate (header, current): put one first (README)",
            )?,
        Section::HookKey => doc
            .get_mut("hook")
            .and_then(Value::as_object_mut)
            .ok_or("the secret has no `hook` section to rotate: put one first (README)")?,
    };
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
    use super::{Section, rotate_json};

    #[test]
    fn rotation_moves_current_to_previous_and_keeps_the_rest() {
        let raw = r#"{"hook": {"header": "X-Hook", "current": "old", "previous": "older"},
            "signing": {"active": "k1", "keys": {"k1": "0123456789abcdef0123456789abcdef"}},
            "future": [1, 2]}"#;
        let rotated: serde_json::Value =
            serde_json::from_str(&rotate_json(raw, "new", Section::HookKey).unwrap()).unwrap();
        assert_eq!(rotated["hook"]["current"], "new");
        assert_eq!(rotated["hook"]["previous"], "old");
        assert_eq!(rotated["hook"]["header"], "X-Hook");
        assert_eq!(rotated["signing"]["active"], "k1");
        assert_eq!(rotated["future"], serde_json::json!([1, 2]));
    }

    #[test]
    fn rotation_of_the_split_hook_secret_rotates_the_document_itself() {
        let raw = r#"{"header": "X-Hook", "current": "old", "previous": "older"}"#;
        let rotated: serde_json::Value =
            serde_json::from_str(&rotate_json(raw, "new", Section::Whole).unwrap()).unwrap();
        assert_eq!(
            rotated,
            serde_json::json!({"header": "X-Hook", "current": "new", "previous": "old"})
        );
        let err =
            rotate_json(r#"{"_readme": "put the hook here"}"#, "new", Section::Whole).unwrap_err();
        assert!(err.contains("no hook value"), "{err}");
    }

    #[test]
    fn rotation_refuses_a_secret_without_a_hook_value_and_never_echoes_content() {
        let err =
            rotate_json(r#"{"named": {"x": "s3cr3t"}}"#, "new", Section::HookKey).unwrap_err();
        assert!(err.contains("no `hook` section"), "{err}");
        let err = rotate_json(r#"{"hook": {"current": ""}}"#, "new", Section::HookKey).unwrap_err();
        assert!(err.contains("hook.current"), "{err}");
        let err = rotate_json(r#"{"hook": "s3cr3t"#, "new", Section::HookKey).unwrap_err();
        assert!(!err.contains("s3cr3t"), "{err}");
    }
}
