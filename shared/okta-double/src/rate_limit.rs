//! Rate-limit buckets per endpoint family, on the double's clock.
//!
//! Like Okta: each call takes one unit from its bucket; a window starts with the first
//! call after the previous one ended (windows are not aligned to the minute); an empty
//! bucket answers `429 E0000047` until the window resets; every answer carries the
//! bucket's `X-Rate-Limit-Limit`, `-Remaining` and `-Reset` (UTC epoch seconds).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// An endpoint family with a bucket of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BucketName {
    /// `GET /api/v1/users…` (read, list, a user's groups).
    UsersRead,
    /// `POST`/`PUT`/`DELETE /api/v1/users…`: create, update, lifecycle, delete.
    UsersWrite,
    /// `/api/v1/groups…`, memberships included.
    Groups,
    /// `DELETE /api/v1/users/{id}/sessions`, `/api/v1/sessions…`.
    Sessions,
    /// `/api/v1/logs` (the System Log): a bucket of its own at Okta.
    Logs,
    /// `/api/v1/apps…`: apps and their users (Okta's `/api/v1/apps` family).
    Apps,
    /// `/oauth2/v1/…`: the org authorization server (device authorize, token, revoke).
    #[serde(rename = "oauth")]
    OAuth,
    /// Any other `/api/v1` path.
    Other,
}

impl BucketName {
    /// Every bucket.
    pub const ALL: [BucketName; 8] = [
        BucketName::UsersRead,
        BucketName::UsersWrite,
        BucketName::Groups,
        BucketName::Sessions,
        BucketName::Logs,
        BucketName::Apps,
        BucketName::OAuth,
        BucketName::Other,
    ];

    /// The bucket of a Management API call, by method and path segments after
    /// `/api/v1/` (`/oauth2/v1/…` calls take [`BucketName::OAuth`]).
    pub fn of(method: &str, segments: &[&str]) -> BucketName {
        match segments {
            ["users", _, "sessions", ..] | ["sessions", ..] => BucketName::Sessions,
            ["groups", ..] => BucketName::Groups,
            ["logs", ..] => BucketName::Logs,
            ["apps", ..] => BucketName::Apps,
            ["users", ..] if method == "GET" => BucketName::UsersRead,
            ["users", ..] => BucketName::UsersWrite,
            _ => BucketName::Other,
        }
    }

    /// The `snake_case` name used over HTTP (`users_read`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            BucketName::UsersRead => "users_read",
            BucketName::UsersWrite => "users_write",
            BucketName::Groups => "groups",
            BucketName::Sessions => "sessions",
            BucketName::Logs => "logs",
            BucketName::Apps => "apps",
            BucketName::OAuth => "oauth",
            BucketName::Other => "other",
        }
    }

    /// Parses [`BucketName::as_str`].
    pub fn parse(name: &str) -> Option<BucketName> {
        BucketName::ALL.into_iter().find(|b| b.as_str() == name)
    }
}

/// The default ceiling: generous, so that only a test that lowers it sees a `429`.
pub const DEFAULT_LIMIT: u64 = 10_000;
/// The default window: Okta's usual minute.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// One bucket's settings and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bucket {
    pub limit: u64,
    pub window: Duration,
    pub remaining: u64,
    /// End of the current window; `None` before the first call.
    pub resets_at: Option<SystemTime>,
}

impl Bucket {
    fn new(limit: u64, window: Duration) -> Bucket {
        Bucket {
            limit,
            window,
            remaining: limit,
            resets_at: None,
        }
    }
}

/// The headers of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub limit: u64,
    pub remaining: u64,
    pub reset_epoch: u64,
}

/// All buckets.
#[derive(Debug, Clone)]
pub(crate) struct Buckets(BTreeMap<BucketName, Bucket>);

impl Default for Buckets {
    fn default() -> Self {
        Buckets(
            BucketName::ALL
                .into_iter()
                .map(|b| (b, Bucket::new(DEFAULT_LIMIT, DEFAULT_WINDOW)))
                .collect(),
        )
    }
}

impl Buckets {
    /// New settings for a bucket; its window starts afresh.
    pub fn configure(&mut self, name: BucketName, limit: u64, window: Duration) {
        self.0.insert(name, Bucket::new(limit, window));
    }

    /// Takes one unit. `Ok` with the headers when there was one, `Err` with the headers
    /// of the `429` when the bucket is empty.
    pub fn take(&mut self, name: BucketName, now: SystemTime) -> Result<RateHeaders, RateHeaders> {
        let bucket = self
            .0
            .entry(name)
            .or_insert_with(|| Bucket::new(DEFAULT_LIMIT, DEFAULT_WINDOW));
        let resets_at = match bucket.resets_at {
            Some(at) if now < at => at,
            _ => {
                bucket.remaining = bucket.limit;
                let at = now + bucket.window;
                bucket.resets_at = Some(at);
                at
            }
        };
        let empty = bucket.remaining == 0;
        bucket.remaining = bucket.remaining.saturating_sub(1);
        let headers = RateHeaders {
            limit: bucket.limit,
            remaining: bucket.remaining,
            reset_epoch: epoch_ceil(resets_at),
        };
        if empty { Err(headers) } else { Ok(headers) }
    }

    /// The headers a bucket would report now, without taking a unit.
    pub fn peek(&self, name: BucketName, now: SystemTime) -> RateHeaders {
        match self.0.get(&name) {
            Some(b) => match b.resets_at {
                Some(at) if now < at => RateHeaders {
                    limit: b.limit,
                    remaining: b.remaining,
                    reset_epoch: epoch_ceil(at),
                },
                _ => RateHeaders {
                    limit: b.limit,
                    remaining: b.limit,
                    reset_epoch: epoch_ceil(now + b.window),
                },
            },
            None => RateHeaders {
                limit: DEFAULT_LIMIT,
                remaining: DEFAULT_LIMIT,
                reset_epoch: epoch_ceil(now + DEFAULT_WINDOW),
            },
        }
    }
}

/// Epoch seconds, rounded up: a client that waits until the advertised second never
/// arrives before the window ended.
pub(crate) fn epoch_ceil(t: SystemTime) -> u64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_map_to_their_endpoint_family() {
        assert_eq!(
            BucketName::of("GET", &["users", "00u1"]),
            BucketName::UsersRead
        );
        assert_eq!(
            BucketName::of("POST", &["users", "00u1", "lifecycle", "suspend"]),
            BucketName::UsersWrite
        );
        assert_eq!(
            BucketName::of("DELETE", &["users", "00u1", "sessions"]),
            BucketName::Sessions
        );
        assert_eq!(
            BucketName::of("PUT", &["groups", "00g1", "users", "00u1"]),
            BucketName::Groups
        );
        assert_eq!(BucketName::of("GET", &["logs"]), BucketName::Logs);
        assert_eq!(
            BucketName::of("GET", &["apps", "0oa1", "users"]),
            BucketName::Apps
        );
        assert_eq!(
            BucketName::of("GET", &["users", "00u1", "factors"]),
            BucketName::UsersRead
        );
        assert_eq!(BucketName::of("GET", &["eventHooks"]), BucketName::Other);
    }

    #[test]
    fn an_empty_bucket_refuses_until_its_window_ends_then_refills() {
        let mut buckets = Buckets::default();
        buckets.configure(BucketName::Groups, 2, Duration::from_secs(10));
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(
            buckets.take(BucketName::Groups, t0).map(|h| h.remaining),
            Ok(1)
        );
        assert_eq!(
            buckets.take(BucketName::Groups, t0).map(|h| h.remaining),
            Ok(0)
        );
        let refused = buckets.take(BucketName::Groups, t0).unwrap_err();
        assert_eq!((refused.limit, refused.remaining), (2, 0));
        assert_eq!(refused.reset_epoch, 1_010);
        let later = t0 + Duration::from_secs(10);
        assert_eq!(
            buckets.take(BucketName::Groups, later).map(|h| h.remaining),
            Ok(1)
        );
        assert_eq!(
            buckets
                .take(BucketName::UsersRead, later)
                .map(|h| h.remaining),
            Ok(DEFAULT_LIMIT - 1)
        );
    }
}
