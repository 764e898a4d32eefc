//! Typed models of Okta's objects.
//!
//! Okta adds properties without notice and omits null ones, so every field is optional,
//! enumerations (status, type) stay strings, profiles are open maps, and every object
//! keeps its unknown fields in `extra`: reading and writing back loses nothing (a named
//! field sent as `null` reads as `None` and is written back absent, which Okta treats
//! alike).
//! System Log events come from the `okta-events` crate ([`LogEvent`]).

/// Declares an open Okta object: camelCase, all fields optional, unknown fields kept.
macro_rules! okta_object {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $(
                #[doc = concat!("`", stringify!($field), "`; `None` when Okta omitted it or sent null.")]
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// Fields this model does not name, kept for a lossless round trip.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }
    };
}

mod apps;
mod event_hooks;
mod factors;
mod groups;
mod misc;
mod users;

pub use apps::{AppLink, AppUser, Application};
pub use event_hooks::EventHook;
pub use factors::Factor;
pub use groups::Group;
pub use misc::{Policy, Realm, Role, Session, UserType};
pub use okta_events::LogEvent;
pub use users::{User, UserRisk};

/// A profile: an open map of attribute name to value (custom attributes included).
pub type Profile = serde_json::Map<String, serde_json::Value>;
/// HAL `_links` / `_embedded`: kept as sent.
pub type Links = serde_json::Map<String, serde_json::Value>;
