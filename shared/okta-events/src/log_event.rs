//! The System Log `LogEvent`: what `data.events[]` of a delivery and `GET /api/v1/logs` hold.
//!
//! Okta adds properties without notice and may omit those that are null, so every field is
//! optional and every object keeps its unknown fields in `extra`. Enumerations (severity,
//! credential type, …) stay strings: a new value must not make an event unreadable.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Serde attribute shorthand: absent or null reads as `None`, `None` is not written.
macro_rules! log_object {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[doc = concat!(
                    "Okta's `", stringify!($field), "` (camelCase in the JSON); `None` when absent or null."
                )]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            /// Fields this model does not name, kept for a lossless round trip.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
    };
}

/// A value Okta documents as a string but sometimes sends as a number (`version`,
/// `postalCode`). It re-serialises as it came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StringOrNumber {
    /// Sent as a JSON string.
    String(String),
    /// Sent as a JSON number.
    Number(serde_json::Number),
}

impl StringOrNumber {
    /// The value as text, whichever form it came in.
    pub fn to_text(&self) -> String {
        match self {
            StringOrNumber::String(s) => s.clone(),
            StringOrNumber::Number(n) => n.to_string(),
        }
    }
}

log_object! {
    /// One System Log event.
    LogEvent {
        uuid: String,
        published: String,
        event_type: String,
        version: StringOrNumber,
        severity: String,
        display_message: String,
        legacy_event_type: String,
        actor: LogActor,
        client: LogClient,
        device: Value,
        outcome: LogOutcome,
        target: Vec<LogTarget>,
        transaction: LogTransaction,
        debug_context: LogDebugContext,
        authentication_context: LogAuthenticationContext,
        security_context: LogSecurityContext,
        request: LogRequest,
        insertion_timestamp: String,
    }
}

log_object! {
    /// Who did it: a user, an app, or Okta itself.
    LogActor {
        id: String,
        #[serde(rename = "type")]
        kind: String,
        alternate_id: String,
        display_name: String,
        detail_entry: Map<String, Value>,
    }
}

log_object! {
    /// What it was done to.
    LogTarget {
        id: String,
        #[serde(rename = "type")]
        kind: String,
        alternate_id: String,
        display_name: String,
        detail_entry: Map<String, Value>,
        change_details: Value,
    }
}

log_object! {
    /// The client that made the request.
    LogClient {
        id: String,
        user_agent: UserAgent,
        /// Often the string `"null"`; see [`LogClient::zone_name`].
        zone: String,
        device: String,
        ip_address: String,
        geographical_context: GeographicalContext,
        ip_chain: Vec<IpAddress>,
    }
}

impl LogClient {
    /// The network zone, treating Okta's literal string `"null"` as no zone.
    pub fn zone_name(&self) -> Option<&str> {
        self.zone
            .as_deref()
            .filter(|z| *z != "null" && !z.is_empty())
    }
}

log_object! {
    /// The client's browser and OS, as Okta parsed its `User-Agent`.
    UserAgent {
        raw_user_agent: String,
        os: String,
        browser: String,
    }
}

log_object! {
    /// Where Okta placed an IP address.
    GeographicalContext {
        city: String,
        state: String,
        country: String,
        postal_code: StringOrNumber,
        geolocation: GeoLocation,
    }
}

log_object! {
    /// Kept as JSON numbers so `20` does not come back as `20.0`.
    GeoLocation {
        lat: serde_json::Number,
        lon: serde_json::Number,
    }
}

log_object! {
    /// One hop of `request.ipChain` (or `client.ipChain`).
    IpAddress {
        ip: String,
        version: String,
        source: String,
        geographical_context: GeographicalContext,
        ip_details: Value,
    }
}

log_object! {
    /// How it ended: `result` (`SUCCESS`, `FAILURE`, `DENY`, …) and Okta's reason.
    LogOutcome {
        result: String,
        reason: String,
    }
}

log_object! {
    /// The request or job the event belongs to.
    LogTransaction {
        #[serde(rename = "type")]
        kind: String,
        id: String,
        detail: Map<String, Value>,
    }
}

log_object! {
    /// `debugData` is free-form: Okta says its keys are not a stable contract.
    LogDebugContext {
        debug_data: Map<String, Value>,
    }
}

log_object! {
    /// How the actor authenticated.
    LogAuthenticationContext {
        authentication_provider: String,
        credential_provider: String,
        credential_type: String,
        issuer: LogIssuer,
        authentication_step: i64,
        external_session_id: String,
        root_session_id: String,
        interface: String,
    }
}

log_object! {
    /// Who issued the credential the actor used.
    LogIssuer {
        id: String,
        #[serde(rename = "type")]
        kind: String,
    }
}

log_object! {
    /// What Okta knows of the request's network (AS number, ISP, proxy).
    LogSecurityContext {
        as_number: i64,
        as_org: String,
        isp: String,
        domain: String,
        is_proxy: bool,
        risk: Value,
        user_behaviors: Value,
        bot_protection: Value,
        ip_details: Value,
    }
}

log_object! {
    /// The HTTP request behind the event.
    LogRequest {
        ip_chain: Vec<IpAddress>,
    }
}

impl LogEvent {
    /// Targets whose `type` is `kind` (`"User"`, `"UserGroup"`, `"AppInstance"`, …).
    pub fn targets_of_type<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = &'a LogTarget> + 'a {
        self.target
            .iter()
            .flatten()
            .filter(move |t| t.kind.as_deref() == Some(kind))
    }

    /// The first target of type `kind`.
    pub fn target_of_type(&self, kind: &str) -> Option<&LogTarget> {
        self.target
            .iter()
            .flatten()
            .find(|t| t.kind.as_deref() == Some(kind))
    }

    /// The FIFO group id: the first `User` target's id, else the actor's id.
    pub fn subject_id(&self) -> Option<&str> {
        let targets = self
            .target
            .iter()
            .flatten()
            .filter_map(|t| Some((t.kind.as_deref()?, t.id.as_deref()?)));
        let actor = self.actor.as_ref().and_then(|a| a.id.as_deref());
        crate::subject_of(targets, actor)
    }

    /// A `debugData` value as text, if present.
    pub fn debug_value(&self, key: &str) -> Option<&Value> {
        self.debug_context.as_ref()?.debug_data.as_ref()?.get(key)
    }
}
