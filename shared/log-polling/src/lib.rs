//! The System Log poller's domain: the safety net behind the event hook.
//!
//! Okta retries a hook delivery once, drops events past 400,000 a day, and never sends
//! some types to hooks at all (`security.threat.detected`). The System Log has them all.
//! Each run of [`Poller::poll_org`]:
//!
//! 1. loads the org's stored `next` link and its version from a [`CursorStore`] (on the
//!    first run: a polling query with `since` = now − the look-back);
//! 2. reads pages, filtered to the rules' event types plus the alert types
//!    ([`EventFilter`]), while the time budget allows another page;
//! 3. sends every event of the rules' types of a page to the events queue (dedup id =
//!    `uuid`, group = subject: the same messages the hook makes), and only then
//!    advances the cursor to that page's `next` link, conditionally on the version it
//!    loaded — two overlapping runs cannot both advance it;
//! 4. on a `429`, stores "not before the reset" and ends: the next scheduled run waits.
//!
//! A crash between sending and advancing resends the same page next time: the FIFO
//! dedup and the router's ledger absorb it, so nothing is lost and no action runs twice.
//! Each run returns a [`PollReport`], printed as CloudWatch Embedded Metric Format.

mod alerts;
mod error;
mod filter;
mod metrics;
mod poll;

pub use alerts::{ALERT_TYPES, Alert, alert_of};
pub use error::PollError;
pub use filter::{EventFilter, MAX_FILTER_QUERY_BYTES};
pub use metrics::{METRICS_NAMESPACE, PollOutcome, PollReport};
pub use poll::{Clock, PollSettings, Poller};
