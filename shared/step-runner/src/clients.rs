//! [`OktaAccess`] over the org secrets: one client per org, built from its credential.

use okta_adapters::{OktaClientError, OktaClients};
use okta_client::OktaClient;
use org_secrets::{OrgName, SecretError, SecretSource};

use crate::{AccessError, OktaAccess};

impl<S: SecretSource> OktaAccess for OktaClients<S> {
    async fn client(&self, org: &OrgName, dry_run: bool) -> Result<OktaClient, AccessError> {
        let client = OktaClients::client(self, org).await.map_err(access_error)?;
        if dry_run {
            return dry_run_client(&client);
        }
        Ok(client)
    }

    async fn renew(&self, org: &OrgName) -> bool {
        OktaClients::renew(self, org).await
    }
}

fn access_error(e: OktaClientError) -> AccessError {
    let retryable = matches!(e, OktaClientError::Secret(SecretError::Unavailable { .. }));
    AccessError {
        message: e.to_string(),
        retryable,
    }
}

fn dry_run_client(_client: &OktaClient) -> Result<OktaClient, AccessError> {
    Err(AccessError {
        message: "dry run against a real org is not available in this build".into(),
        retryable: false,
    })
}
