//! Org secrets in AWS Secrets Manager: one JSON secret per org, named `<prefix><org>`.

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use org_secrets::{OrgName, OrgSecret, SecretError, SecretSource};

/// Reads org secrets from Secrets Manager: org `acme` is the secret `<prefix>acme`.
#[derive(Debug, Clone)]
pub struct SecretsManagerSource {
    client: aws_sdk_secretsmanager::Client,
    prefix: String,
}

impl SecretsManagerSource {
    /// Secrets named `prefix` + org, read through `client`.
    pub fn new(client: aws_sdk_secretsmanager::Client, prefix: impl Into<String>) -> Self {
        SecretsManagerSource {
            client,
            prefix: prefix.into(),
        }
    }

    /// A Secrets Manager client built from the shared AWS configuration.
    pub fn from_config(config: &aws_config::SdkConfig, prefix: impl Into<String>) -> Self {
        Self::new(aws_sdk_secretsmanager::Client::new(config), prefix)
    }

    /// The org secrets as the functions read them: from Secrets Manager under
    /// `secrets.prefix`, through a cache with `secrets`' TTL and refresh age.
    pub fn cache(
        config: &aws_config::SdkConfig,
        secrets: &org_secrets::SecretsConfig,
    ) -> org_secrets::SecretCache<Self> {
        secrets.cache(Self::from_config(config, secrets.prefix.clone()))
    }

    /// The secret id of an org: `okta-hooks/acme` for org `acme` with the default prefix.
    pub fn secret_id(&self, org: &OrgName) -> String {
        format!("{}{}", self.prefix, org)
    }
}

impl SecretsManagerSource {
    /// The org's secret JSON as stored, every section included (the CLI rotates a value
    /// and writes the rest back unchanged). Secret material: never log it.
    pub async fn read_raw(&self, org: &OrgName) -> Result<String, SecretError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(self.secret_id(org))
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
                        reason: DisplayErrorContext(&e).to_string(),
                    }
                }
            })?;
        output
            .secret_string()
            .map(str::to_owned)
            .ok_or_else(|| SecretError::Malformed {
                org: org.to_string(),
                reason: "the secret has no string value".to_owned(),
            })
    }

    /// Stores `text` as the org secret's current version.
    pub async fn write_raw(&self, org: &OrgName, text: &str) -> Result<(), SecretError> {
        self.client
            .put_secret_value()
            .secret_id(self.secret_id(org))
            .secret_string(text)
            .version_stages("AWSCURRENT")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| SecretError::Unavailable {
                org: org.to_string(),
                reason: DisplayErrorContext(&e).to_string(),
            })
    }
}

impl SecretSource for SecretsManagerSource {
    async fn fetch(&self, org: &OrgName) -> Result<OrgSecret, SecretError> {
        let text = self.read_raw(org).await?;
        OrgSecret::from_json(&text).map_err(|reason| SecretError::Malformed {
            org: org.to_string(),
            reason,
        })
    }
}
