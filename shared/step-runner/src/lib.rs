//! The executors' domain: one step of a plan, from its signed envelope to the Okta call
//! and on to the next step.
//!
//! Per message ([`StepRunner::run`]):
//!
//! 1. **open**: the envelope's HMAC is checked with the org's signing keys, and, once the
//!    org lists plan public keys, the router's Ed25519 signature of the plan and that the
//!    progress belongs to it ([`envelope::open_step`]); an unsigned, tampered, forged
//!    (HMAC-only, or signed by anyone but the router) or unknown-key body goes to the DLQ
//!    unopened, with no Okta call;
//! 2. **claim**: an idempotency record keyed by the envelope id ([`StepRecords`]); a step
//!    already done runs nothing (its next step is sent again, which the FIFO dedup and the
//!    next step's own record absorb, so a crash between "done" and "sent" loses nothing);
//! 3. **act**: deferred parameters rendered from earlier steps' outputs, protected users
//!    and groups re-checked, Okta's rate-limit headroom checked, the action run;
//! 4. **record and pass on**: secret outputs dropped or sealed ([`sealed`]), the output
//!    recorded, the next step sent to its family's queue with the same FIFO group — the
//!    router's signed plan copied unchanged, the new progress HMAC-signed here
//!    ([`envelope::seal_step`]); after a permanent failure the envelope and the reason go to the DLQ and the
//!    rule's `on_failure` steps start.
//!
//! Retries are the queue's: a [`Retry`] tells the Lambda layer how long to keep the
//! message invisible (Okta's rate-limit reset for a 429, a growing backoff for 5xx and
//! timeouts). Nothing here sleeps.

mod audit;
mod builder;
mod failure;
mod next;
mod open;
mod results;
mod runner;
pub mod sealed;

pub use builder::{Missing, Queues, StepRunnerBuilder};
pub use failure::{Attempts, Backoff, Retry};
pub use next::{current_step, next_step, on_failure_start};
pub use runner::{Ran, Settings, StepRunner};
