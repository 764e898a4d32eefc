//! Per-org secrets: one JSON secret per Okta org holds its hook auth header (current and
//! previous value), and later its Okta credential and envelope signing keys.
//!
//! - [`OrgSecret`] and [`HookAuth`]: the secret's format; values sit in a redacting type.
//! - [`SecretSource`]: the port an adapter (Secrets Manager, or a static map) implements.
//! - [`SecretCache`]: a bounded TTL cache in front of a source, with a forced re-read for
//!   rotation (of a hook value, a credential, a signing key).
//! - [`SecretsConfig`]: where the secrets live and how long a read is trusted
//!   (`OKTA_HOOKS_SECRET_*`), read in one place for every function.
//! - [`KnownOrgs`]: the orgs a deployment serves (`OKTA_HOOKS_ORGS`), so an org nobody
//!   configured costs no secret read.

mod cache;
mod config;
mod hook_auth;
mod known;
#[cfg(any(test, feature = "memory"))]
mod memory;
mod model;
mod okta;
mod org;
mod signing;
mod source;

pub use cache::{DEFAULT_CAPACITY, KeyReread, MAX_KEY_REREADS, MAX_NOT_FOUND, SecretCache};
pub use config::SecretsConfig;
pub use hook_auth::HookAuth;
pub use known::{KnownOrgs, MAX_ORGS};
#[cfg(any(test, feature = "memory"))]
pub use memory::StaticSecrets;
pub use model::OrgSecret;
pub use okta::OktaCredential;
pub use org::{OrgName, OrgNameError};
pub use signing::{MIN_SIGNING_KEY_LEN, SigningKeys};
pub use source::{SecretError, SecretSource};
