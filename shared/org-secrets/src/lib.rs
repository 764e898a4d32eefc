//! Per-org secrets: one JSON secret per Okta org holds its hook auth header (current and
//! previous value), and later its Okta credential and envelope signing keys.
//!
//! - [`OrgSecret`] and [`HookAuth`]: the secret's format; values sit in a redacting type.
//! - [`SecretSource`]: the port an adapter (Secrets Manager, or a static map) implements.
//! - [`SecretCache`]: a TTL cache in front of a source, with a forced re-read for rotation.

mod cache;
mod hook_auth;
mod model;
mod okta;
mod org;
mod signing;
mod source;

pub use cache::SecretCache;
pub use hook_auth::HookAuth;
pub use model::OrgSecret;
pub use okta::OktaCredential;
pub use org::{OrgName, OrgNameError};
pub use signing::{MIN_SIGNING_KEY_LEN, SigningKeys};
pub use source::{SecretError, SecretSource, StaticSecrets};
