//! Org secrets in AWS Secrets Manager: one secret per org and kind, named
//! `<prefix><org>/<kind>` (or the single `<prefix><org>` of before the split).

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_sdk_secretsmanager::operation::put_secret_value::PutSecretValueError;
use futures_util::future::join_all;
use org_secrets::{
    OrgName, OrgSecret, SecretError, SecretKind, SecretReads, SecretSource, SecretsConfig,
    StoredSecrets, legacy_secret_id,
};

/// Reads the kinds of org secret one function reads ([`SecretReads`]) from Secrets
/// Manager: org `acme`'s `okta-read` is the secret `<prefix>acme/okta-read`, and only
/// the kinds read are ever asked for, so the function's role needs no other. With
/// `legacy_single_secret` it reads `<prefix>acme` whole and keeps the same kinds.
#[derive(Debug, Clone)]
pub struct SecretsManagerSource {
    client: crate::LazyClient<aws_sdk_secretsmanager::Client>,
    prefix: String,
    reads: SecretReads,
    /// `reads.kinds()`, listed once at construction rather than on every fetch.
    kinds: Vec<SecretKind>,
    legacy: bool,
}

impl SecretsManagerSource {
    /// The kinds `reads` names, from the secrets `config` places, through `client`. With
    /// the single secret of before the split it warns (once per cold start, as functions
    /// build their source once) that the function can read every section.
    pub fn new(
        client: aws_sdk_secretsmanager::Client,
        config: &SecretsConfig,
        reads: SecretReads,
    ) -> Self {
        Self::with_client(crate::LazyClient::ready(client), config, reads)
    }

    fn with_client(
        client: crate::LazyClient<aws_sdk_secretsmanager::Client>,
        config: &SecretsConfig,
        reads: SecretReads,
    ) -> Self {
        let kinds = reads.kinds();
        if config.legacy_single_secret {
            warn_legacy(&kinds);
        }
        SecretsManagerSource {
            client,
            prefix: config.prefix.clone(),
            reads,
            kinds,
            legacy: config.legacy_single_secret,
        }
    }

    /// A source with a client built from the shared AWS configuration on first use.
    pub fn from_config(
        aws: &aws_config::SdkConfig,
        config: &SecretsConfig,
        reads: SecretReads,
    ) -> Self {
        let client = crate::LazyClient::from_config(aws, aws_sdk_secretsmanager::Client::new);
        Self::with_client(client, config, reads)
    }

    /// The source of hook-verify and hook-ingest, the functions the internet reaches: the
    /// `hook` kind and nothing else, whatever the configuration says, so a flaw in the
    /// delivery parser reaches no Okta credential and no signing key.
    pub fn for_hook_receiver(aws: &aws_config::SdkConfig, config: &SecretsConfig) -> Self {
        Self::from_config(aws, config, SecretReads::hook_receiver())
    }

    /// The kinds this source reads.
    pub fn reads(&self) -> &SecretReads {
        &self.reads
    }

    /// The org secrets as a function reads them: its kinds, from Secrets Manager, through
    /// a cache with `config`'s TTL and refresh age.
    pub fn cache(
        aws: &aws_config::SdkConfig,
        config: &SecretsConfig,
        reads: SecretReads,
    ) -> org_secrets::SecretCache<Self> {
        config.cache(Self::from_config(aws, config, reads))
    }

    /// The Secrets Manager id of `org`'s `kind`.
    pub fn secret_id(&self, org: &OrgName, kind: &SecretKind) -> String {
        kind.secret_id(&self.prefix, org)
    }

    /// The id of `org`'s single secret of before the split.
    pub fn legacy_secret_id(&self, org: &OrgName) -> String {
        legacy_secret_id(&self.prefix, org)
    }

    /// The secret `id`'s string as stored (the CLI rotates a value and writes the rest
    /// back unchanged). Secret material: never log it. `org` only names the error.
    pub async fn read_raw(&self, org: &OrgName, id: &str) -> Result<String, SecretError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error()
                    .is_some_and(GetSecretValueError::is_resource_not_found_exception)
                {
                    SecretError::NotFound {
                        org: org.to_string(),
                    }
                } else {
                    SecretError::Unavailable {
                        org: org.to_string(),
                        reason: format!("{id}: {}", DisplayErrorContext(&e)),
                    }
                }
            })?;
        output
            .secret_string()
            .map(str::to_owned)
            .ok_or_else(|| SecretError::Malformed {
                org: org.to_string(),
                reason: format!("{id} has no string value"),
            })
    }

    /// Stores `text` as the current version of the secret `id` (which must exist).
    pub async fn write_raw(&self, org: &OrgName, id: &str, text: &str) -> Result<(), SecretError> {
        self.client
            .put_secret_value()
            .secret_id(id)
            .secret_string(text)
            .version_stages("AWSCURRENT")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| SecretError::Unavailable {
                org: org.to_string(),
                reason: format!("{id}: {}", DisplayErrorContext(&e)),
            })
    }

    /// Stores `text` as the current version of the secret `id`, creating the secret when
    /// there is none (encrypted with `kms_key_id` when given, else the AWS-managed key;
    /// an existing secret keeps its key). For `okta-hooks secrets split`. The error names
    /// `id`, never the text.
    pub async fn put_or_create(
        &self,
        org: &OrgName,
        id: &str,
        text: &str,
        kms_key_id: Option<&str>,
    ) -> Result<Written, SecretError> {
        let unavailable = |e: String| SecretError::Unavailable {
            org: org.to_string(),
            reason: format!("{id}: {e}"),
        };
        let put = self
            .client
            .put_secret_value()
            .secret_id(id)
            .secret_string(text)
            .version_stages("AWSCURRENT")
            .send()
            .await;
        match put {
            Ok(_) => Ok(Written::NewVersion),
            Err(e)
                if e.as_service_error()
                    .is_some_and(PutSecretValueError::is_resource_not_found_exception) =>
            {
                self.client
                    .create_secret()
                    .name(id)
                    .secret_string(text)
                    .set_kms_key_id(kms_key_id.map(str::to_owned))
                    .send()
                    .await
                    .map(|_| Written::Created)
                    .map_err(|e| unavailable(DisplayErrorContext(&e).to_string()))
            }
            Err(e) => Err(unavailable(DisplayErrorContext(&e).to_string())),
        }
    }

    /// The org's secrets of the kinds read, one `GetSecretValue` each, at once; a kind
    /// the org does not have is left out, and an org with none of them is not found.
    async fn stored(&self, org: &OrgName) -> Result<StoredSecrets, SecretError> {
        if self.legacy {
            let text = self.read_raw(org, &self.legacy_secret_id(org)).await?;
            return StoredSecrets::from_json(&text).map_err(|reason| malformed(org, reason));
        }
        let reads = self.kinds.iter().map(|kind| async move {
            let id = self.secret_id(org, kind);
            match self.read_raw(org, &id).await {
                Ok(text) => Ok(Some((kind, text))),
                Err(SecretError::NotFound { .. }) => Ok(None),
                Err(other) => Err(other),
            }
        });
        let mut stored = StoredSecrets::new();
        let mut found = false;
        for read in join_all(reads).await {
            if let Some((kind, text)) = read? {
                found = true;
                stored
                    .insert(kind.clone(), &text)
                    .map_err(|reason| malformed(org, reason))?;
            }
        }
        if found {
            Ok(stored)
        } else {
            Err(SecretError::NotFound {
                org: org.to_string(),
            })
        }
    }
}

/// What [`SecretsManagerSource::put_or_create`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The secret did not exist: it was created with the text.
    Created,
    /// The secret existed: the text is its new current version.
    NewVersion,
}

fn malformed(org: &OrgName, reason: String) -> SecretError {
    SecretError::Malformed {
        org: org.to_string(),
        reason,
    }
}

fn warn_legacy(kinds: &[SecretKind]) {
    let kinds: Vec<String> = kinds.iter().map(ToString::to_string).collect();
    tracing::warn!(
        reads = %kinds.join(","),
        "LegacySingleSecret is on: this function may read the org's whole single secret \
         (hook values, signing keys, Okta credential, named values), though it uses only \
         the kinds listed; split it (`okta-hooks secrets split`) and deploy with \
         LegacySingleSecret=false"
    );
}

impl SecretSource for SecretsManagerSource {
    async fn fetch(&self, org: &OrgName) -> Result<OrgSecret, SecretError> {
        let stored = self.stored(org).await?;
        self.reads
            .resolve(&stored)
            .map_err(|reason| malformed(org, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_receivers_source_asks_for_the_hook_kind_alone_under_any_configuration() {
        let aws = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        for legacy in [false, true] {
            let config = SecretsConfig {
                legacy_single_secret: legacy,
                ..SecretsConfig::default()
            };
            let source = SecretsManagerSource::for_hook_receiver(&aws, &config);
            // With the single secret (legacy) the read returns every section, and the
            // source keeps only these: the documented risk LegacySingleSecret warns of.
            assert_eq!(source.reads().kinds(), [SecretKind::Hook]);
        }
    }
}
