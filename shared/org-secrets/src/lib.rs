//! Per-org secrets, split by who needs them: one Secrets Manager secret per org and
//! [`SecretKind`] (`hook`, `signing`, `okta`, `okta-read`, `okta-<family>`, `named`), so
//! each function's role reads only its kinds ([`SecretReads`]); the single secret of
//! before the split still loads (`LegacySingleSecret`).
//!
//! - [`SecretKind`], [`StoredSecrets`]: the kinds and their JSON as stored, either shape.
//! - [`SecretReads`]: what one function reads, and the [`OrgSecret`] it then holds.
//! - [`OrgSecret`] and [`HookAuth`], [`SigningKeys`], [`OktaCredential`]: the sections;
//!   values sit in a redacting type.
//! - [`PlanSigningKeys`]: the router's private Ed25519 plan keys (`plan-signing`), held
//!   inside its [`SigningKeys`] ([`OrgSecret::plan_signing`]); [`generate_plan_key`].
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
mod kind;
mod known;
#[cfg(any(test, feature = "memory"))]
mod memory;
mod model;
mod okta;
mod org;
mod plan_keys;
mod reads;
mod signing;
mod source;
mod stored;

pub use cache::{DEFAULT_CAPACITY, KeyReread, MAX_KEY_REREADS, MAX_NOT_FOUND, SecretCache};
pub use config::SecretsConfig;
pub use hook_auth::HookAuth;
pub use kind::{FamilyName, SecretKind, legacy_secret_id};
pub use known::{KnownOrgs, MAX_ORGS};
#[cfg(any(test, feature = "memory"))]
pub use memory::StaticSecrets;
pub use model::OrgSecret;
pub use okta::OktaCredential;
pub use org::{OrgName, OrgNameError};
pub use plan_keys::{PLAN_KEY_LEN, PlanKeyError, PlanKeyPair, PlanSigningKeys, generate_plan_key};
pub use reads::{ExecutorCredentials, SecretReads};
pub use signing::{MIN_SIGNING_KEY_LEN, SigningKeys};
pub use source::{SecretError, SecretSource};
pub use stored::StoredSecrets;
