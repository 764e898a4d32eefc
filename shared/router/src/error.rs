//! Why an event could not be routed, and whether trying again can help.
//!
//! A transient error leaves the message on the events queue for the retry; on its last
//! receive, and at once for a permanent error, [`crate::DeadLetters`] puts a letter on the
//! events DLQ that says why. Nothing is dropped, and nothing reaches the DLQ unexplained.

use actions::Family;
use org_secrets::SecretError;
use retry::Failure;

/// Why one events-queue message could not be routed; [`RouteError::failure`] says
/// whether it stays on the queue for a retry or goes to the events DLQ at once.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// Not an events-queue message, or not an event: permanent.
    #[error("malformed events-queue message: {0}")]
    Malformed(String),
    /// The ledger or the counters: transient.
    #[error(transparent)]
    Store(#[from] ports::StoreError),
    /// The subject user could not be looked up (as the error says).
    #[error(transparent)]
    Directory(#[from] ports::DirectoryError),
    /// The org's secret: transient when the store is unavailable, else permanent (an
    /// org without a secret is an unknown org).
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// Permanent until the secret is fixed (then redrive the letter).
    #[error("the secret of org {0} has no signing keys")]
    NoSigningKey(String),
    /// Transient: the org's `signing` lists plan public keys, so its executors run only
    /// router-signed plans, but this router holds no `plan-signing` key to sign with —
    /// most likely a rollout that wrote `plan_keys` before `plan-signing`, which the
    /// retries outlast; if not fixed in time, the last receive letters the event.
    #[error(
        "org {0} lists plan keys (signing.plan_keys) but the router holds no plan-signing \
         key: its executors would refuse every plan"
    )]
    NoPlanKey(String),
    /// Permanent: the secret names a key it does not hold.
    #[error(transparent)]
    Seal(#[from] envelope::SealError),
    /// Permanent: the deployment lacks a queue.
    #[error("no queue is configured for the {} family", .0.as_str())]
    NoQueue(Family),
    /// Transient.
    #[error("the {} queue did not take the envelopes: {reason}", .family.as_str())]
    Queue {
        /// The family whose queue refused. Envelopes already on other families' queues
        /// are sent again on the retry; their deterministic ids keep a step from running
        /// twice.
        family: Family,
        /// Why, as the queue said it ([`fifo_queue::SendError`]'s text).
        reason: String,
    },
    /// The event could not be routed and its letter could not be sent to the DLQ:
    /// transient (the message stays on the queue).
    #[error("{error}; and its letter could not be sent to the events DLQ: {reason}")]
    Letter {
        /// Why the DLQ did not take the letter.
        reason: String,
        /// Why the event was not routed in the first place: the error the letter was for.
        #[source]
        error: Box<RouteError>,
    },
}

impl RouteError {
    /// What retrying can do about it, for [`retry::Policy::decide`]: a transient error
    /// is [`Failure::Retryable`], every other one [`Failure::Permanent`] (it never
    /// succeeds, and the message goes to the DLQ at once rather than after every retry).
    pub fn failure(&self) -> Failure {
        let transient = match self {
            RouteError::Store(_)
            | RouteError::Queue { .. }
            | RouteError::Letter { .. }
            | RouteError::NoPlanKey(_) => true,
            RouteError::Directory(e) => e.transient,
            RouteError::Secret(e) => matches!(e, SecretError::Unavailable { .. }),
            RouteError::Malformed(_)
            | RouteError::NoSigningKey(_)
            | RouteError::Seal(_)
            | RouteError::NoQueue(_) => false,
        };
        if transient {
            Failure::Retryable
        } else {
            Failure::Permanent
        }
    }

    /// Whether routing the same message again may succeed ([`Self::failure`] is not
    /// permanent).
    pub fn is_transient(&self) -> bool {
        self.failure() != Failure::Permanent
    }
}
