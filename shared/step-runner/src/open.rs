//! Opening a queue body: nothing in it is trusted until the signatures check out under
//! the signing keys of the org it names — the HMAC, and once the org lists plan keys the
//! router's signature of the plan ([`envelope::open_step`]).

use envelope::{OpenError, Opened, open_step, open_unverified_org};
use org_secrets::{KeyReread, SecretCache, SecretError, SecretSource};
use rules::Plan;

use crate::{Backoff, Retry};

/// Why a body is refused unopened (to the DLQ, no Okta call).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("envelope refused: {0}")]
pub struct Refused(pub String);

/// Verifies `body` with the keys of the org it names; the opened envelope comes with the
/// router's signed plan, to be passed on unchanged with the next step.
///
/// A key id the cached secret lacks (an HMAC key, or a plan key) makes one re-read of
/// the secret, whatever its age (a key added and made active in one edit is used by the
/// router at once), and the envelope is refused only if the fresh secret lacks the key
/// too. A key id already
/// re-read for is refused with no read; when no re-read can be made now (too many for
/// unknown keys lately, or the store is down) the message is retried later, never
/// refused, so a good envelope does not land on the DLQ (after `backoff`'s wait for
/// this receive).
pub(crate) async fn open_envelope<S: SecretSource>(
    secrets: &SecretCache<S>,
    body: &str,
    receive_count: u32,
    backoff: Backoff,
) -> Result<Result<Opened<Plan>, Refused>, Retry> {
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
        Err(e) => return Err(Retry::soon(backoff, receive_count, e)),
    };
    let Some(signing) = secret.signing.as_ref() else {
        return refused(&format!("org {org} has no signing keys"));
    };
    let (kid, unknown) = match open_step::<Plan>(body, signing) {
        Ok(opened) => return Ok(Ok(opened)),
        Err(e) => match unknown_kid(&e) {
            Some(kid) => (kid, e.to_string()),
            None => return refused(&e.to_string()),
        },
    };
    match secrets.reread_for_key(&org, &kid).await {
        Ok(KeyReread::Secret(fresh)) => match fresh.signing.as_ref() {
            Some(keys) => match open_step::<Plan>(body, keys) {
                Ok(opened) => {
                    tracing::info!(%org, kid = %kid, "signing key new to this executor: secret re-read");
                    Ok(Ok(opened))
                }
                Err(e) => refused(&e.to_string()),
            },
            None => refused(&format!("org {org} has no signing keys")),
        },
        Ok(KeyReread::AlreadyTried) => refused(&unknown),
        Ok(KeyReread::NotNow) => Err(Retry::soon(
            backoff,
            receive_count,
            format!("{unknown}; the secret cannot be re-read now"),
        )),
        Err(e @ (SecretError::NotFound { .. } | SecretError::Malformed { .. })) => {
            refused(&e.to_string())
        }
        Err(e) => Err(Retry::soon(backoff, receive_count, e)),
    }
}

/// The key id to re-read the secret for, when `e` is an unknown key: `kid` for an HMAC
/// key, `plan:kid` for a plan key (so that the two never share a re-read).
fn unknown_kid(e: &OpenError) -> Option<String> {
    match e {
        OpenError::UnknownKey(kid) => Some(kid.clone()),
        OpenError::UnknownPlanKey(kid) => Some(format!("plan:{kid}")),
        _ => None,
    }
}
