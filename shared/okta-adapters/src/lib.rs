//! Adapters over the Okta client: one client per org, built from the org's secret, and
//! the router's [`router::Directory`] (the subject user for enrichment).

mod clients;
mod directory;

pub use clients::{OktaClientError, OktaClients, okta_config};
pub use directory::OktaDirectory;
