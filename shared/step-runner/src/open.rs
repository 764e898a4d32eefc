//! Opening a queue body: nothing in it is trusted until the signature checks out under
//! the signing keys of the org it names.

use envelope::{Envelope, OpenError, open, open_unverified_org};
use org_secrets::{KeyReread, SecretCache, SecretError, SecretSource};
use rules::Plan;

use crate::Retry;

/// Why a body is refused unopened (to the DLQ, no Okta call).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("envelope refused: {0}")]
pub struct Refused(pub String);

/// Verifies `body` with the keys of the org its payload names.
///
/// A key id the cached secret lacks makes one re-read of the secret, whatever its age
/// (a key added and made active in one edit is used by the router at once), and the
/// envelope is refused only if the fresh secret lacks the key too. A key id already
/// re-read for is refused with no read; when no re-read can be made now (too many for
/// unknown keys lately, or the store is down) the message is retried later, never
/// refused, so a good envelope does not land on the DLQ.
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
        // A missing org, or one that is no valid org name ("an org name is 1 to 64 …").
        Err(OpenError::Malformed(e)) => {
            return refused(&format!("the payload names no valid org: {e}"));
        }
        Err(e) => return refused(&e.to_string()),
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
    let kid = match open::<Plan>(body, signing) {
        Ok(envelope) => return Ok(Ok(envelope)),
        Err(OpenError::UnknownKey(kid)) => kid,
        Err(e) => return refused(&e.to_string()),
    };
    let unknown = OpenError::UnknownKey(kid.clone()).to_string();
    match secrets.reread_for_key(&org, &kid).await {
        Ok(KeyReread::Secret(fresh)) => match fresh.signing.as_ref() {
            Some(keys) => match open::<Plan>(body, keys) {
                Ok(envelope) => {
                    tracing::info!(%org, kid = %kid, "signing key new to this executor: secret re-read");
                    Ok(Ok(envelope))
                }
                Err(e) => refused(&e.to_string()),
            },
            None => refused(&format!("org {org} has no signing keys")),
        },
        Ok(KeyReread::AlreadyTried) => refused(&unknown),
        Ok(KeyReread::NotNow) => Err(Retry::soon(
            receive_count,
            format!("{unknown}; the secret cannot be re-read now"),
        )),
        Err(e @ (SecretError::NotFound { .. } | SecretError::Malformed { .. })) => {
            refused(&e.to_string())
        }
        Err(e) => Err(Retry::soon(receive_count, e)),
    }
}
