//! The System Log: bounded queries (pages end) and polling (pages never end).

use serde::Serialize;

use crate::client::OktaClient;
use crate::error::{OktaError, Result};
use crate::models::LogEvent;
use crate::pagination::{LogCursor, Paged};
use crate::request::with_query;

/// `sortOrder` of the System Log (upper case, unlike other lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogSortOrder {
    /// Oldest first (default); required for polling.
    Ascending,
    /// Newest first.
    Descending,
}

/// Query of `GET /api/v1/logs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogQuery {
    /// ISO 8601 lower bound (default: 7 days before `until`). Not with `after`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// ISO 8601 upper bound; set it for a bounded query, leave it out to poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Opaque cursor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// SCIM filter, e.g. `eventType eq "user.lifecycle.create"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Keywords (each ≤ 40 characters, at most 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Page size, 0–1000 (default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// Order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<LogSortOrder>,
}

impl OktaClient {
    /// `GET /api/v1/logs` as a bounded query (give `since` and `until`): its pages end.
    pub fn query_logs(&self, query: &LogQuery) -> Result<Paged<LogEvent>> {
        let url = with_query(self.url(&["api", "v1", "logs"])?, query)?;
        Ok(Paged::new(self.clone(), url))
    }

    /// The cursor of a first poll. Refuses a query that would not be a polling query
    /// (an `until`, or descending order), whose pages end and would lose the position.
    pub fn log_poll_start(&self, query: &LogQuery) -> Result<LogCursor> {
        if query.until.is_some() || query.sort_order == Some(LogSortOrder::Descending) {
            return Err(OktaError::InvalidRequest(
                "a System Log polling query has no `until` and ascending order".into(),
            ));
        }
        // Ascending is Okta's default, but polling depends on it: say so on the wire.
        let query = LogQuery {
            sort_order: Some(LogSortOrder::Ascending),
            ..query.clone()
        };
        let url = with_query(self.url(&["api", "v1", "logs"])?, &query)?;
        Ok(LogCursor::Start(url))
    }
}
