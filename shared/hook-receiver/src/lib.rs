//! The two endpoints Okta calls, independent of how HTTP reaches them.
//!
//! - [`VerifyHandler`]: the one-time `GET` verification challenge.
//! - [`IngestHandler`]: every delivery `POST`; authenticates, validates the envelope,
//!   puts each event on the FIFO events queue and parks each event that cannot go there
//!   (with its reason) on the rejects queue.
//!
//! Both take a [`HookRequest`] and give a [`HookResponse`]. The Lambda functions adapt
//! API Gateway requests to these, and `okta-hooks dev` adapts a local HTTP server to the
//! very same handlers.

mod auth;
mod config;
mod error;
mod ingest;
mod reject;
mod request;
mod verify;

pub use auth::Authenticator;
pub use config::{ConfigError, IngestConfig, ReceiverConfig};
pub use error::{EnvelopeError, HookError, JsonError};
pub use ingest::IngestHandler;
pub use reject::{LogOnlyRejects, PARKED_EVENT_BYTES};
pub use request::{HOOK_PATH, HookRequest, HookResponse, org_of_path};
pub use verify::VerifyHandler;
