//! Action envelopes: one step of a plan, on its way to the executor of its family.
//!
//! Executors hold a powerful Okta credential, so they run only what the router signed:
//! the queue body is `{"kid", "sig", "payload"}` where `payload` is the envelope's JSON as
//! a string and `sig` its HMAC-SHA256 under the key `kid` of the org's secret. Signing the
//! exact string avoids any canonical-JSON question; key ids let a key rotate without a
//! window in which messages in flight are refused.

mod id;
mod model;
mod seal;

pub use id::envelope_id;
pub use model::{Cursor, Envelope, EventRef, Phase};
pub use seal::{OpenError, SealError, open, open_unverified_org, seal};
