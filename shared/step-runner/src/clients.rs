//! [`OktaAccess`] over the org secrets: one client per org, built from its credential.

use okta_adapters::{OktaClientError, OktaClients};
use okta_client::OktaClient;
use org_secrets::{OrgName, SecretError, SecretSource};

use crate::{AccessError, OktaAccess};

impl<S: SecretSource> OktaAccess for OktaClients<S> {
    async fn client(&self, org: &OrgName, dry_run: bool) -> Result<OktaClient, AccessError> {
        let client = if dry_run {
            OktaClients::dry_run_client(self, org).await
        } else {
            OktaClients::client(self, org).await
        };
        client.map_err(access_error)
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
