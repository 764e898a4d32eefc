//! Okta's rate-limit headers, read from every response.
//!
//! Okta counts requests per bucket (usually per minute, windows not aligned to the
//! clock) and tells the caller where it stands on each response. Executors must not
//! sleep inside Lambda, so a `429` becomes a *value* — how long to wait — computed from
//! Okta's own clock (`X-Rate-Limit-Reset` − the response's `Date` + 1 s), which avoids
//! any skew between the Lambda host and Okta.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;

/// Header carrying the bucket's ceiling.
pub const LIMIT_HEADER: &str = "x-rate-limit-limit";
/// Header carrying what is left in the bucket.
pub const REMAINING_HEADER: &str = "x-rate-limit-remaining";
/// Header carrying when the bucket refills, in UTC epoch seconds.
pub const RESET_HEADER: &str = "x-rate-limit-reset";

/// The rate-limit state Okta reported on one response. Every field is optional: some
/// endpoints (`/oauth2/v1/keys`, `/.well-known/*`) are not rate-limited and send none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// `X-Rate-Limit-Limit`: the ceiling of this request's bucket.
    pub limit: Option<u64>,
    /// `X-Rate-Limit-Remaining`: requests left in the current window.
    pub remaining: Option<u64>,
    /// `X-Rate-Limit-Reset`: when the window resets, UTC epoch seconds.
    pub reset_epoch: Option<u64>,
    /// The response's `Date`, UTC epoch seconds: Okta's clock at the time of the answer.
    pub date_epoch: Option<u64>,
}

impl RateLimit {
    /// Reads the headers. A header that is missing, duplicated with different values
    /// (Okta has been seen sending comma-joined values) or not a number reads as `None`
    /// rather than as a guess.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        RateLimit {
            limit: single_number(headers, LIMIT_HEADER),
            remaining: single_number(headers, REMAINING_HEADER),
            reset_epoch: single_number(headers, RESET_HEADER),
            date_epoch: headers
                .get(http::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| httpdate::parse_http_date(s.trim()).ok())
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs()),
        }
    }

    /// True when at least one rate-limit header was present.
    pub fn is_known(&self) -> bool {
        self.limit.is_some() || self.remaining.is_some() || self.reset_epoch.is_some()
    }

    /// How long to wait before the bucket refills: `Reset − Date + 1 s`.
    ///
    /// Okta's `Date` is preferred to the local clock so that skew cannot make the wait
    /// too short; the local clock is used only when `Date` is missing. `None` when Okta
    /// sent no reset time. Never zero: at least the 1 s margin.
    pub fn retry_after(&self) -> Option<Duration> {
        let reset = self.reset_epoch?;
        let now = match self.date_epoch {
            Some(date) => date,
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        };
        Some(Duration::from_secs(reset.saturating_sub(now) + 1))
    }

    /// How long to hold the next call back, `elapsed` after this answer arrived, when it
    /// left no more than `reserve` calls in the window: the rest of [`Self::retry_after`]
    /// (`Reset − Date + 1 s`, Okta's own clock), so a skewed host clock can neither skip
    /// the wait nor stretch it. `elapsed` is measured on a monotonic clock by the caller.
    /// `None` when there is headroom, when Okta said nothing about the window, or when
    /// the window has reset since.
    pub fn headroom_wait(&self, reserve: u64, elapsed: Duration) -> Option<Duration> {
        if self.remaining? > reserve {
            return None;
        }
        let wait = self.retry_after()?;
        // Without a `Date`, `retry_after` measured from the local clock now: nothing
        // has elapsed since.
        let left = match self.date_epoch {
            Some(_) => wait.saturating_sub(elapsed),
            None => wait,
        };
        (!left.is_zero()).then_some(left)
    }
}

/// The header's value as a number, only when every occurrence agrees.
fn single_number(headers: &HeaderMap, name: &str) -> Option<u64> {
    let mut found: Option<u64> = None;
    for value in headers.get_all(name) {
        let text = value.to_str().ok()?;
        for part in text.split(',') {
            let n: u64 = part.trim().parse().ok()?;
            match found {
                Some(prev) if prev != n => return None,
                _ => found = Some(n),
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_uses_the_response_date_not_the_local_clock() {
        // Date = 2015-10-21 07:28:00 UTC = 1445412480
        let h = headers(&[
            ("x-rate-limit-limit", "600"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1445412510"),
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ]);
        let rl = RateLimit::from_headers(&h);
        assert_eq!(rl.limit, Some(600));
        assert_eq!(rl.remaining, Some(0));
        assert_eq!(rl.date_epoch, Some(1_445_412_480));
        assert_eq!(rl.retry_after(), Some(Duration::from_secs(31)));
    }

    #[test]
    fn reset_in_the_past_still_waits_the_margin() {
        let h = headers(&[
            ("x-rate-limit-reset", "100"),
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ]);
        assert_eq!(
            RateLimit::from_headers(&h).retry_after(),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn conflicting_duplicates_are_not_guessed() {
        let h = headers(&[("x-rate-limit-reset", "100, 200")]);
        assert_eq!(RateLimit::from_headers(&h).reset_epoch, None);
        let h = headers(&[("x-rate-limit-reset", "100"), ("x-rate-limit-reset", "100")]);
        assert_eq!(RateLimit::from_headers(&h).reset_epoch, Some(100));
    }

    /// The answer of a response sent at `date_epoch` with `remaining` calls left and
    /// the window resetting 30 s later.
    fn near_the_limit(date_epoch: u64, remaining: u64) -> RateLimit {
        RateLimit {
            limit: Some(600),
            remaining: Some(remaining),
            reset_epoch: Some(date_epoch + 30),
            date_epoch: Some(date_epoch),
        }
    }

    #[test]
    fn headroom_wait_counts_from_okta_date_whatever_the_host_clock_says() {
        // Okta's clock reads 2015; the host's reads today. The window still has 30 s
        // to run by Okta's clock, so the call waits those (plus the margin).
        let rl = near_the_limit(1_445_412_480, 3);
        assert_eq!(
            rl.headroom_wait(5, Duration::ZERO),
            Some(Duration::from_secs(31))
        );
        // And one far in the future: the same wait, not an hours-long one.
        let rl = near_the_limit(4_102_444_800, 3);
        assert_eq!(
            rl.headroom_wait(5, Duration::ZERO),
            Some(Duration::from_secs(31))
        );
    }

    #[test]
    fn headroom_wait_shrinks_by_the_time_since_the_answer_and_ends_with_the_window() {
        let rl = near_the_limit(1_445_412_480, 0);
        assert_eq!(
            rl.headroom_wait(5, Duration::from_secs(20)),
            Some(Duration::from_secs(11))
        );
        assert_eq!(rl.headroom_wait(5, Duration::from_secs(31)), None);
        assert_eq!(rl.headroom_wait(5, Duration::from_secs(600)), None);
    }

    #[test]
    fn headroom_wait_is_none_above_the_reserve_or_without_a_reset() {
        assert_eq!(
            near_the_limit(1_445_412_480, 6).headroom_wait(5, Duration::ZERO),
            None
        );
        let no_reset = RateLimit {
            reset_epoch: None,
            ..near_the_limit(1_445_412_480, 0)
        };
        assert_eq!(no_reset.headroom_wait(5, Duration::ZERO), None);
        assert_eq!(RateLimit::default().headroom_wait(5, Duration::ZERO), None);
    }

    #[test]
    fn no_headers_no_wait() {
        let rl = RateLimit::from_headers(&HeaderMap::new());
        assert!(!rl.is_known());
        assert_eq!(rl.retry_after(), None);
    }
}
