//! Okta Management API operations, one module per area, each an `impl OktaClient`
//! block. Query parameters are typed structs of optional fields (`None` is not sent,
//! so Okta's own defaults apply); bodies are the models of [`crate::models`].

pub mod apps;
pub mod event_hooks;
pub mod factors;
pub mod groups;
pub mod logs;
pub mod misc;
pub mod raw;
pub mod roles;
pub mod sessions;
pub mod users;

use serde::Serialize;

/// `after` and `limit`: the paging parameters every list takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery {
    /// Opaque cursor; normally taken from a `next` link rather than set by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Page size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
}

/// `sortOrder` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SortOrder {
    /// Ascending.
    #[serde(rename = "asc")]
    Asc,
    /// Descending.
    #[serde(rename = "desc")]
    Desc,
}

/// Whether an empty optional query struct sends nothing (used by endpoints that take
/// only `sendEmail`-like flags).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SendEmail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_email: Option<bool>,
}
