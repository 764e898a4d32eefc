//! Opening a queue body: nothing in it is trusted until the signature checks out under
//! the signing keys of the org it names.

use envelope::{Envelope, OpenError, open, open_unverified_org};
use org_secrets::{OrgName, SecretCache, SecretError, SecretSource};
use rules::Plan;

use crate::Retry;

/// Why a body is refused unopened (to the DLQ, no Okta call).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("envelope refused: {0}")]
pub struct Refused(pub String);

/// Verifies `body` with the keys of the org its payload names. An unknown key id makes
/// one re-read of the secret (the keys may just have rotated) before refusing.
pub(crate) async fn open_envelope<S: SecretSource>(
    secrets: &SecretCache<S>,
    body: &str,
    receive_count: u32,
) -> Result<Result<Envelope<Plan>, Refused>, Retry> {
    let refused = |why: &str| Ok(Err(Refused(why.to_owned())));
    // The only thing read before verification: whose keys to verify with.
    let org = match open_unverified_org(body) {
        Ok(org) => org,
        Err(OpenError::Unsigned) => return refused("not a signed envelope"),
        Err(_) => return refused("the payload names no org"),
    };
    let Ok(org) = OrgName::parse(&org) else {
        return refused("the payload's org is not a valid org name");
    };
    let secret = match secrets.get(&org).await {
        Ok(secret) => secret,
        Err(e @ (SecretError::NotFound { .. } | SecretError::Malformed { .. })) => {
            return refused(&e.to_string());
        }
        Err(e) => return Err(Retry::soon(receive_count, e)),
    };
    let Some(signing) = secret.signing.as_ref() else {
        return refused(&format!("org {org} has no signing keys"));
    };
    match open::<Plan>(body, signing) {
        Ok(envelope) => Ok(Ok(envelope)),
        Err(unknown @ OpenError::UnknownKey(_)) => match secrets.refresh(&org).await {
            Some(Ok(fresh)) => match fresh.signing.as_ref().map(|k| open::<Plan>(body, k)) {
                Some(Ok(envelope)) => Ok(Ok(envelope)),
                Some(Err(e)) => refused(&e.to_string()),
                None => refused(&format!("org {org} has no signing keys")),
            },
            Some(Err(e)) => Err(Retry::soon(receive_count, e)),
            None => refused(&unknown.to_string()),
        },
        Err(e) => refused(&e.to_string()),
    }
}
