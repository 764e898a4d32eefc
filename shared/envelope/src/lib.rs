//! Action envelopes: one step of a plan, on its way to the executor of its family.
//!
//! Executors hold a powerful Okta credential, so they run only what the router signed:
//! the queue body is `{"kid", "sig", "payload"}` where `payload` is the envelope's JSON as
//! a string and `sig` its HMAC-SHA256 under the key `kid` of the org's secret. Signing the
//! exact string avoids any canonical-JSON question; key ids let a key rotate without a
//! window in which messages in flight are refused.
//!
//! Every executor holds that HMAC key (it signs the step it passes on), so the router
//! also signs each plan once with an Ed25519 key only it holds, and executors verify that
//! too once the org lists plan public keys: see [`open_step`] and the `plan` module's
//! wire format ([`seal_plan`] for the router, [`seal_step`] for an executor passing a
//! plan on).

mod id;
mod model;
mod plan;
mod seal;

pub use id::envelope_id;
pub use model::{Cursor, Envelope, EventRef, Phase, RequestRef};
pub use plan::{Opened, PLAN_CONTEXT, SignedPlan, open_step, seal_plan, seal_step, sign_plan};
pub use seal::{OpenError, SealError, open, open_unverified_org, seal};
