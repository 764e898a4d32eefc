//! Why an event could not be routed. Every variant leaves the message on the events
//! queue: retried, then moved to its DLQ, never dropped.

use actions::Family;

#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// Not an events-queue message; it will end in the DLQ.
    #[error("malformed events-queue message: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] crate::StoreError),
    #[error(transparent)]
    Secret(#[from] org_secrets::SecretError),
    #[error("the secret of org {0} has no signing keys")]
    NoSigningKey(String),
    #[error(transparent)]
    Seal(#[from] envelope::SealError),
    #[error("no queue is configured for the {} family", .0.as_str())]
    NoQueue(Family),
    #[error("the {} queue did not take the envelopes: {reason}", .family.as_str())]
    Queue { family: Family, reason: String },
}
