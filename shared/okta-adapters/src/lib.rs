//! Adapters over the Okta client: one client per org, built from the org's secret (the
//! step runner's [`ports::OktaAccess`]), and the router's [`ports::Directory`] (the
//! subject user for enrichment). Their in-memory twins are in [`memory`] (feature
//! `memory`).

mod clients;
mod directory;
#[cfg(feature = "memory")]
pub mod memory;

pub use clients::{CredentialError, OktaClientError, OktaClients, okta_config};
pub use directory::OktaDirectory;
