//! One Okta client per org, built from the `okta` section of the org's secret.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use okta_client::{
    AuthConfig, DryRun, KeyAlgorithm, OAuthConfig, OktaClient, OktaConfig, OktaError, RequestLog,
};
use org_secrets::{OktaCredential, OrgName, SecretCache, SecretError, SecretKind, SecretSource};
use ports::{AccessError, OktaAccess};
use tokio::sync::Mutex;

/// Why an org's Okta client could not be had.
#[derive(Debug, thiserror::Error)]
pub enum OktaClientError {
    /// The org's secret could not be read (see [`SecretError`]).
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The org's secret has no `okta` section.
    #[error("the secret of org {0} has no okta credential")]
    NoCredential(OrgName),
    /// The org has none of the secrets its Okta credential is read from
    /// ([`OktaClients::naming_credential_secrets`]): the message names them, so whoever
    /// reads the failure knows which secret to create (`okta-hooks/acme/okta-users`).
    #[error("org {org} has no Okta credential: create the secret {}", .secrets.join(" or "))]
    NoCredentialSecret {
        /// The org asked for.
        org: OrgName,
        /// The secret ids its credential is read from, in the order tried.
        secrets: Vec<String>,
    },
    /// The `okta` section makes no client.
    #[error("the okta credential of org {org} is unusable: {source}")]
    Invalid {
        /// The org whose secret it is.
        org: OrgName,
        /// What is wrong with the credential.
        #[source]
        source: CredentialError,
    },
}

/// Why an `okta` credential makes no client.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// `key_alg` is neither `RS256` nor `ES256`.
    #[error("key_alg must be RS256 or ES256, not {0}")]
    KeyAlgorithm(String),
    /// Neither an API token nor a client id with its private key.
    #[error("give api_token, or client_id and private_key")]
    Incomplete,
    /// The client library refused it (an org URL that is not one, a key that does not
    /// parse).
    #[error(transparent)]
    Client(#[from] OktaError),
}

/// Builds the client configuration a credential describes.
pub fn okta_config(
    credential: &OktaCredential,
    agent: &str,
) -> Result<OktaConfig, CredentialError> {
    let auth = match (
        &credential.api_token,
        &credential.client_id,
        &credential.private_key,
    ) {
        (Some(token), _, _) => AuthConfig::ApiToken(token.clone()),
        (None, Some(client_id), Some(key)) => AuthConfig::OAuth(OAuthConfig {
            client_id: client_id.clone(),
            private_key_pem: key.clone(),
            algorithm: match credential.key_alg.as_deref().unwrap_or("RS256") {
                "RS256" => KeyAlgorithm::Rs256,
                "ES256" => KeyAlgorithm::Es256,
                other => return Err(CredentialError::KeyAlgorithm(other.to_owned())),
            },
            key_id: credential.key_id.clone(),
            scopes: credential.scopes.clone(),
            dpop: credential.dpop,
        }),
        _ => return Err(CredentialError::Incomplete),
    };
    let mut config = OktaConfig::new(&credential.org_url, auth)?;
    config.user_agent_suffix = Some(agent.to_owned());
    Ok(config)
}

/// Clients by org, built on first use and kept while the org's credential stays the same
/// (one TLS client each, token cache included); a rotated credential, once the secret
/// cache has it, gets a new client.
///
/// Bounded like the secret cache: at most [`SecretCache::capacity`] clients of each
/// kind (an org only gets one once its secret was found, and with known orgs only those
/// have one); past that, one is dropped for the new one.
pub struct OktaClients<S> {
    secrets: Arc<SecretCache<S>>,
    agent: String,
    clients: Mutex<HashMap<OrgName, Built>>,
    /// Dry-run clients: reads go to Okta, writes are recorded and logged, not sent.
    dry_runs: Mutex<HashMap<OrgName, Built>>,
    /// The secret prefix and the kinds the credential is read from, to name in the
    /// error when an org has none; `None`: [`OktaClientError::NoCredential`].
    credential_secrets: Option<(String, Vec<SecretKind>)>,
    /// Each request's timeout, when not the client's default (30 s).
    request_timeout: Option<Duration>,
}

/// A client and the fingerprint of the credential it was built from: when the secret
/// cache brings a rotated credential, the next call builds a new client.
struct Built {
    credential: u64,
    client: OktaClient,
}

/// A hash of the credential's fields (in memory only, to notice a rotation).
fn fingerprint(credential: &OktaCredential) -> u64 {
    use secrecy::ExposeSecret;
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    credential.org_url.hash(&mut h);
    credential
        .api_token
        .as_ref()
        .map(ExposeSecret::expose_secret)
        .hash(&mut h);
    credential.client_id.hash(&mut h);
    credential
        .private_key
        .as_ref()
        .map(ExposeSecret::expose_secret)
        .hash(&mut h);
    credential.key_alg.hash(&mut h);
    credential.key_id.hash(&mut h);
    credential.scopes.hash(&mut h);
    credential.dpop.hash(&mut h);
    h.finish()
}

impl<S: SecretSource> OktaClients<S> {
    /// `agent` names the function in the `User-Agent`.
    pub fn new(secrets: Arc<SecretCache<S>>, agent: &str) -> Self {
        OktaClients {
            secrets,
            agent: agent.to_owned(),
            clients: Mutex::new(HashMap::new()),
            dry_runs: Mutex::new(HashMap::new()),
            credential_secrets: None,
            request_timeout: None,
        }
    }

    /// Each Okta request gives up after `timeout` (a retryable timeout), instead of the
    /// client's default 30 s. A function must wait less for one call than its own
    /// timeout, or a hung call ends the whole invocation instead of its step.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// An org without a credential fails with [`OktaClientError::NoCredentialSecret`],
    /// naming `<prefix><org>/<kind>` of each of `kinds` (the function's
    /// `SecretReads::okta_kinds`), instead of [`OktaClientError::NoCredential`]. For the
    /// split secrets only: the single secret of before the split has no such names.
    #[must_use]
    pub fn naming_credential_secrets(mut self, prefix: &str, kinds: &[SecretKind]) -> Self {
        self.credential_secrets = (!kinds.is_empty()).then(|| (prefix.to_owned(), kinds.to_vec()));
        self
    }

    fn no_credential(&self, org: &OrgName) -> OktaClientError {
        match &self.credential_secrets {
            Some((prefix, kinds)) => OktaClientError::NoCredentialSecret {
                org: org.clone(),
                secrets: kinds.iter().map(|k| k.secret_id(prefix, org)).collect(),
            },
            None => OktaClientError::NoCredential(org.clone()),
        }
    }

    /// The org's client, built from its secret's `okta` credential on first use and
    /// again after a rotation.
    pub async fn client(&self, org: &OrgName) -> Result<OktaClient, OktaClientError> {
        self.cached(&self.clients, org, None).await
    }

    /// The org's dry-run client: it reads from Okta (real ids for later steps) and
    /// records every write in its [`RequestLog`] instead of sending it.
    pub async fn dry_run_client(&self, org: &OrgName) -> Result<OktaClient, OktaClientError> {
        let dry_run = DryRun::with_live_reads(RequestLog::new());
        self.cached(&self.dry_runs, org, Some(dry_run)).await
    }

    async fn cached(
        &self,
        cache: &Mutex<HashMap<OrgName, Built>>,
        org: &OrgName,
        dry_run: Option<DryRun>,
    ) -> Result<OktaClient, OktaClientError> {
        // The secret cache answers from memory while its entry is fresh.
        let secret = self.secrets.get(org).await?;
        let credential = secret
            .okta
            .as_ref()
            .ok_or_else(|| self.no_credential(org))?;
        let print = fingerprint(credential);
        if let Some(built) = cache.lock().await.get(org)
            && built.credential == print
        {
            return Ok(built.client.clone());
        }
        let invalid = |source: CredentialError| OktaClientError::Invalid {
            org: org.clone(),
            source,
        };
        let mut config = okta_config(credential, &self.agent).map_err(invalid)?;
        config.dry_run = dry_run;
        if let Some(timeout) = self.request_timeout {
            config.timeout = timeout;
        }
        let client = OktaClient::new(config).map_err(|e| invalid(e.into()))?;
        let built = Built {
            credential: print,
            client: client.clone(),
        };
        let mut clients = cache.lock().await;
        if !clients.contains_key(org) && clients.len() >= self.secrets.capacity() {
            let evicted = clients.keys().next().cloned();
            if let Some(evicted) = evicted {
                clients.remove(&evicted);
            }
        }
        clients.insert(org.clone(), built);
        Ok(client)
    }

    /// How many live and dry-run clients are held now.
    pub async fn cached_clients(&self) -> usize {
        self.clients.lock().await.len() + self.dry_runs.lock().await.len()
    }

    /// Okta refused the credential (`401`): re-read the org's secret, unless it was read
    /// moments ago, and build the next client from it. `true` when it was re-read.
    pub async fn renew(&self, org: &OrgName) -> bool {
        match self.secrets.refresh(org).await {
            Some(Ok(_)) => {
                self.clients.lock().await.remove(org);
                self.dry_runs.lock().await.remove(org);
                true
            }
            Some(Err(e)) => {
                tracing::warn!(org = %org, error = %e, "the org secret could not be re-read");
                false
            }
            None => false,
        }
    }
}

/// The step runner reaches Okta through this: [`OktaClients::client`] or, for a dry run,
/// [`OktaClients::dry_run_client`].
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

/// The port's error, keeping this one as its source: only a secret store that could
/// not be reached is worth a retry.
fn access_error(e: OktaClientError) -> AccessError {
    let retryable = matches!(e, OktaClientError::Secret(SecretError::Unavailable { .. }));
    AccessError::caused_by(e, retryable)
}
